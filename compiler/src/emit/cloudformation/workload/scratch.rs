//! A writable `/tmp` for containers that do not run as root.
//!
//! Every container mounts a task volume at `/tmp`, its only writable place besides its volumes
//! (root file systems are read-only). ECS creates that bind-mount volume owned by root with mode
//! 0755 — on Fargate always, on EC2 unless the image holds the directory — so a container
//! running as user 1000 (berth's default) could not write there. Fargate supports no `tmpfs`
//! mount and no mount option that sets a mode, so the task gets one more container,
//! [`SCRATCH_INIT`], which runs first, as root, sets the volume's mode to 1777 (what `/tmp` always
//! has: everyone writes, only a file's owner removes it) and exits; the containers that mount the
//! volume start only once it has succeeded.

use serde_json::Value;

use crate::emit::literal::value;

use super::Context;
use super::task::{SCRATCH_PATH, log_configuration};
use crate::model::Workload;

/// The container that makes the scratch volume writable. Container names in the file are DNS
/// labels, which cannot hold `_`, so no container of a workspace can have this name.
pub(super) const SCRATCH_INIT: &str = "berth_scratch_init";

/// The image of [`SCRATCH_INIT`]: BusyBox 1.37.0 from Amazon ECR Public's copy of the Docker
/// official images (no Docker Hub pull limit), pinned by the digest of its multi-architecture
/// index, so x86 and Graviton tasks run the same image, which no one can change.
pub(super) const SCRATCH_INIT_IMAGE: &str = "public.ecr.aws/docker/library/busybox@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0";

/// Adds [`SCRATCH_INIT`] to `containers` (the task's container definitions) when one of them
/// runs as another user than root and mounts the scratch volume `scratch`, and makes each
/// container that mounts it wait until it has succeeded.
pub(super) fn make_writable(
    context: &Context<'_>,
    workload: &Workload,
    scratch: &str,
    containers: &mut Vec<Value>,
) {
    let mounts_scratch = |definition: &Value| {
        definition["MountPoints"]
            .as_array()
            .is_some_and(|mounts| mounts.iter().any(|mount| mount["SourceVolume"] == scratch))
    };
    // `User` is `UID:GID`; user id 0 is root whatever the group.
    let runs_as_root = |definition: &Value| {
        definition["User"]
            .as_str()
            .is_some_and(|user| user.starts_with("0:"))
    };
    let needed = containers
        .iter()
        .any(|definition| mounts_scratch(definition) && !runs_as_root(definition));
    if !needed {
        return;
    }
    for definition in containers.iter_mut() {
        if mounts_scratch(definition)
            && let Some(object) = definition.as_object_mut()
        {
            object.insert(
                "DependsOn".into(),
                value!([{ "ContainerName": SCRATCH_INIT, "Condition": "SUCCESS" }]),
            );
        }
    }
    containers.push(value!({
        "Name": SCRATCH_INIT,
        "Image": SCRATCH_INIT_IMAGE,
        "Essential": false,
        "EntryPoint": ["chmod"],
        "Command": ["1777", SCRATCH_PATH],
        "LogConfiguration": log_configuration(context, workload),
        "MountPoints": [
            { "SourceVolume": scratch, "ContainerPath": SCRATCH_PATH, "ReadOnly": false }
        ],
        "ReadonlyRootFilesystem": true,
        "Privileged": false,
        // Root owns the volume, so only root may change its mode; changing the mode of one's
        // own file needs no capability, so it keeps none.
        "User": "0",
        "LinuxParameters": { "Capabilities": { "Drop": ["ALL"] } },
    }));
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::SCRATCH_INIT;
    use crate::emit::cloudformation::workload::tests::{SHOP, stack, workspace};
    use crate::model::Workspace;

    /// The containers of `workload`'s task definition in `workspace`.
    fn containers(workspace: &Workspace, workload: &str) -> Vec<Value> {
        stack(workspace, workload)["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
        .as_array()
        .expect("containers")
        .clone()
    }

    #[test]
    fn a_non_root_task_makes_tmp_writable_before_its_containers_start() {
        for target in ["fargate", "ecs"] {
            let workspace = workspace(SHOP, target);
            // `api`: a main container with a volume and a sidecar, both running as user 1000.
            let containers = containers(&workspace, "api");
            let init = containers.last().expect("containers");
            assert_eq!(init["Name"], SCRATCH_INIT, "{target}");
            assert_eq!(init["Essential"], false);
            assert_eq!(
                init["User"], "0",
                "root owns the volume, so only root may change its mode"
            );
            assert_eq!(
                init["LinuxParameters"],
                json!({ "Capabilities": { "Drop": ["ALL"] } })
            );
            assert_eq!(init["ReadonlyRootFilesystem"], true);
            assert_eq!(init["EntryPoint"], json!(["chmod"]));
            assert_eq!(init["Command"], json!(["1777", "/tmp"]));
            assert_eq!(
                init["MountPoints"],
                json!([{ "SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": false }])
            );
            let image = init["Image"].as_str().expect("an image");
            let (repository, digest) = image.split_once("@sha256:").expect("pinned by digest");
            assert_eq!(repository, "public.ecr.aws/docker/library/busybox");
            assert!(
                digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
                "{image}"
            );
            for container in &containers[..containers.len() - 1] {
                assert_eq!(
                    container["DependsOn"],
                    json!([{ "ContainerName": SCRATCH_INIT, "Condition": "SUCCESS" }]),
                    "{target}: {} starts before /tmp is writable",
                    container["Name"]
                );
            }
            // No container of the file can take the init container's name: theirs are DNS labels.
            assert!(crate::naming::check_label(SCRATCH_INIT).is_err());
        }
    }

    #[test]
    fn a_task_of_root_containers_or_without_scratch_needs_no_init_container() {
        let source = r#"
workspace "shop" { target "fargate"; region "eu-west-1"; }
worker "root" { image "ghcr.io/acme/w:1"; user "0"; }
worker "own-tmp" { image "ghcr.io/acme/w:1"; volume "scratch" path="/tmp"; }
worker "root-with-sidecar" {
    image "ghcr.io/acme/w:1"
    user "0"
    sidecar "agent" { image "ghcr.io/acme/agent:1"; }
}
"#;
        let workspace = workspace(source, "fargate");
        for (workload, init) in [
            ("root", false),
            ("own-tmp", false),
            ("root-with-sidecar", true),
        ] {
            let containers = containers(&workspace, workload);
            let names: Vec<&Value> = containers
                .iter()
                .map(|container| &container["Name"])
                .collect();
            assert_eq!(
                names.contains(&&json!(SCRATCH_INIT)),
                init,
                "{workload}: {names:?}"
            );
            if init {
                // Only the containers that mount the volume wait for it.
                let agent = containers
                    .iter()
                    .find(|c| c["Name"] == "agent")
                    .expect("agent");
                assert!(agent["DependsOn"].is_array());
            } else {
                assert!(
                    containers
                        .iter()
                        .all(|container| container.get("DependsOn").is_none())
                );
            }
        }
    }
}
