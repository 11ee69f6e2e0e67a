//! Rendering the deploy commands' results and failures, once: text for people, JSON for
//! machines. The engines return data; only this module decides how it looks.

use std::fmt::{self, Write as _};

use miette::GraphicalTheme;
use serde_json::{Value, json};

use crate::deploy::apply::DeployOutcome;
use crate::deploy::cluster::KubernetesStatus;
use crate::deploy::destroy::DestroyOutcome;
use crate::deploy::error::DeployError;
use crate::deploy::preview::{PlanOutcome, PlannedAction};
use crate::deploy::stack_step::StackResult;
use crate::deploy::status::StatusOutcome;
use crate::kubernetes::KubernetesPlan;
use crate::kubernetes::error::KubernetesError;
use crate::kubernetes::event::Applied;
use crate::report::Style;

/// A failure as miette renders it: code, message with details, help.
#[derive(Debug)]
struct Rendered {
    code: String,
    message: String,
    help: String,
}

impl fmt::Display for Rendered {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

/// The lines under the message: every failed resource, missing image or stopped task.
fn details(error: &DeployError) -> Vec<String> {
    match error {
        DeployError::StackFailed { failed, .. }
        | DeployError::StackRollbackFailed { failed, .. }
        | DeployError::DeleteFailed { failed, .. } => failed
            .iter()
            .map(|resource| {
                format!(
                    "{} ({}) {}: {}",
                    resource.logical_id, resource.resource_type, resource.status, resource.reason
                )
            })
            .collect(),
        DeployError::ImagesMissing { images, .. } => images
            .iter()
            .map(|image| {
                format!(
                    "{} (container {} of {}): {}",
                    image.reference(),
                    image.container,
                    image.workload,
                    image.reason
                )
            })
            .collect(),
        DeployError::RolloutFailed { stopped, .. } => stopped
            .iter()
            .map(|task| {
                format!(
                    "task {} stopped ({}): {}",
                    task.task, task.stop_code, task.reason
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The failure for people: miette's report, without colour when the style says so.
pub fn error_human(error: &DeployError, style: Style) -> String {
    let mut message = error.to_string();
    for line in details(error) {
        message.push_str("\n  - ");
        message.push_str(&line);
    }
    let rendered = Rendered {
        code: error.code().qualified(),
        message,
        help: error.help(),
    };
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = crate::report::handler(theme, style.width);
    let mut output = String::new();
    if handler.render_report(&mut output, &rendered).is_err() {
        output = format!(
            "{}: {}\nhelp: {}\n",
            rendered.code, rendered.message, rendered.help
        );
    }
    let commands = error.commands();
    if !commands.is_empty() {
        output.push_str("  run:\n");
        for command in commands {
            let _ = writeln!(output, "    {command}");
        }
    }
    output
}

/// The failure for machines.
pub fn error_json(error: &DeployError) -> Value {
    let mut body = json!({
        "code": error.code().qualified(),
        "message": error.to_string(),
        "help": error.help(),
        "commands": error.commands(),
        "exit_code": error.exit_code(),
    });
    let extra = match error {
        DeployError::StackFailed {
            stack,
            status,
            failed,
        }
        | DeployError::StackRollbackFailed {
            stack,
            status,
            failed,
        }
        | DeployError::DeleteFailed {
            stack,
            status,
            failed,
        } => {
            json!({ "stack": stack, "status": status, "failed": failed })
        }
        DeployError::ImagesMissing { images, deployed } => {
            json!({ "images": images, "deployed": deployed })
        }
        DeployError::RolloutFailed {
            workload, stopped, ..
        } => {
            json!({ "workload": workload, "stopped": stopped })
        }
        DeployError::TimedOut { in_progress, .. } | DeployError::Interrupted { in_progress } => {
            json!({ "in_progress": in_progress })
        }
        DeployError::ChangeSetFailed { stack, reason } => {
            json!({ "stack": stack, "reason": reason })
        }
        DeployError::Locked { stack, holder } => json!({ "lock": stack, "holder": holder }),
        DeployError::Kubernetes(KubernetesError::MissingPrerequisites { missing }) => json!({
            "missing": missing
                .iter()
                .map(|piece| json!({ "what": piece.what, "install": piece.install }))
                .collect::<Vec<_>>()
        }),
        DeployError::Kubernetes(KubernetesError::ChartFailed {
            release,
            chart,
            reason,
            ..
        }) => json!({ "release": release, "chart": chart, "reason": reason }),
        _ => json!({}),
    };
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    json!({ "error": body })
}

/// `berth plan` for people.
pub fn plan_human(plan: &PlanOutcome) -> String {
    let mut text = String::new();
    let mut replacements = Vec::new();
    for stack in &plan.stacks {
        let action = match stack.action {
            PlannedAction::Create => format!("create ({} resources)", stack.changes.len()),
            PlannedAction::Update => "update".to_owned(),
            PlannedAction::Unchanged => "unchanged".to_owned(),
            PlannedAction::Busy => "busy".to_owned(),
            PlannedAction::Rejected => "REJECTED".to_owned(),
        };
        let _ = writeln!(text, "{}: {action}", stack.stack);
        for change in &stack.changes {
            let sign = match change.action.as_str() {
                "Add" => "+",
                "Remove" => "-",
                "Modify" if change.replaces() => "±",
                "Modify" => "~",
                _ => "?",
            };
            let replace = match change.replacement.as_deref() {
                Some("True") => "  REPLACE",
                Some("Conditional") => "  MAY REPLACE",
                _ => "",
            };
            let _ = writeln!(
                text,
                "  {sign} {:<32} {}{replace}",
                change.logical_id, change.resource_type
            );
            if change.replaces() {
                let why: Vec<String> = change
                    .causes
                    .iter()
                    .filter(|cause| cause.requires_recreation.as_deref() != Some("Never"))
                    .map(|cause| {
                        let what = cause
                            .name
                            .clone()
                            .unwrap_or_else(|| cause.attribute.clone());
                        let by = cause
                            .causing_entity
                            .as_ref()
                            .map(|entity| format!(", changed by {entity}"))
                            .unwrap_or_default();
                        format!(
                            "{what} (recreation: {}{by})",
                            cause.requires_recreation.as_deref().unwrap_or("unknown")
                        )
                    })
                    .collect();
                replacements.push(format!(
                    "{} {} ({}): {}",
                    stack.stack,
                    change.logical_id,
                    change.resource_type,
                    if why.is_empty() {
                        "CloudFormation gives no property".to_owned()
                    } else {
                        why.join("; ")
                    }
                ));
            }
        }
        if let Some(note) = &stack.note {
            let _ = writeln!(text, "  note: {note}");
        }
    }
    if !replacements.is_empty() {
        let _ = writeln!(
            text,
            "\nReplacements: these resources are deleted and created anew (new ids, lost state):"
        );
        for line in &replacements {
            let _ = writeln!(text, "  {line}");
        }
    }
    if let Some(kubernetes) = &plan.kubernetes {
        kubernetes_plan_human(&mut text, kubernetes);
    }
    for note in &plan.notes {
        let _ = writeln!(text, "\nnote: {note}");
    }
    if !plan.missing_images.is_empty() {
        let _ = writeln!(
            text,
            "\nImages to push before deploying the stacks that run them:"
        );
        for image in &plan.missing_images {
            let _ = writeln!(text, "  {} ({})", image.reference(), image.reason);
        }
    }
    let count = |action: PlannedAction| {
        plan.stacks
            .iter()
            .filter(|stack| stack.action == action)
            .count()
    };
    let _ = writeln!(
        text,
        "\nPlan: {} to create, {} to update, {} unchanged{}.",
        count(PlannedAction::Create),
        count(PlannedAction::Update),
        count(PlannedAction::Unchanged),
        match count(PlannedAction::Rejected) {
            0 => String::new(),
            rejected => format!(", {rejected} rejected by CloudFormation"),
        }
    );
    if let Some(kubernetes) = &plan.kubernetes {
        let count = |action: &str| {
            kubernetes
                .objects
                .iter()
                .filter(|object| object.action == action)
                .count()
        };
        let _ = writeln!(
            text,
            "Kubernetes: {} to create, {} to update, {} unchanged, {} to prune.",
            count("create"),
            count("update"),
            count("unchanged"),
            kubernetes.prune.len()
        );
    }
    text
}

/// The Kubernetes objects of a plan: each create and update with its changed fields, each prune.
fn kubernetes_plan_human(text: &mut String, plan: &KubernetesPlan) {
    if !plan.install.is_empty() {
        let _ = writeln!(text, "\nInstalled first, with Helm:");
        for what in &plan.install {
            let _ = writeln!(text, "  + {what}");
        }
    }
    let _ = writeln!(text, "\nKubernetes objects:");
    for object in &plan.objects {
        let sign = match object.action {
            "create" => "+",
            "update" => "~",
            _ => "=",
        };
        let _ = writeln!(text, "  {sign} {}", object.object);
        for field in &object.fields {
            let show =
                |value: Option<&Value>| value.map_or_else(|| "(none)".to_owned(), Value::to_string);
            let _ = writeln!(
                text,
                "      {}: {} -> {}",
                field.field,
                show(field.before.as_ref()),
                show(field.after.as_ref())
            );
        }
    }
    for object in &plan.prune {
        let _ = writeln!(text, "  - {object}  (no longer declared: pruned)");
    }
}

/// `berth deploy`'s summary for people.
pub fn deploy_human(outcome: &DeployOutcome, workspace: &str, environment: &str) -> String {
    let count = |result: StackResult| {
        outcome
            .stacks
            .iter()
            .filter(|stack| stack.result == result)
            .count()
    };
    let mut text = if outcome.changed() {
        format!(
            "deployed {workspace} ({environment}): {} created, {} updated, {} unchanged\n",
            count(StackResult::Created),
            count(StackResult::Updated),
            count(StackResult::Unchanged)
        )
    } else {
        format!(
            "{workspace} ({environment}) is up to date: {} stacks unchanged\n",
            outcome.stacks.len()
        )
    };
    if let Some(kubernetes) = &outcome.kubernetes {
        for addon in &kubernetes.addons {
            let _ = writeln!(text, "  updated the EKS add-on {addon}");
        }
        for what in &kubernetes.installed {
            let _ = writeln!(text, "  installed {what}");
        }
        let _ = writeln!(
            text,
            "  kubernetes objects: {} created, {} configured, {} unchanged, {} pruned",
            kubernetes.count(Applied::Created),
            kubernetes.count(Applied::Configured),
            kubernetes.count(Applied::Unchanged),
            kubernetes.pruned.len()
        );
    }
    for endpoint in &outcome.endpoints {
        let _ = writeln!(text, "  {}: {}", endpoint.workload, endpoint.url);
        if !endpoint.url.contains(&endpoint.load_balancer) {
            let _ = writeln!(
                text,
                "    (point its DNS name at the load balancer {})",
                endpoint.load_balancer
            );
        }
    }
    text
}

/// `berth status` for people.
pub fn status_human(status: &StatusOutcome) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{:<40} {:<28} LAST UPDATE", "STACK", "STATUS");
    for row in status.stacks.iter().chain(&status.others) {
        let _ = writeln!(
            text,
            "{:<40} {:<28} {}",
            row.stack,
            row.status.as_deref().unwrap_or("not deployed"),
            row.updated.as_deref().unwrap_or("-")
        );
    }
    if !status.others.is_empty() {
        let names: Vec<&str> = status.others.iter().map(|row| row.stack.as_str()).collect();
        let _ = writeln!(
            text,
            "note: {} belong to this workspace and environment but not to this build; \
             `berth destroy` deletes them",
            names.join(", ")
        );
    }
    if !status.services.is_empty() {
        let _ = writeln!(
            text,
            "\n{:<24} {:>7} {:>7} {:>7} {:<12} IMAGE",
            "SERVICE", "DESIRED", "RUNNING", "PENDING", "ROLLOUT"
        );
        for service in &status.services {
            let _ = writeln!(
                text,
                "{:<24} {:>7} {:>7} {:>7} {:<12} {}",
                service.workload,
                service.desired,
                service.running,
                service.pending,
                service.rollout.to_lowercase().replace('_', " "),
                service.image
            );
        }
    }
    if let Some(kubernetes) = &status.kubernetes {
        workloads_human(&mut text, kubernetes);
    }
    if !status.endpoints.is_empty() {
        let _ = writeln!(text);
        for endpoint in &status.endpoints {
            let _ = writeln!(text, "{}: {}", endpoint.workload, endpoint.url);
        }
    }
    if let Some(holder) = &status.lock {
        let _ = writeln!(text, "\na deploy or destroy is running: {holder}");
    }
    if !status.deployed() {
        let _ = writeln!(text, "\nnothing of this build is deployed");
    }
    text
}

/// The workloads of `berth status` on eks.
fn workloads_human(text: &mut String, status: &KubernetesStatus) {
    if !status.workloads.is_empty() {
        let _ = writeln!(
            text,
            "\n{:<24} {:<10} {:>7} {:>7} {:>7} {:>8} HOSTNAME",
            "WORKLOAD", "KIND", "DESIRED", "READY", "UPDATED", "RESTARTS"
        );
        for workload in &status.workloads {
            if !workload.deployed {
                let _ = writeln!(
                    text,
                    "{:<24} {:<10} not deployed",
                    workload.workload, workload.kind
                );
                continue;
            }
            let _ = writeln!(
                text,
                "{:<24} {:<10} {:>7} {:>7} {:>7} {:>8} {}",
                workload.workload,
                workload.kind,
                workload.desired,
                workload.ready,
                workload.updated,
                workload.restarts,
                workload.hostname.as_deref().unwrap_or("-")
            );
        }
    }
    if let Some(note) = &status.note {
        let _ = writeln!(text, "\nnote: {note}");
    }
}

/// `berth destroy`'s summary for people.
pub fn destroy_human(outcome: &DestroyOutcome, workspace: &str, environment: &str) -> String {
    let mut text = if outcome.deleted.is_empty() && outcome.kubernetes.is_empty() {
        format!("nothing of {workspace} ({environment}) is deployed\n")
    } else {
        format!(
            "destroyed {workspace} ({environment}): deleted {}\n",
            outcome.deleted.join(", ")
        )
    };
    if !outcome.kubernetes.is_empty() {
        let _ = writeln!(
            text,
            "  first, {} Kubernetes objects (Ingresses and their load balancers first)",
            outcome.kubernetes.len()
        );
    }
    if !outcome.retained.is_empty() {
        let _ = writeln!(text, "kept:");
        for kept in &outcome.retained {
            let _ = writeln!(
                text,
                "  {} {} (from {})",
                kept.resource_type, kept.physical_id, kept.stack
            );
            if let Some(command) = &kept.delete_with {
                let _ = writeln!(text, "    delete it when no longer needed: {command}");
            }
        }
    }
    text
}
