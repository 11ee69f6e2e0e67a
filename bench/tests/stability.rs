//! Stability: adding an unrelated service adds that service's artifacts and changes the
//! manifest, and nothing else; building an unchanged workspace again changes nothing.

use std::collections::BTreeMap;

use berth_bench::generate::{Shape, workspace};
use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::{Options, check};

/// Every artifact of `source` (and the manifest), by path.
fn build(source: &str) -> BTreeMap<String, String> {
    let checked = check(source, &Options::default());
    let workspace = checked.workspace.expect("the workspace is valid");
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
    artifacts
        .files
        .into_iter()
        .map(|file| (file.path, file.content))
        .chain([("manifest.json".to_owned(), artifacts.manifest.to_json())])
        .collect()
}

const EXTRA: &str = r#"
service "extra" {
    image "ghcr.io/acme/extra:1.0.0"
    port 8080
    cpu 256
    memory 512
    env { LOG_LEVEL "info"; }
    secret "DATABASE_URL" from="ssm:/gen/extra/db-url"
}
"#;

#[test]
fn an_unrelated_service_changes_only_its_own_artifacts_and_the_manifest() {
    for target in ["ecs", "fargate", "eks"] {
        let before_source = workspace(Shape::new(40, target));
        let before = build(&before_source);
        assert_eq!(
            before,
            build(&before_source),
            "{target}: a rebuild changed something"
        );
        let after = build(&format!("{before_source}{EXTRA}"));
        let changed: Vec<&String> = before
            .iter()
            .filter(|(path, content)| after.get(*path) != Some(content))
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            changed,
            ["manifest.json"],
            "{target}: adding a service changed other artifacts"
        );
        let added: Vec<&String> = after
            .keys()
            .filter(|path| !before.contains_key(*path))
            .collect();
        assert!(
            !added.is_empty(),
            "{target}: the new service has no artifact"
        );
        assert!(
            added.iter().all(|path| path.contains("extra")),
            "{target}: artifacts added besides the new service's: {added:?}"
        );
    }
}
