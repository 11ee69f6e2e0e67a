//! Repeated warnings: a warning or note that recurs with the same code and help (the same
//! problem on many workloads, such as each secret that becomes a Kubernetes Secret on EKS) is
//! drawn in full once and its other places listed on a line after it, as Terraform consolidates
//! similar warnings. Errors are always drawn each in full, and `--format json` lists every
//! diagnostic whole.

use std::collections::HashMap;

use berth_compiler::{Code, Diagnostic, Severity};

/// A kind of warning recurring more often than this is drawn in full only once.
pub(super) const DRAWN_IN_FULL: usize = 3;

/// How one diagnostic is drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Drawing {
    /// Drawn in full.
    Full,
    /// Drawn in full, then the places of these others of its kind (indices, in order).
    FullThenListed(Vec<usize>),
    /// Listed by place after the first of its kind.
    Listed,
}

/// What makes two diagnostics the same kind: the code, the help (their messages name
/// different workloads) and the environments they were found in.
type Kind<'a> = (Code, &'a str, &'a [String]);

/// How to draw each of `diagnostics` (in their order).
pub(super) fn plan(diagnostics: &[Diagnostic]) -> Vec<Drawing> {
    let mut kinds: HashMap<Kind<'_>, Vec<usize>> = HashMap::new();
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        if let Some(kind) = kind_of(diagnostic) {
            kinds.entry(kind).or_default().push(index);
        }
    }
    let mut drawing = vec![Drawing::Full; diagnostics.len()];
    for members in kinds.into_values() {
        if members.len() <= DRAWN_IN_FULL {
            continue;
        }
        for &index in &members[1..] {
            drawing[index] = Drawing::Listed;
        }
        drawing[members[0]] = Drawing::FullThenListed(members[1..].to_vec());
    }
    drawing
}

/// The kind of a warning or note with help and a place; errors have none.
fn kind_of(diagnostic: &Diagnostic) -> Option<Kind<'_>> {
    if diagnostic.severity() == Severity::Error || diagnostic.labels.is_empty() {
        return None;
    }
    let help = diagnostic.help.as_deref()?;
    Some((diagnostic.code, help, diagnostic.environments.as_slice()))
}

/// `  and 2 more like it, at berth.kdl:12:5, 30:5` wrapped to `width` columns: `places` are the
/// (line, column) of each listed diagnostic.
pub(super) fn listing(file: &str, places: &[(usize, usize)], width: usize) -> String {
    let mut output = format!("  and {} more like it, at {file}:", places.len());
    let mut line_width = output.chars().count();
    for (position, (line, column)) in places.iter().enumerate() {
        let comma = if position + 1 < places.len() { "," } else { "" };
        let place = format!("{line}:{column}{comma}");
        if position > 0 {
            if line_width + 1 + place.len() > width {
                output.push_str("\n   ");
                line_width = 3;
            }
            output.push(' ');
            line_width += 1;
        }
        output.push_str(&place);
        line_width += place.len();
    }
    output.push('\n');
    output
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_compiler::source::Span;

    fn warning(code: Code, help: &str, at: usize) -> Diagnostic {
        Diagnostic::new(code, format!("problem at {at}"), Span::new(at, 1), "here").with_help(help)
    }

    #[test]
    fn a_kind_recurring_more_than_three_times_is_drawn_once_and_listed() {
        let mut diagnostics: Vec<Diagnostic> = (0..5)
            .map(|at| warning(Code::Approximated, "same help", at * 10))
            .collect();
        diagnostics.insert(2, warning(Code::Approximated, "other help", 15));
        let drawing = plan(&diagnostics);
        assert_eq!(
            drawing,
            vec![
                Drawing::FullThenListed(vec![1, 3, 4, 5]),
                Drawing::Listed,
                Drawing::Full,
                Drawing::Listed,
                Drawing::Listed,
                Drawing::Listed,
            ]
        );
    }

    #[test]
    fn three_of_a_kind_errors_and_other_environments_are_drawn_in_full() {
        let mut diagnostics: Vec<Diagnostic> = (0..3)
            .map(|at| warning(Code::Approximated, "same help", at * 10))
            .collect();
        let mut elsewhere = warning(Code::Approximated, "same help", 40);
        elsewhere.environments = vec!["prod".to_owned()];
        diagnostics.push(elsewhere);
        diagnostics.extend((0..5).map(|at| warning(Code::DuplicateName, "same help", at)));
        let mut other_code = warning(Code::ConcurrentWriters, "same help", 90);
        other_code.help = None;
        diagnostics.extend(std::iter::repeat_n(other_code, 5));
        assert!(diagnostics.iter().any(|d| d.severity() == Severity::Error));
        assert!(
            plan(&diagnostics)
                .iter()
                .all(|drawing| *drawing == Drawing::Full)
        );
    }

    #[test]
    fn the_listing_wraps_at_the_width_and_ends_each_place_but_the_last_with_a_comma() {
        let places: Vec<(usize, usize)> = (1..=40).map(|line| (line * 100, 15)).collect();
        let text = listing("berth.kdl", &places, 60);
        assert!(text.starts_with("  and 40 more like it, at berth.kdl:100:15, 200:15,"));
        assert!(text.ends_with(" 4000:15\n"), "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "{line:?}");
        }
        let listed: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|word| word.ends_with(":15"))
            .collect();
        assert_eq!(listed.len(), 40);
    }
}
