//! `manifest.json`: the typed contract between `berth build` and the deploy runtime.
//!
//! The compiler writes it ([`crate::emit::emit`]); the runtime reads it back with
//! [`Manifest::from_json`] and never re-derives a decision the compiler made. Everything the
//! runtime must do or fill in at deploy time is named here: the stacks and their order, the
//! artifacts with their digests, the stack outputs that fill the Kubernetes manifests'
//! placeholders, and where the build came from (so a stale build can be refused).
//!
//! The format is versioned by [`FORMAT_VERSION`]; fields are only ever added, each with a
//! default, so a newer runtime reads an older build and says when it must be rebuilt.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::lower::Options;

mod eks;

pub use eks::{
    ChartValue, ClusterRequirement, EksDeployment, HelmChart, KindRef, ParameterRef, Provisioning,
    RequirementCheck, SharedStack,
};

/// The version written in the `berth` field.
pub const FORMAT_VERSION: u32 = 2;

/// The file name of the manifest inside a build directory.
pub const FILE_NAME: &str = "manifest.json";

/// `manifest.json`, as written by `berth build`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The format version ([`FORMAT_VERSION`]).
    pub berth: u32,
    /// The workspace name.
    pub workspace: String,
    /// The environment the build is for (`default` when none was selected).
    pub environment: String,
    /// The target: `ecs`, `fargate` or `eks`.
    pub target: String,
    /// The AWS region every stack deploys to.
    pub region: String,
    /// Where the build came from; absent only in builds made in memory without a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Provenance>,
    /// Every artifact, in deploy order, then by path.
    pub artifacts: Vec<ManifestArtifact>,
    /// Which stack output fills each `${berth:KEY}` placeholder of the Kubernetes manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitutions: Vec<Substitution>,
    /// The tags the deploy step gives every stack (CloudFormation passes them on to the
    /// resources); `destroy` touches only stacks that carry them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stack_tags: BTreeMap<String, String>,
    /// The stack a deploy or destroy holds while it changes anything, so that two runs on one
    /// workspace and environment, from any machine, never interleave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_stack: Option<String>,
    /// Every container image, where it is used and how the deploy step pins it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageInput>,
    /// The ECS services whose rollouts the deploy step waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<EcsService>,
    /// The public endpoints the deploy step prints when it is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Resources that outlive their stack (`DeletionPolicy: Retain`), reported by `destroy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained: Vec<RetainedResource>,
    /// On `eks`: the cluster, the namespace and the stacks shared with other workspaces on the
    /// cluster ([`EksDeployment`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks: Option<EksDeployment>,
}

/// One file of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestArtifact {
    /// The path relative to the build directory (`/`-separated).
    pub path: String,
    /// What the file is.
    pub kind: ArtifactKind,
    /// The CloudFormation stack a template deploys as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// Deploy order: lower first; equal orders may deploy together.
    pub order: u32,
    /// The sha256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// What an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A CloudFormation template.
    Cloudformation,
    /// Kubernetes manifests.
    Kubernetes,
}

/// A placeholder of the Kubernetes manifests and the stack output that fills it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Substitution {
    /// The placeholder as it appears in the manifests: `${berth:KEY}`.
    pub placeholder: String,
    /// The stack whose output fills it.
    pub stack: String,
    /// The output key.
    pub output: String,
}

/// A stack output: the value the deploy step reads once the stack exists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputRef {
    /// The stack.
    pub stack: String,
    /// The output key.
    pub output: String,
}

/// One container's image: the artifact that runs it, what the deploy step fills in, and which
/// repository must hold it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// The workload.
    pub workload: String,
    /// The container (the workload's name for its main container, else the sidecar's).
    pub container: String,
    /// The artifact that runs the image (a template, or Kubernetes manifests on `eks`).
    pub artifact: String,
    /// The stack of that template; absent for Kubernetes manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// The template parameter the deploy step fills with the image pinned by digest
    /// (`repository@sha256:…`, or the reference as written when it cannot be pinned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The repository: for ECR the repository name (`shop/default/api`), else the reference
    /// without tag or digest (`ghcr.io/acme/web`).
    pub repository: String,
    /// The tag, when the image names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The digest (`sha256:…`), when the image is written pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Where the image lives.
    pub registry: Registry,
}

/// Where an image lives, which decides how the deploy step pins it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Registry {
    /// An ECR repository the workspace owns, created by `stack`: it is empty on the first
    /// deploy, so the deploy step stops after that stack until the image is pushed.
    Owned {
        /// The stack that creates the repository.
        stack: String,
    },
    /// An ECR repository the workspace does not own (any account; `region` as written).
    Ecr {
        /// The registry's account id.
        account: String,
        /// The registry's region.
        region: String,
    },
    /// Any other registry (Docker Hub, GHCR, …): deployed as written, by tag unless written
    /// with a digest.
    Other,
}

/// An ECS service the deploy step waits for after its stack settles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsService {
    /// The workload.
    pub workload: String,
    /// The workload's stack.
    pub stack: String,
    /// The service's logical id in that stack (its physical id, the service ARN, is known while
    /// the stack is still being deployed).
    pub logical_id: String,
    /// The output holding the cluster's name.
    pub cluster: OutputRef,
    /// The output holding the service's name.
    pub service: OutputRef,
}

