//! CloudFormation: what is deployed ([`observe`]), what a template would change
//! ([`change_set`]), and applying or deleting a stack while reporting its events ([`execute`]).
//! Each function makes the calls of one step and nothing else; the engines decide the order.

pub mod change_set;
pub mod execute;
pub mod observe;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{Parameter, Tag};

pub use observe::DeployedStack;

/// A stack as the build wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSpec {
    /// The stack name.
    pub name: String,
    /// The artifact it comes from.
    pub artifact: String,
    /// Its deploy order.
    pub order: u32,
    /// The template as sent.
    pub body: String,
    /// Every parameter the deploy step fills (image parameters), by key.
    pub parameters: BTreeMap<String, String>,
    /// The template's parameter defaults, by key (what CloudFormation uses for a parameter the
    /// deploy does not pass).
    pub defaults: BTreeMap<String, String>,
    /// The parameters CloudFormation resolves from SSM Parameter Store at each deploy
    /// (`AWS::SSM::Parameter::Value<…>`), with the value each parameter holds now (filled in by
    /// the engine; absent while the parameter does not exist).
    pub ssm: BTreeMap<String, SsmInput>,
    /// The stack tags.
    pub tags: BTreeMap<String, String>,
}

/// A template parameter CloudFormation resolves from SSM Parameter Store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsmInput {
    /// The SSM parameter's name (the template parameter's default).
    pub name: String,
    /// Its value now, when known.
    pub value: Option<String>,
}

impl StackSpec {
    /// The parameters as deployed when this spec is: the template's defaults, then the filled
    /// ones.
    pub fn expected_parameters(&self) -> BTreeMap<String, String> {
        let mut parameters = self.defaults.clone();
        parameters.extend(self.parameters.clone());
        parameters
    }

    /// The parameters as the SDK takes them.
    pub fn sdk_parameters(&self) -> Vec<Parameter> {
        self.parameters
            .iter()
            .map(|(key, value)| {
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            })
            .collect()
    }

    /// The tags as the SDK takes them.
    pub fn sdk_tags(&self) -> Vec<Tag> {
        sdk_tags(&self.tags)
    }
}

/// Tags as the SDK takes them.
pub fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// Whether CloudFormation is working on a stack in `status` (a state it will leave by itself).
/// `REVIEW_IN_PROGRESS` is not: it is a stack created for a change set that was never executed.
pub fn is_busy(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

/// Whether a stack in `status` serves what its last successful operation deployed and can be
/// updated.
pub fn is_stable(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE"
            | "UPDATE_COMPLETE"
            | "UPDATE_ROLLBACK_COMPLETE"
            | "IMPORT_COMPLETE"
            | "IMPORT_ROLLBACK_COMPLETE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert!(is_busy("UPDATE_IN_PROGRESS"));
        assert!(is_busy("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(!is_busy("REVIEW_IN_PROGRESS"));
        assert!(is_stable("UPDATE_ROLLBACK_COMPLETE"));
        assert!(!is_stable("ROLLBACK_COMPLETE"));
        assert!(!is_stable("UPDATE_ROLLBACK_FAILED"));
    }
}
