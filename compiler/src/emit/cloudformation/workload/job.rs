//! Jobs: a Step Functions state machine runs the task to completion, stopping it at the timeout
//! and retrying failed runs; an `EventBridge` Scheduler schedule starts the state machine. A run
//! that starts while an earlier one is still going (its retries included) ends at once without
//! starting a task, as the `CronJob` of `eks` does with `concurrencyPolicy: Forbid`.

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::iam::{allow, role};
use super::{
    Context, Template, arn, assign_public_ip, exports, ids, is_fargate, parameters, seconds,
    sub_with,
};
use crate::emit::cloudformation::{attribute, reference, tags};
use crate::model::Workload;

/// The rule Step Functions manages to follow ECS tasks of `.sync` integrations.
const ECS_EVENTS_RULE: &str = "rule/StepFunctionsGetEventsForECSTaskRule";

/// The Step Functions integration that runs an ECS task and waits for it to stop. cfn-lint and
/// the ASL schema accept only the `aws` partition here.
const RUN_TASK: &str = "arn:aws:states:::ecs:runTask.sync";

/// The Step Functions SDK integration that lists a state machine's executions.
const LIST_EXECUTIONS: &str = "arn:aws:states:::aws-sdk:sfn:listExecutions";

/// Where the overlap check keeps what it found in the execution's state.
const FOUND: &str = "$.berth";

/// Seconds between a failed run and its retry; each later retry waits twice as long.
const RETRY_INTERVAL_SECONDS: u32 = 30;

/// Adds the state machine, its role, and the schedule that starts it.
pub(super) fn job(template: &mut Template, context: &Context<'_>, workload: &Workload) {
    let name = workload.name.value.as_str();
    state_machine_role(template, context, workload);
    let mut substitutions = value!({
        "Cluster": context.import(exports::CLUSTER_ARN),
        "TaskDefinition": reference(ids::TASK_DEFINITION),
        // The platform writes the subnets as a list; the definition takes them comma-joined.
        "Subnets": {
            "Fn::Join": [",", context.read_parameter(template, parameters::WORKLOAD_SUBNETS, true)]
        },
        "SecurityGroup": context.import(exports::WORKLOAD_SECURITY_GROUP),
    });
    if !is_fargate(context)
        && let Some(object) = substitutions.as_object_mut()
    {
        object.insert(
            "CapacityProvider".into(),
            context.import(exports::CAPACITY_PROVIDER),
        );
    }
    template.resource(
        ids::STATE_MACHINE,
        "AWS::StepFunctions::StateMachine",
        value!({
            "StateMachineType": "STANDARD",
            "RoleArn": attribute(ids::STATE_MACHINE_ROLE, "Arn"),
            "Definition": definition(context, workload),
            "DefinitionSubstitutions": substitutions,
            "Tags": tags(context.workspace, Some(name)),
        }),
    );
    overlap_policy(template);
    schedule(template, context, workload);
}

/// What the overlap check needs: listing the state machine's own executions. A policy of its
/// own, since the role's inline policies cannot name the state machine that names the role.
fn overlap_policy(template: &mut Template) {
    template.resource(
        ids::OVERLAP_POLICY,
        "AWS::IAM::Policy",
        value!({
            "Roles": [reference(ids::STATE_MACHINE_ROLE)],
            "PolicyName": "list-own-executions",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [allow(&["states:ListExecutions"], vec![reference(ids::STATE_MACHINE)])],
            },
        }),
    );
}

/// The states that end a run at once while an earlier run is still going, then go to `next`.
/// `ListExecutions` lists the newest first and may not list this run yet (it is eventually
/// consistent), so with at most two listed: none listed, or only this run, means no other run;
/// two listed, or one that is not this run, means an earlier run is going.
fn overlap_check(next: &str) -> Map<String, Value> {
    let found = |path: &str| format!("{FOUND}.{path}");
    let mut states = Map::new();
    states.insert(
        "NoteThisRun".into(),
        value!({
            "Type": "Pass",
            "Parameters": { "execution.$": "$$.Execution.Id" },
            "ResultPath": FOUND,
            "Next": "FindRunningRuns",
        }),
    );
    states.insert(
        "FindRunningRuns".into(),
        value!({
            "Type": "Task",
            "Resource": LIST_EXECUTIONS,
            "Parameters": {
                "StateMachineArn.$": "$$.StateMachine.Id",
                "StatusFilter": "RUNNING",
                "MaxResults": 2,
            },
            "ResultSelector": {
                "count.$": "States.ArrayLength($.Executions)",
                "executions.$": "$.Executions",
            },
            "ResultPath": found("running"),
            "Next": "IsAnotherRunGoing",
        }),
    );
    // Choice rules are tried in order, so a rule reads `executions[0]` only when one is listed.
    states.insert(
        "IsAnotherRunGoing".into(),
        value!({
            "Type": "Choice",
            "Choices": [
                { "Variable": found("running.count"), "NumericEquals": 0, "Next": next },
                { "Variable": found("running.count"), "NumericGreaterThan": 1, "Next": "SkipOverlappingRun" },
                {
                    "Variable": found("running.executions[0].ExecutionArn"),
                    "StringEqualsPath": found("execution"),
                    "Next": next,
                },
            ],
            "Default": "SkipOverlappingRun",
        }),
    );
    states.insert(
        "SkipOverlappingRun".into(),
        value!({
            "Type": "Succeed",
            "Comment": "an earlier run is still going: this one is skipped, as a CronJob with concurrencyPolicy Forbid skips it",
        }),
    );
    states
}

