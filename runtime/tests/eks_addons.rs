//! After a deploy raised the Kubernetes version of a cluster berth created, the EKS add-ons
//! whose versions EKS does not list as compatible with the new version are updated to its
//! default, and the others are left alone. The emulator serves no add-on API, so EKS's answers
//! are recorded here (aws-smithy-mocks), including an update that ends degraded.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_eks::Client;
use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
use aws_sdk_eks::operation::describe_addon_versions::DescribeAddonVersionsOutput;
use aws_sdk_eks::operation::list_addons::ListAddonsOutput;
use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
use aws_sdk_eks::types::{
    Addon, AddonHealth, AddonInfo, AddonIssue, AddonStatus, AddonVersionInfo, Compatibility,
    ResolveConflicts,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use berth::kubernetes::addons::{AddonUpdate, update_incompatible};
use berth::kubernetes::error::KubernetesError;
use berth::kubernetes::event::KubernetesEvent;

const CLUSTER: &str = "catalog-default";

fn addon(
    name: &str,
    version: &str,
    status: AddonStatus,
    issue: Option<&str>,
) -> DescribeAddonOutput {
    let mut addon = Addon::builder()
        .addon_name(name)
        .addon_version(version)
        .status(status);
    if let Some(message) = issue {
        addon = addon.health(
            AddonHealth::builder()
                .issues(AddonIssue::builder().message(message).build())
                .build(),
        );
    }
    DescribeAddonOutput::builder().addon(addon.build()).build()
}

/// EKS's versions of `name`: each `(version, cluster version, default there)`.
fn versions(name: &str, listed: &[(&str, &str, bool)]) -> DescribeAddonVersionsOutput {
    let mut info = AddonInfo::builder().addon_name(name);
    for (version, cluster, default) in listed {
        info = info.addon_versions(
            AddonVersionInfo::builder()
                .addon_version(*version)
                .compatibilities(
                    Compatibility::builder()
                        .cluster_version(*cluster)
                        .default_version(*default)
                        .build(),
                )
                .build(),
        );
    }
    DescribeAddonVersionsOutput::builder()
        .addons(info.build())
        .build()
}

fn versions_of(name: &'static str, listed: &'static [(&'static str, &'static str, bool)]) -> Rule {
    mock!(Client::describe_addon_versions)
        .match_requests(move |request| {
            request.addon_name() == Some(name) && request.kubernetes_version() == Some("1.33")
        })
        .then_output(move || versions(name, listed))
}

fn run(
    client: &Client,
) -> (
    Result<Vec<AddonUpdate>, KubernetesError>,
    Vec<KubernetesEvent>,
) {
    let events = Mutex::new(Vec::new());
    let report = |event| events.lock().expect("events").push(event);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(update_incompatible(
            client,
            CLUSTER,
            "1.33",
            Duration::from_millis(1),
            &report,
        ));
    (result, events.into_inner().expect("events"))
}

fn listed() -> Rule {
    mock!(Client::list_addons).then_output(|| {
        ListAddonsOutput::builder()
            .addons("vpc-cni")
            .addons("kube-proxy")
            .build()
    })
}

#[test]
fn only_an_add_on_the_new_version_does_not_support_is_updated_to_ekss_default() {
    let cni = mock!(Client::describe_addon)
        .match_requests(|request| request.addon_name() == Some("vpc-cni"))
        .then_output(|| addon("vpc-cni", "v1.19.2-eksbuild.1", AddonStatus::Active, None));
    let proxy = mock!(Client::describe_addon)
        .match_requests(|request| request.addon_name() == Some("kube-proxy"))
        .sequence()
        .output(|| {
            addon(
                "kube-proxy",
                "v1.31.3-eksbuild.2",
                AddonStatus::Active,
                None,
            )
        })
        .output(|| {
            addon(
                "kube-proxy",
                "v1.31.3-eksbuild.2",
                AddonStatus::Updating,
                None,
            )
        })
        .output(|| {
            addon(
                "kube-proxy",
                "v1.33.0-eksbuild.2",
                AddonStatus::Active,
                None,
            )
        })
        .build();
    let cni_versions = versions_of(
        "vpc-cni",
        &[
            ("v1.20.0-eksbuild.1", "1.33", true),
            ("v1.19.2-eksbuild.1", "1.33", false),
        ],
    );
    let proxy_versions = versions_of(
        "kube-proxy",
        &[
            ("v1.33.0-eksbuild.2", "1.33", true),
            ("v1.32.6-eksbuild.1", "1.32", true),
        ],
    );
    let update = mock!(Client::update_addon)
        .match_requests(|request| {
            request.addon_name() == Some("kube-proxy")
                && request.addon_version() == Some("v1.33.0-eksbuild.2")
                && request.resolve_conflicts() == Some(&ResolveConflicts::Overwrite)
        })
        .then_output(|| UpdateAddonOutput::builder().build());
    let list = listed();
    let client = mock_client!(
        aws_sdk_eks,
        RuleMode::MatchAny,
        &[&list, &cni, &proxy, &cni_versions, &proxy_versions, &update]
    );
    let (result, events) = run(&client);
    assert_eq!(
        result.expect("updated"),
        [AddonUpdate {
            addon: "kube-proxy".into(),
            from: "v1.31.3-eksbuild.2".into(),
            to: "v1.33.0-eksbuild.2".into(),
        }],
        "vpc-cni still runs a compatible version (not the default): left as it is"
    );
    assert_eq!(update.num_calls(), 1);
    assert_eq!(proxy.num_calls(), 3, "waited until ACTIVE");
    assert_eq!(
        events,
        [KubernetesEvent::AddonUpdating {
            addon: "kube-proxy".into(),
            from: "v1.31.3-eksbuild.2".into(),
            to: "v1.33.0-eksbuild.2".into(),
        }]
    );
}

#[test]
fn an_update_that_ends_degraded_stops_the_deploy_with_its_health_issue() {
    let list = mock!(Client::list_addons)
        .then_output(|| ListAddonsOutput::builder().addons("coredns").build());
    let coredns = mock!(Client::describe_addon)
        .sequence()
        .output(|| addon("coredns", "v1.11.1-eksbuild.8", AddonStatus::Active, None))
        .output(|| {
            addon(
                "coredns",
                "v1.12.1-eksbuild.2",
                AddonStatus::Degraded,
                Some("Deployment kube-system/coredns has no available replicas"),
            )
        })
        .build();
    let coredns_versions = versions_of("coredns", &[("v1.12.1-eksbuild.2", "1.33", true)]);
    let update = mock!(Client::update_addon).then_output(|| UpdateAddonOutput::builder().build());
    let client = mock_client!(
        aws_sdk_eks,
        RuleMode::MatchAny,
        &[&list, &coredns, &coredns_versions, &update]
    );
    let (result, _) = run(&client);
    let error = result.expect_err("degraded");
    let text = error.to_string();
    assert!(
        text.contains("`coredns`") && text.contains("DEGRADED"),
        "{text}"
    );
    assert!(text.contains("has no available replicas"), "{text}");
}

#[test]
fn an_add_on_eks_has_no_version_for_is_an_error_not_a_guess() {
    let list = mock!(Client::list_addons)
        .then_output(|| ListAddonsOutput::builder().addons("metrics-server").build());
    let metrics = mock!(Client::describe_addon).then_output(|| {
        addon(
            "metrics-server",
            "v0.7.2-eksbuild.1",
            AddonStatus::Active,
            None,
        )
    });
    let none = versions_of("metrics-server", &[("v0.7.2-eksbuild.1", "1.31", true)]);
    let client = mock_client!(aws_sdk_eks, RuleMode::MatchAny, &[&list, &metrics, &none]);
    let (result, events) = run(&client);
    let text = result.expect_err("no version").to_string();
    assert!(
        text.contains("v0.7.2-eksbuild.1 does not support Kubernetes 1.33"),
        "{text}"
    );
    assert!(events.is_empty(), "nothing was updated");
}
