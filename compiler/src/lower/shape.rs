//! Shape checks driven by the language table: unknown and misplaced nodes, unknown properties,
//! argument counts, value types and ranges, duplicates and missing required parts.
//!
//! Shape is checked on the document as written, environments included, before any overlay is
//! applied, so a typo in an environment that is not selected is still reported.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use super::advice::{cpu_advice, memory_advice, trimmed};
use super::entries::{arguments, describe, key_span, name_span, properties, value_span};
use super::references::WorkloadNames;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::interpolate::has_expression;
use crate::naming;
use crate::schema::{self, Children, Node, Occurs, ValueType};
use crate::source::Span;
use crate::suggest::{did_you_mean, one_of};

/// Checks the shape of every node in `document`.
pub fn check_shape(document: &KdlDocument, source: &str, diagnostics: &mut Diagnostics) {
    let mut checker = ShapeChecker {
        source,
        diagnostics,
        workloads: WorkloadNames::of(document),
    };
    checker.check_children(document, &schema::ROOT, Span::new(0, 0), false);
}

/// Where each node that may appear once (per scope and name) was first seen: `(scope, name)`,
/// borrowed from the schema and the document where possible.
type FirstSeen<'document> = BTreeMap<(&'static str, Cow<'document, str>), Span>;

struct ShapeChecker<'a> {
    source: &'a str,
    diagnostics: &'a mut Diagnostics,
    workloads: WorkloadNames,
}

