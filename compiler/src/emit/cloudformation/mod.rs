//! CloudFormation for the `ecs`, `fargate` and `eks` targets.
//!
//! The platform stack ([`platform`]) owns everything shared — network, cluster, load balancer,
//! service discovery, logs, keys, repositories, file system, EC2 capacity — and exports what the
//! workload stacks ([`workload`]) import. Export names are `<platform stack>-<Key>`, with the
//! keys in [`exports`]. An export can never change while another stack imports it, so only
//! values that stay the same for the life of the resource are exported; values a setting can
//! change (the subnets when `nat` or `zones` change, the listener when a `domain` is added) are
//! SSM parameters the platform stack writes and each workload stack reads at every deploy
//! ([`parameters`]).
//!
//! On `eks` the platform stack ([`eks`]) holds the network, the cluster, its node groups and
//! add-ons; one small stack per workload that needs a pod role holds that role and its Pod
//! Identity association, importing the platform's exports. The Kubernetes manifests read both
//! kinds of stack's outputs.

pub mod eks;
pub mod platform;
mod template;
pub mod workload;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use template::{Template, attribute, import, logical_id, reference, sub, tags};

use super::{Artifact, ArtifactKind, TemplateFormat, deploy_orders};
use crate::emit::literal::value;
use crate::instance_types::Architecture;
use crate::model::{Network, Workload, WorkloadKind, Workspace};
use crate::naming::Naming;

/// The keys of the platform stack's exports.
pub mod exports {
    /// The VPC id.
    pub const VPC_ID: &str = "VpcId";
    /// The security group every task runs with.
    pub const WORKLOAD_SECURITY_GROUP: &str = "WorkloadSecurityGroup";
    /// The ECS cluster name.
    pub const CLUSTER_NAME: &str = "ClusterName";
    /// The ECS cluster ARN.
    pub const CLUSTER_ARN: &str = "ClusterArn";
    /// The load balancer's full name (`app/…/…`), for request-count scaling; only when public.
    pub const LOAD_BALANCER_FULL_NAME: &str = "LoadBalancerFullName";
    /// The Cloud Map private DNS namespace id.
    pub const DISCOVERY_NAMESPACE_ID: &str = "DiscoveryNamespaceId";
    /// The Cloud Map namespace's ARN, which ECS Service Connect names it by.
    pub const DISCOVERY_NAMESPACE_ARN: &str = "DiscoveryNamespaceArn";
    /// The EFS file system id; only when a volume is declared.
    pub const FILE_SYSTEM_ID: &str = "FileSystemId";
    /// The ECS capacity provider; only for target `ecs`.
    pub const CAPACITY_PROVIDER: &str = "CapacityProvider";
    /// The KMS key encrypting logs, repositories and the file system.
    pub const KEY_ARN: &str = "KeyArn";
}

/// The SSM parameters the platform stack writes, named `/berth/<workspace>/<env>/<key>`, for
/// values a setting can change; workload stacks read them through template parameters of type
/// `AWS::SSM::Parameter::Value<…>`, resolved at each deploy.
pub mod parameters {
    /// The subnets tasks run in (a `StringList`): private with `nat`, else public, one per zone.
    pub const WORKLOAD_SUBNETS: &str = "workload-subnets";
    /// The listener public ports attach rules to: HTTPS with a `domain`, else HTTP; only when a
    /// port is public.
    pub const LISTENER_ARN: &str = "listener-arn";
}

/// The keys of outputs the deploy step reads that no stack imports (never exported).
pub mod outputs {
    /// The platform stack's load balancer DNS name; only when a port is public.
    pub const LOAD_BALANCER_DNS_NAME: &str = "LoadBalancerDnsName";
    /// A service's or worker's ECS service name.
    pub const SERVICE_NAME: &str = "ServiceName";
}

/// What every stack of one build shares.
pub struct Context<'a> {
    /// The workspace.
    pub workspace: &'a Workspace,
    /// Physical names.
    pub naming: Naming<'a>,
    /// The platform stack's name (the prefix of its exports).
    pub platform_stack: String,
    /// Listener rule priorities by (workload, port) ([`super::routes::route_priorities`]).
    pub priorities: BTreeMap<(String, u16), u32>,
    /// Whether tasks run in public subnets and need a public IP to pull images.
    pub assign_public_ip: bool,
    /// Every volume name, once.
    pub volumes: BTreeSet<String>,
    /// Every owned ECR repository name, once.
    pub repositories: BTreeSet<String>,
    /// The architecture tasks run on: the `ecs` instance type's on target `ecs` (arm64 on
    /// Graviton), x86-64 on Fargate.
    pub architecture: Architecture,
    /// On `eks`, the External Secrets controller's role the pod roles trust
    /// ([`eks::external_secrets_role`]), found once per build: finding it looks through the
    /// workloads, and each workload's Pod Identity stack needs it.
    external_secrets_role: std::sync::OnceLock<Option<Value>>,
}

