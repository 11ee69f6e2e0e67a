//! The portability report: how a workspace that runs on ECS (EC2 or Fargate) maps onto EKS, per
//! workload and per setting — exactly, approximately (with what changes) or not at all.
//!
//! It is built on the diagnostics the destination's checks raise (`berth::approximated`,
//! `berth::unsupported`, and errors only the destination has), attributed to the setting whose
//! node holds each diagnostic's labels; it keeps no list of its own.

use kdl::{KdlDocument, KdlNode};
use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::{Target, WorkloadKind};
use crate::source::{LineIndex, Span};
use crate::{Options, check, parse};

/// How one setting maps onto the destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mapping {
    /// The same behaviour.
    Exact,
    /// The closest thing the destination has; the changes say what differs.
    Approximate,
    /// Nothing on the destination expresses it: it is left out, or the file does not build.
    Unsupported,
}

impl Mapping {
    /// How the human report writes it.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Approximate => "approximate",
            Self::Unsupported => "not at all",
        }
    }
}

/// What changes for one setting: one diagnostic of the destination's checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The diagnostic code, e.g. `berth::approximated`.
    pub code: String,
    /// What changes.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where the diagnostic points (1-based).
    pub line: usize,
    /// The column (1-based, in characters).
    pub column: usize,
}

/// One setting of a workload (or of the workspace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The setting as written: `cpu`, `port 8080`, `secret "DATABASE_URL"`, `name`…
    pub setting: String,
    /// The line it is written on (1-based).
    pub line: usize,
    /// How it maps.
    pub mapping: Mapping,
    /// What changes; empty when exact.
    pub changes: Vec<Change>,
}

/// The settings of one workload, or of the workspace as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The workload's name, or the workspace's for the workspace group.
    pub name: String,
    /// `service`, `worker`, `job` or `workspace`.
    pub kind: &'static str,
    /// Its settings in file order (for the workspace, only those that change).
    pub settings: Vec<Setting>,
}

/// How many settings map each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Settings that map exactly.
    pub exact: usize,
    /// Settings that map approximately.
    pub approximate: usize,
    /// Settings that do not map.
    pub unsupported: usize,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The workspace name.
    pub workspace: String,
    /// The environment applied (`default` when none).
    pub environment: String,
    /// The target the workspace runs on now.
    pub from: &'static str,
    /// The target it moves to.
    pub to: &'static str,
    /// The workloads in file order, then the workspace (when something there changes).
    pub groups: Vec<Group>,
    /// The totals.
    pub summary: Summary,
}

impl Report {
    /// Whether any setting maps less than exactly.
    pub fn is_lossy(&self) -> bool {
        self.summary.approximate + self.summary.unsupported > 0
    }

    /// Every change, once (a change can concern several settings).
    pub fn changes(&self) -> Vec<&Change> {
        let mut changes: Vec<&Change> = Vec::new();
        for change in self
            .groups
            .iter()
            .flat_map(|group| &group.settings)
            .flat_map(|setting| &setting.changes)
        {
            if !changes.contains(&change) {
                changes.push(change);
            }
        }
        changes
    }
}

/// The report for `source` moving from `from` to `to`, with the environment, variables and
/// region of `options` (its target is ignored). `Err` holds the diagnostics when the file is not
/// valid for `from`.
pub fn report(
    source: &str,
    options: &Options,
    from: Target,
    to: Target,
) -> Result<Report, Vec<Diagnostic>> {
    let for_target = |target: Target| Options {
        target: Some(target),
        ..options.clone()
    };
    let origin = check(source, &for_target(from));
    let invalid = origin.has_errors();
    let Some(workspace) = origin.workspace.filter(|_| !invalid) else {
        return Err(origin.diagnostics);
    };
    let destination = check(source, &for_target(to));
    let document = parse(source).map_err(|diagnostics| diagnostics.clone())?;
    let lines = LineIndex::new(source);
    let mut groups = groups(&document, &workspace.environment.value, &lines);
    for diagnostic in destination.diagnostics.iter().filter(|diagnostic| {
        diagnostic.severity() == Severity::Error
            || matches!(diagnostic.code, Code::Approximated | Code::Unsupported)
    }) {
        attribute(diagnostic, &mut groups, &lines);
    }
    let mut summary = Summary::default();
    let groups: Vec<Group> = groups
        .into_iter()
        .filter_map(|draft| {
            let workspace_group = draft.kind == "workspace";
            let settings: Vec<Setting> = draft
                .settings
                .into_iter()
                .filter(|setting| !workspace_group || !setting.changes.is_empty())
                .map(|setting| {
                    let mapping = mapping(&setting.changes, &destination.diagnostics);
                    match mapping {
                        Mapping::Exact => summary.exact += 1,
                        Mapping::Approximate => summary.approximate += 1,
                        Mapping::Unsupported => summary.unsupported += 1,
                    }
                    Setting {
                        setting: setting.label,
                        line: setting.line,
                        mapping,
                        changes: setting.changes,
                    }
                })
                .collect();
            (!settings.is_empty()).then_some(Group {
                name: draft.name,
                kind: draft.kind,
                settings,
            })
        })
        .collect();
    Ok(Report {
        workspace: workspace.name.value.clone(),
        environment: workspace.environment.value.clone(),
        from: from.name(),
        to: to.name(),
        groups,
        summary,
    })
}

/// A group being filled: its node spans and settings.
struct DraftGroup {
    name: String,
    kind: &'static str,
    /// The spans of the nodes that declare it (the base node and its overlay).
    spans: Vec<Span>,
    settings: Vec<DraftSetting>,
}

