//! docs/migration.md stays true on its example, fargate-shop: every line of the portability
//! report it quotes is in the example's report snapshot; the one setting it says does not map is
//! the one the report lists, and its section 4 change (a CPU target beside the request count)
//! leaves nothing that does not map; the overlay of section 6 checks clean with `--env eks` and
//! builds for eks.

use berth_compiler::Options;
use berth_compiler::emit::{ArtifactKind, TemplateFormat, emit};
use berth_compiler::model::Target;
use berth_compiler::portability::{Mapping, report};
use berth_tests::root;

fn guide() -> String {
    fs_err::read_to_string(root().join("docs/migration.md")).expect("the guide")
}

fn example() -> String {
    fs_err::read_to_string(root().join("examples/fargate-shop/berth.kdl")).expect("the example")
}

/// The body of the first fenced block of `language` after `heading`.
fn block_after(text: &str, heading: &str, language: &str) -> String {
    let section = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}`"))..];
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("a fenced block") + fence.len();
    let end = section[start..].find("```").expect("its end") + start;
    section[start..end].to_owned()
}

#[test]
fn the_quoted_report_is_the_examples() {
    let quoted = block_after(&guide(), "## 3. Read the portability report", "text");
    let snapshot =
        fs_err::read_to_string(root().join("examples/fargate-shop/snapshots/port-eks.snap"))
            .expect("the report snapshot");
    for line in quoted.lines().filter(|line| !line.trim().is_empty()) {
        assert!(
            snapshot
                .lines()
                .any(|shown| shown.trim_end() == line.trim_end()),
            "docs/migration.md quotes a line the report does not print: {line:?}"
        );
    }
}

#[test]
fn section_four_leaves_nothing_that_does_not_map() {
    let options = Options::default();
    let before = report(&example(), &options, Target::Fargate, Target::Eks).expect("valid");
    let unsupported: Vec<(String, String)> = before
        .groups
        .iter()
        .flat_map(|group| {
            group
                .settings
                .iter()
                .filter(|setting| setting.mapping == Mapping::Unsupported)
                .map(|setting| (group.name.clone(), setting.setting.clone()))
        })
        .collect();
    assert_eq!(
        unsupported,
        [("api".to_owned(), "replicas".to_owned())],
        "section 4 names `api`'s replicas as the one setting that does not map"
    );
    let change = block_after(&guide(), "## 4. Adjust what does not map", "kdl");
    let written = "    replicas min=2 max=6 {\n        requests 1000                 // requests per target on the load balancer\n    }\n";
    let source = example();
    assert!(
        source.contains(written),
        "fargate-shop's api replicas changed"
    );
    let indented = change.lines().fold(String::new(), |mut text, line| {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
        text
    });
    let adjusted = source.replace(written, &indented);
    let after = report(&adjusted, &options, Target::Fargate, Target::Eks).expect("still valid");
    assert_eq!(after.summary.unsupported, 0, "{:#?}", after.summary);
}

#[test]
fn the_side_by_side_overlay_checks_and_builds_for_eks() {
    let overlay = block_after(&guide(), "## 6. Run both side by side", "kdl");
    let source = format!("{}\n{overlay}", example());
    let options = Options {
        environment: Some("eks".to_owned()),
        ..Options::default()
    };
    let checked = berth_compiler::check(&source, &options);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let workspace = checked.workspace.expect("a valid workspace");
    assert_eq!(workspace.target.value, Target::Eks);
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("it builds");
    assert!(
        artifacts
            .files
            .iter()
            .any(|artifact| artifact.kind == ArtifactKind::Kubernetes),
        "no Kubernetes manifest in the eks build"
    );
}
