//! SDK errors classified by what the user must do: find credentials, refresh them, get a
//! permission, wait, fix the network, or read AWS's own message.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong with an AWS call, as far as the user is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// No credentials anywhere in the default chain.
    NoCredentials,
    /// Credentials that expired or were never valid (`ExpiredToken`, `InvalidClientTokenId`).
    ExpiredCredentials,
    /// The caller lacks a permission.
    AccessDenied,
    /// AWS kept throttling until the retries ran out.
    Throttled,
    /// The endpoint did not answer (network, DNS, `AWS_ENDPOINT_URL`, timeout).
    Unreachable,
    /// Anything else AWS answered with.
    Service,
}

/// A failed AWS call: the operation, the kind, and AWS's own code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The API operation, e.g. `CloudFormation.DescribeStacks`.
    pub operation: &'static str,
    /// What kind of failure it was.
    pub kind: AwsErrorKind,
    /// AWS's error code (`ValidationError`), when it sent one.
    pub code: Option<String>,
    /// AWS's message, or the client's description of the failure.
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(
                formatter,
                "{} failed: {code}: {}",
                self.operation, self.message
            ),
            None => write!(formatter, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl StdError for AwsError {}

/// Error codes that mean the credentials are expired or invalid.
const EXPIRED: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
];

/// Error codes that mean a permission is missing.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

/// Error codes that mean the caller is being throttled.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

impl AwsError {
    /// Classifies an SDK error from `operation`.
    pub fn from_sdk<E, R>(operation: &'static str, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
        R: fmt::Debug + 'static,
    {
        match error {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().map(str::to_owned);
                let message = inner
                    .message()
                    .map_or_else(|| inner.to_string(), str::to_owned);
                Self::from_code(operation, code, message)
            }
            SdkError::TimeoutError(_) => Self {
                operation,
                kind: AwsErrorKind::Unreachable,
                code: None,
                message: "the request timed out".to_owned(),
            },
            SdkError::DispatchFailure(failure) => {
                let credentials = source_chain(error).any(<dyn StdError>::is::<CredentialsError>);
                let kind = if credentials {
                    AwsErrorKind::NoCredentials
                } else if failure.is_user() {
                    AwsErrorKind::Service
                } else {
                    AwsErrorKind::Unreachable
                };
                Self {
                    operation,
                    kind,
                    code: None,
                    message: describe_chain(error),
                }
            }
            _ => Self {
                operation,
                kind: AwsErrorKind::Service,
                code: None,
                message: describe_chain(error),
            },
        }
    }

    /// An error from an AWS error code and message.
    pub fn from_code(operation: &'static str, code: Option<String>, message: String) -> Self {
        let kind = match code.as_deref() {
            Some(code) if EXPIRED.contains(&code) => AwsErrorKind::ExpiredCredentials,
            Some(code) if DENIED.contains(&code) => AwsErrorKind::AccessDenied,
            Some(code) if THROTTLED.contains(&code) => AwsErrorKind::Throttled,
            _ => AwsErrorKind::Service,
        };
        Self {
            operation,
            kind,
            code,
            message,
        }
    }

    /// Whether AWS answered that the named thing does not exist: a stack, repository, image.
    pub fn is_not_found(&self) -> bool {
        let code = self.code.as_deref().unwrap_or_default();
        code.ends_with("NotFoundException")
            || code == "NotFound"
            || (code == "ValidationError" && self.message.contains("does not exist"))
    }
}

/// `error` and every source below it.
fn source_chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |error: &&'a (dyn StdError + 'static)| {
        (*error).source()
    })
}

/// Every distinct message in the source chain, joined with `: ` (the SDK's top-level message
/// alone is "dispatch failure").
fn describe_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for source in source_chain(error) {
        let text = source.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_the_user_must_do() {
        let kind = |code: &str| {
            AwsError::from_code("Test.Call", Some(code.to_owned()), String::new()).kind
        };
        assert_eq!(kind("ExpiredToken"), AwsErrorKind::ExpiredCredentials);
        assert_eq!(kind("AccessDenied"), AwsErrorKind::AccessDenied);
        assert_eq!(kind("Throttling"), AwsErrorKind::Throttled);
        assert_eq!(kind("ValidationError"), AwsErrorKind::Service);
    }

    #[test]
    fn missing_stacks_and_images_are_not_found() {
        let error = AwsError::from_code(
            "CloudFormation.DescribeStacks",
            Some("ValidationError".to_owned()),
            "Stack with id shop-default-web does not exist".to_owned(),
        );
        assert!(error.is_not_found());
        let error = AwsError::from_code(
            "ECR.DescribeImages",
            Some("ImageNotFoundException".to_owned()),
            String::new(),
        );
        assert!(error.is_not_found());
    }
}
