//! The naming rules at their boundaries: the validity checks of names, labels and keys (exactly
//! the limit and one over), every name pattern, the hash a shortened name ends with, and which
//! names [`generated_names`] lists for each target.
//!
//! The end-to-end checks (a name one over its limit is `berth::name-too-long`, emitted names fit
//! AWS) are in `tests/naming.rs`; these guard the functions themselves, so that
//! `cargo mutants -f compiler/src/naming.rs` finds every mutant with the compiler's own tests.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::*;
use crate::diagnostics::Diagnostics;
use crate::source::Spanned;

/// The sha256 of `text` in lowercase hex, written independently of the code under test.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// `source` lowered (not validated) for `target`.
fn lowered(source: &str, target: Target) -> Workspace {
    let document = crate::parse(source).unwrap_or_else(|error| panic!("{error:?}\n{source}"));
    let options = crate::Options {
        target: Some(target),
        ..crate::Options::default()
    };
    let mut diagnostics = Diagnostics::default();
    crate::lower(&document, source, &options, &mut diagnostics)
        .unwrap_or_else(|| panic!("does not lower:\n{source}"))
}

#[test]
fn labels_follow_dns_rules() {
    for (label, valid) in [
        ("web-2", true),
        ("a", true),
        ("a-1", true),
        ("a1b", true),
        ("Web", false),
        ("2web", false),
        ("-web", false),
        ("web-", false),
        ("web_2", false),
        ("web.2", false),
        ("", false),
    ] {
        assert_eq!(check_label(label).is_ok(), valid, "`{label}`");
    }
    assert_eq!(
        label_help("My_Service"),
        "names are lowercase DNS labels; try `my-service`"
    );
}

#[test]
fn a_label_of_63_characters_is_valid_and_one_of_64_is_not() {
    assert_eq!(check_label(&"a".repeat(63)), Ok(()));
    assert_eq!(
        check_label(&"a".repeat(64)),
        Err("it has 64 characters, more than 63".into())
    );
}

#[test]
fn label_help_suggests_the_closest_valid_label() {
    for (text, suggestion) in [
        ("My_Service", Some("my-service")),
        ("9lives", Some("lives")),
        ("-web-", Some("web")),
        ("12-api.v2", Some("api-v")),
        ("WEB", Some("web")),
        ("___", None),
        ("42", None),
    ] {
        let expected = suggestion.map_or_else(
            || "names are lowercase DNS labels: a letter, then letters, digits or `-`".to_owned(),
            |fixed| format!("names are lowercase DNS labels; try `{fixed}`"),
        );
        assert_eq!(label_help(text), expected, "`{text}`");
    }
    // The suggestion is cut to a label's 63 characters, and a cut that ends on `-` drops it.
    let long = format!("{}-{}", "a".repeat(62), "b".repeat(10));
    assert_eq!(
        label_help(&long),
        format!("names are lowercase DNS labels; try `{}`", "a".repeat(62))
    );
}

#[test]
fn environment_variable_names_are_a_letter_or_underscore_then_alphanumerics_or_underscores() {
    for (name, valid) in [
        ("LOG_LEVEL", true),
        ("_PRIVATE", true),
        ("_", true),
        ("a9", true),
        ("9LIVES", false),
        ("", false),
        ("API-KEY", false),
        ("A B", false),
        ("-A", false),
    ] {
        assert_eq!(is_environment_variable(name), valid, "`{name}`");
    }
}

#[test]
fn logical_ids_join_the_capitalised_alphanumeric_segments_of_their_parts() {
    for (parts, id) in [
        (&["Service", "web-api"][..], "ServiceWebApi"),
        (&["volume", "my--data_2"][..], "VolumeMyData2"),
        (&["", "x9"][..], "X9"),
        (&["1st"][..], "1st"),
        (&["-"][..], ""),
    ] {
        assert_eq!(logical_id(parts), id, "{parts:?}");
    }
}

#[test]
fn kubernetes_label_values_are_at_most_63_characters_alphanumeric_at_both_ends() {
    for (value, valid) in [
        (String::new(), true),
        ("a".into(), true),
        ("A.b_c-9".into(), true),
        ("a".repeat(63), true),
        ("a".repeat(64), false),
        ("-a".into(), false),
        ("a-".into(), false),
        ("_a".into(), false),
        ("a/b".into(), false),
        ("a b".into(), false),
    ] {
        assert_eq!(is_label_value(&value), valid, "`{value}`");
    }
}

