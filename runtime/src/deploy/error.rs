//! Every way a deploy, plan, status or destroy can fail, each with a stable code, an
//! actionable help sentence and the exit code. `docs/deploy.md` has one section per code
//! (`berth explain` reads it; a test keeps the two in sync).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::aws::{AwsError, AwsErrorKind};
use crate::{EXIT_INVALID, EXIT_USAGE};

/// Exit code: `Ctrl-C` stopped the run (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The code of every runtime failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuntimeCode {
    /// No AWS credentials were found.
    AwsCredentials,
    /// The AWS credentials expired or are invalid.
    AwsCredentialsExpired,
    /// A permission is missing.
    AwsAccessDenied,
    /// AWS throttled every retry.
    AwsThrottled,
    /// The AWS endpoint did not answer.
    AwsUnreachable,
    /// AWS refused a call for another reason.
    AwsError,
    /// The build directory is older than its workspace file.
    StaleBuild,
    /// A file of the build directory changed after `berth build` wrote it.
    BuildModified,
    /// The build directory cannot be read as a berth build.
    BuildUnreadable,
    /// CloudFormation rejected a template or its parameters before changing anything.
    ChangeSetFailed,
    /// A stack failed to create or update and was rolled back.
    StackFailed,
    /// A stack's rollback itself failed.
    StackRollbackFailed,
    /// A stack that failed to create must be deleted before it can be created again.
    StackNeedsDelete,
    /// A stack could not be deleted.
    DeleteFailed,
    /// An image the stacks need does not exist.
    ImageMissing,
    /// A service's new tasks keep stopping.
    RolloutFailed,
    /// Another deploy holds the lock.
    DeployLocked,
    /// `--timeout` ran out.
    DeployTimeout,
    /// `Ctrl-C` stopped the run.
    Interrupted,
    /// A stack has this workspace's name but not its tags.
    ForeignStack,
    /// A template is larger than CloudFormation accepts inline.
    TemplateTooLarge,
    /// `--kubeconfig` or `--context` cannot be used.
    Kubeconfig,
    /// The EKS cluster or a node group is in a state waiting cannot fix.
    ClusterNotActive,
    /// The cluster's Kubernetes API does not answer.
    ClusterUnreachable,
    /// The cluster refuses berth's credentials or a permission.
    ClusterAccess,
    /// A `${berth:…}` placeholder has no value.
    UnfilledPlaceholder,
    /// The cluster lacks a controller or API the workloads need.
    ClusterPrerequisites,
    /// An apply would take fields another tool owns.
    ApplyConflict,
    /// The Kubernetes API refused an object.
    ApplyFailed,
    /// A workload's pods cannot start or keep failing.
    WorkloadFailed,
    /// The load balancer controller cannot make or delete an Ingress's load balancer.
    LoadBalancerFailed,
    /// A repository an earlier `destroy` kept is in the way of a stack to create.
    RepositoryKept,
}

impl RuntimeCode {
    /// Every code.
    pub const ALL: [Self; 32] = [
        Self::AwsCredentials,
        Self::AwsCredentialsExpired,
        Self::AwsAccessDenied,
        Self::AwsThrottled,
        Self::AwsUnreachable,
        Self::AwsError,
        Self::StaleBuild,
        Self::BuildModified,
        Self::BuildUnreadable,
        Self::ChangeSetFailed,
        Self::StackFailed,
        Self::StackRollbackFailed,
        Self::StackNeedsDelete,
        Self::DeleteFailed,
        Self::ImageMissing,
        Self::RolloutFailed,
        Self::DeployLocked,
        Self::DeployTimeout,
        Self::Interrupted,
        Self::ForeignStack,
        Self::TemplateTooLarge,
        Self::Kubeconfig,
        Self::ClusterNotActive,
        Self::ClusterUnreachable,
        Self::ClusterAccess,
        Self::UnfilledPlaceholder,
        Self::ClusterPrerequisites,
        Self::ApplyConflict,
        Self::ApplyFailed,
        Self::WorkloadFailed,
        Self::LoadBalancerFailed,
        Self::RepositoryKept,
    ];

