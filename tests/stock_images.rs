//! Stock images run as they are published when the workspace says what they need (`user`,
//! `read-only-root`), and a database's volume can be deployed stop-then-start (`deploy
//! "recreate"`): what each target's artifacts say, for `examples/stock-images` and the default.

use berth_compiler::emit::{Artifacts, TemplateFormat};
use berth_compiler::model::Target;
use berth_tests::{build_case, root};
use serde_json::{Value, json};

fn build(example: &str, target: Target) -> Artifacts {
    build_case(
        &root().join("examples").join(example),
        Some(target),
        TemplateFormat::Json,
    )
}

/// The resources of type `kind` in the CloudFormation template `path`.
fn resources(artifacts: &Artifacts, path: &str, kind: &str) -> Vec<Value> {
    let artifact = artifacts
        .files
        .iter()
        .find(|artifact| artifact.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    let template: Value = serde_json::from_str(&artifact.content).expect("JSON");
    template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|resource| resource["Type"] == kind)
        .cloned()
        .collect()
}

/// Every Kubernetes object of `kind` named `name` in the build.
fn object(artifacts: &Artifacts, kind: &str, name: &str) -> Value {
    artifacts
        .files
        .iter()
        .filter(|artifact| {
            matches!(
                artifact.kind,
                berth_compiler::manifest::ArtifactKind::Kubernetes
            )
        })
        .flat_map(|artifact| serde_saphyr::from_multiple::<Value>(&artifact.content).expect("YAML"))
        .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn ecs_task_definitions_run_each_container_as_its_user() {
    for target in [Target::Fargate, Target::Ecs] {
        let artifacts = build("stock-images", target);
        let container = |path: &str| {
            resources(&artifacts, path, "AWS::ECS::TaskDefinition")[0]["Properties"]
                ["ContainerDefinitions"][0]
                .clone()
        };
        let web = container("service-web.json");
        assert_eq!(
            (&web["User"], &web["ReadonlyRootFilesystem"]),
            (&json!("0:0"), &json!(false))
        );
        let cache = container("service-cache.json");
        assert_eq!(cache["User"], "999:999");
        let db = resources(&artifacts, "service-db.json", "AWS::ECS::Service");
        let deployment = &db[0]["Properties"]["DeploymentConfiguration"];
        assert_eq!(
            (
                &deployment["MinimumHealthyPercent"],
                &deployment["MaximumPercent"]
            ),
            (&json!(0), &json!(100)),
            "recreate stops the old task first"
        );
        let access_point = &resources(&artifacts, "service-db.json", "AWS::EFS::AccessPoint")[0];
        assert_eq!(
            access_point["Properties"]["PosixUser"],
            json!({ "Uid": "0", "Gid": "0" }),
            "the volume acts as the workload's user"
        );
        let rolling = resources(&artifacts, "service-web.json", "AWS::ECS::Service");
        assert_eq!(
            rolling[0]["Properties"]["DeploymentConfiguration"]["MaximumPercent"],
            200
        );
    }
    let default = build("minimal", Target::Fargate);
    let web = resources(&default, "service-web.json", "AWS::ECS::TaskDefinition");
    let container = &web[0]["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        (&container["User"], &container["ReadonlyRootFilesystem"]),
        (&json!("1000:1000"), &json!(true))
    );
}

#[test]
fn eks_pods_run_as_asked_and_root_relaxes_the_namespace_honestly() {
    let artifacts = build("stock-images", Target::Eks);
    let namespace = object(&artifacts, "Namespace", "stock-default");
    let labels = &namespace["metadata"]["labels"];
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");

    let web = object(&artifacts, "Deployment", "web");
    let pod = &web["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"], 0);
    assert!(pod["securityContext"].get("runAsNonRoot").is_none());
    let context = &pod["containers"][0]["securityContext"];
    assert_eq!(context["readOnlyRootFilesystem"], false);
    assert_eq!(context["capabilities"]["drop"], json!(["NET_RAW"]));

    let cache = object(&artifacts, "Deployment", "cache");
    let pod = &cache["spec"]["template"]["spec"];
    assert_eq!(
        (
            &pod["securityContext"]["runAsUser"],
            &pod["securityContext"]["runAsNonRoot"]
        ),
        (&json!(999), &json!(true))
    );
    assert_eq!(
        pod["containers"][0]["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );

    let db = object(&artifacts, "Deployment", "db");
    assert_eq!(db["spec"]["strategy"], json!({ "type": "Recreate" }));

    let default = build("minimal", Target::Eks);
    let namespace = object(&default, "Namespace", "hello-default");
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}
