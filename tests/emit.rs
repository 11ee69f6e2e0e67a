//! Emit's own rules, each named: the deploy order over `depends-on` (a chain and a diamond),
//! the manifest's placeholders (exactly one stack outputs each: none or two is an error), and no
//! two artifacts with one path or one stack — all through the real functions; only an eks build
//! has an eks section in its manifest; an emit error displays its message.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use berth_compiler::emit::{
    Artifact, ArtifactKind, TemplateFormat, TextFacts, assemble, deploy_orders, emit, emit_each,
    manifest,
};
use berth_compiler::model::Target;
use berth_compiler::validate::Valid;
use berth_compiler::{Options, check};
use berth_tests::{case_options, cloudformation_cases};

/// A fargate workspace whose services depend on each other as `edges` say (`(service, its
/// dependencies)`), every service declared in the order given.
fn workspace(edges: &[(&str, &[&str])]) -> Valid<berth_compiler::model::Workspace> {
    let mut source = String::from("workspace \"shop\" {\n    region \"eu-west-1\"\n}\n");
    for (name, dependencies) in edges {
        let _ = writeln!(
            source,
            "worker \"{name}\" {{\n    image \"ghcr.io/acme/{name}:1\""
        );
        if !dependencies.is_empty() {
            let quoted: Vec<String> = dependencies
                .iter()
                .map(|dependency| format!("\"{dependency}\""))
                .collect();
            let _ = writeln!(source, "    depends-on {}", quoted.join(" "));
        }
        source.push_str("}\n");
    }
    let checked = check(
        &source,
        &Options {
            target: Some(Target::Fargate),
            ..Options::default()
        },
    );
    checked
        .workspace
        .unwrap_or_else(|| panic!("invalid: {:#?}\n{source}", checked.diagnostics))
}

/// The order of each workload stack in the manifest `emit` writes, by workload name.
fn manifest_orders(workspace: &Valid<berth_compiler::model::Workspace>) -> BTreeMap<String, u32> {
    let artifacts = emit(workspace, TemplateFormat::Json).expect("emits");
    artifacts
        .manifest
        .stacks()
        .filter_map(|(stack, artifact)| {
            stack
                .strip_prefix("shop-default-")
                .filter(|name| *name != "platform")
                .map(|name| (name.to_owned(), artifact.order))
        })
        .collect()
}

fn orders(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
    pairs
        .iter()
        .map(|(name, order)| ((*name).to_owned(), *order))
        .collect()
}

#[test]
fn a_chain_deploys_one_step_after_another() {
    // Declared last-first, so the order cannot come from the file's order.
    let chain = workspace(&[("web", &["api"]), ("api", &["db"]), ("db", &[])]);
    let expected = orders(&[("db", 1), ("api", 2), ("web", 3)]);
    assert_eq!(deploy_orders(&chain), expected);
    assert_eq!(manifest_orders(&chain), expected);
}

#[test]
fn a_diamond_deploys_after_its_longest_branch() {
    // edge depends on the short branch (base) and on the long one (base → left → right).
    let diamond = workspace(&[
        ("edge", &["base", "right"]),
        ("right", &["left"]),
        ("left", &["base"]),
        ("base", &[]),
        ("other", &[]),
    ]);
    let expected = orders(&[
        ("base", 1),
        ("left", 2),
        ("right", 3),
        ("edge", 4),
        ("other", 1),
    ]);
    assert_eq!(deploy_orders(&diamond), expected);
    assert_eq!(manifest_orders(&diamond), expected);

    let symmetric = workspace(&[
        ("top", &["left", "right"]),
        ("left", &["base"]),
        ("right", &["base"]),
        ("base", &[]),
    ]);
    assert_eq!(
        deploy_orders(&symmetric),
        orders(&[("base", 1), ("left", 2), ("right", 2), ("top", 3)])
    );
}

#[test]
fn the_platform_stack_deploys_first() {
    let artifacts = emit(&workspace(&[("web", &[])]), TemplateFormat::Json).expect("emits");
    let (stack, first) = artifacts.manifest.stacks().next().expect("a stack");
    assert_eq!((stack, first.order), ("shop-default-platform", 0));
}

