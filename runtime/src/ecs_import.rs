//! Reading what runs in an ECS cluster for `berth import ecs`: its services and their task
//! definitions (kept as the API's own JSON, so the importer sees every field, including ones
//! this SDK version does not know), and from Elastic Load Balancing the target groups, load
//! balancers, listeners and rules that route to them. Only reads; the conversion is the
//! compiler's ([`berth_compiler::import::ecs_services`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use berth_compiler::import::{EcsCluster, EcsService, ListenerRoute, LoadBalancer, TargetGroup};
use serde_json::Value;

use crate::aws::{AwsError, AwsErrorKind};

/// `DescribeServices` takes at most this many services per call.
const DESCRIBE_BATCH: usize = 10;

/// Why the cluster could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// An ECS call failed (no credentials, a missing permission, an unknown cluster…).
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A named service is not in the cluster.
    #[error("service `{service}` is not in cluster `{cluster}` ({reason})")]
    MissingService {
        /// The service asked for.
        service: String,
        /// The cluster.
        cluster: String,
        /// What ECS reported.
        reason: String,
    },
    /// A response was not the JSON the API documents.
    #[error("{operation} returned a response berth could not read")]
    Unreadable {
        /// The API operation.
        operation: &'static str,
    },
}

/// What was read, and the load balancing reads AWS refused (the import goes on without them,
/// and says so beside each service they concern).
#[derive(Debug)]
pub struct ClusterRead {
    /// The services, their task definitions and the load balancing that could be read.
    pub cluster: EcsCluster,
    /// Each Elastic Load Balancing call that was denied, once.
    pub denied: Vec<AwsError>,
}

fn call_error<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    move |error| AwsError::from_sdk(operation, &error)
}

/// Keeps the raw body of the response it is attached to.
#[derive(Clone, Debug, Default)]
struct RawBody(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for RawBody {
    fn name(&self) -> &'static str {
        "berth::RawBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(bytes), Ok(mut kept)) = (context.response().body().bytes(), self.0.lock()) {
            *kept = Some(bytes.to_vec());
        }
        Ok(())
    }
}

impl RawBody {
    fn json(&self, operation: &'static str) -> Result<Value, ReadError> {
        let bytes = self
            .0
            .lock()
            .ok()
            .and_then(|mut kept| kept.take())
            .ok_or(ReadError::Unreadable { operation })?;
        serde_json::from_slice(&bytes).map_err(|_| ReadError::Unreadable { operation })
    }
}

