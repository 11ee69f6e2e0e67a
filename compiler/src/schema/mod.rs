//! The shape of the workspace language as data: every node, argument, property and child.
//!
//! The same table drives the shape checks in [`crate::lower()`], the did-you-mean and
//! "belongs in" suggestions, and the machine-readable schema that `berth schema` prints.

mod language;
mod workload;

use serde::Serialize;

pub use language::ROOT;

/// The type of an argument, property or map value.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ValueType {
    /// Any string; may hold `{{…}}` expressions.
    String,
    /// A lowercase DNS label naming something; expressions are not allowed.
    Name,
    /// A whole number within a range.
    Integer {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// `#true` or `#false`.
    Boolean,
    /// One string out of a fixed set.
    Choice {
        /// The accepted strings.
        values: &'static [&'static str],
    },
    /// CPU units (1024 = 1 vCPU) as an integer, `"N vCPU"` or `"Nm"` millicores.
    Cpu,
    /// Memory as integer MiB or a string with a unit (`"512MiB"`, `"1GiB"`, `"2GB"`).
    Memory,
    /// A duration string such as `"500ms"`, `"10s"`, `"5m"`, `"1h"`.
    Duration,
    /// A 5-field cron expression, always UTC.
    Cron,
    /// `"ssm:PATH"` or `"secretsmanager:NAME-OR-ARN"`.
    SecretRef,
    /// A string, number or boolean, used as text.
    Scalar,
}

impl ValueType {
    /// A short human description, used in messages.
    pub fn describe(self) -> String {
        match self {
            Self::String => "a string".into(),
            Self::Name => "a name (a quoted lowercase DNS label)".into(),
            Self::Integer { min, max } => format!("a whole number from {min} to {max}"),
            Self::Boolean => "`#true` or `#false`".into(),
            Self::Choice { values } => format!(
                "one of {}",
                values
                    .iter()
                    .map(|value| format!("`\"{value}\"`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Cpu => "cpu units (`256`), `\"0.5 vCPU\"` or millicores (`\"500m\"`)".into(),
            Self::Memory => "MiB (`512`) or a size string (`\"512MiB\"`, `\"1GiB\"`)".into(),
            Self::Duration => "a duration string such as `\"10s\"`".into(),
            Self::Cron => "a 5-field cron string".into(),
            Self::SecretRef => "`\"ssm:PATH\"` or `\"secretsmanager:NAME\"`".into(),
            Self::Scalar => "a string, number or boolean".into(),
        }
    }
}

/// A positional argument.
#[derive(Debug, Serialize)]
pub struct Argument {
    /// What the argument is called in docs and messages.
    pub name: &'static str,
    /// Its type.
    #[serde(flatten)]
    pub value: ValueType,
    /// One line of documentation.
    pub doc: &'static str,
}

/// A `key=value` property.
#[derive(Debug, Serialize)]
pub struct Property {
    /// The key.
    pub name: &'static str,
    /// Its type.
    #[serde(flatten)]
    pub value: ValueType,
    /// Whether the node is incomplete without it.
    pub required: bool,
    /// One line of documentation.
    pub doc: &'static str,
}

/// What a node's children block may hold.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Children {
    /// No children block.
    None,
    /// The listed nodes.
    Nodes {
        /// The accepted child nodes.
        nodes: &'static [&'static Node],
    },
    /// Free `KEY value` pairs, each a node with one argument.
    Map {
        /// The type of each value.
        #[serde(flatten)]
        value: ValueType,
    },
}

/// How often a node may appear in one parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Occurs {
    /// At most once.
    Once,
    /// Any number of times, but unique by its first argument.
    KeyedByName,
    /// Any number of times.
    Many,
}

/// One node of the language.
#[derive(Debug, Serialize)]
pub struct Node {
    /// The node name.
    pub name: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Positional arguments, in order.
    pub arguments: &'static [Argument],
    /// How many arguments are required.
    pub min_arguments: usize,
    /// Whether the last argument may repeat.
    pub variadic: bool,
    /// Accepted properties.
    pub properties: &'static [Property],
    /// Accepted children.
    pub children: Children,
    /// How often it may appear.
    pub occurs: Occurs,
    /// Whether its parent is incomplete without it.
    pub required: bool,
}

impl Node {
    /// The accepted child nodes (empty for maps and leaves).
    pub fn child_nodes(&self) -> &'static [&'static Node] {
        match self.children {
            Children::Nodes { nodes } => nodes,
            Children::None | Children::Map { .. } => &[],
        }
    }

    /// The child node schema named `name`.
    pub fn child(&self, name: &str) -> Option<&'static Node> {
        self.child_nodes()
            .iter()
            .copied()
            .find(|child| child.name == name)
    }

    /// The property schema named `name`.
    pub fn property(&self, name: &str) -> Option<&'static Property> {
        self.properties
            .iter()
            .find(|property| property.name == name)
    }

    /// The largest number of arguments, or `None` when variadic.
    pub fn max_arguments(&self) -> Option<usize> {
        (!self.variadic).then_some(self.arguments.len())
    }
}

/// Where a node name is used in the language: the names of the parents that accept it.
pub fn parents_of(name: &str) -> Vec<&'static str> {
    let mut parents = Vec::new();
    collect_parents(&ROOT, name, &mut parents);
    parents.sort_unstable();
    parents.dedup();
    parents
}

fn collect_parents(node: &'static Node, name: &str, parents: &mut Vec<&'static str>) {
    for child in node.child_nodes() {
        if child.name == name {
            parents.push(node.name);
        }
        collect_parents(child, name, parents);
    }
}

/// The machine-readable schema that `berth schema` prints and `schema/berth.schema.json` holds.
pub fn to_json() -> serde_json::Value {
    let mut schema = serde_json::json!({
        "$comment": "generated by `berth schema` from the compiler's language table; do not edit",
        "language": "berth workspace",
        "version": 1,
        "root": ROOT,
    });
    // Sorted even when another crate in the build turns on serde_json's `preserve_order`.
    schema.sort_all_objects();
    schema
}
