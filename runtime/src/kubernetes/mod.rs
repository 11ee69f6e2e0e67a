//! The Kubernetes side of an `eks` deploy: connect to the cluster, check what it must run,
//! apply the build's objects with server-side apply, wait until they serve, prune what is no
//! longer declared; and the same objects for `plan`, `status` and `destroy`. Like the rest of
//! the deploy engine it prints nothing: progress goes to a [`event::Report`] function and
//! failures are one [`error::KubernetesError`].
//!
//! - [`token`]: the EKS bearer token, signed in-process as `aws eks get-token` signs it.
//! - [`connect`]: wait for the cluster (and node groups) to be ACTIVE; a client from its
//!   endpoint and CA, or from a kubeconfig and context.
//! - [`addons`]: after the cluster's version was raised, the EKS add-ons it no longer supports,
//!   updated.
//! - [`objects`]: the build's objects, placeholders filled from stack outputs, owner labels
//!   checked — before anything is applied.
//! - [`discovery`]: the resource that serves each kind.
//! - [`prerequisites`]: the controllers and APIs the objects need, checked before applying.
//! - [`install`]: on a cluster berth created, the controllers EKS has no add-on for, installed
//!   from their pinned Helm charts when missing.
//! - [`apply`]: dry-run, compare, apply (field manager `berth`); [`diff`] says what changes.
//! - [`wait`]: rollouts, ExternalSecrets and Ingress load balancers, failing fast with reasons.
//! - [`remove`]: pruning, and `destroy` (Ingresses first, until their load balancers are gone).
//! - [`status`]: replicas, restarts and hostnames of each workload.
//! - [`Session`]: all of the above on one connection.

pub mod addons;
pub mod apply;
pub mod connect;
pub mod diff;
pub mod discovery;
pub mod error;
pub mod event;
pub mod install;
pub mod objects;
pub mod prerequisites;
pub mod remove;
pub mod status;
pub mod token;
pub mod wait;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use berth_compiler::manifest::{ArtifactKind, ClusterRequirement, Manifest, RequirementCheck};
use serde::Serialize;

use apply::{Change, Target};
use connect::Connection;
use diff::FieldChange;
use discovery::{Kinds, discover};
use error::{KubernetesError, Missing};
use event::{Applied, KubernetesEvent, Report};
use objects::{DesiredObject, ObjectId};
use remove::Owned;

/// What the build declares for the cluster.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    /// Every object, in apply order.
    pub objects: Vec<DesiredObject>,
    /// The labels every object carries that name its workspace and environment: what finds
    /// the objects berth owns.
    pub owner_labels: BTreeMap<String, String>,
    /// Every `(apiVersion, kind)` berth may have applied, so an object of a kind the build no
    /// longer uses is still found and pruned.
    pub kinds: Vec<(String, String)>,
    /// What the cluster must run first.
    pub requirements: Vec<ClusterRequirement>,
}

impl Declared {
    /// What `manifest` declares: its Kubernetes artifacts in order (`read_artifact` gives an
    /// artifact's text by path), each placeholder filled from `outputs` (`(stack, output)` →
    /// value) as `substitutions` pairs them. With `allow_unfilled` a placeholder whose output
    /// does not exist yet stays in place (a plan before the first deploy); otherwise it is an
    /// error, before anything is applied.
    pub fn from_build(
        manifest: &Manifest,
        read_artifact: &dyn Fn(&str) -> Option<String>,
        outputs: &BTreeMap<(String, String), String>,
        allow_unfilled: bool,
    ) -> Result<Self, KubernetesError> {
        let mut values = objects::Values::default();
        for substitution in &manifest.substitutions {
            let key = (substitution.stack.clone(), substitution.output.clone());
            match outputs.get(&key) {
                Some(value) => {
                    values
                        .filled
                        .insert(substitution.placeholder.clone(), value.clone());
                }
                None => {
                    values.expected.insert(
                        substitution.placeholder.clone(),
                        format!("{}.{}", substitution.stack, substitution.output),
                    );
                }
            }
        }
        let mut texts = Vec::new();
        for artifact in &manifest.artifacts {
            if artifact.kind != ArtifactKind::Kubernetes {
                continue;
            }
            let text = read_artifact(&artifact.path).ok_or_else(|| KubernetesError::Artifact {
                path: artifact.path.clone(),
                reason: "it is missing from the build".to_owned(),
            })?;
            texts.push((artifact.path.as_str(), artifact.order, text));
        }
        let artifacts: Vec<objects::ArtifactText<'_>> = texts
            .iter()
            .map(|(path, order, text)| objects::ArtifactText {
                path,
                order: *order,
                text,
            })
            .collect();
        let Some(eks) = &manifest.eks else {
            return Err(KubernetesError::Artifact {
                path: berth_compiler::manifest::FILE_NAME.to_owned(),
                reason: "it has no `eks` section; run `berth build` again".to_owned(),
            });
        };
        let objects = objects::read(&artifacts, &values, &eks.labels, allow_unfilled)?;
        Ok(Self {
            objects,
            owner_labels: eks.labels.clone(),
            kinds: eks
                .kinds
                .iter()
                .map(|kind| (kind.api_version.clone(), kind.kind.clone()))
                .collect(),
            requirements: eks.requirements.clone(),
        })
    }

