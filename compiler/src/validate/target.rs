//! Rules of the chosen target: Fargate task sizes, what `EventBridge` cron can express, and
//! warnings for every setting the target can only approximate.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::fargate;
use crate::model::{Probe, Replicas, Target, Workload, WorkloadKind, Workspace};
use crate::units;

/// Checks each workload against the workspace's target.
pub fn check_target(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let target = workspace.target.value;
    check_subnet_room(workspace, diagnostics);
    if target == Target::Eks {
        warn_kubernetes_workspace(workspace, diagnostics);
    }
    if let (
        Target::Eks,
        crate::model::EksCluster::Existing(cluster),
        crate::model::Network::New { .. },
    ) = (target, &workspace.eks.cluster, &workspace.network)
    {
        diagnostics.push(
            Diagnostic::new(Code::MissingField, format!("deploying onto the existing cluster `{}` needs its VPC", cluster.value), cluster.span, "existing cluster")
                .with_help("add `network { vpc \"vpc-…\"; public-subnets …; private-subnets …; }` naming the cluster's VPC and subnets"),
        );
    }
    if target == Target::Ecs {
        let name = &workspace.name.value;
        if let Some(prefix) = ["aws", "ecs", "fargate"]
            .into_iter()
            .find(|prefix| name.starts_with(prefix))
        {
            diagnostics.push(
                Diagnostic::new(Code::InvalidName, format!("on target `ecs` the workspace name cannot start with `{prefix}`"), workspace.name.span, "reserved prefix")
                    .with_help("ECS rejects capacity provider names starting with `aws`, `ecs` or `fargate`, and berth names them after the workspace; rename the workspace"),
            );
        }
    }
    if target == Target::Ecs
        && let crate::model::Network::New { nat: false, .. } = &workspace.network
    {
        diagnostics.push(approximated(
                workspace.target.span,
                "on ECS with EC2 instances, tasks get no public IP, so without NAT they cannot reach the internet".to_owned(),
                "images are still pulled by the instances; add `nat #true` to `network` if the workloads call out",
            ));
    }
    for workload in &workspace.workloads {
        match target {
            Target::Fargate => check_fargate_size(workload, diagnostics),
            Target::Eks => warn_kubernetes_approximations(workload, diagnostics),
            Target::Ecs => {}
        }
        if target.is_ecs_family() {
            check_eventbridge_schedule(workload, diagnostics);
            warn_ecs_approximations(workload, diagnostics);
            warn_job_service_names(workspace, workload, diagnostics);
        }
    }
}

/// A new VPC is cut into 16 equal blocks (8 for a /24, whose blocks are the /27 minimum a load
/// balancer subnet needs); public subnets take the first half, private ones the second.
fn check_subnet_room(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let crate::model::Network::New { cidr, zones, .. } = &workspace.network else {
        return;
    };
    let Some(prefix) = cidr
        .value
        .split_once('/')
        .and_then(|(_, prefix)| prefix.parse::<u8>().ok())
    else {
        return;
    };
    let per_half = if prefix >= 24 { 4 } else { 8 };
    if usize::from(*zones) > per_half {
        diagnostics.push(
            Diagnostic::new(
                Code::OutOfRange,
                format!("a /{prefix} VPC has room for subnets in {per_half} zones, not {zones}"),
                cidr.span,
                "too small",
            )
            .with_help("use fewer `zones` or a larger block such as /23"),
        );
    }
}

