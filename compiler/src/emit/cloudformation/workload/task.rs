//! The task definition: task size, roles, volumes and one container definition per container.

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::{Context, Template, attribute, exports, iam, ids, is_fargate, reference, scratch};
use crate::emit::cloudformation::tags;
use crate::emit::deploy_facts::{image_parameter, named_containers};
use crate::model::{Container, Image, Probe, Protocol, Workload};
use crate::naming::Naming;

/// Where every container gets a writable scratch directory, since root file systems are
/// read-only.
pub(super) const SCRATCH_PATH: &str = "/tmp";

/// Adds the task definition of `workload`.
pub(super) fn task_definition(template: &mut Template, context: &Context<'_>, workload: &Workload) {
    let name = workload.name.value.as_str();
    let scratch = crate::naming::scratch_volume(workload);
    let mut volumes = vec![value!({ "Name": &scratch })];
    volumes.extend(workload.volumes.iter().map(|volume| {
        value!({
            "Name": &volume.name.value,
            "EFSVolumeConfiguration": {
                "FilesystemId": context.import(exports::FILE_SYSTEM_ID),
                "TransitEncryption": "ENABLED",
                "AuthorizationConfig": {
                    "AccessPointId": reference(&ids::access_point(&volume.name.value)),
                    "IAM": "ENABLED"
                }
            }
        })
    }));
    let mut containers = vec![container_definition(
        context,
        workload,
        name,
        &workload.container,
        true,
        &scratch,
    )];
    containers.extend(workload.sidecars.iter().map(|sidecar| {
        container_definition(
            context,
            workload,
            &sidecar.name.value,
            &sidecar.container,
            false,
            &scratch,
        )
    }));
    scratch::make_writable(context, workload, &scratch, &mut containers);
    for (container_name, container) in named_containers(workload) {
        declare_image(template, context, container_name, &container.image.value);
    }
    let compatibility = if is_fargate(context) {
        "FARGATE"
    } else {
        "EC2"
    };
    template.resource(
        ids::TASK_DEFINITION,
        "AWS::ECS::TaskDefinition",
        value!({
            "Family": context.naming.task_family(name),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": [compatibility],
            "Cpu": workload.cpu.value.to_string(),
            "Memory": workload.memory.value.to_string(),
            "RuntimePlatform": {
                "OperatingSystemFamily": "LINUX",
                "CpuArchitecture": context.architecture.ecs_name(),
            },
            "ExecutionRoleArn": attribute(ids::EXECUTION_ROLE, "Arn"),
            "TaskRoleArn": attribute(ids::TASK_ROLE, "Arn"),
            "Volumes": volumes,
            "ContainerDefinitions": containers,
            "Tags": tags(context.workspace, Some(name)),
        }),
    );
}

/// The container definition of the main container (`essential`) or a sidecar.
fn container_definition(
    context: &Context<'_>,
    workload: &Workload,
    name: &str,
    container: &Container,
    essential: bool,
    scratch: &str,
) -> Value {
    let mut definition = Map::new();
    let mut set = |key: &str, value: Value| {
        definition.insert(key.to_owned(), value);
    };
    set("Name", value!(name));
    set("Image", reference(&image_parameter(name)));
    set("Essential", value!(essential));
    if !container.command.is_empty() {
        set("Command", strings(&container.command));
    }
    if !container.entrypoint.is_empty() {
        set("EntryPoint", strings(&container.entrypoint));
    }
    if !container.ports.is_empty() {
        set("PortMappings", port_mappings(container));
    }
    if !container.env.is_empty() {
        // `env` is a sorted map, so the list is sorted by name.
        let environment: Vec<Value> = container
            .env
            .iter()
            .map(|(key, value)| value!({ "Name": key, "Value": &value.value }))
            .collect();
        set("Environment", Value::Array(environment));
    }
    if !container.secrets.is_empty() {
        let mut secrets: Vec<(&str, Value)> = container
            .secrets
            .iter()
            .map(|secret| {
                let value_from = iam::secret_value_from(
                    &secret.source.value,
                    secret.key.as_ref().map(|key| key.value.as_str()),
                );
                (
                    secret.name.value.as_str(),
                    value!({ "Name": &secret.name.value, "ValueFrom": value_from }),
                )
            })
            .collect();
        secrets.sort_by(|left, right| left.0.cmp(right.0));
        set(
            "Secrets",
            Value::Array(secrets.into_iter().map(|(_, secret)| secret).collect()),
        );
    }
    if essential && let Some(check) = health_check(workload) {
        set("HealthCheck", check);
    }
    set("LogConfiguration", log_configuration(context, workload));
    let mut mounts = Vec::new();
    let scratch_taken = essential
        && workload
            .volumes
            .iter()
            .any(|volume| volume.path.value == SCRATCH_PATH);
    if !scratch_taken {
        mounts.push(
            value!({ "SourceVolume": scratch, "ContainerPath": SCRATCH_PATH, "ReadOnly": false }),
        );
    }
    if essential {
        mounts.extend(workload.volumes.iter().map(|volume| {
            value!({
                "SourceVolume": &volume.name.value,
                "ContainerPath": &volume.path.value,
                "ReadOnly": false
            })
        }));
    }
    set("MountPoints", Value::Array(mounts));
    set("ReadonlyRootFilesystem", value!(container.read_only_root));
    set("Privileged", value!(false));
    set("User", value!(container.user.value.to_string()));
    set("LinuxParameters", value!({ "InitProcessEnabled": true }));
    Value::Object(definition)
}