#[test]
fn kubernetes_label_keys_have_an_optional_dns_prefix_of_at_most_253_characters() {
    for (key, valid) in [
        ("app".to_owned(), true),
        ("example.com/app".into(), true),
        ("app.kubernetes.io/name".into(), true),
        ("my-org.io/team".into(), true),
        (format!("{}/app", "a".repeat(253)), true),
        (format!("{}/app", "a".repeat(254)), false),
        ("Example.com/app".into(), false),
        ("example_com/app".into(), false),
        ("example..com/app".into(), false),
        ("/app".into(), false),
        ("example.com/".into(), false),
        (String::new(), false),
        ("example.com/-app".into(), false),
        ("a/b/c".into(), false),
    ] {
        assert_eq!(is_label_key(&key), valid, "`{key}`");
    }
}

#[test]
fn names_follow_their_patterns() {
    let naming = Naming::new("shop", "prod", "eu-west-1");
    for (name, expected) in [
        (naming.prefix(), "shop-prod"),
        (naming.platform_stack(), "shop-prod-platform"),
        (naming.workload_stack("web"), "shop-prod-web"),
        (naming.task_family("web"), "shop-prod-web"),
        (
            naming.workload_role("web", "task"),
            "shop-prod-web-task-eu-west-1",
        ),
        (naming.platform_role("node"), "shop-prod-node-eu-west-1"),
        (naming.pod_role_path(), "/berth/shop/prod/eu-west-1/pod/"),
        (naming.target_group("web", 8080), "shop-prod-web-8080"),
        (naming.load_balancer(), "shop-prod"),
        (naming.parameter("vpc-id"), "/berth/shop/prod/vpc-id"),
        (naming.log_group(), "/berth/shop/prod"),
        (naming.flow_log_group(), "/berth/shop/prod/vpc-flow-logs"),
        (naming.ecr_repository("api"), "shop/prod/api"),
        (naming.discovery_namespace(), "prod.shop.local"),
        (Naming::discovery_name("web", 8080), "web_8080"),
        (Naming::kubernetes_secret("web"), "web-secrets"),
        (Naming::volume_claim("web", "data"), "web-data"),
        (Naming::port_name("http", 8080), "http-8080"),
    ] {
        assert_eq!(name, expected);
    }
}

#[test]
fn naming_of_a_workspace_uses_its_name_environment_and_region() {
    let workspace = lowered(
        "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
        Target::Fargate,
    );
    let naming = Naming::of(&workspace);
    assert_eq!(
        naming.workload_role("w", "exec"),
        format!("shop-{}-w-exec-eu-west-1", workspace.environment.value)
    );
}

#[test]
fn long_names_are_shortened_to_their_limit_with_a_stable_hash() {
    assert_eq!(shorten("short", 32), "short");
    let long = "acme-storefront-production-web-frontend-8080";
    let short = shorten(long, 32);
    assert_eq!(short.len(), 32);
    assert_eq!(short, shorten(long, 32), "deterministic");
    assert!(short.starts_with("acme-storefront-product-"));
    assert_ne!(
        short,
        shorten("acme-storefront-production-web-frontend-8081", 32)
    );
    // A cut that ends on `-` drops it: names must end alphanumeric.
    let cut = shorten("abcdefghijklmnopqrstuv-wxyz-0123456789", 32);
    assert!(cut.len() < 32 && !cut.contains("--"), "{cut}");
    let naming = Naming::new("acme-storefront", "production", "ap-southeast-2");
    let role = naming.workload_role("web-frontend-edge", "schedule");
    assert_eq!(role.len(), 64, "{role}");
    assert_ne!(
        role,
        Naming::new("acme-storefront", "production", "ap-southeast-1")
            .workload_role("web-frontend-edge", "schedule"),
        "another region, another role"
    );
}

#[test]
fn a_shortened_name_is_its_start_a_dash_and_the_first_eight_hex_digits_of_its_sha256() {
    for (name, max, kept) in [
        ("abcdefghij", 9, ""),
        ("abcdefghijk", 10, "a-"),
        (
            "acme-storefront-production-web-frontend-8080",
            32,
            "acme-storefront-product-",
        ),
        (
            "abcdefghijklmnopqrstuv-wxyz-0123456789",
            32,
            "abcdefghijklmnopqrstuv-",
        ),
        ("ab.cdefghijklmn", 12, "ab-"),
    ] {
        let expected = format!("{kept}{}", &sha256_hex(name)[..8]);
        assert_eq!(shorten(name, max), expected, "`{name}` to {max}");
    }
}

