//! `berth status`: the stacks, services and endpoints as deployed.

use crate::cli::StatusArgs;
use crate::deploy::{Activity, Settings, status};
use crate::stdio;

use super::{render_deploy, session};

/// Reports; exit 0 (also when nothing is deployed), 1 when AWS fails, 2 on an unusable build.
pub fn run(args: &StatusArgs) -> u8 {
    let build = match session::load_build(&args.source, args.format) {
        Ok(build) => build,
        Err(code) => return code,
    };
    let mut settings = Settings::new("status");
    settings.cluster = args.cluster.settings();
    let result = session::run(&build, None, &Activity::default(), |clients| {
        let (build, settings) = (&build, &settings);
        async move { status::status(build, &clients, settings).await }
    });
    match result {
        Ok(outcome) => {
            let text = session::outcome_text(&outcome, args.format, |outcome| {
                render_deploy::status_human(outcome)
            });
            stdio::print(&text)
        }
        Err(error) => session::render_error(&error, args.format),
    }
}
