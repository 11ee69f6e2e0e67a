//! Rules within and across workloads: port conflicts, load-balancer routes, variable names
//! set twice, mount paths, and health check ranges.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{Probe, Workload, WorkloadKind, Workspace};
use crate::source::{Span, Spanned};

/// Checks every workload, then the routes they share.
pub fn check_workloads(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    for workload in &workspace.workloads {
        if workload.name.value == "platform" {
            diagnostics.push(
                Diagnostic::new(Code::InvalidName, "`platform` is reserved", workload.name.span, "reserved name")
                    .with_help("the shared stack is `<workspace>-<env>-platform`; give the workload another name"),
            );
        }
        check_sidecars(workload, diagnostics);
        check_public_ports(workspace, workload, diagnostics);
        check_ports(workload, diagnostics);
        check_variables(workload, diagnostics);
        check_mounts(workload, diagnostics);
        check_health(workload, diagnostics);
    }
    check_routes(workspace, diagnostics);
    check_identifiers(workspace, diagnostics);
}

/// Names that differ only in `-` placement (`web-2`, `web2`) become the same CloudFormation
/// logical id, so they are refused.
fn check_identifiers(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let volumes = workspace
        .workloads
        .iter()
        .flat_map(|workload| &workload.volumes)
        .map(|volume| &volume.name);
    for (what, names) in [
        (
            "workload",
            workspace
                .workloads
                .iter()
                .map(|workload| &workload.name)
                .collect::<Vec<_>>(),
        ),
        ("volume", volumes.collect()),
    ] {
        let mut seen: BTreeMap<String, &Spanned<String>> = BTreeMap::new();
        for name in names {
            let id = crate::naming::logical_id(&[&name.value]);
            match seen.get(&id) {
                Some(first) if first.value != name.value => diagnostics.push(
                    Diagnostic::new(Code::DuplicateName, format!("{what} names `{}` and `{}` are too alike", first.value, name.value), name.span, "this name")
                        .with_label(first.span, "and this one")
                        .with_help(format!("both become the resource id `{id}`; rename one so they differ in more than `-`")),
                ),
                Some(_) => {}
                None => {
                    seen.insert(id, name);
                }
            }
        }
    }
}

fn check_ports(workload: &Workload, diagnostics: &mut Diagnostics) {
    let mut seen: BTreeMap<u16, (Span, &str)> = BTreeMap::new();
    let containers = std::iter::once((workload.name.value.as_str(), &workload.container)).chain(
        workload
            .sidecars
            .iter()
            .map(|sidecar| (sidecar.name.value.as_str(), &sidecar.container)),
    );
    for (owner, container) in containers {
        for port in &container.ports {
            match seen.get(&port.number.value) {
                Some((first, first_owner)) => diagnostics.push(
                    Diagnostic::new(Code::PortConflict, format!("port {} is used twice in `{}`", port.number.value, workload.name.value), port.number.span, format!("`{owner}` listens here"))
                        .with_label(*first, format!("`{first_owner}` already listens here"))
                        .with_help("containers of one task or pod share a network namespace; give each a different port"),
                ),
                None => {
                    seen.insert(port.number.value, (port.number.span, owner));
                }
            }
        }
    }
}

fn check_sidecars(workload: &Workload, diagnostics: &mut Diagnostics) {
    for sidecar in &workload.sidecars {
        if sidecar.name.value == workload.name.value {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!(
                        "sidecar `{}` has the name of its workload",
                        sidecar.name.value
                    ),
                    sidecar.name.span,
                    "sidecar name",
                )
                .with_label(workload.name.span, "the main container's name")
                .with_help(
                    "the main container is named after the workload; give the sidecar another name",
                ),
            );
        }
        for port in sidecar
            .container
            .ports
            .iter()
            .filter(|port| port.route.is_some())
        {
            diagnostics.push(
                Diagnostic::new(Code::InvalidValue, "a sidecar port cannot be public".to_owned(), port.number.span, "sidecar port")
                    .with_help("route public traffic to the workload's own port; sidecars are reached inside the task or pod"),
            );
        }
    }
}

fn check_public_ports(workspace: &Workspace, workload: &Workload, diagnostics: &mut Diagnostics) {
    if let crate::model::Replicas::Auto {
        requests: Some(requests),
        ..
    } = &workload.replicas
        && !workload.is_public()
    {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{}` scales on load-balancer requests but has no public port",
                    workload.name.value
                ),
                requests.span,
                "nothing to count",
            )
            .with_help("scale on `cpu` or `memory`, or make a port public"),
        );
    }
    if workspace.domain.is_none() {
        for port in
            workload.container.ports.iter().filter(|port| {
                port.route.is_some() && port.protocol == crate::model::Protocol::Grpc
            })
        {
            diagnostics.push(
                Diagnostic::new(Code::InvalidValue, "a public `grpc` port needs HTTPS, which needs a `domain`".to_owned(), port.number.span, "grpc port")
                    .with_help("the load balancer routes gRPC only over HTTPS: add `domain \"…\" certificate=\"arn:…\"` to the workspace"),
            );
        }
    }
}

fn check_variables(workload: &Workload, diagnostics: &mut Diagnostics) {
    for container in workload.containers() {
        for secret in &container.secrets {
            if let Some(plain) = container.env.get(&secret.name.value) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!(
                            "`{}` is both a secret and a plain variable",
                            secret.name.value
                        ),
                        secret.name.span,
                        "secret here",
                    )
                    .with_label(plain.span, "plain value here")
                    .with_help("remove the plain value from `env`; the secret provides it"),
                );
            }
        }
    }
}

