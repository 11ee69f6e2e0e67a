//! The Fargate (Linux) task-size table: which CPU and memory combinations AWS accepts.
//!
//! 8192 and 16384 CPU units need Linux platform version 1.4.0 or later.

/// Every task CPU value Fargate accepts, in ECS units (1024 = 1 vCPU), ascending.
pub const CPU_VALUES: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// The memory options for one CPU value, in MiB.
enum MemoryOptions {
    /// An explicit list.
    List(&'static [u32]),
    /// `min..=max` in steps of `step`.
    Steps { min: u32, max: u32, step: u32 },
}

/// Memory options for each entry of [`CPU_VALUES`], in the same order.
const MEMORY: [MemoryOptions; 7] = [
    MemoryOptions::List(&[512, 1024, 2048]),
    MemoryOptions::Steps {
        min: 1024,
        max: 4096,
        step: 1024,
    },
    MemoryOptions::Steps {
        min: 2048,
        max: 8192,
        step: 1024,
    },
    MemoryOptions::Steps {
        min: 4096,
        max: 16384,
        step: 1024,
    },
    MemoryOptions::Steps {
        min: 8192,
        max: 30720,
        step: 1024,
    },
    MemoryOptions::Steps {
        min: 16384,
        max: 61440,
        step: 4096,
    },
    MemoryOptions::Steps {
        min: 32768,
        max: 122_880,
        step: 8192,
    },
];

impl MemoryOptions {
    fn contains(&self, memory_mib: u32) -> bool {
        match *self {
            MemoryOptions::List(values) => values.contains(&memory_mib),
            MemoryOptions::Steps { min, max, step } => {
                (min..=max).contains(&memory_mib) && (memory_mib - min).is_multiple_of(step)
            }
        }
    }

    /// The smallest option that is at least `memory_mib`.
    fn at_least(&self, memory_mib: u32) -> Option<u32> {
        match *self {
            MemoryOptions::List(values) => values.iter().copied().find(|&v| v >= memory_mib),
            MemoryOptions::Steps { min, max, step } => {
                if memory_mib <= min {
                    return Some(min);
                }
                let steps = (memory_mib - min).div_ceil(step);
                let value = steps.checked_mul(step)?.checked_add(min)?;
                (value <= max).then_some(value)
            }
        }
    }

    fn values(&self) -> Vec<u32> {
        match *self {
            MemoryOptions::List(values) => values.to_vec(),
            MemoryOptions::Steps { min, max, step } => (min..=max)
                .step_by(usize::try_from(step).unwrap_or(usize::MAX))
                .collect(),
        }
    }
}

fn options_for(cpu_units: u32) -> Option<&'static MemoryOptions> {
    let index = CPU_VALUES.iter().position(|&cpu| cpu == cpu_units)?;
    MEMORY.get(index)
}

/// Whether Fargate accepts this exact task CPU (units) and memory (MiB) combination.
#[must_use]
pub fn is_valid_pair(cpu_units: u32, memory_mib: u32) -> bool {
    options_for(cpu_units).is_some_and(|options| options.contains(memory_mib))
}

/// The smallest valid pair with cpu >= `cpu_units` and memory >= `memory_mib` (cost order: by cpu, then memory); `None` if nothing fits.
#[must_use]
pub fn nearest_pair(cpu_units: u32, memory_mib: u32) -> Option<(u32, u32)> {
    CPU_VALUES
        .iter()
        .zip(&MEMORY)
        .filter(|(cpu, _)| **cpu >= cpu_units)
        .find_map(|(&cpu, options)| options.at_least(memory_mib).map(|memory| (cpu, memory)))
}

/// Every memory size (MiB, ascending) Fargate accepts with this CPU; `None` if the CPU is not a Fargate value.
#[must_use]
pub fn valid_memory_for(cpu_units: u32) -> Option<Vec<u32>> {
    options_for(cpu_units).map(MemoryOptions::values)
}

/// Describes the memory choices for a CPU value, e.g. `"512, 1024 or 2048 MiB"`; `None` if the CPU is not a Fargate value.
#[must_use]
pub fn describe_memory_options(cpu_units: u32) -> Option<String> {
    Some(match *options_for(cpu_units)? {
        MemoryOptions::List(values) => format!("{} MiB", or_list(values)),
        MemoryOptions::Steps { min, max, step } => {
            format!("{min}–{max} MiB in steps of {step}")
        }
    })
}

/// Describes the Fargate CPU choices: `"256, 512, 1024, 2048, 4096, 8192 or 16384 units"`.
#[must_use]
pub fn describe_cpu_options() -> String {
    format!("{} units", or_list(&CPU_VALUES))
}

