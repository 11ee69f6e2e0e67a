//! The Kubernetes side of the deploy commands on `eks`: this engine's stacks, images and reporter
//! joined to [`crate::kubernetes`]. After the stacks, `deploy` reads the outputs the manifests'
//! placeholders name, pins each image as the stacks' are pinned, reaches the cluster (once it
//! and its node groups are ACTIVE), applies, waits until the workloads serve and prunes; `plan`
//! dry-runs the same objects, `status` reads the workloads, and `destroy` deletes the objects
//! (Ingresses first) before the stacks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use berth_compiler::manifest::{ArtifactKind, EksDeployment, Provisioning};
use serde::Serialize;
use serde_json::Value;

use super::apply::EndpointUrl;
use super::build::Build;
use super::cloudformation::observe;
use super::error::DeployError;
use super::event::{Event, Reporter};
use super::images::{Resolution, ResolvedImage};
use super::{Clients, Settings};
use crate::aws::Aws;
use crate::kubernetes::addons;
use crate::kubernetes::connect::{self, Connection, KubeconfigChoice, Reach};
use crate::kubernetes::error::KubernetesError;
use crate::kubernetes::event::{Applied, KubernetesEvent};
use crate::kubernetes::install::{self, Helm};
use crate::kubernetes::prerequisites;
use crate::kubernetes::status::WorkloadStatus;
use crate::kubernetes::wait::Patience;
use crate::kubernetes::{Declared, KubernetesPlan, Session};

/// The AWS side of reaching an EKS cluster.
#[derive(Clone, Debug)]
pub struct ClusterClients {
    /// EKS in the workspace's region.
    pub eks: aws_sdk_eks::Client,
    /// STS, to name the principal a cluster refuses.
    pub sts: aws_sdk_sts::Client,
    /// The credentials the cluster's tokens are signed with.
    pub credentials: Option<SharedCredentialsProvider>,
    /// The region the tokens are signed for.
    pub region: String,
}

impl ClusterClients {
    /// The clients of one AWS configuration.
    pub fn new(aws: &Aws) -> Self {
        Self {
            eks: aws.eks(),
            sts: aws.sts(),
            credentials: aws.config().credentials_provider(),
            region: aws.region().to_owned(),
        }
    }
}

/// How the commands reach the cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterSettings {
    /// `--kubeconfig` and `--context`: reach the cluster as the user's kubeconfig says instead
    /// of through EKS.
    pub kubeconfig: KubeconfigChoice,
    /// `--force-conflicts`: take back fields another field manager changed.
    pub force_conflicts: bool,
    /// The Helm that installs what a cluster berth created lacks ([`Helm::locate`]); `None`
    /// when there is none, and then nothing is installed.
    pub helm: Option<Helm>,
}

/// What the Kubernetes side of a deploy did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KubernetesOutcome {
    /// The EKS add-ons updated because the cluster's new Kubernetes version no longer supported
    /// the versions they ran (`kube-proxy v1.31.10-eksbuild.2 -> v1.33.3-eksbuild.4`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<String>,
    /// What was installed first, from its Helm chart (on a cluster berth created).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub installed: Vec<String>,
    /// Each object, in apply order, and what happened to it.
    pub objects: Vec<AppliedObject>,
    /// The objects berth owned that the build no longer declares, deleted.
    pub pruned: Vec<String>,
}

impl KubernetesOutcome {
    /// Whether anything in the cluster changed.
    pub fn changed(&self) -> bool {
        !self.pruned.is_empty()
            || !self.installed.is_empty()
            || !self.addons.is_empty()
            || self
                .objects
                .iter()
                .any(|object| object.action != Applied::Unchanged)
    }

    /// How many objects ended with `action`.
    pub fn count(&self, action: Applied) -> usize {
        self.objects
            .iter()
            .filter(|object| object.action == action)
            .count()
    }
}

/// One object and what its apply did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedObject {
    /// `Kind/namespace/name`.
    pub object: String,
    /// `created`, `configured` or `unchanged`.
    pub action: Applied,
}

/// The workloads as they run, for `berth status`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KubernetesStatus {
    /// Each Deployment and CronJob of the build.
    pub workloads: Vec<WorkloadStatus>,
    /// Why the workloads could not be read, when they could not (the cluster does not exist
    /// yet, or is not ACTIVE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The build's `eks` section, when it has Kubernetes artifacts to apply.