fn template(path: &str, stack: &str, outputs: &[&str]) -> Artifact {
    Artifact {
        path: path.to_owned(),
        kind: ArtifactKind::Cloudformation,
        stack: Some(stack.to_owned()),
        order: 0,
        content: "{}".to_owned(),
        outputs: outputs.iter().map(|output| (*output).to_owned()).collect(),
        retained: Vec::new(),
    }
}

fn kubernetes(path: &str, content: &str) -> Artifact {
    Artifact {
        path: path.to_owned(),
        kind: ArtifactKind::Kubernetes,
        stack: None,
        order: 1,
        content: content.to_owned(),
        outputs: Vec::new(),
        retained: Vec::new(),
    }
}

const READS_ROLE: &str = "roleArn: ${berth:WebRoleArn}\n";

#[test]
fn a_placeholder_is_filled_by_the_one_stack_that_outputs_it() {
    let workspace = workspace(&[("web", &[])]);
    let files = [
        template("platform.json", "shop-default-platform", &["FileSystemId"]),
        template("web.json", "shop-default-web", &["WebRoleArn"]),
        kubernetes("web.yaml", READS_ROLE),
    ];
    let manifest = manifest(&workspace, &files).expect("one stack outputs it");
    let [substitution] = manifest.substitutions.as_slice() else {
        panic!("expected one substitution: {:?}", manifest.substitutions);
    };
    assert_eq!(substitution.placeholder, "${berth:WebRoleArn}");
    assert_eq!(substitution.stack, "shop-default-web");
    assert_eq!(substitution.output, "WebRoleArn");
}

#[test]
fn a_placeholder_no_stack_outputs_is_an_error() {
    let workspace = workspace(&[("web", &[])]);
    let files = [
        template("platform.json", "shop-default-platform", &["FileSystemId"]),
        kubernetes("web.yaml", READS_ROLE),
    ];
    let error = manifest(&workspace, &files).expect_err("no stack outputs WebRoleArn");
    assert!(
        error.0.contains("no stack outputs `WebRoleArn`"),
        "{}",
        error.0
    );
}

#[test]
fn a_placeholder_two_stacks_output_is_ambiguous() {
    let workspace = workspace(&[("web", &[])]);
    let files = [
        template("a.json", "shop-default-a", &["WebRoleArn"]),
        template("b.json", "shop-default-b", &["WebRoleArn"]),
        kubernetes("web.yaml", READS_ROLE),
    ];
    let error = manifest(&workspace, &files).expect_err("two stacks output WebRoleArn");
    assert!(
        error.0.contains("ambiguous")
            && error.0.contains("shop-default-a")
            && error.0.contains("shop-default-b"),
        "{}",
        error.0
    );
}

#[test]
fn two_artifacts_with_one_path_are_refused() {
    let workspace = workspace(&[("web", &[])]);
    let files = vec![
        template("web.json", "shop-default-web", &[]),
        template("web.json", "shop-default-api", &[]),
    ];
    let error = assemble(&workspace, files).expect_err("one path twice");
    assert!(
        error
            .0
            .contains("two artifacts would be written to `web.json`"),
        "{}",
        error.0
    );
}

#[test]
fn two_templates_with_one_stack_are_refused() {
    let workspace = workspace(&[("web", &[])]);
    let files = vec![
        template("platform.json", "shop-default-platform", &[]),
        template("service-platform.json", "shop-default-platform", &[]),
    ];
    let error = assemble(&workspace, files).expect_err("one stack twice");
    assert!(
        error
            .0
            .contains("two templates would deploy as the stack `shop-default-platform`"),
        "{}",
        error.0
    );
}

#[test]
fn assembled_artifacts_are_in_deploy_order_then_by_path() {
    let workspace = workspace(&[("web", &[])]);
    let mut late = template("b.json", "shop-default-b", &[]);
    late.order = 2;
    let files = vec![
        late,
        template("z.json", "shop-default-z", &[]),
        template("a.json", "shop-default-a", &[]),
    ];
    let artifacts = assemble(&workspace, files).expect("distinct");
    let paths: Vec<&str> = artifacts
        .files
        .iter()
        .map(|file| file.path.as_str())
        .collect();
    assert_eq!(paths, ["a.json", "z.json", "b.json"]);
}

