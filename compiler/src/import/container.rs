//! One ECS container definition to a berth container: image, entrypoint, command, ports,
//! variables, secrets, health check and mounts. Every other field becomes a note.

use serde_json::Value;

use super::draft::{DraftContainer, DraftHealth, DraftImage, DraftPort, DraftSecret};
use super::fields::{Fields, brief, scalar_text};
use super::names::label;
use super::secrets::{from_value_from, looks_secret, parameter_for};
use super::task::TaskContext;
use crate::model::{Probe, Protocol};

/// The user berth runs containers as, and how it is written in a task definition.
const BERTH_USERS: &[&str] = &["1000", "1000:1000"];

/// A container read from its definition.
pub struct ReadContainer {
    /// What it runs.
    pub container: DraftContainer,
    /// Its health check, if any.
    pub health: Option<DraftHealth>,
    /// EFS volumes it mounts: name and path.
    pub volumes: Vec<(String, String)>,
    /// What was left out.
    pub notes: Vec<String>,
}

/// Reads one container definition; `volumes` are the task's volumes, `main` whether it is the
/// workload's own container (else a sidecar).
pub fn container(
    definition: &Value,
    volumes: &[Value],
    main: bool,
    context: &TaskContext<'_>,
) -> ReadContainer {
    let mut fields = Fields::of(definition);
    let mut notes = Vec::new();
    fields.skip(&["name"]);
    // A share of 0 reserves nothing: there is nothing to carry over.
    for key in ["cpu", "memory", "memoryReservation"] {
        if definition.get(key).and_then(super::fields::integer) == Some(0) {
            fields.skip(&[key]);
        }
    }
    let image = fields.text("image").unwrap_or_default();
    let mut container = DraftContainer::new(DraftImage::Reference(image));
    container.entrypoint = fields.strings("entryPoint");
    container.command = fields.strings("command");
    container.ports = ports(fields.array("portMappings"), &mut notes);
    for variable in fields.array("environment") {
        let name = variable
            .get("name")
            .and_then(scalar_text)
            .unwrap_or_default();
        let value = variable
            .get("value")
            .and_then(scalar_text)
            .unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        if !crate::naming::is_environment_variable(&name) {
            notes.push(super::compose::not_a_variable(&name));
            continue;
        }
        if looks_secret(&name, &value) {
            let (secret, note) = parameter_for(&name, context.workspace, "had a plaintext value");
            container.secrets.push(secret);
            notes.push(note);
        } else if container.env.insert(name.clone(), value).is_some() {
            notes.push(format!("`{name}` was set twice; the last value is kept"));
        }
    }
    for secret in fields.array("secrets") {
        let name = secret.get("name").and_then(scalar_text).unwrap_or_default();
        let value_from = secret
            .get("valueFrom")
            .and_then(scalar_text)
            .unwrap_or_default();
        if !crate::naming::is_environment_variable(&name) {
            notes.push(super::compose::not_a_variable(&name));
            continue;
        }
        match from_value_from(&name, &value_from) {
            Ok((secret, secret_notes)) => {
                container.env.remove(&secret.name);
                container
                    .secrets
                    .retain(|known: &DraftSecret| known.name != secret.name);
                container.secrets.push(secret);
                notes.extend(secret_notes);
            }
            Err(reason) => notes.push(format!("{reason}; it is left out")),
        }
    }
    let health = fields
        .take("healthCheck")
        .and_then(|check| health(check, &mut notes));
    let mounts = mounts(fields.array("mountPoints"), volumes, main, &mut notes);
    let essential = fields.boolean("essential").unwrap_or(true);
    if !main && essential {
        notes.push("it was essential (the task stopped when it stopped); berth's sidecars are not essential".to_owned());
    }
    runs_as(&mut fields, &mut notes);
    logging(&mut fields, &mut notes);
    for (key, value) in fields.unread() {
        notes.push(leftover(key, value));
    }
    ReadContainer {
        container,
        health,
        volumes: mounts,
        notes,
    }
}

