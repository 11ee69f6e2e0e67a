//! `berth plan`: what a deploy would change, stack by stack, from CloudFormation's own change
//! sets (created, described, deleted; nothing deployed changes), with replacements and why; on
//! `eks`, each Kubernetes object's create, field-level change (a server-side dry run) or prune.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::build::{Build, INLINE_TEMPLATE_LIMIT};
use super::cloudformation::change_set::{self, ChangeSetKind, ChangeSetOutcome, ResourceChange};
use super::cloudformation::{DeployedStack, StackSpec, execute, observe};
use super::error::{DeployError, MissingImage};
use super::event::{Event, Reporter};
use super::images::{self, Resolution, ResolvedImage};
use super::plan::{self, Decision};
use super::stack_step::change_set_name;
use super::{Clients, Settings};
use crate::kubernetes::KubernetesPlan;

/// What a deploy would do.
#[derive(Clone, Debug, Serialize)]
pub struct PlanOutcome {
    /// Each stack, in deploy order.
    pub stacks: Vec<StackPlan>,
    /// Each image and what the stacks would run.
    pub images: Vec<ResolvedImage>,
    /// Images to push before the stacks that need them can deploy.
    pub missing_images: Vec<MissingImage>,
    /// What a deploy would do in the cluster (on `eks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesPlan>,
    /// Things worth knowing.
    pub notes: Vec<String>,
}

impl PlanOutcome {
    /// Whether a deploy would change anything.
    pub fn has_changes(&self) -> bool {
        self.stacks
            .iter()
            .any(|stack| stack.action != PlannedAction::Unchanged)
            || self
                .kubernetes
                .as_ref()
                .is_some_and(KubernetesPlan::changes)
    }

    /// Whether CloudFormation rejected a template.
    pub fn has_rejections(&self) -> bool {
        self.stacks
            .iter()
            .any(|stack| stack.action == PlannedAction::Rejected)
    }
}

/// What a deploy would do to one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlannedAction {
    /// Create it.
    Create,
    /// Update it.
    Update,
    /// Nothing.
    Unchanged,
    /// Wait for the operation in progress, then decide.
    Busy,
    /// Nothing: CloudFormation rejects the template.
    Rejected,
}

