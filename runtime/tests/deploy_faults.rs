//! Faults the emulator cannot produce, with mocked AWS clients (`aws-smithy-mocks`) driving the
//! real engine: throttling until the retries run out, expired credentials, a stack stuck in
//! `UPDATE_ROLLBACK_FAILED`, a stack busy with someone else's update, a rollout whose tasks keep
//! stopping, and a change set whose replacements CloudFormation explains (a recorded response).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_cloudformation::Client as CloudFormation;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSource, Parameter, Replacement,
    RequiresRecreation, ResourceAttribute, ResourceChange, ResourceChangeDetail, ResourceStatus,
    ResourceTargetDefinition, Stack, StackEvent, StackResourceDetail, StackStatus, Tag,
};
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::types::{
    Container, Deployment, DeploymentRolloutState, Service, Task, TaskStopCode,
};
use aws_smithy_mocks::{MockResponse, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use berth::deploy::build::Build;
use berth::deploy::cluster::{ClusterClients, ClusterSettings};
use berth::deploy::error::{DeployError, RuntimeCode};
use berth::deploy::event::{Event, Recorder};
use berth::deploy::images::EcrClients;
use berth::deploy::plan;
use berth::deploy::stack_step::{StackJob, deploy_stack};
use berth::deploy::{Activity, Clients, Pace, Settings, apply, preview};
use berth_compiler::emit::{TemplateFormat, emit};

/// The minimal example, built in memory.
fn minimal() -> Build {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/minimal/berth.kdl");
    let source = std::fs::read_to_string(path).expect("the example");
    let checked = berth_compiler::check(&source, &berth_compiler::Options::default());
    let workspace = checked.workspace.expect("valid");
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
    Build::from_artifacts(&artifacts, artifacts.manifest.clone())
}

fn settings() -> Settings {
    Settings {
        pace: Pace {
            first: Duration::from_millis(1),
            max: Duration::from_millis(2),
        },
        parallel: 4,
        lock_wait: Duration::ZERO,
        holder: "test".to_owned(),
        activity: Activity::default(),
        delete_images: false,
        cluster: ClusterSettings::default(),
    }
}

fn clients(cloudformation: CloudFormation, ecs: aws_sdk_ecs::Client) -> Clients {
    let ecr = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, &[]);
    // No SSM parameter exists yet: every stack that reads one is deployed again.
    let parameters = mock!(aws_sdk_ssm::Client::get_parameters).then_output(|| {
        aws_sdk_ssm::operation::get_parameters::GetParametersOutput::builder().build()
    });
    let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &[&parameters]);
    Clients {
        cloudformation,
        ecs,
        ssm,
        ecr: EcrClients {
            home: ecr,
            home_region: "us-east-1".to_owned(),
            others: BTreeMap::new(),
        },
        cluster: ClusterClients {
            eks: mock_client!(aws_sdk_eks, RuleMode::MatchAny, &[]),
            // Never called: these builds have no Kubernetes side.
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::Config::builder()
                    .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                    .region(aws_sdk_sts::config::Region::new("us-east-1"))
                    .build(),
            ),
            credentials: None,
            region: "us-east-1".to_owned(),
        },
        // Never called here: minimal is not an eks build, so nobody is granted cluster access.
        sts: aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .build(),
        ),
        iam: aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::Config::builder()
                .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
                .build(),
        ),
    }
}

fn no_ecs() -> aws_sdk_ecs::Client {
    mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &[])
}

/// A CloudFormation (query protocol) error response.
fn query_error(status: u16, code: &str, message: &str) -> Response {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    );
    Response::new(
        StatusCode::try_from(status).expect("a status"),
        SdkBody::from(body),
    )
}

/// The stack `name` as deployed, in `status`, with the build's tags and `parameters`.
fn stack(name: &str, status: &str, build: &Build, parameters: &BTreeMap<String, String>) -> Stack {
    let mut stack = Stack::builder()
        .stack_name(name)
        .stack_id(format!(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/1"
        ))
        .stack_status(StackStatus::from(status));
    for (key, value) in &build.manifest.stack_tags {
        stack = stack.tags(Tag::builder().key(key).value(value).build());
    }
    for (key, value) in parameters {
        stack = stack.parameters(
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build(),
        );
    }
    stack.build()
}

