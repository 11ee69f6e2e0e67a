//! The naming rules: how every physical name berth generates is built, and its limit.
//!
//! The emitters call these functions for the names they write, and the validator checks the very
//! same list ([`generated_names`]) against each limit, so what is checked is what is emitted.
//!
//! Names people type or read (stacks, ECS clusters and services, ECR repositories, EKS clusters,
//! Kubernetes objects) keep their exact form, and one over its limit is an error. Names AWS only
//! needs to be unique (IAM roles, target groups, the load balancer) are shortened when too long,
//! as the CDK does: the start of the name, `-`, and eight hex digits of the sha256 of the whole
//! name ([`shorten`]), so they always fit and two different names stay different.
//!
//! IAM names are global to the account, so they carry the region; every other name is regional.

use sha2::{Digest, Sha256};

use std::fmt::Write as _;

use crate::model::{Network, Nodegroup, Target, Workload, WorkloadKind, Workspace};
use crate::source::Span;

/// How many hex digits of the sha256 a shortened name ends with.
const HASH_DIGITS: usize = 8;

/// `name` when it has at most `max` characters; else as many of its first characters as fit,
/// `-`, and the first 8 hex digits of the sha256 of the whole name, `max` in all
/// (a `-` the cut leaves at the end is dropped, so the name still ends alphanumeric).
pub fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let hash = short_hash(name);
    let kept: String = name
        .chars()
        .take(max.saturating_sub(HASH_DIGITS + 1))
        .collect();
    let kept = kept.trim_end_matches(['-', '/', '.', '_']);
    if kept.is_empty() {
        hash
    } else {
        format!("{kept}-{hash}")
    }
}

/// The first [`HASH_DIGITS`] hex digits of the sha256 of `text`.
fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .take(HASH_DIGITS)
        .map(|nibble| char::from_digit(u32::from(nibble), 16).unwrap_or('0'))
        .collect()
}

/// The stack of what every workspace on the EKS cluster `cluster` shares,
/// `berth-eks-<cluster>`. Cluster names may hold `_`, which stack names may not: it becomes `-`,
/// with a short hash of the real name so that `a_b` and `a-b` keep apart. Cluster names have at
/// most 100 characters, so the name stays within the stack limit.
pub fn shared_cluster_stack(cluster: &str) -> String {
    let name = format!("berth-eks-{}", cluster.replace('_', "-"));
    if cluster.contains('_') {
        let digest = Sha256::digest(cluster.as_bytes());
        let hash = digest
            .iter()
            .take(HASH_DIGITS / 2)
            .fold(String::new(), |mut hash, byte| {
                let _ = write!(hash, "{byte:02x}");
                hash
            });
        return format!("{name}-{hash}");
    }
    name
}

/// Checks that `text` is a lowercase DNS label: `[a-z]([a-z0-9-]*[a-z0-9])?`, at most 63 characters.
pub fn check_label(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    if text.len() > 63 {
        return Err(format!(
            "it has {} characters, more than 63",
            text.chars().count()
        ));
    }
    if let Some(bad) = text.chars().find(|character| {
        !(character.is_ascii_lowercase() || character.is_ascii_digit() || *character == '-')
    }) {
        return Err(format!(
            "`{bad}` is not allowed; use lowercase letters, digits and `-`"
        ));
    }
    if !text.starts_with(|character: char| character.is_ascii_lowercase()) {
        return Err("it must start with a lowercase letter".into());
    }
    if text.ends_with('-') {
        return Err("it must not end with `-`".into());
    }
    Ok(())
}

/// A help line suggesting a valid label close to `text`.
pub fn label_help(text: &str) -> String {
    let mut fixed: String = text
        .chars()
        .map(|character| {
            let lower = character.to_ascii_lowercase();
            if lower.is_ascii_lowercase() || lower.is_ascii_digit() {
                lower
            } else {
                '-'
            }
        })
        .collect();
    fixed = fixed
        .trim_matches(|character: char| character == '-' || character.is_ascii_digit())
        .to_owned();
    fixed.truncate(63);
    let fixed = fixed.trim_end_matches('-');
    if fixed.is_empty() {
        "names are lowercase DNS labels: a letter, then letters, digits or `-`".into()
    } else {
        format!("names are lowercase DNS labels; try `{fixed}`")
    }
}

