//! A CloudFormation template under construction, the intrinsic functions, logical ids and tags.
//! Rendered with every object's keys sorted (whatever serde_json's `preserve_order`), so output
//! is deterministic.

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::TemplateFormat;
use crate::emit::text::{self, BlockScalars, Node};
pub use crate::naming::logical_id;

/// The `AWSTemplateFormatVersion` of every template.
const FORMAT_VERSION: &str = "2010-09-09";

/// A template: parameters, conditions, resources and outputs by logical id.
#[derive(Debug, Default)]
pub struct Template {
    description: String,
    parameters: Map<String, Value>,
    conditions: Map<String, Value>,
    resources: Map<String, Value>,
    outputs: Map<String, Value>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// Adds a resource of `kind` with `properties`; returns its logical id.
    pub fn resource(&mut self, id: &str, kind: &str, properties: Value) -> String {
        self.resources
            .insert(id.to_owned(), typed(kind, properties));
        id.to_owned()
    }

    /// Adds a resource with extra top-level attributes (`DependsOn`, `Condition`, policies).
    pub fn resource_with(
        &mut self,
        id: &str,
        kind: &str,
        properties: Value,
        attributes: Value,
    ) -> String {
        let mut resource = typed(kind, properties);
        if let (Some(target), Value::Object(extra)) = (resource.as_object_mut(), attributes) {
            target.extend(extra);
        }
        self.resources.insert(id.to_owned(), resource);
        id.to_owned()
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, id: &str, definition: Value) {
        self.parameters.insert(id.to_owned(), definition);
    }

    /// Adds a condition.
    pub fn condition(&mut self, id: &str, definition: Value) {
        self.conditions.insert(id.to_owned(), definition);
    }

    /// Adds an output, exported under `export` when given.
    pub fn output(&mut self, id: &str, value: Value, export: Option<String>) {
        let mut output = Map::new();
        output.insert("Value".into(), value);
        if let Some(name) = export {
            output.insert("Export".into(), value!({ "Name": name }));
        }
        self.outputs.insert(id.to_owned(), Value::Object(output));
    }

