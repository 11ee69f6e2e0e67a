//! Secrets through the External Secrets Operator.

use serde_json::json;

use super::{SHOP, build, file, main_container, object};

#[test]
fn secrets_only_through_secret_key_refs() {
    let files = build(SHOP);
    for (path, _, documents) in &files {
        let text = serde_json::to_string(documents).unwrap_or_default();
        assert!(!text.contains("\"kind\":\"Secret\""), "{path}");
    }
    let documents = file(&files, "service-web.yaml");
    let container = main_container(&object(documents, "Deployment", "web")["spec"]["template"]);
    assert_eq!(
        container["env"],
        json!([
            { "name": "API_URL", "value": "http://api:9000" },
            { "name": "FLAG", "value": "no" },
            { "name": "LOG_LEVEL", "value": "info" },
            { "name": "SESSION_KEY", "valueFrom": { "secretKeyRef": { "name": "web-secrets", "key": "SESSION_KEY" } } },
            { "name": "STRIPE_KEY", "valueFrom": { "secretKeyRef": { "name": "web-secrets", "key": "STRIPE_KEY" } } },
        ])
    );
    let store = object(documents, "SecretStore", "web-ssm");
    assert_eq!(store["apiVersion"], "external-secrets.io/v1");
    assert_eq!(
        store["spec"]["provider"]["aws"],
        json!({ "service": "ParameterStore", "region": "eu-west-1", "role": "${berth:PodRoleWebArn}" })
    );
    assert_eq!(
        object(documents, "SecretStore", "web-secretsmanager")["spec"]["provider"]["aws"]["service"],
        "SecretsManager"
    );
    let external = object(documents, "ExternalSecret", "web-secrets");
    assert_eq!(
        external["spec"],
        json!({
            "refreshInterval": "1h",
            "secretStoreRef": { "name": "web-ssm", "kind": "SecretStore" },
            "target": { "name": "web-secrets", "creationPolicy": "Owner" },
            "data": [
                { "secretKey": "SESSION_KEY", "remoteRef": { "key": "/shop/session-key" } },
                {
                    "secretKey": "STRIPE_KEY",
                    "remoteRef": { "key": "shop/stripe", "property": "api_key" },
                    "sourceRef": { "storeRef": { "name": "web-secretsmanager", "kind": "SecretStore" } },
                },
            ],
        })
    );
}

#[test]
fn a_sidecar_reading_another_value_under_the_same_name_gets_its_own_key() {
    let files = build(SHOP);
    let documents = file(&files, "service-api.yaml");
    let external = object(documents, "ExternalSecret", "api-secrets");
    let keys: Vec<&str> = external["spec"]["data"]
        .as_array()
        .map(|data| {
            data.iter()
                .filter_map(|item| item["secretKey"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(keys, ["SMTP", "envoy.SMTP"]);
    let containers =
        &object(documents, "Deployment", "api")["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        containers[1]["env"][0]["valueFrom"]["secretKeyRef"]["key"],
        "envoy.SMTP"
    );
}
