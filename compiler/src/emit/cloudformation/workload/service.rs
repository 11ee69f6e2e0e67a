//! Services and workers: the ECS service, its Cloud Map entry, the target group and listener
//! rule of each public port, and target-tracking autoscaling.

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::{Context, Template, assign_public_ip, exports, ids, launch, parameters, seconds};
use crate::emit::cloudformation::{attribute, logical_id, reference, tags};
use crate::model::{Deploy, Port, Protocol, Replicas, Route, Workload};
use crate::naming::Naming;

/// Adds the ECS service of `workload` and everything that routes to and scales it.
pub(super) fn service(template: &mut Template, context: &Context<'_>, workload: &Workload) {
    let name = workload.name.value.as_str();
    template.resource(
        ids::DISCOVERY_SERVICE,
        "AWS::ServiceDiscovery::Service",
        value!({
            "Name": name,
            "Description": format!("{} {name}", workload.kind.name()),
            "NamespaceId": context.import(exports::DISCOVERY_NAMESPACE_ID),
            "DnsConfig": {
                "DnsRecords": [{ "Type": "A", "TTL": 10 }],
                "RoutingPolicy": "MULTIVALUE"
            },
            "HealthCheckCustomConfig": { "FailureThreshold": 1 },
            "Tags": tags(context.workspace, Some(name)),
        }),
    );
    let mut load_balancers = Vec::new();
    let mut rules = Vec::new();
    let mut target_groups = Vec::new();
    for port in &workload.container.ports {
        let Some(route) = &port.route else { continue };
        let Some(priority) = context
            .priorities
            .get(&(name.to_owned(), port.number.value))
            .copied()
        else {
            continue;
        };
        let number = port.number.value.to_string();
        let listener = context.read_parameter(template, parameters::LISTENER_ARN, false);
        let target_group = logical_id(&["TargetGroup", &number]);
        let rule = logical_id(&["ListenerRule", &number]);
        template.resource(
            &target_group,
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            target_group_properties(context, workload, port, route),
        );
        template.resource(
            &rule,
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            value!({
                "ListenerArn": listener,
                "Priority": priority,
                "Conditions": conditions(route),
                "Actions": [{ "Type": "forward", "TargetGroupArn": reference(&target_group) }],
            }),
        );
        load_balancers.push(value!({
            "ContainerName": name,
            "ContainerPort": port.number.value,
            "TargetGroupArn": reference(&target_group),
        }));
        rules.push(value!(rule));
        target_groups.push(target_group);
    }

    let mut properties = value!({
        "ServiceName": name,
        "Cluster": context.import(exports::CLUSTER_ARN),
        "TaskDefinition": reference(ids::TASK_DEFINITION),
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": context.read_parameter(template, parameters::WORKLOAD_SUBNETS, true),
                "SecurityGroups": [context.import(exports::WORKLOAD_SECURITY_GROUP)],
                "AssignPublicIp": assign_public_ip(context),
            }
        },
        "DeploymentConfiguration": deployment_configuration(workload.deploy.value),
        "ServiceRegistries": [{ "RegistryArn": attribute(ids::DISCOVERY_SERVICE, "Arn") }],
        "ServiceConnectConfiguration": service_connect(context, workload),
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": true,
        "EnableExecuteCommand": false,
        "Tags": tags(context.workspace, Some(name)),
    });
    if let (Some(object), Value::Object(placement)) = (properties.as_object_mut(), launch(context))
    {
        object.extend(placement);
        // An autoscaled service has no `DesiredCount`: CloudFormation then starts a new service
        // with one task (the scalable target raises it to `min` at once) and leaves the count
        // autoscaling chose alone on every later deploy, where a fixed value would reset it.
        if let Replicas::Fixed(count) = &workload.replicas {
            object.insert("DesiredCount".into(), value!(*count));
        }
        if !load_balancers.is_empty() {
            object.insert("LoadBalancers".into(), Value::Array(load_balancers));
            if let Some(grace) = workload
                .health
                .as_ref()
                .and_then(|health| health.grace.as_ref())
            {
                object.insert(
                    "HealthCheckGracePeriodSeconds".into(),
                    value!(seconds(grace.value)),
                );
            }
        }
    }
    let attributes = if rules.is_empty() {
        value!({})
    } else {
        // A target group must be attached to the load balancer before a service uses it.
        value!({ "DependsOn": rules })
    };
    template.resource_with(ids::SERVICE, "AWS::ECS::Service", properties, attributes);
    if let Replicas::Auto {
        min,
        max,
        cpu,
        memory,
        requests,
    } = &workload.replicas
    {
        autoscaling(
            template,
            context,
            workload,
            (min.value, max.value),
            (
                *cpu,
                *memory,
                requests.as_ref().map(|requests| requests.value),
            ),
            target_groups.first().map(String::as_str),
        );
    }
}

