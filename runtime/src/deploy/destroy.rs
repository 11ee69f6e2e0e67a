//! `berth destroy`: deletes this workspace and environment's stacks in reverse deploy order
//! (stacks the build no longer lists first), touching only stacks tagged with its workspace and
//! environment; reports what CloudFormation keeps (`DeletionPolicy: Retain`) with the command that
//! removes each, and what could not be deleted and why. On `eks`, the Kubernetes objects go
//! first ([`super::cluster::destroy`]): an Ingress's load balancer would keep the VPC.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::apply::take_lock;
use super::build::Build;
use super::cloudformation::{DeployedStack, execute, is_busy, observe};
use super::error::DeployError;
use super::event::{Event, Reporter};
use super::plan::berth_tags;
use super::{Clients, Settings, cluster, repositories, status};

/// What a destroy did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DestroyOutcome {
    /// The Kubernetes objects deleted (on `eks`), before any stack, Ingresses first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes: Vec<String>,
    /// The stacks deleted, in the order they were.
    pub deleted: Vec<String>,
    /// The stacks of the build that did not exist.
    pub absent: Vec<String>,
    /// What CloudFormation kept.
    pub retained: Vec<Retained>,
    /// Things worth knowing.
    pub notes: Vec<String>,
}

/// A resource that outlives its stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retained {
    /// The stack it belonged to.
    pub stack: String,
    /// The resource type.
    pub resource_type: String,
    /// Its physical id (name, id or ARN).
    pub physical_id: String,
    /// The command that deletes it, when you no longer need it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_with: Option<String>,
}

/// Destroys what `build` deployed.
pub async fn destroy(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
) -> Result<DestroyOutcome, DeployError> {
    let manifest = &build.manifest;
    let cloudformation = &clients.cloudformation;
    let mut outcome = DestroyOutcome::default();
    let mut existing: BTreeMap<String, DeployedStack> = BTreeMap::new();
    // Reverse deploy order, in groups of one order.
    let mut groups: BTreeMap<std::cmp::Reverse<u32>, Vec<String>> = BTreeMap::new();
    let left_alone = left_alone(build);
    for name in &left_alone {
        outcome.notes.push(format!(
            "left `{name}`: every workspace on the existing cluster shares it"
        ));
    }
    for (name, artifact) in manifest.stacks() {
        if left_alone.iter().any(|left| left == name) {
            continue;
        }
        let tags = build.tags_of(name);
        match observe::describe(cloudformation, name).await? {
            Some(stack) if !stack.has_tags(&tags) => {
                return Err(DeployError::ForeignStack {
                    stack: name.to_owned(),
                    expected: berth_tags(&tags),
                });
            }
            Some(stack) => {
                existing.insert(name.to_owned(), stack);
                groups
                    .entry(std::cmp::Reverse(artifact.order))
                    .or_default()
                    .push(name.to_owned());
            }
            None => outcome.absent.push(name.to_owned()),
        }
    }
    let others: Vec<String> = status::others(build, clients)
        .await?
        .into_iter()
        .map(|row| row.stack)
        .collect();
    for note in &outcome.notes {
        reporter.report(Event::Note {
            message: note.clone(),
        });
    }
    if existing.is_empty() && others.is_empty() {
        return Ok(outcome);
    }
    let Some(lock_stack) = manifest.lock_stack.as_deref() else {
        return Err(DeployError::BuildUnreadable {
            directory: ".".into(),
            reason: "manifest.json names no lock stack; run `berth build` again".to_owned(),
        });
    };
    let held = take_lock(clients, settings, reporter, build, lock_stack).await?;
    settings.activity.set_lock(Some(lock_stack));
    let mut order: Vec<Vec<String>> = Vec::new();
    if !others.is_empty() {
        order.push(others);
    }
    order.extend(groups.into_values());
    let result = match cluster::destroy(build, clients, settings, reporter).await {
        Ok(deleted) => {
            outcome.kubernetes = deleted;
            delete_groups(build, clients, settings, reporter, &order, &mut outcome).await
        }
        Err(error) => Err(error),
    };
    let released = held.release(cloudformation, reporter).await;
    settings.activity.set_lock(None);
    result?;
    released?;
    Ok(outcome)
}

