//! Least privilege, as a property of every policy berth writes (every case, every target):
//!
//! - an `Allow` statement grants no `*` action, no `service:*` (or other wildcard) action, no
//!   `Resource: "*"` and no `*` inside a resource ARN — except the exceptions docs/security.md
//!   lists under `### Wildcards`, each for one kind of policy, its actions and the exact shape of
//!   its resource; what the workspace file itself names (`role { allow … }`) is the user's;
//! - a statement open to every principal (`"AWS": "*"`) carries a condition;
//! - every AWS-managed policy attached to a role is listed, with the role and a reason, under
//!   `### AWS-managed policies`;
//! - and everything listed there still occurs, so the document stays true.

use std::collections::BTreeSet;

use berth_compiler::emit::{ArtifactKind, TemplateFormat};
use berth_tests::tools::table_rows;
use berth_tests::{build_case, case_name, cloudformation_cases};
use serde_json::Value;

/// One `Allow` statement's grant of an action on a resource, and where it was found.
#[derive(Debug)]
struct Grant {
    /// The policy kind: `<resource type> <property>`, e.g. `AWS::IAM::Role Policies`.
    place: String,
    action: String,
    /// The resource as written: a literal ARN, or the text of an `Fn::Sub`; `None` for a
    /// resource that is a reference (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`), which cannot hold a
    /// wildcard.
    resource: Option<String>,
    /// The case, template and resource id, for messages.
    origin: String,
}

/// A listed exception: these actions on resources of this shape, in this kind of policy.
#[derive(Debug)]
struct Exception {
    place: String,
    actions: Vec<String>,
    /// The resource's shape: literal text, where `<name>` stands for one or more characters
    /// other than `*` (a workspace, environment or workload name). A `*` is a literal `*`.
    resource: String,
}

impl Exception {
    fn excuses(&self, grant: &Grant) -> bool {
        self.place == grant.place
            && self.actions.contains(&grant.action)
            && grant
                .resource
                .as_deref()
                .is_some_and(|resource| shape_matches(&self.resource, resource))
    }
}

/// Whether `text` has the shape `pattern`: literal except `<name>`, which matches one or more
/// characters other than `*`.
fn shape_matches(pattern: &str, text: &str) -> bool {
    match pattern.find('<') {
        None => pattern == text,
        Some(start) => {
            let Some(length) = pattern[start..].find('>') else {
                return pattern == text;
            };
            let (literal, rest) = (&pattern[..start], &pattern[start + length + 1..]);
            let Some(text) = text.strip_prefix(literal) else {
                return false;
            };
            (1..=text.len())
                .take_while(|end| text.is_char_boundary(*end) && !text[..*end].contains('*'))
                .any(|end| shape_matches(rest, &text[end..]))
        }
    }
}

fn cells(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(|part| part.trim().trim_matches('`').to_owned())
        .collect()
}

fn exceptions() -> Vec<Exception> {
    table_rows("### Wildcards")
        .into_iter()
        .map(|row| match row.as_slice() {
            [place, actions, resource, _reason] => Exception {
                place: place.trim_matches('`').to_owned(),
                actions: cells(actions),
                resource: resource.trim_matches('`').to_owned(),
            },
            _ => panic!("docs/security.md `### Wildcards`: a row needs 4 cells: {row:?}"),
        })
        .collect()
}

