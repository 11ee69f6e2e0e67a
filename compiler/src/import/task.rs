//! An ECS task definition to a workload: the main container and its sidecars, task size, health
//! check, ports, variables, secrets and volumes. Every other field becomes a note.

use serde_json::Value;

use super::container::{ReadContainer, container};
use super::draft::{Draft, DraftImage, DraftSidecar, DraftWorkload};
use super::fields::{Fields, brief, scalar_text};
use super::names::{Scope, label};
use super::{ImportError, ImportOptions, fit};
use crate::model::{Target, WorkloadKind};
use crate::units;

/// A task definition and what surrounds it in the input.
pub struct TaskInput<'a> {
    /// The task definition object.
    pub task: &'a Value,
    /// Its tags (`describe-task-definition --include TAGS` puts them beside it).
    pub tags: &'a [Value],
}

impl<'a> TaskInput<'a> {
    /// The task definition in `value`: a `describe-task-definition` response or the definition
    /// itself.
    pub fn of(value: &'a Value) -> Result<Self, ImportError> {
        let (task, tags) = match value.get("taskDefinition") {
            Some(task) => (task, value.get("tags")),
            None => (value, value.get("tags")),
        };
        let containers = task
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .filter(|containers| containers.iter().any(Value::is_object));
        if containers.is_none() {
            return Err(ImportError::new(
                "this JSON has no `containerDefinitions` with a container, so it is not a task definition",
                "give the output of `aws ecs describe-task-definition --task-definition NAME` or a task definition JSON file",
            ));
        }
        Ok(Self {
            task,
            tags: tags.and_then(Value::as_array).map_or(&[], Vec::as_slice),
        })
    }

    /// The family, e.g. `web`.
    pub fn family(&self) -> String {
        self.task
            .get("family")
            .and_then(scalar_text)
            .unwrap_or_else(|| "app".to_owned())
    }

    /// `family:revision` when the revision is known.
    pub fn title(&self) -> String {
        match self.task.get("revision").and_then(scalar_text) {
            Some(revision) => format!("{}:{revision}", self.family()),
            None => self.family(),
        }
    }

    /// The region in its ARN, if it has one.
    pub fn region(&self) -> Option<String> {
        region_of(self.task.get("taskDefinitionArn")?.as_str()?)
    }

    /// The target it was registered for: `FARGATE` → fargate, `EC2` → ecs.
    pub fn target(&self) -> Option<Target> {
        let compatibilities: Vec<String> = self
            .task
            .get("requiresCompatibilities")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(scalar_text).collect())
            .unwrap_or_default();
        if compatibilities.iter().any(|item| item == "FARGATE") {
            Some(Target::Fargate)
        } else if compatibilities.iter().any(|item| item == "EC2") {
            Some(Target::Ecs)
        } else {
            None
        }
    }

    /// The tags as key and value, leaving out the `aws:` ones AWS sets itself.
    pub fn tag_pairs(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter_map(|tag| {
                let key = tag
                    .get("key")
                    .or_else(|| tag.get("Key"))
                    .and_then(scalar_text)?;
                let value = tag
                    .get("value")
                    .or_else(|| tag.get("Value"))
                    .and_then(scalar_text)
                    .unwrap_or_default();
                (!key.starts_with("aws:")).then_some((key, value))
            })
            .collect()
    }
}

/// The region of an ARN (`arn:aws:ecs:REGION:…`).
pub fn region_of(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then(|| region.to_owned())
}

/// Imports one task definition as a workspace of one workload.
pub fn task_definition_draft(
    value: &Value,
    origin: &str,
    options: &ImportOptions,
) -> Result<Draft, ImportError> {
    let input = TaskInput::of(value)?;
    let target = options
        .target
        .or_else(|| input.target())
        .unwrap_or(Target::Fargate);
    let workspace = options
        .name
        .clone()
        .unwrap_or_else(|| label(&input.family(), "app"));
    let mut draft = Draft::new(label(&workspace, "app"), target);
    draft.header = vec![
        format!("Imported by `berth import task-definition` from {origin} (task definition `{}`).", input.title()),
        "Each `- ` note says what could not be carried over and why; review them, then run `berth check`.".to_owned(),
    ];
    draft.region = options.region.clone().or_else(|| input.region());
    let tags = input.tag_pairs();
    if !tags.is_empty() {
        draft.notes.push(format!(
            "the task definition's tags ({}) are not copied: berth tags every resource with the workspace's `tags {{ … }}`",
            tags.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(", ")
        ));
    }
    let context = TaskContext {
        workload_name: None,
        main_container: None,
        workspace: &draft.name,
        target,
    };
    let workload = task_workload(&input, &context);
    if workload
        .container
        .ports
        .iter()
        .all(|port| port.route.is_none())
        && !workload.container.ports.is_empty()
    {
        draft.notes.push(
            "a task definition does not say which port a load balancer serves, so every port is private: add `public #true` and a `path` to the port the load balancer should reach".to_owned(),
        );
    }
    draft.workloads.push(workload);
    draft.protect_literal_braces();
    Ok(draft)
}

