//! The platform stack of the `ecs` and `fargate` targets: everything the workloads of one
//! workspace and environment share, exported under the keys in [`super::exports`].
//!
//! - `network`: the VPC, subnets, gateways and flow logs (or the ids of an existing VPC).
//! - `firewall`: the load balancer's and the workloads' security groups.
//! - `storage`: the KMS key, the log group, ECR repositories and the EFS file system.
//! - `edge`: the ECS cluster, Cloud Map namespace and the shared load balancer.
//! - `capacity`: EC2 instances for target `ecs`.
//!
//! The network, firewall and storage building blocks are shared with the `eks` platform stack
//! ([`super::eks`]).

mod capacity;
mod edge;
pub(super) mod firewall;
pub(super) mod network;
pub(super) mod storage;

use serde_json::Value;

use crate::emit::literal::value;

use super::{Context, Template, exports, logical_id, parameters, reference, tags};
use crate::model::Target;

/// The shared infrastructure of one workspace and environment.
pub fn platform_stack(context: &Context<'_>) -> Template {
    let workspace = context.workspace;
    let mut template = Template::new(format!(
        "berth platform of {} ({})",
        workspace.name.value, workspace.environment.value
    ));
    let encryption = storage::encryption(context, &mut template, storage::KEY_USES);
    let network = network::network(
        context,
        &mut template,
        &encryption,
        network::SubnetRoles::Untagged,
    );
    let groups = firewall::security_groups(context, &mut template, &network);
    let cluster = edge::cluster(context, &mut template, &network);
    if context.has_public_ports() {
        let listener = edge::load_balancer(context, &mut template, &network, &groups);
        publish(
            context,
            &mut template,
            parameters::LISTENER_ARN,
            "String",
            &reference(listener),
        );
    }
    storage::repositories(context, &mut template, &encryption);
    if !context.volumes.is_empty() {
        storage::volumes(context, &mut template, &encryption, &network, &groups);
    }
    if workspace.target.value == Target::Ecs {
        capacity::capacity(context, &mut template, &network, &groups, &cluster);
    }
    export(context, &mut template, exports::VPC_ID, network.vpc.clone());
    publish(
        context,
        &mut template,
        parameters::WORKLOAD_SUBNETS,
        "StringList",
        &value!({ "Fn::Join": [",", network.workload_subnets] }),
    );
    export(
        context,
        &mut template,
        exports::WORKLOAD_SECURITY_GROUP,
        groups.workload.clone(),
    );
    export(context, &mut template, exports::KEY_ARN, encryption.key_arn);
    template
}

/// Where the network resources are, as template values (references or literal ids).
pub(crate) struct Network {
    /// The VPC id.
    pub(crate) vpc: Value,
    /// The public subnets, one per zone: the load balancer's.
    pub(crate) public_subnets: Vec<Value>,
    /// The subnets tasks, instances, nodes and mount targets run in.
    pub(crate) workload_subnets: Vec<Value>,
    /// The logical id of the route to the internet gateway, in a new VPC: internet-facing
    /// resources are created after it (an internet-facing load balancer needs the gateway) and
    /// deleted before it (a gateway with public addresses behind it cannot be detached).
    pub(crate) public_route: Option<String>,
    /// The logical ids of the routes the workload subnets reach the internet by, in a new VPC.
    pub(crate) workload_routes: Vec<String>,
}

/// The security group ids.
struct SecurityGroups {
    /// The load balancer's, when there is one.
    load_balancer: Option<Value>,
    /// The one every task, instance and mount target uses.
    workload: Value,
}

/// The workspace's key.
pub(crate) struct Encryption {
    /// The key's ARN.
    pub(crate) key_arn: Value,
}

/// The ECS cluster.
struct Cluster {
    /// Its logical id.
    id: String,
}

/// Adds an output exported as `key`, with the key as its logical id.
fn export(context: &Context<'_>, template: &mut Template, key: &str, value: Value) {
    template.output(key, value, Some(context.export_name(key)));
}

