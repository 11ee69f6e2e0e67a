//! The manifests of one workload, in apply order: service account, secret stores and external
//! secret, volume claims, the `Deployment` (service, worker) or `CronJob` (job), then its `Service`,
//! autoscaler, disruption budget and Ingresses.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, ServiceAccount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::secrets::{self, Plan};
use super::{Context, count, networking, pod, scaling, to_value};
use crate::model::{Deploy, Replicas, Workload, WorkloadKind};
use crate::naming::Naming;

/// The storage each EFS volume claim requests; EFS is elastic, but the API requires a size.
const CLAIM_SIZE: &str = "5Gi";
/// Finished runs of a job kept for inspection.
const SUCCESSFUL_HISTORY: i32 = 3;
/// Failed runs of a job kept for inspection.
const FAILED_HISTORY: i32 = 1;

/// Every document of `workload`'s file, in apply order.
pub(super) fn documents(context: &Context<'_>, workload: &Workload) -> Vec<Value> {
    let name = workload.name.value.as_str();
    let plan = Plan::new(workload);
    let mut documents = vec![to_value(&ServiceAccount {
        metadata: context.metadata(name, workload),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })];
    documents.extend(secrets::documents(context, workload, &plan));
    documents.extend(
        workload
            .volumes
            .iter()
            .map(|volume| to_value(&claim(context, workload, &volume.name.value))),
    );
    match workload.kind {
        WorkloadKind::Service | WorkloadKind::Worker => {
            documents.push(to_value(&deployment(context, workload, &plan)));
            if workload.kind == WorkloadKind::Service
                && let Some(service) = networking::service(context, workload)
            {
                documents.push(to_value(&service));
            }
            if let Some(autoscaler) = scaling::autoscaler(context, workload) {
                documents.push(to_value(&autoscaler));
            }
            if let Some(budget) = scaling::disruption_budget(context, workload) {
                documents.push(to_value(&budget));
            }
            documents.extend(
                networking::ingresses(context, workload)
                    .iter()
                    .map(to_value),
            );
        }
        WorkloadKind::Job => documents.push(to_value(&cron_job(context, workload, &plan))),
    }
    documents
}

/// The EFS-backed claim of one volume, shared by every replica.
fn claim(context: &Context<'_>, workload: &Workload, volume: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: context.metadata(
            &Naming::volume_claim(&workload.name.value, volume),
            workload,
        ),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteMany".to_owned()]),
            storage_class_name: Some(context.storage_class()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_owned(),
                    Quantity(CLAIM_SIZE.to_owned()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

/// A service or worker: a rolling Deployment that never drops below its replica count. The count
/// is left to the autoscaler when there is one.
fn deployment(context: &Context<'_>, workload: &Workload, plan: &Plan<'_>) -> Deployment {
    let replicas = match &workload.replicas {
        Replicas::Fixed(replicas) => Some(count(*replicas)),
        Replicas::Auto { .. } => None,
    };
    Deployment {
        metadata: context.metadata(&workload.name.value, workload),
        spec: Some(DeploymentSpec {
            replicas,
            selector: LabelSelector {
                match_labels: Some(context.selector(workload)),
                ..LabelSelector::default()
            },
            strategy: Some(strategy(workload.deploy.value)),
            template: pod::template(context, workload, plan, None),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// Rolling: surge new pods first and never drop below the count. Recreate: stop every old pod
/// before starting new ones, so two versions never share a volume.
fn strategy(deploy: Deploy) -> DeploymentStrategy {
    match deploy {
        Deploy::Rolling => DeploymentStrategy {
            type_: Some("RollingUpdate".to_owned()),
            rolling_update: Some(RollingUpdateDeployment {
                max_unavailable: Some(IntOrString::Int(0)),
                max_surge: Some(IntOrString::String("25%".to_owned())),
            }),
        },
        Deploy::Recreate => DeploymentStrategy {
            type_: Some("Recreate".to_owned()),
            rolling_update: None,
        },
    }
}

/// A job: a `CronJob` on the 5-field schedule in UTC that never overlaps itself, retries a failed
/// run `retries` times and stops one that outlives `timeout`.
fn cron_job(context: &Context<'_>, workload: &Workload, plan: &Plan<'_>) -> CronJob {
    let schedule = workload
        .schedule
        .as_ref()
        .map(|schedule| schedule.cron.value.clone())
        .unwrap_or_default();
    CronJob {
        metadata: context.metadata(&workload.name.value, workload),
        spec: Some(CronJobSpec {
            schedule,
            time_zone: Some("Etc/UTC".to_owned()),
            concurrency_policy: Some("Forbid".to_owned()),
            successful_jobs_history_limit: Some(SUCCESSFUL_HISTORY),
            failed_jobs_history_limit: Some(FAILED_HISTORY),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(context.labels(workload)),
                    ..ObjectMeta::default()
                }),
                spec: Some(JobSpec {
                    backoff_limit: Some(count(workload.retries.value)),
                    active_deadline_seconds: workload
                        .timeout
                        .as_ref()
                        .map(|timeout| i64::from(super::seconds(timeout.value))),
                    template: pod::template(context, workload, plan, Some("Never")),
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    }
}