/// What the caller knows beyond the task definition.
pub struct TaskContext<'a> {
    /// The workload's name (the ECS service's), else the main container's.
    pub workload_name: Option<&'a str>,
    /// The main container (the one behind the load balancer), else the first essential one
    /// with ports.
    pub main_container: Option<&'a str>,
    /// The workspace name, for the parameter paths in notes.
    pub workspace: &'a str,
    /// The target being written.
    pub target: Target,
}

/// The workload one task definition describes.
pub fn task_workload(input: &TaskInput<'_>, context: &TaskContext<'_>) -> DraftWorkload {
    let mut task = Fields::of(input.task);
    // Entries that are not objects describe no container; `TaskInput::of` made sure one is.
    let definitions: Vec<Value> = task
        .array("containerDefinitions")
        .iter()
        .filter(|definition| definition.is_object())
        .cloned()
        .collect();
    let definitions = definitions.as_slice();
    let main_index = main_container(definitions, context.main_container);
    let main_name = definitions
        .get(main_index)
        .and_then(|definition| definition.get("name"))
        .and_then(scalar_text)
        .unwrap_or_else(|| "app".to_owned());
    let name = label(context.workload_name.unwrap_or(&main_name), "app");
    let volumes = task.array("volumes");
    let mut containers: Vec<(String, ReadContainer)> = definitions
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let original = definition
                .get("name")
                .and_then(scalar_text)
                .unwrap_or_default();
            (
                original,
                container(definition, volumes, index == main_index, context),
            )
        })
        .collect();
    let (main_original, main) =
        containers.remove(main_index.min(containers.len().saturating_sub(1)));
    let mut workload = DraftWorkload::new(
        WorkloadKind::Worker,
        name.clone(),
        DraftImage::Reference(String::new()),
    );
    if main_original != name {
        workload.notes.push(format!(
            "the main container `{main_original}` is named `{name}` (berth names it after the workload)"
        ));
    }
    workload.notes.extend(main.notes);
    workload.container = main.container;
    workload.health = main
        .health
        .map(|health| fit::health(health, &mut workload.notes));
    workload.volumes = main.volumes;
    if !workload.container.ports.is_empty() {
        workload.kind = WorkloadKind::Service;
    }
    let mut sidecar_names = Scope::with_reserved(&[name.as_str()]);
    for (original, sidecar) in containers {
        let sidecar_name = sidecar_names.claim(&original, "sidecar");
        let mut notes = Vec::new();
        if sidecar_name != original {
            notes.push(format!("named `{original}` in the task definition"));
        }
        notes.extend(sidecar.notes);
        if sidecar.health.is_some() {
            notes.push(
                "its health check is left out: berth checks the main container only".to_owned(),
            );
        }
        workload.sidecars.push(DraftSidecar {
            name: sidecar_name,
            notes,
            container: sidecar.container,
        });
    }
    drop_port_conflicts(&mut workload);
    unused_volumes(definitions, volumes, &mut workload.notes);
    task_size(&mut task, definitions, context.target, &mut workload);
    task_settings(&mut task, &mut workload.notes);
    workload
}

/// Task volumes no container mounts are noted.
fn unused_volumes(definitions: &[Value], volumes: &[Value], notes: &mut Vec<String>) {
    for volume in volumes {
        let name = volume.get("name").and_then(scalar_text).unwrap_or_default();
        let mounted = definitions.iter().any(|definition| {
            definition
                .get("mountPoints")
                .and_then(Value::as_array)
                .is_some_and(|points| {
                    points.iter().any(|point| {
                        point.get("sourceVolume").and_then(scalar_text).as_deref() == Some(&name)
                    })
                })
        });
        if !mounted {
            notes.push(format!(
                "volume `{name}` is left out: no container mounts it"
            ));
        }
    }
}