#[test]
fn the_shared_stack_of_a_cluster_with_an_underscore_keeps_it_apart_by_a_hash() {
    assert_eq!(shared_cluster_stack("platform"), "berth-eks-platform");
    assert_eq!(shared_cluster_stack("a-b"), "berth-eks-a-b");
    assert_eq!(
        shared_cluster_stack("a_b"),
        format!("berth-eks-a-b-{}", &sha256_hex("a_b")[..8])
    );
}

/// The node group `general` of a workspace on `network`, with `instance_type`.
fn nodegroup_name(instance_type: &str, network: &Network) -> String {
    let group = Nodegroup {
        name: Spanned::new("general".into(), Span::default()),
        instance_type: instance_type.into(),
        min: 1,
        max: 3,
        desired: 2,
    };
    Naming::new("shop", "prod", "eu-west-1").nodegroup(&group, network)
}

fn subnets(ids: &[&str]) -> Vec<Spanned<String>> {
    ids.iter()
        .map(|id| Spanned::new((*id).to_owned(), Span::default()))
        .collect()
}

fn existing(public: &[&str], private: &[&str]) -> Network {
    Network::Existing {
        vpc: Spanned::new("vpc-1".into(), Span::default()),
        public_subnets: subnets(public),
        private_subnets: subnets(private),
    }
}

#[test]
fn a_node_group_is_renamed_exactly_when_its_instance_type_or_node_subnets_change() {
    let new = |cidr: &str, zones: u8, nat: bool| Network::New {
        cidr: Spanned::new(cidr.into(), Span::default()),
        zones,
        nat,
    };
    let name = nodegroup_name("t3.large", &new("10.0.0.0/16", 2, true));
    let (start, hash) = name.rsplit_once('-').expect("a hash");
    assert_eq!(start, "shop-prod-general");
    assert!(
        hash.len() == 8 && hash.chars().all(|digit| digit.is_ascii_hexdigit()),
        "{name}"
    );
    assert_eq!(
        name,
        nodegroup_name("t3.large", &new("10.0.0.0/16", 2, true))
    );
    for changed in [
        nodegroup_name("m5.large", &new("10.0.0.0/16", 2, true)),
        nodegroup_name("t3.large", &new("10.1.0.0/16", 2, true)),
        nodegroup_name("t3.large", &new("10.0.0.0/16", 3, true)),
        nodegroup_name("t3.large", &new("10.0.0.0/16", 2, false)),
    ] {
        assert_ne!(name, changed);
    }
    // Nodes run in the private subnets when there are any: only those rename the group.
    let private = nodegroup_name("t3.large", &existing(&["subnet-a"], &["subnet-p"]));
    assert_eq!(
        private,
        nodegroup_name("t3.large", &existing(&["subnet-b"], &["subnet-p"]))
    );
    assert_ne!(
        private,
        nodegroup_name("t3.large", &existing(&["subnet-a"], &["subnet-q"]))
    );
    let public = nodegroup_name("t3.large", &existing(&["subnet-a"], &[]));
    assert_ne!(
        public,
        nodegroup_name("t3.large", &existing(&["subnet-b"], &[]))
    );
}

/// The `(limit, name)` pairs [`generated_names`] lists for `source` on `target`.
fn generated(source: &str, target: Target) -> BTreeSet<(&'static str, String)> {
    generated_names(&lowered(source, target))
        .into_iter()
        .map(|name| (name.limit.what, name.value))
        .collect()
}

const EKS_SOURCE: &str = r#"
workspace "shop" {
    region "eu-west-1"
    eks {
        nodegroup "general" instance-type="t3.large" min=1 max=2 desired=1
    }
}
service "web" {
    image repository="web" tag="1"
    port 8080
    volume "data" path="/data"
}
job "nightly" {
    image "ghcr.io/acme/report:1"
    schedule "0 3 * * *"
}
"#;

