//! Properties of the Kubernetes manifests that must hold for any workspace.

mod environments;
mod networking;
mod pods;
mod secrets;

use serde_json::{Value, json};

use super::emit_kubernetes;
use crate::emit::ArtifactKind;
use crate::model::Target;

pub(super) const SHOP: &str = r#"
workspace "shop" {
    target "eks"
    region "eu-west-1"
    eks { version "1.35"; namespace "shop"; nodegroup "general" instance-type="t3.large" min=2 max=6 desired=2; }
    domain "shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    tags { team "commerce"; }
}

service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    cpu 512
    memory 1024
    replicas min=2 max=10 { cpu 70; }
    health { http "/healthz"; interval "10s"; timeout "5s"; retries 3; grace "30s"; }
    env { LOG_LEVEL "info"; API_URL "http://api:9000"; FLAG "no"; }
    secret "SESSION_KEY" from="ssm:/shop/session-key"
    secret "STRIPE_KEY" from="secretsmanager:shop/stripe" key="api_key"
    depends-on "api"
}

service "api" {
    image repository="api" tag="1.4.2"
    port 9000 { public #true; path "/api"; host "api.example.com"; }
    port 9090 protocol="grpc" { public #true; path "/grpc"; }
    cpu 1024
    memory 2048
    replicas 3
    volume "uploads" path="/data"
    secret "SMTP" from="secretsmanager:shop/smtp" key="password"
    sidecar "envoy" { image "envoyproxy/envoy:v1.31.0"; port 9901; secret "SMTP" from="ssm:/shop/envoy-smtp"; }
}

worker "mailer" {
    image "ghcr.io/acme/mailer:1.0"
    cpu 256
    memory 512
    health { command "pgrep" "mailer"; interval "30s"; timeout "5s"; retries 3; }
}

job "nightly" {
    image "ghcr.io/acme/report:1.0"
    schedule "0 3 * * *"
    command "report" "--since" "24h"
    timeout "1h"
    retries 2
}
"#;

/// Every file of `source` built for eks, as (path, order, documents).
pub(super) fn build(source: &str) -> Vec<(String, u32, Vec<Value>)> {
    let options = crate::Options {
        target: Some(Target::Eks),
        ..Default::default()
    };
    let checked = crate::check(source, &options);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity() == crate::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let Some(workspace) = checked.workspace else {
        panic!("no workspace");
    };
    emit_kubernetes(&workspace)
        .into_iter()
        .map(|artifact| {
            assert_eq!(artifact.kind, ArtifactKind::Kubernetes);
            assert!(artifact.stack.is_none());
            let documents: Vec<Value> = serde_saphyr::from_str_multiple(&artifact.content)
                .unwrap_or_else(|error| panic!("{}: {error}\n{}", artifact.path, artifact.content));
            (artifact.path, artifact.order, documents)
        })
        .collect()
}

pub(super) fn file<'a>(files: &'a [(String, u32, Vec<Value>)], path: &str) -> &'a [Value] {
    files
        .iter()
        .find(|(name, _, _)| name == path)
        .map_or_else(|| panic!("no {path}"), |(_, _, documents)| documents)
}

