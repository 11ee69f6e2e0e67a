//! The fake's objects and server-side apply: each field is owned by the field managers that set
//! it; an apply sets the fields of its configuration, removes the fields its manager set before
//! and no longer sets (unless another manager owns them), and conflicts when it would change a
//! field another manager owns — unless forced, which takes the field over. Maps merge key by
//! key; lists are atomic (real servers merge some lists by key: berth always sends whole lists,
//! so the difference does not show). The server's defaults are filled in on write, so a dry run
//! differs from the configuration the way a real server's does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::resources::Resource;

/// A field: the keys from the object's root.
pub type FieldPath = Vec<String>;

/// An object's identity: group, plural, namespace (`""` when cluster-scoped) and name.
pub type Key = (String, String, String, String);

/// What one field manager owns of an object.
#[derive(Clone, Debug, Default)]
pub struct Owner {
    /// `Apply` or `Update`.
    pub operation: String,
    /// The API version it wrote with.
    pub api_version: String,
    /// The fields.
    pub fields: BTreeSet<FieldPath>,
}

/// One stored object.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its type.
    pub resource: Resource,
    /// The object (without `managedFields`, which [`Stored::render`] adds).
    pub object: Value,
    /// Field ownership by manager.
    pub owners: BTreeMap<String, Owner>,
}

impl Stored {
    /// The object as the API returns it.
    pub fn render(&self) -> Value {
        let mut object = self.object.clone();
        let managed: Vec<Value> = self
            .owners
            .iter()
            .filter(|(_, owner)| !owner.fields.is_empty())
            .map(|(manager, owner)| {
                json!({
                    "manager": manager,
                    "operation": owner.operation,
                    "apiVersion": owner.api_version,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields_v1(&owner.fields),
                    "time": "2026-01-01T00:00:00Z",
                })
            })
            .collect();
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.insert("managedFields".into(), Value::Array(managed));
        }
        object
    }

    /// The object's labels.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(key, value)| {
                        (key.clone(), value.as_str().unwrap_or_default().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether deletion has begun (a finalizer holds it).
    pub fn deleting(&self) -> bool {
        self.object.pointer("/metadata/deletionTimestamp").is_some()
    }
}

/// Why an apply was refused.
#[derive(Debug)]
pub enum ApplyError {
    /// Fields another manager owns would change: `(manager, field)` pairs.
    Conflict(Vec<(String, String)>),
    /// The namespace does not exist.
    NamespaceMissing(String),
    /// The body is not an object of this resource.
    Invalid(String),
    /// The object is being deleted.
    Terminating,
}

/// Every object, and the counters a real server keeps.
#[derive(Debug, Default)]
pub struct Store {
    /// The objects by key.
    pub objects: BTreeMap<Key, Stored>,
    resource_version: u64,
    uids: u64,
    cluster_ips: u32,
}

/// The key of an object.
pub fn key(resource: &Resource, namespace: Option<&str>, name: &str) -> Key {
    (
        resource.group.to_owned(),
        resource.plural.to_owned(),
        namespace.unwrap_or_default().to_owned(),
        name.to_owned(),
    )
}

