//! Live ECS services to workloads: each service's task definition (through `task`), its desired
//! count, launch type, networking, load balancer target groups (routes, health checks, HTTPS)
//! and service discovery. The runtime reads them from AWS into an [`EcsCluster`]; everything
//! here is pure.
//!
//! - `input`: what the runtime reads.
//! - `balancers`: target groups to public ports, routes and health checks; `routes`: a target
//!   group's listener rules to one route.

mod balancers;
mod input;
mod routes;

use serde_json::Value;

pub use input::{EcsCluster, EcsService, ListenerRoute, LoadBalancer, TargetGroup};

use super::draft::{Draft, DraftReplicas, DraftWorkload, ExistingNetwork};
use super::fields::{Fields, brief, scalar_text};
use super::names::{Scope, label};
use super::task::{TaskContext, TaskInput, region_of, task_workload};
use super::{ImportError, ImportOptions, Imported, finish, fit};
use crate::model::{Protocol, Target};

/// Imports the services of a cluster.
pub fn ecs_services(
    cluster: &EcsCluster,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    if cluster.services.is_empty() {
        return Err(ImportError::new(
            format!("cluster `{}` has no service to import", cluster.name),
            "check the cluster name and region, or name the services with `--service`",
        ));
    }
    let target = options
        .target
        .unwrap_or_else(|| launch_target(&cluster.services));
    let name = options.name.clone().unwrap_or_else(|| cluster.name.clone());
    let mut draft = Draft::new(label(&name, "app"), target);
    draft.header = vec![
        format!(
            "Imported by `berth import ecs` from the services of the ECS cluster `{}`.",
            cluster.name
        ),
        "Each `- ` note says what could not be carried over and why; review them, then run `berth check`.".to_owned(),
    ];
    draft.region = options.region.clone().or_else(|| cluster.region.clone());
    draft.notes.push("ECS service autoscaling (Application Auto Scaling) is not read: each service keeps its desired count; write `replicas min= max= { cpu … }` where it scaled".to_owned());
    let mut scope = Scope::with_reserved(&["platform"]);
    let mut subnets = Subnets::default();
    for input in &cluster.services {
        let service_name = input
            .service
            .get("serviceName")
            .and_then(scalar_text)
            .unwrap_or_else(|| "service".to_owned());
        let Ok(task) = TaskInput::of(&input.task_definition) else {
            draft.notes.push(format!(
                "service `{service_name}` is left out: its task definition could not be read"
            ));
            continue;
        };
        if draft.region.is_none() {
            draft.region = task.region();
        }
        let name = scope.claim(&service_name, "service");
        let main_container = input
            .service
            .get("loadBalancers")
            .and_then(Value::as_array)
            .and_then(|balancers| balancers.first())
            .and_then(|balancer| balancer.get("containerName"))
            .and_then(scalar_text);
        let context = TaskContext {
            workload_name: Some(&name),
            main_container: main_container.as_deref(),
            workspace: &draft.name.clone(),
            target,
        };
        let mut workload = task_workload(&task, &context);
        if name != service_name {
            workload.notes.insert(
                0,
                format!("the ECS service `{service_name}` is named `{name}`"),
            );
        }
        let mut fields = Fields::of(&input.service);
        service_settings(&mut fields, input, &mut workload, &mut draft, &mut subnets);
        draft.workloads.push(workload);
    }
    subnets.network(&mut draft);
    private_grpc_without_domain(&mut draft);
    if draft.workloads.is_empty() {
        return Err(ImportError::new(
            format!("no service of cluster `{}` could be imported", cluster.name),
            "the notes above say why; check that the task definitions can be described",
        ));
    }
    draft.protect_literal_braces();
    Ok(finish::finish(draft))
}

/// `fargate` when any service runs on Fargate, else `ecs`.
fn launch_target(services: &[EcsService]) -> Target {
    let fargate = services.iter().any(|input| {
        let launch = input.service.get("launchType").and_then(scalar_text);
        let providers = input
            .service
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|strategy| {
                strategy.iter().any(|item| {
                    item.get("capacityProvider")
                        .and_then(scalar_text)
                        .is_some_and(|provider| provider.starts_with("FARGATE"))
                })
            });
        launch.as_deref() == Some("FARGATE") || providers
    });
    if fargate {
        Target::Fargate
    } else {
        Target::Ecs
    }
}

/// The subnets the services and their load balancers use, for an existing-VPC `network`.
#[derive(Default)]
pub(super) struct Subnets {
    pub vpc: Option<String>,
    pub public: Vec<String>,
    pub private: Vec<String>,
    /// Services that ran with public IPs in their subnets.
    with_public_ip: bool,
}

impl Subnets {
    pub fn add(list: &mut Vec<String>, subnets: impl IntoIterator<Item = String>) {
        for subnet in subnets {
            if !list.contains(&subnet) {
                list.push(subnet);
            }
        }
    }

