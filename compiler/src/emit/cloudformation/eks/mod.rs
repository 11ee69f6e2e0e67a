//! The CloudFormation of the `eks` target: the platform stack, with everything the Kubernetes
//! manifests of one workspace and environment share, and one Pod Identity stack per workload
//! that needs a pod role ([`pod_identity_stack`], deployed at [`crate::emit::contract::POD_IDENTITY_ORDER`]). The
//! manifests read both kinds of stack's outputs through `${berth:<OutputKey>}` placeholders (see
//! [`crate::emit::kubernetes`]); the platform exports, as `<platform stack>-<Key>`, what the Pod
//! Identity stacks import: the cluster name, the External Secrets controller's role ARN and the
//! file system id. Nothing in the platform stack grows with the number of workloads except ECR
//! repositories, so a workspace of any size stays within CloudFormation's limits.
//!
//! - The network, KMS key, log group (for flow logs), ECR repositories and EFS file system are
//!   the `ecs` platform's building blocks ([`super::platform`]); new subnets carry the role tags
//!   the AWS Load Balancer Controller discovers them by, and the EFS mount targets admit NFS from
//!   the cluster security group.
//! - `cluster`: for a new cluster, its role, the cluster (secrets encrypted with the key, every
//!   control-plane log type on), the node role and the managed node groups.
//! - `addons`: the managed add-ons of a new cluster, with the EFS CSI driver's Pod Identity.
//! - `load_balancer`: the AWS Load Balancer Controller's role on a new cluster, through Pod
//!   Identity.
//! - `identity`: the External Secrets Operator's role that reads secrets through the pod roles
//!   (platform), and each workload's pod role and Pod Identity association (its own stack).
//!
//! There is no load balancer (the controller creates one from the Ingresses), ECS cluster or
//! Cloud Map namespace.

mod access;
mod addons;
mod cluster;
mod identity;
mod load_balancer;
mod shared;
#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::emit::literal::value;

use super::platform::network::{self, SubnetRoles};
use super::platform::storage::{self, Mounts};
use super::platform::{Network, firewall};
use super::{Context, Template, attribute, reference, sub};
use crate::emit::contract::platform::{
    CLUSTER_NAME, CLUSTER_SECURITY_GROUP_PARAMETER, ECR_REGISTRY, FILE_SYSTEM, VPC_ID,
};
use crate::model::EksCluster;

pub use access::DEPLOYER_PARAMETER;
pub use addons::METRICS_SERVER;
pub use cluster::control_plane_log_group;
pub use identity::pod_identity_stack;
pub use load_balancer::{CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT};
pub use shared::{CLUSTER_TAG, cluster_name, shared_cluster_stack, shared_stack_name};

const FILE_SYSTEM_GROUP: &str = "FileSystemSecurityGroup";
/// The NFS port.
const NFS: u16 = 2049;

/// The shared infrastructure of one `eks` workspace and environment.
pub fn eks_platform_stack(context: &Context<'_>) -> Template {
    let workspace = context.workspace;
    let mut template = Template::new(format!(
        "berth eks platform of {} ({})",
        workspace.name.value, workspace.environment.value
    ));
    let uses = match workspace.eks.cluster {
        EksCluster::New { .. } => "logs, repositories, file systems and Kubernetes secrets",
        EksCluster::Existing(_) => storage::KEY_USES,
    };
    let encryption = storage::encryption(context, &mut template, uses);
    let network = network::network(context, &mut template, &encryption, SubnetRoles::Kubernetes);
    let cluster = match &workspace.eks.cluster {
        EksCluster::New {
            version,
            nodegroups,
            admins,
            public_access,
        } => {
            let cluster = cluster::new_cluster(
                context,
                &mut template,
                &network,
                &encryption,
                &cluster::Settings {
                    version: &version.value,
                    nodegroups,
                    public_access,
                },
            );
            access::access_entries(context, &mut template, &cluster, admins);
            addons::addons(context, &mut template, &cluster);
            load_balancer::load_balancer_controller(context, &mut template, &network, &cluster);
            cluster
        }
        EksCluster::Existing(name) => Cluster {
            name: Value::String(name.value.clone()),
            id: None,
            nodegroups: Vec::new(),
        },
    };
    storage::repositories(context, &mut template, &encryption);
    let file_system = (!context.volumes.is_empty())
        .then(|| volumes(context, &mut template, &encryption, &network, &cluster));
    export(context, &mut template, CLUSTER_NAME, cluster.name.clone());
    if let Some(file_system) = file_system {
        export(context, &mut template, FILE_SYSTEM, reference(file_system));
    }
    template.output(VPC_ID, network.vpc.clone(), None);
    if !context.repositories.is_empty() {
        template.output(
            ECR_REGISTRY,
            sub("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}"),
            None,
        );
    }
    template
}

