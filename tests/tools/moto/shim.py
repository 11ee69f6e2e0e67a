#!/usr/bin/env python3
"""moto_server launcher that lets berth's CloudFormation templates deploy unchanged on moto 5.2.5.

Usage (same arguments as moto_server):
    <venv>/bin/python shim.py -H 127.0.0.1 -p 5000

What it does, before the server starts (all in this one process):
  1. Registers stand-in CloudFormation models for the resource types moto's CloudFormation
     ignores ("No Moto CloudFormation support for ..."). Each is a *direct* subclass of
     moto's CloudFormationModel (moto builds its type map from CloudFormationModel.__subclasses__(),
     which lists direct subclasses only), returns a physical id for Ref, answers Fn::GetAtt,
     and supports update and delete. Where moto has a service backend, the stand-in also
     creates the real object there, so the runtime's own API calls see it:
       EKS Cluster/Nodegroup -> moto eks backend (DescribeCluster, DescribeNodegroup work)
       ServiceDiscovery namespace/service -> moto servicediscovery backend
       ApplicationAutoScaling target/policy -> moto applicationautoscaling backend
       ECS CapacityProvider / ClusterCapacityProviderAssociations -> moto ecs backend
       EC2 SecurityGroupEgress -> moto ec2 backend (authorize/revoke egress)
       Scheduler Schedule -> moto scheduler backend
       EKS Addon / PodIdentityAssociation / AccessEntry -> id-only stand-ins (moto 5.2.5 has no
         such API); an AccessEntry refuses a principal ARN EKS refuses (an assumed-role session)
  2. Fixes moto 5.2.5 behaviour the templates or the runtime trip over:
     - Fn::Cidr is not evaluated (Fn::Select over it -> HTTP 500 "KeyError: 0");
     - AWS::KMS::Key with Tags -> KeyError 'TagKey' (surfaces as
       "Fn::GetAtt references undefined resource Key");
     - a CREATE change set gets no cross-stack exports (every Fn::ImportValue ->
       "No export named X found.") and ExecuteChangeSet never builds Outputs/exports;
     - LoadBalancerFullName / TargetGroupFullName GetAtt unresolved;
     - launch-template EBS volumes without VolumeSize -> "MissingParameter ... size/snapshot";
     - stack deletion silently skips ECS services/task definitions/clusters, ELBv2 listeners,
       rules, target groups, route tables, routes, associations, IGW attachments, NAT gateways,
       EIPs, flow logs (the VPC then fails with DependencyViolation): delete them;
     - change-set updates don't re-apply dependents of a replaced resource (the ECS service kept
       the old task definition), types without update support vanished from the stack, and
       CloudFormation task definitions lost cpu/networkMode/roles/container fields;
     - UpdateService adds no ECS deployment: model PRIMARY/ACTIVE deployments;
     - CREATE change set on an existing stack made a duplicate; UPDATE on ROLLBACK_COMPLETE -> 500.
  3. Makes failures and progress look like CloudFormation: per-resource stack events
     (*_IN_PROGRESS/*_COMPLETE/*_FAILED with reasons), ExecuteChangeSet/CreateStack/DeleteStack
     return OK and the stack ends ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE / DELETE_FAILED
     with StackStatusReason, each resource a delete could not remove failing with its own reason,
     and DeleteStack's RetainResources honoured for a stack in DELETE_FAILED; a change set importing a missing export ends FAILED with
     "No export named X found.". (Nothing is really rolled back; all of it is synchronous.)
  4. Adds GET /clusters/<name>/pod-identity-associations (ListPodIdentityAssociations) and
     GET /clusters/<name>/access-entries (ListAccessEntries), fed by the stand-ins.
  5. With IAM enforced (POST /moto-api/reset-auth), answers a denied or unsigned request in the
     service's own error format (moto sent EC2's XML to every service, which the AWS SDKs for
     JSON and query protocols cannot read): `{"__type": "AccessDeniedException", …}` for JSON
     services (ECS), `<ErrorResponse><Error>…` for query ones (Elastic Load Balancing).
  6. Clears moto's lru_caches of the model map, then runs moto.server.main().

Environment: MOTO_ECS_SERVICE_RUNNING=N (moto's own knob) makes services with desiredCount <= N
report runningCount and rolloutState COMPLETED; set it, or every deployment stays IN_PROGRESS.
"""
from __future__ import annotations

import hashlib
import ipaddress
import itertools
import logging
import re
import sys
import uuid
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

log = logging.getLogger("berth-shim")


def _camel(obj: Any) -> Any:
    """PascalCase keys (CloudFormation) -> camelCase keys (the EKS REST API's shape)."""
    if isinstance(obj, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_camel(v) for v in obj]
    return obj


def _tags_list(props: dict[str, Any]) -> list[dict[str, str]]:
    t = props.get("Tags") or []
    if isinstance(t, dict):
        return [{"Key": k, "Value": v} for k, v in t.items()]
    return list(t)


def _tags_dict(props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in _tags_list(props)}


def _short(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:17]


class StandIn:
    """Mixin: the behaviour every stand-in shares. Concrete classes also inherit
    CloudFormationModel directly, so that moto's model map finds them."""

    CFN_TYPE = ""
    NAME_PROP = ""  # property holding a user-chosen name, if any

    def __init__(self, resource_name: str, props: dict[str, Any], account_id: str,
                 region_name: str, logical_id: str = "") -> None:
        self.resource_name = resource_name
        self.props = props
        self.account_id = account_id
        self.region_name = region_name
        self.logical_id = logical_id
        self.attrs: dict[str, Any] = {}
        self.physical_id = ""

    # ----- hooks for subclasses
    def create(self) -> None:
        self.physical_id = self.resource_name

    def remove(self) -> None:
        pass

    # ----- CloudFormationModel surface
    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.CFN_TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROP

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attr: str) -> Any:
        if attr in self.attrs:
            return self.attrs[attr]
        # Unknown attribute: answer something stable rather than leaving the intrinsic unresolved.
        return f"{self.physical_id}:{attr}"

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        obj = cls(resource_name, cloudformation_json.get("Properties", {}), account_id,
                  region_name, kwargs.get("LogicalId", ""))
        obj.create()
        log.info("stand-in created %s %s -> %s", cls.CFN_TYPE, obj.logical_id, obj.physical_id)
        return obj

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        # Replace: remove the old object, create the new one (keeps backends consistent).
        original_resource.remove()
        obj = cls(new_resource_name, cloudformation_json.get("Properties", {}), account_id,
                  region_name, getattr(original_resource, "logical_id", ""))
        obj.create()
        log.info("stand-in updated %s %s -> %s", cls.CFN_TYPE, obj.logical_id, obj.physical_id)
        return obj

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        pass

    def delete(self, account_id: str, region_name: str) -> None:
        self.remove()
        log.info("stand-in deleted %s %s", self.CFN_TYPE, self.physical_id)


def _arn(self: StandIn, service: str, rest: str) -> str:
    return f"arn:aws:{service}:{self.region_name}:{self.account_id}:{rest}"


