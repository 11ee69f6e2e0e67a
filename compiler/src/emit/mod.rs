//! Emit: a [`Valid`] workspace to deployable artifacts, in memory. The runtime writes them.
//!
//! - [`cloudformation`]: one platform stack per workspace and environment, one stack per
//!   service, worker and job (on `eks`: per workload that needs a pod role), wired with exports
//!   and imports.
//! - [`kubernetes`]: on `eks`, the manifests, applied after every stack.
//! - [`routes`]: where each public route sits on the shared load balancer, stable as routes come
//!   and go.
//! - [`manifest()`]: `manifest.json`, listing every artifact with its stack, deploy order
//!   (from `depends-on`) and sha256, and which stack output fills each placeholder of the
//!   manifests.
//! - [`deploy_facts`]: what else the deploy step reads from the manifest: images and the
//!   parameters they fill, services to wait for, endpoints, retained resources, stack tags.

pub mod cloudformation;
mod cluster_facts;
pub mod contract;
pub mod deploy_facts;
pub mod kubernetes;
mod literal;
pub mod routes;
mod text;

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use crate::manifest::ArtifactKind;
use crate::manifest::{FORMAT_VERSION, Manifest, ManifestArtifact, Substitution, sha256_hex};
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
    /// The keys of the outputs a CloudFormation template defines, sorted; empty for Kubernetes
    /// manifests.
    pub outputs: Vec<String>,
    /// The `(logical id, type)` of the resources a template keeps when its stack is deleted.
    pub retained: Vec<(String, String)>,
}

/// Everything `berth build` writes, `manifest.json` last.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The artifacts in deploy order, then by path.
    pub files: Vec<Artifact>,
    /// `manifest.json`; the runtime adds the build's [`crate::manifest::Provenance`] before
    /// writing it with [`Manifest::to_json`].
    pub manifest: Manifest,
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

/// What the manifest reads of an artifact's text: its sha256 and, in a Kubernetes manifest, the
/// `${berth:KEY}` placeholder keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFacts {
    sha256: String,
    placeholders: Vec<String>,
}

