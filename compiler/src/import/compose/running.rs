//! How a Compose service runs: its health check, size and replica count (`deploy`, and the
//! older `scale`, `cpus`, `mem_limit`), start order (`depends_on`) and storage (`volumes`,
//! `tmpfs`).

use serde_json::Value;

use super::super::draft::{DraftHealth, DraftImage, DraftReplicas, DraftWorkload};
use super::super::fields::{Fields, brief, scalar_text};
use super::super::fit;
use super::super::names::label;
use super::service::{ServiceContext, UseTemplate};
use super::values::{self, Interpolation};
use crate::model::{Probe, Target};

/// Images of databases that do not belong on a network file system.
const DATABASES: &[&str] = &[
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "clickhouse",
    "influxdb",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "memcached",
];

pub fn health(
    check: &Value,
    interpolation: &Interpolation,
    notes: &mut Vec<String>,
    use_template: &mut UseTemplate<'_>,
) -> Option<DraftHealth> {
    let mut fields = Fields::of(check);
    if fields.boolean("disable").unwrap_or(false) {
        notes.push(
            "the image's health check was disabled; berth runs none unless `health` is set"
                .to_owned(),
        );
        return None;
    }
    let words: Vec<String> = match fields.take("test") {
        Some(Value::String(text)) => vec!["CMD-SHELL".to_owned(), text.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        _ => {
            notes.push("the health check has no `test`; berth cannot run the image's own HEALTHCHECK, so none is carried over".to_owned());
            return None;
        }
    };
    let probe_words: Vec<String> = match words.split_first() {
        Some((first, rest)) if first == "NONE" => {
            let _ = rest;
            notes.push(
                "the image's health check was disabled; berth runs none unless `health` is set"
                    .to_owned(),
            );
            return None;
        }
        Some((first, rest)) if first == "CMD-SHELL" => {
            vec!["/bin/sh".to_owned(), "-c".to_owned(), rest.join(" ")]
        }
        Some((first, rest)) if first == "CMD" => rest.to_vec(),
        _ => words.clone(),
    };
    if probe_words.is_empty() {
        return None;
    }
    let probe = Probe::Command(
        probe_words
            .iter()
            .map(|word| use_template(interpolation.template(word), notes))
            .collect(),
    );
    let mut duration = |key: &str| {
        fields
            .text(key)
            .and_then(|text| values::duration(&interpolation.resolve(&text)))
    };
    let interval = duration("interval").unwrap_or(30_000);
    let timeout = duration("timeout").unwrap_or(5000);
    let grace = duration("start_period");
    if let Some(start) = duration("start_interval") {
        notes.push(format!(
            "the start interval ({}) is left out: berth checks at one interval throughout",
            crate::units::format_duration(start)
        ));
    }
    let retries = fields
        .integer("retries")
        .and_then(|retries| u32::try_from(retries).ok())
        .unwrap_or(3);
    Some(DraftHealth {
        probe,
        interval,
        timeout,
        retries,
        grace,
    })
}

/// `deploy` (replicas, resources, the rest noted) and the older `scale`, `cpus`, `mem_limit`.
pub fn deploy(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    workload: &mut DraftWorkload,
    notes: &mut Vec<String>,
) {
    let resolve =
        |value: &Value| scalar_text(value).map(|text| context.interpolation.resolve(&text));
    let mut replicas = fields
        .take("scale")
        .and_then(resolve)
        .and_then(|text| text.parse::<u32>().ok());
    let mut cpu = fields
        .take("cpus")
        .and_then(resolve)
        .and_then(|text| values::cpu_units(&text));
    let mut memory = fields
        .take("mem_limit")
        .and_then(resolve)
        .and_then(|text| values::mebibytes(&text));
    let reserved_memory = fields
        .take("mem_reservation")
        .and_then(resolve)
        .and_then(|text| values::mebibytes(&text));
    if let Some(deploy) = fields.take("deploy") {
        let mut deploy = Fields::of(deploy);
        if let Some(count) = deploy
            .take("replicas")
            .and_then(resolve)
            .and_then(|text| text.parse::<u32>().ok())
        {
            replicas = Some(count);
        }
        if let Some(resources) = deploy.take("resources") {
            let mut resources = Fields::of(resources);
            let read = |section: Option<&Value>| -> (Option<u32>, Option<u32>) {
                let Some(section) = section else {
                    return (None, None);
                };
                (
                    section
                        .get("cpus")
                        .and_then(resolve)
                        .and_then(|text| values::cpu_units(&text)),
                    section
                        .get("memory")
                        .and_then(resolve)
                        .and_then(|text| values::mebibytes(&text)),
                )
            };
            let (limit_cpu, limit_memory) = read(resources.take("limits"));
            let (reserved_cpu, reserved_memory) = read(resources.take("reservations"));
            cpu = limit_cpu.or(reserved_cpu).or(cpu);
            memory = limit_memory.or(reserved_memory).or(memory);
            if limit_cpu.is_some()
                && reserved_cpu.is_some_and(|reserved| Some(reserved) != limit_cpu)
                || limit_memory.is_some()
                    && reserved_memory.is_some_and(|reserved| Some(reserved) != limit_memory)
            {
                notes.push("the reservations differ from the limits; berth gives the task one size, the limits".to_owned());
            }
            for (key, value) in resources.unread() {
                notes.push(format!("`deploy.resources.{key}` ({}) is left out: berth sizes tasks by cpu and memory only", brief(value)));
            }
        }
        if deploy.text("mode").is_some_and(|mode| mode != "replicated") {
            notes.push("`deploy.mode: global` (one per node) has no berth equivalent; it runs as a replicated service".to_owned());
        }
        for (key, value) in deploy.unread() {
            let reason = match key {
                "restart_policy" => "berth replaces a task or pod that exits",
                "update_config" | "rollback_config" => {
                    "berth rolls out with a circuit breaker on ECS and a rolling update on EKS"
                }
                "placement" => "berth places tasks itself, spread over the workspace's zones",
                "labels" => "berth sets no labels per service",
                "endpoint_mode" => "berth's service discovery is DNS",
                _ => "berth has no equivalent",
            };
            notes.push(format!(
                "`deploy.{key}` ({}) is left out: {reason}",
                brief(value)
            ));
        }
    }
    if memory.is_none() {
        memory = reserved_memory;
    }
    match replicas {
        Some(0) => notes.push("it ran with 0 replicas (disabled); berth runs at least one, so remove the workload if it should not run".to_owned()),
        Some(count) if count != 1 => workload.replicas = Some(DraftReplicas::Fixed(count)),
        _ => {}
    }
    if cpu.is_some() || memory.is_some() || context.target == Target::Fargate {
        let (fitted_cpu, fitted_memory) = fit::size(
            cpu.unwrap_or(256),
            memory.unwrap_or(512),
            context.target,
            notes,
        );
        if cpu.is_some() || fitted_cpu != 256 {
            workload.cpu = Some(fitted_cpu);
        }
        if memory.is_some() || fitted_memory != 512 {
            workload.memory = Some(fitted_memory);
        }
    }
}

/// `depends_on` as a list or with conditions.
pub fn dependencies(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    workload: &mut DraftWorkload,
    notes: &mut Vec<String>,
) {
    let entries: Vec<(String, Option<&Value>)> = match fields.take("depends_on") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(scalar_text)
            .map(|name| (name, None))
            .collect(),
        Some(Value::Object(map)) => {
            // Sorted, so the order does not depend on how the JSON map keeps its keys.
            let mut entries: Vec<(String, Option<&Value>)> = map
                .iter()
                .map(|(name, condition)| (name.clone(), Some(condition)))
                .collect();
            entries.sort_by(|left, right| left.0.cmp(&right.0));
            entries
        }
        _ => Vec::new(),
    };
    for (dependency, details) in entries {
        let Some(berth_name) = context.names.get(dependency.as_str()) else {
            notes.push(format!("it depended on `{dependency}`, which is not imported (behind a profile, or not declared)"));
            continue;
        };
        if !workload.depends_on.contains(berth_name) {
            workload.depends_on.push(berth_name.clone());
        }
        let condition = details
            .and_then(|details| details.get("condition"))
            .and_then(scalar_text);
        match condition.as_deref() {
            Some("service_healthy") => notes.push(format!(
                "it waited for `{dependency}` to be healthy; berth starts it after `{berth_name}` without waiting for its health check, so the app should retry until `{berth_name}` answers"
            )),
            Some("service_completed_successfully") => notes.push(format!(
                "it waited for `{dependency}` to run to completion; berth has no one-off step before a service starts, so run that step another way (for example at the start of this container)"
            )),
            _ => {}
        }
        if details
            .and_then(|details| details.get("restart"))
            .and_then(Value::as_bool)
            == Some(true)
        {
            notes.push(format!("`restart: true` on `{dependency}` is left out: berth does not restart a workload when a dependency restarts"));
        }
    }
}