    /// The objects of deploy order `order`.
    pub fn stage(&self, order: u32) -> Vec<DesiredObject> {
        self.objects
            .iter()
            .filter(|object| object.order == order)
            .cloned()
            .collect()
    }

    /// `key=value,…` of the owner labels.
    pub fn selector(&self) -> String {
        self.owner_labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// One object in a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedObject {
    /// `Kind/namespace/name`.
    pub object: String,
    /// The artifact it comes from.
    pub artifact: String,
    /// `create`, `update` or `unchanged`.
    pub action: &'static str,
    /// For an update, the fields that change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// What a deploy would do in the cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KubernetesPlan {
    /// What the deploy would install first, from its Helm chart (a cluster berth created that
    /// lacks it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub install: Vec<String>,
    /// Each declared object.
    pub objects: Vec<PlannedObject>,
    /// Objects berth owns that the build no longer declares.
    pub prune: Vec<String>,
}

impl KubernetesPlan {
    /// Whether the deploy would change anything.
    pub fn changes(&self) -> bool {
        !self.prune.is_empty()
            || !self.install.is_empty()
            || self
                .objects
                .iter()
                .any(|object| object.action != "unchanged")
    }

    /// The plan before the cluster exists: every object is created.
    pub fn all_created(objects: &[DesiredObject]) -> Self {
        Self {
            objects: objects
                .iter()
                .map(|object| PlannedObject {
                    object: object.id.to_string(),
                    artifact: object.artifact.clone(),
                    action: "create",
                    fields: Vec::new(),
                })
                .collect(),
            install: Vec::new(),
            prune: Vec::new(),
        }
    }
}

/// What the Kubernetes side of a deploy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkloadsDeployed {
    /// Each object and what happened to it, in apply order.
    pub applied: Vec<(ObjectId, Applied)>,
    /// What was pruned.
    pub pruned: Vec<ObjectId>,
}

impl WorkloadsDeployed {
    /// Whether anything in the cluster changed.
    pub fn changed(&self) -> bool {
        !self.pruned.is_empty()
            || self
                .applied
                .iter()
                .any(|(_, action)| *action != Applied::Unchanged)
    }
}

/// A connection to the cluster with the build's kinds discovered and its owned objects listed.
pub struct Session {
    /// The connection.
    pub connection: Connection,
    /// The kinds the build applies (and may have applied), as the cluster serves them.
    pub kinds: Kinds,
    /// What berth owns in the cluster now.
    pub owned: Owned,
    /// Take fields other managers own.
    pub force: bool,
}