impl TextFacts {
    /// The facts of `artifact`'s content.
    pub fn of(artifact: &Artifact) -> Self {
        let placeholders = if artifact.kind == ArtifactKind::Kubernetes {
            contract::placeholder_keys(&artifact.content)
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        Self {
            sha256: sha256_hex(artifact.content.as_bytes()),
            placeholders,
        }
    }
}

/// Every artifact of a workspace, handed on by [`emit_each`] and listed here without content,
/// waiting for the [`TextFacts`] of each to become [`Artifacts`] ([`Emitted::finish`]).
pub struct Emitted {
    /// The artifacts in the order they were handed on, each with empty `content`.
    files: Vec<Artifact>,
    /// On `eks`, the kinds the Kubernetes artifacts apply.
    kinds: Option<BTreeSet<String>>,
}

impl Emitted {
    /// The [`Artifacts`], given the [`TextFacts`] of each artifact in the order they were handed
    /// on: sorted into deploy order, checked and with the manifest, as [`emit`] returns them
    /// but with empty `content`.
    pub fn finish(
        self,
        workspace: &Workspace,
        texts: Vec<TextFacts>,
    ) -> Result<Artifacts, EmitError> {
        if texts.len() != self.files.len() {
            return Err(EmitError(format!(
                "{} artifacts were built but the texts of {} were given",
                self.files.len(),
                texts.len()
            )));
        }
        finish(workspace, self.files, texts, self.kinds.as_ref())
    }
}

/// Builds every artifact of `workspace` for its target.
pub fn emit(workspace: &Valid<Workspace>, format: TemplateFormat) -> Result<Artifacts, EmitError> {
    let mut files = Vec::new();
    let kinds = produce(workspace, format, &mut |artifact| files.push(artifact));
    let texts = texts(&files);
    finish(workspace, files, texts, kinds.as_ref())
}

/// [`emit`], handing each artifact to `deliver` as soon as it is built (in the order they are
/// built, not deploy order), so that it can be hashed and written while the next is built and
/// need not stay in memory. The caller takes the [`TextFacts`] of each and gives them, in the
/// order handed on, to [`Emitted::finish`]; on an error there, the artifacts already written
/// must be discarded.
pub fn emit_each(
    workspace: &Valid<Workspace>,
    format: TemplateFormat,
    deliver: &mut dyn FnMut(Artifact),
) -> Emitted {
    let mut files = Vec::new();
    let kinds = produce(workspace, format, &mut |mut artifact| {
        files.push(Artifact {
            path: artifact.path.clone(),
            kind: artifact.kind,
            stack: artifact.stack.clone(),
            order: artifact.order,
            content: String::new(),
            outputs: std::mem::take(&mut artifact.outputs),
            retained: std::mem::take(&mut artifact.retained),
        });
        deliver(artifact);
    });
    Emitted { files, kinds }
}

/// Builds every artifact of `workspace`, handing each to `deliver`; on `eks`, returns the kinds
/// the Kubernetes artifacts apply.
fn produce(
    workspace: &Workspace,
    format: TemplateFormat,
    deliver: &mut dyn FnMut(Artifact),
) -> Option<BTreeSet<String>> {
    match workspace.target.value {
        Target::Ecs | Target::Fargate => {
            cloudformation::emit_ecs_each(workspace, format, deliver);
            None
        }
        Target::Eks => {
            cloudformation::emit_eks_each(workspace, format, deliver);
            Some(kubernetes::emit_kubernetes_each(workspace, deliver))
        }
    }
}

/// The [`TextFacts`] of each of `files`, hashed on two cores.
fn texts(files: &[Artifact]) -> Vec<TextFacts> {
    crate::threads::map_halves(files, TextFacts::of)
}

/// The last step of [`emit`]: sorts `files` into deploy order (then by path), refuses two
/// artifacts with one path or two templates with one stack, and adds the [`manifest()`].
pub fn assemble(workspace: &Workspace, files: Vec<Artifact>) -> Result<Artifacts, EmitError> {
    let texts = texts(&files);
    finish(workspace, files, texts, None)
}

/// [`assemble`], given the [`TextFacts`] of each file (in the order of `files`) and the kinds
/// the Kubernetes artifacts apply (on `eks`; found from the workspace when not given, by
/// [`manifest_with`]).
fn finish(
    workspace: &Workspace,
    files: Vec<Artifact>,
    texts: Vec<TextFacts>,
    kinds: Option<&BTreeSet<String>>,
) -> Result<Artifacts, EmitError> {
    let mut paired: Vec<(Artifact, TextFacts)> = files.into_iter().zip(texts).collect();
    paired
        .sort_by(|(left, _), (right, _)| (left.order, &left.path).cmp(&(right.order, &right.path)));
    let (files, texts): (Vec<Artifact>, Vec<TextFacts>) = paired.into_iter().unzip();
    let mut paths = BTreeSet::new();
    if let Some(file) = files.iter().find(|file| !paths.insert(file.path.as_str())) {
        return Err(EmitError(format!(
            "two artifacts would be written to `{}`",
            file.path
        )));
    }
    // A workload named `platform` would deploy as the platform stack.
    let mut stacks = BTreeSet::new();
    if let Some(stack) = files
        .iter()
        .filter_map(|file| file.stack.as_deref())
        .find(|stack| !stacks.insert(*stack))
    {
        return Err(EmitError(format!(
            "two templates would deploy as the stack `{stack}`; rename the workload"
        )));
    }
    let manifest = manifest_with(workspace, &files, texts, kinds)?;
    Ok(Artifacts { files, manifest })
}

/// The deploy order of each workload: 1 + the highest order of what it depends on (the platform
/// stack is 0). Validation guarantees there is no cycle; a workload that is nevertheless left
/// unresolved gets 1. One pass in dependency order (Kahn's algorithm), so chains of any length
/// cost their length.
pub fn deploy_orders(workspace: &Workspace) -> BTreeMap<String, u32> {
    let workloads = &workspace.workloads;
    let position: HashMap<&str, usize> = workloads
        .iter()
        .enumerate()
        .map(|(index, workload)| (workload.name.value.as_str(), index))
        .collect();
    let mut waiting_for = vec![0_usize; workloads.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); workloads.len()];
    for (index, workload) in workloads.iter().enumerate() {
        for dependency in &workload.depends_on {
            waiting_for[index] += 1;
            if let Some(&dependency) = position.get(dependency.value.as_str()) {
                dependents[dependency].push(index);
            }
        }
    }
    let mut highest_dependency = vec![0_u32; workloads.len()];
    let mut orders = vec![None; workloads.len()];
    let mut ready: Vec<usize> = (0..workloads.len())
        .filter(|index| waiting_for[*index] == 0)
        .collect();
    while let Some(index) = ready.pop() {
        let order = 1 + highest_dependency[index];
        orders[index] = Some(order);
        for &dependent in &dependents[index] {
            highest_dependency[dependent] = highest_dependency[dependent].max(order);
            waiting_for[dependent] -= 1;
            if waiting_for[dependent] == 0 {
                ready.push(dependent);
            }
        }
    }
    workloads
        .iter()
        .zip(orders)
        .map(|(workload, order)| (workload.name.value.clone(), order.unwrap_or(1)))
        .collect()
}

