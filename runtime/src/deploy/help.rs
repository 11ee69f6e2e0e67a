//! The next step after each failure, and the exact commands where there are some. `docs/deploy.md`
//! explains each code at length.

use super::error::{DeployError, humantime};
use crate::aws::AwsErrorKind;

/// The help sentence(s) for `error`.
pub fn help(error: &DeployError) -> String {
    match error {
        DeployError::Aws(error) => match error.kind {
            AwsErrorKind::NoCredentials => {
                "configure credentials: `aws configure`, `aws sso login \
                --profile NAME` with `AWS_PROFILE=NAME`, or AWS_ACCESS_KEY_ID and \
                AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows what berth will use"
                    .to_owned()
            }
            AwsErrorKind::ExpiredCredentials => "refresh the credentials (`aws sso login`, a new \
                session token, or re-run the step that assumes the role), then run the command \
                again; nothing more was changed"
                .to_owned(),
            AwsErrorKind::AccessDenied => format!(
                "grant the identity `aws sts get-caller-identity` shows the permission for `{}` \
                 (docs/deploy.md lists what berth needs), then run the command again",
                error.operation
            ),
            AwsErrorKind::Throttled => "AWS throttled every retry; wait a minute and run the \
                command again (it picks up where it stopped), or raise AWS_MAX_ATTEMPTS"
                .to_owned(),
            AwsErrorKind::Unreachable => "check the network, the region, and AWS_ENDPOINT_URL if \
                it is set; then run the command again"
                .to_owned(),
            AwsErrorKind::Service => "read AWS's message above; fix what it names and run the \
                command again"
                .to_owned(),
        },
        DeployError::StaleBuild { file, .. } => format!(
            "run `berth build {}` again with the same options, or deploy the workspace file \
             directly: `berth deploy {}`",
            file.display(),
            file.display()
        ),
        DeployError::BuildModified { .. } => "a build is deployed as berth wrote it: change the \
            workspace file instead and run `berth build` again"
            .to_owned(),
        DeployError::BuildUnreadable { .. } => "point --from at a directory `berth build` wrote \
            (it holds manifest.json), or deploy a workspace file: `berth deploy berth.kdl`"
            .to_owned(),
        DeployError::ChangeSetFailed { stack, .. } => format!(
            "nothing was changed in `{stack}` or any later stack; fix what CloudFormation names \
             (often a value in the workspace file) and deploy again"
        ),
        DeployError::StackFailed { stack, .. } => format!(
            "CloudFormation rolled `{stack}` back, so the previous version keeps serving; fix the \
             cause above and deploy again (`aws cloudformation describe-stack-events \
             --stack-name {stack}` lists every event)"
        ),
        DeployError::StackRollbackFailed { stack, status, .. } => {
            if status == "UPDATE_ROLLBACK_FAILED" {
                format!(
                    "fix what blocked the rollback, then run `aws cloudformation \
                     continue-update-rollback --stack-name {stack}` (add `--resources-to-skip \
                     LOGICAL_ID` for a resource that can no longer be rolled back) and deploy \
                     again"
                )
            } else {
                format!(
                    "delete the stack: `aws cloudformation delete-stack --stack-name {stack}`, \
                     then deploy again"
                )
            }
        }
        DeployError::StackNeedsDelete { stack } => format!(
            "it holds nothing that serves: delete it with `aws cloudformation delete-stack \
             --stack-name {stack}`, wait for `aws cloudformation wait stack-delete-complete \
             --stack-name {stack}`, then deploy again"
        ),
        DeployError::DeleteFailed { stack, .. } => format!(
            "remove or empty what blocks the delete (named above), then run `berth destroy` again; \
             `aws cloudformation describe-stack-events --stack-name {stack}` lists every event"
        ),
        DeployError::ImagesMissing { deployed, .. } => {
            if deployed.is_empty() {
                "push the images with the commands below (build them first, or tag an image you \
                 have), then deploy again; nothing was changed"
                    .to_owned()
            } else {
                format!(
                    "{} deployed, nothing after them; push the images with the commands below, \
                     then deploy again",
                    deployed.join(", ")
                )
            }
        }
        DeployError::RolloutFailed { action, .. } => format!(
            "{action}; fix the image or its settings (the stopped tasks' reasons are above) and \
             deploy again"
        ),
        DeployError::Locked { stack, .. } => format!(
            "wait for that run to finish, or pass a longer --timeout to wait for it; if it is no \
             longer running (a machine that died), remove the lock with `aws cloudformation \
             delete-stack --stack-name {stack}`"
        ),
        DeployError::TimedOut { after, .. } => format!(
            "CloudFormation carries on without berth; run the same command again to wait for it \
             and finish (or give a --timeout longer than {})",
            humantime(*after)
        ),
        DeployError::Interrupted { .. } => "CloudFormation carries on without berth; run the \
            same command again to pick up where it stopped"
            .to_owned(),
        DeployError::ForeignStack { stack, .. } => format!(
            "rename the workspace or environment, or, if `{stack}` is really this workspace's, \
             add the tags to it (`aws cloudformation update-stack --stack-name {stack} \
             --use-previous-template --tags …`)"
        ),
        DeployError::TemplateTooLarge { .. } => "build with `--cfn-format json` (berth sends \
            JSON templates compacted), or split the workload"
            .to_owned(),
        DeployError::RepositoryKept { .. } => "nothing was changed. To start again from \
            nothing, copy out the images you still need (`docker pull` them), delete the \
            repositories as shown, and deploy again: the new stack creates them empty and the \
            deploy stops for the push. To keep them instead, deploy under another environment \
            name"
            .to_owned(),
        DeployError::Kubernetes(error) => error.help(),
    }
}

/// The exact commands that are the next step, rendered as they are (never wrapped).
pub fn commands(error: &DeployError) -> Vec<String> {
    match error {
        DeployError::ImagesMissing { images, .. } => {
            let mut commands = Vec::new();
            let mut logged_in: Vec<&str> = Vec::new();
            for image in images {
                for (index, command) in image.push_commands().into_iter().enumerate() {
                    if index == 0 {
                        if logged_in.contains(&image.registry.as_str()) {
                            continue;
                        }
                        logged_in.push(&image.registry);
                    }
                    commands.push(command);
                }
            }
            commands
        }
        DeployError::StackNeedsDelete { stack } => vec![
            format!("aws cloudformation delete-stack --stack-name {stack}"),
            format!("aws cloudformation wait stack-delete-complete --stack-name {stack}"),
        ],
        DeployError::StackRollbackFailed { stack, status, .. }
            if status == "UPDATE_ROLLBACK_FAILED" =>
        {
            vec![format!(
                "aws cloudformation continue-update-rollback --stack-name {stack}"
            )]
        }
        DeployError::Locked { stack, .. } => {
            vec![format!(
                "aws cloudformation delete-stack --stack-name {stack}"
            )]
        }
        DeployError::RepositoryKept {
            region,
            repositories,
        } => repositories
            .iter()
            .map(|(_, repository)| {
                format!(
                    "aws ecr delete-repository --region {region} --repository-name {repository} \
                     --force"
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}
