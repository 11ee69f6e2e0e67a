//! The build directory: written whole or not at all, and never over files berth did not write.
//!
//! A build is written to a fresh directory beside `--out` and swapped in only when complete, so
//! a failed or killed build leaves the previous one whole. An existing `--out` is replaced only
//! when it is empty or holds exactly a previous build: a berth `manifest.json` and the files it
//! lists, unchanged. Anything else is refused with the names of what is in the way. A symlinked
//! `--out` stays a symlink; the directory it points to is the one replaced.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};

use berth_compiler::emit::{Artifact, Artifacts};
use berth_compiler::manifest::{FILE_NAME, sha256_hex};

/// Why a build directory could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// `--out` holds something berth did not write; nothing was touched.
    Refused {
        /// The directory.
        directory: PathBuf,
        /// What is wrong, in a sentence.
        reason: String,
    },
    /// Reading or writing failed; the previous build, if any, is untouched.
    Io(std::io::Error),
}

impl fmt::Display for OutputError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { directory, reason } => write!(
                formatter,
                "refusing to replace `{}`: {reason}; nothing was written. Choose a new or empty \
                 directory with --out, or move those files away",
                directory.display()
            ),
            Self::Io(error) => write!(
                formatter,
                "{error}; the previous build, if any, is untouched"
            ),
        }
    }
}

impl std::error::Error for OutputError {}

impl From<std::io::Error> for OutputError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// Writes `artifacts` (with `manifest_json` as `manifest.json`, written last) as the build
/// directory `out`, replacing a previous build there. Returns the directory actually written
/// (the target of a symlinked `out`).
pub fn write_build(
    out: &Path,
    artifacts: &Artifacts,
    manifest_json: &str,
) -> Result<PathBuf, OutputError> {
    let mut staging = Staging::begin(out)?;
    for artifact in &artifacts.files {
        staging.write(artifact)?;
    }
    staging.finish(manifest_json)
}

/// A build being written: a fresh directory beside `--out`, swapped in by [`Staging::finish`].
/// Dropped unfinished, it is removed and `--out` is left as it was.
pub struct Staging {
    /// The directory the build replaces (the target of a symlinked `--out`).
    directory: PathBuf,
    /// What is there now.
    existing: Existing,
    /// The build being written.
    fresh: tempfile::TempDir,
    /// The directories made so far under `fresh`, each made once.
    made: HashSet<PathBuf>,
}

impl Staging {
    /// Checks that `out` may be replaced (missing, empty, or exactly a previous build) and
    /// makes the staging directory beside it; nothing else is touched.
    pub fn begin(out: &Path) -> Result<Self, OutputError> {
        let directory = resolve(out)?;
        let existing = inspect(&directory)?;
        let parent = directory
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        fs_err::create_dir_all(parent)?;
        let name = directory.file_name().map_or_else(
            || "build".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
        let fresh = tempfile::Builder::new()
            .prefix(&format!(".{name}.berth-new-"))
            .tempdir_in(parent)
            .map_err(|error| with_path(&error, parent))?;
        let made = HashSet::from([fresh.path().to_path_buf()]);
        Ok(Self {
            directory,
            existing,
            fresh,
            made,
        })
    }

    /// Writes `artifact` into the build, making the directory it needs once.
    pub fn write(&mut self, artifact: &Artifact) -> std::io::Result<()> {
        let path = self.fresh.path().join(&artifact.path);
        if let Some(parent) = path.parent()
            && !self.made.contains(parent)
        {
            fs_err::create_dir_all(parent)?;
            self.made.insert(parent.to_path_buf());
        }
        fs_err::write(&path, &artifact.content)
    }

    /// [`Staging::write`] of a file given by path and text.
    #[cfg(test)]
    fn write_for_test(&mut self, path: &str, content: &str) -> std::io::Result<()> {
        self.write(&Artifact {
            path: path.to_owned(),
            kind: berth_compiler::emit::ArtifactKind::Cloudformation,
            stack: None,
            order: 0,
            content: content.to_owned(),
            outputs: Vec::new(),
            retained: Vec::new(),
        })
    }

    /// Writes `manifest_json` as `manifest.json`, last, and swaps the build in. Returns the
    /// directory written.
    pub fn finish(self, manifest_json: &str) -> Result<PathBuf, OutputError> {
        let Self {
            directory,
            existing,
            fresh,
            made: _,
        } = self;
        let manifest = fresh.path().join(FILE_NAME);
        fs_err::write(&manifest, manifest_json)?;
        fs_err::File::open(&manifest)?.sync_all()?;
        match existing {
            Existing::Missing => {
                let staged = fresh.keep();
                fs_err::rename(&staged, &directory)?;
            }
            Existing::Replaceable => {
                // After the exchange the fresh directory holds the previous build; dropping it
                // removes that.
                exchange(fresh.path(), &directory)?;
            }
        }
        Ok(directory)
    }
}

/// What is at the build directory now.
enum Existing {
    /// Nothing.
    Missing,
    /// An empty directory or a previous build.
    Replaceable,
}

/// The directory to write: `out` itself, or what a symlink `out` points to.
fn resolve(out: &Path) -> Result<PathBuf, OutputError> {
    let metadata = match fs_err::symlink_metadata(out) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(normalize(out));
        }
        Err(error) => return Err(error.into()),
    };
    if metadata.is_symlink() {
        let target = fs_err::canonicalize(out)?;
        if !target.is_dir() {
            return Err(refused(
                out,
                "it is a symlink to something that is not a directory",
            ));
        }
        return Ok(target);
    }
    if !metadata.is_dir() {
        return Err(refused(out, "it is a file, not a directory"));
    }
    Ok(fs_err::canonicalize(out)?)
}

