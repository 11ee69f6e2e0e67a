//! `berth build`: validate, then write every artifact and `manifest.json` under `--out`, whole
//! or not at all (see [`crate::output`]). `--format json` reports on stdout instead of stderr.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::sync::mpsc;

use berth_compiler::Valid;
use berth_compiler::emit::{Artifact, Artifacts, TemplateFormat, TextFacts, emit_each};
use berth_compiler::manifest::{BuildOptions, FILE_NAME, Manifest, Provenance};
use berth_compiler::model::Workspace;

use crate::output::{OutputError, Staging, relative_path};

use berth_compiler::diagnostics::to_json;
use serde_json::json;

use crate::cli::{BuildArgs, CfnFormat, Format};
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// Checks the file; with no errors, writes the artifacts. Exit 1 when the workspace is invalid.
/// Everything after reading the file runs on one thread with room to parse it (see
/// [`berth_compiler::with_room_to_parse`]); the files are written on a second one.
pub fn run(args: &BuildArgs) -> u8 {
    let source = match super::read_source(&args.workspace.file) {
        Ok(source) => source,
        Err(code) => return code,
    };
    berth_compiler::with_room_to_parse(source.len(), || build(args, source))
}

/// [`run`] once the file is read.
fn build(args: &BuildArgs, source: String) -> u8 {
    // The parsed document is freed before emit, which reuses its memory.
    let super::CheckedFile {
        source,
        file,
        checked,
    } = super::check_source(&args.workspace, source);
    let json = args.format == Format::Json;
    if !json && !checked.diagnostics.is_empty() {
        stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &source,
            Style::for_terminal(),
        ));
    }
    let Some(workspace) = checked.workspace else {
        if json {
            let printed = print_json(&checked.diagnostics, &file, &source, None);
            return if printed == EXIT_OK {
                EXIT_INVALID
            } else {
                printed
            };
        }
        return EXIT_INVALID;
    };
    let format = match args.cfn_format {
        CfnFormat::Json => TemplateFormat::Json,
        CfnFormat::Yaml => TemplateFormat::Yaml,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("berth-out").join(&workspace.environment.value));
    let (artifacts, written) = match emit_and_write(&workspace, format, &out, |manifest| {
        manifest.source = Some(Provenance::new(
            source_file_from(&args.workspace.file, &out),
            &source,
            BuildOptions::new(&super::options(&args.workspace), format.extension()),
        ));
    }) {
        Ok(built) => built,
        Err(error) => {
            stdio::eprintln(&format!("error: {error}"));
            return EXIT_USAGE;
        }
    };
    if json {
        let built = Built {
            out: &out,
            artifacts: &artifacts.files,
        };
        return print_json(&checked.diagnostics, &file, &source, Some(&built));
    }
    // One write for every line: a thousand workloads are two thousand lines.
    let mut wrote = String::new();
    for artifact in &artifacts.files {
        let stack = artifact
            .stack
            .as_deref()
            .map(|stack| format!("  (stack {stack})"))
            .unwrap_or_default();
        let _ = writeln!(
            wrote,
            "  wrote {}{stack}",
            out.join(&artifact.path).display()
        );
    }
    let _ = writeln!(wrote, "  wrote {}", out.join(FILE_NAME).display());
    stdio::eprint(&wrote);
    // The directory written is named only when `--out` is a symlink to it (a rebuild resolves
    // an existing `--out` to its absolute path, which is the same directory).
    let into = if out.is_symlink() {
        format!("{} (-> {})", out.display(), written.display())
    } else {
        out.display().to_string()
    };
    stdio::eprintln(&format!(
        "built {} artifacts for {} ({}) into {into}",
        artifacts.files.len(),
        workspace.name.value,
        workspace.target.value.name(),
    ));
    EXIT_OK
}

/// Why a build was not written.
enum BuildError {
    /// The workspace could not be emitted.
    Emit(berth_compiler::emit::EmitError),
    /// The build directory could not be written.
    Output(OutputError),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Emit(error) => error.fmt(formatter),
            Self::Output(error) => error.fmt(formatter),
        }
    }
}

/// How many batches of built artifacts may wait for the writer: enough to keep it busy, few
/// enough that a slow disk holds back emit instead of filling memory.
const WAITING_BATCHES: usize = 2;