/// ECS Service Connect: every task of every service and worker gets a proxy that resolves each
/// other service's bare name, so `http://<service>:<port>` works as it does in one Kubernetes
/// namespace. A service offers each port of each of its containers under its own name; a worker
/// only calls out. The proxy logs to the workspace's log group.
fn service_connect(context: &Context<'_>, workload: &Workload) -> Value {
    let name = workload.name.value.as_str();
    let offered: Vec<Value> = workload
        .containers()
        .flat_map(|container| &container.ports)
        .map(|port| {
            value!({
                "PortName": Naming::port_name(port.protocol.name(), port.number.value),
                "DiscoveryName": Naming::discovery_name(name, port.number.value),
                "ClientAliases": [{ "DnsName": name, "Port": port.number.value }],
            })
        })
        .collect();
    let mut configuration = value!({
        "Enabled": true,
        "Namespace": context.import(exports::DISCOVERY_NAMESPACE_ARN),
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": context.naming.log_group(),
                "awslogs-region": reference("AWS::Region"),
                "awslogs-stream-prefix": format!("{name}-service-connect"),
            }
        },
    });
    if let (false, Some(object)) = (offered.is_empty(), configuration.as_object_mut()) {
        object.insert("Services".into(), Value::Array(offered));
    }
    configuration
}

/// The target group of a public port, health-checked like the workload's http health check
/// when it probes this port.
fn target_group_properties(
    context: &Context<'_>,
    workload: &Workload,
    port: &Port,
    route: &Route,
) -> Value {
    let name = workload.name.value.as_str();
    let grpc = port.protocol == Protocol::Grpc;
    let mut properties = Map::new();
    let mut set = |key: &str, value: Value| {
        properties.insert(key.to_owned(), value);
    };
    set(
        "Name",
        value!(context.naming.target_group(name, port.number.value)),
    );
    set("TargetType", value!("ip"));
    set("Protocol", value!("HTTP"));
    set(
        "ProtocolVersion",
        value!(if grpc { "GRPC" } else { "HTTP1" }),
    );
    set("Port", value!(port.number.value));
    set("VpcId", context.import(exports::VPC_ID));
    set("HealthCheckEnabled", value!(true));
    set("HealthCheckProtocol", value!("HTTP"));
    let probe = workload
        .health
        .as_ref()
        .filter(|_| workload.probed_port() == Some(port.number.value));
    let probe_path = probe.and_then(|health| match &health.probe.value {
        crate::model::Probe::Http { path, .. } => Some(path.clone()),
        crate::model::Probe::Command(_) => None,
    });
    match probe_path {
        Some(path) => set("HealthCheckPath", value!(path)),
        // gRPC targets keep the load balancer's default path, `/AWS.ALB/healthcheck`.
        None if !grpc => set("HealthCheckPath", value!(&route.path.value)),
        None => {}
    }
    if let Some(health) = probe {
        set(
            "HealthCheckIntervalSeconds",
            value!(seconds(health.interval.value)),
        );
        set(
            "HealthCheckTimeoutSeconds",
            value!(seconds(health.timeout.value)),
        );
        set(
            "UnhealthyThresholdCount",
            value!(health.retries.value.clamp(2, 10)),
        );
    }
    set(
        "Matcher",
        if grpc {
            value!({ "GrpcCode": "0-99" })
        } else {
            value!({ "HttpCode": "200-399" })
        },
    );
    set(
        "TargetGroupAttributes",
        value!([{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }]),
    );
    set("Tags", tags(context.workspace, Some(name)));
    Value::Object(properties)
}

