//! The fake's HTTP side: one handler that records the request, checks the bearer token and
//! answers discovery, get, list (with label selectors), server-side apply (with dry run and
//! force), and delete, with the status codes and `Status` bodies a real API server gives.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::resources::{self, Addon, Resource};
use super::store::{ApplyError, Selector, key};
use super::{Authentication, Recorded, State};

/// An answer: status code and JSON body.
pub type Answer = (u16, Value);

/// Handles one request against `state`.
pub fn handle(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Answer {
    let query = parse_query(query);
    let parsed_body: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    let authorization = headers.get("authorization").cloned();
    let content_type = headers.get("content-type").cloned();
    let index = state.requests.len();
    state.requests.push(Recorded {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.clone(),
        content_type: content_type.clone(),
        body: parsed_body.clone(),
        authorization: authorization.clone(),
        status: 0,
    });
    let answer = if authorized(&state.authentication, authorization.as_deref()) {
        route(
            state,
            method,
            path,
            &query,
            content_type.as_deref(),
            body,
            parsed_body,
        )
    } else {
        status(401, "Unauthorized", "Unauthorized")
    };
    state.requests[index].status = answer.0;
    answer
}

/// Whether the request's `Authorization` header is what the cluster accepts.
fn authorized(authentication: &Authentication, header: Option<&str>) -> bool {
    let token = header.and_then(|header| header.strip_prefix("Bearer "));
    match authentication {
        Authentication::None => true,
        Authentication::Bearer(expected) => token == Some(expected.as_str()),
        Authentication::Check(check) => token.is_some_and(check),
    }
}

fn installed(state: &State) -> impl Fn(Addon) -> bool + '_ {
    |addon| state.installed.contains(&addon)
}

/// Where a request goes.
fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    content_type: Option<&str>,
    raw_body: &[u8],
    body: Option<Value>,
) -> Answer {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    match (method, segments.as_slice()) {
        ("GET", ["version"]) => {
            return (
                200,
                json!({"major": "1", "minor": "33", "gitVersion": "v1.33.5-eks-fake", "platform": "linux/amd64"}),
            );
        }
        ("POST", ["fake", "helm"]) => return helm(state, body.as_ref()),
        ("GET", ["api"]) => return (200, resources::core_versions()),
        ("GET", ["apis"]) => return (200, resources::groups(&installed(state))),
        ("GET", ["api", version]) => {
            return resources::resource_list("", version, &installed(state))
                .map_or_else(|| not_found_path(path), |list| (200, list));
        }
        ("GET", ["apis", group, version]) => {
            return resources::resource_list(group, version, &installed(state))
                .map_or_else(|| not_found_path(path), |list| (200, list));
        }
        _ => {}
    }
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return not_found_path(path),
    };
    let (namespace, plural, name, subresource) = match rest {
        ["namespaces", namespace, plural, tail @ ..] => (
            Some(*namespace),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] => (None, *plural, tail.first().copied(), tail.get(1).copied()),
        [] => return not_found_path(path),
    };
    let Some(resource) = resources::by_plural(group, version, plural, &installed(state)) else {
        return not_found_path(path);
    };
    if subresource.is_some() {
        return status(404, "NotFound", "subresources are not served by the fake");
    }
    if resource.namespaced != namespace.is_some() && name.is_some() {
        return not_found_path(path);
    }
    match (method, name) {
        ("GET", None) => list(state, resource, namespace, query),
        ("GET", Some(name)) => get(state, resource, namespace, name),
        ("PATCH", Some(name)) => patch(
            state,
            resource,
            namespace,
            name,
            query,
            content_type,
            raw_body,
            body,
        ),
        ("DELETE", Some(name)) => delete(state, resource, namespace, name),
        _ => status(
            405,
            "MethodNotAllowed",
            &format!("{method} is not supported by the fake on {path}"),
        ),
    }
}

