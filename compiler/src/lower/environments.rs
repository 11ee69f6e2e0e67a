//! Rules across environments: two environments that deploy onto the same existing cluster must not
//! share a Kubernetes namespace, or each deploy would overwrite (and prune) the other's objects.
//!
//! Only environments can collide: a cluster berth creates is named after the workspace and
//! environment, and the default namespace is `<workspace>-<env>`. What remains is an explicit
//! `namespace` on an explicit existing `cluster`, which is compared as written (a cluster name
//! with an expression is not compared).

use std::collections::BTreeMap;

use kdl::KdlDocument;

use super::entries::argument;
use super::overlay::{Tree, overlay_workspace};
use super::{Lowerer, Selected};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{Span, Spanned};

/// Where one environment deploys: its name, and the namespace as written (the span of the
/// node it comes from, the base's when inherited).
struct Placement {
    environment: Spanned<String>,
    namespace: Spanned<String>,
}

impl Lowerer<'_> {
    /// Reports the selected environment when another environment deploys into the same namespace
    /// of the same existing cluster.
    pub(super) fn check_shared_namespaces(
        &mut self,
        document: &KdlDocument,
        workspace: &Tree<'_>,
        selected: &Selected<'_>,
    ) {
        let Some(selected_node) = selected.node else {
            return;
        };
        let mut placements: BTreeMap<String, Vec<Placement>> = BTreeMap::new();
        let environments = document
            .nodes()
            .iter()
            .filter(|node| node.name().value() == "environment");
        for node in environments {
            let Some(environment) = self.name(node) else {
                continue;
            };
            let settings = overlay_workspace(workspace, &Tree::of(node));
            let Some(eks) = settings.child("eks") else {
                continue;
            };
            let cluster = eks
                .child("cluster")
                .and_then(|cluster| argument(cluster.node, 0))
                .and_then(|entry| entry.value().as_string());
            let namespace = eks
                .child("namespace")
                .and_then(|namespace| self.name(namespace.node));
            let (Some(cluster), Some(namespace)) = (cluster, namespace) else {
                continue;
            };
            if crate::interpolate::has_expression(cluster) {
                continue;
            }
            placements
                .entry(format!("{cluster}\n{}", namespace.value))
                .or_default()
                .push(Placement {
                    environment,
                    namespace,
                });
        }
        let selected_name = self.name(selected_node).map(|name| name.value);
        for (key, sharing) in placements {
            if sharing.len() < 2 {
                continue;
            }
            let Some(mine) = sharing
                .iter()
                .find(|placement| Some(&placement.environment.value) == selected_name.as_ref())
            else {
                continue;
            };
            let cluster = key.split('\n').next().unwrap_or_default();
            let others: Vec<&Placement> = sharing
                .iter()
                .filter(|placement| placement.environment.value != mine.environment.value)
                .collect();
            let names: Vec<String> = others
                .iter()
                .map(|placement| format!("`{}`", placement.environment.value))
                .collect();
            let mut diagnostic = Diagnostic::new(
                Code::DuplicateName,
                format!(
                    "environment `{}` deploys into namespace `{}` of cluster `{cluster}`, as {} {} too",
                    mine.environment.value,
                    mine.namespace.value,
                    names.join(" and "),
                    if names.len() == 1 { "does" } else { "do" },
                ),
                mine.namespace.span,
                "shared namespace",
            );
            for other in &others {
                if other.environment.span != Span::default() {
                    diagnostic = diagnostic.with_label(
                        other.environment.span,
                        format!("`{}` deploys there too", other.environment.value),
                    );
                }
            }
            self.report(diagnostic.with_help(
                "each deploy would overwrite and prune the other's objects: set `eks { namespace … }` in each environment, or drop `namespace` to use the default `<workspace>-<env>`",
            ));
        }
    }
}
