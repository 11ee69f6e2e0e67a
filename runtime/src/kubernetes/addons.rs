//! The EKS add-ons of a cluster berth created, after its Kubernetes version was raised. The
//! platform stack pins no add-on version (EKS installs the default one for the cluster's
//! version), so CloudFormation has nothing to change in them when `version` changes, and an
//! add-on can be left at a version EKS does not support on the new control plane. After a deploy
//! that changed the cluster's version, each add-on whose version EKS does not list as compatible
//! with the new one is updated to EKS's default version for it, and waited for until ACTIVE.
//! An add-on that is still compatible is left as it is: a deploy changes no more than it must.

use std::time::Duration;

use aws_sdk_eks::types::{AddonStatus, ResolveConflicts};

use super::connect::error_chain;
use super::error::KubernetesError;
use super::event::{KubernetesEvent, Report};

/// One add-on that was updated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonUpdate {
    /// `kube-proxy`.
    pub addon: String,
    /// The version it ran.
    pub from: String,
    /// EKS's default version for the cluster's Kubernetes version.
    pub to: String,
}

/// The cluster's Kubernetes version (`1.35`), `None` when the cluster does not exist.
pub async fn cluster_version(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
) -> Result<Option<String>, KubernetesError> {
    match eks.describe_cluster().name(cluster).send().await {
        Ok(described) => Ok(described.cluster.and_then(|found| found.version)),
        Err(error)
            if error.as_service_error().is_some_and(
                aws_sdk_eks::operation::describe_cluster::DescribeClusterError::is_resource_not_found_exception,
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(failure(
            &format!("describe the EKS cluster `{cluster}`"),
            &error,
        )),
    }
}

/// Updates every add-on of `cluster` whose version is not compatible with `version` to EKS's
/// default for it, one at a time, waiting until each is ACTIVE.
pub async fn update_incompatible(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    version: &str,
    interval: Duration,
    report: Report<'_>,
) -> Result<Vec<AddonUpdate>, KubernetesError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = eks
            .list_addons()
            .cluster_name(cluster)
            .set_next_token(token)
            .send()
            .await
            .map_err(|error| failure(&format!("list the add-ons of `{cluster}`"), &error))?;
        names.extend(page.addons.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut updated = Vec::new();
    for addon in names {
        let current = eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(&addon)
            .send()
            .await
            .map_err(|error| failure(&format!("describe the add-on `{addon}`"), &error))?
            .addon
            .and_then(|described| described.addon_version)
            .unwrap_or_default();
        let (compatible, default) = versions_for(eks, &addon, version).await?;
        if compatible.contains(&current) {
            continue;
        }
        let Some(default) = default else {
            return Err(KubernetesError::Eks {
                action: format!("update the add-on `{addon}` for Kubernetes {version}"),
                reason: format!(
                    "its version {current} does not support Kubernetes {version}, and EKS names \
                     no default version of it that does"
                ),
            });
        };
        report(KubernetesEvent::AddonUpdating {
            addon: addon.clone(),
            from: current.clone(),
            to: default.clone(),
        });
        eks.update_addon()
            .cluster_name(cluster)
            .addon_name(&addon)
            .addon_version(&default)
            .resolve_conflicts(ResolveConflicts::Overwrite)
            .send()
            .await
            .map_err(|error| {
                failure(&format!("update the add-on `{addon}` to {default}"), &error)
            })?;
        wait_until_active(eks, cluster, &addon, &default, interval).await?;
        updated.push(AddonUpdate {
            addon,
            from: current,
            to: default,
        });
    }
    Ok(updated)
}

/// The versions of `addon` EKS lists as compatible with Kubernetes `version`, and its default.
async fn versions_for(
    eks: &aws_sdk_eks::Client,
    addon: &str,
    version: &str,
) -> Result<(Vec<String>, Option<String>), KubernetesError> {
    let mut compatible = Vec::new();
    let mut default = None;
    let mut token = None;
    loop {
        let page = eks
            .describe_addon_versions()
            .addon_name(addon)
            .kubernetes_version(version)
            .set_next_token(token)
            .send()
            .await
            .map_err(|error| {
                failure(
                    &format!("list the versions of the add-on `{addon}`"),
                    &error,
                )
            })?;
        for info in page.addons.unwrap_or_default() {
            for each in info.addon_versions.unwrap_or_default() {
                let Some(name) = each.addon_version else {
                    continue;
                };
                let matching: Vec<_> = each
                    .compatibilities
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|compatibility| {
                        compatibility.cluster_version.as_deref() == Some(version)
                    })
                    .collect();
                if matching.is_empty() {
                    continue;
                }
                if matching
                    .iter()
                    .any(|compatibility| compatibility.default_version)
                {
                    default = Some(name.clone());
                }
                compatible.push(name);
            }
        }
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    Ok((compatible, default))
}

/// Waits until `addon` is ACTIVE at `version`; fails on a state waiting cannot fix.
async fn wait_until_active(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    addon: &str,
    version: &str,
    interval: Duration,
) -> Result<(), KubernetesError> {
    loop {
        let described = eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(addon)
            .send()
            .await
            .map_err(|error| failure(&format!("describe the add-on `{addon}`"), &error))?
            .addon;
        let status = described.as_ref().and_then(|found| found.status.clone());
        match status {
            Some(AddonStatus::Active) => return Ok(()),
            Some(AddonStatus::Creating | AddonStatus::Updating) | None => {
                tokio::time::sleep(interval).await;
            }
            Some(other) => {
                let issues: Vec<String> = described
                    .and_then(|found| found.health)
                    .and_then(|health| health.issues)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|issue| issue.message)
                    .collect();
                return Err(KubernetesError::Eks {
                    action: format!("update the add-on `{addon}` to {version}"),
                    reason: format!(
                        "it is {}{}",
                        other.as_str(),
                        if issues.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", issues.join("; "))
                        }
                    ),
                });
            }
        }
    }
}

/// An EKS call that failed.
fn failure<E: std::error::Error + 'static>(action: &str, error: &E) -> KubernetesError {
    KubernetesError::Eks {
        action: action.to_owned(),
        reason: error_chain(error),
    }
}
