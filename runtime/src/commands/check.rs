//! `berth check`: validate only.

use crate::cli::{CheckArgs, Format};
use crate::report::{Style, render_human, render_json};
use crate::{EXIT_INVALID, EXIT_OK};

/// Checks the file and prints every diagnostic; exit 1 when there are errors.
pub fn run(args: &CheckArgs) -> u8 {
    let path = &args.workspace.file;
    let source = match super::read_source(path) {
        Ok(source) => source,
        Err(code) => return code,
    };
    let checked = berth_compiler::check(&source, &super::options(&args.workspace));
    let file = path.display().to_string();
    match args.format {
        Format::Json => println!("{}", render_json(&checked.diagnostics, &file, &source)),
        Format::Human => eprint!(
            "{}",
            render_human(&checked.diagnostics, &file, &source, Style::for_terminal())
        ),
    }
    if checked.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
