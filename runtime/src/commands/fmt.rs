//! `berth fmt`: rewrite a workspace file in the canonical layout.

use crate::cli::FmtArgs;
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// Formats the file in place (or checks, or prints); exit 1 on syntax errors or `--check` changes.
pub fn run(args: &FmtArgs) -> u8 {
    let source = match super::read_source(&args.file) {
        Ok(source) => source,
        Err(code) => return code,
    };
    let file = args.file.display().to_string();
    let formatted = match berth_compiler::format(&source) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            stdio::eprint(&render_human(
                &diagnostics,
                &file,
                &source,
                Style::for_terminal(),
            ));
            return EXIT_INVALID;
        }
    };
    if args.stdout {
        return stdio::print(&formatted);
    }
    if formatted == source {
        return EXIT_OK;
    }
    if args.check {
        stdio::eprintln(&format!("{file} is not formatted; run `berth fmt {file}`"));
        return EXIT_INVALID;
    }
    match fs_err::write(&args.file, formatted) {
        Ok(()) => {
            stdio::eprintln(&format!("formatted {file}"));
            EXIT_OK
        }
        Err(error) => {
            stdio::eprintln(&format!("error: {error}"));
            EXIT_USAGE
        }
    }
}
