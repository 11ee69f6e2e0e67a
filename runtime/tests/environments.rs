//! `berth check` checks the base and every environment (each diagnostic naming the environments
//! it is in), `--env` narrows it to one, and `build` still builds one environment.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn berth() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION");
    command
}

const FIXTURE: &str = "tests/fixtures/environment-problems/berth.kdl";

/// `(code, environments)` of each diagnostic `berth check ARGS --format json` prints.
fn reported(args: &[&str]) -> Vec<(String, Vec<String>)> {
    let output = berth()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    report["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            let environments = item["environments"]
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .filter_map(|name| name.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (
                item["code"].as_str().unwrap_or_default().to_owned(),
                environments,
            )
        })
        .collect()
}

#[test]
fn check_reports_the_problems_of_every_environment_once() {
    let found = reported(&[FIXTURE]);
    let with = |code: &str, environments: &[&str]| {
        found.iter().any(|(found_code, found_environments)| {
            found_code == code && found_environments == environments
        })
    };
    assert!(with("berth::fargate-size", &["staging"]), "{found:#?}");
    assert!(with("berth::fargate-size", &["prod"]), "{found:#?}");
    assert!(with("berth::out-of-range", &["prod"]), "{found:#?}");
    assert!(
        with("berth::approximated", &["preview", "qa"]),
        "{found:#?}"
    );
    // The base's mistake is reported once, without environments, though each inherits it.
    let unknown: Vec<_> = found
        .iter()
        .filter(|(code, _)| code == "berth::unknown-variable")
        .collect();
    assert_eq!(unknown.len(), 1, "{found:#?}");
    assert!(unknown[0].1.is_empty(), "{found:#?}");

    let output = berth().args(["check", FIXTURE]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("(in environment `prod`)"), "{stderr}");
    assert!(
        stderr.contains("(checked the base and environments `staging`, `prod`, `preview`, `qa`)"),
        "{stderr}"
    );
}

#[test]
fn env_narrows_the_check_to_one_environment() {
    let found = reported(&[FIXTURE, "--env", "staging"]);
    assert!(
        found
            .iter()
            .all(|(_, environments)| environments == &["staging".to_owned()]),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|(code, _)| code == "berth::out-of-range"),
        "prod's problem reported under --env staging: {found:#?}"
    );
}

#[test]
fn build_still_builds_one_environment() {
    let directory = std::env::temp_dir().join(format!("berth-environments-{}", std::process::id()));
    fs_err::create_dir_all(&directory).expect("creatable");
    let file = directory.join("berth.kdl");
    fs_err::write(
        &file,
        "workspace \"shop\" { region \"eu-west-1\"; }\n\
         environment \"prod\" { service \"web\" { memory \"4GiB\"; }; }\n\
         service \"web\" { image \"ghcr.io/acme/web:1\"; port 8080; }\n",
    )
    .expect("write");
    berth().arg("check").arg(&file).assert().code(1);
    berth()
        .arg("build")
        .arg(&file)
        .arg("--out")
        .arg(directory.join("out"))
        .assert()
        .code(0);
    berth()
        .arg("build")
        .arg(&file)
        .args(["--env", "prod", "--out"])
        .arg(directory.join("out-prod"))
        .assert()
        .code(1);
    fs_err::remove_dir_all(&directory).expect("cleanup");
}
