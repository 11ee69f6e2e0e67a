//! Diagnostics give the right advice for the mistakes people make most (issue #7, item 9), and
//! checks that do not depend on an unreadable value still run. Each case is a fixture under
//! `tests/fixtures/advice-*`; this file states what each must say.

use berth_compiler::{Code, Diagnostic};
use berth_tests::{report_case, root};

/// The diagnostics of `tests/fixtures/<case>`.
fn diagnostics(case: &str) -> Vec<Diagnostic> {
    report_case(&root().join("tests/fixtures").join(case))
        .0
        .diagnostics
}

/// The one diagnostic of `case` with `code`.
fn only(case: &str, code: Code) -> Diagnostic {
    let found: Vec<Diagnostic> = diagnostics(case)
        .into_iter()
        .filter(|diagnostic| diagnostic.code == code)
        .collect();
    assert_eq!(found.len(), 1, "{case}: {found:#?}");
    found.into_iter().next().expect("one")
}

fn help(diagnostic: &Diagnostic) -> &str {
    diagnostic.help.as_deref().unwrap_or_default()
}

#[test]
fn a_number_for_a_duration_is_told_its_unit() {
    let diagnostic = only("advice-duration-number", Code::WrongType);
    assert!(help(&diagnostic).contains("`\"15s\"`"), "{diagnostic:#?}");
}

#[test]
fn a_decimal_memory_is_told_the_whole_number_it_means() {
    let found = diagnostics("advice-memory-decimal");
    let helps: Vec<&str> = found.iter().map(help).collect();
    assert!(
        helps.contains(&"memory in MiB is a whole number: write `1024`"),
        "{helps:#?}"
    );
    assert!(
        helps.contains(&"cpu units are whole numbers: write `256`"),
        "{helps:#?}"
    );
    assert!(
        helps
            .iter()
            .any(|help| help.starts_with("write `\"1.5GiB\"`")),
        "{helps:#?}"
    );
    assert!(
        !helps.iter().any(|help| help.contains("1024GiB")),
        "{helps:#?}"
    );
}

#[test]
fn a_worker_with_an_http_check_is_told_to_use_a_command() {
    let diagnostic = only("advice-worker-http-health", Code::InvalidValue);
    assert!(
        help(&diagnostic).contains("`command \"pgrep\""),
        "{diagnostic:#?}"
    );
    assert!(
        !help(&diagnostic).contains("declare a `port`"),
        "{diagnostic:#?}"
    );
    assert!(
        diagnostics("advice-worker-http-health").len() == 1,
        "the error comes alone"
    );
}

#[test]
fn environment_in_a_service_suggests_env() {
    let diagnostic = only("advice-environment-in-service", Code::MisplacedNode);
    assert!(
        help(&diagnostic).starts_with("did you mean `env`?"),
        "{diagnostic:#?}"
    );
}

#[test]
fn a_kdl1_boolean_is_labelled_in_plain_words() {
    let diagnostic = only("advice-kdl1-boolean", Code::Syntax);
    assert_eq!(diagnostic.labels[0].message, "a bare `true` is KDL 1");
    assert_eq!(help(&diagnostic), "write `#true`");
}

#[test]
fn a_missing_brace_is_pointed_at_where_it_belongs() {
    let source =
        fs_err::read_to_string(root().join("tests/fixtures/advice-missing-brace/berth.kdl"))
            .expect("readable");
    let diagnostic = only("advice-missing-brace", Code::Syntax);
    let missing = diagnostic.labels.get(1).expect("a label where `{` belongs");
    let line = source[..missing.span.offset].lines().count();
    assert_eq!(line, 4, "{diagnostic:#?}");
    assert_eq!(help(&diagnostic), "open the block: `service \"web\" {`");
}

#[test]
fn a_bad_name_is_one_error_at_its_declaration() {
    let found = diagnostics("advice-name-repeated");
    let names: Vec<&Diagnostic> = found
        .iter()
        .filter(|diagnostic| diagnostic.code == Code::InvalidName)
        .collect();
    assert_eq!(names.len(), 1, "{found:#?}");
    assert_eq!(names[0].labels[0].message, "invalid name");
    assert_eq!(
        names[0].labels.len(),
        3,
        "the two repeats are labelled: {names:#?}"
    );
    assert_eq!(found.len(), 1, "nothing else is reported: {found:#?}");
}

#[test]
fn a_cpu_is_checked_even_when_the_memory_beside_it_is_unreadable() {
    let diagnostic = only("advice-fargate-cpu-alone", Code::FargateSize);
    assert!(diagnostic.message.contains("cpu 300"), "{diagnostic:#?}");
    only("advice-fargate-cpu-alone", Code::InvalidValue);
}
