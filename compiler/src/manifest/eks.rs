//! The `eks` part of `manifest.json` ([`EksDeployment`]): which cluster the manifests go to, the
//! stacks every workspace on that cluster shares, and so what `deploy` and `destroy` may and may
//! not do with each.

use std::collections::BTreeMap;

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
    /// The labels every Kubernetes object of the build carries that name the workspace and
    /// environment owning it: the deploy step prunes, and `destroy` deletes, exactly the
    /// objects that carry them, so two environments on one cluster never touch each other's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Every kind berth may have applied (whether or not this build uses it), so an object of
    /// a kind the build no longer declares is still found and pruned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindRef>,
    /// What the cluster must run before the manifests are applied: checked on every cluster,
    /// reported with how to install it when missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<ClusterRequirement>,
    /// On a new cluster: the template parameter the deploy step fills with the ARN of the IAM
    /// principal it deploys as (for an assumed-role session, its role's ARN with the role's path,
    /// from `iam:GetRole`), which gets cluster admin access. Nobody else does, besides the
    /// workspace's `admins`, so the deploy step can apply the manifests whoever created the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployer: Option<ParameterRef>,
}

/// A Kubernetes kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRef {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
}

/// Something the cluster must run for the build's objects to work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRequirement {
    /// A stable name: `external-secrets`, `load-balancer-controller`, `metrics-api`,
    /// `efs-csi-driver`.
    pub name: String,
    /// What it is, for messages (`the External Secrets Operator`).
    pub what: String,
    /// The kinds of the build's objects that need it.
    pub needed_by: Vec<String>,
    /// How the deploy step tells that it runs: every check must pass.
    pub checks: Vec<RequirementCheck>,
    /// How to install it on a cluster that lacks it.
    pub install: String,
    /// On a cluster berth creates, what installs it (the platform stack's add-on); absent when
    /// nothing does and it must be installed like on an existing cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_by: Option<String>,
    /// On a cluster berth creates, the pinned Helm chart the deploy step installs when a check
    /// fails (EKS has no add-on for it): absent on an existing cluster, whose owners install
    /// what it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<HelmChart>,
}

/// A Helm chart release the deploy step installs (`helm upgrade --install`), pinned to one
/// version of one repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmChart {
    /// The release's name: `aws-load-balancer-controller`.
    pub release: String,
    /// The namespace it is installed into (created when missing).
    pub namespace: String,
    /// The chart repository's URL: `https://aws.github.io/eks-charts`.
    pub repository: String,
    /// The chart in that repository.
    pub chart: String,
    /// The chart version, pinned: a later chart is a change to berth, reviewed and tested.
    pub version: String,
    /// Values given with `--set`, by key: fixed text, or a stack output read at deploy time.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, ChartValue>,
}

/// One value of a [`HelmChart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChartValue {
    /// Known when building: the cluster's name, the region, a flag.
    Text(String),
    /// A stack output, read once the stack exists: the VPC's id.
    Output(super::OutputRef),
}

/// One way to tell that a requirement runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RequirementCheck {
    /// The cluster serves `kind` of `api_version` (its CRD is installed, or its API aggregated).
    Serves {
        /// `external-secrets.io/v1`.
        api_version: String,
        /// `ExternalSecret`.
        kind: String,
    },
    /// The IngressClass `name` exists and names `controller`.
    IngressClass {
        /// `alb`.
        name: String,
        /// `ingress.k8s.aws/alb`.
        controller: String,
    },
    /// The Deployment `namespace/name` has an available replica.
    Deployment {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The APIService `name` is Available.
    ApiService {
        /// `v1beta1.metrics.k8s.io`.
        name: String,
    },
    /// The CSIDriver `name` is registered.
    CsiDriver {
        /// `efs.csi.aws.com`.
        name: String,
    },
}

/// A template parameter the deploy step fills in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterRef {
    /// The stack whose template has the parameter.
    pub stack: String,
    /// The parameter.
    pub parameter: String,
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
