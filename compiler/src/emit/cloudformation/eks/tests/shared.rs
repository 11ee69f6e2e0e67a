//! Several workspaces and environments on one cluster: what they share is created once, in one
//! stack every build emits the same, and nothing else they create has the same name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::emit::{ArtifactKind, Artifacts, TemplateFormat, emit};
use crate::model::Target;

/// A workspace named `name` on the existing cluster `platform`, with a workload that reads a
/// secret, one with a role, a public port and a volume.
fn on_shared_cluster(name: &str, extra: &str) -> String {
    format!(
        r#"
workspace "{name}" {{
    target "eks"
    region "eu-west-1"
    network {{
        vpc "vpc-0abc1234def567890"
        public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
        private-subnets "subnet-0bbb5555ccc66666a" "subnet-0eee7777fff88888b"
    }}
    eks {{ cluster "platform"; {extra} }}
}}
environment "dev" {{}}
environment "prod" {{}}
service "web" {{
    image "ghcr.io/acme/web:1.0"
    port 8080 {{ public #true; }}
    secret "KEY" from="ssm:/{name}/key"
    volume "data" path="/data"
}}
worker "mailer" {{
    image "ghcr.io/acme/mailer:1.0"
    role {{ allow "sqs:ReceiveMessage" resource="arn:aws:sqs:eu-west-1:123456789012:{name}"; }}
}}
"#
    )
}

fn build(source: &str, environment: &str) -> Artifacts {
    let options = crate::Options {
        environment: (environment != "default").then(|| environment.to_owned()),
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    let checked = crate::check(source, &options);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let workspace = checked.workspace.expect("a valid workspace");
    emit(&workspace, TemplateFormat::Json).expect("emits")
}

/// Every build of two workspaces in two environments each on the cluster `platform`.
fn four_builds() -> Vec<(String, Artifacts)> {
    let mut builds = Vec::new();
    for workspace in ["shop", "billing"] {
        for environment in ["dev", "prod"] {
            builds.push((
                format!("{workspace}/{environment}"),
                build(&on_shared_cluster(workspace, ""), environment),
            ));
        }
    }
    builds
}

/// Every resource of type `kind` in every template of `artifacts`, with its properties.
fn resources<'a>(templates: &'a [Value], kind: &str) -> Vec<&'a Value> {
    templates
        .iter()
        .filter_map(|template| template["Resources"].as_object())
        .flat_map(serde_json::Map::values)
        .filter(|resource| resource["Type"] == kind)
        .map(|resource| &resource["Properties"])
        .collect()
}

fn templates(artifacts: &Artifacts) -> Vec<Value> {
    artifacts
        .files
        .iter()
        .filter(|file| file.kind == ArtifactKind::Cloudformation)
        .map(|file| serde_json::from_str(&file.content).expect("JSON"))
        .collect()
}

#[test]
fn the_shared_stack_is_one_stack_every_build_emits_the_same() {
    let builds = four_builds();
    let shared: BTreeMap<&str, BTreeSet<&str>> = builds
        .iter()
        .flat_map(|(_, artifacts)| &artifacts.files)
        .filter(|file| file.path == "cluster.json")
        .fold(BTreeMap::new(), |mut stacks, file| {
            stacks
                .entry(file.stack.as_deref().unwrap_or_default())
                .or_default()
                .insert(file.content.as_str());
            stacks
        });
    assert_eq!(shared.keys().collect::<Vec<_>>(), [&"berth-eks-platform"]);
    assert_eq!(
        shared["berth-eks-platform"].len(),
        1,
        "every workspace and environment emits the same shared stack, so deploying it again changes nothing"
    );
    for (name, artifacts) in &builds {
        let templates = templates(artifacts);
        let associations = resources(&templates, "AWS::EKS::PodIdentityAssociation");
        let controllers: Vec<_> = associations
            .iter()
            .filter(|association| association["ServiceAccount"] == "external-secrets")
            .collect();
        assert_eq!(controllers.len(), 1, "{name}");
        assert_eq!(controllers[0]["ClusterName"], "platform", "{name}");
    }
}

#[test]
fn two_workspaces_in_two_environments_on_one_cluster_collide_nowhere() {
    let builds = four_builds();
    // What each build alone owns; the shared stack is counted once.
    let mut stacks: BTreeMap<String, &str> = BTreeMap::new();
    let mut associations: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut role_names: BTreeMap<String, &str> = BTreeMap::new();
    let mut cluster_objects: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, &str> = BTreeMap::new();
    let mut groups: BTreeMap<String, &str> = BTreeMap::new();
    for (owner, artifacts) in &builds {
        for file in &artifacts.files {
            if let Some(stack) = &file.stack
                && file.path != "cluster.json"
            {
                assert!(
                    stacks.insert(stack.clone(), owner).is_none(),
                    "stack {stack}"
                );
            }
        }
        let owned: Vec<Value> = artifacts
            .files
            .iter()
            .filter(|file| file.kind == ArtifactKind::Cloudformation && file.path != "cluster.json")
            .map(|file| serde_json::from_str(&file.content).expect("JSON"))
            .collect();
        for association in resources(&owned, "AWS::EKS::PodIdentityAssociation") {
            let key = (
                association["Namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                association["ServiceAccount"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            assert!(
                associations.insert(key.clone(), owner).is_none(),
                "the Pod Identity association {key:?} is created twice"
            );
        }
        for role in resources(&owned, "AWS::IAM::Role") {
            if let Some(name) = role["RoleName"].as_str() {
                assert!(
                    role_names.insert(name.to_owned(), owner).is_none(),
                    "{name}"
                );
            }
        }
        for file in &artifacts.files {
            if file.kind != ArtifactKind::Kubernetes {
                continue;
            }
            let documents: Vec<Value> =
                serde_saphyr::from_str_multiple(&file.content).expect("YAML");
            for document in documents {
                let name = document["metadata"]["name"].as_str().unwrap_or_default();
                if let Value::String(namespace) = &document["metadata"]["namespace"] {
                    claim(&mut namespaces, namespace, owner);
                } else {
                    let key = (
                        document["kind"].as_str().unwrap_or_default().to_owned(),
                        name.to_owned(),
                    );
                    assert!(
                        cluster_objects.insert(key.clone(), owner).is_none(),
                        "cluster-wide object {key:?} rendered twice"
                    );
                }
                if let Some(group) =
                    document["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"]
                        .as_str()
                {
                    claim(&mut groups, group, owner);
                }
            }
        }
    }
    assert_eq!(namespaces.len(), 4, "{namespaces:#?}");
    assert_eq!(
        stacks.len(),
        4 * 3,
        "platform, web and mailer identity, per build"
    );
}

/// Records that `owner` uses `key`, which no other build may use.
fn claim<'a>(owners: &mut BTreeMap<String, &'a str>, key: &str, owner: &'a str) {
    if let Some(first) = owners.insert(key.to_owned(), owner) {
        assert_eq!(first, owner, "`{key}` is used by two builds");
    }
}

#[test]
fn the_controller_may_assume_only_the_pod_roles_of_its_cluster() {
    let artifacts = build(&on_shared_cluster("shop", ""), "dev");
    let shared = artifacts
        .files
        .iter()
        .find(|file| file.path == "cluster.json")
        .expect("a shared stack");
    let template: Value = serde_json::from_str(&shared.content).expect("JSON");
    let role = &template["Resources"]["ExternalSecretsRole"]["Properties"];
    assert!(role["RoleName"].is_null(), "a generated, unique name");
    let statement = &role["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/berth/*" })
    );
    assert_eq!(
        statement["Condition"],
        json!({ "StringEquals": { "aws:ResourceTag/berth:eks-cluster": "platform" } })
    );
    assert_eq!(
        template["Outputs"]["ExternalSecretsRoleArn"]["Export"]["Name"],
        "berth-eks-platform-ExternalSecretsRoleArn"
    );
    assert!(
        !shared.content.contains("berth:workspace"),
        "nothing in the shared stack depends on the workspace"
    );
}

