//! AWS access for every command that talks to AWS: one place builds the SDK configuration and
//! the clients, and one place ([`error`]) turns SDK errors into what a user can act on.
//!
//! Clients: CloudFormation, ECS, ECR, EKS, SSM (the parameters workload stacks read), STS and
//! IAM (who deploys).
//!
//! - Credentials come from `aws-config`'s default chain: environment variables, the shared
//!   config and credentials files (profiles, `AWS_PROFILE`), SSO, `credential_process`, web
//!   identity, ECS and EC2 instance metadata.
//! - The region is the workspace's (from `manifest.json`), never the profile's: a build is for
//!   one region.
//! - `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) is honoured by every
//!   client, which is how the tests point berth at a local emulator.
//! - Retries follow `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` (standard mode, 3 attempts by
//!   default); the tests set `AWS_MAX_ATTEMPTS=1` so a failure is immediate.
//!
//! Commands build one [`Aws`] and take the clients they need from it; engines take the clients
//! themselves, so tests can hand them mocked ones.

pub mod error;

use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::SdkConfig;
use aws_config::meta::region::RegionProviderChain;

pub use error::{AwsError, AwsErrorKind};

/// The SDK configuration of one region, and its clients.
#[derive(Clone, Debug)]
pub struct Aws {
    config: SdkConfig,
}

impl Aws {
    /// Loads the configuration from the default chain for `region`. Credentials are resolved
    /// lazily, on the first call.
    pub async fn connect(region: &str) -> Self {
        let region = RegionProviderChain::first_try(Region::new(region.to_owned()));
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        Self { config }
    }

    /// A configuration built elsewhere (tests).
    pub fn from_config(config: SdkConfig) -> Self {
        Self { config }
    }

    /// The SDK configuration, for clients this module does not build (Kubernetes token signing
    /// reads its credentials provider).
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// The region.
    pub fn region(&self) -> &str {
        self.config.region().map_or("", Region::as_ref)
    }

    /// A configuration like this one for another region (an ECR registry elsewhere).
    #[must_use]
    pub fn in_region(&self, region: &str) -> Self {
        let config = self
            .config
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        Self { config }
    }

    /// CloudFormation.
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.config)
    }

    /// ECS.
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.config)
    }

    /// ECR.
    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&self.config)
    }

    /// EKS.
    pub fn eks(&self) -> aws_sdk_eks::Client {
        aws_sdk_eks::Client::new(&self.config)
    }

    /// SSM Parameter Store.
    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.config)
    }

    /// STS.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config)
    }

    /// IAM (global; reads the deploying role's path).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }
}
