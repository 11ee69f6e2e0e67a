//! Deleting what berth applied: pruning objects the build no longer declares (after the new
//! ones serve), and `destroy`, which deletes Ingresses first and waits until they are gone —
//! the load balancer controller removes an Ingress's finalizer only once its load balancer and
//! security groups are deleted, which the VPC's deletion needs — then the workloads, then the
//! namespace and the cluster-wide objects.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::api::DeleteParams;
use serde_json::Value;

use super::apply::Target;
use super::error::KubernetesError;
use super::event::{KubernetesEvent, Report};
use super::objects::ObjectId;
use super::wait::{DELETE_FAILURES, ingress_failure};

/// Objects berth owns in the cluster: identity → (apiVersion, object).
pub type Owned = BTreeMap<ObjectId, (String, Value)>;

/// The order objects are deleted in: Ingresses, workloads, the rest of the namespace, then
/// cluster-scoped objects (the namespace last of all).
fn rank(id: &ObjectId) -> u8 {
    match (id.kind.as_str(), id.namespace.is_some()) {
        ("Ingress", _) => 0,
        ("Deployment" | "CronJob" | "HorizontalPodAutoscaler" | "PodDisruptionBudget", true) => 1,
        (_, true) => 2,
        ("Namespace", false) => 4,
        (_, false) => 3,
    }
}

/// `objects` grouped by [`rank`], in deletion order.
fn in_deletion_order(objects: &Owned) -> Vec<Vec<(&ObjectId, &String)>> {
    let mut groups: BTreeMap<u8, Vec<(&ObjectId, &String)>> = BTreeMap::new();
    for (id, (api_version, _)) in objects {
        groups.entry(rank(id)).or_default().push((id, api_version));
    }
    groups.into_values().collect()
}

/// Deletes each owned object the build does not declare; returns what was deleted.
pub async fn prune(
    target: &Target<'_>,
    owned: &Owned,
    declared: &[ObjectId],
    report: Report<'_>,
) -> Result<Vec<ObjectId>, KubernetesError> {
    let stale: Owned = owned
        .iter()
        .filter(|(id, _)| !declared.contains(id))
        .map(|(id, entry)| (id.clone(), entry.clone()))
        .collect();
    let mut pruned = Vec::new();
    for group in in_deletion_order(&stale) {
        for (id, api_version) in group {
            delete(target, id, api_version).await?;
            report(KubernetesEvent::ObjectPruned {
                object: id.to_string(),
            });
            pruned.push(id.clone());
        }
    }
    Ok(pruned)
}

/// Deletes every owned object, a group at a time, waiting for each group to be gone before the
/// next: Ingresses (and so their load balancers) first.
pub async fn destroy(
    target: &Target<'_>,
    owned: &Owned,
    interval: Duration,
    report: Report<'_>,
) -> Result<Vec<ObjectId>, KubernetesError> {
    let mut deleted = Vec::new();
    for group in in_deletion_order(owned) {
        for (id, api_version) in &group {
            delete(target, id, api_version).await?;
        }
        let ingresses = group.iter().any(|(id, _)| id.kind == "Ingress");
        if ingresses {
            report(KubernetesEvent::Waiting {
                what: "the load balancers of the Ingresses to be deleted".to_owned(),
            });
        }
        for (id, api_version) in &group {
            wait_until_gone(target, id, api_version, interval).await?;
            report(KubernetesEvent::ObjectDeleted {
                object: id.to_string(),
            });
            deleted.push((*id).clone());
        }
    }
    Ok(deleted)
}

/// Deletes one object (its dependents first, for workloads); gone already is fine.
async fn delete(
    target: &Target<'_>,
    id: &ObjectId,
    api_version: &str,
) -> Result<(), KubernetesError> {
    let Some(api) = target.kinds.api(
        &target.connection.client,
        api_version,
        &id.kind,
        id.namespace.as_deref(),
    ) else {
        return Ok(());
    };
    let params = if rank(id) == 1 {
        DeleteParams::foreground()
    } else {
        DeleteParams::background()
    };
    match api.delete(&id.name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(target.failure("delete", &id.to_string(), error)),
    }
}

/// Polls until the object no longer exists.
async fn wait_until_gone(
    target: &Target<'_>,
    id: &ObjectId,
    api_version: &str,
    interval: Duration,
) -> Result<(), KubernetesError> {
    let Some(api) = target.kinds.api(
        &target.connection.client,
        api_version,
        &id.kind,
        id.namespace.as_deref(),
    ) else {
        return Ok(());
    };
    let started = k8s_openapi::jiff::Timestamp::now();
    loop {
        match api.get_opt(&id.name).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) => {}
            Err(error) => return Err(target.failure("read", &id.to_string(), error)),
        }
        if id.kind == "Ingress"
            && let Some(namespace) = &id.namespace
            && let Some((reason, message)) = ingress_failure(
                target.connection,
                namespace,
                &id.name,
                started,
                DELETE_FAILURES,
            )
            .await?
        {
            return Err(KubernetesError::LoadBalancerFailed {
                ingress: format!("{namespace}/{}", id.name),
                reason,
                message,
            });
        }
        tokio::time::sleep(interval).await;
    }
}
