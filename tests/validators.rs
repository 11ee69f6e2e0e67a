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
use berth_tests::{build_case, case_name, cloudformation_cases, root, write_artifacts};

fn tool(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("BERTH_LINT_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/berth-lint"))
        })?;
    let path = venv.join("bin").join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing; .ci/run installs it",
        path.display()
    );
    eprintln!(
        "skipping: {} is not installed (run .ci/run once)",
        path.display()
    );
    None
}

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

/// The ids listed in the docs/security.md table under `heading`.
fn documented(heading: &str) -> BTreeSet<String> {
    let text =
        fs_err::read_to_string(root().join("docs/security.md")).expect("docs/security.md exists");
    text.lines()
        .skip_while(|line| line.trim() != heading)
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_owned()))
        .collect()
}

#[test]
fn cfn_lint_reports_no_error_and_only_documented_warnings() {
    let Some(cfn_lint) = tool("cfn-lint") else {
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
    let listed = documented("## cfn-lint");
    assert_eq!(
        rules, listed,
        "cfn-lint's warnings and docs/security.md disagree; report:\n{report}"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
fn checkov_failures_are_exactly_the_documented_ones() {
    let Some(checkov) = tool("checkov") else {
        return;
    };
    let (directory, _) = written_templates(&[TemplateFormat::Json]);
    let output = Command::new(checkov)
        .args([
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
            "-d",
        ])
        .arg(&directory)
        .output()
        .expect("checkov runs");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "checkov output is not JSON ({error}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let reports = if report.is_array() {
        report.as_array().cloned().unwrap_or_default()
    } else {
        vec![report]
    };
    let failed: BTreeSet<String> = reports
        .iter()
        .flat_map(|report| {
            report["results"]["failed_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|check| check["check_id"].as_str().map(str::to_owned))
        .collect();
    let listed = documented("## checkov");
    assert_eq!(
        failed, listed,
        "checkov's failures and docs/security.md disagree"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}