/// The index of the main container.
fn main_container(definitions: &[Value], named: Option<&str>) -> usize {
    let name_of = |definition: &Value| definition.get("name").and_then(scalar_text);
    let essential = |definition: &Value| {
        definition
            .get("essential")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let has_ports = |definition: &Value| {
        definition
            .get("portMappings")
            .and_then(Value::as_array)
            .is_some_and(|ports| !ports.is_empty())
    };
    named
        .and_then(|named| {
            definitions
                .iter()
                .position(|definition| name_of(definition).as_deref() == Some(named))
        })
        .or_else(|| {
            definitions
                .iter()
                .position(|definition| essential(definition) && has_ports(definition))
        })
        .or_else(|| definitions.iter().position(essential))
        .unwrap_or(0)
}

/// Sidecar ports the main container (or an earlier sidecar) already uses are left out.
fn drop_port_conflicts(workload: &mut DraftWorkload) {
    let mut seen: Vec<u16> = workload
        .container
        .ports
        .iter()
        .map(|port| port.number)
        .collect();
    for sidecar in &mut workload.sidecars {
        let before = sidecar.container.ports.len();
        let mut dropped = Vec::new();
        sidecar.container.ports.retain(|port| {
            if seen.contains(&port.number) {
                dropped.push(port.number);
                false
            } else {
                seen.push(port.number);
                true
            }
        });
        if sidecar.container.ports.len() != before {
            sidecar.notes.push(format!(
                "port {} is left out: another container of the task already declares it",
                dropped
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// The task's CPU and memory: the task-level values, else the sum of the containers'.
fn task_size(
    task: &mut Fields<'_>,
    definitions: &[Value],
    target: Target,
    workload: &mut DraftWorkload,
) {
    let notes = &mut workload.notes;
    let task_cpu = task
        .text("cpu")
        .and_then(|cpu| units::parse_cpu(&cpu).ok().map(|cpu| cpu.units));
    let task_memory = task
        .text("memory")
        .and_then(|memory| units::parse_memory(&memory).ok());
    let sum = |key: &str, fallback: Option<&str>| -> Option<u32> {
        let total: u64 = definitions
            .iter()
            .filter_map(|definition| {
                definition
                    .get(key)
                    .or_else(|| fallback.and_then(|fallback| definition.get(fallback)))
                    .and_then(super::fields::integer)
            })
            .sum();
        (total > 0).then(|| u32::try_from(total).unwrap_or(u32::MAX))
    };
    let cpu = task_cpu.or_else(|| sum("cpu", None));
    let memory = task_memory.or_else(|| sum("memory", Some("memoryReservation")));
    if task_cpu.is_none() && cpu.is_some() || task_memory.is_none() && memory.is_some() {
        notes.push(
            "the task has no task-level size, so its cpu and memory are the sum of its containers'"
                .to_owned(),
        );
    }
    if cpu.is_none() || memory.is_none() {
        notes.push(
            "the task sets no cpu or memory of its own; berth's default (256 units, 512 MiB) applies where none is written".to_owned(),
        );
    }
    let (cpu, memory) = fit::size(cpu.unwrap_or(256), memory.unwrap_or(512), target, notes);
    workload.cpu = Some(cpu);
    workload.memory = Some(memory);
}

/// Task-level fields: the ones berth decides itself are noted, metadata is skipped.
fn task_settings(task: &mut Fields<'_>, notes: &mut Vec<String>) {
    task.skip(&[
        "taskDefinitionArn",
        "family",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
        "tags",
        "requiresCompatibilities",
    ]);
    if let Some(role) = task.text("taskRoleArn") {
        notes.push(format!(
            "task role `{role}`: its permissions were not read; berth creates a least-privilege task role, so grant what the app calls with `role {{ allow \"service:Action\" resource=\"arn:…\" }}`"
        ));
    }
    if let Some(role) = task.text("executionRoleArn") {
        notes.push(format!(
            "execution role `{role}` is replaced by one berth creates (image pull, logs and the secrets above)"
        ));
    }
    match task.text("networkMode").as_deref() {
        None | Some("awsvpc") => {}
        Some(mode) => notes.push(format!(
            "network mode `{mode}` becomes `awsvpc`: each task gets its own network interface, so host port mappings and links no longer apply"
        )),
    }
    if let Some(platform) = task.take("runtimePlatform") {
        let mut platform = Fields::of(platform);
        match platform.text("cpuArchitecture").as_deref() {
            None | Some("X86_64") => {}
            Some(architecture) => notes.push(format!(
                "it ran on `{architecture}`; berth runs tasks on X86_64, so the image needs an amd64 variant"
            )),
        }
        match platform.text("operatingSystemFamily").as_deref() {
            None | Some("LINUX") => {}
            Some(family) => notes.push(format!(
                "it ran on `{family}`; berth runs Linux containers only"
            )),
        }
    }
    if let Some(storage) = task.take("ephemeralStorage") {
        let size = storage.get("sizeInGiB").and_then(super::fields::integer);
        notes.push(format!(
            "ephemeral storage of {} GiB is left out: berth's tasks get the default 20 GiB",
            size.map_or_else(|| brief(storage), |size| size.to_string())
        ));
    }
    for (key, value) in task.unread() {
        let reason = match key {
            "placementConstraints" => {
                "berth places tasks itself (spread over the workspace's zones)"
            }
            "proxyConfiguration" => "App Mesh proxy configuration has no berth equivalent",
            "inferenceAccelerators" => "Elastic Inference is not supported",
            "pidMode" | "ipcMode" => "berth's tasks do not share process or IPC namespaces",
            "enableFaultInjection" => "fault injection is not supported",
            _ => "berth has no equivalent",
        };
        notes.push(format!("`{key}` ({}) is left out: {reason}", brief(value)));
    }
}