fn eks_section(build: &Build) -> Option<&EksDeployment> {
    let has_manifests = build
        .manifest
        .artifacts
        .iter()
        .any(|artifact| artifact.kind == ArtifactKind::Kubernetes);
    build.manifest.eks.as_ref().filter(|_| has_manifests)
}

/// How long to wait between looks at the cluster.
fn patience(settings: &Settings) -> Patience {
    Patience::every(settings.pace.first)
}

/// Forwards the Kubernetes side's events to the run's reporter.
fn forward(reporter: &dyn Reporter) -> impl Fn(KubernetesEvent) + Send + Sync + '_ {
    move |step| reporter.report(Event::Kubernetes { step })
}

/// The Kubernetes version of the cluster berth created for `build`, before the stacks change
/// it: `None` for a build without one, or before the cluster exists.
pub async fn version_before(
    build: &Build,
    clients: &Clients,
) -> Result<Option<String>, DeployError> {
    match build.manifest.eks.as_ref() {
        Some(eks) if eks.provisioning == Provisioning::New => {
            Ok(addons::cluster_version(&clients.cluster.eks, &eks.cluster).await?)
        }
        _ => Ok(None),
    }
}

/// Applies the build's objects to its cluster, after the stacks: pinned images, placeholders
/// filled from the stacks' outputs; waits until they serve and prunes what the build no longer
/// declares. `version_before` is the cluster's version before the stacks ran ([`version_before`]):
/// when the stacks changed it, the add-ons that do not support the new one are updated first.
/// `None` for a build without Kubernetes artifacts.
pub async fn deploy(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
    images: &[ResolvedImage],
    version_before: Option<&str>,
) -> Result<Option<(KubernetesOutcome, Vec<EndpointUrl>)>, DeployError> {
    let Some(eks) = eks_section(build) else {
        return Ok(None);
    };
    let outputs = stack_outputs(build, clients).await?;
    let mut declared = declared(build, &outputs, false)?;
    pin_images(&mut declared, images);
    let report = forward(reporter);
    let connection = connect(eks, clients, settings, &report).await?;
    let mut updated_addons = Vec::new();
    if let Some(before) = version_before
        && let Some(now) = addons::cluster_version(&clients.cluster.eks, &eks.cluster).await?
        && now != before
    {
        let interval = settings.pace.first.max(Duration::from_millis(1));
        for update in
            addons::update_incompatible(&clients.cluster.eks, &eks.cluster, &now, interval, &report)
                .await?
        {
            updated_addons.push(format!("{} {} -> {}", update.addon, update.from, update.to));
        }
    }
    let installed = install::install_missing(
        &connection,
        &declared.requirements,
        &outputs,
        settings.cluster.helm.as_ref(),
        &report,
    )
    .await?;
    let session = Session::open(
        connection,
        &declared,
        settings.cluster.force_conflicts,
        &BTreeSet::new(),
        &report,
    )
    .await?;
    let deployed = session
        .deploy(&declared, patience(settings), &report)
        .await?;
    let endpoints = session
        .status(&declared.objects)
        .await?
        .into_iter()
        .flat_map(|workload| {
            let hostname = workload.hostname.clone().unwrap_or_default();
            workload.urls.into_iter().map(move |url| EndpointUrl {
                workload: workload.workload.clone(),
                url,
                load_balancer: hostname.clone(),
            })
        })
        .collect();
    let outcome = KubernetesOutcome {
        addons: updated_addons,
        installed,
        objects: deployed
            .applied
            .into_iter()
            .map(|(id, action)| AppliedObject {
                object: id.to_string(),
                action,
            })
            .collect(),
        pruned: deployed.pruned.iter().map(ToString::to_string).collect(),
    };
    Ok(Some((outcome, endpoints)))
}

