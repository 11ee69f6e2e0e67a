//! Reaching the cluster: wait until the EKS cluster (and, on a cluster berth created, each node
//! group) is ACTIVE, then build a client from the cluster's endpoint and CA that signs its own
//! bearer tokens ([`super::token`]) — or, for teams that reach their cluster another way, from a
//! kubeconfig and context. Either way the first request (`/version`) says at once whether the
//! cluster answers and accepts berth, with the principal to grant access to when it does not.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use berth_compiler::manifest::{EksDeployment, Provisioning};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

use super::error::KubernetesError;
use super::event::{KubernetesEvent, Report};
use super::token::TokenSource;

/// A client and what to say about the cluster it reaches.
#[derive(Clone)]
pub struct Connection {
    /// The client.
    pub client: Client,
    /// The API server's URL.
    pub server: String,
    /// The EKS cluster, when berth connected through EKS.
    pub cluster: Option<String>,
    /// The AWS principal berth signs tokens as, when it does.
    pub identity: Option<String>,
    /// How another program (Helm) reaches the same cluster as the same principal.
    pub access: Access,
}

/// How a program other than berth reaches the cluster berth is connected to.
#[derive(Clone)]
pub enum Access {
    /// The kubeconfig and context the user named (else the default file and context).
    Kubeconfig(KubeconfigChoice),
    /// EKS: the cluster's endpoint and CA, with tokens signed here.
    Eks {
        /// The cluster.
        cluster: String,
        /// Its endpoint and CA.
        endpoint: ClusterEndpoint,
        /// Signs its tokens.
        tokens: Arc<TokenSource>,
    },
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Connection")
            .field("server", &self.server)
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

/// Where an EKS cluster's API is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterEndpoint {
    /// `https://….eks.amazonaws.com`.
    pub endpoint: String,
    /// The cluster CA, base64 of PEM, as EKS gives it.
    pub certificate_authority: String,
}

/// Waits until `cluster` is ACTIVE and, when `node_groups` is set (a cluster berth created),
/// until each of its node groups is ACTIVE; fails at once on a state waiting cannot fix.
pub async fn wait_for_cluster(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    node_groups: bool,
    interval: Duration,
    report: Report<'_>,
) -> Result<ClusterEndpoint, KubernetesError> {
    let mut last_status = String::new();
    let endpoint = loop {
        let described = eks
            .describe_cluster()
            .name(cluster)
            .send()
            .await
            .map_err(|error| eks_error(&format!("describe the EKS cluster `{cluster}`"), &error))?;
        let Some(found) = described.cluster else {
            return Err(KubernetesError::ClusterNotActive {
                cluster: cluster.to_owned(),
                status: "not found".to_owned(),
            });
        };
        let status = found
            .status
            .as_ref()
            .map_or("UNKNOWN", aws_sdk_eks::types::ClusterStatus::as_str)
            .to_owned();
        match status.as_str() {
            "ACTIVE" => {
                let endpoint = found.endpoint.unwrap_or_default();
                let certificate_authority = found
                    .certificate_authority
                    .and_then(|authority| authority.data)
                    .unwrap_or_default();
                break ClusterEndpoint {
                    endpoint,
                    certificate_authority,
                };
            }
            "CREATING" | "UPDATING" | "PENDING" => {
                if status != last_status {
                    report(KubernetesEvent::ClusterWaiting {
                        resource: format!("cluster {cluster}"),
                        status: status.clone(),
                    });
                    last_status.clone_from(&status);
                }
                tokio::time::sleep(interval).await;
            }
            _ => {
                return Err(KubernetesError::ClusterNotActive {
                    cluster: cluster.to_owned(),
                    status,
                });
            }
        }
    };
    if node_groups {
        wait_for_node_groups(eks, cluster, interval, report).await?;
    }
    Ok(endpoint)
}

