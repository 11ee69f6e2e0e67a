//! What the runtime reads from AWS for `berth import ecs`: services and task definitions as the
//! ECS API's own JSON, and the load balancing around them as plain data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the runtime read from one cluster.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EcsCluster {
    /// The cluster's name.
    pub name: String,
    /// Its region.
    #[serde(default)]
    pub region: Option<String>,
    /// The services, in the order to write them.
    #[serde(default)]
    pub services: Vec<EcsService>,
}

/// One service and what it refers to.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EcsService {
    /// The service as `DescribeServices` returns it.
    pub service: Value,
    /// Its task definition as `DescribeTaskDefinition` (with tags) returns it.
    pub task_definition: Value,
    /// The target groups of its `loadBalancers`, with the rules that route to them.
    #[serde(default)]
    pub target_groups: Vec<TargetGroup>,
    /// Target groups of its `loadBalancers` the runtime could not read, with why (a denied
    /// permission), for the note beside the workload.
    #[serde(default)]
    pub unread_target_groups: BTreeMap<String, String>,
}

/// A load balancer target group a service registers its tasks in.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroup {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The VPC it is in.
    #[serde(default)]
    pub vpc_id: Option<String>,
    /// `HTTP`, `HTTPS`, `TCP`…
    #[serde(default)]
    pub protocol: Option<String>,
    /// `HTTP1`, `HTTP2` or `GRPC`.
    #[serde(default)]
    pub protocol_version: Option<String>,
    /// The path its health check requests.
    #[serde(default)]
    pub health_check_path: Option<String>,
    /// Seconds between health checks.
    #[serde(default)]
    pub health_check_interval: Option<u64>,
    /// Seconds before a health check fails.
    #[serde(default)]
    pub health_check_timeout: Option<u64>,
    /// Failed checks before a target is unhealthy.
    #[serde(default)]
    pub unhealthy_threshold: Option<u32>,
    /// The load balancer it is attached to.
    #[serde(default)]
    pub load_balancer: Option<LoadBalancer>,
    /// The listener rules that forward to it.
    #[serde(default)]
    pub routes: Vec<ListenerRoute>,
}

/// A load balancer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// Its name.
    pub name: String,
    /// `internet-facing` or `internal`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// `application` or `network`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Its subnets.
    #[serde(default)]
    pub subnets: Vec<String>,
}

/// A listener rule (or a listener's default action) that forwards to a target group.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerRoute {
    /// The listener's protocol, `HTTP` or `HTTPS`.
    #[serde(default)]
    pub listener_protocol: Option<String>,
    /// The listener's port.
    #[serde(default)]
    pub listener_port: Option<u16>,
    /// The listener's default certificate.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The rule's priority (`None` for the listener's default action).
    #[serde(default)]
    pub priority: Option<u32>,
    /// Its `path-pattern` values.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Its `host-header` values.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Its other conditions, described (`http-header X-Canary`, `source-ip`…).
    #[serde(default)]
    pub other_conditions: Vec<String>,
    /// Whether it forwards to several weighted target groups.
    #[serde(default)]
    pub weighted: bool,
}