    /// The kebab-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AwsCredentials => "aws-credentials",
            Self::AwsCredentialsExpired => "aws-credentials-expired",
            Self::AwsAccessDenied => "aws-access-denied",
            Self::AwsThrottled => "aws-throttled",
            Self::AwsUnreachable => "aws-unreachable",
            Self::AwsError => "aws-error",
            Self::StaleBuild => "stale-build",
            Self::BuildModified => "build-modified",
            Self::BuildUnreadable => "build-unreadable",
            Self::ChangeSetFailed => "change-set-failed",
            Self::StackFailed => "stack-failed",
            Self::StackRollbackFailed => "stack-rollback-failed",
            Self::StackNeedsDelete => "stack-needs-delete",
            Self::DeleteFailed => "delete-failed",
            Self::ImageMissing => "image-missing",
            Self::RolloutFailed => "rollout-failed",
            Self::DeployLocked => "deploy-locked",
            Self::DeployTimeout => "deploy-timeout",
            Self::Interrupted => "interrupted",
            Self::ForeignStack => "foreign-stack",
            Self::TemplateTooLarge => "template-too-large",
            Self::Kubeconfig => "kubeconfig",
            Self::ClusterNotActive => "cluster-not-active",
            Self::ClusterUnreachable => "cluster-unreachable",
            Self::ClusterAccess => "cluster-access",
            Self::UnfilledPlaceholder => "unfilled-placeholder",
            Self::ClusterPrerequisites => "cluster-prerequisites",
            Self::ApplyConflict => "apply-conflict",
            Self::ApplyFailed => "apply-failed",
            Self::WorkloadFailed => "workload-failed",
            Self::LoadBalancerFailed => "load-balancer-failed",
            Self::RepositoryKept => "repository-kept",
        }
    }

    /// `berth::<name>`.
    pub fn qualified(self) -> String {
        format!("berth::{}", self.name())
    }

    /// The code named `name`, with or without the `berth::` prefix.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix("berth::").unwrap_or(name);
        Self::ALL.into_iter().find(|code| code.name() == name)
    }

    /// One line saying what the code means.
    pub const fn summary(self) -> &'static str {
        match self {
            Self::AwsCredentials => "no AWS credentials were found",
            Self::AwsCredentialsExpired => "the AWS credentials expired or are invalid",
            Self::AwsAccessDenied => "the AWS identity lacks a permission",
            Self::AwsThrottled => "AWS throttled every retry",
            Self::AwsUnreachable => "the AWS endpoint did not answer",
            Self::AwsError => "AWS refused a call",
            Self::StaleBuild => "the build is older than its workspace file",
            Self::BuildModified => "a file of the build changed after berth wrote it",
            Self::BuildUnreadable => "the directory is not a berth build",
            Self::ChangeSetFailed => "CloudFormation rejected a template before changing anything",
            Self::StackFailed => "a stack failed and was rolled back",
            Self::StackRollbackFailed => "a stack's rollback failed",
            Self::StackNeedsDelete => "a stack that failed to create must be deleted first",
            Self::DeleteFailed => "a stack could not be deleted",
            Self::ImageMissing => "an image the stacks need does not exist",
            Self::RolloutFailed => "a service's new tasks keep stopping",
            Self::DeployLocked => "another deploy holds the lock",
            Self::DeployTimeout => "--timeout ran out",
            Self::Interrupted => "Ctrl-C stopped the run",
            Self::ForeignStack => "a stack has this workspace's name but not its tags",
            Self::TemplateTooLarge => "a template is larger than CloudFormation accepts inline",
            Self::Kubeconfig => "the kubeconfig or context cannot be used",
            Self::ClusterNotActive => "the EKS cluster or a node group cannot become ACTIVE",
            Self::ClusterUnreachable => "the cluster's Kubernetes API does not answer",
            Self::ClusterAccess => "the cluster refuses berth's credentials or a permission",
            Self::UnfilledPlaceholder => "a manifest placeholder has no value",
            Self::ClusterPrerequisites => {
                "the cluster lacks a controller or API the workloads need"
            }
            Self::ApplyConflict => "another tool owns fields berth applies",
            Self::ApplyFailed => "the Kubernetes API refused an object",
            Self::WorkloadFailed => "a workload's pods cannot start or keep failing",
            Self::LoadBalancerFailed => "an Ingress's load balancer cannot be made or deleted",
            Self::RepositoryKept => "a repository an earlier destroy kept is in the way of a stack",
        }
    }
}

/// A resource CloudFormation reported as failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedResource {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The status (`CREATE_FAILED`, …).
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
}

/// An image the stacks need that is not in its repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingImage {
    /// The workload.
    pub workload: String,
    /// The container.
    pub container: String,
    /// The registry host (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`).
    pub registry: String,
    /// The registry's region.
    pub region: String,
    /// The repository name.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// What ECR answered.
    pub reason: String,
}

impl MissingImage {
    /// `registry/repository:tag`.
    pub fn reference(&self) -> String {
        format!("{}/{}:{}", self.registry, self.repository, self.tag)
    }

    /// The exact commands that push the image.
    pub fn push_commands(&self) -> Vec<String> {
        vec![
            format!(
                "aws ecr get-login-password --region {} | docker login --username AWS --password-stdin {}",
                self.region, self.registry
            ),
            format!("docker tag <your-local-image> {}", self.reference()),
            format!("docker push {}", self.reference()),
        ]
    }
}

