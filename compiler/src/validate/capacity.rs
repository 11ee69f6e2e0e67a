//! The EC2 capacity of target `ecs` against what runs on it: the instance type must be one berth
//! knows ([`crate::instance_types`]), every task must fit one instance, and the capacity at its
//! `max` should hold every service and worker at its `max` (warned, not refused).

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::instance_types::{self, InstanceType};
use crate::model::{Replicas, Target, Workload, WorkloadKind, Workspace};
use crate::source::Span;
use crate::suggest::did_you_mean;

/// Checks the `ecs` capacity when the target is `ecs`.
pub fn check_capacity(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    if workspace.target.value != Target::Ecs {
        return;
    }
    let written = &workspace.ecs.instance_type;
    let Some(instance) = instance_types::lookup(&written.value) else {
        let names: Vec<String> = instance_types::names().collect();
        let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
        let help = did_you_mean(&written.value, &candidates).map_or_else(
            || {
                format!(
                    "berth knows the sizes of the families {}; pick one of them",
                    instance_types::family_list()
                )
            },
            |close| format!("did you mean `{close}`?"),
        );
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "berth does not know the instance type `{}`, so it cannot check that the tasks fit",
                    written.value
                ),
                written.span,
                "unknown instance type",
            )
            .with_help(help),
        );
        return;
    };
    let mut fits = true;
    for workload in workspace
        .workloads
        .iter()
        .filter(|workload| workload.cpu_known && workload.memory_known)
    {
        fits &= check_task_fits(workspace, workload, instance, diagnostics);
    }
    if fits {
        check_room_at_max(workspace, instance, diagnostics);
    }
}

/// Reports a task larger than one instance; returns whether it fits.
fn check_task_fits(
    workspace: &Workspace,
    workload: &Workload,
    instance: InstanceType,
    diagnostics: &mut Diagnostics,
) -> bool {
    let kind = &workspace.ecs.instance_type.value;
    let (cpu, memory) = (workload.cpu.value, workload.memory.value);
    let cpu_over = cpu > instance.cpu_units();
    let memory_over = memory > instance.task_memory();
    if !cpu_over && !memory_over {
        return true;
    }
    let (span, what) = if cpu_over {
        (
            workload.cpu.span,
            format!(
                "cpu {cpu}, more than the {} units of a `{kind}` ({} vCPU)",
                instance.cpu_units(),
                instance.vcpus
            ),
        )
    } else {
        (
            workload.memory.span,
            format!(
                "memory {memory} MiB, more than the {} MiB a `{kind}` leaves to tasks (95% of its {} MiB)",
                instance.task_memory(),
                instance.memory
            ),
        )
    };
    let mut diagnostic = Diagnostic::new(
        Code::TaskTooLarge,
        format!(
            "a task of `{}` asks for {what}, so ECS can never place it",
            workload.name.value
        ),
        span_or(span, workload.name.span),
        if cpu_over { "cpu" } else { "memory" },
    );
    if workspace.ecs.instance_type.span != Span::default() {
        diagnostic = diagnostic.with_label(workspace.ecs.instance_type.span, "the instance type");
    }
    diagnostics.push(diagnostic.with_help(format!(
        "make the task smaller, or choose a larger `instance-type` in the `ecs` block (the default is `t3.medium`); {}",
        larger_hint(cpu, memory)
    )));
    false
}

/// How many tasks, CPU units and MiB the workloads need at their `max`.
struct Demand {
    tasks: u64,
    cpu: u64,
    memory: u64,
    largest_cpu: u64,
    largest_memory: u64,
}

/// Every service and worker at its `max` replicas and one run of each job (runs never overlap).
fn demand(workspace: &Workspace) -> Demand {
    let mut demand = Demand {
        tasks: 0,
        cpu: 0,
        memory: 0,
        largest_cpu: 0,
        largest_memory: 0,
    };
    for workload in &workspace.workloads {
        let count = u64::from(match (&workload.replicas, workload.kind) {
            (_, WorkloadKind::Job) => 1,
            (Replicas::Fixed(count), _) => *count,
            (Replicas::Auto { max, .. }, _) => max.value,
        });
        let (cpu, memory) = (
            u64::from(workload.cpu.value),
            u64::from(workload.memory.value),
        );
        demand.tasks += count;
        demand.cpu += count * cpu;
        demand.memory += count * memory;
        demand.largest_cpu = demand.largest_cpu.max(cpu);
        demand.largest_memory = demand.largest_memory.max(memory);
    }
    demand
}

