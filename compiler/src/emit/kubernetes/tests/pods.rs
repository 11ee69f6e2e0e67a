//! Pods, `Deployment`s and `CronJob`s.

use serde_json::json;

use super::{SHOP, build, file, main_container, object};

#[test]
fn cpu_units_become_millicores() {
    let files = build(SHOP);
    let deployment = object(file(&files, "service-web.yaml"), "Deployment", "web");
    let container = main_container(&deployment["spec"]["template"]);
    assert_eq!(
        container["resources"],
        json!({
            "requests": { "cpu": "500m", "memory": "1024Mi" },
            "limits": { "cpu": "500m", "memory": "1024Mi" },
        })
    );
    let api = object(file(&files, "service-api.yaml"), "Deployment", "api");
    let containers = &api["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["resources"]["limits"]["cpu"], "1000m");
    assert_eq!(
        containers[1]["resources"],
        json!({
            "requests": { "cpu": "50m", "memory": "64Mi" },
            "limits": { "cpu": "250m", "memory": "256Mi" },
        })
    );
}
#[test]
fn cron_job_runs_the_job() {
    let files = build(SHOP);
    let cron = object(file(&files, "job-nightly.yaml"), "CronJob", "nightly");
    assert_eq!(cron["apiVersion"], "batch/v1");
    let spec = &cron["spec"];
    assert_eq!(spec["schedule"], "0 3 * * *");
    assert_eq!(spec["timeZone"], "Etc/UTC");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    assert_eq!(spec["successfulJobsHistoryLimit"], 3);
    assert_eq!(spec["failedJobsHistoryLimit"], 1);
    let job = &spec["jobTemplate"]["spec"];
    assert_eq!(job["backoffLimit"], 2);
    assert_eq!(job["activeDeadlineSeconds"], 3600);
    let pod = &job["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["serviceAccountName"], "nightly");
    assert_eq!(
        pod["containers"][0]["args"],
        json!(["report", "--since", "24h"])
    );
    assert!(pod["containers"][0].get("command").is_none());
}

#[test]
fn deployments_roll_without_losing_capacity() {
    let files = build(SHOP);
    let web = object(file(&files, "service-web.yaml"), "Deployment", "web");
    assert!(
        web["spec"].get("replicas").is_none(),
        "the autoscaler owns it"
    );
    assert_eq!(
        web["spec"]["strategy"],
        json!({ "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 0, "maxSurge": "25%" } })
    );
    assert_eq!(
        web["spec"]["selector"]["matchLabels"],
        json!({ "app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop" })
    );
    assert_eq!(
        web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"],
        "service"
    );
    let api = object(file(&files, "service-api.yaml"), "Deployment", "api");
    assert_eq!(api["spec"]["replicas"], 3);
    let budget = object(
        file(&files, "service-api.yaml"),
        "PodDisruptionBudget",
        "api",
    );
    assert_eq!(budget["spec"]["maxUnavailable"], 1);
    let autoscaler = object(
        file(&files, "service-web.yaml"),
        "HorizontalPodAutoscaler",
        "web",
    );
    assert_eq!(autoscaler["spec"]["minReplicas"], 2);
    assert_eq!(autoscaler["spec"]["maxReplicas"], 10);
    assert_eq!(
        autoscaler["spec"]["metrics"],
        json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 70 } } }])
    );
}

