//! `berth import ecs` against the AWS emulator: services registered there (task definitions with
//! secrets, health checks and sidecars, behind a load balancer's rules) are imported, the file
//! checks clean and builds for fargate and eks, and the import only ever reads. Failures: no
//! credentials, an unknown cluster or service, and identities whose IAM policy (enforced by the
//! emulator) lacks an ECS read (the import stops) or a load balancing read (it goes on and says
//! so beside each service); the read-only policy docs/migration.md gives is exactly enough.

mod support;

use serde_json::{Value, json};
use support::aws::tag;
use support::{Emulator, Session, is_mutating, root, run};

const REGION: &str = "eu-west-1";
const ECS: &str = "AmazonEC2ContainerServiceV20141113";

/// A query-protocol call whose answer holds `<element>`; that element's text.
fn create(
    session: &Session<'_>,
    service: &str,
    parameters: &[(&str, &str)],
    element: &str,
) -> String {
    let answer = session.query(service, REGION, parameters);
    tag(&answer, element).unwrap_or_else(|| panic!("{parameters:?}: {answer}"))
}

fn ecs(session: &Session<'_>, action: &str, body: &Value) -> Value {
    session.json_call("ecs", REGION, &format!("{ECS}.{action}"), body)
}

/// The shop as someone built it by hand: a VPC, an internet-facing load balancer whose default
/// action forwards to `web` and whose `/api/*` rule forwards to `api`, a worker without a load
/// balancer, and a cluster running all three on Fargate.
fn seed(session: &Session<'_>) {
    let ec2 = |action: &str, extra: &[(&str, &str)], element: &str| {
        let mut parameters = vec![("Action", action), ("Version", "2016-11-15")];
        parameters.extend_from_slice(extra);
        create(session, "ec2", &parameters, element)
    };
    let vpc = ec2("CreateVpc", &[("CidrBlock", "10.9.0.0/16")], "vpcId");
    let subnets: Vec<String> = [
        ("10.9.1.0/24", "eu-west-1a"),
        ("10.9.2.0/24", "eu-west-1b"),
        ("10.9.3.0/24", "eu-west-1a"),
        ("10.9.4.0/24", "eu-west-1b"),
    ]
    .iter()
    .map(|(cidr, zone)| {
        ec2(
            "CreateSubnet",
            &[
                ("VpcId", &vpc),
                ("CidrBlock", cidr),
                ("AvailabilityZone", zone),
            ],
            "subnetId",
        )
    })
    .collect();
    let group = ec2(
        "CreateSecurityGroup",
        &[
            ("GroupName", "shop"),
            ("GroupDescription", "shop tasks"),
            ("VpcId", &vpc),
        ],
        "groupId",
    );
    let elb = |action: &str, extra: &[(&str, &str)], element: &str| {
        let mut parameters = vec![("Action", action), ("Version", "2015-12-01")];
        parameters.extend_from_slice(extra);
        create(session, "elasticloadbalancing", &parameters, element)
    };
    let balancer = elb(
        "CreateLoadBalancer",
        &[
            ("Name", "shop"),
            ("Subnets.member.1", &subnets[0]),
            ("Subnets.member.2", &subnets[1]),
            ("Scheme", "internet-facing"),
            ("Type", "application"),
        ],
        "LoadBalancerArn",
    );
    let target_group = |name: &str, port: &str, path: &str| {
        elb(
            "CreateTargetGroup",
            &[
                ("Name", name),
                ("Protocol", "HTTP"),
                ("Port", port),
                ("VpcId", &vpc),
                ("TargetType", "ip"),
                ("HealthCheckPath", path),
            ],
            "TargetGroupArn",
        )
    };
    let web_group = target_group("shop-web", "8080", "/healthz");
    let api_group = target_group("shop-api", "9000", "/api/health");
    let listener = elb(
        "CreateListener",
        &[
            ("LoadBalancerArn", &balancer),
            ("Protocol", "HTTP"),
            ("Port", "80"),
            ("DefaultActions.member.1.Type", "forward"),
            ("DefaultActions.member.1.TargetGroupArn", &web_group),
        ],
        "ListenerArn",
    );
    elb(
        "CreateRule",
        &[
            ("ListenerArn", &listener),
            ("Priority", "10"),
            ("Conditions.member.1.Field", "path-pattern"),
            ("Conditions.member.1.Values.member.1", "/api/*"),
            ("Actions.member.1.Type", "forward"),
            ("Actions.member.1.TargetGroupArn", &api_group),
        ],
        "RuleArn",
    );
    ecs(session, "CreateCluster", &json!({ "clusterName": "shop" }));
    ecs(
        session,
        "RegisterTaskDefinition",
        &json!({
            "family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024",
            "executionRoleArn": "arn:aws:iam::123456789012:role/web-exec", "taskRoleArn": "arn:aws:iam::123456789012:role/web",
            "containerDefinitions": [
                {
                    "name": "web", "image": "ghcr.io/acme/web:1.2", "essential": true,
                    "portMappings": [{ "containerPort": 8080, "protocol": "tcp" }],
                    "environment": [{ "name": "API_URL", "value": "http://api:9000" }],
                    "secrets": [
                        { "name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-url" },
                        { "name": "SESSION_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/session-AbCdEf:key::" }
                    ],
                    "healthCheck": { "command": ["CMD-SHELL", "curl -f http://localhost:8080/healthz || exit 1"], "interval": 15, "timeout": 5, "retries": 3, "startPeriod": 20 },
                    "user": "1000", "readonlyRootFilesystem": true
                },
                { "name": "envoy", "image": "envoyproxy/envoy:v1.31.0", "essential": false, "portMappings": [{ "containerPort": 9901 }], "user": "1000", "readonlyRootFilesystem": true }
            ]
        }),
    );
    ecs(
        session,
        "RegisterTaskDefinition",
        &json!({
            "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "1024", "memory": "2048",
            "containerDefinitions": [{
                "name": "api", "image": "ghcr.io/acme/api:1.2", "essential": true,
                "portMappings": [{ "containerPort": 9000, "protocol": "tcp", "appProtocol": "http" }],
                "secrets": [{ "name": "STRIPE_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/stripe-AbCdEf:secret_key::" }],
                "user": "1000", "readonlyRootFilesystem": true
            }]
        }),
    );
    ecs(
        session,
        "RegisterTaskDefinition",
        &json!({
            "family": "mailer", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
            "containerDefinitions": [{
                "name": "mailer", "image": "ghcr.io/acme/mailer:1.2", "essential": true,
                "environment": [{ "name": "SMTP_PASSWORD", "value": "plaintext-in-the-console" }],
                "healthCheck": { "command": ["CMD", "pgrep", "mailer"], "interval": 30, "timeout": 5, "retries": 3 },
                "user": "1000", "readonlyRootFilesystem": true
            }]
        }),
    );
    let network = json!({ "awsvpcConfiguration": { "subnets": [subnets[2], subnets[3]], "securityGroups": [group], "assignPublicIp": "DISABLED" } });
    for (name, count, balancer) in [
        ("web", 2, Some((&web_group, "web", 8080))),
        ("api", 1, Some((&api_group, "api", 9000))),
        ("mailer", 1, None),
    ] {
        let mut service = json!({
            "cluster": "shop", "serviceName": name, "taskDefinition": name, "desiredCount": count,
            "launchType": "FARGATE", "networkConfiguration": network,
        });
        if let Some((group, container, port)) = balancer {
            service["loadBalancers"] = json!([{ "targetGroupArn": group, "containerName": container, "containerPort": port }]);
        }
        ecs(session, "CreateService", &service);
    }
}