fn ports(mappings: &[Value], notes: &mut Vec<String>) -> Vec<DraftPort> {
    let mut ports: Vec<DraftPort> = Vec::new();
    for mapping in mappings {
        let mut fields = Fields::of(mapping);
        let Some(number) = fields
            .integer("containerPort")
            .and_then(|number| u16::try_from(number).ok())
            .filter(|number| *number > 0)
        else {
            if let Some(range) = fields.text("containerPortRange") {
                notes.push(format!(
                    "the port range {range} is left out: berth declares single ports"
                ));
            }
            continue;
        };
        if fields
            .text("protocol")
            .is_some_and(|protocol| protocol.eq_ignore_ascii_case("udp"))
        {
            notes.push(format!(
                "UDP port {number} is left out: berth serves TCP ports only"
            ));
            continue;
        }
        if let Some(host) = fields
            .integer("hostPort")
            .filter(|host| *host != 0 && *host != u64::from(number))
        {
            notes.push(format!("host port {host} of container port {number} is left out: with `awsvpc` networking the task listens on {number} itself"));
        }
        let protocol = match fields.text("appProtocol").as_deref() {
            Some("grpc") => Protocol::Grpc,
            Some("http") => Protocol::Http,
            Some("http2") => {
                notes.push(format!(
                    "port {number} spoke `http2`; berth declares it `http`"
                ));
                Protocol::Http
            }
            _ => Protocol::Tcp,
        };
        if let Some(name) = fields.text("name") {
            let generated = crate::naming::Naming::port_name(protocol.name(), number);
            if name != generated {
                notes.push(format!("port mapping name `{name}` becomes `{generated}`"));
            }
        }
        if ports.iter().any(|port| port.number == number) {
            continue;
        }
        ports.push(DraftPort {
            number,
            protocol,
            route: None,
        });
    }
    ports
}

fn health(check: &Value, notes: &mut Vec<String>) -> Option<DraftHealth> {
    let mut fields = Fields::of(check);
    let words = fields.strings("command");
    let probe = match words.split_first() {
        Some((first, rest)) if first == "CMD-SHELL" => {
            Probe::Command(vec!["/bin/sh".to_owned(), "-c".to_owned(), rest.join(" ")])
        }
        Some((first, rest)) if first == "CMD" => Probe::Command(rest.to_vec()),
        Some(_) => Probe::Command(words.clone()),
        None => {
            notes.push("a health check without a command is left out".to_owned());
            return None;
        }
    };
    if matches!(&probe, Probe::Command(words) if words.is_empty()) {
        notes.push("a health check without a command is left out".to_owned());
        return None;
    }
    let seconds = |fields: &mut Fields<'_>, key: &str, default: u64| {
        fields.integer(key).unwrap_or(default) * 1000
    };
    Some(DraftHealth {
        probe,
        interval: seconds(&mut fields, "interval", 30),
        timeout: seconds(&mut fields, "timeout", 5),
        retries: fields
            .integer("retries")
            .and_then(|retries| u32::try_from(retries).ok())
            .unwrap_or(3),
        grace: fields.integer("startPeriod").map(|start| start * 1000),
    })
}

/// The EFS volumes a container mounts; other mounts are noted.
fn mounts(
    points: &[Value],
    volumes: &[Value],
    main: bool,
    notes: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut mounted = Vec::new();
    for point in points {
        let source = point
            .get("sourceVolume")
            .and_then(scalar_text)
            .unwrap_or_default();
        let path = point
            .get("containerPath")
            .and_then(scalar_text)
            .unwrap_or_default();
        let volume = volumes
            .iter()
            .find(|volume| volume.get("name").and_then(scalar_text).as_deref() == Some(&source));
        let read_only = point
            .get("readOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let Some(volume) = volume else {
            notes.push(format!(
                "the mount of `{source}` at {path} is left out: the task declares no such volume"
            ));
            continue;
        };
        if path == "/tmp" {
            // berth gives every container a writable scratch directory at /tmp already.
            continue;
        }
        if let Some(efs) = volume.get("efsVolumeConfiguration") {
            if !main {
                notes.push(format!("the mount of volume `{source}` at {path} is left out: in berth only the main container mounts volumes"));
                continue;
            }
            let file_system = efs
                .get("fileSystemId")
                .and_then(scalar_text)
                .unwrap_or_default();
            let name = label(&source, "data");
            notes.push(format!(
                "volume `{source}` (EFS `{file_system}`{}) becomes the berth volume `{name}` on a new EFS file system that berth creates: copy the data across before switching",
                efs.get("rootDirectory").and_then(scalar_text).filter(|root| root != "/").map(|root| format!(", directory {root}")).unwrap_or_default()
            ));
            if read_only {
                notes.push(format!(
                    "volume `{name}` was mounted read-only; berth mounts volumes read-write"
                ));
            }
            mounted.push((name, path));
        } else if volume
            .get("host")
            .and_then(|host| host.get("sourcePath"))
            .is_some()
        {
            notes.push(format!("the host directory mounted at {path} is left out: berth's tasks do not mount the instance's files; bake the files into the image or use a `volume`"));
        } else if volume.get("dockerVolumeConfiguration").is_some() {
            notes.push(format!("the Docker volume `{source}` at {path} is left out: use a `volume` (EFS) for data that must persist, or write under /tmp"));
        } else {
            notes.push(format!("the task-scoped scratch volume `{source}` at {path} is left out: berth gives each container a writable /tmp, so point the app there"));
        }
    }
    mounted
}

