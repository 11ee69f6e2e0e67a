//! A no-op `berth deploy` of a 20-service workspace makes no call that changes anything; the
//! time it takes against the emulator is printed (the target is under 2 s; a timed assertion
//! would make the test flaky on a loaded machine, so none is made).

mod support;

use std::fmt::Write as _;

use support::{Emulator, is_mutating, run};

/// A workspace of `count` public services.
fn services(count: usize) -> String {
    let mut text = String::from(
        "workspace \"fleet\" {\n    target \"fargate\"\n    region \"eu-west-1\"\n}\n",
    );
    for index in 1..=count {
        let _ = write!(
            text,
            "\nservice \"svc{index}\" {{\n    image \"ghcr.io/acme/svc{index}:1.0\"\n    port 8080 {{\n        public #true\n        path \"/svc{index}\"\n    }}\n}}\n"
        );
    }
    text
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn an_unchanged_deploy_of_twenty_services_changes_nothing() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let directory = tempfile::tempdir().expect("a scratch directory");
    std::fs::write(directory.path().join("berth.kdl"), services(20)).expect("workspace");
    let first = run(session.berth(directory.path()).arg("deploy"));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(support::aws::stacks(&session, "eu-west-1").len(), 21);

    session.start_recording();
    let started = std::time::Instant::now();
    let again = run(session.berth(directory.path()).arg("deploy"));
    let elapsed = started.elapsed();
    let calls = session.stop_recording();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("is up to date: 21 stacks unchanged"),
        "{}",
        again.stdout
    );
    let mutating: Vec<&String> = calls.iter().filter(|call| is_mutating(call)).collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    println!(
        "no-op deploy of 20 services (21 stacks): {} read calls, {:.2} s (target: under 2 s)",
        calls.len(),
        elapsed.as_secs_f64()
    );
    session.checked_log();
}
