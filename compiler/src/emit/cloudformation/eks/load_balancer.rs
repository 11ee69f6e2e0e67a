//! The AWS Load Balancer Controller's IAM on a new cluster: a role its service account
//! (`kube-system/aws-load-balancer-controller`, the Helm chart's default) assumes through Pod
//! Identity, allowed what the controller does to turn Ingresses into an application load
//! balancer — and, through conditions, only on the load balancers, target groups and security
//! groups it tagged for this cluster, and on the security groups of this cluster's VPC. No EKS
//! add-on installs the controller itself; the deploy step installs or checks it
//! (`manifest.json`'s `eks.requirements`).
//!
//! The actions follow what the controller calls (its documented IAM policy), less what serves
//! features berth does not configure (customer-owned and IPAM address pools, mutual TLS trust
//! stores); the resources and conditions are narrower: one region and account, and the cluster's
//! tag value rather than any.

use serde_json::Value;

use crate::emit::literal::value;

use super::{Cluster, pod_identity_trust};
use crate::emit::cloudformation::platform::{Network, workspace_tags};
use crate::emit::cloudformation::workload::iam::{allow, role_trusting};
use crate::emit::cloudformation::{Context, Template, attribute, sub};

/// The controller's namespace.
pub const CONTROLLER_NAMESPACE: &str = "kube-system";
/// The controller's service account, and its Deployment's name.
pub const CONTROLLER_SERVICE_ACCOUNT: &str = "aws-load-balancer-controller";
const ROLE: &str = "LoadBalancerControllerRole";
/// The tag the controller puts on everything it creates, with the cluster's name as its value.
const CLUSTER_TAG: &str = "elbv2.k8s.aws/cluster";

/// The controller's role and its Pod Identity association.
pub(super) fn load_balancer_controller(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
    cluster: &Cluster,
) {
    role_trusting(
        template,
        ROLE,
        None,
        pod_identity_trust(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT),
        &[],
        vec![("load-balancer-controller", statements(network, cluster))],
        workspace_tags(context),
    );
    template.resource(
        "LoadBalancerControllerPodIdentity",
        "AWS::EKS::PodIdentityAssociation",
        value!({
            "ClusterName": cluster.name.clone(),
            "Namespace": CONTROLLER_NAMESPACE,
            "ServiceAccount": CONTROLLER_SERVICE_ACCOUNT,
            "RoleArn": attribute(ROLE, "Arn"),
            "Tags": workspace_tags(context),
        }),
    );
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
fn arn(service: &str, resource: &str) -> Value {
    sub(&format!(
        "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
    ))
}

/// Every resource of the controller's making: its application load balancers, their listeners
/// and rules, and target groups.
fn load_balancing(kinds: &[&str]) -> Vec<Value> {
    kinds
        .iter()
        .map(|kind| arn("elasticloadbalancing", kind))
        .collect()
}

fn with_condition(mut statement: Value, condition: Value) -> Value {
    statement["Condition"] = condition;
    statement
}

/// The policy's statements.
fn statements(network: &Network, cluster: &Cluster) -> Vec<Value> {
    let tagged_for_cluster =
        |key: &str| value!({ format!("{key}/{CLUSTER_TAG}"): cluster.name.clone() });
    let resource_tagged = value!({ "StringEquals": tagged_for_cluster("aws:ResourceTag") });
    let request_tagged = value!({ "StringEquals": tagged_for_cluster("aws:RequestTag") });
    let vpc = value!({ "Fn::Sub": [
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${Vpc}",
        { "Vpc": network.vpc.clone() },
    ] });
    let security_groups = arn("ec2", "security-group/*");
    let balancers = load_balancing(&["loadbalancer/app/*/*"]);
    let target_groups = load_balancing(&["targetgroup/*/*"]);
    let mut owned = balancers.clone();
    owned.extend(target_groups.clone());
    let listeners = load_balancing(&[
        "loadbalancer/app/*/*",
        "listener/app/*/*/*",
        "listener-rule/app/*/*/*",
    ]);
    vec![
        // The first load balancer of the account creates ELB's service-linked role.
        with_condition(
            allow(
                &["iam:CreateServiceLinkedRole"],
                vec![sub(
                    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
                )],
            ),
            value!({ "StringEquals": { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } }),
        ),
        // Discovery: subnets, security groups, certificates, and the load balancers' state.
        // None of these reads has resource-level permissions.
        allow(
            &[
                "acm:DescribeCertificate",
                "acm:ListCertificates",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeCapacityReservation",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
                "iam:GetServerCertificate",
                "iam:ListServerCertificates",
                "shield:DescribeProtection",
                "shield:GetSubscriptionState",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
            ],
            vec![value!("*")],
        ),
        // Its load balancers' security groups, created in the cluster's VPC and tagged for the
        // cluster as they are created.
        allow(&["ec2:CreateSecurityGroup"], vec![vpc.clone()]),
        with_condition(
            allow(&["ec2:CreateSecurityGroup"], vec![security_groups.clone()]),
            request_tagged.clone(),
        ),
        with_condition(
            allow(&["ec2:CreateTags"], vec![security_groups.clone()]),
            value!({ "StringEquals": {
                "ec2:CreateAction": "CreateSecurityGroup",
                format!("aws:RequestTag/{CLUSTER_TAG}"): cluster.name.clone(),
            } }),
        ),
        with_condition(
            allow(
                &[
                    "ec2:CreateTags",
                    "ec2:DeleteSecurityGroup",
                    "ec2:DeleteTags",
                ],
                vec![security_groups.clone()],
            ),
            resource_tagged.clone(),
        ),
        // Rules on the VPC's security groups (its own, and the nodes' that admit its traffic).
        with_condition(
            allow(
                &[
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                ],
                vec![security_groups],
            ),
            value!({ "ArnEquals": { "ec2:Vpc": vpc } }),
        ),
        // Load balancers and target groups, tagged for the cluster as they are created.
        with_condition(
            allow(
                &[
                    "elasticloadbalancing:CreateLoadBalancer",
                    "elasticloadbalancing:CreateTargetGroup",
                ],
                owned.clone(),
            ),
            request_tagged.clone(),
        ),
        with_condition(
            allow(&["elasticloadbalancing:AddTags"], owned.clone()),
            value!({ "StringEquals": {
                "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"],
                format!("aws:RequestTag/{CLUSTER_TAG}"): cluster.name.clone(),
            } }),
        ),
        // Changing and deleting only what carries the cluster's tag.
        with_condition(
            allow(
                &[
                    "elasticloadbalancing:AddTags",
                    "elasticloadbalancing:DeleteLoadBalancer",
                    "elasticloadbalancing:DeleteTargetGroup",
                    "elasticloadbalancing:ModifyCapacityReservation",
                    "elasticloadbalancing:ModifyLoadBalancerAttributes",
                    "elasticloadbalancing:ModifyTargetGroup",
                    "elasticloadbalancing:ModifyTargetGroupAttributes",
                    "elasticloadbalancing:RemoveTags",
                    "elasticloadbalancing:SetIpAddressType",
                    "elasticloadbalancing:SetSecurityGroups",
                    "elasticloadbalancing:SetSubnets",
                ],
                owned,
            ),
            resource_tagged,
        ),
        // Listeners and rules of application load balancers (created on a load balancer, and
        // without tags of their own until then), and the pods registered in its target groups.
        allow(
            &[
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:RemoveTags",
            ],
            listeners,
        ),
        allow(
            &[
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:RegisterTargets",
            ],
            target_groups,
        ),
    ]
}
