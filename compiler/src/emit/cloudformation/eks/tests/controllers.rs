//! What a new cluster gets so the manifests work on it: the managed add-ons (the metrics server
//! among them) at the versions EKS publishes for the cluster's version, and the AWS Load
//! Balancer Controller's role, limited to what it tags for this cluster and to this VPC; and the
//! node group names that let an instance-type or subnet edit deploy without losing the nodes.

use serde_json::{Value, json};

use super::{EXISTING, NEW, eks, workspace};
use crate::emit::cloudformation::eks::{CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT};
use crate::emit::cloudformation::template::resource_ids;
use crate::emit::kubernetes::requirements;
use crate::manifest::{ChartValue, OutputRef};
use crate::model::{EksCluster, Target};

#[test]
fn a_new_cluster_runs_the_metrics_server_and_no_add_on_pins_a_version() {
    let template = eks(NEW);
    let addons = resource_ids(&template, "AWS::EKS::Addon");
    assert!(
        addons.contains(&"AddonMetricsServer".to_owned()),
        "{addons:?}"
    );
    let metrics = &template["Resources"]["AddonMetricsServer"];
    assert_eq!(metrics["Properties"]["AddonName"], "metrics-server");
    assert_eq!(
        metrics["DependsOn"],
        json!(["NodegroupGeneral", "NodegroupArm"]),
        "its pods need nodes to become ready"
    );
    for id in &addons {
        let properties = &template["Resources"][id]["Properties"];
        assert!(
            properties["AddonVersion"].is_null(),
            "{id} pins a version EKS may not publish for the cluster's version"
        );
        assert_eq!(properties["ResolveConflicts"], "OVERWRITE", "{id}");
    }
    assert!(
        addons.iter().all(|id| !id.contains("Ebs")),
        "berth's volumes are EFS; no EBS CSI driver"
    );
}

#[test]
fn on_a_new_cluster_the_controllers_without_an_add_on_come_from_pinned_charts_whose_service_accounts_have_the_roles()
 {
    let secrets_and_ingress = r#"
workspace "shop" { target "eks"; region "eu-west-1"; }
service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    secret "TOKEN" from="ssm:/shop/token"
}
"#;
    let workspace = workspace(secrets_and_ingress, Target::Eks);
    let new = requirements(&workspace, "shop-default", true);
    let chart_of = |name: &str| {
        new.iter()
            .find(|requirement| requirement.name == name)
            .and_then(|requirement| requirement.chart.clone())
            .unwrap_or_else(|| panic!("{name} has a chart on a new cluster"))
    };
    let secrets = chart_of("external-secrets");
    // The Pod Identity association of the shared stack names this namespace and service
    // account: the release must make exactly that one.
    assert_eq!(
        (secrets.namespace.as_str(), secrets.release.as_str()),
        ("external-secrets", "external-secrets")
    );
    assert_eq!(secrets.repository, "https://charts.external-secrets.io");
    assert_eq!(
        secrets.values["installCRDs"],
        ChartValue::Text("true".to_owned())
    );
    let controller = chart_of("load-balancer-controller");
    assert_eq!(
        (controller.namespace.as_str(), controller.release.as_str()),
        (CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT)
    );
    assert_eq!(
        controller.values["serviceAccount.name"],
        ChartValue::Text(CONTROLLER_SERVICE_ACCOUNT.to_owned())
    );
    assert_eq!(
        controller.values["clusterName"],
        ChartValue::Text("shop-default".to_owned())
    );
    assert_eq!(
        controller.values["region"],
        ChartValue::Text("eu-west-1".to_owned())
    );
    assert_eq!(
        controller.values["vpcId"],
        ChartValue::Output(OutputRef {
            stack: "shop-default-platform".to_owned(),
            output: "VpcId".to_owned(),
        })
    );
    for off in ["enableShield", "enableWaf", "enableWafv2"] {
        assert_eq!(
            controller.values[off],
            ChartValue::Text("false".to_owned()),
            "{off}"
        );
    }
    for chart in [&secrets, &controller] {
        assert!(
            chart.version.split('.').count() == 3
                && chart
                    .version
                    .split('.')
                    .all(|part| part.parse::<u32>().is_ok()),
            "pinned to one exact version: {}",
            chart.version
        );
    }
    // On an existing cluster its owners install what it runs.
    assert!(
        requirements(&workspace, "platform-prod", false)
            .iter()
            .all(|requirement| requirement.chart.is_none())
    );
}

