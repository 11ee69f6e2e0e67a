//! The `eks` section of `manifest.json`: the cluster and namespace the manifests go to, the
//! stacks shared with every other workspace on the cluster, the labels and kinds that find what
//! the build owns in the cluster, and what the cluster must run — decided here so the runtime
//! never re-derives them.

use std::collections::{BTreeMap, BTreeSet};

use super::cloudformation::Context;
use super::cloudformation::eks::{
    CLUSTER_TAG, DEPLOYER_PARAMETER, cluster_name, shared_stack_name,
};
use super::contract::{APPLIED_KINDS, ENVIRONMENT_LABEL, WORKSPACE_LABEL};
use crate::manifest::{EksDeployment, KindRef, ParameterRef, Provisioning, SharedStack};
use crate::model::{EksCluster, Workspace};

/// The `eks` section of an `eks` build of `workspace`, whose manifests apply `kinds`.
pub fn eks(workspace: &Workspace, kinds: &BTreeSet<String>) -> EksDeployment {
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
        labels: BTreeMap::from([
            (WORKSPACE_LABEL.to_owned(), workspace.name.value.clone()),
            (
                ENVIRONMENT_LABEL.to_owned(),
                workspace.environment.value.clone(),
            ),
        ]),
        kinds: APPLIED_KINDS
            .iter()
            .map(|(api_version, kind)| KindRef {
                api_version: (*api_version).to_owned(),
                kind: (*kind).to_owned(),
            })
            .collect(),
        requirements: super::kubernetes::requirements_for(
            workspace,
            kinds,
            &cluster,
            provisioning == Provisioning::New,
        ),
        deployer: (provisioning == Provisioning::New).then(|| ParameterRef {
            stack: context.platform_stack.clone(),
            parameter: DEPLOYER_PARAMETER.to_owned(),
        }),
        cluster,
        provisioning,
        namespace: workspace.eks.namespace.value.clone(),
    }
}