/// The state machine: the overlap check, then one task state running the task definition and
/// waiting for it to stop.
fn definition(context: &Context<'_>, workload: &Workload) -> Value {
    let mut parameters = Map::new();
    parameters.insert("Cluster".into(), value!("${Cluster}"));
    parameters.insert("TaskDefinition".into(), value!("${TaskDefinition}"));
    if is_fargate(context) {
        parameters.insert("LaunchType".into(), value!("FARGATE"));
        parameters.insert("PlatformVersion".into(), value!("LATEST"));
    } else {
        parameters.insert(
            "CapacityProviderStrategy".into(),
            value!([{ "CapacityProvider": "${CapacityProvider}", "Weight": 1 }]),
        );
    }
    parameters.insert(
        "NetworkConfiguration".into(),
        value!({
            "AwsvpcConfiguration": {
                // The platform exports the subnets comma-joined; split them when the run starts.
                "Subnets.$": "States.StringSplit('${Subnets}', ',')",
                "SecurityGroups": ["${SecurityGroup}"],
                "AssignPublicIp": assign_public_ip(context),
            }
        }),
    );
    parameters.insert("PropagateTags".into(), value!("TASK_DEFINITION"));
    parameters.insert("EnableECSManagedTags".into(), value!(true));
    let mut state = value!({
        "Type": "Task",
        "Resource": RUN_TASK,
        "Parameters": parameters,
        "End": true,
    });
    if let Some(object) = state.as_object_mut() {
        if let Some(timeout) = &workload.timeout {
            object.insert("TimeoutSeconds".into(), value!(seconds(timeout.value)));
        }
        if workload.retries.value > 0 {
            object.insert(
                "Retry".into(),
                value!([{
                    "ErrorEquals": ["States.TaskFailed"],
                    "MaxAttempts": workload.retries.value,
                    "IntervalSeconds": RETRY_INTERVAL_SECONDS,
                    "BackoffRate": 2,
                }]),
            );
        }
    }
    let mut states = overlap_check("Run");
    states.insert("Run".into(), state);
    value!({
        "Comment": format!("berth job {}", workload.name.value),
        "StartAt": "NoteThisRun",
        "States": states,
    })
}

/// The state machine's role: run this task definition in the cluster, follow and stop its
/// tasks, pass exactly the workload's two roles, and manage the rule `.sync` needs.
fn state_machine_role(template: &mut Template, context: &Context<'_>, workload: &Workload) {
    let name = workload.name.value.as_str();
    let tasks = sub_with(
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${Cluster}/*",
        value!({ "Cluster": context.import(exports::CLUSTER_NAME) }),
    );
    let with_condition = |mut statement: Value, condition: Value| {
        if let Some(object) = statement.as_object_mut() {
            object.insert("Condition".into(), condition);
        }
        statement
    };
    let statements = vec![
        with_condition(
            allow(
                &["ecs:RunTask"],
                vec![arn(
                    "ecs",
                    &format!("task-definition/{}:*", context.naming.task_family(name)),
                )],
            ),
            value!({ "ArnEquals": { "ecs:cluster": context.import(exports::CLUSTER_ARN) } }),
        ),
        allow(&["ecs:DescribeTasks", "ecs:StopTask"], vec![tasks.clone()]),
        // Tags propagated to the task are applied on create and need this.
        with_condition(
            allow(&["ecs:TagResource"], vec![tasks]),
            value!({ "StringEquals": { "ecs:CreateAction": "RunTask" } }),
        ),
        with_condition(
            allow(
                &["iam:PassRole"],
                vec![
                    attribute(ids::EXECUTION_ROLE, "Arn"),
                    attribute(ids::TASK_ROLE, "Arn"),
                ],
            ),
            value!({ "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }),
        ),
        allow(
            &["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            vec![arn("events", ECS_EVENTS_RULE)],
        ),
    ];
    role(
        template,
        ids::STATE_MACHINE_ROLE,
        None,
        "states.amazonaws.com",
        vec![("run-task", statements)],
        tags(context.workspace, Some(name)),
    );
}

/// The schedule (cron in UTC) and the role it starts the state machine with.
fn schedule(template: &mut Template, context: &Context<'_>, workload: &Workload) {
    let Some(expression) = workload
        .schedule
        .as_ref()
        .and_then(|schedule| schedule.parsed.to_eventbridge().ok())
    else {
        return;
    };
    let name = workload.name.value.as_str();
    role(
        template,
        ids::SCHEDULE_ROLE,
        Some(context.naming.workload_role(name, "schedule")),
        "scheduler.amazonaws.com",
        vec![(
            "start-execution",
            vec![allow(
                &["states:StartExecution"],
                vec![reference(ids::STATE_MACHINE)],
            )],
        )],
        tags(context.workspace, Some(name)),
    );
    template.resource_with(
        ids::SCHEDULE,
        "AWS::Scheduler::Schedule",
        value!({
            "Description": format!("berth job {name} of {} ({})", context.workspace.name.value, context.workspace.environment.value),
            "ScheduleExpression": format!("cron({expression})"),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": { "Mode": "OFF" },
            "State": "ENABLED",
            "Target": {
                "Arn": reference(ids::STATE_MACHINE),
                "RoleArn": attribute(ids::SCHEDULE_ROLE, "Arn"),
                // The overlap check adds to the input, which must be an object.
                "Input": "{}",
            },
        }),
        // No scheduled run before the state machine may check for an earlier one.
        value!({ "DependsOn": ids::OVERLAP_POLICY }),
    );
}