fn check_mounts(workload: &Workload, diagnostics: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for volume in &workload.volumes {
        if let Some(first) = seen.insert(&volume.path.value, volume.path.span) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!("two volumes are mounted at `{}`", volume.path.value),
                    volume.path.span,
                    "mounted again here",
                )
                .with_label(first, "first mounted here")
                .with_help("mount each volume at its own path"),
            );
        }
    }
}

fn check_health(workload: &Workload, diagnostics: &mut Diagnostics) {
    let Some(health) = &workload.health else {
        return;
    };
    let mut range = |value: &Spanned<u64>,
                     what: &str,
                     min_seconds: u64,
                     max_seconds: u64|
     -> bool {
        let whole = value.value.is_multiple_of(1000);
        if whole && (min_seconds * 1000..=max_seconds * 1000).contains(&value.value) {
            return true;
        }
        let message = if whole {
            format!(
                "health check {what} is {}s, outside {min_seconds}s–{max_seconds}s",
                value.value / 1000
            )
        } else {
            format!("health check {what} must be whole seconds")
        };
        diagnostics.push(
            Diagnostic::new(Code::HealthCheckRange, message, value.span, "out of range")
                .with_help(format!("ECS accepts health check {what} values from {min_seconds}s to {max_seconds}s in whole seconds; berth keeps every target to that range")),
        );
        false
    };
    let interval_ok = range(&health.interval, "interval", 5, 300);
    let timeout_ok = range(&health.timeout, "timeout", 2, 60);
    if let Some(grace) = &health.grace {
        range(grace, "grace", 0, 300);
    }
    if interval_ok && timeout_ok && health.timeout.value >= health.interval.value {
        diagnostics.push(
            Diagnostic::new(Code::HealthCheckRange, "health check timeout is not shorter than its interval", health.timeout.span, "timeout")
                .with_label(health.interval.span, "interval")
                .with_help("a check must finish before the next one starts; make the timeout shorter than the interval"),
        );
    }
    // Workers have no ports, so no http check can reach them: point at `command` instead.
    if workload.kind == WorkloadKind::Worker && matches!(health.probe.value, Probe::Http { .. }) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "worker `{}` has an http health check, but workers have no ports",
                    workload.name.value
                ),
                health.probe.span,
                "http probe",
            )
            .with_help(format!(
                "a worker has no ports to probe: check it with a command, e.g. `command \"pgrep\" \"{}\"`, or make it a `service` with a `port`",
                workload.name.value
            )),
        );
        return;
    }
    if let Probe::Http {
        port: Some(port), ..
    } = &health.probe.value
        && !workload
            .container
            .ports
            .iter()
            .any(|declared| declared.number.value == *port)
    {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "the health check probes port {port}, which `{}` does not declare",
                    workload.name.value
                ),
                health.probe.span,
                "unknown port",
            )
            .with_help("probe one of the workload's own ports"),
        );
    }
    if matches!(health.probe.value, Probe::Http { port: None, .. })
        && workload.container.ports.is_empty()
    {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{}` has an http health check but no port",
                    workload.name.value
                ),
                health.probe.span,
                "nothing to probe",
            )
            .with_help("add `port=` to `http`, declare a `port`, or use `command` instead"),
        );
    }
}

/// The default quota of rules on one Application Load Balancer listener.
const LISTENER_RULE_QUOTA: usize = 100;

fn check_routes(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let routes: Vec<&crate::model::Route> = workspace
        .workloads
        .iter()
        .flat_map(|workload| &workload.container.ports)
        .filter_map(|port| port.route.as_ref())
        .collect();
    if let Some(first_over) = routes.get(LISTENER_RULE_QUOTA) {
        diagnostics.push(
            Diagnostic::new(Code::TooManyRoutes, format!("{} public routes exceed the {LISTENER_RULE_QUOTA} rules one load balancer listener accepts", routes.len()), first_over.span, "route 101")
                .with_help("make internal ports private (they are reachable by service discovery), or route several paths to one service"),
        );
    }
    let mut seen: BTreeMap<(Option<&str>, &str), (Span, &str)> = BTreeMap::new();
    for workload in &workspace.workloads {
        for port in &workload.container.ports {
            let Some(route) = &port.route else { continue };
            let key = (
                route.host.as_ref().map(|host| host.value.as_str()),
                route.path.value.as_str(),
            );
            match seen.get(&key) {
                Some((first, owner)) => diagnostics.push(
                    Diagnostic::new(
                        Code::RouteConflict,
                        format!(
                            "`{}` and `{owner}` both claim path `{}` on the load balancer",
                            workload.name.value, route.path.value
                        ),
                        route.path.span,
                        "claimed again here",
                    )
                    .with_label(*first, "first claimed here")
                    .with_help("give one of them another `path` or a `host`"),
                ),
                None => {
                    seen.insert(key, (route.path.span, &workload.name.value));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, Options, check};

    #[test]
    fn names_that_share_a_resource_id_are_refused() {
        let source = "workspace \"a\" { region \"eu-west-1\"; }\nservice \"web-2\" { image \"x:1\"; }\nservice \"web2\" { image \"x:1\"; }\n";
        let checked = check(source, &Options::default());
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == Code::DuplicateName
                    && diagnostic.message.contains("too alike")),
            "{:#?}",
            checked.diagnostics
        );
    }
}
