//! A new cluster: the cluster role, the cluster itself with its control-plane log group, the
//! node role and the managed node groups.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::{Cluster, service_trust};
use crate::emit::cloudformation::platform::storage::{RETENTION_DAYS, unique_id};
use crate::emit::cloudformation::platform::{Encryption, Network, depends_on, workspace_tags};
use crate::emit::cloudformation::workload::iam::{allow, role_trusting};
use crate::emit::cloudformation::{Context, Template, attribute, logical_id, reference, tags};
use crate::model::{EksCluster, Nodegroup};
use crate::source::Spanned;

const CLUSTER: &str = "Cluster";
const CLUSTER_ROLE: &str = "ClusterRole";
const NODE_ROLE: &str = "NodeRole";
const CONTROL_PLANE_LOGS_GROUP: &str = "ControlPlaneLogGroup";

/// What the file says about a new cluster.
pub(super) struct Settings<'a> {
    /// The Kubernetes version.
    pub version: &'a str,
    /// The managed node groups.
    pub nodegroups: &'a [Nodegroup],
    /// The CIDR blocks allowed to reach the public endpoint; empty for anywhere.
    pub public_access: &'a [Spanned<String>],
}

/// The log group EKS writes a new cluster's control-plane logs to, `/aws/eks/<cluster>/cluster`;
/// `None` for an existing cluster, whose logs are its owner's.
pub fn control_plane_log_group(context: &Context<'_>) -> Option<String> {
    match context.workspace.eks.cluster {
        EksCluster::New { .. } if context.workspace.target.value == crate::model::Target::Eks => {
            Some(format!("/aws/eks/{}/cluster", context.naming.prefix()))
        }
        _ => None,
    }
}

