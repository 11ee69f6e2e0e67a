//! Planning, without I/O: from the build and what is deployed, the stacks in stages (one per
//! deploy order) and what each needs.

use std::collections::BTreeMap;

use berth_compiler::manifest::ArtifactKind;

use super::build::Build;
use super::cloudformation::{DeployedStack, SsmInput, StackSpec, is_busy, is_stable};
use super::error::DeployError;
use super::images::{Resolution, ResolvedImage};

/// What a stack needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Template, parameters and tags equal what is deployed: no call that changes anything.
    Unchanged,
    /// It does not exist (or only as an unexecuted change set's `REVIEW_IN_PROGRESS`).
    Create,
    /// It exists and differs.
    Update,
    /// CloudFormation is working on it; decide again once it settles.
    Busy(String),
}

/// The stacks of one deploy order, and the Kubernetes artifacts of that order.
#[derive(Clone, Debug)]
pub struct Stage {
    /// The order.
    pub order: u32,
    /// The stacks, by name.
    pub stacks: Vec<StackSpec>,
    /// The Kubernetes artifacts (on `eks`), by path.
    pub kubernetes: Vec<String>,
}

/// Every stage of `build`, lowest order first, with the stack tags and no parameters yet.
pub fn stages(build: &Build) -> Vec<Stage> {
    let mut stages: BTreeMap<u32, Stage> = BTreeMap::new();
    for artifact in &build.manifest.artifacts {
        let stage = stages.entry(artifact.order).or_insert_with(|| Stage {
            order: artifact.order,
            stacks: Vec::new(),
            kubernetes: Vec::new(),
        });
        match (artifact.kind, &artifact.stack) {
            (ArtifactKind::Cloudformation, Some(stack)) => {
                let body = build.file(&artifact.path).to_owned();
                let (defaults, ssm) = template_parameters(&body);
                stage.stacks.push(StackSpec {
                    name: stack.clone(),
                    artifact: artifact.path.clone(),
                    order: artifact.order,
                    body,
                    parameters: BTreeMap::new(),
                    defaults,
                    ssm,
                    tags: build.tags_of(stack),
                });
            }
            _ => stage.kubernetes.push(artifact.path.clone()),
        }
    }
    stages.into_values().collect()
}

/// A template's parameter defaults, and its SSM-typed parameters with their SSM names.
fn template_parameters(body: &str) -> (BTreeMap<String, String>, BTreeMap<String, SsmInput>) {
    let template: serde_json::Value = serde_json::from_str(body)
        .ok()
        .or_else(|| serde_saphyr::from_str(body).ok())
        .unwrap_or_default();
    let mut defaults = BTreeMap::new();
    let mut ssm = BTreeMap::new();
    for (key, definition) in template["Parameters"].as_object().into_iter().flatten() {
        let default = match &definition["Default"] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => continue,
        };
        let kind = definition["Type"].as_str().unwrap_or_default();
        if kind.starts_with("AWS::SSM::Parameter::Value<") {
            ssm.insert(
                key.clone(),
                SsmInput {
                    name: default.clone(),
                    value: None,
                },
            );
        }
        defaults.insert(key.clone(), default);
    }
    (defaults, ssm)
}

