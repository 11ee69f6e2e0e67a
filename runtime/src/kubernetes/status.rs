//! What runs now, for `berth status`: per workload its desired, ready and updated replicas and
//! restarts (a CronJob its schedule and last run), and the hostname of each Ingress.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::apply::api_failure;
use super::connect::Connection;
use super::error::KubernetesError;
use super::objects::DesiredObject;
use super::wait::endpoints;

/// One workload as it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkloadStatus {
    /// The workload.
    pub workload: String,
    /// `Deployment` or `CronJob`.
    pub kind: String,
    /// Whether it exists in the cluster.
    pub deployed: bool,
    /// Replicas wanted.
    pub desired: i64,
    /// Replicas ready.
    pub ready: i64,
    /// Replicas on the current template.
    pub updated: i64,
    /// Container restarts across its pods.
    pub restarts: i64,
    /// A CronJob's schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A CronJob's last scheduled run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run: Option<String>,
    /// The load balancer hostname of its Ingress, once it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Its public URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// The status of every Deployment and CronJob of `objects`, with their Ingresses' hostnames.
pub async fn workloads(
    connection: &Connection,
    objects: &[DesiredObject],
) -> Result<Vec<WorkloadStatus>, KubernetesError> {
    let mut statuses = Vec::new();
    for object in objects {
        let Some(namespace) = object.id.namespace.as_deref() else {
            continue;
        };
        let name = object.id.name.as_str();
        let failure = |error| api_failure(connection, "read", &object.id.to_string(), error);
        let mut status = WorkloadStatus {
            workload: name.to_owned(),
            kind: object.id.kind.clone(),
            deployed: false,
            desired: 0,
            ready: 0,
            updated: 0,
            restarts: 0,
            schedule: None,
            last_run: None,
            hostname: None,
            urls: Vec::new(),
        };
        match object.id.kind.as_str() {
            "Deployment" => {
                let api: Api<Deployment> = Api::namespaced(connection.client.clone(), namespace);
                if let Some(deployment) = api.get_opt(name).await.map_err(failure)? {
                    let spec = deployment.spec.clone().unwrap_or_default();
                    let current = deployment.status.clone().unwrap_or_default();
                    status.deployed = true;
                    status.desired = i64::from(spec.replicas.unwrap_or(1));
                    status.ready = i64::from(current.ready_replicas.unwrap_or(0));
                    status.updated = i64::from(current.updated_replicas.unwrap_or(0));
                    let selector = spec
                        .selector
                        .match_labels
                        .unwrap_or_default()
                        .iter()
                        .map(|(key, value)| format!("{key}={value}"))
                        .collect::<Vec<_>>()
                        .join(",");
                    let pods: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
                    status.restarts = pods
                        .list(&ListParams::default().labels(&selector))
                        .await
                        .map_err(|error| api_failure(connection, "list", "Pods", error))?
                        .items
                        .iter()
                        .flat_map(|pod| {
                            pod.status
                                .iter()
                                .flat_map(|status| status.container_statuses.iter().flatten())
                        })
                        .map(|container| i64::from(container.restart_count))
                        .sum();
                }
            }
            "CronJob" => {
                let api: Api<CronJob> = Api::namespaced(connection.client.clone(), namespace);
                if let Some(cron_job) = api.get_opt(name).await.map_err(failure)? {
                    status.deployed = true;
                    status.schedule = cron_job.spec.as_ref().map(|spec| spec.schedule.clone());
                    status.last_run = cron_job
                        .status
                        .and_then(|status| status.last_schedule_time)
                        .map(|time| time.0.to_string());
                }
            }
            _ => continue,
        }
        statuses.push(status);
    }
    for object in objects.iter().filter(|object| object.id.kind == "Ingress") {
        let Some(namespace) = object.id.namespace.as_deref() else {
            continue;
        };
        let api: Api<Ingress> = Api::namespaced(connection.client.clone(), namespace);
        let Some(ingress) = api
            .get_opt(&object.id.name)
            .await
            .map_err(|error| api_failure(connection, "read", &object.id.to_string(), error))?
        else {
            continue;
        };
        let hostname = ingress
            .status
            .as_ref()
            .and_then(|status| status.load_balancer.as_ref())
            .and_then(|balancer| balancer.ingress.as_ref())
            .and_then(|entries| entries.iter().find_map(|entry| entry.hostname.clone()));
        let Some(hostname) = hostname else {
            continue;
        };
        for (workload, url) in endpoints(&ingress, &hostname) {
            if let Some(status) = statuses
                .iter_mut()
                .find(|status| status.workload == workload)
            {
                status.hostname = Some(hostname.clone());
                status.urls.push(url);
            }
        }
    }
    Ok(statuses)
}
