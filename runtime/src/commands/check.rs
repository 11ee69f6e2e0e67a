//! `berth check`: validate only.

use crate::cli::{CheckArgs, Format};
use crate::report::{Style, render_human, render_json};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK};

/// Checks the file and prints every diagnostic; exit 1 when there are errors.
pub fn run(args: &CheckArgs) -> u8 {
    let super::CheckedFile {
        source,
        file,
        checked,
    } = match super::check_file(&args.workspace) {
        Ok(checked_file) => checked_file,
        Err(code) => return code,
    };
    match args.format {
        Format::Json => {
            let json = render_json(&checked.diagnostics, &file, &source);
            let written = stdio::print(&format!("{json}\n"));
            if written != EXIT_OK {
                return written;
            }
        }
        Format::Human => stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &source,
            Style::for_terminal(),
        )),
    }
    if checked.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
