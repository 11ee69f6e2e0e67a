//! Services and ALB Ingresses.

use serde_json::json;

use super::{SHOP, build, file, object};

#[test]
fn public_ports_get_alb_ingresses() {
    let files = build(SHOP);
    let web = object(file(&files, "service-web.yaml"), "Ingress", "web");
    let annotations = &web["metadata"]["annotations"];
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/scheme"],
        "internet-facing"
    );
    assert_eq!(annotations["alb.ingress.kubernetes.io/target-type"], "ip");
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/group.name"],
        "shop-default"
    );
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/healthcheck-path"],
        "/healthz"
    );
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/listen-ports"],
        r#"[{"HTTP":80},{"HTTPS":443}]"#
    );
    assert_eq!(annotations["alb.ingress.kubernetes.io/ssl-redirect"], "443");
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/certificate-arn"],
        "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    );
    // the catch-all `/` is evaluated after every more specific route: the last band
    assert_eq!(annotations["alb.ingress.kubernetes.io/group.order"], "32");
    assert_eq!(web["spec"]["ingressClassName"], "alb");
    assert_eq!(
        web["spec"]["rules"],
        json!([{ "http": { "paths": [{
            "path": "/",
            "pathType": "Prefix",
            "backend": { "service": { "name": "web", "port": { "name": "http-8080" } } },
        }] } }])
    );
    let documents = file(&files, "service-api.yaml");
    let http = object(documents, "Ingress", "api-http-9000");
    assert_eq!(http["spec"]["rules"][0]["host"], "api.example.com");
    assert_eq!(
        http["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"],
        "/api"
    );
    assert_eq!(
        http["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.order"], "15",
        "a host route one segment deep"
    );
    let grpc = object(documents, "Ingress", "api-grpc-9090");
    let annotations = &grpc["metadata"]["annotations"];
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/backend-protocol-version"],
        "GRPC"
    );
    assert!(
        annotations
            .get("alb.ingress.kubernetes.io/healthcheck-path")
            .is_none()
    );
    let service = object(documents, "Service", "api");
    assert_eq!(service["spec"]["type"], "ClusterIP");
    let names: Vec<&str> = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|port| port["name"].as_str())
        .collect();
    assert_eq!(names, ["http-9000", "grpc-9090", "http-9901"]);
}

#[test]
fn plain_http_without_a_domain() {
    // Without a domain there is no HTTPS, so the gRPC port cannot be public either.
    let source = SHOP
        .replace(
            r#"domain "shop.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/abc""#,
            "",
        )
        .replace(r#"port 9090 protocol="grpc" { public #true; path "/grpc"; }"#, r#"port 9090 protocol="grpc""#);
    let files = build(&source);
    let web = object(file(&files, "service-web.yaml"), "Ingress", "web");
    let annotations = &web["metadata"]["annotations"];
    assert_eq!(
        annotations["alb.ingress.kubernetes.io/listen-ports"],
        r#"[{"HTTP":80}]"#
    );
    assert!(
        annotations
            .get("alb.ingress.kubernetes.io/certificate-arn")
            .is_none()
    );
    assert!(
        annotations
            .get("alb.ingress.kubernetes.io/ssl-redirect")
            .is_none()
    );
}
