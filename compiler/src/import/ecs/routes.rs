//! How a load balancer reached a target group, as a berth route: the path prefix and host of the
//! listener rule that forwards to it, and the HTTPS certificate of its listener. What a route
//! cannot say (other conditions, weights, wildcards inside a path) is noted.

use super::input::{ListenerRoute, TargetGroup};
use crate::import::draft::DraftRoute;

/// How a port behind a target group is served by berth.
pub enum Served {
    /// Public, with this route, and the HTTPS host and certificate when the listener used one.
    Public {
        /// The route.
        route: DraftRoute,
        /// `(host, certificate)` of an HTTPS listener with a host condition.
        https: Option<(String, String)>,
    },
    /// Private, for this reason.
    Private(String),
}

/// The route of `group`, from the first rule that forwards to it (rules by priority, the
/// listener's default action last).
pub fn served(group: &TargetGroup, notes: &mut Vec<String>) -> Served {
    let Some(balancer) = &group.load_balancer else {
        return Served::Private(format!(
            "target group `{}` is attached to no load balancer",
            group.name
        ));
    };
    if balancer.kind.as_deref() == Some("network") {
        return Served::Private(format!(
            "it was behind the Network Load Balancer `{}` (TCP); berth's shared load balancer serves HTTP, so other workloads reach this port by name",
            balancer.name
        ));
    }
    if balancer.scheme.as_deref() == Some("internal") {
        return Served::Private(format!(
            "it was behind the internal load balancer `{}`; berth's load balancer is internet-facing, so the port stays reachable inside the workspace only (by name)",
            balancer.name
        ));
    }
    let mut routes: Vec<&ListenerRoute> = group.routes.iter().collect();
    routes.sort_by_key(|route| route.priority.unwrap_or(u32::MAX));
    let Some((first, others)) = routes.split_first() else {
        return Served::Private(format!(
            "no listener rule of `{}` forwards to target group `{}`",
            balancer.name, group.name
        ));
    };
    let path = first
        .paths
        .first()
        .map_or_else(|| "/".to_owned(), |pattern| prefix(pattern, notes));
    if first.paths.len() > 1
        && first.paths.iter().any(|pattern| {
            let mut ignored = Vec::new();
            prefix(pattern, &mut ignored) != path
        })
    {
        notes.push(format!(
            "the rule matched the paths {}; berth routes the prefix `{path}` only",
            first
                .paths
                .iter()
                .map(|pattern| format!("`{pattern}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let host = first.hosts.first().cloned();
    if first.hosts.len() > 1 {
        notes.push(format!(
            "the rule matched the hosts {}; berth routes `{}` only",
            first
                .hosts
                .iter()
                .map(|host| format!("`{host}`"))
                .collect::<Vec<_>>()
                .join(", "),
            first.hosts[0]
        ));
    }
    for condition in &first.other_conditions {
        notes.push(format!(
            "the rule's condition `{condition}` is left out: berth routes by path and host only"
        ));
    }
    if first.weighted {
        notes.push(format!(
            "the rule split traffic between target group `{}` and others by weight; berth sends all of this route's traffic to this workload",
            group.name
        ));
    }
    for other in others {
        notes.push(format!(
            "it was also reached through {}; berth routes one path and host per port",
            describe(other)
        ));
    }
    let https = match (&first.listener_protocol, &first.certificate, &host) {
        (Some(protocol), Some(certificate), Some(host)) if protocol == "HTTPS" => {
            Some((host.clone(), certificate.clone()))
        }
        (Some(protocol), Some(certificate), None) if protocol == "HTTPS" => {
            notes.push(format!(
                "it was served over HTTPS with the certificate `{certificate}`; add `domain \"<host>\" certificate=\"{certificate}\"` to the workspace to keep HTTPS"
            ));
            None
        }
        _ => None,
    };
    Served::Public {
        route: DraftRoute { path, host },
        https,
    }
}

/// The path prefix of an ALB path pattern: `/api/*` and `/api*` are `/api`, `/*` is `/`; a
/// wildcard inside the pattern cuts it there, with a note.
fn prefix(pattern: &str, notes: &mut Vec<String>) -> String {
    let trimmed = pattern.trim_end_matches('*').trim_end_matches('/');
    let cut = trimmed.find(['*', '?']).map_or(trimmed, |index| {
        notes.push(format!(
            "the path pattern `{pattern}` has a wildcard inside; berth routes the prefix before it"
        ));
        trimmed[..index].trim_end_matches('/')
    });
    if cut.is_empty() {
        "/".to_owned()
    } else if cut.starts_with('/') {
        cut.to_owned()
    } else {
        format!("/{cut}")
    }
}

/// A rule in a note: its priority, paths and hosts.
fn describe(route: &ListenerRoute) -> String {
    let mut parts = Vec::new();
    match route.priority {
        Some(priority) => parts.push(format!("the rule with priority {priority}")),
        None => parts.push("the listener's default action".to_owned()),
    }
    if !route.paths.is_empty() {
        parts.push(format!("paths {}", route.paths.join(", ")));
    }
    if !route.hosts.is_empty() {
        parts.push(format!("hosts {}", route.hosts.join(", ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_path_prefixes() {
        let mut notes = Vec::new();
        assert_eq!(prefix("/api/*", &mut notes), "/api");
        assert_eq!(prefix("/api*", &mut notes), "/api");
        assert_eq!(prefix("/*", &mut notes), "/");
        assert_eq!(prefix("*", &mut notes), "/");
        assert!(notes.is_empty());
        assert_eq!(prefix("/v*/users", &mut notes), "/v");
        assert_eq!(notes.len(), 1);
    }
}
