//! The EC2 instance types berth accepts for target `ecs`: how many vCPUs and how much memory
//! each has, its architecture, and how many network interfaces it takes, which bounds how many
//! `awsvpc` tasks it runs.
//!
//! Sources:
//! - vCPUs and memory: the Amazon EC2 instance type specifications
//!   (<https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html>, `co.html`, `mo.html`):
//!   general purpose `m` families have 4 GiB per vCPU, compute optimized `c` 2 GiB, memory
//!   optimized `r` 8 GiB; `medium` is 1 vCPU, `large` 2, and each `Nxlarge` 4·N.
//! - Network interfaces: `NetworkInfo.MaximumNetworkInterfaces` of EC2 `DescribeInstanceTypes`,
//!   as generated into `pkg/vpc/vpc_ip_resource_limit.go` of aws/amazon-vpc-cni-k8s (read at
//!   commit b52188387f2e, August 2026): 2 for `medium`, 3 for `large`, 4 for `xlarge` and
//!   `2xlarge`, 8 from `4xlarge` to `12xlarge`, 15 from `16xlarge` up; the burstable families
//!   are listed one by one.
//! - Tasks per instance: each `awsvpc` task takes its own network interface and the instance
//!   keeps its primary one, so an instance runs one task fewer than it has interfaces (Amazon
//!   ECS developer guide, "Amazon ECS task networking options for EC2"). ENI trunking raises
//!   this on some types, but it is an account setting berth does not turn on or count on.
//! - Memory for tasks: the ECS agent registers what the kernel reports, less than the installed
//!   memory (an `m4.large`'s 8 GiB registers as 7,985 MiB in the ECS guide's example); berth
//!   counts on 95% of the installed memory, leaving the rest to the kernel, the agent and the
//!   system, as AWS Batch advises for the same agent.

/// The processor architecture of an instance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Intel and AMD.
    X86_64,
    /// AWS Graviton.
    Arm64,
}

impl Architecture {
    /// The name ECS uses for it (`RuntimePlatform.CpuArchitecture`).
    pub const fn ecs_name(self) -> &'static str {
        match self {
            Self::X86_64 => "X86_64",
            Self::Arm64 => "ARM64",
        }
    }
}

/// One EC2 instance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceType {
    /// Its vCPUs.
    pub vcpus: u32,
    /// Its installed memory in MiB.
    pub memory: u32,
    /// How many network interfaces it takes.
    pub interfaces: u32,
    /// Its architecture.
    pub architecture: Architecture,
}

impl InstanceType {
    /// The CPU units ECS registers for it (1024 per vCPU).
    pub const fn cpu_units(self) -> u32 {
        self.vcpus * 1024
    }

    /// The memory (MiB) berth counts on for tasks: 95% of the installed memory.
    pub const fn task_memory(self) -> u32 {
        self.memory * 19 / 20
    }

    /// How many `awsvpc` tasks it runs at once: one per network interface but the primary one.
    pub const fn awsvpc_tasks(self) -> u32 {
        self.interfaces.saturating_sub(1)
    }
}

/// A family of the regular sizes: its name, architecture and GiB per vCPU, and the sizes it
/// comes in.
struct Family {
    name: &'static str,
    architecture: Architecture,
    gib_per_vcpu: u32,
    sizes: &'static [&'static str],
}

const INTEL_5: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
];
const C5: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge",
];
const INTEL_6: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge",
];
const AMD_6: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge", "48xlarge",
];
const INTEL_7: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "48xlarge",
];
const C7I: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge", "48xlarge",
];
const AMD_7: &[&str] = &[
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
    "24xlarge", "32xlarge", "48xlarge",
];
const GRAVITON_2_3: &[&str] = &[
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
];
const GRAVITON_4: &[&str] = &[
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
    "24xlarge", "48xlarge",
];

const fn family(
    name: &'static str,
    architecture: Architecture,
    gib_per_vcpu: u32,
    sizes: &'static [&'static str],
) -> Family {
    Family {
        name,
        architecture,
        gib_per_vcpu,
        sizes,
    }
}

use Architecture::{Arm64, X86_64};

/// The families of regular sizes berth accepts.
const FAMILIES: &[Family] = &[
    family("m5", X86_64, 4, INTEL_5),
    family("m5a", X86_64, 4, INTEL_5),
    family("m6i", X86_64, 4, INTEL_6),
    family("m6a", X86_64, 4, AMD_6),
    family("m7i", X86_64, 4, INTEL_7),
    family("m7a", X86_64, 4, AMD_7),
    family("m6g", Arm64, 4, GRAVITON_2_3),
    family("m7g", Arm64, 4, GRAVITON_2_3),
    family("m8g", Arm64, 4, GRAVITON_4),
    family("c5", X86_64, 2, C5),
    family("c5a", X86_64, 2, INTEL_5),
    family("c6i", X86_64, 2, INTEL_6),
    family("c6a", X86_64, 2, AMD_6),
    family("c7i", X86_64, 2, C7I),
    family("c7a", X86_64, 2, AMD_7),
    family("c6g", Arm64, 2, GRAVITON_2_3),
    family("c7g", Arm64, 2, GRAVITON_2_3),
    family("c8g", Arm64, 2, GRAVITON_4),
    family("r5", X86_64, 8, INTEL_5),
    family("r5a", X86_64, 8, INTEL_5),
    family("r6i", X86_64, 8, INTEL_6),
    family("r6a", X86_64, 8, AMD_6),
    family("r7i", X86_64, 8, INTEL_7),
    family("r7a", X86_64, 8, AMD_7),
    family("r6g", Arm64, 8, GRAVITON_2_3),
    family("r7g", Arm64, 8, GRAVITON_2_3),
    family("r8g", Arm64, 8, GRAVITON_4),
];

