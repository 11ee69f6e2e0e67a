//! The Kubernetes step of the deploy engine against the fake API server (`fake_kube`), without
//! AWS: apply with server-side apply in manifest order, a second apply that sends nothing,
//! pruning, conflicts, the plan's field-level diff, each rollout failure with its reason,
//! prerequisites on a bare cluster, status and destroy's order. The whole `berth` binary against
//! the emulator and the fake is `eks_deploy.rs`.

mod fake_kube;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use berth::kubernetes::connect::{Connection, kubeconfig_client};
use berth::kubernetes::error::KubernetesError;
use berth::kubernetes::event::{Applied, KubernetesEvent};
use berth::kubernetes::wait::Patience;
use berth::kubernetes::{Declared, Session};
use berth_compiler::emit::{TemplateFormat, emit};
use fake_kube::{FakeCluster, Options, Rollout, TEST_TOKEN};
use serde_json::Value;

/// A workspace on an existing cluster: a public service that reads a secret, an internal
/// service, a worker.
const SHOP: &str = r#"
workspace "shop" {
    target "eks"
    region "us-west-2"
    network {
        vpc "vpc-0abc1234def567890"
        public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
        private-subnets "subnet-0bbb5555ccc66666a" "subnet-0eee7777fff88888b"
    }
    eks { cluster "platform"; namespace "shop"; }
}
service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    replicas min=2 max=4 { cpu 70; }
    secret "SESSION_KEY" from="ssm:/shop/session-key"
}
service "api" {
    image "ghcr.io/acme/api:1.0"
    port 9000
    replicas 2
}
worker "mailer" {
    image "ghcr.io/acme/mailer:1.0"
}
"#;

/// What a build of `source` (for `environment`) declares, its placeholders filled with
/// made-up stack outputs.
fn declared(source: &str, environment: Option<&str>) -> Declared {
    let options = berth_compiler::Options {
        environment: environment.map(str::to_owned),
        ..Default::default()
    };
    let checked = berth_compiler::check(source, &options);
    let workspace = checked
        .workspace
        .unwrap_or_else(|| panic!("valid: {:#?}", checked.diagnostics));
    let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
    let outputs: BTreeMap<(String, String), String> = artifacts
        .manifest
        .substitutions
        .iter()
        .map(|substitution| {
            (
                (substitution.stack.clone(), substitution.output.clone()),
                format!("arn:aws:iam::123456789012:role/{}", substitution.output),
            )
        })
        .collect();
    let files = artifacts.files.clone();
    let read = move |path: &str| {
        files
            .iter()
            .find(|file| file.path == path)
            .map(|file| file.content.clone())
    };
    Declared::from_build(&artifacts.manifest, &read, &outputs, false).expect("declared")
}

/// Events, collected.
#[derive(Default)]
struct Events(Mutex<Vec<KubernetesEvent>>);

