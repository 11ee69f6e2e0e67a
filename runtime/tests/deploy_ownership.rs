//! Which stacks berth may touch: a stack with one of the workspace's names that berth did not
//! create for it is refused by `deploy` and `destroy` alike (emulator), and a stack every
//! workspace on an EKS cluster shares carries only the cluster's tag and is deleted only with a
//! cluster berth created (from the build alone).

mod support;

use berth::deploy::build::Build;
use berth::deploy::{destroy, plan};
use berth_compiler::emit::{TemplateFormat, emit};
use support::aws::{self, stacks};
use support::{Emulator, run};

/// The example `name` built in memory for its own target.
fn built(name: &str) -> Build {
    let path = support::root()
        .join("examples")
        .join(name)
        .join("berth.kdl");
    let source = std::fs::read_to_string(path).expect("the example");
    let checked = berth_compiler::check(&source, &berth_compiler::Options::default());
    let workspace = checked.workspace.expect("valid");
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
    Build::from_artifacts(&artifacts, artifacts.manifest.clone())
}

/// The tags the deploy gives each stack of `build`, by name.
fn deploy_tags(build: &Build) -> std::collections::BTreeMap<String, Vec<(String, String)>> {
    plan::stages(build)
        .into_iter()
        .flat_map(|stage| stage.stacks)
        .map(|spec| (spec.name, spec.tags.into_iter().collect()))
        .collect()
}

#[test]
fn a_shared_cluster_stack_is_tagged_for_the_cluster_and_left_on_an_existing_one() {
    let existing = built("existing-infra");
    let tags = deploy_tags(&existing);
    assert_eq!(
        tags.get("berth-eks-platform-prod"),
        Some(&vec![(
            "berth:eks-cluster".to_owned(),
            "platform-prod".to_owned()
        )]),
        "every workspace's deploy must leave the shared stack the same: {tags:?}"
    );
    let workload = tags
        .iter()
        .find(|(stack, _)| stack.starts_with("billing-default-"))
        .expect("a workload stack");
    assert!(
        workload
            .1
            .contains(&("berth:workspace".to_owned(), "billing".to_owned())),
        "{workload:?}"
    );
    assert_eq!(
        destroy::left_alone(&existing),
        vec!["berth-eks-platform-prod".to_owned()],
        "other workspaces on the cluster use it"
    );

    let new = built("eks-new-cluster");
    assert_eq!(
        deploy_tags(&new).get("berth-eks-catalog-default"),
        Some(&vec![(
            "berth:eks-cluster".to_owned(),
            "catalog-default".to_owned()
        )])
    );
    assert!(
        destroy::left_alone(&new).is_empty(),
        "the cluster is the build's own: its shared stack goes with it"
    );
}

/// A stack named like a workload of `minimal` but created by someone else, without berth's tags:
/// `deploy` refuses before changing anything (no platform stack, no lock), `destroy` refuses
/// before deleting anything, and the stack is still there.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_stack_berth_did_not_create_is_neither_updated_nor_deleted() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("minimal");
    aws::create_stack(
        &session,
        "us-east-1",
        "hello-default-web",
        &[("team", "someone-else")],
    );
    let only_theirs = || {
        let left = stacks(&session, "us-east-1");
        assert_eq!(
            left.keys().map(String::as_str).collect::<Vec<_>>(),
            ["hello-default-web"],
            "{left:?}"
        );
        assert_eq!(
            aws::stack_tags(&session, "us-east-1", "hello-default-web"),
            [("team".to_owned(), "someone-else".to_owned())].into(),
        );
    };

    let deployed = run(session.berth(workspace.path()).arg("deploy"));
    assert_eq!(deployed.code, 1, "{}", deployed.stderr);
    assert!(
        deployed.stderr.contains("berth::foreign-stack")
            && deployed.stderr.contains("hello-default-web")
            && deployed
                .stderr
                .contains("berth:environment=default, berth:workspace=hello"),
        "{}",
        deployed.stderr
    );
    only_theirs();

    let destroyed = run(session.berth(workspace.path()).args(["destroy", "--yes"]));
    assert_eq!(destroyed.code, 1, "{}", destroyed.stderr);
    assert!(
        destroyed.stderr.contains("berth::foreign-stack"),
        "{}",
        destroyed.stderr
    );
    only_theirs();
    session.checked_log();
}