/// Notes how the container ran, when that differs from berth's fixed user and read-only root.
fn runs_as(fields: &mut Fields<'_>, notes: &mut Vec<String>) {
    let user = fields.text("user");
    let read_only = fields.boolean("readonlyRootFilesystem").unwrap_or(false);
    let same_user = user
        .as_deref()
        .is_some_and(|user| BERTH_USERS.contains(&user));
    if same_user && read_only {
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

fn logging(fields: &mut Fields<'_>, notes: &mut Vec<String>) {
    let Some(configuration) = fields.take("logConfiguration") else {
        return;
    };
    let driver = configuration
        .get("logDriver")
        .and_then(scalar_text)
        .unwrap_or_default();
    let group = configuration
        .get("options")
        .and_then(|options| options.get("awslogs-group"))
        .and_then(scalar_text);
    match (driver.as_str(), group) {
        ("awslogs", Some(group)) => notes.push(format!(
            "its logs go to the workspace's CloudWatch log group `/berth/<workspace>/<env>` instead of `{group}`"
        )),
        _ => notes.push(format!(
            "log driver `{driver}` is left out: berth sends container output to CloudWatch Logs (awslogs)"
        )),
    }
}

/// The note for a field berth does not use.
fn leftover(key: &str, value: &Value) -> String {
    let reason = match key {
        "repositoryCredentials" => {
            "berth pulls without registry credentials; copy the image to ECR or a public registry"
        }
        "cpu" => "berth's containers share the task's CPU rather than reserving a share each",
        "memory" | "memoryReservation" => {
            "berth's containers share the task's memory, with no limit per container"
        }
        "dependsOn" => "berth starts a task's containers together, with no order or condition",
        "links" => {
            "links need bridge networking; in berth the containers of a task reach each other on localhost"
        }
        "environmentFiles" => {
            "berth does not read environment files from S3; copy the variables into `env`, and secrets into `secret`"
        }
        "volumesFrom" => "berth does not share volumes between containers",
        "linuxParameters" => {
            "berth sets its own Linux parameters (an init process); capabilities, devices, shared memory and tmpfs mounts are not carried over"
        }
        "privileged" => "berth never runs privileged containers",
        "workingDirectory" => "berth uses the image's working directory; set WORKDIR in the image",
        "hostname" | "dnsServers" | "dnsSearchDomains" | "extraHosts" => {
            "berth configures the network (awsvpc) itself"
        }
        "dockerLabels" => "berth sets no Docker labels",
        "ulimits" | "systemControls" => "berth keeps the platform's default limits",
        "startTimeout" | "stopTimeout" => "berth keeps ECS's default start and stop timeouts",
        "resourceRequirements" => "berth does not reserve GPUs or accelerators",
        "firelensConfiguration" => "berth sends logs with awslogs, not FireLens",
        "healthCheck" => "a health check without a command cannot be carried over",
        "restartPolicy" => {
            "berth replaces a failed task instead of restarting its container in place"
        }
        "versionConsistency" => "berth always resolves the image tag to a digest when it deploys",
        _ => "berth has no equivalent",
    };
    format!("`{key}` ({}) is left out: {reason}", brief(value))
}
