//! The typed workspace: plain data with spans, produced by [`crate::lower()`] and checked by
//! [`crate::validate()`].

use std::collections::BTreeMap;

pub use crate::secret_ref::SecretSource;
use crate::source::{Span, Spanned};

/// The backend a workspace is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// ECS on EC2 instances the workspace provisions.
    Ecs,
    /// ECS on Fargate.
    Fargate,
    /// Kubernetes workloads on EKS.
    Eks,
}

impl Target {
    /// The name used in the file and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ecs => "ecs",
            Self::Fargate => "fargate",
            Self::Eks => "eks",
        }
    }

    /// Parses a target name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ecs" => Some(Self::Ecs),
            "fargate" => Some(Self::Fargate),
            "eks" => Some(Self::Eks),
            _ => None,
        }
    }

    /// Whether the target runs on ECS (EC2 or Fargate).
    pub const fn is_ecs_family(self) -> bool {
        matches!(self, Self::Ecs | Self::Fargate)
    }
}

/// One application and the AWS backend it runs on, with the selected environment applied.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace name.
    pub name: Spanned<String>,
    /// The environment the workspace was lowered for (`default`, with an empty span, when none
    /// was selected).
    pub environment: Spanned<String>,
    /// The backend.
    pub target: Spanned<Target>,
    /// The AWS region.
    pub region: Spanned<String>,
    /// The network the workloads run in.
    pub network: Network,
    /// Where workloads may connect outside their own group; empty allows all outbound traffic.
    pub egress: Vec<Egress>,
    /// EC2 capacity for target `ecs`.
    pub ecs: EcsCapacity,
    /// The cluster for target `eks`.
    pub eks: EksSettings,
    /// HTTPS on the shared load balancer.
    pub domain: Option<Domain>,
    /// Tags for every AWS resource.
    pub tags: BTreeMap<String, Spanned<String>>,
    /// Services, workers and jobs in file order.
    pub workloads: Vec<Workload>,
}

/// A new VPC or an existing one.
#[derive(Clone, Debug)]
pub enum Network {
    /// A VPC berth creates.
    New {
        /// The VPC CIDR block.
        cidr: Spanned<String>,
        /// Availability zones, 2–6.
        zones: u8,
        /// Private subnets behind NAT gateways.
        nat: bool,
    },
    /// A VPC that already exists.
    Existing {
        /// The VPC id.
        vpc: Spanned<String>,
        /// Public subnet ids.
        public_subnets: Vec<Spanned<String>>,
        /// Private subnet ids.
        private_subnets: Vec<Spanned<String>>,
    },
}

/// One destination workloads may reach when `network { egress … }` restricts outbound traffic.
#[derive(Clone, Debug)]
pub struct Egress {
    /// The destination, an IPv4 CIDR block.
    pub cidr: Spanned<String>,
    /// The transport protocol.
    pub protocol: EgressProtocol,
    /// The first and last port, or `None` for every port.
    pub ports: Option<Spanned<(u16, u16)>>,
    /// Where the `egress` node was written.
    pub span: Span,
}

/// The transport protocol of an [`Egress`] rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EgressProtocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// Every protocol (no ports).
    All,
}

impl EgressProtocol {
    /// The name in the file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::All => "all",
        }
    }
}

/// EC2 capacity for target `ecs`.
#[derive(Clone, Debug)]
pub struct EcsCapacity {
    /// The instance type.
    pub instance_type: Spanned<String>,
    /// The fewest instances.
    pub min: u32,
    /// The most instances.
    pub max: u32,
    /// Where the `ecs` block was written, if it was.
    pub span: Option<Span>,
}

/// The cluster for target `eks`.
#[derive(Clone, Debug)]
pub struct EksSettings {
    /// A new cluster, or the name of an existing one.
    pub cluster: EksCluster,
    /// The Kubernetes namespace of the workloads.
    pub namespace: Spanned<String>,
    /// The role the External Secrets controller of an existing cluster already runs as; when
    /// absent, berth gives the controller a role in the cluster's shared stack.
    pub external_secrets_role: Option<Spanned<String>>,
}

/// Whether berth creates the EKS cluster.
#[derive(Clone, Debug)]
pub enum EksCluster {
    /// A cluster berth creates.
    New {
        /// The Kubernetes version.
        version: Spanned<String>,
        /// Managed node groups.
        nodegroups: Vec<Nodegroup>,
        /// IAM principals (role or user ARNs) given cluster admin access, besides the deployer.
        admins: Vec<Spanned<String>>,
        /// IPv4 CIDR blocks allowed to reach the public API endpoint; empty for anywhere.
        public_access: Vec<Spanned<String>>,
    },
    /// An existing cluster, by name.
    Existing(Spanned<String>),
}

