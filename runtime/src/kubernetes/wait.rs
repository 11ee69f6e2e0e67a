//! Waiting until the workloads serve: each Deployment's rollout (observed generation, updated
//! and available replicas, no old pods left), each ExternalSecret Ready, each Ingress with a
//! load balancer hostname. Failures that waiting cannot fix end the wait at once with their
//! reason: an image that cannot be pulled, a container that keeps crashing, a Secret its
//! ExternalSecret has not synced (named), pods the scheduler cannot place (its message), a
//! rollout past its progress deadline. The pods inspected are those of the Deployment's newest
//! ReplicaSet, so an old pod's crash never fails a deploy that fixes it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{DynamicObject, ListParams};
use serde_json::Value;

use super::apply::{api_failure, to_value};
use super::connect::Connection;
use super::discovery::Kinds;
use super::error::KubernetesError;
use super::event::{KubernetesEvent, Report};
use super::objects::DesiredObject;

/// How long to wait before a condition that may clear by itself counts as a failure.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// Between looks.
    pub interval: Duration,
    /// Pods the scheduler cannot place (a cluster autoscaler may add a node meanwhile).
    pub unschedulable: Duration,
    /// A container whose Secret does not exist yet (its ExternalSecret may still be syncing).
    pub missing_secret: Duration,
}

impl Patience {
    /// Looks every `interval`; the default graces.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            unschedulable: Duration::from_mins(1),
            missing_secret: Duration::from_secs(90),
        }
    }
}

/// What the wait watches.
#[derive(Default)]
struct Watched {
    deployments: BTreeSet<(String, String)>,
    external_secrets: BTreeSet<(String, String)>,
    ingresses: BTreeSet<(String, String)>,
    /// Secret name → ExternalSecret name, per namespace.
    secret_sources: BTreeMap<(String, String), String>,
}

/// Waits until every Deployment, ExternalSecret and Ingress of `objects` serves; reports
/// progress, and each public endpoint once its load balancer exists.
pub async fn until_serving(
    connection: &Connection,
    kinds: &Kinds,
    objects: &[DesiredObject],
    patience: Patience,
    report: Report<'_>,
) -> Result<(), KubernetesError> {
    let mut watched = Watched::default();
    for object in objects {
        let Some(namespace) = object.id.namespace.clone() else {
            continue;
        };
        let name = object.id.name.clone();
        match object.id.kind.as_str() {
            "Deployment" => {
                watched.deployments.insert((namespace, name));
            }
            "ExternalSecret" => {
                let target = object
                    .object
                    .pointer("/spec/target/name")
                    .and_then(Value::as_str)
                    .unwrap_or(&name)
                    .to_owned();
                watched
                    .secret_sources
                    .insert((namespace.clone(), target), name.clone());
                watched.external_secrets.insert((namespace, name));
            }
            "Ingress" => {
                watched.ingresses.insert((namespace, name));
            }
            _ => {}
        }
    }
    let started = k8s_openapi::jiff::Timestamp::now();
    let mut last_rollouts: BTreeMap<(String, String), KubernetesEvent> = BTreeMap::new();
    let mut first_seen: BTreeMap<String, Instant> = BTreeMap::new();
    let mut pending_secrets = watched.external_secrets.clone();
    let mut pending_ingresses = watched.ingresses.clone();
    let mut pending_deployments = watched.deployments.clone();
    if !pending_ingresses.is_empty() {
        report(KubernetesEvent::Waiting {
            what: "the load balancer of each Ingress".to_owned(),
        });
    }
    loop {
        for (namespace, name) in pending_secrets.clone() {
            match external_secret_state(connection, kinds, &namespace, &name).await? {
                SecretState::Ready => {
                    pending_secrets.remove(&(namespace.clone(), name.clone()));
                    report(KubernetesEvent::SecretSynced {
                        external_secret: format!("{namespace}/{name}"),
                    });
                }
                SecretState::Failed(message) => {
                    let secret = watched
                        .secret_sources
                        .iter()
                        .find(|((secret_namespace, _), source)| {
                            *secret_namespace == namespace && **source == name
                        })
                        .map_or_else(|| name.clone(), |((_, secret), _)| secret.clone());
                    return Err(KubernetesError::SecretNotSynced {
                        workload: None,
                        external_secret: format!("{namespace}/{name}"),
                        secret,
                        message,
                    });
                }
                SecretState::Syncing => {}
            }
        }
        for (namespace, name) in pending_deployments.clone() {
            let done = rollout(
                connection,
                kinds,
                &watched,
                &namespace,
                &name,
                patience,
                &mut first_seen,
                &mut last_rollouts,
                report,
            )
            .await?;
            if done {
                pending_deployments.remove(&(namespace, name));
            }
        }
        for (namespace, name) in pending_ingresses.clone() {
            let api: Api<Ingress> = Api::namespaced(connection.client.clone(), &namespace);
            let ingress = api.get(&name).await.map_err(|error| {
                api_failure(
                    connection,
                    "read",
                    &format!("Ingress/{namespace}/{name}"),
                    error,
                )
            })?;
            let hostname = ingress
                .status
                .as_ref()
                .and_then(|status| status.load_balancer.as_ref())
                .and_then(|balancer| balancer.ingress.as_ref())
                .and_then(|entries| {
                    entries
                        .iter()
                        .find_map(|entry| entry.hostname.clone().or_else(|| entry.ip.clone()))
                });
            if let Some(hostname) = hostname {
                pending_ingresses.remove(&(namespace.clone(), name.clone()));
                for (workload, url) in endpoints(&ingress, &hostname) {
                    report(KubernetesEvent::Endpoint { workload, url });
                }
            } else if let Some((reason, message)) =
                ingress_failure(connection, &namespace, &name, started, DEPLOY_FAILURES).await?
            {
                return Err(KubernetesError::LoadBalancerFailed {
                    ingress: format!("{namespace}/{name}"),
                    reason,
                    message,
                });
            }
        }
        if pending_secrets.is_empty()
            && pending_deployments.is_empty()
            && pending_ingresses.is_empty()
        {
            return Ok(());
        }
        tokio::time::sleep(patience.interval).await;
    }
}