/// A task of a new deployment that stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoppedTask {
    /// The task id.
    pub task: String,
    /// ECS's stop code (`TaskFailedToStart`, `EssentialContainerExited`, …).
    pub stop_code: String,
    /// ECS's reason, with each container's reason or exit code.
    pub reason: String,
}

/// Why a deploy, plan, status or destroy failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// An AWS call failed.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// The build is older than its workspace file.
    #[error("the build in `{}` is stale: `{}` changed after it was built", directory.display(), file.display())]
    StaleBuild {
        /// The build directory.
        directory: PathBuf,
        /// The workspace file.
        file: PathBuf,
    },
    /// An artifact was edited after the build.
    #[error("`{path}` in `{}` changed after `berth build` wrote it", directory.display())]
    BuildModified {
        /// The build directory.
        directory: PathBuf,
        /// The artifact.
        path: String,
    },
    /// The build directory cannot be read.
    #[error("`{}` is not a usable berth build: {reason}", directory.display())]
    BuildUnreadable {
        /// The build directory.
        directory: PathBuf,
        /// Why.
        reason: String,
    },
    /// CloudFormation rejected the change set.
    #[error("CloudFormation rejected the template of `{stack}`: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// A stack failed and was rolled back.
    #[error("{}", stack_failure(stack, status, failed))]
    StackFailed {
        /// The stack.
        stack: String,
        /// Its status after the rollback.
        status: String,
        /// The resources that failed, first first.
        failed: Vec<FailedResource>,
    },
    /// A stack's rollback failed.
    #[error("{}", stack_failure(stack, status, failed))]
    StackRollbackFailed {
        /// The stack.
        stack: String,
        /// `UPDATE_ROLLBACK_FAILED` or `ROLLBACK_FAILED`.
        status: String,
        /// The resources that failed.
        failed: Vec<FailedResource>,
    },
    /// A failed create left the stack in `ROLLBACK_COMPLETE`.
    #[error(
        "the stack `{stack}` failed to create earlier and is in ROLLBACK_COMPLETE; it cannot be updated"
    )]
    StackNeedsDelete {
        /// The stack.
        stack: String,
    },
    /// A stack could not be deleted.
    #[error("{}", stack_failure(stack, status, failed))]
    DeleteFailed {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
        /// The resources that could not be deleted.
        failed: Vec<FailedResource>,
    },
    /// Images the stacks need are missing.
    #[error("{}", missing_images(images))]
    ImagesMissing {
        /// Every missing image.
        images: Vec<MissingImage>,
        /// The stacks deployed before stopping.
        deployed: Vec<String>,
    },
    /// A service's new tasks keep stopping.
    #[error("{}", rollout_failure(workload, reason, stopped))]
    RolloutFailed {
        /// The workload.
        workload: String,
        /// ECS's rollout reason, or a summary of the stopped tasks.
        reason: String,
        /// The stopped tasks.
        stopped: Vec<StoppedTask>,
        /// What berth did about it (cancelled the update, deleted the new stack).
        action: String,
    },
    /// Another run holds the lock.
    #[error("another deploy or destroy of this workspace and environment is running: {holder}")]
    Locked {
        /// The lock stack.
        stack: String,
        /// Who holds it, as the lock records.
        holder: String,
    },
    /// `--timeout` ran out.
    #[error("stopped waiting after {}; still in progress: {}", humantime(*after), list_or_nothing(in_progress))]
    TimedOut {
        /// The timeout.
        after: Duration,
        /// What AWS is still doing.
        in_progress: Vec<String>,
    },
    /// `Ctrl-C` stopped the run.
    #[error("interrupted; still in progress: {}", list_or_nothing(in_progress))]
    Interrupted {
        /// What AWS is still doing.
        in_progress: Vec<String>,
    },
    /// A stack with this workspace's name lacks its tags.
    #[error(
        "the stack `{stack}` is not tagged as this workspace and environment's ({expected}); berth leaves it alone"
    )]
    ForeignStack {
        /// The stack.
        stack: String,
        /// The tags expected.
        expected: String,
    },
    /// The Kubernetes side of an `eks` deploy failed.
    #[error(transparent)]
    Kubernetes(#[from] crate::kubernetes::error::KubernetesError),
    /// A stack to create would create ECR repositories that already exist.
    #[error("{} already exist{}: an earlier `berth destroy` kept {} because {} held images (or {} made by hand), and CloudFormation cannot create a repository that exists", repositories.iter().map(|(stack, repository)| format!("the repository `{repository}` (of the stack `{stack}`)")).collect::<Vec<_>>().join(" and "), if repositories.len() == 1 { "s" } else { "" }, if repositories.len() == 1 { "it" } else { "them" }, if repositories.len() == 1 { "it" } else { "they" }, if repositories.len() == 1 { "it was" } else { "they were" })]
    RepositoryKept {
        /// The workspace's region.
        region: String,
        /// `(stack, repository)` pairs.
        repositories: Vec<(String, String)>,
    },
    /// A template is too large to send inline.
    #[error(
        "the template of `{stack}` is {bytes} bytes; CloudFormation accepts at most 51200 inline"
    )]
    TemplateTooLarge {
        /// The stack.
        stack: String,
        /// Its size.
        bytes: usize,
    },
}