#[tokio::test]
async fn throttling_until_the_retries_run_out_is_reported_with_its_next_step() {
    let throttled = mock!(CloudFormation::describe_stacks)
        .then_http_response(|| query_error(400, "Throttling", "Rate exceeded"));
    let cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[&throttled],
        |config| {
            config.retry_config(
                aws_sdk_cloudformation::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(2)),
            )
        }
    );
    let build = minimal();
    let recorder = Recorder::default();
    let error = apply::deploy(
        &build,
        &clients(cloudformation, no_ecs()),
        &settings(),
        &recorder,
    )
    .await
    .expect_err("throttled");
    assert_eq!(error.code(), RuntimeCode::AwsThrottled, "{error}");
    assert!(
        throttled.num_calls() >= 3,
        "each call was retried: {}",
        throttled.num_calls()
    );
    assert!(
        error.help().contains("AWS_MAX_ATTEMPTS"),
        "{}",
        error.help()
    );
    assert!(error.to_string().contains("Rate exceeded"), "{error}");
}

#[tokio::test]
async fn expired_credentials_stop_the_run_at_once() {
    let expired = mock!(CloudFormation::describe_stacks).then_http_response(|| {
        query_error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    });
    let cloudformation = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, &[&expired]);
    let build = minimal();
    let error = apply::deploy(
        &build,
        &clients(cloudformation, no_ecs()),
        &settings(),
        &Recorder::default(),
    )
    .await
    .expect_err("expired");
    assert_eq!(error.code(), RuntimeCode::AwsCredentialsExpired, "{error}");
    assert!(
        error.help().contains("refresh the credentials"),
        "{}",
        error.help()
    );
    assert_eq!(error.exit_code(), 1);
}

#[tokio::test]
async fn a_stack_in_update_rollback_failed_gets_the_exact_next_step_and_is_not_touched() {
    let build = minimal();
    let stuck_build = build.clone();
    let describe = mock!(CloudFormation::describe_stacks).then_compute_output(move |input| {
        let name = input.stack_name().unwrap_or_default();
        let status = if name.ends_with("-platform") {
            "UPDATE_ROLLBACK_FAILED"
        } else {
            "UPDATE_COMPLETE"
        };
        DescribeStacksOutput::builder()
            .stacks(stack(name, status, &stuck_build, &BTreeMap::new()))
            .build()
    });
    let template = mock!(CloudFormation::get_template)
        .then_output(|| GetTemplateOutput::builder().template_body("{}").build());
    let create = mock!(CloudFormation::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().id("never").build());
    let cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[&describe, &template, &create]
    );
    let error = apply::deploy(
        &build,
        &clients(cloudformation, no_ecs()),
        &settings(),
        &Recorder::default(),
    )
    .await
    .expect_err("stuck");
    assert_eq!(error.code(), RuntimeCode::StackRollbackFailed, "{error}");
    assert_eq!(
        error.commands(),
        ["aws cloudformation continue-update-rollback --stack-name hello-default-platform"]
    );
    assert_eq!(create.num_calls(), 0, "nothing was changed");
}

#[tokio::test]
async fn a_stack_busy_with_another_update_is_waited_for_then_left_unchanged() {
    let build = minimal();
    let mut stages = plan::stages(&build);
    let spec = stages.remove(0).stacks.remove(0);
    let looks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (counted, busy_build) = (looks.clone(), build.clone());
    let describe = mock!(CloudFormation::describe_stacks).then_compute_output(move |input| {
        let name = input.stack_name().unwrap_or("hello-default-platform");
        let status = if counted.fetch_add(1, Ordering::SeqCst) < 3 {
            "UPDATE_IN_PROGRESS"
        } else {
            "UPDATE_COMPLETE"
        };
        DescribeStacksOutput::builder()
            .stacks(stack(name, status, &busy_build, &BTreeMap::new()))
            .build()
    });
    let events = mock!(CloudFormation::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            .stack_events(
                StackEvent::builder()
                    .event_id("e1")
                    .stack_name("hello-default-platform")
                    .logical_resource_id("hello-default-platform")
                    .resource_type("AWS::CloudFormation::Stack")
                    .resource_status(ResourceStatus::UpdateInProgress)
                    .build(),
            )
            .build()
    });
    let body = spec.body.clone();
    let template = mock!(CloudFormation::get_template).then_output(move || {
        GetTemplateOutput::builder()
            .template_body(body.clone())
            .build()
    });
    let create = mock!(CloudFormation::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().id("never").build());
    let cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[&describe, &events, &template, &create]
    );
    let recorder = Recorder::default();
    let clients = clients(cloudformation, no_ecs());
    let job = StackJob {
        spec: &spec,
        services: Vec::new(),
    };
    let result = deploy_stack(&clients, &settings(), &recorder, &job)
        .await
        .expect("waits");
    assert_eq!(result, berth::deploy::stack_step::StackResult::Unchanged);
    let events = recorder.events();
    assert!(events.iter().any(|event| matches!(event, Event::StackBusy { status, .. } if status == "UPDATE_IN_PROGRESS")), "{events:?}");
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::StackUnchanged { .. })),
        "{events:?}"
    );
    assert!(looks.load(Ordering::SeqCst) >= 4, "looked until it settled");
    assert_eq!(create.num_calls(), 0);
}

