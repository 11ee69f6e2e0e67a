//! One Compose service to a workload: image (or the ECR repository a `build` pushes to),
//! command, entrypoint and ports here; variables and secrets in `variables`; health, size,
//! dependencies and volumes in `running`. Every other key becomes a note.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::super::draft::{DraftHealth, DraftImage, DraftPort, DraftWorkload};
use super::super::fields::{Fields, brief, scalar_text};
use super::super::names::label;
use super::super::{ComposeFiles, fit};
use super::values::{self, Interpolation, Template};
use super::{running, variables};
use crate::model::{Probe, Protocol, Target, WorkloadKind};

/// Ports that carry a database, cache, queue or mail protocol rather than HTTP.
const NOT_HTTP: &[u16] = &[
    21, 22, 25, 53, 110, 143, 389, 465, 587, 636, 993, 995, 1433, 1521, 2181, 3306, 4222, 5432,
    5672, 6379, 6380, 7000, 7001, 9042, 9092, 9093, 11211, 26257, 27017, 27018,
];

/// What the service needs from the rest of the file.
pub struct ServiceContext<'a> {
    /// The service's key in the Compose file.
    pub original: &'a str,
    /// Its berth name.
    pub name: &'a str,
    /// The berth name of every imported service, by Compose key.
    pub names: &'a BTreeMap<&'a str, String>,
    /// The top-level `secrets:`.
    pub secrets: Option<&'a Map<String, Value>>,
    /// `env_file` contents.
    pub files: &'a ComposeFiles,
    /// `${VAR}` interpolation.
    pub interpolation: &'a Interpolation,
    /// The workspace name, for parameter paths in notes.
    pub workspace: &'a str,
    /// The target being written.
    pub target: Target,
}

/// A port published on the Docker host.
pub struct Published {
    /// The container port.
    pub container: u16,
    /// The host port (or range) as written.
    pub host: String,
    /// Whether it may be HTTP (a candidate for the load balancer).
    pub http_like: bool,
}

/// A service converted.
pub struct Converted {
    /// The workload.
    pub workload: DraftWorkload,
    /// Its published ports.
    pub published: Vec<Published>,
    /// The variables its strings use, with their values.
    pub variables: Vec<(String, Option<String>)>,
}

/// Converts one service.
pub fn service(definition: &Value, context: &ServiceContext<'_>) -> Converted {
    let mut fields = Fields::of(definition);
    let mut notes = Vec::new();
    let mut variables = Vec::new();
    if context.name != context.original {
        notes.push(format!(
            "named `{}` in the Compose file; other services now reach it as `{}`",
            context.original, context.name
        ));
    }
    let mut use_template = |template: Template, notes: &mut Vec<String>| -> String {
        notes.extend(template.notes);
        for variable in template.variables {
            if !variables
                .iter()
                .any(|(known, _): &(String, _)| *known == variable.0)
            {
                variables.push(variable);
            }
        }
        template.text
    };
    let image = image(&mut fields, context, &mut notes, &mut use_template);
    let mut workload = DraftWorkload::new(WorkloadKind::Worker, context.name.to_owned(), image);
    for (key, target) in [("entrypoint", 0), ("command", 1)] {
        let Some(value) = fields.take(key) else {
            continue;
        };
        let words = match value {
            Value::String(text) => values::shell_words(text).unwrap_or_else(|| {
                notes.push(format!(
                    "`{key}` has an unterminated quote; it is kept as one word"
                ));
                vec![text.clone()]
            }),
            Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
            _ => Vec::new(),
        };
        let words: Vec<String> = words
            .iter()
            .map(|word| use_template(context.interpolation.template(word), &mut notes))
            .collect();
        if words.is_empty() {
            notes.push(format!("an empty `{key}` (clearing the image's) cannot be written: berth uses the image's {key} when none is given"));
        }
        if target == 0 {
            workload.container.entrypoint = words;
        } else {
            workload.container.command = words;
        }
    }
    let published = ports(
        &mut fields,
        context,
        &mut workload.container.ports,
        &mut notes,
    );
    if !workload.container.ports.is_empty() {
        workload.kind = WorkloadKind::Service;
    }
    variables::environment(
        &mut fields,
        context,
        &mut workload,
        &mut notes,
        &mut use_template,
    );
    variables::secrets(&mut fields, context, &mut workload, &mut notes);
    if let Some(check) = fields.take("healthcheck") {
        workload.health =
            running::health(check, context.interpolation, &mut notes, &mut use_template)
                .map(|health| fit::health(health, &mut notes));
        if let Some(DraftHealth {
            probe: Probe::Command(words),
            ..
        }) = &workload.health
            && words.is_empty()
        {
            workload.health = None;
        }
    }
    running::deploy(&mut fields, context, &mut workload, &mut notes);
    running::dependencies(&mut fields, context, &mut workload, &mut notes);
    running::volumes(&mut fields, context, &mut workload, &mut notes);
    runs_as(&mut fields, &mut notes);
    leftovers(&mut fields, context, &mut notes);
    workload.notes = notes;
    Converted {
        workload,
        published,
        variables,
    }
}

