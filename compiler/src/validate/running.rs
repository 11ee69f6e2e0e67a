//! How containers run: ports a non-root user may not be allowed to bind, volumes that more than
//! one copy of a workload can write at once, and what root means for Kubernetes pod security.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{Deploy, Replicas, Target, Workload, WorkloadKind, Workspace};

/// Checks every workload of `workspace`.
pub fn check_running(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    for workload in &workspace.workloads {
        check_privileged_ports(workload, diagnostics);
        check_concurrent_writers(workload, diagnostics);
    }
    if workspace.target.value == Target::Eks {
        warn_root_on_kubernetes(workspace, diagnostics);
    }
}

/// Binding a port below 1024 traditionally needs root; a container that runs as another user
/// (the default, 1000) may be refused at run time, which `check` should say first.
fn check_privileged_ports(workload: &Workload, diagnostics: &mut Diagnostics) {
    let containers = std::iter::once((workload.name.value.as_str(), &workload.container)).chain(
        workload
            .sidecars
            .iter()
            .map(|sidecar| (sidecar.name.value.as_str(), &sidecar.container)),
    );
    for (name, container) in containers {
        if container.user.value.is_root() {
            continue;
        }
        for port in container
            .ports
            .iter()
            .filter(|port| port.number.value < 1024)
        {
            let user = if container.user.span.len == 0 {
                format!("user {} (the default)", container.user.value)
            } else {
                format!("user {}", container.user.value)
            };
            let mut diagnostic = Diagnostic::new(
                Code::PrivilegedPort,
                format!(
                    "`{name}` listens on port {}, below 1024, but runs as {user}, not root",
                    port.number.value
                ),
                port.number.span,
                "privileged port",
            )
            .with_help(
                "most images can listen on a port of 1024 or above (nginx-unprivileged uses 8080); \
                 the load balancer still serves 80 and 443. Or run as root with `user \"0\"`",
            );
            if container.user.span.len != 0 {
                diagnostic = diagnostic.with_label(container.user.span, "not root");
            }
            diagnostics.push(diagnostic);
        }
    }
}

/// How many copies of `workload` can run at once, and why, when more than one can.
fn overlapping_copies(workload: &Workload) -> Option<String> {
    let most = match &workload.replicas {
        Replicas::Fixed(count) => *count,
        Replicas::Auto { max, .. } => max.value,
    };
    match (most, workload.deploy.value) {
        (0 | 1, Deploy::Recreate) => None,
        (0 | 1, Deploy::Rolling) => {
            Some("a rolling deploy starts the new copy before it stops the old one".to_owned())
        }
        (most, _) => Some(match &workload.replicas {
            Replicas::Fixed(_) => format!("`replicas {most}` runs {most} copies"),
            Replicas::Auto { .. } => format!("autoscaling runs up to {most} copies"),
        }),
    }
}

/// Two copies of a database on one data directory corrupt it: warn when a workload with a
/// writable volume can run more than one copy at once, unless the volume says it is `shared`.
fn check_concurrent_writers(workload: &Workload, diagnostics: &mut Diagnostics) {
    if workload.kind == WorkloadKind::Job {
        return;
    }
    let Some(why) = overlapping_copies(workload) else {
        return;
    };
    for volume in workload.volumes.iter().filter(|volume| !volume.shared) {
        diagnostics.push(
            Diagnostic::new(
                Code::ConcurrentWriters,
                format!(
                    "more than one copy of `{}` can write to volume `{}` at once: {why}",
                    workload.name.value, volume.name.value
                ),
                volume.name.span,
                "written by every copy",
            )
            .with_help(
                "for a database, use a managed one (RDS; docs/language.md §7.16); to run one copy \
                 at a time, write `replicas 1` and `deploy \"recreate\"` (stop, then start); if the \
                 application is built for concurrent writers, add `shared=#true` to the volume",
            ),
        );
    }
}

/// The namespace enforces the `restricted` pod security level, which refuses root containers:
/// when one asks for root, the namespace is labelled `baseline` instead, and `check` says so.
fn warn_root_on_kubernetes(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    for workload in &workspace.workloads {
        if workload.container.user.value.is_root()
            && let Some(volume) = workload.volumes.first()
        {
            diagnostics.push(
                Diagnostic::new(
                    Code::Approximated,
                    format!(
                        "on eks, the files of volume `{}` belong to the user the EFS CSI driver picks, and root in `{}` cannot change their owner",
                        volume.name.value, workload.name.value
                    ),
                    volume.name.span,
                    "EFS access point",
                )
                .with_help(
                    "images that `chown` their data directory at start (postgres, mysql) fail there; on ECS the access point acts as the workload's user. \
                     Prefer a managed database (RDS), or run the image as its own user",
                ),
            );
        }
        for container in workload.containers() {
            if !container.user.value.is_root() {
                continue;
            }
            diagnostics.push(
                Diagnostic::new(
                    Code::Approximated,
                    format!(
                        "`{}` runs as root, so namespace `{}` enforces pod security `baseline` instead of `restricted`",
                        workload.name.value, workspace.eks.namespace.value
                    ),
                    container.user.span,
                    "root",
                )
                .with_help(
                    "`restricted` refuses root containers; under `baseline` every pod of the namespace may run as root \
                     and keep the runtime's default capabilities (kubectl warns about each). Run as a non-root user to keep `restricted`",
                ),
            );
        }
    }
}
