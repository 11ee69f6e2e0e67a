//! `berth build`: validate, then write every artifact and `manifest.json` under `--out`, whole
//! or not at all (see [`crate::output`]).

use std::path::{Path, PathBuf};

use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::manifest::{BuildOptions, FILE_NAME, Provenance};

use crate::output::{relative_path, write_build};

use crate::cli::{BuildArgs, CfnFormat};
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// Checks the file; with no errors, writes the artifacts. Exit 1 when the workspace is invalid.
pub fn run(args: &BuildArgs) -> u8 {
    let super::CheckedFile {
        source,
        file,
        checked,
    } = match super::check_file(&args.workspace) {
        Ok(checked_file) => checked_file,
        Err(code) => return code,
    };
    if !checked.diagnostics.is_empty() {
        stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &source,
            Style::for_terminal(),
        ));
    }
    let Some(workspace) = checked.workspace else {
        return EXIT_INVALID;
    };
    let format = match args.cfn_format {
        CfnFormat::Json => TemplateFormat::Json,
        CfnFormat::Yaml => TemplateFormat::Yaml,
    };
    let artifacts = match emit(&workspace, format) {
        Ok(artifacts) => artifacts,
        Err(error) => {
            stdio::eprintln(&format!("error: {error}"));
            return EXIT_USAGE;
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("berth-out").join(&workspace.environment.value));
    let mut manifest = artifacts.manifest.clone();
    manifest.source = Some(Provenance::new(
        source_file_from(&args.workspace.file, &out),
        &source,
        BuildOptions::new(&super::options(&args.workspace), format.extension()),
    ));
    let written = match write_build(&out, &artifacts, &manifest.to_json()) {
        Ok(written) => written,
        Err(error) => {
            stdio::eprintln(&format!("error: {error}"));
            return EXIT_USAGE;
        }
    };
    for artifact in &artifacts.files {
        let stack = artifact
            .stack
            .as_deref()
            .map(|stack| format!("  (stack {stack})"))
            .unwrap_or_default();
        stdio::eprintln(&format!(
            "  wrote {}{stack}",
            out.join(&artifact.path).display()
        ));
    }
    stdio::eprintln(&format!("  wrote {}", out.join(FILE_NAME).display()));
    let into = if written == out {
        out.display().to_string()
    } else {
        format!("{} (-> {})", out.display(), written.display())
    };
    stdio::eprintln(&format!(
        "built {} artifacts for {} ({}) into {into}",
        artifacts.files.len(),
        workspace.name.value,
        workspace.target.value.name(),
    ));
    EXIT_OK
}

/// The workspace file as the manifest records it: relative to the build directory when both
/// paths resolve (so the pair can move together), else as given.
fn source_file_from(file: &Path, out: &Path) -> String {
    let absolute = |path: &Path| {
        std::path::absolute(path)
            .ok()
            .map(|path| path.components().collect::<PathBuf>())
    };
    let relative = fs_err::canonicalize(file)
        .ok()
        .zip(absolute(out))
        .and_then(|(file, out)| relative_path(&file, &out));
    relative
        .unwrap_or_else(|| file.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/")
}
