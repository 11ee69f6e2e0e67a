//! Importers: what already runs (an ECS task definition, live ECS services, a Compose file)
//! turned into a workspace file, with a `//` note beside each workload for everything that could
//! not be carried over and why. Pure: text and JSON in, workspace text out.
//!
//! - [`draft`]: the workspace an importer builds, in the shape of the language.
//! - `fields`: reading JSON objects so that every field is either used or noted.
//! - `task`: an ECS task definition to a workload; `container`: one container definition.
//! - `ecs`: live ECS services (their task definitions, desired counts, networking, load
//!   balancers, discovery) to workloads; `routes`: a target group's listener rules to a route.
//! - `compose`: a Compose Specification file to workloads.
//! - `fit`: health check timings and task sizes brought into the ranges berth accepts.
//! - `names`: other tools' names made into DNS labels.
//! - `write`: the one writer of workspace text, in `berth fmt`'s layout.
//! - `finish`: write, check for the source's target and for eks, shorten names that would
//!   make generated AWS names too long, and report.

mod compose;
mod container;
pub mod draft;
mod ecs;
mod fields;
mod finish;
mod fit;
mod names;
mod secrets;
mod task;
mod write;

use std::collections::BTreeMap;

pub use ecs::{
    EcsCluster, EcsService, ListenerRoute, LoadBalancer, TargetGroup, cluster_region, ecs_services,
};
pub use finish::Imported;

use crate::model::Target;
use crate::source::Span;

/// What the user chose on the command line.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The workspace name (default: from the source).
    pub name: Option<String>,
    /// The target to write (default: what the source ran on, else `fargate`).
    pub target: Option<Target>,
    /// The AWS region to write (default: from the source, when it names one).
    pub region: Option<String>,
    /// Compose profiles to include besides the services without profiles.
    pub profiles: Vec<String>,
}

/// Files a Compose file refers to, read by the caller: `.env` beside it and each `env_file`,
/// keyed by the path as written in the Compose file.
#[derive(Clone, Debug, Default)]
pub struct ComposeFiles {
    /// The name of the directory the Compose file is in (Compose's default project name).
    pub directory: Option<String>,
    /// The `.env` file beside the Compose file, if there is one.
    pub dotenv: Option<String>,
    /// Each `env_file` that could be read.
    pub env_files: BTreeMap<String, String>,
}

/// Input that cannot be imported at all: not JSON or YAML, or not a task definition or
/// Compose file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// What is wrong.
    pub message: String,
    /// Where in the input, when known.
    pub span: Option<Span>,
    /// What to do.
    pub help: String,
}

impl ImportError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: None,
            help: help.into(),
        }
    }

    fn at(mut self, source: &str, line: usize, column: usize) -> Self {
        self.span = offset_of(source, line, column).map(|offset| Span::new(offset, 1));
        self
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for ImportError {}

/// The byte offset of 1-based `line` and `column` (in characters) in `source`.
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = source
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let text = source.get(start..)?;
    let within = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(index, _)| index);
    Some((start + within).min(source.len().saturating_sub(1)))
}

/// Imports a task definition: the output of `aws ecs describe-task-definition`, or the JSON
/// given to `register-task-definition`. `origin` names the input in the file's header.
pub fn task_definition(
    json: &str,
    origin: &str,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|error| {
        ImportError::new(
            format!("not JSON: {error}"),
            "give the output of `aws ecs describe-task-definition --task-definition NAME` or a task definition JSON file",
        )
        .at(json, error.line(), error.column())
    })?;
    let draft = task::task_definition_draft(&value, origin, options)?;
    Ok(finish::finish(draft))
}

/// The `env_file` paths a Compose file refers to, as written (relative to its directory), so
/// the caller can read them into [`ComposeFiles::env_files`].
pub fn compose_env_files(yaml: &str) -> Vec<String> {
    compose::referenced_files(yaml)
}

/// Imports a Compose file, with the files it refers to.
pub fn compose(
    yaml: &str,
    origin: &str,
    files: &ComposeFiles,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let draft = compose::compose_draft(yaml, origin, files, options)?;
    Ok(finish::finish(draft))
}