impl Store {
    /// The next resource version.
    fn next_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// Server-side apply of `config` by `manager`. Returns the resulting object and whether it
    /// was created. A dry run computes the same and stores nothing.
    #[expect(clippy::too_many_arguments, reason = "one apply request's parts")]
    pub fn apply(
        &mut self,
        resource: Resource,
        namespace: Option<&str>,
        name: &str,
        config: &Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<(Value, bool), ApplyError> {
        check_identity(&resource, namespace, name, config)?;
        if let Some(namespace) = namespace {
            let namespace_key = (
                String::new(),
                "namespaces".to_owned(),
                String::new(),
                namespace.to_owned(),
            );
            match self.objects.get(&namespace_key) {
                None => return Err(ApplyError::NamespaceMissing(namespace.to_owned())),
                Some(stored) if stored.deleting() => return Err(ApplyError::Terminating),
                Some(_) => {}
            }
        }
        let key = key(&resource, namespace, name);
        let applied = leaves_of_config(config);
        let existing = self.objects.get(&key).cloned();
        let created = existing.is_none();
        let mut stored = existing.unwrap_or_else(|| {
            let mut metadata = json!({"name": name});
            if let Some(namespace) = namespace {
                metadata["namespace"] = json!(namespace);
            }
            Stored {
                resource,
                object: json!({"apiVersion": resource.api_version(), "kind": resource.kind, "metadata": metadata}),
                owners: BTreeMap::new(),
            }
        });
        if stored.deleting() {
            return Err(ApplyError::Terminating);
        }
        let before = stored.object.clone();
        let before_owners: BTreeMap<String, BTreeSet<FieldPath>> = stored
            .owners
            .iter()
            .map(|(manager, owner)| (manager.clone(), owner.fields.clone()))
            .collect();

        let mut conflicts = Vec::new();
        for (other, owner) in &mut stored.owners {
            if other == manager {
                continue;
            }
            let mut taken = Vec::new();
            for owned in &owner.fields {
                for (path, value) in &applied {
                    let overlap = owned.starts_with(path) || path.starts_with(owned);
                    if !overlap {
                        continue;
                    }
                    let longer = if owned.len() > path.len() {
                        owned
                    } else {
                        path
                    };
                    let current = get_path(&stored.object, longer);
                    let wanted = if path.len() >= owned.len() {
                        Some(value.clone())
                    } else {
                        get_path(value, &longer[path.len()..])
                    };
                    if current != wanted {
                        taken.push(owned.clone());
                        conflicts.push((other.clone(), dotted(owned)));
                    }
                }
            }
            if force {
                for owned in taken {
                    owner.fields.remove(&owned);
                }
            }
        }
        if !force && !conflicts.is_empty() {
            conflicts.sort();
            conflicts.dedup();
            return Err(ApplyError::Conflict(conflicts));
        }

        let previous = stored
            .owners
            .get(manager)
            .map(|owner| owner.fields.clone())
            .unwrap_or_default();
        for dropped in previous.iter().filter(|path| !applied.contains_key(*path)) {
            let kept = stored.owners.iter().any(|(other, owner)| {
                other != manager
                    && owner
                        .fields
                        .iter()
                        .any(|owned| owned.starts_with(dropped) || dropped.starts_with(owned))
            });
            if !kept {
                remove_path(&mut stored.object, dropped);
            }
        }
        for (path, value) in &applied {
            set_path(&mut stored.object, path, value.clone());
        }
        stored.owners.insert(
            manager.to_owned(),
            Owner {
                operation: "Apply".into(),
                api_version: resource.api_version(),
                fields: applied.keys().cloned().collect(),
            },
        );
        stored.owners.retain(|_, owner| !owner.fields.is_empty());
        self.fill_defaults(&mut stored, created);

        let after_owners: BTreeMap<String, BTreeSet<FieldPath>> = stored
            .owners
            .iter()
            .map(|(manager, owner)| (manager.clone(), owner.fields.clone()))
            .collect();
        let content_changed = strip_bookkeeping(&before) != strip_bookkeeping(&stored.object);
        if dry_run {
            if created {
                remove_path(&mut stored.object, &["metadata".into(), "uid".into()]);
            }
            return Ok((stored.render(), created));
        }
        if created || content_changed || before_owners != after_owners {
            let version = self.next_version();
            set_path(
                &mut stored.object,
                &path(&["metadata", "resourceVersion"]),
                json!(version),
            );
            let generation_changed = created || spec_of(&before) != spec_of(&stored.object);
            if generation_changed {
                let generation = stored
                    .object
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    + 1;
                set_path(
                    &mut stored.object,
                    &path(&["metadata", "generation"]),
                    json!(generation),
                );
            }
        }
        let rendered = stored.render();
        self.objects.insert(key, stored);
        Ok((rendered, created))
    }

    /// An `Update` by `manager` (a person with `kubectl edit`, or a controller): `change` edits
    /// the object, and the manager takes the fields whose values it changed.
    pub fn update(&mut self, key: &Key, manager: &str, change: impl FnOnce(&mut Value)) -> bool {
        let Some(stored) = self.objects.get_mut(key) else {
            return false;
        };
        let before = stored.object.clone();
        change(&mut stored.object);
        if before == stored.object {
            return true;
        }
        let mut changed_leaves: BTreeMap<FieldPath, Value> = BTreeMap::new();
        leaves(&stored.object, &mut Vec::new(), &mut changed_leaves);
        changed_leaves.retain(|path, value| {
            path.first()
                .is_some_and(|first| first != "status" && first != "metadata")
                && get_path(&before, path).as_ref() != Some(value)
        });
        for owner in stored.owners.values_mut() {
            owner.fields.retain(|owned| {
                !changed_leaves
                    .keys()
                    .any(|path| owned.starts_with(path) || path.starts_with(owned))
            });
        }
        if !changed_leaves.is_empty() {
            let api_version = stored.resource.api_version();
            let owner = stored
                .owners
                .entry(manager.to_owned())
                .or_insert_with(|| Owner {
                    operation: "Update".into(),
                    api_version,
                    fields: BTreeSet::new(),
                });
            owner.fields.extend(changed_leaves.into_keys());
        }
        stored.owners.retain(|_, owner| !owner.fields.is_empty());
        let generation_changed = spec_of(&before) != spec_of(&stored.object);
        let version = {
            self.resource_version += 1;
            self.resource_version
        };
        let Some(stored) = self.objects.get_mut(key) else {
            return false;
        };
        set_path(
            &mut stored.object,
            &path(&["metadata", "resourceVersion"]),
            json!(version.to_string()),
        );
        if generation_changed {
            let generation = stored
                .object
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            set_path(
                &mut stored.object,
                &path(&["metadata", "generation"]),
                json!(generation),
            );
        }
        true
    }

    /// Creates an object outright (what a controller or an installer makes), owned by `manager`.
    pub fn create(&mut self, resource: Resource, object: Value, manager: &str) -> Key {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let key = key(&resource, namespace.as_deref(), &name);
        let mut fields = BTreeMap::new();
        leaves(&object, &mut Vec::new(), &mut fields);
        fields.retain(|path, _| {
            path.first()
                .is_some_and(|first| first != "status" && first != "metadata")
        });
        let mut stored = Stored {
            resource,
            object,
            owners: BTreeMap::from([(
                manager.to_owned(),
                Owner {
                    operation: "Update".into(),
                    api_version: resource.api_version(),
                    fields: fields.into_keys().collect(),
                },
            )]),
        };
        set_path(
            &mut stored.object,
            &path(&["apiVersion"]),
            json!(resource.api_version()),
        );
        set_path(&mut stored.object, &path(&["kind"]), json!(resource.kind));
        self.fill_defaults(&mut stored, true);
        let version = self.next_version();
        set_path(
            &mut stored.object,
            &path(&["metadata", "resourceVersion"]),
            json!(version),
        );
        set_path(
            &mut stored.object,
            &path(&["metadata", "generation"]),
            json!(1),
        );
        self.objects.insert(key.clone(), stored);
        key
    }

    /// Replaces an object's `status` (a controller's write); bumps the resource version when it
    /// changed.
    pub fn set_status(&mut self, key: &Key, status: Value) {
        let changed = self
            .objects
            .get(key)
            .is_some_and(|stored| stored.object.get("status") != Some(&status));
        if !changed {
            return;
        }
        let version = self.next_version();
        if let Some(stored) = self.objects.get_mut(key) {
            set_path(&mut stored.object, &path(&["status"]), status);
            set_path(
                &mut stored.object,
                &path(&["metadata", "resourceVersion"]),
                json!(version),
            );
        }
    }

    /// Deletes an object: at once, or (with finalizers) marks it and leaves it for the
    /// controllers. Returns the object as it was.
    pub fn delete(&mut self, key: &Key) -> Option<Value> {
        let stored = self.objects.get(key)?;
        let has_finalizers = stored
            .object
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|finalizers| !finalizers.is_empty())
            || stored.resource.kind == "Namespace";
        if has_finalizers {
            if stored.deleting() {
                return Some(stored.render());
            }
            let version = self.next_version();
            let stored = self.objects.get_mut(key)?;
            set_path(
                &mut stored.object,
                &path(&["metadata", "deletionTimestamp"]),
                json!("2026-01-01T00:00:00Z"),
            );
            set_path(
                &mut stored.object,
                &path(&["metadata", "resourceVersion"]),
                json!(version),
            );
            if stored.resource.kind == "Namespace" {
                set_path(
                    &mut stored.object,
                    &path(&["status", "phase"]),
                    json!("Terminating"),
                );
            }
            return Some(stored.render());
        }
        self.objects.remove(key).map(|stored| stored.render())
    }

