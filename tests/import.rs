//! The import corpus (`tests/fixtures/import/<case>/`): every task definition and Compose file
//! imports without a panic into a formatted workspace that checks clean for its target and for
//! eks and builds for both; the output is snapshotted. Task definitions also round-trip: built
//! for fargate, they give back a task definition equal in every field berth models.

use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::model::Target;
use berth_compiler::{Options, Severity, check, format};
use berth_tests::{case_name, import_case, import_cases};

#[test]
fn the_corpus_holds_at_least_ten_cases_of_both_kinds() {
    let cases = import_cases();
    assert!(cases.len() >= 10, "only {} import cases", cases.len());
    let task_definitions = cases
        .iter()
        .filter(|case| case.join("task-definition.json").is_file())
        .count();
    assert!(task_definitions >= 3 && cases.len() - task_definitions >= 3);
}

#[test]
fn every_import_is_formatted_checks_clean_builds_and_matches_its_snapshot() {
    for case in import_cases() {
        let name = case_name(&case);
        let imported =
            import_case(&case).unwrap_or_else(|error| panic!("{name} does not import: {error}"));
        assert!(
            imported.is_clean(),
            "{name} does not check clean:\n{}\n{:#?}{:#?}",
            imported.source,
            imported.diagnostics,
            imported.eks_diagnostics
        );
        assert_eq!(
            format(&imported.source).ok().as_deref(),
            Some(imported.source.as_str()),
            "{name}: the output is not in `berth fmt` layout"
        );
        for target in [imported.target, Target::Eks] {
            let checked = check(
                &imported.source,
                &Options {
                    target: Some(target),
                    ..Options::default()
                },
            );
            let workspace = checked
                .workspace
                .unwrap_or_else(|| panic!("{name} is invalid for {}", target.name()));
            assert!(
                checked
                    .diagnostics
                    .iter()
                    .all(|diagnostic| diagnostic.severity() == Severity::Warning)
            );
            emit(&workspace, TemplateFormat::Json).unwrap_or_else(|error| {
                panic!("{name} does not build for {}: {error}", target.name())
            });
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&case);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("imported", imported.source));
    }
}

/// The task definition object of an input (inside `taskDefinition` for describe output).
fn input_task(case: &std::path::Path) -> serde_json::Value {
    let text = fs_err::read_to_string(case.join("task-definition.json")).expect("readable");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    value.get("taskDefinition").cloned().unwrap_or(value)
}

