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

#[cfg(test)]
mod tests {
    use crate::diagnostics::{Code, Diagnostic};
    use crate::model::Target;

    /// The `berth::name-too-long` diagnostics of `source` on `target`.
    fn too_long(source: &str, target: Target) -> Vec<Diagnostic> {
        let options = crate::Options {
            target: Some(target),
            ..crate::Options::default()
        };
        crate::check(source, &options)
            .diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.code == Code::NameTooLong)
            .collect()
    }

    /// Each label as the source text it points at (quotes trimmed) and its message.
    fn labels<'a>(source: &'a str, diagnostic: &'a Diagnostic) -> Vec<(&'a str, &'a str)> {
        diagnostic
            .labels
            .iter()
            .map(|label| {
                let text = &source[label.span.offset..label.span.offset + label.span.len];
                (text.trim_matches('"'), label.message.as_str())
            })
            .collect()
    }

    /// A workspace `shop` (environment `default`) on ECS or Fargate with one worker.
    fn fargate(workspace: &str, worker: &str) -> String {
        format!(
            "workspace \"{workspace}\" {{\n    region \"eu-west-1\"\n}}\nworker \"{worker}\" {{\n    image \"ghcr.io/acme/w:1\"\n}}\n"
        )
    }

    #[test]
    fn a_name_of_exactly_its_limit_passes_and_one_over_is_blamed_on_the_name_that_varies() {
        // `shop-default-<worker>` is the worker's stack: 13 characters besides the worker's.
        assert!(too_long(&fargate("shop", &"n".repeat(115)), Target::Fargate).is_empty());
        let worker = "n".repeat(116);
        let source = fargate("shop", &worker);
        let found = too_long(&source, Target::Fargate);
        assert_eq!(found.len(), 1, "{found:#?}");
        let diagnostic = &found[0];
        assert_eq!(
            diagnostic.message,
            format!(
                "the CloudFormation stack name `shop-default-{worker}` would have 129 characters, over the limit of 128"
            )
        );
        let blamed = format!("`{worker}` makes it too long");
        assert_eq!(
            labels(&source, diagnostic),
            [
                (worker.as_str(), blamed.as_str()),
                ("shop", "`shop` is part of it too")
            ]
        );
        assert_eq!(
            diagnostic.help.as_deref(),
            Some(
                format!(
                    "shorten `{worker}` by 1 character (CloudFormation stack names are `<workspace>-<env>-<workload>`)"
                )
                .as_str()
            )
        );
    }

    #[test]
    fn the_help_asks_to_shorten_the_other_names_too_when_the_blamed_one_alone_cannot_fix_it() {
        // `<workspace>-default-<worker>` is 2 over the stack limit of 128 in each row.
        for (worker, help) in [
            ("www", "shorten `www` by 2 characters"),
            (
                "ww",
                "shorten `ww` and the other names in it by 2 characters in all",
            ),
            (
                "w",
                "shorten `w` and the other names in it by 2 characters in all",
            ),
        ] {
            let workspace = "s".repeat(130 - 9 - worker.len());
            let source = fargate(&workspace, worker);
            let found = too_long(&source, Target::Fargate);
            let diagnostic = found
                .iter()
                .find(|diagnostic| labels(&source, diagnostic)[0].0 == worker)
                .unwrap_or_else(|| panic!("nothing blamed on `{worker}`: {found:#?}"));
            assert_eq!(
                diagnostic.help.as_deref(),
                Some(
                    format!(
                        "{help} (CloudFormation stack names are `<workspace>-<env>-<workload>`)"
                    )
                    .as_str()
                ),
            );
        }
    }

    #[test]
    fn one_diagnostic_per_name_names_the_limit_exceeded_most_and_the_others_it_fixes() {
        // A job name of 70 characters on EKS: 7 over the label value limit (63), listed first,
        // and 18 over the CronJob limit (52); its Secret name (78) fits in 253.
        let job = "n".repeat(70);
        let source = format!(
            "workspace \"shop\" {{\n    region \"eu-west-1\"\n}}\njob \"{job}\" {{\n    image \"ghcr.io/acme/w:1\"\n    schedule \"0 3 * * *\"\n}}\n"
        );
        let found = too_long(&source, Target::Eks);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].message,
            format!(
                "the Kubernetes CronJob name `{job}` would have 70 characters, over the limit of 52"
            )
        );
        // The CronJob is named after the job alone: the workspace is not part of it.
        let blamed = format!("`{job}` makes it too long");
        assert_eq!(
            labels(&source, &found[0]),
            [(job.as_str(), blamed.as_str())]
        );
        assert_eq!(
            found[0].help.as_deref(),
            Some(
                format!(
                    "shorten `{job}` by 18 characters (Kubernetes CronJob names are `<job>`); this also fixes the Kubernetes label value name"
                )
                .as_str()
            )
        );
    }

    #[test]
    fn of_two_limits_exceeded_equally_the_first_generated_is_reported() {
        // A workspace name of 60 on an existing EKS cluster: `<workspace>-default` (68) is 5
        // over both the ALB ingress group's limit and the namespace's (63); the group is
        // generated first. The workspace name itself (60) fits the label value limit.
        let workspace = "s".repeat(60);
        let source = format!(
            "workspace \"{workspace}\" {{\n    region \"eu-west-1\"\n    eks {{ cluster \"platform\"; }}\n}}\nworker \"w\" {{\n    image \"ghcr.io/acme/w:1\"\n}}\n"
        );
        let found = too_long(&source, Target::Eks);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].message,
            format!(
                "the ALB ingress group name `{workspace}-default` would have 68 characters, over the limit of 63"
            )
        );
        assert_eq!(
            found[0].help.as_deref(),
            Some(
                format!(
                    "shorten `{workspace}` by 5 characters (ALB ingress group names are `<workspace>-<env>`); this also fixes the Kubernetes namespace name"
                )
                .as_str()
            )
        );
    }
}