impl Events {
    fn report(&self) -> impl Fn(KubernetesEvent) + Send + Sync + '_ {
        |event| self.0.lock().expect("events").push(event)
    }
    fn all(&self) -> Vec<KubernetesEvent> {
        self.0.lock().expect("events").clone()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn patience() -> Patience {
    Patience {
        interval: Duration::from_millis(20),
        unschedulable: Duration::from_secs(30),
        missing_secret: Duration::from_secs(2),
    }
}

async fn connect(fake: &FakeCluster, directory: &std::path::Path) -> Connection {
    let kubeconfig = fake.kubeconfig(directory, TEST_TOKEN);
    kubeconfig_client(Some(&kubeconfig), Some("fake"))
        .await
        .expect("kubeconfig")
}

/// Opens a session and applies every object, stage by stage, then waits and prunes.
async fn deploy(
    fake: &FakeCluster,
    declared: &Declared,
    events: &Events,
) -> Result<Vec<(String, Applied)>, KubernetesError> {
    let directory = tempfile::tempdir().expect("tempdir");
    let connection = connect(fake, directory.path()).await;
    let report = events.report();
    let session = Session::open(connection, declared, false, &BTreeSet::new(), &report).await?;
    let deployed = session.deploy(declared, patience(), &report).await?;
    Ok(deployed
        .applied
        .into_iter()
        .map(|(id, action)| (id.to_string(), action))
        .collect())
}

#[test]
fn applies_in_order_with_field_manager_berth_and_a_second_deploy_sends_nothing() {
    let fake = FakeCluster::complete();
    let declared = declared(SHOP, None);
    let events = Events::default();
    let applied = runtime()
        .block_on(deploy(&fake, &declared, &events))
        .expect("deploys");
    assert!(
        applied
            .iter()
            .all(|(_, action)| *action == Applied::Created),
        "{applied:?}"
    );
    assert_eq!(
        applied[0].0, "Namespace/shop",
        "the namespace is applied first"
    );

    let requests = fake.requests();
    let writes: Vec<_> = requests
        .iter()
        .filter(|request| request.is_mutating())
        .collect();
    assert_eq!(writes.len(), declared.objects.len(), "one apply per object");
    for write in &writes {
        assert_eq!(
            write.query.get("fieldManager").map(String::as_str),
            Some("berth"),
            "{}",
            write.path
        );
        assert_eq!(
            write.authorization.as_deref(),
            Some(format!("Bearer {TEST_TOKEN}").as_str())
        );
        assert!(
            write.status < 300,
            "{} answered {}",
            write.path,
            write.status
        );
    }
    let order: Vec<String> = writes
        .iter()
        .filter_map(|write| write.applied_object())
        .collect();
    let expected: Vec<String> = declared
        .objects
        .iter()
        .map(|object| {
            format!(
                "{}/{}/{}",
                object.id.kind,
                object.id.namespace.as_deref().unwrap_or("-"),
                object.id.name
            )
        })
        .collect();
    assert_eq!(order, expected, "applied in manifest order");

    // The cluster holds every object, labelled with its workspace and environment.
    let deployment = fake
        .object("apps/v1", "Deployment", Some("shop"), "web")
        .expect("web runs");
    assert_eq!(
        deployment.pointer("/metadata/labels/berth~1workspace"),
        Some(&Value::from("shop"))
    );
    assert_eq!(
        deployment.pointer("/metadata/labels/berth~1environment"),
        Some(&Value::from("default"))
    );
    let managers: Vec<&str> = deployment
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .expect("managed fields")
        .iter()
        .filter_map(|entry| entry.get("manager").and_then(Value::as_str))
        .collect();
    assert!(managers.contains(&"berth"), "{managers:?}");
    let store = fake
        .object(
            "external-secrets.io/v1",
            "SecretStore",
            Some("shop"),
            "web-ssm",
        )
        .expect("secret store");
    assert_eq!(
        store.pointer("/spec/provider/aws/role"),
        Some(&Value::from("arn:aws:iam::123456789012:role/PodRoleWebArn")),
        "the placeholder is filled"
    );

    // It waited for the rollouts, the secret and the load balancer, and printed the endpoint.
    let events = events.all();
    assert!(events.iter().any(|event| matches!(event, KubernetesEvent::Rollout { workload, done: true, .. } if workload == "web")));
    assert!(
        events
            .iter()
            .any(|event| matches!(event, KubernetesEvent::SecretSynced { .. }))
    );
    let endpoint = events.iter().find_map(|event| match event {
        KubernetesEvent::Endpoint { url, .. } => Some(url.clone()),
        _ => None,
    });
    assert_eq!(
        endpoint.as_deref(),
        Some("http://k8s-shopdefault-0123456789-987654321.us-west-2.elb.amazonaws.com/")
    );

    // Again, unchanged: dry runs only, no write, no new generation.
    fake.clear_requests();
    let again = Events::default();
    let applied = runtime()
        .block_on(deploy(&fake, &declared, &again))
        .expect("deploys again");
    assert!(
        applied
            .iter()
            .all(|(_, action)| *action == Applied::Unchanged),
        "{applied:?}"
    );
    let requests = fake.requests();
    assert!(
        requests.iter().all(|request| !request.is_mutating()),
        "{:#?}",
        requests
            .iter()
            .filter(|request| request.is_mutating())
            .collect::<Vec<_>>()
    );
    assert!(
        requests
            .iter()
            .any(|request| request.is_apply() && request.is_dry_run())
    );
    let after = fake
        .object("apps/v1", "Deployment", Some("shop"), "web")
        .expect("web runs");
    assert_eq!(
        after.pointer("/metadata/generation"),
        deployment.pointer("/metadata/generation")
    );
}

#[test]
fn a_removed_workload_is_pruned_after_the_rest_serves_and_other_environments_are_untouched() {
    let fake = FakeCluster::complete();
    let two_environments =
        format!("{SHOP}\nenvironment \"prod\" {{ eks {{ namespace \"shop-prod\"; }} }}\n");
    let events = Events::default();
    runtime()
        .block_on(deploy(&fake, &declared(&two_environments, None), &events))
        .expect("default");
    runtime()
        .block_on(deploy(
            &fake,
            &declared(&two_environments, Some("prod")),
            &events,
        ))
        .expect("prod");
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop"), "mailer")
            .is_some()
    );

    let without_mailer = two_environments.replace(
        "worker \"mailer\" {\n    image \"ghcr.io/acme/mailer:1.0\"\n}\n",
        "",
    );
    assert_ne!(without_mailer, two_environments);
    let pruning = Events::default();
    fake.clear_requests();
    runtime()
        .block_on(deploy(&fake, &declared(&without_mailer, None), &pruning))
        .expect("deploys");
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop"), "mailer")
            .is_none(),
        "pruned"
    );
    assert!(
        fake.object("v1", "ServiceAccount", Some("shop"), "mailer")
            .is_none(),
        "pruned"
    );
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop-prod"), "mailer")
            .is_some(),
        "prod keeps its mailer"
    );
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop"), "web")
            .is_some()
    );
    let pruned: Vec<String> = pruning
        .all()
        .into_iter()
        .filter_map(|event| match event {
            KubernetesEvent::ObjectPruned { object } => Some(object),
            _ => None,
        })
        .collect();
    assert_eq!(
        pruned,
        ["Deployment/shop/mailer", "ServiceAccount/shop/mailer"]
    );
    // Pruning came after the applies.
    let requests = fake.requests();
    let first_delete = requests
        .iter()
        .position(|request| request.method == "DELETE")
        .expect("a delete");
    let last_apply = requests
        .iter()
        .rposition(fake_kube::Recorded::is_apply)
        .expect("an apply");
    assert!(last_apply < first_delete);
}

