//! What a new user runs first: `berth init` writes a starter that checks clean and never
//! overwrites a file, and `berth completions` prints scripts the shells accept.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use berth_compiler::{Options, Severity, check};

fn berth(directory: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION");
    command
}

/// A fresh, empty directory named `name` under the system temp directory.
fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir()
        .join(format!("berth-starter-{}", std::process::id()))
        .join(name);
    if directory.exists() {
        fs_err::remove_dir_all(&directory).expect("removable");
    }
    fs_err::create_dir_all(&directory).expect("creatable");
    directory
}

fn diagnostics_of(file: &Path) -> Vec<berth_compiler::Diagnostic> {
    let source = fs_err::read_to_string(file).expect("written");
    check(&source, &Options::default()).diagnostics
}

#[test]
fn init_writes_a_starter_that_checks_clean_for_every_target() {
    let directory = scratch("my-shop");
    for target in ["fargate", "ecs", "eks"] {
        let file = format!("{target}.kdl");
        berth(&directory)
            .args(["init", "--target", target, &file])
            .assert()
            .code(0);
        let diagnostics = diagnostics_of(&directory.join(&file));
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity() == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{target}: {errors:#?}");
        if target != "eks" {
            assert!(diagnostics.is_empty(), "{target}: {diagnostics:#?}");
        }
        let text = fs_err::read_to_string(directory.join(&file)).expect("written");
        assert!(text.contains("workspace \"my-shop\""), "{text}");
        assert!(text.contains(&format!("target \"{target}\"")), "{text}");
        assert!(
            text.lines().filter(|line| line.contains("//")).count() >= 8,
            "not commented: {text}"
        );
        berth(&directory).args(["check", &file]).assert().code(0);
    }
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn init_from_an_image_and_port() {
    let directory = scratch("images");
    berth(&directory)
        .args([
            "init",
            "--image",
            "docker.io/library/redis:7.4",
            "--port",
            "6379",
            "--private",
            "--region",
            "eu-west-1",
        ])
        .assert()
        .code(0);
    let text = fs_err::read_to_string(directory.join("berth.kdl")).expect("written");
    assert!(text.contains("service \"redis\""), "{text}");
    assert!(
        text.contains("image \"docker.io/library/redis:7.4\""),
        "{text}"
    );
    assert!(
        text.contains("port 6379") && !text.contains("public #true"),
        "{text}"
    );
    assert!(text.contains("region \"eu-west-1\""), "{text}");
    assert!(diagnostics_of(&directory.join("berth.kdl")).is_empty());

    // No port: a worker.
    berth(&directory)
        .args(["init", "--image", "ghcr.io/acme/mailer:1.0", "worker.kdl"])
        .assert()
        .code(0);
    let text = fs_err::read_to_string(directory.join("worker.kdl")).expect("written");
    assert!(text.contains("worker \"mailer\""), "{text}");
    assert!(diagnostics_of(&directory.join("worker.kdl")).is_empty());
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn init_never_overwrites_and_writes_nothing_invalid() {
    let directory = scratch("existing");
    let file = directory.join("berth.kdl");
    fs_err::write(&file, "my own work\n").expect("write");
    berth(&directory)
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(
        fs_err::read_to_string(&file).expect("kept"),
        "my own work\n"
    );

    berth(&directory)
        .args([
            "init",
            "--image",
            "ghcr.io/acme/Web:1",
            "--port",
            "8080",
            "bad.kdl",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("berth::invalid-value"));
    assert!(
        !directory.join("bad.kdl").exists(),
        "an invalid starter was written"
    );
    berth(&directory)
        .args(["init", "--private"])
        .assert()
        .code(2);
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn completions_complete_commands_and_flags_in_bash() {
    let directory = scratch("completions");
    let output = berth(&directory)
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let script = directory.join("berth.bash");
    fs_err::write(&script, &output.stdout).expect("write");
    // Load the script and ask it what follows `berth ch` and `berth check --for`.
    let probe = format!(
        "source {script}\n\
         COMP_WORDS=(berth ch); COMP_CWORD=1; _berth berth ch berth; echo \"${{COMPREPLY[@]}}\"\n\
         COMP_WORDS=(berth check --for); COMP_CWORD=2; _berth berth --for check; echo \"${{COMPREPLY[@]}}\"",
        script = script.display()
    );
    let completed = std::process::Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&completed.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("check"), "{text}");
    assert_eq!(lines.next(), Some("--format"), "{text}");
    fs_err::remove_dir_all(&directory).expect("cleanup");
}

#[test]
fn completions_exist_for_zsh_and_fish() {
    let directory = scratch("other-shells");
    for (shell, marker) in [("zsh", "#compdef berth"), ("fish", "complete -c berth")] {
        berth(&directory)
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicates::str::contains(marker))
            .stdout(predicates::str::contains("init"));
    }
    berth(&directory)
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
    fs_err::remove_dir_all(&directory).expect("cleanup");
}