/// Asserts that the import failed with exit code 1 and said each of `expected`.
fn refused_saying(imported: &support::Run, expected: &[&str]) {
    assert_eq!(imported.code, 1, "{}", imported.stderr);
    for text in expected {
        assert!(
            imported.stderr.contains(text),
            "`{text}` missing from:\n{}",
            imported.stderr
        );
    }
}

/// `berth import ecs --cluster shop --region eu-west-1 --out berth.kdl` in `directory`, with the
/// session's test credentials.
fn import_shop(session: &Session<'_>, directory: &std::path::Path) -> std::process::Command {
    let mut command = session.berth(directory);
    command.args([
        "import",
        "ecs",
        "--cluster",
        "shop",
        "--region",
        REGION,
        "--out",
        "berth.kdl",
    ]);
    command
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn imports_a_live_cluster_that_checks_and_builds_for_both_targets() {
    let session = Emulator::get().session();
    seed(&session);
    let directory = tempfile::tempdir().expect("a directory");
    session.start_recording();
    let imported = run(&mut import_shop(&session, directory.path()));
    let calls = session.stop_recording();
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let mutating: Vec<&String> = calls.iter().filter(|call| is_mutating(call)).collect();
    assert!(
        mutating.is_empty(),
        "import changed something: {mutating:?}"
    );
    assert!(
        calls.iter().any(|call| call.ends_with("DescribeRules")),
        "{calls:?}"
    );
    let file = std::fs::read_to_string(directory.path().join("berth.kdl")).expect("written");
    for expected in [
        "service \"web\" {",
        "service \"api\" {",
        "worker \"mailer\" {",
        "sidecar \"envoy\" {",
        "path \"/api\"",
        "secret \"DATABASE_URL\" from=\"arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-url\"",
        "secret \"STRIPE_KEY\" from=\"secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/stripe-AbCdEf\" key=\"secret_key\"",
        "command \"/bin/sh\" \"-c\" \"curl -f http://localhost:8080/healthz || exit 1\"",
        "http \"/api/health\"",
        "replicas 2",
        "vpc \"vpc-",
        "secret \"SMTP_PASSWORD\" from=\"ssm:/{{workspace}}/{{env}}/smtp-password\"",
    ] {
        assert!(file.contains(expected), "missing `{expected}` in:\n{file}");
    }
    assert!(
        !file.contains("plaintext-in-the-console"),
        "a plaintext secret was copied:\n{file}"
    );
    for target in ["fargate", "eks"] {
        let checked =
            run(session
                .berth(directory.path())
                .args(["check", "berth.kdl", "--target", target]));
        assert_eq!(
            checked.code, 0,
            "check --target {target}: {}",
            checked.stderr
        );
        let built = run(session.berth(directory.path()).args([
            "build",
            "berth.kdl",
            "--target",
            target,
            "--out",
            &format!("out-{target}"),
        ]));
        assert_eq!(built.code, 0, "build --target {target}: {}", built.stderr);
    }
    session.checked_log();
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn an_unknown_service_or_cluster_is_an_error_that_says_how_to_list_them() {
    let session = Emulator::get().session();
    seed(&session);
    let directory = tempfile::tempdir().expect("a directory");
    let missing = run(session.berth(directory.path()).args([
        "import",
        "ecs",
        "--cluster",
        "shop",
        "--region",
        REGION,
        "--service",
        "nope",
    ]));
    refused_saying(
        &missing,
        &[
            "`nope` is not in cluster `shop`",
            "aws ecs list-services --cluster shop",
        ],
    );
    let no_cluster = run(session.berth(directory.path()).args([
        "import",
        "ecs",
        "--cluster",
        "gone",
        "--region",
        REGION,
    ]));
    refused_saying(
        &no_cluster,
        &[
            "cannot read cluster `gone`",
            "ClusterNotFoundException",
            "aws ecs list-clusters",
        ],
    );
    assert!(
        !directory.path().join("berth.kdl").exists(),
        "a failed import wrote a file"
    );
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn without_credentials_nothing_is_read_and_the_help_says_how_to_configure_them() {
    let session = Emulator::get().session();
    let directory = tempfile::tempdir().expect("a directory");
    let home = tempfile::tempdir().expect("an empty home");
    let imported = run(import_shop(&session, directory.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        ));
    refused_saying(
        &imported,
        &["cannot read cluster `shop`", "configure credentials"],
    );
    assert!(!directory.path().join("berth.kdl").exists());
}

/// The IAM policy docs/migration.md gives for `import ecs` (its first ```json block after the
/// "Permissions" heading).
fn documented_policy() -> Value {
    let guide = std::fs::read_to_string(root().join("docs/migration.md")).expect("the guide");
    let section = &guide[guide
        .find("### Permissions")
        .expect("a Permissions section")..];
    let start = section.find("```json\n").expect("a json block") + "```json\n".len();
    let end = section[start..].find("```").expect("its end") + start;
    serde_json::from_str(&section[start..end]).expect("the documented policy is JSON")
}

/// Every action a policy allows.
fn allowed_actions(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|statement| statement["Effect"] == "Allow")
        .flat_map(|statement| match &statement["Action"] {
            Value::String(action) => vec![action.clone()],
            actions => actions
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|action| action.as_str().map(str::to_owned))
                .collect(),
        })
        .collect()
}

/// An IAM user with `policy` and its access key `(id, secret)`.
fn user_with(session: &Session<'_>, name: &str, policy: &Value) -> (String, String) {
    let iam = |parameters: &[(&str, &str)], element: &str| {
        let mut all = vec![("Version", "2010-05-08")];
        all.extend_from_slice(parameters);
        let answer = session.query("iam", "us-east-1", &all);
        tag(&answer, element).unwrap_or_else(|| panic!("{parameters:?}: {answer}"))
    };
    iam(&[("Action", "CreateUser"), ("UserName", name)], "UserId");
    let document = policy.to_string();
    let arn = iam(
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", name),
            ("PolicyDocument", &document),
        ],
        "Arn",
    );
    iam(
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", name),
            ("PolicyArn", &arn),
        ],
        "RequestId",
    );
    let answer = session.query(
        "iam",
        "us-east-1",
        &[
            ("Action", "CreateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", name),
        ],
    );
    (
        tag(&answer, "AccessKeyId").expect("an access key"),
        tag(&answer, "SecretAccessKey").expect("its secret"),
    )
}