/// Writes `value` to the platform's SSM parameter `key` (of SSM type `kind`), for workload
/// stacks to read at each deploy.
fn publish(context: &Context<'_>, template: &mut Template, key: &str, kind: &str, value: &Value) {
    let tags: serde_json::Map<String, Value> = match tags(context.workspace, None) {
        Value::Array(pairs) => pairs
            .into_iter()
            .filter_map(|pair| Some((pair["Key"].as_str()?.to_owned(), pair["Value"].clone())))
            .collect(),
        _ => serde_json::Map::new(),
    };
    template.resource(
        &logical_id(&[key, "Parameter"]),
        "AWS::SSM::Parameter",
        value!({
            "Name": context.parameter_name(key),
            "Type": kind,
            "Value": value,
            "Description": format!(
                "berth {} ({}): {key}, read by the workload stacks at each deploy",
                context.workspace.name.value, context.workspace.environment.value
            ),
            "Tags": Value::Object(tags),
        }),
    );
}

/// The workspace's tags plus a `Name` tag (unless the workspace sets one), sorted by key.
pub(crate) fn named_tags(context: &Context<'_>, name: &str) -> Value {
    let mut tags = match tags(context.workspace, None) {
        Value::Array(tags) => tags,
        _ => Vec::new(),
    };
    if !tags.iter().any(|tag| tag["Key"] == "Name") {
        tags.push(value!({ "Key": "Name", "Value": name }));
        tags.sort_by(|left, right| left["Key"].as_str().cmp(&right["Key"].as_str()));
    }
    Value::Array(tags)
}

/// `{"DependsOn": [ids]}`, or no attributes when `ids` is empty.
pub(crate) fn depends_on<'a>(ids: impl Iterator<Item = &'a String>) -> Value {
    let ids: Vec<&String> = ids.collect();
    if ids.is_empty() {
        value!({})
    } else {
        value!({ "DependsOn": ids })
    }
}

