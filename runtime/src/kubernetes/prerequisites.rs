//! What the workloads need the cluster to run before they are applied — the External Secrets
//! Operator, an `alb` IngressClass and its controller, the metrics API for autoscalers, the EFS
//! CSI driver for volumes — each checked the way a person would check it, so an existing
//! cluster that lacks one stops before anything is applied, with every missing piece named and
//! how to install it.

use std::collections::BTreeSet;

use kube::Api;
use kube::api::DynamicObject;
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde_json::Value;

use super::apply::{api_failure, to_value};
use super::connect::Connection;
use super::discovery::discover;
use super::error::{KubernetesError, Missing};

/// One way to tell that a prerequisite is in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
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
        /// `ingress.k8s.aws/alb` (or `eks.amazonaws.com/alb` on Auto Mode).
        controller: String,
    },
    /// The Deployment `namespace/name` has at least one available replica.
    Controller {
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

impl Check {
    /// What the check looks for, as a phrase.
    pub fn describe(&self) -> String {
        match self {
            Self::Serves { api_version, kind } => format!("the `{kind}` API ({api_version})"),
            Self::IngressClass { name, controller } => {
                format!("the IngressClass `{name}` (controller `{controller}`)")
            }
            Self::Controller { namespace, name } => {
                format!("a running Deployment `{namespace}/{name}`")
            }
            Self::ApiService { name } => format!("an Available APIService `{name}`"),
            Self::CsiDriver { name } => format!("the CSIDriver `{name}`"),
        }
    }
}

/// A piece the cluster must run, how to tell it runs, and how to install it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prerequisite {
    /// What it is (`the External Secrets Operator`).
    pub what: String,
    /// Every check must pass.
    pub checks: Vec<Check>,
    /// How to install it.
    pub install: String,
}

/// Checks every prerequisite; fails naming each one that is missing, with what its checks did
/// not find.
pub async fn verify(
    connection: &Connection,
    prerequisites: &[Prerequisite],
) -> Result<(), KubernetesError> {
    let mut missing = Vec::new();
    for prerequisite in prerequisites {
        let mut absent = Vec::new();
        for check in &prerequisite.checks {
            if !passes(connection, check).await? {
                absent.push(check.describe());
            }
        }
        if !absent.is_empty() {
            missing.push(Missing {
                what: format!("{}: not found: {}", prerequisite.what, absent.join("; ")),
                install: prerequisite.install.clone(),
            });
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(KubernetesError::MissingPrerequisites { missing })
    }
}

/// Whether `check` passes.
async fn passes(connection: &Connection, check: &Check) -> Result<bool, KubernetesError> {
    Ok(match check {
        Check::Serves { api_version, kind } => {
            let wanted = BTreeSet::from([(api_version.clone(), kind.clone())]);
            discover(&connection.client, &wanted).await?.1.is_empty()
        }
        Check::IngressClass { name, controller } => get(
            connection,
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            None,
            name,
        )
        .await?
        .is_some_and(|class| {
            class.pointer("/spec/controller").and_then(Value::as_str) == Some(controller.as_str())
        }),
        Check::Controller { namespace, name } => get(
            connection,
            "apps",
            "v1",
            "Deployment",
            "deployments",
            Some(namespace),
            name,
        )
        .await?
        .is_some_and(|deployment| {
            deployment
                .pointer("/status/availableReplicas")
                .and_then(Value::as_i64)
                .is_some_and(|available| available > 0)
        }),
        Check::ApiService { name } => get(
            connection,
            "apiregistration.k8s.io",
            "v1",
            "APIService",
            "apiservices",
            None,
            name,
        )
        .await?
        .is_some_and(|service| {
            service
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|conditions| {
                    conditions.iter().any(|condition| {
                        condition.get("type").and_then(Value::as_str) == Some("Available")
                            && condition.get("status").and_then(Value::as_str) == Some("True")
                    })
                })
        }),
        Check::CsiDriver { name } => get(
            connection,
            "storage.k8s.io",
            "v1",
            "CSIDriver",
            "csidrivers",
            None,
            name,
        )
        .await?
        .is_some(),
    })
}

/// One object, or `None` when it does not exist.
async fn get(
    connection: &Connection,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<Value>, KubernetesError> {
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    let api: Api<DynamicObject> = match namespace {
        Some(namespace) => Api::namespaced_with(connection.client.clone(), namespace, &resource),
        None => Api::all_with(connection.client.clone(), &resource),
    };
    api.get_opt(name)
        .await
        .map(|found| found.map(|found| to_value(&found)))
        .map_err(|error| api_failure(connection, "read", &format!("{kind}/{name}"), error))
}