/// The AWS Load Balancer Controller's Warning reasons that mean an Ingress's load balancer
/// cannot be made (or changed) without a fix.
pub const DEPLOY_FAILURES: &[&str] = &["FailedBuildModel", "FailedDeployModel"];

/// The AWS Load Balancer Controller's Warning reasons that mean an Ingress's load balancer
/// cannot be deleted without a fix.
pub const DELETE_FAILURES: &[&str] = &[
    "FailedDeployModel",
    "FailedRemoveFinalizer",
    "FailedCleanupModel",
];

/// The newest Warning event on the Ingress `namespace/name` with one of `reasons`, from after
/// `since` (events from before this run are old news): `(reason, message)`.
pub async fn ingress_failure(
    connection: &Connection,
    namespace: &str,
    name: &str,
    since: k8s_openapi::jiff::Timestamp,
    reasons: &[&str],
) -> Result<Option<(String, String)>, KubernetesError> {
    let api: Api<Event> = Api::namespaced(connection.client.clone(), namespace);
    let fields = format!("involvedObject.kind=Ingress,involvedObject.name={name},type=Warning");
    let events = api
        .list(&ListParams::default().fields(&fields))
        .await
        .map_err(|error| {
            api_failure(
                connection,
                "list",
                &format!("the events of Ingress/{namespace}/{name}"),
                error,
            )
        })?;
    let recent = |event: &Event| {
        let last = event
            .last_timestamp
            .as_ref()
            .map(|time| time.0)
            .or_else(|| event.event_time.as_ref().map(|time| time.0));
        // A minute of slack for the difference between this machine's clock and the cluster's.
        last.is_none_or(|last| last >= since - k8s_openapi::jiff::SignedDuration::from_mins(1))
    };
    Ok(events
        .items
        .iter()
        .filter(|event| recent(event))
        .find(|event| {
            event
                .reason
                .as_deref()
                .is_some_and(|reason| reasons.contains(&reason))
        })
        .map(|event| {
            (
                event.reason.clone().unwrap_or_default(),
                event.message.clone().unwrap_or_default(),
            )
        }))
}

/// Where an ExternalSecret stands.
enum SecretState {
    Ready,
    Syncing,
    Failed(String),
}

