//! Environment overlays: a borrowed node tree, and the merge of an environment's nodes into it.
//!
//! Maps (`env`, `vars`) merge by key; nodes unique by name (`secret`, `port`, `volume`,
//! `sidecar`) are replaced by name or added; every other node (`cpu`, `image`, `replicas`,
//! `health`, `role`, `depends-on`, …) replaces the base node whole.
//!
//! Of the workspace's own nodes, an environment may change `network` and `domain` (replaced
//! whole) and `eks` (merged by child, see [`overlay_workspace`]).

use std::collections::HashMap;

use kdl::{KdlNode, KdlValue};

use super::entries::argument;
use crate::schema::{Children, Node, Occurs};

/// A KDL node with its children as a tree that overlays can rearrange without copying source.
#[derive(Clone, Debug)]
pub struct Tree<'a> {
    /// The node whose name, arguments and properties apply.
    pub node: &'a KdlNode,
    /// Its children, after any merge.
    pub children: Vec<Tree<'a>>,
}

impl<'a> Tree<'a> {
    /// The tree of `node` as written.
    pub fn of(node: &'a KdlNode) -> Self {
        Self {
            node,
            children: node
                .children()
                .map(|document| document.nodes().iter().map(Tree::of).collect())
                .unwrap_or_default(),
        }
    }

    /// The node's name.
    pub fn name(&self) -> &'a str {
        self.node.name().value()
    }

    /// The last child called `name` (the one that wins when a node is repeated by mistake).
    pub fn child(&self, name: &str) -> Option<&Tree<'a>> {
        self.children
            .iter()
            .rev()
            .find(|child| child.name() == name)
    }

    /// Every child called `name`, in order.
    pub fn children_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Tree<'a>> + 's {
        self.children
            .iter()
            .filter(move |child| child.name() == name)
    }

    /// The first argument as text (strings as written, other values formatted), used as a key.
    pub fn key(&self) -> Option<String> {
        argument(self.node, 0).map(|entry| match entry.value() {
            KdlValue::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

/// Applies `overlay` onto `base`, both shaped by `schema`. Each change finds the child it
/// replaces through an index, so overlaying `n` entries onto `m` costs `n + m`.
pub fn merge<'a>(base: &Tree<'a>, overlay: &Tree<'a>, schema: &'static Node) -> Tree<'a> {
    let mut merged = base.clone();
    let is_map = matches!(schema.children, Children::Map { .. });
    let mut last = LastChild::of(&merged.children);
    for change in &overlay.children {
        if is_map {
            let existing = last.by_name.get(change.name()).copied();
            last.replace_or_push(&mut merged.children, change, existing);
            continue;
        }
        let Some(child_schema) = schema.child(change.name()) else {
            continue;
        };
        match child_schema.occurs {
            Occurs::Many => merged.children.push(change.clone()),
            Occurs::KeyedByName => {
                let existing = last.by_key.get(&(change.name(), change.key())).copied();
                last.replace_or_push(&mut merged.children, change, existing);
            }
            Occurs::Once => match last.by_name.get(change.name()).copied() {
                Some(index) if merges_by_children(child_schema) => {
                    merged.children[index] = merge(&merged.children[index], change, child_schema);
                }
                Some(index) => merged.children[index] = change.clone(),
                None => last.push(&mut merged.children, change),
            },
        }
    }
    merged
}

/// The children of `eks` that describe a cluster berth creates, and those that describe an
/// existing one: an environment that writes one kind drops the base's other kind, so a base that
/// creates a cluster and an environment that deploys onto an existing one (or the reverse) merge
/// into one valid form.
const NEW_CLUSTER_ONLY: &[&str] = &["version", "nodegroup", "admins", "public-access"];
const EXISTING_CLUSTER_ONLY: &[&str] = &["cluster", "external-secrets-role"];

/// The workspace node with the environment's `network`, `domain` and `eks` laid over it; its
/// other children (`target`, `region`, `vars`, workloads) are read elsewhere. `network` and
/// `domain` replace the base's whole; `eks` merges by child, `nodegroup` by name.
pub fn overlay_workspace<'a>(workspace: &Tree<'a>, environment: &Tree<'a>) -> Tree<'a> {
    let mut merged = workspace.clone();
    let mut last = LastChild::of(&merged.children);
    for change in &environment.children {
        match change.name() {
            "network" | "domain" => {
                let existing = last.by_name.get(change.name()).copied();
                last.replace_or_push(&mut merged.children, change, existing);
            }
            "eks" => {
                let Some(index) = last.by_name.get("eks").copied() else {
                    last.push(&mut merged.children, change);
                    continue;
                };
                let mut base = merged.children[index].clone();
                let writes = |names: &[&str]| {
                    change
                        .children
                        .iter()
                        .any(|child| names.contains(&child.name()))
                };
                let dropped: &[&str] = if writes(&["cluster"]) {
                    NEW_CLUSTER_ONLY
                } else if writes(&["version", "nodegroup"]) {
                    EXISTING_CLUSTER_ONLY
                } else {
                    &[]
                };
                base.children
                    .retain(|child| !dropped.contains(&child.name()));
                let schema = crate::schema::ROOT
                    .child("workspace")
                    .and_then(|workspace| workspace.child("eks"));
                merged.children[index] = match schema {
                    Some(schema) => merge(&base, change, schema),
                    None => change.clone(),
                };
            }
            _ => {}
        }
    }
    merged
}

/// Only maps merge; a block is replaced whole, so what an environment says is what it gets.
fn merges_by_children(schema: &'static Node) -> bool {
    matches!(schema.children, Children::Map { .. })
}

/// The position of the last child with each name, and with each name and key.
struct LastChild<'a> {
    by_name: HashMap<&'a str, usize>,
    by_key: HashMap<(&'a str, Option<String>), usize>,
}

impl<'a> LastChild<'a> {
    fn of(children: &[Tree<'a>]) -> Self {
        let mut last = Self {
            by_name: HashMap::with_capacity(children.len()),
            by_key: HashMap::with_capacity(children.len()),
        };
        for (index, child) in children.iter().enumerate() {
            last.record(child, index);
        }
        last
    }

    fn record(&mut self, child: &Tree<'a>, index: usize) {
        self.by_name.insert(child.name(), index);
        self.by_key.insert((child.name(), child.key()), index);
    }

    fn push(&mut self, children: &mut Vec<Tree<'a>>, change: &Tree<'a>) {
        self.record(change, children.len());
        children.push(change.clone());
    }

    /// Replaces the `existing` child with `change`, or appends it.
    fn replace_or_push(
        &mut self,
        children: &mut Vec<Tree<'a>>,
        change: &Tree<'a>,
        existing: Option<usize>,
    ) {
        match existing {
            Some(index) => children[index] = change.clone(),
            None => self.push(children, change),
        }
    }
}
