//! Lowering of the `workspace` node: target, region, network, ECS and EKS capacity, domain and
//! tags; then every workload, with the selected environment's overlays applied.

use std::collections::{BTreeMap, HashMap};

use kdl::{KdlDocument, KdlNode};

use super::entries::{argument, name_span, property};
use super::overlay::{Tree, merge, overlay_workspace};
use super::{Lowerer, Options, Selected};
use crate::diagnostics::{Code, Diagnostic};
use crate::interpolate::Interpolator;
use crate::model::{Domain, EcsCapacity, Network, Target, WorkloadKind, Workspace};
use crate::naming::Naming;
use crate::schema;
use crate::source::{Span, Spanned};

const WORKLOADS: [(&str, WorkloadKind); 3] = [
    ("service", WorkloadKind::Service),
    ("worker", WorkloadKind::Worker),
    ("job", WorkloadKind::Job),
];

impl Lowerer<'_> {
    pub(super) fn lower_workspace(
        &mut self,
        document: &KdlDocument,
        node: &KdlNode,
        environment: Selected<'_>,
        options: &Options,
    ) -> Option<Workspace> {
        let name = self.name(node)?;
        let tree = Tree::of(node);
        let overlay = environment.node.map(Tree::of);
        let mut values = self.variables(document, node, &environment, options);
        values.insert("workspace".into(), name.value.clone());
        values.insert("env".into(), environment.name.value.clone());
        self.interpolator = Interpolator::new(values.clone());

        let target = self.target(&tree, overlay.as_ref(), options, &name);
        let region = self.region(&tree, overlay.as_ref(), options, &name);
        values.insert("target".into(), target.value.name().into());
        values.insert("region".into(), region.value.clone());
        self.interpolator = Interpolator::new(values);

        // An environment may change the network, the domain and the cluster settings.
        let settings = overlay
            .as_ref()
            .map_or_else(|| tree.clone(), |overlay| overlay_workspace(&tree, overlay));
        let network = self.network(settings.child("network"));
        let egress = self.egress(settings.child("network"));
        let ecs = self.ecs(tree.child("ecs"));
        let default_namespace =
            Naming::new(&name.value, &environment.name.value, &region.value).prefix();
        // A new cluster's version is checked only where it is used, as of the check's day.
        let today = (target.value == Target::Eks)
            .then(|| options.today.unwrap_or(crate::eks_versions::REVIEWED));
        let eks = self.eks(settings.child("eks"), default_namespace, today, name.span);
        let domain = settings
            .child("domain")
            .and_then(|domain| self.domain(domain, &region));
        if target.value == Target::Eks {
            self.check_shared_namespaces(document, &tree, &environment);
        }
        let tags = self.map(tree.child("tags"));
        let workloads = self.workloads(document, overlay.as_ref());
        if workloads.is_empty()
            && !document.nodes().iter().any(|node| {
                WORKLOADS
                    .iter()
                    .any(|(kind, _)| node.name().value() == *kind)
            })
        {
            self.report(
                Diagnostic::new(
                    Code::NoWorkloads,
                    format!("workspace `{}` has no service, worker or job", name.value),
                    name.span,
                    "nothing to run",
                )
                .with_help(
                    "add `service \"web\" { image \"…\"; port 8080 }` or a `worker` or `job`",
                ),
            );
        }
        Some(Workspace {
            name,
            environment: environment.name,
            target,
            region,
            network,
            egress,
            ecs,
            eks,
            domain,
            tags,
            workloads,
        })
    }

    /// The environment's `name` child if it has one, else the workspace's: whether it is written,
    /// and its rendered text.
    fn overlaid_text(
        &mut self,
        tree: &Tree<'_>,
        overlay: Option<&Tree<'_>>,
        name: &str,
    ) -> (bool, Option<Spanned<String>>) {
        let written = overlay
            .and_then(|overlay| overlay.child(name))
            .or_else(|| tree.child(name));
        let text = written.and_then(|child| self.text(argument(child.node, 0)));
        (written.is_some(), text)
    }

    fn target(
        &mut self,
        tree: &Tree<'_>,
        overlay: Option<&Tree<'_>>,
        options: &Options,
        name: &Spanned<String>,
    ) -> Spanned<Target> {
        let (_, text) = self.overlaid_text(tree, overlay, "target");
        if let Some(target) = options.target {
            return Spanned::new(target, text.map_or(name.span, |text| text.span));
        }
        let Some(text) = text else {
            return Spanned::new(Target::Fargate, name.span);
        };
        if let Some(target) = Target::from_name(&text.value) {
            Spanned::new(target, text.span)
        } else {
            if crate::interpolate::has_expression(
                self.source
                    .get(text.span.offset..text.span.end())
                    .unwrap_or_default(),
            ) {
                self.invalid(
                    text.span,
                    format!("`{}` is not a target", text.value),
                    "not a target",
                    "use `ecs`, `fargate` or `eks`",
                );
            }
            Spanned::new(Target::Fargate, text.span)
        }
    }

    fn region(
        &mut self,
        tree: &Tree<'_>,
        overlay: Option<&Tree<'_>>,
        options: &Options,
        name: &Spanned<String>,
    ) -> Spanned<String> {
        let (written, text) = self.overlaid_text(tree, overlay, "region");
        if let Some(region) = &options.region {
            let span = text.as_ref().map_or(name.span, |text| text.span);
            if !is_region(region) {
                self.invalid(
                    span,
                    format!("`{region}` (from `--region`) is not an AWS region"),
                    "region given on the command line",
                    "regions look like `eu-west-1` or `us-gov-west-1`",
                );
            } else if let Some(text) = text.as_ref().filter(|text| text.value != *region) {
                self.report(
                    Diagnostic::new(
                        Code::RegionOverride,
                        format!("`--region {region}` replaces the region `{}` written here", text.value),
                        text.span,
                        "replaced by `--region`",
                    )
                    .with_help("the file's region is the declaration; drop `--region` to use it, or change the file"),
                );
            }
            return Spanned::new(region.clone(), span);
        }
        let Some(region) = text else {
            if written {
                return Spanned::new(String::new(), name.span);
            }
            let Some(default) = &options.default_region else {
                self.report(
                    Diagnostic::new(Code::MissingField, format!("workspace `{}` has no region", name.value), name.span, "no `region` here")
                        .with_help("add `region \"eu-west-1\"` to the workspace, or pass `--region` or set `AWS_REGION`"),
                );
                return Spanned::new(String::new(), name.span);
            };
            if !is_region(default) {
                self.invalid(
                    name.span,
                    format!("`{default}` (from `AWS_REGION`) is not an AWS region"),
                    "no `region` here, so `AWS_REGION` applies",
                    "set `AWS_REGION` to a region such as `eu-west-1`, or add `region` to the workspace",
                );
            }
            return Spanned::new(default.clone(), name.span);
        };
        if !is_region(&region.value) {
            self.invalid(
                region.span,
                format!("`{}` is not an AWS region", region.value),
                "not a region",
                "regions look like `eu-west-1` or `us-gov-west-1`",
            );
        }
        region
    }

    fn network(&mut self, tree: Option<&Tree<'_>>) -> Network {
        let default = || Network::New {
            cidr: Spanned::new("10.0.0.0/16".into(), Span::default()),
            zones: 2,
            nat: false,
        };
        let Some(tree) = tree else { return default() };
        if let Some(vpc) = self.child_text(tree, "vpc") {
            for conflicting in ["cidr", "zones", "nat"] {
                if let Some(child) = tree.child(conflicting) {
                    self.invalid(
                        name_span(child.node),
                        format!("`{conflicting}` cannot be combined with `vpc`"),
                        "conflicts with `vpc`",
                        "an existing VPC keeps its own layout; remove this line or `vpc`",
                    );
                }
            }
            if !is_resource_id(&vpc.value, "vpc-") {
                self.invalid(
                    vpc.span,
                    format!("`{}` is not a VPC id", vpc.value),
                    "not a VPC id",
                    "VPC ids look like `vpc-0abc1234def567890`",
                );
            }
            let public_subnets = self.subnets(tree, "public-subnets");
            let private_subnets = self.subnets(tree, "private-subnets");
            if public_subnets.len() < 2 && tree.child("public-subnets").is_some() {
                let span = tree
                    .child("public-subnets")
                    .map_or(vpc.span, |child| name_span(child.node));
                self.report(
                    Diagnostic::new(
                        Code::MissingField,
                        "the load balancer needs public subnets in at least two zones",
                        span,
                        "one subnet here",
                    )
                    .with_help("list a public subnet in each of two or more availability zones"),
                );
            }
            if tree.child("public-subnets").is_none() {
                self.report(
                    Diagnostic::new(Code::MissingField, "an existing VPC needs `public-subnets`", vpc.span, "no public subnets given")
                        .with_help("add `public-subnets \"subnet-…\" \"subnet-…\"` (and `private-subnets` if workloads should run privately)"),
                );
            }
            return Network::Existing {
                vpc,
                public_subnets,
                private_subnets,
            };
        }
        for existing_only in ["public-subnets", "private-subnets"] {
            if let Some(child) = tree.child(existing_only) {
                self.invalid(
                    name_span(child.node),
                    format!("`{existing_only}` needs `vpc`"),
                    "without `vpc`",
                    "subnets can only be reused with an existing VPC: add `vpc \"vpc-…\"`",
                );
            }
        }
        let cidr = self
            .child_text(tree, "cidr")
            .unwrap_or_else(|| Spanned::new("10.0.0.0/16".into(), Span::default()));
        if let Err(reason) = check_cidr(&cidr.value) {
            self.invalid(
                cidr.span,
                format!("`{}` is not a usable VPC CIDR block: {reason}", cidr.value),
                "invalid CIDR",
                "use a private range with a prefix from /16 to /24, e.g. `10.20.0.0/16`",
            );
        }
        let zones = self
            .child_integer(tree, "zones")
            .map_or(2, |zones| u8::try_from(zones.value).unwrap_or(2));
        let nat = self.child_bool(tree, "nat").unwrap_or(false);
        Network::New { cidr, zones, nat }
    }

    fn subnets(&mut self, tree: &Tree<'_>, name: &str) -> Vec<Spanned<String>> {
        let Some(child) = tree.child(name) else {
            return Vec::new();
        };
        let subnets = self.all_text(child.node);
        for subnet in &subnets {
            if !is_resource_id(&subnet.value, "subnet-") {
                self.invalid(
                    subnet.span,
                    format!("`{}` is not a subnet id", subnet.value),
                    "not a subnet id",
                    "subnet ids look like `subnet-0abc1234def567890`",
                );
            }
        }
        subnets
    }

    fn ecs(&mut self, tree: Option<&Tree<'_>>) -> EcsCapacity {
        let instance_type = tree
            .and_then(|tree| self.child_text(tree, "instance-type"))
            .unwrap_or_else(|| {
                Spanned::new(crate::instance_types::DEFAULT.into(), Span::default())
            });
        let min = tree.and_then(|tree| self.child_integer(tree, "min"));
        let max = tree.and_then(|tree| self.child_integer(tree, "max"));
        if let (Some(min), Some(max)) = (&min, &max) {
            self.check_order(min, max, "`min`", "`max`");
        }
        EcsCapacity {
            instance_type,
            min: min.map_or(1, |min| min.value),
            max: max.map_or(4, |max| max.value),
            span: tree.map(|tree| name_span(tree.node)),
        }
    }

    fn domain(&mut self, tree: &Tree<'_>, region: &Spanned<String>) -> Option<Domain> {
        let host = self.text(argument(tree.node, 0))?;
        let certificate = self.text(property(tree.node, "certificate"))?;
        if !is_host_name(&host.value) {
            self.invalid(
                host.span,
                format!("`{}` is not a host name", host.value),
                "not a host name",
                "write a DNS name such as `shop.example.com`",
            );
        }
        if !is_certificate_arn(&certificate.value) {
            self.invalid(
                certificate.span,
                "the certificate is not an ACM certificate ARN".into(),
                "not an ACM ARN",
                "ACM ARNs look like `arn:aws:acm:eu-west-1:123456789012:certificate/…`",
            );
        } else if let Some((offset, certificate_region)) = arn_region(&certificate.value)
            && !region.value.is_empty()
            && certificate_region != region.value
        {
            let span = self.inner_span(
                certificate.span,
                &certificate.value,
                offset,
                certificate_region.len(),
            );
            self.report(
                Diagnostic::new(
                    Code::CertificateRegion,
                    format!(
                        "the certificate is in `{certificate_region}`, but the load balancer is in `{}`",
                        region.value
                    ),
                    span,
                    "certificate's region",
                )
                .with_label(region.span, "the load balancer's region")
                .with_help(format!(
                    "a load balancer can only use an ACM certificate of its own region: request or import one for `{}` in `{}`",
                    host.value, region.value
                )),
            );
        }
        Some(Domain { host, certificate })
    }

    /// A `KEY "value"` map, rendered.
    pub(super) fn map(&mut self, tree: Option<&Tree<'_>>) -> BTreeMap<String, Spanned<String>> {
        let mut map = BTreeMap::new();
        for entry in tree
            .map(|tree| tree.children.as_slice())
            .unwrap_or_default()
        {
            if let Some(value) = self.scalar(argument(entry.node, 0)) {
                map.insert(entry.name().to_owned(), value);
            }
        }
        map
    }

    pub(super) fn check_order(
        &mut self,
        low: &Spanned<u32>,
        high: &Spanned<u32>,
        low_name: &str,
        high_name: &str,
    ) {
        if low.value > high.value {
            self.report(
                Diagnostic::new(
                    Code::OutOfRange,
                    format!(
                        "{low_name} ({}) is greater than {high_name} ({})",
                        low.value, high.value
                    ),
                    low.span,
                    "greater",
                )
                .with_label(high.span, "than this")
                .with_help(format!("make {low_name} at most {high_name}")),
            );
        }
    }

    fn workloads(
        &mut self,
        document: &KdlDocument,
        overlay: Option<&Tree<'_>>,
    ) -> Vec<crate::model::Workload> {
        let base: Vec<(Tree<'_>, WorkloadKind)> = document
            .nodes()
            .iter()
            .filter_map(|node| {
                WORKLOADS
                    .iter()
                    .find(|(name, _)| node.name().value() == *name)
                    .map(|(_, kind)| (Tree::of(node), *kind))
            })
            .collect();
        let mut merged = base.clone();
        // The first workload of each name, found by the overlays in constant time.
        let mut by_key: HashMap<Option<String>, usize> = HashMap::with_capacity(base.len());
        for (index, (tree, _)) in base.iter().enumerate() {
            by_key.entry(tree.key()).or_insert(index);
        }
        // Every environment is checked against the workloads; only the selected one is applied.
        let environments: Vec<Tree<'_>> = document
            .nodes()
            .iter()
            .filter(|node| node.name().value() == "environment")
            .map(Tree::of)
            .collect();
        let changes = environments.iter().flat_map(|environment| {
            let selected =
                overlay.is_some_and(|overlay| std::ptr::eq(overlay.node, environment.node));
            environment
                .children
                .iter()
                .map(move |change| (change, selected))
        });
        for (change, selected) in changes {
            let Some((_, kind)) = WORKLOADS.iter().find(|(name, _)| change.name() == *name) else {
                continue;
            };
            let key = change.key();
            let Some(&index) = by_key.get(&key) else {
                let span = argument(change.node, 0)
                    .map_or_else(|| name_span(change.node), |entry| entry.span().into());
                self.report(
                    Diagnostic::new(Code::OverlayAddsWorkload, format!("environment overlay names `{}`, which the workspace does not declare", key.unwrap_or_default()), span, "not declared at the top level")
                        .with_help("environments can change workloads but not add them: declare it at the top level"),
                );
                continue;
            };
            if merged[index].1 != *kind {
                let span = argument(change.node, 0)
                    .map_or_else(|| name_span(change.node), |entry| entry.span().into());
                let declared = name_span(merged[index].0.node);
                self.report(
                    Diagnostic::new(
                        Code::OverlayAddsWorkload,
                        format!(
                            "`{}` is a `{}`, not a `{}`",
                            key.unwrap_or_default(),
                            merged[index].1.name(),
                            kind.name()
                        ),
                        span,
                        "overlaid as another kind",
                    )
                    .with_label(declared, "declared here")
                    .with_help(format!(
                        "write `{} \"…\"` in the environment",
                        merged[index].1.name()
                    )),
                );
                continue;
            }
            if !selected {
                continue;
            }
            let node_schema = schema::ROOT.child(kind.name()).unwrap_or(&schema::ROOT);
            merged[index].0 = merge(&merged[index].0, change, node_schema);
        }
        merged
            .iter()
            .filter_map(|(tree, kind)| self.workload(tree, *kind))
            .collect()
    }
}

