//! How the deploy commands show progress: a line per stack that keeps its latest event on a
//! terminal (indicatif), a plain line per event otherwise (CI logs), or one JSON object per
//! event with `--format json`. All of it goes to standard error; standard output carries only
//! the result.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::deploy::event::{Event, Reporter};
use crate::kubernetes::event::KubernetesEvent;
use crate::stdio;

/// One line describing `event`.
pub fn describe(event: &Event) -> String {
    match event {
        Event::Note { message } => format!("note: {message}"),
        Event::LockWaiting { stack, holder } => {
            format!("waiting for the deploy lock `{stack}`, held by {holder}")
        }
        Event::LockAcquired { stack } => format!("holding the deploy lock `{stack}`"),
        Event::LockReleased { stack } => format!("released the deploy lock `{stack}`"),
        Event::ImageResolved {
            workload,
            container,
            image,
            pinned,
        } => {
            let name = if workload == container {
                workload.clone()
            } else {
                format!("{workload}/{container}")
            };
            let unpinned = if *pinned { "" } else { " (by tag, not pinned)" };
            format!("image {name}: {image}{unpinned}")
        }
        Event::StackStarted { stack, action } => format!("{stack}: {action} started"),
        Event::StackUnchanged { stack } => format!("{stack}: unchanged"),
        Event::StackBusy { stack, status } => {
            format!("{stack}: waiting for the operation in progress ({status})")
        }
        Event::Resource {
            stack,
            logical_id,
            status,
            reason,
            ..
        } => match reason {
            Some(reason) if !reason.is_empty() => {
                format!("{stack}: {logical_id} {status}: {reason}")
            }
            _ => format!("{stack}: {logical_id} {status}"),
        },
        Event::StackFinished { stack, status, .. } => format!("{stack}: {status}"),
        Event::Rollout {
            workload,
            desired,
            running,
            pending,
            state,
        } => format!(
            "{workload}: rollout {}, {running}/{desired} running, {pending} pending",
            state.to_lowercase().replace('_', " ")
        ),
        Event::Endpoint { workload, url } => format!("{workload}: {url}"),
        Event::Kubernetes { step } => describe_kubernetes(step),
    }
}

/// One line describing a step of the Kubernetes side.
fn describe_kubernetes(step: &KubernetesEvent) -> String {
    match step {
        KubernetesEvent::ClusterWaiting { resource, status } => {
            format!(
                "waiting for {resource} to be ACTIVE ({})",
                status.to_lowercase()
            )
        }
        KubernetesEvent::Note { message } => format!("note: {message}"),
        KubernetesEvent::Connected { server, version } => {
            format!("connected to the cluster at {server} (Kubernetes {version})")
        }
        KubernetesEvent::AddonUpdating { addon, from, to } => {
            format!("updating the EKS add-on {addon} from {from} to {to}")
        }
        KubernetesEvent::Installing { what } => format!("installing {what} with Helm"),
        KubernetesEvent::Installed { what } => format!("{what}: installed"),
        KubernetesEvent::ObjectApplied { object, action } => format!("{object}: {}", action.word()),
        KubernetesEvent::ObjectPruned { object } => format!("{object}: pruned"),
        KubernetesEvent::ObjectDeleted { object } => format!("{object}: deleted"),
        KubernetesEvent::Rollout {
            workload,
            desired,
            updated,
            ready,
            done,
            ..
        } => format!(
            "{workload}: rollout {}, {ready}/{desired} ready, {updated} updated",
            if *done { "complete" } else { "in progress" }
        ),
        KubernetesEvent::SecretSynced { external_secret } => {
            format!("ExternalSecret {external_secret}: synced")
        }
        KubernetesEvent::Waiting { what } => format!("waiting for {what}"),
        KubernetesEvent::Endpoint { workload, url } => format!("{workload}: {url}"),
    }
}

/// A line per event on standard error.
pub struct Lines;

impl Reporter for Lines {
    fn report(&self, event: Event) {
        stdio::eprintln(&describe(&event));
    }
}

/// One JSON object per event on standard error.
pub struct JsonLines;

impl Reporter for JsonLines {
    fn report(&self, event: Event) {
        if let Ok(text) = serde_json::to_string(&event) {
            stdio::eprintln(&text);
        }
    }
}

/// A line per stack with its latest event, redrawn in place; other events print above.
pub struct Terminal {
    progress: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Terminal {
    fn bar(&self, stack: &str) -> ProgressBar {
        let Ok(mut bars) = self.bars.lock() else {
            return ProgressBar::hidden();
        };
        bars.entry(stack.to_owned())
            .or_insert_with(|| {
                let bar = self.progress.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(stack.to_owned());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .clone()
    }
}

impl Reporter for Terminal {
    fn report(&self, event: Event) {
        let line = describe(&event);
        let Some(stack) = event.stack() else {
            let _ = self.progress.println(line);
            return;
        };
        let bar = self.bar(stack);
        let message = line
            .strip_prefix(&format!("{stack}: "))
            .unwrap_or(&line)
            .to_owned();
        match &event {
            Event::StackFinished { .. }
            | Event::StackUnchanged { .. }
            | Event::Kubernetes {
                step: KubernetesEvent::Rollout { done: true, .. },
            } => {
                bar.finish_with_message(message);
            }
            _ => bar.set_message(message),
        }
    }
}

/// Progress bars when standard error is a terminal (and `TERM` is not `dumb`), else lines.
pub fn for_terminal() -> Arc<dyn Reporter> {
    let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
    if std::io::stderr().is_terminal() && !dumb {
        Arc::new(Terminal {
            progress: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(BTreeMap::new()),
        })
    } else {
        Arc::new(Lines)
    }
}
