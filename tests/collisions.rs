//! One AWS account, two workspaces, two environments each, two regions, on every target (on eks
//! both into one existing cluster per region that every workspace deploys into, and each into a
//! cluster of its own): no two deployments may create a name that must be unique in its scope,
//! except what is deliberately shared.
//!
//! The names are read from what `berth build` emits — the templates' resource properties and
//! exports, the Kubernetes objects, `manifest.json` — never recomputed here, and each is claimed
//! in the scope AWS or Kubernetes makes it unique in:
//!
//! - the account: IAM role, managed policy and instance profile names, S3 buckets;
//! - a region: stacks (and the deploy lock), exports, log groups, SSM parameters, ECR
//!   repositories, ECS clusters and task families, load balancers, target groups, secrets, Cloud
//!   Map namespaces, state machines, schedules, alarms, KMS aliases, EKS clusters;
//! - an ECS cluster: service names; a Cloud Map namespace: its services and Service Connect
//!   discovery names; a scalable target: its scaling policies;
//! - an EKS cluster: access entries, Pod Identity associations (namespace and service account),
//!   node groups, add-ons, cluster-scoped Kubernetes objects (Namespaces, StorageClasses,
//!   IngressClasses…) and ALB ingress groups (the load balancer controller merges an ingress
//!   group across namespaces); a namespace: its objects.
//!
//! Owners are `(workspace, environment, region)`: the builds of one owner for different targets
//! are the same deployment, so they may share names; every other owner must not.

use std::collections::{BTreeMap, BTreeSet};

use berth_compiler::emit::{ArtifactKind, TemplateFormat, emit};
use berth_compiler::model::Target;
use berth_compiler::{Options, check};
use serde_json::Value;

const WORKSPACES: [&str; 2] = ["shop", "billing"];
const ENVIRONMENTS: [&str; 2] = ["dev", "prod"];
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
/// Each target, and on eks whether the deployments share one existing cluster per region (the
/// case the shared stack is for) or each creates its own.
const DEPLOYMENTS: [(Target, bool); 4] = [
    (Target::Ecs, false),
    (Target::Fargate, false),
    (Target::Eks, true),
    (Target::Eks, false),
];
/// The existing EKS cluster each region's workspaces deploy into.
const CLUSTER: &str = "platform";
/// A principal every new cluster gives admin access to (`eks { admins … }`): access entries are
/// unique per cluster and principal.
const ADMIN: &str = "arn:aws:iam::123456789012:role/platform-admins";

/// What every deployment on one cluster creates once, in the cluster's shared stack
/// (`berth-eks-<cluster>`, docs/eks.md): EKS allows one Pod Identity association per service
/// account, so the External Secrets controller's role and association cannot belong to any one
/// workspace. Each entry: the kind of name, and why it is shared.
const SHARED: &[(&str, &str)] = &[
    (
        "stack",
        "the cluster's shared stack is emitted byte for byte the same by every build, so the second deploy finds it up to date",
    ),
    (
        "export",
        "the shared stack exports the controller's role ARN, which every workspace's pod roles trust",
    ),
    (
        "Pod Identity association",
        "`external-secrets/external-secrets`: one controller per cluster serves every namespace",
    ),
];