/// What a deploy would do in the cluster: a server-side dry run of every object against what
/// runs, and what would be pruned. Before the cluster exists, every object is created.
pub async fn plan(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    images: &[ResolvedImage],
) -> Result<Option<KubernetesPlan>, DeployError> {
    let Some(eks) = eks_section(build) else {
        return Ok(None);
    };
    let outputs = stack_outputs(build, clients).await?;
    let mut declared = declared(build, &outputs, true)?;
    pin_images(&mut declared, images);
    let status = cluster_status(clients, &eks.cluster).await?;
    match (status.as_deref(), eks.provisioning) {
        (Some("ACTIVE"), _) => {}
        (_, Provisioning::New) => return Ok(Some(KubernetesPlan::all_created(&declared.objects))),
        (status, Provisioning::Existing) => {
            return Err(KubernetesError::ClusterNotActive {
                cluster: eks.cluster.clone(),
                status: status.unwrap_or("not found").to_owned(),
            }
            .into());
        }
    }
    let quiet = |_: KubernetesEvent| {};
    let connection = connect(&existing(eks), clients, settings, &quiet).await?;
    connect::check(&connection, &quiet).await?;
    // What a deploy installs first: only with Helm to install it, else the plan stops on it as
    // the deploy would.
    let mut to_install = BTreeSet::new();
    let mut install = Vec::new();
    if settings.cluster.helm.is_some() {
        for requirement in &declared.requirements {
            let Some(chart) = &requirement.chart else {
                continue;
            };
            if !prerequisites::satisfied(&connection, requirement).await? {
                to_install.insert(requirement.name.clone());
                install.push(format!(
                    "{} ({} {})",
                    requirement.what, chart.chart, chart.version
                ));
            }
        }
    }
    let session = Session::open(
        connection,
        &declared,
        settings.cluster.force_conflicts,
        &to_install,
        &quiet,
    )
    .await?;
    let mut plan = session.plan(&declared.objects).await?;
    plan.install = install;
    Ok(Some(plan))
}

/// The workloads as they run. A cluster that does not exist or is not ACTIVE is a note, not a
/// failure: the stacks are still reported.
pub async fn status(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
) -> Result<Option<KubernetesStatus>, DeployError> {
    let Some(eks) = eks_section(build) else {
        return Ok(None);
    };
    match cluster_status(clients, &eks.cluster).await?.as_deref() {
        Some("ACTIVE") => {}
        status => {
            return Ok(Some(KubernetesStatus {
                workloads: Vec::new(),
                note: Some(format!(
                    "the EKS cluster `{}` is {}, so its workloads cannot be read",
                    eks.cluster,
                    status.map_or_else(|| "not created yet".to_owned(), str::to_lowercase)
                )),
            }));
        }
    }
    let outputs = stack_outputs(build, clients).await?;
    let declared = declared(build, &outputs, true)?;
    let quiet = |_: KubernetesEvent| {};
    let connection = connect(&existing(eks), clients, settings, &quiet).await?;
    connect::check(&connection, &quiet).await?;
    let workloads = crate::kubernetes::status::workloads(&connection, &declared.objects).await?;
    Ok(Some(KubernetesStatus {
        workloads,
        note: None,
    }))
}

/// Deletes every object berth owns in the cluster, Ingresses first and until their load
/// balancers are gone (they would keep the VPC from being deleted), then the workloads, the
/// namespace last. Nothing to do when the cluster does not exist; returns what was deleted.
pub async fn destroy(
    build: &Build,
    clients: &Clients,
    settings: &Settings,
    reporter: &dyn Reporter,
) -> Result<Vec<String>, DeployError> {
    let Some(eks) = eks_section(build) else {
        return Ok(Vec::new());
    };
    let report = forward(reporter);
    match cluster_status(clients, &eks.cluster).await?.as_deref() {
        None => return Ok(Vec::new()),
        Some("ACTIVE" | "CREATING" | "UPDATING" | "PENDING") => {}
        Some(status) => {
            report(KubernetesEvent::Note {
                message: format!(
                    "the EKS cluster `{}` is {status}: its Kubernetes objects cannot be deleted \
                     first; deleting the stacks",
                    eks.cluster
                ),
            });
            return Ok(Vec::new());
        }
    }
    let outputs = stack_outputs(build, clients).await?;
    let declared = declared(build, &outputs, true)?;
    let connection = connect(&existing(eks), clients, settings, &report).await?;
    let session = Session::observe(connection, &declared, &report).await?;
    let deleted = session.destroy(settings.pace.first, &report).await?;
    Ok(deleted.iter().map(ToString::to_string).collect())
}