/// How many artifacts go to the writer at once: one wake-up of it per batch, not per file
/// (a wake-up per file cost more CPU than writing beside emit saved).
const BATCH: usize = 32;

/// Emits `workspace` and writes the build directory `out`: each batch of artifacts is hashed
/// and written on a second thread while the next is built, then `manifest.json` (after
/// `complete` has filled in what only the runtime knows) is written and the build swapped into
/// place. Nothing is written to `out` unless all of it is; `out` is checked before anything is
/// emitted. Returns the artifacts (listed without their content) and the directory written.
///
/// Everything is freed on the thread that allocated it: artifacts are rendered here, where
/// their values were built, and each written batch comes back to be freed here. glibc's
/// `malloc` serialises a thread freeing another's memory on that thread's arena lock; freeing
/// the values or the texts on the writer cost more CPU than writing beside emit saved.
fn emit_and_write(
    workspace: &Valid<Workspace>,
    format: TemplateFormat,
    out: &Path,
    complete: impl FnOnce(&mut Manifest),
) -> Result<(Artifacts, PathBuf), BuildError> {
    let staging = Staging::begin(out).map_err(BuildError::Output)?;
    let (sender, receiver) = mpsc::sync_channel::<Vec<Artifact>>(WAITING_BATCHES);
    let (give_back, written_back) = mpsc::channel::<Vec<Artifact>>();
    let (emitted, written) = std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("berth-write".into())
            .spawn_scoped(scope, move || {
                let mut staging = staging;
                let mut texts = Vec::new();
                for batch in receiver {
                    for artifact in &batch {
                        texts.push(TextFacts::of(artifact));
                        staging.write(artifact)?;
                    }
                    let _ = give_back.send(batch);
                }
                Ok::<_, std::io::Error>((staging, texts))
            })
            .map_err(|error| BuildError::Output(error.into()))?;
        // A writer that failed stops receiving; emit runs to its end and the error is reported.
        let mut batch = Vec::with_capacity(BATCH);
        let emitted = emit_each(workspace, format, &mut |artifact| {
            // Written batches are freed here, where they were allocated, as soon as they are
            // back.
            while let Ok(written) = written_back.try_recv() {
                drop(written);
            }
            batch.push(artifact);
            if batch.len() == BATCH {
                let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        let _ = sender.send(batch);
        drop(sender);
        // The writer's sender closes when it ends, after the last batch.
        for written in written_back {
            drop(written);
        }
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writing thread panicked")));
        Ok::<_, BuildError>((emitted, written))
    })?;
    let (staging, texts) = written.map_err(|error| BuildError::Output(error.into()))?;
    let mut artifacts = emitted.finish(workspace, texts).map_err(BuildError::Emit)?;
    complete(&mut artifacts.manifest);
    let written = staging
        .finish(&artifacts.manifest.to_json())
        .map_err(BuildError::Output)?;
    Ok((artifacts, written))
}

/// What a build wrote, for the JSON report.
struct Built<'a> {
    out: &'a Path,
    artifacts: &'a [berth_compiler::emit::Artifact],
}

/// Prints `{"diagnostics": […]}` (the contract `check --format json` follows) and, when the
/// build was written, `out`, `manifest` and `artifacts` (each path with its stack, if any).
fn print_json(
    diagnostics: &[berth_compiler::Diagnostic],
    file: &str,
    source: &str,
    built: Option<&Built<'_>>,
) -> u8 {
    let mut report = to_json(diagnostics, file, source);
    if let (Some(built), Some(object)) = (built, report.as_object_mut()) {
        let path = |relative: &str| built.out.join(relative).to_string_lossy().into_owned();
        object.insert("out".into(), json!(built.out.to_string_lossy()));
        object.insert("manifest".into(), json!(path(FILE_NAME)));
        let artifacts: Vec<serde_json::Value> = built
            .artifacts
            .iter()
            .map(|artifact| json!({ "path": path(&artifact.path), "stack": artifact.stack }))
            .collect();
        object.insert("artifacts".into(), json!(artifacts));
    }
    report.sort_all_objects();
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    stdio::print(&format!("{text}\n"))
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