/// Named volumes become berth volumes (EFS); bind mounts, anonymous volumes and tmpfs are noted.
pub fn volumes(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    workload: &mut DraftWorkload,
    notes: &mut Vec<String>,
) {
    let image_name = match &workload.container.image {
        DraftImage::Reference(reference) => reference
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split([':', '@'])
            .next()
            .unwrap_or_default()
            .to_owned(),
        DraftImage::Repository { .. } => String::new(),
    };
    for entry in fields.array("volumes") {
        let (kind, source, target, read_only) = match entry {
            Value::Object(long) => (
                long.get("type")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "volume".to_owned()),
                long.get("source").and_then(scalar_text).unwrap_or_default(),
                long.get("target").and_then(scalar_text).unwrap_or_default(),
                long.get("read_only")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
            other => {
                let text = context
                    .interpolation
                    .resolve(&scalar_text(other).unwrap_or_default());
                let parts: Vec<&str> = text.split(':').collect();
                match parts[..] {
                    [target] => ("volume".to_owned(), String::new(), target.to_owned(), false),
                    [source, target] => (
                        short_kind(source),
                        source.to_owned(),
                        target.to_owned(),
                        false,
                    ),
                    [source, target, mode, ..] => (
                        short_kind(source),
                        source.to_owned(),
                        target.to_owned(),
                        mode.split(',').any(|flag| flag == "ro"),
                    ),
                    [] => continue,
                }
            }
        };
        match kind.as_str() {
            "volume" if !source.is_empty() => {
                let name = label(&source, "data");
                if !target.starts_with('/') || target == "/" {
                    notes.push(format!("volume `{source}` at `{target}` is left out: berth mounts volumes at an absolute path other than /"));
                    continue;
                }
                if workload.volumes.iter().any(|(_, path)| *path == target) {
                    continue;
                }
                notes.push(format!("volume `{source}` becomes the berth volume `{name}`, an EFS file system shared by every task that mounts it"));
                if DATABASES.iter().any(|database| image_name == *database) {
                    notes.push(format!("`{image_name}` keeps its data on that volume; databases run poorly on a network file system — consider a managed service (RDS, ElastiCache, Amazon MQ…) instead"));
                }
                if read_only {
                    notes.push(format!("volume `{name}` was mounted read-only; berth mounts volumes read-write"));
                }
                workload.volumes.push((name, target));
            }
            "volume" => notes.push(format!("the anonymous volume at {target} is left out: berth gives each container a writable /tmp; use a named `volume` for data that must persist")),
            "tmpfs" if target == "/tmp" => {}
            "tmpfs" => notes.push(format!("the tmpfs at {target} is left out: berth gives each container a writable scratch directory at /tmp")),
            _ => notes.push(format!("the bind mount of `{source}` at {target} is left out: containers on AWS cannot see a developer's files; bake them into the image or use a named volume")),
        }
    }
    if let Some(tmpfs) = fields.take("tmpfs") {
        let paths: Vec<String> = match tmpfs {
            Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
            other => scalar_text(other).into_iter().collect(),
        };
        for path in paths
            .iter()
            .map(|path| path.split(':').next().unwrap_or_default())
            .filter(|path| *path != "/tmp")
        {
            notes.push(format!("the tmpfs at {path} is left out: berth gives each container a writable scratch directory at /tmp"));
        }
    }
}

/// Whether a short-syntax volume source is a named volume or a host path.
fn short_kind(source: &str) -> String {
    if source.starts_with(['.', '/', '~']) || source.contains('/') {
        "bind".to_owned()
    } else {
        "volume".to_owned()
    }
}