async fn external_secret_state(
    connection: &Connection,
    kinds: &Kinds,
    namespace: &str,
    name: &str,
) -> Result<SecretState, KubernetesError> {
    let Some(api) = kinds.api(
        &connection.client,
        "external-secrets.io/v1",
        "ExternalSecret",
        Some(namespace),
    ) else {
        return Ok(SecretState::Syncing);
    };
    let found: DynamicObject = api.get(name).await.map_err(|error| {
        api_failure(
            connection,
            "read",
            &format!("ExternalSecret/{namespace}/{name}"),
            error,
        )
    })?;
    let value = to_value(&found);
    let ready = value
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|conditions| {
            conditions
                .iter()
                .find(|condition| condition.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let Some(ready) = ready else {
        return Ok(SecretState::Syncing);
    };
    let status = ready
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reason = ready
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = ready
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or(reason)
        .to_owned();
    Ok(match (status, reason) {
        ("True", _) => SecretState::Ready,
        ("False", "SecretSyncedError" | "SecretDeleted") => SecretState::Failed(message),
        _ => SecretState::Syncing,
    })
}

/// One look at a Deployment's rollout; `true` when it is complete.
#[expect(
    clippy::too_many_arguments,
    reason = "the wait's state, passed down once"
)]
async fn rollout(
    connection: &Connection,
    kinds: &Kinds,
    watched: &Watched,
    namespace: &str,
    name: &str,
    patience: Patience,
    first_seen: &mut BTreeMap<String, Instant>,
    last_rollouts: &mut BTreeMap<(String, String), KubernetesEvent>,
    report: Report<'_>,
) -> Result<bool, KubernetesError> {
    let api: Api<Deployment> = Api::namespaced(connection.client.clone(), namespace);
    let deployment = api.get(name).await.map_err(|error| {
        api_failure(
            connection,
            "read",
            &format!("Deployment/{namespace}/{name}"),
            error,
        )
    })?;
    let generation = deployment.metadata.generation.unwrap_or(0);
    let desired = i64::from(
        deployment
            .spec
            .as_ref()
            .and_then(|spec| spec.replicas)
            .unwrap_or(1),
    );
    let status = deployment.status.clone().unwrap_or_default();
    let observed = status.observed_generation.unwrap_or(0) >= generation;
    let updated = i64::from(status.updated_replicas.unwrap_or(0));
    let ready = i64::from(status.ready_replicas.unwrap_or(0));
    let available = i64::from(status.available_replicas.unwrap_or(0));
    let total = i64::from(status.replicas.unwrap_or(0));
    let done = observed && updated >= desired && available >= desired && total <= updated;
    let event = KubernetesEvent::Rollout {
        workload: name.to_owned(),
        desired,
        updated: if observed { updated } else { 0 },
        ready,
        available,
        done,
    };
    let key = (namespace.to_owned(), name.to_owned());
    if last_rollouts.get(&key) != Some(&event) {
        report(event.clone());
        last_rollouts.insert(key, event);
    }
    if done {
        return Ok(true);
    }
    if let Some(condition) = status.conditions.as_ref().and_then(|conditions| {
        conditions.iter().find(|condition| {
            condition.type_ == "Progressing"
                && condition.reason.as_deref() == Some("ProgressDeadlineExceeded")
        })
    }) {
        return Err(KubernetesError::RolloutStalled {
            workload: name.to_owned(),
            message: condition
                .message
                .clone()
                .unwrap_or_else(|| "the progress deadline passed".to_owned()),
        });
    }
    if !observed {
        return Ok(false);
    }
    for pod in newest_pods(connection, &deployment, namespace).await? {
        diagnose(
            connection, kinds, watched, namespace, name, &pod, patience, first_seen,
        )
        .await?;
    }
    Ok(false)
}

/// The pods of the Deployment's newest ReplicaSet (the one with its revision); none while the
/// controller has not made it yet.
async fn newest_pods(
    connection: &Connection,
    deployment: &Deployment,
    namespace: &str,
) -> Result<Vec<Pod>, KubernetesError> {
    const REVISION: &str = "deployment.kubernetes.io/revision";
    let Some(revision) = deployment
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(REVISION))
    else {
        return Ok(Vec::new());
    };
    let selector = deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.selector.match_labels.as_ref())
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let replica_sets: Api<ReplicaSet> = Api::namespaced(connection.client.clone(), namespace);
    let listed = replica_sets
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|error| api_failure(connection, "list", "ReplicaSets", error))?;
    let uid = deployment.metadata.uid.clone().unwrap_or_default();
    let newest = listed.items.into_iter().find(|replica_set| {
        replica_set
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(REVISION))
            == Some(revision)
            && replica_set
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|owners| owners.iter().any(|owner| owner.uid == uid))
    });
    let Some(hash) = newest
        .and_then(|replica_set| replica_set.metadata.labels)
        .and_then(|labels| labels.get("pod-template-hash").cloned())
    else {
        return Ok(Vec::new());
    };
    let pods: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let selector = if selector.is_empty() {
        format!("pod-template-hash={hash}")
    } else {
        format!("{selector},pod-template-hash={hash}")
    };
    Ok(pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|error| api_failure(connection, "list", "Pods", error))?
        .items)
}

