//! The resource types the fake serves and its discovery documents (`/api`, `/apis`,
//! `/apis/<group>/<version>`): the built-in types berth applies or reads, and the custom ones
//! (External Secrets, the metrics API, the load balancer controller's) only when the cluster
//! has them installed.

use serde_json::{Value, json};

/// One resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The version.
    pub version: &'static str,
    /// The kind.
    pub kind: &'static str,
    /// The plural, as in URLs.
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Which optional piece of the cluster serves it.
    pub addon: Option<Addon>,
}

/// What a bare cluster lacks until someone installs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addon {
    /// The External Secrets Operator's CRDs.
    ExternalSecrets,
    /// metrics-server's `metrics.k8s.io` API.
    Metrics,
    /// The AWS Load Balancer Controller's CRDs.
    LoadBalancerController,
}

impl Resource {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn builtin(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        namespaced,
        addon: None,
    }
}

const fn custom(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    addon: Addon,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        namespaced,
        addon: Some(addon),
    }
}

/// Every type the fake knows.
pub const RESOURCES: &[Resource] = &[
    builtin("", "v1", "Namespace", "namespaces", false),
    builtin("", "v1", "ServiceAccount", "serviceaccounts", true),
    builtin("", "v1", "Service", "services", true),
    builtin("", "v1", "Pod", "pods", true),
    builtin("", "v1", "Secret", "secrets", true),
    builtin("", "v1", "ConfigMap", "configmaps", true),
    builtin(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
    ),
    builtin("", "v1", "Event", "events", true),
    builtin("apps", "v1", "Deployment", "deployments", true),
    builtin("apps", "v1", "ReplicaSet", "replicasets", true),
    builtin("batch", "v1", "CronJob", "cronjobs", true),
    builtin("batch", "v1", "Job", "jobs", true),
    builtin(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    builtin(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    builtin("networking.k8s.io", "v1", "Ingress", "ingresses", true),
    builtin(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        false,
    ),
    builtin(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        false,
    ),
    builtin("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false),
    builtin(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        false,
    ),
    builtin(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    custom(
        "external-secrets.io",
        "v1",
        "ExternalSecret",
        "externalsecrets",
        true,
        Addon::ExternalSecrets,
    ),
    custom(
        "external-secrets.io",
        "v1",
        "SecretStore",
        "secretstores",
        true,
        Addon::ExternalSecrets,
    ),
    custom(
        "external-secrets.io",
        "v1",
        "ClusterSecretStore",
        "clustersecretstores",
        false,
        Addon::ExternalSecrets,
    ),
    custom(
        "metrics.k8s.io",
        "v1beta1",
        "PodMetrics",
        "pods",
        true,
        Addon::Metrics,
    ),
    custom(
        "metrics.k8s.io",
        "v1beta1",
        "NodeMetrics",
        "nodes",
        false,
        Addon::Metrics,
    ),
    custom(
        "elbv2.k8s.aws",
        "v1beta1",
        "IngressClassParams",
        "ingressclassparams",
        false,
        Addon::LoadBalancerController,
    ),
    custom(
        "elbv2.k8s.aws",
        "v1beta1",
        "TargetGroupBinding",
        "targetgroupbindings",
        true,
        Addon::LoadBalancerController,
    ),
];

/// The resource served at `group`/`version`/`plural`, given the installed add-ons.
pub fn by_plural(
    group: &str,
    version: &str,
    plural: &str,
    installed: &dyn Fn(Addon) -> bool,
) -> Option<Resource> {
    RESOURCES.iter().copied().find(|resource| {
        resource.group == group
            && resource.version == version
            && resource.plural == plural
            && resource.addon.is_none_or(installed)
    })
}

/// The resource of `api_version` and `kind`, given the installed add-ons.
pub fn by_kind(
    api_version: &str,
    kind: &str,
    installed: &dyn Fn(Addon) -> bool,
) -> Option<Resource> {
    RESOURCES.iter().copied().find(|resource| {
        resource.api_version() == api_version
            && resource.kind == kind
            && resource.addon.is_none_or(installed)
    })
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
}

/// `GET /apis`.
pub fn groups(installed: &dyn Fn(Addon) -> bool) -> Value {
    let mut names: Vec<(&str, &str)> = Vec::new();
    for resource in RESOURCES {
        if resource.group.is_empty() || !resource.addon.is_none_or(installed) {
            continue;
        }
        if !names.contains(&(resource.group, resource.version)) {
            names.push((resource.group, resource.version));
        }
    }
    let groups: Vec<Value> = names
        .iter()
        .map(|(group, version)| {
            let group_version = json!({"groupVersion": format!("{group}/{version}"), "version": version});
            json!({"name": group, "versions": [group_version.clone()], "preferredVersion": group_version})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /api/v1` or `/apis/<group>/<version>`; `None` when nothing is served there.
pub fn resource_list(
    group: &str,
    version: &str,
    installed: &dyn Fn(Addon) -> bool,
) -> Option<Value> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|resource| {
            resource.group == group
                && resource.version == version
                && resource.addon.is_none_or(installed)
        })
        .map(|resource| {
            let verbs = if resource.group == "metrics.k8s.io" {
                json!(["get", "list"])
            } else {
                json!([
                    "create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch"
                ])
            };
            json!({
                "name": resource.plural,
                "singularName": resource.kind.to_lowercase(),
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": verbs,
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}
