//! Replica management: the `HorizontalPodAutoscaler` of an autoscaled workload and the
//! `PodDisruptionBudget` of one that runs more than one replica.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Context, count};
use crate::model::{Replicas, Workload, WorkloadKind};

/// The cpu target when only request-count scaling was asked for, which Kubernetes has no metric
/// for (validation warns): the same default berth uses when no target is written.
const DEFAULT_CPU_TARGET: u8 = 70;

/// The autoscaler of a `replicas min= max=` workload, on average cpu and memory utilisation.
pub(super) fn autoscaler(
    context: &Context<'_>,
    workload: &Workload,
) -> Option<HorizontalPodAutoscaler> {
    let Replicas::Auto {
        min,
        max,
        cpu,
        memory,
        ..
    } = &workload.replicas
    else {
        return None;
    };
    let mut targets: Vec<(&str, u8)> = Vec::new();
    if let Some(cpu) = cpu {
        targets.push(("cpu", *cpu));
    }
    if let Some(memory) = memory {
        targets.push(("memory", *memory));
    }
    if targets.is_empty() {
        targets.push(("cpu", DEFAULT_CPU_TARGET));
    }
    let metrics = targets
        .into_iter()
        .map(|(resource, utilization)| MetricSpec {
            type_: "Resource".to_owned(),
            resource: Some(ResourceMetricSource {
                name: resource.to_owned(),
                target: MetricTarget {
                    type_: "Utilization".to_owned(),
                    average_utilization: Some(i32::from(utilization)),
                    ..MetricTarget::default()
                },
            }),
            ..MetricSpec::default()
        })
        .collect();
    Some(HorizontalPodAutoscaler {
        metadata: context.metadata(&workload.name.value, workload),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "Deployment".to_owned(),
                name: workload.name.value.clone(),
            },
            min_replicas: Some(count(min.value)),
            max_replicas: count(max.value),
            metrics: Some(metrics),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    })
}

/// At most one pod voluntarily evicted at a time, when more than one runs.
pub(super) fn disruption_budget(
    context: &Context<'_>,
    workload: &Workload,
) -> Option<PodDisruptionBudget> {
    let fewest = match &workload.replicas {
        Replicas::Fixed(replicas) => *replicas,
        Replicas::Auto { min, .. } => min.value,
    };
    if workload.kind == WorkloadKind::Job || fewest <= 1 {
        return None;
    }
    Some(PodDisruptionBudget {
        metadata: context.metadata(&workload.name.value, workload),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(context.selector(workload)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}