/// Fails when `pod` shows a failure waiting cannot fix.
#[expect(
    clippy::too_many_arguments,
    reason = "the wait's state, passed down once"
)]
async fn diagnose(
    connection: &Connection,
    kinds: &Kinds,
    watched: &Watched,
    namespace: &str,
    workload: &str,
    pod: &Pod,
    patience: Patience,
    first_seen: &mut BTreeMap<String, Instant>,
) -> Result<(), KubernetesError> {
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let Some(status) = &pod.status else {
        return Ok(());
    };
    let mut since = |what: &str| {
        *first_seen
            .entry(format!("{what}/{pod_name}"))
            .or_insert_with(Instant::now)
    };
    if let Some(condition) = status.conditions.as_ref().and_then(|conditions| {
        conditions.iter().find(|condition| {
            condition.type_ == "PodScheduled"
                && condition.status == "False"
                && condition.reason.as_deref() == Some("Unschedulable")
        })
    }) {
        let seen = since("unschedulable");
        let unschedulable_for = condition
            .last_transition_time
            .as_ref()
            .and_then(|time| {
                k8s_openapi::jiff::Timestamp::now()
                    .duration_since(time.0)
                    .try_into()
                    .ok()
            })
            .map_or(seen.elapsed(), |elapsed: Duration| {
                elapsed.max(seen.elapsed())
            });
        if unschedulable_for >= patience.unschedulable {
            return Err(KubernetesError::Unschedulable {
                workload: workload.to_owned(),
                pod: pod_name,
                message: condition.message.clone().unwrap_or_default(),
            });
        }
    }
    let statuses = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for container in statuses {
        let Some(waiting) = container
            .state
            .as_ref()
            .and_then(|state| state.waiting.as_ref())
        else {
            continue;
        };
        let reason = waiting.reason.clone().unwrap_or_default();
        let message = waiting.message.clone().unwrap_or_default();
        match reason.as_str() {
            "ImagePullBackOff" | "InvalidImageName" | "ErrImageNeverPull" => {
                return Err(KubernetesError::ImagePull {
                    workload: workload.to_owned(),
                    pod: pod_name,
                    message: if message.is_empty() {
                        format!("{reason} for `{}`", container.image)
                    } else {
                        message
                    },
                });
            }
            "CrashLoopBackOff" => {
                let exit = container
                    .last_state
                    .as_ref()
                    .and_then(|state| state.terminated.as_ref())
                    .map(|terminated| {
                        format!(
                            "exited with code {}{}; ",
                            terminated.exit_code,
                            terminated
                                .reason
                                .as_ref()
                                .map(|reason| format!(" ({reason})"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                return Err(KubernetesError::CrashLoop {
                    workload: workload.to_owned(),
                    pod: pod_name,
                    message: format!(
                        "container `{}` {exit}restarted {} times ({message})",
                        container.name, container.restart_count
                    ),
                });
            }
            "CreateContainerConfigError" => {
                let secret = message
                    .split('"')
                    .nth(1)
                    .filter(|_| message.starts_with("secret "))
                    .map(str::to_owned);
                let source = secret.as_ref().and_then(|secret| {
                    watched
                        .secret_sources
                        .get(&(namespace.to_owned(), secret.clone()))
                });
                if let (Some(secret), Some(source)) = (&secret, source) {
                    match external_secret_state(connection, kinds, namespace, source).await? {
                        SecretState::Failed(reason) => {
                            return Err(KubernetesError::SecretNotSynced {
                                workload: Some(workload.to_owned()),
                                external_secret: format!("{namespace}/{source}"),
                                secret: secret.clone(),
                                message: reason,
                            });
                        }
                        SecretState::Syncing
                            if since("secret").elapsed() >= patience.missing_secret =>
                        {
                            return Err(KubernetesError::SecretNotSynced {
                                workload: Some(workload.to_owned()),
                                external_secret: format!("{namespace}/{source}"),
                                secret: secret.clone(),
                                message: format!(
                                    "not synced after {} s",
                                    patience.missing_secret.as_secs()
                                ),
                            });
                        }
                        SecretState::Syncing | SecretState::Ready => {}
                    }
                } else {
                    return Err(KubernetesError::ContainerConfig {
                        workload: workload.to_owned(),
                        pod: pod_name,
                        message,
                    });
                }
            }
            "CreateContainerError" | "RunContainerError" => {
                return Err(KubernetesError::ContainerConfig {
                    workload: workload.to_owned(),
                    pod: pod_name,
                    message: if message.is_empty() { reason } else { message },
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The URLs an Ingress serves at `hostname`, by workload (its `app.kubernetes.io/name` label).
pub fn endpoints(ingress: &Ingress, hostname: &str) -> Vec<(String, String)> {
    let workload = ingress
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get("app.kubernetes.io/name"))
        .or(ingress.metadata.name.as_ref())
        .cloned()
        .unwrap_or_default();
    let https = ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get("alb.ingress.kubernetes.io/listen-ports"))
        .is_some_and(|ports| ports.contains("HTTPS"));
    let scheme = if https { "https" } else { "http" };
    let mut urls = Vec::new();
    for rule in ingress
        .spec
        .iter()
        .flat_map(|spec| spec.rules.iter().flatten())
    {
        let host = rule.host.clone().unwrap_or_else(|| hostname.to_owned());
        for path in rule.http.iter().flat_map(|http| http.paths.iter()) {
            let path = path.path.clone().unwrap_or_else(|| "/".to_owned());
            urls.push((workload.clone(), format!("{scheme}://{host}{path}")));
        }
    }
    urls.sort();
    urls.dedup();
    urls
}
