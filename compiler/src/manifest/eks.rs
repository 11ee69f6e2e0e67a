//! The `eks` part of `manifest.json` ([`EksDeployment`]): which cluster the manifests go to, the
//! stacks every workspace on that cluster shares, and so what `deploy` and `destroy` may and may
//! not do with each.

use serde::{Deserialize, Serialize};

/// What the deploy step must know about the EKS cluster of an `eks` build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksDeployment {
    /// The cluster's name.
    pub cluster: String,
    /// `new` when the platform stack creates the cluster, `existing` when it already runs.
    pub provisioning: Provisioning,
    /// The namespace every namespaced object is applied into (created by `namespace.yaml`).
    pub namespace: String,
    /// The stacks of what every workspace and environment on the cluster shares (the External
    /// Secrets controller's role and Pod Identity association). Every build for the cluster emits
    /// each one identically, so deploying it again changes nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_stacks: Vec<SharedStack>,
}

/// Whether berth creates the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provisioning {
    /// The platform stack creates the cluster; `destroy` deletes it.
    New,
    /// The cluster exists; berth neither creates nor deletes it.
    Existing,
}

/// A stack shared by every workspace on the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedStack {
    /// The stack.
    pub stack: String,
    /// The only stack tag to give it, instead of the workspace's [`super::Manifest::stack_tags`]:
    /// it belongs to the cluster, and must read the same from every workspace's deploy.
    pub tag: (String, String),
    /// Whether `destroy` deletes it: only when the cluster is the build's own
    /// ([`Provisioning::New`]), after the Pod Identity stacks and before the platform stack. On an
    /// existing cluster other workspaces may use it; `destroy` leaves it, and CloudFormation
    /// refuses to delete it while any workspace's stack imports its exports.
    pub delete_on_destroy: bool,
}