#[test]
fn a_field_another_manager_changed_is_a_conflict_unless_forced() {
    let fake = FakeCluster::complete();
    let declared = declared(SHOP, None);
    runtime()
        .block_on(deploy(&fake, &declared, &Events::default()))
        .expect("deploys");
    fake.edit(
        "apps/v1",
        "Deployment",
        Some("shop"),
        "api",
        "kubectl-scale",
        |object| {
            object["spec"]["replicas"] = Value::from(5);
        },
    );
    let error = runtime()
        .block_on(deploy(&fake, &declared, &Events::default()))
        .expect_err("conflict");
    assert!(
        matches!(&error, KubernetesError::Conflict { conflicts, .. } if conflicts == &[("kubectl-scale".to_owned(), ".spec.replicas".to_owned())]),
        "{error}"
    );
    assert_eq!(error.code().qualified(), "berth::apply-conflict");
    assert!(error.help().contains("--force-conflicts"));

    let forced = runtime().block_on(async {
        let directory = tempfile::tempdir().expect("tempdir");
        let connection = connect(&fake, directory.path()).await;
        let events = Events::default();
        let report = events.report();
        let session = Session::open(connection, &declared, true, &BTreeSet::new(), &report).await?;
        session.apply(&declared.objects, &report).await
    });
    let applied = forced.expect("forced");
    assert!(
        applied
            .iter()
            .any(|(id, action)| id.to_string() == "Deployment/shop/api"
                && *action == Applied::Configured)
    );
    let api = fake
        .object("apps/v1", "Deployment", Some("shop"), "api")
        .expect("api");
    assert_eq!(api.pointer("/spec/replicas"), Some(&Value::from(2)));
}

