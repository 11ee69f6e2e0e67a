//! The objects a build declares: each Kubernetes artifact read as YAML documents, every
//! `${berth:KEY}` placeholder filled from the stack output `manifest.json` names for it, and
//! checked to carry the labels that say which workspace and environment own it — all before
//! anything is applied, so an unfilled placeholder never reaches the cluster.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::error::KubernetesError;

/// What every placeholder starts with (the compiler's `emit::contract` writes them).
const PLACEHOLDER_START: &str = "${berth:";

/// Which object: enough to find it in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    /// The API group (`""` for the core group, `apps`, `external-secrets.io`).
    pub group: String,
    /// The kind.
    pub kind: String,
    /// The namespace, for namespaced objects.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectId {
    /// The identity of `object`, if it has a kind, an apiVersion and a name.
    pub fn of(object: &Value) -> Option<Self> {
        let api_version = object.get("apiVersion")?.as_str()?;
        Some(Self {
            group: api_version
                .rsplit_once('/')
                .map_or("", |(group, _)| group)
                .to_owned(),
            kind: object.get("kind")?.as_str()?.to_owned(),
            namespace: object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: object.pointer("/metadata/name")?.as_str()?.to_owned(),
        })
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(formatter, "{}/{namespace}/{}", self.kind, self.name),
            None => write!(formatter, "{}/{}", self.kind, self.name),
        }
    }
}

/// One object of the build, ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredObject {
    /// The artifact it comes from.
    pub artifact: String,
    /// The artifact's deploy order.
    pub order: u32,
    /// Its identity.
    pub id: ObjectId,
    /// `apps/v1`.
    pub api_version: String,
    /// The object, placeholders filled.
    pub object: Value,
}

/// A Kubernetes artifact of the build.
#[derive(Clone, Copy, Debug)]
pub struct ArtifactText<'a> {
    /// Its path in the build.
    pub path: &'a str,
    /// Its deploy order.
    pub order: u32,
    /// Its text.
    pub text: &'a str,
}

/// What fills the placeholders: each placeholder's value, and (for the error) the stack output
/// it should have come from.
#[derive(Clone, Debug, Default)]
pub struct Values {
    /// `${berth:KEY}` → value.
    pub filled: BTreeMap<String, String>,
    /// `${berth:KEY}` → `stack.Output`, for placeholders the manifest names but whose output
    /// was not found.
    pub expected: BTreeMap<String, String>,
}