/// `out` with `.` components dropped, so `berth-out/./dev` names its real parent.
fn normalize(out: &Path) -> PathBuf {
    out.components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

/// Whether the directory may be replaced: missing, empty, or exactly a previous build.
fn inspect(directory: &Path) -> Result<Existing, OutputError> {
    if !directory.exists() {
        return Ok(Existing::Missing);
    }
    let files = files_under(directory)?;
    if files.is_empty() {
        return Ok(Existing::Replaceable);
    }
    let manifest_path = directory.join(FILE_NAME);
    let listed = match fs_err::read_to_string(&manifest_path) {
        Ok(text) => listed_files(&text).ok_or_else(|| {
            refused(
                directory,
                &format!(
                    "its {FILE_NAME} was not written by berth, and it holds {}",
                    describe(&files)
                ),
            )
        })?,
        Err(_) => {
            return Err(refused(
                directory,
                &format!(
                    "it is not empty and holds no berth {FILE_NAME}: {}",
                    describe(&files)
                ),
            ));
        }
    };
    let expected: BTreeSet<String> = listed
        .iter()
        .map(|(path, _)| path.clone())
        .chain([FILE_NAME.to_owned()])
        .collect();
    let foreign: Vec<String> = files
        .iter()
        .filter(|file| !expected.contains(*file))
        .cloned()
        .collect();
    if !foreign.is_empty() {
        return Err(refused(
            directory,
            &format!(
                "besides an earlier build it holds files berth did not write: {}",
                describe(&foreign)
            ),
        ));
    }
    for (path, sha256) in &listed {
        let bytes = fs_err::read(directory.join(path))?;
        if &sha256_hex(&bytes) != sha256 {
            return Err(refused(
                directory,
                &format!("`{path}` was changed after berth wrote it"),
            ));
        }
    }
    Ok(Existing::Replaceable)
}

/// The `(path, sha256)` of every artifact a berth manifest lists (any format version), or
/// `None` when `text` is not a berth manifest or lists an unsafe path.
fn listed_files(text: &str) -> Option<Vec<(String, String)>> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("berth")?.as_u64()?;
    value
        .get("artifacts")?
        .as_array()?
        .iter()
        .map(|artifact| {
            let path = artifact.get("path")?.as_str()?;
            let safe = Path::new(path)
                .components()
                .all(|component| matches!(component, Component::Normal(_)));
            let sha256 = artifact.get("sha256")?.as_str()?;
            safe.then(|| (path.to_owned(), sha256.to_owned()))
        })
        .collect()
}

