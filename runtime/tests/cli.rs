//! The real `berth` binary: exit codes, rendered errors, JSON output, help texts.
//!
//! These tests live in the crate that owns the binary because only its integration tests get
//! `CARGO_BIN_EXE_berth`, the binary cargo has just built; elsewhere a test would run whatever
//! `berth` an earlier build left in the target directory (docs/testing.md).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `berth` binary cargo built for this test run, in the repository root, without colour.
fn berth() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION");
    command
}

fn stdout_of(command: &mut Command) -> String {
    String::from_utf8_lossy(&command.output().expect("runs").stdout).into_owned()
}

#[test]
fn a_valid_example_exits_zero() {
    berth()
        .args(["check", "examples/fargate-shop/berth.kdl"])
        .assert()
        .code(0);
    berth()
        .args([
            "check",
            "examples/dev-prod/berth.kdl",
            "--env",
            "prod",
            "--target",
            "eks",
        ])
        .assert()
        .code(0);
}

#[test]
fn an_invalid_file_exits_one_with_a_rendered_report() {
    let output = berth()
        .args(["check", "tests/fixtures/many-mistakes/berth.kdl"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("berth::unknown-node"), "{stderr}");
    assert!(stderr.contains("did you mean `port`?"), "{stderr}");
    assert!(
        stderr.contains("tests/fixtures/many-mistakes/berth.kdl:8:5"),
        "{stderr}"
    );
}

#[test]
fn json_output_follows_the_contract() {
    let output = berth()
        .args([
            "check",
            "tests/fixtures/many-mistakes/berth.kdl",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let first = &report["diagnostics"][0];
    for field in [
        "code", "severity", "message", "file", "line", "column", "help", "labels",
    ] {
        assert!(!first[field].is_null(), "missing `{field}` in {first}");
    }
    assert_eq!(first["file"], "tests/fixtures/many-mistakes/berth.kdl");
    assert!(first["labels"][0]["line"].as_u64().is_some());
    let valid =
        stdout_of(berth().args(["check", "examples/minimal/berth.kdl", "--format", "json"]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&valid).expect("JSON"),
        serde_json::json!({"diagnostics": []})
    );
}

#[test]
fn usage_and_io_errors_exit_two_and_say_what_is_wrong() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["check", "does/not/exist.kdl"],
            "failed to open file `does/not/exist.kdl`",
        ),
        (
            &["check", "examples/minimal/berth.kdl", "--var", "novalue"],
            "`novalue` is not KEY=VALUE",
        ),
        (
            &["check", "examples/minimal/berth.kdl", "--target", "lambda"],
            "invalid value 'lambda' for '--target <TARGET>'",
        ),
        (
            &["explain", "no-such-code"],
            "`no-such-code` is not a berth diagnostic code",
        ),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ];
    for (args, message) in cases {
        let output = berth().args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "berth {}: {stderr}",
            args.join(" ")
        );
        assert!(
            stderr.contains(message),
            "berth {}: expected `{message}` in:\n{stderr}",
            args.join(" ")
        );
        assert!(
            output.stdout.is_empty(),
            "berth {}: a usage error printed to stdout",
            args.join(" ")
        );
    }
}

#[test]
fn overrides_change_the_outcome() {
    berth()
        .args(["check", "examples/minimal/berth.kdl", "--env", "nope"])
        .assert()
        .code(1)
        .stderr(predicates_contains("berth::unknown-environment"));
    let output = berth()
        .args([
            "check",
            "tests/fixtures/unknown-variable/berth.kdl",
            "--var",
            "tga=1",
            "--var",
            "tag=1",
            "--var",
            "version=1",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|item| item["code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"berth::unknown-variable"),
        "--var did not define the variable: {codes:?}"
    );
}

#[test]
fn explain_prints_the_docs_section() {
    let text = stdout_of(berth().args(["explain", "fargate-size"]));
    assert!(text.starts_with("berth::fargate-size (error)"), "{text}");
    let list = stdout_of(berth().args(["explain", "--list"]));
    assert_eq!(
        list.lines().count(),
        berth_compiler::Code::ALL.len() + berth::deploy::error::RuntimeCode::ALL.len(),
        "every compiler and deploy code"
    );
}

#[test]
fn schema_prints_the_committed_schema() {
    let printed = stdout_of(berth().arg("schema"));
    let committed =
        fs_err::read_to_string(root().join("schema/berth.schema.json")).expect("committed");
    assert_eq!(printed, committed);
}

#[test]
fn fmt_keeps_comments_and_is_idempotent() {
    let directory = std::env::temp_dir().join(format!("berth-fmt-{}", std::process::id()));
    fs_err::create_dir_all(&directory).expect("temp dir");
    let file = directory.join("berth.kdl");
    fs_err::write(&file, "// the shop\nworkspace \"shop\"   {  region \"eu-west-1\" }\nservice \"web\" {\n image \"nginx:1\" // pinned\n      port 80 }\n").expect("write");
    let unformatted = fs_err::read(&file).expect("read");
    berth().args(["fmt", "--check"]).arg(&file).assert().code(1);
    assert_eq!(
        fs_err::read(&file).expect("read"),
        unformatted,
        "`fmt --check` changed the file"
    );
    berth().arg("fmt").arg(&file).assert().code(0);
    let formatted = fs_err::read_to_string(&file).expect("read");
    assert!(
        formatted.contains("// the shop") && formatted.contains("// pinned"),
        "{formatted}"
    );
    berth().args(["fmt", "--check"]).arg(&file).assert().code(0);
    berth().arg("check").arg(&file).assert().code(0);
    fs_err::write(&file, "service {").expect("write");
    berth()
        .arg("fmt")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates_contains("berth::syntax"));
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["build", "--help"],
        vec!["explain", "--help"],
        vec!["fmt", "--help"],
        vec!["schema", "--help"],
        vec!["init", "--help"],
        vec!["completions", "--help"],
    ] {
        let text = stdout_of(berth().args(&command));
        assert!(
            text.contains("Example"),
            "`berth {}` has no example: {text}",
            command.join(" ")
        );
    }
}