/// Records what a template uses and returns its text.
pub type UseTemplate<'a> = dyn FnMut(Template, &mut Vec<String>) -> String + 'a;

fn image(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    notes: &mut Vec<String>,
    use_template: &mut UseTemplate<'_>,
) -> DraftImage {
    let build = fields.take("build");
    let built_from = build.map(|build| match build {
        Value::String(path) => path.clone(),
        other => other
            .get("context")
            .and_then(scalar_text)
            .unwrap_or_else(|| ".".to_owned()),
    });
    match (fields.text("image"), built_from) {
        (Some(image), None) => {
            DraftImage::Reference(use_template(context.interpolation.template(&image), notes))
        }
        (Some(image), Some(directory)) => {
            notes.push(format!(
                "Compose built this image from `{directory}`; berth builds nothing: build and push it as the `image` below, to a registry the cluster can pull from"
            ));
            DraftImage::Reference(use_template(context.interpolation.template(&image), notes))
        }
        (None, Some(directory)) => {
            let repository = label(context.original, "app");
            notes.push(format!(
                "Compose built this image from `{directory}`; berth builds nothing, so it runs from the workspace's ECR repository `{repository}`: build, tag and push it there (the tag is the `tag` variable) before deploying"
            ));
            use_template(
                Template {
                    text: String::new(),
                    variables: vec![("tag".to_owned(), Some("latest".to_owned()))],
                    notes: Vec::new(),
                },
                notes,
            );
            DraftImage::Repository {
                repository,
                tag: "{{tag}}".to_owned(),
            }
        }
        (None, None) => {
            notes.push(
                "the service names no `image` and no `build`: set `image` before deploying"
                    .to_owned(),
            );
            DraftImage::Reference(format!("{}:latest", label(context.original, "app")))
        }
    }
}

/// `ports` and `expose`; returns the published ones.
fn ports(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    declared: &mut Vec<DraftPort>,
    notes: &mut Vec<String>,
) -> Vec<Published> {
    let mut published = Vec::new();
    let add = |number: u16, declared: &mut Vec<DraftPort>| {
        if !declared.iter().any(|port| port.number == number) {
            let protocol = if NOT_HTTP.contains(&number) {
                Protocol::Tcp
            } else {
                Protocol::Http
            };
            declared.push(DraftPort {
                number,
                protocol,
                route: None,
            });
        }
    };
    for entry in fields.array("ports") {
        let (container, host, protocol) = match entry {
            Value::Object(long) => {
                let target = long
                    .get("target")
                    .and_then(scalar_text)
                    .map(|text| context.interpolation.resolve(&text));
                let host = long
                    .get("published")
                    .and_then(scalar_text)
                    .map(|text| context.interpolation.resolve(&text))
                    .unwrap_or_default();
                let protocol = long
                    .get("protocol")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "tcp".to_owned());
                (target.unwrap_or_default(), host, protocol)
            }
            other => match scalar_text(other) {
                Some(text) => short_port(&context.interpolation.resolve(&text)),
                None => continue,
            },
        };
        if protocol.eq_ignore_ascii_case("udp") {
            notes.push(format!(
                "UDP port {container} is left out: berth serves TCP ports only"
            ));
            continue;
        }
        let Some(number) = single_port(&container) else {
            notes.push(format!(
                "port `{container}` is left out: berth declares single container ports"
            ));
            continue;
        };
        add(number, declared);
        published.push(Published {
            container: number,
            host: if host.is_empty() {
                "any free port".to_owned()
            } else {
                host
            },
            http_like: !NOT_HTTP.contains(&number),
        });
    }
    for entry in fields.array("expose") {
        let text = scalar_text(entry)
            .map(|text| context.interpolation.resolve(&text))
            .unwrap_or_default();
        let container = text.split('/').next().unwrap_or_default();
        match single_port(container) {
            Some(number) => add(number, declared),
            None => notes.push(format!(
                "exposed port `{text}` is left out: berth declares single container ports"
            )),
        }
    }
    published
}

