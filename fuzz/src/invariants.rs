//! What must hold for every document, whatever it contains. A broken invariant is a
//! [`Failure`]; a panic anywhere in here is one too (the driver catches it).
//!
//! - `check` ends in a valid workspace or at least one error, with every label inside the file
//!   and on a character boundary;
//! - JSON diagnostics carry a line and column inside the file; human rendering never panics;
//! - `fmt` is idempotent, and the formatted file has the same diagnostics and, when valid, the
//!   same build output;
//! - `build` of a clean document is byte-identical across runs.

use std::fmt::Write as _;

use berth::report::{Style, render_human, render_json};
use berth_compiler::emit::{Artifacts, TemplateFormat, emit};
use berth_compiler::source::LineIndex;
use berth_compiler::{Checked, Diagnostic, Options, check, format};

/// A broken invariant, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(message.into()))
}

/// What a document did, for the driver's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The parser refused it.
    Syntax,
    /// It parsed but has errors.
    Invalid,
    /// It checked clean (warnings allowed) and was built.
    Built,
}

/// Parse, check, render and format `source`; builds it too when it checks clean.
pub fn parse_check(source: &str, options: &Options) -> Result<Outcome, Failure> {
    parse_agrees_with_kdl(source)?;
    let checked = check(source, options);
    diagnostics_in_bounds(source, &checked)?;
    json_positions_in_file(source, &checked.diagnostics)?;
    let _ = render_human(&checked.diagnostics, "berth.kdl", source, Style::plain());
    let syntax = checked.diagnostics.iter().any(|diagnostic| {
        diagnostic.code.name() == "syntax" || diagnostic.code.name() == "nesting-too-deep"
    });
    match format(source) {
        Ok(formatted) => {
            if syntax {
                return fail("fmt accepted a document that check rejects as syntax");
            }
            fmt_keeps_meaning(source, &formatted, &checked, options)?;
        }
        Err(_) if syntax => return Ok(Outcome::Syntax),
        Err(_) => return fail("fmt rejected a document that parses"),
    }
    match &checked.workspace {
        Some(_) => {
            build_is_stable(&checked)?;
            Ok(Outcome::Built)
        }
        None => Ok(Outcome::Invalid),
    }
}

/// berth parses the text with its comments blanked; on a document small enough for the `kdl`
/// crate to read whole, that must give the same nodes, values and positions, or the same refusal.
fn parse_agrees_with_kdl(source: &str) -> Result<(), Failure> {
    if source.len() > 1024 {
        return Ok(());
    }
    let ours = berth_compiler::parse(source);
    if let Err(problems) = &ours {
        let ours_only = problems.iter().any(|problem| {
            problem.code.name() == "nesting-too-deep"
                || problem.message.ends_with("is never closed")
        });
        if ours_only {
            return Ok(());
        }
    }
    // The crate recurses once per stray character: give it the room berth gives it.
    let theirs = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn_scoped(scope, || source.parse::<kdl::KdlDocument>())
            .map_err(|error| Failure(format!("starting a parser thread: {error}")))?
            .join()
            .map_err(|_| Failure("the kdl crate panicked".to_owned()))
    })?;
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) if dump(ours) != dump(theirs) => fail(format!(
            "blanking comments changed the document:\nours: {}\nkdl's: {}",
            dump(ours),
            dump(theirs)
        )),
        (Ok(_), Err(_)) => fail("berth parses a document the kdl crate refuses"),
        (Err(_), Ok(_)) => fail("berth refuses a document the kdl crate parses"),
        _ => Ok(()),
    }
}

/// The nodes, entries, values and spans of a document, without its formatting.
fn dump(document: &kdl::KdlDocument) -> String {
    let mut text = String::new();
    for node in document.nodes() {
        let _ = write!(text, "{}@{:?}(", node.name().value(), node.name().span());
        for entry in node.entries() {
            let _ = write!(
                text,
                "{:?}={:?}@{:?} ",
                entry.name().map(kdl::KdlIdentifier::value),
                entry.value(),
                entry.span()
            );
        }
        text.push(')');
        if let Some(children) = node.children() {
            let _ = write!(text, "{{{}}}", dump(children));
        }
        text.push(';');
    }
    text
}