impl Session {
    /// Checks that the cluster answers and accepts berth, that it runs every prerequisite and
    /// serves every kind the build applies, and lists what berth owns in it. The requirements
    /// named in `to_install` are not checked: a plan for a deploy that installs them.
    pub async fn open(
        connection: Connection,
        declared: &Declared,
        force: bool,
        to_install: &BTreeSet<String>,
        report: Report<'_>,
    ) -> Result<Self, KubernetesError> {
        connect::check(&connection, report).await?;
        let checked: Vec<ClusterRequirement> = declared
            .requirements
            .iter()
            .filter(|requirement| !to_install.contains(&requirement.name))
            .cloned()
            .collect();
        let prerequisites = prerequisites::verify(&connection, &checked).await;
        let mut missing = match prerequisites {
            Ok(()) => Vec::new(),
            Err(KubernetesError::MissingPrerequisites { missing }) => missing,
            Err(error) => return Err(error),
        };
        let mut wanted: BTreeSet<(String, String)> = declared
            .objects
            .iter()
            .map(|object| (object.api_version.clone(), object.id.kind.clone()))
            .collect();
        wanted.extend(declared.kinds.iter().cloned());
        let (kinds, unserved) = discover(&connection.client, &wanted).await?;
        let used: BTreeSet<(&str, &str)> = declared
            .objects
            .iter()
            .map(|object| (object.api_version.as_str(), object.id.kind.as_str()))
            .collect();
        for (api_version, kind) in unserved
            .iter()
            .filter(|(api_version, kind)| used.contains(&(api_version.as_str(), kind.as_str())))
        {
            // A prerequisite that checks for another kind of the same API group-version
            // (the External Secrets CRDs) already names what to install.
            let covered = declared.requirements.iter().any(|requirement| {
                requirement.checks.iter().any(|check| {
                    matches!(check, RequirementCheck::Serves { api_version: checked, .. } if checked == api_version)
                })
            });
            if !covered {
                missing.push(Missing {
                    what: format!("the `{kind}` API ({api_version}) the manifests use"),
                    install: "install the CRD or controller that serves it".to_owned(),
                });
            }
        }
        if !missing.is_empty() {
            return Err(KubernetesError::MissingPrerequisites { missing });
        }
        let mut session = Self {
            connection,
            kinds,
            owned: Owned::new(),
            force,
        };
        session.owned = session
            .target()
            .owned(&declared.kinds, &declared.selector())
            .await?;
        Ok(session)
    }

    /// Checks that the cluster answers and lists what berth owns in it, without checking
    /// prerequisites or that every kind is served: what `destroy` needs (a kind the cluster no
    /// longer serves holds nothing of berth's).
    pub async fn observe(
        connection: Connection,
        declared: &Declared,
        report: Report<'_>,
    ) -> Result<Self, KubernetesError> {
        connect::check(&connection, report).await?;
        let mut wanted: BTreeSet<(String, String)> = declared
            .objects
            .iter()
            .map(|object| (object.api_version.clone(), object.id.kind.clone()))
            .collect();
        wanted.extend(declared.kinds.iter().cloned());
        let (kinds, _) = discover(&connection.client, &wanted).await?;
        let mut session = Self {
            connection,
            kinds,
            owned: Owned::new(),
            force: false,
        };
        session.owned = session
            .target()
            .owned(&declared.kinds, &declared.selector())
            .await?;
        Ok(session)
    }