/// IAM enforced by the emulator until dropped (moto checks every request's signature and the
/// caller's policies while it is on).
struct EnforcedIam<'a>(&'a Emulator);

impl<'a> EnforcedIam<'a> {
    fn on(emulator: &'a Emulator) -> Self {
        let answer = emulator.request("POST", "/moto-api/reset-auth", "0");
        assert_eq!(answer.map(|(status, _)| status), Some(200));
        Self(emulator)
    }
}

impl Drop for EnforcedIam<'_> {
    fn drop(&mut self) {
        let _ = self.0.request("POST", "/moto-api/reset-auth", "inf");
    }
}

/// `berth import ecs --cluster shop` as the user with access key `key`.
fn import_as(
    session: &Session<'_>,
    directory: &std::path::Path,
    key: &(String, String),
) -> support::Run {
    run(import_shop(session, directory)
        .arg("--force")
        .env("AWS_ACCESS_KEY_ID", &key.0)
        .env("AWS_SECRET_ACCESS_KEY", &key.1))
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn the_documented_policy_is_enough_and_a_missing_permission_is_named() {
    let emulator = Emulator::get();
    let session = emulator.session();
    seed(&session);
    let documented = documented_policy();
    let actions = allowed_actions(&documented);
    assert!(
        actions
            .iter()
            .all(|action| action.contains(":Describe") || action.contains(":List")),
        "the documented policy allows more than reads: {actions:?}"
    );
    let policy_without = |missing: &str| {
        let kept: Vec<&String> = actions.iter().filter(|action| *action != missing).collect();
        assert_ne!(
            kept.len(),
            actions.len(),
            "{missing} is not in the documented policy"
        );
        json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": kept, "Resource": "*" }] })
    };
    let reader = user_with(&session, "reader", &documented);
    let no_rules = user_with(
        &session,
        "no-rules",
        &policy_without("elasticloadbalancing:DescribeRules"),
    );
    let no_tasks = user_with(
        &session,
        "no-tasks",
        &policy_without("ecs:DescribeTaskDefinition"),
    );
    let directory = tempfile::tempdir().expect("a directory");
    let _iam = EnforcedIam::on(emulator);

    let full = import_as(&session, directory.path(), &reader);
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert!(!full.stderr.contains("warning:"), "{}", full.stderr);
    let file = std::fs::read_to_string(directory.path().join("berth.kdl")).expect("written");
    assert!(file.contains("path \"/api\""), "{file}");

    let partial = import_as(&session, directory.path(), &no_rules);
    assert_eq!(partial.code, 0, "{}", partial.stderr);
    assert_eq!(
        partial.stderr.matches("warning:").count(),
        1,
        "one warning per denied call: {}",
        partial.stderr
    );
    assert!(
        partial
            .stderr
            .contains("grant `elasticloadbalancing:DescribeRules`"),
        "{}",
        partial.stderr
    );
    let file = std::fs::read_to_string(directory.path().join("berth.kdl")).expect("written");
    assert_eq!(
        file.matches("could not be read (`elasticloadbalancing:DescribeRules` was denied")
            .count(),
        2,
        "a note beside web and api, the two services behind the load balancer:\n{file}"
    );
    assert!(!file.contains("path \"/api\""), "{file}");

    let refused = import_as(&session, directory.path(), &no_tasks);
    refused_saying(
        &refused,
        &[
            "AccessDeniedException",
            "grant the identity",
            "`ecs:DescribeTaskDefinition`",
        ],
    );
}