#[test]
fn plan_shows_creates_field_changes_and_prunes_from_a_dry_run() {
    let fake = FakeCluster::complete();
    runtime()
        .block_on(deploy(&fake, &declared(SHOP, None), &Events::default()))
        .expect("deploys");
    let changed = SHOP
        .replace("ghcr.io/acme/web:1.0", "ghcr.io/acme/web:1.1")
        .replace(
            "worker \"mailer\" {\n    image \"ghcr.io/acme/mailer:1.0\"\n}\n",
            "worker \"sender\" {\n    image \"ghcr.io/acme/mailer:1.0\"\n}\n",
        );
    let next = declared(&changed, None);
    fake.clear_requests();
    let plan = runtime()
        .block_on(async {
            let directory = tempfile::tempdir().expect("tempdir");
            let connection = connect(&fake, directory.path()).await;
            let session =
                Session::open(connection, &next, false, &BTreeSet::new(), &|_| {}).await?;
            session.plan(&next.objects).await
        })
        .expect("plans");
    assert!(
        fake.requests().iter().all(|request| !request.is_mutating()),
        "plan changes nothing"
    );
    let web = plan
        .objects
        .iter()
        .find(|object| object.object == "Deployment/shop/web")
        .expect("web");
    assert_eq!(web.action, "update");
    assert_eq!(web.fields.len(), 1, "{:?}", web.fields);
    assert_eq!(
        web.fields[0].field,
        ".spec.template.spec.containers[0].image"
    );
    assert_eq!(
        web.fields[0].before,
        Some(Value::from("ghcr.io/acme/web:1.0"))
    );
    assert_eq!(
        web.fields[0].after,
        Some(Value::from("ghcr.io/acme/web:1.1"))
    );
    let sender = plan
        .objects
        .iter()
        .find(|object| object.object == "Deployment/shop/sender")
        .expect("sender");
    assert_eq!(sender.action, "create");
    assert!(
        plan.objects
            .iter()
            .filter(|object| object.object.ends_with("/api"))
            .all(|object| object.action == "unchanged")
    );
    assert_eq!(
        plan.prune,
        ["Deployment/shop/mailer", "ServiceAccount/shop/mailer"]
    );
    assert!(plan.changes());
}

/// Deploys SHOP with `rollout` for the Deployment `web` and returns the error.
fn failing(setup: impl FnOnce(&FakeCluster)) -> KubernetesError {
    let fake = FakeCluster::complete();
    setup(&fake);
    runtime()
        .block_on(deploy(&fake, &declared(SHOP, None), &Events::default()))
        .expect_err("fails")
}

