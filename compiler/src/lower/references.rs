//! Where workloads are declared and where they are named again (`depends-on`, environment
//! overlays), so that a bad name is reported once, at its declaration, with the places that
//! repeat it as secondary labels, rather than once per place with the cause last.

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlNode};

use super::entries::{argument, arguments};
use crate::source::Span;

/// The workload names of a document as written.
#[derive(Debug, Default)]
pub struct WorkloadNames {
    /// Names declared by top-level `service`, `worker` and `job` nodes.
    declared: BTreeSet<String>,
    /// Every other place a workload name is written, by name.
    references: BTreeMap<String, Vec<Span>>,
}

impl WorkloadNames {
    /// Collects the declarations and references of `document`.
    pub fn of(document: &KdlDocument) -> Self {
        let mut names = Self::default();
        for node in document.nodes() {
            match node.name().value() {
                "service" | "worker" | "job" => {
                    if let Some(name) =
                        argument(node, 0).and_then(|entry| entry.value().as_string())
                    {
                        names.declared.insert(name.to_owned());
                    }
                    names.add_dependencies(node);
                }
                "environment" => {
                    for overlay in children(node) {
                        if !matches!(overlay.name().value(), "service" | "worker" | "job") {
                            continue;
                        }
                        if let Some(entry) = argument(overlay, 0) {
                            names.add(entry);
                        }
                        names.add_dependencies(overlay);
                    }
                }
                _ => {}
            }
        }
        names
    }

    /// Whether a top-level workload is declared as `name`.
    pub fn is_declared(&self, name: &str) -> bool {
        self.declared.contains(name)
    }

    /// The places other than its declaration where `name` is written.
    pub fn references(&self, name: &str) -> &[Span] {
        self.references.get(name).map_or(&[], Vec::as_slice)
    }

    fn add_dependencies(&mut self, workload: &KdlNode) {
        for depends_on in children(workload).filter(|node| node.name().value() == "depends-on") {
            for entry in arguments(depends_on) {
                self.add(entry);
            }
        }
    }

    fn add(&mut self, entry: &kdl::KdlEntry) {
        if let Some(name) = entry.value().as_string() {
            self.references
                .entry(name.to_owned())
                .or_default()
                .push(entry.span().into());
        }
    }
}

fn children(node: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    node.children()
        .map(KdlDocument::nodes)
        .unwrap_or_default()
        .iter()
}
