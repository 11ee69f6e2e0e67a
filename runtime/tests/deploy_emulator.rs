//! `berth deploy`, `plan`, `status` and `destroy` end to end: the real binary against the AWS
//! emulator, each test asserting on what the emulator holds or the calls it received.

mod support;

use support::aws::{self, stacks};
use support::{Emulator, is_mutating, run};

const SHOP_STACKS: [&str; 5] = [
    "shop-default-platform",
    "shop-default-nightly-report",
    "shop-default-api",
    "shop-default-web",
    "shop-default-mailer",
];

/// fargate-shop: the first deploy stops after the platform stack, since the image of its owned
/// repository is not pushed; once it is, everything deploys with that image pinned by digest,
/// and a second deploy makes no call that changes anything.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn fargate_deploys_stopping_for_an_unpushed_image_then_redeploys_without_a_change() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = aws::shop(&session);
    let first = run(session.berth(workspace.path()).arg("deploy"));
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(
        first.stderr.contains("berth::image-missing"),
        "{}",
        first.stderr
    );
    for command in [
        "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/default/api:1.4.2",
    ] {
        assert!(
            first.stderr.contains(command),
            "missing `{command}` in:\n{}",
            first.stderr
        );
    }
    let after_first = stacks(&session, "eu-west-1");
    assert_eq!(
        after_first.keys().collect::<Vec<_>>(),
        ["shop-default-platform"],
        "only the platform stack (no workload stack, no lock) after stopping"
    );

    let digest = aws::push_image(&session, "eu-west-1", "shop/default/api", "1.4.2", "a1");
    let second = run(session.berth(workspace.path()).arg("deploy"));
    assert_eq!(second.code, 0, "{}", second.stderr);
    let deployed = stacks(&session, "eu-west-1");
    for stack in SHOP_STACKS {
        assert!(
            deployed
                .get(stack)
                .is_some_and(|status| status.ends_with("_COMPLETE")),
            "{stack}: {deployed:?}"
        );
    }
    assert_eq!(
        deployed.len(),
        SHOP_STACKS.len(),
        "the lock is gone: {deployed:?}"
    );
    let services = aws::services(&session, "eu-west-1", "shop-default");
    let api = services
        .iter()
        .find(|service| service["serviceName"] == "api")
        .expect("the api service");
    let images = aws::task_images(
        &session,
        "eu-west-1",
        api["taskDefinition"].as_str().unwrap_or_default(),
    );
    assert_eq!(
        images.get("api").map(String::as_str),
        Some(
            format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/default/api@{digest}")
                .as_str()
        ),
        "the task definition runs the image pinned by digest"
    );
    assert!(
        second.stdout.contains("https://shop.example.com/api"),
        "{}",
        second.stdout
    );

    session.start_recording();
    let started = std::time::Instant::now();
    let third = run(session.berth(workspace.path()).arg("deploy"));
    let elapsed = started.elapsed();
    let calls = session.stop_recording();
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(third.stdout.contains("is up to date"), "{}", third.stdout);
    let mutating: Vec<&String> = calls.iter().filter(|call| is_mutating(call)).collect();
    assert!(
        mutating.is_empty(),
        "an unchanged redeploy changed something: {mutating:?}"
    );
    assert!(!calls.is_empty(), "the redeploy read what is deployed");
    eprintln!(
        "no-op redeploy of fargate-shop: {} calls, {elapsed:?}",
        calls.len()
    );
    session.checked_log();
}

