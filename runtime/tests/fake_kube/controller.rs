//! The controllers of the fake: each tick moves the cluster one step, as kube-controller-manager,
//! the scheduler, the kubelet, the External Secrets Operator and the AWS Load Balancer
//! Controller would. A Deployment's rollout takes two ticks (observed, then pods ready) — or
//! stops with the failure a test asked for; an ExternalSecret syncs (or fails); an Ingress gets
//! a finalizer and then a load balancer hostname, and on deletion keeps its finalizer for two
//! ticks while "the load balancer is deleted"; a namespace being deleted empties itself.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::State;
use super::resources::{RESOURCES, Resource};
use super::store::{Key, Selector, key, path, set_path};

/// How a Deployment's pods behave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rollout {
    /// They start and pass their probes.
    #[default]
    Healthy,
    /// The image cannot be pulled.
    ImagePullBackOff,
    /// The container keeps exiting.
    CrashLoopBackOff,
    /// No node fits them.
    Unschedulable,
    /// A Secret their environment reads does not exist.
    MissingSecret,
}

fn resource(kind: &str) -> Resource {
    RESOURCES
        .iter()
        .copied()
        .find(|resource| resource.kind == kind)
        .unwrap_or_else(|| panic!("the fake knows {kind}"))
}

fn name_of(object: &Value) -> String {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn namespace_of(object: &Value) -> String {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn keys_of(state: &State, kind: &str) -> Vec<Key> {
    let resource = resource(kind);
    state
        .store
        .objects
        .keys()
        .filter(|(group, plural, _, _)| group == resource.group && plural == resource.plural)
        .cloned()
        .collect()
}

/// One step of every controller.
pub fn tick(state: &mut State) {
    autoscale(state);
    deployments(state);
    external_secrets(state);
    ingresses(state);
    namespaces(state);
}

/// The HorizontalPodAutoscaler controller: raises a target Deployment to `minReplicas`.
fn autoscale(state: &mut State) {
    for hpa_key in keys_of(state, "HorizontalPodAutoscaler") {
        let Some(hpa) = state
            .store
            .objects
            .get(&hpa_key)
            .map(|stored| stored.object.clone())
        else {
            continue;
        };
        let Some(target) = hpa
            .pointer("/spec/scaleTargetRef/name")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let minimum = hpa
            .pointer("/spec/minReplicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let deployment_key = key(&resource("Deployment"), Some(&hpa_key.2), target);
        let current = state.store.objects.get(&deployment_key).and_then(|stored| {
            stored
                .object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
        });
        if current.is_some_and(|replicas| replicas < minimum) {
            state
                .store
                .update(&deployment_key, "kube-controller-manager", |object| {
                    set_path(object, &path(&["spec", "replicas"]), json!(minimum));
                });
        }
    }
}

/// The Deployment controller, scheduler and kubelet together.
fn deployments(state: &mut State) {
    let pod_resource = resource("Pod");
    for deployment_key in keys_of(state, "Deployment") {
        let Some(deployment) = state
            .store
            .objects
            .get(&deployment_key)
            .map(|stored| stored.object.clone())
        else {
            continue;
        };
        let name = name_of(&deployment);
        let namespace = namespace_of(&deployment);
        let generation = deployment
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let observed = deployment
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let desired = deployment
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let behaviour = state
            .behaviour
            .rollouts
            .get(&name)
            .copied()
            .unwrap_or_default();
        let hash = format!("g{generation}");
        let previous_available = deployment
            .pointer("/status/availableReplicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);

        if observed < generation {
            // First tick of a new generation: a new revision and ReplicaSet, new pods created,
            // not ready yet.
            new_revision(state, &deployment_key, &deployment, &hash, generation);
            replace_pods(
                state,
                &deployment,
                &namespace,
                &name,
                &hash,
                desired,
                behaviour,
                false,
            );
            state.store.set_status(
                &deployment_key,
                json!({
                    "observedGeneration": generation,
                    "replicas": desired,
                    "updatedReplicas": 0,
                    "readyReplicas": previous_available,
                    "availableReplicas": previous_available,
                    "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated"}],
                }),
            );
            continue;
        }
        replace_pods(
            state,
            &deployment,
            &namespace,
            &name,
            &hash,
            desired,
            behaviour,
            true,
        );
        let status = if behaviour == Rollout::Healthy {
            json!({
                "observedGeneration": generation,
                "replicas": desired,
                "updatedReplicas": desired,
                "readyReplicas": desired,
                "availableReplicas": desired,
                "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
                ],
            })
        } else {
            json!({
                "observedGeneration": generation,
                "replicas": desired,
                "updatedReplicas": desired,
                "unavailableReplicas": desired,
                "conditions": [
                    {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                    {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
                ],
            })
        };
        state.store.set_status(&deployment_key, status);
    }
    // Pods of Deployments that are gone go too.
    let deployments: Vec<(String, String)> = keys_of(state, "Deployment")
        .into_iter()
        .map(|(_, _, namespace, name)| (namespace, name))
        .collect();
    let orphans: Vec<Key> = state
        .store
        .objects
        .iter()
        .filter(|((group, plural, _, _), _)| {
            group == pod_resource.group && plural == pod_resource.plural
        })
        .filter(|((_, _, namespace, _), stored)| {
            let owner = stored
                .labels()
                .get("fake.berth/deployment")
                .cloned()
                .unwrap_or_default();
            !deployments.contains(&(namespace.clone(), owner))
        })
        .map(|(key, _)| key.clone())
        .collect();
    for orphan in orphans {
        state.store.remove(&orphan);
    }
    let replica_set_resource = resource("ReplicaSet");
    let orphaned_sets: Vec<Key> = state
        .store
        .objects
        .iter()
        .filter(|((group, plural, _, _), _)| {
            group == replica_set_resource.group && plural == replica_set_resource.plural
        })
        .filter(|((_, _, namespace, _), stored)| {
            let owner = stored
                .object
                .pointer("/metadata/ownerReferences/0/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            !deployments.contains(&(namespace.clone(), owner.to_owned()))
        })
        .map(|(key, _)| key.clone())
        .collect();
    for orphan in orphaned_sets {
        state.store.remove(&orphan);
    }
}

/// Marks the Deployment with its new revision and makes the ReplicaSet of that revision, as the
/// Deployment controller does.
fn new_revision(
    state: &mut State,
    deployment_key: &Key,
    deployment: &Value,
    hash: &str,
    generation: i64,
) {
    let name = name_of(deployment);
    let namespace = namespace_of(deployment);
    let revision = generation.to_string();
    if let Some(stored) = state.store.objects.get_mut(deployment_key) {
        set_path(
            &mut stored.object,
            &path(&[
                "metadata",
                "annotations",
                "deployment.kubernetes.io/revision",
            ]),
            json!(revision),
        );
    }
    let mut labels = deployment
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    set_path(&mut labels, &path(&["pod-template-hash"]), json!(hash));
    let uid = deployment
        .pointer("/metadata/uid")
        .cloned()
        .unwrap_or(Value::Null);
    state.store.create(
        resource("ReplicaSet"),
        json!({
            "metadata": {
                "name": format!("{name}-{hash}"),
                "namespace": namespace,
                "labels": labels,
                "annotations": {"deployment.kubernetes.io/revision": revision},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid, "controller": true}],
            },
            "spec": {"selector": deployment.pointer("/spec/selector").cloned().unwrap_or(Value::Null)},
        }),
        "kube-controller-manager",
    );
}

/// Keeps exactly `desired` pods of `hash` for a Deployment, each in the state `behaviour` gives
/// (or still starting when `settled` is false).
#[expect(
    clippy::too_many_arguments,
    reason = "one helper of the fake's controller"
)]
fn replace_pods(
    state: &mut State,
    deployment: &Value,
    namespace: &str,
    name: &str,
    hash: &str,
    desired: i64,
    behaviour: Rollout,
    settled: bool,
) {
    let pod_resource = resource("Pod");
    let outdated: Vec<Key> = state
        .store
        .objects
        .iter()
        .filter(|((group, plural, pod_namespace, _), stored)| {
            group == pod_resource.group
                && plural == pod_resource.plural
                && pod_namespace == namespace
                && stored
                    .labels()
                    .get("fake.berth/deployment")
                    .map(String::as_str)
                    == Some(name)
                && stored.labels().get("pod-template-hash").map(String::as_str) != Some(hash)
        })
        .map(|(key, _)| key.clone())
        .collect();
    for key in outdated {
        state.store.remove(&key);
    }
    let mut labels = deployment
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    set_path(&mut labels, &path(&["pod-template-hash"]), json!(hash));
    set_path(&mut labels, &path(&["fake.berth/deployment"]), json!(name));
    let containers: Vec<(String, String)> = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|containers| {
            containers
                .iter()
                .map(|container| {
                    (
                        container
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        container
                            .get("image")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let secret = deployment
        .pointer("/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .and_then(|env| {
            env.iter().find_map(|variable| {
                variable
                    .pointer("/valueFrom/secretKeyRef/name")
                    .and_then(Value::as_str)
            })
        })
        .unwrap_or("missing-secret")
        .to_owned();
    for index in 0..desired {
        let pod_name = format!("{name}-{hash}-{index}");
        let pod_key = key(&pod_resource, Some(namespace), &pod_name);
        if !state.store.objects.contains_key(&pod_key) {
            state.store.create(
                pod_resource,
                json!({"metadata": {"name": pod_name, "namespace": namespace, "labels": labels}, "spec": {}}),
                "kube-controller-manager",
            );
        }
        let status = pod_status(behaviour, settled, &containers, &secret);
        state.store.set_status(&pod_key, status);
    }
    for index in desired.. {
        let pod_key = key(
            &pod_resource,
            Some(namespace),
            &format!("{name}-{hash}-{index}"),
        );
        if state.store.objects.remove(&pod_key).is_none() {
            break;
        }
    }
}

/// A pod's status under `behaviour`.
fn pod_status(
    behaviour: Rollout,
    settled: bool,
    containers: &[(String, String)],
    secret: &str,
) -> Value {
    let statuses = |waiting: Option<(&str, String)>, ready: bool, restarts: i64| -> Value {
        Value::Array(
            containers
                .iter()
                .map(|(name, image)| {
                    let state = match &waiting {
                        Some((reason, message)) => json!({"waiting": {"reason": reason, "message": message.replace("IMAGE", image)}}),
                        None => json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}}),
                    };
                    json!({"name": name, "image": image, "ready": ready, "restartCount": restarts, "state": state})
                })
                .collect(),
        )
    };
    if !settled {
        return json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": statuses(Some(("ContainerCreating", String::new())), false, 0)});
    }
    match behaviour {
        Rollout::Healthy => json!({
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}],
            "containerStatuses": statuses(None, true, 0),
        }),
        Rollout::ImagePullBackOff => json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
            "containerStatuses": statuses(Some(("ImagePullBackOff", "Back-off pulling image \"IMAGE\": not found".into())), false, 0),
        }),
        Rollout::CrashLoopBackOff => json!({
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
            "containerStatuses": statuses(Some(("CrashLoopBackOff", "back-off 40s restarting failed container".into())), false, 4),
        }),
        Rollout::MissingSecret => json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
            "containerStatuses": statuses(Some(("CreateContainerConfigError", format!("secret \"{secret}\" not found"))), false, 0),
        }),
        Rollout::Unschedulable => json!({
            "phase": "Pending",
            "conditions": [{
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
            }],
        }),
    }
}

