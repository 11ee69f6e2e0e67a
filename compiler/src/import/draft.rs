//! The workspace an importer builds before it is written: plain data in the shape of the
//! language, with the notes that say what could not be carried over.

use std::collections::BTreeMap;

use crate::model::{Probe, Protocol, Target, WorkloadKind};

/// The variable that stands for a literal `{{`, which berth would read as an expression.
pub const OPEN_BRACES: &str = "open_braces";

/// A workspace to write.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Comment lines at the top of the file (where it was imported from).
    pub header: Vec<String>,
    /// The workspace name, a DNS label.
    pub name: String,
    /// The target the source ran on.
    pub target: Target,
    /// The AWS region, when the source names one.
    pub region: Option<String>,
    /// An existing VPC the workloads ran in.
    pub network: Option<ExistingNetwork>,
    /// HTTPS on the shared load balancer: the host name and the ACM certificate ARN.
    pub domain: Option<(String, String)>,
    /// Variables for `{{…}}` expressions, in order of first use.
    pub vars: Vec<(String, String)>,
    /// Notes about the workspace as a whole (written above `workspace`).
    pub notes: Vec<String>,
    /// Services, workers and jobs in source order.
    pub workloads: Vec<DraftWorkload>,
}

impl Draft {
    /// An empty draft named `name` for `target`.
    pub fn new(name: String, target: Target) -> Self {
        Self {
            header: Vec::new(),
            name,
            target,
            region: None,
            network: None,
            domain: None,
            vars: Vec::new(),
            notes: Vec::new(),
            workloads: Vec::new(),
        }
    }

    /// Defines the variable `name` unless it is already defined; `false` when an earlier
    /// definition has another value.
    pub fn define_var(&mut self, name: &str, value: &str) -> bool {
        if let Some((_, known)) = self.vars.iter().find(|(known, _)| known == name) {
            return known == value;
        }
        self.vars.push((name.to_owned(), value.to_owned()));
        true
    }

    /// Protects every `{{` in the draft's values, which came from a source where it is literal
    /// text: each becomes `{{open_braces}}`, a variable whose value is `{{`.
    pub fn protect_literal_braces(&mut self) {
        let mut used = false;
        let mut protect = |text: &mut String| {
            if text.contains("{{") {
                *text = text.replace("{{", "{{open_braces}}");
                used = true;
            }
        };
        for workload in &mut self.workloads {
            workload.for_each_text(&mut protect);
        }
        if used {
            self.define_var(OPEN_BRACES, "{{");
        }
    }

    /// The workload called `name`.
    pub fn workload_mut(&mut self, name: &str) -> Option<&mut DraftWorkload> {
        self.workloads
            .iter_mut()
            .find(|workload| workload.name == name)
    }
}

/// A VPC that already exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingNetwork {
    /// The VPC id.
    pub vpc: String,
    /// Subnets for the load balancer.
    pub public_subnets: Vec<String>,
    /// Subnets for tasks and pods.
    pub private_subnets: Vec<String>,
}

/// A service, worker or job.
#[derive(Clone, Debug)]
pub struct DraftWorkload {
    /// Service, worker or job.
    pub kind: WorkloadKind,
    /// Its name, a DNS label.
    pub name: String,
    /// What was left out, and why (written as `//` comments above the workload).
    pub notes: Vec<String>,
    /// The main container.
    pub container: DraftContainer,
    /// CPU units, when known.
    pub cpu: Option<u32>,
    /// Memory in MiB, when known.
    pub memory: Option<u32>,
    /// How many run.
    pub replicas: Option<DraftReplicas>,
    /// The health check.
    pub health: Option<DraftHealth>,
    /// Workloads that start first.
    pub depends_on: Vec<String>,
    /// Persistent volumes: name and mount path.
    pub volumes: Vec<(String, String)>,
    /// Extra containers.
    pub sidecars: Vec<DraftSidecar>,
    /// IAM statements: actions and resource.
    pub role: Vec<(Vec<String>, String)>,
}

impl DraftWorkload {
    /// A workload of `kind` named `name` running `image`.
    pub fn new(kind: WorkloadKind, name: String, image: DraftImage) -> Self {
        Self {
            kind,
            name,
            notes: Vec::new(),
            container: DraftContainer::new(image),
            cpu: None,
            memory: None,
            replicas: None,
            health: None,
            depends_on: Vec::new(),
            volumes: Vec::new(),
            sidecars: Vec::new(),
            role: Vec::new(),
        }
    }

