//! `berth fmt`: rewrite a workspace file in the canonical layout.

use crate::cli::FmtArgs;
use crate::report::{Style, render_human};
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
            eprint!(
                "{}",
                render_human(&diagnostics, &file, &source, Style::for_terminal())
            );
            return EXIT_INVALID;
        }
    };
    if args.stdout {
        print!("{formatted}");
        return EXIT_OK;
    }
    if formatted == source {
        return EXIT_OK;
    }
    if args.check {
        eprintln!("{file} is not formatted; run `berth fmt {file}`");
        return EXIT_INVALID;
    }
    match fs_err::write(&args.file, formatted) {
        Ok(()) => {
            eprintln!("formatted {file}");
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
    }
}