/// Top-level resource properties whose value names a unique thing, with the scope it is unique
/// in: `(type, property, scope)`. `scope` is `account`, `region`, `EKS cluster` (the one named by
/// `ClusterName`), or the property whose (resolved) value is the scope.
const NAMED: &[(&str, &str, &str)] = &[
    ("AWS::IAM::Role", "RoleName", "account"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName", "account"),
    (
        "AWS::IAM::InstanceProfile",
        "InstanceProfileName",
        "account",
    ),
    ("AWS::S3::Bucket", "BucketName", "account"),
    ("AWS::Logs::LogGroup", "LogGroupName", "region"),
    ("AWS::SSM::Parameter", "Name", "region"),
    ("AWS::ECR::Repository", "RepositoryName", "region"),
    ("AWS::ECS::Cluster", "ClusterName", "region"),
    ("AWS::ECS::TaskDefinition", "Family", "region"),
    ("AWS::ECS::CapacityProvider", "Name", "region"),
    ("AWS::ECS::Service", "ServiceName", "Cluster"),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Name",
        "region",
    ),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name", "region"),
    ("AWS::SecretsManager::Secret", "Name", "region"),
    (
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "Name",
        "region",
    ),
    ("AWS::ServiceDiscovery::HttpNamespace", "Name", "region"),
    ("AWS::ServiceDiscovery::Service", "Name", "NamespaceId"),
    (
        "AWS::StepFunctions::StateMachine",
        "StateMachineName",
        "region",
    ),
    ("AWS::Scheduler::Schedule", "Name", "region"),
    ("AWS::Events::Rule", "Name", "region"),
    ("AWS::CloudWatch::Alarm", "AlarmName", "region"),
    ("AWS::KMS::Alias", "AliasName", "region"),
    (
        "AWS::AutoScaling::AutoScalingGroup",
        "AutoScalingGroupName",
        "region",
    ),
    ("AWS::EC2::LaunchTemplate", "LaunchTemplateName", "region"),
    ("AWS::EC2::SecurityGroup", "GroupName", "VpcId"),
    ("AWS::EKS::Cluster", "Name", "region"),
    ("AWS::EKS::Nodegroup", "NodegroupName", "EKS cluster"),
    ("AWS::EKS::Addon", "AddonName", "EKS cluster"),
    ("AWS::EKS::AccessEntry", "PrincipalArn", "EKS cluster"),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "PolicyName",
        "ScalingTargetId",
    ),
];

/// Top-level `…Name` properties that name no new unique thing, and why.
const NOT_NAMES: &[(&str, &str, &str)] = &[
    (
        "AWS::IAM::Policy",
        "PolicyName",
        "an inline policy's name is unique only within its role",
    ),
    (
        "AWS::EC2::FlowLog",
        "LogGroupName",
        "refers to the flow log group, which is claimed where it is created",
    ),
    (
        "AWS::EKS::PodIdentityAssociation",
        "ClusterName",
        "the association's scope; the association is claimed by namespace and service account",
    ),
    (
        "AWS::EKS::Nodegroup",
        "ClusterName",
        "the node group name's scope",
    ),
    ("AWS::EKS::Addon", "ClusterName", "the add-on name's scope"),
    (
        "AWS::EKS::AccessEntry",
        "ClusterName",
        "the access entry's scope",
    ),
];

/// One deployment's build for one target.
struct Build {
    owner: String,
    region: String,
    manifest: Value,
    /// `(path, stack, kind, content)` of every artifact but `manifest.json`.
    files: Vec<(String, Option<String>, ArtifactKind, String)>,
}

/// Where a claimed name came from.
#[derive(Clone, Debug)]
struct Origin {
    owner: String,
    artifact: String,
    /// Whether the artifact is one of the cluster's shared stacks (`manifest.json`,
    /// `eks.shared_stacks`).
    shared: bool,
}

