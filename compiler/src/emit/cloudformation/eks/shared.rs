//! What every workspace and environment on one EKS cluster shares, in one stack per cluster
//! ([`shared_cluster_stack`], named by [`crate::naming::shared_cluster_stack`]): the External
//! Secrets controller's role and its Pod Identity association. EKS allows one association per
//! service account, so a second workspace or environment on the cluster must not create it again;
//! every build for the cluster emits this stack byte for byte the same (nothing in it depends on
//! the workspace), so deploying it again changes nothing.
//!
//! The controller's role may assume (and tag the session of: Pod Identity's session tags are
//! transitive) any berth pod role (IAM path `/berth/…`) tagged with this cluster's name; only the
//! pod roles of workloads that read secrets trust the controller's role, so only those can
//! actually be assumed, and its policy keeps one size however many workspaces share the cluster.

use serde_json::Value;

use crate::emit::literal::value;

use super::pod_identity_trust;
use crate::emit::cloudformation::workload::iam::role_trusting;
use crate::emit::cloudformation::{Context, Template, attribute, import, sub};
use crate::emit::contract::cluster as outputs;
use crate::model::{EksCluster, Workload};

/// The namespace and service account of the External Secrets Operator's controller (its Helm
/// chart's defaults).
pub(super) const EXTERNAL_SECRETS: &str = "external-secrets";
/// The tag naming the cluster a pod role belongs to, which the controller's policy requires.
pub const CLUSTER_TAG: &str = "berth:eks-cluster";
const EXTERNAL_SECRETS_ROLE: &str = "ExternalSecretsRole";

/// Whether a workload's containers read any secret.
pub(super) fn reads_secrets(workload: &Workload) -> bool {
    workload
        .containers()
        .any(|container| !container.secrets.is_empty())
}

/// The name of the cluster the workloads run on: the one berth creates (`<workspace>-<env>`),
/// or the existing one.
pub fn cluster_name(context: &Context<'_>) -> String {
    match &context.workspace.eks.cluster {
        EksCluster::New { .. } => context.naming.prefix(),
        EksCluster::Existing(name) => name.value.clone(),
    }
}

/// The shared stack's name, when this build has one: when a workload reads secrets and the
/// workspace does not name the role of an External Secrets controller the cluster already runs.
pub fn shared_stack_name(context: &Context<'_>) -> Option<String> {
    let workspace = context.workspace;
    (workspace.workloads.iter().any(reads_secrets) && workspace.eks.external_secrets_role.is_none())
        .then(|| crate::naming::shared_cluster_stack(&cluster_name(context)))
}

/// The External Secrets controller's role ARN, for the pod roles to trust: the role named in
/// the workspace, or the shared stack's export. `None` when no workload reads secrets.
pub(super) fn external_secrets_role(context: &Context<'_>) -> Option<Value> {
    if let Some(role) = &context.workspace.eks.external_secrets_role {
        return Some(value!(&role.value));
    }
    shared_stack_name(context)
        .map(|stack| import(&format!("{stack}-{}", outputs::EXTERNAL_SECRETS_ROLE)))
}

/// The `[{Key, Value}]` tags of the shared stack's resources: the cluster's name only.
fn cluster_tags(cluster: &str) -> Value {
    value!([{ "Key": CLUSTER_TAG, "Value": cluster }])
}

/// The shared stack of the cluster, when this build has one ([`shared_stack_name`]).
pub fn shared_cluster_stack(context: &Context<'_>) -> Option<Template> {
    let stack = shared_stack_name(context)?;
    let cluster = cluster_name(context);
    let mut template = Template::new(format!(
        "berth: what every workspace on the EKS cluster {cluster} shares"
    ));
    let assume_pod_roles = value!({
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Resource": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/berth/*"),
        "Condition": { "StringEquals": { format!("aws:ResourceTag/{CLUSTER_TAG}"): &cluster } },
    });
    role_trusting(
        &mut template,
        EXTERNAL_SECRETS_ROLE,
        None,
        pod_identity_trust(EXTERNAL_SECRETS, EXTERNAL_SECRETS),
        &[],
        vec![("assume-pod-roles", vec![assume_pod_roles])],
        cluster_tags(&cluster),
    );
    template.resource(
        "ExternalSecretsPodIdentity",
        "AWS::EKS::PodIdentityAssociation",
        value!({
            "ClusterName": &cluster,
            "Namespace": EXTERNAL_SECRETS,
            "ServiceAccount": EXTERNAL_SECRETS,
            "RoleArn": attribute(EXTERNAL_SECRETS_ROLE, "Arn"),
            "Tags": cluster_tags(&cluster),
        }),
    );
    template.output(
        outputs::EXTERNAL_SECRETS_ROLE,
        attribute(EXTERNAL_SECRETS_ROLE, "Arn"),
        Some(format!("{stack}-{}", outputs::EXTERNAL_SECRETS_ROLE)),
    );
    Some(template)
}
