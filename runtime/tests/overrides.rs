//! Nothing the command line or the shell sets replaces the file silently: the file's region
//! wins over `AWS_REGION`, `--region` replaces it with a note, a region from either is checked,
//! and a `--var` that names no variable is an error.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn berth() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command.env("NO_COLOR", "1").env_remove("AWS_REGION");
    command
}

/// A scratch directory holding `berth.kdl` with `workspace_body` inside the workspace block.
fn workspace(name: &str, workspace_body: &str) -> PathBuf {
    let directory = std::env::temp_dir()
        .join(format!("berth-overrides-{}", std::process::id()))
        .join(name);
    fs_err::create_dir_all(&directory).expect("creatable");
    fs_err::write(
        directory.join("berth.kdl"),
        format!(
            "workspace \"shop\" {{ {workspace_body} }}\n\
             vars {{ tag \"1.0\"; }}\n\
             service \"web\" {{ image \"ghcr.io/acme/web:{{{{tag}}}}\"; port 8080; }}\n"
        ),
    )
    .expect("writable");
    directory
}

/// Builds `directory/berth.kdl` with `args` and `AWS_REGION`; returns the exit code, stderr and
/// the region the manifest records.
fn build(directory: &Path, aws_region: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let out = directory.join("out");
    let mut command = berth();
    command
        .current_dir(directory)
        .args(["build", "berth.kdl", "--out", "out"])
        .args(args);
    if let Some(region) = aws_region {
        command.env("AWS_REGION", region);
    }
    let output = command.output().expect("runs");
    let region = fs_err::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|manifest| manifest["region"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        region,
    )
}

#[test]
fn the_file_region_wins_over_aws_region() {
    let directory = workspace("file-wins", "region \"eu-west-1\";");
    let (code, stderr, region) = build(&directory, Some("us-west-2"), &[]);
    assert_eq!((code, region.as_str()), (0, "eu-west-1"), "{stderr}");
    assert!(!stderr.contains("region-override"), "{stderr}");
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn aws_region_fills_in_only_when_the_file_has_none() {
    let directory = workspace("fills-in", "");
    let (code, stderr, region) = build(&directory, Some("us-west-2"), &[]);
    assert_eq!((code, region.as_str()), (0, "us-west-2"), "{stderr}");
    fs_err::remove_dir_all(&directory).expect("cleanup");
    let directory = workspace("invalid-aws-region", "");
    let (code, stderr, _) = build(&directory, Some("mars north/../1"), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("(from `AWS_REGION`) is not an AWS region"),
        "{stderr}"
    );
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn region_flag_replaces_the_file_region_with_a_note_and_is_checked() {
    let directory = workspace("flag", "region \"eu-west-1\";");
    let (code, stderr, region) = build(&directory, Some("us-west-2"), &["--region", "us-east-1"]);
    assert_eq!((code, region.as_str()), (0, "us-east-1"), "{stderr}");
    assert!(stderr.contains("berth::region-override"), "{stderr}");
    assert!(stderr.contains("1 note"), "{stderr}");
    let (code, stderr, _) = build(&directory, None, &["--region", "mars north/../1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("(from `--region`) is not an AWS region"),
        "{stderr}"
    );
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn a_var_that_names_no_variable_is_an_error() {
    let directory = workspace("var", "region \"eu-west-1\";");
    let (code, stderr, _) = build(&directory, None, &["--var", "tga=2.0"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("did you mean `--var tag=…`?"), "{stderr}");
    let (code, stderr, _) = build(&directory, None, &["--var", "tag=2.0"]);
    assert_eq!(code, 0, "{stderr}");
    fs_err::remove_dir_all(&directory).expect("cleanup");
}