    /// Removes an object whatever its finalizers (a controller finishing a deletion).
    pub fn remove(&mut self, key: &Key) {
        self.objects.remove(key);
    }

    /// The objects of `resource` (in `namespace`, or all) whose labels match `selector`.
    pub fn list(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        selector: &Selector,
    ) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((group, plural, object_namespace, _), stored)| {
                group == resource.group
                    && plural == resource.plural
                    && namespace.is_none_or(|namespace| namespace == object_namespace)
                    && selector.matches(&stored.labels())
            })
            .map(|(_, stored)| stored.render())
            .collect()
    }

    /// The server's defaults for fields nobody set, as a real API server fills them.
    fn fill_defaults(&mut self, stored: &mut Stored, created: bool) {
        let object = &mut stored.object;
        if created {
            self.uids += 1;
            set_path(
                object,
                &path(&["metadata", "uid"]),
                json!(format!("00000000-0000-4000-8000-{:012}", self.uids)),
            );
            set_path(
                object,
                &path(&["metadata", "creationTimestamp"]),
                json!("2026-01-01T00:00:00Z"),
            );
        }
        let default = |object: &mut Value, at: &[&str], value: Value| {
            let at = path(at);
            if get_path(object, &at).is_none() {
                set_path(object, &at, value);
            }
        };
        match stored.resource.kind {
            "Deployment" => {
                default(object, &["spec", "replicas"], json!(1));
                default(object, &["spec", "revisionHistoryLimit"], json!(10));
                default(object, &["spec", "progressDeadlineSeconds"], json!(600));
            }
            "Service" => {
                default(object, &["spec", "sessionAffinity"], json!("None"));
                if get_path(object, &path(&["spec", "clusterIP"])).is_none() {
                    self.cluster_ips += 1;
                    let ip = format!(
                        "10.100.{}.{}",
                        self.cluster_ips / 250,
                        self.cluster_ips % 250 + 1
                    );
                    set_path(object, &path(&["spec", "clusterIP"]), json!(ip));
                }
            }
            "Namespace" => {
                default(object, &["spec", "finalizers"], json!(["kubernetes"]));
                default(object, &["status", "phase"], json!("Active"));
            }
            "CronJob" => {
                default(object, &["spec", "suspend"], json!(false));
                default(object, &["spec", "successfulJobsHistoryLimit"], json!(3));
            }
            _ => {}
        }
    }
}

