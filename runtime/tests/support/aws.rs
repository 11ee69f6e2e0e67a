//! Seeding and reading the emulator's state the way a person with the AWS CLI would: stacks and
//! their statuses, images in ECR, certificates, ECS services and task definitions.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Session;

const ECS: &str = "AmazonEC2ContainerServiceV20141113";
const ECR: &str = "AmazonEC2ContainerRegistry_V20150921";

/// Every stack in `region` that was not deleted, with its status.
pub fn stacks(session: &Session<'_>, region: &str) -> BTreeMap<String, String> {
    let text = session.query(
        "cloudformation",
        region,
        &[("Action", "ListStacks"), ("Version", "2010-05-15")],
    );
    text.split("<member>")
        .skip(1)
        .filter_map(|member| Some((tag(member, "StackName")?, tag(member, "StackStatus")?)))
        .filter(|(_, status)| status != "DELETE_COMPLETE")
        .collect()
}

/// Deletes a stack directly (a lock another run gives back).
pub fn delete_stack(session: &Session<'_>, region: &str, name: &str) {
    session.query(
        "cloudformation",
        region,
        &[
            ("Action", "DeleteStack"),
            ("Version", "2010-05-15"),
            ("StackName", name),
        ],
    );
}

/// Creates a stack directly (for a lock held by someone else, or a stack berth did not make).
pub fn create_stack(session: &Session<'_>, region: &str, name: &str, tags: &[(&str, &str)]) {
    let template =
        r#"{"Resources":{"Handle":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}"#;
    let mut parameters = vec![
        ("Action".to_owned(), "CreateStack".to_owned()),
        ("Version".to_owned(), "2010-05-15".to_owned()),
        ("StackName".to_owned(), name.to_owned()),
        ("TemplateBody".to_owned(), template.to_owned()),
    ];
    for (index, (key, value)) in tags.iter().enumerate() {
        parameters.push((format!("Tags.member.{}.Key", index + 1), (*key).to_owned()));
        parameters.push((
            format!("Tags.member.{}.Value", index + 1),
            (*value).to_owned(),
        ));
    }
    let borrowed: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let text = session.query("cloudformation", region, &borrowed);
    assert!(text.contains("StackId"), "CreateStack {name}: {text}");
}

/// The first `<name>…</name>` value in `text`.
pub fn tag(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("<{name}>"))? + name.len() + 2;
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].to_owned())
}

/// Pushes an image (a manifest made unique by `content`) as `repository:tag`; its digest.
pub fn push_image(
    session: &Session<'_>,
    region: &str,
    repository: &str,
    tag: &str,
    content: &str,
) -> String {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "digest": format!("sha256:{content}") },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "digest": format!("sha256:{content}"),
            "size": 1
        }]
    });
    let answer = session.json_call(
        "ecr",
        region,
        &format!("{ECR}.PutImage"),
        &json!({ "repositoryName": repository, "imageTag": tag, "imageManifest": manifest.to_string() }),
    );
    answer["image"]["imageId"]["imageDigest"]
        .as_str()
        .unwrap_or_else(|| panic!("PutImage: {answer}"))
        .to_owned()
}

/// Requests an ACM certificate; its ARN.
pub fn certificate(session: &Session<'_>, region: &str, domain: &str) -> String {
    let answer = session.json_call(
        "acm",
        region,
        "CertificateManager.RequestCertificate",
        &json!({ "DomainName": domain }),
    );
    answer["CertificateArn"]
        .as_str()
        .unwrap_or_else(|| panic!("RequestCertificate: {answer}"))
        .to_owned()
}

/// The services of `cluster`, described.
pub fn services(session: &Session<'_>, region: &str, cluster: &str) -> Vec<Value> {
    let listed = session.json_call(
        "ecs",
        region,
        &format!("{ECS}.ListServices"),
        &json!({ "cluster": cluster }),
    );
    let arns = listed["serviceArns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if arns.is_empty() {
        return Vec::new();
    }
    let described = session.json_call(
        "ecs",
        region,
        &format!("{ECS}.DescribeServices"),
        &json!({ "cluster": cluster, "services": arns }),
    );
    described["services"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The images of a task definition's containers, by container name.
pub fn task_images(
    session: &Session<'_>,
    region: &str,
    task_definition: &str,
) -> BTreeMap<String, String> {
    let described = session.json_call(
        "ecs",
        region,
        &format!("{ECS}.DescribeTaskDefinition"),
        &json!({ "taskDefinition": task_definition }),
    );
    described["taskDefinition"]["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|container| {
            Some((
                container["name"].as_str()?.to_owned(),
                container["image"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The fargate-shop example with its certificate replaced by one the emulator knows.
pub fn shop(session: &Session<'_>) -> tempfile::TempDir {
    let directory = super::example("fargate-shop");
    let path = directory.path().join("berth.kdl");
    let text = std::fs::read_to_string(&path).expect("the example");
    let arn = certificate(session, "eu-west-1", "shop.example.com");
    let start = text
        .find("arn:aws:acm:")
        .expect("a certificate in the example");
    let end = start + text[start..].find('"').expect("a closing quote");
    let text = format!("{}{arn}{}", &text[..start], &text[end..]);
    std::fs::write(&path, text).expect("write the workspace");
    directory
}

/// The tags of the stack `name`.
pub fn stack_tags(session: &Session<'_>, region: &str, name: &str) -> BTreeMap<String, String> {
    let text = session.query(
        "cloudformation",
        region,
        &[
            ("Action", "DescribeStacks"),
            ("Version", "2010-05-15"),
            ("StackName", name),
        ],
    );
    let tags = text
        .split("<Tags>")
        .nth(1)
        .and_then(|rest| rest.split("</Tags>").next())
        .unwrap_or_default();
    tags.split("<member>")
        .skip(1)
        .filter_map(|member| Some((tag(member, "Key")?, tag(member, "Value")?)))
        .collect()
}

/// The names of the ECR repositories in `region`, each with how many images it holds.
pub fn repositories(session: &Session<'_>, region: &str) -> BTreeMap<String, usize> {
    let answer = session.json_call(
        "ecr",
        region,
        &format!("{ECR}.DescribeRepositories"),
        &json!({}),
    );
    answer["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|repository| repository["repositoryName"].as_str())
        .map(|name| {
            let images = session.json_call(
                "ecr",
                region,
                &format!("{ECR}.ListImages"),
                &json!({ "repositoryName": name }),
            );
            let count = images["imageIds"].as_array().map_or(0, Vec::len);
            (name.to_owned(), count)
        })
        .collect()
}