    /// Calls `visit` on every value of the workload that is free text.
    fn for_each_text(&mut self, visit: &mut impl FnMut(&mut String)) {
        self.container.for_each_text(visit);
        for sidecar in &mut self.sidecars {
            sidecar.container.for_each_text(visit);
        }
        if let Some(DraftHealth {
            probe: Probe::Command(words),
            ..
        }) = &mut self.health
        {
            words.iter_mut().for_each(&mut *visit);
        }
        for (_, path) in &mut self.volumes {
            visit(path);
        }
    }

    /// Every port of the main container and the sidecars.
    pub fn all_ports(&self) -> impl Iterator<Item = u16> + '_ {
        self.container
            .ports
            .iter()
            .chain(
                self.sidecars
                    .iter()
                    .flat_map(|sidecar| &sidecar.container.ports),
            )
            .map(|port| port.number)
    }
}

/// An extra container.
#[derive(Clone, Debug)]
pub struct DraftSidecar {
    /// Its name, a DNS label.
    pub name: String,
    /// What was left out, and why.
    pub notes: Vec<String>,
    /// What it runs.
    pub container: DraftContainer,
}

/// What a container runs.
#[derive(Clone, Debug)]
pub struct DraftContainer {
    /// The image.
    pub image: DraftImage,
    /// The entrypoint.
    pub entrypoint: Vec<String>,
    /// The command (arguments).
    pub command: Vec<String>,
    /// Ports.
    pub ports: Vec<DraftPort>,
    /// Plain environment variables.
    pub env: BTreeMap<String, String>,
    /// Secret environment variables.
    pub secrets: Vec<DraftSecret>,
}

impl DraftContainer {
    /// Calls `visit` on every value of the container that is free text.
    fn for_each_text(&mut self, visit: &mut impl FnMut(&mut String)) {
        match &mut self.image {
            DraftImage::Reference(reference) => visit(reference),
            DraftImage::Repository { tag, .. } => visit(tag),
        }
        self.entrypoint.iter_mut().for_each(&mut *visit);
        self.command.iter_mut().for_each(&mut *visit);
        // Secret references are built by the importer (validated, or `{{workspace}}` paths).
        self.env.values_mut().for_each(&mut *visit);
    }

    /// A container running `image` with nothing else set.
    pub fn new(image: DraftImage) -> Self {
        Self {
            image,
            entrypoint: Vec::new(),
            command: Vec::new(),
            ports: Vec::new(),
            env: BTreeMap::new(),
            secrets: Vec::new(),
        }
    }
}

/// A container image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftImage {
    /// A full reference.
    Reference(String),
    /// An ECR repository the workspace owns, and the tag (which may be a `{{…}}` expression).
    Repository {
        /// The repository name.
        repository: String,
        /// The tag.
        tag: String,
    },
}

/// A port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftPort {
    /// The container port.
    pub number: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// The load balancer route, when public.
    pub route: Option<DraftRoute>,
}

/// A public port's route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftRoute {
    /// The path prefix.
    pub path: String,
    /// The host name.
    pub host: Option<String>,
}

/// A secret environment variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftSecret {
    /// The variable name.
    pub name: String,
    /// The `from=` reference (`ssm:…`, `secretsmanager:…` or an ARN).
    pub from: String,
    /// The JSON key inside a Secrets Manager secret.
    pub key: Option<String>,
}

/// Replica count or autoscaling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftReplicas {
    /// A fixed count.
    Fixed(u32),
    /// Autoscaling between bounds on CPU and memory targets (percent).
    Auto {
        /// The fewest.
        min: u32,
        /// The most.
        max: u32,
        /// Target CPU utilisation.
        cpu: Option<u8>,
        /// Target memory utilisation.
        memory: Option<u8>,
    },
}

/// A health check, with durations in milliseconds.
#[derive(Clone, Debug)]
pub struct DraftHealth {
    /// What is probed.
    pub probe: Probe,
    /// Between checks.
    pub interval: u64,
    /// Before one check fails.
    pub timeout: u64,
    /// Failures before unhealthy.
    pub retries: u32,
    /// Start-up grace.
    pub grace: Option<u64>,
}