fn predicates_contains(needle: &'static str) -> predicates::str::ContainsPredicate {
    predicates::str::contains(needle)
}

#[test]
fn build_writes_the_artifacts_and_a_manifest() {
    let out = std::env::temp_dir().join(format!("berth-build-{}", std::process::id()));
    berth()
        .args(["build", "examples/fargate-shop/berth.kdl", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let artifacts = manifest["artifacts"].as_array().expect("artifacts");
    assert!(artifacts.len() >= 5, "{manifest}");
    for artifact in artifacts {
        let path = out.join(artifact["path"].as_str().expect("path"));
        assert!(path.is_file(), "{} is listed but missing", path.display());
        assert_eq!(artifact["sha256"].as_str().map(str::len), Some(64));
    }
    assert_eq!(manifest["artifacts"][0]["path"], "platform.json");
    assert_eq!(manifest["artifacts"][0]["order"], 0);

    // A rebuild with fewer workloads removes what the earlier build listed, and YAML works too.
    berth()
        .args([
            "build",
            "examples/minimal/berth.kdl",
            "--cfn-format",
            "yaml",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    assert!(out.join("platform.yaml").is_file());
    assert!(
        !out.join("platform.json").exists(),
        "a stale template from the earlier build is left"
    );
    let yaml = fs_err::read_to_string(out.join("platform.yaml")).expect("yaml");
    assert!(yaml.contains("AWSTemplateFormatVersion"), "{yaml}");
    fs_err::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn build_of_an_invalid_file_writes_nothing_and_exits_one() {
    let out = std::env::temp_dir().join(format!("berth-build-invalid-{}", std::process::id()));
    berth()
        .args(["build", "tests/fixtures/many-mistakes/berth.kdl", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates_contains("berth::unknown-node"));
    assert!(!out.exists(), "an invalid workspace wrote artifacts");
}

#[test]
fn build_for_eks_writes_manifests_with_their_substitutions() {
    let out = std::env::temp_dir().join(format!("berth-build-eks-{}", std::process::id()));
    berth()
        .args([
            "build",
            "examples/fargate-shop/berth.kdl",
            "--target",
            "eks",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(manifest["target"], "eks");
    assert!(out.join("namespace.yaml").is_file());
    assert!(
        manifest["substitutions"]
            .as_array()
            .is_some_and(|list| !list.is_empty()),
        "{manifest}"
    );
    fs_err::remove_dir_all(&out).expect("cleanup");
}

#[test]
fn import_prints_a_workspace_that_checks_clean() {
    let output = berth()
        .args([
            "import",
            "task-definition",
            "tests/fixtures/import/task-web-envoy/task-definition.json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("service \"checkout\" {"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checks clean for fargate"), "{stderr}");
}

#[test]
fn import_never_replaces_a_file_silently() {
    let directory = std::env::temp_dir().join(format!("berth-import-{}", std::process::id()));
    fs_err::create_dir_all(&directory).expect("creatable");
    let out = directory.join("berth.kdl");
    fs_err::write(&out, "// mine\n").expect("writable");
    let compose = "tests/fixtures/import/compose-web-worker-db/compose.yaml";
    let output = berth()
        .args(["import", "compose", compose, "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("never replaces a file silently"));
    assert_eq!(fs_err::read_to_string(&out).expect("readable"), "// mine\n");
    berth()
        .args(["import", "compose", compose, "--force", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let written = fs_err::read_to_string(&out).expect("readable");
    assert!(written.contains("service \"web\" {"), "{written}");
    berth().arg("check").arg(&out).assert().code(0);
    fs_err::remove_dir_all(&directory).expect("removable");
}

#[test]
fn import_refuses_input_that_is_not_a_task_definition() {
    let directory = std::env::temp_dir().join(format!("berth-import-bad-{}", std::process::id()));
    fs_err::create_dir_all(&directory).expect("creatable");
    let broken = directory.join("broken.json");
    fs_err::write(&broken, "{\n  \"family\": \"web\",\n  oops\n}\n").expect("writable");
    let output = berth()
        .args(["import", "task-definition"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not JSON") && stderr.contains("line 3"),
        "{stderr}"
    );
    fs_err::write(&broken, "{\"family\": \"web\"}").expect("writable");
    let output = berth()
        .args(["import", "task-definition"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no `containerDefinitions`"));
    let output = berth()
        .args(["import", "compose"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no `services:`"));
    fs_err::remove_dir_all(&directory).expect("removable");
}

#[test]
fn port_reports_every_setting_and_denies_lossy_moves_on_request() {
    let output = berth()
        .args([
            "port",
            "examples/fargate-shop/berth.kdl",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["from"], "fargate");
    assert_eq!(report["to"], "eks");
    assert_eq!(report["groups"][0]["name"], "web");
    assert!(
        report["summary"]["unsupported"].as_u64() >= Some(1),
        "{report:#}"
    );
    let human = berth()
        .args(["port", "examples/fargate-shop/berth.kdl"])
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&human.stdout);
    assert!(
        table.contains("replicas") && table.contains("not at all"),
        "{table}"
    );
    let denied = berth()
        .args(["port", "examples/fargate-shop/berth.kdl", "--deny-lossy"])
        .output()
        .expect("runs");
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("--deny-lossy"));
    berth()
        .args(["port", "tests/fixtures/many-mistakes/berth.kdl"])
        .assert()
        .code(1);
}
