//! The stack of one service, worker or job on the `ecs` and `fargate` targets.
//!
//! - `task`: the task definition and its container definitions.
//! - `scratch`: the short-lived container that makes the `/tmp` volume writable by non-root
//!   containers before they start.
//! - `iam`: the execution role (pull, logs, secrets) and the task role (`role { allow … }`,
//!   volumes); its role and secret helpers also build the `eks` pod roles.
//! - `service`: for services and workers, the ECS service, its Cloud Map entry, the target
//!   group and listener rule of each public port, and autoscaling.
//! - `job`: for jobs, a Step Functions state machine that runs the task (honouring timeout and
//!   retries) and the `EventBridge` Scheduler schedule that starts it.
//!
//! Every physical name comes from [`crate::naming::Naming`]; everything shared comes from the
//! platform stack through [`Context::import`].

pub(super) mod iam;
mod job;
mod scratch;
mod service;
mod task;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::{Context, Template, attribute, exports, parameters, reference};
use crate::model::{Target, Workload, WorkloadKind};

/// Logical ids of the resources a workload stack holds.
mod ids {
    pub const TASK_DEFINITION: &str = "TaskDefinition";
    pub const EXECUTION_ROLE: &str = "ExecutionRole";
    pub const TASK_ROLE: &str = "TaskRole";
    pub const SERVICE: &str = "Service";
    pub const DISCOVERY_SERVICE: &str = "DiscoveryService";
    pub const SCALABLE_TARGET: &str = "ScalableTarget";
    pub const STATE_MACHINE: &str = "StateMachine";
    pub const STATE_MACHINE_ROLE: &str = "StateMachineRole";
    pub const OVERLAP_POLICY: &str = "StateMachineOverlapPolicy";
    pub const SCHEDULE: &str = "Schedule";
    pub const SCHEDULE_ROLE: &str = "ScheduleRole";

    /// The EFS access point of `volume`.
    pub fn access_point(volume: &str) -> String {
        crate::naming::logical_id(&["AccessPoint", volume])
    }
}

/// The logical id of a service's or worker's ECS service.
pub const SERVICE_ID: &str = ids::SERVICE;

/// Everything one workload needs beyond the platform.
pub fn workload_stack(context: &Context<'_>, workload: &Workload) -> Template {
    let mut template = Template::new(format!(
        "berth {} {} of {} ({})",
        workload.kind.name(),
        workload.name.value,
        context.workspace.name.value,
        context.workspace.environment.value
    ));
    for volume in &workload.volumes {
        super::platform::storage::access_point(
            context,
            &mut template,
            &ids::access_point(&volume.name.value),
            &volume.name.value,
            workload.container.user.value,
        );
    }
    iam::execution_role(&mut template, context, workload);
    iam::task_role(&mut template, context, workload);
    task::task_definition(&mut template, context, workload);
    template.output("TaskDefinitionArn", reference(ids::TASK_DEFINITION), None);
    match workload.kind {
        WorkloadKind::Service | WorkloadKind::Worker => {
            service::service(&mut template, context, workload);
            template.output(
                super::outputs::SERVICE_NAME,
                attribute(ids::SERVICE, "Name"),
                None,
            );
        }
        WorkloadKind::Job => {
            job::job(&mut template, context, workload);
            template.output("StateMachineArn", reference(ids::STATE_MACHINE), None);
        }
    }
    template
}

/// Whether the workspace runs on Fargate (else on the EC2 capacity of target `ecs`).
fn is_fargate(context: &Context<'_>) -> bool {
    context.workspace.target.value == Target::Fargate
}

/// Escapes literal text for `Fn::Sub`: `${` would start a variable.
fn escape_sub(text: &str) -> String {
    text.replace("${", "${!")
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` in this stack's account and region;
/// `resource` is literal text.
fn arn(service: &str, resource: &str) -> Value {
    value!({
        "Fn::Sub": format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{}",
            escape_sub(resource)
        )
    })
}

/// `Fn::Sub` of `text` (already escaped, with `${Name}` placeholders) with `variables`.
fn sub_with(text: &str, variables: Value) -> Value {
    let mut sub = Map::new();
    sub.insert(
        "Fn::Sub".into(),
        Value::Array(vec![value!(text), variables]),
    );
    Value::Object(sub)
}

/// Whole seconds of a duration in milliseconds, rounded up.
fn seconds(milliseconds: u64) -> u64 {
    milliseconds.div_ceil(1000)
}

/// An IAM policy document.
pub(crate) fn policy_document(statements: Vec<Value>) -> Value {
    let mut document = Map::new();
    document.insert("Version".into(), value!("2012-10-17"));
    document.insert("Statement".into(), Value::Array(statements));
    Value::Object(document)
}

/// A trust policy letting `service` assume a role, only on behalf of this account.
fn trust_policy(service: &str) -> Value {
    policy_document(vec![value!({
        "Effect": "Allow",
        "Principal": { "Service": service },
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": { "aws:SourceAccount": reference("AWS::AccountId") }
        }
    })])
}

/// How tasks are placed: Fargate, or the capacity provider of target `ecs`.
fn launch(context: &Context<'_>) -> Value {
    if is_fargate(context) {
        value!({ "LaunchType": "FARGATE", "PlatformVersion": "LATEST" })
    } else {
        value!({
            "CapacityProviderStrategy": [{
                "CapacityProvider": context.import(exports::CAPACITY_PROVIDER),
                "Weight": 1
            }]
        })
    }
}

/// Whether tasks get a public IP: only on Fargate (EC2 tasks in `awsvpc` mode cannot have one),
/// and only when they run in public subnets.
fn assign_public_ip(context: &Context<'_>) -> &'static str {
    if is_fargate(context) && context.assign_public_ip {
        "ENABLED"
    } else {
        "DISABLED"
    }
}
