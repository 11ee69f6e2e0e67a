//! What the workloads need the cluster to run before they are applied — the External Secrets
//! Operator, an `alb` IngressClass and its controller, the metrics API for autoscalers, the EFS
//! CSI driver for volumes — each checked the way a person would check it, so an existing
//! cluster that lacks one stops before anything is applied, with every missing piece named and
//! how to install it.

use std::collections::BTreeSet;

use berth_compiler::manifest::{ClusterRequirement, RequirementCheck};
use kube::Api;
use kube::api::DynamicObject;
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde_json::Value;

use super::apply::{api_failure, to_value};
use super::connect::Connection;
use super::discovery::discover;
use super::error::{KubernetesError, Missing};

/// What `check` looks for, as a phrase.
pub fn describe(check: &RequirementCheck) -> String {
    match check {
        RequirementCheck::Serves { api_version, kind } => {
            format!("the `{kind}` API ({api_version})")
        }
        RequirementCheck::IngressClass { name, controller } => {
            format!("the IngressClass `{name}` (controller `{controller}`)")
        }
        RequirementCheck::Deployment { namespace, name } => {
            format!("a running Deployment `{namespace}/{name}`")
        }
        RequirementCheck::ApiService { name } => format!("an Available APIService `{name}`"),
        RequirementCheck::CsiDriver { name } => format!("the CSIDriver `{name}`"),
    }
}

/// Checks every requirement; fails naming each one that is missing, with what its checks did
/// not find.
pub async fn verify(
    connection: &Connection,
    requirements: &[ClusterRequirement],
) -> Result<(), KubernetesError> {
    let mut missing = Vec::new();
    for requirement in requirements {
        let mut absent = Vec::new();
        for check in &requirement.checks {
            if !passes(connection, check).await? {
                absent.push(describe(check));
            }
        }
        if !absent.is_empty() {
            missing.push(Missing {
                what: format!(
                    "{} (for {}): not found: {}",
                    requirement.what,
                    requirement.needed_by.join(", "),
                    absent.join("; ")
                ),
                install: how_to_install(requirement),
            });
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(KubernetesError::MissingPrerequisites { missing })
    }
}

/// How to install `requirement`, as the missing-prerequisites error says it.
fn how_to_install(requirement: &ClusterRequirement) -> String {
    if let Some(installer) = &requirement.installed_by {
        return format!(
            "{installer} installs it; check its status, or {}",
            requirement.install
        );
    }
    if let Some(chart) = &requirement.chart {
        return format!(
            "berth installs it on a cluster it created, with Helm (chart `{}` {} from {}): put \
             `helm` (version 3) on PATH, or name it with {}, and deploy again; or install it \
             yourself: {}",
            chart.chart,
            chart.version,
            chart.repository,
            super::install::HELM_VARIABLE,
            requirement.install
        );
    }
    requirement.install.clone()
}

/// Whether every check of `requirement` passes.
pub async fn satisfied(
    connection: &Connection,
    requirement: &ClusterRequirement,
) -> Result<bool, KubernetesError> {
    for check in &requirement.checks {
        if !passes(connection, check).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `check` passes.
async fn passes(
    connection: &Connection,
    check: &RequirementCheck,
) -> Result<bool, KubernetesError> {
    Ok(match check {
        RequirementCheck::Serves { api_version, kind } => {
            let wanted = BTreeSet::from([(api_version.clone(), kind.clone())]);
            discover(&connection.client, &wanted).await?.1.is_empty()
        }
        RequirementCheck::IngressClass { name, controller } => get(
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
        RequirementCheck::Deployment { namespace, name } => get(
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
        RequirementCheck::ApiService { name } => get(
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
        RequirementCheck::CsiDriver { name } => get(
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
