//! The IAM of a workload stack, statement by statement: whom each role trusts, and that each
//! policy grants exactly what the workload needs (its own images, log group, secrets, volumes
//! and `role { allow … }` statements) and nothing when it needs nothing.

use serde_json::{Value, json};

use super::{SHOP, resources_of, stack, workspace};

/// `arn:<partition>:<service>:<region>:<account>:<resource>` as the stacks write it.
fn local_arn(service: &str, resource: &str) -> Value {
    json!({
        "Fn::Sub": format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        )
    })
}

/// The trust policy letting `service` assume a role on behalf of this account only.
fn trusting(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }]
    })
}

/// The inline policies of role `id` in `stack` as `(name, statements)`.
fn policies(stack: &Value, id: &str) -> Vec<(String, Value)> {
    stack["Resources"][id]["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|policy| {
            assert_eq!(policy["PolicyDocument"]["Version"], "2012-10-17", "{id}");
            (
                policy["PolicyName"].as_str().unwrap_or_default().to_owned(),
                policy["PolicyDocument"]["Statement"].clone(),
            )
        })
        .collect()
}

fn logs() -> Value {
    json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": local_arn("logs", "log-group:/berth/shop/default:*")
    })
}

#[test]
fn every_workload_role_trusts_only_its_aws_service_on_behalf_of_this_account() {
    for target in ["fargate", "ecs"] {
        let workspace = workspace(SHOP, target);
        let mut roles = 0;
        for workload in ["web", "api", "mailer", "nightly", "weekly"] {
            let stack = stack(&workspace, workload);
            for (id, role) in stack["Resources"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, resource)| resource["Type"] == "AWS::IAM::Role")
            {
                let service = match id.as_str() {
                    "ExecutionRole" | "TaskRole" => "ecs-tasks.amazonaws.com",
                    "StateMachineRole" => "states.amazonaws.com",
                    "ScheduleRole" => "scheduler.amazonaws.com",
                    other => panic!("unexpected role {other} in {workload}"),
                };
                assert_eq!(
                    role["Properties"]["AssumeRolePolicyDocument"],
                    trusting(service),
                    "{target} {workload} {id}"
                );
                assert!(
                    role["Properties"].get("ManagedPolicyArns").is_none(),
                    "{target} {workload} {id} attaches a managed policy"
                );
                roles += 1;
            }
        }
        // Two roles per service and worker, four per job.
        assert_eq!(roles, 3 * 2 + 2 * 4, "{target}");
    }
}

#[test]
fn the_execution_role_pulls_only_owned_images_and_reads_only_the_workloads_secrets() {
    let workspace = workspace(SHOP, "fargate");
    // `api` runs an owned image and reads one secret by its full ARN.
    let api = stack(&workspace, "api");
    assert_eq!(
        api["Resources"]["ExecutionRole"]["Properties"]["RoleName"],
        "shop-default-api-exec-eu-west-1"
    );
    assert_eq!(
        policies(&api, "ExecutionRole"),
        [(
            "execution".to_owned(),
            json!([
                { "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                {
                    "Effect": "Allow",
                    "Action": [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer"
                    ],
                    "Resource": local_arn("ecr", "repository/shop/default/api")
                },
                logs(),
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smtp-Ab12Cd"
                }
            ])
        )]
    );
    // `web` pulls a public image and reads a parameter and a secret by name (whose ARN ends
    // in a random suffix).
    let web = stack(&workspace, "web");
    assert_eq!(
        policies(&web, "ExecutionRole"),
        [(
            "execution".to_owned(),
            json!([
                logs(),
                {
                    "Effect": "Allow",
                    "Action": "ssm:GetParameters",
                    "Resource": local_arn("ssm", "parameter/shop/session-key")
                },
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": local_arn("secretsmanager", "secret:shop/stripe-??????")
                }
            ])
        )]
    );
    // `mailer` only writes logs.
    let mailer = stack(&workspace, "mailer");
    assert_eq!(
        policies(&mailer, "ExecutionRole"),
        [("execution".to_owned(), json!([logs()]))]
    );
}