/// Warns when `max` instances cannot hold every workload at its `max` plus one more task, which
/// a rolling deploy starts before it stops an old one. The three limits (network interfaces, CPU,
/// memory) are each necessary, so a warning means the tasks certainly do not fit.
fn check_room_at_max(workspace: &Workspace, instance: InstanceType, diagnostics: &mut Diagnostics) {
    let capacity = &workspace.ecs;
    let demand = demand(workspace);
    if demand.tasks == 0 {
        return;
    }
    let needed = |total: u64, per_instance: u32| total.div_ceil(u64::from(per_instance.max(1)));
    let by_tasks = needed(demand.tasks + 1, instance.awsvpc_tasks());
    let by_cpu = needed(demand.cpu + demand.largest_cpu, instance.cpu_units());
    let by_memory = needed(
        demand.memory + demand.largest_memory,
        instance.task_memory(),
    );
    let instances = by_tasks.max(by_cpu).max(by_memory);
    if instances <= u64::from(capacity.max) {
        return;
    }
    let kind = &capacity.instance_type.value;
    let max = capacity.max;
    let limit = if by_tasks == instances {
        format!(
            "{} tasks (a `{kind}` has {} network interfaces and each `awsvpc` task takes one besides the instance's own, so {} tasks each)",
            u64::from(max) * u64::from(instance.awsvpc_tasks()),
            instance.interfaces,
            instance.awsvpc_tasks()
        )
    } else if by_cpu == instances {
        format!(
            "{} CPU units ({} each)",
            u64::from(max) * u64::from(instance.cpu_units()),
            instance.cpu_units()
        )
    } else {
        format!(
            "{} MiB for tasks ({} each)",
            u64::from(max) * u64::from(instance.task_memory()),
            instance.task_memory()
        )
    };
    let span = [capacity.span, Some(capacity.instance_type.span)]
        .into_iter()
        .flatten()
        .find(|span| *span != Span::default())
        .unwrap_or_else(|| span_or(workspace.target.span, workspace.name.span));
    diagnostics.push(
        Diagnostic::new(
            Code::InsufficientCapacity,
            format!(
                "at `max` {max} instances of `{kind}` the capacity holds at most {limit}, but the services and workers at their `max` and one run of each job need {} tasks, {} CPU units and {} MiB, plus one more task for a rolling deploy",
                demand.tasks, demand.cpu, demand.memory
            ),
            span,
            "too small at max",
        )
        .with_help(format!(
            "raise `max` in the `ecs` block to {instances}, choose an instance type with more network interfaces, CPU or memory, or lower the workloads' `replicas max`; ENI trunking (an account setting berth does not count on) raises the task limit on some instance types"
        )),
    );
}

/// `span`, or `fallback` when `span` is empty (a default nobody wrote).
fn span_or(span: Span, fallback: Span) -> Span {
    if span == Span::default() {
        fallback
    } else {
        span
    }
}

/// Names an instance type that holds a task of `cpu` units and `memory` MiB, if any does.
fn larger_hint(cpu: u32, memory: u32) -> String {
    instance_types::smallest_holding(cpu, memory).map_or_else(
        || "no instance type berth knows holds it".to_owned(),
        |name| format!("`{name}` holds it"),
    )
}

#[cfg(test)]
mod tests {
    use crate::{Code, Options, check};

    fn codes(source: &str) -> Vec<(Code, String)> {
        check(source, &Options::default())
            .diagnostics
            .into_iter()
            .map(|diagnostic| (diagnostic.code, diagnostic.message))
            .collect()
    }

    #[test]
    fn a_task_larger_than_the_instance_type_is_refused() {
        let found = codes(
            r#"workspace "shop" { target "ecs"; region "eu-west-1"; ecs { instance-type "t3.medium"; } }
               service "web" { image "nginx:1"; cpu 2048; memory 4096; }"#,
        );
        assert!(
            found
                .iter()
                .any(|(code, message)| *code == Code::TaskTooLarge
                    && message.contains("3891 MiB a `t3.medium` leaves to tasks")),
            "{found:#?}"
        );
    }

    #[test]
    fn capacity_that_cannot_hold_every_service_at_max_is_warned() {
        let source = |max: u32| {
            format!(
                r#"workspace "shop" {{ target "ecs"; region "eu-west-1"; ecs {{ instance-type "t3.large"; min 1; max {max}; }} }}
                   service "web" {{ image "nginx:1"; replicas min=2 max=8; }}
                   service "api" {{ image "nginx:1"; replicas 2; }}
                   worker "thumbs" {{ image "nginx:1"; replicas min=1 max=4; }}"#
            )
        };
        let tight = codes(&source(6));
        let warning = tight
            .iter()
            .find(|(code, _)| *code == Code::InsufficientCapacity)
            .unwrap_or_else(|| panic!("{tight:#?}"));
        assert!(
            warning
                .1
                .contains("holds at most 12 tasks (a `t3.large` has 3 network interfaces"),
            "{warning:#?}"
        );
        assert!(
            codes(&source(8))
                .iter()
                .all(|(code, _)| *code != Code::InsufficientCapacity),
            "8 instances hold 16 tasks: 14 and one to deploy"
        );
    }

    #[test]
    fn an_unknown_instance_type_gets_a_suggestion() {
        let found = check(
            r#"workspace "shop" { target "ecs"; region "eu-west-1"; ecs { instance-type "t3.larg"; } }
               service "web" { image "nginx:1"; }"#,
            &Options::default(),
        );
        let diagnostic = found
            .diagnostics
            .iter()
            .find(|diagnostic| diagnostic.code == Code::InvalidValue)
            .expect("reported");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `t3.large`?"));
        let fargate = codes(
            r#"workspace "shop" { target "fargate"; region "eu-west-1"; ecs { instance-type "x9.huge"; } }
               service "web" { image "nginx:1"; }"#,
        );
        assert!(
            fargate.is_empty(),
            "the ecs block is unused on fargate: {fargate:#?}"
        );
    }
}