/// A public route on the shared load balancer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The workload.
    pub workload: String,
    /// The container port.
    pub port: u16,
    /// `http`, or `https` when the workspace has a domain.
    pub scheme: String,
    /// The host name to reach it by (the route's host, else the workspace's domain); absent
    /// when the load balancer's DNS name is the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The path prefix.
    pub path: String,
    /// The output holding the load balancer's DNS name.
    pub load_balancer: OutputRef,
}

/// A resource CloudFormation leaves in place when its stack is deleted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetainedResource {
    /// The stack.
    pub stack: String,
    /// The logical id.
    pub logical_id: String,
    /// The resource type (`AWS::ECR::Repository`).
    pub resource_type: String,
}

/// Where a build came from: the workspace file's digest and the options it was built with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The workspace file, relative to the build directory when it could be (the runtime
    /// decides; the compiler never sees paths).
    pub file: String,
    /// The sha256 of the workspace file's bytes, lowercase hex.
    pub sha256: String,
    /// The command-line options of the build.
    pub options: BuildOptions,
}

/// The options a build was made with, as given on the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildOptions {
    /// `--env`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `--target`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `--region` (or the region the runtime supplied), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `--var KEY=VALUE`, the last value of each key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// `--cfn-format`: `json` or `yaml`.
    pub cfn_format: String,
}

impl BuildOptions {
    /// The record of `options` and the template format's extension (`json` or `yaml`).
    pub fn new(options: &Options, cfn_format: &str) -> Self {
        Self {
            environment: options.environment.clone(),
            target: options.target.map(|target| target.name().to_owned()),
            region: options.region.clone(),
            vars: options.vars.iter().cloned().collect(),
            cfn_format: cfn_format.to_owned(),
        }
    }
}

impl Provenance {
    /// The provenance of a build of `source` (the file's text), read from `file`, with `options`.
    pub fn new(file: String, source: &str, options: BuildOptions) -> Self {
        Self {
            file,
            sha256: sha256_hex(source.as_bytes()),
            options,
        }
    }
}

/// Why a manifest could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl std::fmt::Display for ManifestError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Pretty JSON with a final newline, byte-for-byte deterministic.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a manifest, refusing one that is not berth's or is newer than this berth reads.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|error| ManifestError(format!("not JSON: {error}")))?;
        let Some(version) = value.get("berth").and_then(serde_json::Value::as_u64) else {
            return Err(ManifestError(
                "not a berth manifest (no `berth` format version)".to_owned(),
            ));
        };
        if version > u64::from(FORMAT_VERSION) {
            return Err(ManifestError(format!(
                "written by a newer berth (format {version}; this berth reads up to \
                 {FORMAT_VERSION}); upgrade berth"
            )));
        }
        if version < u64::from(FORMAT_VERSION) {
            return Err(ManifestError(format!(
                "written by an older berth (format {version}); run `berth build` again"
            )));
        }
        serde_json::from_value(value)
            .map_err(|error| ManifestError(format!("not a valid berth manifest: {error}")))
    }

    /// The stacks in deploy order (then by path), each once with its template artifact.
    pub fn stacks(&self) -> impl Iterator<Item = (&str, &ManifestArtifact)> {
        self.artifacts
            .iter()
            .filter_map(|artifact| artifact.stack.as_deref().map(|stack| (stack, artifact)))
    }
}

/// The sha256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            berth: FORMAT_VERSION,
            workspace: "shop".into(),
            environment: "default".into(),
            target: "fargate".into(),
            region: "eu-west-1".into(),
            source: Some(Provenance::new(
                "../berth.kdl".into(),
                "workspace \"shop\"",
                BuildOptions {
                    cfn_format: "json".into(),
                    ..BuildOptions::default()
                },
            )),
            artifacts: vec![ManifestArtifact {
                path: "platform.json".into(),
                kind: ArtifactKind::Cloudformation,
                stack: Some("shop-default-platform".into()),
                order: 0,
                sha256: sha256_hex(b"{}"),
            }],
            substitutions: Vec::new(),
            stack_tags: BTreeMap::from([("berth:workspace".into(), "shop".into())]),
            lock_stack: Some("shop-default--lock".into()),
            images: vec![ImageInput {
                workload: "api".into(),
                container: "api".into(),
                artifact: "service-api.json".into(),
                stack: Some("shop-default-api".into()),
                parameter: Some("ImageApi".into()),
                repository: "shop/default/api".into(),
                tag: Some("1.0".into()),
                digest: None,
                registry: Registry::Owned {
                    stack: "shop-default-platform".into(),
                },
            }],
            services: Vec::new(),
            endpoints: Vec::new(),
            retained: Vec::new(),
            eks: None,
        }
    }

    #[test]
    fn round_trips() {
        let manifest = manifest();
        assert_eq!(Manifest::from_json(&manifest.to_json()), Ok(manifest));
    }

    #[test]
    fn refuses_foreign_older_and_newer_files() {
        let foreign = Manifest::from_json(r#"{"name": "my-app", "version": "1.0.0"}"#);
        assert!(foreign.is_err_and(|error| error.0.contains("not a berth manifest")));
        let older = Manifest::from_json(r#"{"berth": 1, "artifacts": []}"#);
        assert!(older.is_err_and(|error| error.0.contains("older berth")));
        let newer = Manifest::from_json(r#"{"berth": 99}"#);
        assert!(newer.is_err_and(|error| error.0.contains("newer berth")));
    }

    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