/// Adds an output exported as `key`, with the key as its logical id.
fn export(context: &Context<'_>, template: &mut Template, key: &str, value: Value) {
    template.output(key, value, Some(context.export_name(key)));
}

/// The cluster the workloads run on.
struct Cluster {
    /// Its name: a reference to the new cluster, or the existing cluster's name.
    name: Value,
    /// The logical id of the new cluster; `None` for an existing one.
    id: Option<String>,
    /// The logical ids of the new cluster's node groups.
    nodegroups: Vec<String>,
}

impl Cluster {
    /// The security group EKS gives the cluster, which its managed nodes and their pods use: an
    /// attribute of a new cluster, or a parameter for an existing one.
    fn security_group(&self, template: &mut Template) -> Value {
        if let Some(id) = &self.id {
            return attribute(id, "ClusterSecurityGroupId");
        }
        template.parameter(
            CLUSTER_SECURITY_GROUP_PARAMETER,
            value!({
                "Type": "AWS::EC2::SecurityGroup::Id",
                "Description": "The security group EKS created for the existing cluster; the berth runtime fills it from eks:DescribeCluster (resourcesVpcConfig.clusterSecurityGroupId).",
            }),
        );
        reference(CLUSTER_SECURITY_GROUP_PARAMETER)
    }
}

/// The file system, its mount targets in the workload subnets, and their security group, which
/// admits NFS from the cluster security group only. Returns the file system's logical id.
fn volumes(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &super::platform::Encryption,
    network: &Network,
    cluster: &Cluster,
) -> &'static str {
    let prefix = context.naming.prefix();
    let cluster_group = cluster.security_group(template);
    let group = firewall::group(
        context,
        template,
        network,
        FILE_SYSTEM_GROUP,
        &format!("berth file system of {prefix}"),
        &format!("{prefix}-file-system"),
    );
    firewall::rule(
        template,
        "FileSystemIngressCluster",
        "AWS::EC2::SecurityGroupIngress",
        &group,
        value!({ "SourceSecurityGroupId": cluster_group }),
        value!({
            "IpProtocol": "tcp",
            "FromPort": NFS,
            "ToPort": NFS,
            "Description": "NFS from the cluster's nodes and pods",
        }),
    );
    // The EFS CSI driver mounts on the node without IAM, so mount-target clients are allowed;
    // the security group above decides who reaches a mount target.
    storage::file_system(
        context,
        template,
        encryption,
        &network.workload_subnets,
        &group,
        Mounts::ThroughMountTargets,
    )
}

/// A trust policy letting `service` assume a role with `actions`, under `condition` when given.
fn service_trust(service: &str, actions: &[&str], condition: Option<Value>) -> Value {
    let mut statement = value!({
        "Effect": "Allow",
        "Principal": { "Service": service },
        "Action": actions,
    });
    if let (Some(condition), Some(object)) = (condition, statement.as_object_mut()) {
        object.insert("Condition".into(), condition);
    }
    super::workload::policy_document(vec![statement])
}

/// The trust policy of a Pod Identity role: EKS Pod Identity may assume it (and tag the session)
/// only for `service_account` in `namespace`, checked against the session tags it adds. The
/// association decides the cluster.
fn pod_identity_trust(namespace: &str, service_account: &str) -> Value {
    service_trust(
        "pods.eks.amazonaws.com",
        &["sts:AssumeRole", "sts:TagSession"],
        Some(value!({
            "StringEquals": {
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }
        })),
    )
}
