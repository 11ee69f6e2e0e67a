//! One module per command. Each returns the process exit code and prints its own output.

mod build;
mod check;
mod completions;
mod deploy;
mod destroy;
mod explain;
mod fmt;
mod import;
mod init;
mod plan;
mod port;
pub mod render_deploy;
mod reporters;
mod session;
mod status;

use std::path::Path;

use crate::cli::{Cli, Command, TargetArg, WorkspaceArgs};
use crate::stdio;
use berth_compiler::Options;

pub use explain::{DEPLOY_DOC, DIAGNOSTICS_DOC, explanation, runtime_explanation};
pub use plan::EXIT_CHANGES;
pub use reporters::describe as describe_event;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Import(source) => import::run(&source),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Port(args) => port::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Deploy(args) => deploy::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Destroy(args) => destroy::run(&args),
        Command::Schema => {
            let schema = berth_compiler::schema::to_json();
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            stdio::print(&format!("{text}\n"))
        }
    }
}

/// Reads a workspace file, or says why not (naming the path) and returns the usage exit code.
pub(crate) fn read_source(path: &Path) -> Result<String, u8> {
    fs_err::read_to_string(path).map_err(|error| {
        stdio::eprintln(&format!("error: {error}"));
        crate::EXIT_USAGE
    })
}

/// A workspace file read and checked: its source, its name as given, and the outcome.
pub(crate) struct CheckedFile {
    /// The file's text.
    pub source: String,
    /// The path as the user gave it, for reports.
    pub file: String,
    /// Diagnostics and, when valid, the workspace.
    pub checked: berth_compiler::Checked,
}

/// Reads and checks the workspace `args` names; on an I/O error says why and returns the exit code.
pub(crate) fn check_file(args: &WorkspaceArgs) -> Result<CheckedFile, u8> {
    Ok(check_source(args, read_source(&args.file)?))
}

/// Checks `source`, the text of the workspace `args` names.
pub(crate) fn check_source(args: &WorkspaceArgs, source: String) -> CheckedFile {
    let checked = berth_compiler::check(&source, &options(args));
    CheckedFile {
        source,
        file: args.file.display().to_string(),
        checked,
    }
}

/// The compiler options from the command line and the process environment.
pub(crate) fn options(args: &WorkspaceArgs) -> Options {
    Options {
        environment: args.environment.clone(),
        vars: args.vars.clone(),
        target: args.target.map(TargetArg::target),
        region: args.region.clone(),
        default_region: aws_region(),
        today: today(),
    }
}

/// The day of the check (UTC): `SOURCE_DATE_EPOCH` when set, as reproducible builds do, else the
/// clock. Whether an EKS version is still supported depends on it.
pub(crate) fn today() -> Option<berth_compiler::eks_versions::Date> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value.trim().parse::<i64>().ok()?,
        Err(_) => i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs(),
        )
        .ok()?,
    };
    berth_compiler::eks_versions::Date::from_unix_seconds(seconds)
}

/// `AWS_REGION`, when set and not empty: the region for a file that names none.
pub(crate) fn aws_region() -> Option<String> {
    std::env::var("AWS_REGION")
        .ok()
        .filter(|region| !region.is_empty())
}