/// Waits until every node group of `cluster` is ACTIVE.
async fn wait_for_node_groups(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    interval: Duration,
    report: Report<'_>,
) -> Result<(), KubernetesError> {
    let listed = eks
        .list_nodegroups()
        .cluster_name(cluster)
        .send()
        .await
        .map_err(|error| eks_error(&format!("list the node groups of `{cluster}`"), &error))?;
    for nodegroup in listed.nodegroups.unwrap_or_default() {
        let mut last_status = String::new();
        loop {
            let described = eks
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(&nodegroup)
                .send()
                .await
                .map_err(|error| {
                    eks_error(&format!("describe the node group `{nodegroup}`"), &error)
                })?;
            let found = described.nodegroup;
            let status = found
                .as_ref()
                .and_then(|found| found.status.as_ref())
                .map_or("UNKNOWN", aws_sdk_eks::types::NodegroupStatus::as_str)
                .to_owned();
            match status.as_str() {
                "ACTIVE" => break,
                "CREATING" | "UPDATING" => {
                    if status != last_status {
                        report(KubernetesEvent::ClusterWaiting {
                            resource: format!("node group {nodegroup}"),
                            status: status.clone(),
                        });
                        last_status.clone_from(&status);
                    }
                    tokio::time::sleep(interval).await;
                }
                _ => {
                    let issues = found
                        .and_then(|found| found.health)
                        .and_then(|health| health.issues)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|issue| issue.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(KubernetesError::NodegroupFailed {
                        cluster: cluster.to_owned(),
                        nodegroup,
                        status,
                        issues,
                    });
                }
            }
        }
    }
    Ok(())
}

/// A kubeconfig of one context, `cluster`, reaching `endpoint` (trusting its certificate
/// authority when EKS gave one) as the user `berth` with the credentials in `user`.
pub(crate) fn eks_kubeconfig(
    cluster: &str,
    endpoint: &ClusterEndpoint,
    user: &serde_json::Value,
) -> serde_json::Value {
    let mut cluster_entry = json!({"server": endpoint.endpoint});
    if !endpoint.certificate_authority.is_empty() {
        cluster_entry["certificate-authority-data"] = json!(endpoint.certificate_authority);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": cluster_entry}],
        "users": [{"name": "berth", "user": user}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": "berth"}}],
        "current-context": cluster,
    })
}

/// A client for an EKS cluster at `endpoint` that signs its own tokens with `tokens`.
/// `identity` is the principal the tokens are signed as (for the access error).
pub async fn eks_client(
    cluster: &str,
    endpoint: &ClusterEndpoint,
    tokens: Arc<TokenSource>,
    identity: Option<String>,
) -> Result<Connection, KubernetesError> {
    let unusable = |reason: String| KubernetesError::Unreachable {
        server: endpoint.endpoint.clone(),
        reason,
    };
    let kubeconfig = eks_kubeconfig(cluster, endpoint, &json!({}));
    let kubeconfig = Kubeconfig::from_yaml(&kubeconfig.to_string())
        .map_err(|error| unusable(error.to_string()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|error| unusable(format!("the cluster's certificate authority: {error}")))?;
    let client = with_token_layer(config, Arc::clone(&tokens))
        .map_err(|error| unusable(error.to_string()))?;
    Ok(Connection {
        client,
        server: endpoint.endpoint.clone(),
        cluster: Some(cluster.to_owned()),
        identity,
        access: Access::Eks {
            cluster: cluster.to_owned(),
            endpoint: endpoint.clone(),
            tokens,
        },
    })
}

/// The default client stack with an outer layer that puts a fresh EKS token on every request
/// (behind a buffer, since the token layer waits for the token before it calls the stack).
fn with_token_layer(config: Config, tokens: Arc<TokenSource>) -> Result<Client, kube::Error> {
    let layer = tower::filter::AsyncFilterLayer::new(
        move |mut request: http::Request<kube::client::Body>| {
            let tokens = Arc::clone(&tokens);
            async move {
                let token = tokens.token().await?;
                let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))?;
                value.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value);
                Ok::<_, tower::BoxError>(request)
            }
        },
    );
    Ok(kube::client::ClientBuilder::try_from(config)?
        .with_layer(&tower::buffer::BufferLayer::new(64))
        .with_layer(&layer)
        .build())
}

