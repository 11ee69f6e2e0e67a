//! IAM for the workloads through EKS Pod Identity: one stack per workload that has a `role` or
//! reads secrets ([`pod_identity_stack`]), with its pod role and the Pod Identity association with
//! its service account. These stacks import the cluster name and the file system id from the
//! platform (and the External Secrets controller's role ARN from the cluster's shared stack,
//! [`super::shared`]), so the platform stack does not grow with the number of workloads.

use serde_json::Value;

use crate::emit::literal::value;

use super::pod_identity_trust;
use super::shared::{CLUSTER_TAG, cluster_name, external_secrets_role, reads_secrets};
use crate::emit::cloudformation::workload::iam::{allow, role_trusting, secret_resource, unique};
use crate::emit::cloudformation::{Context, Template, attribute, tags};
use crate::emit::contract::platform as outputs;
use crate::emit::contract::pod_role_output;
use crate::model::{SecretSource, Workload};
use crate::naming::needs_pod_role;

/// The logical ids in a workload's Pod Identity stack.
const POD_ROLE: &str = "PodRole";
const POD_IDENTITY: &str = "PodIdentity";

/// The Pod Identity stack of `workload`, when it needs a pod role ([`needs_pod_role`]): the role,
/// trusted through Pod Identity for its service account (and by the External Secrets controller
/// when it reads secrets), allowed its `role` statements, its secrets, and the file system when
/// it mounts volumes; the association; and the role's ARN as output [`pod_role_output`].
pub fn pod_identity_stack(context: &Context<'_>, workload: &Workload) -> Option<Template> {
    if !needs_pod_role(workload) {
        return None;
    }
    let workspace = context.workspace;
    let name = workload.name.value.as_str();
    let namespace = workspace.eks.namespace.value.as_str();
    let mut template = Template::new(format!(
        "berth eks pod identity of {name} in {} ({})",
        workspace.name.value, workspace.environment.value
    ));
    let mut trust = pod_identity_trust(namespace, name);
    if reads_secrets(workload)
        && let Some(controller) = context
            .external_secrets_role
            .get_or_init(|| external_secrets_role(context))
            .clone()
        && let Some(statements) = trust["Statement"].as_array_mut()
    {
        statements.push(value!({
            "Effect": "Allow",
            "Principal": { "AWS": controller },
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }));
    }
    let allowed = crate::emit::cloudformation::workload::iam::user_statements(workload);
    let (parameters, secrets): (Vec<_>, Vec<_>) = workload
        .containers()
        .flat_map(|container| &container.secrets)
        .map(|secret| &secret.source.value)
        .partition(|source| matches!(source, SecretSource::Ssm { .. }));
    let mut reads = Vec::new();
    let parameters = unique(parameters.into_iter().map(secret_resource));
    if !parameters.is_empty() {
        reads.push(allow(
            &["ssm:GetParameter", "ssm:GetParameters"],
            parameters,
        ));
    }
    let secrets = unique(secrets.into_iter().map(secret_resource));
    if !secrets.is_empty() {
        reads.push(allow(&["secretsmanager:GetSecretValue"], secrets));
    }
    let mut volumes = Vec::new();
    if !workload.volumes.is_empty() {
        volumes.push(allow(
            &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            vec![value!({ "Fn::Sub": [
                "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/${FileSystem}",
                { "FileSystem": context.import(outputs::FILE_SYSTEM) },
            ] })],
        ));
    }
    role_trusting(
        &mut template,
        POD_ROLE,
        Some(context.naming.workload_role(name, "pod")),
        trust,
        &[],
        vec![
            ("workload", allowed),
            ("secrets", reads),
            ("volumes", volumes),
        ],
        pod_role_tags(context, name),
    );
    template.set_property(POD_ROLE, "Path", value!(context.naming.pod_role_path()));
    association(
        context,
        &mut template,
        &context.import(outputs::CLUSTER_NAME),
        POD_IDENTITY,
        (namespace, name),
        POD_ROLE,
        Some(name),
    );
    template.output(&pod_role_output(name), attribute(POD_ROLE, "Arn"), None);
    Some(template)
}

/// The pod role's tags: the workspace's and berth's, and the cluster's name, by which the
/// External Secrets controller's policy recognises the roles it may assume.
fn pod_role_tags(context: &Context<'_>, workload: &str) -> Value {
    let mut tags = tags(context.workspace, Some(workload));
    if let Some(list) = tags.as_array_mut() {
        list.push(value!({ "Key": CLUSTER_TAG, "Value": cluster_name(context) }));
        list.sort_by(|left, right| left["Key"].as_str().cmp(&right["Key"].as_str()));
    }
    tags
}

/// The Pod Identity association of `(namespace, service account)` with role `role` on the
/// cluster named `cluster`.
fn association(
    context: &Context<'_>,
    template: &mut Template,
    cluster: &Value,
    id: &str,
    (namespace, service_account): (&str, &str),
    role: &str,
    workload: Option<&str>,
) {
    template.resource(
        id,
        "AWS::EKS::PodIdentityAssociation",
        value!({
            "ClusterName": cluster,
            "Namespace": namespace,
            "ServiceAccount": service_account,
            "RoleArn": attribute(role, "Arn"),
            "Tags": tags(context.workspace, workload),
        }),
    );
}
