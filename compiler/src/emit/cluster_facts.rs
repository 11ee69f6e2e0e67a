//! The `eks` section of `manifest.json`: the cluster and namespace the manifests go to, and the
//! stacks shared with every other workspace on the cluster, decided here so the runtime never
//! re-derives them.

use super::cloudformation::Context;
use super::cloudformation::eks::{CLUSTER_TAG, cluster_name, shared_stack_name};
use crate::manifest::{EksDeployment, Provisioning, SharedStack};
use crate::model::{EksCluster, Workspace};

/// The `eks` section of an `eks` build of `workspace`.
pub fn eks(workspace: &Workspace) -> EksDeployment {
    let context = Context::new(workspace);
    let cluster = cluster_name(&context);
    let provisioning = match workspace.eks.cluster {
        EksCluster::New { .. } => Provisioning::New,
        EksCluster::Existing(_) => Provisioning::Existing,
    };
    EksDeployment {
        shared_stacks: shared_stack_name(&context)
            .map(|stack| SharedStack {
                stack,
                tag: (CLUSTER_TAG.to_owned(), cluster.clone()),
                delete_on_destroy: provisioning == Provisioning::New,
            })
            .into_iter()
            .collect(),
        cluster,
        provisioning,
        namespace: workspace.eks.namespace.value.clone(),
    }
}