/// ecs-ec2-app on EC2 capacity: deployed, reported by `status --format json`, destroyed with
/// nothing of berth's left and the kept file system and key named.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn ecs_deploys_reports_status_and_destroys() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("ecs-ec2-app");
    let deployed = run(session.berth(workspace.path()).arg("deploy"));
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let stacks_now = stacks(&session, "eu-central-1");
    assert_eq!(
        stacks_now.keys().collect::<Vec<_>>(),
        [
            "media-default-files",
            "media-default-platform",
            "media-default-thumbs",
            "media-default-web"
        ]
    );
    let services = aws::services(&session, "eu-central-1", "media-default");
    let names: Vec<&str> = services
        .iter()
        .filter_map(|service| service["serviceName"].as_str())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let clusters = session.json_call(
        "ecs",
        "eu-central-1",
        "AmazonEC2ContainerServiceV20141113.DescribeClusters",
        &serde_json::json!({ "clusters": ["media-default"] }),
    );
    assert!(
        clusters["clusters"][0]["capacityProviders"]
            .to_string()
            .contains("media-default-platform"),
        "the EC2 capacity provider is the cluster's: {clusters}"
    );

    let status = run(session
        .berth(workspace.path())
        .args(["status", "--format", "json"]));
    assert_eq!(status.code, 0, "{}", status.stderr);
    let report: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(report["stacks"].as_array().map(Vec::len), Some(4));
    assert!(
        report["stacks"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|stack| stack["status"] == "CREATE_COMPLETE")
    );
    let web = report["services"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|service| service["workload"] == "web")
        .expect("web in the status");
    assert_eq!(web["rollout"], "COMPLETED");
    assert_eq!(web["image"], "ghcr.io/acme/media-web:3.2.0");
    assert!(
        report["endpoints"]
            .to_string()
            .contains("elb.amazonaws.com/files"),
        "{}",
        report["endpoints"]
    );

    let refused = run(session.berth(workspace.path()).arg("destroy"));
    assert_eq!(
        refused.code, 2,
        "no --yes off a terminal: {}",
        refused.stderr
    );
    assert_eq!(stacks(&session, "eu-central-1").len(), 4, "nothing deleted");

    let destroyed = run(session.berth(workspace.path()).args(["destroy", "--yes"]));
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    assert!(
        stacks(&session, "eu-central-1").is_empty(),
        "no berth stack left: {:?}",
        stacks(&session, "eu-central-1")
    );
    assert!(
        destroyed.stdout.contains("AWS::EFS::FileSystem fs-"),
        "{}",
        destroyed.stdout
    );
    assert!(
        destroyed.stdout.contains("aws efs delete-file-system"),
        "{}",
        destroyed.stdout
    );
    let left = aws::services(&session, "eu-central-1", "media-default");
    assert!(
        left.iter().all(|service| service["status"] == "INACTIVE"),
        "the services went with their stacks: {left:?}"
    );
    let again = run(session.berth(workspace.path()).args(["destroy", "--yes"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("nothing of media (default) is deployed"),
        "{}",
        again.stdout
    );
    session.checked_log();
}

/// A new image tag, from a build directory: `plan` shows the task definition changing (exit 3),
/// `deploy` applies it, and the service runs the new digest. A build whose workspace file
/// changed since is refused.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_new_image_tag_is_planned_then_deployed_by_digest_from_a_build_directory() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = aws::shop(&session);
    let path = workspace.path();
    let first = run(session.berth(path).arg("deploy"));
    assert_eq!(first.code, 1, "stops for the image: {}", first.stderr);
    aws::push_image(&session, "eu-west-1", "shop/default/api", "1.4.2", "b1");
    let new_digest = aws::push_image(&session, "eu-west-1", "shop/default/api", "1.5.0", "b2");
    let deployed = run(session.berth(path).arg("deploy"));
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);

    let built = run(session
        .berth(path)
        .args(["build", "--var", "tag=1.5.0", "--out", "out"]));
    assert_eq!(built.code, 0, "{}", built.stderr);
    let plan = run(session.berth(path).args(["plan", "--from", "out"]));
    assert_eq!(plan.code, 3, "changes: {}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("shop-default-api: update"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("~ TaskDefinition"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("shop-default-platform: unchanged"),
        "{}",
        plan.stdout
    );
    let plan_json = run(session
        .berth(path)
        .args(["plan", "--from", "out", "--format", "json"]));
    let plan_json: serde_json::Value = serde_json::from_str(&plan_json.stdout).expect("JSON");
    let api = plan_json["stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|stack| stack["stack"] == "shop-default-api")
        .expect("the api stack");
    assert_eq!(api["action"], "update");
    assert!(
        api["changes"].to_string().contains("TaskDefinition"),
        "{plan_json}"
    );
    assert_eq!(
        stacks(&session, "eu-west-1").len(),
        SHOP_STACKS.len(),
        "planning left no stack or change set behind"
    );

    let applied = run(session.berth(path).args(["deploy", "--from", "out"]));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let services = aws::services(&session, "eu-west-1", "shop-default");
    let api = services
        .iter()
        .find(|service| service["serviceName"] == "api")
        .expect("the api service");
    let images = aws::task_images(
        &session,
        "eu-west-1",
        api["taskDefinition"].as_str().unwrap_or_default(),
    );
    assert_eq!(
        images.get("api").map(String::as_str),
        Some(
            format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/default/api@{new_digest}")
                .as_str()
        )
    );
    let web = services
        .iter()
        .find(|service| service["serviceName"] == "web")
        .expect("the web service");
    let web_images = aws::task_images(
        &session,
        "eu-west-1",
        web["taskDefinition"].as_str().unwrap_or_default(),
    );
    assert_eq!(
        web_images.get("web").map(String::as_str),
        Some("ghcr.io/acme/shop-web:1.5.0"),
        "an image outside ECR deploys as written"
    );
    let unchanged = run(session.berth(path).args(["plan", "--from", "out"]));
    assert_eq!(
        unchanged.code, 0,
        "nothing left to change: {}",
        unchanged.stdout
    );

    let text = std::fs::read_to_string(path.join("berth.kdl")).expect("workspace");
    std::fs::write(
        path.join("berth.kdl"),
        text.replace("replicas 2", "replicas 3"),
    )
    .expect("edit");
    let stale = run(session.berth(path).args(["deploy", "--from", "out"]));
    assert_eq!(stale.code, 2, "{}", stale.stderr);
    assert!(
        stale.stderr.contains("berth::stale-build"),
        "{}",
        stale.stderr
    );
    session.checked_log();
}