/// Where a container of `workload` logs: the workspace's log group, one stream per container.
pub(super) fn log_configuration(context: &Context<'_>, workload: &Workload) -> Value {
    value!({
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": context.naming.log_group(),
            "awslogs-region": { "Ref": "AWS::Region" },
            "awslogs-stream-prefix": &workload.name.value
        }
    })
}

/// Declares the parameter of container `name`'s image, which the deploy step fills with the
/// image pinned by digest (named in `manifest.json`). A reference as written is its default, so
/// the template also deploys by hand; an owned repository's address depends on the account.
fn declare_image(template: &mut Template, context: &Context<'_>, name: &str, image: &Image) {
    let mut definition = Map::new();
    definition.insert("Type".into(), value!("String"));
    let description = match image {
        Image::Reference(reference) => {
            definition.insert("Default".into(), value!(reference));
            format!("The image of container {name}, pinned by digest at deploy")
        }
        Image::Repository { repository, tag } => format!(
            "The image of container {name}: <account>.dkr.ecr.<region>.amazonaws.com/{}:{tag}, \
             pinned by digest at deploy",
            context.naming.ecr_repository(&repository.value)
        ),
    };
    definition.insert("Description".into(), value!(description));
    template.parameter(&image_parameter(name), Value::Object(definition));
}

fn strings(values: &[crate::source::Spanned<String>]) -> Value {
    Value::Array(values.iter().map(|value| value!(&value.value)).collect())
}

fn port_mappings(container: &Container) -> Value {
    Value::Array(
        container
            .ports
            .iter()
            .map(|port| {
                let mut mapping = value!({
                    "ContainerPort": port.number.value,
                    "Protocol": "tcp",
                    "Name": Naming::port_name(port.protocol.name(), port.number.value),
                });
                let application = match port.protocol {
                    Protocol::Http => Some("http"),
                    Protocol::Grpc => Some("grpc"),
                    Protocol::Tcp => None,
                };
                if let (Some(application), Some(object)) = (application, mapping.as_object_mut()) {
                    object.insert("AppProtocol".into(), value!(application));
                }
                mapping
            })
            .collect(),
    )
}

/// The container health check; none for an http check of a public port, which the load
/// balancer's target group checks instead (the image may not have `curl`).
fn health_check(workload: &Workload) -> Option<Value> {
    let health = workload.health.as_ref()?;
    let command = match &health.probe.value {
        Probe::Http { path, .. } => {
            let port = workload.probed_port()?;
            let public = workload
                .container
                .ports
                .iter()
                .any(|declared| declared.number.value == port && declared.route.is_some());
            if public {
                return None;
            }
            let url = format!("http://localhost:{port}{path}");
            value!([
                "CMD-SHELL",
                format!("curl -fsS {} || exit 1", shell_word(&url))
            ])
        }
        Probe::Command(arguments) => {
            let mut command = vec![value!("CMD")];
            command.extend(arguments.iter().map(|argument| value!(argument)));
            Value::Array(command)
        }
    };
    let mut check = value!({
        "Command": command,
        "Interval": super::seconds(health.interval.value),
        "Timeout": super::seconds(health.timeout.value),
        "Retries": health.retries.value,
    });
    if let (Some(grace), Some(object)) = (&health.grace, check.as_object_mut()) {
        object.insert("StartPeriod".into(), value!(super::seconds(grace.value)));
    }
    Some(check)
}

/// `text` as one shell word: as is when it holds only safe characters, else single-quoted.
fn shell_word(text: &str) -> String {
    let safe = text
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "/:._-~%+=,@".contains(character));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
