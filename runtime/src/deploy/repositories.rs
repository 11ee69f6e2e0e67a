//! The ECR repositories a workspace owns, at `destroy`: a repository that holds images cannot be
//! deleted with its stack (`EmptyOnDelete` is off, so images are never lost by accident). By
//! default `destroy` keeps such a repository (and the key its images are encrypted with);
//! `--delete-images` empties it first, so it goes with the stack.
//!
//! A kept repository keeps its name, which the stack's template gives it: deploying the workspace
//! again would create a stack whose repository already exists, and CloudFormation fails that
//! stack. `deploy` looks first ([`in_the_way`]) and stops before changing anything.

use aws_sdk_ecr::types::ImageIdentifier;
use berth_compiler::manifest::Registry;

use super::build::Build;
use super::error::FailedResource;
use crate::aws::AwsError;

/// The most image ids `BatchDeleteImage` takes in one call.
const BATCH: usize = 100;

/// The repositories the stack `stack` creates, by name.
pub fn owned_by(build: &Build, stack: &str) -> Vec<String> {
    let mut names: Vec<String> = build
        .manifest
        .images
        .iter()
        .filter(
            |image| matches!(&image.registry, Registry::Owned { stack: owner } if owner == stack),
        )
        .map(|image| image.repository.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The repositories that the stacks in `creating` (stacks that do not exist yet) would create
/// but that already exist — kept by an earlier `destroy`, or made by hand — as `(stack,
/// repository)`.
pub async fn in_the_way(
    client: &aws_sdk_ecr::Client,
    build: &Build,
    creating: &[&str],
) -> Result<Vec<(String, String)>, AwsError> {
    let mut found = Vec::new();
    for stack in creating {
        for repository in owned_by(build, stack) {
            if super::images::repository_uri(client, None, &repository)
                .await?
                .is_some()
            {
                found.push(((*stack).to_owned(), repository));
            }
        }
    }
    Ok(found)
}

/// Deletes every image of `repository`; how many there were (zero for a repository that does
/// not exist).
pub async fn empty(client: &aws_sdk_ecr::Client, repository: &str) -> Result<usize, AwsError> {
    let mut ids: Vec<ImageIdentifier> = Vec::new();
    let mut token = None;
    loop {
        let page = match client
            .list_images()
            .repository_name(repository)
            .set_next_token(token)
            .send()
            .await
        {
            Ok(page) => page,
            Err(error) => {
                let error = AwsError::from_sdk("ECR.ListImages", &error);
                return if error.is_not_found() {
                    Ok(0)
                } else {
                    Err(error)
                };
            }
        };
        ids.extend(page.image_ids().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    for chunk in ids.chunks(BATCH) {
        client
            .batch_delete_image()
            .repository_name(repository)
            .set_image_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk("ECR.BatchDeleteImage", &error))?;
    }
    Ok(ids.len())
}

/// Whether a stack's delete failed only because repositories still hold images, so that
/// deleting it again while keeping them (`RetainResources`) finishes the delete.
pub fn failed_only_for_images(failed: &[FailedResource]) -> bool {
    !failed.is_empty()
        && failed.iter().all(|resource| {
            resource.resource_type == "AWS::ECR::Repository"
                && (resource.reason.contains("RepositoryNotEmpty")
                    || resource.reason.contains("still contains images"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(resource_type: &str, reason: &str) -> FailedResource {
        FailedResource {
            logical_id: "RepositoryApi".into(),
            resource_type: resource_type.into(),
            status: "DELETE_FAILED".into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn only_repositories_that_hold_images_are_kept_to_finish_a_delete() {
        let aws = "Resource handler returned message: \"The repository with name 'shop/default/api' \
                   in registry with id '123456789012' cannot be deleted because it still contains \
                   images (Service: Ecr, Status Code: 400)\"";
        assert!(failed_only_for_images(&[failed(
            "AWS::ECR::Repository",
            aws
        )]));
        assert!(!failed_only_for_images(&[]));
        assert!(!failed_only_for_images(&[failed(
            "AWS::ECR::Repository",
            "AccessDenied: not authorized to perform ecr:DeleteRepository"
        )]));
        assert!(!failed_only_for_images(&[
            failed("AWS::ECR::Repository", aws),
            failed(
                "AWS::EC2::SecurityGroup",
                "resource sg-1 has a dependent object"
            ),
        ]));
    }
}
