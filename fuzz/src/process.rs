//! Invariants of the `berth` binary itself: a build is byte-identical whatever the working
//! directory and the unrelated environment, and rebuilding an unchanged file changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::invariants::Failure;

/// The `berth` binary beside this executable (both are built into the same target directory),
/// or `BERTH_BIN`.
pub fn berth_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BERTH_BIN") {
        return Some(PathBuf::from(path));
    }
    let here = std::env::current_exe().ok()?;
    let directory = here.parent()?;
    [directory.join("berth"), directory.join("../berth")]
        .into_iter()
        .find(|path| path.is_file())
}

/// Environment noise that must not change a build: locale, time zone, terminal, home.
const NOISE: [&[(&str, &str)]; 2] = [
    &[
        ("LANG", "C"),
        ("TZ", "UTC"),
        ("TERM", "dumb"),
        ("COLUMNS", "40"),
        ("NO_COLOR", "1"),
    ],
    &[
        ("LANG", "de_DE.UTF-8"),
        ("LC_ALL", "tr_TR.UTF-8"),
        ("TZ", "Pacific/Chatham"),
        ("TERM", "xterm-256color"),
        ("COLUMNS", "300"),
        ("BERTH_UNRELATED", "noise"),
    ],
];

/// Builds `source` twice with the binary, from two directories with different environment
/// noise, then once more over the first build; every build must write the same bytes.
pub fn builds_are_identical(berth: &Path, source: &str, flags: &[String]) -> Result<(), Failure> {
    let scratch =
        tempfile::tempdir().map_err(|error| Failure(format!("temporary directory: {error}")))?;
    let mut outputs = Vec::new();
    for (run, noise) in NOISE.iter().enumerate() {
        let directory = scratch
            .path()
            .join(format!("run-{run}"))
            .join("nested".repeat(run));
        fs_err::create_dir_all(&directory).map_err(|error| Failure(error.to_string()))?;
        fs_err::write(directory.join("berth.kdl"), source)
            .map_err(|error| Failure(error.to_string()))?;
        outputs.push(build(berth, &directory, flags, noise)?);
    }
    let first = scratch.path().join("run-0");
    let again = build(berth, &first, flags, NOISE[1])?;
    if outputs[0] != outputs[1] {
        return Err(Failure(difference(
            "builds in two directories differ",
            &outputs[0],
            &outputs[1],
        )));
    }
    if outputs[0] != again {
        return Err(Failure(difference(
            "rebuilding an unchanged file changed it",
            &outputs[0],
            &again,
        )));
    }
    Ok(())
}

fn build(
    berth: &Path,
    directory: &Path,
    flags: &[String],
    noise: &[(&str, &str)],
) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
    let mut command = Command::new(berth);
    command
        .current_dir(directory)
        .args(["build", "berth.kdl", "--out", "out"])
        .args(flags)
        .env_clear()
        .envs(noise.iter().copied());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let output = command
        .output()
        .map_err(|error| Failure(format!("running {}: {error}", berth.display())))?;
    if !output.status.success() {
        return Err(Failure(format!(
            "berth build failed on a clean document ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let mut files = BTreeMap::new();
    read_tree(&directory.join("out"), "", &mut files)?;
    Ok(files)
}

fn read_tree(
    directory: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), Failure> {
    let entries = fs_err::read_dir(directory).map_err(|error| Failure(error.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|error| Failure(error.to_string()))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            read_tree(&entry.path(), &format!("{name}/"), files)?;
        } else {
            let bytes = fs_err::read(entry.path()).map_err(|error| Failure(error.to_string()))?;
            files.insert(name, bytes);
        }
    }
    Ok(())
}

fn difference(
    what: &str,
    left: &BTreeMap<String, Vec<u8>>,
    right: &BTreeMap<String, Vec<u8>>,
) -> String {
    let differing: Vec<&String> = left
        .keys()
        .chain(right.keys())
        .filter(|name| left.get(*name) != right.get(*name))
        .collect();
    format!("{what}: {differing:?}")
}
