//! `berth deploy`: the stages in order, the stacks of one stage in parallel (bounded), the images
//! resolved before the stacks that run them, the lock held only while something changes, then
//! the rollouts and the endpoints. On `eks`, the Kubernetes objects follow the stacks
//! ([`super::cluster::deploy`]), under the same lock when one is held.
//!
//! A run that finds every stack unchanged makes no call that changes anything: it resolves the
//! images, reads each stack (and its template when parameters and tags match), looks at the
//! services' rollouts and prints the endpoints. On `eks` it then dry-runs the Kubernetes objects,
//! and takes the lock before applying when any would change (or a controller be installed).

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::build::{Build, INLINE_TEMPLATE_LIMIT};
use super::cloudformation::{DeployedStack, is_stable, observe};
use super::cluster::{self, KubernetesOutcome};
use super::error::DeployError;
use super::event::{Event, Reporter};
use super::images::{self, Resolution, ResolvedImage};
use super::plan::{self, Decision, Stage};
use super::stack_step::{StackJob, StackResult, deploy_stack};
use super::{Clients, Settings, deployer, lock, repositories, rollout};

/// What a deploy did.
#[derive(Clone, Debug, Serialize)]
pub struct DeployOutcome {
    /// Each stack and what happened to it, in deploy order.
    pub stacks: Vec<StackOutcome>,
    /// Each image and what the stacks run.
    pub images: Vec<ResolvedImage>,
    /// The public endpoints.
    pub endpoints: Vec<EndpointUrl>,
    /// What the Kubernetes side did (on `eks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesOutcome>,
    /// Things worth knowing.
    pub notes: Vec<String>,
}

impl DeployOutcome {
    /// Whether any stack or Kubernetes object changed.
    pub fn changed(&self) -> bool {
        self.stacks
            .iter()
            .any(|stack| stack.result != StackResult::Unchanged)
            || self
                .kubernetes
                .as_ref()
                .is_some_and(KubernetesOutcome::changed)
    }
}

/// A stack and what happened to it.
#[derive(Clone, Debug, Serialize)]
pub struct StackOutcome {
    /// The stack.
    pub stack: String,
    /// What happened.
    pub result: StackResult,
}

/// A public endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointUrl {
    /// The workload.
    pub workload: String,
    /// The URL to open.
    pub url: String,
    /// The load balancer's DNS name (where the domain's DNS record must point).
    pub load_balancer: String,
}

