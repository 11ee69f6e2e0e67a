//! Which resource serves each kind the build applies, asked of the cluster's discovery API one
//! group-version at a time (only those the build uses). A kind the cluster does not serve is
//! reported, not guessed: it usually means a CRD is missing (External Secrets before the
//! operator is installed).

use std::collections::{BTreeMap, BTreeSet};

use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;

use super::connect::error_chain;
use super::error::KubernetesError;

/// A kind the cluster serves.
#[derive(Clone, Debug)]
pub struct Served {
    /// The resource (group, version, plural).
    pub resource: ApiResource,
    /// Whether its objects live in a namespace.
    pub namespaced: bool,
}

/// The kinds found, by `(apiVersion, kind)`.
#[derive(Clone, Debug, Default)]
pub struct Kinds {
    served: BTreeMap<(String, String), Served>,
}

impl Kinds {
    /// The resource of `api_version` `kind`, if served.
    pub fn get(&self, api_version: &str, kind: &str) -> Option<&Served> {
        self.served.get(&(api_version.to_owned(), kind.to_owned()))
    }

    /// An API for `api_version` `kind` in `namespace` (every namespace when `None` and the kind
    /// is namespaced).
    pub fn api(
        &self,
        client: &Client,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Option<Api<DynamicObject>> {
        let served = self.get(api_version, kind)?;
        Some(match (served.namespaced, namespace) {
            (true, Some(namespace)) => {
                Api::namespaced_with(client.clone(), namespace, &served.resource)
            }
            _ => Api::all_with(client.clone(), &served.resource),
        })
    }
}

/// Looks up every `(apiVersion, kind)` of `wanted`; returns those served and those not.
pub async fn discover(
    client: &Client,
    wanted: &BTreeSet<(String, String)>,
) -> Result<(Kinds, Vec<(String, String)>), KubernetesError> {
    let mut kinds = Kinds::default();
    let mut missing = Vec::new();
    let group_versions: BTreeSet<&str> = wanted
        .iter()
        .map(|(api_version, _)| api_version.as_str())
        .collect();
    for group_version in group_versions {
        let listed = if group_version.contains('/') {
            client.list_api_group_resources(group_version).await
        } else {
            client.list_core_api_resources(group_version).await
        };
        let resources = match listed {
            Ok(list) => list.resources,
            Err(kube::Error::Api(status)) if status.code == 404 => Vec::new(),
            Err(error) => {
                return Err(KubernetesError::Api {
                    action: "discover".to_owned(),
                    object: group_version.to_owned(),
                    reason: error_chain(&error),
                });
            }
        };
        let (group, version) = group_version
            .rsplit_once('/')
            .unwrap_or(("", group_version));
        for (api_version, kind) in wanted
            .iter()
            .filter(|(api_version, _)| api_version == group_version)
        {
            let found = resources
                .iter()
                .find(|resource| resource.kind == *kind && !resource.name.contains('/'));
            match found {
                Some(resource) => {
                    kinds.served.insert(
                        (api_version.clone(), kind.clone()),
                        Served {
                            resource: ApiResource {
                                group: group.to_owned(),
                                version: version.to_owned(),
                                api_version: api_version.clone(),
                                kind: kind.clone(),
                                plural: resource.name.clone(),
                            },
                            namespaced: resource.namespaced,
                        },
                    );
                }
                None => missing.push((api_version.clone(), kind.clone())),
            }
        }
    }
    Ok((kinds, missing))
}