/// The task definition berth builds for fargate from the imported file, with `Fn::Sub`
/// placeholders resolved for `region` in a stand-in account.
fn built_task(source: &str, region: &str) -> serde_json::Value {
    let checked = check(
        source,
        &Options {
            target: Some(Target::Fargate),
            ..Options::default()
        },
    );
    let workspace = checked.workspace.expect("valid");
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("builds");
    let (template, mut task) = artifacts
        .files
        .iter()
        .filter_map(|artifact| serde_json::from_str::<serde_json::Value>(&artifact.content).ok())
        .flat_map(|template| {
            let resources = template["Resources"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            resources
                .into_values()
                .map(move |resource| (template.clone(), resource))
        })
        .find(|(_, resource)| resource["Type"] == "AWS::ECS::TaskDefinition")
        .expect("a task definition");
    // Images are template parameters the deploy step pins; a reference as written is the default.
    for container in task["Properties"]["ContainerDefinitions"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if let Some(parameter) = container["Image"]["Ref"].as_str() {
            container["Image"] = template["Parameters"][parameter]["Default"].clone();
        }
    }
    resolve_subs(&task["Properties"], region)
}

const ACCOUNT: &str = "123456789012";

/// `{"Fn::Sub": "…${AWS::Region}…"}` as plain text for `region` and [`ACCOUNT`].
fn resolve_subs(value: &serde_json::Value, region: &str) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(object) => match object.get("Fn::Sub").and_then(Value::as_str) {
            Some(text) if object.len() == 1 => Value::String(
                text.replace("${AWS::Partition}", "aws")
                    .replace("${AWS::Region}", region)
                    .replace("${AWS::AccountId}", ACCOUNT)
                    .replace("${AWS::URLSuffix}", "amazonaws.com")
                    .replace("${!", "${"),
            ),
            _ => Value::Object(
                object
                    .iter()
                    .map(|(key, inner)| (key.clone(), resolve_subs(inner, region)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| resolve_subs(item, region))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The ARN ECS resolves a `valueFrom` to, in `region` and the stand-in account.
fn secret_arn(value_from: &str, region: &str) -> String {
    if let Some(rest) = value_from.strip_prefix("arn:") {
        let fields: Vec<&str> = rest.split(':').collect();
        if fields.get(1) == Some(&"secretsmanager") {
            // Drop an empty `:key:stage:id` tail, and the version fields (berth reads AWSCURRENT).
            let arn: Vec<&str> = value_from.split(':').take(8).collect();
            return arn.join(":").trim_end_matches(':').to_owned();
        }
        return value_from.to_owned();
    }
    format!(
        "arn:aws:ssm:{region}:{ACCOUNT}:parameter/{}",
        value_from.trim_start_matches('/')
    )
}

/// A health check command as ECS runs it: `CMD-SHELL s` is `CMD /bin/sh -c s`.
fn health_command(command: &serde_json::Value) -> Vec<String> {
    let words: Vec<String> = command
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|word| word.as_str().map(str::to_owned))
        .collect();
    match words.split_first() {
        Some((first, rest)) if first == "CMD-SHELL" => vec![
            "CMD".to_owned(),
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            rest.join(" "),
        ],
        _ => words,
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn imported_task_definitions_round_trip_through_fargate() {
    for case in import_cases()
        .into_iter()
        .filter(|case| case.join("task-definition.json").is_file())
    {
        let name = case_name(&case);
        let input = input_task(&case);
        let imported = import_case(&case).expect("imports");
        let region = imported
            .source
            .lines()
            .find_map(|line| line.trim().strip_prefix("region \""))
            .map(|rest| rest.trim_end_matches('"').to_owned())
            .expect("a region");
        let built = built_task(&imported.source, &region);
        assert_eq!(built["NetworkMode"], "awsvpc", "{name}");
        assert_eq!(
            built["RequiresCompatibilities"],
            serde_json::json!(["FARGATE"]),
            "{name}"
        );
        let (cpu, memory) = (input["cpu"].as_str(), input["memory"].as_str());
        if let (Some(cpu), Some(memory)) = (cpu, memory)
            && cpu.chars().all(|character| character.is_ascii_digit())
            && berth_compiler::fargate::is_valid_pair(
                cpu.parse().unwrap_or_default(),
                memory.parse().unwrap_or_default(),
            )
        {
            assert_eq!(
                (built["Cpu"].as_str(), built["Memory"].as_str()),
                (Some(cpu), Some(memory)),
                "{name}: task size"
            );
        }
        // berth adds the container that makes `/tmp` writable for non-root containers
        // (docs/language.md §7.14); every imported one is kept besides it.
        let outputs: Vec<&serde_json::Value> = built["ContainerDefinitions"]
            .as_array()
            .expect("containers")
            .iter()
            .filter(|container| container["Name"] != "berth_scratch_init")
            .collect();
        let inputs = input["containerDefinitions"]
            .as_array()
            .expect("containers");
        assert_eq!(
            outputs.len(),
            inputs.len(),
            "{name}: every container is kept"
        );
        let main_output = *outputs
            .iter()
            .find(|container| container["Essential"] == true)
            .expect("main");
        for output in outputs {
            let label = |text: &str| {
                text.to_ascii_lowercase()
                    .chars()
                    .map(|character| {
                        if character.is_ascii_alphanumeric() {
                            character
                        } else {
                            '-'
                        }
                    })
                    .collect::<String>()
            };
            let input = inputs
                .iter()
                .find(|input| {
                    input["image"] == output["Image"]
                        && (output == main_output
                            || label(input["name"].as_str().unwrap_or_default()) == output["Name"])
                })
                .unwrap_or_else(|| panic!("{name}: no input container for {}", output["Name"]));
            let container = output["Name"].as_str().unwrap_or_default();
            assert_eq!(
                strings(&output["Command"]),
                strings(&input["command"]),
                "{name}/{container}: command"
            );
            assert_eq!(
                strings(&output["EntryPoint"]),
                strings(&input["entryPoint"]),
                "{name}/{container}: entry point"
            );
            let expected_ports: Vec<(u64, Option<&str>)> = input["portMappings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|mapping| mapping["protocol"].as_str().unwrap_or("tcp") == "tcp")
                .map(|mapping| {
                    let application = match mapping["appProtocol"].as_str() {
                        Some("grpc") => Some("grpc"),
                        Some("http" | "http2") => Some("http"),
                        _ => None,
                    };
                    (
                        mapping["containerPort"].as_u64().unwrap_or_default(),
                        application,
                    )
                })
                .collect();
            let ports: Vec<(u64, Option<&str>)> = output["PortMappings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|mapping| {
                    (
                        mapping["ContainerPort"].as_u64().unwrap_or_default(),
                        mapping["AppProtocol"].as_str(),
                    )
                })
                .collect();
            assert_eq!(ports, expected_ports, "{name}/{container}: ports");
            let environment: Vec<(String, String)> = output["Environment"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|pair| {
                    (
                        pair["Name"].as_str().unwrap_or_default().to_owned(),
                        pair["Value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let secrets: Vec<(String, String)> = output["Secrets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|pair| {
                    (
                        pair["Name"].as_str().unwrap_or_default().to_owned(),
                        pair["ValueFrom"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            for pair in &environment {
                assert!(
                    input["environment"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|variable| variable["name"] == pair.0.as_str()
                            && variable["value"] == pair.1.as_str()),
                    "{name}/{container}: {pair:?} is not in the input"
                );
            }
            for variable in input["environment"].as_array().into_iter().flatten() {
                let variable_name = variable["name"].as_str().unwrap_or_default();
                assert!(
                    !berth_compiler::naming::is_environment_variable(variable_name)
                        || environment
                            .iter()
                            .chain(&secrets)
                            .any(|(known, _)| known == variable_name),
                    "{name}/{container}: `{variable_name}` was lost"
                );
            }
            for secret in input["secrets"].as_array().into_iter().flatten() {
                let secret_name = secret["name"].as_str().unwrap_or_default();
                let value_from = secret["valueFrom"].as_str().unwrap_or_default();
                let expected = secret_arn(value_from, &region);
                let built = secrets
                    .iter()
                    .find(|(known, _)| known == secret_name)
                    .map(|(_, value_from)| value_from.clone())
                    .unwrap_or_default();
                assert_eq!(
                    secret_arn(&built, &region),
                    expected,
                    "{name}/{container}: secret `{secret_name}`"
                );
            }
            if output == main_output {
                let check = &input["healthCheck"];
                if check.is_object() {
                    let built_check = &output["HealthCheck"];
                    assert_eq!(
                        health_command(&built_check["Command"]),
                        health_command(&check["command"]),
                        "{name}: health command"
                    );
                    for (key, built_key, default) in [
                        ("interval", "Interval", 30),
                        ("timeout", "Timeout", 5),
                        ("retries", "Retries", 3),
                    ] {
                        assert_eq!(
                            built_check[built_key].as_u64(),
                            Some(check[key].as_u64().unwrap_or(default)),
                            "{name}: health {key}"
                        );
                    }
                    assert_eq!(
                        built_check["StartPeriod"].as_u64(),
                        check["startPeriod"].as_u64().filter(|start| *start > 0),
                        "{name}: health start period"
                    );
                }
                let paths: Vec<&str> = output["MountPoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|point| point["ContainerPath"].as_str())
                    .collect();
                for point in input["mountPoints"].as_array().into_iter().flatten() {
                    let volume = input_volume(
                        &input_task(&case),
                        point["sourceVolume"].as_str().unwrap_or_default(),
                    );
                    if volume.get("efsVolumeConfiguration").is_some() {
                        let path = point["containerPath"].as_str().unwrap_or_default();
                        assert!(
                            paths.contains(&path),
                            "{name}: EFS mount at {path} was lost"
                        );
                    }
                }
            }
        }
    }
}

fn input_volume(task: &serde_json::Value, name: &str) -> serde_json::Value {
    task["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|volume| volume["name"] == name)
        .cloned()
        .unwrap_or_default()
}

/// A small deterministic generator (xorshift64*), so a failure reproduces from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// Values that break assumptions: wrong types, empty and huge values, template braces.
fn odd_value(random: &mut Random) -> serde_json::Value {
    use serde_json::json;
    let choices = [
        json!(null),
        json!(0),
        json!(-1),
        json!(4_294_967_296_u64),
        json!(1.5),
        json!(""),
        json!("{{nope}}"),
        json!("${UNSET:?boom}"),
        json!("x".repeat(300)),
        json!([]),
        json!({}),
        json!(true),
        json!(["CMD-SHELL"]),
        json!({ "a": [1, {"b": null}] }),
    ];
    choices[random.below(choices.len())].clone()
}

/// Replaces the `index`-th node (depth first) of `value` by `replacement`.
fn replace_node(
    value: &mut serde_json::Value,
    index: &mut usize,
    replacement: &serde_json::Value,
) -> bool {
    if *index == 0 {
        *value = replacement.clone();
        return true;
    }
    *index -= 1;
    match value {
        serde_json::Value::Array(items) => items
            .iter_mut()
            .any(|item| replace_node(item, index, replacement)),
        serde_json::Value::Object(fields) => fields
            .values_mut()
            .any(|field| replace_node(field, index, replacement)),
        _ => false,
    }
}

fn count_nodes(value: &serde_json::Value) -> usize {
    1 + match value {
        serde_json::Value::Array(items) => items.iter().map(count_nodes).sum(),
        serde_json::Value::Object(fields) => fields.values().map(count_nodes).sum(),
        _ => 0,
    }
}

#[test]
fn mutated_inputs_never_panic_and_always_write_kdl() {
    use berth_compiler::import::{self, ComposeFiles, EcsCluster, ImportOptions};
    let mut random = Random(0x5EED_1234_ABCD_0001);
    let mut runs = 0;
    for case in import_cases() {
        let input = berth_tests::import_input(&case);
        let text = fs_err::read_to_string(&input).expect("readable");
        let json = input
            .extension()
            .is_some_and(|extension| extension == "json");
        let original: serde_json::Value = if json {
            serde_json::from_str(&text).expect("JSON")
        } else {
            serde_saphyr::from_str(&text).expect("YAML")
        };
        let nodes = count_nodes(&original);
        for _ in 0..75 {
            let mut mutated = original.clone();
            for _ in 0..=random.below(3) {
                let replacement = odd_value(&mut random);
                let mut index = random.below(nodes);
                replace_node(&mut mutated, &mut index, &replacement);
            }
            let mutated_text = mutated.to_string();
            let options = ImportOptions::default();
            let outcome = std::panic::catch_unwind(|| {
                if input.ends_with("ecs-cluster.json") {
                    serde_json::from_value::<EcsCluster>(mutated.clone())
                        .ok()
                        .map(|cluster| import::ecs_services(&cluster, &options))
                } else if json {
                    Some(import::task_definition(&mutated_text, "fuzz", &options))
                } else {
                    // JSON is YAML, so the mutated document goes through the Compose reader.
                    Some(import::compose(
                        &mutated_text,
                        "fuzz",
                        &ComposeFiles::default(),
                        &options,
                    ))
                }
            });
            let outcome = outcome.unwrap_or_else(|_| {
                panic!(
                    "{}: the importer panicked on {mutated_text}",
                    case_name(&case)
                )
            });
            if let Some(Ok(imported)) = outcome {
                assert!(
                    format(&imported.source).is_ok(),
                    "{}: not KDL:\n{}",
                    case_name(&case),
                    imported.source
                );
            }
            runs += 1;
        }
    }
    assert!(runs >= 1000, "only {runs} runs");
}
