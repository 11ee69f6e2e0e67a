//! The network: a new VPC with public subnets (and, with `nat`, private subnets behind one NAT
//! gateway per zone) and flow logs, or the ids of an existing VPC used as given.
//!
//! On `eks` the new subnets also carry the role tags the AWS Load Balancer Controller discovers
//! them by; the subnets of an existing VPC are not berth's to tag.

use serde_json::Value;

use crate::emit::literal::value;

use super::{Encryption, Network, named_tags, storage, workspace_tags};
use crate::emit::cloudformation::{Context, Template, attribute, logical_id, reference, sub};
use crate::model;

const VPC: &str = "Vpc";
const INTERNET_GATEWAY: &str = "InternetGateway";
const ATTACHMENT: &str = "InternetGatewayAttachment";
const PUBLIC_ROUTE_TABLE: &str = "PublicRouteTable";
const PUBLIC_ROUTE: &str = "PublicRoute";

/// The smallest subnet a load balancer accepts is a /27.
const SMALLEST_SUBNET: u32 = 27;

/// Whether new subnets say which load balancers they take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SubnetRoles {
    /// No role tags (`ecs`, `fargate`: the load balancer is in the template).
    Untagged,
    /// `kubernetes.io/role/elb` on public subnets and `kubernetes.io/role/internal-elb` on
    /// private ones, which the AWS Load Balancer Controller discovers subnets by.
    Kubernetes,
}

impl SubnetRoles {
    /// The tag a subnet of this kind carries, if any.
    const fn tag(self, public: bool) -> Option<&'static str> {
        match (self, public) {
            (Self::Untagged, _) => None,
            (Self::Kubernetes, true) => Some("kubernetes.io/role/elb"),
            (Self::Kubernetes, false) => Some("kubernetes.io/role/internal-elb"),
        }
    }
}

/// The network of `context`'s workspace.
pub(crate) fn network(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &Encryption,
    roles: SubnetRoles,
) -> Network {
    match &context.workspace.network {
        model::Network::Existing {
            vpc,
            public_subnets,
            private_subnets,
        } => {
            let literal = |subnets: &[crate::source::Spanned<String>]| -> Vec<Value> {
                subnets
                    .iter()
                    .map(|subnet| Value::String(subnet.value.clone()))
                    .collect()
            };
            let public_subnets = literal(public_subnets);
            let workload_subnets = if private_subnets.is_empty() {
                public_subnets.clone()
            } else {
                literal(private_subnets)
            };
            Network {
                vpc: Value::String(vpc.value.clone()),
                public_subnets,
                workload_subnets,
                public_route: None,
                workload_routes: Vec::new(),
            }
        }
        model::Network::New { cidr, zones, nat } => new_network(
            context,
            template,
            encryption,
            &cidr.value,
            *zones,
            *nat,
            roles,
        ),
    }
}

fn new_network(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &Encryption,
    cidr: &str,
    zones: u8,
    nat: bool,
    roles: SubnetRoles,
) -> Network {
    let prefix = context.naming.prefix();
    template.resource(
        VPC,
        "AWS::EC2::VPC",
        value!({
            "CidrBlock": cidr,
            "EnableDnsSupport": true,
            "EnableDnsHostnames": true,
            "Tags": named_tags(context, &prefix),
        }),
    );
    template.resource(
        INTERNET_GATEWAY,
        "AWS::EC2::InternetGateway",
        value!({ "Tags": named_tags(context, &prefix) }),
    );
    template.resource(
        ATTACHMENT,
        "AWS::EC2::VPCGatewayAttachment",
        value!({ "VpcId": reference(VPC), "InternetGatewayId": reference(INTERNET_GATEWAY) }),
    );
    template.resource(
        PUBLIC_ROUTE_TABLE,
        "AWS::EC2::RouteTable",
        value!({
            "VpcId": reference(VPC),
            "Tags": named_tags(context, &format!("{prefix}-public")),
        }),
    );
    template.resource_with(
        PUBLIC_ROUTE,
        "AWS::EC2::Route",
        value!({
            "RouteTableId": reference(PUBLIC_ROUTE_TABLE),
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": reference(INTERNET_GATEWAY),
        }),
        value!({ "DependsOn": ATTACHMENT }),
    );
    let (blocks, host_bits) = layout(prefix_length(cidr));
    let private_block = blocks / 2;
    let block =
        |index: u32| value!({ "Fn::Select": [index, { "Fn::Cidr": [cidr, blocks, host_bits] }] });
    let mut public_subnets = Vec::new();
    let mut private_subnets = Vec::new();
    let mut private_routes = Vec::new();
    for zone in 0..u32::from(zones) {
        let number = (zone + 1).to_string();
        let availability_zone = value!({ "Fn::Select": [zone, { "Fn::GetAZs": "" }] });
        let public = logical_id(&["PublicSubnet", &number]);
        template.resource(
            &public,
            "AWS::EC2::Subnet",
            value!({
                "VpcId": reference(VPC),
                "AvailabilityZone": &availability_zone,
                "CidrBlock": block(zone),
                "MapPublicIpOnLaunch": true,
                "Tags": subnet_tags(context, &format!("{prefix}-public-{number}"), roles.tag(true)),
            }),
        );
        template.resource(
            &logical_id(&["PublicSubnet", &number, "RouteTableAssociation"]),
            "AWS::EC2::SubnetRouteTableAssociation",
            value!({ "SubnetId": reference(&public), "RouteTableId": reference(PUBLIC_ROUTE_TABLE) }),
        );
        public_subnets.push(reference(&public));
        if !nat {
            continue;
        }
        let address = logical_id(&["NatAddress", &number]);
        template.resource_with(
            &address,
            "AWS::EC2::EIP",
            value!({ "Domain": "vpc", "Tags": named_tags(context, &format!("{prefix}-nat-{number}")) }),
            value!({ "DependsOn": ATTACHMENT }),
        );
        let gateway = logical_id(&["NatGateway", &number]);
        template.resource(
            &gateway,
            "AWS::EC2::NatGateway",
            value!({
                "AllocationId": attribute(&address, "AllocationId"),
                "SubnetId": reference(&public),
                "Tags": named_tags(context, &format!("{prefix}-nat-{number}")),
            }),
        );
        let private = logical_id(&["PrivateSubnet", &number]);
        template.resource(
            &private,
            "AWS::EC2::Subnet",
            value!({
                "VpcId": reference(VPC),
                "AvailabilityZone": availability_zone,
                "CidrBlock": block(private_block + zone),
                "MapPublicIpOnLaunch": false,
                "Tags": subnet_tags(context, &format!("{prefix}-private-{number}"), roles.tag(false)),
            }),
        );
        let table = logical_id(&["PrivateRouteTable", &number]);
        template.resource(
            &table,
            "AWS::EC2::RouteTable",
            value!({
                "VpcId": reference(VPC),
                "Tags": named_tags(context, &format!("{prefix}-private-{number}")),
            }),
        );
        let route = logical_id(&["PrivateRoute", &number]);
        template.resource(
            &route,
            "AWS::EC2::Route",
            value!({
                "RouteTableId": reference(&table),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": reference(&gateway),
            }),
        );
        template.resource(
            &logical_id(&["PrivateSubnet", &number, "RouteTableAssociation"]),
            "AWS::EC2::SubnetRouteTableAssociation",
            value!({ "SubnetId": reference(&private), "RouteTableId": reference(&table) }),
        );
        private_subnets.push(reference(&private));
        private_routes.push(route);
    }
    flow_logs(context, template, encryption);
    let (workload_subnets, workload_routes) = if nat {
        (private_subnets, private_routes)
    } else {
        (public_subnets.clone(), vec![PUBLIC_ROUTE.to_owned()])
    };
    Network {
        vpc: reference(VPC),
        public_subnets,
        workload_subnets,
        public_route: Some(PUBLIC_ROUTE.to_owned()),
        workload_routes,
    }
}

