//! Every name limit the naming rules own, at its boundary, through the public naming API:
//!
//! - names people type or read keep their exact form: a name of exactly its limit checks clean
//!   for that limit and one character more is `berth::name-too-long` (table-driven, one row per
//!   limit, each with the limit AWS or Kubernetes documents — written here, not read from the
//!   code, so a changed constant fails);
//! - names in the file are DNS labels of at most 63 characters;
//! - names AWS only needs to be unique (IAM roles, target groups, the load balancer, Service
//!   Connect discovery names) are kept at exactly their limit and shortened, to exactly their
//!   limit, one character over it; and every such name in the emitted templates fits.

use std::collections::BTreeSet;

use berth_compiler::diagnostics::Diagnostics;
use berth_compiler::emit::{ArtifactKind, TemplateFormat, emit};
use berth_compiler::model::{Protocol, Target};
use berth_compiler::naming::{Naming, generated_names};
use berth_compiler::{Code, Options, check, lower, parse};
use serde_json::Value;

/// A name limit that is an error when exceeded: what the naming rules call the name, the limit
/// the platform documents, the target it applies on, and a workspace in which the varied name
/// (`NAME`, replaced by a name of any length) is part of such a name.
struct Exact {
    what: &'static str,
    max: usize,
    target: Target,
    source: &'static str,
}

const EXACT: &[Exact] = &[
    Exact {
        what: "CloudFormation stack",
        max: 128,
        target: Target::Fargate,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"NAME\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "ECS cluster, service or task family",
        max: 255,
        target: Target::Fargate,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"NAME\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "log group",
        max: 512,
        target: Target::Fargate,
        source: "workspace \"NAME\" {\n    region \"eu-west-1\"\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "ECR repository",
        max: 256,
        target: Target::Fargate,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"w\" {\n    image repository=\"NAME\" tag=\"1\"\n}\n",
    },
    Exact {
        what: "EKS cluster",
        max: 100,
        target: Target::Eks,
        source: "workspace \"NAME\" {\n    region \"eu-west-1\"\n    eks { namespace \"shop\"; }\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "EKS node group",
        max: 63,
        target: Target::Eks,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n    eks {\n        nodegroup \"NAME\" instance-type=\"t3.large\" min=1 max=2 desired=1\n    }\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "ALB ingress group",
        max: 63,
        target: Target::Eks,
        source: "workspace \"NAME\" {\n    region \"eu-west-1\"\n    eks { namespace \"shop\"; }\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "Kubernetes namespace",
        max: 63,
        target: Target::Eks,
        source: "workspace \"NAME\" {\n    region \"eu-west-1\"\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "Kubernetes label value",
        max: 63,
        target: Target::Eks,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"NAME\" {\n    image \"ghcr.io/acme/w:1\"\n}\n",
    },
    Exact {
        what: "Kubernetes CronJob",
        max: 52,
        target: Target::Eks,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\njob \"NAME\" {\n    image \"ghcr.io/acme/w:1\"\n    schedule \"0 3 * * *\"\n}\n",
    },
    Exact {
        what: "Kubernetes object",
        max: 253,
        target: Target::Eks,
        source: "workspace \"shop\" {\n    region \"eu-west-1\"\n}\nworker \"w\" {\n    image \"ghcr.io/acme/w:1\"\n    volume \"NAME\" path=\"/data\"\n}\n",
    },
];

/// A name of `length` characters that is a DNS label when short enough.
fn name_of(length: usize) -> String {
    "n".repeat(length)
}

fn options(target: Target) -> Options {
    Options {
        target: Some(target),
        ..Options::default()
    }
}

/// The longest name of kind `what` that contains `varied`, and its limit, from the naming rules'
/// own list for the lowered (not validated) workspace.
fn generated(source: &str, target: Target, what: &str, varied: &str) -> Option<(usize, usize)> {
    let document = parse(source).unwrap_or_else(|error| panic!("{error:?}\n{source}"));
    let mut diagnostics = Diagnostics::default();
    let workspace = lower(&document, source, &options(target), &mut diagnostics)
        .unwrap_or_else(|| panic!("does not lower:\n{source}"));
    generated_names(&workspace)
        .into_iter()
        .filter(|name| name.limit.what == what && name.value.contains(varied))
        .map(|name| (name.value.chars().count(), name.limit.max))
        .max()
}

/// Whether checking reports `what` as too long: in a name-too-long message, or in its help when
/// the same source makes another name even longer ("this also fixes the … name").
fn reported_too_long(source: &str, target: Target, what: &str) -> bool {
    check(source, &options(target))
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code == Code::NameTooLong)
        .any(|diagnostic| {
            diagnostic.message.starts_with(&format!("the {what} name "))
                || diagnostic
                    .help
                    .as_deref()
                    .and_then(|help| help.split_once("; this also fixes the "))
                    .is_some_and(|(_, also)| {
                        also.split(" and ").any(|other| other.starts_with(what))
                    })
        })
}