/// `manifest.json`: the workspace, environment, target and region, every artifact, and the
/// substitutions of the Kubernetes manifests' placeholders (when there are any). Fails when a
/// placeholder is not the output of exactly one stack.
pub fn manifest(workspace: &Workspace, files: &[Artifact]) -> Result<Manifest, EmitError> {
    manifest_with(workspace, files, texts(files), None)
}

/// [`manifest()`], given the [`TextFacts`] of each of `files` and the kinds the Kubernetes
/// artifacts apply (on `eks`; found from the workspace when not given).
fn manifest_with(
    workspace: &Workspace,
    files: &[Artifact],
    texts: Vec<TextFacts>,
    kinds: Option<&BTreeSet<String>>,
) -> Result<Manifest, EmitError> {
    let mut digests = Vec::with_capacity(texts.len());
    let mut placeholders = BTreeSet::new();
    for text in texts {
        digests.push(text.sha256);
        placeholders.extend(text.placeholders);
    }
    Ok(Manifest {
        berth: FORMAT_VERSION,
        workspace: workspace.name.value.clone(),
        environment: workspace.environment.value.clone(),
        target: workspace.target.value.name().to_owned(),
        region: workspace.region.value.clone(),
        source: None,
        artifacts: files
            .iter()
            .zip(digests)
            .map(|(file, sha256)| ManifestArtifact {
                path: file.path.clone(),
                kind: file.kind,
                stack: file.stack.clone(),
                order: file.order,
                sha256,
            })
            .collect(),
        substitutions: substitutions(files, &placeholders)?,
        stack_tags: deploy_facts::stack_tags(workspace),
        lock_stack: Some(deploy_facts::lock_stack(workspace)),
        images: deploy_facts::images(workspace, files),
        services: deploy_facts::services(workspace),
        endpoints: deploy_facts::endpoints(workspace),
        retained: deploy_facts::retained(files),
        eks: (workspace.target.value == Target::Eks).then(|| match kinds {
            Some(kinds) => cluster_facts::eks(workspace, kinds),
            None => cluster_facts::eks(workspace, &kubernetes::applied_kinds(workspace)),
        }),
    })
}

/// Each `${berth:KEY}` placeholder of the Kubernetes artifacts (`keys`), sorted by key, with
/// the stack whose output `KEY` fills it: the one CloudFormation artifact among `files` that
/// defines the output (the platform stack's `FileSystemId`, a workload stack's pod role ARN). A
/// placeholder no stack, or more than one, outputs is an error.
fn substitutions(
    files: &[Artifact],
    keys: &BTreeSet<String>,
) -> Result<Vec<Substitution>, EmitError> {
    // Which stacks output each key, gathered once: one lookup per placeholder.
    let mut outputs: HashMap<&str, Vec<&str>> = HashMap::new();
    for file in files
        .iter()
        .filter(|file| file.kind == ArtifactKind::Cloudformation)
    {
        let Some(stack) = file.stack.as_deref() else {
            continue;
        };
        for output in &file.outputs {
            outputs.entry(output.as_str()).or_default().push(stack);
        }
    }
    keys.iter()
        .map(|key| {
            let stacks = outputs.get(key.as_str()).map_or(&[][..], Vec::as_slice);
            match stacks {
                [stack] => Ok(Substitution {
                    placeholder: contract::placeholder(key),
                    stack: (*stack).to_owned(),
                    output: key.to_owned(),
                }),
                [] => Err(EmitError(format!(
                    "no stack outputs `{key}`, which the Kubernetes manifests read"
                ))),
                _ => Err(EmitError(format!(
                    "the stacks {} all output `{key}`; the placeholder is ambiguous",
                    stacks.join(", ")
                ))),
            }
        })
        .collect()
}
