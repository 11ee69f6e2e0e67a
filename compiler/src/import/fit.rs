//! Bringing imported values into the ranges berth accepts, with a note for every change:
//! health check timings (whole seconds, ECS's ranges, a timeout shorter than the interval) and
//! task sizes (CPU and memory bounds, Fargate's pairs).

use super::draft::DraftHealth;
use crate::fargate;
use crate::model::Target;
use crate::units::format_duration;

const SECOND: u64 = 1000;

/// `health` with every timing in range; a note for each value changed.
pub fn health(mut health: DraftHealth, notes: &mut Vec<String>) -> DraftHealth {
    health.interval = seconds_in(health.interval, "interval", (5, 300), notes);
    health.timeout = seconds_in(health.timeout, "timeout", (2, 60), notes);
    if health.timeout >= health.interval {
        let shorter = (health.interval - SECOND).max(2 * SECOND);
        notes.push(format!(
            "health check timeout {} shortened to {}: berth needs it shorter than the interval ({})",
            format_duration(health.timeout),
            format_duration(shorter),
            format_duration(health.interval)
        ));
        health.timeout = shorter;
    }
    if !(1..=10).contains(&health.retries) {
        let retries = health.retries.clamp(1, 10);
        notes.push(format!(
            "health check retries {} changed to {retries}: ECS accepts 1 to 10",
            health.retries
        ));
        health.retries = retries;
    }
    health.grace = health
        .grace
        .map(|grace| seconds_in(grace, "grace (start period)", (0, 300), notes))
        .filter(|grace| *grace > 0);
    health
}

/// `value` (milliseconds) rounded up to whole seconds and clamped to `range` seconds.
fn seconds_in(value: u64, what: &str, range: (u64, u64), notes: &mut Vec<String>) -> u64 {
    let whole = value.div_ceil(SECOND) * SECOND;
    let fitted = whole.clamp(range.0 * SECOND, range.1 * SECOND);
    if fitted != value {
        notes.push(format!(
            "health check {what} {} changed to {}: ECS accepts {}s to {}s in whole seconds",
            format_duration(value),
            format_duration(fitted),
            range.0,
            range.1
        ));
    }
    fitted
}

/// The smallest and largest CPU units and memory (MiB) berth accepts.
const CPU_UNITS: (u32, u32) = (128, 196_608);
const MEMORY_MIB: (u32, u32) = (6, 1_048_576);

/// CPU units and memory fitted to berth's bounds and, on Fargate, to a Fargate size.
pub fn size(cpu: u32, memory: u32, target: Target, notes: &mut Vec<String>) -> (u32, u32) {
    let (mut fitted_cpu, mut fitted_memory) = (
        cpu.clamp(CPU_UNITS.0, CPU_UNITS.1),
        memory.clamp(MEMORY_MIB.0, MEMORY_MIB.1),
    );
    if target == Target::Fargate && !fargate::is_valid_pair(fitted_cpu, fitted_memory) {
        match fargate::nearest_pair(fitted_cpu, fitted_memory) {
            Some((pair_cpu, pair_memory)) => {
                fitted_cpu = pair_cpu;
                fitted_memory = pair_memory;
            }
            None => notes.push(format!(
                "cpu {cpu} with memory {memory} MiB is larger than any Fargate task; use target `ecs` or `eks`"
            )),
        }
    }
    if (fitted_cpu, fitted_memory) != (cpu, memory) {
        let reason = if target == Target::Fargate {
            "the nearest Fargate task size that holds it"
        } else {
            "the range berth accepts"
        };
        notes.push(format!(
            "cpu {cpu} and memory {memory} MiB became cpu {fitted_cpu} and memory {fitted_memory} MiB: {reason}"
        ));
    }
    (fitted_cpu, fitted_memory)
}
