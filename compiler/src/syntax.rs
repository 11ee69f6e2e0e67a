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
                if let Some(diagnostic) =
                    explain_keyword(written, span).or_else(|| explain_unopened_block(source, span))
                {
                    return diagnostic;
                }
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
fn explain_keyword(written: &str, span: Span) -> Option<Diagnostic> {
    let word = written.trim();
    if ["true", "false", "null"].contains(&word) {
        return Some(
            Diagnostic::new(
                Code::Syntax,
                format!("`{word}` must be written `#{word}` in KDL 2.0"),
                span,
                format!("a bare `{word}` is KDL 1"),
            )
            .with_help(format!("write `#{word}`")),
        );
    }
    let looks_like_version = word.split('.').count() > 2
        && word.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|character| character.is_ascii_digit())
        });
    looks_like_version.then(|| {
        Diagnostic::new(
            Code::Syntax,
            format!("`{word}` is not a number"),
            span,
            "unquoted version",
        )
        .with_help(format!("quote it: `\"{word}\"`"))
    })
}

/// A `}` where the document should end closes a block that was never opened. The `{` is most
/// likely missing at the end of the nearest line above whose next line is indented deeper: the
/// second label points there.
fn explain_unopened_block(source: &str, span: Span) -> Option<Diagnostic> {
    if source.get(span.offset..=span.offset) != Some("}") {
        return None;
    }
    let before = source.get(..span.offset)?;
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = before
        .split('\n')
        .map(|line| {
            let start = offset;
            offset += line.len() + 1;
            (start, line)
        })
        .filter(|(_, line)| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with("//")
        })
        .collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let opener = lines.windows(2).rev().find_map(|pair| {
        let [(start, line), (_, next)] = pair else {
            return None;
        };
        let code = line.split("//").next().unwrap_or(line).trim_end();
        (indent(next) > indent(line) && !code.ends_with('{')).then_some((*start, code))
    });
    let diagnostic = Diagnostic::new(
        Code::Syntax,
        "this `}` closes a block that was never opened",
        span,
        "nothing to close",
    );
    Some(match opener {
        Some((start, code)) => diagnostic
            .with_label(Span::new(start + code.len(), 0), "`{` missing here?")
            .with_help(format!("open the block: `{} {{`", code.trim_start())),
        None => diagnostic.with_help("remove this `}`, or add the `{` it closes"),
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