/// The burstable sizes, the same in `t3`, `t3a` and `t4g` except the network interfaces of
/// `t3a.small`: (size, vCPUs, memory MiB, interfaces).
const BURSTABLE: &[(&str, u32, u32, u32)] = &[
    ("nano", 2, 512, 2),
    ("micro", 2, 1024, 2),
    ("small", 2, 2048, 3),
    ("medium", 2, 4096, 3),
    ("large", 2, 8192, 3),
    ("xlarge", 4, 16384, 4),
    ("2xlarge", 8, 32768, 4),
];

/// The burstable families and their architectures.
const BURSTABLE_FAMILIES: &[(&str, Architecture)] =
    &[("t3", X86_64), ("t3a", X86_64), ("t4g", Arm64)];

/// The vCPUs and network interfaces of a regular size.
fn regular_size(size: &str) -> Option<(u32, u32)> {
    let vcpus = match size {
        "medium" => 1,
        "large" => 2,
        "xlarge" => 4,
        _ => 4 * size.strip_suffix("xlarge")?.parse::<u32>().ok()?,
    };
    let interfaces = match vcpus {
        1 => 2,
        2 => 3,
        4 | 8 => 4,
        16..=48 => 8,
        _ => 15,
    };
    Some((vcpus, interfaces))
}

/// The instance type named `name` (`m7g.large`), if berth knows it.
pub fn lookup(name: &str) -> Option<InstanceType> {
    let (family_name, size) = name.split_once('.')?;
    if let Some((_, architecture)) = BURSTABLE_FAMILIES
        .iter()
        .find(|(burstable, _)| *burstable == family_name)
    {
        let (_, vcpus, memory, interfaces) = BURSTABLE
            .iter()
            .find(|(burstable_size, ..)| *burstable_size == size)?;
        let interfaces = if name == "t3a.small" { 2 } else { *interfaces };
        return Some(InstanceType {
            vcpus: *vcpus,
            memory: *memory,
            interfaces,
            architecture: *architecture,
        });
    }
    let family = FAMILIES.iter().find(|family| family.name == family_name)?;
    if !family.sizes.contains(&size) {
        return None;
    }
    let (vcpus, interfaces) = regular_size(size)?;
    Some(InstanceType {
        vcpus,
        memory: vcpus * family.gib_per_vcpu * 1024,
        interfaces,
        architecture: family.architecture,
    })
}

/// The instance type berth uses for target `ecs` when the `ecs` block names none.
pub const DEFAULT: &str = "t3.medium";

/// The smallest general-purpose `m7i` size that holds a task of `cpu` units and `memory` MiB, if
/// any does: what berth suggests when a task outgrows the instance type.
pub fn smallest_holding(cpu: u32, memory: u32) -> Option<&'static str> {
    [
        "m7i.large",
        "m7i.xlarge",
        "m7i.2xlarge",
        "m7i.4xlarge",
        "m7i.8xlarge",
        "m7i.12xlarge",
        "m7i.16xlarge",
        "m7i.24xlarge",
        "m7i.48xlarge",
    ]
    .into_iter()
    .find(|name| {
        lookup(name)
            .is_some_and(|instance| instance.cpu_units() >= cpu && instance.task_memory() >= memory)
    })
}

/// Every instance type name berth knows, for suggestions.
pub fn names() -> impl Iterator<Item = String> {
    let burstable = BURSTABLE_FAMILIES.iter().flat_map(|(family, _)| {
        BURSTABLE
            .iter()
            .map(move |(size, ..)| format!("{family}.{size}"))
    });
    let regular = FAMILIES.iter().flat_map(|family| {
        family
            .sizes
            .iter()
            .map(move |size| format!("{}.{size}", family.name))
    });
    burstable.chain(regular)
}

/// The families berth knows, comma-separated, for help lines.
pub fn family_list() -> String {
    BURSTABLE_FAMILIES
        .iter()
        .map(|(family, _)| *family)
        .chain(FAMILIES.iter().map(|family| family.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_ec2_specifications() {
        let t3_large = lookup("t3.large").expect("known");
        assert_eq!(
            (t3_large.vcpus, t3_large.memory, t3_large.interfaces),
            (2, 8192, 3)
        );
        assert_eq!(t3_large.awsvpc_tasks(), 2, "the issue's example: two tasks");
        assert_eq!(lookup("t3a.small").map(|kind| kind.interfaces), Some(2));
        let graviton = lookup("m7g.medium").expect("known");
        assert_eq!(graviton.architecture, Architecture::Arm64);
        assert_eq!(
            (graviton.vcpus, graviton.memory, graviton.interfaces),
            (1, 4096, 2)
        );
        assert_eq!(
            lookup("c5.9xlarge").map(|kind| (kind.vcpus, kind.memory, kind.interfaces)),
            Some((36, 73_728, 8))
        );
        assert_eq!(lookup("r6i.16xlarge").map(|kind| kind.interfaces), Some(15));
        assert_eq!(
            lookup("t4g.micro").map(|kind| kind.architecture),
            Some(Architecture::Arm64)
        );
        assert!(lookup("m5.medium").is_none(), "m5 has no medium");
        assert!(lookup("m7i.32xlarge").is_none());
        assert!(lookup("x1e.xlarge").is_none());
        assert!(lookup("t3").is_none());
        assert!(names().all(|name| lookup(&name).is_some()));
    }

    #[test]
    fn tasks_get_what_the_instance_leaves_them() {
        let medium = lookup("t3.medium").expect("known");
        assert_eq!(medium.cpu_units(), 2048);
        assert_eq!(medium.task_memory(), 3891);
    }
}
