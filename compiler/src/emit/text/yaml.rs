//! YAML, byte-identical to `sort_all_objects()` + `serde_saphyr` 2.2 with its default layout:
//! keys at two spaces per level; a list under a key has its dashes at the key's column; a map
//! or list inside a list starts on the dash's line (`- key: v`, `- - v`) with its other lines
//! two columns further in; `{}` and `[]` for empty collections. What is written as a plain
//! scalar and what is quoted is serde_saphyr's decision (see the module above).

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::{Node, each_sorted, sorted_copy};

/// Whether serde_saphyr's `prefer_block_scalars` is on for the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockScalars {
    /// Off: every string is a plain or quoted scalar (the Kubernetes manifests).
    Never,
    /// On, serde_saphyr's default: strings with line breaks or over 80 characters may be
    /// written as `|` or `>` block scalars (CloudFormation YAML).
    Preferred,
}

impl BlockScalars {
    /// The serde_saphyr options of this setting.
    fn options(self) -> serde_saphyr::SerializerOptions {
        let mut options = serde_saphyr::SerializerOptions::default();
        options.prefer_block_scalars = self == Self::Preferred;
        options
    }
}

/// A document this writer hands to serde_saphyr whole (see the module above).
struct Unsupported;

/// Appends `value` as one YAML document (ending in a newline) to `out`.
pub(crate) fn yaml(out: &mut String, value: &Value, blocks: BlockScalars) {
    let start = out.len();
    if (Writer { out, blocks }).root(value).is_err() {
        out.truncate(start);
        out.push_str(&serde(&sorted_copy(value), blocks));
    }
}

/// Appends a document whose top level is `entries` (in the order given: sorted by the caller);
/// `whole` builds the same document as one value, for serde_saphyr when it must write it.
pub(crate) fn yaml_entries(
    out: &mut String,
    entries: &[(&str, Node<'_>)],
    blocks: BlockScalars,
    whole: impl FnOnce() -> Value,
) {
    let start = out.len();
    let mut writer = Writer { out, blocks };
    let written = if entries.is_empty() {
        writer.out.push_str("{}\n");
        Ok(())
    } else {
        entries.iter().try_for_each(|(key, node)| {
            writer.key(key)?;
            match node {
                Node::Object(map) => writer.after_key_object(map, 0),
                Node::Text(text) => {
                    writer.out.push(' ');
                    writer.string_line(text, 0);
                    Ok(())
                }
            }
        })
    };
    if written.is_err() {
        out.truncate(start);
        out.push_str(&serde(&sorted_copy(&whole()), blocks));
    }
}

/// `value` (keys already sorted) through serde_saphyr: the reference, and the fallback.
pub(super) fn serde(value: &Value, blocks: BlockScalars) -> String {
    serde_saphyr::to_string_with_options(value, blocks.options()).unwrap_or_default()
}

/// Writes one document.
struct Writer<'a> {
    out: &'a mut String,
    blocks: BlockScalars,
}

impl Writer<'_> {
    /// The document's root.
    fn root(&mut self, value: &Value) -> Result<(), Unsupported> {
        match value {
            Value::Object(map) if !map.is_empty() => self.entries(map, 0, false),
            Value::Array(items) if !items.is_empty() => self.items(items, 0, false),
            _ => {
                self.scalar_line(value, 0);
                Ok(())
            }
        }
    }

    /// The entries of a non-empty map whose keys sit at `level`; the first on the current line
    /// when `inline` (after a dash).
    fn entries(
        &mut self,
        map: &Map<String, Value>,
        level: usize,
        inline: bool,
    ) -> Result<(), Unsupported> {
        each_sorted(map, |index, key, value| {
            if index > 0 || !inline {
                self.indent(level);
            }
            self.key(key)?;
            self.after_key(value, level)
        })
    }

    /// The value of a key at `level`, after its `:`.
    fn after_key(&mut self, value: &Value, level: usize) -> Result<(), Unsupported> {
        match value {
            Value::Object(map) => self.after_key_object(map, level),
            Value::Array(items) if !items.is_empty() => {
                self.out.push('\n');
                self.items(items, level, false)
            }
            _ => {
                self.out.push(' ');
                self.scalar_line(value, level);
                Ok(())
            }
        }
    }

    /// A map as the value of a key at `level`, after its `:`.
    fn after_key_object(
        &mut self,
        map: &Map<String, Value>,
        level: usize,
    ) -> Result<(), Unsupported> {
        if map.is_empty() {
            self.out.push_str(" {}\n");
            return Ok(());
        }
        self.out.push('\n');
        self.entries(map, level + 1, false)
    }

    /// The items of a non-empty list whose dashes sit at `level`; the first on the current line
    /// when `inline` (after a dash).
    fn items(&mut self, items: &[Value], level: usize, inline: bool) -> Result<(), Unsupported> {
        for (index, item) in items.iter().enumerate() {
            if index > 0 || !inline {
                self.indent(level);
            }
            self.out.push_str("- ");
            match item {
                Value::Object(map) if !map.is_empty() => self.entries(map, level + 1, true)?,
                Value::Array(inner) if !inner.is_empty() => self.items(inner, level + 1, true)?,
                _ => self.scalar_line(item, level),
            }
        }
        Ok(())
    }

    /// A scalar or an empty collection, and the end of its line, as the value of a key or
    /// the item of a dash at `level` (0 at the root).
    fn scalar_line(&mut self, value: &Value, level: usize) {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(true) => self.out.push_str("true"),
            Value::Bool(false) => self.out.push_str("false"),
            Value::Number(number) => self.number(number),
            Value::String(text) => return self.string_line(text, level),
            Value::Array(_) => self.out.push_str("[]"),
            Value::Object(_) => self.out.push_str("{}"),
        }
        self.out.push('\n');
    }

    /// A number: integers as decimal; floats as serde_saphyr writes them (`1.0`, `1.0e+300`).
    fn number(&mut self, number: &Number) {
        use std::fmt::Write as _;
        if let Some(integer) = number.as_u64() {
            let _ = write!(self.out, "{integer}");
        } else if let Some(integer) = number.as_i64() {
            let _ = write!(self.out, "{integer}");
        } else {
            let float = number.as_f64().unwrap_or_default();
            let text = serde_saphyr::to_string(&float).unwrap_or_default();
            self.out.push_str(text.trim_end_matches('\n'));
        }
    }

    /// A string and the end of its line (or its block scalar's lines), as the value of a key
    /// or the item of a dash at `level` (0 at the root).
    fn string_line(&mut self, text: &str, level: usize) {
        let plain = is_plain(text);
        if self.blocks == BlockScalars::Preferred && text.len() > 80 && plain && !text.contains(' ')
        {
            // serde_saphyr folds a long plain string (`>-`), and with no space to wrap at, the
            // folded body is the string on one line.
            self.out.push_str(">-\n");
            self.indent(level + 1);
            self.out.push_str(text);
            self.out.push('\n');
            return;
        }
        if self.blocks == BlockScalars::Preferred && (text.len() > 80 || text.contains('\n')) {
            // serde_saphyr may write this one as a block scalar. Its choice, and the scalar's
            // lines, do not depend on where the string sits: only the body's indentation does,
            // two columns past the key or dash (past the root when alone).
            let alone = serde_saphyr::to_string(&text).unwrap_or_default();
            if alone.starts_with(['|', '>']) {
                let mut lines = alone.split_inclusive('\n');
                self.out.push_str(lines.next().unwrap_or_default());
                for line in lines {
                    if line != "\n" {
                        self.indent(level + 1);
                    }
                    self.out.push_str(line.strip_prefix("  ").unwrap_or(line));
                }
            } else {
                self.out.push_str(&alone);
            }
            return;
        }
        if plain {
            self.out.push_str(text);
            self.out.push('\n');
        } else {
            // serde_saphyr writes a lone string as the scalar it would write as any value
            // (with block scalars off), then a newline.
            let alone = serde_saphyr::to_string_with_options(&text, BlockScalars::Never.options())
                .unwrap_or_default();
            self.out.push_str(&alone);
        }
    }

    /// A key and its `:`.
    fn key(&mut self, key: &str) -> Result<(), Unsupported> {
        match key_word(key) {
            Some(false) => {
                self.out.push_str(key);
                self.out.push(':');
                return Ok(());
            }
            Some(true) => {
                // serde_saphyr double-quotes any key with a colon; nothing in this class needs
                // an escape.
                self.out.push('"');
                self.out.push_str(key);
                self.out.push_str("\":");
                return Ok(());
            }
            None => {}
        }
        let entry =
            serde_saphyr::to_string(&BTreeMap::from([(key, Value::Null)])).unwrap_or_default();
        match entry.strip_suffix(" null\n") {
            Some(text) if !text.starts_with("? ") => {
                self.out.push_str(text);
                Ok(())
            }
            _ => Err(Unsupported),
        }
    }

    /// Two spaces per `level`.
    fn indent(&mut self, level: usize) {
        super::indent(self.out, level);
    }
}

