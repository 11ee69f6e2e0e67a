//! `berth fmt`: the canonical layout of a workspace file — four-space indentation by block
//! depth, no trailing white space, at most one blank line in a row, `\n` line breaks, one final
//! newline.
//!
//! It re-indents rather than re-printing the document, so every comment, quote style and line
//! break the author chose is kept (the `kdl` crate's own autoformat drops trailing comments).
//! It never changes a value: lines inside multi-line strings are kept byte for byte (their
//! trailing white space is part of the value), and every KDL line break (`\r\n`, `\r`, `\n`,
//! and the Unicode ones) becomes `\n`, which multi-line strings read as the same value.

use crate::diagnostics::Diagnostic;
use crate::lexical::{Scanner, State, lines};
use crate::syntax::parse;

/// Formats `source`, keeping its comments; fails only on syntax errors.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    parse(source)?;
    let mut scanner = Scanner::default();
    let mut output = String::with_capacity(source.len());
    let mut blank_run = 0;
    for (_, line, _) in lines(source) {
        let verbatim = scanner.state != State::Code;
        let depth_before = scanner.depth;
        scanner.scan_line(line, |_| {});
        // The rest of a line that ends inside a multi-line string is part of the string.
        let ends_in_text = matches!(
            scanner.state,
            State::String {
                multiline: true,
                ..
            }
        );
        if verbatim {
            output.push_str(if ends_in_text { line } else { line.trim_end() });
            output.push('\n');
            blank_run = 0;
            continue;
        }
        let content = if ends_in_text {
            line.trim_start()
        } else {
            line.trim()
        };
        if content.is_empty() {
            blank_run += 1;
            if blank_run == 1 && !output.is_empty() {
                output.push('\n');
            }
            continue;
        }
        blank_run = 0;
        let indent = if content.starts_with('}') {
            depth_before.saturating_sub(1)
        } else {
            depth_before
        };
        for _ in 0..indent {
            output.push_str("    ");
        }
        output.push_str(content);
        output.push('\n');
    }
    while output.ends_with("\n\n") {
        output.pop();
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindents_and_keeps_comments_and_strings() {
        let source = "// top\nworkspace \"a\" {\n  region \"x{\" // c }\n\n\n      /* b\n  } */\n}\nservice \"s\" {\n image #\"}\"#\n    env { K \"\"\"\n  v }\n  \"\"\" }\n}\n";
        let formatted = format(source).unwrap_or_default();
        assert_eq!(
            formatted,
            "// top\nworkspace \"a\" {\n    region \"x{\" // c }\n\n    /* b\n  } */\n}\nservice \"s\" {\n    image #\"}\"#\n    env { K \"\"\"\n  v }\n  \"\"\" }\n}\n"
        );
        assert_eq!(format(&formatted).unwrap_or_default(), formatted);
    }

    #[test]
    fn nested_block_comments_hide_their_braces_until_the_outermost_closes() {
        // The inner `*/` closes only the inner comment: the `{` after it is still commented out.
        let source = "service \"s\" {\n/* outer /* inner */ still a comment {\n*/\n  image \"x\"\n}\nworker \"w\" {\nimage \"y\"\n}\n";
        assert_eq!(
            format(source).unwrap_or_default(),
            "service \"s\" {\n    /* outer /* inner */ still a comment {\n*/\n    image \"x\"\n}\nworker \"w\" {\n    image \"y\"\n}\n"
        );
    }

    #[test]
    fn keeps_values_in_multiline_strings_and_every_line_break() {
        let source = "a {\n  b \"\"\"\n  hello   \n  \"\"\"  \n}\n";
        assert_eq!(
            format(source).unwrap_or_default(),
            "a {\n    b \"\"\"\n  hello   \n  \"\"\"\n}\n"
        );
        let source = "// c\r\rnode \"a\"\r\nb\u{2028}c\n";
        assert_eq!(
            format(source).unwrap_or_default(),
            "// c\n\nnode \"a\"\nb\nc\n"
        );
    }

    #[test]
    fn steps_over_multibyte_characters() {
        let source = "service \"ʢweb\" { env { K \"é\\\"ü\"; } /* ß */ }\n";
        assert_eq!(format(source).unwrap_or_default(), source);
    }
}