impl DeployError {
    /// The code.
    pub fn code(&self) -> RuntimeCode {
        match self {
            Self::Aws(error) => match error.kind {
                AwsErrorKind::NoCredentials => RuntimeCode::AwsCredentials,
                AwsErrorKind::ExpiredCredentials => RuntimeCode::AwsCredentialsExpired,
                AwsErrorKind::AccessDenied => RuntimeCode::AwsAccessDenied,
                AwsErrorKind::Throttled => RuntimeCode::AwsThrottled,
                AwsErrorKind::Unreachable => RuntimeCode::AwsUnreachable,
                AwsErrorKind::Service => RuntimeCode::AwsError,
            },
            Self::StaleBuild { .. } => RuntimeCode::StaleBuild,
            Self::BuildModified { .. } => RuntimeCode::BuildModified,
            Self::BuildUnreadable { .. } => RuntimeCode::BuildUnreadable,
            Self::ChangeSetFailed { .. } => RuntimeCode::ChangeSetFailed,
            Self::StackFailed { .. } => RuntimeCode::StackFailed,
            Self::StackRollbackFailed { .. } => RuntimeCode::StackRollbackFailed,
            Self::StackNeedsDelete { .. } => RuntimeCode::StackNeedsDelete,
            Self::DeleteFailed { .. } => RuntimeCode::DeleteFailed,
            Self::ImagesMissing { .. } => RuntimeCode::ImageMissing,
            Self::RolloutFailed { .. } => RuntimeCode::RolloutFailed,
            Self::Locked { .. } => RuntimeCode::DeployLocked,
            Self::TimedOut { .. } => RuntimeCode::DeployTimeout,
            Self::Interrupted { .. } => RuntimeCode::Interrupted,
            Self::ForeignStack { .. } => RuntimeCode::ForeignStack,
            Self::TemplateTooLarge { .. } => RuntimeCode::TemplateTooLarge,
            Self::RepositoryKept { .. } => RuntimeCode::RepositoryKept,
            Self::Kubernetes(error) => error.code(),
        }
    }

    /// The process exit code: 2 for a build that cannot be used, 130 when interrupted, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::StaleBuild { .. } | Self::BuildModified { .. } | Self::BuildUnreadable { .. } => {
                EXIT_USAGE
            }
            Self::Kubernetes(error) if error.code() == RuntimeCode::BuildUnreadable => EXIT_USAGE,
            Self::Interrupted { .. } => EXIT_INTERRUPTED,
            _ => EXIT_INVALID,
        }
    }

    /// What to do next, in one or a few sentences.
    pub fn help(&self) -> String {
        super::help::help(self)
    }

    /// The exact commands to run next, if any.
    pub fn commands(&self) -> Vec<String> {
        super::help::commands(self)
    }
}

fn stack_failure(stack: &str, status: &str, failed: &[FailedResource]) -> String {
    let mut text = format!("the stack `{stack}` is {status}");
    if let Some(first) = failed.first() {
        let _ = write!(
            text,
            ": `{}` ({}) {}: {}",
            first.logical_id,
            first.resource_type,
            first.status.to_lowercase().replace('_', " "),
            first.reason
        );
    }
    text
}

fn missing_images(images: &[MissingImage]) -> String {
    let names: Vec<String> = images.iter().map(MissingImage::reference).collect();
    match names.as_slice() {
        [one] => format!("the image `{one}` does not exist yet"),
        _ => format!(
            "{} images do not exist yet: {}",
            names.len(),
            names.join(", ")
        ),
    }
}

fn rollout_failure(workload: &str, reason: &str, stopped: &[StoppedTask]) -> String {
    match stopped.first() {
        Some(task) => format!(
            "the new tasks of `{workload}` keep stopping: {} ({})",
            task.reason, task.stop_code
        ),
        None => format!("the rollout of `{workload}` failed: {reason}"),
    }
}

fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}

/// `90s`, `5m`, `1h30m`.
pub fn humantime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, seconds) => format!("{seconds}s"),
        (0, minutes, 0) => format!("{minutes}m"),
        (0, minutes, seconds) => format!("{minutes}m{seconds}s"),
        (hours, 0, _) => format!("{hours}h"),
        (hours, minutes, _) => format!("{hours}h{minutes}m"),
    }
}
