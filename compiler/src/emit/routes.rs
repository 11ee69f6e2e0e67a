//! Where each public route sits on the shared load balancer: the listener rule priority on `ecs`
//! and `fargate`, the Ingress `group.order` on `eks`.
//!
//! The load balancer evaluates rules in priority order, first match wins, so a route must come
//! before every route that also matches its requests: host routes before routes for any host, and
//! a deeper path (`/api/v1`) before the paths above it (`/api`, `/`). Routes are matched on a path
//! and everything below it, so two routes overlap only when one's path is a segment-prefix of the
//! other's; routes of one specificity band (host or not, path depth) never overlap.
//!
//! A priority must also never move when other routes are added or removed: each rule lives in its
//! own workload's stack, and a renumbered rule would claim a priority another stack still holds
//! while the stacks deploy one by one. So a route's priority depends on the route alone: its band
//! picks a range of priorities, and a hash of its workload and port picks a slot in that range.
//! Only when two routes of one band hash to the same slot does the later (in a fixed order) take
//! the next free slot; with over 1,500 slots per band and at most 100 routes this is rare, and
//! the slot it takes stays put as long as the other route exists.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::model::{Route, Workspace};

/// The highest listener rule priority the load balancer accepts.
const HIGHEST_PRIORITY: u32 = 50_000;

/// Path depths with a band of their own; deeper paths share the deepest band.
const DEPTHS: u32 = 16;

/// The bands: host routes at every depth, then routes for any host at every depth.
const BANDS: u32 = 2 * DEPTHS;

/// How many priorities each band holds.
const SLOTS: u32 = HIGHEST_PRIORITY / BANDS;

/// A public port: its workload's name and the port number.
type RouteKey = (String, u16);

/// The specificity band of `route`, 0 most specific: host routes first, then deeper paths first.
fn band(route: &Route) -> u32 {
    let depth = route
        .path
        .value
        .split('/')
        .filter(|segment| !segment.is_empty())
        .count();
    let depth = u32::try_from(depth).unwrap_or(u32::MAX).min(DEPTHS - 1);
    let any_host = u32::from(route.host.is_none());
    any_host * DEPTHS + (DEPTHS - 1 - depth)
}

/// The slot a route prefers in its band: a hash of its workload and port, so renaming a path
/// keeps it and another route never moves it.
fn preferred_slot(workload: &str, port: u16) -> u32 {
    let digest = Sha256::digest(format!("{workload}:{port}").as_bytes());
    let number = digest
        .iter()
        .take(4)
        .fold(0u32, |number, byte| (number << 8) | u32::from(*byte));
    number % SLOTS
}

/// Every public route of `workspace` with its band.
fn bands(workspace: &Workspace) -> Vec<(u32, RouteKey)> {
    workspace
        .workloads
        .iter()
        .flat_map(|workload| {
            workload.container.ports.iter().filter_map(|port| {
                port.route.as_ref().map(|route| {
                    (
                        band(route),
                        (workload.name.value.clone(), port.number.value),
                    )
                })
            })
        })
        .collect()
}

/// The listener rule priority of every public route (1 is evaluated first).
pub fn route_priorities(workspace: &Workspace) -> BTreeMap<RouteKey, u32> {
    let mut routes: Vec<(u32, u32, RouteKey)> = bands(workspace)
        .into_iter()
        .map(|(band, key)| (band, preferred_slot(&key.0, key.1), key))
        .collect();
    routes.sort();
    let mut taken: BTreeSet<(u32, u32)> = BTreeSet::new();
    let mut priorities = BTreeMap::new();
    for (band, preferred, key) in routes {
        let mut slot = preferred;
        while taken.contains(&(band, slot)) {
            slot = (slot + 1) % SLOTS;
        }
        taken.insert((band, slot));
        priorities.insert(key, band * SLOTS + slot + 1);
    }
    priorities
}

/// The Ingress `group.order` of every public route: its band, plus one, so the AWS Load Balancer
/// Controller orders the rules as [`route_priorities`] does (routes of one band never overlap).
pub fn ingress_orders(workspace: &Workspace) -> BTreeMap<RouteKey, u32> {
    bands(workspace)
        .into_iter()
        .map(|(band, key)| (key, band + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn workspace(routes: &[(&str, &str, Option<&str>)]) -> Workspace {
        let mut source = String::from("workspace \"shop\" { region \"eu-west-1\"; }\n");
        for (name, path, host) in routes {
            let host = host
                .map(|host| format!("host \"{host}\";"))
                .unwrap_or_default();
            let _ = writeln!(
                source,
                "service \"{name}\" {{ image \"nginx:1\"; port 8080 {{ public #true; path \"{path}\"; {host} }} }}"
            );
        }
        let checked = crate::check(&source, &crate::Options::default());
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked
            .workspace
            .map(crate::Valid::into_inner)
            .expect("valid")
    }

    fn priority(priorities: &BTreeMap<RouteKey, u32>, name: &str) -> u32 {
        priorities
            .iter()
            .find(|((workload, _), _)| workload == name)
            .map(|(_, priority)| *priority)
            .expect("a route")
    }

    #[test]
    fn more_specific_routes_come_first() {
        let shop = workspace(&[
            ("web", "/", None),
            ("api", "/api", None),
            ("v1", "/api/v1", None),
            ("admin", "/", Some("admin.example.com")),
        ]);
        let priorities = route_priorities(&shop);
        let orders = ingress_orders(&shop);
        let order = ["admin", "v1", "api", "web"];
        for pair in order.windows(2) {
            assert!(
                priority(&priorities, pair[0]) < priority(&priorities, pair[1]),
                "{pair:?}: {priorities:?}"
            );
            assert!(
                priority(&orders, pair[0]) < priority(&orders, pair[1]),
                "{pair:?}: {orders:?}"
            );
        }
        assert!(
            priorities
                .values()
                .all(|priority| (1..=50_000).contains(priority))
        );
    }

    #[test]
    fn adding_or_removing_a_route_moves_no_other() {
        let before = route_priorities(&workspace(&[("web", "/", None), ("api", "/api", None)]));
        let after = route_priorities(&workspace(&[
            ("web", "/", None),
            ("api", "/api", None),
            ("search", "/api/search", None),
            ("docs", "/docs", None),
        ]));
        assert_eq!(priority(&before, "web"), priority(&after, "web"));
        assert_eq!(priority(&before, "api"), priority(&after, "api"));
        let removed = route_priorities(&workspace(&[("api", "/api", None)]));
        assert_eq!(priority(&before, "api"), priority(&removed, "api"));
    }

    #[test]
    fn routes_that_hash_to_one_slot_get_distinct_priorities() {
        let mut used = BTreeSet::new();
        let routes: Vec<(String, String)> = (0..100)
            .map(|index| (format!("s{index}"), format!("/p{index}")))
            .collect();
        let borrowed: Vec<(&str, &str, Option<&str>)> = routes
            .iter()
            .map(|(name, path)| (name.as_str(), path.as_str(), None))
            .collect();
        for priority in route_priorities(&workspace(&borrowed)).values() {
            assert!(used.insert(*priority), "{priority} twice");
        }
    }
}
