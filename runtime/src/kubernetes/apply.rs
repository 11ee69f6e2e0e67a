//! Server-side apply with the field manager `berth`: each object is first applied as a dry run,
//! which says what the server would make of it (defaults, other managers' fields, conflicts);
//! only when that differs from what runs is it applied for real. So a deploy that changes
//! nothing sends no write, and `plan` shows the same field-level changes the deploy makes.

use std::collections::BTreeMap;

use kube::api::{DynamicObject, ListParams, Patch, PatchParams};
use serde_json::Value;

use super::connect::{Connection, error_chain};
use super::diff::{FieldChange, comparable, field_changes};
use super::discovery::Kinds;
use super::error::KubernetesError;
use super::objects::{DesiredObject, ObjectId};

/// The field manager berth applies as.
pub const FIELD_MANAGER: &str = "berth";

/// What applying an object would do.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// These fields would change.
    Update(Vec<FieldChange>),
    /// Nothing would change.
    Unchanged,
}

/// The cluster, the kinds it serves, and whether conflicts are overridden.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// The connection.
    pub connection: &'a Connection,
    /// The kinds the build applies, as the cluster serves them.
    pub kinds: &'a Kinds,
    /// Take fields other managers own (`--force-conflicts`).
    pub force: bool,
}

impl Target<'_> {
    fn api(&self, object: &DesiredObject) -> Result<kube::Api<DynamicObject>, KubernetesError> {
        self.kinds
            .api(
                &self.connection.client,
                &object.api_version,
                &object.id.kind,
                object.id.namespace.as_deref(),
            )
            .ok_or_else(|| KubernetesError::Rejected {
                object: object.id.to_string(),
                message: format!(
                    "the cluster does not serve {} {}",
                    object.api_version, object.id.kind
                ),
            })
    }

    fn params(&self, dry_run: bool) -> PatchParams {
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.force = self.force;
        params.dry_run = dry_run;
        params
    }

    /// The object as it runs, if it exists.
    pub async fn live(&self, object: &DesiredObject) -> Result<Option<Value>, KubernetesError> {
        let api = self.api(object)?;
        match api.get_opt(&object.id.name).await {
            Ok(found) => Ok(found.map(|found| to_value(&found))),
            Err(error) => Err(self.failure("read", &object.id.to_string(), error)),
        }
    }

    /// What applying `object` would change, given what runs (`live`): a dry-run apply compared
    /// with it. `None` when the dry run cannot be made yet because the object's namespace does
    /// not exist (it is created earlier in the same deploy).
    pub async fn preview(
        &self,
        object: &DesiredObject,
        live: Option<&Value>,
    ) -> Result<Change, KubernetesError> {
        let api = self.api(object)?;
        let result = api
            .patch(
                &object.id.name,
                &self.params(true),
                &Patch::Apply(&object.object),
            )
            .await;
        let would_be = match result {
            Ok(would_be) => to_value(&would_be),
            Err(kube::Error::Api(status))
                if status.code == 404 && live.is_none() && object.id.namespace.is_some() =>
            {
                // The namespace is created earlier in the deploy; nothing exists in it yet.
                return Ok(Change::Create);
            }
            Err(error) => return Err(self.failure("apply", &object.id.to_string(), error)),
        };
        Ok(match live {
            None => Change::Create,
            Some(live) if comparable(live) == comparable(&would_be) => Change::Unchanged,
            Some(live) => Change::Update(field_changes(live, &would_be)),
        })
    }

    /// Applies `object` for real.
    pub async fn apply(&self, object: &DesiredObject) -> Result<Value, KubernetesError> {
        let api = self.api(object)?;
        api.patch(
            &object.id.name,
            &self.params(false),
            &Patch::Apply(&object.object),
        )
        .await
        .map(|applied| to_value(&applied))
        .map_err(|error| self.failure("apply", &object.id.to_string(), error))
    }

    /// Every object of the kinds in `kinds` carrying `selector`'s labels, in every namespace.
    pub async fn owned(
        &self,
        kinds: &[(String, String)],
        selector: &str,
    ) -> Result<BTreeMap<ObjectId, (String, Value)>, KubernetesError> {
        let mut owned = BTreeMap::new();
        for (api_version, kind) in kinds {
            let Some(api) = self
                .kinds
                .api(&self.connection.client, api_version, kind, None)
            else {
                // A kind the cluster does not serve holds no objects of ours.
                continue;
            };
            let listed = api
                .list(&ListParams::default().labels(selector))
                .await
                .map_err(|error| self.failure("list", &format!("{kind} objects"), error))?;
            for item in listed.items {
                let mut value = to_value(&item);
                value["apiVersion"] = Value::from(api_version.as_str());
                value["kind"] = Value::from(kind.as_str());
                if let Some(id) = ObjectId::of(&value) {
                    owned.insert(id, (api_version.clone(), value));
                }
            }
        }
        Ok(owned)
    }

    /// A failed call as the error to show.
    pub fn failure(&self, action: &str, object: &str, error: kube::Error) -> KubernetesError {
        api_failure(self.connection, action, object, error)
    }
}

/// A failed API call as the error to show.
pub fn api_failure(
    connection: &Connection,
    action: &str,
    object: &str,
    error: kube::Error,
) -> KubernetesError {
    let kube::Error::Api(status) = error else {
        return KubernetesError::Unreachable {
            server: connection.server.clone(),
            reason: error_chain(&error),
        };
    };
    match status.code {
        401 => KubernetesError::Unauthorized {
            server: connection.server.clone(),
            identity: connection.identity.clone(),
            cluster: connection.cluster.clone(),
        },
        403 => KubernetesError::Forbidden {
            action: action.to_owned(),
            object: object.to_owned(),
            message: status.message.clone(),
        },
        409 if status.reason == "Conflict" => {
            let conflicts: Vec<(String, String)> = status
                .details
                .as_ref()
                .map(|details| {
                    details
                        .causes
                        .iter()
                        .map(|cause| {
                            let manager = cause
                                .message
                                .split('"')
                                .nth(1)
                                .unwrap_or("another manager")
                                .to_owned();
                            (manager, cause.field.clone())
                        })
                        .collect()
                })
                .unwrap_or_default();
            if conflicts.is_empty() {
                KubernetesError::Rejected {
                    object: object.to_owned(),
                    message: status.message.clone(),
                }
            } else {
                KubernetesError::Conflict {
                    object: object.to_owned(),
                    conflicts,
                }
            }
        }
        400..=499 => KubernetesError::Rejected {
            object: object.to_owned(),
            message: status.message.clone(),
        },
        _ => KubernetesError::Api {
            action: action.to_owned(),
            object: object.to_owned(),
            reason: format!("{} ({})", status.message, status.code),
        },
    }
}

/// A dynamic object as plain JSON.
pub fn to_value(object: &DynamicObject) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}