#[test]
fn a_controller_the_cluster_already_runs_replaces_the_shared_stack() {
    let role = "arn:aws:iam::123456789012:role/platform-external-secrets";
    let source = on_shared_cluster("shop", &format!("external-secrets-role \"{role}\""));
    let artifacts = build(&source, "dev");
    assert!(
        artifacts
            .files
            .iter()
            .all(|file| file.path != "cluster.json"),
        "nothing shared to create"
    );
    let identity = artifacts
        .files
        .iter()
        .find(|file| file.path == "service-web.identity.json")
        .expect("web's pod identity stack");
    let template: Value = serde_json::from_str(&identity.content).expect("JSON");
    let trust =
        &template["Resources"]["PodRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][1];
    assert_eq!(trust["Principal"]["AWS"], role);
}

#[test]
fn the_role_needs_an_existing_cluster_and_a_role_arn() {
    let options = crate::Options {
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    let new_cluster = r#"
workspace "shop" {
    region "eu-west-1"
    eks { external-secrets-role "arn:aws:iam::123456789012:role/eso"; }
}
service "web" { image "nginx:1"; port 8080; }
"#;
    let messages: Vec<String> = crate::check(new_cluster, &options)
        .diagnostics
        .into_iter()
        .map(|diagnostic| diagnostic.message)
        .collect();
    assert!(
        messages.contains(&"`external-secrets-role` needs `cluster`".to_owned()),
        "{messages:#?}"
    );
    let not_a_role = on_shared_cluster("shop", r#"external-secrets-role "eso""#);
    let messages: Vec<String> = crate::check(&not_a_role, &options)
        .diagnostics
        .into_iter()
        .map(|diagnostic| diagnostic.message)
        .collect();
    assert!(
        messages.contains(&"`eso` is not an IAM role ARN".to_owned()),
        "{messages:#?}"
    );
}

#[test]
fn cluster_names_map_to_distinct_stack_names() {
    use crate::naming::shared_cluster_stack;
    assert_eq!(shared_cluster_stack("platform"), "berth-eks-platform");
    let underscored = shared_cluster_stack("team_a");
    assert!(
        underscored.starts_with("berth-eks-team-a-"),
        "{underscored}"
    );
    assert_ne!(underscored, shared_cluster_stack("team-a"));
    assert!(shared_cluster_stack(&"c".repeat(100)).len() <= 128);
}

#[test]
fn the_manifest_says_which_stacks_are_shared_and_who_deletes_them() {
    let existing = build(&on_shared_cluster("shop", ""), "dev").manifest;
    let eks = existing.eks.expect("an eks section");
    assert_eq!(eks.cluster, "platform");
    assert_eq!(eks.namespace, "shop-dev");
    assert_eq!(eks.provisioning, crate::manifest::Provisioning::Existing);
    assert_eq!(
        eks.shared_stacks,
        [crate::manifest::SharedStack {
            stack: "berth-eks-platform".into(),
            tag: ("berth:eks-cluster".into(), "platform".into()),
            delete_on_destroy: false,
        }]
    );
    let new = build(
        r#"
workspace "shop" { target "eks"; region "eu-west-1"; }
service "web" { image "nginx:1"; port 8080; secret "KEY" from="ssm:/shop/key"; }
"#,
        "default",
    );
    let eks = new.manifest.eks.expect("an eks section");
    assert_eq!(eks.cluster, "shop-default");
    assert!(
        eks.shared_stacks[0].delete_on_destroy,
        "the cluster is the build's own"
    );
}