/// Every entry under `directory` that is not a directory (files, symlinks, others), as
/// `/`-separated relative paths, sorted. Symlinks are never followed.
fn files_under(directory: &Path) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![(directory.to_path_buf(), String::new())];
    while let Some((path, prefix)) = pending.pop() {
        for entry in fs_err::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if entry.file_type()?.is_dir() {
                pending.push((entry.path(), relative.clone()));
                // An empty directory is something berth did not write, too.
                if fs_err::read_dir(entry.path())?.next().is_none() {
                    files.push(format!("{relative}/"));
                }
            } else {
                files.push(relative);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `a, b, c and 4 more`, each in backticks.
fn describe(files: &[String]) -> String {
    const SHOWN: usize = 5;
    let named: Vec<String> = files
        .iter()
        .take(SHOWN)
        .map(|file| format!("`{file}`"))
        .collect();
    match files.len().saturating_sub(SHOWN) {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

fn refused(directory: &Path, reason: &str) -> OutputError {
    OutputError::Refused {
        directory: directory.to_path_buf(),
        reason: reason.to_owned(),
    }
}

fn with_path(error: &std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(
        error.kind(),
        format!(
            "failed to create a directory in `{}`: {error}",
            path.display()
        ),
    )
}

/// Swaps two directories: atomically on Linux (`RENAME_EXCHANGE`), elsewhere with two renames
/// (a kill between them leaves the previous build beside `target`, never half of one).
fn exchange(staged: &Path, target: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staged, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // Some file systems cannot exchange; fall through to two renames.
            Err(error)
                if error == rustix::io::Errno::INVAL || error == rustix::io::Errno::NOSYS => {}
            Err(error) => {
                return Err(std::io::Error::new(
                    std::io::Error::from(error).kind(),
                    format!(
                        "failed to swap `{}` into `{}`: {error}",
                        staged.display(),
                        target.display()
                    ),
                ));
            }
        }
    }
    let mut aside = staged.as_os_str().to_owned();
    aside.push(".previous");
    let aside = PathBuf::from(aside);
    fs_err::rename(target, &aside)?;
    fs_err::rename(staged, target)?;
    fs_err::rename(&aside, staged)
}

/// `path` relative to `base` (both absolute or both relative to the same directory), using
/// `..` where needed; `None` when they share no root (e.g. different Windows drives).
pub fn relative_path(path: &Path, base: &Path) -> Option<PathBuf> {
    let path: Vec<Component<'_>> = path.components().collect();
    let base: Vec<Component<'_>> = base.components().collect();
    if path.first() != base.first() {
        return None;
    }
    let common = path
        .iter()
        .zip(&base)
        .take_while(|(left, right)| left == right)
        .count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &path[common..] {
        relative.push(component.as_os_str());
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative_path(Path::new("/a/b/berth.kdl"), Path::new("/a/b/berth-out/dev")),
            Some(PathBuf::from("../../berth.kdl"))
        );
        assert_eq!(
            relative_path(Path::new("/a/x/berth.kdl"), Path::new("/a/out")),
            Some(PathBuf::from("../x/berth.kdl"))
        );
        assert_eq!(
            relative_path(Path::new("/a/out/berth.kdl"), Path::new("/a/out")),
            Some(PathBuf::from("berth.kdl"))
        );
    }

    /// A build of many artifacts writes every one whole, and a second build replaces it.
    #[test]
    fn large_builds_are_written_whole() {
        use std::fmt::Write as _;
        let mut source = String::from("workspace \"many\" {\n    region \"us-east-1\"\n}\n");
        for index in 0..71 {
            let _ = write!(
                source,
                "service \"web-{index}\" {{\n    image \"ghcr.io/acme/web:1.0\"\n}}\n"
            );
        }
        let checked = berth_compiler::check(&source, &berth_compiler::Options::default());
        let workspace = checked.workspace.expect("valid");
        let artifacts =
            berth_compiler::emit(&workspace, berth_compiler::emit::TemplateFormat::Json)
                .expect("emits");
        assert!(artifacts.files.len() > 70);
        let root = tempfile::tempdir().expect("temp dir");
        let out = root.path().join("out");
        for _ in 0..2 {
            let written =
                write_build(&out, &artifacts, &artifacts.manifest.to_json()).expect("written");
            for artifact in &artifacts.files {
                let text = fs_err::read_to_string(written.join(&artifact.path)).expect("file");
                assert_eq!(text, artifact.content, "{}", artifact.path);
            }
            let on_disk = files_under(&written).expect("listed");
            assert_eq!(on_disk.len(), artifacts.files.len() + 1, "nothing else");
        }
    }

    /// A build abandoned part-way (emit failed, or the writer did) leaves the previous build
    /// exactly as it was and nothing of its own beside it.
    #[test]
    fn an_unfinished_build_leaves_nothing_behind() {
        let root = tempfile::tempdir().expect("temp dir");
        let out = root.path().join("out");
        let mut first = Staging::begin(&out).expect("begins");
        first
            .write_for_test("platform.json", "{}")
            .expect("written");
        first
            .finish(r#"{"berth": 2, "artifacts": [{"path": "platform.json", "sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}]}"#)
            .expect("finished");
        let before = files_under(root.path()).expect("listed");
        let mut second = Staging::begin(&out).expect("begins over a previous build");
        second
            .write_for_test("nested/service-web.json", "{\"changed\": true}")
            .expect("written");
        drop(second);
        assert_eq!(files_under(root.path()).expect("listed"), before);
        assert_eq!(
            fs_err::read_to_string(out.join("platform.json")).expect("kept"),
            "{}"
        );
    }

    #[test]
    fn descriptions_are_bounded() {
        let files: Vec<String> = (0..8).map(|index| format!("f{index}")).collect();
        assert_eq!(describe(&files), "`f0`, `f1`, `f2`, `f3`, `f4` and 3 more");
    }

    #[test]
    fn manifests_listing_unsafe_paths_are_not_berths() {
        let text = r#"{"berth": 2, "artifacts": [{"path": "../src/main.rs", "sha256": "00"}]}"#;
        assert_eq!(listed_files(text), None);
        let text = r#"{"berth": 1, "artifacts": [{"path": "platform.json", "sha256": "00"}]}"#;
        assert_eq!(
            listed_files(text),
            Some(vec![("platform.json".to_owned(), "00".to_owned())])
        );
    }
}
