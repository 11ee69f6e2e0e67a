//! The security groups. The internet reaches only the load balancer's listener ports; the load
//! balancer reaches only the workloads; workloads reach each other (and the file system) and,
//! by default, anything outbound, as Copilot and the CDK allow. `network { egress … }` restricts
//! outbound traffic to the listed destinations plus HTTPS anywhere, which tasks need to pull
//! images and call AWS APIs.
//!
//! Every rule is its own resource, so the two groups can refer to each other without a cycle
//! and an update never rewrites a group's rule set.

use serde_json::Value;

use crate::emit::literal::value;

use super::{Network, SecurityGroups, named_tags};
use crate::emit::cloudformation::{Context, Template, attribute};
use crate::model::{Egress, EgressProtocol};

const LOAD_BALANCER_GROUP: &str = "LoadBalancerSecurityGroup";
const WORKLOAD_GROUP: &str = "WorkloadSecurityGroup";

/// The workload group, and the load balancer group when a port is public.
pub(super) fn security_groups(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
) -> SecurityGroups {
    let workspace = context.workspace;
    let prefix = context.naming.prefix();
    let workload = group(
        context,
        template,
        network,
        WORKLOAD_GROUP,
        &format!("berth tasks of {prefix}"),
        &format!("{prefix}-workloads"),
    );
    let all_tcp = |description: &str| value!({ "IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "Description": description });
    rule(
        template,
        "WorkloadIngressWorkloads",
        "AWS::EC2::SecurityGroupIngress",
        &workload,
        value!({ "SourceSecurityGroupId": workload.clone() }),
        all_tcp("Workloads reach each other and the file system"),
    );
    rule(
        template,
        "WorkloadEgressWorkloads",
        "AWS::EC2::SecurityGroupEgress",
        &workload,
        value!({ "DestinationSecurityGroupId": workload.clone() }),
        all_tcp("Workloads reach each other and the file system"),
    );
    egress(template, &workspace.egress, &workload);
    if !context.has_public_ports() {
        return SecurityGroups {
            load_balancer: None,
            workload,
        };
    }
    let load_balancer = group(
        context,
        template,
        network,
        LOAD_BALANCER_GROUP,
        &format!("berth load balancer of {prefix}"),
        &format!("{prefix}-load-balancer"),
    );
    let mut listeners = vec![(80, "LoadBalancerIngressHttp", "HTTP from the internet")];
    if workspace.domain.is_some() {
        listeners.push((443, "LoadBalancerIngressHttps", "HTTPS from the internet"));
    }
    for (port, id, description) in listeners {
        rule(
            template,
            id,
            "AWS::EC2::SecurityGroupIngress",
            &load_balancer,
            value!({ "CidrIp": "0.0.0.0/0" }),
            value!({ "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "Description": description }),
        );
    }
    rule(
        template,
        "LoadBalancerEgressWorkloads",
        "AWS::EC2::SecurityGroupEgress",
        &load_balancer,
        value!({ "DestinationSecurityGroupId": workload.clone() }),
        all_tcp("The load balancer reaches the workloads"),
    );
    rule(
        template,
        "WorkloadIngressLoadBalancer",
        "AWS::EC2::SecurityGroupIngress",
        &workload,
        value!({ "SourceSecurityGroupId": load_balancer.clone() }),
        all_tcp("The load balancer reaches the workloads"),
    );
    SecurityGroups {
        load_balancer: Some(load_balancer),
        workload,
    }
}

/// The workloads' outbound rules: everything when `egress` is empty, else HTTPS anywhere and one
/// rule per `egress` destination.
fn egress(template: &mut Template, destinations: &[Egress], workload: &Value) {
    if destinations.is_empty() {
        rule(
            template,
            "WorkloadEgressAll",
            "AWS::EC2::SecurityGroupEgress",
            workload,
            value!({ "CidrIp": "0.0.0.0/0" }),
            value!({
                "IpProtocol": "-1",
                "Description": "All outbound traffic; network { egress ... } restricts it",
            }),
        );
        return;
    }
    rule(
        template,
        "WorkloadEgressHttps",
        "AWS::EC2::SecurityGroupEgress",
        workload,
        value!({ "CidrIp": "0.0.0.0/0" }),
        value!({
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "Description": "HTTPS to image registries and AWS APIs",
        }),
    );
    for (number, destination) in (1u32..).zip(destinations) {
        let protocol = destination.protocol.name();
        let ports = match (destination.protocol, &destination.ports) {
            (EgressProtocol::All, _) => value!({ "IpProtocol": "-1" }),
            (_, Some(range)) => {
                let (first, last) = range.value;
                value!({ "IpProtocol": protocol, "FromPort": first, "ToPort": last })
            }
            (_, None) => value!({ "IpProtocol": protocol, "FromPort": 0, "ToPort": 65535 }),
        };
        let described = match &destination.ports {
            Some(range) if range.value.0 == range.value.1 => {
                format!(" port {}", range.value.0)
            }
            Some(range) => format!(" ports {}-{}", range.value.0, range.value.1),
            None => String::new(),
        };
        let mut ports = ports;
        if let Some(object) = ports.as_object_mut() {
            object.insert(
                "Description".into(),
                value!(format!(
                    "egress {} {protocol}{described}",
                    destination.cidr.value
                )),
            );
        }
        rule(
            template,
            &format!("WorkloadEgress{number}"),
            "AWS::EC2::SecurityGroupEgress",
            workload,
            value!({ "CidrIp": &destination.cidr.value }),
            ports,
        );
    }
}

/// A security group in the VPC with no rules of its own. Naming one egress rule that matches
/// nothing (ICMP type 252 to the broadcast address, as the CDK does) replaces the default
/// allow-all egress rule.
pub(crate) fn group(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
    id: &str,
    description: &str,
    name: &str,
) -> Value {
    template.resource(
        id,
        "AWS::EC2::SecurityGroup",
        value!({
            "GroupDescription": description,
            "VpcId": network.vpc.clone(),
            "SecurityGroupEgress": [{
                "IpProtocol": "icmp",
                "FromPort": 252,
                "ToPort": 86,
                "CidrIp": "255.255.255.255/32",
                "Description": "Disallow all traffic",
            }],
            "Tags": named_tags(context, name),
        }),
    );
    attribute(id, "GroupId")
}

/// One ingress or egress rule of `group`: the peer and the protocol, ports and description.
pub(crate) fn rule(
    template: &mut Template,
    id: &str,
    kind: &str,
    group: &Value,
    peer: Value,
    ports: Value,
) {
    let mut properties = value!({ "GroupId": group.clone() });
    for part in [peer, ports] {
        if let (Some(target), Value::Object(extra)) = (properties.as_object_mut(), part) {
            target.extend(extra);
        }
    }
    template.resource(id, kind, properties);
}
