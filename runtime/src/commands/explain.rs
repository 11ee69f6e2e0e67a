//! `berth explain CODE`: the section of `docs/diagnostics.md` for one code.

use std::fmt::Write as _;

use berth_compiler::Code;

use crate::EXIT_USAGE;
use crate::cli::ExplainArgs;
use crate::stdio;

/// The diagnostics reference, compiled in so `explain` works anywhere.
pub const DIAGNOSTICS_DOC: &str = include_str!("../../../docs/diagnostics.md");

/// Prints the explanation of a code, or the list of codes.
pub fn run(args: &ExplainArgs) -> u8 {
    if args.list {
        let mut list = String::new();
        for code in Code::ALL {
            let _ = writeln!(list, "{:<28} {}", code.qualified(), code.summary());
        }
        return stdio::print(&list);
    }
    let wanted = args.code.as_deref().unwrap_or_default();
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