    /// The cluster as an apply target.
    pub fn target(&self) -> Target<'_> {
        Target {
            connection: &self.connection,
            kinds: &self.kinds,
            force: self.force,
        }
    }

    /// The object as it runs: from the owned list, else asked of the cluster.
    async fn live(
        &self,
        object: &DesiredObject,
    ) -> Result<Option<serde_json::Value>, KubernetesError> {
        match self.owned.get(&object.id) {
            Some((_, value)) => Ok(Some(value.clone())),
            None => self.target().live(object).await,
        }
    }

    /// Applies `objects` in order; an object already as declared is not sent again.
    pub async fn apply(
        &self,
        objects: &[DesiredObject],
        report: Report<'_>,
    ) -> Result<Vec<(ObjectId, Applied)>, KubernetesError> {
        let target = self.target();
        let mut applied = Vec::new();
        for object in objects {
            let live = self.live(object).await?;
            if object.id.kind == "Namespace"
                && live.is_some()
                && !self.owned.contains_key(&object.id)
            {
                // Someone else's namespace (a platform team's): deploy into it, but never
                // relabel it or, later, delete it.
                report(KubernetesEvent::Note {
                    message: format!(
                        "namespace `{}` already exists and is not berth's: deploying into it as \
                         it is; berth will not change or delete it",
                        object.id.name
                    ),
                });
                continue;
            }
            let action = match target.preview(object, live.as_ref()).await? {
                Change::Unchanged => Applied::Unchanged,
                Change::Create => {
                    target.apply(object).await?;
                    Applied::Created
                }
                Change::Update(_) => {
                    target.apply(object).await?;
                    Applied::Configured
                }
            };
            report(KubernetesEvent::ObjectApplied {
                object: object.id.to_string(),
                action,
            });
            applied.push((object.id.clone(), action));
        }
        Ok(applied)
    }

    /// The whole Kubernetes side of a deploy: applies every object, a deploy order at a time,
    /// waits until the workloads serve, then prunes what the build no longer declares.
    pub async fn deploy(
        &self,
        declared: &Declared,
        patience: wait::Patience,
        report: Report<'_>,
    ) -> Result<WorkloadsDeployed, KubernetesError> {
        let mut orders: Vec<u32> = declared.objects.iter().map(|object| object.order).collect();
        orders.sort_unstable();
        orders.dedup();
        let mut applied = Vec::new();
        for order in orders {
            applied.extend(self.apply(&declared.stage(order), report).await?);
        }
        self.wait(&declared.objects, patience, report).await?;
        let pruned = self.prune(&declared.objects, report).await?;
        Ok(WorkloadsDeployed { applied, pruned })
    }

    /// What applying `objects` would do, and what would be pruned.
    pub async fn plan(&self, objects: &[DesiredObject]) -> Result<KubernetesPlan, KubernetesError> {
        let target = self.target();
        let mut plan = KubernetesPlan::default();
        let mut missing_namespaces: BTreeSet<String> = BTreeSet::new();
        for object in objects {
            if self
                .kinds
                .get(&object.api_version, &object.id.kind)
                .is_none()
            {
                // A kind whose controller the deploy installs first: nothing of it exists yet.
                plan.objects.push(PlannedObject {
                    object: object.id.to_string(),
                    artifact: object.artifact.clone(),
                    action: "create",
                    fields: Vec::new(),
                });
                continue;
            }
            let live = self.live(object).await?;
            if object.id.kind == "Namespace"
                && live.is_some()
                && !self.owned.contains_key(&object.id)
            {
                // Someone else's namespace: `apply` leaves it as it is.
                continue;
            }
            let change = match &object.id.namespace {
                // Objects of a namespace the same deploy creates cannot be dry-run yet.
                Some(namespace) if missing_namespaces.contains(namespace) => Change::Create,
                _ => target.preview(object, live.as_ref()).await?,
            };
            if object.id.kind == "Namespace" && live.is_none() {
                missing_namespaces.insert(object.id.name.clone());
            }
            let (action, fields) = match change {
                Change::Create => ("create", Vec::new()),
                Change::Update(fields) => ("update", fields),
                Change::Unchanged => ("unchanged", Vec::new()),
            };
            plan.objects.push(PlannedObject {
                object: object.id.to_string(),
                artifact: object.artifact.clone(),
                action,
                fields,
            });
        }
        let declared: Vec<&ObjectId> = objects.iter().map(|object| &object.id).collect();
        plan.prune = self
            .owned
            .keys()
            .filter(|id| !declared.contains(id))
            .map(ToString::to_string)
            .collect();
        plan.prune.sort();
        Ok(plan)
    }

    /// Waits until the workloads of `objects` serve.
    pub async fn wait(
        &self,
        objects: &[DesiredObject],
        patience: wait::Patience,
        report: Report<'_>,
    ) -> Result<(), KubernetesError> {
        wait::until_serving(&self.connection, &self.kinds, objects, patience, report).await
    }

    /// Deletes what berth owns and `objects` no longer declares.
    pub async fn prune(
        &self,
        objects: &[DesiredObject],
        report: Report<'_>,
    ) -> Result<Vec<ObjectId>, KubernetesError> {
        let declared: Vec<ObjectId> = objects.iter().map(|object| object.id.clone()).collect();
        remove::prune(&self.target(), &self.owned, &declared, report).await
    }

    /// Deletes everything berth owns, Ingresses first.
    pub async fn destroy(
        &self,
        interval: Duration,
        report: Report<'_>,
    ) -> Result<Vec<ObjectId>, KubernetesError> {
        remove::destroy(&self.target(), &self.owned, interval, report).await
    }

    /// The status of each workload of `objects`.
    pub async fn status(
        &self,
        objects: &[DesiredObject],
    ) -> Result<Vec<status::WorkloadStatus>, KubernetesError> {
        status::workloads(&self.connection, objects).await
    }
}
