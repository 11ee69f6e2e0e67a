//! Fixture cases: `tests/fixtures/<case>/berth.kdl` (with an optional `args` file) checked as
//! `berth check` does (the base and every environment, unless `args` selects one) and
//! snapshotted as the human rendering and the JSON report. A case named after a code must
//! produce that code.

use berth_compiler::Code;
use berth_tests::{case_name, cases, human, json, report_case};

#[test]
fn every_fixture_matches_its_snapshots() {
    for case in cases("tests/fixtures") {
        let (checked, source) = report_case(&case);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&case);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!("human", human(&checked, &source));
            insta::assert_snapshot!("json", json(&checked, &source));
        });
    }
}

#[test]
fn a_case_named_after_a_code_reports_that_code() {
    for case in cases("tests/fixtures") {
        let name = case_name(&case);
        let Some(code) = Code::from_name(&name) else {
            continue;
        };
        let (checked, _) = report_case(&case);
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == code),
            "fixture {name} does not report {code}: {:#?}",
            checked.diagnostics
        );
    }
}

#[test]
fn every_code_has_a_fixture() {
    let names: Vec<String> = cases("tests/fixtures")
        .iter()
        .map(|case| case_name(case))
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|code| code.name())
        .filter(|name| !names.iter().any(|case| case == name))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture under tests/fixtures/<code>/: {missing:?}"
    );
}

#[test]
fn one_file_with_many_mistakes_reports_them_all_with_positions() {
    let case = berth_tests::root().join("tests/fixtures/many-mistakes");
    let (checked, source) = report_case(&case);
    let report: serde_json::Value =
        serde_json::from_str(&json(&checked, &source)).expect("valid JSON");
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            (
                item["code"].as_str().unwrap_or_default().to_owned(),
                item["line"].as_u64().unwrap_or_default(),
                item["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("berth::unknown-variable", 7, 29),
        ("berth::unknown-node", 8, 5),
        ("berth::fargate-size", 10, 12),
        ("berth::unknown-dependency", 11, 22),
        ("berth::misplaced-node", 12, 5),
        ("berth::health-check-range", 13, 40),
        ("berth::invalid-secret-ref", 14, 23),
        ("berth::port-conflict", 20, 10),
        ("berth::dependency-cycle", 21, 16),
        ("berth::invalid-name", 24, 5),
        ("berth::invalid-cron", 26, 15),
    ];
    for (code, line, column) in expected {
        assert!(
            found
                .iter()
                .any(|(found_code, found_line, found_column)| found_code == code
                    && *found_line == line
                    && *found_column == column),
            "expected {code} at {line}:{column}; found {found:#?}"
        );
    }
    let distinct: std::collections::BTreeSet<&str> =
        found.iter().map(|(code, _, _)| code.as_str()).collect();
    assert!(
        distinct.len() >= 8,
        "only {} distinct codes: {distinct:?}",
        distinct.len()
    );
}