fn list(
    state: &State,
    resource: Resource,
    namespace: Option<&str>,
    query: &BTreeMap<String, String>,
) -> Answer {
    if query
        .get("watch")
        .is_some_and(|watch| watch == "true" || watch == "1")
    {
        return status(405, "MethodNotAllowed", "the fake does not serve watches");
    }
    let Some(selector) = Selector::parse(query.get("labelSelector").map_or("", String::as_str))
    else {
        return status(400, "BadRequest", "unable to parse requirement");
    };
    let fields: Vec<(String, String)> = query
        .get("fieldSelector")
        .map(|text| {
            text.split(',')
                .filter_map(|pair| pair.split_once('='))
                .map(|(field, value)| (format!("/{}", field.replace('.', "/")), value.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let items: Vec<Value> = state
        .store
        .list(&resource, namespace, &selector)
        .into_iter()
        .filter(|item| {
            fields.iter().all(|(pointer, value)| {
                item.pointer(pointer).and_then(Value::as_str) == Some(value.as_str())
            })
        })
        .collect();
    (
        200,
        json!({
            "apiVersion": resource.api_version(),
            "kind": format!("{}List", resource.kind),
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }),
    )
}

fn get(state: &State, resource: Resource, namespace: Option<&str>, name: &str) -> Answer {
    state
        .store
        .objects
        .get(&key(&resource, namespace, name))
        .map_or_else(
            || not_found(&resource, name),
            |stored| (200, stored.render()),
        )
}

#[expect(clippy::too_many_arguments, reason = "one request's parts")]
fn patch(
    state: &mut State,
    resource: Resource,
    namespace: Option<&str>,
    name: &str,
    query: &BTreeMap<String, String>,
    content_type: Option<&str>,
    raw_body: &[u8],
    body: Option<Value>,
) -> Answer {
    if content_type != Some("application/apply-patch+yaml") {
        return status(
            415,
            "UnsupportedMediaType",
            &format!("the fake only serves server-side apply, not {content_type:?}"),
        );
    }
    let Some(manager) = query
        .get("fieldManager")
        .filter(|manager| !manager.is_empty())
    else {
        return status(
            400,
            "BadRequest",
            "PATCH /apply requires fieldManager to be set",
        );
    };
    let Some(config) = body else {
        return status(
            400,
            "BadRequest",
            &format!(
                "the body is not JSON: {}",
                String::from_utf8_lossy(raw_body)
            ),
        );
    };
    let force = query.get("force").is_some_and(|force| force == "true");
    let dry_run = query.get("dryRun").is_some_and(|dry_run| dry_run == "All");
    match state
        .store
        .apply(resource, namespace, name, &config, manager, force, dry_run)
    {
        Ok((object, created)) => (if created { 201 } else { 200 }, object),
        Err(ApplyError::Conflict(conflicts)) => {
            let api_version = resource.api_version();
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|(manager, field)| {
                    json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{manager}\" using {api_version}"), "field": field})
                })
                .collect();
            let listed: Vec<String> = conflicts
                .iter()
                .map(|(manager, field)| {
                    format!("- conflict with \"{manager}\" using {api_version}: {field}")
                })
                .collect();
            let message = format!(
                "Apply failed with {} conflict{}: {}",
                conflicts.len(),
                if conflicts.len() == 1 { "" } else { "s" },
                listed.join("\n")
            );
            (
                409,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                       "reason": "Conflict", "details": {"name": name, "kind": resource.plural, "causes": causes}, "code": 409}),
            )
        }
        Err(ApplyError::NamespaceMissing(namespace)) => (
            404,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": format!("namespaces \"{namespace}\" not found"), "reason": "NotFound",
                   "details": {"name": namespace, "kind": "namespaces"}, "code": 404}),
        ),
        Err(ApplyError::Terminating) => status(
            403,
            "Forbidden",
            &format!(
                "unable to create new content in namespace {} because it is being terminated",
                namespace.unwrap_or_default()
            ),
        ),
        Err(ApplyError::Invalid(message)) => status(400, "BadRequest", &message),
    }
}

fn delete(state: &mut State, resource: Resource, namespace: Option<&str>, name: &str) -> Answer {
    match state.store.delete(&key(&resource, namespace, name)) {
        None => not_found(&resource, name),
        Some(object) if object.pointer("/metadata/deletionTimestamp").is_some() => (200, object),
        Some(_) => (
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "details": {"name": name, "kind": resource.plural}}),
        ),
    }
}

/// A `Status` failure.
pub fn status(code: u16, reason: &str, message: &str) -> Answer {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}),
    )
}

fn not_found(resource: &Resource, name: &str) -> Answer {
    let plural = if resource.group.is_empty() {
        resource.plural.to_owned()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    };
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": format!("{plural} \"{name}\" not found"), "reason": "NotFound",
               "details": {"name": name, "kind": resource.plural}, "code": 404}),
    )
}

fn not_found_path(path: &str) -> Answer {
    let _ = path;
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// `a=1&b=x%3Dy` → `{a: 1, b: x=y}`.
fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    index += 3;
                } else {
                    out.push(b'%');
                    index += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the test Helm (`runtime/tests/tools/helm`) asks for: `helm upgrade --install RELEASE
/// CHART` with its flags, sent here with the kubeconfig's credentials (already checked). The
/// two charts berth installs are installed as they would be; any other, or one a test made
/// fail, is refused with Helm's kind of message.
fn helm(state: &mut State, body: Option<&Value>) -> Answer {
    let argv: Vec<String> = body
        .and_then(|body| body.get("argv"))
        .and_then(Value::as_array)
        .map(|argv| {
            argv.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(install) = super::HelmInstall::parse(&argv) else {
        return status(
            400,
            "BadRequest",
            &format!("Error: unknown command or flags: {}", argv.join(" ")),
        );
    };
    state.helm.push(install.clone());
    if let Some(message) = state.behaviour.failing_charts.get(&install.chart) {
        return status(500, "InternalError", &format!("Error: {message}"));
    }
    match install.chart.as_str() {
        "external-secrets" => super::controller::install_external_secrets(state),
        "aws-load-balancer-controller" => {
            for key in ["clusterName", "region", "vpcId"] {
                if install.values.get(key).is_none_or(String::is_empty) {
                    return status(
                        422,
                        "Invalid",
                        &format!("Error: the controller needs `{key}`"),
                    );
                }
            }
            super::controller::install_load_balancer_controller(state);
        }
        other => {
            return status(
                404,
                "NotFound",
                &format!(
                    "Error: chart \"{other}\" not found in {}",
                    install.repository
                ),
            );
        }
    }
    (
        200,
        json!({"release": install.release, "status": "deployed"}),
    )
}
