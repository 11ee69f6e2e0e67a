//! Secrets through the External Secrets Operator: one `SecretStore` per AWS backend a workload
//! reads (`ParameterStore`, `SecretsManager`), each assuming the workload's pod role, and one
//! `ExternalSecret` that syncs every referenced value into the Kubernetes Secret
//! `<workload>-secrets`. Containers read it with `env[].valueFrom.secretKeyRef`; no value is
//! ever written here.
//!
//! There are no typed structs for these custom resources, so they are built as JSON.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::emit::literal::value;

use super::Context;
use crate::emit::contract::{placeholder, pod_role_output};
use crate::model::{SecretSource, Workload};
use crate::naming::Naming;

/// An AWS secrets backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    ParameterStore,
    SecretsManager,
}

impl Backend {
    fn of(source: &SecretSource) -> Self {
        match source {
            SecretSource::Ssm { .. } => Self::ParameterStore,
            SecretSource::SecretsManager { .. } => Self::SecretsManager,
        }
    }

    /// The ESO `provider.aws.service`.
    const fn service(self) -> &'static str {
        match self {
            Self::ParameterStore => "ParameterStore",
            Self::SecretsManager => "SecretsManager",
        }
    }

    /// The `SecretStore` name for `workload`.
    fn store(self, workload: &str) -> String {
        match self {
            Self::ParameterStore => format!("{workload}-ssm"),
            Self::SecretsManager => format!("{workload}-secretsmanager"),
        }
    }
}

/// One value the `ExternalSecret` syncs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry<'a> {
    /// The key in the Kubernetes Secret.
    key: String,
    /// Where the value lives.
    source: &'a SecretSource,
    /// The JSON key inside a Secrets Manager secret.
    property: Option<&'a str>,
}

/// Every value a workload's containers read, and the Secret key each variable reads.
pub(super) struct Plan<'a> {
    entries: Vec<Entry<'a>>,
    /// The Secret key of each (container, variable).
    keys: BTreeMap<(&'a str, &'a str), String>,
}

impl<'a> Plan<'a> {
    /// The plan of `workload`. A variable's key is its name; when another container already
    /// reads a different value under that name, it becomes `<container>.<NAME>`.
    pub(super) fn new(workload: &'a Workload) -> Self {
        let mut entries: Vec<Entry<'a>> = Vec::new();
        // The position of each key in `entries`: one lookup per variable, however many.
        let mut taken: HashMap<String, usize> = HashMap::new();
        let mut keys = BTreeMap::new();
        let containers = std::iter::once((workload.name.value.as_str(), &workload.container))
            .chain(
                workload
                    .sidecars
                    .iter()
                    .map(|sidecar| (sidecar.name.value.as_str(), &sidecar.container)),
            );
        for (container, definition) in containers {
            for secret in &definition.secrets {
                let variable = secret.name.value.as_str();
                let source = &secret.source.value;
                let property = secret.key.as_ref().map(|key| key.value.as_str());
                let mut key = variable.to_owned();
                loop {
                    match taken.get(&key).map(|&index| &entries[index]) {
                        Some(entry) if entry.source == source && entry.property == property => {
                            break;
                        }
                        Some(_) => key = format!("{container}.{key}"),
                        None => {
                            taken.insert(key.clone(), entries.len());
                            entries.push(Entry {
                                key: key.clone(),
                                source,
                                property,
                            });
                            break;
                        }
                    }
                }
                keys.insert((container, variable), key);
            }
        }
        entries.sort_by(|left, right| left.key.cmp(&right.key));
        Self { entries, keys }
    }

    /// The Secret key `container` reads `variable` from.
    pub(super) fn key(&self, container: &str, variable: &str) -> String {
        self.keys
            .get(&(container, variable))
            .cloned()
            .unwrap_or_else(|| variable.to_owned())
    }

    fn backends(&self) -> Vec<Backend> {
        let mut backends: Vec<Backend> = self
            .entries
            .iter()
            .map(|entry| Backend::of(entry.source))
            .collect();
        backends.sort();
        backends.dedup();
        backends
    }
}

/// The `SecretStore`s and the `ExternalSecret` of `workload`; none when it reads no secret.
pub(super) fn documents(context: &Context<'_>, workload: &Workload, plan: &Plan<'_>) -> Vec<Value> {
    let name = workload.name.value.as_str();
    let backends = plan.backends();
    let Some(first) = backends.first().copied() else {
        return Vec::new();
    };
    let mut documents: Vec<Value> = backends
        .iter()
        .map(|backend| {
            value!({
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": super::to_value(&context.metadata(&backend.store(name), workload)),
                "spec": {
                    "provider": {
                        "aws": {
                            "service": backend.service(),
                            "region": &context.workspace.region.value,
                            "role": placeholder(&pod_role_output(name)),
                        }
                    }
                }
            })
        })
        .collect();
    let data: Vec<Value> = plan
        .entries
        .iter()
        .map(|entry| {
            let mut remote = Map::new();
            let key = match entry.source {
                SecretSource::Ssm { parameter } => parameter,
                SecretSource::SecretsManager { secret } => secret,
            };
            remote.insert("key".to_owned(), value!(key));
            if let Some(property) = entry.property {
                remote.insert("property".to_owned(), value!(property));
            }
            let mut item = Map::new();
            item.insert("secretKey".to_owned(), value!(&entry.key));
            item.insert("remoteRef".to_owned(), Value::Object(remote));
            let backend = Backend::of(entry.source);
            if backend != first {
                item.insert(
                    "sourceRef".to_owned(),
                    value!({ "storeRef": { "name": backend.store(name), "kind": "SecretStore" } }),
                );
            }
            Value::Object(item)
        })
        .collect();
    let secret = Naming::kubernetes_secret(name);
    documents.push(value!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": super::to_value(&context.metadata(&secret, workload)),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": { "name": first.store(name), "kind": "SecretStore" },
            "target": { "name": secret, "creationPolicy": "Owner" },
            "data": data,
        }
    }));
    documents
}
