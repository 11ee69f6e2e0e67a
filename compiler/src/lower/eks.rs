//! Lowering of the `eks` block: a cluster berth creates (`version`, `nodegroup`) or an existing
//! one (`cluster`, `external-secrets-role`), and the namespace of the workloads.

use kdl::KdlNode;

use super::Lowerer;
use super::entries::{name_span, property};
use super::overlay::Tree;
use crate::diagnostics::{Code, Diagnostic};
use crate::eks_versions::{self, DEFAULT_VERSION, Date, Support};
use crate::model::{EksCluster, EksSettings, Nodegroup};
use crate::source::{Span, Spanned};

/// The children that only describe a cluster berth creates.
const NEW_CLUSTER_SETTINGS: [&str; 4] = ["version", "nodegroup", "admins", "public-access"];

impl Lowerer<'_> {
    /// The `eks` block; without `namespace`, the workloads go into `default_namespace`
    /// (`<workspace>-<env>`, with an empty span), so environments never share one by default.
    /// A new cluster's version is checked as of `today` (when the target is `eks`); a problem
    /// with the default version points at `fallback` (the workspace's name).
    pub(super) fn eks(
        &mut self,
        tree: Option<&Tree<'_>>,
        default_namespace: String,
        today: Option<Date>,
        fallback: Span,
    ) -> EksSettings {
        let namespace = tree
            .and_then(|tree| tree.child("namespace"))
            .and_then(|namespace| self.name(namespace.node))
            .unwrap_or_else(|| Spanned::new(default_namespace, Span::default()));
        let external_secrets_role =
            tree.and_then(|tree| self.child_text(tree, "external-secrets-role"));
        if let Some(role) = &external_secrets_role
            && !is_role_arn(&role.value)
        {
            self.invalid(
                role.span,
                format!("`{}` is not an IAM role ARN", role.value),
                "not a role ARN",
                "role ARNs look like `arn:aws:iam::123456789012:role/external-secrets`",
            );
        }
        if let Some(existing) = tree.and_then(|tree| self.child_text(tree, "cluster")) {
            for conflicting in NEW_CLUSTER_SETTINGS {
                if let Some(child) = tree.and_then(|tree| tree.child(conflicting)) {
                    self.invalid(
                        name_span(child.node),
                        format!("`{conflicting}` cannot be combined with `cluster`"),
                        "conflicts with `cluster`",
                        "an existing cluster keeps its own settings; remove this line or `cluster`",
                    );
                }
            }
            if !is_cluster_name(&existing.value) {
                self.invalid(existing.span, format!("`{}` is not an EKS cluster name", existing.value), "invalid cluster name", "cluster names are letters, digits, `-` and `_`, start with a letter or digit, and have at most 100 characters");
            }
            return EksSettings {
                cluster: EksCluster::Existing(existing),
                namespace,
                external_secrets_role,
            };
        }
        if let Some(child) = tree.and_then(|tree| tree.child("external-secrets-role")) {
            self.invalid(
                name_span(child.node),
                "`external-secrets-role` needs `cluster`".to_owned(),
                "without `cluster`",
                "on a cluster berth creates, berth creates the External Secrets controller's role; remove this line, or add `cluster` to deploy onto an existing cluster",
            );
        }
        let version = tree
            .and_then(|tree| self.child_text(tree, "version"))
            .unwrap_or_else(|| Spanned::new(DEFAULT_VERSION.into(), Span::default()));
        if is_kubernetes_version(&version.value) {
            let span = if version.span == Span::default() {
                fallback
            } else {
                version.span
            };
            if let Some(today) = today {
                self.check_version(&version.value, span, today);
            }
        } else {
            self.invalid(
                version.span,
                format!("`{}` is not a Kubernetes version", version.value),
                "not a version",
                format!("write the minor version, e.g. `\"{DEFAULT_VERSION}\"`"),
            );
        }
        let mut nodegroups: Vec<Nodegroup> = tree
            .map(|tree| {
                tree.children_named("nodegroup")
                    .filter_map(|group| self.nodegroup(group.node))
                    .collect()
            })
            .unwrap_or_default();
        if nodegroups.is_empty() {
            nodegroups.push(Nodegroup {
                name: Spanned::new("general".into(), Span::default()),
                instance_type: "t3.large".into(),
                min: 2,
                max: 4,
                desired: 2,
            });
        }
        let admins = self.admins(tree);
        let public_access = self.public_access(tree);
        EksSettings {
            cluster: EksCluster::New {
                version,
                nodegroups,
                admins,
                public_access,
            },
            namespace,
            external_secrets_role: None,
        }
    }

    /// Reports a version EKS no longer (or never) creates clusters with, and warns about one in
    /// extended support, as of `today`.
    fn check_version(&mut self, version: &str, span: Span, today: Date) {
        let (standard, extended) = eks_versions::offered(today);
        let quoted = |versions: &[&str]| {
            versions
                .iter()
                .map(|version| format!("`{version}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let choices = if extended.is_empty() {
            format!("{} (standard support)", quoted(&standard))
        } else {
            format!(
                "{} (standard support), or {} (extended support, billed extra)",
                quoted(&standard),
                quoted(&extended)
            )
        };
        let newest = standard.first().copied().unwrap_or(DEFAULT_VERSION);
        match eks_versions::support(version, today) {
            Support::Standard { .. } => {}
            Support::Extended { until } => self.report(
                Diagnostic::new(
                    Code::ExtendedSupport,
                    format!("Kubernetes `{version}` is in EKS extended support until {until}, billed at a higher hourly rate per cluster"),
                    span,
                    "extended support",
                )
                .with_help(format!("upgrade towards `{newest}` one minor version at a time: set `version` to the next one and deploy (the node groups follow), then repeat")),
            ),
            Support::Ended { since } => self.report(
                Diagnostic::new(
                    Code::KubernetesVersion,
                    format!("EKS ended support for Kubernetes `{version}` on {since} and creates no cluster with it"),
                    span,
                    "support ended",
                )
                .with_help(format!("use {choices}; a cluster that already runs it is upgraded by EKS on its own, so raise `version` one minor version at a time to match it")),
            ),
            Support::Unknown => self.report(
                Diagnostic::new(
                    Code::KubernetesVersion,
                    format!("EKS offers no Kubernetes `{version}` that this berth knows"),
                    span,
                    "unknown version",
                )
                .with_help(format!("use {choices}; if EKS released it after {}, upgrade berth", eks_versions::REVIEWED)),
            ),
        }
    }

    /// The `admins`: IAM role or user ARNs, each once.
    fn admins(&mut self, tree: Option<&Tree<'_>>) -> Vec<Spanned<String>> {
        let Some(node) = tree.and_then(|tree| tree.child("admins")) else {
            return Vec::new();
        };
        let mut admins: Vec<Spanned<String>> = Vec::new();
        for admin in self.all_text(node.node) {
            if !is_principal_arn(&admin.value, &["role", "user"]) {
                self.invalid(
                    admin.span,
                    format!("`{}` is not an IAM role or user ARN", admin.value),
                    "not a principal ARN",
                    "write `arn:aws:iam::123456789012:role/NAME` (a role's path included) or `arn:aws:iam::123456789012:user/NAME`; an assumed-role session ARN (`arn:aws:sts::…:assumed-role/…`) names its role as `arn:aws:iam::…:role/…`",
                );
                continue;
            }
            if let Some(first) = admins.iter().find(|first| first.value == admin.value) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{}` is listed twice", admin.value),
                        admin.span,
                        "listed again here",
                    )
                    .with_label(first.span, "first listed here")
                    .with_help("EKS allows one access entry per principal; remove one of them"),
                );
                continue;
            }
            admins.push(admin);
        }
        admins
    }

    /// The `public-access` CIDR blocks: public IPv4 ranges (the private endpoint serves the VPC).
    fn public_access(&mut self, tree: Option<&Tree<'_>>) -> Vec<Spanned<String>> {
        let Some(node) = tree.and_then(|tree| tree.child("public-access")) else {
            return Vec::new();
        };
        let mut blocks = Vec::new();
        for block in self.all_text(node.node) {
            match check_public_cidr(&block.value) {
                Ok(()) => blocks.push(block),
                Err(reason) => self.invalid(
                    block.span,
                    format!("`{}` cannot reach the public endpoint: {reason}", block.value),
                    "invalid CIDR",
                    "list the public IPv4 ranges your deployers and CI come from, e.g. `203.0.113.0/24`; nodes and pods reach the cluster through its private endpoint",
                ),
            }
        }
        blocks
    }

    fn nodegroup(&mut self, node: &KdlNode) -> Option<Nodegroup> {
        let name = self.name(node)?;
        let instance_type = self
            .text(property(node, "instance-type"))
            .map_or_else(|| "t3.large".to_owned(), |text| text.value);
        let min = self.integer(property(node, "min"));
        let max = self.integer(property(node, "max"));
        let desired = self.integer(property(node, "desired"));
        let (min_value, max_value) = (
            min.as_ref().map_or(1, |min| min.value),
            max.as_ref().map_or(3, |max| max.value),
        );
        if let (Some(min), Some(max)) = (&min, &max) {
            self.check_order(min, max, "`min`", "`max`");
        }
        if let Some(desired) = &desired
            && (desired.value < min_value || desired.value > max_value)
        {
            self.report(
                Diagnostic::new(
                    Code::OutOfRange,
                    format!(
                        "`desired` is {}, outside `min`–`max` ({min_value}–{max_value})",
                        desired.value
                    ),
                    desired.span,
                    "out of range",
                )
                .with_help("desired must be between min and max"),
            );
        }
        Some(Nodegroup {
            name,
            instance_type,
            min: min_value,
            max: max_value,
            desired: desired.map_or(min_value.max(1).min(max_value), |desired| desired.value),
        })
    }
}

fn is_cluster_name(text: &str) -> bool {
    text.len() <= 100
        && text.starts_with(|character: char| character.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_".contains(character))
}

fn is_kubernetes_version(text: &str) -> bool {
    text.strip_prefix("1.").is_some_and(|minor| {
        !minor.is_empty()
            && minor.len() <= 2
            && minor.chars().all(|character| character.is_ascii_digit())
    })
}

/// Whether `text` is an IAM principal ARN of `kind` (`role` or `user`):
/// `arn:<partition>:iam::<12 digits>:<kind>/<path and name>`.
pub(super) fn is_principal_arn(text: &str, kinds: &[&str]) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|character| character.is_ascii_digit())
            && kinds.iter().any(|kind| resource
                .strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))))
}

/// Whether `text` is an IPv4 CIDR block of public addresses that EKS accepts as a public access
/// range: private (RFC 1918), loopback and link-local ranges never reach a public endpoint.
fn check_public_cidr(text: &str) -> Result<(), String> {
    let (address, prefix) = text.split_once('/').ok_or("it has no `/prefix`")?;
    let octets: Vec<u8> = address
        .split('.')
        .map(str::parse::<u8>)
        .collect::<Result<_, _>>()
        .map_err(|_| "the address is not IPv4")?;
    let [first, second, third, fourth] = octets.as_slice() else {
        return Err("the address is not IPv4".into());
    };
    let prefix: u8 = prefix.parse().map_err(|_| "the prefix is not a number")?;
    if prefix > 32 {
        return Err(format!("/{prefix} is longer than /32"));
    }
    let address = u32::from_be_bytes([*first, *second, *third, *fourth]);
    if prefix < 32 && address & (u32::MAX >> prefix) != 0 {
        return Err("the address has bits set past the prefix".into());
    }
    let private = *first == 10
        || *first == 127
        || (*first == 172 && (16..=31).contains(second))
        || (*first == 192 && *second == 168)
        || (*first == 169 && *second == 254);
    if private && prefix >= 8 {
        return Err("it is a private range".into());
    }
    Ok(())
}

fn is_role_arn(text: &str) -> bool {
    is_principal_arn(text, &["role"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_cidrs() {
        assert!(check_public_cidr("203.0.113.0/24").is_ok());
        assert!(check_public_cidr("0.0.0.0/0").is_ok());
        assert!(check_public_cidr("198.51.100.7/32").is_ok());
        assert!(check_public_cidr("10.0.0.0/8").is_err());
        assert!(check_public_cidr("192.168.1.0/24").is_err());
        assert!(check_public_cidr("203.0.113.1/24").is_err());
        assert!(check_public_cidr("203.0.113.0").is_err());
        assert!(check_public_cidr("203.0.113.0/33").is_err());
    }

    #[test]
    fn principal_arns() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/external-secrets"
        ));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/team/ci"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/alice"));
        assert!(is_principal_arn(
            "arn:aws:iam::123456789012:user/alice",
            &["role", "user"]
        ));
        assert!(!is_role_arn("arn:aws:iam::12345:role/x"));
        assert!(!is_role_arn("arn:aws:sts::123456789012:assumed-role/x/y"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/"));
    }
}
