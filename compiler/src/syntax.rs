//! Text to KDL document: the `kdl` crate parses (KDL 2.0), and its errors become our own
//! coded diagnostics pointing into the named source.
//!
//! The parser is handed the text with its comments blanked to spaces (byte offsets unchanged,
//! see [`crate::lexical`]): it recurses once per `*` or `/` in a block comment, and reads line
//! comments much more slowly than spaces. Blocks nested past [`MAX_NESTING`] are refused before
//! it runs, since it recurses once per level.

use kdl::KdlDocument;

use crate::diagnostics::{Code, Diagnostic};
use crate::lexical::prepare;
use crate::source::Span;

/// How deeply blocks may nest. berth's language needs four levels; the limit keeps the
/// parser's recursion far from the stack's end, even on a 2 MiB thread in a debug build.
pub const MAX_NESTING: usize = 64;

/// Parses `source` as a KDL 2.0 document, or returns every syntax error the parser found.
pub fn parse(source: &str) -> Result<KdlDocument, Vec<Diagnostic>> {
    let prepared = prepare(source, MAX_NESTING);
    if let Some(offset) = prepared.too_deep {
        return Err(vec![
            Diagnostic::new(
                Code::NestingTooDeep,
                format!("blocks are nested more than {MAX_NESTING} deep"),
                Span::new(offset, 1),
                format!("block {} opens here", MAX_NESTING + 1),
            )
            .with_help(
                "berth's language nests at most four blocks (`environment`, `service`, `port`); \
                 close the blocks you meant to close",
            ),
        ]);
    }
    let unclosed = prepared.unclosed_comment.map(|offset| {
        Diagnostic::new(
            Code::Syntax,
            "this block comment is never closed",
            Span::new(offset, 2),
            "opened here",
        )
        .with_help("close it with `*/`; block comments nest, so each `/*` inside needs one too")
    });
    let text = prepared.text.as_deref().unwrap_or(source);
    match text.parse::<KdlDocument>() {
        Ok(document) => match unclosed {
            Some(diagnostic) => Err(vec![diagnostic]),
            None => Ok(document),
        },
        Err(error) => {
            let mut diagnostics = diagnostics_of(error, source);
            diagnostics.extend(unclosed);
            diagnostics.sort_by_key(Diagnostic::primary_span);
            Err(diagnostics)
        }
    }
}

/// The parser's errors as coded diagnostics.
fn diagnostics_of(error: kdl::KdlError, source: &str) -> Vec<Diagnostic> {
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
