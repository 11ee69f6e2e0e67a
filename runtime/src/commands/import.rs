//! `berth import`: read a task definition or a Compose file (and the files it refers to), let
//! the compiler's importer turn it into a workspace, then print it or write it without ever
//! replacing a file silently.

use std::io::Read as _;
use std::path::Path;

use berth_compiler::import::{self, ComposeFiles, ImportError, ImportOptions, Imported};

use crate::cli::{ComposeArgs, ImportOutputArgs, ImportSource, TaskDefinitionArgs};
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// Runs one import.
pub fn run(source: &ImportSource) -> u8 {
    match source {
        ImportSource::TaskDefinition(args) => task_definition(args),
        ImportSource::Compose(args) => compose(args),
    }
}

fn task_definition(args: &TaskDefinitionArgs) -> u8 {
    let (text, origin) = match read_input(&args.file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let options = options(&args.output, Vec::new());
    finish(
        import::task_definition(&text, &origin, &options),
        &text,
        &origin,
        &args.output,
    )
}

fn compose(args: &ComposeArgs) -> u8 {
    let (text, origin) = match read_input(&args.file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let directory = args
        .file
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut files = ComposeFiles {
        directory: std::path::absolute(directory).ok().and_then(|absolute| {
            absolute
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        }),
        dotenv: std::fs::read_to_string(directory.join(".env")).ok(),
        ..ComposeFiles::default()
    };
    for path in import::compose_env_files(&text) {
        if let Ok(content) = std::fs::read_to_string(directory.join(&path)) {
            files.env_files.insert(path, content);
        }
    }
    let options = options(&args.output, args.profiles.clone());
    finish(
        import::compose(&text, &origin, &files, &options),
        &text,
        &origin,
        &args.output,
    )
}

/// Reads the input file (`-`: standard input), naming it for the file's header.
fn read_input(path: &Path) -> Result<(String, String), u8> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return match std::io::stdin().read_to_string(&mut text) {
            Ok(_) => Ok((text, "standard input".to_owned())),
            Err(error) => {
                stdio::eprintln(&format!("error: cannot read standard input: {error}"));
                Err(EXIT_USAGE)
            }
        };
    }
    let text = super::read_source(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok((text, format!("`{name}`")))
}

fn options(output: &ImportOutputArgs, profiles: Vec<String>) -> ImportOptions {
    ImportOptions {
        name: output.name.clone(),
        target: output.target.map(crate::cli::TargetArg::target),
        region: output.region.clone().or_else(|| {
            std::env::var("AWS_REGION")
                .ok()
                .filter(|region| !region.is_empty())
        }),
        profiles,
    }
}

/// Prints or writes the imported workspace and reports how it checks.
pub(crate) fn finish(
    imported: Result<Imported, ImportError>,
    input: &str,
    origin: &str,
    output: &ImportOutputArgs,
) -> u8 {
    let imported = match imported {
        Ok(imported) => imported,
        Err(problem) => {
            stdio::eprint(&render_problem(&problem, origin, input));
            return EXIT_INVALID;
        }
    };
    match &output.out {
        None => {
            let printed = stdio::print(&imported.source);
            if printed != EXIT_OK {
                return printed;
            }
        }
        Some(path) => {
            if path.exists() && !output.force {
                stdio::eprintln(&format!(
                    "error: {} already exists; berth never replaces a file silently (pass --force to replace it, or choose another --out)",
                    path.display()
                ));
                return EXIT_USAGE;
            }
            if let Err(error) = fs_err::write(path, &imported.source) {
                stdio::eprintln(&format!("error: {error}"));
                return EXIT_USAGE;
            }
        }
    }
    let written = output
        .out
        .as_ref()
        .map_or_else(|| "berth.kdl".to_owned(), |path| path.display().to_string());
    let style = Style::for_terminal();
    let warnings = |diagnostics: &[berth_compiler::Diagnostic]| diagnostics.len();
    stdio::eprintln(&format!(
        "imported {} workload{} from {origin} with {} note{} on what could not be carried over",
        imported.workloads,
        if imported.workloads == 1 { "" } else { "s" },
        imported.notes,
        if imported.notes == 1 { "" } else { "s" },
    ));
    if imported.is_clean() {
        stdio::eprintln(&format!(
            "it checks clean for {} ({} warnings) and eks ({} warnings); next: `berth check {written}`, then `berth port --from {} --to eks {written}`",
            imported.target.name(),
            warnings(&imported.diagnostics),
            warnings(&imported.eks_diagnostics),
            imported.target.name(),
        ));
        return EXIT_OK;
    }
    let errors: Vec<berth_compiler::Diagnostic> = imported
        .diagnostics
        .iter()
        .chain(&imported.eks_diagnostics)
        .filter(|diagnostic| diagnostic.severity() == berth_compiler::Severity::Error)
        .cloned()
        .collect();
    stdio::eprint(&render_human(&errors, &written, &imported.source, style));
    stdio::eprintln("the imported file does not check clean yet; fix what is reported above");
    EXIT_INVALID
}

/// An input problem: what is wrong, the line of the input it is on (when known) and what to do.
fn render_problem(problem: &ImportError, origin: &str, input: &str) -> String {
    use std::fmt::Write as _;
    let mut rendered = String::new();
    let _ = writeln!(
        rendered,
        "error: cannot import {origin}: {}",
        problem.message
    );
    if let Some(span) = problem.span {
        let location = berth_compiler::source::LineIndex::new(input).locate(span.offset);
        let line = input
            .lines()
            .nth(location.line.saturating_sub(1))
            .unwrap_or_default();
        let _ = writeln!(
            rendered,
            "  at line {}, column {}:",
            location.line, location.column
        );
        let _ = writeln!(rendered, "    {line}");
        let _ = writeln!(
            rendered,
            "    {}^",
            " ".repeat(location.column.saturating_sub(1))
        );
    }
    let _ = writeln!(rendered, "  help: {}", problem.help);
    rendered
}