#[test]
fn pods_are_locked_down() {
    let files = build(SHOP);
    let api = object(file(&files, "service-api.yaml"), "Deployment", "api");
    let pod = &api["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"],
        json!({
            "runAsNonRoot": true,
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 1000,
            "seccompProfile": { "type": "RuntimeDefault" },
        })
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    for container in pod["containers"].as_array().into_iter().flatten() {
        assert_eq!(
            container["securityContext"],
            json!({
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "privileged": false,
                "capabilities": { "drop": ["ALL"] },
            })
        );
        assert_eq!(
            container["volumeMounts"][0],
            json!({ "name": "tmp", "mountPath": "/tmp" })
        );
    }
    assert_eq!(
        pod["containers"][0]["image"],
        "${berth:EcrRegistry}/shop/default/api:1.4.2"
    );
    assert_eq!(
        pod["containers"][0]["volumeMounts"][1],
        json!({ "name": "uploads", "mountPath": "/data" })
    );
    assert_eq!(
        pod["volumes"][1],
        json!({ "name": "uploads", "persistentVolumeClaim": { "claimName": "api-uploads" } })
    );
    let claim = object(
        file(&files, "service-api.yaml"),
        "PersistentVolumeClaim",
        "api-uploads",
    );
    assert_eq!(
        claim["spec"],
        json!({
            "accessModes": ["ReadWriteMany"],
            "storageClassName": "shop-default-efs",
            "resources": { "requests": { "storage": "5Gi" } },
        })
    );
    let account = object(file(&files, "service-api.yaml"), "ServiceAccount", "api");
    assert_eq!(account["automountServiceAccountToken"], false);
}

#[test]
fn probes_follow_the_health_check() {
    let files = build(SHOP);
    let web = object(file(&files, "service-web.yaml"), "Deployment", "web");
    let container = main_container(&web["spec"]["template"]);
    let expected = json!({
        "httpGet": { "path": "/healthz", "port": "http-8080", "scheme": "HTTP" },
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    });
    assert_eq!(container["readinessProbe"], expected);
    assert_eq!(container["livenessProbe"], expected);
    assert_eq!(container["startupProbe"]["failureThreshold"], 3);
    assert_eq!(
        container["ports"],
        json!([{ "name": "http-8080", "containerPort": 8080, "protocol": "TCP" }])
    );
    let mailer = object(file(&files, "worker-mailer.yaml"), "Deployment", "mailer");
    let container = main_container(&mailer["spec"]["template"]);
    assert_eq!(
        container["livenessProbe"]["exec"]["command"],
        json!(["pgrep", "mailer"])
    );
    assert!(container.get("startupProbe").is_none());
}

#[test]
fn a_schedule_starting_with_a_star_reads_back() {
    let source = SHOP.replace(r#"schedule "0 3 * * *""#, r#"schedule "*/15 * * * *""#);
    let files = build(&source);
    let cron = object(file(&files, "job-nightly.yaml"), "CronJob", "nightly");
    assert_eq!(cron["spec"]["schedule"], "*/15 * * * *");
}

#[test]
fn a_volume_named_tmp_or_at_tmp_keeps_the_pod_valid() {
    let source = SHOP.replace(
        r#"volume "uploads" path="/data""#,
        r#"volume "tmp" path="/tmp""#,
    );
    let files = build(&source);
    let api = object(file(&files, "service-api.yaml"), "Deployment", "api");
    let pod = &api["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"],
        json!([
            { "name": "berth-tmp", "emptyDir": {} },
            { "name": "tmp", "persistentVolumeClaim": { "claimName": "api-tmp" } },
        ])
    );
    assert_eq!(
        pod["containers"][0]["volumeMounts"],
        json!([{ "name": "tmp", "mountPath": "/tmp" }])
    );
    assert_eq!(
        pod["containers"][1]["volumeMounts"],
        json!([{ "name": "berth-tmp", "mountPath": "/tmp" }])
    );
}

#[test]
fn request_count_scaling_falls_back_to_cpu() {
    let source = SHOP.replace(
        "replicas min=2 max=10 { cpu 70; }",
        "replicas min=1 max=4 { requests 500; }",
    );
    let files = build(&source);
    let documents = file(&files, "service-web.yaml");
    let autoscaler = object(documents, "HorizontalPodAutoscaler", "web");
    assert_eq!(autoscaler["spec"]["metrics"][0]["resource"]["name"], "cpu");
    assert_eq!(
        autoscaler["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    assert!(
        !documents
            .iter()
            .any(|document| document["kind"] == "PodDisruptionBudget"),
        "one replica needs no budget"
    );
}
