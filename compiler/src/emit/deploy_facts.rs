//! What the deploy step must know beyond the artifacts, decided here so the runtime never
//! re-derives it: every image with the template parameter it fills and the repository that must
//! hold it first, the ECS services to wait for, the public endpoints to print, the resources a
//! deleted stack leaves behind, the stack tags and the lock stack.

use std::collections::{BTreeMap, HashMap};

use super::cloudformation::{Context, exports, logical_id, outputs, workload_file};
use super::{Artifact, ArtifactKind};
use crate::manifest::{EcsService, Endpoint, ImageInput, OutputRef, Registry, RetainedResource};
use crate::model::{Container, Image, Target, Workload, WorkloadKind, Workspace};
use crate::naming::Naming;

/// The template parameter holding container `container`'s image: `Image<Container>`.
pub fn image_parameter(container: &str) -> String {
    logical_id(&["Image", container])
}

/// The containers of `workload` with their names: the main one (named after the workload), then
/// each sidecar.
pub fn named_containers(workload: &Workload) -> impl Iterator<Item = (&str, &Container)> {
    std::iter::once((workload.name.value.as_str(), &workload.container)).chain(
        workload
            .sidecars
            .iter()
            .map(|sidecar| (sidecar.name.value.as_str(), &sidecar.container)),
    )
}

/// The tags the deploy step gives every stack: the workspace's tags and berth's own.
pub fn stack_tags(workspace: &Workspace) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = workspace
        .tags
        .iter()
        .map(|(key, value)| (key.clone(), value.value.clone()))
        .collect();
    tags.insert("berth:workspace".into(), workspace.name.value.clone());
    tags.insert(
        "berth:environment".into(),
        workspace.environment.value.clone(),
    );
    tags
}

/// The lock stack's name: `<workspace>-<env>--lock`. Workload names never start with `-`, so no
/// workload stack can have it.
pub fn lock_stack(workspace: &Workspace) -> String {
    let naming = Naming::of(workspace);
    format!("{}--lock", naming.prefix())
}

/// Every container image of `workspace`, in workload then container order, with the artifact
/// (among `files`) that runs it.
pub fn images(workspace: &Workspace, files: &[Artifact]) -> Vec<ImageInput> {
    let naming = Naming::of(workspace);
    let eks = workspace.target.value == Target::Eks;
    // The artifact that runs each workload, found by key: on `eks` its manifests by path, else
    // its stack's template by stack name (a search per workload would cost workloads × files).
    let mut runs_it: HashMap<&str, &Artifact> = HashMap::new();
    for file in files {
        let key = if eks {
            (file.kind == ArtifactKind::Kubernetes).then_some(file.path.as_str())
        } else {
            file.stack.as_deref()
        };
        if let Some(key) = key {
            runs_it.entry(key).or_insert(file);
        }
    }
    let mut images = Vec::new();
    for workload in &workspace.workloads {
        let key = if eks {
            format!("{}.yaml", workload_file(workload))
        } else {
            naming.workload_stack(&workload.name.value)
        };
        let Some(artifact) = runs_it.get(key.as_str()) else {
            continue;
        };
        for (container, definition) in named_containers(workload) {
            let (repository, tag, digest, registry) = match &definition.image.value {
                Image::Repository { repository, tag } => (
                    naming.ecr_repository(&repository.value),
                    Some(tag.clone()),
                    None,
                    Registry::Owned {
                        stack: naming.platform_stack(),
                    },
                ),
                Image::Reference(reference) => {
                    let parsed = parse_reference(reference);
                    (
                        parsed.repository,
                        parsed.tag,
                        parsed.digest,
                        parsed.registry,
                    )
                }
            };
            images.push(ImageInput {
                workload: workload.name.value.clone(),
                container: container.to_owned(),
                artifact: artifact.path.clone(),
                stack: artifact.stack.clone(),
                parameter: (!eks).then(|| image_parameter(container)),
                repository,
                tag,
                digest,
                registry,
            });
        }
    }
    images
}

/// The ECS services and workers (not on `eks`), each with the outputs naming it.
pub fn services(workspace: &Workspace) -> Vec<EcsService> {
    if workspace.target.value == Target::Eks {
        return Vec::new();
    }
    let context = Context::new(workspace);
    workspace
        .workloads
        .iter()
        .filter(|workload| matches!(workload.kind, WorkloadKind::Service | WorkloadKind::Worker))
        .map(|workload| {
            let stack = context.naming.workload_stack(&workload.name.value);
            EcsService {
                workload: workload.name.value.clone(),
                cluster: OutputRef {
                    stack: context.platform_stack.clone(),
                    output: exports::CLUSTER_NAME.to_owned(),
                },
                service: OutputRef {
                    stack: stack.clone(),
                    output: outputs::SERVICE_NAME.to_owned(),
                },
                logical_id: super::cloudformation::workload::SERVICE_ID.to_owned(),
                stack,
            }
        })
        .collect()
}

