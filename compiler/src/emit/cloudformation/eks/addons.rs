//! The managed add-ons of a new cluster: networking, DNS, the Pod Identity agent, the metrics
//! server (the metrics API autoscalers and `kubectl top` read) and, when a volume exists, the EFS
//! CSI driver with the role its controller assumes through Pod Identity.
//!
//! No add-on pins a version: EKS then installs the default version of each add-on for the
//! cluster's Kubernetes version, which exists by construction (a pinned version that EKS does not
//! publish for the cluster's version fails the stack). The EBS CSI driver is not installed:
//! berth's volumes are EFS file systems.

use serde_json::Value;

use crate::emit::literal::value;

use super::{Cluster, pod_identity_trust};
use crate::emit::cloudformation::platform::{depends_on, workspace_tags};
use crate::emit::cloudformation::workload::iam::role_trusting;
use crate::emit::cloudformation::{Context, Template, attribute, logical_id};

const POD_IDENTITY_AGENT: &str = "eks-pod-identity-agent";
/// The metrics server, an EKS community add-on.
pub const METRICS_SERVER: &str = "metrics-server";
const EFS_CSI_DRIVER: &str = "aws-efs-csi-driver";
/// The service account of the EFS CSI controller, in `kube-system`.
const EFS_CSI_CONTROLLER: &str = "efs-csi-controller-sa";
const EFS_CSI_ROLE: &str = "EfsCsiDriverRole";

/// The logical id of add-on `name`.
pub(super) fn addon_id(name: &str) -> String {
    logical_id(&["Addon", name])
}

/// `vpc-cni`, `kube-proxy`, `eks-pod-identity-agent`, and `coredns` and `metrics-server` (once
/// the node groups exist, since their pods need nodes to become ready), plus the EFS CSI driver
/// when a volume exists.
/// Each takes over the self-managed copy EKS installed (`OVERWRITE`), at the default version
/// for the cluster's Kubernetes version.
pub(super) fn addons(context: &Context<'_>, template: &mut Template, cluster: &Cluster) {
    for name in ["vpc-cni", "kube-proxy", POD_IDENTITY_AGENT] {
        addon(context, template, cluster, name, None, &[]);
    }
    for name in ["coredns", METRICS_SERVER] {
        addon(context, template, cluster, name, None, &cluster.nodegroups);
    }
    if context.volumes.is_empty() {
        return;
    }
    role_trusting(
        template,
        EFS_CSI_ROLE,
        None,
        pod_identity_trust("kube-system", EFS_CSI_CONTROLLER),
        &["service-role/AmazonEFSCSIDriverPolicy"],
        Vec::new(),
        workspace_tags(context),
    );
    let association = value!([{
        "ServiceAccount": EFS_CSI_CONTROLLER,
        "RoleArn": attribute(EFS_CSI_ROLE, "Arn"),
    }]);
    // The controller runs on the nodes and gets its credentials from the Pod Identity agent.
    let mut after = cluster.nodegroups.clone();
    after.push(addon_id(POD_IDENTITY_AGENT));
    addon(
        context,
        template,
        cluster,
        EFS_CSI_DRIVER,
        Some(association),
        &after,
    );
}

/// One managed add-on, created after the resources `after`.
fn addon(
    context: &Context<'_>,
    template: &mut Template,
    cluster: &Cluster,
    name: &str,
    pod_identities: Option<Value>,
    after: &[String],
) {
    let mut properties = value!({
        "ClusterName": cluster.name.clone(),
        "AddonName": name,
        "ResolveConflicts": "OVERWRITE",
        "Tags": workspace_tags(context),
    });
    if let (Some(associations), Some(object)) = (pod_identities, properties.as_object_mut()) {
        object.insert("PodIdentityAssociations".into(), associations);
    }
    template.resource_with(
        &addon_id(name),
        "AWS::EKS::Addon",
        properties,
        depends_on(after.iter()),
    );
}
