//! Who deploys: the IAM principal berth runs as, for a template that grants it access (the EKS
//! cluster's admin access entry, so whoever deploys can apply the manifests). An access entry
//! names a role by its ARN with the role's path, but STS names an assumed-role session without it
//! (`arn:aws:sts::1:assumed-role/Deployer/session`), so the role's ARN comes from `iam:GetRole`.

use super::Clients;
use super::build::Build;
use super::error::DeployError;
use super::plan::{self, Stage};
use crate::aws::AwsError;

/// Fills the template parameter `manifest.json` names for the deploying principal (on an `eks`
/// build that creates its cluster: the cluster-admin access entry), so whoever deploys can apply
/// the manifests. A principal that cannot be granted access leaves it empty, with a note.
pub async fn fill(
    clients: &Clients,
    build: &Build,
    stages: &mut [Stage],
    notes: &mut Vec<String>,
) -> Result<(), DeployError> {
    let Some(target) = build
        .manifest
        .eks
        .as_ref()
        .and_then(|eks| eks.deployer.as_ref())
    else {
        return Ok(());
    };
    match principal(&clients.sts, &clients.iam, notes).await? {
        Principal::Arn(arn) => plan::fill_parameter(stages, &target.stack, &target.parameter, &arn),
        Principal::None(why) => notes.push(why),
    }
    Ok(())
}

/// The principal to grant, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An IAM role or user ARN (`arn:aws:iam::1:role/path/Deployer`).
    Arn(String),
    /// The identity cannot be given an access entry (the account's root user, a federated
    /// user): the sentence says so.
    None(String),
}

/// The IAM principal the credentials belong to. A role whose path `iam:GetRole` may not read is
/// named without its path, with a note in `notes`.
pub async fn principal(
    sts: &aws_sdk_sts::Client,
    iam: &aws_sdk_iam::Client,
    notes: &mut Vec<String>,
) -> Result<Principal, AwsError> {
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("STS.GetCallerIdentity", &error))?;
    let arn = identity.arn().unwrap_or_default().to_owned();
    let Some(session) = parse(&arn) else {
        return Ok(Principal::None(format!(
            "`{arn}` cannot be given cluster access (only an IAM role or user can): deploy as \
             a role or user, or name one in eks {{ admins … }}"
        )));
    };
    let (role, guess) = match session {
        Session::User(user) => return Ok(Principal::Arn(user)),
        Session::AssumedRole { role, guess } => (role, guess),
    };
    match iam.get_role().role_name(&role).send().await {
        Ok(output) => Ok(Principal::Arn(
            output
                .role()
                .map_or_else(|| guess.clone(), |role| role.arn().to_owned()),
        )),
        Err(error) => {
            let error = AwsError::from_sdk("IAM.GetRole", &error);
            notes.push(format!(
                "could not read the path of the role `{role}` ({error}); granting cluster \
                 access to `{guess}`, which is right only when the role has no path (allow \
                 iam:GetRole on it to be sure)"
            ));
            Ok(Principal::Arn(guess))
        }
    }
}

/// What an STS caller ARN names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Session {
    /// A role session: the role's name, and its ARN as if it had no path.
    AssumedRole { role: String, guess: String },
    /// An IAM user, by its IAM ARN.
    User(String),
}

/// Reads an STS caller ARN: `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` or
/// `arn:<partition>:iam::<account>:user/<path/name>`.
fn parse(arn: &str) -> Option<Session> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(_), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role = rest.split('/').next().filter(|role| !role.is_empty())?;
        return Some(Session::AssumedRole {
            role: role.to_owned(),
            guess: format!("arn:{partition}:iam::{account}:role/{role}"),
        });
    }
    if resource.starts_with("user/") && matches!(service, "iam" | "sts") {
        // An IAM user is `iam`; some emulators answer `sts`.
        return Some(Session::User(format!(
            "arn:{partition}:iam::{account}:{resource}"
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_name_their_role_and_users_themselves() {
        assert_eq!(
            parse("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b/alice"),
            Some(Session::AssumedRole {
                role: "AWSReservedSSO_Admin_0a1b".into(),
                guess: "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0a1b".into(),
            })
        );
        assert_eq!(
            parse("arn:aws-cn:iam::123456789012:user/ops/bob"),
            Some(Session::User(
                "arn:aws-cn:iam::123456789012:user/ops/bob".into()
            ))
        );
        assert_eq!(parse("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            parse("arn:aws:sts::123456789012:federated-user/carol"),
            None
        );
        assert_eq!(parse("not an arn"), None);
    }
}
