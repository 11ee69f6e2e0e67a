//! Waiting for the EKS cluster and its node groups, with recorded EKS responses
//! (aws-smithy-mocks): the emulator makes everything ACTIVE at once, so the states in between —
//! and the ones waiting cannot fix — are shown here.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_eks::Client;
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput;
use aws_sdk_eks::types::{
    Certificate, Cluster, ClusterStatus, Issue, Nodegroup, NodegroupHealth, NodegroupIssueCode,
    NodegroupStatus,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use berth::kubernetes::connect::wait_for_cluster;
use berth::kubernetes::error::KubernetesError;
use berth::kubernetes::event::KubernetesEvent;

fn cluster(status: ClusterStatus) -> DescribeClusterOutput {
    DescribeClusterOutput::builder()
        .cluster(
            Cluster::builder()
                .name("catalog-default")
                .status(status)
                .endpoint("https://ABC.gr7.us-west-2.eks.amazonaws.com")
                .certificate_authority(Certificate::builder().data("LS0tLS1CRUdJTg==").build())
                .build(),
        )
        .build()
}

fn nodegroup(status: NodegroupStatus, issue: Option<&str>) -> DescribeNodegroupOutput {
    let mut nodegroup = Nodegroup::builder()
        .nodegroup_name("general")
        .status(status);
    if let Some(message) = issue {
        nodegroup = nodegroup.health(
            NodegroupHealth::builder()
                .issues(
                    Issue::builder()
                        .code(NodegroupIssueCode::AsgInstanceLaunchFailures)
                        .message(message)
                        .build(),
                )
                .build(),
        );
    }
    DescribeNodegroupOutput::builder()
        .nodegroup(nodegroup.build())
        .build()
}

fn run(
    client: &Client,
    node_groups: bool,
) -> (Result<String, KubernetesError>, Vec<KubernetesEvent>) {
    let events = Mutex::new(Vec::new());
    let report = |event| events.lock().expect("events").push(event);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(wait_for_cluster(
            client,
            "catalog-default",
            node_groups,
            Duration::from_millis(1),
            &report,
        ))
        .map(|endpoint| endpoint.endpoint);
    (result, events.into_inner().expect("events"))
}

#[test]
fn waits_while_the_cluster_and_a_node_group_are_creating() {
    let describe = mock!(Client::describe_cluster)
        .sequence()
        .output(|| cluster(ClusterStatus::Creating))
        .times(3)
        .output(|| cluster(ClusterStatus::Active))
        .build();
    let list = mock!(Client::list_nodegroups).then_output(|| {
        ListNodegroupsOutput::builder()
            .nodegroups("general")
            .build()
    });
    let nodegroups = mock!(Client::describe_nodegroup)
        .sequence()
        .output(|| nodegroup(NodegroupStatus::Creating, None))
        .times(2)
        .output(|| nodegroup(NodegroupStatus::Active, None))
        .build();
    let client = mock_client!(
        aws_sdk_eks,
        RuleMode::Sequential,
        &[&describe, &list, &nodegroups]
    );
    let (result, events) = run(&client, true);
    assert_eq!(
        result.expect("active").as_str(),
        "https://ABC.gr7.us-west-2.eks.amazonaws.com"
    );
    assert_eq!(
        events,
        [
            KubernetesEvent::ClusterWaiting {
                resource: "cluster catalog-default".into(),
                status: "CREATING".into()
            },
            KubernetesEvent::ClusterWaiting {
                resource: "node group general".into(),
                status: "CREATING".into()
            },
        ],
        "each state is reported once"
    );
    assert_eq!(describe.num_calls(), 4);
    assert_eq!(nodegroups.num_calls(), 3);
}

#[test]
fn a_failed_node_group_stops_the_wait_with_its_health_issue() {
    let describe = mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Active));
    let list = mock!(Client::list_nodegroups).then_output(|| {
        ListNodegroupsOutput::builder()
            .nodegroups("general")
            .build()
    });
    let nodegroups = mock!(Client::describe_nodegroup).then_output(|| {
        nodegroup(
            NodegroupStatus::CreateFailed,
            Some("Could not launch On-Demand Instances. InsufficientInstanceCapacity"),
        )
    });
    let client = mock_client!(
        aws_sdk_eks,
        RuleMode::Sequential,
        &[&describe, &list, &nodegroups]
    );
    let error = run(&client, true).0.expect_err("failed");
    assert_eq!(
        error.to_string(),
        "node group `general` of `catalog-default` is CREATE_FAILED: Could not launch On-Demand Instances. InsufficientInstanceCapacity"
    );
    assert_eq!(error.code().qualified(), "berth::cluster-not-active");
}

#[test]
fn an_existing_cluster_is_not_asked_about_node_groups_and_a_failed_one_stops_at_once() {
    let describe = mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Active));
    let client = mock_client!(aws_sdk_eks, RuleMode::Sequential, &[&describe]);
    assert!(
        run(&client, false).0.is_ok(),
        "no ListNodegroups: the mock has no rule for it"
    );

    let failed = mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Failed));
    let client = mock_client!(aws_sdk_eks, RuleMode::Sequential, &[&failed]);
    let error = run(&client, false).0.expect_err("failed");
    assert_eq!(
        error.to_string(),
        "the EKS cluster `catalog-default` is FAILED"
    );
}