#[test]
fn an_image_that_cannot_be_pulled_fails_with_the_kubelets_message() {
    let error = failing(|fake| fake.set_rollout("api", Rollout::ImagePullBackOff));
    assert!(
        matches!(&error, KubernetesError::ImagePull { workload, .. } if workload == "api"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("Back-off pulling image \"ghcr.io/acme/api:1.0\""),
        "{error}"
    );
    assert_eq!(error.code().qualified(), "berth::workload-failed");
}

#[test]
fn a_crashing_container_fails_with_its_restarts() {
    let error = failing(|fake| fake.set_rollout("api", Rollout::CrashLoopBackOff));
    assert!(
        matches!(&error, KubernetesError::CrashLoop { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("restarted 4 times"), "{error}");
    assert!(
        error
            .help()
            .contains("kubectl logs deployment/api --previous")
    );
}

#[test]
fn unschedulable_pods_fail_with_the_schedulers_message() {
    let error = failing(|fake| fake.set_rollout("api", Rollout::Unschedulable));
    assert!(
        matches!(&error, KubernetesError::Unschedulable { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("0/3 nodes are available: 3 Insufficient cpu."),
        "{error}"
    );
}

#[test]
fn a_secret_the_external_secret_cannot_sync_is_named() {
    let error = failing(|fake| {
        fake.fail_secret(
            "web-secrets",
            "could not get secret data from provider: ParameterNotFound",
        );
        fake.set_rollout("web", Rollout::MissingSecret);
    });
    assert!(
        matches!(&error, KubernetesError::SecretNotSynced { .. }),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("`web-secrets`") && text.contains("ParameterNotFound"),
        "{text}"
    );
}

#[test]
fn a_bare_cluster_stops_before_anything_is_applied_naming_each_missing_piece() {
    let fake = FakeCluster::start(Options {
        complete: false,
        ..Options::default()
    });
    let declared = declared(SHOP, None);
    let error = runtime()
        .block_on(deploy(&fake, &declared, &Events::default()))
        .expect_err("missing");
    let KubernetesError::MissingPrerequisites { missing } = &error else {
        panic!("{error}");
    };
    assert_eq!(missing.len(), 3, "{error}");
    assert!(missing[0].what.starts_with("the External Secrets Operator (for SecretStore, ExternalSecret): not found: the `SecretStore` API (external-secrets.io/v1); the `ExternalSecret` API (external-secrets.io/v1); a running Deployment `external-secrets/external-secrets`"), "{error}");
    assert!(
        missing[0].install.contains("helm install external-secrets"),
        "{error}"
    );
    assert!(
        missing[1]
            .what
            .contains("IngressClass `alb` (controller `ingress.k8s.aws/alb`)"),
        "{error}"
    );
    assert!(
        missing[1].install.contains("--set clusterName=platform"),
        "{error}"
    );
    assert!(
        missing[2]
            .what
            .contains("APIService `v1beta1.metrics.k8s.io`"),
        "{error}"
    );
    assert!(
        missing[2]
            .install
            .contains("aws eks create-addon --cluster-name platform --addon-name metrics-server"),
        "{error}"
    );
    assert!(
        fake.requests().iter().all(|request| !request.is_mutating()),
        "nothing applied"
    );
}

#[test]
fn status_lists_replicas_restarts_and_hostnames() {
    let fake = FakeCluster::complete();
    let declared = declared(SHOP, None);
    runtime()
        .block_on(deploy(&fake, &declared, &Events::default()))
        .expect("deploys");
    let statuses = runtime()
        .block_on(async {
            let directory = tempfile::tempdir().expect("tempdir");
            let connection = connect(&fake, directory.path()).await;
            let session =
                Session::open(connection, &declared, false, &BTreeSet::new(), &|_| {}).await?;
            session.status(&declared.objects).await
        })
        .expect("status");
    let web = statuses
        .iter()
        .find(|status| status.workload == "web")
        .expect("web");
    assert_eq!(
        (web.desired, web.ready, web.updated, web.restarts),
        (2, 2, 2, 0),
        "the autoscaler's minimum"
    );
    assert_eq!(
        web.hostname.as_deref(),
        Some("k8s-shopdefault-0123456789-987654321.us-west-2.elb.amazonaws.com")
    );
    let api = statuses
        .iter()
        .find(|status| status.workload == "api")
        .expect("api");
    assert_eq!((api.desired, api.ready), (2, 2));
    assert!(api.hostname.is_none());
}

#[test]
fn destroy_deletes_ingresses_first_and_waits_for_their_load_balancers() {
    let fake = FakeCluster::complete();
    let declared = declared(SHOP, None);
    runtime()
        .block_on(deploy(&fake, &declared, &Events::default()))
        .expect("deploys");
    fake.clear_requests();
    let events = Events::default();
    let deleted = runtime()
        .block_on(async {
            let directory = tempfile::tempdir().expect("tempdir");
            let connection = connect(&fake, directory.path()).await;
            let report = events.report();
            let session =
                Session::open(connection, &declared, false, &BTreeSet::new(), &report).await?;
            session.destroy(Duration::from_millis(20), &report).await
        })
        .expect("destroys");
    assert_eq!(
        deleted.first().map(ToString::to_string).as_deref(),
        Some("Ingress/shop/web")
    );
    assert_eq!(
        deleted.last().map(ToString::to_string).as_deref(),
        Some("Namespace/shop")
    );
    let requests = fake.requests();
    let deletions: Vec<(usize, &str)> = requests
        .iter()
        .enumerate()
        .filter(|(_, request)| request.method == "DELETE")
        .map(|(index, request)| (index, request.path.as_str()))
        .collect();
    assert!(deletions[0].1.ends_with("/ingresses/web"), "{deletions:?}");
    let balancer_gone = fake
        .log()
        .iter()
        .find_map(|line| {
            line.strip_prefix("load balancer of shop/web deleted after request ")
                .map(|count| count.parse::<usize>().expect("a count"))
        })
        .expect("the load balancer was deleted");
    assert!(
        deletions[1].0 >= balancer_gone,
        "workloads are deleted only after the load balancer: {deletions:?}, balancer gone after {balancer_gone}"
    );
    let remaining: Vec<String> = fake
        .names()
        .into_iter()
        .filter(|name| name.contains("/shop/") || name == "Namespace/-/shop")
        .collect();
    assert!(remaining.is_empty(), "{remaining:?}");
}

#[test]
fn a_namespace_someone_else_made_is_deployed_into_but_never_changed_or_deleted() {
    let fake = FakeCluster::complete();
    fake.with_state(|state| {
        let resource =
            fake_kube::resources::by_kind("v1", "Namespace", &|_| true).expect("Namespace");
        state.store.create(
            resource,
            serde_json::json!({"metadata": {"name": "shop", "labels": {"team": "platform"}}}),
            "platform-team",
        );
    });
    let declared = declared(SHOP, None);
    let events = Events::default();
    let applied = runtime()
        .block_on(deploy(&fake, &declared, &events))
        .expect("deploys");
    assert!(!applied.iter().any(|(id, _)| id == "Namespace/shop"));
    assert!(events.all().iter().any(|event| matches!(event, KubernetesEvent::Note { message } if message.contains("namespace `shop` already exists and is not berth's"))));
    let namespace = fake
        .object("v1", "Namespace", None, "shop")
        .expect("exists");
    assert_eq!(
        namespace.pointer("/metadata/labels"),
        Some(&serde_json::json!({"team": "platform"}))
    );
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop"), "web")
            .is_some()
    );

    runtime()
        .block_on(async {
            let directory = tempfile::tempdir().expect("tempdir");
            let connection = connect(&fake, directory.path()).await;
            let session =
                Session::open(connection, &declared, false, &BTreeSet::new(), &|_| {}).await?;
            session.destroy(Duration::from_millis(20), &|_| {}).await
        })
        .expect("destroys");
    assert!(
        fake.object("v1", "Namespace", None, "shop").is_some(),
        "not berth's to delete"
    );
    assert!(
        fake.object("apps/v1", "Deployment", Some("shop"), "web")
            .is_none()
    );
}

#[test]
fn a_load_balancer_the_controller_cannot_make_fails_with_its_event() {
    let error = failing(|fake| {
        fake.fail_ingress(
            "web",
            "FailedDeployModel",
            "Failed deploy model due to AccessDenied: elasticloadbalancing:CreateLoadBalancer",
        );
    });
    assert!(
        matches!(&error, KubernetesError::LoadBalancerFailed { ingress, .. } if ingress == "shop/web"),
        "{error}"
    );
    assert!(error.to_string().contains("AccessDenied"), "{error}");
    assert_eq!(error.code().qualified(), "berth::load-balancer-failed");
}