/// One stack's plan.
#[derive(Clone, Debug, Serialize)]
pub struct StackPlan {
    /// The stack.
    pub stack: String,
    /// What a deploy would do.
    pub action: PlannedAction,
    /// Each resource it would add, modify or remove.
    pub changes: Vec<ResourceChange>,
    /// Why the changes are incomplete or the stack is rejected, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Plans a deploy of `build`.
pub async fn plan(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
) -> Result<PlanOutcome, DeployError> {
    let mut stages = plan::stages(build);
    let specs: Vec<&StackSpec> = stages.iter().flat_map(|stage| &stage.stacks).collect();
    for spec in &specs {
        if spec.body.len() > INLINE_TEMPLATE_LIMIT {
            return Err(DeployError::TemplateTooLarge {
                stack: spec.name.clone(),
                bytes: spec.body.len(),
            });
        }
    }
    let mut observed: BTreeMap<String, Option<DeployedStack>> = BTreeMap::new();
    for spec in &specs {
        observed.insert(
            spec.name.clone(),
            observe::describe(&clients.cloudformation, &spec.name).await?,
        );
    }
    let deployed = |stack: &str| {
        observed
            .get(stack)
            .and_then(Option::as_ref)
            .is_some_and(|stack| super::cloudformation::is_stable(&stack.status))
    };
    let images = images::resolve(&clients.ecr, &build.manifest.images, &deployed).await?;
    plan::fill_parameters(&mut stages, &images);
    super::apply::fill_ssm(clients, &mut stages).await?;
    let mut deployer_notes = Vec::new();
    super::deployer::fill(clients, build, &mut stages, &mut deployer_notes).await?;
    let changing: Vec<String> = Vec::new();
    let changing = std::sync::Mutex::new(changing);
    let mut stacks = Vec::new();
    // One stage at a time: a later stack's preview depends on whether an earlier one changes.
    for stage in &stages {
        let planned: Vec<Result<StackPlan, DeployError>> = stream::iter(stage.stacks.iter())
            .map(|spec| {
                let observed = &observed;
                let changing = &changing;
                async move {
                    let deployed = observed.get(&spec.name).and_then(Option::as_ref);
                    let planned =
                        plan_stack(build, clients, settings, spec, deployed, changing).await?;
                    if planned.action != PlannedAction::Unchanged
                        && let Ok(mut changing) = changing.lock()
                    {
                        changing.push(spec.name.clone());
                    }
                    Ok(planned)
                }
            })
            .buffered(settings.parallel.max(1))
            .collect()
            .await;
        for planned in planned {
            stacks.push(planned?);
        }
    }
    let missing_images = images
        .iter()
        .filter_map(|image| match &image.resolution {
            Resolution::Missing(missing) => Some(missing.clone()),
            _ => None,
        })
        .collect();
    let kubernetes = super::cluster::plan(build, clients, settings, &images).await?;
    let mut notes = build.notes.clone();
    notes.extend(deployer_notes);
    let creating: Vec<&str> = observed
        .iter()
        .filter(|(_, deployed)| deployed.is_none())
        .map(|(stack, _)| stack.as_str())
        .collect();
    for (stack, repository) in
        super::repositories::in_the_way(&clients.ecr.home, build, &creating).await?
    {
        notes.push(format!(
            "the repository `{repository}` exists (kept by an earlier destroy?) and `{stack}` \
             would create it: deploy stops before changing anything until it is deleted \
             (berth::repository-kept)"
        ));
    }
    for note in &notes {
        reporter.report(Event::Note {
            message: note.clone(),
        });
    }
    for image in &images {
        match &image.resolution {
            Resolution::AsWritten {
                image: reference,
                pinned: false,
            } => notes.push(format!(
                "`{reference}` ({}) is not in ECR, so it deploys by tag, unpinned: write it with \
                 `@sha256:…` to pin it",
                image.workload
            )),
            Resolution::NotYetCreated {
                stack,
                image: reference,
            } => notes.push(format!(
                "`{reference}` ({}) can be pinned only once `{stack}` has created its \
                 repository: deploy stops there until the image is pushed",
                image.workload
            )),
            _ => {}
        }
    }
    Ok(PlanOutcome {
        stacks,
        images,
        missing_images,
        kubernetes,
        notes,
    })
}

/// The plan of one stack: unchanged from what is deployed, or CloudFormation's change set.
async fn plan_stack(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    spec: &StackSpec,
    deployed: Option<&DeployedStack>,
    changing: &std::sync::Mutex<Vec<String>>,
) -> Result<StackPlan, DeployError> {
    let cloudformation = &clients.cloudformation;
    let template = if plan::needs_template(spec, deployed) {
        Some(observe::template(cloudformation, &spec.name).await?)
    } else {
        None
    };
    let kind = match plan::decide(spec, deployed, template.as_deref())? {
        Decision::Unchanged => {
            return Ok(stack_plan(spec, PlannedAction::Unchanged, Vec::new(), None));
        }
        Decision::Busy(status) => {
            return Ok(stack_plan(
                spec,
                PlannedAction::Busy,
                Vec::new(),
                Some(format!(
                    "CloudFormation is working on it ({status}); deploy waits for that first"
                )),
            ));
        }
        Decision::Create => ChangeSetKind::Create,
        Decision::Update => ChangeSetKind::Update,
    };
    let action = if kind == ChangeSetKind::Create {
        PlannedAction::Create
    } else {
        PlannedAction::Update
    };
    let id = change_set::create(cloudformation, spec, kind, &change_set_name("plan")).await?;
    let outcome = change_set::wait(cloudformation, &id, &settings.pace).await;
    // Clean up whatever the outcome: the change set, and the empty stack a CREATE one made.
    let deleted = change_set::delete(cloudformation, &id).await;
    if kind == ChangeSetKind::Create {
        execute::delete(cloudformation, &spec.name).await?;
    }
    deleted?;
    Ok(match outcome? {
        ChangeSetOutcome::Ready { changes, .. } => stack_plan(spec, action, changes, None),
        ChangeSetOutcome::NoChanges { .. } => {
            stack_plan(spec, PlannedAction::Unchanged, Vec::new(), None)
        }
        ChangeSetOutcome::Failed { reason, .. } => {
            let earlier = changing
                .lock()
                .map(|stacks| stacks.clone())
                .unwrap_or_default();
            match missing_export(&reason, &earlier) {
                Some(stack) => stack_plan(
                    spec,
                    action,
                    if kind == ChangeSetKind::Create {
                        template_resources(build.file(&spec.artifact))
                    } else {
                        Vec::new()
                    },
                    Some(format!(
                        "CloudFormation can preview it only once `{stack}` is deployed (it imports \
                         an export that stack adds); {}",
                        if kind == ChangeSetKind::Create {
                            "every resource of its template is listed"
                        } else {
                            "its changes are not listed"
                        }
                    )),
                ),
                None => stack_plan(spec, PlannedAction::Rejected, Vec::new(), Some(reason)),
            }
        }
    })
}

fn stack_plan(
    spec: &StackSpec,
    action: PlannedAction,
    changes: Vec<ResourceChange>,
    note: Option<String>,
) -> StackPlan {
    StackPlan {
        stack: spec.name.clone(),
        action,
        changes,
        note,
    }
}

/// The earlier stack whose export is missing, when `reason` is CloudFormation's "No export named
/// <stack>-<Key> found." for a stack this deploy creates or changes.
fn missing_export(reason: &str, changing: &[String]) -> Option<String> {
    let name = reason
        .split("No export named ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    changing
        .iter()
        .find(|stack| name.starts_with(&format!("{stack}-")))
        .cloned()
}

/// Every resource of a template as an `Add`, for a stack CloudFormation cannot preview yet.
fn template_resources(body: &str) -> Vec<ResourceChange> {
    let value: serde_json::Value = serde_json::from_str(body)
        .ok()
        .or_else(|| serde_saphyr::from_str(body).ok())
        .unwrap_or_default();
    value["Resources"]
        .as_object()
        .map(|resources| {
            resources
                .iter()
                .map(|(id, resource)| ResourceChange {
                    action: "Add".to_owned(),
                    logical_id: id.clone(),
                    resource_type: resource["Type"].as_str().unwrap_or_default().to_owned(),
                    replacement: None,
                    causes: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_export_of_an_earlier_changing_stack_is_recognised() {
        let reason = "No export named shop-default-platform-ClusterArn found.";
        let changing = vec!["shop-default-platform".to_owned()];
        assert_eq!(
            missing_export(reason, &changing).as_deref(),
            Some("shop-default-platform")
        );
        assert_eq!(missing_export(reason, &[]), None);
        assert_eq!(missing_export("Template format error", &changing), None);
    }

    #[test]
    fn template_resources_are_listed_as_additions() {
        let body = r#"{"Resources":{"Role":{"Type":"AWS::IAM::Role"}}}"#;
        let changes = template_resources(body);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].logical_id, "Role");
        assert_eq!(changes[0].resource_type, "AWS::IAM::Role");
    }
}