/// `[HOST_IP:][HOST:]CONTAINER[/PROTOCOL]` as (container, host, protocol).
fn short_port(text: &str) -> (String, String, String) {
    let (address, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    // An IPv6 host address is written in brackets: `[::1]:8080:80`.
    let address = address
        .rsplit_once(']')
        .map_or(address, |(_, rest)| rest.trim_start_matches(':'));
    let parts: Vec<&str> = address.split(':').collect();
    let container = parts.last().copied().unwrap_or_default().to_owned();
    let host = if parts.len() >= 2 {
        parts[parts.len() - 2].to_owned()
    } else {
        String::new()
    };
    (container, host, protocol.to_owned())
}

fn single_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|number| *number > 0)
}

fn runs_as(fields: &mut Fields<'_>, notes: &mut Vec<String>) {
    let user = fields.text("user");
    let read_only = fields.boolean("read_only").unwrap_or(false);
    if user
        .as_deref()
        .is_some_and(|user| user == "1000" || user == "1000:1000")
        && read_only
    {
        return;
    }
    let who = user.map_or_else(
        || "the image's default user (often root)".to_owned(),
        |user| format!("user `{user}`"),
    );
    let root = if read_only {
        ""
    } else {
        " with a writable root file system"
    };
    notes.push(format!(
        "it ran as {who}{root}; berth runs containers as user 1000:1000 with a read-only root file system and a writable /tmp, so an image that needs root or writes elsewhere must be adapted"
    ));
}

fn leftovers(fields: &mut Fields<'_>, context: &ServiceContext<'_>, notes: &mut Vec<String>) {
    fields.skip(&["profiles", "init", "pull_policy", "platform"]);
    if let Some(restart) = fields.text("restart")
        && (restart == "no" || restart.starts_with("on-failure"))
    {
        notes.push(format!(
            "`restart: {restart}`: berth keeps a service or worker running and replaces it when it exits; a one-off task belongs in a `job` with a schedule"
        ));
    }
    if let Some(networks) = fields.take("networks") {
        let aliases = networks.as_object().is_some_and(|networks| {
            networks
                .values()
                .any(|network| network.get("aliases").is_some())
        });
        if aliases {
            notes.push(format!(
                "network aliases are left out: other workloads reach this one as `{}`",
                context.name
            ));
        }
    }
    if let Some(labels) = fields.take("labels") {
        let keys: Vec<String> = match labels {
            Value::Object(map) => map.keys().cloned().collect(),
            Value::Array(items) => items
                .iter()
                .filter_map(scalar_text)
                .map(|item| item.split('=').next().unwrap_or_default().to_owned())
                .collect(),
            _ => Vec::new(),
        };
        let mut keys = keys;
        keys.sort();
        if !keys.is_empty() {
            notes.push(format!(
                "labels {} are left out: berth tags resources with the workspace's `tags`",
                keys.iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for (key, value) in fields.unread() {
        if key.starts_with("x-") {
            continue;
        }
        let reason = match key {
            "container_name" | "hostname" | "domainname" => {
                "berth names containers after the workload"
            }
            "network_mode" | "links" | "external_links" | "extra_hosts" | "dns" | "dns_search"
            | "dns_opt" | "mac_address" => {
                "berth configures the network itself; workloads reach each other by name"
            }
            "working_dir" => "berth uses the image's working directory; set WORKDIR in the image",
            "privileged" => "berth never runs privileged containers",
            "cap_add" | "cap_drop" | "security_opt" | "devices" | "device_cgroup_rules" => {
                "berth runs containers with the platform's default, unprivileged settings"
            }
            "sysctls" | "ulimits" | "shm_size" | "pids_limit" | "oom_kill_disable"
            | "oom_score_adj" | "mem_swappiness" | "memswap_limit" | "cpu_shares" | "cpu_quota"
            | "cpu_period" | "cpuset" | "cpu_count" | "cpu_percent" | "blkio_config" => {
                "berth keeps the platform's default limits"
            }
            "stop_signal" | "stop_grace_period" => {
                "berth stops containers with SIGTERM and the platform's grace period"
            }
            "logging" => "berth sends container output to CloudWatch Logs",
            "configs" => "berth mounts no files into containers; bake them into the image",
            "tty" | "stdin_open" | "attach" => "containers on AWS have no terminal",
            "extends" => "extended services are not merged; copy the settings in",
            "pid" | "ipc" | "uts" | "userns_mode" | "cgroup" | "cgroup_parent" | "isolation"
            | "runtime" => "berth's tasks do not share host namespaces",
            "gpus" => "berth does not reserve GPUs",
            "volumes_from" => "berth does not share volumes between containers",
            "develop" | "post_start" | "pre_stop" | "annotations" | "storage_opt" | "group_add" => {
                "berth has no equivalent"
            }
            _ => "berth has no equivalent",
        };
        notes.push(format!("`{key}` ({}) is left out: {reason}", brief(value)));
    }
}
