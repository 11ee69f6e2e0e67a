//! `berth check`: validate only, the base and every environment unless `--env` names one.

use crate::cli::{CheckArgs, Format};
use crate::report::{Style, render_check, render_json};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK};

/// Checks the file (the base and every environment, or the one `--env` names) and prints
/// every diagnostic; exit 1 when there are errors.
pub fn run(args: &CheckArgs) -> u8 {
    let source = match super::read_source(&args.workspace.file) {
        Ok(source) => source,
        Err(code) => return code,
    };
    // One thread with room to parse: the parse runs in place on it, and what follows allocates
    // in the same arena instead of a parser thread's.
    berth_compiler::with_room_to_parse(source.len(), || check(args, &source))
}

/// [`run`] once the file is read.
fn check(args: &CheckArgs, source: &str) -> u8 {
    let file = args.workspace.file.display().to_string();
    let (report, document) = berth_compiler::check_environments_keeping_document(
        source,
        &super::options(&args.workspace),
    );
    // The process exits after the report: the parsed document (tens of megabytes in hundreds of
    // thousands of allocations for a large file, 12 ms to free at 1,000 workloads) is left to
    // the operating system, as compilers leave their syntax trees (clang's `-disable-free`).
    std::mem::forget(document);
    match args.format {
        Format::Json => {
            let json = render_json(&report.diagnostics, &file, source);
            let written = stdio::print(&format!("{json}\n"));
            if written != EXIT_OK {
                return written;
            }
        }
        Format::Human => {
            stdio::eprint(&render_check(&report, &file, source, Style::for_terminal()));
        }
    }
    if report.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