/// A client from a kubeconfig: `path` (else `KUBECONFIG` or `~/.kube/config`) and `context`
/// (else the file's current context).
pub async fn kubeconfig_client(
    path: Option<&Path>,
    context: Option<&str>,
) -> Result<Connection, KubernetesError> {
    let refused = |reason: String| KubernetesError::Kubeconfig {
        path: path.map(Path::to_path_buf),
        reason,
    };
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = match path {
        Some(path) => {
            let kubeconfig =
                Kubeconfig::read_from(path).map_err(|error| refused(error.to_string()))?;
            Config::from_custom_kubeconfig(kubeconfig, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .map_err(|error| refused(error_chain(&error)))?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|error| refused(error.to_string()))?;
    Ok(Connection {
        client,
        server: server.trim_end_matches('/').to_owned(),
        cluster: None,
        identity: None,
        access: Access::Kubeconfig(KubeconfigChoice {
            path: path.map(Path::to_path_buf),
            context: context.map(str::to_owned),
        }),
    })
}

/// Asks the API server its version: proves it answers and accepts the credentials.
pub async fn check(connection: &Connection, report: Report<'_>) -> Result<(), KubernetesError> {
    match connection.client.apiserver_version().await {
        Ok(info) => {
            report(KubernetesEvent::Connected {
                server: connection.server.clone(),
                version: info.git_version,
            });
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 401 => Err(KubernetesError::Unauthorized {
            server: connection.server.clone(),
            identity: connection.identity.clone(),
            cluster: connection.cluster.clone(),
        }),
        Err(kube::Error::Api(status)) if status.code == 403 => Err(KubernetesError::Forbidden {
            action: "read".to_owned(),
            object: "the API server's version".to_owned(),
            message: status.message.clone(),
        }),
        Err(error) => Err(KubernetesError::Unreachable {
            server: connection.server.clone(),
            reason: error_chain(&error),
        }),
    }
}

/// The principal STS says the credentials belong to (for the access error).
pub async fn caller_identity(sts: &aws_sdk_sts::Client) -> Option<String> {
    sts.get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|identity| identity.arn)
        .map(|arn| assumed_role_arn(&arn))
}

/// An assumed-role session ARN (`arn:aws:sts::1:assumed-role/Deployer/ci`) names the role an
/// access entry is made for (`arn:aws:iam::1:role/Deployer`); other ARNs are kept.
pub fn assumed_role_arn(arn: &str) -> String {
    let Some((prefix, rest)) = arn.split_once(":assumed-role/") else {
        return arn.to_owned();
    };
    let role = rest.split_once('/').map_or(rest, |(role, _)| role);
    format!("{}:role/{role}", prefix.replacen(":sts:", ":iam:", 1))
}

/// How berth reaches the cluster.
pub enum Reach<'a> {
    /// Through EKS: the cluster's endpoint and CA, with tokens signed from these credentials.
    Eks {
        /// STS, to name the principal when the cluster refuses it.
        sts: &'a aws_sdk_sts::Client,
        /// The credentials every AWS call uses.
        credentials: SharedCredentialsProvider,
        /// The cluster's region.
        region: &'a str,
    },
    /// Through the kubeconfig and context the user named.
    Kubeconfig(&'a KubeconfigChoice),
}

/// Waits until the cluster (and, on a cluster berth created, its node groups) is ACTIVE, then
/// connects to it as `reach` says.
pub async fn connect(
    eks: &aws_sdk_eks::Client,
    deployment: &EksDeployment,
    reach: Reach<'_>,
    interval: Duration,
    report: Report<'_>,
) -> Result<Connection, KubernetesError> {
    let endpoint = wait_for_cluster(
        eks,
        &deployment.cluster,
        deployment.provisioning == Provisioning::New,
        interval,
        report,
    )
    .await?;
    match reach {
        Reach::Kubeconfig(choice) => {
            kubeconfig_client(choice.path.as_deref(), choice.context.as_deref()).await
        }
        Reach::Eks {
            sts,
            credentials,
            region,
        } => {
            let identity = caller_identity(sts).await;
            let tokens = Arc::new(TokenSource::new(&deployment.cluster, region, credentials));
            eks_client(&deployment.cluster, &endpoint, tokens, identity).await
        }
    }
}

/// The kubeconfig and context a user gave, if any.
#[derive(Clone, Debug, Default)]
pub struct KubeconfigChoice {
    /// `--kubeconfig`.
    pub path: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
}

impl KubeconfigChoice {
    /// Whether the user asked for a kubeconfig instead of EKS.
    pub fn is_set(&self) -> bool {
        self.path.is_some() || self.context.is_some()
    }
}

/// An SDK error with its sources, as one line.
fn eks_error<E: std::error::Error + 'static>(action: &str, error: &E) -> KubernetesError {
    KubernetesError::Eks {
        action: action.to_owned(),
        reason: error_chain(error),
    }
}

/// An error and its sources, joined.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_entries_name_the_role_not_the_session() {
        assert_eq!(
            assumed_role_arn("arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-7"),
            "arn:aws:iam::123456789012:role/Deployer"
        );
        assert_eq!(
            assumed_role_arn("arn:aws:iam::123456789012:user/alice"),
            "arn:aws:iam::123456789012:user/alice"
        );
    }
}