impl<'a> Context<'a> {
    /// The shared facts of `workspace`.
    pub fn new(workspace: &'a Workspace) -> Self {
        let naming = Naming::of(workspace);
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
        let architecture = if workspace.target.value == crate::model::Target::Ecs {
            crate::instance_types::lookup(&workspace.ecs.instance_type.value)
                .map_or(Architecture::X86_64, |instance| instance.architecture)
        } else {
            Architecture::X86_64
        };
        Self {
            architecture,
            workspace,
            naming,
            platform_stack: naming.platform_stack(),
            priorities: super::routes::route_priorities(workspace),
            assign_public_ip,
            volumes,
            repositories,
            external_secrets_role: std::sync::OnceLock::new(),
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

    /// The name of the platform's SSM parameter `key` (one of [`parameters`]).
    pub fn parameter_name(&self, key: &str) -> String {
        self.naming.parameter(key)
    }

    /// Declares in `template` a parameter that reads the platform's SSM parameter `key` (a list
    /// when `list`) at each deploy, defaulting to its name so the deploy passes nothing; returns
    /// a reference to it.
    pub fn read_parameter(&self, template: &mut Template, key: &str, list: bool) -> Value {
        let id = logical_id(&[key]);
        let kind = if list {
            "AWS::SSM::Parameter::Value<List<String>>"
        } else {
            "AWS::SSM::Parameter::Value<String>"
        };
        template.parameter(
            &id,
            value!({
                "Type": kind,
                "Default": self.parameter_name(key),
                "Description": format!("The platform's SSM parameter {}, read at each deploy; leave the default.", self.parameter_name(key)),
            }),
        );
        reference(&id)
    }

    /// Whether any port is public (so the load balancer exists).
    pub fn has_public_ports(&self) -> bool {
        self.workspace.workloads.iter().any(Workload::is_public)
    }
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

/// The artifact of `template`, deployed as `stack` from `<file>.<extension>` at `order`.
fn artifact(
    template: &Template,
    file: &str,
    stack: String,
    order: u32,
    format: TemplateFormat,
) -> Artifact {
    Artifact {
        path: format!("{file}.{}", format.extension()),
        kind: ArtifactKind::Cloudformation,
        stack: Some(stack),
        order,
        content: template.render(format),
        outputs: template.output_keys(),
        retained: template.retained_resources(),
    }
}

/// Every CloudFormation artifact of an `ecs` or `fargate` workspace, each handed to `deliver`
/// as soon as it is built: the platform stack, then each workload's stack in file order.
pub fn emit_ecs_each(
    workspace: &Workspace,
    format: TemplateFormat,
    deliver: &mut dyn FnMut(Artifact),
) {
    let context = Context::new(workspace);
    let orders = deploy_orders(workspace);
    deliver(artifact(
        &platform::platform_stack(&context),
        "platform",
        context.platform_stack.clone(),
        0,
        format,
    ));
    for workload in &workspace.workloads {
        deliver(artifact(
            &workload::workload_stack(&context, workload),
            &workload_file(workload),
            context.naming.workload_stack(&workload.name.value),
            orders.get(&workload.name.value).copied().unwrap_or(1),
            format,
        ));
    }
}

/// The file name (without extension) of a workload's Pod Identity stack on `eks`:
/// `service-web.identity`. The manifests of the workload are `service-web.yaml`, so a YAML
/// template needs another name; workload names hold no `.`, so no two files can collide.
pub fn pod_identity_file(workload: &Workload) -> String {
    format!("{}.identity", workload_file(workload))
}

/// Every CloudFormation artifact of an `eks` workspace, each handed to `deliver` as soon as it
/// is built, in the orders of [`crate::emit::contract`]: the platform stack, the cluster's shared
/// stack (`cluster.json`, when a workload reads secrets), then the Pod Identity stack of each
/// workload that needs a pod role. The Kubernetes manifests come after all of them.
pub fn emit_eks_each(
    workspace: &Workspace,
    format: TemplateFormat,
    deliver: &mut dyn FnMut(Artifact),
) {
    let context = Context::new(workspace);
    deliver(artifact(
        &eks::eks_platform_stack(&context),
        "platform",
        context.platform_stack.clone(),
        crate::emit::contract::PLATFORM_ORDER,
        format,
    ));
    if let (Some(template), Some(stack)) = (
        eks::shared_cluster_stack(&context),
        eks::shared_stack_name(&context),
    ) {
        deliver(artifact(
            &template,
            "cluster",
            stack,
            crate::emit::contract::CLUSTER_ORDER,
            format,
        ));
    }
    for workload in &workspace.workloads {
        if let Some(template) = eks::pod_identity_stack(&context, workload) {
            deliver(artifact(
                &template,
                &pod_identity_file(workload),
                context.naming.workload_stack(&workload.name.value),
                crate::emit::contract::POD_IDENTITY_ORDER,
                format,
            ));
        }
    }
}
