//! `berth fmt`: the canonical layout of a workspace file — four-space indentation by block
//! depth, no trailing white space, at most one blank line in a row, one final newline.
//!
//! It re-indents rather than re-printing the document, so every comment, quote style and line
//! break the author chose is kept (the `kdl` crate's own autoformat drops trailing comments).

use crate::diagnostics::Diagnostic;
use crate::syntax::parse;

/// Formats `source`, keeping its comments; fails only on syntax errors.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    parse(source)?;
    let mut scanner = Scanner::default();
    let mut output = String::with_capacity(source.len());
    let mut blank_run = 0;
    for line in source.lines() {
        let verbatim = scanner.state != State::Code;
        let depth_before = scanner.depth;
        scanner.scan(line);
        if verbatim {
            output.push_str(line.trim_end_matches([' ', '\t', '\r']));
            output.push('\n');
            blank_run = 0;
            continue;
        }
        let content = line.trim();
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
        output.push_str(&"    ".repeat(indent));
        output.push_str(content);
        output.push('\n');
    }
    while output.ends_with("\n\n") {
        output.pop();
    }
    Ok(output)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Code,
    /// Inside `/* … */`, nested this deep.
    BlockComment(usize),
    /// Inside a `"""` string; with `hashes` for raw `#"""`.
    MultilineString { hashes: usize },
}

/// Tracks block depth and whether a line starts inside a comment or a multi-line string.
#[derive(Default)]
struct Scanner {
    state: State,
    depth: usize,
}

impl Scanner {
    fn scan(&mut self, line: &str) {
        let bytes = line.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            match self.state {
                State::BlockComment(level) => {
                    if line[index..].starts_with("*/") {
                        self.state = if level == 1 {
                            State::Code
                        } else {
                            State::BlockComment(level - 1)
                        };
                        index += 2;
                    } else if line[index..].starts_with("/*") {
                        self.state = State::BlockComment(level + 1);
                        index += 2;
                    } else {
                        index = next_char(line, index);
                    }
                }
                State::MultilineString { hashes } => {
                    let closing = format!("\"\"\"{}", "#".repeat(hashes));
                    if hashes == 0 && bytes[index] == b'\\' {
                        index = next_char(line, next_char(line, index));
                    } else if line[index..].starts_with(&closing) {
                        self.state = State::Code;
                        index += closing.len();
                    } else {
                        index = next_char(line, index);
                    }
                }
                State::Code => index = self.scan_code(line, index),
            }
        }
    }

    /// Scans one token of code at `index`; returns where the next token starts.
    fn scan_code(&mut self, line: &str, index: usize) -> usize {
        let rest = &line[index..];
        let hashes = rest.bytes().take_while(|byte| *byte == b'#').count();
        let after_hashes = &rest[hashes..];
        if rest.starts_with("//") {
            return line.len();
        }
        if rest.starts_with("/*") {
            self.state = State::BlockComment(1);
            return index + 2;
        }
        if after_hashes.starts_with("\"\"\"") {
            self.state = State::MultilineString { hashes };
            return index + hashes + 3;
        }
        if let Some(body) = after_hashes.strip_prefix('"') {
            return index + hashes + 1 + string_length(body, hashes);
        }
        match rest.as_bytes().first() {
            Some(b'{') => self.depth += 1,
            Some(b'}') => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        index + rest.chars().next().map_or(1, char::len_utf8)
    }
}

/// The length of a single-line string body up to and including its closing quote (and hashes).
fn string_length(body: &str, hashes: usize) -> usize {
    let closing = format!("\"{}", "#".repeat(hashes));
    let bytes = body.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if hashes == 0 && bytes[index] == b'\\' {
            index = next_char(body, next_char(body, index));
            continue;
        }
        if body[index..].starts_with(&closing) {
            return index + closing.len();
        }
        index = next_char(body, index);
    }
    body.len()
}

/// The byte index of the character after the one at `index` (clamped to the end).
fn next_char(text: &str, index: usize) -> usize {
    text.get(index..)
        .and_then(|rest| rest.chars().next())
        .map_or(text.len(), |character| index + character.len_utf8())
        .min(text.len())
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
    fn steps_over_multibyte_characters() {
        let source = "service \"ʢweb\" { env { K \"é\\\"ü\"; } /* ß */ }\n";
        assert_eq!(format(source).unwrap_or_default(), source);
    }
}
