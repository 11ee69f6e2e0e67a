//! Properties of the `eks` platform stack that must hold for any workspace.

mod access;
mod controllers;
mod shared;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::cluster::ami_type;
use super::{eks_platform_stack, pod_identity_stack};
use crate::emit::cloudformation::{Context, platform};
use crate::emit::contract::platform::CLUSTER_SECURITY_GROUP_PARAMETER;
use crate::emit::contract::{CLUSTER_ORDER, NAMESPACE_ORDER, POD_IDENTITY_ORDER, pod_role_output};
use crate::emit::kubernetes;
use crate::emit::{ArtifactKind, Artifacts, TemplateFormat, emit};
use crate::model::{Target, Workspace};

fn workspace(source: &str, target: Target) -> Workspace {
    let options = crate::Options {
        target: Some(target),
        ..crate::Options::default()
    };
    let checked = crate::check(source, &options);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked
        .workspace
        .map(crate::Valid::into_inner)
        .expect("a valid workspace")
}

fn eks(source: &str) -> Value {
    let workspace = workspace(source, Target::Eks);
    let text = eks_platform_stack(&Context::new(&workspace)).render(TemplateFormat::Json);
    serde_json::from_str(&text).expect("the template is JSON")
}

/// The Pod Identity stack of `workload` in `source`, if it has one.
fn pod_stack(source: &str, workload: &str) -> Option<Value> {
    let workspace = workspace(source, Target::Eks);
    let workload = workspace
        .workloads
        .iter()
        .find(|candidate| candidate.name.value == workload)
        .expect("the workload exists");
    pod_identity_stack(&Context::new(&workspace), workload).map(|template| {
        serde_json::from_str(&template.render(TemplateFormat::Json)).expect("the template is JSON")
    })
}

/// Everything `berth build --target eks` writes for `source`.
fn build(source: &str) -> Artifacts {
    build_as(source, TemplateFormat::Json)
}

/// Everything `berth build --target eks --cfn-format <format>` writes for `source`.
fn build_as(source: &str, format: TemplateFormat) -> Artifacts {
    let options = crate::Options {
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    let checked = crate::check(source, &options);
    let workspace = checked.workspace.expect("a valid workspace");
    emit(&workspace, format).expect("emits")
}

/// `{"Fn::ImportValue": "<platform stack>-<key>"}` for the workspace `shop`.
fn shop_import(key: &str) -> Value {
    json!({ "Fn::ImportValue": format!("shop-default-platform-{key}") })
}

use crate::emit::cloudformation::template::resource_ids as resources_of;

/// Every `${berth:<Key>}` placeholder in `text`.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("${berth:")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(key, _)| key.to_owned()))
        .collect()
}

const NEW: &str = r#"
workspace "shop" {
    target "eks"
    region "eu-west-1"
    network { zones 2; nat #true; }
    eks { version "1.35"; namespace "shop"; nodegroup "general" instance-type="t3.large" min=2 max=6 desired=3; nodegroup "arm" instance-type="m7g.large" min=1 max=2 desired=1; }
}
service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    secret "SESSION_KEY" from="ssm:/shop/session-key"
    secret "STRIPE_KEY" from="secretsmanager:shop/stripe" key="api_key"
}
service "api" {
    image repository="api" tag="1.4.2"
    port 9000
    volume "uploads" path="/data"
    role { allow "s3:GetObject" resource="arn:aws:s3:::shop-assets/*"; }
}
worker "mailer" { image "ghcr.io/acme/mailer:1.0"; }
"#;

