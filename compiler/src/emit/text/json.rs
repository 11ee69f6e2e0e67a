//! Pretty JSON, byte-identical to `sort_all_objects()` + `serde_json::to_string_pretty`: two
//! spaces per level, `": "` after a key, `{}` and `[]` for empty collections, serde_json's
//! string escapes and number formatting, no trailing newline.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{Node, each_sorted};

/// Appends `value` as pretty JSON to `out` (templates use [`json_entries`]).
#[cfg(test)]
pub(crate) fn json(out: &mut String, value: &Value) {
    write_value(out, value, 0);
}

/// Appends a top-level object of `entries` (in the order given: sorted by the caller).
pub(crate) fn json_entries(out: &mut String, entries: &[(&str, Node<'_>)]) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (index, (key, node)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline(out, 1);
        write_string(out, key);
        out.push_str(": ");
        match node {
            Node::Object(map) => write_object(out, map, 1),
            Node::Text(text) => write_string(out, text),
        }
    }
    newline(out, 0);
    out.push('}');
}

/// `value` at nesting `level`, its first line already indented.
fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // `Number`'s `Display` is the serializer's own formatting (itoa and zmij).
        Value::Number(number) => {
            let _ = write!(out, "{number}");
        }
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_value(out, item, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        Value::Object(map) => write_object(out, map, level),
    }
}

/// An object at nesting `level`, keys in byte order.
fn write_object(out: &mut String, map: &Map<String, Value>, level: usize) {
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    let _ = each_sorted(map, |index, key, value| {
        if index > 0 {
            out.push(',');
        }
        newline(out, level + 1);
        write_string(out, key);
        out.push_str(": ");
        write_value(out, value, level + 1);
        Ok::<(), ()>(())
    });
    newline(out, level);
    out.push('}');
}

/// A line break and the indentation of `level`.
fn newline(out: &mut String, level: usize) {
    out.push('\n');
    super::indent(out, level);
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, the short escapes `\b \f \n \r
/// \t`, any other control character below U+0020 as `\u00xx` (lower-case hex), everything else
/// (U+007F and all non-ASCII included) as is.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    // Most strings need no escape: one pass without early exit (the compiler vectorises it),
    // then one copy.
    if text
        .bytes()
        .filter(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
        .count()
        == 0
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\x08' => "\\b",
            b'\x0c' => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}