fn check_fargate_size(workload: &Workload, diagnostics: &mut Diagnostics) {
    let (cpu, memory) = (workload.cpu.value, workload.memory.value);
    match (workload.cpu_known, workload.memory_known) {
        (true, true) => {}
        // One value unreadable (reported already): the other is still checked on its own.
        (true, false) if fargate::valid_memory_for(cpu).is_none() => {
            diagnostics.push(
                Diagnostic::new(
                    Code::FargateSize,
                    format!(
                        "`{}` asks for cpu {cpu}, which no Fargate task size has",
                        workload.name.value
                    ),
                    workload.cpu.span,
                    "cpu",
                )
                .with_help(format!(
                    "Fargate cpu is one of {}",
                    fargate::describe_cpu_options()
                )),
            );
            return;
        }
        (false, true)
            if !fargate::CPU_VALUES
                .iter()
                .any(|cpu| fargate::is_valid_pair(*cpu, memory)) =>
        {
            let nearest = fargate::nearest_pair(0, memory).map_or_else(
                || "no Fargate size has that much memory; use target `ecs` or `eks`".to_owned(),
                |(_, memory)| format!("the nearest Fargate memory is `{memory}`"),
            );
            diagnostics.push(
                Diagnostic::new(
                    Code::FargateSize,
                    format!(
                        "`{}` asks for memory {memory} MiB, which no Fargate task size has",
                        workload.name.value
                    ),
                    workload.memory.span,
                    "memory",
                )
                .with_help(nearest),
            );
            return;
        }
        _ => return,
    }
    if fargate::is_valid_pair(cpu, memory) {
        return;
    }
    let options = fargate::describe_memory_options(cpu).map_or_else(
        || {
            format!(
                "Fargate cpu is one of {}",
                fargate::CPU_VALUES
                    .map(|value| value.to_string())
                    .join(", ")
            )
        },
        |memory_options| format!("with cpu {cpu}, Fargate takes {memory_options}"),
    );
    let nearest = fargate::nearest_pair(cpu, memory).map_or_else(
        || "no Fargate size is that large; use target `ecs` or `eks`".to_owned(),
        |(cpu, memory)| format!("the nearest Fargate size is `cpu {cpu}` with `memory {memory}`"),
    );
    diagnostics.push(
        Diagnostic::new(Code::FargateSize, format!("`{}` asks for cpu {cpu} with memory {memory} MiB, which is not a Fargate task size", workload.name.value), workload.memory.span, "memory")
            .with_label(workload.cpu.span, "cpu")
            .with_help(format!("{nearest} ({options})")),
    );
}

fn check_eventbridge_schedule(workload: &Workload, diagnostics: &mut Diagnostics) {
    let Some(schedule) = &workload.schedule else {
        return;
    };
    if schedule.parsed.to_eventbridge().is_err() {
        diagnostics.push(
            Diagnostic::new(Code::InvalidCron, format!("EventBridge cannot run `{}`: it restricts both day-of-month and day-of-week", schedule.cron.value), schedule.cron.span, "both day fields set")
                .with_help("on ECS and Fargate, restrict either day-of-month or day-of-week, not both; split it into two jobs if you need both"),
        );
    }
}

fn approximated(span: crate::source::Span, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(Code::Approximated, message, span, "approximated").with_help(help.to_owned())
}

fn warn_ecs_approximations(workload: &Workload, diagnostics: &mut Diagnostics) {
    let Some(health) = &workload.health else {
        return;
    };
    // A worker's http check is an error already (workers have no ports).
    if workload.kind == WorkloadKind::Worker {
        return;
    }
    if !matches!(health.probe.value, Probe::Http { .. }) {
        return;
    }
    let probed = workload.probed_port();
    let routed = workload
        .container
        .ports
        .iter()
        .any(|declared| Some(declared.number.value) == probed && declared.route.is_some());
    if !routed {
        diagnostics.push(approximated(
            health.probe.span,
            format!("on ECS the http health check of `{}` runs `curl` inside its container", workload.name.value),
            "the image must contain `curl`; a public port is checked by the load balancer instead, and `command` runs what you choose",
        ));
    }
}

/// A job on ECS runs as a standalone task, which ECS Service Connect does not serve, so a bare
/// service name (`http://api:9000`) in its environment does not resolve there: warn at each such
/// value and name the Cloud Map name that does.
fn warn_job_service_names(workspace: &Workspace, job: &Workload, diagnostics: &mut Diagnostics) {
    if job.kind != WorkloadKind::Job {
        return;
    }
    let namespace = crate::naming::Naming::of(workspace).discovery_namespace();
    for value in job
        .containers()
        .flat_map(|container| container.env.values())
    {
        let called = workspace.workloads.iter().find_map(|service| {
            service
                .containers()
                .flat_map(|container| &container.ports)
                .map(|port| format!("{}:{}", service.name.value, port.number.value))
                .find(|address| names_host(&value.value, address))
                .map(|address| (service, address))
        });
        if let Some((service, address)) = called {
            diagnostics.push(approximated(
                value.span,
                format!("on ECS a job runs as a standalone task, which Service Connect does not serve, so `{address}` does not resolve in `{}`", job.name.value),
                &format!("use the service's Cloud Map name, `{}.{namespace}`, which resolves from every task (on EKS the short name works too)", service.name.value),
            ));
        }
    }
}