/// Every control-plane log type, sent to `/aws/eks/<cluster>/cluster`.
const CONTROL_PLANE_LOGS: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The cluster role, the control-plane log group, the cluster, the node role and one managed
/// node group per node group of `settings`.
pub(super) fn new_cluster(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
    encryption: &Encryption,
    settings: &Settings<'_>,
) -> Cluster {
    let Settings {
        version,
        nodegroups,
        public_access,
    } = *settings;
    let naming = context.naming;
    // The control plane envelope-encrypts Kubernetes secrets with the workspace key.
    let secrets_encryption = allow(
        &[
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:ListGrants",
        ],
        vec![encryption.key_arn.clone()],
    );
    role_trusting(
        template,
        CLUSTER_ROLE,
        Some(naming.platform_role("cluster")),
        service_trust("eks.amazonaws.com", &["sts:AssumeRole"], None),
        &["AmazonEKSClusterPolicy"],
        vec![("secrets-encryption", vec![secrets_encryption])],
        workspace_tags(context),
    );
    // The control plane's network interfaces go in every subnet given: the public ones and the
    // ones nodes run in (the same subnets when there is no NAT).
    let mut subnets: Vec<Value> = network.public_subnets.clone();
    for subnet in &network.workload_subnets {
        if !subnets.contains(subnet) {
            subnets.push(subnet.clone());
        }
    }
    let logs: Vec<Value> = CONTROL_PLANE_LOGS
        .iter()
        .map(|kind| value!({ "Type": kind }))
        .collect();
    // EKS writes to this group when it exists, so it keeps logs for the retention berth sets,
    // encrypted with the workspace key, instead of creating one that keeps them forever.
    if let Some(name) = control_plane_log_group(context) {
        template.resource_with(
            CONTROL_PLANE_LOGS_GROUP,
            "AWS::Logs::LogGroup",
            value!({
                "LogGroupName": name,
                "RetentionInDays": RETENTION_DAYS,
                "KmsKeyId": encryption.key_arn.clone(),
                "Tags": workspace_tags(context),
            }),
            value!({ "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete" }),
        );
    }
    let mut endpoint = value!({
        "SubnetIds": subnets,
        "EndpointPublicAccess": true,
        "EndpointPrivateAccess": true,
    });
    if !public_access.is_empty() {
        endpoint["PublicAccessCidrs"] = public_access
            .iter()
            .map(|block| Value::String(block.value.clone()))
            .collect();
    }
    template.resource_with(
        CLUSTER,
        "AWS::EKS::Cluster",
        value!({
            "Name": naming.prefix(),
            "Version": version,
            "RoleArn": attribute(CLUSTER_ROLE, "Arn"),
            "ResourcesVpcConfig": endpoint,
            "Logging": { "ClusterLogging": { "EnabledTypes": logs } },
            "EncryptionConfig": [{
                "Provider": { "KeyArn": encryption.key_arn.clone() },
                "Resources": ["secrets"],
            }],
            // Access entries only (no aws-auth ConfigMap), and no implicit admin for whoever
            // created the cluster: the deployer and the `admins` get explicit access entries
            // ([`super::access`]), so access does not depend on which identity ran CloudFormation.
            "AccessConfig": {
                "AuthenticationMode": "API",
                "BootstrapClusterCreatorAdminPermissions": false,
            },
            // Extended support, explicitly: at the end of standard support EKS then leaves the
            // control plane at the version the template names (berth warns while it costs more)
            // instead of upgrading it under the template and the node groups.
            "UpgradePolicy": { "SupportType": "EXTENDED" },
            "Tags": workspace_tags(context),
        }),
        value!({ "DependsOn": [CONTROL_PLANE_LOGS_GROUP] }),
    );
    role_trusting(
        template,
        NODE_ROLE,
        Some(naming.platform_role("node")),
        service_trust("ec2.amazonaws.com", &["sts:AssumeRole"], None),
        &[
            "AmazonEKSWorkerNodePolicy",
            "AmazonEC2ContainerRegistryPullOnly",
            "AmazonEKS_CNI_Policy",
        ],
        Vec::new(),
        workspace_tags(context),
    );
    let tag_map = tag_map(&tags(context.workspace, None));
    let mut used = BTreeSet::new();
    let mut ids = Vec::new();
    for group in nodegroups {
        let id = unique_id(&mut used, &logical_id(&["Nodegroup", &group.name.value]));
        template.resource_with(
            &id,
            "AWS::EKS::Nodegroup",
            value!({
                "ClusterName": reference(CLUSTER),
                "NodegroupName": naming.nodegroup(group, &context.workspace.network),
                "NodeRole": attribute(NODE_ROLE, "Arn"),
                "Subnets": &network.workload_subnets,
                "ScalingConfig": {
                    "MinSize": group.min,
                    "DesiredSize": group.desired,
                    "MaxSize": group.max,
                },
                "InstanceTypes": [&group.instance_type],
                // The cluster's version: when it is raised, CloudFormation updates the control
                // plane first (the node group refers to it), then rolls the nodes to match.
                "Version": version,
                "AmiType": ami_type(&group.instance_type),
                "UpdateConfig": { "MaxUnavailable": 1 },
                "Tags": tag_map.clone(),
            }),
            // Nodes join once they can reach EKS and the registries, and leave before their
            // route goes.
            depends_on(network.workload_routes.iter()),
        );
        ids.push(id);
    }
    Cluster {
        name: reference(CLUSTER),
        id: Some(CLUSTER.to_owned()),
        nodegroups: ids,
    }
}

/// A `[{Key, Value}]` tag list as the `{Key: Value}` map node groups take.
fn tag_map(tags: &Value) -> Value {
    let map: Map<String, Value> = tags
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| Some((tag["Key"].as_str()?.to_owned(), tag["Value"].clone())))
        .collect();
    Value::Object(map)
}

/// The Amazon Linux 2023 AMI type for `instance_type`: ARM for Graviton families (a `g` among
/// the attribute letters after the generation, as in `t4g`, `c7gn`, `m6gd`, `g5g`, and `a1`),
/// x86-64 otherwise.
pub(super) fn ami_type(instance_type: &str) -> &'static str {
    let family = instance_type.split('.').next().unwrap_or_default();
    let attributes = family
        .trim_start_matches(|character: char| character.is_ascii_alphabetic())
        .trim_start_matches(|character: char| character.is_ascii_digit())
        .split('-')
        .next()
        .unwrap_or_default();
    if family == "a1" || attributes.contains('g') {
        "AL2023_ARM_64_STANDARD"
    } else {
        "AL2023_x86_64_STANDARD"
    }
}
