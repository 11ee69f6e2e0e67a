//! Every generated name against its limit, pointing at the source name that makes it too long.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::Workspace;
use crate::naming::{GeneratedName, generated_names};
use crate::source::Span;

/// Reports, for each source name, the generated name that exceeds its limit by the most.
pub fn check_names(workspace: &Workspace, diagnostics: &mut Diagnostics) {
    let mut worst: BTreeMap<Span, (usize, GeneratedName, Vec<&'static str>)> = BTreeMap::new();
    for name in generated_names(workspace) {
        let length = name.value.chars().count();
        if length <= name.limit.max {
            continue;
        }
        let Some((_, blamed)) = name
            .sources
            .iter()
            .find(|(_, span)| *span != Span::default())
        else {
            continue;
        };
        let excess = length - name.limit.max;
        let entry = worst
            .entry(*blamed)
            .or_insert_with(|| (excess, name.clone(), Vec::new()));
        if excess > entry.0 {
            let previous = entry.1.limit.what;
            entry.2.push(previous);
            entry.0 = excess;
            entry.1 = name;
        } else if entry.1.limit.what != name.limit.what && !entry.2.contains(&name.limit.what) {
            entry.2.push(name.limit.what);
        }
    }
    for (span, (excess, name, others)) in worst {
        let length = name.value.chars().count();
        let blamed = name
            .sources
            .iter()
            .find(|(_, source)| *source == span)
            .map_or("", |(text, _)| text.as_str());
        let mut diagnostic = Diagnostic::new(
            Code::NameTooLong,
            format!(
                "the {} name `{}` would have {length} characters, over the limit of {}",
                name.limit.what, name.value, name.limit.max
            ),
            span,
            format!("`{blamed}` makes it too long"),
        );
        for (text, other) in name
            .sources
            .iter()
            .filter(|(_, other)| *other != span && *other != Span::default())
        {
            diagnostic = diagnostic.with_label(*other, format!("`{text}` is part of it too"));
        }
        let blamed_length = blamed.chars().count();
        let shorten = if excess < blamed_length {
            format!(
                "shorten `{blamed}` by {excess} character{}",
                if excess == 1 { "" } else { "s" }
            )
        } else {
            format!("shorten `{blamed}` and the other names in it by {excess} characters in all")
        };
        let also = if others.is_empty() {
            String::new()
        } else {
            format!("; this also fixes the {} name", others.join(" and "))
        };
        diagnostics.push(diagnostic.with_help(format!(
            "{shorten} ({} names are `{}`){also}",
            name.limit.what, name.pattern
        )));
    }
}
