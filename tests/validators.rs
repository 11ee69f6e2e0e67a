//! The tools AWS users trust: `cfn-lint` must report no error on any emitted template (JSON and
//! YAML), and every warning it or `checkov` still reports must be listed, with its reason, in
//! docs/security.md — and everything listed there must still be reported (the list stays true).
//!
//! The tools live in the venv `.ci/run` installs (`BERTH_LINT_VENV`, default
//! `~/.cache/berth-lint`). Without it these tests fail under CI and are skipped elsewhere.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use berth_compiler::emit::{ArtifactKind, TemplateFormat};
use berth_tests::{
    build_case, case_name, checkov_failures, cloudformation_cases, documented_findings, lint_tool,
    write_artifacts,
};

/// Every template of every case (not the Kubernetes manifests of `eks`), written under a fresh
/// directory; one sub-directory per build.
fn written_templates(formats: &[TemplateFormat]) -> (PathBuf, Vec<PathBuf>) {
    let directory = std::env::temp_dir().join(format!(
        "berth-validators-{}-{}",
        std::process::id(),
        formats.len()
    ));
    let mut files = Vec::new();
    for (case, target) in cloudformation_cases() {
        for format in formats {
            let mut artifacts = build_case(&case, Some(target), *format);
            artifacts
                .files
                .retain(|artifact| artifact.kind == ArtifactKind::Cloudformation);
            let sub = directory.join(format!(
                "{}-{}-{}",
                case_name(&case),
                target.name(),
                format.extension()
            ));
            files.extend(write_artifacts(&sub, &artifacts));
        }
    }
    (directory, files)
}

#[test]
fn cfn_lint_reports_no_error_and_only_documented_warnings() {
    let Some(cfn_lint) = lint_tool("cfn-lint") else {
        return;
    };
    let (directory, files) = written_templates(&[TemplateFormat::Json, TemplateFormat::Yaml]);
    let output = Command::new(cfn_lint)
        .arg("--format")
        .arg("parseable")
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let rules: BTreeSet<String> = report
        .lines()
        .filter_map(|line| line.split(':').nth(5).map(str::to_owned))
        .collect();
    let errors: Vec<&str> = report
        .lines()
        .filter(|line| {
            line.split(':')
                .nth(5)
                .is_some_and(|rule| rule.starts_with('E'))
        })
        .collect();
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    assert!(
        output.status.code().is_some_and(|code| code & 2 == 0),
        "cfn-lint failed: {report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = documented_findings("## cfn-lint");
    assert_eq!(
        rules, listed,
        "cfn-lint's warnings and docs/security.md disagree; report:\n{report}"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
fn checkov_failures_are_exactly_the_documented_ones() {
    let Some(checkov) = lint_tool("checkov") else {
        return;
    };
    let (directory, _) = written_templates(&[TemplateFormat::Json]);
    let failed = checkov_failures(&checkov, "cloudformation", &directory);
    let listed = documented_findings("## checkov");
    assert_eq!(
        failed, listed,
        "checkov's failures and docs/security.md disagree"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}
