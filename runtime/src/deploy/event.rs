//! What the engines report while they work. They print nothing: each step emits an [`Event`] to
//! a [`Reporter`], and the command decides how to show it (progress bars on a terminal, a line
//! per event in CI, JSON lines with `--format json`). Tests collect them with [`Recorder`].

use std::sync::Mutex;

use serde::Serialize;

use crate::kubernetes::event::KubernetesEvent;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// Something the user should know that is not a failure.
    Note {
        /// The sentence.
        message: String,
    },
    /// Another deploy holds the lock; this one waits.
    LockWaiting {
        /// The lock stack.
        stack: String,
        /// Who holds it and since when, as the lock records it.
        holder: String,
    },
    /// The lock is held by this run.
    LockAcquired {
        /// The lock stack.
        stack: String,
    },
    /// The lock was given back.
    LockReleased {
        /// The lock stack.
        stack: String,
    },
    /// An image was resolved for deploying.
    ImageResolved {
        /// The workload.
        workload: String,
        /// The container.
        container: String,
        /// What the stack will run: `repository@sha256:…`, or the reference as written.
        image: String,
        /// Whether `image` is pinned by digest.
        pinned: bool,
    },
    /// Work on a stack begins.
    StackStarted {
        /// The stack.
        stack: String,
        /// `create`, `update` or `delete`.
        action: String,
    },
    /// A stack is skipped: its template, parameters and tags equal what is deployed.
    StackUnchanged {
        /// The stack.
        stack: String,
    },
    /// A stack is busy with an operation this run did not start; it waits for it to settle.
    StackBusy {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
    },
    /// A resource event of a stack (CloudFormation's stack events).
    Resource {
        /// The stack.
        stack: String,
        /// The resource's logical id (the stack's own name for the stack itself).
        logical_id: String,
        /// The resource type.
        resource_type: String,
        /// The status (`CREATE_IN_PROGRESS`, `UPDATE_FAILED`, …).
        status: String,
        /// CloudFormation's reason, when it gives one.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Work on a stack ended.
    StackFinished {
        /// The stack.
        stack: String,
        /// Its final status.
        status: String,
        /// Whether it ended as asked.
        ok: bool,
    },
    /// An ECS service's rollout, each time it changes.
    Rollout {
        /// The workload.
        workload: String,
        /// Tasks wanted.
        desired: i32,
        /// Tasks running.
        running: i32,
        /// Tasks starting.
        pending: i32,
        /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
        state: String,
    },
    /// A public endpoint answers at this address (once its stacks have settled).
    Endpoint {
        /// The workload.
        workload: String,
        /// The URL.
        url: String,
    },
    /// A step of the Kubernetes side (on `eks`): the cluster, an object, a rollout.
    Kubernetes {
        /// What happened.
        step: KubernetesEvent,
    },
}

impl Event {
    /// The stack an event is about, if any (progress displays keep one line per stack).
    pub fn stack(&self) -> Option<&str> {
        match self {
            Self::StackStarted { stack, .. }
            | Self::StackUnchanged { stack }
            | Self::StackBusy { stack, .. }
            | Self::Resource { stack, .. }
            | Self::StackFinished { stack, .. } => Some(stack),
            // A Deployment's rollout keeps one line too, like ECS rollouts do as stacks.
            Self::Kubernetes {
                step: KubernetesEvent::Rollout { workload, .. },
            } => Some(workload),
            _ => None,
        }
    }
}

/// Where events go. Engines call it from several tasks at once.
pub trait Reporter: Send + Sync {
    /// Takes one event.
    fn report(&self, event: Event);
}

/// Keeps every event, for tests and for results that list what happened.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .map(|events| events.clone())
            .unwrap_or_default()
    }
}

impl Reporter for Recorder {
    fn report(&self, event: Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}