/// The workspace's tags.
pub(crate) fn workspace_tags(context: &Context<'_>) -> Value {
    tags(context.workspace, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::TemplateFormat;
    use crate::model::Workspace;

    fn workspace(source: &str, target: Option<Target>) -> Workspace {
        let options = crate::Options {
            target,
            ..crate::Options::default()
        };
        let checked = crate::check(source, &options);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked
            .workspace
            .map(crate::Valid::into_inner)
            .expect("a valid workspace")
    }

    fn platform(source: &str, target: Option<Target>) -> Value {
        let workspace = workspace(source, target);
        let context = Context::new(&workspace);
        let text = platform_stack(&context).render(TemplateFormat::Json);
        serde_json::from_str(&text).expect("the template is JSON")
    }

    use crate::emit::cloudformation::template::resource_ids as resources_of;

    const PUBLIC: &str = r#"
        workspace "shop" { region "eu-west-1"; network { zones 3; nat #false; } }
        service "web" { image "nginx:1"; port 80 { public #true; path "/"; } }
    "#;

    const PRIVATE: &str = r#"
        workspace "shop" {
            region "eu-west-1"
            network { zones 2; nat #true; }
            domain "shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/abc"
        }
        service "web" { image "nginx:1"; port 80 { public #true; path "/"; } }
        service "api" { image repository="api" tag="1"; port 9000; volume "data" path="/data"; }
    "#;

    /// The value the platform writes to its SSM parameter `key`.
    fn parameter<'a>(template: &'a Value, key: &str) -> &'a Value {
        &template["Resources"][logical_id(&[key, "Parameter"])]["Properties"]["Value"]
    }

    #[test]
    fn without_nat_there_are_only_public_subnets() {
        let template = platform(PUBLIC, None);
        assert!(resources_of(&template, "AWS::EC2::NatGateway").is_empty());
        assert!(resources_of(&template, "AWS::EC2::EIP").is_empty());
        assert_eq!(resources_of(&template, "AWS::EC2::Subnet").len(), 3);
        let joined = &parameter(&template, parameters::WORKLOAD_SUBNETS)["Fn::Join"][1];
        assert_eq!(
            joined,
            &value!([{ "Ref": "PublicSubnet1" }, { "Ref": "PublicSubnet2" }, { "Ref": "PublicSubnet3" }])
        );
    }

    #[test]
    fn with_nat_each_zone_has_a_gateway_and_workloads_run_privately() {
        let template = platform(PRIVATE, None);
        assert_eq!(resources_of(&template, "AWS::EC2::NatGateway").len(), 2);
        assert_eq!(resources_of(&template, "AWS::EC2::Subnet").len(), 4);
        let joined = &parameter(&template, parameters::WORKLOAD_SUBNETS)["Fn::Join"][1];
        assert_eq!(
            joined,
            &value!([{ "Ref": "PrivateSubnet1" }, { "Ref": "PrivateSubnet2" }])
        );
        assert_eq!(
            resources_of(&template, "AWS::EFS::MountTarget").len(),
            2,
            "one mount target per workload subnet"
        );
    }

    #[test]
    fn every_export_is_present_with_its_name() {
        let template = platform(PRIVATE, Some(Target::Ecs));
        let mut keys = vec![
            exports::VPC_ID.to_owned(),
            exports::WORKLOAD_SECURITY_GROUP.to_owned(),
            exports::CLUSTER_NAME.to_owned(),
            exports::CLUSTER_ARN.to_owned(),
            exports::LOAD_BALANCER_FULL_NAME.to_owned(),
            exports::DISCOVERY_NAMESPACE_ID.to_owned(),
            exports::DISCOVERY_NAMESPACE_ARN.to_owned(),
            exports::FILE_SYSTEM_ID.to_owned(),
            exports::CAPACITY_PROVIDER.to_owned(),
            exports::KEY_ARN.to_owned(),
        ];
        keys.sort();
        let outputs = template["Outputs"].as_object().expect("outputs");
        let exported: Vec<String> = outputs
            .iter()
            .filter(|(_, output)| output.get("Export").is_some())
            .map(|(key, _)| key.clone())
            .collect();
        assert_eq!(exported, keys);
        assert_eq!(
            outputs[super::super::outputs::LOAD_BALANCER_DNS_NAME]["Value"],
            value!({ "Fn::GetAtt": ["LoadBalancer", "DNSName"] }),
            "the deploy step reads the load balancer's DNS name, unexported"
        );
        for key in &keys {
            assert_eq!(
                outputs[key]["Export"]["Name"],
                format!("shop-default-platform-{key}")
            );
        }
        assert_eq!(
            parameter(&template, parameters::LISTENER_ARN),
            &value!({ "Ref": "HttpsListener" }),
            "with a domain, public ports attach to the HTTPS listener"
        );
        assert_eq!(
            template["Resources"]["ListenerArnParameter"]["Properties"]["Name"],
            "/berth/shop/default/listener-arn"
        );
    }

    #[test]
    fn conditional_parts_follow_the_workspace() {
        let fargate = platform(PUBLIC, Some(Target::Fargate));
        for kind in [
            "AWS::ECS::CapacityProvider",
            "AWS::AutoScaling::AutoScalingGroup",
            "AWS::EFS::FileSystem",
            "AWS::ECR::Repository",
        ] {
            assert!(resources_of(&fargate, kind).is_empty(), "{kind}");
        }
        assert!(fargate["Outputs"][exports::CAPACITY_PROVIDER].is_null());
        assert_eq!(
            parameter(&fargate, parameters::LISTENER_ARN),
            &value!({ "Ref": "HttpListener" })
        );
        let ecs = platform(PUBLIC, Some(Target::Ecs));
        assert_eq!(resources_of(&ecs, "AWS::ECS::CapacityProvider").len(), 1);
        let internal = platform(
            r#"workspace "shop" { region "eu-west-1"; }
               worker "mailer" { image "nginx:1"; }"#,
            None,
        );
        assert!(resources_of(&internal, "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty());
        assert!(parameter(&internal, parameters::LISTENER_ARN).is_null());
    }

    #[test]
    fn an_existing_network_is_used_as_given() {
        let template = platform(
            r#"workspace "shop" {
                   region "eu-west-1"
                   network {
                       vpc "vpc-0abc1234def567890"
                       public-subnets "subnet-0aaa1111bbb22222c" "subnet-0ddd3333eee44444f"
                       private-subnets "subnet-0bbb5555ccc66666a" "subnet-0eee7777fff88888b"
                   }
               }
               service "web" { image "nginx:1"; port 80 { public #true; path "/"; } }"#,
            None,
        );
        for kind in ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::FlowLog"] {
            assert!(resources_of(&template, kind).is_empty(), "{kind}");
        }
        assert_eq!(
            template["Outputs"][exports::VPC_ID]["Value"],
            "vpc-0abc1234def567890"
        );
        assert_eq!(
            parameter(&template, parameters::WORKLOAD_SUBNETS)["Fn::Join"][1],
            value!(["subnet-0bbb5555ccc66666a", "subnet-0eee7777fff88888b"])
        );
        assert_eq!(
            template["Resources"]["LoadBalancer"]["Properties"]["Subnets"],
            value!(["subnet-0aaa1111bbb22222c", "subnet-0ddd3333eee44444f"])
        );
    }

    #[test]
    fn only_the_listener_ports_are_open_to_the_internet() {
        let template = platform(PRIVATE, None);
        let resources = template["Resources"].as_object().expect("resources");
        let mut open: Vec<i64> = resources
            .values()
            .filter(|resource| resource["Type"] == "AWS::EC2::SecurityGroupIngress")
            .filter(|resource| resource["Properties"]["CidrIp"] == "0.0.0.0/0")
            .filter_map(|resource| resource["Properties"]["FromPort"].as_i64())
            .collect();
        open.sort_unstable();
        assert_eq!(open, [80, 443]);
        for resource in resources.values() {
            if resource["Type"]
                .as_str()
                .is_some_and(|kind| kind.starts_with("AWS::EC2::SecurityGroup"))
            {
                let rules = [
                    &resource["Properties"],
                    &resource["Properties"]["SecurityGroupEgress"][0],
                ];
                assert!(rules.iter().all(
                    |rule| rule.get("IpProtocol").is_none() || rule["Description"].is_string()
                ));
            }
        }
    }

    /// The workload group's outbound rules: (protocol, from, to, CIDR) sorted.
    fn egress(template: &Value) -> Vec<(String, i64, i64, String)> {
        let mut rules: Vec<_> = template["Resources"]
            .as_object()
            .expect("resources")
            .values()
            .filter(|resource| resource["Type"] == "AWS::EC2::SecurityGroupEgress")
            .filter(|resource| resource["Properties"]["CidrIp"].is_string())
            .map(|resource| {
                let rule = &resource["Properties"];
                (
                    rule["IpProtocol"].as_str().unwrap_or_default().to_owned(),
                    rule["FromPort"].as_i64().unwrap_or(-1),
                    rule["ToPort"].as_i64().unwrap_or(-1),
                    rule["CidrIp"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        rules.sort();
        rules
    }

    #[test]
    fn workloads_reach_anything_outbound_unless_egress_restricts_it() {
        let open = platform(PUBLIC, None);
        assert_eq!(
            egress(&open),
            [("-1".to_owned(), -1, -1, "0.0.0.0/0".to_owned())],
            "databases, SMTP and plain HTTP are reachable by default"
        );
        let restricted = platform(
            r#"workspace "shop" {
                   region "eu-west-1"
                   network {
                       egress "10.20.0.0/16" port=5432
                       egress "0.0.0.0/0" port="8000-8100"
                       egress "10.40.0.0/16" protocol="udp" port=514
                       egress "10.50.0.0/16" protocol="all"
                   }
               }
               worker "mailer" { image "nginx:1"; }"#,
            None,
        );
        assert_eq!(
            egress(&restricted),
            [
                ("-1".to_owned(), -1, -1, "10.50.0.0/16".to_owned()),
                ("tcp".to_owned(), 443, 443, "0.0.0.0/0".to_owned()),
                ("tcp".to_owned(), 5432, 5432, "10.20.0.0/16".to_owned()),
                ("tcp".to_owned(), 8000, 8100, "0.0.0.0/0".to_owned()),
                ("udp".to_owned(), 514, 514, "10.40.0.0/16".to_owned()),
            ],
            "the listed destinations and HTTPS, which every task needs"
        );
    }

    #[test]
    fn flow_logs_have_a_log_group_of_their_own() {
        let template = platform(PUBLIC, None);
        let flow_log = &template["Resources"]["FlowLog"]["Properties"];
        assert_eq!(flow_log["LogGroupName"], value!({ "Ref": "FlowLogGroup" }));
        let group = &template["Resources"]["FlowLogGroup"]["Properties"];
        assert_eq!(group["LogGroupName"], "/berth/shop/default/vpc-flow-logs");
        assert_ne!(
            group["LogGroupName"],
            template["Resources"]["LogGroup"]["Properties"]["LogGroupName"]
        );
        assert_eq!(group["KmsKeyId"], value!({ "Fn::GetAtt": ["Key", "Arn"] }));
        assert!(group["RetentionInDays"].is_u64());
        let role = &template["Resources"]["FlowLogRole"]["Properties"];
        assert_eq!(
            role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
            value!({ "Fn::GetAtt": ["FlowLogGroup", "Arn"] }),
            "the role writes to the flow log group only"
        );
        let encrypted = &template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"][1]["Condition"]
            ["ArnLike"]["kms:EncryptionContext:aws:logs:arn"];
        assert_eq!(
            encrypted[1]["Fn::Sub"],
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/shop/default/vpc-flow-logs",
            "CloudWatch Logs may encrypt the flow logs with the key"
        );
    }

    #[test]
    fn graviton_instances_get_the_arm64_image() {
        let arm = platform(
            r#"workspace "shop" { target "ecs"; region "eu-west-1"; ecs { instance-type "m7g.large"; } }
               worker "mailer" { image "nginx:1"; }"#,
            None,
        );
        let image =
            &arm["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["ImageId"];
        assert_eq!(
            image,
            "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id}}"
        );
        let intel = platform(PUBLIC, Some(Target::Ecs));
        let image =
            &intel["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["ImageId"];
        assert!(image.as_str().is_some_and(|image| !image.contains("arm64")));
    }

    #[test]
    fn output_is_deterministic() {
        let workspace = workspace(PRIVATE, Some(Target::Ecs));
        let first = platform_stack(&Context::new(&workspace)).render(TemplateFormat::Json);
        let second = platform_stack(&Context::new(&workspace)).render(TemplateFormat::Json);
        assert_eq!(first, second);
    }

    #[test]
    fn the_instance_role_has_only_the_ecs_agent_policy_and_instance_tags_do_not_propagate() {
        let source = PRIVATE.replace(
            "region \"eu-west-1\"\n",
            "region \"eu-west-1\"\n            tags { team \"shop\"; }\n",
        );
        assert_ne!(source, PRIVATE, "the workspace has tags");
        let template = platform(&source, Some(Target::Ecs));
        let role = &template["Resources"]["InstanceRole"]["Properties"];
        assert_eq!(
            role["ManagedPolicyArns"],
            value!([{ "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" }])
        );
        assert!(role.get("Policies").is_none(), "{role}");
        let tags = template["Resources"]["AutoScalingGroup"]["Properties"]["Tags"]
            .as_array()
            .expect("tags")
            .clone();
        let mut expected = template["Resources"]["InstanceRole"]["Properties"]["Tags"]
            .as_array()
            .expect("tags")
            .clone();
        assert!(
            expected.iter().any(|tag| tag["Key"] == "team"),
            "{expected:?}"
        );
        for tag in &mut expected {
            tag["PropagateAtLaunch"] = value!(false);
        }
        assert_eq!(tags, expected);
    }
}
