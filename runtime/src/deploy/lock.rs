//! The deploy lock: a tiny CloudFormation stack (`<workspace>-<env>--lock`, one
//! `WaitConditionHandle`, which costs nothing) that a run creates before it changes anything and
//! deletes when it is done. `CreateStack` of a name that exists fails, in one region of one
//! account, whichever machine asks: so two runs — CI and a laptop — can never interleave. The
//! holder (user, host, process, command, start time) is in the lock's tags, so a waiting run says
//! who it waits for. A run that changes nothing never takes the lock.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::Client;

use super::Pace;
use super::cloudformation::{is_busy, observe, sdk_tags};
use super::error::DeployError;
use super::event::{Event, Reporter};
use crate::aws::AwsError;

/// The lock's template: one resource that creates nothing.
const TEMPLATE: &str = r#"{"AWSTemplateFormatVersion":"2010-09-09","Description":"berth deploy lock: held while berth deploy or destroy changes this workspace and environment; delete it only when no berth run is going on","Resources":{"Lock":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}"#;

/// The tag naming the holder.
const HOLDER_TAG: &str = "berth:lock-holder";

/// A held lock; give it back with [`Lock::release`].
#[derive(Debug)]
pub struct Lock {
    stack: String,
}

/// Who this run is: `user@host (pid N, berth deploy, since <unix time>)`.
pub fn holder(command: &str) -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".to_owned());
    let host = fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "a machine".to_owned());
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    format!(
        "{user}@{host} (pid {}, berth {command}, since unix time {since})",
        std::process::id()
    )
}

/// Takes the lock, waiting up to `wait` while another run holds it (zero: refuse at once).
/// `tags` are the workspace's stack tags.
pub async fn acquire(
    client: &Client,
    stack: &str,
    tags: &BTreeMap<String, String>,
    holder: &str,
    wait: Duration,
    reporter: &dyn Reporter,
    pace: &Pace,
) -> Result<Lock, DeployError> {
    let started = Instant::now();
    let mut tags = tags.clone();
    tags.insert(HOLDER_TAG.to_owned(), holder.to_owned());
    let mut waiting_for: Option<String> = None;
    let mut attempt = 0;
    loop {
        let created = client
            .create_stack()
            .stack_name(stack)
            .template_body(TEMPLATE)
            .set_tags(Some(sdk_tags(&tags)))
            .send()
            .await;
        match created {
            Ok(_) => {
                reporter.report(Event::LockAcquired {
                    stack: stack.to_owned(),
                });
                return Ok(Lock {
                    stack: stack.to_owned(),
                });
            }
            Err(error) => {
                let error = AwsError::from_sdk("CloudFormation.CreateStack", &error);
                if error.code.as_deref() != Some("AlreadyExistsException") {
                    return Err(error.into());
                }
            }
        }
        if let Some(existing) = observe::describe(client, stack).await? {
            let gone = existing.status.starts_with("DELETE_");
            let failed =
                !gone && !is_busy(&existing.status) && existing.status != "CREATE_COMPLETE";
            if failed {
                // A lock whose own creation failed holds nothing: clear it and try again.
                super::cloudformation::execute::delete(client, stack).await?;
            } else if !gone {
                let who = existing
                    .tags
                    .get(HOLDER_TAG)
                    .cloned()
                    .unwrap_or_else(|| "an unknown run".to_owned());
                if started.elapsed() >= wait {
                    return Err(DeployError::Locked {
                        stack: stack.to_owned(),
                        holder: who,
                    });
                }
                if waiting_for.as_ref() != Some(&who) {
                    reporter.report(Event::LockWaiting {
                        stack: stack.to_owned(),
                        holder: who.clone(),
                    });
                    waiting_for = Some(who);
                }
            }
        }
        pace.wait(attempt).await;
        attempt += 1;
    }
}

/// Who holds the lock now, if anyone.
pub async fn current_holder(client: &Client, stack: &str) -> Result<Option<String>, AwsError> {
    Ok(observe::describe(client, stack)
        .await?
        .filter(|existing| !existing.status.starts_with("DELETE_"))
        .map(|existing| {
            existing
                .tags
                .get(HOLDER_TAG)
                .cloned()
                .unwrap_or_else(|| "an unknown run".to_owned())
        }))
}

impl Lock {
    /// The lock stack's name.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// Gives the lock back (starts deleting the lock stack). A failure is also reported as a
    /// note with the command that removes the lock, since the run's own failure, when it has
    /// one, is the error the command shows.
    pub async fn release(self, client: &Client, reporter: &dyn Reporter) -> Result<(), AwsError> {
        if let Err(error) = super::cloudformation::execute::delete(client, &self.stack).await {
            reporter.report(Event::Note {
                message: format!(
                    "could not give the deploy lock back ({error}); remove it with `aws \
                     cloudformation delete-stack --stack-name {}`",
                    self.stack
                ),
            });
            return Err(error);
        }
        reporter.report(Event::LockReleased { stack: self.stack });
        Ok(())
    }
}
