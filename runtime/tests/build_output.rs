//! `berth build --out`: never deletes what berth did not write, and a failed or killed build
//! leaves the previous build whole. Each test runs the real binary in a scratch directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth_compiler::manifest::{Manifest, sha256_hex};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn berth(directory: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION");
    command
}

/// A project folder: the fargate-shop example as `berth.kdl`, a source tree, a git directory and
/// a foreign `manifest.json` (as a Node or web project would have).
fn project() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path();
    fs_err::copy(
        root().join("examples/fargate-shop/berth.kdl"),
        path.join("berth.kdl"),
    )
    .expect("copy example");
    fs_err::create_dir_all(path.join("src")).expect("src");
    fs_err::write(path.join("src/main.rs"), "fn main() {}\n").expect("source file");
    fs_err::create_dir_all(path.join(".git/refs")).expect(".git");
    fs_err::write(path.join(".git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    fs_err::write(
        path.join("manifest.json"),
        "{\"name\": \"shop\", \"short_name\": \"Shop\", \"start_url\": \"/\"}\n",
    )
    .expect("web manifest");
    directory
}

/// Every file under `directory` with its sha256, by relative path.
fn snapshot(directory: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in fs_err::read_dir(&path).expect("readable") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs_err::read(&path).expect("file");
                let relative = path.strip_prefix(directory).expect("inside").to_path_buf();
                files.insert(relative, sha256_hex(&bytes));
            }
        }
    }
    files
}

/// Asserts `directory` holds exactly a complete build: a berth manifest and the files it lists,
/// each with the listed digest.
fn assert_whole_build(directory: &Path) -> Manifest {
    let text = fs_err::read_to_string(directory.join("manifest.json")).expect("manifest");
    let manifest = Manifest::from_json(&text).expect("a berth manifest");
    let mut expected: Vec<PathBuf> = manifest
        .artifacts
        .iter()
        .map(|artifact| PathBuf::from(&artifact.path))
        .chain([PathBuf::from("manifest.json")])
        .collect();
    expected.sort();
    let files = snapshot(directory);
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        expected,
        "{}",
        directory.display()
    );
    for artifact in &manifest.artifacts {
        assert_eq!(
            files[&PathBuf::from(&artifact.path)],
            artifact.sha256,
            "{}",
            artifact.path
        );
    }
    manifest
}