#[test]
fn every_exact_name_is_valid_at_its_limit_and_too_long_one_over() {
    let mut problems = Vec::new();
    for case in EXACT {
        // The varied name's share: the generated name's length with a one-character name.
        let (base, limit) = generated(
            &case.source.replace("NAME", "n"),
            case.target,
            case.what,
            "n",
        )
        .unwrap_or_else(|| panic!("no {} name in:\n{}", case.what, case.source));
        if limit != case.max {
            problems.push(format!(
                "{}: the naming rules' limit is {limit}; the platform's is {}",
                case.what, case.max
            ));
            continue;
        }
        for (length, too_long) in [(case.max, false), (case.max + 1, true)] {
            let varied = name_of(length - (base - 1));
            let source = case.source.replace("NAME", &varied);
            let (generated_length, _) =
                generated(&source, case.target, case.what, &varied).expect("generated");
            assert_eq!(
                generated_length, length,
                "{}: the row builds no name of {length}",
                case.what
            );
            if reported_too_long(&source, case.target, case.what) != too_long {
                problems.push(format!(
                    "{}: a name of {length} characters (limit {}) is {}reported too long",
                    case.what,
                    case.max,
                    if too_long { "not " } else { "" }
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_limit_the_naming_rules_check_has_a_boundary_row() {
    let rows: BTreeSet<&str> = EXACT.iter().map(|case| case.what).collect();
    let mut seen = BTreeSet::new();
    for source in [
        EXACT[0].source.replace("NAME", "w"),
        EXACT[3].source.replace("NAME", "w"),
        EXACT[5].source.replace("NAME", "w"),
        EXACT[9].source.replace("NAME", "w"),
        EXACT[10].source.replace("NAME", "w"),
    ] {
        for target in [Target::Ecs, Target::Fargate, Target::Eks] {
            let document = parse(&source).expect("parses");
            let mut diagnostics = Diagnostics::default();
            let workspace =
                lower(&document, &source, &options(target), &mut diagnostics).expect("lowers");
            seen.extend(
                generated_names(&workspace)
                    .into_iter()
                    .map(|name| name.limit.what),
            );
        }
    }
    // Container port names (`<protocol>-<port>`, at most 15) cannot reach their limit: the
    // longest is checked below.
    seen.remove("container port name");
    let missing: Vec<&&str> = seen.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "limits without a boundary row: {missing:?}"
    );
}

#[test]
fn names_in_the_file_are_dns_labels_of_at_most_63_characters() {
    for (length, valid) in [(63, true), (64, false)] {
        let name = name_of(length);
        for source in [
            format!(
                "workspace \"{name}\" {{\n    region \"eu-west-1\"\n}}\nworker \"w\" {{\n    image \"ghcr.io/acme/w:1\"\n}}\n"
            ),
            format!(
                "workspace \"shop\" {{\n    region \"eu-west-1\"\n}}\nworker \"{name}\" {{\n    image \"ghcr.io/acme/w:1\"\n}}\n"
            ),
        ] {
            let invalid = check(&source, &options(Target::Fargate))
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == Code::InvalidName);
            assert_eq!(
                invalid,
                !valid,
                "a name of {length} characters is {}an invalid name:\n{source}",
                if invalid { "" } else { "not " }
            );
        }
    }
}

#[test]
fn the_longest_container_port_name_fits_kubernetes_15_characters() {
    for protocol in [Protocol::Http, Protocol::Tcp, Protocol::Grpc] {
        let name = Naming::port_name(protocol.name(), u16::MAX);
        assert!(name.len() <= 15, "`{name}` is over 15 characters");
    }
}

/// A name kept exactly at its limit and shortened to its limit one character over: `build`
/// makes the name from a varied part of the given length.
fn assert_shortened_at(what: &str, max: usize, build: &dyn Fn(&str) -> String) {
    let base = build("n").chars().count() - 1;
    let exact = name_of(max - base);
    assert_eq!(
        build(&exact).chars().count(),
        max,
        "{what}: a name of exactly {max} characters is changed"
    );
    assert!(
        build(&exact).contains(&exact),
        "{what}: a name of exactly {max} characters is shortened"
    );
    let over = name_of(max + 1 - base);
    let full_length = max + 1;
    let shortened = build(&over);
    assert_eq!(
        shortened.chars().count(),
        max,
        "{what}: a name of {full_length} characters becomes `{shortened}`, not {max} characters"
    );
    let (kept, hash) = shortened.rsplit_once('-').expect("a hash after `-`");
    assert!(
        hash.len() == 8 && hash.chars().all(|character| character.is_ascii_hexdigit()),
        "{what}: `{shortened}` does not end with eight hex digits"
    );
    assert!(
        !kept.is_empty(),
        "{what}: `{shortened}` keeps nothing of the name"
    );
    let other = build(&format!("{}m", name_of(max - base)));
    assert_ne!(shortened, other, "{what}: two long names shorten to one");
}

#[test]
fn names_aws_only_needs_unique_are_shortened_at_exactly_their_limit() {
    assert_shortened_at("IAM role (workload)", 64, &|varied| {
        Naming::new("shop", "prod", "eu-west-1").workload_role(varied, "task")
    });
    assert_shortened_at("IAM role (platform)", 64, &|varied| {
        Naming::new(varied, "prod", "eu-west-1").platform_role("instance")
    });
    assert_shortened_at("target group", 32, &|varied| {
        Naming::new("shop", "prod", "eu-west-1").target_group(varied, 8080)
    });
    assert_shortened_at("load balancer", 32, &|varied| {
        Naming::new(varied, "prod", "eu-west-1").load_balancer()
    });
    assert_shortened_at("Service Connect discovery name", 64, &|varied| {
        Naming::discovery_name(varied, 8080)
    });
}

/// Every value of `key` under a resource of type `kind` in `template`.
fn names_in(template: &Value, kind: &str, key: &str) -> Vec<String> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|resources| resources.values())
        .filter(|resource| resource["Type"] == kind)
        .filter_map(|resource| resource["Properties"][key].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn emitted_roles_target_groups_and_load_balancers_fit_aws_limits() {
    // The longest names the language allows (63-character labels) on a long region.
    let long = name_of(63);
    let source = format!(
        "workspace \"{long}\" {{\n    region \"ap-southeast-2\"\n}}\nservice \"{long}\" {{\n    image \"ghcr.io/acme/w:1\"\n    port 8080 {{ public #true; path \"/\"; }}\n}}\njob \"j\" {{\n    image \"ghcr.io/acme/j:1\"\n    schedule \"0 3 * * *\"\n}}\n"
    );
    let mut checked_names = 0;
    for target in [Target::Ecs, Target::Fargate] {
        let checked = check(&source, &options(target));
        // The stack name `<workspace>-<env>-<service>` is over 128: give the service a name
        // that fits and keep the workspace long.
        let workspace = checked.workspace.or_else(|| {
            let shorter = source.replacen(&format!("service \"{long}\""), "service \"web\"", 1);
            check(&shorter, &options(target)).workspace
        });
        let workspace = workspace.unwrap_or_else(|| panic!("invalid for {}", target.name()));
        let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
        for artifact in artifacts
            .files
            .iter()
            .filter(|artifact| artifact.kind == ArtifactKind::Cloudformation)
        {
            let template: Value = serde_json::from_str(&artifact.content).expect("JSON");
            for (kind, key, max) in [
                ("AWS::IAM::Role", "RoleName", 64),
                ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name", 32),
                ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name", 32),
            ] {
                for name in names_in(&template, kind, key) {
                    checked_names += 1;
                    assert!(
                        name.chars().count() <= max,
                        "{} {}: {kind} `{name}` is over {max} characters",
                        target.name(),
                        artifact.path
                    );
                }
            }
        }
    }
    assert!(checked_names >= 8, "only {checked_names} names checked");
}
