//! Images: each tag in ECR resolved to its digest (`DescribeImages`), so the stacks run the image
//! pinned by digest and a tag moved later changes nothing until the next deploy. Images in other
//! registries are deployed as written, and the output says so.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::ImageIdentifier;
use berth_compiler::manifest::{ImageInput, Registry};
use serde::Serialize;

use super::error::MissingImage;
use crate::aws::AwsError;

/// What an image resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resolution {
    /// `repository-uri@sha256:…`.
    Pinned {
        /// The reference.
        image: String,
    },
    /// Deployed as written: another registry, which berth does not query.
    AsWritten {
        /// The reference.
        image: String,
        /// Whether it is written with a digest.
        pinned: bool,
    },
    /// The owned repository does not exist yet: the stack that creates it comes first.
    NotYetCreated {
        /// The stack that creates the repository.
        stack: String,
        /// A stand-in value (`repository:tag`) for previews.
        image: String,
    },
    /// The repository or the tag does not exist.
    Missing(MissingImage),
}

impl Resolution {
    /// The value the template parameter gets.
    pub fn parameter_value(&self) -> String {
        match self {
            Self::Pinned { image }
            | Self::AsWritten { image, .. }
            | Self::NotYetCreated { image, .. } => image.clone(),
            Self::Missing(missing) => missing.reference(),
        }
    }
}

/// One image of the manifest and what it resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedImage {
    /// The manifest's entry.
    #[serde(skip)]
    pub input: ImageInput,
    /// The workload.
    pub workload: String,
    /// The container.
    pub container: String,
    /// What it resolved to.
    pub resolution: Resolution,
}

/// ECR clients: the workspace's region, and any other region an image lives in.
#[derive(Clone, Debug)]
pub struct EcrClients {
    /// The workspace's region's client.
    pub home: aws_sdk_ecr::Client,
    /// The workspace's region.
    pub home_region: String,
    /// Clients of other regions, by region.
    pub others: BTreeMap<String, aws_sdk_ecr::Client>,
}

impl EcrClients {
    fn for_region(&self, region: &str) -> &aws_sdk_ecr::Client {
        self.others.get(region).unwrap_or(&self.home)
    }
}

/// Resolves every image. `deployed` says whether a stack exists (so an owned repository that is
/// absent because its stack is not deployed yet is not reported missing).
pub async fn resolve(
    clients: &EcrClients,
    images: &[ImageInput],
    deployed: &dyn Fn(&str) -> bool,
) -> Result<Vec<ResolvedImage>, AwsError> {
    let mut resolved = Vec::with_capacity(images.len());
    // One DescribeRepositories per repository, however many containers use it.
    let mut uris: BTreeMap<(String, String, String), Option<String>> = BTreeMap::new();
    for input in images {
        let resolution = match &input.registry {
            Registry::Other => Resolution::AsWritten {
                image: as_written(input),
                pinned: input.digest.is_some(),
            },
            Registry::Owned { stack } if !deployed(stack) => Resolution::NotYetCreated {
                stack: stack.clone(),
                image: as_written(input),
            },
            Registry::Owned { .. } => {
                let region = clients.home_region.clone();
                resolve_ecr(clients.for_region(&region), &mut uris, input, None, &region).await?
            }
            Registry::Ecr { account, region } => {
                resolve_ecr(
                    clients.for_region(region),
                    &mut uris,
                    input,
                    Some(account),
                    region,
                )
                .await?
            }
        };
        resolved.push(ResolvedImage {
            input: input.clone(),
            workload: input.workload.clone(),
            container: input.container.clone(),
            resolution,
        });
    }
    Ok(resolved)
}

/// The repository's URI, then the tag's digest.
async fn resolve_ecr(
    client: &aws_sdk_ecr::Client,
    uris: &mut BTreeMap<(String, String, String), Option<String>>,
    input: &ImageInput,
    account: Option<&String>,
    region: &str,
) -> Result<Resolution, AwsError> {
    let key = (
        account.cloned().unwrap_or_default(),
        region.to_owned(),
        input.repository.clone(),
    );
    let uri = if let Some(uri) = uris.get(&key) {
        uri.clone()
    } else {
        let uri = repository_uri(client, account, &input.repository).await?;
        uris.insert(key, uri.clone());
        uri
    };
    let tag = input.tag.clone().unwrap_or_else(|| "latest".to_owned());
    let Some(uri) = uri else {
        return Ok(Resolution::Missing(missing(
            input,
            &registry_of(None, account, region),
            region,
            &tag,
            "the repository does not exist",
        )));
    };
    if let Some(digest) = &input.digest {
        return Ok(Resolution::Pinned {
            image: format!("{uri}@{digest}"),
        });
    }
    let registry = registry_of(Some(&uri), account, region);
    let request = client
        .describe_images()
        .repository_name(&input.repository)
        .set_registry_id(account.cloned())
        .image_ids(ImageIdentifier::builder().image_tag(&tag).build());
    match request.send().await {
        Ok(output) => match output
            .image_details()
            .first()
            .and_then(|detail| detail.image_digest())
        {
            Some(digest) => Ok(Resolution::Pinned {
                image: format!("{uri}@{digest}"),
            }),
            None => Ok(Resolution::Missing(missing(
                input,
                &registry,
                region,
                &tag,
                "no image has this tag",
            ))),
        },
        Err(error) => {
            let error = AwsError::from_sdk("ECR.DescribeImages", &error);
            if error.is_not_found() {
                Ok(Resolution::Missing(missing(
                    input,
                    &registry,
                    region,
                    &tag,
                    "no image has this tag",
                )))
            } else {
                Err(error)
            }
        }
    }
}

/// The repository's URI, or `None` when it does not exist.
pub(super) async fn repository_uri(
    client: &aws_sdk_ecr::Client,
    account: Option<&String>,
    repository: &str,
) -> Result<Option<String>, AwsError> {
    let request = client
        .describe_repositories()
        .repository_names(repository)
        .set_registry_id(account.cloned());
    match request.send().await {
        Ok(output) => Ok(output
            .repositories()
            .first()
            .and_then(|repository| repository.repository_uri())
            .map(str::to_owned)),
        Err(error) => {
            let error = AwsError::from_sdk("ECR.DescribeRepositories", &error);
            if error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// The registry host: from the repository's URI when known, else from the account.
fn registry_of(uri: Option<&str>, account: Option<&String>, region: &str) -> String {
    match (uri.and_then(|uri| uri.split('/').next()), account) {
        (Some(host), _) => host.to_owned(),
        (None, Some(account)) => format!("{account}.dkr.ecr.{region}.amazonaws.com"),
        (None, None) => format!("<account>.dkr.ecr.{region}.amazonaws.com"),
    }
}

/// The missing image, with the registry host to push to.
fn missing(
    input: &ImageInput,
    registry: &str,
    region: &str,
    tag: &str,
    reason: &str,
) -> MissingImage {
    MissingImage {
        workload: input.workload.clone(),
        container: input.container.clone(),
        registry: registry.to_owned(),
        region: region.to_owned(),
        repository: input.repository.clone(),
        tag: tag.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The reference as written: `repository[:tag][@digest]`.
fn as_written(input: &ImageInput) -> String {
    let mut image = input.repository.clone();
    if let Some(tag) = &input.tag {
        image.push(':');
        image.push_str(tag);
    }
    if let Some(digest) = &input.digest {
        image.push('@');
        image.push_str(digest);
    }
    image
}
