//! ECS rollouts: a service's newest (PRIMARY) deployment followed until it is COMPLETED, failing
//! fast when its tasks keep stopping (image pull errors, an essential container exiting, failed
//! health checks) instead of waiting for the circuit breaker.

use std::fmt::Write as _;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{DesiredStatus, Service, Task};
use serde::Serialize;

use super::Pace;
use super::error::{DeployError, StoppedTask};
use super::event::{Event, Reporter};
use crate::aws::AwsError;

/// Stopped tasks of the new deployment after which berth calls the rollout failed.
pub const FAIL_AFTER_STOPPED_TASKS: usize = 2;

/// A service and its newest deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// The service's name.
    pub name: String,
    /// Tasks wanted.
    pub desired: i32,
    /// Tasks running.
    pub running: i32,
    /// Tasks starting.
    pub pending: i32,
    /// The newest deployment's rollout state: `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub state: String,
    /// ECS's reason for the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The newest deployment's task definition ARN.
    pub task_definition: String,
    /// How many deployments are active (more than one while rolling).
    pub deployments: usize,
}

impl ServiceState {
    fn from_sdk(service: &Service) -> Self {
        let primary = service
            .deployments()
            .iter()
            .find(|deployment| deployment.status() == Some("PRIMARY"));
        let deployments = service.deployments().len();
        let desired = service.desired_count();
        let running = service.running_count();
        let pending = service.pending_count();
        // Without a rollout state (another deployment controller), one deployment at its count
        // is a finished one.
        let state = primary
            .and_then(|deployment| deployment.rollout_state())
            .map_or_else(
                || {
                    if deployments <= 1 && running == desired && pending == 0 {
                        "COMPLETED".to_owned()
                    } else {
                        "IN_PROGRESS".to_owned()
                    }
                },
                |state| state.as_str().to_owned(),
            );
        Self {
            name: service.service_name().unwrap_or_default().to_owned(),
            desired,
            running,
            pending,
            state,
            reason: primary
                .and_then(|deployment| deployment.rollout_state_reason())
                .map(str::to_owned),
            task_definition: primary
                .and_then(|deployment| deployment.task_definition())
                .or(service.task_definition())
                .unwrap_or_default()
                .to_owned(),
            deployments,
        }
    }
}

/// The service `service` of `cluster`, or `None` when it does not exist (or is inactive).
pub async fn describe(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<ServiceState>, AwsError> {
    let output = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("ECS.DescribeServices", &error))?;
    Ok(output
        .services()
        .iter()
        .find(|found| found.status() != Some("INACTIVE"))
        .map(ServiceState::from_sdk))
}

/// The stopped tasks of `task_definition` in `service` that failed (not stopped by a person or
/// a scale-in), newest first.
pub async fn failed_tasks(
    client: &Client,
    cluster: &str,
    service: &str,
    task_definition: &str,
) -> Result<Vec<StoppedTask>, AwsError> {
    let listed = client
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("ECS.ListTasks", &error))?;
    let arns: Vec<String> = listed.task_arns().iter().take(100).cloned().collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = client
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("ECS.DescribeTasks", &error))?;
    let mut tasks: Vec<&Task> = described
        .tasks()
        .iter()
        .filter(|task| task.task_definition_arn() == Some(task_definition))
        .filter(|task| is_failure(task))
        .collect();
    tasks.sort_by_key(|task| {
        std::cmp::Reverse(task.stopped_at().map(aws_smithy_types::DateTime::secs))
    });
    Ok(tasks.into_iter().map(stopped_task).collect())
}

/// Whether a stopped task failed: it could not start, its essential container exited, or it
/// failed its health checks.
fn is_failure(task: &Task) -> bool {
    let code = task
        .stop_code()
        .map(aws_sdk_ecs::types::TaskStopCode::as_str)
        .unwrap_or_default();
    let reason = task.stopped_reason().unwrap_or_default().to_lowercase();
    matches!(code, "TaskFailedToStart" | "EssentialContainerExited")
        || reason.contains("health check")
        || reason.contains("cannotpullcontainer")
}

/// The task's id, stop code and reason, with each container's reason or exit code.
fn stopped_task(task: &Task) -> StoppedTask {
    let mut reason = task.stopped_reason().unwrap_or_default().to_owned();
    for container in task.containers() {
        let detail = match (container.reason(), container.exit_code()) {
            (Some(text), _) => text.to_owned(),
            (None, Some(code)) if code != 0 => format!("exit code {code}"),
            _ => continue,
        };
        let _ = write!(
            reason,
            "; container {}: {detail}",
            container.name().unwrap_or_default()
        );
    }
    StoppedTask {
        task: task
            .task_arn()
            .and_then(|arn| arn.rsplit('/').next())
            .unwrap_or_default()
            .to_owned(),
        stop_code: task
            .stop_code()
            .map(|code| code.as_str().to_owned())
            .unwrap_or_default(),
        reason,
    }
}

/// How one look at a rollout came out.
pub enum Progress {
    /// COMPLETED.
    Done(ServiceState),
    /// Still rolling.
    Rolling(ServiceState),
}

/// Looks once at the rollout of `service`: done, still rolling, or failed (ECS said FAILED, or
/// [`FAIL_AFTER_STOPPED_TASKS`] tasks of the new deployment failed).
pub async fn look(
    client: &Client,
    workload: &str,
    cluster: &str,
    service: &str,
) -> Result<Option<Progress>, DeployError> {
    let Some(state) = describe(client, cluster, service).await? else {
        return Ok(None);
    };
    if state.state == "COMPLETED" {
        return Ok(Some(Progress::Done(state)));
    }
    let stopped = failed_tasks(client, cluster, service, &state.task_definition).await?;
    if state.state == "FAILED" || stopped.len() >= FAIL_AFTER_STOPPED_TASKS {
        return Err(DeployError::RolloutFailed {
            workload: workload.to_owned(),
            reason: state
                .reason
                .clone()
                .unwrap_or_else(|| "the deployment failed".to_owned()),
            stopped,
            action: String::new(),
        });
    }
    Ok(Some(Progress::Rolling(state)))
}

/// Follows the rollout of `service` until it completes, reporting each change.
pub async fn follow(
    client: &Client,
    workload: &str,
    cluster: &str,
    service: &str,
    reporter: &dyn Reporter,
    pace: &Pace,
) -> Result<(), DeployError> {
    let mut last: Option<ServiceState> = None;
    let mut attempt = 0;
    loop {
        let state = match look(client, workload, cluster, service).await? {
            None => return Ok(()),
            Some(Progress::Done(state)) => {
                report(reporter, workload, &state, last.as_ref());
                return Ok(());
            }
            Some(Progress::Rolling(state)) => state,
        };
        report(reporter, workload, &state, last.as_ref());
        last = Some(state);
        pace.wait(attempt).await;
        attempt += 1;
    }
}

fn report(
    reporter: &dyn Reporter,
    workload: &str,
    state: &ServiceState,
    last: Option<&ServiceState>,
) {
    if last == Some(state) {
        return;
    }
    reporter.report(Event::Rollout {
        workload: workload.to_owned(),
        desired: state.desired,
        running: state.running,
        pending: state.pending,
        state: state.state.clone(),
    });
}
