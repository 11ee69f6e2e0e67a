//! What holds data: the KMS key, the workloads' log group, ECR repositories and the EFS file
//! system.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::emit::literal::value;

use super::{Encryption, Network, SecurityGroups, export, named_tags, workspace_tags};
use crate::emit::cloudformation::{
    Context, Template, attribute, exports, logical_id, reference, sub,
};
use crate::model::Target;

const KEY: &str = "Key";
const LOG_GROUP: &str = "LogGroup";
const FILE_SYSTEM: &str = "FileSystem";

/// How long the log groups keep logs.
pub(crate) const RETENTION_DAYS: u32 = 30;
/// How many images a repository keeps.
const KEPT_IMAGES: u32 = 50;
/// The access point of volume `volume` as logical id `id` in a workload stack: rooted at
/// `/<volume>` (created owned by `owner`, the workload's user, with mode 0750), acting as that
/// user, so the files a container writes are its own whatever user it runs as. Every workload
/// that declares the volume has its own access point to the same directory, so they share its
/// data.
pub(crate) fn access_point(
    context: &Context<'_>,
    template: &mut Template,
    id: &str,
    volume: &str,
    owner: crate::model::User,
) {
    let (uid, gid) = (owner.uid.to_string(), owner.gid.to_string());
    template.resource(
        id,
        "AWS::EFS::AccessPoint",
        value!({
            "FileSystemId": context.import(exports::FILE_SYSTEM_ID),
            "PosixUser": { "Uid": &uid, "Gid": &gid },
            "RootDirectory": {
                "Path": format!("/{volume}"),
                "CreationInfo": {
                    "OwnerUid": uid,
                    "OwnerGid": gid,
                    "Permissions": "0750",
                },
            },
            "AccessPointTags": named_tags(
                context,
                &format!("{}-{volume}", context.naming.prefix()),
            ),
        }),
    );
}

/// What the key encrypts on `ecs` and `fargate`, for its description.
pub(crate) const KEY_USES: &str = "logs, repositories and file systems";

/// The KMS key (rotating, usable by `CloudWatch Logs` for the workspace's log groups only: the
/// workloads' and the VPC flow logs') and, on `ecs` and `fargate`, the encrypted log group of the
/// workloads. On `eks` containers log to the cluster's nodes (`kubectl logs`), so nothing would
/// write to a workloads' log group and none is created. `uses` says what the key encrypts, for
/// its description.
pub(crate) fn encryption(context: &Context<'_>, template: &mut Template, uses: &str) -> Encryption {
    let workspace = context.workspace;
    let log_group = context.naming.log_group();
    let workload_logs = workspace.target.value != Target::Eks;
    let log_group_arn = |name: &str| {
        sub(&format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}"
        ))
    };
    let mut encrypted_logs = Vec::new();
    if workload_logs {
        encrypted_logs.push(log_group_arn(&log_group));
    }
    encrypted_logs.push(log_group_arn(&context.naming.flow_log_group()));
    if let Some(control_plane) = crate::emit::cloudformation::eks::control_plane_log_group(context)
    {
        encrypted_logs.push(log_group_arn(&control_plane));
    }
    let encrypted_logs = Value::Array(encrypted_logs);
    let policy = value!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "LogGroupEncryption",
                "Effect": "Allow",
                "Principal": { "Service": sub("logs.${AWS::Region}.amazonaws.com") },
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": { "kms:EncryptionContext:aws:logs:arn": encrypted_logs },
                },
            },
        ],
    });
    let properties = value!({
        "Description": format!(
            "berth {} ({}): {uses}",
            workspace.name.value, workspace.environment.value
        ),
        "EnableKeyRotation": true,
        "KeyPolicy": policy,
        "Tags": workspace_tags(context),
    });
    // The file system is kept when the stack is deleted, and stays readable only while its key
    // exists (a key pending deletion is unusable at once). A repository holding images fails
    // to delete, and so keeps its key.
    let key_policy = if context.volumes.is_empty() {
        "Delete"
    } else {
        "Retain"
    };
    template.resource_with(
        KEY,
        "AWS::KMS::Key",
        properties,
        value!({ "DeletionPolicy": key_policy, "UpdateReplacePolicy": key_policy }),
    );
    if workload_logs {
        template.resource_with(
            LOG_GROUP,
            "AWS::Logs::LogGroup",
            value!({
                "LogGroupName": log_group,
                "RetentionInDays": RETENTION_DAYS,
                "KmsKeyId": attribute(KEY, "Arn"),
                "Tags": workspace_tags(context),
            }),
            value!({ "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete" }),
        );
    }
    Encryption {
        key_arn: attribute(KEY, "Arn"),
    }
}

