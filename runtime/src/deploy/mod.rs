//! Deploying a build: `berth plan`, `deploy`, `status` and `destroy` share this engine.
//!
//! A run reads a [`build::Build`] (`manifest.json` and its artifacts), observes what is deployed,
//! and plans ([`plan`], pure) a stage per deploy order: the stacks of that order and what each
//! needs. Small modules then act on one AWS service each: [`cloudformation`] (change sets, stack
//! events), [`images`] (ECR digests), [`ssm`] (the values stacks read), [`rollout`] (ECS
//! deployments), [`lock`] (the deploy lock). The engines — [`apply`] (deploy), [`preview`] (plan), [`status`], [`destroy`] — order
//! those steps and report [`event::Event`]s to a [`event::Reporter`]; they print nothing and
//! return a result or one [`error::DeployError`], which the command renders once.
//!
//! # The Kubernetes side
//!
//! On `eks`, `manifest.json` lists Kubernetes artifacts with deploy orders above every stack
//! (their `${berth:KEY}` placeholders are filled from stack outputs named in `substitutions`).
//! [`cluster`] joins this engine to [`crate::kubernetes`]: [`apply`] deploys the stacks, then
//! applies the objects (pinned images, filled placeholders), waits until they serve and prunes;
//! [`preview`] adds the server-side dry-run diff, [`status`] the workloads' replicas and
//! hostnames, and [`destroy`] deletes the objects (Ingresses first, until their load balancers are
//! gone) before the stacks. Its events reach the same reporter as the stacks'.

pub mod apply;
pub mod build;
pub mod cloudformation;
pub mod cluster;
pub mod deployer;
pub mod destroy;
pub mod error;
pub mod event;
mod help;
pub mod images;
pub mod lock;
pub mod plan;
pub mod preview;
pub mod repositories;
pub mod rollout;
pub mod ssm;
pub mod stack_step;
pub mod status;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::aws::Aws;
use berth_compiler::manifest::{Manifest, Registry};

/// The clients a run uses.
#[derive(Clone, Debug)]
pub struct Clients {
    /// CloudFormation in the workspace's region.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// ECS in the workspace's region.
    pub ecs: aws_sdk_ecs::Client,
    /// SSM Parameter Store in the workspace's region (the values workload stacks read).
    pub ssm: aws_sdk_ssm::Client,
    /// ECR, in every region an image lives in.
    pub ecr: images::EcrClients,
    /// EKS and what signs the cluster's tokens (on `eks`).
    pub cluster: cluster::ClusterClients,
    /// STS (who deploys).
    pub sts: aws_sdk_sts::Client,
    /// IAM (the deploying role's ARN with its path).
    pub iam: aws_sdk_iam::Client,
}

impl Clients {
    /// The clients for `manifest` from one AWS configuration.
    pub fn new(aws: &Aws, manifest: &Manifest) -> Self {
        let others = manifest
            .images
            .iter()
            .filter_map(|image| match &image.registry {
                Registry::Ecr { region, .. } if region != aws.region() => Some(region.clone()),
                _ => None,
            })
            .map(|region| {
                let client = aws.in_region(&region).ecr();
                (region, client)
            })
            .collect();
        Self {
            cloudformation: aws.cloudformation(),
            ecs: aws.ecs(),
            ssm: aws.ssm(),
            ecr: images::EcrClients {
                home: aws.ecr(),
                home_region: aws.region().to_owned(),
                others,
            },
            cluster: cluster::ClusterClients::new(aws),
            sts: aws.sts(),
            iam: aws.iam(),
        }
    }
}

/// How often to look again while waiting: `first`, doubling up to `max`.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// The first wait.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(2),
            max: Duration::from_secs(10),
        }
    }
}

impl Pace {
    /// The default pace, or `BERTH_POLL_MS` milliseconds between looks (for tests).
    pub fn from_env() -> Self {
        std::env::var("BERTH_POLL_MS")
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .map_or_else(Self::default, |milliseconds| Self {
                first: Duration::from_millis(milliseconds),
                max: Duration::from_millis(milliseconds),
            })
    }

    /// Sleeps before look number `attempt` + 1.
    pub async fn wait(&self, attempt: u32) {
        let factor = 2u32.saturating_pow(attempt.min(8));
        tokio::time::sleep(self.first.saturating_mul(factor).min(self.max)).await;
    }
}

/// What a run is doing right now, shared with the command so that a `Ctrl-C` or `--timeout`
/// can say what is still in progress and give the lock back.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    state: Arc<Mutex<ActivityState>>,
}

#[derive(Debug, Default)]
struct ActivityState {
    in_progress: BTreeMap<String, String>,
    lock: Option<String>,
}

impl Activity {
    /// Marks `stack` as busy with `action`.
    pub fn start(&self, stack: &str, action: &str) {
        if let Ok(mut state) = self.state.lock() {
            state
                .in_progress
                .insert(stack.to_owned(), action.to_owned());
        }
    }

    /// Marks `stack` as settled.
    pub fn finish(&self, stack: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.in_progress.remove(stack);
        }
    }

    /// `stack (update)` for each stack still in progress.
    pub fn in_progress(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|state| {
                state
                    .in_progress
                    .iter()
                    .map(|(stack, action)| format!("{stack} ({action})"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records the lock stack held (or `None` once released).
    pub fn set_lock(&self, lock: Option<&str>) {
        if let Ok(mut state) = self.state.lock() {
            state.lock = lock.map(str::to_owned);
        }
    }

    /// The lock stack held, if any.
    pub fn lock(&self) -> Option<String> {
        self.state.lock().ok().and_then(|state| state.lock.clone())
    }
}

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often to poll.
    pub pace: Pace,
    /// How many stacks of one order to work on at once.
    pub parallel: usize,
    /// How long to wait for another run's lock (zero: refuse at once).
    pub lock_wait: Duration,
    /// Who this run is, as written into the lock.
    pub holder: String,
    /// What is in progress, for the command.
    pub activity: Activity,
    /// `destroy`: delete the images of the workspace's own repositories, so the repositories go
    /// with their stack (else a repository that holds images is kept).
    pub delete_images: bool,
    /// How to reach the EKS cluster, and whether to take fields other managers own.
    pub cluster: cluster::ClusterSettings,
}

impl Settings {
    /// Defaults for `command` (`deploy`, `destroy`).
    pub fn new(command: &str) -> Self {
        Self {
            pace: Pace::from_env(),
            parallel: 4,
            lock_wait: Duration::ZERO,
            holder: lock::holder(command),
            activity: Activity::default(),
            delete_images: false,
            cluster: cluster::ClusterSettings::default(),
        }
    }
}
