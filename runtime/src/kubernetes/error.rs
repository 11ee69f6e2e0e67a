//! Every way the Kubernetes step can fail, each with a stable code and one actionable help
//! sentence. The deploy engine wraps these in its own error and renders them once.

use std::path::PathBuf;

use super::token::TokenError;
use crate::deploy::error::RuntimeCode;

/// A prerequisite the cluster lacks, and how to install it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// What is missing (`the External Secrets Operator's CRDs (external-secrets.io/v1)`).
    pub what: String,
    /// How to install it (a command or a document).
    pub install: String,
}

/// Why a Kubernetes step failed.
#[derive(Debug, thiserror::Error)]
pub enum KubernetesError {
    /// `--kubeconfig` or `--context` cannot be used.
    #[error("cannot use the kubeconfig{}: {reason}", path.as_ref().map(|path| format!(" `{}`", path.display())).unwrap_or_default())]
    Kubeconfig {
        /// The file, when one was given.
        path: Option<PathBuf>,
        /// Why.
        reason: String,
    },
    /// The EKS cluster is not ACTIVE and will not become so by waiting.
    #[error("the EKS cluster `{cluster}` is {status}")]
    ClusterNotActive {
        /// The cluster.
        cluster: String,
        /// Its status.
        status: String,
    },
    /// A node group failed.
    #[error("node group `{nodegroup}` of `{cluster}` is {status}{}", if issues.is_empty() { String::new() } else { format!(": {issues}") })]
    NodegroupFailed {
        /// The cluster.
        cluster: String,
        /// The node group.
        nodegroup: String,
        /// Its status.
        status: String,
        /// EKS's health issues, joined.
        issues: String,
    },
    /// An EKS API call failed.
    #[error("cannot {action}: {reason}")]
    Eks {
        /// What berth was doing.
        action: String,
        /// The SDK's error.
        reason: String,
    },
    /// The cluster's API cannot be reached.
    #[error("cannot reach the Kubernetes API at {server}: {reason}")]
    Unreachable {
        /// The API server's URL.
        server: String,
        /// Why.
        reason: String,
    },
    /// The cluster did not accept berth's credentials.
    #[error("the Kubernetes API at {server} did not accept {}", identity.as_ref().map_or_else(|| "berth's credentials".to_owned(), |identity| format!("`{identity}`")))]
    Unauthorized {
        /// The API server's URL.
        server: String,
        /// The AWS principal the token was signed by, when berth made the token.
        identity: Option<String>,
        /// The EKS cluster, when berth connected through EKS.
        cluster: Option<String>,
    },
    /// The credentials are accepted but lack a permission.
    #[error("not allowed to {action} {object}: {message}")]
    Forbidden {
        /// `apply`, `list`, `delete`.
        action: String,
        /// The object or resource.
        object: String,
        /// The API server's message.
        message: String,
    },
    /// An artifact cannot be read as Kubernetes objects.
    #[error("cannot read `{path}` as Kubernetes manifests: {reason}")]
    Artifact {
        /// The artifact's path in the build.
        path: String,
        /// Why.
        reason: String,
    },
    /// A placeholder has no value.
    #[error("placeholder `{placeholder}` in `{path}` has no value{}", source_output.as_ref().map_or_else(|| " (manifest.json names no stack output for it)".to_owned(), |output| format!(" (the output `{output}` was not found)")))]
    Unfilled {
        /// The artifact.
        path: String,
        /// The placeholder.
        placeholder: String,
        /// `stack.Output` that should have filled it, when the manifest names one.
        source_output: Option<String>,
    },
    /// Objects carry no labels saying whose they are.
    #[error("`{object}` in `{path}` does not carry the label `{label}`")]
    Unlabelled {
        /// The artifact.
        path: String,
        /// The object.
        object: String,
        /// The missing label.
        label: String,
    },
    /// The cluster lacks what the workloads need.
    #[error("the cluster is missing {} the workloads need:\n{}", if missing.len() == 1 { "one thing" } else { "things" }, missing.iter().map(|piece| format!("  - {}\n    install: {}", piece.what, piece.install)).collect::<Vec<_>>().join("\n"))]
    MissingPrerequisites {
        /// Each missing piece.
        missing: Vec<Missing>,
    },
    /// Helm could not install a prerequisite's chart.
    #[error("cannot install {what}{}: {reason}", if release.is_empty() { String::new() } else { format!(" (release `{release}`, chart {chart})") })]
    ChartFailed {
        /// What (`the AWS Load Balancer Controller`).
        what: String,
        /// `namespace/release`.
        release: String,
        /// `chart version`.
        chart: String,
        /// Helm's last lines, or why it could not run.
        reason: String,
    },
    /// An apply would change fields another field manager owns.
    #[error("`{object}` has fields another tool changed since berth applied it: {}", conflicts.iter().map(|(manager, field)| format!("`{field}` (by `{manager}`)")).collect::<Vec<_>>().join(", "))]
    Conflict {
        /// The object.
        object: String,
        /// `(manager, field)` pairs.
        conflicts: Vec<(String, String)>,
    },
    /// The API server refused an object.
    #[error("the Kubernetes API refused `{object}`: {message}")]
    Rejected {
        /// The object.
        object: String,
        /// The API server's message.
        message: String,
    },
    /// A workload's image cannot be pulled.
    #[error("`{workload}` cannot pull its image: {message} (pod `{pod}`)")]
    ImagePull {
        /// The workload.
        workload: String,
        /// One pod that shows it.
        pod: String,
        /// The kubelet's message.
        message: String,
    },
    /// A workload's container keeps exiting.
    #[error("`{workload}` keeps crashing: {message} (pod `{pod}`)")]
    CrashLoop {
        /// The workload.
        workload: String,
        /// One pod that shows it.
        pod: String,
        /// What the container did.
        message: String,
    },
    /// A workload's container cannot be created from its configuration.
    #[error("`{workload}` cannot start its container: {message} (pod `{pod}`)")]
    ContainerConfig {
        /// The workload.
        workload: String,
        /// One pod that shows it.
        pod: String,
        /// The kubelet's message.
        message: String,
    },
    /// An ExternalSecret cannot sync the Secret a workload reads.
    #[error("the Secret `{secret}`{} has not been synced by its ExternalSecret `{external_secret}`: {message}", workload.as_ref().map(|workload| format!(" of `{workload}`")).unwrap_or_default())]
    SecretNotSynced {
        /// The workload that reads it, when one is waiting for it.
        workload: Option<String>,
        /// `namespace/name` of the ExternalSecret.
        external_secret: String,
        /// The Secret.
        secret: String,
        /// The operator's message.
        message: String,
    },
    /// A workload's pods fit no node.
    #[error("`{workload}` cannot be scheduled: {message} (pod `{pod}`)")]
    Unschedulable {
        /// The workload.
        workload: String,
        /// One pod that shows it.
        pod: String,
        /// The scheduler's message.
        message: String,
    },
    /// The load balancer controller cannot make an Ingress's load balancer.
    #[error("the load balancer of Ingress `{ingress}` cannot be made: {reason}: {message}")]
    LoadBalancerFailed {
        /// `namespace/name` of the Ingress.
        ingress: String,
        /// The controller's event reason (`FailedDeployModel`).
        reason: String,
        /// The controller's message.
        message: String,
    },
    /// A rollout stopped progressing.
    #[error("`{workload}` did not finish its rollout: {message}")]
    RolloutStalled {
        /// The workload.
        workload: String,
        /// The Deployment's condition message.
        message: String,
    },
    /// The cluster token could not be made.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Any other API failure.
    #[error("cannot {action} `{object}`: {reason}")]
    Api {
        /// What berth was doing.
        action: String,
        /// The object or resource.
        object: String,
        /// Why.
        reason: String,
    },
}

