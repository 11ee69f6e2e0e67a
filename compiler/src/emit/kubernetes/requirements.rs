//! What the cluster must run for the emitted objects to work — the External Secrets Operator
//! for `SecretStore`/`ExternalSecret`, the AWS Load Balancer Controller and its `alb`
//! IngressClass for Ingresses, the metrics API for autoscalers, the EFS CSI driver for volume
//! claims — read off the objects themselves, so the list cannot drift from what is emitted.
//! `manifest.json` carries it (`eks.requirements`); the deploy step checks each before applying.

use std::collections::{BTreeMap, BTreeSet};

use super::{Context, namespace_documents, workload};
use crate::emit::cloudformation::eks::{
    CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT, METRICS_SERVER,
};
use crate::emit::contract::platform::VPC_ID;
use crate::manifest::{ChartValue, ClusterRequirement, HelmChart, OutputRef, RequirementCheck};
use crate::model::Workspace;

/// The IngressClass every Ingress names, and the controller that class must name.
const INGRESS_CLASS: &str = "alb";
const INGRESS_CONTROLLER: &str = "ingress.k8s.aws/alb";
/// Where the External Secrets controller runs: its Pod Identity association (made by the
/// cluster's shared stack) names this namespace and service account.
const EXTERNAL_SECRETS: &str = "external-secrets";

/// The External Secrets Operator's chart, pinned: 0.20 serves `external-secrets.io/v1` (the
/// version the manifests use) and reads AWS credentials from EKS Pod Identity.
const EXTERNAL_SECRETS_CHART: (&str, &str) = ("https://charts.external-secrets.io", "0.20.1");
/// The AWS Load Balancer Controller's chart (`eks-charts`), pinned: 1.17.0 is controller
/// v2.17.0, which supports the Kubernetes versions berth creates clusters with.
const LOAD_BALANCER_CONTROLLER_CHART: (&str, &str) = ("https://aws.github.io/eks-charts", "1.17.0");

/// The requirements of `workspace`'s objects on `cluster`; `new_cluster` when the platform
/// stack creates it (and so installs the metrics server and EFS CSI driver add-ons, and the load
/// balancer controller's role).
pub fn requirements(
    workspace: &Workspace,
    cluster: &str,
    new_cluster: bool,
) -> Vec<ClusterRequirement> {
    requirements_for(workspace, &applied_kinds(workspace), cluster, new_cluster)
}

/// Every `kind` the manifests of `workspace` apply, building its objects (`emit` reads them off
/// the objects it renders instead: [`super::emit_kubernetes_each`]).
pub fn applied_kinds(workspace: &Workspace) -> BTreeSet<String> {
    let context = Context::new(workspace);
    let mut kinds = BTreeSet::new();
    super::add_kinds(&mut kinds, &namespace_documents(&context));
    for each in &workspace.workloads {
        super::add_kinds(&mut kinds, &workload::documents(&context, each));
    }
    kinds
}

/// [`requirements`] of manifests that apply `kinds`.
pub fn requirements_for(
    workspace: &Workspace,
    kinds: &BTreeSet<String>,
    cluster: &str,
    new_cluster: bool,
) -> Vec<ClusterRequirement> {
    let needed = |wanted: &[&str]| -> Vec<String> {
        wanted
            .iter()
            .filter(|kind| kinds.contains(**kind))
            .map(|kind| (*kind).to_owned())
            .collect()
    };
    let serves = |kind: &str| RequirementCheck::Serves {
        api_version: "external-secrets.io/v1".to_owned(),
        kind: kind.to_owned(),
    };
    let mut requirements = Vec::new();
    let secrets = needed(&["SecretStore", "ExternalSecret"]);
    if !secrets.is_empty() {
        let mut checks = vec![serves("SecretStore"), serves("ExternalSecret")];
        // With `external-secrets-role` the controller is the cluster owners', wherever they run
        // it; otherwise it must run where berth's Pod Identity association expects it.
        if workspace.eks.external_secrets_role.is_none() {
            checks.push(RequirementCheck::Deployment {
                namespace: EXTERNAL_SECRETS.to_owned(),
                name: EXTERNAL_SECRETS.to_owned(),
            });
        }
        requirements.push(ClusterRequirement {
            name: "external-secrets".to_owned(),
            what: "the External Secrets Operator".to_owned(),
            needed_by: secrets,
            checks,
            install: format!(
                "`helm repo add external-secrets https://charts.external-secrets.io` then `helm \
                 install external-secrets external-secrets/external-secrets --namespace \
                 {EXTERNAL_SECRETS} --create-namespace` (a release that serves \
                 external-secrets.io/v1; berth gives its service account \
                 `{EXTERNAL_SECRETS}/{EXTERNAL_SECRETS}` the IAM role it needs)"
            ),
            installed_by: None,
            chart: (new_cluster && workspace.eks.external_secrets_role.is_none())
                .then(external_secrets_chart),
        });
    }
    let ingresses = needed(&["Ingress"]);
    if !ingresses.is_empty() {
        requirements.push(ClusterRequirement {
            name: "load-balancer-controller".to_owned(),
            what: "the AWS Load Balancer Controller".to_owned(),
            needed_by: ingresses,
            checks: vec![
                RequirementCheck::IngressClass {
                    name: INGRESS_CLASS.to_owned(),
                    controller: INGRESS_CONTROLLER.to_owned(),
                },
                RequirementCheck::Deployment {
                    namespace: CONTROLLER_NAMESPACE.to_owned(),
                    name: CONTROLLER_SERVICE_ACCOUNT.to_owned(),
                },
            ],
            install: load_balancer_controller_install(workspace, cluster, new_cluster),
            installed_by: None,
            chart: new_cluster.then(|| load_balancer_controller_chart(workspace, cluster)),
        });
    }
    let autoscalers = needed(&["HorizontalPodAutoscaler"]);
    if !autoscalers.is_empty() {
        requirements.push(ClusterRequirement {
            name: "metrics-api".to_owned(),
            what: "the metrics API (metrics-server)".to_owned(),
            needed_by: autoscalers,
            checks: vec![RequirementCheck::ApiService {
                name: "v1beta1.metrics.k8s.io".to_owned(),
            }],
            install: format!(
                "`aws eks create-addon --cluster-name {cluster} --addon-name {METRICS_SERVER}`"
            ),
            installed_by: new_cluster
                .then(|| format!("the platform stack's EKS add-on `{METRICS_SERVER}`")),
            chart: None,
        });
    }
    let claims = needed(&["PersistentVolumeClaim", "StorageClass"]);
    if !claims.is_empty() {
        requirements.push(ClusterRequirement {
            name: "efs-csi-driver".to_owned(),
            what: "the Amazon EFS CSI driver".to_owned(),
            needed_by: claims,
            checks: vec![RequirementCheck::CsiDriver {
                name: "efs.csi.aws.com".to_owned(),
            }],
            install: format!(
                "`aws eks create-addon --cluster-name {cluster} --addon-name aws-efs-csi-driver \
                 --pod-identity-associations serviceAccount=efs-csi-controller-sa,roleArn=<a role \
                 with AmazonEFSCSIDriverPolicy>`"
            ),
            installed_by: new_cluster
                .then(|| "the platform stack's EKS add-on `aws-efs-csi-driver`".to_owned()),
            chart: None,
        });
    }
    requirements
}