/// Whether `text` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_environment_variable(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// An alphanumeric logical id from name parts: `["Service", "web-api"]` → `ServiceWebApi`.
pub fn logical_id(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|part| part.split(|character: char| !character.is_ascii_alphanumeric()))
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let mut characters = segment.chars();
            characters.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + characters.as_str()
            })
        })
        .collect()
}

/// Whether `text` is a legal Kubernetes label name segment or value: at most 63 characters,
/// alphanumeric at both ends, `-`, `_` and `.` inside (a value may also be empty).
pub fn is_label_value(text: &str) -> bool {
    text.is_empty()
        || (text.len() <= 63
            && text.starts_with(|character: char| character.is_ascii_alphanumeric())
            && text.ends_with(|character: char| character.is_ascii_alphanumeric())
            && text
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character)))
}

/// Whether `text` is a legal Kubernetes label key: an optional DNS-subdomain prefix and `/`,
/// then a non-empty name segment.
pub fn is_label_key(text: &str) -> bool {
    let (prefix, name) = text
        .rsplit_once('/')
        .map_or((None, text), |(prefix, name)| (Some(prefix), name));
    let prefix_ok = prefix.is_none_or(|prefix| {
        prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part.chars().all(|character| {
                        character.is_ascii_lowercase()
                            || character.is_ascii_digit()
                            || character == '-'
                    })
            })
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

/// Builds physical names from the workspace, environment and region names.
#[derive(Clone, Copy, Debug)]
pub struct Naming<'a> {
    workspace: &'a str,
    environment: &'a str,
    region: &'a str,
}

impl<'a> Naming<'a> {
    /// Names for `workspace` deployed as `environment` in `region`.
    pub const fn new(workspace: &'a str, environment: &'a str, region: &'a str) -> Self {
        Self {
            workspace,
            environment,
            region,
        }
    }

    /// Names for a lowered workspace: its name, environment and region.
    pub fn of(workspace: &'a Workspace) -> Self {
        Self::new(
            &workspace.name.value,
            &workspace.environment.value,
            &workspace.region.value,
        )
    }

