//! The EKS token and the client berth builds from a cluster's endpoint and CA. The token is
//! checked against the algorithm by an independent implementation (`fake_kube/eks_token.rs`):
//! decoded, its presigned URL's host, action, expiry and signed `x-k8s-aws-id` header checked,
//! and its signature recomputed. The client is then pointed at the fake API server over TLS,
//! trusting only the test CA, with the fake accepting only tokens that verify; and so is Helm,
//! through the kubeconfig berth writes for it.

mod fake_kube;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use base64::Engine as _;
use berth::kubernetes::connect::{ClusterEndpoint, check, eks_client};
use berth::kubernetes::error::KubernetesError;
use berth::kubernetes::event::KubernetesEvent;
use berth::kubernetes::install::{Helm, install_missing};
use berth::kubernetes::token::{TokenSource, sign_token};
use berth_compiler::manifest::{ChartValue, ClusterRequirement, HelmChart, RequirementCheck};
use fake_kube::eks_token::verify;
use fake_kube::{Authentication, CA_PEM, FakeCluster, Options};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

#[test]
fn the_token_is_a_presigned_get_caller_identity_signed_over_the_cluster_name() {
    let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
    let token =
        sign_token("catalog-default", "us-west-2", &credentials, signed_at).expect("signed");
    assert!(token.token.starts_with("k8s-aws-v1."));
    let decoded = verify(
        &token.token,
        "catalog-default",
        "us-west-2",
        ACCESS_KEY,
        SECRET_KEY,
        1_700_000_060,
    )
    .expect("a token the authenticator accepts");
    assert_eq!(decoded.host, "sts.us-west-2.amazonaws.com");
    assert_eq!(decoded.query["Action"], "GetCallerIdentity");
    assert_eq!(decoded.query["X-Amz-Expires"], "60");
    assert_eq!(decoded.query["X-Amz-Date"], "20231114T221320Z");
    assert_eq!(decoded.query["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
    assert_eq!(token.expires_at, signed_at + Duration::from_mins(14));

    // The signature covers the cluster's name: the token is useless for another cluster.
    let other = verify(
        &token.token,
        "another-cluster",
        "us-west-2",
        ACCESS_KEY,
        SECRET_KEY,
        1_700_000_060,
    );
    assert!(other.is_err_and(|error| error.contains("signature")));
    // And it expires.
    let late = verify(
        &token.token,
        "catalog-default",
        "us-west-2",
        ACCESS_KEY,
        SECRET_KEY,
        1_700_000_000 + 16 * 60,
    );
    assert!(late.is_err_and(|error| error.contains("expired")));
}

#[test]
fn a_session_token_is_signed_into_the_url() {
    let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let credentials = Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some("FwoGZXIvYXdzEXAMPLE".into()),
        None,
        "test",
    );
    let token = sign_token("shop", "eu-west-1", &credentials, signed_at).expect("signed");
    let decoded = verify(
        &token.token,
        "shop",
        "eu-west-1",
        ACCESS_KEY,
        SECRET_KEY,
        1_700_000_001,
    )
    .expect("verifies");
    assert_eq!(decoded.query["X-Amz-Security-Token"], "FwoGZXIvYXdzEXAMPLE");
}

fn credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
}

/// A fake over TLS that accepts only tokens for `cluster` signed with the test key.
fn tls_cluster(cluster: &'static str) -> FakeCluster {
    tls_cluster_with(cluster, true)
}

