//! Change sets: what a template would do to a stack, described resource by resource (with why a
//! resource would be replaced), before anything is changed.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, ResourceChange as SdkResourceChange,
};
use serde::Serialize;

use super::StackSpec;
use crate::aws::AwsError;
use crate::deploy::Pace;

/// Whether a change set creates the stack or updates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSetKind {
    /// The stack does not exist yet.
    Create,
    /// The stack exists.
    Update,
}

/// One resource a change set would add, modify or remove.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import` or `Dynamic`.
    pub action: String,
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// For `Modify`: `True` (replaced), `Conditional` (may be replaced) or `False`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// What changed, and whether each change forces a replacement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<ChangeCause>,
}

impl ResourceChange {
    /// Whether the resource would (or might) be replaced: deleted and created anew.
    pub fn replaces(&self) -> bool {
        matches!(self.replacement.as_deref(), Some("True" | "Conditional"))
    }
}

/// One changed property (or tag, metadata …) of a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeCause {
    /// `Properties`, `Tags`, `Metadata`, ….
    pub attribute: String,
    /// The property's name, for `Properties`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Never`, `Conditionally` or `Always`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_recreation: Option<String>,
    /// What caused it: `DirectModification`, `ParameterReference`, `ResourceReference`, ….
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The parameter or resource that caused it, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causing_entity: Option<String>,
}

/// How a change set ended up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeSetOutcome {
    /// Ready to execute, with every change.
    Ready {
        /// The change set's id.
        id: String,
        /// The changes.
        changes: Vec<ResourceChange>,
    },
    /// CloudFormation found nothing to change.
    NoChanges {
        /// The change set's id.
        id: String,
    },
    /// CloudFormation refused it.
    Failed {
        /// The change set's id.
        id: String,
        /// Its reason.
        reason: String,
    },
}

/// Creates a change set named `name` for `spec`; returns its id.
pub async fn create(
    client: &Client,
    spec: &StackSpec,
    kind: ChangeSetKind,
    name: &str,
) -> Result<String, AwsError> {
    let output = client
        .create_change_set()
        .stack_name(&spec.name)
        .change_set_name(name)
        .change_set_type(match kind {
            ChangeSetKind::Create => ChangeSetType::Create,
            ChangeSetKind::Update => ChangeSetType::Update,
        })
        .template_body(&spec.body)
        .set_parameters(Some(spec.sdk_parameters()))
        .set_tags(Some(spec.sdk_tags()))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description("berth")
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.CreateChangeSet", &error))?;
    Ok(output.id().unwrap_or(name).to_owned())
}

/// Waits until CloudFormation has computed the change set, then reads every change.
pub async fn wait(client: &Client, id: &str, pace: &Pace) -> Result<ChangeSetOutcome, AwsError> {
    let mut attempt = 0;
    loop {
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let status = loop {
            let output = client
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| AwsError::from_sdk("CloudFormation.DescribeChangeSet", &error))?;
            let status = output.status().cloned();
            let reason = output.status_reason().unwrap_or_default().to_owned();
            changes.extend(
                output
                    .changes()
                    .iter()
                    .filter_map(|change| change.resource_change())
                    .map(read_change),
            );
            match output.next_token() {
                Some(next)
                    if !next.is_empty() && status == Some(ChangeSetStatus::CreateComplete) =>
                {
                    token = Some(next.to_owned());
                }
                _ => break (status, reason),
            }
        };
        match status {
            (Some(ChangeSetStatus::CreateComplete), _) => {
                return Ok(ChangeSetOutcome::Ready {
                    id: id.to_owned(),
                    changes,
                });
            }
            (Some(ChangeSetStatus::Failed), reason) => {
                let no_changes = reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed");
                return Ok(if no_changes {
                    ChangeSetOutcome::NoChanges { id: id.to_owned() }
                } else {
                    ChangeSetOutcome::Failed {
                        id: id.to_owned(),
                        reason,
                    }
                });
            }
            _ => {
                pace.wait(attempt).await;
                attempt += 1;
            }
        }
    }
}

/// Deletes a change set that will not be executed.
pub async fn delete(client: &Client, id: &str) -> Result<(), AwsError> {
    client
        .delete_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.DeleteChangeSet", &error))?;
    Ok(())
}

/// Executes a change set.
pub async fn execute(client: &Client, id: &str) -> Result<(), AwsError> {
    client
        .execute_change_set()
        .change_set_name(id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.ExecuteChangeSet", &error))?;
    Ok(())
}

/// The change as berth reports it.
fn read_change(change: &SdkResourceChange) -> ResourceChange {
    ResourceChange {
        action: change
            .action()
            .map(|action| action.as_str().to_owned())
            .unwrap_or_default(),
        logical_id: change.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: change.resource_type().unwrap_or_default().to_owned(),
        replacement: change
            .replacement()
            .map(|replacement| replacement.as_str().to_owned()),
        causes: change
            .details()
            .iter()
            .filter_map(|detail| {
                let target = detail.target()?;
                Some(ChangeCause {
                    attribute: target
                        .attribute()
                        .map(|attribute| attribute.as_str().to_owned())
                        .unwrap_or_default(),
                    name: target.name().map(str::to_owned),
                    requires_recreation: target
                        .requires_recreation()
                        .map(|recreation| recreation.as_str().to_owned()),
                    source: detail
                        .change_source()
                        .map(|source| source.as_str().to_owned()),
                    causing_entity: detail.causing_entity().map(str::to_owned),
                })
            })
            .collect(),
    }
}
