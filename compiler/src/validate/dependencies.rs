//! `depends-on`: every name must exist, and the graph must have no cycle.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::Workspace;
use crate::source::Span;
use crate::suggest::did_you_mean;

/// Reports unknown dependencies and every distinct cycle.
pub fn check_dependencies(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let index: BTreeMap<&str, usize> = workspace
        .workloads
        .iter()
        .enumerate()
        .map(|(position, workload)| (workload.name.value.as_str(), position))
        .collect();
    let names: Vec<&str> = index.keys().copied().collect();
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); workspace.workloads.len()];
    for (from, workload) in workspace.workloads.iter().enumerate() {
        for dependency in &workload.depends_on {
            if let Some(&to) = index.get(dependency.value.as_str()) {
                edges[from].push((to, dependency.span));
                continue;
            }
            if crate::naming::check_label(&dependency.value).is_err() {
                // Already reported as an invalid name by the shape checks.
                continue;
            }
            let help = did_you_mean(&dependency.value, &names).map_or_else(
                || "depend on a service, worker or job declared in this file".to_owned(),
                |near| format!("did you mean `{near}`?"),
            );
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownDependency,
                    format!(
                        "`{}` depends on `{}`, which does not exist",
                        workload.name.value, dependency.value
                    ),
                    dependency.span,
                    "unknown workload",
                )
                .with_help(help),
            );
        }
    }
    for cycle in find_cycles(&edges) {
        let path: Vec<&str> = cycle
            .iter()
            .map(|(node, _)| workspace.workloads[*node].name.value.as_str())
            .collect();
        let shown = format!("{} → {}", path.join(" → "), path[0]);
        let (_, first_span) = cycle[cycle.len() - 1];
        let mut diagnostic = Diagnostic::new(
            Code::DependencyCycle,
            format!("`depends-on` forms a cycle: {shown}"),
            first_span,
            "closes the cycle",
        );
        for (_, span) in &cycle[..cycle.len() - 1] {
            diagnostic = diagnostic.with_label(*span, "part of the cycle");
        }
        diagnostics.push(
            diagnostic.with_help(
                "remove one of these dependencies; workloads in a cycle could never start",
            ),
        );
    }
}

/// One cycle per strongly connected component that has one: the shortest cycle through the
/// component's first node, as (node, span of its outgoing edge) pairs.
fn find_cycles(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<(usize, Span)>> {
    let components = components(edges);
    let mut component_of = vec![usize::MAX; edges.len()];
    for (index, component) in components.iter().enumerate() {
        for &node in component {
            component_of[node] = index;
        }
    }
    components
        .iter()
        .enumerate()
        .filter_map(|(index, component)| {
            let start = *component.iter().min()?;
            shortest_cycle(edges, start, |node| component_of[node] == index)
        })
        .collect()
}

/// The shortest cycle from `start` back to it through nodes `inside` its component
/// (breadth-first, so each node and edge is visited once).
fn shortest_cycle(
    edges: &[Vec<(usize, Span)>],
    start: usize,
    inside: impl Fn(usize) -> bool,
) -> Option<Vec<(usize, Span)>> {
    let mut came_from: BTreeMap<usize, (usize, Span)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &(next, span) in &edges[node] {
            if next == start {
                let mut cycle = vec![(node, span)];
                let mut cursor = node;
                while cursor != start {
                    let (previous, previous_span) = came_from[&cursor];
                    cycle.push((previous, previous_span));
                    cursor = previous;
                }
                cycle.reverse();
                return Some(cycle);
            }
            if inside(next) && !came_from.contains_key(&next) {
                came_from.insert(next, (node, span));
                queue.push_back(next);
            }
        }
    }
    None
}

/// Tarjan's strongly connected components that contain a cycle (size > 1, or a self-loop),
/// sorted. Iterative, so a dependency chain of any length cannot overflow the stack.
fn components(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    let count = edges.len();
    let mut order: Vec<Option<usize>> = vec![None; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut next_order = 0;
    let mut found = Vec::new();
    // (node, index of the next edge to follow)
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..count {
        if order[root].is_some() {
            continue;
        }
        path.push((root, 0));
        while let Some(&mut (node, ref mut edge)) = path.last_mut() {
            if *edge == 0 && order[node].is_none() {
                order[node] = Some(next_order);
                low[node] = next_order;
                next_order += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&(next, _)) = edges[node].get(*edge) {
                *edge += 1;
                match order[next] {
                    None => path.push((next, 0)),
                    Some(index) if on_stack[next] => low[node] = low[node].min(index),
                    Some(_) => {}
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if Some(low[node]) == order[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                let self_loop = edges[node].iter().any(|(next, _)| *next == node);
                if component.len() > 1 || self_loop {
                    found.push(component);
                }
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cycle_once_and_survives_long_chains() {
        let span = Span::default();
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 0
        let edges = vec![
            vec![(1, span)],
            vec![(2, span)],
            vec![(0, span)],
            vec![(3, span)],
            vec![(0, span)],
        ];
        let cycles = find_cycles(&edges);
        let nodes: Vec<Vec<usize>> = cycles
            .iter()
            .map(|cycle| cycle.iter().map(|(node, _)| *node).collect())
            .collect();
        assert_eq!(nodes, vec![vec![0, 1, 2], vec![3]]);
        let chain: Vec<Vec<(usize, Span)>> = (0..200_000)
            .map(|node| {
                if node == 0 {
                    Vec::new()
                } else {
                    vec![(node - 1, span)]
                }
            })
            .collect();
        assert!(find_cycles(&chain).is_empty());
    }
}