/// Reads the services of `cluster` (all of them when `services` is empty), with their task
/// definitions and load balancer routes. ECS must answer; a denied Elastic Load Balancing read
/// leaves that target group out, with a note on the service saying which permission was missing.
pub async fn read_cluster(
    config: &SdkConfig,
    cluster: &str,
    services: &[String],
) -> Result<ClusterRead, ReadError> {
    let ecs = aws_sdk_ecs::Client::new(config);
    let names = if services.is_empty() {
        list_services(&ecs, cluster).await?
    } else {
        services.to_vec()
    };
    let mut described = Vec::new();
    for batch in names.chunks(DESCRIBE_BATCH) {
        let raw = RawBody::default();
        ecs.describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .customize()
            .interceptor(raw.clone())
            .send()
            .await
            .map_err(call_error("ECS.DescribeServices"))?;
        let response = raw.json("ECS.DescribeServices")?;
        if let Some(failure) = response["failures"]
            .as_array()
            .and_then(|failures| failures.first())
        {
            let service = failure["arn"].as_str().unwrap_or_default();
            return Err(ReadError::MissingService {
                service: service.rsplit('/').next().unwrap_or(service).to_owned(),
                cluster: cluster.to_owned(),
                reason: failure["reason"].as_str().unwrap_or("unknown").to_owned(),
            });
        }
        described.extend(
            response["services"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|service| service["status"].as_str() != Some("INACTIVE")),
        );
    }
    described.sort_by(|left, right| {
        left["serviceName"]
            .as_str()
            .cmp(&right["serviceName"].as_str())
    });
    let balancing = Balancing::new(config);
    let mut imported = Vec::new();
    let mut denied = Vec::new();
    for service in described {
        let task_definition =
            describe_task_definition(&ecs, service["taskDefinition"].as_str().unwrap_or_default())
                .await?;
        let mut target_groups = Vec::new();
        let mut unread_target_groups = BTreeMap::new();
        for balancer in service["loadBalancers"].as_array().into_iter().flatten() {
            let Some(arn) = balancer["targetGroupArn"].as_str() else {
                continue;
            };
            match balancing.target_group(arn).await {
                Ok(group) => target_groups.extend(group),
                Err(error) if error.kind == AwsErrorKind::AccessDenied => {
                    unread_target_groups.insert(
                        arn.to_owned(),
                        format!(
                            "`{}` was denied; grant it (docs/migration.md lists every permission `import ecs` uses) and import again",
                            iam_action(error.operation)
                        ),
                    );
                    if !denied
                        .iter()
                        .any(|known: &AwsError| known.operation == error.operation)
                    {
                        denied.push(error);
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        imported.push(EcsService {
            service,
            task_definition,
            target_groups,
            unread_target_groups,
        });
    }
    Ok(ClusterRead {
        cluster: EcsCluster {
            name: cluster.to_owned(),
            region: config.region().map(ToString::to_string),
            services: imported,
        },
        denied,
    })
}

/// The IAM action of an operation named `Service.Action`: `ecs:ListServices`,
/// `elasticloadbalancing:DescribeRules`.
pub fn iam_action(operation: &str) -> String {
    match operation.split_once('.') {
        Some((service, action)) => format!("{}:{action}", service.to_lowercase()),
        None => operation.to_owned(),
    }
}

/// Every service name of the cluster, sorted.
async fn list_services(ecs: &aws_sdk_ecs::Client, cluster: &str) -> Result<Vec<String>, ReadError> {
    let mut names = Vec::new();
    let mut pages = ecs.list_services().cluster(cluster).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(call_error("ECS.ListServices"))?;
        names.extend(
            page.service_arns()
                .iter()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
        );
    }
    names.sort();
    Ok(names)
}

async fn describe_task_definition(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
) -> Result<Value, ReadError> {
    let raw = RawBody::default();
    ecs.describe_task_definition()
        .task_definition(arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .customize()
        .interceptor(raw.clone())
        .send()
        .await
        .map_err(call_error("ECS.DescribeTaskDefinition"))?;
    raw.json("ECS.DescribeTaskDefinition")
}

/// A load balancer and its forwarding routes, each with the target groups it forwards to.
type BalancerRoutes = (LoadBalancer, Vec<(ListenerRoute, Vec<String>)>);

/// Elastic Load Balancing reads, each load balancer's listeners and rules read once.
struct Balancing {
    client: elb::Client,
    routes: tokio::sync::Mutex<BTreeMap<String, BalancerRoutes>>,
}

impl Balancing {
    fn new(config: &SdkConfig) -> Self {
        Self {
            client: elb::Client::new(config),
            routes: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// The target group `arn` with its load balancer and the routes that forward to it; `None`
    /// when it no longer exists.
    async fn target_group(&self, arn: &str) -> Result<Option<TargetGroup>, AwsError> {
        let described = self
            .client
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await;
        let groups = match described {
            Ok(output) => output.target_groups,
            Err(error) => {
                let error = AwsError::from_sdk("ElasticLoadBalancing.DescribeTargetGroups", &error);
                // `TargetGroupNotFound`: deleted since the service was created.
                if error.code.as_deref() == Some("TargetGroupNotFound") {
                    return Ok(None);
                }
                return Err(error);
            }
        };
        let Some(group) = groups.into_iter().flatten().next() else {
            return Ok(None);
        };
        let mut imported = TargetGroup {
            arn: arn.to_owned(),
            name: group.target_group_name().unwrap_or_default().to_owned(),
            vpc_id: group.vpc_id().map(str::to_owned),
            protocol: group
                .protocol()
                .map(|protocol| protocol.as_str().to_owned()),
            protocol_version: group.protocol_version().map(str::to_owned),
            health_check_path: group.health_check_path().map(str::to_owned),
            health_check_interval: group
                .health_check_interval_seconds()
                .and_then(|value| u64::try_from(value).ok()),
            health_check_timeout: group
                .health_check_timeout_seconds()
                .and_then(|value| u64::try_from(value).ok()),
            unhealthy_threshold: group
                .unhealthy_threshold_count()
                .and_then(|value| u32::try_from(value).ok()),
            load_balancer: None,
            routes: Vec::new(),
        };
        if let Some(balancer_arn) = group.load_balancer_arns().first() {
            let mut cache = self.routes.lock().await;
            if !cache.contains_key(balancer_arn) {
                let read = self.load_balancer(balancer_arn).await?;
                cache.insert(balancer_arn.clone(), read);
            }
            if let Some((balancer, routes)) = cache.get(balancer_arn) {
                imported.load_balancer = Some(balancer.clone());
                imported.routes = routes
                    .iter()
                    .filter(|(_, targets)| targets.iter().any(|target| target == arn))
                    .map(|(route, _)| route.clone())
                    .collect();
            }
        }
        Ok(Some(imported))
    }

    /// A load balancer and every forwarding route of its listeners, with the target groups each
    /// forwards to.
    async fn load_balancer(&self, arn: &str) -> Result<BalancerRoutes, AwsError> {
        let output = self
            .client
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .map_err(call_error("ElasticLoadBalancing.DescribeLoadBalancers"))?;
        let described = output.load_balancers().first();
        let balancer = LoadBalancer {
            name: described
                .and_then(|balancer| balancer.load_balancer_name())
                .unwrap_or_default()
                .to_owned(),
            scheme: described
                .and_then(|balancer| balancer.scheme())
                .map(|scheme| scheme.as_str().to_owned()),
            kind: described
                .and_then(|balancer| balancer.r#type())
                .map(|kind| kind.as_str().to_owned()),
            subnets: described
                .map(|balancer| {
                    balancer
                        .availability_zones()
                        .iter()
                        .filter_map(|zone| zone.subnet_id().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let listeners = self
            .client
            .describe_listeners()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(call_error("ElasticLoadBalancing.DescribeListeners"))?;
        let mut routes = Vec::new();
        for listener in listeners.listeners() {
            let Some(listener_arn) = listener.listener_arn() else {
                continue;
            };
            let rules = self
                .client
                .describe_rules()
                .listener_arn(listener_arn)
                .send()
                .await
                .map_err(call_error("ElasticLoadBalancing.DescribeRules"))?;
            for rule in rules.rules() {
                let targets = forwarded_to(rule.actions());
                if targets.is_empty() {
                    continue;
                }
                routes.push((route_of(listener, rule, targets.len() > 1), targets));
            }
        }
        Ok((balancer, routes))
    }
}

/// The target groups a rule's forward actions send to.
fn forwarded_to(actions: &[elb::types::Action]) -> Vec<String> {
    let mut targets = Vec::new();
    for action in actions {
        if let Some(target) = action.target_group_arn() {
            targets.push(target.to_owned());
        }
        for weighted in action
            .forward_config()
            .map(elb::types::ForwardActionConfig::target_groups)
            .unwrap_or_default()
        {
            if let Some(target) = weighted.target_group_arn()
                && !targets.iter().any(|known| known == target)
            {
                targets.push(target.to_owned());
            }
        }
    }
    targets
}

fn route_of(
    listener: &elb::types::Listener,
    rule: &elb::types::Rule,
    weighted: bool,
) -> ListenerRoute {
    let mut route = ListenerRoute {
        listener_protocol: listener
            .protocol()
            .map(|protocol| protocol.as_str().to_owned()),
        listener_port: listener.port().and_then(|port| u16::try_from(port).ok()),
        certificate: listener
            .certificates()
            .first()
            .and_then(|certificate| certificate.certificate_arn())
            .map(str::to_owned),
        priority: if rule.is_default() == Some(true) {
            None
        } else {
            rule.priority().and_then(|priority| priority.parse().ok())
        },
        weighted,
        ..ListenerRoute::default()
    };
    for condition in rule.conditions() {
        let field = condition.field().unwrap_or_default();
        match field {
            "path-pattern" => route.paths.extend(
                condition
                    .path_pattern_config()
                    .map(|config| config.values().to_vec())
                    .filter(|values| !values.is_empty())
                    .unwrap_or_else(|| condition.values().to_vec()),
            ),
            "host-header" => route.hosts.extend(
                condition
                    .host_header_config()
                    .map(|config| config.values().to_vec())
                    .filter(|values| !values.is_empty())
                    .unwrap_or_else(|| condition.values().to_vec()),
            ),
            "http-header" => route.other_conditions.push(format!(
                "http-header {}",
                condition
                    .http_header_config()
                    .and_then(|config| config.http_header_name())
                    .unwrap_or_default()
            )),
            other => route.other_conditions.push(other.to_owned()),
        }
    }
    route
}