/// Reads every artifact, fills its placeholders from `values`, and checks that each object
/// carries `owner_labels`. With `allow_unfilled`, a placeholder without a value is left in
/// place (for a plan made before the stacks exist) instead of being an error.
pub fn read(
    artifacts: &[ArtifactText<'_>],
    values: &Values,
    owner_labels: &BTreeMap<String, String>,
    allow_unfilled: bool,
) -> Result<Vec<DesiredObject>, KubernetesError> {
    let mut objects = Vec::new();
    for artifact in artifacts {
        let documents: Vec<Value> =
            serde_saphyr::from_str_multiple(artifact.text).map_err(|error| {
                KubernetesError::Artifact {
                    path: artifact.path.to_owned(),
                    reason: error.to_string(),
                }
            })?;
        for mut document in documents.into_iter().filter(|document| !document.is_null()) {
            fill(&mut document, values, artifact.path, allow_unfilled)?;
            let Some(id) = ObjectId::of(&document) else {
                return Err(KubernetesError::Artifact {
                    path: artifact.path.to_owned(),
                    reason: "a document has no apiVersion, kind or metadata.name".to_owned(),
                });
            };
            for (label, value) in owner_labels {
                let carried = document
                    .pointer("/metadata/labels")
                    .and_then(|labels| labels.get(label))
                    .and_then(Value::as_str);
                if carried != Some(value.as_str()) {
                    return Err(KubernetesError::Unlabelled {
                        path: artifact.path.to_owned(),
                        object: id.to_string(),
                        label: format!("{label}={value}"),
                    });
                }
            }
            let api_version = document
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            objects.push(DesiredObject {
                artifact: artifact.path.to_owned(),
                order: artifact.order,
                id,
                api_version,
                object: document,
            });
        }
    }
    Ok(objects)
}

/// Replaces every placeholder in the strings of `value`.
fn fill(
    value: &mut Value,
    values: &Values,
    path: &str,
    allow_unfilled: bool,
) -> Result<(), KubernetesError> {
    match value {
        Value::String(text) if text.contains(PLACEHOLDER_START) => {
            let mut filled = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find(PLACEHOLDER_START) {
                filled.push_str(&rest[..start]);
                let Some(length) = rest[start..].find('}') else {
                    filled.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let placeholder = &rest[start..=start + length];
                match values.filled.get(placeholder) {
                    Some(value) => filled.push_str(value),
                    None if allow_unfilled => filled.push_str(placeholder),
                    None => {
                        return Err(KubernetesError::Unfilled {
                            path: path.to_owned(),
                            placeholder: placeholder.to_owned(),
                            source_output: values.expected.get(placeholder).cloned(),
                        });
                    }
                }
                rest = &rest[start + length + 1..];
            }
            filled.push_str(rest);
            *text = filled;
        }
        Value::Array(items) => {
            for item in items {
                fill(item, values, path, allow_unfilled)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                fill(item, values, path, allow_unfilled)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The placeholders still in `value` (a plan's objects before the stacks exist).
pub fn unfilled(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_unfilled(value, &mut found);
    found.sort();
    found.dedup();
    found
}

fn collect_unfilled(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find(PLACEHOLDER_START) {
                let Some(length) = rest[start..].find('}') else {
                    break;
                };
                found.push(rest[start..=start + length].to_owned());
                rest = &rest[start + length + 1..];
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_unfilled(item, found)),
        Value::Object(map) => map.values().for_each(|item| collect_unfilled(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n  labels:\n    berth/workspace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - image: ${berth:EcrRegistry}/shop/api:1.0\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    berth/workspace: shop\n";

    fn labels() -> BTreeMap<String, String> {
        BTreeMap::from([("berth/workspace".to_owned(), "shop".to_owned())])
    }

    fn artifact() -> ArtifactText<'static> {
        ArtifactText {
            path: "service-api.yaml",
            order: 3,
            text: TEXT,
        }
    }

    #[test]
    fn fills_placeholders_inside_strings() {
        let values = Values {
            filled: BTreeMap::from([(
                "${berth:EcrRegistry}".to_owned(),
                "123.dkr.ecr.eu-west-1.amazonaws.com".to_owned(),
            )]),
            expected: BTreeMap::new(),
        };
        let objects = read(&[artifact()], &values, &labels(), false).expect("read");
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0]
                .object
                .pointer("/spec/template/spec/containers/0/image"),
            Some(&Value::from(
                "123.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.0"
            ))
        );
        assert_eq!(objects[0].id.to_string(), "Deployment/shop/api");
        assert_eq!(objects[1].id.to_string(), "Namespace/shop");
    }

    #[test]
    fn an_unfilled_placeholder_names_its_stack_output() {
        let values = Values {
            filled: BTreeMap::new(),
            expected: BTreeMap::from([(
                "${berth:EcrRegistry}".to_owned(),
                "shop-default-platform.EcrRegistry".to_owned(),
            )]),
        };
        let error = read(&[artifact()], &values, &labels(), false).expect_err("unfilled");
        assert_eq!(
            error.to_string(),
            "placeholder `${berth:EcrRegistry}` in `service-api.yaml` has no value (the output \
             `shop-default-platform.EcrRegistry` was not found)"
        );
        let objects = read(&[artifact()], &values, &labels(), true).expect("left in place");
        assert_eq!(unfilled(&objects[0].object), ["${berth:EcrRegistry}"]);
    }

    #[test]
    fn an_object_without_the_owner_labels_is_refused() {
        let mut owner = labels();
        owner.insert("berth/environment".into(), "prod".into());
        let error = read(&[artifact()], &Values::default(), &owner, true).expect_err("unlabelled");
        assert!(
            error.to_string().contains("berth/environment=prod"),
            "{error}"
        );
    }
}
