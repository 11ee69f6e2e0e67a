//! What the deploy commands share: the build they deploy (a directory, or a workspace file built
//! in memory), the one async boundary (a tokio runtime only these commands start), `Ctrl-C` and
//! `--timeout`, and rendering a failure once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::manifest::{BuildOptions, Provenance};

use super::reporters;
use crate::aws::Aws;
use crate::cli::{DeploySource, Format};
use crate::deploy::build::Build;
use crate::deploy::error::DeployError;
use crate::deploy::event::Reporter;
use crate::deploy::{Activity, Clients};
use crate::report::{Style, render_human};
use crate::{EXIT_INVALID, EXIT_USAGE, stdio};

/// The build to deploy, or the exit code after saying why there is none.
pub(crate) fn load_build(source: &DeploySource, format: Format) -> Result<Build, u8> {
    if let Some(directory) = &source.from {
        return Build::from_directory(directory).map_err(|error| render_error(&error, format));
    }
    let super::CheckedFile {
        source: text,
        file,
        checked,
    } = super::check_file(&source.workspace)?;
    if !checked.diagnostics.is_empty() {
        stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &text,
            Style::for_terminal(),
        ));
    }
    let Some(workspace) = checked.workspace else {
        return Err(EXIT_INVALID);
    };
    let artifacts = emit(&workspace, TemplateFormat::Json).map_err(|error| {
        stdio::eprintln(&format!("error: {error}"));
        EXIT_USAGE
    })?;
    let mut manifest = artifacts.manifest.clone();
    manifest.source = Some(Provenance::new(
        file,
        &text,
        BuildOptions::new(&super::options(&source.workspace), "json"),
    ));
    Ok(Build::from_artifacts(&artifacts, manifest))
}

/// Runs `work` on a new tokio runtime with AWS clients for the build's region. `Ctrl-C` or
/// `timeout` stop waiting: the lock is given back and the error says what is still in progress.
pub(crate) fn run<T, F, Fut>(
    build: &Build,
    timeout: Option<Duration>,
    activity: &Activity,
    work: F,
) -> Result<T, DeployError>
where
    F: FnOnce(Clients) -> Fut,
    Fut: Future<Output = Result<T, DeployError>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return Err(DeployError::BuildUnreadable {
                directory: ".".into(),
                reason: format!("cannot start the async runtime: {error}"),
            });
        }
    };
    runtime.block_on(async {
        let aws = Aws::connect(&build.manifest.region).await;
        let clients = Clients::new(&aws, &build.manifest);
        let deadline = async {
            match timeout {
                Some(timeout) => tokio::time::sleep(timeout).await,
                None => std::future::pending().await,
            }
        };
        let stopped = tokio::select! {
            result = work(clients.clone()) => return result,
            _ = tokio::signal::ctrl_c() => DeployError::Interrupted {
                in_progress: activity.in_progress(),
            },
            () = deadline => DeployError::TimedOut {
                after: timeout.unwrap_or_default(),
                in_progress: activity.in_progress(),
            },
        };
        if let Some(lock) = activity.lock() {
            // Best effort: a lock left behind names its holder, and the help says how to clear it.
            let _ = clients
                .cloudformation
                .delete_stack()
                .stack_name(lock)
                .send()
                .await;
        }
        Err(stopped)
    })
}

/// The reporter for `format`: JSON lines, progress bars on a terminal, or a line per event.
pub(crate) fn reporter(format: Format) -> Arc<dyn Reporter> {
    match format {
        Format::Json => Arc::new(reporters::JsonLines),
        Format::Human => reporters::for_terminal(),
    }
}

/// What a deploy command prints on success: `outcome` as pretty JSON, or `human`'s rendering.
pub(crate) fn outcome_text<T: serde::Serialize>(
    outcome: &T,
    format: Format,
    human: impl FnOnce(&T) -> String,
) -> String {
    match format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(outcome).unwrap_or_default()
        ),
        Format::Human => human(outcome),
    }
}

/// Renders `error` once (stderr for people, stdout for `--format json`); returns its exit code.
pub(crate) fn render_error(error: &DeployError, format: Format) -> u8 {
    match format {
        Format::Json => {
            let value = super::render_deploy::error_json(error);
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            stdio::print(&format!("{text}\n"));
        }
        Format::Human => {
            stdio::eprint(&super::render_deploy::error_human(
                error,
                Style::for_terminal(),
            ));
        }
    }
    error.exit_code()
}
