//! The berth compiler: a pure, in-memory pipeline from one KDL workspace file to a checked model.
//!
//! - [`parse`]: text to a KDL 2.0 document; syntax errors become coded diagnostics.
//! - [`lower()`]: document to the typed [`model::Workspace`], shape-checked against the language
//!   [`schema`], with the selected environment applied and `{{…}}` expressions rendered.
//! - [`validate()`]: cross-node and per-target rules; only it builds a [`Valid`] workspace.
//! - [`check`]: the three stages in a row, collecting every problem in one run;
//!   [`check_environments`] does so for the base workspace and each of its environments.
//! - [`emit()`]: a valid workspace to CloudFormation (and, for eks, Kubernetes) artifacts and
//!   the [`manifest::Manifest`] the runtime deploys from.
//!
//! - [`portability`]: how a workspace on ECS maps onto EKS, per workload and setting.
//! - [`import`]: an ECS task definition, live ECS services or a Compose file to a workspace.
//!
//! Nothing here reads files, the environment or the network, and nothing prints.

use std::collections::{HashMap, HashSet};

pub mod cron;
pub mod diagnostics;
pub mod eks_versions;
pub mod emit;
pub mod fargate;
mod format;
pub mod import;
pub mod instance_types;
mod interpolate;
mod lexical;
pub mod lower;
pub mod manifest;
pub mod model;
pub mod naming;
pub mod portability;
pub mod schema;
pub mod secret_ref;
pub mod source;
mod suggest;
mod syntax;
pub mod threads;
pub mod units;
pub mod validate;

pub use diagnostics::{Code, Diagnostic, Severity};
pub use emit::emit;
pub use format::format;
pub use lower::{Options, lower};
pub use syntax::{parse, with_room_to_parse};
pub use validate::{Valid, validate};

/// The outcome of checking one workspace file.
#[derive(Debug)]
pub struct Checked {
    /// The valid workspace, when there were no errors.
    pub workspace: Option<Valid<model::Workspace>>,
    /// Every error and warning, ordered by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity() == Severity::Error)
    }
}

/// Parses, lowers and validates `source` for the environment `options` selects (the base
/// when none), reporting every problem at once.
pub fn check(source: &str, options: &Options) -> Checked {
    match parse(source) {
        Ok(document) => check_document(&document, source, options),
        Err(diagnostics) => Checked {
            workspace: None,
            diagnostics,
        },
    }
}

fn check_document(document: &kdl::KdlDocument, source: &str, options: &Options) -> Checked {
    let mut diagnostics = diagnostics::Diagnostics::default();
    lower::check_shape(document, source, &mut diagnostics);
    check_shaped(document, source, options, diagnostics)
}

/// Lowers and validates `document`, whose shape problems `diagnostics` already holds.
fn check_shaped(
    document: &kdl::KdlDocument,
    source: &str,
    options: &Options,
    mut diagnostics: diagnostics::Diagnostics,
) -> Checked {
    let workspace = lower::lower_shaped(document, source, options, &mut diagnostics)
        .and_then(|workspace| validate(workspace, &mut diagnostics));
    Checked {
        workspace,
        diagnostics: diagnostics.into_sorted(),
    }
}

/// The outcome of checking a workspace file in each of its environments.
#[derive(Debug)]
pub struct CheckedEnvironments {
    /// Whether the base workspace (the file without `--env`) was checked.
    pub base: bool,
    /// The environments checked besides the base, in file order (only the selected one when
    /// `--env` names one).
    pub environments: Vec<String>,
    /// Every error and warning once, ordered by position; each says in
    /// [`Diagnostic::environments`] which environments it was found in (none: the base).
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckedEnvironments {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity() == Severity::Error)
    }
}

/// Checks `source` as [`check`] does, for the base workspace and then for every environment
/// it declares, so that a mistake in an environment that is not selected is found too; with
/// `options.environment` set, checks only that environment.
///
/// A problem of the base is reported once, without environments, even though each environment
/// inherits it; a problem found only with environments applied names them.
pub fn check_environments(source: &str, options: &Options) -> CheckedEnvironments {
    check_environments_keeping_document(source, options).0
}

/// [`check_environments`], handing back the parsed document (none when the file does not
/// parse) instead of freeing it, for a caller that frees it later or never: a process that
/// exits after the report need not free the tens of megabytes the parser allocates for a large
/// file piece by piece.
pub fn check_environments_keeping_document(
    source: &str,
    options: &Options,
) -> (CheckedEnvironments, Option<kdl::KdlDocument>) {
    match parse(source) {
        Ok(document) => {
            let checked = check_parsed_environments(&document, source, options);
            (checked, Some(document))
        }
        Err(diagnostics) => {
            let checked = CheckedEnvironments {
                base: options.environment.is_none(),
                environments: options.environment.iter().cloned().collect(),
                diagnostics,
            };
            (checked, None)
        }
    }
}

/// [`check_environments`] of a parsed `document`.
fn check_parsed_environments(
    document: &kdl::KdlDocument,
    source: &str,
    options: &Options,
) -> CheckedEnvironments {
    if let Some(selected) = &options.environment {
        let mut diagnostics = check_document(document, source, options).diagnostics;
        for diagnostic in &mut diagnostics {
            if diagnostic.code != Code::UnknownEnvironment {
                diagnostic.environments = vec![selected.clone()];
            }
        }
        return CheckedEnvironments {
            base: false,
            environments: vec![selected.clone()],
            diagnostics,
        };
    }
    let environments = lower::environment_names(document);
    // The shape of the document is the same whichever environment is selected: checked once.
    let mut shape = diagnostics::Diagnostics::default();
    lower::check_shape(document, source, &mut shape);
    let base = check_shaped(document, source, options, shape.clone()).diagnostics;
    // Hashed, so that merging costs the number of diagnostics, not its square.
    let in_base: HashSet<&Diagnostic> = base.iter().collect();
    let mut found_in_environments: Vec<Diagnostic> = Vec::new();
    let mut found_at: HashMap<Diagnostic, usize> = HashMap::new();
    for environment in &environments {
        let selected = Options {
            environment: Some(environment.clone()),
            ..options.clone()
        };
        for diagnostic in check_shaped(document, source, &selected, shape.clone()).diagnostics {
            if in_base.contains(&diagnostic) {
                continue;
            }
            // The problem without its environments is its identity (`same_problem`).
            let problem = Diagnostic {
                environments: Vec::new(),
                ..diagnostic
            };
            if let Some(&index) = found_at.get(&problem) {
                found_in_environments[index]
                    .environments
                    .push(environment.clone());
            } else {
                found_at.insert(problem.clone(), found_in_environments.len());
                found_in_environments.push(Diagnostic {
                    environments: vec![environment.clone()],
                    ..problem
                });
            }
        }
    }
    drop(in_base);
    let mut diagnostics = base;
    diagnostics.extend(found_in_environments);
    diagnostics::sort(&mut diagnostics);
    CheckedEnvironments {
        base: true,
        environments,
        diagnostics,
    }
}