/// A managed node group.
#[derive(Clone, Debug)]
pub struct Nodegroup {
    /// Its name.
    pub name: Spanned<String>,
    /// The EC2 instance type.
    pub instance_type: String,
    /// The fewest nodes.
    pub min: u32,
    /// The most nodes.
    pub max: u32,
    /// The nodes to start with.
    pub desired: u32,
}

/// HTTPS on the shared load balancer.
#[derive(Clone, Debug)]
pub struct Domain {
    /// The host name.
    pub host: Spanned<String>,
    /// The ACM certificate ARN.
    pub certificate: Spanned<String>,
}

/// What kind of workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    /// Long-running, serves ports.
    Service,
    /// Long-running, no ports.
    Worker,
    /// Scheduled, runs to completion.
    Job,
}

impl WorkloadKind {
    /// The node name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Worker => "worker",
            Self::Job => "job",
        }
    }
}

/// A service, worker or job.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Service, worker or job.
    pub kind: WorkloadKind,
    /// The name, unique across all workloads.
    pub name: Spanned<String>,
    /// The main container.
    pub container: Container,
    /// CPU units (1024 = 1 vCPU).
    pub cpu: Spanned<u32>,
    /// Memory in MiB.
    pub memory: Spanned<u32>,
    /// Replica count or autoscaling (services and workers).
    pub replicas: Replicas,
    /// The health check.
    pub health: Option<Health>,
    /// Workloads that must start first.
    pub depends_on: Vec<Spanned<String>>,
    /// Persistent volumes.
    pub volumes: Vec<Volume>,
    /// Extra containers.
    pub sidecars: Vec<Sidecar>,
    /// IAM permissions.
    pub role: Option<Role>,
    /// The schedule (jobs).
    pub schedule: Option<Schedule>,
    /// How long a run may take, in milliseconds (jobs).
    pub timeout: Option<Spanned<u64>>,
    /// Retries of a failed run (jobs); the span is empty when not written.
    pub retries: Spanned<u32>,
    /// False when `cpu` could not be read, so checks of it would only repeat that error.
    pub cpu_known: bool,
    /// False when `memory` could not be read, so checks of it would only repeat that error.
    pub memory_known: bool,
    /// How a deploy replaces running copies (services and workers); the span is empty when not
    /// written.
    pub deploy: Spanned<Deploy>,
}

impl Workload {
    /// The main container, then each sidecar's.
    pub fn containers(&self) -> impl Iterator<Item = &Container> {
        std::iter::once(&self.container)
            .chain(self.sidecars.iter().map(|sidecar| &sidecar.container))
    }

    /// The port an http health check probes: its `port=`, else the main container's first port.
    pub fn probed_port(&self) -> Option<u16> {
        match &self.health.as_ref()?.probe.value {
            Probe::Http { port, .. } => {
                port.or_else(|| self.container.ports.first().map(|first| first.number.value))
            }
            Probe::Command(_) => None,
        }
    }

    /// Whether any port is routed from the shared load balancer.
    pub fn is_public(&self) -> bool {
        self.container.ports.iter().any(|port| port.route.is_some())
    }
}

/// What a container runs and exposes.
#[derive(Clone, Debug)]
pub struct Container {
    /// The image.
    pub image: Spanned<Image>,
    /// The command (arguments).
    pub command: Vec<Spanned<String>>,
    /// The entrypoint.
    pub entrypoint: Vec<Spanned<String>>,
    /// Ports.
    pub ports: Vec<Port>,
    /// Plain environment variables.
    pub env: BTreeMap<String, Spanned<String>>,
    /// Secret environment variables.
    pub secrets: Vec<Secret>,
    /// The user and group the container runs as; the span is empty when not written.
    pub user: Spanned<User>,
    /// Whether the root file system is read-only (`/tmp` is writable either way).
    pub read_only_root: bool,
}

/// A numeric user and group a container runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct User {
    /// The user id.
    pub uid: u32,
    /// The group id.
    pub gid: u32,
}

impl User {
    /// Every container's user unless the workspace says otherwise: not root, the same on
    /// every target, and the owner of the volumes' directories.
    pub const DEFAULT: Self = Self {
        uid: 1000,
        gid: 1000,
    };

    /// Whether this is root (user id 0).
    pub const fn is_root(self) -> bool {
        self.uid == 0
    }
}

impl std::fmt::Display for User {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.uid, self.gid)
    }
}

