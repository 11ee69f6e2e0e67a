//! Field-level differences between what runs and what an apply would make of it (a server-side
//! dry run), for `berth plan` and for deciding that an object is unchanged: the server's
//! bookkeeping (resource version, managed fields, status…) is left out, so only a change to
//! what berth declares counts.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

/// One field that would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// `.spec.template.spec.containers[0].image`.
    pub field: String,
    /// Its value now; `None` when it would be added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Its value after; `None` when it would be removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// Metadata fields the API server maintains itself.
const BOOKKEEPING: &[&str] = &[
    "resourceVersion",
    "managedFields",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// `object` without status and the server's bookkeeping: two objects that compare equal after
/// this hold the same declared state.
pub fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in BOOKKEEPING {
                metadata.remove(*field);
            }
            if metadata
                .get("annotations")
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                metadata.remove("annotations");
            }
        }
    }
    object
}

/// Every field that differs between `before` and `after` (both passed through
/// [`comparable`]), in field order.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(
        &comparable(before),
        &comparable(after),
        &mut String::new(),
        &mut changes,
    );
    changes
}

fn walk(before: &Value, after: &Value, path: &mut String, changes: &mut Vec<FieldChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let length = path.len();
                push_key(path, key);
                match (old.get(key), new.get(key)) {
                    (Some(old), Some(new)) => walk(old, new, path, changes),
                    (old, new) => changes.push(FieldChange {
                        field: path.clone(),
                        before: old.cloned(),
                        after: new.cloned(),
                    }),
                }
                path.truncate(length);
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (index, (old, new)) in old.iter().zip(new).enumerate() {
                let length = path.len();
                let _ = write!(path, "[{index}]");
                walk(old, new, path, changes);
                path.truncate(length);
            }
        }
        _ => changes.push(FieldChange {
            field: path.clone(),
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
    }
}

/// `.key`, or `["key"]` when the key is not a plain identifier (labels, annotations).
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '_' || character == '-'
        });
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        let _ = write!(path, "[{key:?}]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_changed_added_and_removed_fields_and_ignores_bookkeeping() {
        let before = json!({
            "metadata": {"name": "api", "resourceVersion": "7", "labels": {"berth/env": "prod"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "api:1"}]}}, "paused": false},
            "status": {"replicas": 2},
        });
        let after = json!({
            "metadata": {"name": "api", "resourceVersion": "8", "labels": {"berth/env": "prod", "team": "a", "app.kubernetes.io/version": "2"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "api:2"}]}}},
        });
        let changes = field_changes(&before, &after);
        let fields: Vec<&str> = changes.iter().map(|change| change.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                ".metadata.labels[\"app.kubernetes.io/version\"]",
                ".metadata.labels.team",
                ".spec.paused",
                ".spec.template.spec.containers[0].image"
            ]
        );
        assert_eq!(changes[0].before, None);
        assert_eq!(changes[2].after, None);
        assert_eq!(changes[3].after, Some(json!("api:2")));
        assert!(field_changes(&before, &json!({"metadata": {"name": "api", "labels": {"berth/env": "prod"}}, "spec": before["spec"]})).is_empty());
    }
}