# --------------------------------------------------------------------------- EKS
class EksCluster(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EKS::Cluster"
    NAME_PROP = "Name"

    def _backend(self):
        from moto.eks.models import eks_backends
        return eks_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        c = self._backend().create_cluster(
            name=self.resource_name,
            role_arn=p["RoleArn"],
            resources_vpc_config=_camel(p.get("ResourcesVpcConfig", {})),
            version=p.get("Version"),
            logging={"clusterLogging": [
                {"types": [t["Type"] for t in p["Logging"]["ClusterLogging"].get("EnabledTypes", [])],
                 "enabled": True}]} if p.get("Logging") else None,
            tags=_tags_dict(p),
            encryption_config=_camel(p.get("EncryptionConfig")),
        )
        self.physical_id = c.name
        # EKS creates a cluster security group in the cluster's VPC; templates reference it
        # (GetAtt ClusterSecurityGroupId) in ingress rules, so it must really exist in moto's EC2.
        from moto.ec2.models import ec2_backends
        ec2 = ec2_backends[self.account_id][self.region_name]
        subnet_ids = (p.get("ResourcesVpcConfig") or {}).get("SubnetIds") or []
        vpc_id = ec2.get_subnet(subnet_ids[0]).vpc_id if subnet_ids else None
        group = ec2.create_security_group(
            name=f"eks-cluster-sg-{c.name}-{_short(c.arn)[:8]}",
            description="EKS created security group applied to ENI that is attached to EKS "
                        "Control Plane master nodes, as well as any managed workloads.",
            vpc_id=vpc_id, tags={"aws:eks:cluster-name": c.name})
        self.sg_id = group.id
        sg = group.id
        self.attrs = {
            "Arn": c.arn,
            "Endpoint": c.endpoint.rstrip("/"),
            "CertificateAuthorityData": c.certificate_authority["data"],
            "ClusterSecurityGroupId": sg,
            "EncryptionConfigKeyArn": (p.get("EncryptionConfig") or [{}])[0].get("Provider", {}).get("KeyArn", ""),
            "OpenIdConnectIssuerUrl": c.identity["oidc"]["issuer"],
            "Id": _short(c.arn),
            "KubernetesNetworkConfig.ServiceIpv4Cidr": "172.20.0.0/16",
        }

    def remove(self) -> None:
        b = self._backend()
        cl = b.clusters.get(self.physical_id)
        if cl is not None:
            # Raises ResourceInUseException while node groups remain; moto's stack delete retries
            # failed deletions in later passes, after the node group stand-in is gone.
            b.delete_cluster(self.physical_id)
        from moto.ec2.models import ec2_backends
        try:
            ec2_backends[self.account_id][self.region_name].delete_security_group(group_id=self.sg_id)
        except Exception as e:
            log.info("delete cluster security group: %s", e)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        # Version / logging / tags changes are in-place updates on EKS: keep the cluster.
        original_resource.props = cloudformation_json.get("Properties", {})
        return original_resource


class EksNodegroup(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EKS::Nodegroup"
    NAME_PROP = "NodegroupName"

    def _backend(self):
        from moto.eks.models import eks_backends
        return eks_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        sc = p.get("ScalingConfig") or {}
        ng = self._backend().create_nodegroup(
            cluster_name=p["ClusterName"],
            node_role=p["NodeRole"],
            nodegroup_name=self.resource_name,
            subnets=p.get("Subnets", []),
            scaling_config={"minSize": sc.get("MinSize", 1), "maxSize": sc.get("MaxSize", 1),
                            "desiredSize": sc.get("DesiredSize", 1)},
            instance_types=p.get("InstanceTypes"),
            ami_type=p.get("AmiType"),
            labels=p.get("Labels"),
            tags=_tags_dict(p),
            capacity_type=p.get("CapacityType"),
        )
        self.physical_id = f"{p['ClusterName']}/{ng.nodegroup_name}"
        self.attrs = {"Arn": ng.arn, "ClusterName": p["ClusterName"], "NodegroupName": ng.nodegroup_name}

    def remove(self) -> None:
        cluster, name = self.physical_id.split("/", 1)
        b = self._backend()
        if cluster in b.clusters and name in b.clusters[cluster].nodegroups:
            b.delete_nodegroup(cluster, name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        p = cloudformation_json.get("Properties", {})
        sc = p.get("ScalingConfig") or {}
        cluster, name = original_resource.physical_id.split("/", 1)
        ng = original_resource._backend().clusters[cluster].nodegroups[name]
        ng.scaling_config = {"minSize": sc.get("MinSize", 1), "maxSize": sc.get("MaxSize", 1),
                             "desiredSize": sc.get("DesiredSize", 1)}
        original_resource.props = p
        return original_resource


class EksAddon(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EKS::Addon"
    NAME_PROP = ""

    def create(self) -> None:
        p = self.props
        self.physical_id = f"{p['ClusterName']}|{p['AddonName']}"
        self.attrs = {"Arn": _arn(self, "eks", f"addon/{p['ClusterName']}/{p['AddonName']}/{_short(self.physical_id)}")}


class EksPodIdentityAssociation(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EKS::PodIdentityAssociation"

    def create(self) -> None:
        p = self.props
        aid = "a-" + _short(p["ClusterName"], p["Namespace"], p["ServiceAccount"])
        arn = _arn(self, "eks", f"podidentityassociation/{p['ClusterName']}/{aid}")
        self.physical_id = arn
        self.attrs = {"AssociationArn": arn, "AssociationId": aid}
        PodIdentityStore.put(self.account_id, self.region_name, p, aid, arn)

    def remove(self) -> None:
        PodIdentityStore.drop(self.account_id, self.region_name, self.attrs.get("AssociationId"))


class EksAccessEntry(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EKS::AccessEntry"

    def create(self) -> None:
        p = self.props
        principal = p["PrincipalArn"]
        if not re.match(r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", principal):
            # As EKS answers an assumed-role session's or another service's ARN.
            raise ValueError(f"InvalidParameterException: The principalArn parameter format is "
                             f"not valid: {principal}")
        self.physical_id = f"{p['ClusterName']}|{principal}"
        self.attrs = {"AccessEntryArn": _arn(self, "eks", f"access-entry/{p['ClusterName']}/"
                                                          f"{_short(principal)}")}
        AccessEntryStore.items.setdefault((self.account_id, self.region_name), {})[
            self.physical_id] = {"cluster": p["ClusterName"], "principalArn": principal}

    def remove(self) -> None:
        AccessEntryStore.items.get((self.account_id, self.region_name), {}).pop(
            self.physical_id, None)


class AccessEntryStore:
    """Backs a minimal ListAccessEntries (see _add_eks_pod_identity_routes)."""
    items: dict[tuple[str, str], dict[str, dict[str, str]]] = {}


class PodIdentityStore:
    """Backs a minimal ListPodIdentityAssociations (see _add_eks_pod_identity_routes)."""
    items: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    @classmethod
    def put(cls, account: str, region: str, p: dict[str, Any], aid: str, arn: str) -> None:
        cls.items.setdefault((account, region), {})[aid] = {
            "clusterName": p["ClusterName"], "namespace": p["Namespace"],
            "serviceAccount": p["ServiceAccount"], "associationArn": arn, "associationId": aid,
            "ownerArn": None, "roleArn": p.get("RoleArn")}

    @classmethod
    def drop(cls, account: str, region: str, aid: str | None) -> None:
        cls.items.get((account, region), {}).pop(aid, None)


# --------------------------------------------------------------------------- Service discovery
class SdPrivateDnsNamespace(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ServiceDiscovery::PrivateDnsNamespace"

    def _backend(self):
        from moto.servicediscovery.models import servicediscovery_backends
        return servicediscovery_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        b = self._backend()
        b.create_private_dns_namespace(name=p["Name"], creator_request_id=str(uuid.uuid4()),
                                       description=p.get("Description", ""), vpc=p["Vpc"],
                                       tags=_tags_list(p), properties=p.get("Properties") or {})
        ns = next(n for n in b.namespaces.values() if n.name == p["Name"])
        self.physical_id = ns.id
        self.attrs = {"Id": ns.id, "Arn": ns.arn, "HostedZoneId": "Z" + _short(ns.id).upper()}

    def remove(self) -> None:
        b = self._backend()
        if self.physical_id in b.namespaces:
            b.delete_namespace(self.physical_id)


class SdService(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ServiceDiscovery::Service"

    def _backend(self):
        from moto.servicediscovery.models import servicediscovery_backends
        return servicediscovery_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        s = self._backend().create_service(
            name=p.get("Name", self.resource_name), namespace_id=p.get("NamespaceId"),
            creator_request_id=str(uuid.uuid4()), description=p.get("Description", ""),
            dns_config=p.get("DnsConfig"), health_check_config=p.get("HealthCheckConfig"),
            health_check_custom_config=p.get("HealthCheckCustomConfig"), tags=_tags_list(p),
            service_type=p.get("Type"))
        self.physical_id = s.id
        self.attrs = {"Id": s.id, "Arn": s.arn, "Name": s.name}

    def remove(self) -> None:
        self._backend().delete_service(self.physical_id)


# --------------------------------------------------------------------------- Application Auto Scaling
class AasScalableTarget(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"

    def _backend(self):
        from moto.applicationautoscaling.models import applicationautoscaling_backends
        return applicationautoscaling_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        self._backend().register_scalable_target(
            namespace=p["ServiceNamespace"], r_id=p["ResourceId"], dimension=p["ScalableDimension"],
            min_capacity=p.get("MinCapacity"), max_capacity=p.get("MaxCapacity"),
            role_arn=p.get("RoleARN", ""), suspended_state=p.get("SuspendedState"))
        self.physical_id = f"{p['ResourceId']}|{p['ScalableDimension']}|{p['ServiceNamespace']}"
        self.attrs = {"Id": self.physical_id}

    def remove(self) -> None:
        rid, dim, ns = self.physical_id.split("|")
        try:
            self._backend().deregister_scalable_target(ns, rid, dim)
        except Exception as e:  # already gone
            log.info("deregister_scalable_target: %s", e)


class AasScalingPolicy(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"

    def _backend(self):
        from moto.applicationautoscaling.models import applicationautoscaling_backends
        return applicationautoscaling_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        if p.get("ScalingTargetId"):
            rid, dim, ns = p["ScalingTargetId"].split("|")
        else:
            rid, dim, ns = p["ResourceId"], p["ScalableDimension"], p["ServiceNamespace"]
        body = {}
        if "TargetTrackingScalingPolicyConfiguration" in p:
            body["TargetTrackingScalingPolicyConfiguration"] = p["TargetTrackingScalingPolicyConfiguration"]
        if "StepScalingPolicyConfiguration" in p:
            body["StepScalingPolicyConfiguration"] = p["StepScalingPolicyConfiguration"]
        pol = self._backend().put_scaling_policy(policy_name=p["PolicyName"], service_namespace=ns,
                                                 resource_id=rid, scalable_dimension=dim,
                                                 policy_body=body, policy_type=p.get("PolicyType"))
        self.key = (p["PolicyName"], ns, rid, dim)
        self.physical_id = pol.policy_arn
        self.attrs = {"Arn": pol.policy_arn}

    def remove(self) -> None:
        try:
            self._backend().delete_scaling_policy(*self.key)
        except Exception as e:
            log.info("delete_scaling_policy: %s", e)


# --------------------------------------------------------------------------- ECS capacity providers
class EcsCapacityProvider(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ECS::CapacityProvider"
    NAME_PROP = "Name"

    def _backend(self):
        from moto.ecs.models import ecs_backends
        return ecs_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        # Real CloudFormation generates "<stack>-<logical>-<suffix>"; moto's name is the same shape.
        name = re.sub(r"[^A-Za-z0-9_-]", "-", self.resource_name)[:255]
        cp = self._backend().create_capacity_provider(name, p.get("AutoScalingGroupProvider", {}),
                                                      _tags_list(p) or None)
        self.physical_id = cp.name
        self.attrs = {"Arn": cp.capacity_provider_arn}

    def remove(self) -> None:
        try:
            self._backend().delete_capacity_provider(self.physical_id)
        except Exception as e:
            log.info("delete_capacity_provider: %s", e)


class EcsClusterCapacityProviderAssociations(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::ECS::ClusterCapacityProviderAssociations"

    def _backend(self):
        from moto.ecs.models import ecs_backends
        return ecs_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        cluster = p["Cluster"].split("/")[-1]
        self._backend().put_cluster_capacity_providers(cluster, p.get("CapacityProviders", []),
                                                       p.get("DefaultCapacityProviderStrategy", []))
        self.physical_id = cluster

    def remove(self) -> None:
        try:
            self._backend().put_cluster_capacity_providers(self.physical_id, [], [])
        except Exception as e:
            log.info("put_cluster_capacity_providers: %s", e)


# --------------------------------------------------------------------------- EC2 egress rule
class Ec2SecurityGroupEgress(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::EC2::SecurityGroupEgress"

    def _backend(self):
        from moto.ec2.models import ec2_backends
        return ec2_backends[self.account_id][self.region_name]

    def _args(self) -> dict[str, Any]:
        p = self.props
        ip_ranges = [{"CidrIp": p["CidrIp"], "Description": p.get("Description")}] if p.get("CidrIp") else []
        groups = [{"GroupId": p["DestinationSecurityGroupId"]}] if p.get("DestinationSecurityGroupId") else []
        return dict(group_name_or_id=p["GroupId"], ip_protocol=str(p["IpProtocol"]),
                    from_port=p.get("FromPort"), to_port=p.get("ToPort"), ip_ranges=ip_ranges,
                    source_groups=groups)

    def create(self) -> None:
        rules, _ = self._backend().authorize_security_group_egress(**self._args())
        self.physical_id = rules[0].id if rules else "sgr-" + _short(str(self.props))
        self.attrs = {"Id": self.physical_id}

    def remove(self) -> None:
        try:
            self._backend().revoke_security_group_egress(**self._args())
        except Exception as e:  # the group may already be gone
            log.info("revoke_security_group_egress: %s", e)


# --------------------------------------------------------------------------- EventBridge Scheduler
class SchedulerSchedule(StandIn, CloudFormationModel):
    __module__ = "moto.berth_shim"  # moto's model metaclass files classes by module "moto.<service>"
    CFN_TYPE = "AWS::Scheduler::Schedule"
    NAME_PROP = "Name"

    def _backend(self):
        from moto.scheduler.models import scheduler_backends
        return scheduler_backends[self.account_id][self.region_name]

    def create(self) -> None:
        p = self.props
        name = self.resource_name[:64]
        s = self._backend().create_schedule(
            description=p.get("Description"), end_date=p.get("EndDate"),
            flexible_time_window=p.get("FlexibleTimeWindow"), group_name=p.get("GroupName"),
            kms_key_arn=p.get("KmsKeyArn"), name=name, schedule_expression=p["ScheduleExpression"],
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"),
            start_date=p.get("StartDate"), state=p.get("State"), target=p["Target"],
            action_after_completion=None)
        self.group = p.get("GroupName")
        self.physical_id = s.name
        self.attrs = {"Arn": s.arn}

    def remove(self) -> None:
        try:
            self._backend().delete_schedule(self.group, self.physical_id)
        except Exception as e:
            log.info("delete_schedule: %s", e)


# --------------------------------------------------------------------------- moto fixes
_orig_clean_json = parsing.clean_json


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
        block, count, bits = (_clean_json(x, resources_map) for x in resource_json["Fn::Cidr"])
        net = ipaddress.ip_network(block, strict=False)
        subnets = net.subnets(new_prefix=net.max_prefixlen - int(bits))
        return [str(s) for s in itertools.islice(subnets, int(count))]
    return _orig_clean_json(resource_json, resources_map)


def _patch_kms_tags() -> None:
    from moto.kms.models import Key
    orig = Key.create_from_cloudformation_json.__func__

    @classmethod  # type: ignore[misc]
    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        if props.get("Tags"):
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t
                             for t in props["Tags"]]
        return orig(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = create


def _patch_execute_change_set() -> None:
    """moto's ExecuteChangeSet applies the resources but never rebuilds the stack's outputs or
    registers its exports (a CREATE change set starts from template={}), so DescribeStacks shows
    no Outputs and a later stack's Fn::ImportValue fails with "No export named ... found."."""
    from moto.cloudformation.models import CloudFormationBackend

    orig = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        cs = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None)
        orig(self, change_set_name, stack_name)
        if cs is None:
            return
        stack = self.stacks[cs.stack_id]
        stack.template = cs.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        for e in list(stack.exports):
            self.exports.pop(e.name, None)
        stack.output_map = stack._create_output_map()
        self._validate_export_uniqueness(stack)
        for e in stack.exports:
            self.exports[e.name] = e

    CloudFormationBackend.execute_change_set = execute_change_set

    # A CREATE change set builds its Stack without cross_stack_resources, so every
    # Fn::ImportValue in a stack created through a change set fails ("No export named ...").
    orig_create = CloudFormationBackend.create_change_set

    def create_change_set(self, *args, **kwargs):
        change_set_id, stack_id = orig_create(self, *args, **kwargs)
        stack = self.stacks[stack_id]
        stack.cross_stack_resources = self.exports
        stack.resource_map.cross_stack_resources = self.exports
        return change_set_id, stack_id

    CloudFormationBackend.create_change_set = create_change_set


def _patch_elbv2_attrs() -> None:
    """moto raises NotImplementedError for LoadBalancerFullName (the intrinsic is then left
    unresolved: the output value becomes the text "{'Fn::GetAtt': [...]}"), and its target
    group has no get_cfn_attribute at all."""
    from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

    orig_lb = FakeLoadBalancer.get_cfn_attribute

    def lb_attr(self, attribute_name):
        if attribute_name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/", 1)[1]
        if attribute_name == "CanonicalHostedZoneID":
            return "Z35SXDOTRQ7X7K"
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        return orig_lb(self, attribute_name)

    def tg_attr(self, attribute_name):
        if attribute_name == "TargetGroupFullName":
            return self.arn.split(":", 5)[5]
        if attribute_name == "TargetGroupName":
            return self.name
        if attribute_name == "TargetGroupArn":
            return self.arn
        if attribute_name == "LoadBalancerArns":
            return list(self.load_balancer_arns)
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
        raise UnformattedGetAttTemplateException()

    FakeLoadBalancer.get_cfn_attribute = lb_attr
    FakeTargetGroup.get_cfn_attribute = tg_attr


def _patch_ebs_default_size() -> None:
    """A launch template's Ebs block device without VolumeSize takes its size from the AMI on AWS;
    moto's ASG launches instances at create time and fails with
    "MissingParameter: The request must contain the parameter size/snapshot"."""
    from moto.ec2.models.elastic_block_store import EBSBackend

    orig = EBSBackend.create_volume

    def create_volume(self, size, zone_name, snapshot_id=None, *args, **kwargs):
        if size is None and not snapshot_id:
            size = 30
        return orig(self, size, zone_name, snapshot_id, *args, **kwargs)

    EBSBackend.create_volume = create_volume


def _patch_deletes() -> None:
    """moto 5.2.5 silently skips deleting many resource types when a stack is deleted (neither a
    delete() method nor delete_from_cloudformation_json): ECS services, task definitions and
    clusters, ELBv2 listeners/rules/target groups, route tables, routes, associations, gateway
    attachments, internet and NAT gateways, EIPs, flow logs. The VPC delete then fails with
    DependencyViolation. Give each a delete() that calls the service backend."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
    from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeTargetGroup, elbv2_backends

    def ec2(a, r):
        return ec2_backends[a][r]

    def rt_assoc_delete(self, a, r):
        rt = ec2(a, r).route_tables.get(self.route_table_id)
        if rt is None:
            return
        for assoc_id, subnet_id in list(rt.associations.items()):
            if subnet_id == self.subnet_id:
                ec2(a, r).disassociate_route_table(assoc_id)

    def route_delete(self, a, r):
        if self.route_table.id in ec2(a, r).route_tables:
            ec2(a, r).delete_route(self.route_table.id, self.destination_cidr_block,
                                   self.destination_ipv6_cidr_block)

    table = {
        SubnetRouteTableAssociation: rt_assoc_delete,
        Route: route_delete,
        RouteTable: lambda self, a, r: ec2(a, r).delete_route_table(self.id),
        VPCGatewayAttachment: lambda self, a, r: ec2(a, r).detach_internet_gateway(self.gateway_id, self.vpc_id),
        InternetGateway: lambda self, a, r: ec2(a, r).delete_internet_gateway(self.id),
        NatGateway: lambda self, a, r: ec2(a, r).delete_nat_gateway(self.id),
        ElasticAddress: lambda self, a, r: ec2(a, r).release_address(allocation_id=self.allocation_id),
        FlowLogs: lambda self, a, r: ec2(a, r).delete_flow_logs([self.id]),
        Service: lambda self, a, r: ecs_backends[a][r].delete_service(self.cluster_name, self.name, True),
        TaskDefinition: lambda self, a, r: ecs_backends[a][r].deregister_task_definition(self.arn),
        Cluster: lambda self, a, r: ecs_backends[a][r].delete_cluster(self.name),
        FakeListenerRule: lambda self, a, r: elbv2_backends[a][r].delete_rule(self.arn),
        FakeListener: lambda self, a, r: elbv2_backends[a][r].delete_listener(self.arn),
        FakeTargetGroup: lambda self, a, r: elbv2_backends[a][r].delete_target_group(self.arn),
    }
    def idempotent(fn):
        # Deletes cascade in moto (deleting a load balancer drops its listeners and rules), and
        # CloudFormation treats "already gone" as deleted: swallow not-found errors.
        def delete(self, a, r):
            try:
                fn(self, a, r)
            except Exception as e:
                text = f"{getattr(e, 'error_type', '')} {getattr(e, 'code', '')} {e}"
                if "NotFound" in text or "does not exist" in text or "not found" in text:
                    log.info("delete %s: already gone (%s)", type(self).__name__, text.strip()[:120])
                    return
                raise
        return delete

    for cls, fn in table.items():
        if "delete" not in cls.__dict__:
            cls.delete = idempotent(fn)


def _reason(e: BaseException) -> str:
    code = getattr(e, "error_type", None) or getattr(e, "code", None)
    msg = getattr(e, "message", None) or str(e)
    return f"{code}: {msg}" if isinstance(code, str) and code else f"{type(e).__name__}: {msg}"


def _patch_events_and_failures() -> None:
    """moto records only stack-level events and reports every failure synchronously as an API
    error (leaving the stack in CREATE_IN_PROGRESS / REVIEW_IN_PROGRESS, or, for a failed delete,
    dropping it from DescribeStacks altogether). Make it behave like CloudFormation:
      * per-resource events: <OP>_IN_PROGRESS / <OP>_COMPLETE / <OP>_FAILED with a reason;
      * ExecuteChangeSet / CreateStack return OK and a failure ends in ROLLBACK_COMPLETE
        (UPDATE_ROLLBACK_COMPLETE for updates) with the first failing resource's reason;
      * DeleteStack returns OK and a failure leaves the stack in DELETE_FAILED;
      * CreateChangeSet with an Fn::ImportValue of a missing export ends FAILED with
        "No export named X found." (as CloudFormation reports it), instead of failing at execute.
    Note: nothing is actually rolled back: resources created before the failure stay in moto."""
    from moto.cloudformation import models as cfm

    def stack_of(resources_map):
        b = cfm.cloudformation_backends[resources_map._account_id][resources_map._region_name]
        return b.stacks.get(resources_map.stack_id)

    def event(stack, logical_id, rtype, status, physical="", reason=None):
        if stack is None:
            return
        stack.events.append(cfm.Event(stack_id=stack.stack_id, stack_name=stack.name,
                                      logical_resource_id=logical_id, physical_resource_id=physical,
                                      resource_type=rtype, resource_status=status,
                                      resource_status_reason=reason, resource_properties=None))

    def wrap(fn, op):
        def inner(logical_id, resource_json, resources_map, account_id, region_name):
            stack = stack_of(resources_map)
            rtype = resource_json.get("Type", "")
            if op == "CREATE" and resource_json.get("Condition") and \
                    not resources_map.lazy_condition_map[resource_json["Condition"]]:
                return fn(logical_id, resource_json, resources_map, account_id, region_name)
            event(stack, logical_id, rtype, f"{op}_IN_PROGRESS")
            try:
                res = fn(logical_id, resource_json, resources_map, account_id, region_name)
            except Exception as e:
                if getattr(e, "_berth_attributed", False):
                    event(stack, logical_id, rtype, f"{op}_FAILED", reason="Resource creation cancelled")
                else:
                    event(stack, logical_id, rtype, f"{op}_FAILED", reason=_reason(e))
                    e._berth_attributed = True  # type: ignore[attr-defined]
                    e._berth_logical_id = logical_id  # type: ignore[attr-defined]
                raise
            if res is None and op == "UPDATE":
                # moto returns None for types without update support and then *drops* the
                # resource from the stack (a later Ref/GetAtt fails). Keep the original instead.
                res = resources_map._parsed_resources.get(logical_id)
            event(stack, logical_id, rtype, f"{op}_COMPLETE",
                  physical=str(getattr(res, "physical_resource_id", "") or ""))
            return res
        return inner

    parsing.parse_and_create_resource = wrap(parsing.parse_and_create_resource, "CREATE")
    parsing.parse_and_update_resource = wrap(parsing.parse_and_update_resource, "UPDATE")

    orig_delete_resource = parsing.ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        orig_delete_resource(self, parsed_resource, resource_json)  # raises on failure: moto retries
        stack = stack_of(self)
        lid = getattr(parsed_resource, "logical_resource_id", "")
        event(stack, lid, resource_json.get("Type", ""), "DELETE_IN_PROGRESS")
        event(stack, lid, resource_json.get("Type", ""), "DELETE_COMPLETE",
              physical=str(getattr(parsed_resource, "physical_resource_id", "") or ""))

    parsing.ResourceMap._delete_resource = _delete_resource

    B = cfm.CloudFormationBackend

    def fail_stack(stack, e, kind):
        failed = getattr(e, "_berth_logical_id", None)
        if kind == "CREATE":
            reason = (f"The following resource(s) failed to create: [{failed}]. Rollback requested by user."
                      if failed else _reason(e))
            event(stack, stack.name, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", stack.stack_id, reason)
            event(stack, stack.name, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", stack.stack_id)
            stack.status = "ROLLBACK_COMPLETE"
        else:
            reason = (f"The following resource(s) failed to update: [{failed}]." if failed else _reason(e))
            event(stack, stack.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", stack.stack_id, reason)
            event(stack, stack.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", stack.stack_id)
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
        stack.status_reason = reason
        log.info("stack %s failed: %s", stack.name, reason)

    patched_execute = B.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        cs = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None)
        if cs is not None and cs.execution_status != "AVAILABLE":
            raise cfm.ValidationError(message=f"ChangeSet [{cs.change_set_id}] cannot be executed in its "
                                              f"current status of [{cs.status}]")
        try:
            patched_execute(self, change_set_name, stack_name)
        except Exception as e:
            if cs is None:
                raise
            fail_stack(self.stacks[cs.stack_id], e, cs.change_set_type)
            cs.execution_status = "EXECUTE_FAILED"

    B.execute_change_set = execute_change_set

    orig_create_stack = B.create_stack

    def create_stack(self, name, *args, **kwargs):
        before = set(self.stacks)
        try:
            return orig_create_stack(self, name, *args, **kwargs)
        except Exception as e:
            new = [self.stacks[i] for i in set(self.stacks) - before]
            if not new:
                raise  # failed before the stack existed: a synchronous ValidationError, as on AWS
            fail_stack(new[0], e, "CREATE")
            return new[0]

    B.create_stack = create_stack

    orig_delete_stack = B.delete_stack

    def delete_stack(self, name_or_stack_id):
        stack = next((s for s in self.stacks.values()
                      if name_or_stack_id in (s.stack_id, s.name)), None)
        try:
            orig_delete_stack(self, name_or_stack_id)
        except Exception as e:
            if stack is None:
                raise
            self.stacks[stack.stack_id] = stack
            for ex in stack.exports:
                self.exports[ex.name] = ex
            stack.status = "DELETE_FAILED"
            stack.status_reason = _reason(e)
            event(stack, stack.name, "AWS::CloudFormation::Stack", "DELETE_FAILED", stack.stack_id,
                  _reason(e))
            log.info("stack %s delete failed: %s", stack.name, _reason(e))

    B.delete_stack = delete_stack

    patched_create_cs = B.create_change_set

    def create_change_set(self, *args, **kwargs):
        # moto creates a second stack of the same name for a CREATE change set, and answers
        # UPDATE on a ROLLBACK_COMPLETE stack with a 500. Answer as CloudFormation does.
        name = kwargs.get("stack_name", args[0] if args else None)
        cs_name = kwargs.get("change_set_name", args[1] if len(args) > 1 else None)
        cs_type = kwargs.get("change_set_type", args[5] if len(args) > 5 else None)
        live = next((s for s in self.stacks.values() if s.name == name), None)
        if live is not None and cs_type == "CREATE" and live.status == "REVIEW_IN_PROGRESS":
            self.stacks.pop(live.stack_id)  # a CREATE change set may be replaced before execution
            live = None
        if live is not None and cs_type == "CREATE":
            raise cfm.ValidationError(message=f"Stack [{name}] already exists and cannot be created "
                                              f"again with the changeSet [{cs_name}].")
        if live is not None and cs_type == "UPDATE" and live.status in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
            raise cfm.ValidationError(message=f"Stack:{live.stack_id} is in {live.status} state and can not be updated.")
        change_set_id, stack_id = patched_create_cs(self, *args, **kwargs)
        cs = self.change_sets[change_set_id]
        missing = sorted(n for n in _import_names(cs.template_dict) if n not in self.exports)
        if missing:
            cs.status = "FAILED"
            cs.execution_status = "UNAVAILABLE"
            cs.status_reason = f"No export named {missing[0]} found."
        return change_set_id, stack_id

    B.create_change_set = create_change_set


def _patch_failed_deletes() -> None:
    """A failed stack delete as CloudFormation ends it: each resource that could not be deleted
    gets its own DELETE_FAILED event with its reason (moto records only the stack's), and
    DeleteStack takes RetainResources for a stack in DELETE_FAILED (moto ignores the parameter),
    skipping those resources (DELETE_SKIPPED) so the delete completes without them."""
    from moto.cloudformation import models as cfm
    from moto.cloudformation import responses as cfr

    def event(stack, logical_id, rtype, status, physical="", reason=None):
        return cfm.Event(stack_id=stack.stack_id, stack_name=stack.name,
                         logical_resource_id=logical_id, physical_resource_id=physical,
                         resource_type=rtype, resource_status=status,
                         resource_status_reason=reason, resource_properties=None)

    previous_delete_resource = parsing.ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        logical_id = getattr(parsed_resource, "logical_resource_id", "")
        errors = self.__dict__.setdefault("_berth_delete_errors", {})
        try:
            previous_delete_resource(self, parsed_resource, resource_json)
        except Exception as e:
            errors[logical_id] = _reason(e)  # moto tries again; the last failure counts
            raise
        errors.pop(logical_id, None)

    parsing.ResourceMap._delete_resource = _delete_resource

    B = cfm.CloudFormationBackend
    previous_delete_stack = B.delete_stack

    def delete_stack(self, name_or_stack_id, retain=()):
        stack = next((s for s in self.stacks.values()
                      if name_or_stack_id in (s.stack_id, s.name)), None)
        if retain:
            if stack is None or stack.status != "DELETE_FAILED":
                raise cfm.ValidationError(
                    message=f"Invalid operation on stack [{name_or_stack_id}]. RetainResources "
                            "can only be specified when the stack is in the DELETE_FAILED state")
            templates = stack.resource_map._resource_json_map
            for logical_id in retain:
                if logical_id in templates:
                    templates[logical_id]["DeletionPolicy"] = "Retain"
                    stack.events.append(event(stack, logical_id, templates[logical_id].get("Type", ""),
                                              "DELETE_SKIPPED"))
        if stack is not None:
            stack.resource_map.__dict__["_berth_delete_errors"] = {}
        previous_delete_stack(self, name_or_stack_id)
        if stack is None or stack.status != "DELETE_FAILED":
            return
        templates = stack.resource_map._resource_json_map
        errors = stack.resource_map.__dict__.get("_berth_delete_errors", {})
        failed = [event(stack, logical_id, templates.get(logical_id, {}).get("Type", ""),
                        "DELETE_FAILED",
                        str(getattr(stack.resource_map._parsed_resources.get(logical_id),
                                    "physical_resource_id", "") or ""),
                        reason)
                  for logical_id, reason in sorted(errors.items())
                  if logical_id in stack.resource_map._parsed_resources]
        # Before the stack's own DELETE_FAILED, as CloudFormation orders them; once (moto's
        # delete by name calls this again by id).
        stack.events[-1:-1] = failed
        errors.clear()

    B.delete_stack = delete_stack

    def delete_stack_response(self):
        name = self._get_param("StackName")
        retain = self._get_param("RetainResources", [])
        self.cloudformation_backend.delete_stack(name, retain)
        return cfr.EmptyResult()

    cfr.CloudFormationResponse.delete_stack = delete_stack_response


def _refs(obj: Any) -> set[str]:
    """Logical ids a resource's JSON refers to (Ref, Fn::GetAtt, Fn::Sub ${X} / ${X.Attr})."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0] if isinstance(v, list) else str(v).split(".")[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                out |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!][^}]*)\}", text)}
                if not isinstance(v, str):
                    out |= _refs(v[1])
            else:
                out |= _refs(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= _refs(v)
    return out


def _patch_update_propagation() -> None:
    """moto's change-set diff is textual: a resource is updated only if its own JSON changed.
    When an update gives a resource a new physical id (e.g. a new task definition revision), the
    resources that Ref/GetAtt it (the ECS service) are not updated, so the service keeps running
    the old task definition. Re-apply those dependents, transitively, as CloudFormation does."""
    orig_update = parsing.ResourceMap.update

    def phys(r: Any) -> Any:
        return getattr(r, "physical_resource_id", None) if r is not None and not isinstance(r, (str, dict, list)) else None

    def update(self, template, parameters=None):
        before = {k: phys(v) for k, v in self._parsed_resources.items()}
        orig_update(self, template, parameters)
        resources = template.get("Resources", {})
        changed = {k for k, v in self._parsed_resources.items()
                   if k in before and before[k] is not None and phys(v) != before[k]}
        done: set[str] = set()
        while changed:
            dependents = [n for n, rj in resources.items()
                          if n not in done and n not in changed and n in self._parsed_resources
                          and _refs(rj) & changed]
            changed = set()
            for n in dependents:
                done.add(n)
                old = phys(self._parsed_resources[n])
                new = parsing.parse_and_update_resource(n, resources[n], self,
                                                        self._account_id, self._region_name)
                if new is not None:
                    self._parsed_resources[n] = new
                    if phys(new) != old:
                        changed.add(n)

    parsing.ResourceMap.update = update


def _patch_ecs_deployments() -> None:
    """moto's ECS service has one static deployment, created with the service; UpdateService
    changes taskDefinition but adds no deployment (and sets runningCount = desiredCount).
    Model a rolling deployment: a new PRIMARY deployment for the new task definition, the old
    one kept as ACTIVE until the new one completes. Completion follows MOTO_ECS_SERVICE_RUNNING
    (as moto does at create): COMPLETED at once when it is >= desiredCount, else IN_PROGRESS."""
    import os
    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.moto_api._internal import mock_random

    orig = EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        props = dict(service_properties)
        cluster = self._get_cluster(props.get("cluster", "default"))
        svc = self._get_service(cluster.name, props["service"].split("/")[-1])
        old_td = svc.task_definition
        result = orig(self, service_properties)
        new_td = result.task_definition
        force = props.get("force_new_deployment", False)
        if (new_td != old_td or force) and result.deployments:
            running = max(int(os.environ.get("MOTO_ECS_SERVICE_RUNNING", "0") or 0), 0)
            done = running >= result.desired_count
            dep_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
            now = utcnow()
            new = dict(result.deployments[0])
            new.update(id=dep_id, createdAt=now, updatedAt=now, taskDefinition=new_td, status="PRIMARY",
                       desiredCount=result.desired_count, runningCount=min(running, result.desired_count),
                       pendingCount=max(result.desired_count - running, 0),
                       rolloutState="COMPLETED" if done else "IN_PROGRESS",
                       rolloutStateReason=f"ECS deployment {dep_id} {'completed' if done else 'in progress'}.")
            old = [dict(d, status="ACTIVE") for d in result.deployments] if not done else []
            result.deployments = [new] + old
            result.running_count = new["runningCount"] + sum(d.get("runningCount", 0) for d in old)
            result.pending_count = new["pendingCount"]
        return result

    EC2ContainerServiceBackend.update_service = update_service


def _patch_ecs_task_definition() -> None:
    """moto registers a CloudFormation task definition with only family, containers, volumes
    and memory (no cpu, networkMode, requiresCompatibilities, role ARNs, runtimePlatform), and
    its update path passes PascalCase container definitions unconverted, so after an update
    DescribeTaskDefinition shows containers without name/image and networkMode "bridge".
    Register with every property, converted, on create and on update (a new revision)."""
    import json
    from moto.ecs.models import TaskDefinition, ecs_backends
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys

    def register(props, account_id, region_name):
        camel = lambda v: remap_nested_keys(v, pascal_to_camelcase) if v is not None else None  # noqa: E731
        td = ecs_backends[account_id][region_name].register_task_definition(
            family=props.get("Family") or f"task-definition-{uuid.uuid4().hex[:8]}",
            container_definitions=camel(props.get("ContainerDefinitions", [])),
            volumes=camel(props.get("Volumes", [])),
            network_mode=props.get("NetworkMode"),
            tags=[{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags", [])] or None,
            placement_constraints=camel(props.get("PlacementConstraints")),
            requires_compatibilities=props.get("RequiresCompatibilities"),
            cpu=props.get("Cpu"), memory=props.get("Memory"),
            task_role_arn=props.get("TaskRoleArn"), execution_role_arn=props.get("ExecutionRoleArn"),
            runtime_platform=camel(props.get("RuntimePlatform")),
            ipc_mode=props.get("IpcMode"), pid_mode=props.get("PidMode"),
            ephemeral_storage=camel(props.get("EphemeralStorage")))
        td._berth_props = json.dumps(props, sort_keys=True, default=str)
        return td

    @classmethod  # type: ignore[misc]
    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return register(cloudformation_json["Properties"], account_id, region_name)

    @classmethod  # type: ignore[misc]
    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        if getattr(original_resource, "_berth_props", None) == json.dumps(props, sort_keys=True, default=str):
            return original_resource
        ecs_backends[account_id][region_name].deregister_task_definition(original_resource.arn)
        return register(props, account_id, region_name)

    TaskDefinition.create_from_cloudformation_json = create
    TaskDefinition.update_from_cloudformation_json = update


def _import_names(obj: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "Fn::ImportValue" and isinstance(v, str):
                out.add(v)
            else:
                out |= _import_names(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= _import_names(v)
    return out


def _add_eks_pod_identity_routes() -> None:
    """GET /clusters/<name>/pod-identity-associations (ListPodIdentityAssociations), backed by
    the associations the PodIdentityAssociation stand-in created."""
    import json
    from moto.eks import urls
    from moto.eks.responses import EKSResponse

    def list_pod_identity_associations(self):
        name = self._get_param("name") or self.path.split("/")[2]
        items = [
            {k: v for k, v in a.items() if k in ("clusterName", "namespace", "serviceAccount",
                                                "associationArn", "associationId", "ownerArn")}
            for a in PodIdentityStore.items.get((self.current_account, self.region), {}).values()
            if a["clusterName"] == name
        ]
        return 200, {"Content-Type": "application/json"}, json.dumps({"associations": items})

    EKSResponse.list_pod_identity_associations = list_pod_identity_associations
    urls.url_paths["{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$"] = urls.response.dispatch

    def list_access_entries(self):
        name = self._get_param("name") or self.path.split("/")[2]
        entries = sorted(e["principalArn"] for e in
                         AccessEntryStore.items.get((self.current_account, self.region), {}).values()
                         if e["cluster"] == name)
        return 200, {"Content-Type": "application/json"}, json.dumps({"accessEntries": entries})

    EKSResponse.list_access_entries = list_access_entries
    urls.url_paths["{0}/clusters/(?P<name>[^/]+)/access-entries$"] = urls.response.dispatch


def _patch_change_set_parameters() -> None:
    """moto's change set diff ignores parameters (build_change_set_actions calls
    build_resource_diff without them), so a new parameter value alone (a new image digest) gives
    a change set with no Changes. Pass them, as CloudFormation does: resources that Ref a changed
    parameter are Modify, with Replacement left unknown (moto does not model it)."""
    from moto.cloudformation.models import Change, ChangeSet

    def diff(self):
        by_action = self.stack.resource_map.build_resource_diff(self.template_dict, self.parameters)
        resources = self.template_dict.get("Resources", {})
        old = self.stack.resource_map._resource_json_map
        changes = []
        for action in ("Add", "Modify", "Remove"):
            for name in dict.fromkeys(by_action[action]):
                source = resources.get(name) or old.get(name) or {}
                changes.append(Change(action=action, logical_resource_id=name,
                                      resource_type=source.get("Type", "")))
        return changes

    ChangeSet.diff = diff


def _patch_ssm_parameter_tags() -> None:
    """AWS::SSM::Parameter takes Tags as a map ({"team": "x"}); moto's CloudFormation support
    expects a list of Key/Value pairs and fails with "string indices must be integers"."""
    from moto.ssm.models import Parameter

    def as_list(cloudformation_json):
        props = cloudformation_json.get("Properties", {})
        if isinstance(props.get("Tags"), dict):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        return cloudformation_json

    orig_create = Parameter.create_from_cloudformation_json.__func__
    orig_update = Parameter.update_from_cloudformation_json.__func__

    @classmethod  # type: ignore[misc]
    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return orig_create(cls, resource_name, as_list(cloudformation_json), account_id, region_name,
                           **kwargs)

    @classmethod  # type: ignore[misc]
    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
               region_name):
        return orig_update(cls, original_resource, new_resource_name, as_list(cloudformation_json),
                           account_id, region_name)

    Parameter.create_from_cloudformation_json = create
    Parameter.update_from_cloudformation_json = update


def _patch_efs_access_point_attributes() -> None:
    """moto's EFS access point answers no Fn::GetAtt (AttributeError: no get_cfn_attribute):
    give it Arn and AccessPointId, as CloudFormation does."""
    from moto.efs.models import AccessPoint

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            return self.access_point_arn
        if attribute_name == "AccessPointId":
            return self.access_point_id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
        raise UnformattedGetAttTemplateException()

    AccessPoint.get_cfn_attribute = get_cfn_attribute
    AccessPoint.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Arn", "AccessPointId"))


def _patch_security_group_default_egress() -> None:
    """CloudFormation removes a new VPC security group's default allow-all egress rule when the
    template lists SecurityGroupEgress (templates list a dummy rule to get a group with no egress,
    then add their own rules); moto kept it, so a later AWS::EC2::SecurityGroupEgress allowing
    all traffic failed as a duplicate. Do as CloudFormation does."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    orig = SecurityGroup.create_from_cloudformation_json.__func__

    @classmethod  # type: ignore[misc]
    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        group = orig(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        rules = cloudformation_json.get("Properties", {}).get("SecurityGroupEgress")
        if rules is not None:
            group.egress_rules = []
            backend = ec2_backends[account_id][region_name]
            for rule in rules:
                try:
                    backend.authorize_security_group_egress(
                        group_name_or_id=group.id, ip_protocol=str(rule["IpProtocol"]),
                        from_port=rule.get("FromPort"), to_port=rule.get("ToPort"),
                        ip_ranges=[{"CidrIp": rule["CidrIp"]}] if rule.get("CidrIp") else [],
                        source_groups=[], vpc_id=group.vpc_id)
                except Exception as e:  # a rule moto cannot model: the group has no egress
                    log.info("security group egress %s: %s", rule, e)
        return group

    SecurityGroup.create_from_cloudformation_json = create


def _patch_ssm_parameter_values() -> None:
    """moto's DescribeStacks shows an SSM-typed parameter's resolved value as its ParameterValue
    (and a Python list for a List type). CloudFormation shows the SSM parameter's name as
    ParameterValue and the value as ResolvedValue (comma-joined for a list)."""
    from moto.cloudformation.models import Stack

    def parameter_list(self):
        resources = self.resource_map
        slots = (getattr(resources, "_template", None) or {}).get("Parameters") or {}
        hidden = getattr(resources, "no_echo_parameter_keys", [])
        out = []
        for key, value in resources.resolved_parameters.items():
            slot = slots.get(key) or {}
            joined = ",".join(map(str, value)) if isinstance(value, list) else value
            if key in hidden:
                out.append({"ParameterKey": key, "ParameterValue": "****"})
            elif str(slot.get("Type", "")).startswith("AWS::SSM::Parameter::"):
                given = (resources.input_parameters or {}).get(key, slot.get("Default"))
                out.append({"ParameterKey": key, "ParameterValue": given, "ResolvedValue": joined})
            else:
                out.append({"ParameterKey": key, "ParameterValue": joined})
        return out

    Stack.parameter_list = property(parameter_list)


def _patch_auth_error_format() -> None:
    """moto's IAM enforcement raises EC2-shaped XML (<ErrorResponse><Errors><Error>) for every
    service and call_action returns it as is, so the Rust SDK sees "unhandled error" where AWS
    sends AccessDenied. Reshape it as the service's protocol does."""
    import json
    from moto.core.responses import BaseResponse
    from werkzeug.exceptions import HTTPException

    orig = BaseResponse._authenticate_and_authorize_normal_action

    def authenticate(self, *args, **kwargs):
        try:
            return orig(self, *args, **kwargs)
        except HTTPException as error:
            code = getattr(error, "error_type", None)
            message = getattr(error, "message", "")
            if code is None:
                raise
            if self.headers.get("X-Amz-Target"):
                # awsJson: AccessDenied is AccessDeniedException (ECS, ECR, CloudWatch Logs…)
                json_code = "AccessDeniedException" if code == "AccessDenied" else code
                error.description = json.dumps({"__type": json_code, "message": message})
            elif getattr(self, "service_name", "") != "ec2":
                from xml.sax.saxutils import escape
                error.description = (
                    "<ErrorResponse><Error><Type>Sender</Type>"
                    f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
                    f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
            raise

    BaseResponse._authenticate_and_authorize_normal_action = authenticate


def install() -> None:
    parsing.clean_json = _clean_json
    _patch_kms_tags()
    _patch_execute_change_set()
    _patch_elbv2_attrs()
    _patch_ebs_default_size()
    _patch_deletes()
    _patch_events_and_failures()
    _patch_failed_deletes()
    _patch_update_propagation()
    _patch_ecs_deployments()
    _patch_ecs_task_definition()
    _patch_change_set_parameters()
    _patch_ssm_parameter_values()
    _patch_ssm_parameter_tags()
    _patch_efs_access_point_attributes()
    _patch_security_group_default_egress()
    _add_eks_pod_identity_routes()
    _patch_auth_error_format()
    for f in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        f.cache_clear()
    missing = [c.CFN_TYPE for c in (EksCluster, EksNodegroup, EksAddon, EksPodIdentityAssociation,
                                     EksAccessEntry,
                                     SdPrivateDnsNamespace, SdService, AasScalableTarget,
                                     AasScalingPolicy, EcsCapacityProvider,
                                     EcsClusterCapacityProviderAssociations,
                                     Ec2SecurityGroupEgress, SchedulerSchedule)
               if c.CFN_TYPE not in parsing.get_model_map()]
    assert not missing, missing


def _exit_with_parent() -> None:
    """With BERTH_SHIM_PARENT_PID set (the test binary that started the server), exit as soon as
    that process is gone, so no server outlives its tests."""
    import os
    import threading
    import time

    parent = int(os.environ.get("BERTH_SHIM_PARENT_PID", "0") or 0)
    if parent <= 0:
        return

    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except OSError:
                os._exit(0)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    _exit_with_parent()
    install()
    from moto.server import main
    main(sys.argv[1:])
