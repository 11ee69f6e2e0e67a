//! Who may use a new cluster: EKS access entries with the cluster admin access policy, for the
//! principal that deploys (a template parameter the deploy step fills with its own identity) and
//! for each of `eks { admins … }`.
//!
//! The cluster is created without the implicit admin access EKS gives its creator, so access
//! never depends on which identity ran CloudFormation (a CI role, a service role): it is exactly
//! the deployer and the listed admins. EKS allows one access entry per principal, so the
//! deployer's entry is left out when the deployer is one of the admins, and when the parameter is
//! empty.

use serde_json::Value;

use crate::emit::literal::value;

use super::Cluster;
use crate::emit::cloudformation::platform::storage::unique_id;
use crate::emit::cloudformation::platform::workspace_tags;
use crate::emit::cloudformation::{Context, Template, logical_id, reference, sub};
use crate::source::Spanned;

/// The parameter the deploy step fills with the ARN of the IAM principal it deploys as (for an
/// assumed role, the role's ARN with its path).
pub const DEPLOYER_PARAMETER: &str = "DeployerPrincipalArn";
const HAS_DEPLOYER: &str = "HasDeployer";
const DEPLOYER_LISTED: &str = "DeployerIsAnAdmin";
const GRANT_DEPLOYER: &str = "GrantDeployer";
/// `Fn::Or` takes at most this many conditions.
const MOST_PER_OR: usize = 10;

/// The deployer's parameter and access entry, and one access entry per admin.
pub(super) fn access_entries(
    context: &Context<'_>,
    template: &mut Template,
    cluster: &Cluster,
    admins: &[Spanned<String>],
) {
    template.parameter(
        DEPLOYER_PARAMETER,
        value!({
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$",
            "Description": "The IAM role or user (an assumed role's role ARN, with its path) that deploys this stack: it gets cluster admin access. berth deploy fills it with its own identity; empty for none.",
        }),
    );
    template.condition(
        HAS_DEPLOYER,
        value!({ "Fn::Not": [{ "Fn::Equals": [reference(DEPLOYER_PARAMETER), ""] }] }),
    );
    let condition = if admins.is_empty() {
        HAS_DEPLOYER
    } else {
        let listed: Vec<Value> = admins
            .iter()
            .map(|admin| value!({ "Fn::Equals": [reference(DEPLOYER_PARAMETER), &admin.value] }))
            .collect();
        template.condition(DEPLOYER_LISTED, any(listed));
        template.condition(
            GRANT_DEPLOYER,
            value!({ "Fn::And": [
                { "Condition": HAS_DEPLOYER },
                { "Fn::Not": [{ "Condition": DEPLOYER_LISTED }] },
            ] }),
        );
        GRANT_DEPLOYER
    };
    template.resource_with(
        "AccessEntryDeployer",
        "AWS::EKS::AccessEntry",
        entry(context, cluster, &reference(DEPLOYER_PARAMETER)),
        value!({ "Condition": condition }),
    );
    let mut used = std::collections::BTreeSet::new();
    for admin in admins {
        let name = admin.value.rsplit('/').next().unwrap_or_default();
        let id = unique_id(&mut used, &logical_id(&["AccessEntry", name]));
        template.resource(
            &id,
            "AWS::EKS::AccessEntry",
            entry(context, cluster, &value!(&admin.value)),
        );
    }
}

/// A condition true when any of `conditions` is: one alone, or nested `Fn::Or`s of at most ten.
fn any(mut conditions: Vec<Value>) -> Value {
    while conditions.len() > 1 {
        conditions = conditions
            .chunks(MOST_PER_OR)
            .map(|chunk| match chunk {
                [one] => one.clone(),
                many => value!({ "Fn::Or": many }),
            })
            .collect();
    }
    conditions.pop().unwrap_or(Value::Bool(false))
}

/// The properties of a standard access entry for `principal` with the cluster admin policy on
/// the whole cluster.
fn entry(context: &Context<'_>, cluster: &Cluster, principal: &Value) -> Value {
    value!({
        "ClusterName": cluster.name.clone(),
        "PrincipalArn": principal,
        "Type": "STANDARD",
        "AccessPolicies": [{
            "PolicyArn": sub("arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
            "AccessScope": { "Type": "cluster" },
        }],
        "Tags": workspace_tags(context),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_nests_or_by_tens() {
        assert_eq!(any(vec![value!(1)]), value!(1));
        assert_eq!(
            any(vec![value!(1), value!(2)]),
            value!({ "Fn::Or": [1, 2] })
        );
        let eleven = any((0..11).map(|index| value!(index)).collect());
        assert_eq!(
            eleven,
            value!({ "Fn::Or": [{ "Fn::Or": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, 10] })
        );
    }
}
