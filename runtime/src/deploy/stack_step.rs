//! Deploying one stack: wait for an operation someone else started, skip it when unchanged,
//! otherwise create a change set, execute it and follow its events to the end — failing fast
//! (and rolling back) when an ECS service in it keeps stopping its new tasks — then wait for the
//! stack's ECS services to finish rolling out.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use berth_compiler::manifest::EcsService;

use super::cloudformation::change_set::{self, ChangeSetKind, ChangeSetOutcome};
use super::cloudformation::execute::{self, Settled};
use super::cloudformation::{StackSpec, observe};
use super::error::DeployError;
use super::event::{Event, Reporter};
use super::plan::{Decision, decide, needs_template};
use super::rollout::{self, Progress};
use super::{Clients, Settings};

/// What happened to a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StackResult {
    /// Created.
    Created,
    /// Updated.
    Updated,
    /// Left as it was.
    Unchanged,
}

/// One stack and the ECS services in it.
pub struct StackJob<'a> {
    /// The stack as the build wants it.
    pub spec: &'a StackSpec,
    /// Its ECS services, with the cluster's name (from the platform's outputs).
    pub services: Vec<(&'a EcsService, String)>,
}

/// Deploys one stack, then waits for its services' rollouts.
pub async fn deploy_stack(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    job: &StackJob<'_>,
) -> Result<StackResult, DeployError> {
    let spec = job.spec;
    let cloudformation = &clients.cloudformation;
    let (decision, deployed) = loop {
        let deployed = observe::describe(cloudformation, &spec.name).await?;
        let template = if needs_template(spec, deployed.as_ref()) {
            Some(observe::template(cloudformation, &spec.name).await?)
        } else {
            None
        };
        match decide(spec, deployed.as_ref(), template.as_deref())? {
            Decision::Busy(status) => {
                reporter.report(Event::StackBusy {
                    stack: spec.name.clone(),
                    status: status.clone(),
                });
                settings.activity.start(&spec.name, &status.to_lowercase());
                let id = deployed.map(|stack| stack.id).unwrap_or_default();
                let after = execute::newest_event(cloudformation, &id).await?;
                execute::follow(
                    cloudformation,
                    &id,
                    &spec.name,
                    after.as_deref(),
                    false,
                    reporter,
                    &settings.pace,
                )
                .await?;
                settings.activity.finish(&spec.name);
            }
            decision => break (decision, deployed),
        }
    };
    let (result, outputs) = match decision {
        Decision::Unchanged => {
            reporter.report(Event::StackUnchanged {
                stack: spec.name.clone(),
            });
            let outputs = deployed.map(|stack| stack.outputs).unwrap_or_default();
            (StackResult::Unchanged, outputs)
        }
        Decision::Create | Decision::Update | Decision::Busy(_) => {
            let kind = if decision == Decision::Create {
                ChangeSetKind::Create
            } else {
                ChangeSetKind::Update
            };
            change(clients, settings, reporter, job, kind, deployed.is_some()).await?
        }
    };
    for (service, cluster) in &job.services {
        let Some(name) = outputs.get(&service.service.output) else {
            continue;
        };
        rollout::follow(
            &clients.ecs,
            &service.workload,
            cluster,
            name,
            reporter,
            &settings.pace,
        )
        .await
        .map_err(|error| {
            with_action(
                error,
                "ECS's circuit breaker rolls the service back to the previous task definition",
            )
        })?;
    }
    Ok(result)
}

/// Creates and executes a change set, following the stack to the end; returns what happened
/// and the stack's outputs.
async fn change(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    job: &StackJob<'_>,
    kind: ChangeSetKind,
    exists: bool,
) -> Result<(StackResult, BTreeMap<String, String>), DeployError> {
    let spec = job.spec;
    let cloudformation = &clients.cloudformation;
    let name = change_set_name("deploy");
    let id = change_set::create(cloudformation, spec, kind, &name).await?;
    let outcome = change_set::wait(cloudformation, &id, &settings.pace).await?;
    match outcome {
        ChangeSetOutcome::NoChanges { id } => {
            change_set::delete(cloudformation, &id).await?;
            reporter.report(Event::StackUnchanged {
                stack: spec.name.clone(),
            });
            let stack = observe::describe(cloudformation, &spec.name).await?;
            return Ok((
                StackResult::Unchanged,
                stack.map(|stack| stack.outputs).unwrap_or_default(),
            ));
        }
        ChangeSetOutcome::Failed { id, reason } => {
            change_set::delete(cloudformation, &id).await?;
            if kind == ChangeSetKind::Create {
                // The change set left an empty stack in REVIEW_IN_PROGRESS: remove it.
                execute::delete(cloudformation, &spec.name).await?;
            }
            return Err(DeployError::ChangeSetFailed {
                stack: spec.name.clone(),
                reason,
            });
        }
        ChangeSetOutcome::Ready { .. } => {}
    }
    let action = if kind == ChangeSetKind::Create {
        "create"
    } else {
        "update"
    };
    reporter.report(Event::StackStarted {
        stack: spec.name.clone(),
        action: action.to_owned(),
    });
    settings.activity.start(&spec.name, action);
    let after = if exists {
        execute::newest_event(cloudformation, &spec.name).await?
    } else {
        None
    };
    let stack_id = observe::describe(cloudformation, &spec.name)
        .await?
        .map_or_else(|| spec.name.clone(), |stack| stack.id);
    change_set::execute(cloudformation, &id).await?;
    let follow = execute::follow(
        cloudformation,
        &stack_id,
        &spec.name,
        after.as_deref(),
        true,
        reporter,
        &settings.pace,
    );
    let settled = tokio::select! {
        settled = follow => settled?,
        failure = watch_services(clients, settings, job) => {
            return Err(undo(clients, settings, reporter, job, kind, &stack_id, failure).await);
        }
    };
    settings.activity.finish(&spec.name);
    let outputs = settled.stack.outputs.clone();
    finish(reporter, spec, kind, settled).map(|result| (result, outputs))
}

