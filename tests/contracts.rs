//! Contracts between the code and what ships beside it: every code has a docs section, an
//! `explain` entry and a fixture; the docs name no unknown code; the committed schema is fresh.

use berth::commands::{DIAGNOSTICS_DOC, explanation};
use berth_compiler::Code;
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