/// A name that must be unique: its scope, what it is, and the name.
type Key = (String, &'static str, String);

/// The workspace `workspace` in `region`, with two environments: a public autoscaled service
/// reading a secret with a shared volume, a service with an owned repository and a role, a
/// worker and a scheduled job. On eks it deploys into the existing cluster `platform` and its
/// VPC when `existing_cluster`, else into a cluster of its own with an admin besides the
/// deployer; berth creates the network otherwise.
fn source(workspace: &str, region: &str, target: Target, existing_cluster: bool) -> String {
    let placement = if target == Target::Eks && existing_cluster {
        // Each region's VPC and subnets have ids of their own.
        let id = if region == REGIONS[0] { 'a' } else { 'b' };
        format!(
            r#"
    network {{
        vpc "vpc-0{id}bc1234def567890"
        public-subnets "subnet-0{id}aa1111bbb22222c" "subnet-0{id}dd3333eee44444f"
        private-subnets "subnet-0{id}bb5555ccc66666a" "subnet-0{id}ee7777fff88888b"
    }}
    eks {{ cluster "{CLUSTER}"; }}"#
        )
    } else if target == Target::Eks {
        format!("\n    eks {{ admins \"{ADMIN}\"; }}")
    } else {
        String::new()
    };
    format!(
        r#"
workspace "{workspace}" {{
    region "{region}"{placement}
}}
environment "dev" {{}}
environment "prod" {{}}
service "web" {{
    image "ghcr.io/acme/web:1.0"
    port 8080 {{ public #true; path "/"; }}
    replicas min=2 max=4 {{ cpu 70; }}
    secret "KEY" from="ssm:/{workspace}/key"
    volume "data" path="/data" shared=#true
    env {{ API_URL "http://api:9000"; }}
}}
service "api" {{
    image repository="api" tag="1.0"
    port 9000
    role {{ allow "sqs:ReceiveMessage" resource="arn:aws:sqs:{region}:123456789012:{workspace}"; }}
}}
worker "mailer" {{
    image "ghcr.io/acme/mailer:1.0"
}}
job "nightly" {{
    image "ghcr.io/acme/report:1.0"
    schedule "0 3 * * *"
}}
"#
    )
}

/// Every deployment's build for `target` (on eks, into one existing cluster per region or each
/// into its own).
fn builds(target: Target, existing_cluster: bool) -> Vec<Build> {
    let mut builds = Vec::new();
    for workspace in WORKSPACES {
        for region in REGIONS {
            let text = source(workspace, region, target, existing_cluster);
            for environment in ENVIRONMENTS {
                let checked = check(
                    &text,
                    &Options {
                        environment: Some(environment.to_owned()),
                        target: Some(target),
                        ..Options::default()
                    },
                );
                let workspace_model = checked.workspace.unwrap_or_else(|| {
                    panic!(
                        "{workspace}/{environment} is invalid for {}: {:#?}",
                        target.name(),
                        checked.diagnostics
                    )
                });
                let artifacts = emit(&workspace_model, TemplateFormat::Json).expect("emits");
                builds.push(Build {
                    owner: format!("{workspace}/{environment}/{region}"),
                    region: region.to_owned(),
                    manifest: serde_json::from_str(&artifacts.manifest.to_json())
                        .expect("manifest.json"),
                    files: artifacts
                        .files
                        .into_iter()
                        .map(|file| (file.path, file.stack, file.kind, file.content))
                        .collect(),
                });
            }
        }
    }
    builds
}

/// The templates of a build by stack name.
fn templates(build: &Build) -> BTreeMap<String, Value> {
    build
        .files
        .iter()
        .filter(|(_, _, kind, _)| *kind == ArtifactKind::Cloudformation)
        .map(|(path, stack, _, content)| {
            let stack = stack
                .clone()
                .unwrap_or_else(|| panic!("{path} has no stack"));
            (stack, serde_json::from_str(content).expect("JSON"))
        })
        .collect()
}

/// A value as the name of what it denotes in `region`: a literal as itself, an import as the
/// exported value (or, when that is not literal, what it denotes in the exporting stack), a
/// `Ref` or `GetAtt` as the resource of `stack` it names, a `Fn::Join` joined.
fn resolve(
    value: &Value,
    stack: &str,
    region: &str,
    templates: &BTreeMap<String, Value>,
) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(object) => {
            if let Some(Value::String(export)) = object.get("Fn::ImportValue") {
                for (exporter, template) in templates {
                    for output in template["Outputs"].as_object().into_iter().flatten() {
                        if output.1["Export"]["Name"] == *export {
                            return resolve(&output.1["Value"], exporter, region, templates);
                        }
                    }
                }
                return format!("export {region}/{export}");
            }
            if let Some(Value::String(id)) = object.get("Ref") {
                // A cluster's `Ref` is its name, by which the other stacks name it too.
                let resource = &templates[stack]["Resources"][id];
                let name = match resource["Type"].as_str() {
                    Some("AWS::EKS::Cluster") => &resource["Properties"]["Name"],
                    Some("AWS::ECS::Cluster") => &resource["Properties"]["ClusterName"],
                    _ => &Value::Null,
                };
                return name
                    .as_str()
                    .map_or_else(|| format!("resource {region}/{stack}/{id}"), str::to_owned);
            }
            if let Some(Value::Array(attribute)) = object.get("Fn::GetAtt") {
                let id = attribute[0].as_str().unwrap_or_default();
                return format!("resource {region}/{stack}/{id}");
            }
            if let Some(Value::Array(join)) = object.get("Fn::Join")
                && let [Value::String(separator), Value::Array(parts)] = join.as_slice()
            {
                return parts
                    .iter()
                    .map(|part| resolve(part, stack, region, templates))
                    .collect::<Vec<_>>()
                    .join(separator);
            }
            value.to_string()
        }
        other => other.to_string(),
    }
}

/// Every name a build claims, with its origin.
fn claims(build: &Build) -> Vec<(Key, Origin)> {
    let region = &build.region;
    let shared_stacks: BTreeSet<&str> = build.manifest["eks"]["shared_stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|shared| shared["stack"].as_str())
        .collect();
    let origin = |artifact: &str, shared: bool| Origin {
        owner: build.owner.clone(),
        artifact: artifact.to_owned(),
        shared,
    };
    let mut found: Vec<(Key, Origin)> = Vec::new();
    let mut claim = |scope: String, what: &'static str, name: String, from: Origin| {
        found.push(((scope, what, name), from));
    };
    let in_region = format!("region {region}");
    // Stacks as manifest.json names them, the deploy lock included.
    for artifact in build.manifest["artifacts"].as_array().into_iter().flatten() {
        if let Some(stack) = artifact["stack"].as_str() {
            let path = artifact["path"].as_str().unwrap_or_default();
            claim(
                in_region.clone(),
                "stack",
                stack.to_owned(),
                origin(path, shared_stacks.contains(stack)),
            );
        }
    }
    if let Some(lock) = build.manifest["lock_stack"].as_str() {
        claim(
            in_region.clone(),
            "stack",
            lock.to_owned(),
            origin("manifest.json", false),
        );
    }
    let templates = templates(build);
    for (stack, template) in &templates {
        let shared = shared_stacks.contains(stack.as_str());
        for (_, output) in template["Outputs"].as_object().into_iter().flatten() {
            if let Some(name) = output.get("Export").map(|export| &export["Name"]) {
                claim(
                    in_region.clone(),
                    "export",
                    resolve(name, stack, region, &templates),
                    origin(stack, shared),
                );
            }
        }
        for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
            let kind = resource["Type"].as_str().unwrap_or_default();
            let properties = &resource["Properties"];
            let here = origin(&format!("{stack}/{id}"), shared);
            for (named, property, scope) in NAMED {
                if *named != kind || properties[*property].is_null() {
                    continue;
                }
                let scope = match *scope {
                    "account" => "account".to_owned(),
                    "region" => in_region.clone(),
                    "EKS cluster" => format!(
                        "EKS cluster {region}/{}",
                        resolve(&properties["ClusterName"], stack, region, &templates)
                    ),
                    by => format!(
                        "{by} {}",
                        resolve(&properties[by], stack, region, &templates)
                    ),
                };
                claim(
                    scope,
                    named,
                    resolve(&properties[*property], stack, region, &templates),
                    here.clone(),
                );
            }
            if kind == "AWS::EKS::PodIdentityAssociation" {
                let cluster = resolve(&properties["ClusterName"], stack, region, &templates);
                claim(
                    format!("EKS cluster {region}/{cluster}"),
                    "Pod Identity association",
                    format!(
                        "{}/{}",
                        resolve(&properties["Namespace"], stack, region, &templates),
                        resolve(&properties["ServiceAccount"], stack, region, &templates)
                    ),
                    here.clone(),
                );
            }
            let connect = &properties["ServiceConnectConfiguration"];
            for service in connect["Services"].as_array().into_iter().flatten() {
                let namespace = resolve(&connect["Namespace"], stack, region, &templates);
                claim(
                    format!("Cloud Map namespace {namespace}"),
                    "Service Connect discovery name",
                    resolve(&service["DiscoveryName"], stack, region, &templates),
                    here.clone(),
                );
            }
        }
    }
    // Kubernetes objects, in the cluster manifest.json names.
    let cluster = format!(
        "EKS cluster {region}/{}",
        build.manifest["eks"]["cluster"]
            .as_str()
            .unwrap_or_default()
    );
    let mut groups = BTreeSet::new();
    for (path, _, kind, content) in &build.files {
        if *kind != ArtifactKind::Kubernetes {
            continue;
        }
        let documents: Vec<Value> = serde_saphyr::from_str_multiple(content).expect("YAML");
        for document in documents {
            let object_kind = document["kind"].as_str().unwrap_or_default();
            let name = document["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let scope = match &document["metadata"]["namespace"] {
                Value::String(namespace) => format!("{cluster} namespace {namespace}"),
                _ => cluster.clone(),
            };
            claim(
                scope,
                "Kubernetes object",
                format!("{object_kind} {name}"),
                origin(path, false),
            );
            if let Some(group) =
                document["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"]
                    .as_str()
                // An ingress group spans namespaces: every Ingress of one build joins it on
                // purpose, so the build claims it once.
                && groups.insert(group.to_owned())
            {
                claim(
                    cluster.clone(),
                    "ALB ingress group",
                    group.to_owned(),
                    origin("ingress", false),
                );
            }
        }
    }
    found
}