/// The SSM parameter names every stack reads.
pub fn ssm_names(stages: &[Stage]) -> Vec<String> {
    let mut names: Vec<String> = stages
        .iter()
        .flat_map(|stage| &stage.stacks)
        .flat_map(|spec| spec.ssm.values().map(|input| input.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Fills in the SSM parameters' current values.
pub fn fill_ssm(stages: &mut [Stage], values: &BTreeMap<String, String>) {
    for spec in stages.iter_mut().flat_map(|stage| stage.stacks.iter_mut()) {
        for input in spec.ssm.values_mut() {
            input.value = values.get(&input.name).cloned();
        }
    }
}

/// Fills every stack's image parameters from the resolved images.
pub fn fill_parameters(stages: &mut [Stage], images: &[ResolvedImage]) {
    for image in images {
        let (Some(stack), Some(parameter)) = (&image.input.stack, &image.input.parameter) else {
            continue;
        };
        for spec in stages.iter_mut().flat_map(|stage| stage.stacks.iter_mut()) {
            if &spec.name == stack {
                spec.parameters
                    .insert(parameter.clone(), image.resolution.parameter_value());
            }
        }
    }
}

/// Sets the parameter `parameter` of the stack `stack` to `value`.
pub fn fill_parameter(stages: &mut [Stage], stack: &str, parameter: &str, value: &str) {
    for spec in stages.iter_mut().flat_map(|stage| stage.stacks.iter_mut()) {
        if spec.name == stack {
            spec.parameters
                .insert(parameter.to_owned(), value.to_owned());
        }
    }
}

/// Whether a stack's template must be fetched to decide: it is stable, its parameters and tags
/// already match, and each SSM-typed parameter resolved to the value the parameter holds now
/// (the template is the last thing compared, and the only costly one).
pub fn needs_template(spec: &StackSpec, deployed: Option<&DeployedStack>) -> bool {
    deployed.is_some_and(|deployed| {
        is_stable(&deployed.status)
            && deployed.parameters == spec.expected_parameters()
            && deployed.tags == spec.tags
            && spec.ssm.iter().all(|(key, input)| {
                input.value.is_some() && deployed.resolved.get(key) == input.value.as_ref()
            })
    })
}

/// What `spec` needs given the stack as deployed (and its template, when fetched). Fails for a
/// stack that cannot be deployed until someone acts on it.
pub fn decide(
    spec: &StackSpec,
    deployed: Option<&DeployedStack>,
    template: Option<&str>,
) -> Result<Decision, DeployError> {
    let Some(deployed) = deployed else {
        return Ok(Decision::Create);
    };
    // A stack of this name that berth did not create for this workspace and environment (or,
    // when shared, for this cluster) is someone else's: never update it.
    if !deployed.has_tags(&spec.tags) {
        return Err(DeployError::ForeignStack {
            stack: spec.name.clone(),
            expected: berth_tags(&spec.tags),
        });
    }
    let status = deployed.status.as_str();
    match status {
        "REVIEW_IN_PROGRESS" => return Ok(Decision::Create),
        "ROLLBACK_COMPLETE" | "CREATE_FAILED" => {
            return Err(DeployError::StackNeedsDelete {
                stack: spec.name.clone(),
            });
        }
        "UPDATE_ROLLBACK_FAILED" | "ROLLBACK_FAILED" | "IMPORT_ROLLBACK_FAILED" => {
            return Err(DeployError::StackRollbackFailed {
                stack: spec.name.clone(),
                status: status.to_owned(),
                failed: Vec::new(),
            });
        }
        "DELETE_FAILED" => {
            return Err(DeployError::DeleteFailed {
                stack: spec.name.clone(),
                status: status.to_owned(),
                failed: Vec::new(),
            });
        }
        _ => {}
    }
    if is_busy(status) {
        return Ok(Decision::Busy(status.to_owned()));
    }
    let unchanged = needs_template(spec, Some(deployed)) && template == Some(spec.body.as_str());
    Ok(if unchanged {
        Decision::Unchanged
    } else {
        Decision::Update
    })
}

/// `berth:workspace=…, berth:environment=…`: the tags that make a stack berth's.
pub fn berth_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .filter(|(key, _)| key.starts_with("berth:"))
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every image still missing.
pub fn missing(images: &[ResolvedImage]) -> Vec<ResolvedImage> {
    images
        .iter()
        .filter(|image| matches!(image.resolution, Resolution::Missing(_)))
        .cloned()
        .collect()
}

/// Whether a missing image is needed by a stage of order `order` or earlier: a deploy must stop
/// before that stage.
pub fn missing_needed_by(images: &[ResolvedImage], stages: &[Stage], order: u32) -> bool {
    missing(images).iter().any(|image| {
        let needed_at = image.input.stack.as_ref().map_or_else(
            || order_of_artifact(stages, &image.input.artifact),
            |stack| order_of_stack(stages, stack),
        );
        needed_at.is_some_and(|needed_at| needed_at <= order)
    })
}

fn order_of_stack(stages: &[Stage], stack: &str) -> Option<u32> {
    stages
        .iter()
        .find(|stage| stage.stacks.iter().any(|spec| spec.name == stack))
        .map(|stage| stage.order)
}

fn order_of_artifact(stages: &[Stage], path: &str) -> Option<u32> {
    stages
        .iter()
        .find(|stage| stage.kubernetes.iter().any(|artifact| artifact == path))
        .map(|stage| stage.order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> StackSpec {
        StackSpec {
            name: "shop-default-web".into(),
            artifact: "service-web.json".into(),
            order: 1,
            body: "{}".into(),
            parameters: BTreeMap::from([("ImageWeb".into(), "web@sha256:1".into())]),
            defaults: BTreeMap::from([("Subnets".into(), "/berth/shop/subnets".into())]),
            ssm: BTreeMap::from([(
                "Subnets".into(),
                SsmInput {
                    name: "/berth/shop/subnets".into(),
                    value: Some("subnet-1,subnet-2".into()),
                },
            )]),
            tags: BTreeMap::from([("berth:workspace".into(), "shop".into())]),
        }
    }

    fn deployed(status: &str) -> DeployedStack {
        let spec = spec();
        DeployedStack {
            name: spec.name.clone(),
            status: status.into(),
            parameters: spec.expected_parameters(),
            resolved: BTreeMap::from([("Subnets".into(), "subnet-1,subnet-2".into())]),
            tags: spec.tags,
            ..DeployedStack::default()
        }
    }

    #[test]
    fn equal_template_parameters_and_tags_are_unchanged() {
        let spec = spec();
        let stack = deployed("UPDATE_COMPLETE");
        assert_eq!(
            decide(&spec, Some(&stack), Some("{}")).ok(),
            Some(Decision::Unchanged)
        );
        assert_eq!(
            decide(&spec, Some(&stack), Some("{ }")).ok(),
            Some(Decision::Update)
        );
        let mut moved = stack.clone();
        moved
            .parameters
            .insert("ImageWeb".into(), "web@sha256:2".into());
        assert!(!needs_template(&spec, Some(&moved)));
        assert_eq!(
            decide(&spec, Some(&moved), None).ok(),
            Some(Decision::Update)
        );
        let mut stale = stack.clone();
        stale.resolved.insert("Subnets".into(), "subnet-1".into());
        assert!(
            !needs_template(&spec, Some(&stale)),
            "an SSM value changed since: the stack must read it again"
        );
    }

    #[test]
    fn missing_review_and_busy_stacks() {
        let spec = spec();
        assert_eq!(decide(&spec, None, None).ok(), Some(Decision::Create));
        let review = deployed("REVIEW_IN_PROGRESS");
        assert_eq!(
            decide(&spec, Some(&review), None).ok(),
            Some(Decision::Create)
        );
        let busy = deployed("UPDATE_IN_PROGRESS");
        assert_eq!(
            decide(&spec, Some(&busy), None).ok(),
            Some(Decision::Busy("UPDATE_IN_PROGRESS".into()))
        );
    }

    #[test]
    fn stacks_that_need_a_person_are_refused() {
        let spec = spec();
        let failed = decide(&spec, Some(&deployed("ROLLBACK_COMPLETE")), None);
        assert!(matches!(failed, Err(DeployError::StackNeedsDelete { .. })));
        let stuck = decide(&spec, Some(&deployed("UPDATE_ROLLBACK_FAILED")), None);
        assert!(matches!(
            stuck,
            Err(DeployError::StackRollbackFailed { .. })
        ));
    }

    #[test]
    fn a_stack_without_the_workspaces_tags_is_never_updated() {
        let spec = spec();
        let mut foreign = deployed("UPDATE_COMPLETE");
        foreign.tags.clear();
        let refused = decide(&spec, Some(&foreign), Some("{}"));
        assert!(
            matches!(&refused, Err(DeployError::ForeignStack { expected, .. }) if expected == "berth:workspace=shop"),
            "{refused:?}"
        );
        foreign
            .tags
            .insert("berth:workspace".into(), "other".into());
        assert!(matches!(
            decide(&spec, Some(&foreign), Some("{}")),
            Err(DeployError::ForeignStack { .. })
        ));
    }
}
