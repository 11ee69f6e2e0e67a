//! `berth plan`: what a deploy would change, from CloudFormation's change sets.

use crate::cli::PlanArgs;
use crate::deploy::{Settings, preview};
use crate::{EXIT_INVALID, EXIT_OK, stdio};

use super::{render_deploy, session};

/// Exit code of `berth plan` when a deploy would change something.
pub const EXIT_CHANGES: u8 = 3;

/// Plans; exit 0 when nothing would change, 3 when something would, 1 when CloudFormation
/// rejects a template or AWS fails, 2 on an unusable build.
pub fn run(args: &PlanArgs) -> u8 {
    let build = match session::load_build(&args.source, args.format) {
        Ok(build) => build,
        Err(code) => return code,
    };
    let reporter = session::reporter(args.format);
    let mut settings = Settings::new("plan");
    settings.cluster = args.cluster.settings();
    let activity = settings.activity.clone();
    let result = session::run(&build, Some(args.timeout), &activity, |clients| {
        let (build, settings, reporter) = (&build, &settings, reporter.clone());
        async move { preview::plan(build, &clients, settings, reporter.as_ref()).await }
    });
    match result {
        Ok(plan) => {
            let text = session::outcome_text(&plan, args.format, render_deploy::plan_human);
            let printed = stdio::print(&text);
            if printed != EXIT_OK {
                printed
            } else if plan.has_rejections() {
                EXIT_INVALID
            } else if plan.has_changes() {
                EXIT_CHANGES
            } else {
                EXIT_OK
            }
        }
        Err(error) => session::render_error(&error, args.format),
    }
}