/// Deploys `build`.
pub async fn deploy(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
) -> Result<DeployOutcome, DeployError> {
    let mut notes = build.notes.clone();
    let mut stages = plan::stages(build);
    for spec in stages.iter().flat_map(|stage| &stage.stacks) {
        if spec.body.len() > INLINE_TEMPLATE_LIMIT {
            return Err(DeployError::TemplateTooLarge {
                stack: spec.name.clone(),
                bytes: spec.body.len(),
            });
        }
    }
    let observed = observe_all(clients, &stages, settings.parallel).await?;
    let creating: Vec<&str> = observed
        .iter()
        .filter(|(_, deployed)| deployed.is_none())
        .map(|(stack, _)| stack.as_str())
        .collect();
    let kept = repositories::in_the_way(&clients.ecr.home, build, &creating).await?;
    if !kept.is_empty() {
        return Err(DeployError::RepositoryKept {
            region: clients.ecr.home_region.clone(),
            repositories: kept,
        });
    }
    let mut images = resolve_images(clients, build, &observed).await?;
    plan::fill_parameters(&mut stages, &images);
    fill_ssm(clients, &mut stages).await?;
    deployer::fill(clients, build, &mut stages, &mut notes).await?;
    let decisions = decide_all(clients, &stages, &observed, settings.parallel).await?;
    let first_change = stages
        .iter()
        .find(|stage| {
            stage
                .stacks
                .iter()
                .any(|spec| decisions.get(&spec.name) != Some(&Decision::Unchanged))
        })
        .map(|stage| stage.order);
    // An image missing now, needed no later than the first stage that changes: stop before
    // changing anything.
    let missing = plan::missing(&images);
    let stop_now = first_change.map_or(!missing.is_empty(), |order| {
        plan::missing_needed_by(&images, &stages, order)
    });
    if stop_now {
        return Err(images_missing(&missing, Vec::new()));
    }
    for note in &notes {
        reporter.report(Event::Note {
            message: note.clone(),
        });
    }
    let (stacks, kubernetes) = if first_change.is_none() {
        let mut stacks = Vec::new();
        for spec in stages.iter().flat_map(|stage| &stage.stacks) {
            reporter.report(Event::StackUnchanged {
                stack: spec.name.clone(),
            });
            stacks.push(StackOutcome {
                stack: spec.name.clone(),
                result: StackResult::Unchanged,
            });
        }
        report_images(reporter, &images);
        follow_rollouts(clients, settings, reporter, build, &observed).await?;
        // The stacks are as built, but the cluster may not be: whatever would change there is
        // changed under the lock, so two deploys never apply or prune at the same time.
        let cluster_changes = cluster::plan(build, clients, settings, &images)
            .await?
            .is_some_and(|plan| plan.changes());
        let kubernetes = if cluster_changes {
            let lock_stack = lock_stack(build)?;
            let held = take_lock(clients, settings, reporter, build, lock_stack).await?;
            settings.activity.set_lock(Some(lock_stack));
            let result = cluster::deploy(build, clients, settings, reporter, &images, None).await;
            let released = held.release(&clients.cloudformation, reporter).await;
            settings.activity.set_lock(None);
            let deployed = result?;
            released?;
            deployed
        } else {
            cluster::deploy(build, clients, settings, reporter, &images, None).await?
        };
        (stacks, kubernetes)
    } else {
        let lock_stack = lock_stack(build)?;
        let held = take_lock(clients, settings, reporter, build, lock_stack).await?;
        settings.activity.set_lock(Some(lock_stack));
        let result = match cluster::version_before(build, clients).await {
            Ok(version) => {
                match run_stages(clients, settings, reporter, build, &mut stages, &mut images).await
                {
                    Ok(stacks) => cluster::deploy(
                        build,
                        clients,
                        settings,
                        reporter,
                        &images,
                        version.as_deref(),
                    )
                    .await
                    .map(|kubernetes| (stacks, kubernetes)),
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        };
        let released = held.release(&clients.cloudformation, reporter).await;
        settings.activity.set_lock(None);
        let deployed = result?;
        released?;
        deployed
    };
    let (kubernetes, cluster_endpoints) = kubernetes.unzip();
    let platform = observe::describe(&clients.cloudformation, &platform_stack(build)).await?;
    let mut endpoints = endpoints(build, platform.as_ref());
    for endpoint in &endpoints {
        reporter.report(Event::Endpoint {
            workload: endpoint.workload.clone(),
            url: endpoint.url.clone(),
        });
    }
    // The Kubernetes side reported its endpoints as each Ingress got its load balancer.
    endpoints.extend(cluster_endpoints.into_iter().flatten());
    Ok(DeployOutcome {
        stacks,
        images,
        endpoints,
        kubernetes,
        notes,
    })
}

/// The build's lock stack.
fn lock_stack(build: &Build) -> Result<&str, DeployError> {
    build
        .manifest
        .lock_stack
        .as_deref()
        .ok_or_else(|| DeployError::BuildUnreadable {
            directory: ".".into(),
            reason: "manifest.json names no lock stack; run `berth build` again".to_owned(),
        })
}

/// Takes the deploy lock, waiting up to `settings.lock_wait` for another run to finish.
pub async fn take_lock(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    build: &Build,
    lock_stack: &str,
) -> Result<lock::Lock, DeployError> {
    lock::acquire(
        &clients.cloudformation,
        lock_stack,
        &build.manifest.stack_tags,
        &settings.holder,
        settings.lock_wait,
        reporter,
        &settings.pace,
    )
    .await
}

/// The stages with changes, in order.
async fn run_stages(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    build: &Build,
    stages: &mut [Stage],
    images: &mut Vec<ResolvedImage>,
) -> Result<Vec<StackOutcome>, DeployError> {
    let mut outcomes = Vec::new();
    let mut platform_outputs: BTreeMap<String, String> = BTreeMap::new();
    for index in 0..stages.len() {
        let order = stages[index].order;
        if index > 0 {
            // What earlier stages created (the owned repositories) can be resolved now.
            let observed = observe_owners(clients, build).await?;
            *images = resolve_images(clients, build, &observed).await?;
            plan::fill_parameters(stages, images);
            fill_ssm(clients, stages).await?;
            if plan::missing_needed_by(images, stages, order) {
                let missing = plan::missing(images);
                let deployed = outcomes
                    .iter()
                    .filter(|outcome: &&StackOutcome| outcome.result != StackResult::Unchanged)
                    .map(|outcome| outcome.stack.clone())
                    .collect();
                return Err(images_missing(&missing, deployed));
            }
            if index == 1 {
                report_images(reporter, images);
            }
        }
        let stage = &stages[index];
        let jobs: Vec<StackJob<'_>> = stage
            .stacks
            .iter()
            .map(|spec| StackJob {
                spec,
                services: services_of(build, &spec.name, &platform_outputs),
            })
            .collect();
        let results: Vec<(String, Result<StackResult, DeployError>)> = stream::iter(jobs.iter())
            .map(|job| async move {
                (
                    job.spec.name.clone(),
                    deploy_stack(clients, settings, reporter, job).await,
                )
            })
            .buffered(settings.parallel.max(1))
            .collect()
            .await;
        let mut first_error = None;
        for (stack, result) in results {
            match result {
                Ok(result) => outcomes.push(StackOutcome { stack, result }),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
        if index == 0 {
            if let Some(platform) =
                observe::describe(&clients.cloudformation, &platform_stack(build)).await?
            {
                platform_outputs = platform.outputs;
            }
            if stages.len() == 1 {
                report_images(reporter, images);
            }
        }
    }
    Ok(outcomes)
}

/// Fills in the current values of the SSM parameters the stacks read (none: no call).
pub async fn fill_ssm(clients: &Clients, stages: &mut [Stage]) -> Result<(), DeployError> {
    let names = plan::ssm_names(stages);
    if names.is_empty() {
        return Ok(());
    }
    let values = super::ssm::values(&clients.ssm, &names).await?;
    plan::fill_ssm(stages, &values);
    Ok(())
}

/// Every stack of every stage, described (`None` when it does not exist).
async fn observe_all(
    clients: &Clients,
    stages: &[Stage],
    parallel: usize,
) -> Result<BTreeMap<String, Option<DeployedStack>>, DeployError> {
    let names: Vec<&str> = stages
        .iter()
        .flat_map(|stage| stage.stacks.iter().map(|spec| spec.name.as_str()))
        .collect();
    let described: Vec<(String, Result<Option<DeployedStack>, crate::aws::AwsError>)> =
        stream::iter(names)
            .map(|name| async move {
                (
                    name.to_owned(),
                    observe::describe(&clients.cloudformation, name).await,
                )
            })
            .buffered(parallel.max(1) * 2)
            .collect()
            .await;
    described
        .into_iter()
        .map(|(name, result)| result.map(|stack| (name, stack)).map_err(DeployError::from))
        .collect()
}

/// The stacks that create owned repositories, described.
async fn observe_owners(
    clients: &Clients,
    build: &Build,
) -> Result<BTreeMap<String, Option<DeployedStack>>, DeployError> {
    let owners: std::collections::BTreeSet<&str> = build
        .manifest
        .images
        .iter()
        .filter_map(|image| match &image.registry {
            berth_compiler::manifest::Registry::Owned { stack } => Some(stack.as_str()),
            _ => None,
        })
        .collect();
    let mut observed = BTreeMap::new();
    for owner in owners {
        let stack = observe::describe(&clients.cloudformation, owner).await?;
        observed.insert(owner.to_owned(), stack);
    }
    Ok(observed)
}

/// The decision for every stack, reading templates only where parameters and tags match.
async fn decide_all(
    clients: &Clients,
    stages: &[Stage],
    observed: &BTreeMap<String, Option<DeployedStack>>,
    parallel: usize,
) -> Result<BTreeMap<String, Decision>, DeployError> {
    let specs: Vec<_> = stages.iter().flat_map(|stage| &stage.stacks).collect();
    let decided: Vec<Result<(String, Decision), DeployError>> = stream::iter(specs)
        .map(|spec| async move {
            let deployed = observed.get(&spec.name).and_then(Option::as_ref);
            let template = if plan::needs_template(spec, deployed) {
                Some(observe::template(&clients.cloudformation, &spec.name).await?)
            } else {
                None
            };
            let decision = plan::decide(spec, deployed, template.as_deref())?;
            Ok((spec.name.clone(), decision))
        })
        .buffered(parallel.max(1) * 2)
        .collect()
        .await;
    decided.into_iter().collect()
}

/// Resolves the images, counting an owned repository's stack as deployed when it is stable.
async fn resolve_images(
    clients: &Clients,
    build: &Build,
    observed: &BTreeMap<String, Option<DeployedStack>>,
) -> Result<Vec<ResolvedImage>, DeployError> {
    let deployed = |stack: &str| {
        observed
            .get(stack)
            .and_then(Option::as_ref)
            .is_some_and(|stack| is_stable(&stack.status))
    };
    Ok(images::resolve(&clients.ecr, &build.manifest.images, &deployed).await?)
}

fn images_missing(missing: &[ResolvedImage], deployed: Vec<String>) -> DeployError {
    DeployError::ImagesMissing {
        images: missing
            .iter()
            .filter_map(|image| match &image.resolution {
                Resolution::Missing(missing) => Some(missing.clone()),
                _ => None,
            })
            .collect(),
        deployed,
    }
}

fn report_images(reporter: &dyn Reporter, images: &[ResolvedImage]) {
    for image in images {
        let (reference, pinned) = match &image.resolution {
            Resolution::Pinned { image } => (image.clone(), true),
            Resolution::AsWritten { image, pinned } => (image.clone(), *pinned),
            _ => continue,
        };
        reporter.report(Event::ImageResolved {
            workload: image.workload.clone(),
            container: image.container.clone(),
            image: reference,
            pinned,
        });
    }
}

/// The ECS services of `stack`, with the cluster's name from the platform's outputs.
fn services_of<'a>(
    build: &'a Build,
    stack: &str,
    platform_outputs: &BTreeMap<String, String>,
) -> Vec<(&'a berth_compiler::manifest::EcsService, String)> {
    build
        .manifest
        .services
        .iter()
        .filter(|service| service.stack == stack)
        .filter_map(|service| {
            platform_outputs
                .get(&service.cluster.output)
                .map(|cluster| (service, cluster.clone()))
        })
        .collect()
}

/// Follows every service's rollout when no stack changed (a run that was interrupted may have
/// left one rolling).
async fn follow_rollouts(
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    build: &Build,
    observed: &BTreeMap<String, Option<DeployedStack>>,
) -> Result<(), DeployError> {
    let output = |stack: &str, key: &str| {
        observed
            .get(stack)
            .and_then(Option::as_ref)
            .and_then(|stack| stack.outputs.get(key).cloned())
    };
    let services: Vec<_> = build
        .manifest
        .services
        .iter()
        .filter_map(|service| {
            let cluster = output(&service.cluster.stack, &service.cluster.output)?;
            let name = output(&service.service.stack, &service.service.output)?;
            Some((service.workload.as_str(), cluster, name))
        })
        .collect();
    let results: Vec<Result<(), DeployError>> = stream::iter(services)
        .map(|(workload, cluster, name)| async move {
            rollout::follow(
                &clients.ecs,
                workload,
                &cluster,
                &name,
                reporter,
                &settings.pace,
            )
            .await
        })
        .buffered(settings.parallel.max(1) * 2)
        .collect()
        .await;
    results.into_iter().collect()
}

/// The platform stack's name.
fn platform_stack(build: &Build) -> String {
    build
        .manifest
        .artifacts
        .iter()
        .find(|artifact| artifact.order == 0)
        .and_then(|artifact| artifact.stack.clone())
        .unwrap_or_default()
}

/// Each public endpoint's URL, once the platform stack outputs its load balancer's DNS name.
pub fn endpoints(build: &Build, platform: Option<&DeployedStack>) -> Vec<EndpointUrl> {
    let Some(platform) = platform else {
        return Vec::new();
    };
    build
        .manifest
        .endpoints
        .iter()
        .filter_map(|endpoint| {
            let dns = platform.outputs.get(&endpoint.load_balancer.output)?;
            let host = endpoint.host.as_deref().unwrap_or(dns);
            Some(EndpointUrl {
                workload: endpoint.workload.clone(),
                url: format!("{}://{host}{}", endpoint.scheme, endpoint.path),
                load_balancer: dns.clone(),
            })
        })
        .collect()
}