/// One ECR repository per owned repository name: immutable tags, scanned on push, encrypted
/// with the key, the last [`KEPT_IMAGES`] images kept.
pub(crate) fn repositories(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &Encryption,
) {
    let mut lifecycle = value!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("keep the last {KEPT_IMAGES} images"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": KEPT_IMAGES,
            },
            "action": { "type": "expire" },
        }],
    });
    // Serialised into a string, so sorted here: the output must not depend on whether another
    // crate in the build turns on serde_json's `preserve_order`.
    lifecycle.sort_all_objects();
    let mut used = BTreeSet::new();
    for repository in &context.repositories {
        let id = unique_id(&mut used, &logical_id(&["Repository", repository]));
        template.resource(
            &id,
            "AWS::ECR::Repository",
            value!({
                "RepositoryName": context.naming.ecr_repository(repository),
                "ImageScanningConfiguration": { "ScanOnPush": true },
                "ImageTagMutability": "IMMUTABLE",
                "EncryptionConfiguration": {
                    "EncryptionType": "KMS",
                    "KmsKey": encryption.key_arn.clone(),
                },
                "LifecyclePolicy": { "LifecyclePolicyText": lifecycle.to_string() },
                "EmptyOnDelete": false,
                "Tags": workspace_tags(context),
            }),
        );
    }
}

/// `id`, or `id` with the first free number appended when two names map to the same id
/// (`a.b` and `a-b` both give `AB`).
pub(crate) fn unique_id(used: &mut BTreeSet<String>, id: &str) -> String {
    let mut unique = id.to_owned();
    let mut number = 1;
    while used.contains(&unique) {
        number += 1;
        unique = format!("{id}{number}");
    }
    used.insert(unique.clone());
    unique
}

/// Who may mount the file system besides IAM identities allowed `ClientMount` by their own
/// policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mounts {
    /// Only IAM-authorized clients (ECS tasks mount with their task role).
    IamOnly,
    /// Also unauthenticated clients that reach a mount target, as without a policy: the EFS CSI
    /// driver mounts on the node, without IAM. The mount targets' security group is the gate.
    ThroughMountTargets,
}

/// The encrypted, backed-up EFS file system (kept when the stack is deleted, reachable only over
/// TLS, mounted by the clients `mounts` allows) and a mount target in each workload subnet in
/// security group `group`. Returns its logical id.
pub(crate) fn file_system(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &Encryption,
    subnets: &[Value],
    group: &Value,
    mounts: Mounts,
) -> &'static str {
    let mut statements = vec![value!({
        "Sid": "RequireTls",
        "Effect": "Deny",
        "Principal": { "AWS": "*" },
        "Action": [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
            "elasticfilesystem:ClientRootAccess",
        ],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })];
    if mounts == Mounts::ThroughMountTargets {
        statements.push(value!({
            "Sid": "MountThroughMountTargets",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Condition": { "Bool": { "elasticfilesystem:AccessedViaMountTarget": "true" } },
        }));
    }
    template.resource_with(
        FILE_SYSTEM,
        "AWS::EFS::FileSystem",
        value!({
            "Encrypted": true,
            "KmsKeyId": encryption.key_arn.clone(),
            "BackupPolicy": { "Status": "ENABLED" },
            "PerformanceMode": "generalPurpose",
            "ThroughputMode": "elastic",
            // A policy of its own replaces the default that lets any client reach the file
            // system through a mount target: clients now need TLS, and (unless `mounts` allows
            // mount-target clients) an IAM identity allowed `ClientMount`/`ClientWrite`.
            "FileSystemPolicy": { "Version": "2012-10-17", "Statement": statements },
            "FileSystemTags": named_tags(context, &context.naming.prefix()),
        }),
        value!({ "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain" }),
    );
    for (index, subnet) in (1u32..).zip(subnets) {
        template.resource(
            &logical_id(&[FILE_SYSTEM, "MountTarget", &index.to_string()]),
            "AWS::EFS::MountTarget",
            value!({
                "FileSystemId": reference(FILE_SYSTEM),
                "SubnetId": subnet,
                "SecurityGroups": [group.clone()],
            }),
        );
    }
    FILE_SYSTEM
}

/// The file system of `ecs` and `fargate`: mounted by IAM-authorized tasks, its mount targets
/// in the workload group; the file system is exported. Each workload stack makes its own access
/// point per volume ([`access_point`]), so adding or removing a volume never changes an export.
pub(super) fn volumes(
    context: &Context<'_>,
    template: &mut Template,
    encryption: &Encryption,
    network: &Network,
    groups: &SecurityGroups,
) {
    file_system(
        context,
        template,
        encryption,
        &network.workload_subnets,
        &groups.workload,
        Mounts::IamOnly,
    );
    export(
        context,
        template,
        exports::FILE_SYSTEM_ID,
        reference(FILE_SYSTEM),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_ids_get_numbers() {
        let mut used = BTreeSet::new();
        assert_eq!(unique_id(&mut used, "RepositoryAB"), "RepositoryAB");
        assert_eq!(unique_id(&mut used, "RepositoryAB"), "RepositoryAB2");
        assert_eq!(unique_id(&mut used, "RepositoryAB"), "RepositoryAB3");
    }
}