/// The (policy, role) pairs listed under `### AWS-managed policies`.
fn listed_managed_policies() -> BTreeSet<(String, String)> {
    table_rows("### AWS-managed policies")
        .into_iter()
        .flat_map(|row| match row.as_slice() {
            [policy, roles, _reason] => cells(roles)
                .into_iter()
                .map(|role| (policy.trim_matches('`').to_owned(), role))
                .collect::<Vec<_>>(),
            _ => panic!("docs/security.md `### AWS-managed policies`: a row needs 3 cells"),
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// The resources of a statement as text (see [`Grant::resource`]).
fn resources(value: &Value) -> Vec<Option<String>> {
    match value {
        Value::String(text) => vec![Some(text.clone())],
        Value::Array(items) => items.iter().flat_map(resources).collect(),
        Value::Object(object) => match object.get("Fn::Sub") {
            Some(Value::String(text)) => vec![Some(text.clone())],
            Some(Value::Array(parts)) => {
                vec![parts.first().and_then(Value::as_str).map(str::to_owned)]
            }
            _ => vec![None],
        },
        _ => vec![None],
    }
}

/// Every policy statement under `value`, with the name of the property that holds its document.
fn statements<'a>(value: &'a Value, property: &str, found: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(list)) = object.get("Statement") {
                found.extend(
                    list.iter()
                        .map(|statement| (property.to_owned(), statement)),
                );
            }
            for (key, item) in object {
                let top = if property.is_empty() {
                    key.as_str()
                } else {
                    property
                };
                statements(item, top, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| statements(item, property, found)),
        _ => {}
    }
}

/// What every template of every case grants and attaches.
struct Policies {
    grants: Vec<Grant>,
    /// (managed policy, role id, origin).
    managed: Vec<(String, String, String)>,
    /// Statements open to every principal without a condition.
    open: Vec<String>,
    /// The user's own strings (quoted in the case's `berth.kdl`), per origin prefix.
    sources: Vec<(String, String)>,
}

fn policies() -> Policies {
    let mut policies = Policies {
        grants: Vec::new(),
        managed: Vec::new(),
        open: Vec::new(),
        sources: Vec::new(),
    };
    for (case, target) in cloudformation_cases() {
        let prefix = format!("{} ({})", case_name(&case), target.name());
        let source = fs_err::read_to_string(case.join("berth.kdl")).expect("readable");
        policies.sources.push((prefix.clone(), source));
        let artifacts = build_case(&case, Some(target), TemplateFormat::Json);
        for artifact in &artifacts.files {
            if artifact.kind != ArtifactKind::Cloudformation {
                continue;
            }
            let template: Value = serde_json::from_str(&artifact.content).expect("JSON");
            for (id, resource) in template["Resources"].as_object().expect("resources") {
                let origin = format!("{prefix} {} {id}", artifact.path);
                let kind = resource["Type"].as_str().unwrap_or_default();
                let properties = &resource["Properties"];
                for arn in strings(&properties["ManagedPolicyArns"]) {
                    policies.managed.push((arn, id.clone(), origin.clone()));
                }
                for arn in properties["ManagedPolicyArns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|arn| arn["Fn::Sub"].as_str())
                {
                    policies
                        .managed
                        .push((arn.to_owned(), id.clone(), origin.clone()));
                }
                let mut found = Vec::new();
                statements(properties, "", &mut found);
                for (property, statement) in found {
                    let principal = &statement["Principal"];
                    if (principal == "*" || principal["AWS"] == "*")
                        && statement["Condition"].is_null()
                    {
                        policies.open.push(format!("{origin}: {statement}"));
                    }
                    if statement["Effect"] != "Allow" {
                        continue;
                    }
                    for action in strings(&statement["Action"]) {
                        for resource in resources(&statement["Resource"]) {
                            policies.grants.push(Grant {
                                place: format!("{kind} {property}"),
                                action: action.clone(),
                                resource,
                                origin: origin.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    policies
}

/// Whether a grant is a wildcard: a `*` in its action, or a `*` resource or ARN.
fn is_wildcard(grant: &Grant) -> bool {
    grant.action.contains('*')
        || grant
            .resource
            .as_deref()
            .is_some_and(|resource| resource.contains('*'))
}

/// Whether the user's file names both the grant's action and its resource (`role { allow … }`).
fn user_asked(policies: &Policies, grant: &Grant) -> bool {
    policies
        .sources
        .iter()
        .filter(|(prefix, _)| grant.origin.starts_with(prefix.as_str()))
        .any(|(_, source)| {
            source.contains(&format!("\"{}\"", grant.action))
                && grant
                    .resource
                    .as_deref()
                    .is_some_and(|resource| source.contains(&format!("\"{resource}\"")))
        })
}

#[test]
fn no_policy_grants_a_wildcard_that_docs_security_does_not_list() {
    let policies = policies();
    assert!(
        policies.grants.len() > 500,
        "only {} grants found",
        policies.grants.len()
    );
    let exceptions = exceptions();
    let unlisted: Vec<String> = policies
        .grants
        .iter()
        .filter(|grant| is_wildcard(grant))
        .filter(|grant| !exceptions.iter().any(|exception| exception.excuses(grant)))
        .filter(|grant| !user_asked(&policies, grant))
        .map(|grant| {
            format!(
                "{}: {} `{}` on `{}`",
                grant.origin,
                grant.place,
                grant.action,
                grant.resource.as_deref().unwrap_or("(a reference)")
            )
        })
        .collect();
    assert!(
        unlisted.is_empty(),
        "wildcards not listed in docs/security.md `### Wildcards`:\n{}",
        unlisted.join("\n")
    );
    let unused: Vec<String> = exceptions
        .iter()
        .filter(|exception| !policies.grants.iter().any(|grant| exception.excuses(grant)))
        .map(|exception| format!("{exception:?}"))
        .collect();
    assert!(
        unused.is_empty(),
        "docs/security.md lists wildcards berth no longer grants:\n{}",
        unused.join("\n")
    );
}

#[test]
fn no_statement_is_open_to_every_principal_without_a_condition() {
    let policies = policies();
    assert!(
        policies.open.is_empty(),
        "statements open to everyone:\n{}",
        policies.open.join("\n")
    );
}

#[test]
fn every_aws_managed_policy_attached_is_listed_with_its_role() {
    let policies = policies();
    let prefix = "arn:${AWS::Partition}:iam::aws:policy/";
    let mut attached = BTreeSet::new();
    for (arn, role, origin) in &policies.managed {
        let Some(name) = arn.strip_prefix(prefix) else {
            panic!("{origin}: `{arn}` is not an AWS-managed policy in the stack's partition");
        };
        attached.insert((name.to_owned(), role.clone()));
    }
    assert!(!attached.is_empty(), "no managed policy found");
    let listed = listed_managed_policies();
    let unlisted: Vec<_> = attached.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "AWS-managed policies not listed in docs/security.md `### AWS-managed policies`: {unlisted:?}"
    );
    let unused: Vec<_> = listed.difference(&attached).collect();
    assert!(
        unused.is_empty(),
        "docs/security.md lists managed policies berth no longer attaches: {unused:?}"
    );
}

#[test]
fn shapes_match_names_but_never_a_wildcard() {
    let pattern = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/<workspace>/<env>:*";
    assert!(shape_matches(
        pattern,
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/shop/prod:*"
    ));
    assert!(!shape_matches(
        pattern,
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/*/prod:*"
    ));
    assert!(!shape_matches(
        pattern,
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
    ));
    assert!(shape_matches("*", "*"));
    assert!(!shape_matches("<name>", ""));
}
