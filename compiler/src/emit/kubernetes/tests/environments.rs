//! Environments on eks: each gets its own namespace by default, and may change the domain, the
//! cluster, the namespace and the network.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::emit::{ArtifactKind, Artifacts, TemplateFormat, emit};
use crate::model::{EksCluster, Network, Target, Workspace};

const SHARED: &str = r#"
workspace "shop" {
    target "eks"
    region "eu-west-1"
    network {
        vpc "vpc-0abc1234def567890"
        public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
        private-subnets "subnet-0bbb5555ccc66666a" "subnet-0eee7777fff88888b"
    }
    eks { cluster "platform"; }
    domain "dev.shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/dev"
}

environment "dev" {}

environment "prod" {
    domain "shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/prod"
    network {
        vpc "vpc-0fed1234def567890"
        public-subnets "subnet-0aaa1111bbb22222d" "subnet-0ddd3333eee44444e"
    }
    eks { cluster "platform-prod"; namespace "shop"; }
}

service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; }
    secret "KEY" from="ssm:/shop/key"
}
"#;

fn lowered(source: &str, environment: &str) -> Workspace {
    let options = crate::Options {
        environment: Some(environment.to_owned()),
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    let checked = crate::check(source, &options);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked
        .workspace
        .map(crate::Valid::into_inner)
        .expect("a valid workspace")
}

fn built(source: &str, environment: &str) -> Artifacts {
    let options = crate::Options {
        environment: Some(environment.to_owned()),
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    let checked = crate::check(source, &options);
    let workspace = checked.workspace.expect("a valid workspace");
    emit(&workspace, TemplateFormat::Json).expect("emits")
}

/// Every Kubernetes object of a build as (kind, namespace, name).
fn objects(artifacts: &Artifacts) -> BTreeSet<(String, String, String)> {
    artifacts
        .files
        .iter()
        .filter(|file| file.kind == ArtifactKind::Kubernetes)
        .flat_map(|file| {
            serde_saphyr::from_str_multiple::<Value, Vec<Value>>(&file.content)
                .expect("YAML documents")
        })
        .map(|document| {
            let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
            (
                text(&document["kind"]),
                text(&document["metadata"]["namespace"]),
                text(&document["metadata"]["name"]),
            )
        })
        .collect()
}

#[test]
fn each_environment_gets_its_own_namespace_by_default() {
    let dev = lowered(SHARED, "dev");
    assert_eq!(dev.eks.namespace.value, "shop-dev");
    let base = lowered(
        SHARED.replace("environment \"dev\" {}", "").as_str(),
        "prod",
    );
    assert_eq!(base.eks.namespace.value, "shop");
    let dev_objects = objects(&built(SHARED, "dev"));
    assert!(dev_objects.contains(&("Namespace".into(), String::new(), "shop-dev".into())));
    assert!(
        dev_objects
            .iter()
            .filter(|(kind, _, _)| kind != "Namespace" && kind != "StorageClass")
            .all(|(_, namespace, _)| namespace == "shop-dev"),
        "{dev_objects:#?}"
    );
}

#[test]
fn two_environments_on_one_cluster_render_no_common_object() {
    let source = SHARED.replace(r#"eks { cluster "platform-prod"; namespace "shop"; }"#, "");
    let dev = objects(&built(&source, "dev"));
    let prod = objects(&built(&source, "prod"));
    let common: Vec<_> = dev.intersection(&prod).collect();
    assert!(common.is_empty(), "both environments render {common:#?}");
}

#[test]
fn an_environment_changes_the_domain_cluster_namespace_and_network() {
    let prod = lowered(SHARED, "prod");
    assert_eq!(
        prod.domain
            .as_ref()
            .map(|domain| domain.host.value.as_str()),
        Some("shop.example.com")
    );
    assert!(
        matches!(&prod.eks.cluster, EksCluster::Existing(name) if name.value == "platform-prod")
    );
    assert_eq!(prod.eks.namespace.value, "shop");
    assert!(
        matches!(&prod.network, Network::Existing { vpc, private_subnets, .. }
        if vpc.value == "vpc-0fed1234def567890" && private_subnets.is_empty())
    );
    let dev = lowered(SHARED, "dev");
    assert!(matches!(&dev.eks.cluster, EksCluster::Existing(name) if name.value == "platform"));
    assert_eq!(
        dev.domain.as_ref().map(|domain| domain.host.value.as_str()),
        Some("dev.shop.example.com")
    );
}

#[test]
fn an_environment_switches_between_a_new_and_an_existing_cluster() {
    let source = r#"
workspace "shop" {
    target "eks"
    region "eu-west-1"
    eks { version "1.35"; nodegroup "general" instance-type="t3.large" min=2 max=4 desired=2; }
}
environment "dev" {
    network {
        vpc "vpc-0abc1234def567890"
        public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
    }
    eks { cluster "shared-dev"; }
}
environment "prod" {
    eks { nodegroup "general" instance-type="m7i.xlarge" min=3 max=9 desired=3; }
}
service "web" { image "ghcr.io/acme/web:1.0"; port 8080; }
"#;
    let dev = lowered(source, "dev");
    assert!(matches!(&dev.eks.cluster, EksCluster::Existing(name) if name.value == "shared-dev"));
    let prod = lowered(source, "prod");
    let EksCluster::New { nodegroups, .. } = &prod.eks.cluster else {
        panic!("prod keeps a new cluster");
    };
    assert_eq!(nodegroups.len(), 1);
    assert_eq!(nodegroups[0].instance_type, "m7i.xlarge");
}
