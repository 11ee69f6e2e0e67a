//! A Compose Specification file to a workspace: each service (with the selected profiles) to a
//! service or worker; `${VAR}` interpolation to berth variables; the top-level networks,
//! volumes, secrets and configs noted where berth does things differently.
//!
//! - `service`: one Compose service to a workload: image, command, ports, the rest noted.
//! - `variables`: `environment`, `env_file` and secrets.
//! - `running`: health check, size, replicas, dependencies and volumes.
//! - `values`: interpolation, durations, sizes, CPU counts, command strings, `.env` files.

mod running;
mod service;
mod values;
mod variables;

use std::collections::BTreeMap;

use serde_json::Value;

use super::draft::Draft;
use super::fields::{Fields, brief, scalar_text};
use super::names::{Scope, label};
use super::{ComposeFiles, ImportError, ImportOptions};
use crate::model::{Target, WorkloadKind};
use service::{Published, ServiceContext};
use values::Interpolation;
pub use variables::not_a_variable;

/// The region written when neither the options nor the environment name one.
const PLACEHOLDER_REGION: &str = "us-east-1";

/// Imports the Compose file `yaml`.
pub fn compose_draft(
    yaml: &str,
    origin: &str,
    files: &ComposeFiles,
    options: &ImportOptions,
) -> Result<Draft, ImportError> {
    let document: Value = serde_saphyr::from_str(yaml).map_err(|error| {
        let located = error.location();
        let mut problem = ImportError::new(
            format!(
                "not a valid YAML file: {}",
                first_line(&error.without_snippet().to_string())
            ),
            "a Compose file is YAML with a top-level `services:` mapping",
        );
        if let Some(location) = located {
            problem = problem.at(
                yaml,
                usize::try_from(location.line()).unwrap_or(0),
                usize::try_from(location.column()).unwrap_or(0),
            );
        }
        problem
    })?;
    let mut top = Fields::of(&document);
    let Some(services) = top.take("services").and_then(Value::as_object) else {
        return Err(ImportError::new(
            "this YAML has no `services:` mapping, so it is not a Compose file",
            "a Compose file lists its containers under a top-level `services:` key",
        ));
    };
    let interpolation = Interpolation::new(files.dotenv.as_deref());
    let project = top.text("name").map(|name| interpolation.resolve(&name));
    let name = options
        .name
        .clone()
        .or(project)
        .or_else(|| files.directory.clone())
        .unwrap_or_else(|| "app".to_owned());
    let target = options.target.unwrap_or(Target::Fargate);
    let mut draft = Draft::new(label(&name, "app"), target);
    draft.header = vec![
        format!("Imported by `berth import compose` from {origin}."),
        "Each `- ` note says what could not be carried over and why; review them, then run `berth check`.".to_owned(),
    ];
    draft.region = options.region.clone().or_else(|| {
        draft.notes.push(format!(
            "a Compose file names no AWS region: `{PLACEHOLDER_REGION}` is a placeholder; set the one to deploy to (or pass `--region` when importing)"
        ));
        Some(PLACEHOLDER_REGION.to_owned())
    });
    top.skip(&["version"]);
    let declared = Declared {
        volumes: top.take("volumes").and_then(Value::as_object),
        secrets: top.take("secrets").and_then(Value::as_object),
    };
    top_level_notes(&mut top, &declared, &mut draft.notes);

    let order = service_order(yaml);
    let mut ordered: Vec<(&String, &Value)> = services.iter().collect();
    ordered.sort_by_key(|(name, _)| {
        order
            .iter()
            .position(|known| known == *name)
            .unwrap_or(usize::MAX)
    });
    let selected: Vec<(&String, &Value)> = ordered
        .into_iter()
        .filter(|(original, definition)| {
            let profiles: Vec<String> = definition
                .get("profiles")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(scalar_text).collect())
                .unwrap_or_default();
            let included = profiles.is_empty()
                || profiles.iter().any(|profile| options.profiles.contains(profile));
            if !included {
                draft.notes.push(format!(
                    "service `{original}` is not imported: it runs only with the profile {} (import with `--profile {}` to include it)",
                    profiles.iter().map(|profile| format!("`{profile}`")).collect::<Vec<_>>().join(" or "),
                    profiles[0]
                ));
            }
            included
        })
        .collect();
    let mut scope = Scope::with_reserved(&["platform"]);
    let names: BTreeMap<&str, String> = selected
        .iter()
        .map(|(original, _)| (original.as_str(), scope.claim(original, "app")))
        .collect();
    let mut published: Vec<(String, Vec<Published>)> = Vec::new();
    for (original, definition) in &selected {
        let context = ServiceContext {
            original,
            name: &names[original.as_str()],
            names: &names,
            secrets: declared.secrets,
            files,
            interpolation: &interpolation,
            workspace: &draft.name.clone(),
            target,
        };
        let converted = service::service(definition, &context);
        for (variable, value) in converted.variables {
            define(&mut draft, &variable, value);
        }
        published.push((converted.workload.name.clone(), converted.published));
        draft.workloads.push(converted.workload);
    }
    choose_public_port(&mut draft, &published);
    if draft.workloads.is_empty() {
        return Err(ImportError::new(
            "no service to import: every service is behind a profile",
            "pass `--profile NAME` to include the services of that profile",
        ));
    }
    Ok(draft)
}

