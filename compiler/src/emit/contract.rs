//! The contract between the `eks` stacks, the Kubernetes manifests and `manifest.json`: the deploy
//! order of each kind of artifact, the output key each stack defines and who reads it, and the
//! placeholder format. The CloudFormation emitter ([`super::cloudformation::eks`]) writes the
//! outputs, the Kubernetes emitter ([`super::kubernetes`]) writes the placeholders, and
//! [`super::manifest()`] pairs each placeholder with the one stack that outputs it; all three read
//! the names from here, so no key is spelled twice.
//!
//! | order | artifact | reads |
//! |---|---|---|
//! | [`PLATFORM_ORDER`] | the platform stack | — |
//! | [`CLUSTER_ORDER`] | the cluster's shared stack, when a workload reads secrets | — |
//! | [`POD_IDENTITY_ORDER`] | one Pod Identity stack per workload with a pod role | the platform's and the shared stack's exports |
//! | [`NAMESPACE_ORDER`] | `namespace.yaml` | placeholders |
//! | [`NAMESPACE_ORDER`] + depth | one manifest file per workload | placeholders |

use crate::naming::logical_id;

/// The deploy order of the platform stack: first.
pub const PLATFORM_ORDER: u32 = 0;

/// The deploy order of the cluster's shared stack: after the platform stack, which creates a new
/// cluster.
pub const CLUSTER_ORDER: u32 = PLATFORM_ORDER + 1;

/// The deploy order of the Pod Identity stacks: after the platform stack and the shared stack,
/// whose exports they import, and before the manifests, whose service accounts they give roles.
pub const POD_IDENTITY_ORDER: u32 = CLUSTER_ORDER + 1;

/// The deploy order of `namespace.yaml`, after every stack; each workload's manifest file
/// follows at this order plus its place in the `depends-on` order (1 for the first level).
pub const NAMESPACE_ORDER: u32 = POD_IDENTITY_ORDER + 1;

/// The label every Kubernetes object carries with its workspace's name. With
/// [`ENVIRONMENT_LABEL`] it says which build owns an object: the deploy step finds the objects
/// to prune, and `destroy` the objects to delete, by these two labels (`manifest.json` lists
/// them under `eks.labels`), so two environments on one cluster never touch each other's.
pub const WORKSPACE_LABEL: &str = "berth/workspace";

/// The label every Kubernetes object carries with its environment's name.
pub const ENVIRONMENT_LABEL: &str = "berth/environment";

/// Every `(apiVersion, kind)` the Kubernetes emitter writes. The deploy step lists objects of
/// each kind by the owner labels to prune what a build no longer declares, even a kind the new
/// build does not use at all; a test keeps this list and the emitter in step.
pub const APPLIED_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("v1", "ServiceAccount"),
    ("external-secrets.io/v1", "SecretStore"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "CronJob"),
    ("v1", "Service"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
];

/// Output keys of the platform stack. Those marked *exported* are also exported as
/// `<platform stack>-<Key>` for the Pod Identity stacks to import.
pub mod platform {
    /// The cluster name (exported): the Pod Identity associations name it.
    pub const CLUSTER_NAME: &str = "ClusterName";
    /// The EFS file system id (exported, only when a volume exists): the pod roles of volume
    /// users may mount it, and the storage class (`namespace.yaml`) provisions on it.
    pub const FILE_SYSTEM: &str = "FileSystemId";
    /// The VPC id: what a load balancer controller installed by hand needs as `vpcId`.
    pub const VPC_ID: &str = "VpcId";
    /// The account's ECR registry host (`<account>.dkr.ecr.<region>.<suffix>`), only when the
    /// workspace owns a repository: the images of owned repositories are pulled from it.
    pub const ECR_REGISTRY: &str = "EcrRegistry";
    /// The parameter an existing cluster's security group is passed in by (not an output): the
    /// runtime fills it from `eks:DescribeCluster`.
    pub const CLUSTER_SECURITY_GROUP_PARAMETER: &str = "ClusterSecurityGroupId";
}

/// Output keys of the cluster's shared stack, exported as `<shared stack>-<Key>`.
pub mod cluster {
    /// The External Secrets controller's role ARN: the pod roles of secret readers trust it.
    pub const EXTERNAL_SECRETS_ROLE: &str = "ExternalSecretsRoleArn";
}

/// The output key of a workload's pod role ARN in its Pod Identity stack; its `SecretStore`s
/// read it.
pub fn pod_role_output(workload: &str) -> String {
    logical_id(&["PodRole", workload, "Arn"])
}

/// The placeholder the manifests carry for the stack output `output_key`.
pub fn placeholder(output_key: &str) -> String {
    format!("{PLACEHOLDER_START}{output_key}}}")
}

/// What every placeholder starts with.
const PLACEHOLDER_START: &str = "${berth:";

/// The output keys of every placeholder in `text`, in order of appearance.
pub fn placeholder_keys(text: &str) -> impl Iterator<Item = &str> {
    text.split(PLACEHOLDER_START)
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(key, _)| key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_round_trip() {
        let text = format!(
            "a: {}\nb: {}\n",
            placeholder("FileSystemId"),
            placeholder(&pod_role_output("web-api"))
        );
        assert_eq!(
            placeholder_keys(&text).collect::<Vec<_>>(),
            ["FileSystemId", "PodRoleWebApiArn"]
        );
    }
}
