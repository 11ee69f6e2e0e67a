//! `berth build` for ecs and fargate: every example builds and the output is pinned by
//! snapshots. For every target (eks: the platform and Pod Identity stacks) the templates are
//! byte-identical across runs, within CloudFormation's limits, hold no secret or privileged
//! container, every reference (imports included) resolves, and every log group has a writer (a
//! container, a flow log or the EKS control plane). IAM: tests/least_privilege.rs.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use berth_compiler::emit::{ArtifactKind, TemplateFormat};
use berth_compiler::model::Target;
use berth_tests::{build_case, case_name, cases, cloudformation_cases};
use serde_json::Value;

#[test]
fn every_example_builds_and_matches_its_snapshot() {
    for example in cases("examples") {
        for target in [Target::Ecs, Target::Fargate] {
            let artifacts = build_case(&example, Some(target), TemplateFormat::Json);
            let mut text = String::new();
            for artifact in &artifacts.files {
                let _ = writeln!(
                    text,
                    "=== {} (stack {:?}, order {})\n{}",
                    artifact.path, artifact.stack, artifact.order, artifact.content
                );
            }
            let _ = write!(text, "=== manifest.json\n{}", artifacts.manifest.to_json());
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(example.join("snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(format!("build-{}", target.name()), text));
        }
    }
}

#[test]
fn builds_are_byte_identical() {
    for (case, target) in cloudformation_cases() {
        for format in [TemplateFormat::Json, TemplateFormat::Yaml] {
            let first = build_case(&case, Some(target), format);
            let second = build_case(&case, Some(target), format);
            assert_eq!(first.manifest, second.manifest, "{}", case.display());
            for (left, right) in first.files.iter().zip(&second.files) {
                assert_eq!(
                    left.content,
                    right.content,
                    "{} {}",
                    case.display(),
                    left.path
                );
            }
        }
    }
}

fn templates(case: &std::path::Path, target: Target) -> Vec<(String, Value)> {
    build_case(case, Some(target), TemplateFormat::Json)
        .files
        .into_iter()
        .filter(|artifact| artifact.kind == ArtifactKind::Cloudformation)
        .map(|artifact| {
            let template: Value = serde_json::from_str(&artifact.content).expect("valid JSON");
            // `berth deploy` sends JSON templates compacted (runtime/src/deploy/build.rs), so
            // that is what CloudFormation's inline limit applies to.
            let sent = template.to_string().len();
            assert!(
                sent <= 51_200,
                "{} {} is {sent} bytes compacted, over CloudFormation's 51,200",
                case.display(),
                artifact.path,
            );
            (artifact.path, template)
        })
        .collect()
}

/// Every value reached from `value`, depth first.
fn walk<'a>(value: &'a Value, visit: &mut dyn FnMut(&'a Value)) {
    visit(value);
    match value {
        Value::Array(items) => items.iter().for_each(|item| walk(item, visit)),
        Value::Object(map) => map.values().for_each(|item| walk(item, visit)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    for (case, target) in cloudformation_cases() {
        let templates = templates(&case, target);
        let exports: BTreeSet<String> = templates
            .iter()
            .flat_map(|(_, template)| {
                template["Outputs"]
                    .as_object()
                    .into_iter()
                    .flat_map(|outputs| outputs.values())
            })
            .filter_map(|output| output["Export"]["Name"].as_str().map(str::to_owned))
            .collect();
        for (path, template) in &templates {
            let resources = template["Resources"].as_object().expect("resources");
            assert!(
                resources.len() <= 500,
                "{path} has {} resources",
                resources.len()
            );
            let parameters: BTreeSet<&String> = template["Parameters"]
                .as_object()
                .map(|map| map.keys().collect())
                .unwrap_or_default();
            let known = |name: &str| {
                name.starts_with("AWS::")
                    || resources.contains_key(name)
                    || parameters.contains(&name.to_owned())
            };
            let mut problems = Vec::new();
            walk(template, &mut |value| {
                let Some(object) = value.as_object() else {
                    return;
                };
                if let Some(Value::String(name)) = object.get("Ref")
                    && !known(name)
                {
                    problems.push(format!("Ref {name}"));
                }
                if let Some(Value::Array(parts)) = object.get("Fn::GetAtt")
                    && !parts
                        .first()
                        .and_then(Value::as_str)
                        .is_some_and(|name| resources.contains_key(name))
                {
                    problems.push(format!("GetAtt {parts:?}"));
                }
                if let Some(Value::String(name)) = object.get("Fn::ImportValue")
                    && !exports.contains(name)
                {
                    problems.push(format!("ImportValue {name}"));
                }
                let sub = match object.get("Fn::Sub") {
                    Some(Value::String(text)) => Some((text.as_str(), None)),
                    Some(Value::Array(parts)) => parts
                        .first()
                        .and_then(Value::as_str)
                        .map(|text| (text, parts.get(1).and_then(Value::as_object))),
                    _ => None,
                };
                if let Some((text, variables)) = sub {
                    for name in text
                        .split("${")
                        .skip(1)
                        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
                    {
                        let base = name.split('.').next().unwrap_or(name);
                        let local = variables.is_some_and(|variables| variables.contains_key(name));
                        if !name.starts_with('!') && !local && !known(base) {
                            problems.push(format!("Sub ${{{name}}}"));
                        }
                    }
                }
            });
            assert!(
                problems.is_empty(),
                "{} {path} ({}): unresolved {problems:?}",
                case_name(&case),
                target.name()
            );
        }
    }
}

#[test]
fn no_template_holds_a_secret_or_a_privileged_container() {
    for (case, target) in cloudformation_cases() {
        for (path, template) in templates(&case, target) {
            for resource in template["Resources"]
                .as_object()
                .expect("resources")
                .values()
            {
                let properties = &resource["Properties"];
                if resource["Type"] == "AWS::ECS::TaskDefinition" {
                    for container in properties["ContainerDefinitions"]
                        .as_array()
                        .expect("containers")
                    {
                        assert_ne!(
                            container["Privileged"],
                            Value::Bool(true),
                            "{path}: privileged container"
                        );
                        for variable in container["Environment"].as_array().into_iter().flatten() {
                            let name = variable["Name"].as_str().unwrap_or_default();
                            let secret_names: Vec<&Value> = container["Secrets"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|secret| &secret["Name"])
                                .collect();
                            assert!(
                                !secret_names.contains(&&variable["Name"]),
                                "{path}: secret `{name}` also set as plain text"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// What writes to the log group `name` (logical id `id`) in `templates`, if anything: a container
/// (`awslogs-group`), a VPC flow log or the EKS control plane (`/aws/eks/<cluster>/cluster`,
/// when the cluster has logging on).
fn log_writer(templates: &[(String, Value)], id: &str, name: &str) -> Option<String> {
    let mut writer = None;
    for (path, template) in templates {
        walk(template, &mut |value| {
            if value["awslogs-group"] == name {
                writer = Some(format!("a container of {path}"));
            }
        });
        for resource in template["Resources"].as_object().into_iter().flatten() {
            let properties = &resource.1["Properties"];
            match resource.1["Type"].as_str() {
                Some("AWS::EC2::FlowLog")
                    if properties["LogGroupName"] == serde_json::json!({ "Ref": id })
                        || properties["LogGroupName"] == name =>
                {
                    writer = Some(format!("the flow log {}", resource.0));
                }
                Some("AWS::EKS::Cluster")
                    if properties["Name"]
                        .as_str()
                        .is_some_and(|cluster| name == format!("/aws/eks/{cluster}/cluster"))
                        && properties["Logging"]["ClusterLogging"]["EnabledTypes"]
                            .as_array()
                            .is_some_and(|types| !types.is_empty()) =>
                {
                    writer = Some(format!("the control plane of {}", resource.0));
                }
                _ => {}
            }
        }
    }
    writer
}

#[test]
fn every_log_group_has_a_writer() {
    let mut groups = 0;
    for (case, target) in cloudformation_cases() {
        let templates = templates(&case, target);
        for (path, template) in &templates {
            for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
                if resource["Type"] != "AWS::Logs::LogGroup" {
                    continue;
                }
                groups += 1;
                let name = resource["Properties"]["LogGroupName"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{path} {id}: a log group berth names"));
                assert!(
                    log_writer(&templates, id, name).is_some(),
                    "{} ({}) {path}: nothing writes to the log group `{name}`",
                    case.display(),
                    target.name()
                );
            }
        }
    }
    assert!(groups > 0, "no log group was checked");
}