/// The `env_file` paths a Compose file refers to, as written, for the caller to read.
pub fn referenced_files(yaml: &str) -> Vec<String> {
    let Ok(document) = serde_saphyr::from_str::<Value>(yaml) else {
        return Vec::new();
    };
    let mut paths: Vec<String> = Vec::new();
    for definition in document
        .get("services")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|services| services.values())
    {
        let entries: Vec<&Value> = match definition.get("env_file") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        };
        for entry in entries {
            let path = entry
                .get("path")
                .and_then(scalar_text)
                .or_else(|| scalar_text(entry));
            if let Some(path) = path.filter(|path| !paths.contains(path)) {
                paths.push(path);
            }
        }
    }
    paths
}

/// The service names in the order the file writes them (a JSON map may sort its keys).
fn service_order(yaml: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Document {
        #[serde(default)]
        services: Keys,
    }
    #[derive(Default)]
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Keys;
                fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    formatter.write_str("a mapping of services")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            deserializer.deserialize_map(Visitor)
        }
    }
    serde_saphyr::from_str::<Document>(yaml)
        .map(|document| document.services.0)
        .unwrap_or_default()
}

/// The first line of a message.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// Top-level declarations services refer to.
struct Declared<'a> {
    volumes: Option<&'a serde_json::Map<String, Value>>,
    secrets: Option<&'a serde_json::Map<String, Value>>,
}

/// Defines a variable a template uses; a variable with no value is defined empty, with a note.
fn define(draft: &mut Draft, variable: &str, value: Option<String>) {
    let known = draft.vars.iter().any(|(name, _)| name == variable);
    match value {
        Some(value) if !draft.define_var(variable, &value) => {
            draft.notes.push(format!(
                "`${{{variable}}}` has different defaults in different places; berth keeps the first, `{}`",
                draft.vars.iter().find(|(name, _)| name == variable).map_or("", |(_, value)| value.as_str())
            ));
        }
        Some(_) => {}
        None if !known => {
            draft.define_var(variable, "");
            draft.notes.push(format!(
                "`${{{variable}}}` has no value in `.env` and no default: set it under `vars` or pass `--var {variable}=…`"
            ));
        }
        None => {}
    }
}

