//! Rules within and across workloads: port conflicts, load-balancer routes, variable names
//! set twice, mount paths, and health check ranges.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{Probe, Workload, Workspace};
use crate::source::{Span, Spanned};

/// Checks every workload, then the routes they share.
pub fn check_workloads(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    for workload in &workspace.workloads {
        check_ports(workload, diagnostics);
        check_variables(workload, diagnostics);
        check_mounts(workload, diagnostics);
        check_health(workload, diagnostics);
    }
    check_routes(workspace, diagnostics);
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

fn check_routes(workspace: &Workspace, diagnostics: &mut Diagnostics) {
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
