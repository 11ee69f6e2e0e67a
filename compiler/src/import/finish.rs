//! The last step of every import: write the draft, check it for its target and for eks (the
//! target a migration is heading for), shorten any name that would make a generated AWS or
//! Kubernetes name too long, and report the outcome.

use std::collections::BTreeMap;

use super::draft::Draft;
use super::names::truncate;
use super::write::write;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::model::Target;
use crate::naming::generated_names;
use crate::{Options, check, lower, parse};

/// An imported workspace.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The workspace file, formatted as `berth fmt` would.
    pub source: String,
    /// The target it was written for.
    pub target: Target,
    /// How many services, workers and jobs it has.
    pub workloads: usize,
    /// How many notes say what was left out.
    pub notes: usize,
    /// What checking it for its target reports (warnings, and errors if any remain).
    pub diagnostics: Vec<Diagnostic>,
    /// What checking it for eks reports.
    pub eks_diagnostics: Vec<Diagnostic>,
}

impl Imported {
    /// Whether the file checks clean (warnings allowed) for its target and for eks.
    pub fn is_clean(&self) -> bool {
        self.diagnostics
            .iter()
            .chain(&self.eks_diagnostics)
            .all(|diagnostic| diagnostic.severity() != Severity::Error)
    }
}

/// Writes and checks `draft`.
pub fn finish(mut draft: Draft) -> Imported {
    // Each pass shortens at least one name, so a few passes settle it.
    for _ in 0..8 {
        if !shorten_names(&mut draft) {
            break;
        }
    }
    let source = write(&draft);
    let check_for = |target: Target| {
        check(
            &source,
            &Options {
                target: Some(target),
                ..Options::default()
            },
        )
        .diagnostics
    };
    let notes = draft.notes.len()
        + draft
            .workloads
            .iter()
            .map(|workload| {
                workload.notes.len()
                    + workload
                        .sidecars
                        .iter()
                        .map(|sidecar| sidecar.notes.len())
                        .sum::<usize>()
            })
            .sum::<usize>();
    Imported {
        diagnostics: check_for(draft.target),
        eks_diagnostics: check_for(Target::Eks),
        target: draft.target,
        workloads: draft.workloads.len(),
        notes,
        source,
    }
}

/// Names are never shortened below this many characters.
const MIN_LENGTH: usize = 6;

/// Shortens the names that make a generated name too long on the draft's target or on eks;
/// `true` when something changed. A generated name built from several names (workload and
/// workspace) is cut from the first one first, down to [`MIN_LENGTH`], then from the next.
fn shorten_names(draft: &mut Draft) -> bool {
    let source = write(draft);
    let Ok(document) = parse(&source) else {
        return false;
    };
    let mut limits: BTreeMap<String, usize> = BTreeMap::new();
    for target in [draft.target, Target::Eks] {
        let options = Options {
            target: Some(target),
            ..Options::default()
        };
        let mut diagnostics = Diagnostics::default();
        let Some(workspace) = lower(&document, &source, &options, &mut diagnostics) else {
            continue;
        };
        for name in generated_names(&workspace) {
            let mut remaining = name.value.chars().count().saturating_sub(name.limit.max);
            for (text, span) in &name.sources {
                if remaining == 0 {
                    break;
                }
                let length = text.chars().count();
                if *span == crate::source::Span::default() || length <= MIN_LENGTH {
                    continue;
                }
                let cut = remaining.min(length - MIN_LENGTH);
                remaining -= cut;
                let limit = limits.entry(text.clone()).or_insert(length);
                *limit = (*limit).min(length - cut);
            }
        }
    }
    let mut changed = false;
    for (name, limit) in limits {
        let shorter = shorten(&name, limit);
        if shorter != name {
            changed |= rename(draft, &name, &shorter);
        }
    }
    changed
}

/// `label` in at most `length` characters: whole `-`-separated words while they fit and keep at
/// least half the room, else cut mid-word.
fn shorten(label: &str, length: usize) -> String {
    if label.chars().count() <= length {
        return label.to_owned();
    }
    let mut words = String::new();
    for word in label.split('-') {
        let next = if words.is_empty() {
            word.to_owned()
        } else {
            format!("{words}-{word}")
        };
        if next.chars().count() > length {
            break;
        }
        words = next;
    }
    if words.chars().count() * 2 >= length && !words.is_empty() {
        words
    } else {
        truncate(label, length)
    }
}

/// Renames the workspace, a workload or a volume called `old` to `new` (or a free variant of it),
/// with a note; `false` when nothing has that name.
fn rename(draft: &mut Draft, old: &str, new: &str) -> bool {
    let reason =
        "so that the AWS and Kubernetes names berth generates from it stay within their limits";
    if draft.name == old {
        new.clone_into(&mut draft.name);
        draft.notes.push(format!(
            "the workspace name `{old}` is shortened to `{new}` {reason}"
        ));
        return true;
    }
    if draft.workloads.iter().any(|workload| workload.name == old) {
        let mut candidate = new.to_owned();
        let mut counter = 2;
        while draft
            .workloads
            .iter()
            .any(|workload| workload.name == candidate)
        {
            candidate = format!("{}-{counter}", truncate(new, new.len().saturating_sub(2)));
            counter += 1;
        }
        for workload in &mut draft.workloads {
            if workload.name == old {
                workload.name.clone_from(&candidate);
                workload.notes.push(format!(
                    "named `{old}` in the source; shortened to `{candidate}` {reason}"
                ));
            }
            for dependency in &mut workload.depends_on {
                if dependency == old {
                    dependency.clone_from(&candidate);
                }
            }
        }
        return true;
    }
    let mut found = false;
    for workload in &mut draft.workloads {
        let mut mounts = false;
        for (name, _) in &mut workload.volumes {
            if name == old {
                new.clone_into(name);
                mounts = true;
            }
        }
        if mounts {
            workload
                .notes
                .push(format!("volume `{old}` is shortened to `{new}` {reason}"));
        }
        found |= mounts;
    }
    found
}
