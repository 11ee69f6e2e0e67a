//! Where workloads run and are reached: the ECS cluster, the Cloud Map namespace services find
//! each other in (through ECS Service Connect, the cluster's default namespace), and the shared
//! internet-facing load balancer with its listeners.

use crate::emit::literal::value;

use super::{Cluster, Network, SecurityGroups, depends_on, export, workspace_tags};
use crate::emit::cloudformation::{Context, Template, attribute, exports, outputs, reference};

const CLUSTER: &str = "Cluster";
const NAMESPACE: &str = "DiscoveryNamespace";
const LOAD_BALANCER: &str = "LoadBalancer";
const HTTP_LISTENER: &str = "HttpListener";
const HTTPS_LISTENER: &str = "HttpsListener";

/// TLS 1.3 with TLS 1.2 fallback.
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The ECS cluster with Container Insights, and the private DNS namespace in the VPC.
pub(super) fn cluster(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
) -> Cluster {
    template.resource(
        CLUSTER,
        "AWS::ECS::Cluster",
        value!({
            "ClusterName": context.naming.prefix(),
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "ServiceConnectDefaults": { "Namespace": attribute(NAMESPACE, "Arn") },
            "Tags": workspace_tags(context),
        }),
    );
    template.resource(
        NAMESPACE,
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        value!({
            "Name": context.naming.discovery_namespace(),
            "Description": format!("Services of {}", context.naming.prefix()),
            "Vpc": network.vpc.clone(),
            "Tags": workspace_tags(context),
        }),
    );
    export(context, template, exports::CLUSTER_NAME, reference(CLUSTER));
    export(
        context,
        template,
        exports::CLUSTER_ARN,
        attribute(CLUSTER, "Arn"),
    );
    export(
        context,
        template,
        exports::DISCOVERY_NAMESPACE_ID,
        attribute(NAMESPACE, "Id"),
    );
    export(
        context,
        template,
        exports::DISCOVERY_NAMESPACE_ARN,
        attribute(NAMESPACE, "Arn"),
    );
    Cluster {
        id: CLUSTER.to_owned(),
    }
}

/// The internet-facing application load balancer in the public subnets. Without a domain its
/// HTTP listener answers 404 until workloads add rules; with one, HTTP redirects to an HTTPS
/// listener that does. Returns the logical id of the listener rules attach to.
pub(super) fn load_balancer(
    context: &Context<'_>,
    template: &mut Template,
    network: &Network,
    groups: &SecurityGroups,
) -> &'static str {
    template.resource_with(
        LOAD_BALANCER,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        value!({
            "Name": context.naming.load_balancer(),
            "Type": "application",
            "Scheme": "internet-facing",
            "IpAddressType": "ipv4",
            "Subnets": &network.public_subnets,
            "SecurityGroups": groups.load_balancer.iter().collect::<Vec<_>>(),
            "LoadBalancerAttributes": [
                { "Key": "deletion_protection.enabled", "Value": "false" },
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" },
                { "Key": "routing.http.desync_mitigation_mode", "Value": "defensive" },
            ],
            "Tags": workspace_tags(context),
        }),
        depends_on(network.public_route.iter()),
    );
    // Not exported: only the deploy step reads it, to print the endpoints.
    template.output(
        outputs::LOAD_BALANCER_DNS_NAME,
        attribute(LOAD_BALANCER, "DNSName"),
        None,
    );
    let not_found = value!([{
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "StatusCode": "404",
            "ContentType": "text/plain",
            "MessageBody": "Not Found",
        },
    }]);
    // Port 80 answers 404 itself without a domain, and redirects to HTTPS with one.
    let http_actions = if context.workspace.domain.is_some() {
        value!([{
            "Type": "redirect",
            "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301" },
        }])
    } else {
        not_found.clone()
    };
    template.resource(
        HTTP_LISTENER,
        "AWS::ElasticLoadBalancingV2::Listener",
        value!({
            "LoadBalancerArn": reference(LOAD_BALANCER),
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": http_actions,
            "Tags": workspace_tags(context),
        }),
    );
    export(
        context,
        template,
        exports::LOAD_BALANCER_FULL_NAME,
        attribute(LOAD_BALANCER, "LoadBalancerFullName"),
    );
    let Some(domain) = &context.workspace.domain else {
        return HTTP_LISTENER;
    };
    template.resource(
        HTTPS_LISTENER,
        "AWS::ElasticLoadBalancingV2::Listener",
        value!({
            "LoadBalancerArn": reference(LOAD_BALANCER),
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": SSL_POLICY,
            "Certificates": [{ "CertificateArn": &domain.certificate.value }],
            "DefaultActions": not_found,
            "Tags": workspace_tags(context),
        }),
    );
    HTTPS_LISTENER
}