    /// `<workspace>-<env>`: ECS cluster, EKS cluster and ALB group name, and the prefix of most
    /// other names.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.workspace, self.environment)
    }

    /// The `CloudFormation` stack of the shared platform.
    pub fn platform_stack(&self) -> String {
        format!("{}-platform", self.prefix())
    }

    /// The `CloudFormation` stack of one workload.
    pub fn workload_stack(&self, workload: &str) -> String {
        format!("{}-{workload}", self.prefix())
    }

    /// The ECS task definition family of one workload.
    pub fn task_family(&self, workload: &str) -> String {
        format!("{}-{workload}", self.prefix())
    }

    /// A workload's IAM role, `<workspace>-<env>-<workload>-<purpose>-<region>` ([`shorten`]ed
    /// to the IAM limit); `purpose` is `task`, `exec`, `schedule` or `pod`.
    pub fn workload_role(&self, workload: &str, purpose: &str) -> String {
        shorten(
            &format!("{}-{workload}-{purpose}-{}", self.prefix(), self.region),
            IAM_ROLE.max,
        )
    }

    /// A platform IAM role, `<workspace>-<env>-<purpose>-<region>` ([`shorten`]ed to the IAM
    /// limit); `purpose` is `cluster`, `node` or `instance`.
    pub fn platform_role(&self, purpose: &str) -> String {
        shorten(
            &format!("{}-{purpose}-{}", self.prefix(), self.region),
            IAM_ROLE.max,
        )
    }

    /// The IAM path of the pod roles, `/berth/<workspace>/<env>/<region>/pod/`: one pattern
    /// (`role/berth/…/pod/*`) names them all however their names were shortened.
    pub fn pod_role_path(&self) -> String {
        format!(
            "/berth/{}/{}/{}/pod/",
            self.workspace, self.environment, self.region
        )
    }

    /// The target group of one public port, `<workspace>-<env>-<workload>-<port>` ([`shorten`]ed
    /// to the target group limit).
    pub fn target_group(&self, workload: &str, port: u16) -> String {
        shorten(
            &format!("{}-{workload}-{port}", self.prefix()),
            TARGET_GROUP.max,
        )
    }

    /// The shared load balancer, `<workspace>-<env>` ([`shorten`]ed to the load balancer
    /// limit).
    pub fn load_balancer(&self) -> String {
        shorten(&self.prefix(), LOAD_BALANCER.max)
    }

    /// An SSM parameter the platform stack writes, `/berth/<workspace>/<env>/<key>`.
    pub fn parameter(&self, key: &str) -> String {
        format!("/berth/{}/{}/{key}", self.workspace, self.environment)
    }

    /// The log group of the workspace.
    pub fn log_group(&self) -> String {
        format!("/berth/{}/{}", self.workspace, self.environment)
    }

    /// The log group of the VPC's flow logs, apart from the workloads' logs.
    pub fn flow_log_group(&self) -> String {
        format!("{}/vpc-flow-logs", self.log_group())
    }

    /// An ECR repository the workspace owns.
    /// Repositories belong to one environment's platform stack, so the environment is part of
    /// the name: two environments in one account and region must not both create it.
    pub fn ecr_repository(&self, repository: &str) -> String {
        format!("{}/{}/{repository}", self.workspace, self.environment)
    }

    /// A managed node group, `<workspace>-<env>-<nodegroup>-<hash>`: eight hex digits of a hash
    /// of what EKS cannot change in a node group in place (its instance type, hence its AMI type,
    /// and the subnets its nodes run in, which `network` decides). Editing one of those then
    /// names a new node group, which CloudFormation creates before it deletes the old one (EKS
    /// drains the old nodes as it goes), so the workloads keep nodes throughout; under a fixed
    /// name the replacement would fail, the new group's name being taken.
    pub fn nodegroup(&self, nodegroup: &Nodegroup, network: &Network) -> String {
        let subnets = match network {
            Network::New { cidr, zones, nat } => format!("{} {zones} {nat}", cidr.value),
            Network::Existing {
                public_subnets,
                private_subnets,
                ..
            } => {
                // The nodes run in the private subnets when there are any (as the platform's
                // network decides), else in the public ones.
                let used = if private_subnets.is_empty() {
                    public_subnets
                } else {
                    private_subnets
                };
                used.iter()
                    .map(|subnet| subnet.value.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        let hash = short_hash(&format!("{} {subnets}", nodegroup.instance_type));
        format!("{}-{}-{hash}", self.prefix(), nodegroup.name.value)
    }

    /// The Cloud Map namespace services reach each other in.
    pub fn discovery_namespace(&self) -> String {
        format!("{}.{}.local", self.environment, self.workspace)
    }

    /// The Cloud Map service ECS Service Connect creates for one port of a workload,
    /// `<workload>_<port>` ([`shorten`]ed to 64): the `_`, which names cannot hold, keeps it apart
    /// from the DNS service discovery entry named after the workload.
    pub fn discovery_name(workload: &str, port: u16) -> String {
        shorten(&format!("{workload}_{port}"), 64)
    }

    /// The Kubernetes Secret an `ExternalSecret` writes for a workload.
    pub fn kubernetes_secret(workload: &str) -> String {
        format!("{workload}-secrets")
    }

    /// The `PersistentVolumeClaim` of one volume of a workload.
    pub fn volume_claim(workload: &str, volume: &str) -> String {
        format!("{workload}-{volume}")
    }

    /// The name of a container port: `<protocol>-<number>`.
    pub fn port_name(protocol: &str, number: u16) -> String {
        format!("{protocol}-{number}")
    }
}

/// The rule a generated name must follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What the name is, e.g. "IAM role".
    pub what: &'static str,
    /// The most characters allowed.
    pub max: usize,
}

/// One name berth will generate, the limit it must meet, and the source names it is built from.
#[derive(Clone, Debug)]
pub struct GeneratedName {
    /// The name.
    pub value: String,
    /// Its limit.
    pub limit: Limit,
    /// How it is built, e.g. `<workspace>-<env>-<service>-<port>`.
    pub pattern: &'static str,
    /// The source names it contains, most specific first.
    pub sources: Vec<(String, Span)>,
}

const CLOUDFORMATION_STACK: Limit = Limit {
    what: "CloudFormation stack",
    max: 128,
};
/// Shortened with [`shorten`], never reported.
const IAM_ROLE: Limit = Limit {
    what: "IAM role",
    max: 64,
};
/// Shortened with [`shorten`], never reported.
const TARGET_GROUP: Limit = Limit {
    what: "target group",
    max: 32,
};
/// Shortened with [`shorten`], never reported.
const LOAD_BALANCER: Limit = Limit {
    what: "load balancer",
    max: 32,
};
const ECS_NAME: Limit = Limit {
    what: "ECS cluster, service or task family",
    max: 255,
};
const LOG_GROUP: Limit = Limit {
    what: "log group",
    max: 512,
};
const ECR_REPOSITORY: Limit = Limit {
    what: "ECR repository",
    max: 256,
};
const EKS_CLUSTER: Limit = Limit {
    what: "EKS cluster",
    max: 100,
};
const NODEGROUP: Limit = Limit {
    what: "EKS node group",
    max: 63,
};
const ALB_GROUP: Limit = Limit {
    what: "ALB ingress group",
    max: 63,
};
const LABEL_VALUE: Limit = Limit {
    what: "Kubernetes label value",
    max: 63,
};
const NAMESPACE: Limit = Limit {
    what: "Kubernetes namespace",
    max: 63,
};
const CRONJOB: Limit = Limit {
    what: "Kubernetes CronJob",
    max: 52,
};
const SUBDOMAIN: Limit = Limit {
    what: "Kubernetes object",
    max: 253,
};
const PORT_NAME: Limit = Limit {
    what: "container port name",
    max: 15,
};

/// Every physical name berth will generate for `workspace` on its target.
pub fn generated_names(workspace: &Workspace) -> Vec<GeneratedName> {
    let naming = Naming::of(workspace);
    let base = [
        (workspace.name.value.clone(), workspace.name.span),
        (
            workspace.environment.value.clone(),
            workspace.environment.span,
        ),
    ];
    let with = |extra: &[(String, Span)]| -> Vec<(String, Span)> {
        extra.iter().cloned().chain(base.iter().cloned()).collect()
    };
    let name = |value: String,
                limit: Limit,
                pattern: &'static str,
                sources: Vec<(String, Span)>| GeneratedName {
        value,
        limit,
        pattern,
        sources,
    };
    let target = workspace.target.value;
    let mut names = vec![
        name(
            naming.platform_stack(),
            CLOUDFORMATION_STACK,
            "<workspace>-<env>-platform",
            with(&[]),
        ),
        name(
            naming.log_group(),
            LOG_GROUP,
            "/berth/<workspace>/<env>",
            with(&[]),
        ),
    ];
    if target == Target::Eks {
        names.push(name(
            naming.prefix(),
            ALB_GROUP,
            "<workspace>-<env>",
            with(&[]),
        ));
        names.push(name(
            workspace.name.value.clone(),
            LABEL_VALUE,
            "<workspace>",
            with(&[]),
        ));
        // A namespace written in the file is checked as a name; the default is built here.
        if workspace.eks.namespace.span == Span::default() {
            names.push(name(
                workspace.eks.namespace.value.clone(),
                NAMESPACE,
                "<workspace>-<env>",
                with(&[]),
            ));
        }
        if matches!(workspace.eks.cluster, crate::model::EksCluster::New { .. }) {
            names.push(name(
                naming.prefix(),
                EKS_CLUSTER,
                "<workspace>-<env>",
                with(&[]),
            ));
        }
        if let crate::model::EksCluster::New { nodegroups, .. } = &workspace.eks.cluster {
            for group in nodegroups {
                let sources = with(&[(group.name.value.clone(), group.name.span)]);
                names.push(name(
                    naming.nodegroup(group, &workspace.network),
                    NODEGROUP,
                    "<workspace>-<env>-<nodegroup>-<hash>",
                    sources,
                ));
            }
        }
    } else {
        names.push(name(
            naming.prefix(),
            ECS_NAME,
            "<workspace>-<env>",
            with(&[]),
        ));
    }
    for workload in &workspace.workloads {
        names.extend(workload_names(
            workspace,
            workload,
            naming,
            &with(&[(workload.name.value.clone(), workload.name.span)]),
        ));
    }
    names
}

fn workload_names(
    workspace: &Workspace,
    workload: &Workload,
    naming: Naming<'_>,
    sources: &[(String, Span)],
) -> Vec<GeneratedName> {
    let wl = workload.name.value.as_str();
    let name = |value: String, limit: Limit, pattern: &'static str| GeneratedName {
        value,
        limit,
        pattern,
        sources: sources.to_vec(),
    };
    // The Kubernetes names of a workload hold only its own name: the workspace is not part of
    // them, so a diagnostic must not point at it.
    let own = |value: String, limit: Limit, pattern: &'static str| GeneratedName {
        value,
        limit,
        pattern,
        sources: sources[..1].to_vec(),
    };
    let mut names = Vec::new();
    for repository in workload
        .containers()
        .filter_map(|container| container.image.value.repository())
    {
        let mut repository_sources = vec![(repository.value.clone(), repository.span)];
        repository_sources.extend(sources.iter().skip(1).cloned());
        names.push(GeneratedName {
            value: naming.ecr_repository(&repository.value),
            limit: ECR_REPOSITORY,
            pattern: "<workspace>/<env>/<repository>",
            sources: repository_sources,
        });
    }
    if workspace.target.value == Target::Eks {
        names.push(own(wl.to_owned(), LABEL_VALUE, "<workload>"));
        names.push(own(
            Naming::kubernetes_secret(wl),
            SUBDOMAIN,
            "<workload>-secrets",
        ));
        if workload.kind == WorkloadKind::Job {
            names.push(own(wl.to_owned(), CRONJOB, "<job>"));
        }
        for volume in &workload.volumes {
            let volume_sources = vec![
                (volume.name.value.clone(), volume.name.span),
                sources[0].clone(),
            ];
            names.push(GeneratedName {
                value: Naming::volume_claim(wl, &volume.name.value),
                limit: SUBDOMAIN,
                pattern: "<workload>-<volume>",
                sources: volume_sources,
            });
        }
        for port in workload.containers().flat_map(|container| &container.ports) {
            names.push(GeneratedName {
                value: Naming::port_name(port.protocol.name(), port.number.value),
                limit: PORT_NAME,
                pattern: "<protocol>-<port>",
                sources: vec![(port.number.value.to_string(), port.number.span)],
            });
        }
        return names;
    }
    names.push(name(
        naming.workload_stack(wl),
        CLOUDFORMATION_STACK,
        "<workspace>-<env>-<workload>",
    ));
    names.push(name(
        naming.task_family(wl),
        ECS_NAME,
        "<workspace>-<env>-<workload>",
    ));
    names
}

/// The name of the scratch volume mounted at `/tmp` in every container: `tmp`, unless a declared
/// volume already has that name.
pub fn scratch_volume(workload: &Workload) -> String {
    let mut name = "tmp".to_owned();
    while workload
        .volumes
        .iter()
        .any(|volume| volume.name.value == name)
    {
        name.insert_str(0, "berth-");
    }
    name
}

/// Whether a workload on EKS gets its own IAM role: it has a `role` or reads secrets.
pub fn needs_pod_role(workload: &Workload) -> bool {
    workload.role.is_some()
        || workload
            .containers()
            .any(|container| !container.secrets.is_empty())
}

#[cfg(test)]
mod tests;
