//! The second deploy: a workspace built, edited as users edit (add a domain, toggle `nat`,
//! change `zones`, add a route, add and remove a service, bump the image tag) and built again
//! must be deployable over the first build on `ecs` and `fargate`:
//!
//! - every export a workload stack imports keeps its name and its value (CloudFormation refuses
//!   to change an export another stack imports);
//! - every listener rule of a workload in both builds keeps its priority (a renumbered rule
//!   claims a priority another stack still holds while the deploy runs);
//! - no resource with a name of its own changes a property whose change replaces it
//!   (CloudFormation cannot replace a custom-named resource), and no subnet in both builds moves
//!   to another block or zone (a subnet in use cannot be replaced).

use std::collections::BTreeMap;

use berth_compiler::emit::{ArtifactKind, TemplateFormat, emit};
use berth_compiler::model::Target;
use berth_compiler::{Options, check};
use serde_json::Value;

/// The workspace before the edits.
const BASE: &str = r#"
workspace "shop" {
    region "eu-west-1"
    network { cidr "10.20.0.0/16"; zones 2; nat #false; }
}
vars { tag "1.4.2"; }
service "web" {
    image "ghcr.io/acme/web:{{tag}}"
    port 8080 { public #true; path "/"; }
    replicas min=2 max=4 { cpu 70; }
}
service "api" {
    image repository="api" tag="{{tag}}"
    port 9000 { public #true; path "/api"; }
    volume "uploads" path="/srv/uploads"
}
worker "mailer" {
    image "ghcr.io/acme/mailer:{{tag}}"
}
job "nightly" {
    image "ghcr.io/acme/report:{{tag}}"
    schedule "0 3 * * *"
}
"#;

const ADMIN: &str = r#"
service "admin" {
    image "ghcr.io/acme/admin:1"
    port 7000 { public #true; path "/api/admin"; }
}
"#;

/// Each realistic edit: its name and the edited source.
fn edits() -> Vec<(&'static str, String)> {
    vec![
        (
            "add a domain",
            BASE.replace(
                "network {",
                "domain \"shop.example.com\" certificate=\"arn:aws:acm:eu-west-1:123456789012:certificate/0f2c1a4e-1111-2222-3333-444455556666\"\n    network {",
            ),
        ),
        ("turn nat on", BASE.replace("nat #false", "nat #true")),
        ("three zones", BASE.replace("zones 2", "zones 3")),
        ("add a more specific route", format!("{BASE}{ADMIN}")),
        (
            "remove a service",
            BASE.replace(
                "worker \"mailer\" {\n    image \"ghcr.io/acme/mailer:{{tag}}\"\n}\n",
                "",
            ),
        ),
        ("bump the image tag", BASE.replace("1.4.2", "1.5.0")),
    ]
}

/// The CloudFormation templates of `source` built for `target`, by stack name.
fn templates(source: &str, target: Target) -> BTreeMap<String, Value> {
    let checked = check(
        source,
        &Options {
            target: Some(target),
            ..Options::default()
        },
    );
    let workspace = checked
        .workspace
        .unwrap_or_else(|| panic!("invalid: {:#?}\n{source}", checked.diagnostics));
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
    artifacts
        .files
        .into_iter()
        .filter(|file| file.kind == ArtifactKind::Cloudformation)
        .map(|file| {
            let stack = file.stack.expect("a template deploys as a stack");
            (stack, serde_json::from_str(&file.content).expect("JSON"))
        })
        .collect()
}

/// Every export of every template: export name → (stack, value).
fn exports(templates: &BTreeMap<String, Value>) -> BTreeMap<String, (String, Value)> {
    let mut found = BTreeMap::new();
    for (stack, template) in templates {
        for output in template["Outputs"].as_object().into_iter().flatten() {
            if let Some(name) = output.1.get("Export").map(|export| &export["Name"]) {
                let name = name
                    .as_str()
                    .map_or_else(|| name.to_string(), str::to_owned);
                found.insert(name, (stack.clone(), output.1["Value"].clone()));
            }
        }
    }
    found
}

/// The export names a value imports (`Fn::ImportValue` of a literal name).
fn imports(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(name) = object.get("Fn::ImportValue") {
                found.push(
                    name.as_str()
                        .map_or_else(|| name.to_string(), str::to_owned),
                );
            }
            object.values().for_each(|item| imports(item, found));
        }
        Value::Array(items) => items.iter().for_each(|item| imports(item, found)),
        _ => {}
    }
}

/// The resources of every template, by (stack, logical id).
fn resources(templates: &BTreeMap<String, Value>) -> BTreeMap<(String, String), &Value> {
    templates
        .iter()
        .flat_map(|(stack, template)| {
            template["Resources"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(id, resource)| ((stack.clone(), id.clone()), resource))
        })
        .collect()
}

/// Resource types berth names itself, the property holding the name, and the properties whose
/// change makes CloudFormation replace the resource (from each type's reference page: "Update
/// requires: Replacement").
const NAMED: &[(&str, &str, &[&str])] = &[
    (
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Name",
        &[
            "Name",
            "Port",
            "Protocol",
            "ProtocolVersion",
            "TargetType",
            "VpcId",
        ],
    ),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Name",
        &["Name", "Scheme", "Type"],
    ),
    ("AWS::IAM::Role", "RoleName", &["RoleName", "Path"]),
    (
        "AWS::ECR::Repository",
        "RepositoryName",
        &["RepositoryName"],
    ),
    ("AWS::Logs::LogGroup", "LogGroupName", &["LogGroupName"]),
    ("AWS::ECS::Cluster", "ClusterName", &["ClusterName"]),
    (
        "AWS::ECS::Service",
        "ServiceName",
        &["ServiceName", "Cluster", "LaunchType", "Role"],
    ),
    ("AWS::SSM::Parameter", "Name", &["Name"]),
    (
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "Name",
        &["Name", "Vpc"],
    ),
];

/// What an edit breaks on the second deploy, one line each.
fn problems(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let (exported_before, exported_after) = (exports(before), exports(after));
    let mut imported = Vec::new();
    for template in before.values().chain(after.values()) {
        imports(&template["Resources"], &mut imported);
    }
    imported.sort();
    imported.dedup();
    for name in &imported {
        let (Some(old), Some(new)) = (exported_before.get(name), exported_after.get(name)) else {
            continue;
        };
        if old != new {
            problems.push(format!(
                "imported export {name} changed: {old:?} -> {new:?}"
            ));
        }
    }
    let (old_resources, new_resources) = (resources(before), resources(after));
    for (key, old) in &old_resources {
        let Some(new) = new_resources.get(key) else {
            continue;
        };
        let kind = old["Type"].as_str().unwrap_or_default();
        let (old_properties, new_properties) = (&old["Properties"], &new["Properties"]);
        if kind == "AWS::ElasticLoadBalancingV2::ListenerRule"
            && old_properties["Priority"] != new_properties["Priority"]
        {
            problems.push(format!(
                "{key:?}: priority {} -> {}",
                old_properties["Priority"], new_properties["Priority"]
            ));
        }
        if kind == "AWS::EC2::Subnet" {
            for property in ["CidrBlock", "AvailabilityZone"] {
                if old_properties[property] != new_properties[property] {
                    problems.push(format!("{key:?}: subnet {property} changed"));
                }
            }
        }
        for (named_kind, name, replacing) in NAMED {
            if kind != *named_kind || old_properties[*name].is_null() {
                continue;
            }
            for property in *replacing {
                if old_properties[*property] != new_properties[*property] {
                    problems.push(format!(
                        "{key:?}: custom-named {kind} would be replaced ({property}: {} -> {})",
                        old_properties[*property], new_properties[*property]
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn realistic_edits_deploy_over_the_previous_build() {
    for target in [Target::Fargate, Target::Ecs] {
        let before = templates(BASE, target);
        for (edit, source) in edits() {
            assert_ne!(source, BASE, "the edit `{edit}` changed nothing");
            let after = templates(&source, target);
            assert_ne!(before, after, "`{edit}` builds the same templates");
            let problems = problems(&before, &after);
            assert!(
                problems.is_empty(),
                "{}: `{edit}` breaks the second deploy:\n{}",
                target.name(),
                problems.join("\n")
            );
        }
    }
}

#[test]
fn workload_stacks_import_what_the_platform_exports() {
    let built = templates(BASE, Target::Fargate);
    let exported = exports(&built);
    let mut imported = Vec::new();
    for template in built.values() {
        imports(&template["Resources"], &mut imported);
    }
    assert!(
        imported.len() > 5,
        "the check above compares imports: {imported:?}"
    );
    for name in imported {
        assert!(
            exported.contains_key(&name),
            "{name} is imported but not exported"
        );
    }
}

#[test]
fn the_check_sees_what_breaks_a_second_deploy() {
    // The checks of the test above must be able to fail: each change below is one of the
    // failures they look for, made by hand to the first build.
    let before = templates(BASE, Target::Fargate);
    let platform = before
        .keys()
        .find(|stack| stack.ends_with("-platform"))
        .expect("a platform stack")
        .clone();
    let mut export_moved = before.clone();
    let exported = export_moved
        .get_mut(&platform)
        .expect("the platform template")["Outputs"]
        .as_object_mut()
        .expect("outputs")
        .values_mut()
        .find(|output| output.get("Export").is_some())
        .expect("an export");
    exported["Value"] = Value::String("elsewhere".to_owned());
    assert_eq!(problems(&before, &export_moved).len(), 1);

    let mut renumbered = before.clone();
    let rule = renumbered
        .values_mut()
        .flat_map(|template| {
            template["Resources"]
                .as_object_mut()
                .expect("resources")
                .values_mut()
        })
        .find(|resource| resource["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule")
        .expect("a listener rule");
    rule["Properties"]["Priority"] = Value::from(1);
    assert_eq!(problems(&before, &renumbered).len(), 1);

    let mut replaced = before.clone();
    let group = replaced
        .values_mut()
        .flat_map(|template| {
            template["Resources"]
                .as_object_mut()
                .expect("resources")
                .values_mut()
        })
        .find(|resource| resource["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup")
        .expect("a target group");
    assert!(
        group["Properties"]["Name"].is_string(),
        "target groups are named"
    );
    group["Properties"]["Port"] = Value::from(1);
    assert_eq!(problems(&before, &replaced).len(), 1);
}
