//! `berth explain CODE`: the section of `docs/diagnostics.md` for one code of the compiler, or
//! of `docs/deploy.md` for one code of the deploy commands.

use std::fmt::Write as _;

use berth_compiler::Code;

use crate::deploy::error::RuntimeCode;

use crate::EXIT_USAGE;
use crate::cli::ExplainArgs;
use crate::stdio;

/// The diagnostics reference, compiled in so `explain` works anywhere.
pub const DIAGNOSTICS_DOC: &str = include_str!("../../../docs/diagnostics.md");

/// The deploy guide, whose `### berth::CODE` sections explain the deploy commands' codes.
pub const DEPLOY_DOC: &str = include_str!("../../../docs/deploy.md");

/// Prints the explanation of a code, or the list of codes.
pub fn run(args: &ExplainArgs) -> u8 {
    if args.list {
        let mut list = String::new();
        for code in Code::ALL {
            let _ = writeln!(list, "{:<28} {}", code.qualified(), code.summary());
        }
        for code in RuntimeCode::ALL {
            let _ = writeln!(list, "{:<28} {}", code.qualified(), code.summary());
        }
        return stdio::print(&list);
    }
    let wanted = args.code.as_deref().unwrap_or_default();
    if let Some(code) = RuntimeCode::from_name(wanted) {
        if let Some(text) = runtime_explanation(code) {
            return stdio::print(&format!("{text}\n"));
        }
        stdio::eprintln(&format!(
            "error: no explanation is written for `{}`",
            code.qualified()
        ));
        return EXIT_USAGE;
    }
    let Some(code) = Code::from_name(wanted) else {
        stdio::eprintln(&format!(
            "error: `{wanted}` is not a berth diagnostic code; `berth explain --list` shows them all"
        ));
        return EXIT_USAGE;
    };
    if let Some(text) = explanation(code) {
        stdio::print(&format!("{text}\n"))
    } else {
        stdio::eprintln(&format!(
            "error: no explanation is written for `{}`",
            code.qualified()
        ));
        EXIT_USAGE
    }
}

/// The markdown section headed `## berth::CODE`, without its heading, trimmed.
pub fn explanation(code: Code) -> Option<String> {
    let heading = format!("## {}", code.qualified());
    let start = DIAGNOSTICS_DOC
        .lines()
        .position(|line| line.trim() == heading)?;
    let body: Vec<&str> = DIAGNOSTICS_DOC
        .lines()
        .skip(start + 1)
        .take_while(|line| !line.starts_with("## "))
        .collect();
    let text = body.join("\n").trim().to_owned();
    (!text.is_empty()).then(|| {
        format!(
            "{} ({})\n\n{text}",
            code.qualified(),
            code.severity().name()
        )
    })
}

/// The `### berth::CODE` section of `docs/deploy.md`, without its heading, trimmed.
pub fn runtime_explanation(code: RuntimeCode) -> Option<String> {
    let heading = format!("### {}", code.qualified());
    let start = DEPLOY_DOC.lines().position(|line| line.trim() == heading)?;
    let body: Vec<&str> = DEPLOY_DOC
        .lines()
        .skip(start + 1)
        .take_while(|line| !line.starts_with("## ") && !line.starts_with("### "))
        .collect();
    let text = body.join("\n").trim().to_owned();
    (!text.is_empty()).then(|| format!("{} (deploy error)\n\n{text}", code.qualified()))
}
