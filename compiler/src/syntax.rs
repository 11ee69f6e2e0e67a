//! Text to KDL document: the `kdl` crate parses (KDL 2.0), and its errors become our own
//! coded diagnostics pointing into the named source.

use kdl::KdlDocument;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

/// Parses `source` as a KDL 2.0 document, or returns every syntax error the parser found.
pub fn parse(source: &str) -> Result<KdlDocument, Vec<Diagnostic>> {
    source.parse::<KdlDocument>().map_err(|error| {
        let problems: Vec<_> = error.diagnostics;
        // kdl reports an unclosed block twice: once at the `{`, once at the end of the file.
        let unclosed = problems.iter().any(|problem| {
            problem
                .message
                .as_deref()
                .is_some_and(|text| text.starts_with("No closing '}'"))
        });
        let mut diagnostics: Vec<Diagnostic> = problems
            .into_iter()
            .filter(|problem| {
                !(unclosed
                    && problem
                        .message
                        .as_deref()
                        .is_some_and(|text| text.contains("was not found after nodes")))
            })
            .map(|problem| {
                let span = clamp(Span::from(problem.span), source.len());
                let message = problem
                    .message
                    .map_or_else(|| "invalid KDL".to_owned(), |text| lowercase_first(&text));
                let label = problem.label.unwrap_or_else(|| "here".to_owned());
                let help = problem.help.unwrap_or_else(|| {
                    "berth files are KDL 2.0: strings are quoted, booleans are `#true`/`#false`, \
                     and nodes on one line are separated by `;`"
                        .to_owned()
                });
                let written = source.get(span.offset..span.end()).unwrap_or_default();
                let (message, help) = explain_keyword(written).unwrap_or((message, help));
                Diagnostic::new(Code::Syntax, message, span, label).with_help(help)
            })
            .collect();
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::new(
                Code::Syntax,
                "the file is not valid KDL 2.0",
                Span::new(0, 0),
                "here",
            ));
        }
        diagnostics
    })
}

/// Better words for the two mistakes KDL 1 habits cause most: bare keywords and unquoted versions.
fn explain_keyword(written: &str) -> Option<(String, String)> {
    let word = written.trim();
    if ["true", "false", "null"].contains(&word) {
        return Some((
            format!("`{word}` must be written `#{word}` in KDL 2.0"),
            format!("write `#{word}`"),
        ));
    }
    let looks_like_version = word.split('.').count() > 2
        && word.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|character| character.is_ascii_digit())
        });
    looks_like_version.then(|| {
        (
            format!("`{word}` is not a number"),
            format!("quote it: `\"{word}\"`"),
        )
    })
}

fn clamp(span: Span, length: usize) -> Span {
    let offset = span.offset.min(length);
    Span::new(offset, span.len.min(length - offset))
}

fn lowercase_first(text: &str) -> String {
    let text = text.trim_end_matches('.');
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}
