//! The little of KDL's lexical grammar berth needs before and beside the parser: where lines
//! break, where comments and strings begin and end, and how deeply blocks nest.
//!
//! [`crate::format`] re-indents by it, and [`crate::parse`] uses it to bound the nesting the
//! parser recurses into and to hand the parser the text with its comments blanked (the `kdl`
//! crate recurses once per `*` or `/` inside a block comment, and line comments cost it far more
//! than spaces do).

use std::ops::Range;

/// Every character KDL 2.0 treats as a line break, longest first.
const NEWLINES: [&str; 8] = [
    "\r\n", "\r", "\n", "\u{85}", "\u{b}", "\u{c}", "\u{2028}", "\u{2029}",
];

/// The length of the line break at the start of `text`, if one is there.
fn newline_at(text: &str) -> Option<usize> {
    NEWLINES
        .iter()
        .find(|newline| text.starts_with(**newline))
        .map(|newline| newline.len())
}

/// The lines of `text`, split at every KDL line break: `(byte offset, text, line break)`.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let mut end = rest.len();
        let mut break_length = 0;
        for (index, character) in rest.char_indices() {
            if matches!(
                character,
                '\r' | '\n' | '\u{85}' | '\u{b}' | '\u{c}' | '\u{2028}' | '\u{2029}'
            ) {
                end = index;
                break_length = newline_at(&rest[index..]).unwrap_or(character.len_utf8());
                break;
            }
        }
        let line = (start, &rest[..end], &rest[end..end + break_length]);
        start += end + break_length;
        Some(line)
    })
}

/// Where the scanner is between characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// Nodes, entries and blocks.
    #[default]
    Code,
    /// Inside `/* … */`, nested this deep.
    BlockComment(usize),
    /// Inside a string opened with `hashes` `#` (raw when non-zero).
    String {
        /// The number of `#` before the opening quote.
        hashes: usize,
        /// Opened with `"""`.
        multiline: bool,
        /// After a `\` that escapes the white space (line breaks included) that follows it.
        skipping_whitespace: bool,
    },
}

/// What the scanner met on a line, with byte ranges relative to the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Comment text: a `//` comment to the end of the line, or the part of a block comment on
    /// this line.
    Comment(Range<usize>),
    /// A block comment that starts in code at this offset.
    CommentOpened(usize),
    /// A string that starts at this offset.
    StringOpened(usize),
    /// A block opened with `{` at this offset, taking the depth to the given value.
    Open(usize, usize),
}

/// Tracks the state and block depth through a text, one line at a time.
#[derive(Clone, Debug, Default)]
pub struct Scanner {
    /// The state at the current position.
    pub state: State,
    /// How many blocks are open.
    pub depth: usize,
}

impl Scanner {
    /// Scans one line (without its line break), reporting comments and opened blocks.
    pub fn scan_line(&mut self, line: &str, mut on: impl FnMut(Event)) {
        let mut index = 0;
        if let State::BlockComment(_) = self.state {
            index = self.block_comment(line, 0, &mut on);
        }
        while index < line.len() {
            index = match self.state {
                State::Code => self.code(line, index, &mut on),
                State::BlockComment(_) => self.block_comment(line, index, &mut on),
                State::String { .. } => self.string(line, index),
            };
        }
    }