#[test]
fn on_eks_the_cluster_namespace_kubernetes_objects_and_node_groups_are_checked() {
    let names = generated(EKS_SOURCE, Target::Eks);
    let nodegroup = names
        .iter()
        .find(|(what, _)| *what == "EKS node group")
        .map(|(_, name)| name.clone())
        .expect("the node group's name");
    let expected: BTreeSet<(&str, String)> = [
        ("CloudFormation stack", "shop-default-platform"),
        ("log group", "/berth/shop/default"),
        ("ALB ingress group", "shop-default"),
        ("Kubernetes label value", "shop"),
        ("Kubernetes namespace", "shop-default"),
        ("EKS cluster", "shop-default"),
        ("EKS node group", nodegroup.as_str()),
        ("ECR repository", "shop/default/web"),
        ("Kubernetes label value", "web"),
        ("Kubernetes object", "web-secrets"),
        ("Kubernetes object", "web-data"),
        ("container port name", "http-8080"),
        ("Kubernetes label value", "nightly"),
        ("Kubernetes object", "nightly-secrets"),
        ("Kubernetes CronJob", "nightly"),
    ]
    .into_iter()
    .map(|(what, name)| (what, name.to_owned()))
    .collect();
    assert_eq!(names, expected);
}

#[test]
fn on_eks_a_namespace_written_in_the_file_and_an_existing_cluster_are_not_generated_names() {
    let source = EKS_SOURCE.replace(
        "nodegroup \"general\" instance-type=\"t3.large\" min=1 max=2 desired=1",
        "cluster \"platform\"\n        namespace \"shop\"",
    );
    let whats: BTreeSet<&str> = generated(&source, Target::Eks)
        .into_iter()
        .map(|(what, _)| what)
        .collect();
    for absent in ["Kubernetes namespace", "EKS cluster", "EKS node group"] {
        assert!(!whats.contains(absent), "{absent} listed: {whats:?}");
    }
    assert!(whats.contains("ALB ingress group"), "{whats:?}");
}

#[test]
fn on_ecs_and_fargate_the_cluster_stacks_and_task_families_are_checked() {
    for target in [Target::Ecs, Target::Fargate] {
        let expected: BTreeSet<(&str, String)> = [
            ("CloudFormation stack", "shop-default-platform"),
            ("log group", "/berth/shop/default"),
            ("ECS cluster, service or task family", "shop-default"),
            ("ECR repository", "shop/default/web"),
            ("CloudFormation stack", "shop-default-web"),
            ("ECS cluster, service or task family", "shop-default-web"),
            ("CloudFormation stack", "shop-default-nightly"),
            (
                "ECS cluster, service or task family",
                "shop-default-nightly",
            ),
        ]
        .into_iter()
        .map(|(what, name)| (what, name.to_owned()))
        .collect();
        assert_eq!(generated(EKS_SOURCE, target), expected, "{}", target.name());
    }
}

#[test]
fn the_scratch_volume_is_tmp_unless_a_declared_volume_takes_the_name() {
    let workspace = lowered(
        r#"
workspace "shop" { region "eu-west-1"; }
worker "plain" { image "ghcr.io/acme/w:1"; }
worker "one" {
    image "ghcr.io/acme/w:1"
    volume "tmp" path="/data"
}
worker "both" {
    image "ghcr.io/acme/w:1"
    volume "tmp" path="/a"
    volume "berth-tmp" path="/b"
}
"#,
        Target::Fargate,
    );
    // One workload at a time, so that a wrong answer fails before a later one could loop.
    for (workload, expected) in
        workspace
            .workloads
            .iter()
            .zip(["tmp", "berth-tmp", "berth-berth-tmp"])
    {
        assert_eq!(
            scratch_volume(workload),
            expected,
            "{}",
            workload.name.value
        );
    }
}

#[test]
fn a_workload_on_eks_needs_a_pod_role_when_it_has_a_role_or_reads_secrets() {
    let workspace = lowered(
        r#"
workspace "shop" { region "eu-west-1"; }
worker "plain" { image "ghcr.io/acme/w:1"; }
worker "reader" {
    image "ghcr.io/acme/w:1"
    secret "KEY" from="ssm:/shop/key"
}
worker "writer" {
    image "ghcr.io/acme/w:1"
    role { allow "s3:PutObject" resource="arn:aws:s3:::shop/*"; }
}
"#,
        Target::Eks,
    );
    let needs: Vec<bool> = workspace.workloads.iter().map(needs_pod_role).collect();
    assert_eq!(needs, [false, true, true]);
}