/// How to install the AWS Load Balancer Controller with Helm. On a cluster berth creates, the
/// platform stack has given its service account a role through Pod Identity, and the command
/// names the region and VPC (nodes' instance metadata is out of the pods' reach); elsewhere the
/// controller needs a role from the cluster's owners. WAF and Shield stay off: berth asks for
/// neither, and the role is not allowed them.
fn load_balancer_controller_install(
    workspace: &Workspace,
    cluster: &str,
    new_cluster: bool,
) -> String {
    let chart = format!(
        "`helm repo add eks https://aws.github.io/eks-charts` then `helm install \
         {CONTROLLER_SERVICE_ACCOUNT} eks/aws-load-balancer-controller --namespace \
         {CONTROLLER_NAMESPACE} --set clusterName={cluster}"
    );
    if new_cluster {
        format!(
            "{chart} --set region={} --set vpcId=<the platform stack's `{VPC_ID}` output> --set \
             enableShield=false --set enableWaf=false --set enableWafv2=false` (the platform stack \
             gives its service account `{CONTROLLER_NAMESPACE}/{CONTROLLER_SERVICE_ACCOUNT}` its \
             IAM role through Pod Identity); the chart creates the `{INGRESS_CLASS}` IngressClass",
            workspace.region.value
        )
    } else {
        format!(
            "{chart}`, with an IAM role for its service account (docs/eks.md); the chart creates \
             the `{INGRESS_CLASS}` IngressClass"
        )
    }
}

/// The External Secrets Operator as the deploy step installs it on a cluster berth creates:
/// release, namespace and so service account `external-secrets/external-secrets`, the one the
/// cluster's shared stack gives its role through Pod Identity; with its CRDs.
fn external_secrets_chart() -> HelmChart {
    let (repository, version) = EXTERNAL_SECRETS_CHART;
    HelmChart {
        release: EXTERNAL_SECRETS.to_owned(),
        namespace: EXTERNAL_SECRETS.to_owned(),
        repository: repository.to_owned(),
        chart: EXTERNAL_SECRETS.to_owned(),
        version: version.to_owned(),
        values: BTreeMap::from([("installCRDs".to_owned(), text("true"))]),
    }
}

/// The AWS Load Balancer Controller as the deploy step installs it on a cluster berth creates:
/// its service account is the one the platform stack gives its role through Pod Identity; the
/// region and VPC are given because the nodes' instance metadata is out of the pods' reach; WAF
/// and Shield stay off (berth asks for neither, and the role is not allowed them).
fn load_balancer_controller_chart(workspace: &Workspace, cluster: &str) -> HelmChart {
    let (repository, version) = LOAD_BALANCER_CONTROLLER_CHART;
    let platform_stack = crate::emit::cloudformation::Context::new(workspace).platform_stack;
    HelmChart {
        release: CONTROLLER_SERVICE_ACCOUNT.to_owned(),
        namespace: CONTROLLER_NAMESPACE.to_owned(),
        repository: repository.to_owned(),
        chart: CONTROLLER_SERVICE_ACCOUNT.to_owned(),
        version: version.to_owned(),
        values: BTreeMap::from([
            ("clusterName".to_owned(), text(cluster)),
            ("region".to_owned(), text(&workspace.region.value)),
            (
                "vpcId".to_owned(),
                ChartValue::Output(OutputRef {
                    stack: platform_stack,
                    output: VPC_ID.to_owned(),
                }),
            ),
            (
                "serviceAccount.name".to_owned(),
                text(CONTROLLER_SERVICE_ACCOUNT),
            ),
            ("enableShield".to_owned(), text("false")),
            ("enableWaf".to_owned(), text("false")),
            ("enableWafv2".to_owned(), text("false")),
        ]),
    }
}

/// A chart value known when building.
fn text(value: &str) -> ChartValue {
    ChartValue::Text(value.to_owned())
}