/// Every public route on the shared load balancer (not on `eks`, where Ingresses own them).
pub fn endpoints(workspace: &Workspace) -> Vec<Endpoint> {
    if workspace.target.value == Target::Eks {
        return Vec::new();
    }
    let context = Context::new(workspace);
    let domain = workspace
        .domain
        .as_ref()
        .map(|domain| domain.host.value.clone());
    let scheme = if domain.is_some() { "https" } else { "http" };
    let mut endpoints = Vec::new();
    for workload in &workspace.workloads {
        for port in &workload.container.ports {
            let Some(route) = &port.route else {
                continue;
            };
            endpoints.push(Endpoint {
                workload: workload.name.value.clone(),
                port: port.number.value,
                scheme: scheme.to_owned(),
                host: route
                    .host
                    .as_ref()
                    .map(|host| host.value.clone())
                    .or_else(|| domain.clone()),
                path: route.path.value.clone(),
                load_balancer: OutputRef {
                    stack: context.platform_stack.clone(),
                    output: outputs::LOAD_BALANCER_DNS_NAME.to_owned(),
                },
            });
        }
    }
    endpoints
}

/// The resources each template keeps when its stack is deleted.
pub fn retained(files: &[Artifact]) -> Vec<RetainedResource> {
    let mut retained: Vec<RetainedResource> = files
        .iter()
        .filter_map(|file| file.stack.as_ref().map(|stack| (stack, &file.retained)))
        .flat_map(|(stack, resources)| {
            resources
                .iter()
                .map(|(logical_id, resource_type)| RetainedResource {
                    stack: stack.clone(),
                    logical_id: logical_id.clone(),
                    resource_type: resource_type.clone(),
                })
        })
        .collect();
    retained.sort();
    retained
}

/// An image reference taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Reference {
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
    registry: Registry,
}

/// Splits `host/path:tag@digest` and recognises ECR registry hosts
/// (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`).
fn parse_reference(reference: &str) -> Reference {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_owned())),
        None => (reference, None),
    };
    let last_slash = name.rfind('/').map_or(0, |index| index + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => (
            &name[..last_slash + colon],
            Some(name[last_slash + colon + 1..].to_owned()),
        ),
        None => (name, None),
    };
    let ecr = name
        .split_once('/')
        .and_then(|(host, path)| ecr_host(host).map(|(account, region)| (account, region, path)));
    match ecr {
        Some((account, region, path)) => Reference {
            repository: path.to_owned(),
            tag,
            digest,
            registry: Registry::Ecr { account, region },
        },
        None => Reference {
            repository: name.to_owned(),
            tag,
            digest,
            registry: Registry::Other,
        },
    }
}

/// The account and region of an ECR registry host.
fn ecr_host(host: &str) -> Option<(String, String)> {
    let host = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    let (dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = parts.next().is_none()
        && account.len() == 12
        && account.chars().all(|character| character.is_ascii_digit())
        && dkr == "dkr"
        && (ecr == "ecr" || ecr == "ecr-fips");
    valid.then(|| (account.to_owned(), region.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_repository_tag_and_digest() {
        assert_eq!(
            parse_reference("ghcr.io/acme/web:1.4"),
            Reference {
                repository: "ghcr.io/acme/web".into(),
                tag: Some("1.4".into()),
                digest: None,
                registry: Registry::Other,
            }
        );
        assert_eq!(
            parse_reference("localhost:5000/web"),
            Reference {
                repository: "localhost:5000/web".into(),
                tag: None,
                digest: None,
                registry: Registry::Other,
            }
        );
        let pinned = parse_reference("nginx:1.27@sha256:abc");
        assert_eq!(pinned.repository, "nginx");
        assert_eq!(pinned.tag.as_deref(), Some("1.27"));
        assert_eq!(pinned.digest.as_deref(), Some("sha256:abc"));
    }

    #[test]
    fn ecr_hosts_name_their_account_and_region() {
        let reference =
            parse_reference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:2.0");
        assert_eq!(reference.repository, "team/api");
        assert_eq!(
            reference.registry,
            Registry::Ecr {
                account: "123456789012".into(),
                region: "eu-west-1".into(),
            }
        );
        assert_eq!(
            parse_reference("12345.dkr.ecr.eu-west-1.amazonaws.com/api:1").registry,
            Registry::Other
        );
        assert!(matches!(
            parse_reference("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api").registry,
            Registry::Ecr { .. }
        ));
    }
}