pub(super) fn object<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|document| document["kind"] == kind && document["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

pub(super) fn kinds(documents: &[Value]) -> Vec<&str> {
    documents
        .iter()
        .filter_map(|document| document["kind"].as_str())
        .collect()
}

pub(super) fn main_container(pod: &Value) -> &Value {
    &pod["spec"]["containers"][0]
}

#[test]
fn files_and_orders() {
    let files = build(SHOP);
    let summary: Vec<(&str, u32)> = files
        .iter()
        .map(|(path, order, _)| (path.as_str(), *order))
        .collect();
    assert_eq!(
        summary,
        [
            ("namespace.yaml", 3),
            ("service-web.yaml", 5),
            ("service-api.yaml", 4),
            ("worker-mailer.yaml", 4),
            ("job-nightly.yaml", 4),
        ]
    );
}

#[test]
fn namespace_and_storage_class() {
    let files = build(SHOP);
    let documents = file(&files, "namespace.yaml");
    assert_eq!(kinds(documents), ["Namespace", "StorageClass"]);
    let namespace = object(documents, "Namespace", "shop");
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(
        namespace["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "shop"
    );
    let class = object(documents, "StorageClass", "shop-default-efs");
    assert_eq!(class["provisioner"], "efs.csi.aws.com");
    assert_eq!(class["reclaimPolicy"], "Retain");
    assert_eq!(
        class["parameters"],
        json!({
            "provisioningMode": "efs-ap",
            "fileSystemId": "${berth:FileSystemId}",
            "directoryPerms": "700",
        })
    );
    assert!(class["metadata"].get("namespace").is_none());
}

#[test]
fn no_storage_class_without_volumes() {
    let source = SHOP.replace(r#"volume "uploads" path="/data""#, "");
    let files = build(&source);
    assert_eq!(kinds(file(&files, "namespace.yaml")), ["Namespace"]);
}

#[test]
fn documents_in_apply_order() {
    let files = build(SHOP);
    assert_eq!(
        kinds(file(&files, "service-web.yaml")),
        [
            "ServiceAccount",
            "SecretStore",
            "SecretStore",
            "ExternalSecret",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Ingress",
        ]
    );
    assert_eq!(
        kinds(file(&files, "service-api.yaml")),
        [
            "ServiceAccount",
            "SecretStore",
            "SecretStore",
            "ExternalSecret",
            "PersistentVolumeClaim",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "Ingress",
            "Ingress",
        ]
    );
    assert_eq!(
        kinds(file(&files, "worker-mailer.yaml")),
        ["ServiceAccount", "Deployment"]
    );
    assert_eq!(
        kinds(file(&files, "job-nightly.yaml")),
        ["ServiceAccount", "CronJob"]
    );
    for (_, _, documents) in files.iter().skip(1) {
        for document in documents {
            assert_eq!(document["metadata"]["namespace"], "shop", "{document}");
            assert_eq!(
                document["metadata"]["labels"]["app.kubernetes.io/managed-by"],
                "berth"
            );
        }
    }
}

#[test]
fn yaml_1_1_ambiguous_strings_are_quoted() {
    let options = crate::Options {
        target: Some(Target::Eks),
        ..Default::default()
    };
    let checked = crate::check(SHOP, &options);
    let Some(workspace) = checked.workspace else {
        panic!("no workspace");
    };
    let artifacts = emit_kubernetes(&workspace);
    let web = artifacts
        .iter()
        .find(|artifact| artifact.path == "service-web.yaml")
        .map(|artifact| artifact.content.as_str())
        .unwrap_or_default();
    assert!(!web.contains("value: no\n"), "{web}");
    assert!(web.contains("\n---\n"));
    assert_eq!(
        emit_kubernetes(&workspace)
            .iter()
            .map(|artifact| &artifact.content)
            .collect::<Vec<_>>(),
        artifacts
            .iter()
            .map(|artifact| &artifact.content)
            .collect::<Vec<_>>(),
        "deterministic"
    );
}

#[test]
fn legal_workspace_tags_become_labels() {
    let source = r#"
workspace "shop" {
    region "eu-west-1"
    tags { team "payments"; "cost center" "42"; }
}
service "web" { image "ghcr.io/acme/web:1"; port 8080; }
"#;
    let files = build(source);
    for (path, _, documents) in &files {
        for document in documents {
            let labels = &document["metadata"]["labels"];
            assert_eq!(labels["team"], "payments", "{path}: {document}");
            assert!(
                labels.get("cost center").is_none(),
                "{path}: an illegal label key was written"
            );
        }
    }
    let checked = crate::check(
        source,
        &crate::Options {
            target: Some(Target::Eks),
            ..Default::default()
        },
    );
    assert!(checked.diagnostics.iter().any(|diagnostic| {
        diagnostic
            .message
            .contains("tag `cost center` cannot be a Kubernetes label")
    }));
}

#[test]
fn every_object_names_its_owner_and_kind_is_listed_for_pruning() {
    use crate::emit::contract::{APPLIED_KINDS, ENVIRONMENT_LABEL, WORKSPACE_LABEL};
    for (path, _, documents) in build(SHOP) {
        for document in documents {
            let labels = &document["metadata"]["labels"];
            assert_eq!(labels[WORKSPACE_LABEL], "shop", "{path}: {document}");
            assert_eq!(labels[ENVIRONMENT_LABEL], "default", "{path}: {document}");
            let kind = (
                document["apiVersion"].as_str().unwrap_or_default(),
                document["kind"].as_str().unwrap_or_default(),
            );
            assert!(
                APPLIED_KINDS.contains(&kind),
                "{kind:?} of {path} is not in APPLIED_KINDS"
            );
        }
    }
}

#[test]
fn the_cluster_requirements_follow_the_objects() {
    use crate::manifest::RequirementCheck;
    let options = crate::Options {
        target: Some(Target::Eks),
        ..Default::default()
    };
    let workspace = crate::check(SHOP, &options).workspace.expect("valid");
    let requirements = super::requirements(&workspace, "shop-default", true);
    let names: Vec<&str> = requirements
        .iter()
        .map(|requirement| requirement.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "external-secrets",
            "load-balancer-controller",
            "metrics-api",
            "efs-csi-driver"
        ]
    );
    assert_eq!(requirements[0].needed_by, ["SecretStore", "ExternalSecret"]);
    assert!(
        requirements[1]
            .checks
            .contains(&RequirementCheck::IngressClass {
                name: "alb".into(),
                controller: "ingress.k8s.aws/alb".into()
            })
    );
    assert!(
        requirements[2]
            .install
            .contains("--cluster-name shop-default --addon-name metrics-server")
    );
    assert!(
        requirements[3].installed_by.is_some(),
        "the platform stack's add-on"
    );
    assert!(
        super::requirements(&workspace, "shared", false)[3]
            .installed_by
            .is_none()
    );

    // A worker with no secrets, routes, autoscaling or volumes needs nothing.
    let plain = "workspace \"plain\" { target \"eks\"; region \"eu-west-1\"; }\nworker \"w\" { image \"ghcr.io/acme/w:1\"; }\n";
    let workspace = crate::check(plain, &options).workspace.expect("valid");
    assert!(super::requirements(&workspace, "plain-default", true).is_empty());
}
