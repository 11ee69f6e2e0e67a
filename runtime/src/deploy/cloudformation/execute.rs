//! Following a stack operation to its end: every new stack event is reported as it appears, and
//! the resources that failed are collected (first failure first) for the diagnostic.

use std::collections::BTreeSet;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::StackEvent;

use super::is_busy;
use super::observe::{DeployedStack, describe};
use crate::aws::AwsError;
use crate::deploy::Pace;
use crate::deploy::error::FailedResource;
use crate::deploy::event::{Event, Reporter};

/// How a followed operation ended.
#[derive(Clone, Debug)]
pub struct Settled {
    /// The stack as it ended (status `DELETE_COMPLETE` once deleted).
    pub stack: DeployedStack,
    /// Every resource that failed during the operation, first first.
    pub failed: Vec<FailedResource>,
}

/// Reasons CloudFormation gives to resources it stopped because another one failed.
const CANCELLED: &[&str] = &["Resource creation cancelled", "Resource update cancelled"];

/// The id of the newest event of a stack: the operation about to start reports only events
/// after it.
pub async fn newest_event(client: &Client, stack: &str) -> Result<Option<String>, AwsError> {
    let output = client
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.DescribeStackEvents", &error))?;
    Ok(output
        .stack_events()
        .first()
        .and_then(StackEvent::event_id)
        .map(str::to_owned))
}

/// Follows the stack `id` (named `name`) until CloudFormation is done with it, reporting each
/// event after `after`. With `started` (this run just started an operation) it waits for the
/// stack's own closing event, so a status read before the operation began is not taken for its
/// end.
pub async fn follow(
    client: &Client,
    id: &str,
    name: &str,
    after: Option<&str>,
    started: bool,
    reporter: &dyn Reporter,
    pace: &Pace,
) -> Result<Settled, AwsError> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut failed = Vec::new();
    let mut closed = !started;
    let mut attempt = 0;
    loop {
        for event in new_events(client, id, after, &seen).await? {
            let Some(event_id) = event.event_id() else {
                continue;
            };
            seen.insert(event_id.to_owned());
            let logical_id = event.logical_resource_id().unwrap_or_default().to_owned();
            let status = event
                .resource_status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default();
            let reason = event.resource_status_reason().map(str::to_owned);
            let resource_type = event.resource_type().unwrap_or_default().to_owned();
            let is_stack = resource_type == "AWS::CloudFormation::Stack" && logical_id == name;
            if is_stack && !status.ends_with("_IN_PROGRESS") {
                closed = true;
            }
            if !is_stack
                && status.ends_with("_FAILED")
                && let Some(reason) = &reason
                && !CANCELLED
                    .iter()
                    .any(|cancelled| reason.starts_with(cancelled))
            {
                failed.push(FailedResource {
                    logical_id: logical_id.clone(),
                    resource_type: resource_type.clone(),
                    status: status.clone(),
                    reason: reason.clone(),
                });
            }
            reporter.report(Event::Resource {
                stack: name.to_owned(),
                logical_id,
                resource_type,
                status,
                reason,
            });
        }
        let stack = describe(client, id)
            .await?
            .unwrap_or_else(|| DeployedStack {
                name: name.to_owned(),
                id: id.to_owned(),
                status: "DELETE_COMPLETE".to_owned(),
                ..DeployedStack::default()
            });
        let waiting_for_start = stack.status == "REVIEW_IN_PROGRESS" && started;
        if (closed || stack.status == "DELETE_COMPLETE")
            && !is_busy(&stack.status)
            && !waiting_for_start
        {
            if failed.is_empty()
                && !super::is_stable(&stack.status)
                && stack.status != "DELETE_COMPLETE"
                && let Some(reason) = &stack.reason
            {
                failed.push(FailedResource {
                    logical_id: name.to_owned(),
                    resource_type: "AWS::CloudFormation::Stack".to_owned(),
                    status: stack.status.clone(),
                    reason: reason.clone(),
                });
            }
            return Ok(Settled { stack, failed });
        }
        pace.wait(attempt).await;
        attempt += 1;
    }
}

/// The events after `after` not yet seen, oldest first. Reads pages (newest first) until it
/// reaches `after` or an event already seen.
async fn new_events(
    client: &Client,
    id: &str,
    after: Option<&str>,
    seen: &BTreeSet<String>,
) -> Result<Vec<StackEvent>, AwsError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    'pages: loop {
        let output = match client
            .describe_stack_events()
            .stack_name(id)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                let error = AwsError::from_sdk("CloudFormation.DescribeStackEvents", &error);
                if error.is_not_found() {
                    break;
                }
                return Err(error);
            }
        };
        for event in output.stack_events() {
            let event_id = event.event_id().unwrap_or_default();
            if Some(event_id) == after || seen.contains(event_id) {
                break 'pages;
            }
            events.push(event.clone());
        }
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    events.reverse();
    Ok(events)
}

/// Cancels an update in progress: CloudFormation rolls the stack back to what was deployed.
pub async fn cancel_update(client: &Client, stack: &str) -> Result<(), AwsError> {
    client
        .cancel_update_stack()
        .stack_name(stack)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.CancelUpdateStack", &error))?;
    Ok(())
}

/// Starts deleting a stack.
pub async fn delete(client: &Client, stack: &str) -> Result<(), AwsError> {
    delete_keeping(client, stack, &[]).await
}

/// Deletes `stack` (in `DELETE_FAILED`) again, keeping the resources `keep` (logical ids).
pub async fn delete_keeping(client: &Client, stack: &str, keep: &[String]) -> Result<(), AwsError> {
    client
        .delete_stack()
        .stack_name(stack)
        .set_retain_resources((!keep.is_empty()).then(|| keep.to_vec()))
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("CloudFormation.DeleteStack", &error))?;
    Ok(())
}
