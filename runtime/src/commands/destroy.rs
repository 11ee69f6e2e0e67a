//! `berth destroy`: delete the stacks in reverse order, after confirmation.

use std::io::{BufRead, IsTerminal};

use crate::cli::DestroyArgs;
use crate::deploy::{Settings, destroy};
use crate::{EXIT_INVALID, EXIT_USAGE, stdio};

use super::{render_deploy, session};

/// Destroys; exit 0 when destroyed (or nothing was deployed), 1 on failure or a refused
/// confirmation, 2 without `--yes` off a terminal or on an unusable build, 130 on `Ctrl-C`.
pub fn run(args: &DestroyArgs) -> u8 {
    let build = match session::load_build(&args.source, args.format) {
        Ok(build) => build,
        Err(code) => return code,
    };
    let manifest = &build.manifest;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            stdio::eprintln(
                "error: berth destroy deletes every stack of the workspace and environment and asks \
                 first; pass --yes to confirm when not on a terminal",
            );
            return EXIT_USAGE;
        }
        let stacks: Vec<&str> = manifest.stacks().map(|(stack, _)| stack).collect();
        stdio::eprint(&format!(
            "This deletes {} ({}) in {}: {} and any other stack tagged with them.\nType the \
             workspace name ({}) to confirm: ",
            manifest.workspace,
            manifest.environment,
            manifest.region,
            stacks.join(", "),
            manifest.workspace
        ));
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != manifest.workspace {
            stdio::eprintln("not confirmed; nothing was deleted");
            return EXIT_INVALID;
        }
    }
    let reporter = session::reporter(args.format);
    let mut settings = Settings::new("destroy");
    settings.cluster = args.cluster.settings();
    settings.lock_wait = args.lock_wait;
    settings.delete_images = args.delete_images;
    let activity = settings.activity.clone();
    let result = session::run(&build, Some(args.timeout), &activity, |clients| {
        let (build, settings, reporter) = (&build, &settings, reporter.clone());
        async move { destroy::destroy(build, &clients, settings, reporter.as_ref()).await }
    });
    match result {
        Ok(outcome) => {
            let text = session::outcome_text(&outcome, args.format, |outcome| {
                render_deploy::destroy_human(outcome, &manifest.workspace, &manifest.environment)
            });
            stdio::print(&text)
        }
        Err(error) => session::render_error(&error, args.format),
    }
}
