//! The pod template of a workload: the main container and its sidecars, hardened to the
//! `restricted` pod security standard (`baseline` for a container that asks for root), with
//! probes, resources, environment and mounts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::secrets::Plan;
use super::{Context, count, seconds};
use crate::emit::contract::placeholder;
use crate::emit::contract::platform::ECR_REGISTRY;
use crate::model::{self, Image, Workload};
use crate::naming::Naming;
use crate::units;

/// Where every container gets a writable scratch directory; the root file system is read-only.
const SCRATCH_PATH: &str = "/tmp";
/// What a sidecar requests (cpu, memory): sidecars have no size of their own.
const SIDECAR_REQUESTS: (&str, &str) = ("50m", "64Mi");
/// The most a sidecar may use (cpu, memory).
const SIDECAR_LIMITS: (&str, &str) = ("250m", "256Mi");

/// The pod template of `workload`; `restart_policy` is `Never` for jobs.
pub(super) fn template(
    context: &Context<'_>,
    workload: &Workload,
    plan: &Plan<'_>,
    restart_policy: Option<&str>,
) -> PodTemplateSpec {
    let name = workload.name.value.as_str();
    let scratch = crate::naming::scratch_volume(workload);
    let mut volumes = vec![Volume {
        name: scratch.clone(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }];
    volumes.extend(workload.volumes.iter().map(|volume| Volume {
        name: volume.name.value.clone(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: Naming::volume_claim(name, &volume.name.value),
            read_only: None,
        }),
        ..Volume::default()
    }));
    let mut main = container(context, workload, plan, name, &workload.container);
    let cpu = format!("{}m", units::millicores(workload.cpu.value).0);
    let memory = format!("{}Mi", workload.memory.value);
    main.resources = Some(resources((&cpu, &memory), (&cpu, &memory)));
    let mut mounts = Vec::new();
    if !workload
        .volumes
        .iter()
        .any(|volume| volume.path.value == SCRATCH_PATH)
    {
        mounts.push(scratch_mount(&scratch));
    }
    mounts.extend(workload.volumes.iter().map(|volume| VolumeMount {
        name: volume.name.value.clone(),
        mount_path: volume.path.value.clone(),
        ..VolumeMount::default()
    }));
    main.volume_mounts = Some(mounts);
    if let Some(health) = &workload.health
        && let Some(handler) = handler(workload, &health.probe.value)
    {
        let probe = Probe {
            period_seconds: Some(seconds(health.interval.value)),
            timeout_seconds: Some(seconds(health.timeout.value)),
            failure_threshold: Some(count(health.retries.value.max(1))),
            ..handler.clone()
        };
        main.readiness_probe = Some(probe.clone());
        main.liveness_probe = Some(probe);
        if let Some(grace) = health.grace.as_ref().filter(|grace| grace.value > 0) {
            let attempts = grace.value.div_ceil(health.interval.value.max(1));
            main.startup_probe = Some(Probe {
                period_seconds: Some(seconds(health.interval.value)),
                timeout_seconds: Some(seconds(health.timeout.value)),
                failure_threshold: Some(i32::try_from(attempts.max(1)).unwrap_or(i32::MAX)),
                ..handler
            });
        }
    }
    let mut containers = vec![main];
    for sidecar in &workload.sidecars {
        let mut extra = container(
            context,
            workload,
            plan,
            &sidecar.name.value,
            &sidecar.container,
        );
        extra.resources = Some(resources(SIDECAR_REQUESTS, SIDECAR_LIMITS));
        extra.volume_mounts = Some(vec![scratch_mount(&scratch)]);
        containers.push(extra);
    }
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(context.labels(workload)),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(name.to_owned()),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            restart_policy: restart_policy.map(str::to_owned),
            security_context: Some(PodSecurityContext {
                run_as_non_root: workload
                    .containers()
                    .all(|container| !container.user.value.is_root())
                    .then_some(true),
                run_as_user: Some(i64::from(workload.container.user.value.uid)),
                run_as_group: Some(i64::from(workload.container.user.value.gid)),
                fs_group: Some(i64::from(workload.container.user.value.gid)),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".to_owned(),
                    ..SeccompProfile::default()
                }),
                ..PodSecurityContext::default()
            }),
            containers,
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// One container: image, command, ports, environment and a locked-down security context.
fn container(
    context: &Context<'_>,
    workload: &Workload,
    plan: &Plan<'_>,
    name: &str,
    definition: &model::Container,
) -> Container {
    let strings = |values: &[crate::source::Spanned<String>]| {
        (!values.is_empty()).then(|| values.iter().map(|value| value.value.clone()).collect())
    };
    let ports: Vec<ContainerPort> = definition
        .ports
        .iter()
        .map(|port| ContainerPort {
            name: Some(Naming::port_name(port.protocol.name(), port.number.value)),
            container_port: i32::from(port.number.value),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        })
        .collect();
    let mut env: Vec<EnvVar> = definition
        .env
        .iter()
        .map(|(variable, value)| EnvVar {
            name: variable.clone(),
            value: Some(value.value.clone()),
            ..EnvVar::default()
        })
        .collect();
    let mut secrets: Vec<&model::Secret> = definition.secrets.iter().collect();
    secrets.sort_by(|left, right| left.name.value.cmp(&right.name.value));
    env.extend(secrets.into_iter().map(|secret| EnvVar {
        name: secret.name.value.clone(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: Naming::kubernetes_secret(&workload.name.value),
                key: plan.key(name, &secret.name.value),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }));
    Container {
        name: name.to_owned(),
        image: Some(image(context, &definition.image.value)),
        image_pull_policy: Some("Always".to_owned()),
        command: strings(&definition.entrypoint),
        args: strings(&definition.command),
        ports: (!ports.is_empty()).then_some(ports),
        env: (!env.is_empty()).then_some(env),
        security_context: Some(security_context(definition, workload)),
        ..Container::default()
    }
}

/// The image: a reference as written, or an owned ECR repository in the account's registry.
fn image(context: &Context<'_>, image: &Image) -> String {
    match image {
        Image::Reference(reference) => reference.clone(),
        Image::Repository { repository, tag } => format!(
            "{}/{}:{tag}",
            placeholder(ECR_REGISTRY),
            context.naming.ecr_repository(&repository.value)
        ),
    }
}

/// The probe handler: an `httpGet` of the probed port by name, or an `exec` of the command.
fn handler(workload: &Workload, probe: &model::Probe) -> Option<Probe> {
    match probe {
        model::Probe::Http { path, .. } => {
            let number = workload.probed_port()?;
            let port = workload
                .container
                .ports
                .iter()
                .find(|declared| declared.number.value == number)
                .map_or(IntOrString::Int(i32::from(number)), |declared| {
                    IntOrString::String(Naming::port_name(declared.protocol.name(), number))
                });
            Some(Probe {
                http_get: Some(HTTPGetAction {
                    path: Some(path.clone()),
                    port,
                    scheme: Some("HTTP".to_owned()),
                    ..HTTPGetAction::default()
                }),
                ..Probe::default()
            })
        }
        model::Probe::Command(command) => Some(Probe {
            exec: Some(ExecAction {
                command: Some(command.clone()),
            }),
            ..Probe::default()
        }),
    }
}

/// Requests and limits, each as (cpu, memory).
fn resources(requests: (&str, &str), limits: (&str, &str)) -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(quantities(requests.0, requests.1)),
        limits: Some(quantities(limits.0, limits.1)),
        ..ResourceRequirements::default()
    }
}