    /// One token of code at `index`; returns where the next one starts.
    fn code(&mut self, line: &str, index: usize, on: &mut impl FnMut(Event)) -> usize {
        let rest = &line[index..];
        if rest.starts_with("//") {
            on(Event::Comment(index..line.len()));
            return line.len();
        }
        if rest.starts_with("/*") {
            on(Event::CommentOpened(index));
            self.state = State::BlockComment(0);
            return self.block_comment(line, index, on);
        }
        let hashes = rest.bytes().take_while(|byte| *byte == b'#').count();
        let after_hashes = &rest[hashes..];
        if let Some(after_quote) = after_hashes.strip_prefix('"') {
            on(Event::StringOpened(index));
            let multiline = after_quote.starts_with("\"\"");
            self.state = State::String {
                hashes,
                multiline,
                skipping_whitespace: false,
            };
            return index + hashes + if multiline { 3 } else { 1 };
        }
        match rest.as_bytes().first() {
            Some(b'{') => {
                self.depth += 1;
                on(Event::Open(index, self.depth));
            }
            Some(b'}') => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        index + rest.chars().next().map_or(1, char::len_utf8)
    }

    /// Block comment text from `index` (at a `/*` when the state is not yet a comment); returns
    /// where code resumes, or the end of the line.
    fn block_comment(&mut self, line: &str, start: usize, on: &mut impl FnMut(Event)) -> usize {
        let bytes = line.as_bytes();
        let mut index = start;
        let State::BlockComment(mut level) = self.state else {
            return start;
        };
        while index < bytes.len() {
            if bytes[index..].starts_with(b"/*") {
                level += 1;
                index += 2;
            } else if level > 0 && bytes[index..].starts_with(b"*/") {
                level -= 1;
                index += 2;
                if level == 0 {
                    break;
                }
            } else {
                index += 1;
            }
        }
        if index > start {
            on(Event::Comment(start..index));
        }
        self.state = if level == 0 {
            State::Code
        } else {
            State::BlockComment(level)
        };
        index
    }

    /// String text from `index`; returns where the string closes, or the end of the line.
    fn string(&mut self, line: &str, start: usize) -> usize {
        let State::String {
            hashes,
            multiline,
            mut skipping_whitespace,
        } = self.state
        else {
            return start;
        };
        let bytes = line.as_bytes();
        let mut index = start;
        while index < bytes.len() {
            let rest = &line[index..];
            let character = rest.chars().next().unwrap_or(' ');
            if skipping_whitespace {
                if character.is_whitespace() {
                    index += character.len_utf8();
                    continue;
                }
                skipping_whitespace = false;
            }
            if hashes == 0 && character == '\\' {
                match rest[1..].chars().next() {
                    None => {
                        skipping_whitespace = true;
                        index += 1;
                    }
                    Some(next) if next.is_whitespace() => {
                        skipping_whitespace = true;
                        index += 1;
                    }
                    Some(next) => index += 1 + next.len_utf8(),
                }
                continue;
            }
            let quotes = if multiline { 3 } else { 1 };
            if character == '"'
                && rest.len() >= quotes + hashes
                && rest.as_bytes()[..quotes].iter().all(|byte| *byte == b'"')
                && rest.as_bytes()[quotes..quotes + hashes]
                    .iter()
                    .all(|byte| *byte == b'#')
            {
                self.state = State::Code;
                return index + quotes + hashes;
            }
            index += character.len_utf8();
        }
        // A line break cannot be part of a single-line string: the parser reports it there and
        // reads on after it, and so does the scanner.
        self.state = if multiline || skipping_whitespace {
            State::String {
                hashes,
                multiline,
                skipping_whitespace,
            }
        } else {
            State::Code
        };
        index
    }
}

/// The text the parser needs: `source` with every comment replaced by as many spaces (so every
/// byte offset is kept), and the problems the parser would overflow its stack on.
pub struct Prepared {
    /// The source with comments blanked, when it has comments.
    pub text: Option<String>,
    /// The byte offset of the first `{` past the depth limit.
    pub too_deep: Option<usize>,
    /// The byte offset of a block comment that is never closed.
    pub unclosed_comment: Option<usize>,
    /// The byte offset of a multi-line string (or an escaped line break) that is never closed.
    pub unclosed_string: Option<usize>,
}

/// Scans `source` once: blanks comments and finds nesting past `max_depth`.
pub fn prepare(source: &str, max_depth: usize) -> Prepared {
    let mut scanner = Scanner::default();
    let mut blanks: Vec<Range<usize>> = Vec::new();
    let mut too_deep = None;
    let mut comment_start = None;
    let mut string_start = None;
    for (offset, line, line_break) in lines(source) {
        scanner.scan_line(line, |event| match event {
            Event::Comment(range) => {
                push_range(&mut blanks, offset + range.start..offset + range.end);
            }
            Event::CommentOpened(at) => comment_start = Some(offset + at),
            Event::StringOpened(at) => string_start = Some(offset + at),
            Event::Open(at, depth) => {
                if depth > max_depth && too_deep.is_none() {
                    too_deep = Some(offset + at);
                }
            }
        });
        match scanner.state {
            State::BlockComment(_) => {
                // A line break inside a block comment is part of the comment, not a node
                // terminator: it becomes spaces too.
                let end = offset + line.len();
                push_range(&mut blanks, end..end + line_break.len());
            }
            State::Code | State::String { .. } => {}
        }
    }
    let unclosed_comment = matches!(scanner.state, State::BlockComment(_))
        .then_some(comment_start)
        .flatten();
    let unclosed_string = matches!(scanner.state, State::String { .. })
        .then_some(string_start)
        .flatten();
    if let Some(start) = unclosed_string {
        // Where the parser would read on after an unclosed string is anyone's guess; it never
        // sees the rest, so it cannot recurse into a comment there.
        blanks.retain(|range| range.end <= start);
        push_range(&mut blanks, start..source.len());
    }
    let text = (!blanks.is_empty()).then(|| {
        let mut bytes = source.as_bytes().to_vec();
        for range in blanks {
            bytes[range].fill(b' ');
        }
        // Only whole characters of comments were replaced, each byte by an ASCII space.
        String::from_utf8(bytes).unwrap_or_else(|_| source.to_owned())
    });
    Prepared {
        text,
        too_deep,
        unclosed_comment,
        unclosed_string,
    }
}

/// Appends `range`, merging it with the previous one when they touch.
fn push_range(ranges: &mut Vec<Range<usize>>, range: Range<usize>) {
    match ranges.last_mut() {
        Some(last) if last.end == range.start => last.end = range.end,
        _ => ranges.push(range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_every_kdl_line_break() {
        let found: Vec<_> = lines("a\r\nb\rc\nd\u{85}e\u{2028}f").collect();
        let texts: Vec<&str> = found.iter().map(|(_, text, _)| *text).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(found[1], (3, "b", "\r"));
    }

    #[test]
    fn blanks_comments_but_not_strings() {
        let source = "a \"//x\" /* b\n/* c */ */ d // e\nf #\"/*\"# \"\"\"\n// g\n\"\"\" {\n}";
        let prepared = prepare(source, 10);
        let expected = format!(
            "a \"//x\"{}d     \nf #\"/*\"# \"\"\"\n// g\n\"\"\" {{\n}}",
            " ".repeat(17)
        );
        assert_eq!(prepared.text.as_deref(), Some(expected.as_str()));
        assert_eq!(prepared.too_deep, None);
    }

    #[test]
    fn finds_deep_nesting_and_unclosed_comments() {
        let prepared = prepare("a { b { c \"{{{\" { } } }", 2);
        assert_eq!(prepared.too_deep, Some(16));
        let prepared = prepare("a /* x */\n/* b /* c */\n", 2);
        assert_eq!(prepared.unclosed_comment, Some(10));
        let expected = format!("a        \n{}", " ".repeat(13));
        assert_eq!(prepared.text.as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn follows_escaped_line_breaks_in_strings() {
        let mut scanner = Scanner::default();
        scanner.scan_line("a \"x \\", |_| {});
        assert!(matches!(scanner.state, State::String { .. }));
        scanner.scan_line("   y\" { // c", |_| {});
        assert_eq!(scanner.state, State::Code);
        assert_eq!(scanner.depth, 1);
    }

    /// The scanner's state and depth after `lines`, scanned one after the other.
    fn scanned(lines: &[&str]) -> Scanner {
        let mut scanner = Scanner::default();
        for line in lines {
            scanner.scan_line(line, |_| {});
        }
        scanner
    }

    #[test]
    fn strings_close_at_their_own_quote_and_hide_the_braces_inside() {
        for (lines, depth) in [
            // An escaped quote does not close the string.
            (&["a \"x\\\"{\" {"][..], 1),
            (&["a \"x\\\\\" {"][..], 1),
            // A backslash in a raw string is text: the quote after it closes the string.
            (&["a #\"C:\\\"# {"][..], 1),
            (&["a ##\"x\"#{\"## {"][..], 1),
            // A multi-line string closes only at `"""`, a raw one only at `"""` and its `#`.
            (&["a \"\"\"", "\"\" {", "\"\"\" {"][..], 1),
            (&["a #\"\"\"", "\"\"", "\"\"\"", "{ \"\"\"# {"][..], 1),
        ] {
            let scanner = scanned(lines);
            assert_eq!(scanner.state, State::Code, "{lines:?}");
            assert_eq!(scanner.depth, depth, "{lines:?}");
        }
    }

    #[test]
    fn an_escaped_line_break_with_white_space_before_it_continues_the_string() {
        let mut scanner = Scanner::default();
        scanner.scan_line("a \"x \\   ", |_| {});
        assert_eq!(
            scanner.state,
            State::String {
                hashes: 0,
                multiline: false,
                skipping_whitespace: true
            }
        );
        scanner.scan_line("   y { \" {", |_| {});
        assert_eq!(scanner.state, State::Code);
        assert_eq!(scanner.depth, 1);
        // Without the backslash the line break ends the single-line string: the brace on the
        // next line is code, and the quote after it opens another string.
        let scanner = scanned(&["a \"x   ", "y { \""]);
        assert_eq!(scanner.depth, 1);
        assert!(matches!(scanner.state, State::String { .. }));
    }

    #[test]
    fn an_unclosed_string_is_found_at_its_quote_and_blanked_to_the_end() {
        let source = "a /* c */ b // d\ne \"\"\"\nnever { closed\n";
        let prepared = prepare(source, 10);
        assert_eq!(prepared.unclosed_string, Some(19));
        assert_eq!(prepared.unclosed_comment, None);
        let expected = format!(
            "a {} b     \ne {}",
            " ".repeat(7),
            " ".repeat(source.len() - 19)
        );
        assert_eq!(prepared.text.as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn a_source_without_comments_is_handed_on_as_it_is() {
        let prepared = prepare("a \"/*\" {\n    b #\"//\"#\n}\n", 10);
        assert!(prepared.text.is_none());
        assert_eq!(prepared.unclosed_string, None);
        assert_eq!(prepared.unclosed_comment, None);
        assert_eq!(prepared.too_deep, None);
    }

    #[test]
    fn nesting_is_too_deep_only_past_the_limit() {
        for (source, limit, too_deep) in [
            ("a { b { c { } } }", 3, None),
            ("a { b { c { } } }", 2, Some(10)),
            ("a { }\nb { c { } }", 1, Some(12)),
            ("a { } b { } c { }", 1, None),
        ] {
            assert_eq!(prepare(source, limit).too_deep, too_deep, "{source}");
        }
    }
}
