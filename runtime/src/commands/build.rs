//! `berth build`: validate, then write every artifact and `manifest.json` under `--out`.

use std::path::PathBuf;

use berth_compiler::emit::{TemplateFormat, emit};

use crate::cli::{BuildArgs, CfnFormat};
use crate::report::{Style, render_human};
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
        eprint!(
            "{}",
            render_human(&checked.diagnostics, &file, &source, Style::for_terminal())
        );
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
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("berth-out").join(&workspace.environment.value));
    if let Err(error) = write_all(&out, &artifacts) {
        eprintln!("error: {error}");
        return EXIT_USAGE;
    }
    for artifact in &artifacts.files {
        let stack = artifact
            .stack
            .as_deref()
            .map(|stack| format!("  (stack {stack})"))
            .unwrap_or_default();
        eprintln!("  wrote {}{stack}", out.join(&artifact.path).display());
    }
    eprintln!("  wrote {}", out.join("manifest.json").display());
    eprintln!(
        "built {} artifacts for {} ({}) into {}",
        artifacts.files.len(),
        workspace.name.value,
        workspace.target.value.name(),
        out.display()
    );
    EXIT_OK
}

/// Writes every artifact and the manifest, replacing what an earlier build left in `out`.
fn write_all(
    out: &std::path::Path,
    artifacts: &berth_compiler::emit::Artifacts,
) -> std::io::Result<()> {
    if out.join("manifest.json").is_file() {
        fs_err::remove_dir_all(out)?;
    }
    fs_err::create_dir_all(out)?;
    for artifact in &artifacts.files {
        let path = out.join(&artifact.path);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(path, &artifact.content)?;
    }
    fs_err::write(out.join("manifest.json"), &artifacts.manifest)
}