/// The region of an ARN and its byte offset in the ARN, e.g. `eu-west-1` at 12.
fn arn_region(arn: &str) -> Option<(usize, &str)> {
    let mut parts = arn.splitn(5, ':');
    let before: usize = parts.by_ref().take(3).map(|part| part.len() + 1).sum();
    parts.next().map(|region| (before, region))
}

fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts[0].len() == 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|character| character.is_ascii_lowercase() || character.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.chars().all(|character| character.is_ascii_digit()))
}

fn is_resource_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|character| character.is_ascii_hexdigit() && !character.is_ascii_uppercase())
    })
}

fn is_host_name(text: &str) -> bool {
    text.len() <= 253
        && text.contains('.')
        && text.split('.').enumerate().all(|(index, label)| {
            (index == 0 && label == "*")
                || !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|character| {
                        character.is_ascii_lowercase()
                            || character.is_ascii_digit()
                            || character == '-'
                    })
        })
}

fn is_certificate_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), [arn, partition, "acm", region, account, resource]
        if *arn == "arn" && partition.starts_with("aws") && is_region(region)
            && account.len() == 12 && account.chars().all(|character| character.is_ascii_digit())
            && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty()))
}

fn check_cidr(text: &str) -> Result<(), String> {
    let (address, prefix) = text.split_once('/').ok_or("it has no `/prefix`")?;
    let octets: Vec<u8> = address
        .split('.')
        .map(str::parse::<u8>)
        .collect::<Result<_, _>>()
        .map_err(|_| "the address is not IPv4")?;
    let [first, second, ..] = octets.as_slice() else {
        return Err("the address is not IPv4".into());
    };
    if octets.len() != 4 {
        return Err("the address is not IPv4".into());
    }
    let prefix: u8 = prefix.parse().map_err(|_| "the prefix is not a number")?;
    if !(16..=24).contains(&prefix) {
        return Err(format!("/{prefix} is outside /16–/24"));
    }
    let address = u32::from_be_bytes([octets[0], octets[1], octets[2], octets[3]]);
    if address & (u32::MAX >> prefix) != 0 {
        return Err("the address has bits set past the prefix".into());
    }
    let private = *first == 10
        || (*first == 172 && (16..=31).contains(second))
        || (*first == 192 && *second == 168);
    if !private {
        return Err("it is not a private (RFC 1918) range".into());
    }
    Ok(())
}
