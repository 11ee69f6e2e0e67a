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
    components(edges)
        .into_iter()
        .filter_map(|component| {
            let start = *component.iter().min()?;
            shortest_cycle(edges, start, &component)
        })
        .collect()
}

fn shortest_cycle(
    edges: &[Vec<(usize, Span)>],
    start: usize,
    component: &[usize],
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
            if component.contains(&next) && !came_from.contains_key(&next) {
                came_from.insert(next, (node, span));
                queue.push_back(next);
            }
        }
    }
    None
}

/// Tarjan's strongly connected components that contain a cycle (size > 1, or a self-loop).
fn components(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(edges: &[Vec<(usize, Span)>], node: usize, state: &mut State) {
        state.index[node] = Some(state.next);
        state.low[node] = state.next;
        state.next += 1;
        state.stack.push(node);
        state.on_stack[node] = true;
        for &(next, _) in &edges[node] {
            match state.index[next] {
                None => {
                    visit(edges, next, state);
                    state.low[node] = state.low[node].min(state.low[next]);
                }
                Some(index) if state.on_stack[next] => state.low[node] = state.low[node].min(index),
                Some(_) => {}
            }
        }
        if Some(state.low[node]) == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack[member] = false;
                component.push(member);
                if member == node {
                    break;
                }
            }
            let self_loop = edges[node].iter().any(|(next, _)| *next == node);
            if component.len() > 1 || self_loop {
                state.found.push(component);
            }
        }
    }
    let count = edges.len();
    let mut state = State {
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in 0..count {
        if state.index[node].is_none() {
            visit(edges, node, &mut state);
        }
    }
    state.found.sort();
    state.found
}