impl KubernetesError {
    /// The stable code, as `berth explain` knows it.
    pub fn code(&self) -> RuntimeCode {
        match self {
            Self::Kubeconfig { .. } => RuntimeCode::Kubeconfig,
            Self::ClusterNotActive { .. } | Self::NodegroupFailed { .. } => {
                RuntimeCode::ClusterNotActive
            }
            Self::Eks { .. } => RuntimeCode::AwsError,
            Self::Unreachable { .. } => RuntimeCode::ClusterUnreachable,
            Self::Unauthorized { .. } | Self::Forbidden { .. } | Self::Token(_) => {
                RuntimeCode::ClusterAccess
            }
            Self::Artifact { .. } | Self::Unlabelled { .. } => RuntimeCode::BuildUnreadable,
            Self::Unfilled { .. } => RuntimeCode::UnfilledPlaceholder,
            Self::MissingPrerequisites { .. } | Self::ChartFailed { .. } => {
                RuntimeCode::ClusterPrerequisites
            }
            Self::Conflict { .. } => RuntimeCode::ApplyConflict,
            Self::Rejected { .. } | Self::Api { .. } => RuntimeCode::ApplyFailed,
            Self::ImagePull { .. }
            | Self::CrashLoop { .. }
            | Self::ContainerConfig { .. }
            | Self::SecretNotSynced { .. }
            | Self::Unschedulable { .. }
            | Self::RolloutStalled { .. } => RuntimeCode::WorkloadFailed,
            Self::LoadBalancerFailed { .. } => RuntimeCode::LoadBalancerFailed,
        }
    }