/// A label selector: `key=value`, `key==value`, `key!=value`, `key`, `!key`, comma-separated.
#[derive(Clone, Debug, Default)]
pub struct Selector(Vec<Requirement>);

#[derive(Clone, Debug)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

impl Selector {
    /// Parses a selector; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut requirements = Vec::new();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let requirement = if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().into(), value.trim().into())
            } else if let Some((key, value)) = part.split_once("==") {
                Requirement::Equals(key.trim().into(), value.trim().into())
            } else if let Some((key, value)) = part.split_once('=') {
                Requirement::Equals(key.trim().into(), value.trim().into())
            } else if let Some(key) = part.strip_prefix('!') {
                Requirement::Absent(key.trim().into())
            } else if part.contains(' ') {
                return None;
            } else {
                Requirement::Exists(part.into())
            };
            requirements.push(requirement);
        }
        Some(Self(requirements))
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => labels.get(key) == Some(value),
            Requirement::NotEquals(key, value) => labels.get(key) != Some(value),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::Absent(key) => !labels.contains_key(key),
        })
    }
}

/// `.spec.replicas`.
pub fn dotted(path: &FieldPath) -> String {
    path.iter().fold(String::new(), |mut text, key| {
        text.push('.');
        text.push_str(key);
        text
    })
}