/// The listener rule conditions of a route: its path and everything below it, and its host.
fn conditions(route: &Route) -> Value {
    let path = route.path.value.trim_end_matches('/');
    let paths = if path.is_empty() {
        vec!["/*".to_owned()]
    } else {
        vec![path.to_owned(), format!("{path}/*")]
    };
    let mut conditions = vec![value!({
        "Field": "path-pattern",
        "PathPatternConfig": { "Values": paths }
    })];
    if let Some(host) = &route.host {
        conditions.push(value!({
            "Field": "host-header",
            "HostHeaderConfig": { "Values": [&host.value] }
        }));
    }
    Value::Array(conditions)
}

/// The scalable target between `bounds` and one target-tracking policy per target (cpu, memory,
/// requests); request-count tracking needs a public port's `target_group`.
fn autoscaling(
    template: &mut Template,
    context: &Context<'_>,
    workload: &Workload,
    bounds: (u32, u32),
    targets: (Option<u8>, Option<u8>, Option<u32>),
    target_group: Option<&str>,
) {
    template.resource(
        ids::SCALABLE_TARGET,
        "AWS::ApplicationAutoScaling::ScalableTarget",
        value!({
            "ServiceNamespace": "ecs",
            "ScalableDimension": "ecs:service:DesiredCount",
            "ResourceId": {
                "Fn::Join": ["/", [
                    "service",
                    context.import(exports::CLUSTER_NAME),
                    attribute(ids::SERVICE, "Name"),
                ]]
            },
            "MinCapacity": bounds.0,
            "MaxCapacity": bounds.1,
        }),
    );
    let (cpu, memory, requests) = targets;
    let mut policies: Vec<(&str, Value, u32)> = Vec::new();
    if let Some(cpu) = cpu {
        policies.push((
            "cpu",
            value!({ "PredefinedMetricType": "ECSServiceAverageCPUUtilization" }),
            u32::from(cpu),
        ));
    }
    if let Some(memory) = memory {
        policies.push((
            "memory",
            value!({ "PredefinedMetricType": "ECSServiceAverageMemoryUtilization" }),
            u32::from(memory),
        ));
    }
    if let (Some(requests), Some(target_group)) = (requests, target_group) {
        policies.push((
            "requests",
            value!({
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": {
                    "Fn::Join": ["/", [
                        context.import(exports::LOAD_BALANCER_FULL_NAME),
                        attribute(target_group, "TargetGroupFullName"),
                    ]]
                }
            }),
            requests,
        ));
    }
    for (metric, specification, target) in policies {
        template.resource(
            &logical_id(&["ScalingPolicy", metric]),
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            value!({
                "PolicyName": format!("{}-{metric}", workload.name.value),
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": reference(ids::SCALABLE_TARGET),
                "TargetTrackingScalingPolicyConfiguration": {
                    "PredefinedMetricSpecification": specification,
                    "TargetValue": target,
                    "ScaleInCooldown": 60,
                    "ScaleOutCooldown": 60,
                }
            }),
        );
    }
}

/// Rolling: start the new tasks, then stop the old (never below the count). Recreate: stop the
/// old tasks first, so two versions never run at once (a gap while the new ones start).
fn deployment_configuration(deploy: Deploy) -> Value {
    let (minimum, maximum) = match deploy {
        Deploy::Rolling => (100, 200),
        Deploy::Recreate => (0, 100),
    };
    value!({
        "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
        "MinimumHealthyPercent": minimum,
        "MaximumPercent": maximum,
    })
}
