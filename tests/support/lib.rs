//! Shared helpers of the integration tests: paths, fixture options, plain rendering; the
//! external validators in [`tools`].

pub mod tools;

use std::path::{Path, PathBuf};

use berth::report::{Style, render_check, render_json};
use berth_compiler::model::Target;
use berth_compiler::{Checked, CheckedEnvironments, Options, check, check_environments};

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

/// Checks the `berth.kdl` of a case as `berth check` does: the base and every environment, or
/// only the environment its `args` select. Returns the source too.
pub fn report_case(case: &Path) -> (CheckedEnvironments, String) {
    let source = fs_err::read_to_string(case.join("berth.kdl")).expect("fixture is readable");
    let report = check_environments(&source, &case_options(case));
    (report, source)
}

/// Human rendering without colour at a fixed width, as the snapshots hold it.
pub fn human(report: &CheckedEnvironments, source: &str) -> String {
    render_check(report, "berth.kdl", source, Style::plain())
}

/// The JSON report.
pub fn json(report: &CheckedEnvironments, source: &str) -> String {
    render_json(&report.diagnostics, "berth.kdl", source)
}

/// The artifacts of building the `berth.kdl` in `case` for `target` (the file's own target when
/// `None`), or the diagnostics if it is invalid.
pub fn build_case(
    case: &Path,
    target: Option<Target>,
    format: berth_compiler::emit::TemplateFormat,
) -> berth_compiler::emit::Artifacts {
    let source = fs_err::read_to_string(case.join("berth.kdl")).expect("readable");
    let mut options = case_options(case);
    if target.is_some() {
        options.target = target;
    }
    let checked = check(&source, &options);
    let workspace = checked
        .workspace
        .unwrap_or_else(|| panic!("{} is invalid: {:#?}", case.display(), checked.diagnostics));
    berth_compiler::emit::emit(&workspace, format)
        .unwrap_or_else(|error| panic!("{} does not emit: {error}", case.display()))
}

/// Writes artifacts under `directory` (replacing it) and returns the written paths.
pub fn write_artifacts(
    directory: &Path,
    artifacts: &berth_compiler::emit::Artifacts,
) -> Vec<PathBuf> {
    if directory.exists() {
        fs_err::remove_dir_all(directory).expect("removable");
    }
    fs_err::create_dir_all(directory).expect("creatable");
    artifacts
        .files
        .iter()
        .map(|artifact| {
            let path = directory.join(&artifact.path);
            fs_err::write(&path, &artifact.content).expect("writable");
            path
        })
        .collect()
}

/// Every case that builds CloudFormation templates, with the target to build it for: each
/// example for every target (on `eks`, the platform and Pod Identity stacks), and each valid
/// fixture for its own target.
pub fn cloudformation_cases() -> Vec<(PathBuf, Target)> {
    let mut cases_and_targets = Vec::new();
    for example in cases("examples") {
        for target in [Target::Ecs, Target::Fargate, Target::Eks] {
            cases_and_targets.push((example.clone(), target));
        }
    }
    for fixture in cases("tests/fixtures") {
        let (checked, _) = check_case(&fixture);
        if let Some(workspace) = checked.workspace {
            cases_and_targets.push((fixture, workspace.target.value));
        }
    }
    cases_and_targets
}

/// Every directory under `tests/fixtures/import` (sorted): one input to import each.
pub fn import_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs_err::read_dir(root().join("tests/fixtures/import"))
        .expect("the import corpus exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The input file of an import case: `task-definition.json`, `ecs-cluster.json` (what `berth
/// import ecs` reads from AWS) or a Compose file.
pub fn import_input(case: &Path) -> PathBuf {
    [
        "task-definition.json",
        "ecs-cluster.json",
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
    ]
    .iter()
    .map(|name| case.join(name))
    .find(|path| path.is_file())
    .unwrap_or_else(|| {
        panic!(
            "{} has no task-definition.json or compose file",
            case.display()
        )
    })
}

/// Imports a case the way `berth import` does: the options from its optional `args` file
/// (`--profile P`, `--target T`, `--name N`, `--region R`), and for Compose its `.env` and
/// `env_file`s.
pub fn import_case(
    case: &Path,
) -> Result<berth_compiler::import::Imported, berth_compiler::import::ImportError> {
    use berth_compiler::import::{self, ComposeFiles, ImportOptions};
    let input = import_input(case);
    let text = fs_err::read_to_string(&input).expect("readable");
    let mut options = ImportOptions::default();
    if let Ok(args) = fs_err::read_to_string(case.join("args")) {
        let words: Vec<&str> = args.split_whitespace().collect();
        for pair in words.chunks(2) {
            match pair {
                ["--profile", value] => options.profiles.push((*value).to_owned()),
                ["--target", value] => options.target = Target::from_name(value),
                ["--name", value] => options.name = Some((*value).to_owned()),
                ["--region", value] => options.region = Some((*value).to_owned()),
                other => panic!("unknown import argument {other:?} in {}", case.display()),
            }
        }
    }
    let origin = format!(
        "`{}`",
        input.file_name().unwrap_or_default().to_string_lossy()
    );
    if input.ends_with("ecs-cluster.json") {
        let cluster: import::EcsCluster = serde_json::from_str(&text).expect("an EcsCluster");
        return import::ecs_services(&cluster, &options);
    }
    if input
        .extension()
        .is_some_and(|extension| extension == "json")
    {
        return import::task_definition(&text, &origin, &options);
    }
    let mut files = ComposeFiles {
        directory: Some(case_name(case)),
        dotenv: fs_err::read_to_string(case.join(".env")).ok(),
        ..ComposeFiles::default()
    };
    for path in import::compose_env_files(&text) {
        if let Ok(content) = fs_err::read_to_string(case.join(&path)) {
            files.env_files.insert(path, content);
        }
    }
    import::compose(&text, &origin, &files, &options)
}
