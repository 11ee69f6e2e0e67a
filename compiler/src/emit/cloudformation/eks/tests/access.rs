//! Who may use a new cluster (access entries), who may reach its public endpoint, and how long
//! its control-plane logs are kept.

use serde_json::{Value, json};

use super::{build, eks};
use crate::emit::cloudformation::template::resource_ids;
use crate::model::Target;

const ADMINS: &str = r#"
workspace "shop" {
    target "eks"
    region "eu-west-1"
    eks {
        admins "arn:aws:iam::123456789012:role/platform/Admins" "arn:aws:iam::123456789012:user/alice"
        public-access "203.0.113.0/24" "198.51.100.7/32"
    }
}
service "web" { image "ghcr.io/acme/web:1.0"; port 8080; }
"#;

const PLAIN: &str = r#"
workspace "shop" { target "eks"; region "eu-west-1"; }
service "web" { image "ghcr.io/acme/web:1.0"; port 8080; }
"#;

#[test]
fn the_deployer_and_the_admins_get_cluster_admin_access_entries() {
    let template = eks(ADMINS);
    let cluster = &template["Resources"]["Cluster"]["Properties"];
    assert_eq!(
        cluster["AccessConfig"],
        json!({ "AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": false }),
        "access does not depend on which identity ran CloudFormation"
    );
    assert_eq!(
        resource_ids(&template, "AWS::EKS::AccessEntry"),
        [
            "AccessEntryAdmins",
            "AccessEntryAlice",
            "AccessEntryDeployer"
        ]
    );
    let deployer = &template["Resources"]["AccessEntryDeployer"];
    assert_eq!(deployer["Condition"], "GrantDeployer");
    assert_eq!(
        deployer["Properties"]["PrincipalArn"],
        json!({ "Ref": "DeployerPrincipalArn" })
    );
    assert_eq!(
        deployer["Properties"]["AccessPolicies"],
        json!([{
            "PolicyArn": { "Fn::Sub": "arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" },
            "AccessScope": { "Type": "cluster" },
        }])
    );
    assert_eq!(
        template["Resources"]["AccessEntryAdmins"]["Properties"]["PrincipalArn"],
        "arn:aws:iam::123456789012:role/platform/Admins",
        "a role's path stays in its ARN"
    );
    assert_eq!(
        template["Parameters"]["DeployerPrincipalArn"]["Default"], "",
        "a template deployed by hand without it still deploys"
    );
    // EKS allows one entry per principal: a deployer who is an admin already has one.
    assert_eq!(
        template["Conditions"]["GrantDeployer"],
        json!({ "Fn::And": [
            { "Condition": "HasDeployer" },
            { "Fn::Not": [{ "Condition": "DeployerIsAnAdmin" }] },
        ] })
    );
    assert_eq!(
        template["Conditions"]["DeployerIsAnAdmin"]["Fn::Or"][1],
        json!({ "Fn::Equals": [{ "Ref": "DeployerPrincipalArn" }, "arn:aws:iam::123456789012:user/alice"] })
    );
    let plain = eks(PLAIN);
    assert_eq!(
        plain["Resources"]["AccessEntryDeployer"]["Condition"],
        "HasDeployer"
    );
    assert_eq!(
        resource_ids(&plain, "AWS::EKS::AccessEntry"),
        ["AccessEntryDeployer"]
    );
}

#[test]
fn the_manifest_names_the_deployer_parameter_of_a_new_cluster() {
    let manifest = build(PLAIN).manifest;
    let deployer = manifest
        .eks
        .and_then(|eks| eks.deployer)
        .expect("a deployer parameter");
    assert_eq!(deployer.stack, "shop-default-platform");
    assert_eq!(deployer.parameter, "DeployerPrincipalArn");
}

#[test]
fn the_public_endpoint_admits_only_the_listed_blocks() {
    let restricted = eks(ADMINS);
    assert_eq!(
        restricted["Resources"]["Cluster"]["Properties"]["ResourcesVpcConfig"]["PublicAccessCidrs"],
        json!(["203.0.113.0/24", "198.51.100.7/32"])
    );
    let open = eks(PLAIN);
    assert!(
        open["Resources"]["Cluster"]["Properties"]["ResourcesVpcConfig"]["PublicAccessCidrs"]
            .is_null()
    );
}

#[test]
fn control_plane_logs_expire_and_are_encrypted() {
    let template = eks(PLAIN);
    let group = &template["Resources"]["ControlPlaneLogGroup"];
    assert_eq!(
        group["Properties"]["LogGroupName"], "/aws/eks/shop-default/cluster",
        "the group EKS writes the cluster's logs to"
    );
    assert_eq!(group["Properties"]["RetentionInDays"], 30);
    assert_eq!(
        group["Properties"]["KmsKeyId"],
        json!({ "Fn::GetAtt": ["Key", "Arn"] })
    );
    assert_eq!(
        template["Resources"]["Cluster"]["DependsOn"],
        json!(["ControlPlaneLogGroup"]),
        "it exists before EKS would create its own"
    );
    let logs = &template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"][1];
    let arns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        .as_array()
        .expect("the workspace's and the control plane's log groups");
    assert!(arns.contains(&json!({
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/eks/shop-default/cluster"
    })));
}

fn messages(source: &str) -> Vec<String> {
    let options = crate::Options {
        target: Some(Target::Eks),
        ..crate::Options::default()
    };
    crate::check(source, &options)
        .diagnostics
        .into_iter()
        .map(|diagnostic| diagnostic.message)
        .collect()
}

#[test]
fn admins_and_public_access_are_checked() {
    let wrong = r#"
workspace "shop" {
    region "eu-west-1"
    eks {
        admins "arn:aws:sts::123456789012:assumed-role/ci/session" "arn:aws:iam::123456789012:role/ci" "arn:aws:iam::123456789012:role/ci"
        public-access "10.0.0.0/16"
    }
}
service "web" { image "ghcr.io/acme/web:1.0"; port 8080; }
"#;
    let found = messages(wrong);
    for expected in [
        "`arn:aws:sts::123456789012:assumed-role/ci/session` is not an IAM role or user ARN",
        "`arn:aws:iam::123456789012:role/ci` is listed twice",
        "`10.0.0.0/16` cannot reach the public endpoint: it is a private range",
    ] {
        assert!(
            found.iter().any(|message| message == expected),
            "{found:#?}"
        );
    }
    let existing = r#"
workspace "shop" {
    region "eu-west-1"
    network { vpc "vpc-0abc1234def567890"; public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"; }
    eks { cluster "platform"; admins "arn:aws:iam::123456789012:role/ci"; }
}
service "web" { image "ghcr.io/acme/web:1.0"; port 8080; }
"#;
    assert!(
        messages(existing).contains(&"`admins` cannot be combined with `cluster`".to_owned()),
        "berth does not manage access to a cluster it did not create"
    );
    let _: Value = eks(PLAIN);
}
