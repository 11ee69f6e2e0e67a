//! Every command that prints ends quietly when its reader has gone away (`berth schema | head -1`):
//! no panic, and the exit code the command would have had with its output read.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Which stream is closed before the command starts.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Stdout,
    Stderr,
}

/// Runs `berth ARGS` with one stream a pipe whose reader is already closed; returns the exit
/// code and what the other stream got.
fn run_closed(args: &[&str], closed: Closed) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION")
        .stdin(Stdio::null());
    match closed {
        Closed::Stdout => command.stdout(writer).stderr(Stdio::piped()),
        Closed::Stderr => command.stderr(writer).stdout(Stdio::piped()),
    };
    let output = command.output().expect("berth runs");
    let other = match closed {
        Closed::Stdout => output.stderr,
        Closed::Stderr => output.stdout,
    };
    (
        output.status.code(),
        String::from_utf8_lossy(&other).into_owned(),
    )
}

/// A build directory that does not exist: the deploy commands stop before reaching AWS.
const MISSING_BUILD: &str = "tests/fixtures/no-such-build";

/// Fails when `berth --help` lists a command that no case runs, so a new command that prints
/// cannot skip this test.
fn assert_every_command_is_covered(stdout_cases: &[(&[&str], i32)]) {
    let help = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--help")
        .output()
        .expect("berth runs");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .expect("--help lists the commands");
    let covered: Vec<&str> = stdout_cases
        .iter()
        .map(|(args, _)| args[0])
        .chain(STDERR_ONLY)
        .collect();
    for line in commands.lines() {
        // Command lines are indented two spaces; wrapped descriptions are indented further.
        let Some(name) = line
            .strip_prefix("  ")
            .filter(|rest| !rest.starts_with(' '))
        else {
            continue;
        };
        let name = name.split_whitespace().next().unwrap_or_default();
        assert!(
            name == "help" || covered.contains(&name),
            "`berth {name}` is not run with a closed output here: add it"
        );
    }
}

/// Commands whose output is only on standard error, run by the standard-error test.
const STDERR_ONLY: [&str; 3] = ["init", "deploy", "destroy"];

fn assert_quiet(args: &[&str], closed: Closed, expected: i32) {
    let (code, other) = run_closed(args, closed);
    assert_eq!(
        code,
        Some(expected),
        "`berth {}` with {closed:?} closed: {other}",
        args.join(" ")
    );
    assert!(
        !other.contains("panicked") && !other.contains("Broken pipe"),
        "`berth {}` with {closed:?} closed said: {other}",
        args.join(" ")
    );
}

#[test]
fn commands_that_print_to_stdout_end_quietly_when_it_is_closed() {
    let fmt_input = std::env::temp_dir().join(format!("berth-closed-{}.kdl", std::process::id()));
    fs_err::copy(root().join("examples/fargate-shop/berth.kdl"), &fmt_input).expect("copy");
    let fmt_input = fmt_input.to_string_lossy().into_owned();
    let build_out = std::env::temp_dir().join(format!("berth-closed-json-{}", std::process::id()));
    let build_out_text = build_out.to_string_lossy().into_owned();
    let cases: [(&[&str], i32); 16] = [
        (&["schema"], 0),
        (&["port", "examples/fargate-shop/berth.kdl"], 0),
        (
            &[
                "port",
                "examples/fargate-shop/berth.kdl",
                "--format",
                "json",
            ],
            0,
        ),
        // The deploy commands print a JSON error for a build they cannot use, before any AWS call.
        (&["plan", "--from", MISSING_BUILD, "--format", "json"], 2),
        (&["status", "--from", MISSING_BUILD, "--format", "json"], 2),
        (
            &[
                "build",
                "examples/minimal/berth.kdl",
                "--format",
                "json",
                "--out",
                &build_out_text,
            ],
            0,
        ),
        (
            &[
                "import",
                "task-definition",
                "tests/fixtures/import/task-minimal-nginx/task-definition.json",
                "--region",
                "us-east-1",
            ],
            0,
        ),
        (&["completions", "bash"], 0),
        (&["explain", "--list"], 0),
        (&["explain", "fargate-size"], 0),
        (
            &[
                "check",
                "examples/fargate-shop/berth.kdl",
                "--format",
                "json",
            ],
            0,
        ),
        (
            &[
                "check",
                "tests/fixtures/many-mistakes/berth.kdl",
                "--format",
                "json",
            ],
            1,
        ),
        (&["fmt", "--stdout", &fmt_input], 0),
        (&["--help"], 0),
        (&["--version"], 0),
        (&["check", "--help"], 0),
    ];
    assert_every_command_is_covered(&cases);
    for (args, expected) in cases {
        assert_quiet(args, Closed::Stdout, expected);
    }
    fs_err::remove_file(&fmt_input).expect("cleanup");
    fs_err::remove_dir_all(&build_out).expect("cleanup");
}

#[test]
fn commands_that_print_to_stderr_end_quietly_when_it_is_closed() {
    let out = std::env::temp_dir().join(format!("berth-closed-out-{}", std::process::id()));
    let out_text = out.to_string_lossy().into_owned();
    let starter = out.with_extension("kdl");
    let starter_text = starter.to_string_lossy().into_owned();
    // `init` never overwrites: a file an earlier run with this process id left would make it exit 2.
    let _ = std::fs::remove_file(&starter);
    let cases: [(&[&str], i32); 11] = [
        (&["init", &starter_text], 0),
        (&["port", "tests/fixtures/many-mistakes/berth.kdl"], 1),
        (&["plan", "--from", MISSING_BUILD], 2),
        (&["deploy", "--from", MISSING_BUILD], 2),
        (&["status", "--from", MISSING_BUILD], 2),
        (&["destroy", "--from", MISSING_BUILD, "--yes"], 2),
        (&["check", "tests/fixtures/many-mistakes/berth.kdl"], 1),
        (&["check", "examples/fargate-shop/berth.kdl"], 0),
        (
            &[
                "build",
                "examples/fargate-shop/berth.kdl",
                "--out",
                &out_text,
            ],
            0,
        ),
        (&["explain", "no-such-code"], 2),
        (&["check", "does/not/exist.kdl"], 2),
    ];
    for (args, expected) in cases {
        assert_quiet(args, Closed::Stderr, expected);
    }
    assert!(
        out.join("manifest.json").is_file(),
        "the build was not written"
    );
    fs_err::remove_dir_all(&out).expect("cleanup");
    fs_err::remove_file(&starter).expect("cleanup");
}
