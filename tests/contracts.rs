//! Contracts between the code and what ships beside it: every code has a docs section, an
//! `explain` entry and a fixture; the docs name no unknown code; the committed schema is fresh;
//! every planted bug in `.ci/planted/` names a test that exists and is listed in docs/testing.md.

use berth::commands::{DIAGNOSTICS_DOC, explanation};
use berth_compiler::Code;
use std::path::Path;

use berth_tests::root;

#[test]
fn every_code_has_a_docs_section_and_an_explanation() {
    for code in Code::ALL {
        let heading = format!("## {}", code.qualified());
        assert!(
            DIAGNOSTICS_DOC.lines().any(|line| line.trim() == heading),
            "docs/diagnostics.md has no section `{heading}`"
        );
        let text = explanation(*code).unwrap_or_default();
        assert!(
            text.len() > 80,
            "`berth explain {}` says too little: {text:?}",
            code.name()
        );
    }
}

#[test]
fn the_docs_describe_no_unknown_code() {
    for line in DIAGNOSTICS_DOC
        .lines()
        .filter(|line| line.starts_with("## "))
    {
        let name = line.trim_start_matches("## ").trim();
        assert!(
            Code::from_name(name).is_some(),
            "docs/diagnostics.md has a section for `{name}`, which is not a code"
        );
    }
}

#[test]
fn the_committed_schema_matches_the_compiler() {
    let expected = format!(
        "{}\n",
        serde_json::to_string_pretty(&berth_compiler::schema::to_json()).expect("serialisable")
    );
    let path = root().join("schema/berth.schema.json");
    let committed = fs_err::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("BERTH_BLESS").is_some() {
        fs_err::write(&path, &expected).expect("writable");
        return;
    }
    assert!(
        committed == expected,
        "schema/berth.schema.json is stale: run `cargo run -p berth -- schema > schema/berth.schema.json`"
    );
}

#[test]
fn the_schema_describes_every_node_of_the_language() {
    let schema = berth_compiler::schema::to_json();
    let text = schema.to_string();
    for node in [
        "workspace",
        "target",
        "region",
        "network",
        "egress",
        "cidr",
        "zones",
        "nat",
        "vpc",
        "public-subnets",
        "private-subnets",
        "ecs",
        "eks",
        "nodegroup",
        "cluster",
        "domain",
        "tags",
        "vars",
        "environment",
        "service",
        "worker",
        "job",
        "image",
        "command",
        "entrypoint",
        "port",
        "public",
        "path",
        "host",
        "cpu",
        "memory",
        "replicas",
        "health",
        "http",
        "interval",
        "grace",
        "env",
        "secret",
        "depends-on",
        "volume",
        "sidecar",
        "role",
        "allow",
        "schedule",
        "timeout",
        "retries",
    ] {
        assert!(
            text.contains(&format!("\"name\":\"{node}\"")),
            "the schema does not describe `{node}`"
        );
    }
}

/// The text of every `.rs` file under `directory`, recursively.
fn rust_sources(directory: &Path, sources: &mut String) {
    for entry in fs_err::read_dir(directory).expect("readable") {
        let path = entry.expect("readable").path();
        if path.is_dir() {
            rust_sources(&path, sources);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            sources.push_str(&fs_err::read_to_string(&path).expect("readable"));
        }
    }
}

#[test]
fn every_planted_bug_names_an_existing_test_and_is_documented() {
    let mut sources = String::new();
    for directory in ["compiler/src", "tests", "runtime/src", "runtime/tests"] {
        rust_sources(&root().join(directory), &mut sources);
    }
    let testing = fs_err::read_to_string(root().join("docs/testing.md")).expect("readable");
    let mut patches: Vec<_> = fs_err::read_dir(root().join(".ci/planted"))
        .expect("readable")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "patch")
        })
        .collect();
    patches.sort();
    assert!(patches.len() >= 6, "only {} planted bugs", patches.len());
    for patch in patches {
        let content = fs_err::read_to_string(&patch).expect("readable");
        let header = |key: &str| {
            content
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .unwrap_or_else(|| panic!("{} has no `{key}` line", patch.display()))
        };
        let _ = (header("Behaviour: "), header("Run: "));
        let test = header("Caught-by: ");
        let function = test.rsplit("::").next().unwrap_or(test);
        assert!(
            sources.contains(&format!("fn {function}()")),
            "{} names `{test}`, which no test defines",
            patch.display()
        );
        let name = patch
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("");
        assert!(
            testing.contains(&format!("| `{name}` |")),
            "docs/testing.md does not list the planted bug `{name}`"
        );
        assert!(
            content.contains("\ndiff --git a/"),
            "{} holds no diff",
            patch.display()
        );
    }
}