#[test]
fn only_an_eks_build_describes_a_cluster_in_its_manifest() {
    let fargate = emit(&workspace(&[("web", &[])]), TemplateFormat::Json).expect("emits");
    assert!(
        fargate.manifest.eks.is_none(),
        "a fargate manifest has an eks section: {:?}",
        fargate.manifest.eks
    );
    let source = "workspace \"shop\" {\n    region \"eu-west-1\"\n    eks { namespace \"shop\"; }\n}\nworker \"web\" {\n    image \"ghcr.io/acme/web:1\"\n}\n";
    let checked = check(
        source,
        &Options {
            target: Some(Target::Eks),
            ..Options::default()
        },
    );
    let eks = checked
        .workspace
        .unwrap_or_else(|| panic!("invalid: {:#?}", checked.diagnostics));
    let artifacts = emit(&eks, TemplateFormat::Json).expect("emits");
    assert!(
        artifacts.manifest.eks.is_some(),
        "an eks manifest has no eks section"
    );
}

#[test]
fn an_emit_error_displays_its_message() {
    let error = berth_compiler::emit::EmitError("two artifacts would be written to `a`".into());
    assert_eq!(error.to_string(), "two artifacts would be written to `a`");
}

/// `berth build` writes each artifact as it is built (`emit_each`): what it hands on is exactly
/// what `emit` builds, file for file and byte for byte, and the manifest is the same, for every
/// example on every target and every valid fixture, in both template formats.
#[test]
fn artifacts_handed_on_one_by_one_are_what_emit_builds() {
    for (case, target) in cloudformation_cases() {
        let source = fs_err::read_to_string(case.join("berth.kdl")).expect("readable");
        let options = Options {
            target: Some(target),
            ..case_options(&case)
        };
        let checked = check(&source, &options);
        let workspace = checked.workspace.expect("valid");
        for format in [TemplateFormat::Json, TemplateFormat::Yaml] {
            let whole = emit(&workspace, format).expect("emits");
            let mut handed_on = Vec::new();
            let emitted = emit_each(&workspace, format, &mut |artifact| handed_on.push(artifact));
            let texts = handed_on.iter().map(TextFacts::of).collect();
            let listed = emitted.finish(&workspace, texts).expect("emits one by one");
            let name = format!("{} ({target:?}, {format:?})", case.display());
            assert_eq!(listed.manifest, whole.manifest, "{name}");
            assert!(
                listed.files.iter().all(|file| file.content.is_empty()),
                "{name}: the list keeps no content"
            );
            handed_on
                .sort_by(|left, right| (left.order, &left.path).cmp(&(right.order, &right.path)));
            let pairs = |files: &[Artifact]| -> Vec<(String, Option<String>, u32)> {
                files
                    .iter()
                    .map(|file| (file.path.clone(), file.stack.clone(), file.order))
                    .collect()
            };
            assert_eq!(pairs(&listed.files), pairs(&whole.files), "{name}");
            assert_eq!(pairs(&handed_on), pairs(&whole.files), "{name}");
            for (one, reference) in handed_on.iter().zip(&whole.files) {
                assert!(
                    one.content == reference.content,
                    "{name}: {} differs",
                    one.path
                );
            }
        }
    }
}

/// The facts of each artifact's text must come with it: a list that does not match what was
/// handed on is an error, never a manifest with the wrong digests.
#[test]
fn finishing_with_the_wrong_number_of_texts_is_an_error() {
    let workspace = workspace(&[("web", &[]), ("api", &[])]);
    let mut handed_on = Vec::new();
    let emitted = emit_each(&workspace, TemplateFormat::Json, &mut |artifact| {
        handed_on.push(artifact);
    });
    let texts: Vec<TextFacts> = handed_on.iter().skip(1).map(TextFacts::of).collect();
    let error = emitted
        .finish(&workspace, texts)
        .expect_err("one text short");
    assert_eq!(
        error.0,
        "3 artifacts were built but the texts of 2 were given"
    );
}
