//! Kubernetes manifests for the `eks` target: typed objects (k8s-openapi) written as
//! deterministic multi-document YAML, one file per workload plus `namespace.yaml`.
//!
//! Values only AWS knows after the stacks are created (IAM role ARNs, the EFS file system id,
//! the ECR registry host) are written as placeholders `${berth:<OutputKey>}`; `manifest.json`
//! lists each with the stack output that fills it — a workload's pod role ARN comes from its Pod
//! Identity stack, the rest from the platform stack — and the runtime substitutes them before
//! applying. Every manifest is applied after every stack.
//!
//! - [`emit_kubernetes`]: every manifest file of an `eks` workspace.
//! - `namespace.yaml` (order [`NAMESPACE_ORDER`], from [`crate::emit::contract`]): the namespace, and the EFS storage class when
//!   a volume exists.
//! - `<kind>-<name>.yaml` ([`NAMESPACE_ORDER`] + the workload's deploy order): its service
//!   account, secret stores and external secret, volume claims, `Deployment` or `CronJob`,
//!   `Service`, autoscaler, disruption budget and Ingresses, in that order.

mod networking;
mod pod;
mod requirements;
mod scaling;
mod secrets;
mod workload;

#[cfg(test)]
mod tests;

pub use requirements::{applied_kinds, requirements, requirements_for};

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use super::{Artifact, ArtifactKind, deploy_orders, text};
use crate::emit::contract::platform::FILE_SYSTEM;
use crate::emit::contract::{ENVIRONMENT_LABEL, NAMESPACE_ORDER, WORKSPACE_LABEL, placeholder};
use crate::model::{Workload, Workspace};
use crate::naming::Naming;

/// The label every object carries with its workload's name.
const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The label every object carries with the workspace's name.
const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// The label every object carries to say berth manages it.
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The label saying whether a workload is a service, worker or job.
const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// Every Kubernetes artifact of an `eks` workspace: `namespace.yaml`, then one file per workload.
pub fn emit_kubernetes(workspace: &Workspace) -> Vec<Artifact> {
    let mut files = Vec::new();
    emit_kubernetes_each(workspace, &mut |artifact| files.push(artifact));
    files
}

/// [`emit_kubernetes`], handing each artifact to `deliver` as soon as it is built
/// (`namespace.yaml`, then each workload's file in file order); returns the kinds of the
/// objects it rendered.
pub fn emit_kubernetes_each(
    workspace: &Workspace,
    deliver: &mut dyn FnMut(Artifact),
) -> BTreeSet<String> {
    let context = Context::new(workspace);
    let orders = deploy_orders(workspace);
    let mut kinds = BTreeSet::new();
    let namespace = namespace_documents(&context);
    add_kinds(&mut kinds, &namespace);
    deliver(Artifact {
        path: "namespace.yaml".to_owned(),
        kind: ArtifactKind::Kubernetes,
        stack: None,
        order: NAMESPACE_ORDER,
        content: render(&namespace),
        outputs: Vec::new(),
        retained: Vec::new(),
    });
    for workload in &workspace.workloads {
        let name = workload.name.value.as_str();
        let documents = workload::documents(&context, workload);
        add_kinds(&mut kinds, &documents);
        deliver(Artifact {
            path: format!("{}-{name}.yaml", workload.kind.name()),
            kind: ArtifactKind::Kubernetes,
            stack: None,
            order: NAMESPACE_ORDER + orders.get(name).copied().unwrap_or(1),
            content: render(&documents),
            outputs: Vec::new(),
            retained: Vec::new(),
        });
    }
    kinds
}

/// Adds the `kind` of each of `documents` to `kinds`.
fn add_kinds(kinds: &mut BTreeSet<String>, documents: &[Value]) {
    for kind in documents
        .iter()
        .filter_map(|document| document.get("kind").and_then(Value::as_str))
    {
        if !kinds.contains(kind) {
            kinds.insert(kind.to_owned());
        }
    }
}

/// What every manifest of one build shares.
struct Context<'a> {
    /// The workspace.
    workspace: &'a Workspace,
    /// Physical names.
    naming: Naming<'a>,
    /// The namespace every namespaced object lives in.
    namespace: &'a str,
    /// The ALB `group.order` of every public port, by (workload, port): host rules first, then
    /// longer paths, so a catch-all `/` never shadows a more specific route.
    ingress_orders: BTreeMap<(String, u16), u32>,
}

impl<'a> Context<'a> {
    fn new(workspace: &'a Workspace) -> Self {
        Self {
            workspace,
            naming: Naming::of(workspace),
            namespace: &workspace.eks.namespace.value,
            ingress_orders: crate::emit::routes::ingress_orders(workspace),
        }
    }

    /// The cluster-wide EFS storage class every volume claim uses.
    fn storage_class(&self) -> String {
        format!("{}-efs", self.naming.prefix())
    }

    /// The labels every object of `workload` carries, its pods included.
    fn labels(&self, workload: &Workload) -> BTreeMap<String, String> {
        let mut labels = self.tag_labels();
        labels.extend(self.selector(workload));
        labels.insert(MANAGED_BY_LABEL.to_owned(), "berth".to_owned());
        labels.insert(COMPONENT_LABEL.to_owned(), workload.kind.name().to_owned());
        labels
    }