struct DraftSetting {
    label: String,
    line: usize,
    spans: Vec<Span>,
    changes: Vec<Change>,
}

impl DraftGroup {
    fn setting(&mut self, label: String, span: Span, lines: &LineIndex<'_>) {
        if let Some(known) = self.settings.iter_mut().find(|known| known.label == label) {
            known.spans.push(span);
            return;
        }
        self.settings.push(DraftSetting {
            label,
            line: lines.locate(span.offset).line,
            spans: vec![span],
            changes: Vec::new(),
        });
    }
}

/// One group per workload (base node and the selected environment's overlay), then the
/// workspace.
fn groups(document: &KdlDocument, environment: &str, lines: &LineIndex<'_>) -> Vec<DraftGroup> {
    let mut groups: Vec<DraftGroup> = Vec::new();
    let overlays: Vec<&KdlNode> = document
        .nodes()
        .iter()
        .filter(|node| {
            node.name().value() == "environment" && first_text(node) == Some(environment)
        })
        .filter_map(|node| node.children())
        .flat_map(KdlDocument::nodes)
        .collect();
    for node in document.nodes().iter().chain(overlays) {
        let kind = match node.name().value() {
            "service" => WorkloadKind::Service.name(),
            "worker" => WorkloadKind::Worker.name(),
            "job" => WorkloadKind::Job.name(),
            _ => continue,
        };
        let Some(name) = first_text(node) else {
            continue;
        };
        let index = groups
            .iter()
            .position(|group| group.name == name && group.kind != "workspace")
            .unwrap_or_else(|| {
                groups.push(DraftGroup {
                    name: name.to_owned(),
                    kind,
                    spans: Vec::new(),
                    settings: Vec::new(),
                });
                groups.len() - 1
            });
        let group = &mut groups[index];
        group.spans.push(node.span().into());
        for child in node.children().map(KdlDocument::nodes).unwrap_or_default() {
            group.setting(label(child), child.span().into(), lines);
        }
    }
    if let Some(workspace) = document
        .nodes()
        .iter()
        .find(|node| node.name().value() == "workspace")
    {
        let mut group = DraftGroup {
            name: first_text(workspace).unwrap_or_default().to_owned(),
            kind: "workspace",
            spans: vec![workspace.span().into()],
            settings: Vec::new(),
        };
        for child in workspace
            .children()
            .map(KdlDocument::nodes)
            .unwrap_or_default()
        {
            group.setting(label(child), child.span().into(), lines);
        }
        groups.push(group);
    }
    groups
}

/// The first argument of a node, when it is a string.
fn first_text(node: &KdlNode) -> Option<&str> {
    node.entries()
        .iter()
        .find(|entry| entry.name().is_none())
        .and_then(|entry| entry.value().as_string())
}

/// A setting's label: its node name, with its key for the nodes that repeat by key.
fn label(node: &KdlNode) -> String {
    let name = node.name().value();
    let key = node
        .entries()
        .iter()
        .find(|entry| entry.name().is_none())
        .map(|entry| match entry.value().as_string() {
            Some(text) => format!("\"{text}\""),
            None => entry.value().to_string(),
        });
    match (name, key) {
        ("port" | "secret" | "volume" | "sidecar" | "nodegroup", Some(key)) => {
            format!("{name} {key}")
        }
        _ => name.to_owned(),
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.offset <= inner.offset && inner.end() <= outer.end()
}

/// Adds `diagnostic` as a change to every setting one of its labels points into; a label inside
/// a workload but outside its settings (its name) goes to the setting `name`, and anything
/// else to the workspace.
fn attribute(diagnostic: &Diagnostic, groups: &mut [DraftGroup], lines: &LineIndex<'_>) {
    let position = lines.locate(diagnostic.primary_span().offset);
    let change = Change {
        code: diagnostic.code.qualified(),
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        line: position.line,
        column: position.column,
    };
    for label in &diagnostic.labels {
        let span = label.span;
        let Some(found) = groups
            .iter()
            .position(|group| {
                group.kind != "workspace" && group.spans.iter().any(|outer| contains(*outer, span))
            })
            .or_else(|| groups.iter().position(|group| group.kind == "workspace"))
        else {
            continue;
        };
        let group = &mut groups[found];
        let found_setting = group
            .settings
            .iter()
            .position(|setting| setting.spans.iter().any(|outer| contains(*outer, span)));
        let index = found_setting.unwrap_or_else(|| {
            let fallback = if group.kind == "workspace" {
                "workspace"
            } else {
                "name"
            };
            group.setting(fallback.to_owned(), span, lines);
            group
                .settings
                .iter()
                .position(|setting| setting.label == fallback)
                .unwrap_or(0)
        });
        let setting = &mut group.settings[index];
        if !setting.changes.contains(&change) {
            setting.changes.push(change.clone());
        }
    }
}

/// The mapping a setting's changes add up to.
fn mapping(changes: &[Change], diagnostics: &[Diagnostic]) -> Mapping {
    let unsupported = changes.iter().any(|change| {
        change.code == Code::Unsupported.qualified()
            || diagnostics.iter().any(|diagnostic| {
                diagnostic.severity() == Severity::Error && diagnostic.message == change.message
            })
    });
    if unsupported {
        Mapping::Unsupported
    } else if changes.is_empty() {
        Mapping::Exact
    } else {
        Mapping::Approximate
    }
}