/// The web stack is updating (a new image) and its new tasks cannot pull the image: berth sees
/// two of them stop, cancels the update and waits for CloudFormation's rollback, then reports
/// the tasks' reasons.
#[tokio::test]
async fn a_rollout_whose_tasks_keep_stopping_fails_fast_and_rolls_back() {
    let build = minimal();
    let mut stages = plan::stages(&build);
    let spec = stages.remove(1).stacks.remove(0);
    let executed = Arc::new(AtomicBool::new(false));
    let cancelled = Arc::new(AtomicBool::new(false));
    let (executed_seen, cancelled_seen, stack_build) =
        (executed.clone(), cancelled.clone(), build.clone());
    let describe = mock!(CloudFormation::describe_stacks).then_compute_output(move |input| {
        let name = input.stack_name().unwrap_or_default();
        let status = if cancelled_seen.load(Ordering::SeqCst) {
            "UPDATE_ROLLBACK_COMPLETE"
        } else if executed_seen.load(Ordering::SeqCst) {
            "UPDATE_IN_PROGRESS"
        } else {
            "UPDATE_COMPLETE"
        };
        let previous =
            BTreeMap::from([("ImageWeb".to_owned(), "ghcr.io/acme/hello:0.9".to_owned())]);
        DescribeStacksOutput::builder()
            .stacks(stack(name, status, &stack_build, &previous))
            .build()
    });
    let events = mock!(CloudFormation::describe_stack_events)
        .then_output(|| DescribeStackEventsOutput::builder().build());
    let create = mock!(CloudFormation::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().id("change-1").build());
    let describe_change_set = mock!(CloudFormation::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::CreateComplete)
            .build()
    });
    let flag = executed.clone();
    let execute = mock!(CloudFormation::execute_change_set).then_compute_output(move |_| {
        flag.store(true, Ordering::SeqCst);
        aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput::builder()
            .build()
    });
    let flag = cancelled.clone();
    let cancel = mock!(CloudFormation::cancel_update_stack).then_compute_output(move |_| {
        flag.store(true, Ordering::SeqCst);
        aws_sdk_cloudformation::operation::cancel_update_stack::CancelUpdateStackOutput::builder()
            .build()
    });
    let resource = mock!(CloudFormation::describe_stack_resource).then_output(|| {
        DescribeStackResourceOutput::builder()
            .stack_resource_detail(
                StackResourceDetail::builder()
                    .logical_resource_id("Service")
                    .physical_resource_id(
                        "arn:aws:ecs:us-east-1:123456789012:service/hello-default/web",
                    )
                    .build(),
            )
            .build()
    });
    let cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[
            &describe,
            &events,
            &create,
            &describe_change_set,
            &execute,
            &cancel,
            &resource
        ]
    );
    let services = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(
                Service::builder()
                    .service_name("web")
                    .status("ACTIVE")
                    .desired_count(1)
                    .running_count(1)
                    .deployments(
                        Deployment::builder()
                            .status("PRIMARY")
                            .task_definition("arn:task/web:2")
                            .rollout_state(DeploymentRolloutState::InProgress)
                            .build(),
                    )
                    .deployments(
                        Deployment::builder()
                            .status("ACTIVE")
                            .task_definition("arn:task/web:1")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let listed = mock!(aws_sdk_ecs::Client::list_tasks).then_output(|| {
        ListTasksOutput::builder()
            .task_arns("arn:task-run/a1")
            .task_arns("arn:task-run/a2")
            .build()
    });
    let stopped = |id: &str| {
        Task::builder()
            .task_arn(format!("arn:aws:ecs:us-east-1:1:task/hello-default/{id}"))
            .task_definition_arn("arn:task/web:2")
            .stop_code(TaskStopCode::TaskFailedToStart)
            .stopped_reason("CannotPullContainerError: pull image manifest has been retried 5 time(s): ghcr.io/acme/hello:1.0: not found")
            .containers(Container::builder().name("web").build())
            .build()
    };
    let tasks = mock!(aws_sdk_ecs::Client::describe_tasks).then_output(move || {
        DescribeTasksOutput::builder()
            .tasks(stopped("a1"))
            .tasks(stopped("a2"))
            .build()
    });
    let ecs = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        &[&services, &listed, &tasks]
    );
    let service = build.manifest.services[0].clone();
    let job = StackJob {
        spec: &spec,
        services: vec![(&service, "hello-default".to_owned())],
    };
    let recorder = Recorder::default();
    let error = deploy_stack(&clients(cloudformation, ecs), &settings(), &recorder, &job)
        .await
        .expect_err("the rollout fails");
    assert_eq!(error.code(), RuntimeCode::RolloutFailed, "{error}");
    assert!(
        error.to_string().contains("CannotPullContainerError"),
        "{error}"
    );
    assert!(
        error.help().contains("berth cancelled the update"),
        "{}",
        error.help()
    );
    assert_eq!(cancel.num_calls(), 1, "the update was cancelled");
    let DeployError::RolloutFailed { stopped, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(stopped.len(), 2);
    assert!(
        recorder.events().iter().any(|event| matches!(
            event,
            Event::StackFinished { status, ok: false, .. } if status == "UPDATE_ROLLBACK_COMPLETE"
        )),
        "the rollback was awaited: {:?}",
        recorder.events()
    );
}

/// A change set as CloudFormation describes a replacement (recorded shape): `plan` shows the
/// resource as replaced and why.
#[tokio::test]
async fn replacements_are_shown_with_the_property_and_parameter_that_force_them() {
    let build = minimal();
    let plan_build = build.clone();
    let describe = mock!(CloudFormation::describe_stacks).then_compute_output(move |input| {
        let name = input.stack_name().unwrap_or_default();
        let parameters = if name.ends_with("-web") {
            BTreeMap::from([("ImageWeb".to_owned(), "ghcr.io/acme/hello:0.9".to_owned())])
        } else {
            BTreeMap::new()
        };
        DescribeStacksOutput::builder()
            .stacks(stack(name, "UPDATE_COMPLETE", &plan_build, &parameters))
            .build()
    });
    let platform_body = plan::stages(&build)[0].stacks[0].body.clone();
    let template = mock!(CloudFormation::get_template).then_output(move || {
        GetTemplateOutput::builder()
            .template_body(platform_body.clone())
            .build()
    });
    let create = mock!(CloudFormation::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().id("change-1").build());
    let described = mock!(CloudFormation::describe_change_set).then_compute_response(|_| {
        MockResponse::Output(
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .changes(
                    Change::builder()
                        .resource_change(
                            ResourceChange::builder()
                                .action(ChangeAction::Modify)
                                .logical_resource_id("TaskDefinition")
                                .resource_type("AWS::ECS::TaskDefinition")
                                .replacement(Replacement::True)
                                .details(
                                    ResourceChangeDetail::builder()
                                        .target(
                                            ResourceTargetDefinition::builder()
                                                .attribute(ResourceAttribute::Properties)
                                                .name("ContainerDefinitions")
                                                .requires_recreation(RequiresRecreation::Always)
                                                .build(),
                                        )
                                        .change_source(ChangeSource::ParameterReference)
                                        .causing_entity("ImageWeb")
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
    });
    let deleted = mock!(CloudFormation::delete_change_set)
        .then_output(|| DeleteChangeSetOutput::builder().build());
    let cloudformation = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        &[&describe, &template, &create, &described, &deleted]
    );
    let outcome = preview::plan(
        &build,
        &clients(cloudformation, no_ecs()),
        &settings(),
        &Recorder::default(),
    )
    .await
    .expect("plans");
    let web = outcome
        .stacks
        .iter()
        .find(|stack| stack.stack == "hello-default-web")
        .expect("the web stack");
    assert!(web.changes[0].replaces());
    assert_eq!(deleted.num_calls(), 1, "the change set was deleted");
    let text = berth::commands::render_deploy::plan_human(&outcome);
    assert!(text.contains("± TaskDefinition"), "{text}");
    assert!(text.contains("REPLACE"), "{text}");
    assert!(
        text.contains("ContainerDefinitions (recreation: Always, changed by ImageWeb)"),
        "{text}"
    );
}
