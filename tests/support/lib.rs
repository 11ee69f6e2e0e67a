//! Shared helpers of the integration tests: paths, fixture options, plain rendering.

use std::path::{Path, PathBuf};

use berth::report::{Style, render_human, render_json};
use berth_compiler::model::Target;
use berth_compiler::{Checked, Options, check};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every directory under `relative` (sorted) that holds a `berth.kdl`.
pub fn cases(relative: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs_err::read_dir(root().join(relative))
        .expect("directory exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("berth.kdl").is_file())
        .collect();
    cases.sort();
    cases
}

/// The directory name of a case.
pub fn case_name(case: &Path) -> String {
    case.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Options read from a case's optional `args` file: `--env E`, `--target T`, `--var K=V`, `--region R`.
pub fn case_options(case: &Path) -> Options {
    let mut options = Options::default();
    let Ok(text) = fs_err::read_to_string(case.join("args")) else {
        return options;
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.chunks(2) {
        match pair {
            ["--env", value] => options.environment = Some((*value).to_owned()),
            ["--target", value] => options.target = Target::from_name(value),
            ["--region", value] => options.region = Some((*value).to_owned()),
            ["--var", value] => {
                let (key, value) = value.split_once('=').expect("--var KEY=VALUE");
                options.vars.push((key.to_owned(), value.to_owned()));
            }
            other => panic!("unknown fixture argument {other:?} in {}", case.display()),
        }
    }
    options
}

/// Checks the `berth.kdl` of a case with its options; returns the source too.
pub fn check_case(case: &Path) -> (Checked, String) {
    let source = fs_err::read_to_string(case.join("berth.kdl")).expect("fixture is readable");
    let checked = check(&source, &case_options(case));
    (checked, source)
}

/// Human rendering without colour at a fixed width, as the snapshots hold it.
pub fn human(checked: &Checked, source: &str) -> String {
    render_human(&checked.diagnostics, "berth.kdl", source, Style::plain())
}

/// The JSON report.
pub fn json(checked: &Checked, source: &str) -> String {
    render_json(&checked.diagnostics, "berth.kdl", source)
}
