//! The real `berth` binary checks a new EKS cluster's Kubernetes version as of the day it runs:
//! the clock, or `SOURCE_DATE_EPOCH` when set.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `berth check --format json` of the eks example on the UTC day that starts at `epoch`.
fn check_on(epoch: &str) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION")
        .env("SOURCE_DATE_EPOCH", epoch)
        .args([
            "check",
            "examples/eks-new-cluster/berth.kdl",
            "--format",
            "json",
        ])
        .output()
        .expect("berth runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_version_is_checked_as_of_the_day_of_the_check() {
    // 2026-11-30: 1.35 is in standard support.
    let (code, report) = check_on("1796083199");
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains("extended-support"), "{report}");
    // 2027-04-01: standard support of 1.35 ended on 2027-03-27.
    let (code, report) = check_on("1806537600");
    assert_eq!(code, Some(0), "a warning does not fail the check: {report}");
    assert!(report.contains("berth::extended-support"), "{report}");
    assert!(report.contains("until 2028-03-27"), "{report}");
    // 2028-04-01: EKS creates no cluster with 1.35 any more.
    let (code, report) = check_on("1838160000");
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("berth::kubernetes-version"), "{report}");
}