/// Notes for the top-level sections berth treats differently.
fn top_level_notes(top: &mut Fields<'_>, declared: &Declared<'_>, notes: &mut Vec<String>) {
    if let Some(networks) = top.take("networks").and_then(Value::as_object) {
        let mut custom: Vec<&str> = networks
            .keys()
            .map(String::as_str)
            .filter(|name| *name != "default")
            .collect();
        custom.sort_unstable();
        if !custom.is_empty() {
            notes.push(format!(
                "networks {} are not carried over: every workload of a workspace shares one network and reaches the others by name",
                custom.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mut volumes: Vec<(&String, &Value)> = declared.volumes.into_iter().flatten().collect();
    volumes.sort_by_key(|(name, _)| *name);
    for (name, volume) in volumes {
        let mut fields = Fields::of(volume);
        if fields.boolean("external").unwrap_or(false) {
            notes.push(format!(
                "volume `{name}` was external (created outside Compose); berth creates a new EFS-backed volume, so copy the data across"
            ));
        }
        if let Some(driver) = fields.text("driver").filter(|driver| driver != "local") {
            notes.push(format!(
                "volume `{name}` used the driver `{driver}`; berth volumes are EFS file systems"
            ));
        }
        if fields.take("driver_opts").is_some() {
            notes.push(format!("the `driver_opts` of volume `{name}` are left out: berth volumes are EFS file systems"));
        }
    }
    if declared.secrets.is_some_and(|secrets| !secrets.is_empty()) {
        notes.push("the values of the top-level `secrets` were not read (berth never copies a secret into a file): each service's secrets become SSM parameter references; store each value as its note says".to_owned());
    }
    if let Some(configs) = top.take("configs").and_then(Value::as_object) {
        let mut names: Vec<&String> = configs.keys().collect();
        names.sort();
        notes.push(format!(
            "configs {} are left out: berth mounts no files into containers; bake them into the image, or pass their content through `env` or a `secret`",
            names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(include) = top.take("include") {
        notes.push(format!(
            "`include` ({}) is not followed: import each included Compose file on its own and merge the workloads",
            brief(include)
        ));
    }
    for (key, value) in top.unread() {
        if key.starts_with("x-") {
            continue;
        }
        notes.push(format!(
            "top-level `{key}` ({}) is left out: berth has no equivalent",
            brief(value)
        ));
    }
}

/// Makes a port public when exactly one service publishes an HTTP-like port: the load balancer
/// serves it at `/`. With several candidates berth cannot tell how to route, so each keeps its
/// ports private with a note.
fn choose_public_port(draft: &mut Draft, published: &[(String, Vec<Published>)]) {
    let candidates: Vec<(&String, &Published)> = published
        .iter()
        .filter_map(|(workload, ports)| {
            ports
                .iter()
                .find(|port| port.http_like)
                .map(|port| (workload, port))
        })
        .collect();
    if let [(workload_name, port)] = candidates[..]
        && let Some(workload) = draft.workload_mut(workload_name)
        && let Some(declared) = workload
            .container
            .ports
            .iter_mut()
            .find(|declared| declared.number == port.container)
    {
        declared.route = Some(super::draft::DraftRoute {
            path: "/".to_owned(),
            host: None,
        });
        workload.notes.push(format!(
                "port {} was published on the host as {}; it becomes the public port, served by the load balancer at `/`",
                port.container, port.host
            ));
    }
    for (workload_name, ports) in published {
        let Some(workload) = draft.workload_mut(workload_name) else {
            continue;
        };
        let private: Vec<String> =
            ports
                .iter()
                .filter(|port| {
                    !workload.container.ports.iter().any(|declared| {
                        declared.number == port.container && declared.route.is_some()
                    })
                })
                .map(|port| format!("{} (host {})", port.container, port.host))
                .collect();
        if private.is_empty() {
            continue;
        }
        let why = if candidates.len() > 1 && workload.kind == WorkloadKind::Service {
            "several services publish ports, so berth cannot tell which one the load balancer should route where: add `public #true` with a distinct `path` or `host` to the ports to serve"
        } else {
            "berth ports are reachable inside the workspace only unless they are `public #true`"
        };
        workload.notes.push(format!(
            "published port{} {} {} private: {why}",
            if private.len() == 1 { "" } else { "s" },
            private.join(", "),
            if private.len() == 1 { "stays" } else { "stay" }
        ));
    }
}