#[test]
fn build_out_dot_in_a_project_folder_deletes_nothing() {
    let project = project();
    let before = snapshot(project.path());
    let output = berth(project.path())
        .args(["build", "--out", "."])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refusing to replace"), "{stderr}");
    assert!(stderr.contains("not written by berth"), "{stderr}");
    assert!(stderr.contains("`.git/HEAD`"), "{stderr}");
    assert_eq!(snapshot(project.path()), before, "files changed");
    // No staging directory is left beside the project either.
    let parent = project.path().parent().expect("parent");
    let name = project.path().file_name().expect("name").to_string_lossy();
    let leftovers: Vec<_> = fs_err::read_dir(parent)
        .expect("parent readable")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.berth"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_directory_without_a_manifest_or_with_extra_files_is_refused() {
    let project = project();
    let out = project.path().join("out");
    fs_err::create_dir_all(&out).expect("out");
    fs_err::write(out.join("notes.txt"), "keep me\n").expect("notes");
    let output = berth(project.path())
        .args(["build", "--out", "out"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no berth manifest.json"), "{stderr}");
    assert!(out.join("notes.txt").is_file());

    // A real earlier build with one foreign file beside it is refused too, and kept.
    fs_err::remove_file(out.join("notes.txt")).expect("remove notes");
    let status = berth(project.path())
        .args(["build", "--out", "out"])
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    fs_err::write(out.join("notes.txt"), "keep me\n").expect("notes");
    let output = berth(project.path())
        .args(["build", "--out", "out"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`notes.txt`"), "{stderr}");
    assert!(out.join("notes.txt").is_file());
    assert!(out.join("platform.json").is_file());

    // An artifact edited by hand is not overwritten.
    fs_err::remove_file(out.join("notes.txt")).expect("remove notes");
    fs_err::write(out.join("platform.json"), "{}\n").expect("edit");
    let output = berth(project.path())
        .args(["build", "--out", "out"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`platform.json` was changed after berth wrote it"),
        "{stderr}"
    );
    assert_eq!(
        fs_err::read_to_string(out.join("platform.json")).expect("kept"),
        "{}\n"
    );
}

#[test]
fn a_previous_build_is_replaced_whole_and_records_its_source() {
    let project = project();
    let out = project.path().join("berth-out/dev");
    let status = berth(project.path())
        .args(["build", "--out", "berth-out/dev"])
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    let first = assert_whole_build(&out);
    assert_eq!(first.artifacts.len(), 5);

    // Rebuild with a changed source and options: fewer workloads, YAML templates, a variable.
    let minimal = fs_err::read_to_string(root().join("examples/minimal/berth.kdl")).expect("read");
    fs_err::write(
        project.path().join("berth.kdl"),
        format!("{minimal}\nvars {{ tag \"1.0\"; }}\n"),
    )
    .expect("write example");
    let output = berth(project.path())
        .args([
            "build",
            "--out",
            "berth-out/dev",
            "--cfn-format",
            "yaml",
            "--var",
            "tag=2",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.ends_with("into berth-out/dev\n"),
        "a rebuild names --out as given, with no arrow: {stderr}"
    );
    let second = assert_whole_build(&out);
    assert!(
        second
            .artifacts
            .iter()
            .all(|artifact| Path::new(&artifact.path).extension() == Some("yaml".as_ref()))
    );
    let source = second.source.expect("provenance");
    assert_eq!(source.file, "../../berth.kdl");
    let text = fs_err::read(project.path().join("berth.kdl")).expect("source");
    assert_eq!(source.sha256, sha256_hex(&text));
    assert_eq!(source.options.cfn_format, "yaml");
    assert_eq!(
        source.options.vars.get("tag").map(String::as_str),
        Some("2")
    );
}

#[test]
fn a_symlinked_out_stays_a_symlink() {
    let project = project();
    let real = project.path().join("builds/real");
    fs_err::create_dir_all(&real).expect("real");
    std::os::unix::fs::symlink(&real, project.path().join("current")).expect("symlink");
    for _ in 0..2 {
        let output = berth(project.path())
            .args(["build", "--out", "current"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("into current (-> {})", real.display())),
            "the summary names the directory the link points to: {stderr}"
        );
    }
    let link = fs_err::symlink_metadata(project.path().join("current")).expect("link");
    assert!(link.is_symlink(), "--out was replaced by a real directory");
    assert_whole_build(&real);
}

/// Runs `berth build --out out` under a file-size limit small enough that the first large
/// template exceeds it: the kernel stops the write part-way. With `ignore_signal`, the write
/// fails with an I/O error instead of the process being killed.
fn build_with_file_size_limit(project: &Path, ignore_signal: bool) -> std::process::Output {
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    let script = format!("{trap}ulimit -f 8; exec \"$0\" build --out out");
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_berth"))
        .current_dir(project)
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION")
        .output()
        .expect("runs")
}

#[test]
fn a_build_killed_or_failing_mid_write_leaves_the_previous_build_whole() {
    let project = project();
    fs_err::copy(
        root().join("examples/minimal/berth.kdl"),
        project.path().join("berth.kdl"),
    )
    .expect("copy example");
    let status = berth(project.path())
        .args(["build", "--out", "out"])
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    let out = project.path().join("out");
    let previous = snapshot(&out);
    assert_whole_build(&out);

    // The next build is much larger than 8 KiB per file: it is stopped part-way.
    fs_err::copy(
        root().join("examples/fargate-shop/berth.kdl"),
        project.path().join("berth.kdl"),
    )
    .expect("copy example");
    let killed = build_with_file_size_limit(project.path(), false);
    assert_eq!(
        killed.status.code(),
        None,
        "the build was not killed: {killed:?}"
    );
    assert_eq!(
        snapshot(&out),
        previous,
        "a killed build changed the previous one"
    );

    let failed = build_with_file_size_limit(project.path(), true);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the previous build, if any, is untouched"),
        "{stderr}"
    );
    assert_eq!(
        snapshot(&out),
        previous,
        "a failed build changed the previous one"
    );

    // Without the limit the build completes and replaces the previous one.
    let status = berth(project.path())
        .args(["build", "--out", "out"])
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    assert_eq!(assert_whole_build(&out).artifacts.len(), 5);
}

/// `berth build` renders and writes on a second thread, in batches: every file it writes is
/// byte for byte the artifact the compiler emits in memory, with the manifest's digest, for a
/// workspace of more artifacts than several batches, on `fargate` and on `eks`.
#[test]
fn every_file_written_is_the_artifact_emitted() {
    use std::fmt::Write as _;
    let mut source = String::from(
        "workspace \"many\" {\n    region \"us-east-1\"\n    eks { namespace \"many\"; }\n}\n",
    );
    for index in 0..75 {
        let _ = write!(
            source,
            "service \"web-{index}\" {{\n    image \"ghcr.io/acme/web:1.0\"\n    port 8080\n}}\n\
             job \"report-{index}\" {{\n    image \"ghcr.io/acme/report:1.0\"\n    \
             schedule \"0 3 * * *\"\n}}\n"
        );
    }
    let directory = tempfile::tempdir().expect("temporary directory");
    fs_err::write(directory.path().join("berth.kdl"), &source).expect("written");
    for target in ["fargate", "eks"] {
        let out = directory.path().join(target);
        let output = berth(directory.path())
            .args(["build", "--target", target, "--out"])
            .arg(&out)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let manifest = assert_whole_build(&out);
        let checked = berth_compiler::check(
            &source,
            &berth_compiler::Options {
                target: berth_compiler::model::Target::from_name(target),
                ..berth_compiler::Options::default()
            },
        );
        let workspace = checked.workspace.expect("valid");
        let emitted = berth_compiler::emit(&workspace, berth_compiler::emit::TemplateFormat::Json)
            .expect("emits");
        assert!(emitted.files.len() > 100, "{target}: several batches");
        let listed: Vec<&str> = manifest
            .artifacts
            .iter()
            .map(|artifact| artifact.path.as_str())
            .collect();
        let expected: Vec<&str> = emitted
            .files
            .iter()
            .map(|file| file.path.as_str())
            .collect();
        assert_eq!(listed, expected, "{target}");
        for file in &emitted.files {
            let written = fs_err::read_to_string(out.join(&file.path)).expect("written");
            assert!(written == file.content, "{target}: {} differs", file.path);
        }
    }
}
