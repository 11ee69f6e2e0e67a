//! Traffic: the `ClusterIP` `Service` of a service, and one ALB `Ingress` per public port, all in one
//! `IngressGroup` so the workspace shares one internet-facing load balancer as it does on ECS.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Context, seconds};
use crate::model::{Port, Probe, Protocol, Route, Workload};
use crate::naming::Naming;

/// The prefix of the AWS Load Balancer Controller's annotations.
const ALB: &str = "alb.ingress.kubernetes.io";

/// The Service of a service: its pods' ports (main container and sidecars) by name. `None` when
/// it has no port.
pub(super) fn service(context: &Context<'_>, workload: &Workload) -> Option<Service> {
    let ports: Vec<ServicePort> = workload
        .containers()
        .flat_map(|container| &container.ports)
        .map(|port| {
            let name = port_name(port);
            ServicePort {
                name: Some(name.clone()),
                port: i32::from(port.number.value),
                target_port: Some(IntOrString::String(name)),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }
        })
        .collect();
    if ports.is_empty() {
        return None;
    }
    Some(Service {
        metadata: context.metadata(&workload.name.value, workload),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(context.selector(workload)),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

/// One Ingress per public port of the main container, named after the workload (or
/// `<workload>-<port name>` when it has several public ports, as their health checks differ).
pub(super) fn ingresses(context: &Context<'_>, workload: &Workload) -> Vec<Ingress> {
    let public: Vec<(&Port, &Route)> = workload
        .container
        .ports
        .iter()
        .filter_map(|port| port.route.as_ref().map(|route| (port, route)))
        .collect();
    let several = public.len() > 1;
    public
        .into_iter()
        .map(|(port, route)| {
            let name = if several {
                format!("{}-{}", workload.name.value, port_name(port))
            } else {
                workload.name.value.clone()
            };
            let mut metadata = context.metadata(&name, workload);
            metadata.annotations = Some(annotations(context, workload, port, route));
            Ingress {
                metadata,
                spec: Some(IngressSpec {
                    ingress_class_name: Some("alb".to_owned()),
                    rules: Some(vec![IngressRule {
                        host: route.host.as_ref().map(|host| host.value.clone()),
                        http: Some(HTTPIngressRuleValue {
                            paths: vec![HTTPIngressPath {
                                path: Some(route.path.value.clone()),
                                path_type: "Prefix".to_owned(),
                                backend: IngressBackend {
                                    service: Some(IngressServiceBackend {
                                        name: workload.name.value.clone(),
                                        port: Some(ServiceBackendPort {
                                            name: Some(port_name(port)),
                                            number: None,
                                        }),
                                    }),
                                    ..IngressBackend::default()
                                },
                            }],
                        }),
                    }]),
                    ..IngressSpec::default()
                }),
                ..Ingress::default()
            }
        })
        .collect()
}

/// The AWS Load Balancer Controller settings of one public port: internet-facing, pod IPs as
/// targets, the shared group, HTTPS when the workspace has a domain, and the target group's
/// health check taken from the workload's http health check when it probes this port.
fn annotations(
    context: &Context<'_>,
    workload: &Workload,
    port: &Port,
    route: &Route,
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let mut set = |key: &str, value: String| {
        annotations.insert(format!("{ALB}/{key}"), value);
    };
    let grpc = port.protocol == Protocol::Grpc;
    set("scheme", "internet-facing".to_owned());
    set("target-type", "ip".to_owned());
    set("group.name", context.naming.prefix());
    if let Some(order) = context
        .ingress_orders
        .get(&(workload.name.value.clone(), port.number.value))
    {
        set("group.order", order.to_string());
    }
    match &context.workspace.domain {
        Some(domain) => {
            set("listen-ports", r#"[{"HTTP":80},{"HTTPS":443}]"#.to_owned());
            set("certificate-arn", domain.certificate.value.clone());
            set("ssl-redirect", "443".to_owned());
        }
        None => set("listen-ports", r#"[{"HTTP":80}]"#.to_owned()),
    }
    let probed = workload.health.as_ref().filter(|health| {
        matches!(health.probe.value, Probe::Http { .. })
            && workload.probed_port() == Some(port.number.value)
    });
    match probed.map(|health| &health.probe.value) {
        Some(Probe::Http { path, .. }) => set("healthcheck-path", path.clone()),
        // gRPC target groups keep the load balancer's default path, `/AWS.ALB/healthcheck`.
        _ if !grpc => set("healthcheck-path", route.path.value.clone()),
        _ => {}
    }
    if let Some(health) = probed {
        set(
            "healthcheck-interval-seconds",
            seconds(health.interval.value).to_string(),
        );
        set(
            "healthcheck-timeout-seconds",
            seconds(health.timeout.value).to_string(),
        );
        set(
            "unhealthy-threshold-count",
            health.retries.value.clamp(2, 10).to_string(),
        );
    }
    if grpc {
        set("backend-protocol-version", "GRPC".to_owned());
        set("success-codes", "0-99".to_owned());
    } else {
        set("success-codes", "200-399".to_owned());
    }
    set(
        "target-group-attributes",
        "deregistration_delay.timeout_seconds=30".to_owned(),
    );
    set("tags", tags(context));
    annotations
}

/// The workspace's tags plus berth's own, as `key=value,…` for the load balancer and target
/// groups the controller creates.
fn tags(context: &Context<'_>) -> String {
    let workspace = context.workspace;
    let mut pairs: BTreeMap<&str, &str> = workspace
        .tags
        .iter()
        .map(|(key, value)| (key.as_str(), value.value.as_str()))
        .collect();
    pairs.insert("berth:workspace", &workspace.name.value);
    pairs.insert("berth:environment", &workspace.environment.value);
    pairs
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn port_name(port: &Port) -> String {
    Naming::port_name(port.protocol.name(), port.number.value)
}