impl ShapeChecker<'_> {
    fn check_children(
        &mut self,
        document: &KdlDocument,
        parent: &'static Node,
        parent_span: Span,
        overlay: bool,
    ) {
        if let Children::Map { value } = parent.children {
            self.check_map(document, parent, value);
            return;
        }
        let mut first_seen: FirstSeen<'_> = BTreeMap::new();
        for node in document.nodes() {
            let name = node.name().value();
            let Some(schema) = parent.child(name) else {
                self.report_unknown(node, parent);
                continue;
            };
            self.check_occurrence(node, schema, &mut first_seen);
            let inside_overlay = overlay || parent.name == "environment";
            self.check_node(node, schema, inside_overlay);
        }
        if overlay {
            return;
        }
        for required in parent.child_nodes().iter().filter(|child| child.required) {
            if document.get(required.name).is_none() {
                self.report_missing_child(parent, required, parent_span);
            }
        }
    }

    fn check_occurrence<'document>(
        &mut self,
        node: &'document KdlNode,
        schema: &'static Node,
        first_seen: &mut FirstSeen<'document>,
    ) {
        // Repeated port numbers are reported once, by the port-conflict rule, across sidecars too.
        if schema.name == "port" {
            return;
        }
        let (scope, key, span) = match schema.occurs {
            Occurs::Many => return,
            Occurs::Once => (schema.name, Cow::Borrowed(""), name_span(node)),
            Occurs::KeyedByName => {
                let Some(entry) = arguments(node).next() else {
                    return;
                };
                let key = match entry.value() {
                    KdlValue::String(text) => Cow::Borrowed(text.as_str()),
                    other => Cow::Owned(other.to_string()),
                };
                let scope = if is_workload(schema.name) {
                    "workload"
                } else {
                    schema.name
                };
                (scope, key, Span::from(entry.span()))
            }
        };
        let seen = (scope, key);
        let Some(first) = first_seen.get(&seen).copied() else {
            first_seen.insert(seen, span);
            return;
        };
        let (scope, key) = seen;
        let diagnostic = if schema.occurs == Occurs::Once {
            Diagnostic::new(
                Code::DuplicateNode,
                format!("`{}` is set twice", schema.name),
                span,
                "set again here",
            )
            .with_label(first, "first set here")
            .with_help("remove one of them")
        } else {
            let help = if scope == "workload" {
                "services, workers and jobs share one scope; rename one of them"
            } else {
                "rename or remove one of them"
            };
            Diagnostic::new(
                Code::DuplicateName,
                format!("`{key}` is defined twice"),
                span,
                "defined again here",
            )
            .with_label(first, "first defined here")
            .with_help(help)
        };
        self.diagnostics.push(diagnostic);
    }

    fn check_node(&mut self, node: &KdlNode, schema: &'static Node, overlay: bool) {
        let mut count = 0;
        for (index, entry) in arguments(node).enumerate() {
            count = index + 1;
            let expected = schema
                .arguments
                .get(index)
                .or_else(|| schema.variadic.then(|| schema.arguments.last()).flatten());
            if let (Some(text), true) = (
                entry.value().as_string(),
                is_workload(schema.name) || schema.name == "depends-on",
            ) {
                let declaration = !overlay && is_workload(schema.name) && index == 0;
                if declaration {
                    self.check_declared_name(text, entry, schema.name);
                    continue;
                }
                // A repeated workload name is judged at its declaration.
                if self.workloads.is_declared(text) {
                    continue;
                }
            }
            match expected {
                Some(argument) => self.check_value(entry, argument.value, node.name().value()),
                None if index == schema.arguments.len() => {
                    self.report_extra_argument(node, schema, entry);
                }
                None => {}
            }
        }
        if count < schema.min_arguments {
            let missing = &schema.arguments[count.min(schema.arguments.len().saturating_sub(1))];
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("`{}` needs its {} argument", schema.name, missing.name),
                    name_span(node),
                    format!("expected {} here", missing.value.describe()),
                )
                .with_help(format!("`{}`: {}", schema.name, schema.doc)),
            );
        }
        for entry in properties(node) {
            self.check_property(node, schema, entry);
        }
        for required in schema
            .properties
            .iter()
            .filter(|property| property.required)
        {
            if super::entries::property(node, required.name).is_none() {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MissingField,
                        format!("`{}` needs the property `{}`", schema.name, required.name),
                        name_span(node),
                        format!("`{}=` is missing", required.name),
                    )
                    .with_help(format!("add `{}=…`: {}", required.name, required.doc)),
                );
            }
        }
        if let Some(children) = node.children() {
            if matches!(schema.children, Children::None) {
                let span = children
                    .nodes()
                    .first()
                    .map_or_else(|| children.span().into(), name_span);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownNode,
                        format!("`{}` takes no children block", schema.name),
                        span,
                        "not allowed here",
                    )
                    .with_help(format!("`{}`: {}", schema.name, schema.doc)),
                );
            } else {
                self.check_children(children, schema, name_span(node), overlay);
            }
        }
    }

    fn check_property(&mut self, node: &KdlNode, schema: &'static Node, entry: &KdlEntry) {
        let Some(key) = entry.name().map(kdl::KdlIdentifier::value) else {
            return;
        };
        if let Some(property) = schema.property(key) {
            self.check_value(entry, property.value, key);
            return;
        }
        let names: Vec<&str> = schema
            .properties
            .iter()
            .map(|property| property.name)
            .collect();
        let help = if schema.child(key).is_some() {
            format!(
                "`{key}` is a child node here: write `{} … {{ {key} …; }}`",
                schema.name
            )
        } else if let Some(near) = did_you_mean(key, &names) {
            format!("did you mean `{near}`?")
        } else if names.is_empty() {
            format!("`{}` takes no properties", schema.name)
        } else {
            format!("`{}` accepts {}", schema.name, one_of(&names))
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnknownProperty,
                format!("unknown property `{key}` on `{}`", node.name().value()),
                key_span(entry),
                "unknown property",
            )
            .with_help(help),
        );
    }

    fn check_map(&mut self, document: &KdlDocument, parent: &'static Node, value: ValueType) {
        let mut first_seen: BTreeMap<&str, Span> = BTreeMap::new();
        for node in document.nodes() {
            let key = node.name().value();
            let span = name_span(node);
            if let Some(first) = first_seen.get(key) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{key}` is set twice in `{}`", parent.name),
                        span,
                        "set again here",
                    )
                    .with_label(*first, "first set here")
                    .with_help("remove one of them"),
                );
            } else {
                first_seen.insert(key, span);
            }
            if parent.name == "env" && !naming::is_environment_variable(key) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidName,
                        format!("`{key}` is not a valid environment variable name"),
                        span,
                        "invalid name",
                    )
                    .with_help("use letters, digits and `_`, not starting with a digit"),
                );
            }
            let values: Vec<&KdlEntry> = node.entries().iter().collect();
            match values.as_slice() {
                [single] if single.name().is_none() => self.check_value(single, value, key),
                [] => self.diagnostics.push(
                    Diagnostic::new(
                        Code::MissingField,
                        format!("`{key}` has no value"),
                        span,
                        "value missing",
                    )
                    .with_help(format!("write `{key} \"value\"`")),
                ),
                [_, extra, ..] => self.diagnostics.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        format!("`{key}` takes one value"),
                        extra.span().into(),
                        "extra value",
                    )
                    .with_help(format!(
                        "entries in `{}` are `KEY \"value\"`; quote a value that has spaces",
                        parent.name
                    )),
                ),
                [property] => self.diagnostics.push(
                    Diagnostic::new(
                        Code::WrongType,
                        format!("`{key}` takes a value, not a property"),
                        key_span(property),
                        "property here",
                    )
                    .with_help(format!("write `{key} \"value\"`")),
                ),
            }
            if let Some(children) = node.children() {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownNode,
                        format!("`{key}` in `{}` takes no children block", parent.name),
                        children.span().into(),
                        "not allowed here",
                    )
                    .with_help(format!("entries in `{}` are `KEY \"value\"`", parent.name)),
                );
            }
        }
    }

    fn check_value(&mut self, entry: &KdlEntry, expected: ValueType, owner: &str) {
        let span = value_span(entry, self.source);
        let value = entry.value();
        let wrong_type = |help: String| {
            Diagnostic::new(
                Code::WrongType,
                format!(
                    "`{owner}` expects {}, found {}",
                    expected.describe(),
                    describe(entry)
                ),
                span,
                format!("expected {}", expected.describe()),
            )
            .with_help(help)
        };
        let problem = match (expected, value) {
            (_, KdlValue::Null) => Some(wrong_type("remove `#null` and write a value".into())),
            (ValueType::Scalar, _) => None,
            (ValueType::Integer { min, max }, KdlValue::Integer(number)) => {
                (*number < i128::from(min) || *number > i128::from(max)).then(|| {
                    Diagnostic::new(
                        Code::OutOfRange,
                        format!("`{owner}` is {number}, outside {min}–{max}"),
                        span,
                        "out of range",
                    )
                    .with_help(format!("use a value from {min} to {max}"))
                })
            }
            (ValueType::Integer { .. }, KdlValue::String(text))
                if text.trim().parse::<i64>().is_ok() =>
            {
                Some(wrong_type(format!("remove the quotes: `{}`", text.trim())))
            }
            (ValueType::Boolean, KdlValue::Bool(_))
            | (ValueType::Cpu | ValueType::Memory, KdlValue::Integer(_) | KdlValue::String(_)) => {
                None
            }
            (ValueType::Boolean, KdlValue::String(text))
                if ["true", "false"].contains(&text.as_str()) =>
            {
                Some(wrong_type(format!(
                    "KDL 2.0 booleans are written `#{text}`"
                )))
            }
            (ValueType::Cpu, KdlValue::Float(number)) => Some(wrong_type(cpu_advice(*number))),
            (ValueType::Memory, KdlValue::Float(number)) => {
                Some(wrong_type(memory_advice(*number)))
            }
            (ValueType::Duration, KdlValue::Integer(number)) => Some(wrong_type(format!(
                "durations carry a unit: write `\"{number}s\"` for {number} seconds"
            ))),
            (ValueType::Duration, KdlValue::Float(number)) => Some(wrong_type(format!(
                "durations carry a unit: write `\"{}s\"`, or milliseconds such as `\"{}ms\"`",
                trimmed(*number),
                trimmed(number * 1000.0)
            ))),
            (ValueType::Name, KdlValue::String(text)) => self.name_problem(text, span, owner),
            (ValueType::Choice { values }, KdlValue::String(text)) => {
                (!has_expression(text) && !values.contains(&text.as_str())).then(|| {
                    let help = did_you_mean(text, values).map_or_else(
                        || format!("use {}", one_of(values)),
                        |near| format!("did you mean `{near}`?"),
                    );
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{text}` is not a valid `{owner}`"),
                        span,
                        "not accepted",
                    )
                    .with_help(help)
                })
            }
            (
                ValueType::String | ValueType::Duration | ValueType::Cron | ValueType::SecretRef,
                KdlValue::String(_),
            ) => None,
            (
                ValueType::String
                | ValueType::Duration
                | ValueType::Cron
                | ValueType::SecretRef
                | ValueType::Choice { .. }
                | ValueType::Name,
                other,
            ) => Some(wrong_type(format!("quote it: `\"{other}\"`"))),
            _ => Some(wrong_type(format!("write {}", expected.describe()))),
        };
        if let Some(problem) = problem {
            self.diagnostics.push(problem);
        }
    }

    /// The name of a top-level workload: its problem, with every place that repeats it.
    fn check_declared_name(&mut self, text: &str, entry: &KdlEntry, owner: &str) {
        let span = value_span(entry, self.source);
        let Some(mut problem) = self.name_problem(text, span, owner) else {
            return;
        };
        for reference in self.workloads.references(text) {
            problem = problem.with_label(*reference, "named again here");
        }
        self.diagnostics.push(problem);
    }

    fn name_problem(&self, text: &str, span: Span, owner: &str) -> Option<Diagnostic> {
        if has_expression(text) {
            return Some(
                Diagnostic::new(Code::ExpressionInName, format!("the name of a `{owner}` cannot contain an expression"), span, "expression in a name")
                    .with_help("names are fixed so that generated resource names are stable; write the name literally"),
            );
        }
        naming::check_label(text).err().map(|reason| {
            Diagnostic::new(
                Code::InvalidName,
                format!("`{text}` is not a valid name: {reason}"),
                span,
                "invalid name",
            )
            .with_help(naming::label_help(text))
        })
    }

    fn report_extra_argument(&mut self, node: &KdlNode, schema: &'static Node, entry: &KdlEntry) {
        let allowed = schema.arguments.len();
        let plural = if allowed == 1 { "" } else { "s" };
        self.diagnostics.push(
            Diagnostic::new(
                Code::WrongArity,
                format!(
                    "`{}` takes {allowed} argument{plural}, found more",
                    node.name().value()
                ),
                entry.span().into(),
                "unexpected argument",
            )
            .with_help(format!(
                "`{}`: {}; quote a value that has spaces",
                schema.name, schema.doc
            )),
        );
    }

    fn report_unknown(&mut self, node: &KdlNode, parent: &'static Node) {
        let name = node.name().value();
        let place = if parent.name == "document" {
            "at the top level".to_owned()
        } else {
            format!("in `{}`", parent.name)
        };
        let owners = schema::parents_of(name);
        let diagnostic = if owners.is_empty() {
            let names: Vec<&str> = parent
                .child_nodes()
                .iter()
                .map(|child| child.name)
                .collect();
            let help = did_you_mean(name, &names).map_or_else(
                || format!("{place} the accepted nodes are {}", one_of(&names)),
                |near| format!("did you mean `{near}`?"),
            );
            Diagnostic::new(
                Code::UnknownNode,
                format!("unknown node `{name}` {place}"),
                name_span(node),
                "unknown node",
            )
            .with_help(help)
        } else {
            let owners: Vec<&str> = owners
                .into_iter()
                .map(|owner| {
                    if owner == "document" {
                        "the top level"
                    } else {
                        owner
                    }
                })
                .collect();
            let article = owners
                .iter()
                .map(|owner| {
                    if *owner == "the top level" {
                        (*owner).to_owned()
                    } else {
                        format!("a `{owner}`")
                    }
                })
                .collect::<Vec<_>>();
            let joined = match article.as_slice() {
                [only] => only.clone(),
                [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
                [] => String::new(),
            };
            // `environment { … }` in a service most likely means `env`: say that first.
            let siblings: Vec<&str> = parent
                .child_nodes()
                .iter()
                .map(|child| child.name)
                .collect();
            let near = did_you_mean(name, &siblings).or_else(|| {
                siblings
                    .iter()
                    .copied()
                    .find(|sibling| sibling.len() >= 3 && name.starts_with(sibling))
            });
            let help = match near {
                Some(near) => format!(
                    "did you mean `{near}`? (`{name}` belongs in {joined}; here, `{near}`: {})",
                    parent.child(near).map_or("", |child| child.doc)
                ),
                None => format!("move `{name}` into {joined}"),
            };
            Diagnostic::new(
                Code::MisplacedNode,
                format!("`{name}` belongs in {joined}, not {place}"),
                name_span(node),
                "not allowed here",
            )
            .with_help(help)
        };
        self.diagnostics.push(diagnostic);
    }

    fn report_missing_child(
        &mut self,
        parent: &'static Node,
        required: &'static Node,
        parent_span: Span,
    ) {
        let (message, label) = if parent.name == "document" {
            (
                "the file has no `workspace` node".to_owned(),
                "expected a `workspace` node in this file".to_owned(),
            )
        } else {
            (
                format!("`{}` needs `{}`", parent.name, required.name),
                format!("`{}` is missing", required.name),
            )
        };
        self.diagnostics.push(
            Diagnostic::new(Code::MissingField, message, parent_span, label)
                .with_help(format!("add `{}`: {}", required.name, required.doc)),
        );
    }
}

fn is_workload(name: &str) -> bool {
    matches!(name, "service" | "worker" | "job")
}