/// A stack AWS refuses (an IAM role name already taken): exit 1 with the failing resource and
/// its reason, the earlier stack untouched; the next deploy names the exact next step for the
/// stack left in ROLLBACK_COMPLETE.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_failing_stack_reports_its_resource_and_leaves_earlier_stacks_untouched() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("minimal");
    let path = workspace.path();
    let built = run(session.berth(path).args(["build", "--out", "out"]));
    assert_eq!(built.code, 0, "{}", built.stderr);
    let template: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path.join("out/service-web.json")).expect("template"),
    )
    .expect("JSON");
    let role = template["Resources"]["TaskRole"]["Properties"]["RoleName"]
        .as_str()
        .expect("a named task role")
        .to_owned();
    let created = session.query(
        "iam",
        "us-east-1",
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", &role),
            (
                "AssumeRolePolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[]}"#,
            ),
        ],
    );
    assert!(created.contains("<RoleName>"), "{created}");

    let failed = run(session.berth(path).args(["deploy", "--from", "out"]));
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("berth::stack-failed"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("TaskRole"), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("EntityAlreadyExists"),
        "{}",
        failed.stderr
    );
    let after = stacks(&session, "us-east-1");
    assert_eq!(
        after.get("hello-default-platform").map(String::as_str),
        Some("CREATE_COMPLETE")
    );
    assert_eq!(
        after.get("hello-default-web").map(String::as_str),
        Some("ROLLBACK_COMPLETE")
    );
    assert!(
        !after.contains_key("hello-default--lock"),
        "the lock was given back"
    );

    session.start_recording();
    let again = run(session.berth(path).args(["deploy", "--from", "out"]));
    let calls = session.stop_recording();
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("berth::stack-needs-delete"),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("aws cloudformation delete-stack --stack-name hello-default-web"),
        "{}",
        again.stderr
    );
    assert!(
        calls.iter().all(|call| !is_mutating(call)),
        "refused before changing anything: {calls:?}"
    );
    session.checked_log();
}