/// [`tls_cluster`], with or without the controllers a complete cluster runs.
fn tls_cluster_with(cluster: &'static str, complete: bool) -> FakeCluster {
    FakeCluster::start(Options {
        tls: true,
        complete,
        authentication: Authentication::Check(Box::new(move |token| {
            verify(
                token,
                cluster,
                "us-west-2",
                ACCESS_KEY,
                SECRET_KEY,
                now_seconds(),
            )
            .is_ok()
        })),
        ..Options::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn the_client_from_an_eks_endpoint_trusts_its_ca_and_sends_a_fresh_token() {
    let fake = tls_cluster("catalog-default");
    let endpoint = ClusterEndpoint {
        endpoint: fake.url(),
        certificate_authority: base64::engine::general_purpose::STANDARD.encode(CA_PEM),
    };
    let events = std::sync::Mutex::new(Vec::new());
    let report = |event| events.lock().expect("events").push(event);
    runtime()
        .block_on(async {
            let tokens = Arc::new(TokenSource::new(
                "catalog-default",
                "us-west-2",
                credentials(),
            ));
            let connection = eks_client("catalog-default", &endpoint, tokens, None).await?;
            check(&connection, &report).await?;
            check(&connection, &report).await
        })
        .expect("connects");
    let events = events.into_inner().expect("events");
    assert!(
        matches!(&events[0], KubernetesEvent::Connected { version, .. } if version == "v1.33.5-eks-fake")
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|request| request.status == 200));
    assert_eq!(
        requests[0].authorization, requests[1].authorization,
        "a token is reused while fresh"
    );
}

#[test]
fn a_cluster_that_refuses_the_principal_says_how_to_grant_access() {
    let fake = tls_cluster("some-other-cluster");
    let endpoint = ClusterEndpoint {
        endpoint: fake.url(),
        certificate_authority: base64::engine::general_purpose::STANDARD.encode(CA_PEM),
    };
    let error = runtime()
        .block_on(async {
            let tokens = Arc::new(TokenSource::new(
                "catalog-default",
                "us-west-2",
                credentials(),
            ));
            let identity = Some("arn:aws:iam::123456789012:role/ci-deployer".to_owned());
            let connection = eks_client("catalog-default", &endpoint, tokens, identity).await?;
            check(&connection, &|_| {}).await
        })
        .expect_err("refused");
    assert!(
        matches!(error, KubernetesError::Unauthorized { .. }),
        "{error}"
    );
    assert_eq!(error.code().qualified(), "berth::cluster-access");
    let help = error.help();
    assert!(help.contains("aws eks create-access-entry --cluster-name catalog-default --principal-arn arn:aws:iam::123456789012:role/ci-deployer"), "{help}");
    assert!(help.contains("AmazonEKSClusterAdminPolicy"), "{help}");
}

#[test]
fn a_server_whose_certificate_the_ca_did_not_sign_is_refused() {
    let fake = tls_cluster("catalog-default");
    // Any CA but the fake's: the fake's own server certificate is no CA.
    let wrong = include_str!("fake_kube/tls/server.pem");
    let endpoint = ClusterEndpoint {
        endpoint: fake.url(),
        certificate_authority: base64::engine::general_purpose::STANDARD.encode(wrong),
    };
    let error = runtime()
        .block_on(async {
            let tokens = Arc::new(TokenSource::new(
                "catalog-default",
                "us-west-2",
                credentials(),
            ));
            let connection = eks_client("catalog-default", &endpoint, tokens, None).await?;
            check(&connection, &|_| {}).await
        })
        .expect_err("untrusted");
    assert!(
        matches!(error, KubernetesError::Unreachable { .. }),
        "{error}"
    );
    assert!(fake.requests().is_empty(), "no request reached the server");
}

#[test]
fn helm_reaches_an_eks_cluster_through_its_ca_and_a_token_signed_for_it() {
    let cluster = "catalog-default";
    let fake = tls_cluster_with(cluster, false);
    let endpoint = ClusterEndpoint {
        endpoint: fake.url(),
        certificate_authority: base64::engine::general_purpose::STANDARD.encode(CA_PEM),
    };
    let requirement = ClusterRequirement {
        name: "external-secrets".to_owned(),
        what: "the External Secrets Operator".to_owned(),
        needed_by: vec!["SecretStore".to_owned()],
        checks: vec![RequirementCheck::Serves {
            api_version: "external-secrets.io/v1".to_owned(),
            kind: "SecretStore".to_owned(),
        }],
        install: "helm install external-secrets".to_owned(),
        installed_by: None,
        chart: Some(HelmChart {
            release: "external-secrets".to_owned(),
            namespace: "external-secrets".to_owned(),
            repository: "https://charts.external-secrets.io".to_owned(),
            chart: "external-secrets".to_owned(),
            version: "0.20.1".to_owned(),
            values: std::collections::BTreeMap::from([(
                "installCRDs".to_owned(),
                ChartValue::Text("true".to_owned()),
            )]),
        }),
    };
    let helm = Helm {
        program: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/helm"),
    };
    let installed = runtime()
        .block_on(async {
            let tokens = Arc::new(TokenSource::new(cluster, "us-west-2", credentials()));
            let connection = eks_client(cluster, &endpoint, tokens, None).await?;
            let outputs = std::collections::BTreeMap::new();
            let first = install_missing(
                &connection,
                std::slice::from_ref(&requirement),
                &outputs,
                Some(&helm),
                &|_| {},
            )
            .await?;
            let second = install_missing(
                &connection,
                std::slice::from_ref(&requirement),
                &outputs,
                Some(&helm),
                &|_| {},
            )
            .await?;
            Ok::<_, KubernetesError>((first, second))
        })
        .expect("installs");
    assert_eq!(
        installed,
        (
            vec!["the External Secrets Operator (external-secrets 0.20.1)".to_owned()],
            Vec::new()
        ),
        "installed once, then found running"
    );
    let helm_requests: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|request| request.path == "/fake/helm")
        .collect();
    assert_eq!(helm_requests.len(), 1);
    assert_eq!(
        helm_requests[0].status, 200,
        "the fake verified Helm's token"
    );
    assert_eq!(fake.helm_installs()[0].values["installCRDs"], "true");
}
