//! The external validators users trust (cfn-lint, checkov, kubernetes-validate), run the same
//! way by every test, and the allowlist of their findings in docs/security.md.
//!
//! The tools live in virtual environments `bash .ci/test` creates from `.ci/requirements-*.txt`
//! (`BERTH_LINT_VENV`, default `~/.cache/berth-lint`). Tests that need them are
//! `#[ignore = "needs the lint venv…"]`, so a plain `cargo test` lists them as ignored instead
//! of passing them silently; `bash .ci/test` runs them with `--include-ignored`, and then a
//! missing tool fails the test. Each runner here also proves the tool ran: a known exit code, an
//! empty stderr, and a nonzero count of what it checked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::root;

/// A validator from the lint venv (`BERTH_LINT_VENV`, default `~/.cache/berth-lint`). Panics
/// when it is missing: a test that was asked to run must not pass without its tool.
pub fn lint_tool(name: &str) -> PathBuf {
    let venv = std::env::var_os("BERTH_LINT_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/berth-lint"))
        })
        .expect("BERTH_LINT_VENV or HOME is set");
    let path = venv.join("bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `bash .ci/test`, which creates the venv from \
         .ci/requirements-lint.txt (or point BERTH_LINT_VENV at one)",
        path.display()
    );
    path
}

/// One problem cfn-lint reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfnLintFinding {
    /// The template.
    pub file: String,
    /// The rule, e.g. `E3003`.
    pub rule: String,
    /// The rest of the line: position and message.
    pub message: String,
}

impl CfnLintFinding {
    /// Whether the rule is an error (not a warning or informational).
    pub fn is_error(&self) -> bool {
        self.rule.starts_with('E')
    }
}

/// What one cfn-lint run reported.
#[derive(Debug)]
pub struct CfnLintRun {
    /// The exit code: a bit set of 2 (errors), 4 (warnings) and 8 (informational).
    pub code: i32,
    /// Every finding.
    pub findings: Vec<CfnLintFinding>,
    /// The raw report, for failure messages.
    pub report: String,
}

/// Runs cfn-lint on `files` (at least one) and asserts it ran: its exit code is a combination of
/// the finding bits (1, or anything above 15, means it crashed or was misused) and it wrote
/// nothing to stderr.
pub fn cfn_lint(files: &[PathBuf]) -> CfnLintRun {
    assert!(!files.is_empty(), "no template to lint");
    let output = Command::new(lint_tool("cfn-lint"))
        .args(["--format", "parseable"])
        .args(files)
        .output()
        .expect("cfn-lint runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        (0..=14).contains(&code) && code % 2 == 0,
        "cfn-lint did not run (exit {code}):\n{stderr}\n{report}"
    );
    assert!(
        stderr.trim().is_empty(),
        "cfn-lint wrote to stderr:\n{stderr}"
    );
    let findings = report
        .lines()
        .filter_map(|line| {
            // file:line:column:end-line:end-column:rule:message
            let parts: Vec<&str> = line.splitn(7, ':').collect();
            match parts.as_slice() {
                [file, _, _, _, _, rule, message] => Some(CfnLintFinding {
                    file: (*file).to_owned(),
                    rule: (*rule).to_owned(),
                    message: (*message).to_owned(),
                }),
                _ => None,
            }
        })
        .collect();
    CfnLintRun {
        code,
        findings,
        report,
    }
}

/// One check checkov failed, on one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckovFinding {
    /// The check, e.g. `CKV_AWS_2`.
    pub check: String,
    /// The resource, e.g. `AWS::ElasticLoadBalancingV2::Listener.HttpListener` or
    /// `Deployment.shop.web`.
    pub resource: String,
    /// The file, as checkov names it.
    pub file: String,
}

/// What one checkov run reported.
#[derive(Debug)]
pub struct CheckovRun {
    /// Every failed check.
    pub findings: Vec<CheckovFinding>,
    /// How many resources checkov checked.
    pub resources: u64,
}