/// Whether `text` uses `address` (`host:port`) as the host of a URL or on its own.
fn names_host(text: &str, address: &str) -> bool {
    text.match_indices(address).any(|(start, _)| {
        let before = &text[..start];
        let after = &text[start + address.len()..];
        (before.is_empty() || before.ends_with("//") || before.ends_with('@'))
            && !after.starts_with(|character: char| character.is_ascii_digit())
    })
}

/// Differences on eks that concern the workspace as a whole rather than one workload.
fn warn_kubernetes_workspace(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    if let Some(first) = workspace.egress.first() {
        diagnostics.push(
            Diagnostic::new(Code::Unsupported, "`egress` restricts the ECS tasks' security group; pods on EKS use the cluster's security group, which berth does not restrict", first.span, "left out on eks")
                .with_help("restrict pod traffic with a Kubernetes NetworkPolicy (the VPC CNI enforces them once its network policy support is turned on)"),
        );
    }
    for (key, value) in &workspace.tags {
        if !(crate::naming::is_label_key(key) && crate::naming::is_label_value(&value.value)) {
            diagnostics.push(approximated(
                value.span,
                format!("tag `{key}` cannot be a Kubernetes label, so only AWS resources carry it"),
                "label keys and values are at most 63 characters of letters, digits, `-`, `_` and `.`, starting and ending alphanumeric",
            ));
        }
    }
    let mut users: std::collections::BTreeMap<&str, Vec<&Workload>> =
        std::collections::BTreeMap::new();
    for workload in &workspace.workloads {
        for volume in &workload.volumes {
            users
                .entry(volume.name.value.as_str())
                .or_default()
                .push(workload);
        }
    }
    for (volume, workloads) in users
        .into_iter()
        .filter(|(_, workloads)| workloads.len() > 1)
    {
        let second = workloads[1];
        let span = second
            .volumes
            .iter()
            .find(|declared| declared.name.value == volume)
            .map_or(second.name.span, |declared| declared.name.span);
        diagnostics.push(approximated(
            span,
            format!("volume `{volume}` is shared by {} workloads on ECS, but each gets its own claim on EKS", workloads.len()),
            "on EKS every workload mounts its own EFS-backed PersistentVolumeClaim; data written by one is not seen by the others",
        ));
    }
}