/// How a deploy replaces the running copies of a service or worker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Deploy {
    /// Start new copies, then stop old ones: no downtime, but old and new run at once.
    #[default]
    Rolling,
    /// Stop the old copies, then start new ones: a gap, but never two versions at once.
    Recreate,
}

impl Deploy {
    /// The name in the file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::Recreate => "recreate",
        }
    }
}

/// A container image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Image {
    /// A full reference such as `ghcr.io/acme/web:1.4`.
    Reference(String),
    /// An ECR repository the workspace owns, with a tag.
    Repository {
        /// The repository name (prefixed with the workspace name when emitted).
        repository: Spanned<String>,
        /// The tag.
        tag: String,
    },
}

impl Image {
    /// The owned ECR repository, for `repository=` images.
    pub fn repository(&self) -> Option<&Spanned<String>> {
        match self {
            Self::Reference(_) => None,
            Self::Repository { repository, .. } => Some(repository),
        }
    }
}

/// The application protocol of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// HTTP/1.1.
    Http,
    /// Plain TCP.
    Tcp,
    /// gRPC over HTTP/2.
    Grpc,
}

impl Protocol {
    /// The name in the file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
            Self::Grpc => "grpc",
        }
    }
}

/// A port a container listens on.
#[derive(Clone, Debug)]
pub struct Port {
    /// The port number.
    pub number: Spanned<u16>,
    /// Its protocol.
    pub protocol: Protocol,
    /// Routing from the shared load balancer, when public.
    pub route: Option<Route>,
}

/// How the shared load balancer reaches a public port.
#[derive(Clone, Debug)]
pub struct Route {
    /// The path prefix.
    pub path: Spanned<String>,
    /// The host name, if routing by host.
    pub host: Option<Spanned<String>>,
    /// Where `public #true` was written.
    pub span: Span,
}

/// A secret environment variable.
#[derive(Clone, Debug)]
pub struct Secret {
    /// The variable name.
    pub name: Spanned<String>,
    /// Where its value lives.
    pub source: Spanned<SecretSource>,
    /// A JSON key inside a Secrets Manager secret.
    pub key: Option<Spanned<String>>,
}

/// How many replicas run.
#[derive(Clone, Debug)]
pub enum Replicas {
    /// A fixed count.
    Fixed(u32),
    /// Autoscaling between bounds.
    Auto {
        /// The fewest.
        min: Spanned<u32>,
        /// The most.
        max: Spanned<u32>,
        /// Target CPU percentage.
        cpu: Option<u8>,
        /// Target memory percentage.
        memory: Option<u8>,
        /// Target load-balancer requests per replica.
        requests: Option<Spanned<u32>>,
    },
}

/// A health check.
#[derive(Clone, Debug)]
pub struct Health {
    /// What is probed.
    pub probe: Spanned<Probe>,
    /// Milliseconds between checks.
    pub interval: Spanned<u64>,
    /// Milliseconds before one check fails.
    pub timeout: Spanned<u64>,
    /// Failures before unhealthy.
    pub retries: Spanned<u32>,
    /// Start-up grace in milliseconds.
    pub grace: Option<Spanned<u64>>,
}

/// What a health check runs.
#[derive(Clone, Debug)]
pub enum Probe {
    /// An HTTP GET of a path on a port.
    Http {
        /// The path.
        path: String,
        /// The port (the workload's first port when not given).
        port: Option<u16>,
    },
    /// A command run in the container.
    Command(Vec<String>),
}

/// A persistent volume mount.
#[derive(Clone, Debug)]
pub struct Volume {
    /// The volume name.
    pub name: Spanned<String>,
    /// The mount path.
    pub path: Spanned<String>,
    /// Whether several copies may write to it at once by design (`shared=#true`).
    pub shared: bool,
}

/// An extra container.
#[derive(Clone, Debug)]
pub struct Sidecar {
    /// Its name.
    pub name: Spanned<String>,
    /// What it runs.
    pub container: Container,
}

/// IAM permissions of a workload.
#[derive(Clone, Debug)]
pub struct Role {
    /// The statements.
    pub statements: Vec<Statement>,
    /// Where the `role` block was written.
    pub span: Span,
}

/// Allow some actions on one resource.
#[derive(Clone, Debug)]
pub struct Statement {
    /// IAM actions.
    pub actions: Vec<Spanned<String>>,
    /// The resource ARN.
    pub resource: Spanned<String>,
}

/// A job's schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The 5-field cron expression as written (after interpolation).
    pub cron: Spanned<String>,
    /// The parsed expression.
    pub parsed: crate::cron::CronSchedule,
}
