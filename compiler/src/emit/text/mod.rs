//! The text of emitted artifacts, written straight from `serde_json` values: pretty JSON
//! ([`json`]) and YAML ([`yaml`]), every object's keys in byte order.
//!
//! Why it exists: the serde route — clone the document, `sort_all_objects()`, then
//! `serde_json::to_string_pretty` or `serde_saphyr` — was the largest part of berth's own work at
//! 1,000 workloads (issue #12). These writers read the values by reference, sort each object's
//! keys as they go (without mutating it, so the output is the same whether or not another crate
//! turns on serde_json's `preserve_order`) and append to one `String`.
//!
//! Their output is byte-identical to that route, which the tests keep as the reference
//! (`mod tests`: every artifact of every example, fixture and generated workspace, and generated
//! values full of quoting edge cases):
//! - JSON: `sort_all_objects()` + `serde_json::to_string_pretty`.
//! - YAML: `sort_all_objects()` + `serde_saphyr` 2.2 with its default layout (two-space indent,
//!   compact lists, `{}`/`[]` for empty collections). Quoting rules are not restated here: a
//!   string or key outside a small class that is plain in any case (ASCII, starting with a
//!   letter, no `: `, ` #`, trailing `:` or space, not a YAML 1.1 word such as `yes` or `null`)
//!   is written as serde_saphyr writes that one scalar alone, and so is a string it may write as
//!   a `|` or `>` block scalar (with block scalars preferred, the CloudFormation YAML: one with
//!   a line break or over 80 bytes), re-indented to where it sits. The one shape handed to
//!   serde_saphyr whole is a document with a key longer than 1,024 characters, which it
//!   writes as an explicit `? key`.

mod json;
mod yaml;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

#[cfg(test)]
pub(crate) use json::json;
pub(crate) use json::json_entries;
pub(crate) use yaml::{BlockScalars, yaml, yaml_entries};

/// A value of a document's top level, for documents assembled from parts (a template's
/// sections) rather than held as one `Value`.
pub(crate) enum Node<'a> {
    /// An object held as its map.
    Object(&'a Map<String, Value>),
    /// A string.
    Text(&'a str),
}

/// Calls `visit` with the position, key and value of each entry of `map`, keys in byte order
/// (the order of `sort_all_objects` and of a `BTreeMap`). Entries already in order (always,
/// without `preserve_order`) are visited without collecting them.
fn each_sorted<'a, E>(
    map: &'a Map<String, Value>,
    mut visit: impl FnMut(usize, &'a str, &'a Value) -> Result<(), E>,
) -> Result<(), E> {
    if map.keys().is_sorted() {
        for (index, (key, value)) in map.iter().enumerate() {
            visit(index, key, value)?;
        }
    } else {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_unstable_by(|left, right| left.0.cmp(right.0));
        for (index, (key, value)) in entries.into_iter().enumerate() {
            visit(index, key, value)?;
        }
    }
    Ok(())
}

/// Appends two spaces per `level`.
fn indent(out: &mut String, level: usize) {
    /// Enough spaces for 32 levels, appended in one copy.
    const SPACES: &str = "                                                                ";
    match SPACES.get(..2 * level) {
        Some(spaces) => out.push_str(spaces),
        None => {
            for _ in 0..level {
                out.push_str("  ");
            }
        }
    }
}

/// A copy of `value` with every object's keys sorted: the input of the serde route.
fn sorted_copy(value: &Value) -> Value {
    let mut copy = value.clone();
    copy.sort_all_objects();
    copy
}

#[cfg(test)]
thread_local! {
    /// Whether renders on this thread take the serde route (the reference the tests compare
    /// the writers with).
    static REFERENCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether renders on this thread take the serde route ([`with_reference`]).
#[cfg(test)]
pub(crate) fn reference() -> bool {
    REFERENCE.with(std::cell::Cell::get)
}

/// Runs `work` with every render on this thread taking the serde route.
#[cfg(test)]
pub(crate) fn with_reference<T>(work: impl FnOnce() -> T) -> T {
    REFERENCE.with(|flag| flag.set(true));
    let result = work();
    REFERENCE.with(|flag| flag.set(false));
    result
}