/// Whether `text` is one of the words YAML 1.1 reads as a boolean, null or special float, in
/// any letter case: `y`, `n`, `no`, `on`, `yes`, `off`, `nan`, `inf`, `null`, `true`,
/// `false`. They are the only ambiguous scalars that start with a letter.
fn is_word(text: &str) -> bool {
    let words: &[&str] = match text.len() {
        1 => &["y", "n"],
        2 => &["no", "on"],
        3 => &["yes", "off", "nan", "inf"],
        4 => &["null", "true"],
        5 => &["false"],
        _ => return false,
    };
    words.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Whether serde_saphyr writes `text` as a plain scalar in value position, for a class of
/// strings where that is clear: printable ASCII starting with a letter, `/` or `$` (no YAML
/// indicator, number, date or document marker starts so), not one of the [`is_word`] words,
/// with no `: ` (a mapping), ` #` (a comment), trailing `:` or trailing space. Other strings
/// may be plain too; serde_saphyr decides those.
fn is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || matches!(first, b'/' | b'$')) || matches!(last, b' ' | b':')
    {
        return false;
    }
    let mut previous = 0;
    for &byte in bytes {
        if !matches!(byte, b' '..=b'~')
            || (previous == b':' && byte == b' ')
            || (previous == b' ' && byte == b'#')
        {
            return false;
        }
        previous = byte;
    }
    !is_word(text)
}

/// For a key in the class of keys whose text is clear — ASCII letters, digits, `.`, `_`, `/`,
/// `-` and `:`, starting with a letter, not one of the [`is_word`] words, at most 1,024 bytes
/// — whether it has a colon: serde_saphyr writes it plain without one and double-quoted with
/// one (a colon would end a plain key). `None` for other keys.
fn key_word(key: &str) -> Option<bool> {
    let bytes = key.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) || bytes.len() > 1024 || is_word(key) {
        return None;
    }
    let mut colon = false;
    for &byte in bytes {
        match byte {
            b':' => colon = true,
            b'.' | b'_' | b'/' | b'-' => {}
            _ if byte.is_ascii_alphanumeric() => {}
            _ => return None,
        }
    }
    Some(colon)
}