    /// The labels that select `workload`'s pods: only those that never change for a workload,
    /// since a Deployment's selector is immutable.
    fn selector(&self, workload: &Workload) -> BTreeMap<String, String> {
        BTreeMap::from([
            (NAME_LABEL.to_owned(), workload.name.value.clone()),
            (PART_OF_LABEL.to_owned(), self.workspace.name.value.clone()),
        ])
    }

    /// The metadata of a namespaced object of `workload`.
    fn metadata(&self, name: &str, workload: &Workload) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace.to_owned()),
            labels: Some(self.labels(workload)),
            ..ObjectMeta::default()
        }
    }

    /// The labels of objects that belong to the workspace rather than one workload.
    fn workspace_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.tag_labels();
        labels.extend([
            (PART_OF_LABEL.to_owned(), self.workspace.name.value.clone()),
            (MANAGED_BY_LABEL.to_owned(), "berth".to_owned()),
        ]);
        labels
    }

    /// The workspace tags that are legal labels (validation warns about the others), then the
    /// labels naming the workspace and environment that own the object; berth's own labels are
    /// added after the tags and win.
    fn tag_labels(&self) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = self
            .workspace
            .tags
            .iter()
            .filter(|(key, value)| {
                crate::naming::is_label_key(key) && crate::naming::is_label_value(&value.value)
            })
            .map(|(key, value)| (key.clone(), value.value.clone()))
            .collect();
        labels.insert(
            WORKSPACE_LABEL.to_owned(),
            self.workspace.name.value.clone(),
        );
        labels.insert(
            ENVIRONMENT_LABEL.to_owned(),
            self.workspace.environment.value.clone(),
        );
        labels
    }
}

/// The namespace, with `restricted` pod security enforced (`baseline` when a container asks for
/// root, which `restricted` refuses; kubectl then still warns against `restricted`), and the EFS
/// storage class when any workload declares a volume.
fn namespace_documents(context: &Context<'_>) -> Vec<Value> {
    let mut labels = context.workspace_labels();
    let any_root = context
        .workspace
        .workloads
        .iter()
        .flat_map(crate::model::Workload::containers)
        .any(|container| container.user.value.is_root());
    let level = if any_root { "baseline" } else { "restricted" };
    labels.insert(
        "pod-security.kubernetes.io/enforce".to_owned(),
        level.to_owned(),
    );
    if any_root {
        for mode in ["warn", "audit"] {
            labels.insert(
                format!("pod-security.kubernetes.io/{mode}"),
                "restricted".to_owned(),
            );
        }
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(context.namespace.to_owned()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    let mut documents = vec![to_value(&namespace)];
    let any_volume = context
        .workspace
        .workloads
        .iter()
        .any(|workload| !workload.volumes.is_empty());
    if any_volume {
        let parameters = BTreeMap::from([
            ("provisioningMode".to_owned(), "efs-ap".to_owned()),
            ("fileSystemId".to_owned(), placeholder(FILE_SYSTEM)),
            ("directoryPerms".to_owned(), "700".to_owned()),
        ]);
        let storage_class = StorageClass {
            metadata: ObjectMeta {
                name: Some(context.storage_class()),
                labels: Some(context.workspace_labels()),
                ..ObjectMeta::default()
            },
            provisioner: "efs.csi.aws.com".to_owned(),
            parameters: Some(parameters),
            reclaim_policy: Some("Retain".to_owned()),
            ..StorageClass::default()
        };
        documents.push(to_value(&storage_class));
    }
    documents
}

/// An object as JSON (its keys are sorted when rendered).
fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or_default()
}

/// Documents as one YAML stream separated by `---`. Strings YAML 1.1 would read as booleans,
/// numbers or dates are quoted; block scalars are off so every string reads back unchanged.
/// Keys are sorted whether or not another crate in the build turns on serde_json's
/// `preserve_order` (the AWS SDK's test utilities do, in test builds): the output must not
/// depend on feature unification.
fn render(documents: &[Value]) -> String {
    #[cfg(test)]
    if text::reference() {
        return render_with_serde(documents);
    }
    let mut content = String::new();
    for (index, document) in documents.iter().enumerate() {
        if index > 0 {
            content.push_str("---\n");
        }
        text::yaml(&mut content, document, text::BlockScalars::Never);
    }
    content
}

/// [`render`] through serde (the reference the tests compare it with).
#[cfg(test)]
fn render_with_serde(documents: &[Value]) -> String {
    let mut documents = documents.to_vec();
    for document in &mut documents {
        document.sort_all_objects();
    }
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    serde_saphyr::to_string_multiple_with_options(&documents, options).unwrap_or_default()
}

/// Milliseconds as whole seconds, rounded up.
fn seconds(milliseconds: u64) -> i32 {
    i32::try_from(milliseconds.div_ceil(1000)).unwrap_or(i32::MAX)
}

/// A count as the API's `int32`.
fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
