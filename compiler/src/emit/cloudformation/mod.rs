//! CloudFormation for the `ecs` and `fargate` targets.
//!
//! The platform stack ([`platform`]) owns everything shared — network, cluster, load balancer,
//! service discovery, logs, keys, repositories, file system, EC2 capacity — and exports what the
//! workload stacks ([`workload`]) import. Export names are `<platform stack>-<Key>`, with the
//! keys in [`exports`].

pub mod platform;
mod template;
pub mod workload;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use template::{Template, attribute, import, logical_id, reference, sub, tags};

use super::{Artifact, ArtifactKind, TemplateFormat, deploy_orders};
use crate::model::{Network, Workload, WorkloadKind, Workspace};
use crate::naming::Naming;

/// The keys of the platform stack's exports.
pub mod exports {
    /// The VPC id.
    pub const VPC_ID: &str = "VpcId";
    /// The subnets tasks run in, comma-joined (use `Fn::Split`).
    pub const WORKLOAD_SUBNETS: &str = "WorkloadSubnets";
    /// The security group every task runs with.
    pub const WORKLOAD_SECURITY_GROUP: &str = "WorkloadSecurityGroup";
    /// The ECS cluster name.
    pub const CLUSTER_NAME: &str = "ClusterName";
    /// The ECS cluster ARN.
    pub const CLUSTER_ARN: &str = "ClusterArn";
    /// The listener public ports attach rules to (HTTPS with a domain, else HTTP); only when a
    /// port is public.
    pub const LISTENER_ARN: &str = "ListenerArn";
    /// The load balancer's full name (`app/…/…`), for request-count scaling; only when public.
    pub const LOAD_BALANCER_FULL_NAME: &str = "LoadBalancerFullName";
    /// The Cloud Map private DNS namespace id.
    pub const DISCOVERY_NAMESPACE_ID: &str = "DiscoveryNamespaceId";
    /// The EFS file system id; only when a volume is declared.
    pub const FILE_SYSTEM_ID: &str = "FileSystemId";
    /// The ECS capacity provider; only for target `ecs`.
    pub const CAPACITY_PROVIDER: &str = "CapacityProvider";
    /// The KMS key encrypting logs, repositories and the file system.
    pub const KEY_ARN: &str = "KeyArn";

    /// The export key of the EFS access point of `volume`.
    pub fn access_point(volume: &str) -> String {
        super::logical_id(&["AccessPoint", volume])
    }
}

/// What every stack of one build shares.
pub struct Context<'a> {
    /// The workspace.
    pub workspace: &'a Workspace,
    /// Physical names.
    pub naming: Naming<'a>,
    /// The platform stack's name (the prefix of its exports).
    pub platform_stack: String,
    /// Listener rule priorities by (workload, port), most specific route first.
    pub priorities: BTreeMap<(String, u16), u32>,
    /// Whether tasks run in public subnets and need a public IP to pull images.
    pub assign_public_ip: bool,
    /// Every volume name, once.
    pub volumes: BTreeSet<String>,
    /// Every owned ECR repository name, once.
    pub repositories: BTreeSet<String>,
}

impl<'a> Context<'a> {
    /// The shared facts of `workspace`.
    pub fn new(workspace: &'a Workspace) -> Self {
        let naming = Naming::new(&workspace.name.value, &workspace.environment.value);
        let assign_public_ip = match &workspace.network {
            Network::New { nat, .. } => !nat,
            Network::Existing {
                private_subnets, ..
            } => private_subnets.is_empty(),
        };
        let volumes = workspace
            .workloads
            .iter()
            .flat_map(|workload| &workload.volumes)
            .map(|volume| volume.name.value.clone())
            .collect();
        let repositories = workspace
            .workloads
            .iter()
            .flat_map(Workload::containers)
            .filter_map(|container| {
                container
                    .image
                    .value
                    .repository()
                    .map(|repository| repository.value.clone())
            })
            .collect();
        Self {
            workspace,
            naming,
            platform_stack: naming.platform_stack(),
            priorities: priorities(workspace),
            assign_public_ip,
            volumes,
            repositories,
        }
    }

    /// The export name of `key`.
    pub fn export_name(&self, key: &str) -> String {
        format!("{}-{key}", self.platform_stack)
    }

    /// `Fn::ImportValue` of the platform export `key`.
    pub fn import(&self, key: &str) -> Value {
        import(&self.export_name(key))
    }

    /// Whether any port is public (so the load balancer exists).
    pub fn has_public_ports(&self) -> bool {
        self.workspace.workloads.iter().any(Workload::is_public)
    }
}

/// Priorities for every public route: host rules before path-only rules, longer paths first.
fn priorities(workspace: &Workspace) -> BTreeMap<(String, u16), u32> {
    let mut routes: Vec<(bool, usize, String, String, String, u16)> = Vec::new();
    for workload in &workspace.workloads {
        for port in &workload.container.ports {
            if let Some(route) = &port.route {
                let host = route
                    .host
                    .as_ref()
                    .map(|host| host.value.clone())
                    .unwrap_or_default();
                routes.push((
                    host.is_empty(),
                    usize::MAX - route.path.value.len(),
                    host,
                    route.path.value.clone(),
                    workload.name.value.clone(),
                    port.number.value,
                ));
            }
        }
    }
    routes.sort();
    routes
        .into_iter()
        .zip(1u32..)
        .map(|((_, _, _, _, workload, port), priority)| ((workload, port), priority))
        .collect()
}

/// The file name of a workload's stack: `service-web`, `worker-mailer`, `job-nightly`.
pub fn workload_file(workload: &Workload) -> String {
    let kind = match workload.kind {
        WorkloadKind::Service => "service",
        WorkloadKind::Worker => "worker",
        WorkloadKind::Job => "job",
    };
    format!("{kind}-{}", workload.name.value)
}

/// Every CloudFormation artifact of an `ecs` or `fargate` workspace.
pub fn emit_ecs(workspace: &Workspace, format: TemplateFormat) -> Vec<Artifact> {
    let context = Context::new(workspace);
    let orders = deploy_orders(workspace);
    let extension = format.extension();
    let mut files = vec![Artifact {
        path: format!("platform.{extension}"),
        kind: ArtifactKind::Cloudformation,
        stack: Some(context.platform_stack.clone()),
        order: 0,
        content: platform::platform_stack(&context).render(format),
    }];
    for workload in &workspace.workloads {
        files.push(Artifact {
            path: format!("{}.{extension}", workload_file(workload)),
            kind: ArtifactKind::Cloudformation,
            stack: Some(context.naming.workload_stack(&workload.name.value)),
            order: orders.get(&workload.name.value).copied().unwrap_or(1),
            content: workload::workload_stack(&context, workload).render(format),
        });
    }
    files
}
