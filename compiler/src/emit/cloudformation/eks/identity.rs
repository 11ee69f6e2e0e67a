//! IAM for the workloads through EKS Pod Identity.
//!
//! - In the platform stack: the role of the External Secrets Operator's controller, which reads
//!   each workload's secrets by assuming that workload's pod role (the `SecretStore`s name it).
//! - In one stack per workload that has a `role` or reads secrets ([`pod_identity_stack`]): its
//!   pod role and the Pod Identity association with its service account. These stacks import the
//!   cluster name, the controller's role ARN and the file system id from the platform, so the
//!   platform stack does not grow with the number of workloads.

use serde_json::{Value, json};

use super::{Cluster, pod_identity_trust};
use crate::emit::cloudformation::workload::iam::{allow, role_trusting, secret_resource, unique};
use crate::emit::cloudformation::{Context, Template, attribute, sub, tags};
use crate::emit::contract::platform as outputs;
use crate::emit::contract::pod_role_output;
use crate::model::{SecretSource, Workload};
use crate::naming::needs_pod_role;

/// The namespace and service account of the External Secrets Operator's controller (its Helm
/// chart's defaults).
const EXTERNAL_SECRETS: &str = "external-secrets";
const EXTERNAL_SECRETS_ROLE: &str = "ExternalSecretsRole";
/// The logical ids in a workload's Pod Identity stack.
const POD_ROLE: &str = "PodRole";
const POD_IDENTITY: &str = "PodIdentity";

/// Whether a workload's containers read any secret.
fn reads_secrets(workload: &Workload) -> bool {
    workload
        .containers()
        .any(|container| !container.secrets.is_empty())
}

/// The controller's role, trusted through Pod Identity for `external-secrets/external-secrets`,
/// and its association, when any workload reads secrets; returns the role's ARN. The role may
/// assume (and tag the session of: Pod Identity's session tags are transitive) the pod roles of
/// this workspace, environment and region, named by their IAM path (`role/berth/…/pod/*`) rather
/// than listed, so its policy keeps one size however many workloads there are. Only the pod roles
/// of workloads that read secrets trust this role, so only those can actually be assumed.
pub(super) fn external_secrets(
    context: &Context<'_>,
    template: &mut Template,
    cluster: &Cluster,
) -> Option<Value> {
    if !context.workspace.workloads.iter().any(reads_secrets) {
        return None;
    }
    let pod_roles = sub(&format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{}*",
        context.naming.pod_role_path()
    ));
    role_trusting(
        template,
        EXTERNAL_SECRETS_ROLE,
        None,
        pod_identity_trust(EXTERNAL_SECRETS, EXTERNAL_SECRETS),
        &[],
        vec![(
            "assume-pod-roles",
            vec![allow(
                &["sts:AssumeRole", "sts:TagSession"],
                vec![pod_roles],
            )],
        )],
        tags(context.workspace, None),
    );
    association(
        context,
        template,
        &cluster.name,
        "ExternalSecretsPodIdentity",
        (EXTERNAL_SECRETS, EXTERNAL_SECRETS),
        EXTERNAL_SECRETS_ROLE,
        None,
    );
    Some(attribute(EXTERNAL_SECRETS_ROLE, "Arn"))
}

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
        && let Some(statements) = trust["Statement"].as_array_mut()
    {
        statements.push(json!({
            "Effect": "Allow",
            "Principal": { "AWS": context.import(outputs::EXTERNAL_SECRETS_ROLE) },
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
            vec![json!({ "Fn::Sub": [
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
        tags(workspace, Some(name)),
    );
    template.set_property(POD_ROLE, "Path", json!(context.naming.pod_role_path()));
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
        json!({
            "ClusterName": cluster,
            "Namespace": namespace,
            "ServiceAccount": service_account,
            "RoleArn": attribute(role, "Arn"),
            "Tags": tags(context.workspace, workload),
        }),
    );
}