/// `[1, 2, 3]` -> `"1, 2 or 3"`.
fn or_list(values: &[u32]) -> String {
    let text: Vec<String> = values.iter().map(ToString::to_string).collect();
    match text.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => text.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_boundaries() {
        let cases: [(u32, u32, u32, u32); 7] = [
            (256, 512, 2048, 0),
            (512, 1024, 4096, 1024),
            (1024, 2048, 8192, 1024),
            (2048, 4096, 16384, 1024),
            (4096, 8192, 30720, 1024),
            (8192, 16384, 61440, 4096),
            (16384, 32768, 122_880, 8192),
        ];
        for (cpu, min, max, step) in cases {
            assert!(is_valid_pair(cpu, min), "{cpu}/{min}");
            assert!(is_valid_pair(cpu, max), "{cpu}/{max}");
            assert!(!is_valid_pair(cpu, min - 1), "{cpu}/{}", min - 1);
            assert!(!is_valid_pair(cpu, max + 1), "{cpu}/{}", max + 1);
            assert!(!is_valid_pair(cpu, 0));
            assert!(!is_valid_pair(cpu, u32::MAX));
            if step > 0 {
                assert!(!is_valid_pair(cpu, min - step), "{cpu}");
                assert!(!is_valid_pair(cpu, max + step), "{cpu}");
                assert!(is_valid_pair(cpu, min + step), "{cpu}");
                assert!(!is_valid_pair(cpu, min + step / 2), "{cpu}");
                let values = valid_memory_for(cpu).unwrap_or_default();
                assert_eq!(values.first(), Some(&min));
                assert_eq!(values.last(), Some(&max));
                assert_eq!(values.len(), ((max - min) / step + 1) as usize);
                assert!(values.windows(2).all(|w| w[1] - w[0] == step));
                assert!(values.iter().all(|&m| is_valid_pair(cpu, m)));
            }
        }
        assert!(is_valid_pair(256, 1024));
        assert!(!is_valid_pair(256, 1536));
        assert!(!is_valid_pair(256, 3072));
        assert!(!is_valid_pair(8192, 18432));
        assert!(is_valid_pair(8192, 20480));
        assert!(!is_valid_pair(16384, 36864));
        assert!(is_valid_pair(16384, 40960));
    }

    #[test]
    fn invalid_cpu_values() {
        for cpu in [0, 128, 255, 257, 768, 1536, 3072, 32768, u32::MAX] {
            assert!(!is_valid_pair(cpu, 2048), "{cpu}");
            assert_eq!(valid_memory_for(cpu), None);
            assert_eq!(describe_memory_options(cpu), None);
        }
    }

    #[test]
    fn memory_lists() {
        assert_eq!(valid_memory_for(256), Some(vec![512, 1024, 2048]));
        assert_eq!(valid_memory_for(512), Some(vec![1024, 2048, 3072, 4096]));
        assert_eq!(valid_memory_for(4096).map(|v| v.len()), Some(23));
        assert_eq!(valid_memory_for(8192).map(|v| v.len()), Some(12));
        assert_eq!(valid_memory_for(16384).map(|v| v.len()), Some(12));
    }

    #[test]
    fn nearest() {
        assert_eq!(nearest_pair(0, 0), Some((256, 512)));
        assert_eq!(nearest_pair(256, 512), Some((256, 512)));
        assert_eq!(nearest_pair(256, 513), Some((256, 1024)));
        assert_eq!(nearest_pair(256, 2048), Some((256, 2048)));
        assert_eq!(nearest_pair(256, 2049), Some((512, 3072)));
        assert_eq!(nearest_pair(257, 0), Some((512, 1024)));
        assert_eq!(nearest_pair(300, 1500), Some((512, 2048)));
        assert_eq!(nearest_pair(512, 4097), Some((1024, 5120)));
        assert_eq!(nearest_pair(1024, 1), Some((1024, 2048)));
        assert_eq!(nearest_pair(1024, 8193), Some((2048, 9216)));
        assert_eq!(nearest_pair(2048, 16385), Some((4096, 17408)));
        assert_eq!(nearest_pair(4096, 30721), Some((8192, 32768)));
        assert_eq!(nearest_pair(8192, 16385), Some((8192, 20480)));
        assert_eq!(nearest_pair(8192, 61441), Some((16384, 65536)));
        assert_eq!(nearest_pair(16384, 122_880), Some((16384, 122_880)));
        assert_eq!(nearest_pair(16384, 122_881), None);
        assert_eq!(nearest_pair(16385, 0), None);
        assert_eq!(nearest_pair(u32::MAX, u32::MAX), None);
        assert_eq!(nearest_pair(0, u32::MAX), None);
        for cpu in (0..17_000).step_by(97) {
            for memory in (0..130_000).step_by(1009) {
                if let Some((c, m)) = nearest_pair(cpu, memory) {
                    assert!(
                        is_valid_pair(c, m) && c >= cpu && m >= memory,
                        "{cpu}/{memory}"
                    );
                }
            }
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            describe_memory_options(256).as_deref(),
            Some("512, 1024 or 2048 MiB")
        );
        assert_eq!(
            describe_memory_options(512).as_deref(),
            Some("1024–4096 MiB in steps of 1024")
        );
        assert_eq!(
            describe_memory_options(16384).as_deref(),
            Some("32768–122880 MiB in steps of 8192")
        );
        assert_eq!(
            describe_cpu_options(),
            "256, 512, 1024, 2048, 4096, 8192 or 16384 units"
        );
        assert_eq!(or_list(&[1]), "1");
        assert_eq!(or_list(&[]), "");
    }
}