/// `eks` without waiting for node groups: `plan`, `status` and `destroy` need only the API.
fn existing(eks: &EksDeployment) -> EksDeployment {
    EksDeployment {
        provisioning: Provisioning::Existing,
        ..eks.clone()
    }
}

/// Waits until the cluster (and its node groups, on a cluster berth created) is ACTIVE, then
/// connects as the settings say: the user's kubeconfig, or EKS with tokens signed here.
async fn connect(
    eks: &EksDeployment,
    clients: &Clients,
    settings: &Settings,
    report: &(dyn Fn(KubernetesEvent) + Send + Sync),
) -> Result<Connection, DeployError> {
    let cluster = &clients.cluster;
    let reach = if settings.cluster.kubeconfig.is_set() {
        Reach::Kubeconfig(&settings.cluster.kubeconfig)
    } else {
        let credentials = cluster
            .credentials
            .clone()
            .ok_or_else(|| KubernetesError::Eks {
                action: format!("sign a token for the EKS cluster `{}`", eks.cluster),
                reason: "no AWS credentials were found".to_owned(),
            })?;
        Reach::Eks {
            sts: &cluster.sts,
            credentials,
            region: &cluster.region,
        }
    };
    let interval = settings.pace.first.max(Duration::from_millis(1));
    Ok(connect::connect(&cluster.eks, eks, reach, interval, report).await?)
}

/// The cluster's EKS status, `None` when it does not exist.
async fn cluster_status(clients: &Clients, cluster: &str) -> Result<Option<String>, DeployError> {
    match clients
        .cluster
        .eks
        .describe_cluster()
        .name(cluster)
        .send()
        .await
    {
        Ok(described) => Ok(described
            .cluster
            .and_then(|found| found.status)
            .map(|status| status.as_str().to_owned())),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(aws_sdk_eks::operation::describe_cluster::DescribeClusterError::is_resource_not_found_exception) =>
        {
            Ok(None)
        }
        Err(error) => Err(crate::aws::AwsError::from_sdk("EKS.DescribeCluster", &error).into()),
    }
}

/// Every output the manifests' placeholders name, by `(stack, output)`, from the stacks that
/// exist.
async fn stack_outputs(
    build: &Build,
    clients: &Clients,
) -> Result<BTreeMap<(String, String), String>, DeployError> {
    let stacks: BTreeSet<&str> = build
        .manifest
        .substitutions
        .iter()
        .map(|substitution| substitution.stack.as_str())
        .collect();
    let mut outputs = BTreeMap::new();
    for stack in stacks {
        let Some(deployed) = observe::describe(&clients.cloudformation, stack).await? else {
            continue;
        };
        for (key, value) in deployed.outputs {
            outputs.insert((stack.to_owned(), key), value);
        }
    }
    Ok(outputs)
}

/// The build's objects, placeholders filled from `outputs` (left in place, with
/// `allow_unfilled`, where an output does not exist yet).
fn declared(
    build: &Build,
    outputs: &BTreeMap<(String, String), String>,
    allow_unfilled: bool,
) -> Result<Declared, DeployError> {
    let read = |path: &str| build.files.get(path).cloned();
    Ok(Declared::from_build(
        &build.manifest,
        &read,
        outputs,
        allow_unfilled,
    )?)
}

/// Each container runs its image as resolved: pinned by digest where the registry gives one
/// (so a tag pushed again is rolled out, and a rollback runs what ran before).
fn pin_images(declared: &mut Declared, images: &[ResolvedImage]) {
    for image in images {
        if image.input.stack.is_some() {
            continue;
        }
        let Resolution::Pinned { image: pinned } = &image.resolution else {
            continue;
        };
        for object in declared
            .objects
            .iter_mut()
            .filter(|object| object.artifact == image.input.artifact)
        {
            let pod = match object.id.kind.as_str() {
                "Deployment" => object.object.pointer_mut("/spec/template/spec"),
                "CronJob" => object
                    .object
                    .pointer_mut("/spec/jobTemplate/spec/template/spec"),
                _ => None,
            };
            let Some(pod) = pod else { continue };
            for list in ["initContainers", "containers"] {
                for container in pod
                    .get_mut(list)
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if container.get("name").and_then(Value::as_str)
                        == Some(image.input.container.as_str())
                    {
                        container["image"] = Value::from(pinned.as_str());
                    }
                }
            }
        }
    }
}