fn warn_kubernetes_approximations(workload: &Workload, diagnostics: &mut Diagnostics) {
    let (millicores, exact) = units::millicores(workload.cpu.value);
    if !exact {
        diagnostics.push(approximated(
            workload.cpu.span,
            format!("cpu {} units becomes {millicores}m on Kubernetes", workload.cpu.value),
            "1024 units are 1000m; use a multiple of 128 units (or write millicores) for an exact value",
        ));
    }
    if let Some(health) = &workload.health
        && matches!(health.probe.value, Probe::Command(_))
    {
        diagnostics.push(approximated(
                health.probe.span,
                format!("the command health check of `{}` becomes an exec probe run by the kubelet", workload.name.value),
                "it runs in the container as on ECS, but failures restart the pod (liveness) and stop traffic (readiness)",
            ));
    }
    if let Some(grace) = workload
        .health
        .as_ref()
        .and_then(|health| health.grace.as_ref())
        .filter(|grace| grace.value > 0)
    {
        diagnostics.push(approximated(
            grace.span,
            format!("the health grace of `{}` becomes a Kubernetes startup probe", workload.name.value),
            "on ECS failures during the grace period are ignored; on EKS the container is restarted if it has not passed a check by the end of it",
        ));
    }
    if let Some(first) = workload.depends_on.first() {
        diagnostics.push(approximated(
            first.span,
            format!("Kubernetes has no start order: `{}` may start before what it depends on", workload.name.value),
            "berth applies manifests in dependency order, but the workload should retry until its dependencies answer",
        ));
    }
    if let Replicas::Auto {
        requests: Some(requests),
        ..
    } = &workload.replicas
    {
        diagnostics.push(
            Diagnostic::new(Code::Unsupported, "request-count autoscaling has no built-in Kubernetes metric", requests.span, "left out on eks")
                .with_help("the HorizontalPodAutoscaler scales on cpu and memory only, so this target is left out of the eks build; scale on `cpu` or `memory` to keep autoscaling"),
        );
    }
    for port in &workload.container.ports {
        let Some(route) = &port.route else { continue };
        diagnostics.push(approximated(
            route.span,
            format!("public port {} of `{}` is served through an Ingress, on a load balancer the AWS Load Balancer Controller creates", port.number.value, workload.name.value),
            "its DNS name differs from the ECS load balancer's, and the routing rules become Ingress paths in one group: move DNS, or shift traffic gradually with weighted target groups (docs/migration.md)",
        ));
    }
    let secrets: Vec<&crate::model::Secret> = workload
        .containers()
        .flat_map(|container| &container.secrets)
        .collect();
    if let Some((first, others)) = secrets.split_first() {
        let mut diagnostic = approximated(
            first.name.span,
            format!(
                "the secrets of `{}` are copied into the Kubernetes Secret `{}` by the External Secrets Operator",
                workload.name.value,
                crate::naming::Naming::kubernetes_secret(&workload.name.value)
            ),
            "the cluster then holds the values (whoever may read Secrets in the namespace can read them); a change reaches the Secret within an hour and the pods when they next start",
        );
        for other in others {
            diagnostic = diagnostic.with_label(other.name.span, "also copied");
        }
        diagnostics.push(diagnostic);
    }
    if workload.kind == WorkloadKind::Job && workload.retries.value > 0 {
        diagnostics.push(approximated(
            workload.retries.span,
            format!(
                "job retries of `{}` become the Kubernetes backoff limit",
                workload.name.value
            ),
            "Kubernetes retries a failed pod with exponential back-off rather than at once",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Target;
    use crate::{Code, Options, check};

    fn warnings(source: &str, target: Target) -> Vec<String> {
        let checked = check(
            source,
            &Options {
                target: Some(target),
                ..Options::default()
            },
        );
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked
            .diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.code == Code::Approximated)
            .map(|diagnostic| diagnostic.message)
            .collect()
    }

    const SHARED: &str = r#"
workspace "shop" { region "eu-west-1"; }
service "web" { image "nginx:1"; port 8080; volume "uploads" path="/data"; health { http "/"; grace "30s"; } }
worker "thumbs" { image "thumbs:1"; volume "uploads" path="/data"; }
"#;

    #[test]
    fn eks_reports_what_it_renders_differently() {
        let messages = warnings(SHARED, Target::Eks);
        assert!(
            messages
                .iter()
                .all(|message| !message.contains("service discovery")),
            "bare service names resolve on every target: {messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|message| message.contains("volume `uploads` is shared by 2 workloads")),
            "{messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|message| message.contains("becomes a Kubernetes startup probe")),
            "{messages:#?}"
        );
    }

    #[test]
    fn a_job_calling_a_bare_service_name_on_ecs_is_told_the_name_that_resolves() {
        let source = r#"
workspace "shop" { region "eu-west-1"; }
service "api" { image "nginx:1"; port 9000; }
job "report" {
    image "report:1"
    schedule "0 3 * * *"
    env { API_URL "http://api:9000/v1"; OTHER "http://api:90001"; PLAIN "api"; }
}
"#;
        let messages = warnings(source, Target::Fargate);
        let about_names: Vec<&String> = messages
            .iter()
            .filter(|message| message.contains("Service Connect"))
            .collect();
        assert_eq!(about_names.len(), 1, "{messages:#?}");
        assert!(about_names[0].contains("`api:9000` does not resolve in `report`"));
        assert!(
            warnings(source, Target::Eks)
                .iter()
                .all(|message| !message.contains("Service Connect"))
        );
    }

    #[test]
    fn fargate_has_none_of_the_kubernetes_warnings() {
        let messages = warnings(SHARED, Target::Fargate);
        assert!(
            messages
                .iter()
                .all(|message| !message.contains("Kubernetes") && !message.contains("EKS")),
            "{messages:#?}"
        );
    }
}