    /// Sets the property `key` of the resource `id`, when it exists: for a property only some
    /// callers of a shared builder add.
    pub fn set_property(&mut self, id: &str, key: &str, value: Value) {
        if let Some(properties) = self
            .resources
            .get_mut(id)
            .and_then(|resource| resource.get_mut("Properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert(key.to_owned(), value);
        }
    }

    /// Whether a resource with this logical id exists.
    pub fn has_resource(&self, id: &str) -> bool {
        self.resources.contains_key(id)
    }

    /// How many resources the template holds.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// The logical ids of the outputs, sorted.
    pub fn output_keys(&self) -> Vec<String> {
        self.outputs.keys().cloned().collect()
    }

    /// The `(logical id, type)` of every resource CloudFormation keeps when the stack is
    /// deleted (`DeletionPolicy` `Retain`, `RetainExceptOnCreate` or `Snapshot`), sorted.
    pub fn retained_resources(&self) -> Vec<(String, String)> {
        self.resources
            .iter()
            .filter(|(_, resource)| {
                matches!(
                    resource["DeletionPolicy"].as_str(),
                    Some("Retain" | "RetainExceptOnCreate" | "Snapshot")
                )
            })
            .map(|(id, resource)| {
                let kind = resource["Type"].as_str().unwrap_or_default();
                (id.clone(), kind.to_owned())
            })
            .collect()
    }

    /// The template document, keys sorted (what [`Template::render`] writes).
    pub fn to_value(&self) -> Value {
        let mut document = Map::new();
        document.insert("AWSTemplateFormatVersion".into(), value!(FORMAT_VERSION));
        document.insert("Description".into(), value!(&self.description));
        for (key, section) in [
            ("Parameters", &self.parameters),
            ("Conditions", &self.conditions),
            ("Outputs", &self.outputs),
        ] {
            if !section.is_empty() {
                document.insert(key.into(), Value::Object(section.clone()));
            }
        }
        document.insert("Resources".into(), Value::Object(self.resources.clone()));
        let mut value = Value::Object(document);
        // Keys sorted whether or not another crate in the build turns on serde_json's
        // `preserve_order` (the AWS SDK's test utilities do, in test builds): the output must not
        // depend on feature unification.
        value.sort_all_objects();
        value
    }

    /// The template as text in `format`, written from the sections by reference (no copy of
    /// the document): top-level keys in byte order, then every object's keys sorted by the
    /// writers of `emit/text`.
    pub fn render(&self, format: TemplateFormat) -> String {
        #[cfg(test)]
        if text::reference() {
            return self.render_with_serde(format);
        }
        let mut entries = vec![("AWSTemplateFormatVersion", Node::Text(FORMAT_VERSION))];
        if !self.conditions.is_empty() {
            entries.push(("Conditions", Node::Object(&self.conditions)));
        }
        entries.push(("Description", Node::Text(&self.description)));
        if !self.outputs.is_empty() {
            entries.push(("Outputs", Node::Object(&self.outputs)));
        }
        if !self.parameters.is_empty() {
            entries.push(("Parameters", Node::Object(&self.parameters)));
        }
        entries.push(("Resources", Node::Object(&self.resources)));
        let mut content = String::new();
        match format {
            TemplateFormat::Json => {
                text::json_entries(&mut content, &entries);
                content.push('\n');
            }
            TemplateFormat::Yaml => {
                text::yaml_entries(&mut content, &entries, BlockScalars::Preferred, || {
                    self.to_value()
                });
            }
        }
        content
    }

    /// [`Template::render`] through serde (the reference the tests compare it with).
    #[cfg(test)]
    fn render_with_serde(&self, format: TemplateFormat) -> String {
        let value = self.to_value();
        let mut text = match format {
            TemplateFormat::Json => serde_json::to_string_pretty(&value).unwrap_or_default(),
            TemplateFormat::Yaml => serde_saphyr::to_string(&value).unwrap_or_default(),
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// `{"Type": kind, "Properties": properties}`, moving the properties in.
fn typed(kind: &str, properties: Value) -> Value {
    let mut resource = Map::new();
    resource.insert("Type".into(), Value::String(kind.to_owned()));
    resource.insert("Properties".into(), properties);
    Value::Object(resource)
}

/// `{"Ref": id}`.
pub fn reference(id: &str) -> Value {
    value!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub fn attribute(id: &str, name: &str) -> Value {
    value!({ "Fn::GetAtt": [id, name] })
}

/// `{"Fn::ImportValue": name}`.
pub fn import(name: &str) -> Value {
    value!({ "Fn::ImportValue": name })
}

/// `{"Fn::Sub": text}`.
pub fn sub(text: &str) -> Value {
    value!({ "Fn::Sub": text })
}

/// The `[{Key, Value}]` tag list: the workspace's tags plus berth's own, sorted by key.
pub fn tags(workspace: &crate::model::Workspace, workload: Option<&str>) -> Value {
    let mut pairs: std::collections::BTreeMap<String, String> = workspace
        .tags
        .iter()
        .map(|(key, value)| (key.clone(), value.value.clone()))
        .collect();
    pairs.insert("berth:workspace".into(), workspace.name.value.clone());
    pairs.insert(
        "berth:environment".into(),
        workspace.environment.value.clone(),
    );
    if let Some(workload) = workload {
        pairs.insert("berth:workload".into(), workload.to_owned());
    }
    Value::Array(
        pairs
            .into_iter()
            .map(|(key, value)| value!({ "Key": key, "Value": value }))
            .collect(),
    )
}

/// The logical ids of the resources of type `kind` in a rendered template (for tests).
#[cfg(test)]
pub(crate) fn resource_ids(template: &Value, kind: &str) -> Vec<String> {
    template["Resources"]
        .as_object()
        .map(|resources| {
            resources
                .iter()
                .filter(|(_, resource)| resource["Type"] == kind)
                .map(|(id, _)| id.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert_eq!(
            logical_id(&["Service", "web-api", "8080"]),
            "ServiceWebApi8080"
        );
        assert_eq!(logical_id(&["TargetGroup", "a.b_c"]), "TargetGroupABC");
    }
}
