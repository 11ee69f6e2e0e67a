//! What the Kubernetes step reports while it works. It prints nothing: every step hands a
//! [`KubernetesEvent`] to the caller's [`Report`] function, which the deploy engine forwards to
//! the same reporter as the stacks' events.

use serde::Serialize;

/// Where events go: called from the engine's tasks, so it must be shareable.
pub type Report<'a> = &'a (dyn Fn(KubernetesEvent) + Send + Sync);

/// What happened to one object when it was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applied {
    /// It did not exist and was created.
    Created,
    /// It existed and some of its fields changed.
    Configured,
    /// It already was as declared; nothing was sent.
    Unchanged,
}

impl Applied {
    /// `created`, `configured`, `unchanged`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Configured => "configured",
            Self::Unchanged => "unchanged",
        }
    }
}

/// One thing that happened on the Kubernetes side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum KubernetesEvent {
    /// The EKS cluster or a node group is not ACTIVE yet.
    ClusterWaiting {
        /// `cluster <name>` or `node group <name>`.
        resource: String,
        /// Its EKS status (`CREATING`, `UPDATING`).
        status: String,
    },
    /// Something the user should know that is not a failure.
    Note {
        /// The sentence.
        message: String,
    },
    /// The client reached the cluster's API.
    Connected {
        /// The API server's URL.
        server: String,
        /// Its Kubernetes version.
        version: String,
    },
    /// An EKS add-on whose version does not support the cluster's new Kubernetes version is
    /// being updated to EKS's default for it.
    AddonUpdating {
        /// `kube-proxy`.
        addon: String,
        /// The version it ran.
        from: String,
        /// The version it is updated to.
        to: String,
    },
    /// A prerequisite the cluster lacks is being installed from its Helm chart.
    Installing {
        /// `the AWS Load Balancer Controller (aws-load-balancer-controller 1.17.0)`.
        what: String,
    },
    /// A prerequisite was installed and is ready.
    Installed {
        /// As in [`KubernetesEvent::Installing`].
        what: String,
    },
    /// An object was applied (or found unchanged).
    ObjectApplied {
        /// `Deployment/catalog/store` (`Kind/namespace/name`, `-` for cluster-scoped objects).
        object: String,
        /// What happened.
        action: Applied,
    },
    /// An object berth applied before and no longer declares was deleted.
    ObjectPruned {
        /// `Kind/namespace/name`.
        object: String,
    },
    /// An object was deleted by `destroy`.
    ObjectDeleted {
        /// `Kind/namespace/name`.
        object: String,
    },
    /// A Deployment's rollout, each time it changes.
    Rollout {
        /// The workload (the Deployment's name).
        workload: String,
        /// Replicas wanted.
        desired: i64,
        /// Replicas running the new template.
        updated: i64,
        /// Replicas ready.
        ready: i64,
        /// Replicas available.
        available: i64,
        /// Whether the rollout is complete.
        done: bool,
    },
    /// An ExternalSecret synced its Secret.
    SecretSynced {
        /// `namespace/name` of the ExternalSecret.
        external_secret: String,
    },
    /// Something the step waits for, named once when waiting starts.
    Waiting {
        /// What (`the load balancer of Ingress catalog/store to be deleted`).
        what: String,
    },
    /// A public endpoint, once its Ingress has a load balancer.
    Endpoint {
        /// The workload.
        workload: String,
        /// The URL.
        url: String,
    },
}