#[test]
fn secrets_named_by_arn_are_read_as_written_in_any_partition() {
    let source = SHOP.replace(
        "secret \"SESSION_KEY\" from=\"ssm:/shop/session-key\"",
        "secret \"SESSION_KEY\" from=\"ssm:arn:aws-cn:ssm:cn-north-1:123456789012:parameter/shop/key\"",
    );
    let web = stack(&workspace(&source, "fargate"), "web");
    let statements = &policies(&web, "ExecutionRole")[0].1;
    assert_eq!(
        statements[1],
        json!({
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/shop/key"
        })
    );
}

#[test]
fn the_task_role_allows_the_role_statements_and_the_volumes_through_their_access_points() {
    let workspace = workspace(SHOP, "fargate");
    let api = stack(&workspace, "api");
    assert_eq!(
        api["Resources"]["TaskRole"]["Properties"]["RoleName"],
        "shop-default-api-task-eu-west-1"
    );
    let api_policies = policies(&api, "TaskRole");
    let names: Vec<&str> = api_policies.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["workload", "volumes"]);
    assert_eq!(
        api_policies[0].1,
        json!([{
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::shop-assets/*"
        }])
    );
    let volumes = &api_policies[1].1[0];
    assert_eq!(
        volumes["Action"],
        json!([
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite"
        ])
    );
    assert_eq!(
        volumes["Condition"],
        json!({ "StringEquals": { "elasticfilesystem:AccessPointArn": [
            { "Fn::GetAtt": ["AccessPointUploads", "Arn"] }
        ] } })
    );
    assert!(
        volumes["Resource"]["Fn::Sub"][0]
            .as_str()
            .is_some_and(|arn| arn.ends_with(":file-system/${FileSystem}")),
        "{volumes}"
    );
    // Without a role block or volumes the task role has no policy at all.
    let web = stack(&workspace, "web");
    assert!(
        web["Resources"]["TaskRole"]["Properties"]
            .get("Policies")
            .is_none(),
        "{}",
        web["Resources"]["TaskRole"]
    );
}

#[test]
fn a_job_may_run_only_its_task_pass_only_its_two_roles_and_list_only_its_own_runs() {
    let workspace = workspace(SHOP, "fargate");
    let nightly = stack(&workspace, "nightly");
    let run_task = &policies(&nightly, "StateMachineRole")[0];
    assert_eq!(run_task.0, "run-task");
    let statements = run_task.1.as_array().expect("statements");
    let actions: Vec<&Value> = statements
        .iter()
        .map(|statement| &statement["Action"])
        .collect();
    assert_eq!(
        actions,
        [
            &json!("ecs:RunTask"),
            &json!(["ecs:DescribeTasks", "ecs:StopTask"]),
            &json!("ecs:TagResource"),
            &json!("iam:PassRole"),
            &json!(["events:DescribeRule", "events:PutRule", "events:PutTargets"]),
        ]
    );
    assert_eq!(
        statements[0]["Resource"],
        local_arn("ecs", "task-definition/shop-default-nightly:*")
    );
    assert_eq!(
        statements[3],
        json!({
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [
                { "Fn::GetAtt": ["ExecutionRole", "Arn"] },
                { "Fn::GetAtt": ["TaskRole", "Arn"] }
            ],
            "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
        })
    );
    let overlap: Vec<&Value> = resources_of(&nightly, "AWS::IAM::Policy").collect();
    assert_eq!(overlap.len(), 1);
    assert_eq!(
        overlap[0]["Properties"],
        json!({
            "Roles": [{ "Ref": "StateMachineRole" }],
            "PolicyName": "list-own-executions",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": "states:ListExecutions",
                    "Resource": { "Ref": "StateMachine" }
                }]
            }
        })
    );
    assert_eq!(
        nightly["Resources"]["ScheduleRole"]["Properties"]["RoleName"],
        "shop-default-nightly-schedule-eu-west-1"
    );
    assert_eq!(
        policies(&nightly, "ScheduleRole"),
        [(
            "start-execution".to_owned(),
            json!([{
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": { "Ref": "StateMachine" }
            }])
        )]
    );
}
