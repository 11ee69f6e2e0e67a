//! Emit: a [`Valid`] workspace to deployable artifacts, in memory. The runtime writes them.
//!
//! - [`cloudformation`]: one platform stack per workspace and environment, one stack per
//!   service, worker and job, wired with exports and imports.
//! - [`manifest()`]: `manifest.json`, listing every artifact with its stack, deploy order
//!   (from `depends-on`) and sha256.

pub mod cloudformation;
pub mod kubernetes;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{Target, Workspace};
use crate::validate::Valid;

/// How CloudFormation templates are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TemplateFormat {
    /// JSON (the default).
    #[default]
    Json,
    /// YAML with long-form intrinsics (`Ref:`, `Fn::GetAtt:`).
    Yaml,
}

impl TemplateFormat {
    /// The file extension.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Yaml => "yaml",
        }
    }
}

/// What an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A CloudFormation template.
    Cloudformation,
    /// Kubernetes manifests.
    Kubernetes,
}

/// One file berth writes.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// The path relative to the output directory.
    pub path: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// The CloudFormation stack it deploys as.
    pub stack: Option<String>,
    /// Deploy order: lower first; equal orders may deploy together.
    pub order: u32,
    /// The file content.
    pub content: String,
}

/// Everything `berth build` writes, `manifest.json` last.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The artifacts in deploy order, then by path.
    pub files: Vec<Artifact>,
    /// The content of `manifest.json`.
    pub manifest: String,
}

/// Why a workspace could not be emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmitError(pub String);

impl std::fmt::Display for EmitError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for EmitError {}

/// Builds every artifact of `workspace` for its target.
pub fn emit(workspace: &Valid<Workspace>, format: TemplateFormat) -> Result<Artifacts, EmitError> {
    let files = match workspace.target.value {
        Target::Ecs | Target::Fargate => cloudformation::emit_ecs(workspace, format),
        Target::Eks => {
            return Err(EmitError(
                "`berth build` does not emit the eks target yet; `berth check --target eks` validates it".to_owned(),
            ));
        }
    };
    let mut files = files;
    files.sort_by(|left, right| (left.order, &left.path).cmp(&(right.order, &right.path)));
    let manifest = manifest(workspace, &files);
    Ok(Artifacts { files, manifest })
}

/// The deploy order of each workload: 1 + the highest order of what it depends on (the platform
/// stack is 0). Validation guarantees there is no cycle.
pub fn deploy_orders(workspace: &Workspace) -> BTreeMap<String, u32> {
    let mut orders: BTreeMap<String, u32> = BTreeMap::new();
    let mut remaining: Vec<_> = workspace.workloads.iter().collect();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|workload| {
            let dependencies: Option<Vec<u32>> = workload
                .depends_on
                .iter()
                .map(|dependency| orders.get(&dependency.value).copied())
                .collect();
            match dependencies {
                Some(levels) => {
                    orders.insert(
                        workload.name.value.clone(),
                        1 + levels.into_iter().max().unwrap_or(0),
                    );
                    false
                }
                None => true,
            }
        });
        if remaining.len() == before {
            for workload in remaining.drain(..) {
                orders.insert(workload.name.value.clone(), 1);
            }
        }
    }
    orders
}

#[derive(Serialize)]
struct ManifestEntry<'a> {
    path: &'a str,
    kind: ArtifactKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    stack: Option<&'a str>,
    order: u32,
    sha256: String,
}

/// `manifest.json`: the workspace, environment, target and region, and every artifact.
pub fn manifest(workspace: &Workspace, files: &[Artifact]) -> String {
    let artifacts: Vec<ManifestEntry<'_>> = files
        .iter()
        .map(|file| ManifestEntry {
            path: &file.path,
            kind: file.kind,
            stack: file.stack.as_deref(),
            order: file.order,
            sha256: hex(&Sha256::digest(file.content.as_bytes())),
        })
        .collect();
    let value = serde_json::json!({
        "berth": 1,
        "workspace": workspace.name.value,
        "environment": workspace.environment.value,
        "target": workspace.target.value.name(),
        "region": workspace.region.value,
        "artifacts": artifacts,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}