fn diagnostics_in_bounds(source: &str, checked: &Checked) -> Result<(), Failure> {
    if checked.workspace.is_none() && !checked.has_errors() {
        return fail("no workspace and no error");
    }
    for diagnostic in &checked.diagnostics {
        for label in &diagnostic.labels {
            if label.span.end() > source.len() {
                return fail(format!("label past the end of the file: {diagnostic:?}"));
            }
            if !source.is_char_boundary(label.span.offset)
                || !source.is_char_boundary(label.span.end())
            {
                return fail(format!("label inside a character: {diagnostic:?}"));
            }
        }
    }
    Ok(())
}

fn json_positions_in_file(source: &str, diagnostics: &[Diagnostic]) -> Result<(), Failure> {
    let index = LineIndex::new(source);
    let report: serde_json::Value =
        serde_json::from_str(&render_json(diagnostics, "berth.kdl", source))
            .map_err(|error| Failure(format!("JSON report does not parse: {error}")))?;
    let lines: Vec<usize> = (0..index.line_count())
        .map(|line| {
            let start = index.line_start(line);
            let end = index.line_start(line + 1);
            source[start..end]
                .trim_end_matches(['\n', '\r'])
                .chars()
                .count()
        })
        .collect();
    for item in report["diagnostics"].as_array().into_iter().flatten() {
        let places = std::iter::once(item).chain(item["labels"].as_array().into_iter().flatten());
        for place in places {
            let line = place["line"]
                .as_u64()
                .and_then(|line| usize::try_from(line).ok());
            let column = place["column"]
                .as_u64()
                .and_then(|column| usize::try_from(column).ok());
            let (Some(line), Some(column)) = (line, column) else {
                return fail(format!("a JSON diagnostic without line and column: {item}"));
            };
            let inside =
                line >= 1 && line <= lines.len() && column >= 1 && column <= lines[line - 1] + 1;
            if !inside {
                return fail(format!(
                    "JSON position {line}:{column} is outside the file: {item}"
                ));
            }
        }
    }
    Ok(())
}

/// The diagnostics without positions, sorted: what fmt must not change.
fn meaning(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut meaning: Vec<String> = diagnostics
        .iter()
        .map(|diagnostic| {
            let labels: Vec<&str> = diagnostic
                .labels
                .iter()
                .map(|label| label.message.as_str())
                .collect();
            format!(
                "{} {} {:?} {labels:?}",
                diagnostic.code, diagnostic.message, diagnostic.help
            )
        })
        .collect();
    meaning.sort();
    meaning
}

fn fmt_keeps_meaning(
    source: &str,
    formatted: &str,
    checked: &Checked,
    options: &Options,
) -> Result<(), Failure> {
    match format(formatted) {
        Ok(again) if again == formatted => {}
        Ok(_) => return fail("fmt is not idempotent"),
        Err(_) => return fail("fmt's output does not parse"),
    }
    let reformatted = check(formatted, options);
    if meaning(&reformatted.diagnostics) != meaning(&checked.diagnostics) {
        return fail(format!(
            "fmt changed the diagnostics:\nbefore: {:#?}\nafter: {:#?}",
            meaning(&checked.diagnostics),
            meaning(&reformatted.diagnostics)
        ));
    }
    if let (Some(before), Some(after)) = (&checked.workspace, &reformatted.workspace) {
        for format in [TemplateFormat::Json, TemplateFormat::Yaml] {
            if emitted(emit(before, format)) != emitted(emit(after, format)) {
                return fail(format!("fmt changed the build output ({format:?})"));
            }
        }
    }
    let _ = source;
    Ok(())
}

/// Everything a build writes, as comparable text.
fn emitted(
    artifacts: Result<Artifacts, berth_compiler::emit::EmitError>,
) -> Result<Vec<(String, String)>, String> {
    artifacts
        .map(|artifacts| {
            artifacts
                .files
                .into_iter()
                .map(|file| (file.path, file.content))
                .chain([("manifest.json".to_owned(), artifacts.manifest.to_json())])
                .collect()
        })
        .map_err(|error| error.0)
}

fn build_is_stable(checked: &Checked) -> Result<(), Failure> {
    let Some(workspace) = &checked.workspace else {
        return Ok(());
    };
    for format in [TemplateFormat::Json, TemplateFormat::Yaml] {
        let first = emitted(emit(workspace, format));
        if let Err(error) = &first {
            return fail(format!("a valid workspace failed to emit: {error}"));
        }
        if first != emitted(emit(workspace, format)) {
            return fail("two builds of one workspace differ");
        }
    }
    Ok(())
}