    /// Writes `network { vpc … }` when the VPC and at least two public subnets are known.
    fn network(mut self, draft: &mut Draft) {
        if self.with_public_ip {
            // Tasks with public IPs run in public subnets; berth does the same when no private
            // subnets are given.
            let private = std::mem::take(&mut self.private);
            Self::add(&mut self.public, private);
        }
        match self.vpc {
            Some(vpc) if self.public.len() >= 2 => {
                self.public.sort();
                self.private.sort();
                draft.network = Some(ExistingNetwork {
                    vpc,
                    public_subnets: self.public,
                    private_subnets: self.private,
                });
            }
            _ if !self.public.is_empty() || !self.private.is_empty() => draft.notes.push(format!(
                "the services ran in the subnets {}, but their VPC (or two public subnets for the load balancer) could not be read: berth creates a new VPC unless you write `network {{ vpc \"vpc-…\"; public-subnets …; private-subnets …; }}`",
                self.public.iter().chain(&self.private).map(|subnet| format!("`{subnet}`")).collect::<Vec<_>>().join(", ")
            )),
            _ => {}
        }
    }
}

/// The service's own settings, over what its task definition gave the workload.
fn service_settings(
    fields: &mut Fields<'_>,
    input: &EcsService,
    workload: &mut DraftWorkload,
    draft: &mut Draft,
    subnets: &mut Subnets,
) {
    fields.skip(&[
        "serviceName",
        "serviceArn",
        "clusterArn",
        "taskDefinition",
        "status",
        "runningCount",
        "pendingCount",
        "deployments",
        "events",
        "createdAt",
        "createdBy",
        "roleArn",
        "taskSets",
        "launchType",
        "capacityProviderStrategy",
        "propagateTags",
        "enableECSManagedTags",
        "platformFamily",
        "availabilityZoneRebalancing",
        "currentServiceDeployment",
        "currentServiceRevisions",
        "resourceManagementType",
    ]);
    let notes = &mut workload.notes;
    let spot = fields
        .array("capacityProviderStrategy")
        .iter()
        .filter_map(|item| item.get("capacityProvider").and_then(scalar_text))
        .filter(|provider| provider != "FARGATE")
        .collect::<Vec<_>>();
    if !spot.is_empty() {
        notes.push(format!(
            "it ran on the capacity provider{} {}; berth runs services on on-demand Fargate (target `fargate`) or on the workspace's EC2 capacity (target `ecs`)",
            if spot.len() == 1 { "" } else { "s" },
            spot.iter().map(|provider| format!("`{provider}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    cloud_map_names(workload);
    let notes = &mut workload.notes;
    match fields.integer("desiredCount") {
        Some(0) => notes.push("the service was scaled to 0 tasks; berth runs at least one, so remove the workload if it should not run".to_owned()),
        Some(1) | None => {}
        Some(count) => workload.replicas = Some(DraftReplicas::Fixed(u32::try_from(count).unwrap_or(u32::MAX))),
    }
    if fields.text("schedulingStrategy").as_deref() == Some("DAEMON") {
        notes.push(
            "it was a daemon service (one task per instance); berth runs a replicated service"
                .to_owned(),
        );
    }
    if let Some(version) = fields
        .text("platformVersion")
        .filter(|version| version != "LATEST")
    {
        notes.push(format!("platform version `{version}` is left out: berth's services run on the latest Fargate platform"));
    }
    let grace = fields
        .integer("healthCheckGracePeriodSeconds")
        .filter(|grace| *grace > 0);
    balancers::load_balancers(fields, input, workload, draft, subnets);
    let notes = &mut workload.notes;
    match (&mut workload.health, grace) {
        (Some(health), Some(grace)) if health.grace.is_none() => {
            health.grace = Some(grace * 1000);
            *health = fit::health(health.clone(), notes);
        }
        (Some(health), Some(grace)) if health.grace != Some(grace * 1000) => notes.push(format!(
            "the service's health check grace period ({grace}s) differs from the container's start period; berth uses the start period for both"
        )),
        (None, Some(grace)) => notes.push(format!(
            "the service's health check grace period ({grace}s) is left out: it has no health check to apply to"
        )),
        _ => {}
    }
    for registry in fields.array("serviceRegistries") {
        let arn = registry
            .get("registryArn")
            .and_then(scalar_text)
            .unwrap_or_default();
        notes.push(format!(
            "it was registered in Cloud Map as `{arn}`; berth registers it as `{}` in the workspace's own namespace (`{}.<env>.<workspace>.local`), and on EKS as a Kubernetes Service",
            workload.name, workload.name
        ));
    }
    if let Some(network) = fields
        .take("networkConfiguration")
        .and_then(|network| network.get("awsvpcConfiguration"))
    {
        let mut awsvpc = Fields::of(network);
        let service_subnets = awsvpc.strings("subnets");
        let groups = awsvpc.strings("securityGroups");
        if awsvpc.text("assignPublicIp").as_deref() == Some("ENABLED") {
            subnets.with_public_ip = true;
        }
        Subnets::add(&mut subnets.private, service_subnets);
        if !groups.is_empty() {
            notes.push(format!(
                "security groups {} are left out: berth creates the workspace's own (workloads reach each other; the load balancer reaches public ports)",
                groups.iter().map(|group| format!("`{group}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let Some(deployment) = fields.take("deploymentConfiguration") {
        let minimum = deployment
            .get("minimumHealthyPercent")
            .and_then(Value::as_u64);
        let maximum = deployment.get("maximumPercent").and_then(Value::as_u64);
        if minimum.is_some_and(|minimum| minimum != 100)
            || maximum.is_some_and(|maximum| maximum != 200)
        {
            notes.push(format!(
                "deployments kept {}–{}% of the tasks; berth deploys with 100–200% and rolls back on a failed deployment",
                minimum.unwrap_or(100),
                maximum.unwrap_or(200)
            ));
        }
    }
    if let Some(controller) = fields
        .take("deploymentController")
        .and_then(|controller| controller.get("type"))
        .and_then(scalar_text)
        .filter(|kind| kind != "ECS")
    {
        notes.push(format!("the `{controller}` deployment controller (blue/green) is left out: berth deploys with rolling ECS deployments"));
    }
    if fields.boolean("enableExecuteCommand") == Some(true) {
        notes.push(
            "ECS Exec is left off: berth disables `execute-command` on its services".to_owned(),
        );
    }
    let tags: Vec<String> = fields
        .array("tags")
        .iter()
        .filter_map(|tag| {
            Some(format!(
                "{}={}",
                tag.get("key").and_then(scalar_text)?,
                tag.get("value").and_then(scalar_text).unwrap_or_default()
            ))
        })
        .filter(|tag| !tag.starts_with("aws:"))
        .collect();
    if !tags.is_empty() {
        notes.push(format!("the service's tags ({}) are not copied: berth tags every resource with the workspace's `tags {{ … }}`", tags.join(", ")));
    }
    for (key, value) in fields.unread() {
        let reason = match key {
            "placementConstraints" | "placementStrategy" => {
                "berth places tasks itself, spread over the workspace's zones"
            }
            "serviceConnectConfiguration" => {
                "berth connects services through Cloud Map DNS on ECS and Kubernetes Services on EKS"
            }
            "volumeConfigurations" => "berth attaches no EBS volumes; use a `volume` (EFS)",
            "loadBalancers" | "serviceRegistries" | "networkConfiguration" => continue,
            _ => "berth has no equivalent",
        };
        notes.push(format!("`{key}` ({}) is left out: {reason}", brief(value)));
    }
}

/// Variables that name hosts in a Cloud Map namespace (`api.prod.shop.local`) are noted: berth's
/// namespace has other names, and EKS has none of them.
fn cloud_map_names(workload: &mut DraftWorkload) {
    let containers = std::iter::once(&workload.container)
        .chain(workload.sidecars.iter().map(|sidecar| &sidecar.container));
    let mut named: Vec<String> = containers
        .flat_map(|container| &container.env)
        .filter(|(_, value)| {
            value
                .split(|character: char| {
                    !(character.is_ascii_alphanumeric() || "-.".contains(character))
                })
                .any(|word| {
                    word.to_ascii_lowercase().ends_with(".local") && word.matches('.').count() >= 2
                })
        })
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    named.dedup();
    if !named.is_empty() {
        workload.notes.push(format!(
            "{} name{} a host in a Cloud Map namespace; berth's names differ (`<service>.<env>.<workspace>.local` on ECS, the Kubernetes Service on EKS), and the short name (`http://api:9000`) works on both",
            named.join(", "),
            if named.len() == 1 { "s" } else { "" }
        ));
    }
}

/// A public gRPC port needs HTTPS; without a domain it stays private.
fn private_grpc_without_domain(draft: &mut Draft) {
    if draft.domain.is_some() {
        return;
    }
    for workload in &mut draft.workloads {
        for port in &mut workload.container.ports {
            if port.protocol == Protocol::Grpc && port.route.take().is_some() {
                workload.notes.push(format!(
                    "gRPC port {} stays private: the load balancer routes gRPC only over HTTPS, which needs a `domain` (host and ACM certificate) on the workspace",
                    port.number
                ));
            }
        }
    }
}

/// The region of a cluster ARN, for callers that have one.
pub fn cluster_region(arn: &str) -> Option<String> {
    region_of(arn)
}