const EXISTING: &str = r#"
workspace "billing" {
    target "eks"
    region "eu-west-1"
    network {
        vpc "vpc-0abc1234def567890"
        public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
        private-subnets "subnet-0bbb5555ccc66666a" "subnet-0eee7777fff88888b"
    }
    eks { cluster "platform-prod"; namespace "billing"; }
}
service "portal" {
    image "ghcr.io/acme/portal:1.0"
    port 8080 { public #true; path "/"; }
    volume "data" path="/data"
    role { allow "s3:PutObject" resource="arn:aws:s3:::acme-billing/*"; }
}
"#;

#[test]
fn a_new_cluster_has_its_roles_node_groups_and_add_ons() {
    let template = eks(NEW);
    let cluster = &template["Resources"]["Cluster"]["Properties"];
    assert_eq!(cluster["Name"], "shop-default");
    assert_eq!(cluster["Version"], "1.35");
    assert_eq!(
        cluster["EncryptionConfig"][0]["Resources"],
        json!(["secrets"])
    );
    assert_eq!(
        cluster["Logging"]["ClusterLogging"]["EnabledTypes"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    assert_eq!(
        cluster["ResourcesVpcConfig"]["SubnetIds"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "public and private subnets"
    );
    let roles = &template["Resources"];
    assert_eq!(
        roles["ClusterRole"]["Properties"]["RoleName"],
        "shop-default-cluster-eu-west-1"
    );
    assert_eq!(
        roles["NodeRole"]["Properties"]["RoleName"],
        "shop-default-node-eu-west-1"
    );
    assert_eq!(
        cluster["UpgradePolicy"],
        json!({ "SupportType": "EXTENDED" }),
        "EKS keeps the version the template names instead of upgrading it under the node groups"
    );
    let groups = resources_of(&template, "AWS::EKS::Nodegroup");
    assert_eq!(groups, ["NodegroupArm", "NodegroupGeneral"]);
    for group in &groups {
        assert_eq!(
            template["Resources"][group]["Properties"]["Version"], "1.35",
            "{group} follows the cluster's version when it is raised"
        );
    }
    let general = &template["Resources"]["NodegroupGeneral"];
    assert!(
        general["Properties"]["NodegroupName"]
            .as_str()
            .is_some_and(|name| name.starts_with("shop-default-general-")),
        "{}",
        general["Properties"]["NodegroupName"]
    );
    assert_eq!(
        general["Properties"]["ScalingConfig"],
        json!({ "MinSize": 2, "DesiredSize": 3, "MaxSize": 6 })
    );
    assert_eq!(
        general["Properties"]["Subnets"],
        json!([{ "Ref": "PrivateSubnet1" }, { "Ref": "PrivateSubnet2" }])
    );
    assert_eq!(
        template["Resources"]["NodegroupArm"]["Properties"]["AmiType"],
        "AL2023_ARM_64_STANDARD"
    );
    let addons = resources_of(&template, "AWS::EKS::Addon");
    assert_eq!(
        addons,
        [
            "AddonAwsEfsCsiDriver",
            "AddonCoredns",
            "AddonEksPodIdentityAgent",
            "AddonKubeProxy",
            "AddonMetricsServer",
            "AddonVpcCni"
        ]
    );
    assert_eq!(
        template["Resources"]["AddonCoredns"]["DependsOn"],
        json!(["NodegroupGeneral", "NodegroupArm"])
    );
    let efs = &template["Resources"]["AddonAwsEfsCsiDriver"]["Properties"];
    assert_eq!(
        efs["PodIdentityAssociations"][0]["ServiceAccount"],
        "efs-csi-controller-sa"
    );
    assert!(resources_of(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty());
    assert!(resources_of(&template, "AWS::ECS::Cluster").is_empty());
}

#[test]
fn an_existing_cluster_gets_only_what_the_workloads_need() {
    let template = eks(EXISTING);
    for kind in [
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::EKS::Addon",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
    ] {
        assert!(resources_of(&template, kind).is_empty(), "{kind}");
    }
    assert!(template["Resources"]["ClusterRole"].is_null());
    assert!(template["Resources"]["NodeRole"].is_null());
    assert_eq!(
        template["Outputs"]["ClusterName"],
        json!({ "Value": "platform-prod", "Export": { "Name": "billing-default-platform-ClusterName" } })
    );
    let portal = pod_stack(EXISTING, "portal").expect("portal has a role");
    let association = &portal["Resources"]["PodIdentity"]["Properties"];
    assert_eq!(
        association["ClusterName"],
        json!({ "Fn::ImportValue": "billing-default-platform-ClusterName" })
    );
    assert_eq!(association["Namespace"], "billing");
    assert_eq!(
        template["Parameters"][CLUSTER_SECURITY_GROUP_PARAMETER]["Type"],
        "AWS::EC2::SecurityGroup::Id"
    );
    assert_eq!(
        template["Resources"]["FileSystemIngressCluster"]["Properties"]["SourceSecurityGroupId"],
        json!({ "Ref": CLUSTER_SECURITY_GROUP_PARAMETER })
    );
    assert_eq!(
        template["Resources"]["FileSystemMountTarget1"]["Properties"]["SubnetId"],
        "subnet-0bbb5555ccc66666a"
    );
    let without_volumes = eks(&EXISTING.replace(r#"volume "data" path="/data""#, ""));
    assert!(without_volumes["Parameters"].is_null());
}

#[test]
fn only_eks_subnets_carry_load_balancer_controller_tags() {
    let tag_of = |template: &Value, subnet: &str, key: &str| -> Option<Value> {
        template["Resources"][subnet]["Properties"]["Tags"]
            .as_array()
            .and_then(|tags| tags.iter().find(|tag| tag["Key"] == key))
            .map(|tag| tag["Value"].clone())
    };
    let template = eks(NEW);
    assert_eq!(
        tag_of(&template, "PublicSubnet1", "kubernetes.io/role/elb"),
        Some(json!("1"))
    );
    assert_eq!(
        tag_of(
            &template,
            "PrivateSubnet2",
            "kubernetes.io/role/internal-elb"
        ),
        Some(json!("1"))
    );
    assert_eq!(
        tag_of(
            &template,
            "PublicSubnet1",
            "kubernetes.io/role/internal-elb"
        ),
        None
    );
    let fargate = workspace(NEW, Target::Fargate);
    let text = platform::platform_stack(&Context::new(&fargate)).render(TemplateFormat::Json);
    assert!(!text.contains("kubernetes.io/role"));
}

#[test]
fn each_workload_with_secrets_or_a_role_gets_a_pod_identity_stack() {
    let platform = eks(NEW);
    for kind in ["AWS::EKS::PodIdentityAssociation", "AWS::IAM::Role"] {
        let ids = resources_of(&platform, kind);
        assert!(
            ids.iter().all(|id| !id.starts_with("Pod")),
            "the platform holds a pod role or association: {ids:?}"
        );
    }
    for workload in ["web", "api"] {
        let stack = pod_stack(NEW, workload).expect("a pod identity stack");
        let resources = stack["Resources"].as_object().expect("resources");
        assert_eq!(
            resources.keys().collect::<Vec<_>>(),
            ["PodIdentity", "PodRole"],
            "{workload}"
        );
        assert_eq!(
            stack["Resources"]["PodRole"]["Properties"]["RoleName"],
            format!("shop-default-{workload}-pod-eu-west-1")
        );
        assert_eq!(
            stack["Resources"]["PodRole"]["Properties"]["Path"],
            "/berth/shop/default/eu-west-1/pod/",
            "the External Secrets controller names the pod roles by this path"
        );
        let association = &stack["Resources"]["PodIdentity"]["Properties"];
        assert_eq!(association["ClusterName"], shop_import("ClusterName"));
        assert_eq!(association["ServiceAccount"], workload);
        assert_eq!(association["Namespace"], "shop");
        assert_eq!(
            association["RoleArn"],
            json!({ "Fn::GetAtt": ["PodRole", "Arn"] })
        );
        let output = &stack["Outputs"][pod_role_output(workload)];
        assert_eq!(output["Value"], json!({ "Fn::GetAtt": ["PodRole", "Arn"] }));
        assert!(
            output["Export"].is_null(),
            "the manifests read it; nothing imports it"
        );
    }
    assert!(pod_stack(NEW, "mailer").is_none(), "no role, no secrets");
    let web = pod_stack(NEW, "web").expect("web");
    let web = &web["Resources"]["PodRole"]["Properties"];
    let trust = web["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    assert_eq!(trust.len(), 2, "Pod Identity and External Secrets");
    assert_eq!(
        trust[1]["Principal"]["AWS"],
        json!({ "Fn::ImportValue": "berth-eks-shop-default-ExternalSecretsRoleArn" }),
        "the controller's role lives in the cluster's shared stack"
    );
    assert!(
        web["Tags"]
            .as_array()
            .expect("tags")
            .contains(&json!({ "Key": "berth:eks-cluster", "Value": "shop-default" })),
        "the controller may assume only pod roles tagged with its cluster"
    );
    let secrets = &web["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(
        secrets[1]["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop/stripe-??????" })
    );
    let api = pod_stack(NEW, "api").expect("api");
    let api = &api["Resources"]["PodRole"]["Properties"];
    assert_eq!(
        api["AssumeRolePolicyDocument"]["Statement"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "api reads no secrets"
    );
    let policies: Vec<&str> = api["Policies"]
        .as_array()
        .expect("policies")
        .iter()
        .filter_map(|policy| policy["PolicyName"].as_str())
        .collect();
    assert_eq!(policies, ["workload", "volumes"]);
    assert_eq!(
        api["Policies"][1]["PolicyDocument"]["Statement"][0]["Resource"],
        json!({ "Fn::Sub": [
            "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/${FileSystem}",
            { "FileSystem": shop_import("FileSystemId") },
        ] })
    );
    assert!(
        platform["Resources"]["ExternalSecretsRole"].is_null(),
        "the controller's role is the cluster's, not the platform's"
    );
}

#[test]
fn the_platform_exports_what_the_pod_identity_stacks_import() {
    for source in [NEW, EXISTING] {
        let artifacts = build(source);
        let templates: Vec<(String, Value)> = artifacts
            .files
            .iter()
            .filter(|artifact| artifact.kind == ArtifactKind::Cloudformation)
            .map(|artifact| {
                (
                    artifact.path.clone(),
                    serde_json::from_str(&artifact.content).expect("JSON"),
                )
            })
            .collect();
        let exporters = ["platform.json", "cluster.json"];
        let exports: BTreeSet<String> = templates
            .iter()
            .filter(|(path, _)| exporters.contains(&path.as_str()))
            .filter_map(|(_, template)| template["Outputs"].as_object())
            .flat_map(serde_json::Map::values)
            .filter_map(|output| output["Export"]["Name"].as_str().map(str::to_owned))
            .collect();
        let mut imported = BTreeSet::new();
        for (_, template) in templates
            .iter()
            .filter(|(path, _)| !exporters.contains(&path.as_str()))
        {
            collect_imports(template, &mut imported);
        }
        assert!(!imported.is_empty());
        assert!(
            imported.is_subset(&exports),
            "imported {imported:?}, exported {exports:?}"
        );
    }
    let exports: BTreeSet<String> = eks(NEW)["Outputs"]
        .as_object()
        .expect("outputs")
        .iter()
        .filter(|(_, output)| !output["Export"].is_null())
        .map(|(key, _)| key.clone())
        .collect();
    assert_eq!(
        exports,
        BTreeSet::from(["ClusterName", "FileSystemId"].map(str::to_owned))
    );
}

/// Every `Fn::ImportValue` name in `value`.
fn collect_imports(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("Fn::ImportValue") {
                names.insert(name.clone());
            }
            map.values().for_each(|item| collect_imports(item, names));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_imports(item, names)),
        _ => {}
    }
}

#[test]
fn substitutions_name_the_stack_that_outputs_each_placeholder() {
    for source in [NEW, EXISTING] {
        let artifacts = build(source);
        let workspace = workspace(source, Target::Eks);
        let mut wanted = BTreeSet::new();
        for artifact in kubernetes::emit_kubernetes(&workspace) {
            wanted.extend(placeholders(&artifact.content));
        }
        assert!(!wanted.is_empty());
        let manifest: Value = serde_json::from_str(&artifacts.manifest.to_json()).expect("JSON");
        let substitutions = manifest["substitutions"].as_array().expect("substitutions");
        let listed: BTreeSet<String> = substitutions
            .iter()
            .filter_map(|entry| entry["output"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(listed, wanted, "each placeholder once");
        for entry in substitutions {
            let key = entry["output"].as_str().expect("an output key");
            assert_eq!(entry["placeholder"], format!("${{berth:{key}}}"));
            let stack = entry["stack"].as_str().expect("a stack");
            let artifact = artifacts
                .files
                .iter()
                .find(|artifact| artifact.stack.as_deref() == Some(stack))
                .unwrap_or_else(|| panic!("no artifact deploys {stack}"));
            let template: Value = serde_json::from_str(&artifact.content).expect("JSON");
            assert!(
                template["Outputs"].get(key).is_some(),
                "{stack} does not output {key}"
            );
        }
    }
    let artifacts = build(NEW);
    let manifest: Value = serde_json::from_str(&artifacts.manifest.to_json()).expect("JSON");
    let stacks: Vec<(&str, &str)> = manifest["substitutions"]
        .as_array()
        .expect("substitutions")
        .iter()
        .filter_map(|entry| Some((entry["output"].as_str()?, entry["stack"].as_str()?)))
        .collect();
    assert_eq!(
        stacks,
        [
            ("EcrRegistry", "shop-default-platform"),
            ("FileSystemId", "shop-default-platform"),
            ("PodRoleWebArn", "shop-default-web"),
        ]
    );
    let platform = eks(NEW);
    assert_eq!(
        platform["Outputs"]["EcrRegistry"]["Value"],
        json!({ "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}" })
    );
    assert_eq!(
        platform["Outputs"]["FileSystemId"]["Value"],
        json!({ "Ref": "FileSystem" })
    );
}

#[test]
fn every_stack_deploys_before_every_manifest() {
    let artifacts = build(NEW);
    let summary: Vec<(&str, ArtifactKind, Option<&str>, u32)> = artifacts
        .files
        .iter()
        .map(|artifact| {
            (
                artifact.path.as_str(),
                artifact.kind,
                artifact.stack.as_deref(),
                artifact.order,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "platform.json",
                ArtifactKind::Cloudformation,
                Some("shop-default-platform"),
                0
            ),
            (
                "cluster.json",
                ArtifactKind::Cloudformation,
                Some("berth-eks-shop-default"),
                CLUSTER_ORDER
            ),
            (
                "service-api.identity.json",
                ArtifactKind::Cloudformation,
                Some("shop-default-api"),
                POD_IDENTITY_ORDER
            ),
            (
                "service-web.identity.json",
                ArtifactKind::Cloudformation,
                Some("shop-default-web"),
                POD_IDENTITY_ORDER
            ),
            (
                "namespace.yaml",
                ArtifactKind::Kubernetes,
                None,
                NAMESPACE_ORDER
            ),
            (
                "service-api.yaml",
                ArtifactKind::Kubernetes,
                None,
                NAMESPACE_ORDER + 1
            ),
            (
                "service-web.yaml",
                ArtifactKind::Kubernetes,
                None,
                NAMESPACE_ORDER + 1
            ),
            (
                "worker-mailer.yaml",
                ArtifactKind::Kubernetes,
                None,
                NAMESPACE_ORDER + 1
            ),
        ]
    );
    let last_stack = artifacts
        .files
        .iter()
        .filter(|artifact| artifact.kind == ArtifactKind::Cloudformation)
        .map(|artifact| artifact.order)
        .max();
    let first_manifest = artifacts
        .files
        .iter()
        .filter(|artifact| artifact.kind == ArtifactKind::Kubernetes)
        .map(|artifact| artifact.order)
        .min();
    assert!(last_stack < first_manifest);
}

#[test]
fn yaml_stacks_and_manifests_have_distinct_files() {
    let artifacts = build_as(NEW, TemplateFormat::Yaml);
    let paths: Vec<(&str, ArtifactKind)> = artifacts
        .files
        .iter()
        .map(|artifact| (artifact.path.as_str(), artifact.kind))
        .collect();
    assert!(paths.contains(&("service-web.identity.yaml", ArtifactKind::Cloudformation)));
    assert!(paths.contains(&("service-web.yaml", ArtifactKind::Kubernetes)));
    let distinct: BTreeSet<&str> = paths.iter().map(|(path, _)| *path).collect();
    assert_eq!(distinct.len(), paths.len(), "{paths:?}");
}

#[test]
fn a_workload_deploying_as_the_platform_stack_is_refused() {
    let source = NEW.replace(r#"service "web""#, r#"service "platform""#);
    let checked = crate::check(
        &source,
        &crate::Options {
            target: Some(Target::Eks),
            ..crate::Options::default()
        },
    );
    // Validation refuses the name before emit could write two stacks called `…-platform`.
    assert!(checked.workspace.is_none());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.code == crate::Code::InvalidName
                && diagnostic.message.contains("`platform` is reserved")),
        "{:#?}",
        checked.diagnostics
    );
}

/// A workspace of `count` services, each reading two secrets (one of each backend), one with a
/// role and a volume.
fn many_services(count: usize) -> String {
    let mut source = String::from(
        r#"
workspace "big" {
    target "eks"
    region "eu-west-1"
    eks { version "1.35"; namespace "big"; nodegroup "general" instance-type="t3.large" min=2 max=6 desired=3; }
}
"#,
    );
    for index in 0..count {
        let extra = if index == 0 {
            r#"volume "data" path="/data"
    role { allow "s3:GetObject" resource="arn:aws:s3:::big-assets/*"; }"#
        } else {
            ""
        };
        let _ = write!(
            source,
            r#"
service "svc-{index}" {{
    image "ghcr.io/acme/svc-{index}:1.0"
    port 8080 {{ public #true; path "/svc-{index}"; }}
    secret "DATABASE_URL" from="ssm:/big/svc-{index}/database-url"
    secret "API_KEY" from="secretsmanager:big/svc-{index}" key="api_key"
    {extra}
}}
"#
        );
    }
    source
}

#[test]
fn the_platform_does_not_grow_with_the_workloads() {
    let sizes: Vec<(usize, usize)> = [1, 10, 40]
        .into_iter()
        .map(|count| {
            let artifacts = build(&many_services(count));
            let stacks: Vec<_> = artifacts
                .files
                .iter()
                .filter(|artifact| artifact.kind == ArtifactKind::Cloudformation)
                .collect();
            assert_eq!(
                stacks.len(),
                2 + count,
                "a platform, the cluster's shared stack and one stack per service"
            );
            let mut platform = 0;
            for stack in stacks {
                assert!(
                    stack.content.len() <= 51_200,
                    "{} of {count} services is {} bytes",
                    stack.path,
                    stack.content.len()
                );
                let template: Value = serde_json::from_str(&stack.content).expect("JSON");
                let resources = template["Resources"]
                    .as_object()
                    .map_or(0, serde_json::Map::len);
                assert!(resources <= 500, "{}", stack.path);
                if stack.path == "platform.json" {
                    platform = stack.content.len();
                } else if stack.path != "cluster.json" {
                    assert!(stack.content.len() <= 8_000, "{}", stack.path);
                }
            }
            (count, platform)
        })
        .collect();
    let (_, one) = sizes[0];
    for (count, size) in &sizes {
        assert!(
            size.abs_diff(one) <= 64,
            "the platform of {count} services is {size} bytes, of 1 service {one}"
        );
    }
}

#[test]
fn graviton_instances_get_the_arm_image() {
    for arm in [
        "t4g.large",
        "m7g.xlarge",
        "c6gn.large",
        "x2gd.large",
        "g5g.xlarge",
        "a1.large",
    ] {
        assert_eq!(ami_type(arm), "AL2023_ARM_64_STANDARD", "{arm}");
    }
    for x86 in [
        "t3.large",
        "m5.large",
        "g5.xlarge",
        "m7i-flex.large",
        "inf2.xlarge",
    ] {
        assert_eq!(ami_type(x86), "AL2023_x86_64_STANDARD", "{x86}");
    }
}

/// Renders every example, and the workspaces above, for `eks` into
/// `<temp>/eks-cfn/<name>-<stack>.json` for cfn-lint and checkov, and checks each template is
/// deterministic and within CloudFormation's limits.
#[test]
fn every_example_renders() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let out = std::env::temp_dir().join("eks-cfn");
    std::fs::create_dir_all(&out).expect("a writable temporary directory");
    let mut sources = vec![
        ("unit-new".to_owned(), NEW.to_owned()),
        ("unit-existing".to_owned(), EXISTING.to_owned()),
    ];
    for entry in std::fs::read_dir(&examples)
        .expect("the examples")
        .flatten()
    {
        if let (Ok(source), Some(name)) = (
            std::fs::read_to_string(entry.path().join("berth.kdl")),
            entry.file_name().to_str(),
        ) {
            sources.push((name.to_owned(), source));
        }
    }
    assert!(sources.len() > 2);
    for (name, source) in sources {
        let workspace = workspace(&source, Target::Eks);
        let render = || {
            let context = Context::new(&workspace);
            let mut texts = vec![(
                "platform".to_owned(),
                eks_platform_stack(&context).render(TemplateFormat::Json),
            )];
            for workload in &workspace.workloads {
                if let Some(template) = pod_identity_stack(&context, workload) {
                    texts.push((
                        workload.name.value.clone(),
                        template.render(TemplateFormat::Json),
                    ));
                }
            }
            texts
        };
        let texts = render();
        assert_eq!(texts, render(), "{name}");
        for (stack, text) in texts {
            // What the deploy step sends: JSON compacted, or YAML as written.
            let value: Value = serde_json::from_str(&text).expect("JSON");
            let compact = value.to_string().len();
            let yaml = match stack.as_str() {
                "platform" => eks_platform_stack(&Context::new(&workspace)),
                workload => pod_identity_stack(
                    &Context::new(&workspace),
                    workspace
                        .workloads
                        .iter()
                        .find(|candidate| candidate.name.value == workload)
                        .expect("the workload"),
                )
                .expect("its stack"),
            }
            .render(TemplateFormat::Yaml)
            .len();
            assert!(
                compact.max(yaml) <= 51_200,
                "{name} {stack} is {compact} bytes compacted, {yaml} bytes in YAML"
            );
            std::fs::write(out.join(format!("{name}-{stack}.json")), text).expect("written");
        }
    }
}
