//! A service's load balancers: the ports behind its target groups become public with the route
//! of the rule that forwards to them (or stay private, with the reason), the VPC and load
//! balancer subnets are collected, and a target group's health check fills in a missing one.

use super::Subnets;
use super::input::{EcsService, TargetGroup};
use super::routes::{Served, served};
use crate::import::draft::{Draft, DraftHealth, DraftWorkload};
use crate::import::fields::{Fields, scalar_text};
use crate::import::fit;
use crate::model::{Probe, Protocol};

/// Makes the ports behind the service's target groups public, with their routes; collects the
/// VPC and the load balancers' subnets.
pub fn load_balancers(
    fields: &mut Fields<'_>,
    input: &EcsService,
    workload: &mut DraftWorkload,
    draft: &mut Draft,
    subnets: &mut Subnets,
) {
    for balancer in fields.array("loadBalancers") {
        let arn = balancer
            .get("targetGroupArn")
            .and_then(scalar_text)
            .unwrap_or_default();
        let container = balancer
            .get("containerName")
            .and_then(scalar_text)
            .unwrap_or_default();
        let Some(port_number) = balancer
            .get("containerPort")
            .and_then(crate::import::fields::integer)
            .and_then(|port| u16::try_from(port).ok())
        else {
            continue;
        };
        let Some(group) = input.target_groups.iter().find(|group| group.arn == arn) else {
            let why = input
                .unread_target_groups
                .get(&arn)
                .map(|why| format!(" ({why})"))
                .unwrap_or_default();
            workload.notes.push(format!(
                "target group `{arn}` could not be read{why}, so port {port_number} stays private: add `public #true` and its `path` if the load balancer should reach it"
            ));
            continue;
        };
        if let Some(vpc) = &group.vpc_id {
            subnets.vpc.get_or_insert_with(|| vpc.clone());
        }
        if let Some(balancer) = &group.load_balancer
            && balancer.scheme.as_deref() != Some("internal")
        {
            Subnets::add(&mut subnets.public, balancer.subnets.iter().cloned());
        }
        let Some(port) = workload
            .container
            .ports
            .iter_mut()
            .find(|port| port.number == port_number)
        else {
            workload.notes.push(format!(
                "the load balancer reached container `{container}` on port {port_number}, which is not the main container's port; berth routes only to the main container"
            ));
            continue;
        };
        let http = matches!(group.protocol.as_deref(), Some("HTTP" | "HTTPS"));
        if group.protocol_version.as_deref() == Some("GRPC") {
            port.protocol = Protocol::Grpc;
        } else if http && port.protocol == Protocol::Tcp {
            port.protocol = Protocol::Http;
        }
        match served(group, &mut workload.notes) {
            Served::Public { route, https } => {
                port.route = Some(route.clone());
                if let Some((host, certificate)) = https {
                    match &draft.domain {
                        None => draft.domain = Some((host, certificate)),
                        Some((known_host, known_certificate)) if *known_certificate != certificate || *known_host != host => workload.notes.push(format!(
                            "it was served over HTTPS for `{host}` with the certificate `{certificate}`; berth serves one domain per workspace (`{known_host}`), so add that name to its certificate"
                        )),
                        Some(_) => {}
                    }
                }
                health_from_target_group(group, port_number, route.path.as_str(), workload);
            }
            Served::Private(reason) => workload
                .notes
                .push(format!("port {port_number} stays private: {reason}")),
        }
    }
}

/// The target group's health check becomes the workload's `http` check when the task defines
/// none; otherwise a different path is noted.
pub fn health_from_target_group(
    group: &TargetGroup,
    port: u16,
    route_path: &str,
    workload: &mut DraftWorkload,
) {
    let Some(path) = group
        .health_check_path
        .clone()
        .filter(|path| path.starts_with('/'))
    else {
        return;
    };
    match &workload.health {
        None => {
            let first_port = workload.container.ports.first().map(|first| first.number);
            let health = DraftHealth {
                probe: Probe::Http {
                    path,
                    port: (first_port != Some(port)).then_some(port),
                },
                interval: group.health_check_interval.unwrap_or(30) * 1000,
                timeout: group.health_check_timeout.unwrap_or(5) * 1000,
                retries: group.unhealthy_threshold.unwrap_or(3),
                grace: None,
            };
            workload.health = Some(fit::health(health, &mut workload.notes));
        }
        Some(DraftHealth { probe: Probe::Http { path: probed, .. }, .. }) if *probed == path => {}
        Some(_) if path != route_path => workload.notes.push(format!(
            "the target group `{}` checked {path}; berth's target group checks the port's path ({route_path}), since the container has its own health check",
            group.name
        )),
        Some(_) => {}
    }
}
