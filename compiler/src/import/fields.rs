//! Reading a JSON object field by field, so that whatever the importer does not use is noted
//! rather than silently dropped.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The fields of one object, remembering which were read.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    read: BTreeSet<&'a str>,
}

impl<'a> Fields<'a> {
    /// The fields of `value`, or of an empty object when it is not one.
    pub fn of(value: &'a Value) -> Self {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let object = value
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        Self {
            object,
            read: BTreeSet::new(),
        }
    }

    /// Field `key`, marked as read; `None` when absent or null.
    pub fn take(&mut self, key: &str) -> Option<&'a Value> {
        let (name, value) = self.object.get_key_value(key)?;
        self.read.insert(name.as_str());
        (!value.is_null()).then_some(value)
    }

    /// Field `key` as text (numbers and booleans as written).
    pub fn text(&mut self, key: &str) -> Option<String> {
        self.take(key).and_then(scalar_text)
    }

    /// Field `key` as a non-negative integer (also from a numeric string).
    pub fn integer(&mut self, key: &str) -> Option<u64> {
        self.take(key).and_then(integer)
    }

    /// Field `key` as a boolean.
    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        self.take(key).and_then(Value::as_bool)
    }

    /// Field `key` as an array (empty when absent or not an array).
    pub fn array(&mut self, key: &str) -> &'a [Value] {
        self.take(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Field `key` as a list of strings (empty when absent).
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        self.array(key).iter().filter_map(scalar_text).collect()
    }

    /// Marks `keys` as read without using them: metadata that describes the source rather than
    /// configures it.
    pub fn skip(&mut self, keys: &[&str]) {
        for key in keys {
            self.take(key);
        }
    }

    /// The fields not read that carry a setting (not null, empty or `false`), sorted by name so
    /// that notes do not depend on how the JSON map keeps its keys.
    pub fn unread(&self) -> Vec<(&'a str, &'a Value)> {
        let mut unread: Vec<(&'a str, &'a Value)> = self
            .object
            .iter()
            .filter(|(name, _)| !self.read.contains(name.as_str()))
            .filter(|(_, value)| carries_setting(value))
            .map(|(name, value)| (name.as_str(), value))
            .collect();
        unread.sort_by_key(|(name, _)| *name);
        unread
    }
}

/// Whether a value sets something: not null, `false`, an empty string, list or object.
pub fn carries_setting(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
        Value::Bool(true) | Value::Number(_) => true,
    }
}

/// `value` with every object's keys in sorted order, whichever order the JSON map keeps.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.clone(), sorted(&object[key])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A scalar as text: strings as they are, numbers and booleans as written.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A non-negative integer, also from a string of digits.
pub fn integer(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A short rendering of a value for a note: strings as they are, other values as compact JSON
/// with sorted keys, cut at 80 characters.
pub fn brief(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => sorted(other).to_string(),
    };
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
