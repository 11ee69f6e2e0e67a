//! Properties of the workload stacks that must hold for any workspace.

use serde_json::{Value, json};

use super::workload_stack;
use crate::emit::cloudformation::Context;
use crate::model::Workspace;

mod iam;

pub(super) const SHOP: &str = r#"
workspace "shop" {
    target "fargate"
    region "eu-west-1"
    tags { team "commerce"; }
    domain "shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/abc"
}

service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    cpu 512
    memory 1024
    replicas min=2 max=10 { cpu 70; }
    health { http "/healthz"; interval "10s"; timeout "5s"; retries 3; grace "30s"; }
    env { LOG_LEVEL "info"; API_URL "http://api:9000"; }
    secret "SESSION_KEY" from="ssm:/shop/session-key"
    secret "STRIPE_KEY" from="secretsmanager:shop/stripe" key="api_key"
    depends-on "api"
}

service "api" {
    image repository="api" tag="2.0"
    port 9000 { public #true; path "/api"; host "shop.example.com"; }
    port 9090 protocol="grpc" { public #true; path "/grpc"; }
    cpu 1024
    memory 2048
    replicas min=2 max=6 { requests 1000; memory 80; }
    volume "uploads" path="/data"
    secret "SMTP" from="secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smtp-Ab12Cd" key="password"
    sidecar "envoy" { image "envoyproxy/envoy:v1.31.0"; port 9901; }
    role { allow "s3:GetObject" "s3:PutObject" resource="arn:aws:s3:::shop-assets/*"; }
}

worker "mailer" {
    image "ghcr.io/acme/mailer:1.0"
    health { command "pgrep" "mailer"; interval "30s"; timeout "5s"; retries 3; }
}

job "nightly" {
    image "ghcr.io/acme/report:1.0"
    schedule "0 3 * * *"
    command "report" "--since" "24h"
    timeout "1h"
    retries 2
}

job "weekly" {
    image "ghcr.io/acme/report:1.0"
    schedule "30 4 * * 1-5"
}
"#;

pub(super) fn workspace(source: &str, target: &str) -> Workspace {
    let source = source.replace("target \"fargate\"", &format!("target \"{target}\""));
    let checked = crate::check(&source, &crate::Options::default());
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked
        .workspace
        .map(crate::Valid::into_inner)
        .expect("a valid workspace")
}

/// Every workload stack of `workspace` by workload name.
fn stacks(workspace: &Workspace) -> Vec<(String, Value)> {
    let context = Context::new(workspace);
    workspace
        .workloads
        .iter()
        .map(|workload| {
            (
                workload.name.value.clone(),
                workload_stack(&context, workload).to_value(),
            )
        })
        .collect()
}

pub(super) fn stack(workspace: &Workspace, name: &str) -> Value {
    stacks(workspace)
        .into_iter()
        .find(|(workload, _)| workload == name)
        .map(|(_, stack)| stack)
        .expect("a stack of that workload")
}

fn resources_of<'a>(stack: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    stack["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter(move |resource| resource["Type"] == kind)
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(values) => values.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn no_role_allows_every_resource_except_the_ecr_token() {
    for target in ["fargate", "ecs"] {
        let workspace = workspace(SHOP, target);
        for (name, stack) in stacks(&workspace) {
            for role in resources_of(&stack, "AWS::IAM::Role") {
                for policy in role["Properties"]["Policies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    for statement in policy["PolicyDocument"]["Statement"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        if as_list(&statement["Resource"]).contains(&json!("*")) {
                            assert_eq!(
                                statement["Action"],
                                json!("ecr:GetAuthorizationToken"),
                                "`*` resource in {name}: {statement}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_ecr_token_is_granted_only_with_an_owned_repository() {
    let workspace = workspace(SHOP, "fargate");
    for (name, stack) in stacks(&workspace) {
        let text = stack["Resources"]["ExecutionRole"].to_string();
        assert_eq!(
            text.contains("ecr:GetAuthorizationToken"),
            name == "api",
            "{name}"
        );
    }
    let api = stack(&workspace, "api").to_string();
    assert!(api.contains(":repository/shop/default/api"));
    let api = stack(&workspace, "api");
    let container = &api["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    assert_eq!(container["Image"], serde_json::json!({ "Ref": "ImageApi" }));
    let parameter = &api["Parameters"]["ImageApi"];
    assert!(
        parameter["Description"]
            .to_string()
            .contains("/shop/default/api:2.0")
    );
    assert!(
        parameter.get("Default").is_none(),
        "the account is known only at deploy"
    );
    let web = stack(&workspace, "web");
    assert_eq!(
        web["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"],
        serde_json::json!({ "Ref": "ImageWeb" })
    );
    assert_eq!(
        web["Parameters"]["ImageWeb"]["Default"], "ghcr.io/acme/web:1.0",
        "a reference as written is the default"
    );
}

#[test]
fn secrets_are_references_and_never_plain_environment_values() {
    let workspace = workspace(SHOP, "fargate");
    let web = stack(&workspace, "web");
    let container = &web["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    let environment: Vec<&str> = container["Environment"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|variable| variable["Name"].as_str())
        .collect();
    assert_eq!(environment, ["API_URL", "LOG_LEVEL"], "sorted, plain only");
    assert!(!container["Environment"].to_string().contains("ssm"));
    assert_eq!(
        container["Secrets"],
        json!([
            {
                "Name": "SESSION_KEY",
                "ValueFrom": { "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/session-key" }
            },
            {
                "Name": "STRIPE_KEY",
                "ValueFrom": { "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/stripe:api_key::" }
            }
        ])
    );
    let execution = web["Resources"]["ExecutionRole"].to_string();
    assert!(execution.contains("secret:shop/stripe-??????"));
    assert!(execution.contains("ssm:GetParameters"));
    let api = stack(&workspace, "api");
    let secrets =
        &api["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Secrets"];
    assert_eq!(
        secrets[0]["ValueFrom"],
        json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smtp-Ab12Cd:password::")
    );
}

#[test]
fn listener_rule_priorities_are_unique() {
    let workspace = workspace(SHOP, "fargate");
    let mut priorities = Vec::new();
    for (_, stack) in stacks(&workspace) {
        for rule in resources_of(&stack, "AWS::ElasticLoadBalancingV2::ListenerRule") {
            priorities.push(rule["Properties"]["Priority"].as_u64().expect("a number"));
        }
    }
    assert_eq!(priorities.len(), 3);
    let mut unique = priorities.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), priorities.len(), "{priorities:?}");
}

#[test]
fn routes_match_the_path_and_below_and_the_host() {
    let workspace = workspace(SHOP, "fargate");
    let web = stack(&workspace, "web");
    assert_eq!(
        web["Resources"]["ListenerRule8080"]["Properties"]["Conditions"],
        json!([{ "Field": "path-pattern", "PathPatternConfig": { "Values": ["/*"] } }])
    );
    let api = stack(&workspace, "api");
    assert_eq!(
        api["Resources"]["ListenerRule9000"]["Properties"]["Conditions"],
        json!([
            { "Field": "path-pattern", "PathPatternConfig": { "Values": ["/api", "/api/*"] } },
            { "Field": "host-header", "HostHeaderConfig": { "Values": ["shop.example.com"] } }
        ])
    );
    let grpc = &api["Resources"]["TargetGroup9090"]["Properties"];
    assert_eq!(grpc["ProtocolVersion"], "GRPC");
    assert_eq!(grpc["Matcher"], json!({ "GrpcCode": "0-99" }));
    let dependencies = &api["Resources"]["Service"]["DependsOn"];
    assert_eq!(
        dependencies,
        &json!(["ListenerRule9000", "ListenerRule9090"])
    );
}

#[test]
fn the_load_balancer_checks_public_http_ports_instead_of_the_container() {
    let workspace = workspace(SHOP, "fargate");
    let web = stack(&workspace, "web");
    let container = &web["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    assert!(container.get("HealthCheck").is_none());
    let group = &web["Resources"]["TargetGroup8080"]["Properties"];
    assert_eq!(group["HealthCheckPath"], "/healthz");
    assert_eq!(group["HealthCheckIntervalSeconds"], 10);
    assert_eq!(
        web["Resources"]["Service"]["Properties"]["HealthCheckGracePeriodSeconds"],
        30
    );
    let mailer = stack(&workspace, "mailer");
    let check = &mailer["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["HealthCheck"];
    assert_eq!(check["Command"], json!(["CMD", "pgrep", "mailer"]));
    assert_eq!(check["Interval"], 30);
}

#[test]
fn cron_is_converted_for_eventbridge_in_utc() {
    let workspace = workspace(SHOP, "fargate");
    let nightly = stack(&workspace, "nightly");
    let schedule = &nightly["Resources"]["Schedule"]["Properties"];
    assert_eq!(schedule["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(schedule["ScheduleExpressionTimezone"], "UTC");
    let weekly = stack(&workspace, "weekly");
    assert_eq!(
        weekly["Resources"]["Schedule"]["Properties"]["ScheduleExpression"],
        "cron(30 4 ? * 2-6 *)"
    );
}

#[test]
fn jobs_run_through_a_state_machine_with_timeout_and_retries() {
    let workspace = workspace(SHOP, "fargate");
    let nightly = stack(&workspace, "nightly");
    assert_eq!(resources_of(&nightly, "AWS::ECS::Service").count(), 0);
    let run = &nightly["Resources"]["StateMachine"]["Properties"]["Definition"]["States"]["Run"];
    assert_eq!(run["TimeoutSeconds"], 3600);
    assert_eq!(run["Retry"][0]["MaxAttempts"], 2);
    assert_eq!(run["Retry"][0]["ErrorEquals"], json!(["States.TaskFailed"]));
    let weekly = stack(&workspace, "weekly");
    let run = &weekly["Resources"]["StateMachine"]["Properties"]["Definition"]["States"]["Run"];
    assert!(run.get("Retry").is_none());
    let pass = nightly["Resources"]["StateMachineRole"].to_string();
    assert!(pass.contains(r#"["ExecutionRole","Arn"]"#) && pass.contains(r#"["TaskRole","Arn"]"#));
}

/// The state a job's state machine goes to from its overlap check when `ListExecutions` lists
/// `listed` (newest first) for the run `this`: the check's Choice rules evaluated as Step
/// Functions does, first match wins.
fn after_overlap_check(definition: &Value, this: &str, listed: &[&str]) -> String {
    let state = json!({
        "berth": {
            "execution": this,
            "running": {
                "count": listed.len(),
                "executions": listed.iter().map(|arn| json!({ "ExecutionArn": arn })).collect::<Vec<_>>(),
            },
        },
    });
    let read = |path: &str| -> Value {
        let mut value = &state;
        for part in path.trim_start_matches("$.").split('.') {
            value = match part.split_once('[') {
                Some((key, index)) => {
                    let index: usize = index.trim_end_matches(']').parse().expect("index");
                    &value[key][index]
                }
                None => &value[part],
            };
        }
        assert!(
            !value.is_null(),
            "{path} is not in the state: Step Functions fails the run"
        );
        value.clone()
    };
    let choice = &definition["States"]["IsAnotherRunGoing"];
    for rule in choice["Choices"].as_array().expect("choices") {
        let variable = read(rule["Variable"].as_str().expect("variable"));
        let matches = if let Some(number) = rule.get("NumericEquals") {
            variable.as_f64() == number.as_f64()
        } else if let Some(number) = rule.get("NumericGreaterThan") {
            variable.as_f64() > number.as_f64()
        } else if let Some(path) = rule.get("StringEqualsPath") {
            variable == read(path.as_str().expect("path"))
        } else {
            panic!("a rule this test does not know: {rule}")
        };
        if matches {
            return rule["Next"].as_str().expect("next").to_owned();
        }
    }
    choice["Default"].as_str().expect("default").to_owned()
}

#[test]
fn a_job_run_never_overlaps_an_earlier_one() {
    let workspace = workspace(SHOP, "fargate");
    let nightly = stack(&workspace, "nightly");
    let definition = &nightly["Resources"]["StateMachine"]["Properties"]["Definition"];
    assert_eq!(definition["StartAt"], "NoteThisRun");
    assert_eq!(
        definition["States"]["NoteThisRun"]["Next"],
        "FindRunningRuns"
    );
    let find = &definition["States"]["FindRunningRuns"];
    assert_eq!(find["Parameters"]["StatusFilter"], "RUNNING");
    assert_eq!(find["Parameters"]["MaxResults"], 2);
    let (this, earlier, older) = ("arn:run:this", "arn:run:earlier", "arn:run:older");
    let skip = "SkipOverlappingRun";
    assert_eq!(after_overlap_check(definition, this, &[]), "Run");
    assert_eq!(after_overlap_check(definition, this, &[this]), "Run");
    assert_eq!(
        after_overlap_check(definition, this, &[this, earlier]),
        skip
    );
    assert_eq!(
        after_overlap_check(definition, this, &[earlier]),
        skip,
        "ListExecutions may not list this run yet"
    );
    assert_eq!(
        after_overlap_check(definition, this, &[earlier, older]),
        skip
    );
    assert_eq!(definition["States"][skip]["Type"], "Succeed");
    let policy = &nightly["Resources"]["StateMachineOverlapPolicy"]["Properties"];
    assert_eq!(policy["Roles"], json!([{ "Ref": "StateMachineRole" }]));
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0],
        json!({ "Effect": "Allow", "Action": "states:ListExecutions", "Resource": { "Ref": "StateMachine" } })
    );
    let schedule = &nightly["Resources"]["Schedule"];
    assert_eq!(schedule["DependsOn"], "StateMachineOverlapPolicy");
    assert_eq!(schedule["Properties"]["Target"]["Input"], "{}");
}

#[test]
fn autoscaled_services_leave_the_task_count_to_autoscaling() {
    let workspace = workspace(SHOP, "fargate");
    let web = stack(&workspace, "web");
    assert!(
        web["Resources"]["Service"]["Properties"]
            .get("DesiredCount")
            .is_none(),
        "a deploy must not reset what autoscaling chose"
    );
    assert_eq!(
        web["Resources"]["ScalableTarget"]["Properties"]["MinCapacity"],
        2
    );
    let mailer = stack(&workspace, "mailer");
    assert_eq!(
        mailer["Resources"]["Service"]["Properties"]["DesiredCount"],
        1
    );
}

#[test]
fn every_port_is_reachable_by_the_bare_service_name_through_service_connect() {
    let workspace = workspace(SHOP, "fargate");
    let api = stack(&workspace, "api");
    let connect = &api["Resources"]["Service"]["Properties"]["ServiceConnectConfiguration"];
    assert_eq!(connect["Enabled"], true);
    assert_eq!(
        connect["Namespace"],
        json!({ "Fn::ImportValue": "shop-default-platform-DiscoveryNamespaceArn" })
    );
    let offered: Vec<(String, String, Value)> = connect["Services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|service| {
            (
                service["PortName"].as_str().unwrap_or_default().to_owned(),
                service["DiscoveryName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                service["ClientAliases"].clone(),
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            (
                "http-9000".into(),
                "api_9000".into(),
                json!([{ "DnsName": "api", "Port": 9000 }])
            ),
            (
                "grpc-9090".into(),
                "api_9090".into(),
                json!([{ "DnsName": "api", "Port": 9090 }])
            ),
            (
                "http-9901".into(),
                "api_9901".into(),
                json!([{ "DnsName": "api", "Port": 9901 }])
            ),
        ],
        "the main container's ports and the sidecar's, each under the service's name"
    );
    let names: Vec<&str> = api["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|container| container["PortMappings"].as_array().into_iter().flatten())
        .filter_map(|mapping| mapping["Name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["http-9000", "grpc-9090", "http-9901"],
        "port names match"
    );
    let mailer = stack(&workspace, "mailer");
    let client = &mailer["Resources"]["Service"]["Properties"]["ServiceConnectConfiguration"];
    assert_eq!(client["Enabled"], true);
    assert!(client.get("Services").is_none(), "a worker only calls out");
}

#[test]
fn tasks_run_on_the_architecture_of_the_instances() {
    let graviton = SHOP.replace(
        "region \"eu-west-1\"",
        "region \"eu-west-1\"\n    ecs { instance-type \"m7g.2xlarge\"; max 20; }",
    );
    let platform = |target: &str| {
        stack(&workspace(&graviton, target), "web")["Resources"]["TaskDefinition"]["Properties"]
            ["RuntimePlatform"]["CpuArchitecture"]
            .clone()
    };
    assert_eq!(platform("ecs"), "ARM64");
    assert_eq!(
        platform("fargate"),
        "X86_64",
        "the ecs block is unused on fargate"
    );
}

#[test]
fn target_ecs_places_tasks_on_the_capacity_provider() {
    let workspace = workspace(SHOP, "ecs");
    let web = stack(&workspace, "web");
    let service = &web["Resources"]["Service"]["Properties"];
    assert!(service.get("LaunchType").is_none());
    assert!(
        service["CapacityProviderStrategy"][0]["CapacityProvider"]["Fn::ImportValue"].is_string()
    );
    assert_eq!(
        service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    assert_eq!(
        web["Resources"]["TaskDefinition"]["Properties"]["RequiresCompatibilities"],
        json!(["EC2"])
    );
}

#[test]
fn volumes_mount_through_their_access_points() {
    let workspace = workspace(SHOP, "fargate");
    let api = stack(&workspace, "api");
    let properties = &api["Resources"]["TaskDefinition"]["Properties"];
    let volumes = properties["Volumes"].as_array().expect("volumes");
    assert_eq!(volumes[0], json!({ "Name": "tmp" }));
    assert_eq!(
        volumes[1]["EFSVolumeConfiguration"]["AuthorizationConfig"]["IAM"],
        "ENABLED"
    );
    let mounts = &properties["ContainerDefinitions"][0]["MountPoints"];
    assert_eq!(mounts.as_array().map(Vec::len), Some(2));
    let sidecar_mounts = &properties["ContainerDefinitions"][1]["MountPoints"];
    assert_eq!(sidecar_mounts.as_array().map(Vec::len), Some(1));
    let task_role = api["Resources"]["TaskRole"].to_string();
    assert!(task_role.contains("elasticfilesystem:ClientMount"));
    assert!(task_role.contains("elasticfilesystem:AccessPointArn"));
    let mailer = stack(&workspace, "mailer");
    assert!(
        mailer["Resources"]["TaskRole"]["Properties"]
            .get("Policies")
            .is_none()
    );
}

#[test]
fn output_is_deterministic() {
    let first = stacks(&workspace(SHOP, "fargate"));
    let second = stacks(&workspace(SHOP, "fargate"));
    assert_eq!(first, second);
}
