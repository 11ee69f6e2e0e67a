//! Text to KDL document: the `kdl` crate parses (KDL 2.0), and its errors become our own
//! coded diagnostics pointing into the named source.
//!
//! The parser is handed the text with its comments blanked to spaces (byte offsets unchanged,
//! see [`crate::lexical`]): it recurses once per `*` or `/` in a block comment, and reads line
//! comments much more slowly than spaces. Blocks nested past [`MAX_NESTING`] are refused before
//! it runs, since it recurses once per level, and it runs on a thread whose stack grows with
//! the input, since its error recovery recurses once per stray character.

use std::cell::Cell;

use kdl::KdlDocument;

use crate::diagnostics::{Code, Diagnostic};
use crate::lexical::prepare;
use crate::source::Span;
use crate::threads::on_thread;

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
    let unclosed_comment = prepared.unclosed_comment.map(|offset| {
        Diagnostic::new(
            Code::Syntax,
            "this block comment is never closed",
            Span::new(offset, 2),
            "opened here",
        )
        .with_help("close it with `*/`; block comments nest, so each `/*` inside needs one too")
    });
    let unclosed_string = prepared.unclosed_string.map(|offset| {
        let quotes = source[offset..].find('"').map_or(1, |quote| {
            quote
                + if source[offset + quote..].starts_with("\"\"\"") {
                    3
                } else {
                    1
                }
        });
        Diagnostic::new(
            Code::Syntax,
            "this string is never closed",
            Span::new(offset, quotes),
            "opened here",
        )
        .with_help(
            "close a multi-line string with `\"\"\"` on a line of its own (and the same `#`s \
             it opened with)",
        )
    });
    let unclosed: Vec<Diagnostic> = unclosed_comment
        .into_iter()
        .chain(unclosed_string)
        .collect();
    let text = prepared.text.as_deref().unwrap_or(source);
    match parse_with_room(text) {
        Ok(document) if unclosed.is_empty() => Ok(document),
        Ok(_) => Err(unclosed),
        Err(error) => {
            let mut diagnostics = diagnostics_of(error, source);
            diagnostics.extend(unclosed);
            diagnostics.sort_by_key(Diagnostic::primary_span);
            Err(diagnostics)
        }
    }
}

/// Stack the parser may use per byte of input. Recovering from an error, the `kdl` crate skips
/// one character and recurses, so a run of stray characters (`}}}}…`, `a= a= …`) costs one
/// level each: about 560 bytes in a release build, several times that in a debug build.
const STACK_PER_BYTE: usize = if cfg!(debug_assertions) {
    8 * 1024
} else {
    1024
};

/// The stack every parse gets beyond that.
const BASE_STACK: usize = 16 * 1024 * 1024;

/// The stack that parsing `bytes` of input may need.
const fn stack_for(bytes: usize) -> usize {
    BASE_STACK.saturating_add(bytes.saturating_mul(STACK_PER_BYTE))
}

thread_local! {
    /// How many bytes of input this thread's stack has room to parse: set by
    /// [`with_room_to_parse`] on the thread it starts, 0 elsewhere.
    static ROOM: Cell<usize> = const { Cell::new(0) };
}

/// Runs `work` on a thread with room to parse `bytes` of input, where every parse of at most
/// that much runs in place instead of on a thread of its own.
///
/// A command that parses, checks, emits and writes inside one call does all of it on one
/// thread, and so with one allocator arena: glibc's `malloc` gives each thread its own, and the
/// parsed document (the largest thing a command holds: tens of MiB at 1,000 workloads) freed
/// into a parser thread's arena is not reused by the thread that then emits. Run this way, what
/// comes after the parse reuses the document's memory, and the process's peak is the parse's.
/// When no thread can be started, `work` runs here (and each parse on its own thread).
pub fn with_room_to_parse<T: Send>(bytes: usize, work: impl FnOnce() -> T + Send) -> T {
    let builder = std::thread::Builder::new()
        .name("berth".to_owned())
        .stack_size(stack_for(bytes));
    on_thread(builder, || {
        ROOM.set(bytes);
        work()
    })
}

/// Runs the parser on a thread whose stack grows with the input, so no input can overflow it
/// (or in place, inside [`with_room_to_parse`] with room for `text`). The stack is only
/// reserved; a valid document touches a few kilobytes of it.
fn parse_with_room(text: &str) -> Result<KdlDocument, kdl::KdlError> {
    if text.len() <= ROOM.get() {
        return text.parse::<KdlDocument>();
    }
    let builder = std::thread::Builder::new()
        .name("kdl-parse".to_owned())
        .stack_size(stack_for(text.len()));
    on_thread(builder, || text.parse::<KdlDocument>())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The deepest document berth accepts parses, checks and drops on a 2 MiB thread (a test
    /// thread's stack) even in a debug build; one level more is refused before parsing.
    #[test]
    fn the_nesting_limit_fits_a_small_stack() {
        let nested = |depth: usize| {
            format!(
                "workspace \"w\" {{ region \"eu-west-1\"; }}\nservice \"web\" {{ {}{}",
                "x { ".repeat(depth - 1),
                "}".repeat(depth)
            )
        };
        let deepest = nested(MAX_NESTING);
        let too_deep = nested(MAX_NESTING + 1);
        let outcome = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let accepted = parse(&deepest).is_ok()
                    && crate::check(&deepest, &crate::Options::default()).has_errors();
                let refused = parse(&too_deep)
                    .err()
                    .is_some_and(|problems| problems[0].code == Code::NestingTooDeep);
                (accepted, refused)
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert_eq!(outcome, (true, true));
    }

    /// Error recovery in the parser recurses once per stray character; 50,000 of them (which
    /// overflowed the 8 MiB main thread) are reported, from a 2 MiB thread.
    #[test]
    fn stray_characters_cannot_overflow_the_stack() {
        let outcome = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                ["}", "a= ", "\\ "].iter().all(|stray| {
                    parse(&format!("node\n{}", stray.repeat(50_000)))
                        .is_err_and(|problems| problems[0].code == Code::Syntax)
                })
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert!(outcome);
    }

    /// Inside [`with_room_to_parse`] the parser runs in place, on a stack with room for the
    /// stray characters that need the most; a larger text still gets a thread of its own.
    #[test]
    fn the_room_made_for_a_text_is_enough_to_parse_it() {
        let stray = format!("node\n{}", "}".repeat(50_000));
        let parsed_here = with_room_to_parse(stray.len(), || {
            let here = std::thread::current().id();
            let problems = parse(&stray).expect_err("stray braces");
            let larger = format!("{stray}}}");
            let larger_problems = parse(&larger).expect_err("stray braces");
            (here, problems[0].code, larger_problems[0].code, ROOM.get())
        });
        assert_eq!(parsed_here.1, Code::Syntax);
        assert_eq!(parsed_here.2, Code::Syntax);
        assert_eq!(parsed_here.3, stray.len());
        assert_ne!(parsed_here.0, std::thread::current().id());
        assert_eq!(ROOM.get(), 0, "only the thread made for the work has room");
    }
}