    /// One sentence saying what to do.
    pub fn help(&self) -> String {
        match self {
            Self::Kubeconfig { .. } => "check the file and the context name (`kubectl config get-contexts --kubeconfig FILE` lists them), or leave both flags out to connect through EKS".into(),
            Self::ClusterNotActive { cluster, .. } => format!("see the cluster in the EKS console or `aws eks describe-cluster --name {cluster}`; berth waits while it is CREATING or UPDATING"),
            Self::NodegroupFailed { cluster, nodegroup, .. } => format!("`aws eks describe-nodegroup --cluster-name {cluster} --nodegroup-name {nodegroup}` shows the health issues; fix them (capacity, subnets, IAM) and deploy again"),
            Self::Eks { .. } => "check the credentials and the region, then deploy again".into(),
            Self::Unreachable { .. } => "a cluster with only a private endpoint is reachable from inside its VPC (a VPN or a runner there); otherwise check the network and deploy again".into(),
            Self::Unauthorized { cluster: Some(cluster), identity, .. } => format!(
                "the cluster admits only principals with an access entry: a cluster admin can grant yours with `aws eks create-access-entry --cluster-name {cluster} --principal-arn {principal}` and `aws eks associate-access-policy --cluster-name {cluster} --principal-arn {principal} --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy --access-scope type=cluster` (docs/eks.md, Access)",
                principal = identity.as_deref().unwrap_or("<your role ARN>")
            ),
            Self::Unauthorized { .. } => "the kubeconfig's credentials were refused: refresh them (for EKS, `aws eks update-kubeconfig`) and deploy again".into(),
            Self::Forbidden { .. } | Self::Token(_) => "berth needs cluster-admin rights on the objects it applies: see docs/eks.md, Access".into(),
            Self::Artifact { .. } | Self::Unlabelled { .. } => "run `berth build` again; an artifact edited by hand is refused".into(),
            Self::Unfilled { .. } => "deploy the stack that outputs it first (`berth deploy` does, in order), or run `berth build` again if manifest.json is out of date".into(),
            Self::MissingPrerequisites { .. } => "install each missing piece as shown, then deploy again; docs/eks.md lists what an existing cluster needs".into(),
            Self::ChartFailed { release, .. } => format!("Helm's message says why; `helm status {name} --namespace {namespace}` and `kubectl get pods --namespace {namespace}` show the release; nothing of the workloads was applied and the previous version keeps running: fix it and deploy again", namespace = release.split_once('/').map_or("kube-system", |(namespace, _)| namespace), name = release.split_once('/').map_or(release.as_str(), |(_, name)| name)),
            Self::Conflict { .. } => "someone changed these fields with another tool (kubectl edit, scale, a controller): put the change into berth.kdl, or deploy with `--force-conflicts` to take the fields back".into(),
            Self::Rejected { .. } | Self::Api { .. } => "the API server's message says what it refused; fix it in berth.kdl (or the cluster) and deploy again".into(),
            Self::ImagePull { .. } => "check that the image and tag exist and that the nodes may pull them (ECR: the node role's `AmazonEC2ContainerRegistryReadOnly`); push it, then deploy again".into(),
            Self::CrashLoop { workload, .. } => format!("`kubectl logs deployment/{workload} --previous` shows why it exits; the previous version keeps serving"),
            Self::ContainerConfig { .. } => "a Secret or ConfigMap the container reads is missing or lacks a key: check the workload's `secret` entries".into(),
            Self::SecretNotSynced { .. } => "check that the secret exists in AWS (name, key and region) and that the workload's role may read it; `kubectl describe externalsecret` shows the operator's events".into(),
            Self::Unschedulable { .. } => "give the node groups more room (larger instance types or higher `max`), or ask for less `cpu`/`memory`".into(),
            Self::LoadBalancerFailed { .. } => "the AWS Load Balancer Controller's message says what it lacks (often its IAM permissions, or subnets without the `kubernetes.io/role/elb` tag); `kubectl logs -n kube-system deployment/aws-load-balancer-controller` has more".into(),
            Self::RolloutStalled { workload, .. } => format!("`kubectl describe deployment {workload}` shows the events; the previous version keeps serving"),
        }
    }
}
