//! `berth status`: every stack's status and last update, every ECS service's counts, rollout
//! state and image (on `eks`, every workload's replicas, restarts and Ingress hostname), the
//! endpoints, the lock's holder, and stacks of this workspace and environment the build no
//! longer has. Read-only.

use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::apply::{EndpointUrl, endpoints};
use super::build::Build;
use super::cloudformation::{DeployedStack, observe};
use super::cluster::{self, KubernetesStatus};
use super::error::DeployError;
use super::{Clients, Settings, lock, rollout};

/// What is deployed.
#[derive(Clone, Debug, Serialize)]
pub struct StatusOutcome {
    /// The stacks of the build, in deploy order.
    pub stacks: Vec<StackRow>,
    /// The ECS services.
    pub services: Vec<ServiceRow>,
    /// The public endpoints.
    pub endpoints: Vec<EndpointUrl>,
    /// The workloads in the cluster (on `eks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesStatus>,
    /// Stacks tagged with this workspace and environment that the build does not have.
    pub others: Vec<StackRow>,
    /// Who holds the deploy lock, when someone does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
}

impl StatusOutcome {
    /// Whether any stack of the build exists.
    pub fn deployed(&self) -> bool {
        self.stacks.iter().any(|stack| stack.status.is_some())
    }
}

/// One stack.
#[derive(Clone, Debug, Serialize)]
pub struct StackRow {
    /// The name.
    pub stack: String,
    /// Its status; `None` when it does not exist.
    pub status: Option<String>,
    /// When it was last created or updated.
    pub updated: Option<String>,
    /// CloudFormation's reason for the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl StackRow {
    fn new(name: &str, stack: Option<&DeployedStack>) -> Self {
        Self {
            stack: name.to_owned(),
            status: stack.map(|stack| stack.status.clone()),
            updated: stack.and_then(|stack| stack.updated.clone()),
            reason: stack.and_then(|stack| stack.reason.clone()),
        }
    }
}

/// One ECS service.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceRow {
    /// The workload.
    pub workload: String,
    /// Tasks wanted.
    pub desired: i32,
    /// Tasks running.
    pub running: i32,
    /// Tasks starting.
    pub pending: i32,
    /// The newest deployment's rollout state.
    pub rollout: String,
    /// The main container's image as its task definition has it (pinned by digest when berth
    /// deployed it).
    pub image: String,
}

/// What is deployed of `build` (`settings` say how to reach an `eks` cluster).
pub async fn status(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
) -> Result<StatusOutcome, DeployError> {
    let cloudformation = &clients.cloudformation;
    let names: Vec<String> = build
        .manifest
        .stacks()
        .map(|(stack, _)| stack.to_owned())
        .collect();
    let described: Vec<Result<(String, Option<DeployedStack>), DeployError>> = stream::iter(names)
        .map(|name| async move {
            let stack = observe::describe(cloudformation, &name).await?;
            Ok((name, stack))
        })
        .buffered(8)
        .collect()
        .await;
    let described: Vec<(String, Option<DeployedStack>)> =
        described.into_iter().collect::<Result<_, _>>()?;
    let stacks = described
        .iter()
        .map(|(name, stack)| StackRow::new(name, stack.as_ref()))
        .collect();
    let output = |stack: &str, key: &str| {
        described
            .iter()
            .find(|(name, _)| name == stack)
            .and_then(|(_, found)| found.as_ref())
            .and_then(|found| found.outputs.get(key).cloned())
    };
    let mut services = Vec::new();
    for service in &build.manifest.services {
        let (Some(cluster), Some(name)) = (
            output(&service.cluster.stack, &service.cluster.output),
            output(&service.service.stack, &service.service.output),
        ) else {
            continue;
        };
        let Some(state) = rollout::describe(&clients.ecs, &cluster, &name).await? else {
            continue;
        };
        let image = main_image(clients, &state.task_definition, &service.workload).await?;
        services.push(ServiceRow {
            workload: service.workload.clone(),
            desired: state.desired,
            running: state.running,
            pending: state.pending,
            rollout: state.state,
            image,
        });
    }
    let platform = described
        .iter()
        .find(|(name, _)| {
            build
                .manifest
                .artifacts
                .iter()
                .any(|artifact| artifact.order == 0 && artifact.stack.as_ref() == Some(name))
        })
        .and_then(|(_, stack)| stack.as_ref());
    // Only the endpoints of workloads whose stacks exist.
    let endpoints = endpoints(build, platform)
        .into_iter()
        .filter(|endpoint| {
            build.manifest.images.iter().any(|image| {
                image.workload == endpoint.workload
                    && image.stack.as_ref().is_none_or(|stack| {
                        described
                            .iter()
                            .any(|(name, found)| name == stack && found.is_some())
                    })
            })
        })
        .collect();
    let lock = match &build.manifest.lock_stack {
        Some(stack) => lock::current_holder(cloudformation, stack).await?,
        None => None,
    };
    let others = others(build, clients).await?;
    let kubernetes = cluster::status(build, clients, settings).await?;
    let mut endpoints: Vec<EndpointUrl> = endpoints;
    for workload in kubernetes.iter().flat_map(|status| &status.workloads) {
        for url in &workload.urls {
            endpoints.push(EndpointUrl {
                workload: workload.workload.clone(),
                url: url.clone(),
                load_balancer: workload.hostname.clone().unwrap_or_default(),
            });
        }
    }
    Ok(StatusOutcome {
        stacks,
        services,
        endpoints,
        kubernetes,
        others,
        lock,
    })
}

/// Live stacks named and tagged as this workspace and environment's that the build does not
/// list (a workload removed from the file, say), excluding the lock.
pub async fn others(build: &Build, clients: &Clients) -> Result<Vec<StackRow>, DeployError> {
    let manifest = &build.manifest;
    let prefix = format!("{}-{}-", manifest.workspace, manifest.environment);
    let known: Vec<&str> = manifest.stacks().map(|(stack, _)| stack).collect();
    let mut others = Vec::new();
    for name in observe::names_with_prefix(&clients.cloudformation, &prefix).await? {
        if known.contains(&name.as_str()) || manifest.lock_stack.as_deref() == Some(name.as_str()) {
            continue;
        }
        if let Some(stack) = observe::describe(&clients.cloudformation, &name).await?
            && stack.has_tags(&manifest.stack_tags)
        {
            others.push(StackRow::new(&name, Some(&stack)));
        }
    }
    Ok(others)
}

/// The image of the container named `container` in `task_definition`.
async fn main_image(
    clients: &Clients,
    task_definition: &str,
    container: &str,
) -> Result<String, DeployError> {
    let output = clients
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .map_err(|error| crate::aws::AwsError::from_sdk("ECS.DescribeTaskDefinition", &error))?;
    Ok(output
        .task_definition()
        .and_then(|definition| {
            definition
                .container_definitions()
                .iter()
                .find(|definition| definition.name() == Some(container))
                .and_then(|definition| definition.image())
        })
        .unwrap_or_default()
        .to_owned())
}
