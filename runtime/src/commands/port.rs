//! `berth port`: the portability report, as a table for people or JSON for machines.

use berth_compiler::Options;
use berth_compiler::model::Target;
use berth_compiler::portability;

use crate::cli::{Format, FromTarget, PortArgs};
use crate::report::{Style, render_human, render_port};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK};

/// Prints the report; exit 1 when the file is invalid for `--from`, or lossy with `--deny-lossy`.
pub fn run(args: &PortArgs) -> u8 {
    let source = match super::read_source(&args.file) {
        Ok(source) => source,
        Err(code) => return code,
    };
    let file = args.file.display().to_string();
    let options = Options {
        environment: args.environment.clone(),
        vars: args.vars.clone(),
        target: None,
        region: args.region.clone(),
        default_region: super::aws_region(),
        today: super::today(),
    };
    let from = args.from.map_or_else(
        || {
            let written = berth_compiler::check(&source, &options)
                .workspace
                .map(|workspace| workspace.target.value);
            match written {
                Some(Target::Ecs) => Target::Ecs,
                _ => Target::Fargate,
            }
        },
        |from| match from {
            FromTarget::Ecs => Target::Ecs,
            FromTarget::Fargate => Target::Fargate,
        },
    );
    let report = match portability::report(&source, &options, from, Target::Eks) {
        Ok(report) => report,
        Err(diagnostics) => {
            stdio::eprint(&render_human(
                &diagnostics,
                &file,
                &source,
                Style::for_terminal(),
            ));
            stdio::eprintln(&format!(
                "{file} must be valid for {} to be ported",
                from.name()
            ));
            return EXIT_INVALID;
        }
    };
    let text = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        Format::Human => render_port(&report, &file),
    };
    let printed = stdio::print(&text);
    if printed != EXIT_OK {
        return printed;
    }
    if args.deny_lossy && report.is_lossy() {
        stdio::eprintln(&format!(
            "{} setting{} of {file} do not map exactly onto {} (--deny-lossy)",
            report.summary.approximate + report.summary.unsupported,
            if report.summary.approximate + report.summary.unsupported == 1 {
                ""
            } else {
                "s"
            },
            report.to
        ));
        return EXIT_INVALID;
    }
    EXIT_OK
}