/// A subnet's tags: the workspace's, its `Name`, and its role tag (value `1`) when it has one.
fn subnet_tags(context: &Context<'_>, name: &str, role: Option<&str>) -> Value {
    let mut tags = named_tags(context, name);
    if let (Some(role), Value::Array(list)) = (role, &mut tags) {
        list.retain(|tag| tag["Key"] != role);
        list.push(value!({ "Key": role, "Value": "1" }));
        list.sort_by(|left, right| left["Key"].as_str().cmp(&right["Key"].as_str()));
    }
    tags
}

/// Flow logs of all VPC traffic into a log group of their own (`<workspace log group>/vpc-flow-logs`,
/// encrypted with the workspace key, kept as long as the workloads' logs), apart from the
/// application's logs so neither drowns the other and each can be read or kept on its own;
/// delivered by a role that may only write to that group.
fn flow_logs(context: &Context<'_>, template: &mut Template, encryption: &Encryption) {
    let role = "FlowLogRole";
    let group = "FlowLogGroup";
    template.resource_with(
        group,
        "AWS::Logs::LogGroup",
        value!({
            "LogGroupName": context.naming.flow_log_group(),
            "RetentionInDays": storage::RETENTION_DAYS,
            "KmsKeyId": encryption.key_arn.clone(),
            "Tags": workspace_tags(context),
        }),
        value!({ "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete" }),
    );
    template.resource(
        role,
        "AWS::IAM::Role",
        value!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "vpc-flow-logs.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": { "aws:SourceAccount": sub("${AWS::AccountId}") },
                        "ArnLike": {
                            "aws:SourceArn": sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*"),
                        },
                    },
                }],
            },
            "Policies": [{
                "PolicyName": "deliver-flow-logs",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            "Resource": attribute(group, "Arn"),
                        },
                        {
                            "Effect": "Allow",
                            "Action": "logs:DescribeLogGroups",
                            "Resource": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
                        },
                    ],
                },
            }],
            "Tags": workspace_tags(context),
        }),
    );
    template.resource(
        "FlowLog",
        "AWS::EC2::FlowLog",
        value!({
            "ResourceId": reference(VPC),
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": reference(group),
            "DeliverLogsPermissionArn": attribute(role, "Arn"),
            "Tags": workspace_tags(context),
        }),
    );
}

/// How a VPC of `prefix` is cut: into equal blocks, so each subnet keeps its block whatever the
/// zone count or `nat` (public subnets take the first half, private ones the second), and
/// returns the block count and each block's host bits. Sixteen blocks (a /16 gives /20s),
/// or eight when sixteen would be smaller than a load balancer accepts.
fn layout(prefix: u32) -> (u32, u32) {
    let blocks: u32 = if prefix + 4 <= SMALLEST_SUBNET { 16 } else { 8 };
    (blocks, 32 - prefix - blocks.ilog2())
}

/// The prefix length of a CIDR block validation accepted (16–24).
fn prefix_length(cidr: &str) -> u32 {
    cidr.split_once('/')
        .and_then(|(_, length)| length.parse().ok())
        .unwrap_or(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_never_smaller_than_a_load_balancer_accepts() {
        assert_eq!(layout(16), (16, 12), "a /16 gives sixteen /20s");
        assert_eq!(layout(23), (16, 5), "a /23 gives sixteen /27s");
        assert_eq!(layout(24), (8, 5), "a /24 gives eight /27s");
        assert_eq!(prefix_length("10.0.0.0/18"), 18);
    }
}
