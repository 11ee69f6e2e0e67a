//! `berth deploy` on `eks`, end to end through the real binary: the AWS emulator (moto through
//! our shim) holds the stacks and the EKS cluster, the fake Kubernetes API server
//! (`fake_kube`, reached with `--kubeconfig`) holds the objects. From nothing to serving in one
//! command, an unchanged second deploy that changes nothing anywhere, a removed workload pruned,
//! `plan` and `status` reading the cluster, a rollout failure with its reason, and `destroy`
//! deleting the objects (Ingresses first) before any stack, back to nothing.

mod fake_kube;
mod support;

use fake_kube::{FakeCluster, Rollout, TEST_TOKEN};
use serde_json::Value;
use support::aws::{self, stacks, tag};
use support::{Emulator, Run, Session, is_mutating, run};

const REGION: &str = "us-west-2";

/// Every stack eks-new-cluster deploys.
const STACKS: [&str; 6] = [
    "catalog-default-platform",
    "berth-eks-catalog-default",
    "catalog-default-store",
    "catalog-default-search",
    "catalog-default-indexer",
    "catalog-default-reindex",
];

/// Runs `berth ARGS` in `directory` against the emulator, reaching the fake through its
/// kubeconfig and context.
fn berth(session: &Session<'_>, directory: &std::path::Path, args: &[&str]) -> Run {
    let kubeconfig = directory.join("kubeconfig");
    let kubeconfig = kubeconfig.to_str().expect("a UTF-8 path");
    run(session
        .berth(directory)
        .args(args)
        .args(["--kubeconfig", kubeconfig, "--context", "fake"]))
}

/// A fake cluster as berth's platform stack leaves a new one: its EKS add-ons (metrics-server,
/// the EFS CSI driver) run; the load balancer controller and the External Secrets Operator,
/// which EKS has no add-on for, do not.
fn new_cluster_without_controllers() -> FakeCluster {
    let fake = FakeCluster::start(fake_kube::Options {
        complete: false,
        ..fake_kube::Options::default()
    });
    fake.install_eks_addons();
    fake
}

/// Which Helm `berth` finds.
enum Helm<'a> {
    /// None: `PATH` is an empty directory and `BERTH_HELM` unset.
    Absent(&'a std::path::Path),
    /// The test Helm (`tests/tools/helm`), first on `PATH`.
    OnPath,
    /// `BERTH_HELM` names this program.
    Named(&'a str),
}

/// [`berth`] with the Helm that `helm` says.
fn berth_with(
    session: &Session<'_>,
    directory: &std::path::Path,
    args: &[&str],
    helm: &Helm<'_>,
) -> Run {
    let kubeconfig = directory.join("kubeconfig");
    let kubeconfig = kubeconfig.to_str().expect("a UTF-8 path");
    let mut command = session.berth(directory);
    command
        .args(args)
        .args(["--kubeconfig", kubeconfig, "--context", "fake"])
        .env_remove("BERTH_HELM");
    match helm {
        Helm::Absent(empty) => {
            command.env("PATH", empty);
        }
        Helm::OnPath => {
            let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
            let path = std::env::var_os("PATH").unwrap_or_default();
            let joined =
                std::env::join_paths(std::iter::once(tools).chain(std::env::split_paths(&path)))
                    .expect("a PATH");
            command.env("PATH", joined);
        }
        Helm::Named(program) => {
            command.env("BERTH_HELM", program);
        }
    }
    run(&mut command)
}

/// The value of output `key` of `stack`, as DescribeStacks gives it.
fn output(session: &Session<'_>, stack: &str, key: &str) -> String {
    let text = session.query(
        "cloudformation",
        REGION,
        &[
            ("Action", "DescribeStacks"),
            ("Version", "2010-05-15"),
            ("StackName", stack),
        ],
    );
    text.split("<member>")
        .find(|member| tag(member, "OutputKey").as_deref() == Some(key))
        .and_then(|member| tag(member, "OutputValue"))
        .unwrap_or_else(|| panic!("{stack} has no output {key}: {text}"))
}

/// The objects berth applied (not dry runs), as `Kind/namespace/name`, in order.
fn applied(fake: &FakeCluster) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|request| request.is_apply() && !request.is_dry_run())
        .filter_map(fake_kube::Recorded::applied_object)
        .collect()
}

