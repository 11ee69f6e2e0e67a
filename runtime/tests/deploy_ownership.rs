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

/// fargate-shop's platform stack owns the `shop/default/api` repository. Once an image is pushed
/// to it, `destroy` keeps the repository (its images are never lost by accident) and its key,
/// names both with the commands that delete them, and leaves no stack; with `--delete-images`
/// the images go and the repository with its stack.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn destroy_keeps_a_repository_that_holds_images_unless_told_to_delete_them() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = aws::shop(&session);
    let repository = "shop/default/api";
    for delete_images in [false, true] {
        let first = run(session.berth(workspace.path()).arg("deploy"));
        assert!(
            first.stderr.contains("berth::image-missing"),
            "the platform stack only: {}",
            first.stderr
        );
        aws::push_image(&session, "eu-west-1", repository, "1.4.2", "a1");
        assert_eq!(
            aws::repositories(&session, "eu-west-1").get(repository),
            Some(&1)
        );
        let mut destroy = session.berth(workspace.path());
        destroy.args(["destroy", "--yes"]);
        if delete_images {
            destroy.arg("--delete-images");
        }
        let destroyed = run(&mut destroy);
        assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
        assert!(
            stacks(&session, "eu-west-1").is_empty(),
            "no stack left: {:?}",
            stacks(&session, "eu-west-1")
        );
        let left = aws::repositories(&session, "eu-west-1");
        if delete_images {
            assert!(left.is_empty(), "{left:?}");
            assert!(
                destroyed
                    .stderr
                    .contains("deleted the 1 image(s) of the repository `shop/default/api`"),
                "{}",
                destroyed.stderr
            );
        } else {
            assert_eq!(left.get(repository), Some(&1), "kept with its image");
            for kept in [
                "AWS::ECR::Repository shop/default/api (from shop-default-platform)",
                "aws ecr delete-repository --region eu-west-1 --repository-name shop/default/api --force",
            ] {
                assert!(
                    destroyed.stdout.contains(kept),
                    "missing `{kept}` in:\n{}",
                    destroyed.stdout
                );
            }
            assert!(
                destroyed.stderr.contains("--delete-images"),
                "{}",
                destroyed.stderr
            );
            // Deploying again would create a stack whose repository exists: the plan says so,
            // and the deploy is refused before anything changes, naming the repository and the
            // command that deletes it.
            let planned = run(session.berth(workspace.path()).arg("plan"));
            assert!(
                planned.stdout.contains("berth::repository-kept")
                    || planned.stderr.contains("berth::repository-kept"),
                "{}\n{}",
                planned.stdout,
                planned.stderr
            );
            let again = run(session
                .berth(workspace.path())
                .args(["deploy", "--format", "json"]));
            assert_eq!(again.code, 1, "{}", again.stderr);
            let error: serde_json::Value =
                serde_json::from_str(&again.stdout).expect("the error as JSON");
            assert_eq!(error["error"]["code"], "berth::repository-kept", "{error}");
            assert!(
                error["error"]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("`shop/default/api`")),
                "{error}"
            );
            assert_eq!(
                error["error"]["commands"],
                serde_json::json!([
                    "aws ecr delete-repository --region eu-west-1 --repository-name shop/default/api --force"
                ]),
                "{error}"
            );
            assert!(
                stacks(&session, "eu-west-1").is_empty(),
                "nothing created: {:?}",
                stacks(&session, "eu-west-1")
            );
            // The next round starts from nothing, as after deleting the kept repository.
            let answer = session.json_call(
                "ecr",
                "eu-west-1",
                "AmazonEC2ContainerRegistry_V20150921.DeleteRepository",
                &serde_json::json!({ "repositoryName": repository, "force": true }),
            );
            assert!(answer["repository"].is_object(), "{answer}");
        }
    }
    session.checked_log();
}

/// eks-new-cluster, deployed by CI through a role with a path (`/ci/`): the platform stack grants
/// cluster-admin access to that role by its ARN with the path, which STS's session ARN lacks and
/// EKS needs, so whoever deploys can apply the manifests.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn the_deploying_role_gets_cluster_access_by_its_arn_with_its_path() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("eks-new-cluster");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let created = session.query(
        "iam",
        "us-east-1",
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "deployer"),
            ("Path", "/ci/"),
            ("AssumeRolePolicyDocument", trust),
        ],
    );
    let role = aws::tag(&created, "Arn").expect("CreateRole answers the role's ARN");
    assert_eq!(role, "arn:aws:iam::123456789012:role/ci/deployer");
    let assumed = session.query(
        "sts",
        "us-east-1",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &role),
            ("RoleSessionName", "pipeline-42"),
        ],
    );
    let credential = |name: &str| aws::tag(&assumed, name).expect("AssumeRole credentials");

    let deployed = run(session
        .berth(workspace.path())
        .arg("deploy")
        .env("AWS_ACCESS_KEY_ID", credential("AccessKeyId"))
        .env("AWS_SECRET_ACCESS_KEY", credential("SecretAccessKey"))
        .env("AWS_SESSION_TOKEN", credential("SessionToken")));
    assert!(
        deployed.stderr.contains("berth::image-missing"),
        "stops before the manifests, the platform deployed: {}",
        deployed.stderr
    );
    let entries = support::rest_get(
        &session,
        "eks",
        "us-west-2",
        "/clusters/catalog-default/access-entries",
    );
    assert_eq!(
        entries["accessEntries"],
        serde_json::json!(["arn:aws:iam::123456789012:role/catalog-developers", role]),
        "the workspace's admins and the deploying role, by its ARN with the path"
    );
    session.checked_log();
}