/// Every name claimed by more than one owner, unless deliberately shared, as one line each.
fn collisions(builds: &[Build]) -> Vec<String> {
    let mut owners: BTreeMap<Key, Vec<Origin>> = BTreeMap::new();
    for build in builds {
        for (key, origin) in claims(build) {
            owners.entry(key).or_default().push(origin);
        }
    }
    let mut problems = Vec::new();
    for (key, origins) in &owners {
        let distinct: BTreeSet<&str> = origins.iter().map(|origin| origin.owner.as_str()).collect();
        let within_one: BTreeMap<&str, usize> =
            origins.iter().fold(BTreeMap::new(), |mut count, origin| {
                *count.entry(origin.owner.as_str()).or_default() += 1;
                count
            });
        let shared = SHARED.iter().any(|(what, _)| *what == key.1)
            && origins.iter().all(|origin| origin.shared);
        if distinct.len() > 1 && !shared {
            problems.push(format!(
                "{} `{}` in {} is created by {}",
                key.1,
                key.2,
                key.0,
                origins
                    .iter()
                    .map(|origin| format!("{} ({})", origin.owner, origin.artifact))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        if let Some((owner, _)) = within_one.iter().find(|(_, count)| **count > 1) {
            problems.push(format!(
                "{} `{}` in {} is created twice by {owner}",
                key.1, key.2, key.0
            ));
        }
    }
    problems
}

/// Every top-level `…Name` property with a value that neither table classifies (a name, the
/// scope of a name, or no name).
fn unclassified(builds: &[Build]) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for build in builds {
        for template in templates(build).values() {
            for resource in template["Resources"].as_object().into_iter().flatten() {
                let kind = resource.1["Type"].as_str().unwrap_or_default();
                for property in resource.1["Properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|property| property.0)
                    .filter(|property| property.ends_with("Name"))
                {
                    // A name, the scope of one, or classified as no name.
                    let known = NAMED.iter().any(|(named, name, scope)| {
                        *named == kind && (name == property || scope == property)
                    }) || NOT_NAMES
                        .iter()
                        .any(|(named, known, _)| *named == kind && known == property);
                    if !known {
                        found.insert((kind.to_owned(), property.clone()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn two_workspaces_two_environments_two_regions_collide_nowhere() {
    let mut problems = Vec::new();
    let mut kinds = BTreeSet::new();
    for (target, existing_cluster) in DEPLOYMENTS {
        let builds = builds(target, existing_cluster);
        assert_eq!(builds.len(), 8);
        let deployment = match (target, existing_cluster) {
            (Target::Eks, true) => "eks (existing cluster)",
            (Target::Eks, false) => "eks (new clusters)",
            _ => target.name(),
        };
        for problem in collisions(&builds) {
            problems.push(format!("{deployment}: {problem}"));
        }
        for (kind, property) in unclassified(&builds) {
            problems.push(format!(
                "{deployment}: `{kind}` `{property}` is in neither NAMED nor NOT_NAMES"
            ));
        }
        kinds.extend(builds.iter().flat_map(claims).map(|((_, what, _), _)| what));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The test sees the names it is about.
    for expected in [
        "stack",
        "export",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::SSM::Parameter",
        "AWS::ECR::Repository",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::ECS::TaskDefinition",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "AWS::ServiceDiscovery::Service",
        "Service Connect discovery name",
        "Pod Identity association",
        "Kubernetes object",
        "ALB ingress group",
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::EKS::Addon",
        "AWS::EKS::AccessEntry",
    ] {
        assert!(kinds.contains(expected), "no {expected} name was read");
    }
}

#[test]
fn the_cluster_shared_stack_is_one_stack_deployed_once_per_cluster() {
    let builds = builds(Target::Eks, true);
    let mut shared: BTreeMap<(&str, String), BTreeSet<&str>> = BTreeMap::new();
    for build in &builds {
        let stacks: Vec<&str> = build.manifest["eks"]["shared_stacks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|stack| stack["stack"].as_str())
            .collect();
        assert_eq!(
            stacks,
            [format!("berth-eks-{CLUSTER}")],
            "{}: the cluster's shared stack",
            build.owner
        );
        for (_, stack, _, content) in &build.files {
            if let Some(stack) = stack
                && stacks.contains(&stack.as_str())
            {
                shared
                    .entry((build.region.as_str(), stack.clone()))
                    .or_default()
                    .insert(content);
            }
        }
    }
    assert_eq!(shared.len(), REGIONS.len(), "one shared stack per region");
    for ((region, stack), contents) in &shared {
        assert_eq!(
            contents.len(),
            1,
            "{stack} in {region}: every workspace and environment emits the same template"
        );
    }
    // Each deliberately shared kind is still shared (the list cannot outlive its reason).
    let claimed: BTreeSet<&str> = builds
        .iter()
        .flat_map(claims)
        .filter(|(_, origin)| origin.shared)
        .map(|((_, what, _), _)| what)
        .collect();
    for (what, why) in SHARED {
        assert!(
            claimed.contains(what),
            "`{what}` is no longer shared ({why})"
        );
    }
}

#[test]
fn a_name_that_loses_its_region_collides() {
    // Plant the bug in the built artifacts: role names lose their region.
    let mut builds = builds(Target::Fargate, false);
    for build in &mut builds {
        let suffix = format!("-{}\"", build.region);
        for file in &mut build.files {
            file.3 = file.3.replace(&suffix, "\"");
        }
    }
    let problems = collisions(&builds);
    assert!(
        problems
            .iter()
            .any(|problem| problem.starts_with("AWS::IAM::Role `shop-dev-web-task` in account")),
        "{problems:#?}"
    );
}