/// Reports how the stack ended; an error unless it ended as asked.
fn finish(
    reporter: &dyn Reporter,
    spec: &StackSpec,
    kind: ChangeSetKind,
    settled: Settled,
) -> Result<StackResult, DeployError> {
    let status = settled.stack.status.clone();
    let ok = matches!(status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE");
    reporter.report(Event::StackFinished {
        stack: spec.name.clone(),
        status: status.clone(),
        ok,
    });
    if ok {
        return Ok(if kind == ChangeSetKind::Create {
            StackResult::Created
        } else {
            StackResult::Updated
        });
    }
    let stack = spec.name.clone();
    let failed = settled.failed;
    Err(if status.ends_with("ROLLBACK_FAILED") {
        DeployError::StackRollbackFailed {
            stack,
            status,
            failed,
        }
    } else {
        DeployError::StackFailed {
            stack,
            status,
            failed,
        }
    })
}

/// Looks at the stack's services while CloudFormation works, and returns the first rollout
/// failure (it never returns otherwise).
async fn watch_services(clients: &Clients, settings: &Settings, job: &StackJob<'_>) -> DeployError {
    let mut attempt = 0;
    loop {
        settings.pace.wait(attempt).await;
        attempt += 1;
        for (service, cluster) in &job.services {
            let resource = clients
                .cloudformation
                .describe_stack_resource()
                .stack_name(&job.spec.name)
                .logical_resource_id(&service.logical_id)
                .send()
                .await;
            let Some(arn) = resource.ok().and_then(|found| {
                found
                    .stack_resource_detail()
                    .and_then(|detail| detail.physical_resource_id())
                    .map(str::to_owned)
            }) else {
                continue;
            };
            match rollout::look(&clients.ecs, &service.workload, cluster, &arn).await {
                Err(error @ DeployError::RolloutFailed { .. }) => return error,
                Ok(Some(Progress::Done(_) | Progress::Rolling(_)) | None) | Err(_) => {}
            }
        }
    }
}

/// After a rollout failure during the stack operation: cancel an update (CloudFormation rolls
/// back to what served before) or delete a stack being created, and wait for that to end.
async fn undo(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    job: &StackJob<'_>,
    kind: ChangeSetKind,
    stack_id: &str,
    failure: DeployError,
) -> DeployError {
    let cloudformation = &clients.cloudformation;
    let name = &job.spec.name;
    let (undone, action) = if kind == ChangeSetKind::Update {
        (
            execute::cancel_update(cloudformation, name).await,
            format!(
                "berth cancelled the update; CloudFormation rolled `{name}` back, so the previous version keeps serving"
            ),
        )
    } else {
        (
            execute::delete(cloudformation, name).await,
            format!("berth deleted the new stack `{name}`, which served nothing yet"),
        )
    };
    if let Err(error) = undone {
        return error.into();
    }
    let settled = execute::follow(
        cloudformation,
        stack_id,
        name,
        None,
        false,
        reporter,
        &settings.pace,
    )
    .await;
    settings.activity.finish(name);
    if let Ok(settled) = settled {
        reporter.report(Event::StackFinished {
            stack: name.clone(),
            status: settled.stack.status,
            ok: false,
        });
    }
    with_action(failure, &action)
}

/// Sets what berth did about a rollout failure.
fn with_action(error: DeployError, done: &str) -> DeployError {
    match error {
        DeployError::RolloutFailed {
            workload,
            reason,
            stopped,
            ..
        } => DeployError::RolloutFailed {
            workload,
            reason,
            stopped,
            action: done.to_owned(),
        },
        other => other,
    }
}

/// A change set name unique to this run: `berth-<purpose>-<unix milliseconds>`.
pub fn change_set_name(purpose: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    format!("berth-{purpose}-{now}")
}
