//! Text to KDL document: the `kdl` crate parses (KDL 2.0), and its errors become our own
//! coded diagnostics pointing into the named source.

use kdl::KdlDocument;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

/// Parses `source` as a KDL 2.0 document, or returns every syntax error the parser found.
pub fn parse(source: &str) -> Result<KdlDocument, Vec<Diagnostic>> {
    source.parse::<KdlDocument>().map_err(|error| {
        let mut diagnostics: Vec<Diagnostic> = error
            .diagnostics
            .into_iter()
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