/// A path from string slices.
pub fn path(keys: &[&str]) -> FieldPath {
    keys.iter().map(|key| (*key).to_owned()).collect()
}

/// The fields an applied configuration sets: every leaf outside the identity and status, and
/// of the metadata only labels and annotations.
fn leaves_of_config(config: &Value) -> BTreeMap<FieldPath, Value> {
    let mut all = BTreeMap::new();
    leaves(config, &mut Vec::new(), &mut all);
    all.retain(|path, _| match path.first().map(String::as_str) {
        Some("apiVersion" | "kind" | "status") | None => false,
        Some("metadata") => matches!(
            path.get(1).map(String::as_str),
            Some("labels" | "annotations")
        ),
        Some(_) => true,
    });
    all
}

/// Every leaf of `value`: scalars, lists and empty maps.
fn leaves(value: &Value, prefix: &mut FieldPath, into: &mut BTreeMap<FieldPath, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                prefix.push(key.clone());
                leaves(child, prefix, into);
                prefix.pop();
            }
        }
        _ => {
            into.insert(prefix.clone(), value.clone());
        }
    }
}

/// The value at `path`.
pub fn get_path(value: &Value, path: &[String]) -> Option<Value> {
    let mut current = value;
    for key in path {
        current = current.as_object()?.get(key)?;
    }
    Some(current.clone())
}

/// Sets the value at `path`, creating maps on the way.
pub fn set_path(value: &mut Value, path: &[String], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        *value = new;
        return;
    };
    let mut current = value;
    for key in parents {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Some(map) = current.as_object_mut() else {
            return;
        };
        current = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    if let Some(map) = current.as_object_mut() {
        map.insert(last.clone(), new);
    }
}

/// Removes the value at `path`, and the maps it leaves empty.
fn remove_path(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        map.remove(first);
        return;
    }
    if let Some(child) = map.get_mut(first) {
        remove_path(child, rest);
        if child.as_object().is_some_and(Map::is_empty) {
            map.remove(first);
        }
    }
}

/// The object without what the server changes on every write.
fn strip_bookkeeping(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "resourceVersion",
            "generation",
            "managedFields",
            "uid",
            "creationTimestamp",
        ] {
            metadata.remove(field);
        }
    }
    object
}

/// Everything but metadata and status: what a change of bumps the generation.
fn spec_of(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    object
}

/// Refuses a body whose kind, version, name or namespace differ from the URL's.
fn check_identity(
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
    config: &Value,
) -> Result<(), ApplyError> {
    let api_version = config.get("apiVersion").and_then(Value::as_str);
    let kind = config.get("kind").and_then(Value::as_str);
    if api_version != Some(&resource.api_version()) || kind != Some(resource.kind) {
        return Err(ApplyError::Invalid(format!(
            "the body is {api_version:?}/{kind:?}, the URL is {}/{}",
            resource.api_version(),
            resource.kind
        )));
    }
    if config.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
        return Err(ApplyError::Invalid(
            "the name of the body does not match the URL".into(),
        ));
    }
    let body_namespace = config
        .pointer("/metadata/namespace")
        .and_then(Value::as_str);
    if body_namespace.is_some() && body_namespace != namespace {
        return Err(ApplyError::Invalid(
            "the namespace of the body does not match the URL".into(),
        ));
    }
    Ok(())
}

/// The `fieldsV1` form of a set of fields.
fn fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = Value::Object(Map::new());
    for field in fields {
        let prefixed: FieldPath = field.iter().map(|key| format!("f:{key}")).collect();
        set_path(&mut root, &prefixed, json!({}));
    }
    root
}