/// The build's stacks `destroy` never deletes: those every workspace on an existing EKS cluster
/// shares (other workspaces' stacks import their exports).
pub fn left_alone(build: &Build) -> Vec<String> {
    build
        .manifest
        .stacks()
        .filter(|(stack, _)| {
            build
                .shared_stack(stack)
                .is_some_and(|shared| !shared.delete_on_destroy)
        })
        .map(|(stack, _)| stack.to_owned())
        .collect()
}

/// Deletes each group in turn, the stacks of a group in parallel.
async fn delete_groups(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    groups: &[Vec<String>],
    outcome: &mut DestroyOutcome,
) -> Result<(), DeployError> {
    for group in groups {
        let results: Vec<Result<(String, Vec<Retained>), DeployError>> = stream::iter(group)
            .map(|stack| async move {
                let mut retained = retained_of(build, clients, stack).await?;
                if settings.delete_images {
                    empty_repositories(build, clients, reporter, stack).await?;
                }
                for kept in delete_stack(build, clients, settings, reporter, stack).await? {
                    if !retained
                        .iter()
                        .any(|known| known.physical_id == kept.physical_id)
                    {
                        retained.push(kept);
                    }
                }
                Ok((stack.clone(), retained))
            })
            .buffered(settings.parallel.max(1))
            .collect()
            .await;
        let mut first_error = None;
        for result in results {
            match result {
                Ok((stack, retained)) => {
                    outcome.deleted.push(stack);
                    outcome.retained.extend(retained);
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
    }
    Ok(())
}

/// Deletes every image of the repositories `stack` creates (`--delete-images`).
async fn empty_repositories(
    build: &Build,
    clients: &Clients,
    reporter: &dyn Reporter,
    stack: &str,
) -> Result<(), DeployError> {
    for repository in repositories::owned_by(build, stack) {
        let deleted = repositories::empty(&clients.ecr.home, &repository).await?;
        if deleted > 0 {
            reporter.report(Event::Note {
                message: format!(
                    "deleted the {deleted} image(s) of the repository `{repository}` \
                     (--delete-images)"
                ),
            });
        }
    }
    Ok(())
}

/// Deletes one stack (after any operation in progress) and follows it to the end. A delete that
/// failed only because the workspace's repositories still hold images is finished by keeping
/// them, and the key their images are encrypted with: what it kept is returned.
async fn delete_stack(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    name: &str,
) -> Result<Vec<Retained>, DeployError> {
    let cloudformation = &clients.cloudformation;
    let Some(mut stack) = observe::describe(cloudformation, name).await? else {
        return Ok(Vec::new());
    };
    if is_busy(&stack.status) {
        reporter.report(Event::StackBusy {
            stack: name.to_owned(),
            status: stack.status.clone(),
        });
        let after = execute::newest_event(cloudformation, &stack.id).await?;
        let settled = execute::follow(
            cloudformation,
            &stack.id,
            name,
            after.as_deref(),
            false,
            reporter,
            &settings.pace,
        )
        .await?;
        stack = settled.stack;
        if stack.status == "DELETE_COMPLETE" {
            return Ok(Vec::new());
        }
    }
    reporter.report(Event::StackStarted {
        stack: name.to_owned(),
        action: "delete".to_owned(),
    });
    settings.activity.start(name, "delete");
    let after = execute::newest_event(cloudformation, &stack.id).await?;
    execute::delete(cloudformation, name).await?;
    let mut settled = execute::follow(
        cloudformation,
        &stack.id,
        name,
        after.as_deref(),
        true,
        reporter,
        &settings.pace,
    )
    .await?;
    let mut kept = Vec::new();
    if settled.stack.status == "DELETE_FAILED"
        && !settings.delete_images
        && repositories::failed_only_for_images(&settled.failed)
    {
        kept = keep_repositories(build, clients, name, &settled.failed).await?;
        reporter.report(Event::Note {
            message: format!(
                "{name}: its repositories still hold images, so berth keeps them (and their key) \
                 and deletes the rest; `berth destroy --delete-images` deletes the images with \
                 the repositories"
            ),
        });
        let keep: Vec<String> = kept
            .iter()
            .map(|(logical_id, _)| logical_id.clone())
            .collect();
        let after = execute::newest_event(cloudformation, &stack.id).await?;
        execute::delete_keeping(cloudformation, name, &keep).await?;
        settled = execute::follow(
            cloudformation,
            &stack.id,
            name,
            after.as_deref(),
            true,
            reporter,
            &settings.pace,
        )
        .await?;
    }
    settings.activity.finish(name);
    let ok = settled.stack.status == "DELETE_COMPLETE";
    reporter.report(Event::StackFinished {
        stack: name.to_owned(),
        status: settled.stack.status.clone(),
        ok,
    });
    if ok {
        Ok(kept.into_iter().map(|(_, retained)| retained).collect())
    } else {
        Err(DeployError::DeleteFailed {
            stack: name.to_owned(),
            status: settled.stack.status,
            failed: settled.failed,
        })
    }
}

/// What to keep so that the failed delete of `stack` completes: the repositories that failed
/// (they hold images) and any KMS key still in the stack (the images stay readable only while
/// it exists), by logical id.
async fn keep_repositories(
    build: &Build,
    clients: &Clients,
    stack: &str,
    failed: &[super::error::FailedResource],
) -> Result<Vec<(String, Retained)>, DeployError> {
    let output = clients
        .cloudformation
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|error| {
            crate::aws::AwsError::from_sdk("CloudFormation.DescribeStackResources", &error)
        })?;
    let region = &build.manifest.region;
    Ok(output
        .stack_resources()
        .iter()
        .filter(|resource| {
            let logical_id = resource.logical_resource_id().unwrap_or_default();
            let resource_type = resource.resource_type().unwrap_or_default();
            let deleted = resource
                .resource_status()
                .is_some_and(|status| status.as_str() == "DELETE_COMPLETE");
            failed.iter().any(|failed| failed.logical_id == logical_id)
                || (resource_type == "AWS::KMS::Key" && !deleted)
        })
        .filter_map(|resource| {
            let resource_type = resource.resource_type()?.to_owned();
            let physical_id = resource.physical_resource_id()?.to_owned();
            Some((
                resource.logical_resource_id()?.to_owned(),
                Retained {
                    stack: stack.to_owned(),
                    delete_with: delete_command(&resource_type, &physical_id, region),
                    resource_type,
                    physical_id,
                },
            ))
        })
        .collect())
}

/// The resources `stack` will leave behind, with their physical ids (read before deleting).
async fn retained_of(
    build: &Build,
    clients: &Clients,
    stack: &str,
) -> Result<Vec<Retained>, DeployError> {
    let wanted: Vec<_> = build
        .manifest
        .retained
        .iter()
        .filter(|resource| resource.stack == stack)
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let output = clients
        .cloudformation
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|error| {
            crate::aws::AwsError::from_sdk("CloudFormation.DescribeStackResources", &error)
        })?;
    Ok(wanted
        .into_iter()
        .filter_map(|resource| {
            let physical_id = output
                .stack_resources()
                .iter()
                .find(|found| found.logical_resource_id() == Some(resource.logical_id.as_str()))?
                .physical_resource_id()?
                .to_owned();
            Some(Retained {
                stack: stack.to_owned(),
                resource_type: resource.resource_type.clone(),
                delete_with: delete_command(
                    &resource.resource_type,
                    &physical_id,
                    &build.manifest.region,
                ),
                physical_id,
            })
        })
        .collect())
}

/// The command that deletes a kept resource.
fn delete_command(resource_type: &str, id: &str, region: &str) -> Option<String> {
    Some(match resource_type {
        "AWS::ECR::Repository" => {
            format!("aws ecr delete-repository --region {region} --repository-name {id} --force")
        }
        "AWS::Logs::LogGroup" => {
            format!("aws logs delete-log-group --region {region} --log-group-name {id}")
        }
        "AWS::EFS::FileSystem" => {
            format!("aws efs delete-file-system --region {region} --file-system-id {id}")
        }
        "AWS::KMS::Key" => format!(
            "aws kms schedule-key-deletion --region {region} --key-id {id} --pending-window-in-days 7"
        ),
        _ => return None,
    })
}
