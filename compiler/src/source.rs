//! Byte spans into the workspace source, values that carry them, and 1-based line/column lookup.

use std::fmt;

/// A byte range in the workspace source: where a value, name or node was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Byte offset of the first character.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl Span {
    /// A span of `len` bytes starting at `offset`.
    pub const fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// The byte just past the end of the span.
    pub const fn end(self) -> usize {
        self.offset + self.len
    }

    /// A sub-span `start..start+len` relative to this span's start.
    #[must_use]
    pub const fn slice(self, start: usize, len: usize) -> Self {
        Self::new(self.offset + start, len)
    }
}

impl From<miette::SourceSpan> for Span {
    fn from(span: miette::SourceSpan) -> Self {
        Self::new(span.offset(), span.len())
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        Self::new(span.offset.into(), span.len)
    }
}

/// A value together with the place in the source it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps `value` with its `span`.
    pub const fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(formatter)
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineColumn {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Bytes per block of the character-count index: a column costs at most one block's scan.
const BLOCK: usize = 1024;

/// Line starts and character counts of one source text, built once in one pass, so that every
/// position lookup afterwards costs a binary search and at most one short scan, whatever the
/// size of the file or the length of its lines.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as miette and editors count them.
pub struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of the first byte of every line; the first is 0.
    line_starts: Vec<usize>,
    /// Characters before each [`BLOCK`]-byte block.
    characters_before_block: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts and character counts of `source`.
    pub fn new(source: &'a str) -> Self {
        let bytes = source.as_bytes();
        let mut line_starts = vec![0];
        for (index, byte) in bytes.iter().enumerate() {
            let ends_line =
                *byte == b'\n' || (*byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
            if ends_line {
                line_starts.push(index + 1);
            }
        }
        let mut characters_before_block = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut characters = 0;
        for block in bytes.chunks(BLOCK) {
            characters_before_block.push(characters);
            characters += block
                .iter()
                .filter(|byte| is_character_start(**byte))
                .count();
        }
        characters_before_block.push(characters);
        Self {
            source,
            line_starts,
            characters_before_block,
        }
    }

    /// The source text.
    pub const fn source(&self) -> &'a str {
        self.source
    }

    /// How many lines the source has (an empty source has one, empty, line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line holding byte `offset` (the last line for offsets past the end).
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|start| *start <= offset) - 1
    }

    /// The byte offset where 0-based `line` starts (the end of the source past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.source.len())
    }

    /// The line and column of `offset`; offsets past the end land on the last position.
    pub fn locate(&self, offset: usize) -> LineColumn {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        // Inside a `\r\n` is the end of its line.
        if offset > 0
            && self.source.as_bytes().get(offset) == Some(&b'\n')
            && self.source.as_bytes()[offset - 1] == b'\r'
        {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let column =
            self.characters_before(offset) - self.characters_before(self.line_starts[line]);
        LineColumn {
            line: line + 1,
            column: column + 1,
        }
    }

    /// How many characters start before byte `offset`.
    fn characters_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let start = block * BLOCK;
        self.characters_before_block[block]
            + self.source.as_bytes()[start..offset]
                .iter()
                .filter(|byte| is_character_start(**byte))
                .count()
    }
}

/// Whether `byte` starts a UTF-8 character (is not a continuation byte).
const fn is_character_start(byte: u8) -> bool {
    byte & 0xC0 != 0x80
}

/// A named source with its [`LineIndex`], for miette's renderer: each snippet is read from a
/// few lines around its span instead of from the start of the file, so rendering `n`
/// diagnostics costs `O(n)` rather than `O(n × file)`.
pub struct IndexedSource<'a> {
    name: &'a str,
    index: LineIndex<'a>,
}

impl<'a> IndexedSource<'a> {
    /// Indexes `source`, reported as `name`.
    pub fn new(name: &'a str, source: &'a str) -> Self {
        Self {
            name,
            index: LineIndex::new(source),
        }
    }

    /// The line index.
    pub const fn index(&self) -> &LineIndex<'a> {
        &self.index
    }
}

impl fmt::Debug for IndexedSource<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("IndexedSource")
            .field("name", &self.name)
            .field("lines", &self.index.line_count())
            .finish_non_exhaustive()
    }
}

impl miette::SourceCode for IndexedSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        // miette's own reader for text, run from the first line it will show rather than from
        // the start of the file; positions are shifted back afterwards.
        let first_line = self
            .index
            .line_of(span.offset())
            .saturating_sub(context_lines_before);
        let window_start = self.index.line_start(first_line);
        let window = &self.index.source().as_bytes()[window_start..];
        let shifted = miette::SourceSpan::new((span.offset() - window_start).into(), span.len());
        let inner = <[u8] as miette::SourceCode>::read_span(
            window,
            &shifted,
            context_lines_before,
            context_lines_after,
        )?;
        let contents = miette::MietteSpanContents::new_named(
            self.name.to_owned(),
            inner.data(),
            miette::SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + first_line,
            inner.column(),
            // The lines this snippet covers, as miette documents it. (Its reader for text counts
            // from the start of the file, which makes far-apart labels merge into one snippet
            // of every line between them.)
            inner.line_count().saturating_sub(inner.line()),
        )
        .with_language("kdl");
        Ok(Box::new(contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let index = LineIndex::new("ab\néx y\n");
        assert_eq!(index.locate(0), LineColumn { line: 1, column: 1 });
        assert_eq!(index.locate(3), LineColumn { line: 2, column: 1 });
        assert_eq!(index.locate(5), LineColumn { line: 2, column: 2 });
        assert_eq!(index.locate(4), LineColumn { line: 2, column: 1 });
        assert_eq!(index.locate(999), LineColumn { line: 3, column: 1 });
    }

    #[test]
    fn counts_every_line_break_and_long_lines() {
        let index = LineIndex::new("a\r\nb\rc\n");
        assert_eq!(index.locate(3), LineColumn { line: 2, column: 1 });
        assert_eq!(index.locate(5), LineColumn { line: 3, column: 1 });
        assert_eq!(index.line_count(), 4);
        let long = format!("{}é{}", "x".repeat(3000), "y".repeat(3000));
        let index = LineIndex::new(&long);
        assert_eq!(index.locate(3002).column, 3002);
        assert_eq!(index.locate(5000).column, 5000);
    }
}
