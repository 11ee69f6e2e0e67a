//! `berth build --target eks`: every example builds; the output is pinned by snapshots and
//! byte-identical; built-in kinds pass `kubernetes-validate --strict` for Kubernetes 1.30 and the
//! newest version it ships; the External Secrets resources match schema/external-secrets-v1;
//! checkov's findings on the manifests are exactly those docs/security.md allows, per check and
//! resource. Each tool first proves it can fail on a known-bad manifest. The tool-based tests
//! need the lint venv (`bash .ci/test`); a plain `cargo test` lists them as ignored.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use berth_compiler::emit::{ArtifactKind, Artifacts, TemplateFormat};
use berth_compiler::model::Target;
use berth_tests::tools::{assert_only_allowed, checkov, lint_tool};
use berth_tests::{build_case, case_name, cases, root, write_artifacts};

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

/// A Deployment with a misspelt field: `kubernetes-validate --strict` must refuse it.
const MISSPELT_FIELD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: known-bad
spec:
  replicass: 2
  selector:
    matchLabels: {app: known-bad}
  template:
    metadata:
      labels: {app: known-bad}
    spec:
      containers:
        - name: app
          image: nginx:1
";

/// A privileged Pod: checkov must report CKV_K8S_16.
const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: privileged
  namespace: known-bad
spec:
  containers:
    - name: app
      image: nginx:1
      securityContext:
        privileged: true
";

/// How many documents of the built-in kinds (not External Secrets) `files` hold.
fn built_in_documents(files: &[PathBuf]) -> usize {
    files
        .iter()
        .map(|file| {
            fs_err::read_to_string(file)
                .expect("readable")
                .split("\n---")
                .filter(|document| document.contains("apiVersion:"))
                .filter(|document| !document.contains("apiVersion: external-secrets.io/"))
                .count()
        })
        .sum()
}

#[test]
#[ignore = "needs the lint venv: run `bash .ci/test`"]
fn built_in_kinds_pass_kubernetes_validate_strict_on_1_30_and_the_newest() {
    let validate = lint_tool("kubernetes-validate");
    let (directory, files) = written_manifests("validate");
    let known_bad = directory.join("known-bad.yaml");
    fs_err::write(&known_bad, MISSPELT_FIELD).expect("writable");
    let control = Command::new(&validate)
        .args(["--strict", "-k", "1.37.0"])
        .arg(&known_bad)
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        !control.status.success()
            && String::from_utf8_lossy(&control.stdout).contains("'replicass' was unexpected"),
        "kubernetes-validate --strict accepted a misspelt field: {}",
        String::from_utf8_lossy(&control.stdout)
    );

    let documents = built_in_documents(&files);
    assert!(documents >= 20, "only {documents} documents to validate");
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
        let passed = report
            .lines()
            .filter(|line| line.starts_with("INFO") && line.contains(" passed for resource "))
            .count();
        assert_eq!(
            passed, documents,
            "kubernetes-validate {version} passed {passed} of {documents} documents:\n{report}"
        );
    }
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
#[ignore = "needs the lint venv: run `bash .ci/test`"]
fn external_secrets_resources_match_their_schema() {
    let python = lint_tool("python");
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
    let expected: usize = files
        .iter()
        .map(|file| {
            fs_err::read_to_string(file)
                .expect("readable")
                .matches("apiVersion: external-secrets.io/")
                .count()
        })
        .sum();
    assert!(expected > 0, "no example has an External Secrets resource");
    assert!(
        report.contains(&format!("checked {expected} custom resources, 0 problems")),
        "expected {expected} custom resources to be checked: {report}"
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
#[ignore = "needs the lint venv: run `bash .ci/test`"]
fn checkov_findings_on_manifests_are_exactly_the_documented_ones() {
    let (directory, files) = written_manifests("checkov");
    let known_bad = directory.join("known-bad");
    fs_err::create_dir_all(&known_bad).expect("creatable");
    fs_err::write(known_bad.join("known-bad.yaml"), PRIVILEGED_POD).expect("writable");
    let run = checkov("kubernetes", &directory);
    assert!(
        run.resources > files.len() as u64,
        "checkov checked {} resources in {} files",
        run.resources,
        files.len()
    );
    let (control, findings): (Vec<_>, Vec<_>) = run
        .findings
        .into_iter()
        .partition(|finding| finding.resource.starts_with("Pod.known-bad."));
    assert!(
        control.iter().any(|finding| finding.check == "CKV_K8S_16"),
        "checkov did not flag a privileged container (CKV_K8S_16): {control:?}"
    );
    assert_only_allowed(&findings, "## checkov (Kubernetes)");
    fs_err::remove_dir_all(directory).expect("cleanup");
}
