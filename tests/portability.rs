//! The fargate and eks builds of each example agree on every workload's image, ports, plain
//! environment, secret names, replica bounds and resources, read back from the emitted artifacts;
//! and the portability report (`berth port`) of every example and imported workspace lists
//! exactly the approximations the eks build warns about, snapshotted for the examples.

use std::collections::BTreeMap;

use berth_compiler::emit::{ArtifactKind, Artifacts, TemplateFormat};
use berth_compiler::model::Target;
use berth_tests::{build_case, case_name, cases};
use serde_json::Value;

/// What a user compares between two renderings of one workload's main container.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    image: String,
    ports: Vec<u64>,
    env: BTreeMap<String, String>,
    secrets: Vec<String>,
    replicas: (u64, u64),
    millicores: u64,
    memory_mib: u64,
}

/// `registry/path:tag` with any registry (an ECR registry is written differently per target).
fn without_registry(image: &str) -> String {
    if image.starts_with("${") {
        image
            .split_once('/')
            .map_or(image, |(_, rest)| rest)
            .to_owned()
    } else {
        image.to_owned()
    }
}

/// The image a template parameter stands for: its default (a reference as written), else the
/// repository and tag `manifest.json` names for it.
fn image_parameter(artifacts: &Artifacts, path: &str, template: &Value, name: &Value) -> String {
    let name = name.as_str().expect("a parameter name");
    let declared = &template["Parameters"][name];
    assert_eq!(declared["Type"], "String", "{path}: parameter {name}");
    let input = artifacts
        .manifest
        .images
        .iter()
        .find(|image| image.artifact == path && image.parameter.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{path}: manifest.json names no image for {name}"));
    declared["Default"].as_str().map_or_else(
        || {
            format!(
                "{}:{}",
                input.repository,
                input.tag.as_deref().unwrap_or("latest")
            )
        },
        str::to_owned,
    )
}

fn fargate_shapes(artifacts: &Artifacts) -> BTreeMap<String, Shape> {
    let mut shapes = BTreeMap::new();
    for artifact in artifacts
        .files
        .iter()
        .filter(|artifact| artifact.path != "platform.json")
    {
        let template: Value = serde_json::from_str(&artifact.content).expect("JSON");
        let resources = template["Resources"].as_object().expect("resources");
        let Some(task) = resources
            .values()
            .find(|resource| resource["Type"] == "AWS::ECS::TaskDefinition")
        else {
            continue;
        };
        let name = artifact
            .path
            .split_once('-')
            .map(|(_, rest)| rest.trim_end_matches(".json"))
            .unwrap_or_default()
            .to_owned();
        let container = task["Properties"]["ContainerDefinitions"]
            .as_array()
            .expect("containers")
            .iter()
            .find(|container| container["Name"] == name.as_str())
            .expect("main container");
        let image = match &container["Image"] {
            Value::String(image) => image.clone(),
            Value::Object(image) if image.contains_key("Ref") => {
                image_parameter(artifacts, &artifact.path, &template, &image["Ref"])
            }
            other => other["Fn::Sub"].as_str().unwrap_or_default().to_owned(),
        };
        let service = resources
            .values()
            .find(|resource| resource["Type"] == "AWS::ECS::Service");
        let scaling = resources
            .values()
            .find(|resource| resource["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget");
        let replicas = match (scaling, service) {
            (Some(target), _) => (
                target["Properties"]["MinCapacity"]
                    .as_u64()
                    .unwrap_or_default(),
                target["Properties"]["MaxCapacity"]
                    .as_u64()
                    .unwrap_or_default(),
            ),
            (None, Some(service)) => {
                let count = service["Properties"]["DesiredCount"]
                    .as_u64()
                    .unwrap_or_default();
                (count, count)
            }
            (None, None) => (1, 1),
        };
        let units: u32 = task["Properties"]["Cpu"]
            .as_str()
            .and_then(|cpu| cpu.parse().ok())
            .expect("task cpu");
        shapes.insert(
            name,
            Shape {
                image: without_registry(&image),
                ports: container["PortMappings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|port| port["ContainerPort"].as_u64())
                    .collect(),
                env: container["Environment"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|pair| {
                        (
                            pair["Name"].as_str().unwrap_or_default().to_owned(),
                            pair["Value"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                secrets: container["Secrets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|secret| secret["Name"].as_str().map(str::to_owned))
                    .collect(),
                replicas,
                millicores: u64::from(berth_compiler::units::millicores(units).0),
                memory_mib: task["Properties"]["Memory"]
                    .as_str()
                    .and_then(|memory| memory.parse().ok())
                    .expect("task memory"),
            },
        );
    }
    shapes
}

fn eks_shapes(artifacts: &Artifacts) -> BTreeMap<String, Shape> {
    let mut shapes = BTreeMap::new();
    for artifact in artifacts.files.iter().filter(|artifact| {
        artifact.kind == ArtifactKind::Kubernetes && artifact.path != "namespace.yaml"
    }) {
        let documents: Vec<Value> = serde_saphyr::from_multiple(&artifact.content).expect("YAML");
        let name = artifact
            .path
            .split_once('-')
            .map(|(_, rest)| rest.trim_end_matches(".yaml"))
            .unwrap_or_default()
            .to_owned();
        let workload = documents
            .iter()
            .find(|document| document["kind"] == "Deployment" || document["kind"] == "CronJob")
            .expect("a workload object");
        let pod = if workload["kind"] == "CronJob" {
            &workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        } else {
            &workload["spec"]["template"]["spec"]
        };
        let container = pod["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .find(|container| container["name"] == name.as_str())
            .expect("main container");
        let hpa = documents
            .iter()
            .find(|document| document["kind"] == "HorizontalPodAutoscaler");
        let replicas = if let Some(hpa) = hpa {
            (
                hpa["spec"]["minReplicas"].as_u64().unwrap_or(1),
                hpa["spec"]["maxReplicas"].as_u64().unwrap_or_default(),
            )
        } else {
            let count = workload["spec"]["replicas"].as_u64().unwrap_or(1);
            (count, count)
        };
        let quantity = |key: &str, unit: &str| -> u64 {
            container["resources"]["requests"][key]
                .as_str()
                .and_then(|value| value.strip_suffix(unit))
                .and_then(|value| value.parse().ok())
                .unwrap_or_default()
        };
        let env = container["env"].as_array().cloned().unwrap_or_default();
        shapes.insert(
            name,
            Shape {
                image: without_registry(container["image"].as_str().unwrap_or_default()),
                ports: container["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|port| port["containerPort"].as_u64())
                    .collect(),
                env: env
                    .iter()
                    .filter(|pair| pair.get("value").is_some())
                    .map(|pair| {
                        (
                            pair["name"].as_str().unwrap_or_default().to_owned(),
                            pair["value"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                secrets: env
                    .iter()
                    .filter(|pair| pair.get("valueFrom").is_some())
                    .filter_map(|pair| pair["name"].as_str().map(str::to_owned))
                    .collect(),
                replicas,
                millicores: quantity("cpu", "m"),
                memory_mib: quantity("memory", "Mi"),
            },
        );
    }
    shapes
}

#[test]
fn fargate_and_eks_builds_agree_on_every_workload() {
    for example in cases("examples") {
        let fargate = fargate_shapes(&build_case(
            &example,
            Some(Target::Fargate),
            TemplateFormat::Json,
        ));
        let eks = eks_shapes(&build_case(
            &example,
            Some(Target::Eks),
            TemplateFormat::Json,
        ));
        assert!(
            !fargate.is_empty(),
            "{}: no workload found",
            case_name(&example)
        );
        assert_eq!(
            fargate,
            eks,
            "{}: fargate and eks disagree",
            case_name(&example)
        );
    }
}

/// The target a workspace runs on before moving to eks: its own when ecs or fargate.
fn origin(source: &str) -> Target {
    let written = berth_compiler::check(source, &berth_compiler::Options::default())
        .workspace
        .map(|workspace| workspace.target.value);
    if written == Some(Target::Ecs) {
        Target::Ecs
    } else {
        Target::Fargate
    }
}

/// Every approximation, unsupported setting and error `check --target eks` reports for `source`,
/// by message, against the changes the portability report lists; returns how many there are (a
/// workspace may port exactly).
fn assert_report_agrees_with_the_eks_checks(name: &str, source: &str) -> usize {
    let options = berth_compiler::Options::default();
    let report = berth_compiler::portability::report(source, &options, origin(source), Target::Eks)
        .unwrap_or_else(|diagnostics| panic!("{name} is invalid: {diagnostics:#?}"));
    let eks = berth_compiler::check(
        source,
        &berth_compiler::Options {
            target: Some(Target::Eks),
            ..berth_compiler::Options::default()
        },
    );
    let mut warned: Vec<String> = eks
        .diagnostics
        .iter()
        .filter(|diagnostic| {
            diagnostic.severity() == berth_compiler::Severity::Error
                || matches!(
                    diagnostic.code,
                    berth_compiler::Code::Approximated | berth_compiler::Code::Unsupported
                )
        })
        .map(|diagnostic| diagnostic.message.clone())
        .collect();
    let mut listed: Vec<String> = report
        .changes()
        .into_iter()
        .map(|change| change.message.clone())
        .collect();
    warned.sort();
    listed.sort();
    assert_eq!(
        listed, warned,
        "{name}: the report and the eks checks disagree"
    );
    warned.len()
}

#[test]
fn the_portability_report_lists_every_eks_approximation() {
    let mut compared = 0;
    for example in cases("examples") {
        let source = fs_err::read_to_string(example.join("berth.kdl")).expect("readable");
        compared += assert_report_agrees_with_the_eks_checks(&case_name(&example), &source);
    }
    for case in berth_tests::import_cases() {
        let imported = berth_tests::import_case(&case).expect("imports");
        compared += assert_report_agrees_with_the_eks_checks(&case_name(&case), &imported.source);
    }
    assert!(compared > 0, "nothing to compare");
}

#[test]
fn every_example_has_a_portability_report_snapshot() {
    for example in cases("examples") {
        let source = fs_err::read_to_string(example.join("berth.kdl")).expect("readable");
        let report = berth_compiler::portability::report(
            &source,
            &berth_compiler::Options::default(),
            origin(&source),
            Target::Eks,
        )
        .expect("valid");
        let text = berth::report::render_port(&report, "berth.kdl");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(example.join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("port-eks", text));
    }
}