/// Runs checkov's `framework` checks on `directory` and asserts it ran: JSON on stdout, nothing
/// on stderr, no file it could not parse, and at least one resource checked.
pub fn checkov(framework: &str, directory: &Path) -> CheckovRun {
    let output = Command::new(lint_tool("checkov"))
        .args([
            "--framework",
            framework,
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
            "-d",
        ])
        .arg(directory)
        .output()
        .expect("checkov runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim().is_empty(),
        "checkov wrote to stderr:\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("checkov's output is not JSON ({error})"));
    let reports = match report {
        serde_json::Value::Array(reports) => reports,
        report => vec![report],
    };
    let mut run = CheckovRun {
        findings: Vec::new(),
        resources: 0,
    };
    for report in &reports {
        let summary = &report["summary"];
        assert_eq!(
            summary["parsing_errors"].as_u64(),
            Some(0),
            "checkov could not parse some files: {summary}"
        );
        run.resources += summary["resource_count"].as_u64().unwrap_or(0);
        for check in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let text = |key: &str| check[key].as_str().unwrap_or_default().to_owned();
            run.findings.push(CheckovFinding {
                check: text("check_id"),
                resource: text("resource"),
                file: text("file_path"),
            });
        }
    }
    assert!(
        run.resources > 0,
        "checkov checked no resource in {}",
        directory.display()
    );
    run.findings.sort();
    run
}

/// The first column of the docs/security.md table under `heading` (the cfn-lint rules).
pub fn documented_rules(heading: &str) -> BTreeSet<String> {
    table_rows(heading)
        .into_iter()
        .filter_map(|cells| cells.first().map(|cell| unquote(cell)))
        .collect()
}

/// One allowed finding: a check on the resources a pattern matches (`*` matches any text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// The check id.
    pub check: String,
    /// The resources it is allowed on.
    pub resource: String,
}

impl Allowed {
    /// Whether this entry allows `finding`.
    pub fn allows(&self, finding: &CheckovFinding) -> bool {
        self.check == finding.check && glob_matches(&self.resource, &finding.resource)
    }
}

/// The (check, resource) pairs of the docs/security.md table under `heading`: each row names a
/// check and, in its second column, one or more resource patterns separated by commas.
pub fn allowlist(heading: &str) -> Vec<Allowed> {
    table_rows(heading)
        .into_iter()
        .flat_map(|cells| match cells.as_slice() {
            [check, resources, ..] => resources
                .split(',')
                .map(|resource| Allowed {
                    check: unquote(check),
                    resource: unquote(resource),
                })
                .collect::<Vec<_>>(),
            _ => panic!("docs/security.md `{heading}`: a row without a resource: {cells:?}"),
        })
        .collect()
}

/// Asserts that every finding is allowed by the docs/security.md table under `heading`, and that
/// every entry of that table still allows some finding (the list stays true).
pub fn assert_only_allowed(findings: &[CheckovFinding], heading: &str) {
    let allowed = allowlist(heading);
    assert!(!allowed.is_empty() || findings.is_empty());
    let unexplained: Vec<String> = findings
        .iter()
        .filter(|finding| !allowed.iter().any(|entry| entry.allows(finding)))
        .map(|finding| {
            format!(
                "{} on {} ({})",
                finding.check, finding.resource, finding.file
            )
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "findings not allowed in docs/security.md `{heading}`:\n{}",
        unexplained.join("\n")
    );
    let stale: Vec<String> = allowed
        .iter()
        .filter(|entry| !findings.iter().any(|finding| entry.allows(finding)))
        .map(|entry| format!("{} on {}", entry.check, entry.resource))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/security.md `{heading}` allows findings that no longer occur:\n{}",
        stale.join("\n")
    );
}

/// The cells of each row of the docs/security.md table under `heading`, up to the next heading
/// (rows whose first cell is back-quoted; the header's is not).
pub fn table_rows(heading: &str) -> Vec<Vec<String>> {
    let text =
        fs_err::read_to_string(root().join("docs/security.md")).expect("docs/security.md exists");
    assert!(
        text.lines().any(|line| line.trim() == heading),
        "docs/security.md has no `{heading}`"
    );
    text.lines()
        .skip_while(|line| line.trim() != heading)
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

/// A cell's text without its back quotes.
fn unquote(cell: &str) -> String {
    cell.trim().trim_matches('`').to_owned()
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(index) => rest = &rest[index + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_whole_texts() {
        assert!(glob_matches("Deployment.*", "Deployment.shop.web"));
        assert!(glob_matches("AWS::X.Y", "AWS::X.Y"));
        assert!(!glob_matches("AWS::X.Y", "AWS::X.YZ"));
        assert!(glob_matches("*.web", "Deployment.shop.web"));
        assert!(glob_matches("Pod.*.web.*", "Pod.shop.web.app"));
        assert!(!glob_matches("Pod.*.api.*", "Pod.shop.web.app"));
        assert!(!glob_matches("a*a", "a"));
    }
}