/// Objects of the build in the fake (the namespace `catalog`, and the namespace itself).
fn catalog_objects(fake: &FakeCluster) -> Vec<String> {
    fake.names()
        .into_iter()
        .filter(|name| name.contains("/catalog/") || name == "Namespace/-/catalog")
        .collect()
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn eks_deploy_goes_from_nothing_to_serving_and_destroy_back_to_nothing() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let fake = FakeCluster::complete();
    let workspace = support::example("eks-new-cluster");
    let path = workspace.path();
    fake.kubeconfig(path, TEST_TOKEN);

    // The first deploy creates the stacks, then stops before the cluster: the owned `search`
    // image is not pushed yet, and nothing may be applied without it.
    let first = berth(&session, path, &["deploy"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(
        first.stderr.contains("berth::image-missing"),
        "{}",
        first.stderr
    );
    assert!(
        fake.requests().is_empty(),
        "nothing is asked of the cluster before every image exists"
    );
    let digest = aws::push_image(&session, REGION, "catalog/default/search", "0.9.4", "c1");

    // Then one command: the rest of the stacks, the cluster, the objects, serving.
    let deployed = berth(&session, path, &["deploy"]);
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let after = stacks(&session, REGION);
    for stack in STACKS {
        assert!(
            after
                .get(stack)
                .is_some_and(|status| status.ends_with("_COMPLETE")),
            "{stack}: {after:?}"
        );
    }
    for request in fake.requests().iter().filter(|request| request.is_apply()) {
        assert_eq!(
            request.query.get("fieldManager").map(String::as_str),
            Some("berth"),
            "{} {}",
            request.method,
            request.path
        );
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {TEST_TOKEN}").as_str())
        );
    }
    let order = applied(&fake);
    assert_eq!(
        order.first().map(String::as_str),
        Some("Namespace/-/catalog"),
        "the namespace first: {order:?}"
    );
    for object in [
        "Deployment/catalog/store",
        "Deployment/catalog/search",
        "Deployment/catalog/indexer",
        "CronJob/catalog/reindex",
        "Ingress/catalog/store",
        "ExternalSecret/catalog/store-secrets",
    ] {
        assert!(
            order.iter().any(|applied| applied == object),
            "{object}: {order:?}"
        );
    }
    // `store` depends on `search`: its manifests are applied after.
    let position = |object: &str| order.iter().position(|applied| applied == object);
    assert!(position("Deployment/catalog/search") < position("Deployment/catalog/store"));

    // Placeholders filled with the emulator's outputs; the owned image pinned by digest.
    let store_role = output(&session, "catalog-default-store", "PodRoleStoreArn");
    let secret_store = fake
        .object(
            "external-secrets.io/v1",
            "SecretStore",
            Some("catalog"),
            "store-secretsmanager",
        )
        .expect("the SecretStore");
    assert_eq!(
        secret_store.pointer("/spec/provider/aws/role"),
        Some(&Value::from(store_role.as_str()))
    );
    let registry = output(&session, "catalog-default-platform", "EcrRegistry");
    let search = fake
        .object("apps/v1", "Deployment", Some("catalog"), "search")
        .expect("the search Deployment");
    assert_eq!(
        search.pointer("/spec/template/spec/containers/0/image"),
        Some(&Value::from(format!(
            "{registry}/catalog/default/search@{digest}"
        ))),
        "{search}"
    );
    for request in fake.requests() {
        if let Some(body) = &request.body {
            assert!(
                !body.to_string().contains("${berth:"),
                "an unfilled placeholder reached the cluster: {body}"
            );
        }
    }
    let store = fake
        .object("apps/v1", "Deployment", Some("catalog"), "store")
        .expect("the store Deployment");
    assert_eq!(
        store.pointer("/status/readyReplicas"),
        Some(&Value::from(3))
    );
    assert!(
        deployed.stdout.contains("store: http://")
            && deployed.stdout.contains(".elb.amazonaws.com/"),
        "the endpoint is printed: {}",
        deployed.stdout
    );
    assert!(
        deployed.stdout.contains("kubernetes objects:"),
        "{}",
        deployed.stdout
    );

    // A second deploy changes nothing, in AWS or in the cluster.
    fake.clear_requests();
    session.start_recording();
    let again = berth(&session, path, &["deploy"]);
    let calls = session.stop_recording();
    assert_eq!(again.code, 0, "{}", again.stderr);
    let mutating: Vec<&String> = calls.iter().filter(|call| is_mutating(call)).collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    let writes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|request| request.is_mutating())
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);

    // Status reads the workloads; plan sees nothing to do.
    let status = berth(&session, path, &["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status: Value = serde_json::from_str(&status.stdout).expect("JSON");
    let workloads = status["kubernetes"]["workloads"]
        .as_array()
        .expect("workloads");
    let store = workloads
        .iter()
        .find(|workload| workload["workload"] == "store")
        .expect("store");
    assert_eq!(store["desired"], 3);
    assert_eq!(store["ready"], 3);
    assert!(
        store["hostname"]
            .as_str()
            .is_some_and(|host| host.ends_with(".elb.amazonaws.com"))
    );
    let plan = berth(&session, path, &["plan"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("Kubernetes: 0 to create, 0 to update"),
        "{}",
        plan.stdout
    );

    // An edit that changes only the cluster's objects (a probe's interval) is applied under
    // the deploy lock, like any stack change: while another run holds it, nothing is applied.
    let file = path.join("berth.kdl");
    let text = std::fs::read_to_string(&file).expect("berth.kdl");
    assert_eq!(
        text.matches("interval \"10s\"").count(),
        1,
        "one probe interval to edit"
    );
    std::fs::write(&file, text.replace("interval \"10s\"", "interval \"15s\"")).expect("write");
    aws::create_stack(
        &session,
        REGION,
        "catalog-default--lock",
        &[
            ("berth:workspace", "catalog"),
            ("berth:environment", "default"),
            ("berth:lock-holder", "ci@runner-7 (pid 4242, berth deploy)"),
        ],
    );
    fake.clear_requests();
    let locked = berth(&session, path, &["deploy"]);
    assert_eq!(locked.code, 1, "{}", locked.stderr);
    assert!(
        locked.stderr.contains("berth::deploy-locked"),
        "{}",
        locked.stderr
    );
    assert!(
        fake.requests().iter().all(|request| !request.is_mutating()),
        "nothing applied while another run holds the lock"
    );
    aws::delete_stack(&session, REGION, "catalog-default--lock");
    session.start_recording();
    let edited = berth(&session, path, &["deploy"]);
    let calls = session.stop_recording();
    assert_eq!(edited.code, 0, "{}", edited.stderr);
    let mutating: Vec<&String> = calls.iter().filter(|call| is_mutating(call)).collect();
    assert!(
        mutating.len() == 2
            && mutating[0].ends_with(".CreateStack")
            && mutating[1].ends_with(".DeleteStack"),
        "only the lock is taken and given back: {mutating:?}"
    );
    assert!(
        applied(&fake).contains(&"Deployment/catalog/store".to_owned()),
        "{:?}",
        applied(&fake)
    );

    // A removed workload is pruned, after the rest serves.
    let text = std::fs::read_to_string(&file).expect("berth.kdl");
    let start = text.find("worker \"indexer\"").expect("the indexer");
    let end = text.find("job \"reindex\"").expect("the job");
    std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).expect("write");
    let plan = berth(&session, path, &["plan"]);
    assert_eq!(plan.code, 3, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("- Deployment/catalog/indexer"),
        "{}",
        plan.stdout
    );
    fake.clear_requests();
    let pruned = berth(&session, path, &["deploy"]);
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    let names = catalog_objects(&fake);
    assert!(
        !names.iter().any(|name| name.ends_with("/indexer")),
        "{names:?}"
    );
    assert!(names.contains(&"Deployment/catalog/store".to_owned()));
    assert!(
        fake.requests()
            .iter()
            .any(|request| request.method == "DELETE"
                && request.path.ends_with("/deployments/indexer")),
        "the Deployment was deleted"
    );

    // Destroy: the objects first, Ingresses before the rest, then every stack (the owned
    // repository's images too, so nothing is kept).
    let destroyed = berth(
        &session,
        path,
        &["destroy", "--yes", "--delete-images", "--format", "json"],
    );
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    let events: Vec<Value> = destroyed
        .stderr
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let index = |wanted: &dyn Fn(&Value) -> bool| events.iter().position(wanted);
    let ingress_deleted = index(&|event| {
        event["event"] == "kubernetes" && event["step"]["object"] == "Ingress/catalog/store"
    })
    .expect("the Ingress was deleted");
    let deployment_deleted = index(&|event| {
        event["event"] == "kubernetes" && event["step"]["object"] == "Deployment/catalog/store"
    })
    .expect("the Deployment was deleted");
    let first_stack = index(&|event| event["event"] == "stack-started").expect("a stack deleted");
    assert!(ingress_deleted < deployment_deleted, "{events:#?}");
    assert!(deployment_deleted < first_stack, "{events:#?}");
    assert!(catalog_objects(&fake).is_empty(), "{:?}", fake.names());
    let left = stacks(&session, REGION);
    for stack in STACKS {
        assert!(!left.contains_key(stack), "{stack}: {left:?}");
    }
    session.checked_log();
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_workload_whose_image_cannot_be_pulled_fails_the_deploy_with_the_kubelets_reason() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let fake = FakeCluster::complete();
    fake.set_rollout("store", Rollout::ImagePullBackOff);
    let workspace = support::example("eks-new-cluster");
    let path = workspace.path();
    fake.kubeconfig(path, TEST_TOKEN);
    // The repository exists once the platform stack does: the first run creates it and stops.
    let first = berth(&session, path, &["deploy"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    aws::push_image(&session, REGION, "catalog/default/search", "0.9.4", "d1");
    let deployed = berth(&session, path, &["deploy"]);
    assert_eq!(deployed.code, 1, "{}", deployed.stderr);
    assert!(
        deployed.stderr.contains("berth::workload-failed"),
        "{}",
        deployed.stderr
    );
    assert!(
        deployed.stderr.contains("`store` cannot pull its image"),
        "{}",
        deployed.stderr
    );
    // The lock was given back.
    let left = stacks(&session, REGION);
    assert!(!left.contains_key("catalog-default--lock"), "{left:?}");
    session.checked_log();
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_cluster_without_the_controllers_stops_the_deploy_before_anything_is_applied() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let fake = FakeCluster::start(fake_kube::Options {
        complete: false,
        ..fake_kube::Options::default()
    });
    let workspace = support::example("eks-new-cluster");
    let path = workspace.path();
    fake.kubeconfig(path, TEST_TOKEN);
    let no_helm = tempfile::tempdir().expect("an empty directory");
    let without_helm = Helm::Absent(no_helm.path());
    let first = berth_with(&session, path, &["deploy"], &without_helm);
    assert_eq!(first.code, 1, "{}", first.stderr);
    aws::push_image(&session, REGION, "catalog/default/search", "0.9.4", "e1");
    let deployed = berth_with(
        &session,
        path,
        &["deploy", "--format", "json"],
        &without_helm,
    );
    assert_eq!(deployed.code, 1, "{}", deployed.stderr);
    let error: Value = serde_json::from_str(&deployed.stdout).expect("the error as JSON");
    assert_eq!(
        error["error"]["code"], "berth::cluster-prerequisites",
        "{error}"
    );
    let missing: Vec<&str> = error["error"]["missing"]
        .as_array()
        .expect("the missing pieces")
        .iter()
        .filter_map(|piece| piece["what"].as_str())
        .collect();
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(
        missing[0].starts_with("the External Secrets Operator"),
        "{missing:?}"
    );
    assert!(missing[1].contains("IngressClass `alb`"), "{missing:?}");
    assert!(missing[2].contains("v1beta1.metrics.k8s.io"), "{missing:?}");
    assert!(
        error["error"]["missing"][2]["install"]
            .as_str()
            .is_some_and(|install| install.contains("--addon-name metrics-server")),
        "{error}"
    );
    // On a cluster berth created, the two controllers EKS has no add-on for are berth's to
    // install: the message says it needs Helm for that, and names the pinned charts.
    for (piece, chart) in [
        (0, "`external-secrets` 0.20.1"),
        (1, "`aws-load-balancer-controller` 1.17.0"),
    ] {
        assert!(
            error["error"]["missing"][piece]["install"]
                .as_str()
                .is_some_and(|install| install.contains("put `helm`") && install.contains(chart)),
            "{error}"
        );
    }
    assert!(fake.helm_installs().is_empty());
    assert!(
        fake.requests().iter().all(|request| !request.is_mutating()),
        "nothing is applied to a cluster that cannot run it"
    );
    let explained = run(session
        .berth(path)
        .args(["explain", "cluster-prerequisites"]));
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    session.checked_log();
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_new_cluster_gets_the_controllers_it_lacks_from_helm_before_anything_is_applied() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let fake = new_cluster_without_controllers();
    let workspace = support::example("eks-new-cluster");
    let path = workspace.path();
    fake.kubeconfig(path, TEST_TOKEN);
    let first = berth_with(&session, path, &["deploy"], &Helm::OnPath);
    assert_eq!(first.code, 1, "{}", first.stderr);
    aws::push_image(&session, REGION, "catalog/default/search", "0.9.4", "h1");

    // The plan says what the deploy installs first, and installs nothing.
    let planned = berth_with(&session, path, &["plan", "--format", "json"], &Helm::OnPath);
    assert_eq!(planned.code, 3, "changes to make: {}", planned.stderr);
    let plan: Value = serde_json::from_str(&planned.stdout).expect("the plan as JSON");
    assert_eq!(
        plan["kubernetes"]["install"],
        serde_json::json!([
            "the External Secrets Operator (external-secrets 0.20.1)",
            "the AWS Load Balancer Controller (aws-load-balancer-controller 1.17.0)"
        ]),
        "{plan}"
    );
    assert!(fake.helm_installs().is_empty(), "plan installs nothing");

    let deployed = berth_with(&session, path, &["deploy"], &Helm::OnPath);
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let installs = fake.helm_installs();
    let charts: Vec<(&str, &str, &str, &str)> = installs
        .iter()
        .map(|install| {
            (
                install.release.as_str(),
                install.namespace.as_str(),
                install.repository.as_str(),
                install.version.as_str(),
            )
        })
        .collect();
    assert_eq!(
        charts,
        [
            (
                "external-secrets",
                "external-secrets",
                "https://charts.external-secrets.io",
                "0.20.1"
            ),
            (
                "aws-load-balancer-controller",
                "kube-system",
                "https://aws.github.io/eks-charts",
                "1.17.0"
            ),
        ]
    );
    assert!(installs.iter().all(|install| install.waits), "{installs:?}");
    let controller = &installs[1].values;
    assert_eq!(controller["clusterName"], "catalog-default");
    assert_eq!(controller["region"], REGION);
    assert_eq!(
        controller["vpcId"],
        output(&session, "catalog-default-platform", "VpcId"),
        "the VPC id is the platform stack's output"
    );
    assert_eq!(
        controller["serviceAccount.name"],
        "aws-load-balancer-controller"
    );
    for off in ["enableShield", "enableWaf", "enableWafv2"] {
        assert_eq!(controller[off], "false", "{off}");
    }
    // Helm reached the cluster with the context berth was given (the file's current context
    // carries a token the fake refuses), and before any object was applied.
    let requests = fake.requests();
    let helm_requests: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, request)| request.path == "/fake/helm")
        .map(|(index, _)| index)
        .collect();
    assert_eq!(helm_requests.len(), 2, "{requests:?}");
    for index in &helm_requests {
        assert_eq!(requests[*index].status, 200);
        assert_eq!(
            requests[*index].authorization.as_deref(),
            Some(format!("Bearer {TEST_TOKEN}").as_str())
        );
    }
    let first_apply = requests
        .iter()
        .position(|request| request.is_apply() && !request.is_dry_run())
        .expect("objects were applied");
    assert!(helm_requests.iter().all(|index| *index < first_apply));
    assert!(
        deployed.stdout.contains(
            "installed the AWS Load Balancer Controller (aws-load-balancer-controller 1.17.0)"
        ),
        "{}",
        deployed.stdout
    );
    assert!(
        fake.object("networking.k8s.io/v1", "Ingress", Some("catalog"), "store")
            .is_some()
    );

    // Installed once: the next deploy finds them running.
    let again = berth_with(&session, path, &["deploy"], &Helm::OnPath);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(fake.helm_installs().len(), 2);
    session.checked_log();
}

#[test]
#[ignore = "needs the moto venv: run `bash .ci/test`"]
fn a_chart_helm_cannot_install_stops_the_deploy_with_helms_reason() {
    let emulator = Emulator::get();
    let session = emulator.session();
    let fake = new_cluster_without_controllers();
    fake.fail_chart(
        "aws-load-balancer-controller",
        "INSTALLATION FAILED: context deadline exceeded",
    );
    let workspace = support::example("eks-new-cluster");
    let path = workspace.path();
    fake.kubeconfig(path, TEST_TOKEN);
    let first = berth_with(&session, path, &["deploy"], &Helm::OnPath);
    assert_eq!(first.code, 1, "{}", first.stderr);
    aws::push_image(&session, REGION, "catalog/default/search", "0.9.4", "h2");
    let deployed = berth_with(
        &session,
        path,
        &["deploy", "--format", "json"],
        &Helm::OnPath,
    );
    assert_eq!(deployed.code, 1, "{}", deployed.stderr);
    let error: Value = serde_json::from_str(&deployed.stdout).expect("the error as JSON");
    assert_eq!(
        error["error"]["code"], "berth::cluster-prerequisites",
        "{error}"
    );
    assert_eq!(
        error["error"]["release"],
        "kube-system/aws-load-balancer-controller"
    );
    assert!(
        error["error"]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("context deadline exceeded")),
        "{error}"
    );
    assert!(
        fake.requests()
            .iter()
            .all(|request| !request.is_apply() || request.is_dry_run()),
        "no object is applied when a controller could not be installed"
    );
    let left = stacks(&session, REGION);
    assert!(!left.contains_key("catalog-default--lock"), "{left:?}");

    // A Helm that cannot be run at all is named.
    let missing = berth_with(
        &session,
        path,
        &["deploy"],
        &Helm::Named("/nonexistent/helm"),
    );
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    // The report wraps long lines (`  │ ` continues one): read it as one line.
    let report = missing
        .stderr
        .replace("\n  │ ", " ")
        .replace("\n        ", " ");
    assert!(
        report.contains("cannot run `/nonexistent/helm`"),
        "{}",
        missing.stderr
    );
    session.checked_log();
}
