//! The tools AWS users trust, on every emitted template (JSON and YAML): `cfn-lint` reports no
//! error, and every warning it or `checkov` still reports is allowed, with its reason, in
//! docs/security.md (checkov per check and resource) — and everything allowed there still
//! occurs (the list stays true). Each tool first proves it can fail: a known-bad template must
//! be flagged with the expected rule.
//!
//! The tools live in the venv `bash .ci/test` creates; without it these tests are listed as
//! ignored by a plain `cargo test` (see tests/support/tools.rs).

use std::path::{Path, PathBuf};

use berth_compiler::emit::{ArtifactKind, TemplateFormat};
use berth_tests::tools::{assert_only_allowed, cfn_lint, checkov, documented_rules};
use berth_tests::{build_case, case_name, cloudformation_cases, write_artifacts};

/// Every template of every case (not the Kubernetes manifests of `eks`), written under a fresh
/// directory; one sub-directory per build.
fn written_templates(label: &str, formats: &[TemplateFormat]) -> (PathBuf, Vec<PathBuf>) {
    let directory =
        std::env::temp_dir().join(format!("berth-validators-{label}-{}", std::process::id()));
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

/// A template with an IAM role that has no trust policy: cfn-lint must report E3003.
const ROLE_WITHOUT_TRUST_POLICY: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "TaskRole": { "Type": "AWS::IAM::Role", "Properties": { "RoleName": "no-trust-policy" } }
  }
}
"#;

/// A template with a parameter nothing uses: cfn-lint must warn W2001. It is linted last, in the
/// same run as berth's templates, so the warning proves the run reached the end of the list.
const UNUSED_PARAMETER: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": { "Unused": { "Type": "String" } },
  "Resources": { "Topic": { "Type": "AWS::SNS::Topic" } }
}
"#;

/// A template with SSH open to the internet: checkov must report CKV_AWS_24.
const SSH_FROM_ANYWHERE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "OpenSsh": {
      "Type": "AWS::EC2::SecurityGroup",
      "Properties": {
        "GroupDescription": "ssh from anywhere",
        "SecurityGroupIngress": [
          { "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0" }
        ]
      }
    }
  }
}
"#;

fn write_known_bad(directory: &Path, content: &str) -> PathBuf {
    write_control(directory, "known-bad", content)
}

/// Writes a control template `name`.json in its own sub-directory of `directory`.
fn write_control(directory: &Path, name: &str, content: &str) -> PathBuf {
    let sub = directory.join(name);
    fs_err::create_dir_all(&sub).expect("creatable");
    let path = sub.join(format!("{name}.json"));
    fs_err::write(&path, content).expect("writable");
    path
}

#[test]
#[ignore = "needs the lint venv: run `bash .ci/test`"]
fn cfn_lint_reports_no_error_and_only_documented_warnings() {
    let (directory, files) =
        written_templates("cfn-lint", &[TemplateFormat::Json, TemplateFormat::Yaml]);

    let control = cfn_lint(&[write_known_bad(&directory, ROLE_WITHOUT_TRUST_POLICY)]);
    assert!(
        control.code & 2 != 0
            && control
                .findings
                .iter()
                .any(|finding| finding.rule == "E3003"),
        "cfn-lint did not flag a role without a trust policy (E3003):\n{}",
        control.report
    );

    assert!(files.len() >= 20, "only {} templates", files.len());
    let mut files = files;
    let last = write_control(&directory, "known-warning", UNUSED_PARAMETER);
    files.push(last.clone());
    let mut run = cfn_lint(&files);
    let last = last.display().to_string();
    assert!(
        run.code & 4 != 0
            && run
                .findings
                .iter()
                .any(|finding| finding.file == last && finding.rule == "W2001"),
        "cfn-lint did not reach the last template ({last}, W2001):\n{}",
        run.report
    );
    run.findings.retain(|finding| finding.file != last);
    let errors: Vec<String> = run
        .findings
        .iter()
        .filter(|finding| finding.is_error())
        .map(|finding| format!("{}: {} {}", finding.file, finding.rule, finding.message))
        .collect();
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    assert_eq!(
        run.code & 2,
        0,
        "cfn-lint exited {}:\n{}",
        run.code,
        run.report
    );
    let rules: std::collections::BTreeSet<String> = run
        .findings
        .iter()
        .map(|finding| finding.rule.clone())
        .collect();
    assert_eq!(
        rules,
        documented_rules("## cfn-lint"),
        "cfn-lint's warnings and docs/security.md disagree; report:\n{}",
        run.report
    );
    fs_err::remove_dir_all(directory).expect("cleanup");
}

#[test]
#[ignore = "needs the lint venv: run `bash .ci/test`"]
fn checkov_findings_are_exactly_the_documented_ones() {
    let (directory, files) = written_templates("checkov", &[TemplateFormat::Json]);
    let known_bad = write_known_bad(&directory, SSH_FROM_ANYWHERE);
    let run = checkov("cloudformation", &directory);
    assert!(
        run.resources > files.len() as u64,
        "checkov checked {} resources in {} templates",
        run.resources,
        files.len()
    );
    let (control, findings): (Vec<_>, Vec<_>) = run
        .findings
        .into_iter()
        .partition(|finding| finding.resource == "AWS::EC2::SecurityGroup.OpenSsh");
    assert!(
        control.iter().any(|finding| finding.check == "CKV_AWS_24"),
        "checkov did not flag SSH open to the internet in {} (CKV_AWS_24): {control:?}",
        known_bad.display()
    );
    assert_only_allowed(&findings, "## checkov");
    fs_err::remove_dir_all(directory).expect("cleanup");
}
