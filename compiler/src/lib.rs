//! The berth compiler: a pure, in-memory pipeline from one KDL workspace file to a checked model.
//!
//! - [`parse`]: text to a KDL 2.0 document; syntax errors become coded diagnostics.
//! - [`lower()`]: document to the typed [`model::Workspace`], shape-checked against the language
//!   [`schema`], with the selected environment applied and `{{…}}` expressions rendered.
//! - [`validate()`]: cross-node and per-target rules; only it builds a [`Valid`] workspace.
//! - [`check`]: the three stages in a row, collecting every problem in one run.
//! - [`emit()`]: a valid workspace to CloudFormation (and, for eks, Kubernetes) artifacts and
//!   the [`manifest::Manifest`] the runtime deploys from.
//!
//! - [`portability`]: how a workspace on ECS maps onto EKS, per workload and setting.
//! - [`import`]: an ECS task definition, live ECS services or a Compose file to a workspace.
//!
//! Nothing here reads files, the environment or the network, and nothing prints.

pub mod cron;
pub mod diagnostics;
pub mod emit;
pub mod fargate;
mod format;
pub mod import;
mod interpolate;
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
pub mod units;
pub mod validate;

pub use diagnostics::{Code, Diagnostic, Severity};
pub use emit::emit;
pub use format::format;
pub use lower::{Options, lower};
pub use syntax::parse;
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

/// Parses, lowers and validates `source`, reporting every problem at once.
pub fn check(source: &str, options: &Options) -> Checked {
    let document = match parse(source) {
        Ok(document) => document,
        Err(diagnostics) => {
            return Checked {
                workspace: None,
                diagnostics,
            };
        }
    };
    let mut diagnostics = diagnostics::Diagnostics::default();
    let workspace = lower(&document, source, options, &mut diagnostics)
        .and_then(|workspace| validate(workspace, &mut diagnostics));
    Checked {
        workspace,
        diagnostics: diagnostics.into_sorted(),
    }
}
