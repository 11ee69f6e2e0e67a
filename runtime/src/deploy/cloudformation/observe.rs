//! What is deployed: a stack's status, parameters, tags and outputs, its template, and the
//! stacks whose names start with the workspace's prefix. Read-only calls.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Stack, StackStatus, TemplateStage};
use serde::Serialize;

use crate::aws::AwsError;

/// A stack as CloudFormation describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeployedStack {
    /// The name.
    pub name: String,
    /// The stack id (ARN), which still names it after deletion.
    pub id: String,
    /// The status (`UPDATE_COMPLETE`, …).
    pub status: String,
    /// CloudFormation's reason for the status, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was last created or updated (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Its parameters, as given (an SSM parameter's name for SSM-typed ones).
    pub parameters: BTreeMap<String, String>,
    /// The values CloudFormation resolved SSM-typed parameters to at the last deploy.
    #[serde(skip)]
    pub resolved: BTreeMap<String, String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its outputs.
    pub outputs: BTreeMap<String, String>,
}

impl DeployedStack {
    /// Reads the SDK's description.
    pub fn from_sdk(stack: &Stack) -> Self {
        let time = stack.last_updated_time().or(stack.creation_time());
        Self {
            name: stack.stack_name().unwrap_or_default().to_owned(),
            id: stack.stack_id().unwrap_or_default().to_owned(),
            status: stack
                .stack_status()
                .map(StackStatus::as_str)
                .unwrap_or_default()
                .to_owned(),
            reason: stack.stack_status_reason().map(str::to_owned),
            updated: time
                .and_then(|time| time.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|parameter| {
                    Some((
                        parameter.parameter_key()?.to_owned(),
                        parameter.parameter_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            resolved: stack
                .parameters()
                .iter()
                .filter_map(|parameter| {
                    Some((
                        parameter.parameter_key()?.to_owned(),
                        parameter.resolved_value()?.to_owned(),
                    ))
                })
                .collect(),
            tags: stack
                .tags()
                .iter()
                .filter_map(|tag| {
                    Some((
                        tag.key()?.to_owned(),
                        tag.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|output| {
                    Some((
                        output.output_key()?.to_owned(),
                        output.output_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
        }
    }

    /// Whether the stack carries every one of `tags`.
    pub fn has_tags(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.iter()
            .filter(|(key, _)| key.starts_with("berth:"))
            .all(|(key, value)| self.tags.get(key) == Some(value))
    }
}

/// The stack named (or with the id) `name`, or `None` when there is none.
pub async fn describe(client: &Client, name: &str) -> Result<Option<DeployedStack>, AwsError> {
    match client.describe_stacks().stack_name(name).send().await {
        Ok(output) => Ok(output.stacks().first().map(DeployedStack::from_sdk)),
        Err(error) => {
            let error = AwsError::from_sdk("CloudFormation.DescribeStacks", &error);
            if error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// The template a stack was last deployed with, as it was sent.
pub async fn template(client: &Client, name: &str) -> Result<String, AwsError> {
    let output = client
        .get_template()
        .stack_name(name)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.GetTemplate", &error))?;
    Ok(output.template_body().unwrap_or_default().to_owned())
}

/// The names of every live stack (not deleted) whose name starts with `prefix`, sorted.
pub async fn names_with_prefix(client: &Client, prefix: &str) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = client
            .list_stacks()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk("CloudFormation.ListStacks", &error))?;
        for summary in output.stack_summaries() {
            let deleted = summary.stack_status() == Some(&StackStatus::DeleteComplete);
            let name = summary.stack_name().unwrap_or_default();
            if !deleted && name.starts_with(prefix) {
                names.push(name.to_owned());
            }
        }
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}