fn quantities(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_owned(), Quantity(cpu.to_owned())),
        ("memory".to_owned(), Quantity(memory.to_owned())),
    ])
}

/// A container's user, its root file system, and what it may do: a non-root container meets the
/// `restricted` pod security standard (no capabilities at all); a root one (`user "0"`) keeps
/// the runtime's default capabilities but `NET_RAW`, which `baseline` allows, so stock images
/// that start as root and switch user (postgres, redis) can.
/// The user is written only where it differs from the pod's (the main container's), and
/// `runAsNonRoot` only where the pod cannot say it for every container.
fn security_context(definition: &model::Container, workload: &Workload) -> SecurityContext {
    let user = definition.user.value;
    let pod_user = workload.container.user.value;
    let pod_non_root = workload
        .containers()
        .all(|container| !container.user.value.is_root());
    let differs = user != pod_user;
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(definition.read_only_root),
        privileged: Some(false),
        run_as_user: differs.then_some(i64::from(user.uid)),
        run_as_group: differs.then_some(i64::from(user.gid)),
        run_as_non_root: (!pod_non_root && !user.is_root()).then_some(true),
        // Root keeps the runtime's defaults but raw sockets, which no stock image needs.
        capabilities: Some(Capabilities {
            drop: Some(vec![
                if user.is_root() { "NET_RAW" } else { "ALL" }.to_owned(),
            ]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

fn scratch_mount(volume: &str) -> VolumeMount {
    VolumeMount {
        name: volume.to_owned(),
        mount_path: SCRATCH_PATH.to_owned(),
        ..VolumeMount::default()
    }
}