#[test]
fn on_a_new_cluster_the_metrics_api_is_installed_by_the_stack() {
    let autoscaled = r#"
workspace "shop" { target "eks"; region "eu-west-1"; }
service "web" {
    image "ghcr.io/acme/web:1.0"
    port 8080 { public #true; path "/"; }
    replicas min=2 max=4 { cpu 60; }
}
"#;
    let workspace = workspace(autoscaled, Target::Eks);
    let new = requirements(&workspace, "shop-default", true);
    let metrics = new
        .iter()
        .find(|requirement| requirement.name == "metrics-api")
        .expect("an autoscaler needs the metrics API");
    assert_eq!(
        metrics.installed_by.as_deref(),
        Some("the platform stack's EKS add-on `metrics-server`")
    );
    let controller = new
        .iter()
        .find(|requirement| requirement.name == "load-balancer-controller")
        .expect("an Ingress needs the controller");
    for part in [
        "--set clusterName=shop-default",
        "--set region=eu-west-1",
        "`VpcId` output",
        "enableWafv2=false",
        "`kube-system/aws-load-balancer-controller`",
    ] {
        assert!(
            controller.install.contains(part),
            "{part}: {}",
            controller.install
        );
    }
    let existing = requirements(&workspace, "platform-prod", false);
    assert!(
        existing
            .iter()
            .all(|requirement| requirement.installed_by.is_none())
    );
    let controller = existing
        .iter()
        .find(|requirement| requirement.name == "load-balancer-controller")
        .expect("an Ingress needs the controller");
    assert!(
        controller
            .install
            .contains("with an IAM role for its service account")
    );
}

/// Every statement of the load balancer controller's policy.
fn controller_statements(template: &Value) -> Vec<Value> {
    template["Resources"]["LoadBalancerControllerRole"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .expect("statements")
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(one) => vec![one.clone()],
        many => many
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    }
}

#[test]
fn the_load_balancer_controller_gets_a_role_through_pod_identity_on_a_new_cluster_only() {
    let template = eks(NEW);
    let association = &template["Resources"]["LoadBalancerControllerPodIdentity"]["Properties"];
    assert_eq!(association["Namespace"], "kube-system");
    assert_eq!(
        association["ServiceAccount"],
        "aws-load-balancer-controller"
    );
    assert_eq!(association["ClusterName"], json!({ "Ref": "Cluster" }));
    let trust = &template["Resources"]["LoadBalancerControllerRole"]["Properties"]["AssumeRolePolicyDocument"]
        ["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "pods.eks.amazonaws.com");
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"],
        "aws-load-balancer-controller"
    );
    let existing = eks(EXISTING);
    assert!(existing["Resources"]["LoadBalancerControllerRole"].is_null());
    assert!(existing["Resources"]["LoadBalancerControllerPodIdentity"].is_null());
}

#[test]
fn the_load_balancer_controller_changes_only_what_it_tagged_for_this_cluster() {
    let template = eks(NEW);
    let statements = controller_statements(&template);
    let cluster_tag =
        |key: &str| json!({ format!("{key}/elbv2.k8s.aws/cluster"): { "Ref": "Cluster" } });
    let mut deletes = 0;
    for statement in &statements {
        let actions = actions(statement);
        let resources = statement["Resource"].to_string();
        assert!(
            !actions.iter().any(|action| action.contains('*')),
            "{statement}"
        );
        if resources == "\"*\"" {
            assert!(
                actions.iter().all(|action| {
                    let verb = action.split(':').nth(1).unwrap_or_default();
                    verb.starts_with("Describe")
                        || verb.starts_with("Get")
                        || verb.starts_with("List")
                }),
                "only reads may name every resource: {statement}"
            );
            continue;
        }
        assert!(
            resources.contains("${AWS::Region}:${AWS::AccountId}")
                || resources.contains("iam::${AWS::AccountId}"),
            "one region and account: {statement}"
        );
        for action in &actions {
            if action.starts_with("elasticloadbalancing:Delete") && action.ends_with("LoadBalancer")
                || action == "elasticloadbalancing:DeleteTargetGroup"
                || action == "ec2:DeleteSecurityGroup"
            {
                deletes += 1;
                assert_eq!(
                    statement["Condition"]["StringEquals"],
                    cluster_tag("aws:ResourceTag"),
                    "{action} only on what carries this cluster's tag"
                );
            }
            if action == "elasticloadbalancing:CreateLoadBalancer" {
                assert_eq!(
                    statement["Condition"]["StringEquals"],
                    cluster_tag("aws:RequestTag"),
                    "created tagged for this cluster"
                );
            }
            if action == "ec2:AuthorizeSecurityGroupIngress" {
                assert_eq!(
                    statement["Condition"]["ArnEquals"]["ec2:Vpc"]["Fn::Sub"][1]["Vpc"],
                    json!({ "Ref": "Vpc" }),
                    "rules only on the cluster VPC's security groups"
                );
            }
        }
    }
    assert_eq!(deletes, 3, "load balancers, target groups, security groups");
}

/// The `NodegroupName` of the node group `id` when `source` has `from` replaced by `to`.
fn nodegroup_name(from: &str, to: &str, id: &str) -> String {
    let template = eks(&NEW.replace(from, to));
    template["Resources"][id]["Properties"]["NodegroupName"]
        .as_str()
        .expect("a name")
        .to_owned()
}

#[test]
fn a_node_group_is_renamed_exactly_when_eks_must_replace_it() {
    let name = nodegroup_name("", "", "NodegroupGeneral");
    let (prefix, hash) = name.rsplit_once('-').expect("a hash");
    assert_eq!(prefix, "shop-default-general");
    assert_eq!(hash.len(), 8);
    assert!(hash.chars().all(|character| character.is_ascii_hexdigit()));
    // Sizes change in place: the same group, resized.
    for (from, to) in [
        ("min=2 max=6 desired=3", "min=3 max=9 desired=4"),
        ("min=2 max=6 desired=3", "min=2 max=6 desired=2"),
    ] {
        assert_eq!(nodegroup_name(from, to, "NodegroupGeneral"), name, "{to}");
    }
    // The instance type, the zones and the NAT decide what EKS cannot change in place.
    for (from, to) in [
        ("instance-type=\"t3.large\"", "instance-type=\"m7i.large\""),
        ("zones 2;", "zones 3;"),
        ("nat #true;", "nat #false;"),
    ] {
        assert_ne!(nodegroup_name(from, to, "NodegroupGeneral"), name, "{to}");
    }
    assert_ne!(
        nodegroup_name("", "", "NodegroupArm"),
        name,
        "two groups never share a name"
    );
    let workspace = workspace(NEW, Target::Eks);
    let EksCluster::New { nodegroups, .. } = &workspace.eks.cluster else {
        panic!("a new cluster");
    };
    let naming = crate::naming::Naming::of(&workspace);
    assert_eq!(naming.nodegroup(&nodegroups[0], &workspace.network), name);
}
