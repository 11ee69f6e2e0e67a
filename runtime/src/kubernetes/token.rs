//! The bearer token an EKS cluster accepts, made in-process the way `aws eks get-token` makes
//! it: a presigned STS `GetCallerIdentity` URL whose signature covers the `x-k8s-aws-id` header
//! (the cluster's name), encoded as `k8s-aws-v1.` + base64url without padding. The cluster's
//! authenticator calls the URL, learns who signed it, and maps that principal to Kubernetes
//! permissions through the cluster's access entries.
//!
//! The signature is made with `aws-sigv4` from the same credentials every other AWS call uses
//! (so profiles, SSO and assumed roles all work) and is never sent anywhere but the cluster.
//! [`TokenSource`] keeps one token and makes a new one before it expires.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    SessionTokenMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What every EKS token starts with.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The header, signed into the URL, that names the cluster the token is for: a token for one
/// cluster is refused by every other.
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";

/// How long the presigned URL says it is valid (`X-Amz-Expires`), as `aws eks get-token` signs
/// it. The authenticator accepts a token for 15 minutes after it was signed whatever this says.
pub const PRESIGNED_EXPIRY: Duration = Duration::from_mins(1);

/// How long a token is used, as `aws eks get-token` reports it: 14 minutes, a minute inside the
/// authenticator's 15.
pub const TOKEN_LIFETIME: Duration = Duration::from_mins(14);

/// A token is replaced when less than this is left of its lifetime, so a request never carries
/// one that expires on the way.
pub const REFRESH_MARGIN: Duration = Duration::from_mins(4);

/// A token and when it stops being accepted.
#[derive(Clone, Debug)]
pub struct EksToken {
    /// `k8s-aws-v1.…`, the bearer token.
    pub token: String,
    /// When it must no longer be used: [`TOKEN_LIFETIME`] after signing, or earlier when the
    /// credentials that signed it expire first.
    pub expires_at: SystemTime,
}

/// Why no token could be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The credentials chain gave nothing.
    #[error("no AWS credentials to sign the cluster token with: {0}")]
    Credentials(String),
    /// Signing failed (a malformed region or cluster name).
    #[error("cannot sign the cluster token: {0}")]
    Signing(String),
}

/// The STS host a token for `region` is presigned for: the regional endpoint, as
/// `aws eks get-token` uses (the cluster's authenticator accepts the regional hosts of its
/// partition).
pub fn sts_host(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("sts.{region}.{suffix}")
}

/// Makes the token for `cluster` in `region`, signed with `credentials` at `now`.
pub fn sign_token(
    cluster: &str,
    region: &str,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<EksToken, TokenError> {
    let host = sts_host(region);
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGNED_EXPIRY);
    // A session token is signed into the URL, as botocore presigns it.
    settings.session_token_mode = SessionTokenMode::Include;
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|error| TokenError::Signing(error.to_string()))?
        .into();
    let headers = [("host", host.as_str()), (CLUSTER_ID_HEADER, cluster)];
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|error| TokenError::Signing(error.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|error| TokenError::Signing(error.to_string()))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(url.as_str())
        .body(())
        .map_err(|error| TokenError::Signing(error.to_string()))?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    let lifetime_end = now + TOKEN_LIFETIME;
    let expires_at = credentials
        .expiry()
        .map_or(lifetime_end, |expiry| expiry.min(lifetime_end));
    Ok(EksToken {
        token: format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(presigned)),
        expires_at,
    })
}

/// Hands out a valid token for one cluster, signing a new one when the current one is within
/// [`REFRESH_MARGIN`] of expiring.
#[derive(Debug)]
pub struct TokenSource {
    cluster: String,
    region: String,
    credentials: SharedCredentialsProvider,
    current: Mutex<Option<EksToken>>,
}

impl TokenSource {
    /// A source for `cluster` in `region` that signs with `credentials`.
    pub fn new(cluster: &str, region: &str, credentials: SharedCredentialsProvider) -> Self {
        Self {
            cluster: cluster.to_owned(),
            region: region.to_owned(),
            credentials,
            current: Mutex::new(None),
        }
    }

    /// A token good for at least [`REFRESH_MARGIN`] more.
    pub async fn token(&self) -> Result<String, TokenError> {
        let now = SystemTime::now();
        if let Some(token) = self.current.lock().ok().and_then(|current| {
            current
                .as_ref()
                .filter(|token| fresh(token, now))
                .map(|token| token.token.clone())
        }) {
            return Ok(token);
        }
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|error| TokenError::Credentials(error_chain(&error)))?;
        let token = sign_token(&self.cluster, &self.region, &credentials, now)?;
        let text = token.token.clone();
        if let Ok(mut current) = self.current.lock() {
            *current = Some(token);
        }
        Ok(text)
    }
}

impl TokenSource {
    /// A token signed now, good for the whole [`TOKEN_LIFETIME`]: for a program that holds it
    /// (Helm) and cannot ask for a fresh one.
    pub async fn sign_now(&self) -> Result<String, TokenError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|error| TokenError::Credentials(error_chain(&error)))?;
        Ok(sign_token(&self.cluster, &self.region, &credentials, SystemTime::now())?.token)
    }
}

/// Whether `token` may still be used at `now`.
fn fresh(token: &EksToken, now: SystemTime) -> bool {
    token
        .expires_at
        .duration_since(now)
        .is_ok_and(|left| left > REFRESH_MARGIN)
}

/// An error and its sources, one sentence.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_hosts_by_partition() {
        assert_eq!(sts_host("eu-west-1"), "sts.eu-west-1.amazonaws.com");
        assert_eq!(sts_host("cn-north-1"), "sts.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn expires_with_the_credentials_when_they_end_first() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let soon = now + Duration::from_mins(3);
        let credentials =
            Credentials::new("AKID", "secret", Some("session".into()), Some(soon), "test");
        let token = sign_token("shop", "eu-west-1", &credentials, now).expect("signed");
        assert_eq!(token.expires_at, soon);
        assert!(
            !fresh(&token, now),
            "three minutes left is inside the refresh margin"
        );
        let lasting = Credentials::new("AKID", "secret", None, None, "test");
        let token = sign_token("shop", "eu-west-1", &lasting, now).expect("signed");
        assert_eq!(token.expires_at, now + TOKEN_LIFETIME);
        assert!(fresh(&token, now + Duration::from_mins(9)));
        assert!(!fresh(&token, now + Duration::from_mins(11)));
    }
}
