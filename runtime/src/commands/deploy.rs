//! `berth deploy`: deploy the stacks in order, wait for the rollouts, print the endpoints.

use crate::cli::DeployArgs;
use crate::deploy::{Settings, apply};
use crate::stdio;

use super::{render_deploy, session};

/// Deploys; exit 0 when deployed or unchanged, 1 on failure, 2 on an unusable build, 130 on
/// `Ctrl-C`.
pub fn run(args: &DeployArgs) -> u8 {
    let build = match session::load_build(&args.source, args.format) {
        Ok(build) => build,
        Err(code) => return code,
    };
    let reporter = session::reporter(args.format);
    let mut settings = Settings::new("deploy");
    settings.cluster = args.cluster.settings();
    settings.cluster.force_conflicts = args.force_conflicts;
    settings.lock_wait = args.lock_wait;
    let activity = settings.activity.clone();
    let result = session::run(&build, Some(args.timeout), &activity, |clients| {
        let (build, settings, reporter) = (&build, &settings, reporter.clone());
        async move { apply::deploy(build, &clients, settings, reporter.as_ref()).await }
    });
    match result {
        Ok(outcome) => {
            let text = session::outcome_text(&outcome, args.format, |outcome| {
                render_deploy::deploy_human(
                    outcome,
                    &build.manifest.workspace,
                    &build.manifest.environment,
                )
            });
            stdio::print(&text)
        }
        Err(error) => session::render_error(&error, args.format),
    }
}