/// Another run holds the lock: a deploy refuses at once and names the holder; with --lock-wait
/// it waits, and Ctrl-C stops the wait (exit 130) without touching the lock.
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_held_lock_refuses_or_waits_and_ctrl_c_stops_the_wait() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("minimal");
    let path = workspace.path();
    aws::create_stack(
        &session,
        "us-east-1",
        "hello-default--lock",
        &[
            ("berth:workspace", "hello"),
            ("berth:environment", "default"),
            ("berth:lock-holder", "ci@runner-7 (pid 4242, berth deploy)"),
        ],
    );
    let refused = run(session.berth(path).arg("deploy"));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("berth::deploy-locked"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("ci@runner-7 (pid 4242"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        stacks(&session, "us-east-1").keys().collect::<Vec<_>>(),
        ["hello-default--lock"],
        "nothing deployed while another run holds the lock"
    );

    let child = session
        .berth(path)
        .args(["deploy", "--lock-wait", "5m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start berth");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(signal.success());
    let output = child.wait_with_output().expect("berth ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("waiting for the deploy lock"), "{stderr}");
    assert!(stderr.contains("berth::interrupted"), "{stderr}");
    assert_eq!(
        stacks(&session, "us-east-1").keys().collect::<Vec<_>>(),
        ["hello-default--lock"],
        "the other run's lock stays"
    );

    let timed_out =
        run(session
            .berth(path)
            .args(["deploy", "--lock-wait", "5m", "--timeout", "2s"]));
    assert_eq!(timed_out.code, 1, "{}", timed_out.stderr);
    assert!(
        timed_out.stderr.contains("berth::deploy-timeout"),
        "{}",
        timed_out.stderr
    );
    assert!(
        timed_out.stderr.contains("stopped waiting after 2s"),
        "{}",
        timed_out.stderr
    );
    session.checked_log();
}

/// eks-new-cluster on target eks: the platform stack (cluster, node groups, add-ons) and the
/// Pod Identity stacks deploy; the run stops before the Kubernetes manifests, whose image in
/// the owned repository is not pushed (`eks_deploy.rs` goes on to the cluster).
#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn eks_platform_and_identity_stacks_deploy() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let workspace = support::example("eks-new-cluster");
    let deployed = run(session.berth(workspace.path()).arg("deploy"));
    assert_eq!(
        deployed.code, 1,
        "the search image is not pushed: {}",
        deployed.stderr
    );
    assert!(
        deployed.stderr.contains("berth::image-missing"),
        "{}",
        deployed.stderr
    );
    let after = stacks(&session, "us-west-2");
    for stack in [
        "catalog-default-platform",
        "catalog-default-store",
        "catalog-default-search",
        "catalog-default-indexer",
        "catalog-default-reindex",
    ] {
        assert_eq!(
            after.get(stack).map(String::as_str),
            Some("CREATE_COMPLETE"),
            "{stack}: {after:?}"
        );
    }
    let cluster = support::rest_get(&session, "eks", "us-west-2", "/clusters/catalog-default");
    assert_eq!(cluster["cluster"]["status"], "ACTIVE", "{cluster}");
    // Shared by every workspace on the cluster: only the cluster's tag, so each deploys it alike.
    assert_eq!(
        aws::stack_tags(&session, "us-west-2", "berth-eks-catalog-default"),
        [("berth:eks-cluster".to_owned(), "catalog-default".to_owned())].into()
    );
    session.checked_log();
}
