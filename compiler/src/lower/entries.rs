//! Small readers over KDL nodes: arguments, properties and the spans of their values.

use kdl::{KdlEntry, KdlNode};

use crate::source::Span;

/// The positional arguments of `node`.
pub fn arguments(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|entry| entry.name().is_none())
}

/// The argument at `index`.
pub fn argument(node: &KdlNode, index: usize) -> Option<&KdlEntry> {
    arguments(node).nth(index)
}

/// The properties of `node`.
pub fn properties(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|entry| entry.name().is_some())
}

/// The property `key` of `node` (the last one, as KDL specifies, when repeated).
pub fn property<'a>(node: &'a KdlNode, key: &str) -> Option<&'a KdlEntry> {
    properties(node)
        .filter(|entry| entry.name().is_some_and(|name| name.value() == key))
        .last()
}

/// The span of the node's name.
pub fn name_span(node: &KdlNode) -> Span {
    node.name().span().into()
}

/// The span of an entry's value: for a property, the part after `=`.
pub fn value_span(entry: &KdlEntry, source: &str) -> Span {
    let whole = Span::from(entry.span());
    let Some(name) = entry.name() else {
        return whole;
    };
    let after_name = Span::from(name.span()).end();
    let rest = source.get(after_name..whole.end()).unwrap_or_default();
    let skipped = rest
        .char_indices()
        .find(|(_, character)| !character.is_whitespace() && *character != '=')
        .map_or(rest.len(), |(index, _)| index);
    Span::new(
        after_name + skipped,
        whole.end().saturating_sub(after_name + skipped),
    )
}

/// The span of a property's key.
pub fn key_span(entry: &KdlEntry) -> Span {
    entry
        .name()
        .map_or_else(|| entry.span().into(), |name| name.span().into())
}

/// A short description of a KDL value's type, for messages.
pub fn describe(entry: &KdlEntry) -> &'static str {
    match entry.value() {
        kdl::KdlValue::String(_) => "a string",
        kdl::KdlValue::Integer(_) => "an integer",
        kdl::KdlValue::Float(_) => "a decimal number",
        kdl::KdlValue::Bool(_) => "a boolean",
        kdl::KdlValue::Null => "`#null`",
    }
}
