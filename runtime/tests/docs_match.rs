//! The README and the CLI section of docs/language.md describe the binary as it is: the sample
//! output is what `berth check` prints, every command is listed (and nothing that does not
//! exist), and `build` takes the flags of `check` that the README calls "the same flags".

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use berth::cli::Cli;
use clap::CommandFactory;

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

fn read(relative: &str) -> String {
    fs_err::read_to_string(root().join(relative)).expect("readable")
}

#[test]
fn the_readme_sample_output_is_what_the_binary_prints() {
    let readme = read("README.md");
    let block: Vec<&str> = readme
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a ```text block")
        .lines()
        .collect();
    let (command, shown) = block.split_first().expect("a command line");
    let arguments: Vec<&str> = command
        .strip_prefix("$ berth ")
        .expect("the block starts with `$ berth …`")
        .split_whitespace()
        .collect();
    let output = berth().args(&arguments).output().expect("runs");
    let printed = String::from_utf8_lossy(&output.stderr);
    let printed: Vec<&str> = printed.lines().collect();
    let cut = shown
        .iter()
        .position(|line| *line == "…")
        .expect("the sample elides with `…`");
    let (head, tail) = (&shown[..cut], &shown[cut + 1..]);
    assert!(
        printed.starts_with(head),
        "the README's sample does not start like the output:\n{}",
        printed.join("\n")
    );
    assert!(
        printed.ends_with(tail),
        "the README's sample does not end like the output: {:?}",
        printed.last()
    );
}

/// The `berth NAME` of each row of the first table under `heading` in `text`.
fn documented_commands(text: &str, heading: &str) -> BTreeSet<String> {
    text.lines()
        .skip_while(|line| !line.starts_with(heading))
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .flat_map(|line| line.split("`berth ").skip(1))
        .filter_map(|rest| rest.split([' ', '`']).next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_docs_list_every_command_and_only_those() {
    let commands: BTreeSet<String> = Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect();
    for (file, heading) in [
        ("README.md", "## What works today"),
        ("docs/language.md", "## 13. The CLI"),
    ] {
        let documented = documented_commands(&read(file), heading);
        assert_eq!(
            documented, commands,
            "{file} (under `{heading}`) lists other commands than the binary has"
        );
    }
}

#[test]
fn build_takes_the_flags_of_check() {
    let command = Cli::command();
    let flags = |name: &str| -> BTreeSet<String> {
        command
            .find_subcommand(name)
            .expect("a subcommand")
            .get_arguments()
            .filter_map(|argument| argument.get_long().map(str::to_owned))
            .collect()
    };
    let missing: Vec<String> = flags("check")
        .difference(&flags("build"))
        .cloned()
        .collect();
    assert!(missing.is_empty(), "build lacks {missing:?}");

    let out = std::env::temp_dir().join(format!("berth-docs-build-{}", std::process::id()));
    let output = berth()
        .args([
            "build",
            "examples/minimal/berth.kdl",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(report["out"], out.to_string_lossy().as_ref());
    assert!(Path::new(report["manifest"].as_str().expect("manifest")).is_file());
    let artifacts = report["artifacts"].as_array().expect("artifacts");
    assert!(!artifacts.is_empty());
    for artifact in artifacts {
        assert!(
            Path::new(artifact["path"].as_str().expect("path")).is_file(),
            "{artifact}"
        );
    }
    fs_err::remove_dir_all(&out).expect("cleanup");

    let output = berth()
        .args([
            "build",
            "tests/fixtures/fargate-size/berth.kdl",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["diagnostics"][0]["code"], "berth::fargate-size");
    assert!(report.get("out").is_none() && !out.exists());
}