/// The External Secrets Operator: each ExternalSecret syncs its Secret, or fails as asked.
fn external_secrets(state: &mut State) {
    let secret_resource = resource("Secret");
    for external_key in keys_of(state, "ExternalSecret") {
        let Some(external) = state
            .store
            .objects
            .get(&external_key)
            .map(|stored| stored.object.clone())
        else {
            continue;
        };
        let name = name_of(&external);
        let namespace = namespace_of(&external);
        let generation = external
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        if let Some(message) = state.behaviour.failing_secrets.get(&name).cloned() {
            state.store.set_status(
                &external_key,
                json!({"refreshTime": null, "conditions": [{"type": "Ready", "status": "False", "reason": "SecretSyncedError", "message": message}], "observedGeneration": generation}),
            );
            continue;
        }
        let target = external
            .pointer("/spec/target/name")
            .and_then(Value::as_str)
            .unwrap_or(&name)
            .to_owned();
        let secret_key = key(&secret_resource, Some(&namespace), &target);
        if !state.store.objects.contains_key(&secret_key) {
            state.store.create(
                secret_resource,
                json!({"metadata": {"name": target, "namespace": namespace}, "type": "Opaque", "data": {}}),
                "external-secrets",
            );
        }
        state.store.set_status(
            &external_key,
            json!({"refreshTime": "2026-01-01T00:00:00Z", "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "secret synced"}], "observedGeneration": generation, "binding": {"name": target}}),
        );
    }
}

/// The AWS Load Balancer Controller: a finalizer and a hostname per Ingress; on deletion the
/// load balancer goes, then the finalizer.
fn ingresses(state: &mut State) {
    for ingress_key in keys_of(state, "Ingress") {
        let Some(stored) = state.store.objects.get(&ingress_key).cloned() else {
            continue;
        };
        let group = stored
            .object
            .pointer("/metadata/annotations/alb.ingress.kubernetes.io~1group.name")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_owned();
        if stored.deleting() {
            let ticks = state
                .ingress_deletions
                .entry(ingress_key.clone())
                .or_insert(0);
            *ticks += 1;
            if *ticks >= 2 {
                state.store.remove(&ingress_key);
                state.ingress_deletions.remove(&ingress_key);
                let after = state.requests.len();
                state.log.push(format!(
                    "load balancer of {}/{} deleted after request {after}",
                    ingress_key.2, ingress_key.3
                ));
            }
            continue;
        }
        let name = ingress_key.3.clone();
        if let Some((reason, message)) = state.behaviour.failing_ingresses.get(&name).cloned() {
            let event_name = format!("{name}.failed");
            let event_key = key(&resource("Event"), Some(&ingress_key.2), &event_name);
            if !state.store.objects.contains_key(&event_key) {
                state.store.create(
                    resource("Event"),
                    json!({"metadata": {"name": event_name, "namespace": ingress_key.2},
                           "involvedObject": {"kind": "Ingress", "name": name, "namespace": ingress_key.2},
                           "reason": reason, "message": message, "type": "Warning"}),
                    "aws-load-balancer-controller",
                );
            }
            continue;
        }
        let finalizer = format!("group.ingress.k8s.aws/{group}");
        let has_finalizer = stored
            .object
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|finalizers| {
                finalizers
                    .iter()
                    .any(|value| value.as_str() == Some(finalizer.as_str()))
            });
        if !has_finalizer {
            if let Some(stored) = state.store.objects.get_mut(&ingress_key) {
                set_path(
                    &mut stored.object,
                    &path(&["metadata", "finalizers"]),
                    json!([finalizer]),
                );
            }
            continue;
        }
        let hostname = format!(
            "k8s-{}-0123456789-987654321.{}.elb.amazonaws.com",
            group.replace('-', ""),
            state.region
        );
        state.store.set_status(
            &ingress_key,
            json!({"loadBalancer": {"ingress": [{"hostname": hostname}]}}),
        );
    }
}

/// The namespace controller: a namespace being deleted has its objects deleted, then goes.
fn namespaces(state: &mut State) {
    for namespace_key in keys_of(state, "Namespace") {
        let deleting = state
            .store
            .objects
            .get(&namespace_key)
            .is_some_and(super::store::Stored::deleting);
        if !deleting {
            continue;
        }
        let name = namespace_key.3.clone();
        let inside: Vec<Key> = state
            .store
            .objects
            .keys()
            .filter(|(_, _, namespace, _)| *namespace == name)
            .cloned()
            .collect();
        if inside.is_empty() {
            state.store.remove(&namespace_key);
            continue;
        }
        for key in inside {
            state.store.delete(&key);
        }
    }
}

/// Installs what a complete EKS cluster runs: the External Secrets Operator, the AWS Load
/// Balancer Controller, metrics-server and the EFS CSI driver.
pub fn install_everything(state: &mut State) {
    install_external_secrets(state);
    install_load_balancer_controller(state);
    install_eks_addons(state);
}

/// What the chart `external-secrets` installs: its CRDs, namespace, service account and a
/// running controller.
pub fn install_external_secrets(state: &mut State) {
    use super::resources::Addon;
    state.installed.insert(Addon::ExternalSecrets);
    let installer = "helm";
    state.store.create(
        resource("Namespace"),
        json!({"metadata": {"name": "external-secrets"}}),
        installer,
    );
    state.store.create(
        resource("ServiceAccount"),
        json!({"metadata": {"name": "external-secrets", "namespace": "external-secrets"}}),
        installer,
    );
    running_deployment(
        state,
        "external-secrets",
        "external-secrets",
        &json!({"app.kubernetes.io/name": "external-secrets"}),
    );
    crds(
        state,
        &[
            "externalsecrets.external-secrets.io",
            "secretstores.external-secrets.io",
            "clustersecretstores.external-secrets.io",
        ],
    );
}

/// What the chart `aws-load-balancer-controller` installs: its CRDs, a running controller and
/// the `alb` IngressClass.
pub fn install_load_balancer_controller(state: &mut State) {
    use super::resources::Addon;
    state.installed.insert(Addon::LoadBalancerController);
    running_deployment(
        state,
        "kube-system",
        "aws-load-balancer-controller",
        &json!({"app.kubernetes.io/name": "aws-load-balancer-controller"}),
    );
    state.store.create(
        resource("IngressClass"),
        json!({"metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}}),
        "helm",
    );
    crds(
        state,
        &[
            "ingressclassparams.elbv2.k8s.aws",
            "targetgroupbindings.elbv2.k8s.aws",
        ],
    );
}

/// What the EKS add-ons of a cluster berth creates install: metrics-server (the
/// `metrics.k8s.io` APIService) and the EFS CSI driver.
pub fn install_eks_addons(state: &mut State) {
    use super::resources::Addon;
    state.installed.insert(Addon::Metrics);
    running_deployment(
        state,
        "kube-system",
        "metrics-server",
        &json!({"k8s-app": "metrics-server"}),
    );
    let installer = "eks";
    let api_service = state.store.create(
        resource("APIService"),
        json!({"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "service": {"name": "metrics-server", "namespace": "kube-system"}}}),
        installer,
    );
    state.store.set_status(
        &api_service,
        json!({"conditions": [{"type": "Available", "status": "True", "reason": "Passed"}]}),
    );
    state.store.create(
        resource("CSIDriver"),
        json!({"metadata": {"name": "efs.csi.aws.com"}, "spec": {"attachRequired": false}}),
        installer,
    );
}

/// A Deployment of one available replica, as an installed controller runs.
fn running_deployment(state: &mut State, namespace: &str, name: &str, labels: &Value) {
    let key = state.store.create(
        resource("Deployment"),
        json!({"metadata": {"name": name, "namespace": namespace, "labels": labels},
               "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                        "template": {"metadata": {"labels": labels}, "spec": {"serviceAccountName": name, "containers": [{"name": name, "image": format!("registry.example/{name}:1")}]}}}}),
        "helm",
    );
    state.store.set_status(
        &key,
        json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}),
    );
}

/// CustomResourceDefinitions of these names.
fn crds(state: &mut State, names: &[&str]) {
    for name in names {
        state.store.create(
            resource("CustomResourceDefinition"),
            json!({"metadata": {"name": name}}),
            "helm",
        );
    }
}

/// The namespaces every cluster starts with.
pub fn base_namespaces(state: &mut State) {
    for namespace in ["default", "kube-system"] {
        let namespace_key = key(&resource("Namespace"), None, namespace);
        if !state.store.objects.contains_key(&namespace_key) {
            state.store.create(
                resource("Namespace"),
                json!({"metadata": {"name": namespace}}),
                "kube-apiserver",
            );
        }
    }
}

/// Which Deployments behave how, and which ExternalSecrets fail.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// By Deployment name.
    pub rollouts: BTreeMap<String, Rollout>,
    /// ExternalSecret name → the provider's error.
    pub failing_secrets: BTreeMap<String, String>,
    /// Ingress name → the load balancer controller's event (reason, message) instead of a
    /// load balancer.
    pub failing_ingresses: BTreeMap<String, (String, String)>,
    /// Chart name → the error Helm reports instead of installing it.
    pub failing_charts: BTreeMap<String, String>,
}

/// Matches everything.
pub fn everything() -> Selector {
    Selector::default()
}
