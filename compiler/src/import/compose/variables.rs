//! A Compose service's variables: `environment` over its `env_file`s, with values that look
//! like secrets turned into SSM references, and Compose secrets (files under `/run/secrets`)
//! turned into secret variables.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::draft::{DraftSecret, DraftWorkload};
use super::super::fields::{Fields, scalar_text};
use super::super::names::path_segment;
use super::super::secrets::{looks_secret, parameter_for};
use super::service::{ServiceContext, UseTemplate};
use super::values;

/// `environment` over `env_file`; secret-looking values become SSM references.
pub fn environment(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    workload: &mut DraftWorkload,
    notes: &mut Vec<String>,
    use_template: &mut UseTemplate<'_>,
) {
    let mut values: Vec<(String, Option<String>, &'static str)> = Vec::new();
    let env_files: Vec<(String, bool)> = match fields.take("env_file") {
        Some(Value::String(path)) => vec![(path.clone(), true)],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Object(long) => Some((
                    long.get("path").and_then(scalar_text)?,
                    long.get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                )),
                other => scalar_text(other).map(|path| (path, true)),
            })
            .collect(),
        _ => Vec::new(),
    };
    for (path, required) in env_files {
        match context.files.env_files.get(&path) {
            Some(text) => {
                for (name, value) in values::parse_env_file(text) {
                    values.push((name, Some(value), "env_file"));
                }
            }
            None if required => notes.push(format!("env_file `{path}` could not be read, so its variables are missing: add them to `env` (or as a `secret`)")),
            None => {}
        }
    }
    match fields.take("environment") {
        Some(Value::Object(map)) => {
            for (name, value) in map {
                values.push((name.clone(), scalar_text(value), "environment"));
            }
        }
        Some(Value::Array(items)) => {
            for item in items.iter().filter_map(scalar_text) {
                match item.split_once('=') {
                    Some((name, value)) => {
                        values.push((name.to_owned(), Some(value.to_owned()), "environment"));
                    }
                    None => values.push((item, None, "environment")),
                }
            }
        }
        _ => {}
    }
    let mut settled: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (name, value, _) in values {
        settled.insert(name, value);
    }
    for (name, value) in settled {
        if !crate::naming::is_environment_variable(&name) {
            notes.push(not_a_variable(&name));
            continue;
        }
        let Some(value) = value else {
            notes.push(format!("`{name}` took its value from the shell running Compose; give it one under `env` (or as a `secret`)"));
            continue;
        };
        let template = context.interpolation.template(&value);
        let resolved = context.interpolation.resolve(&value);
        let secret = looks_secret(&name, &resolved)
            || template.variables.iter().any(|(variable, variable_value)| {
                looks_secret(variable, variable_value.as_deref().unwrap_or("x"))
            });
        if secret {
            let (secret, note) = parameter_for(&name, context.workspace, "holds a secret value");
            workload.container.secrets.push(secret);
            notes.push(note);
        } else {
            let text = use_template(template, notes);
            workload.container.env.insert(name, text);
        }
    }
}

/// The note for a variable name berth cannot set.
pub fn not_a_variable(name: &str) -> String {
    format!(
        "`{name}` is left out: berth sets only portable variable names (letters, digits and `_`, not starting with a digit); if the image reads it, set it in the image or its configuration file"
    )
}

/// Compose secrets (files under `/run/secrets`) become secret variables read from SSM.
pub fn secrets(
    fields: &mut Fields<'_>,
    context: &ServiceContext<'_>,
    workload: &mut DraftWorkload,
    notes: &mut Vec<String>,
) {
    for entry in fields.array("secrets") {
        let (source, target) = match entry {
            Value::Object(long) => {
                let source = long.get("source").and_then(scalar_text).unwrap_or_default();
                let target = long
                    .get("target")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| source.clone());
                (source, target)
            }
            other => {
                let source = scalar_text(other).unwrap_or_default();
                (source.clone(), source)
            }
        };
        if source.is_empty() {
            continue;
        }
        let file = if target.starts_with('/') {
            target.clone()
        } else {
            format!("/run/secrets/{target}")
        };
        let file_name = file.rsplit('/').next().unwrap_or(&target);
        let variable = variable_name(file_name);
        let external = context
            .secrets
            .and_then(|secrets| secrets.get(&source))
            .and_then(|secret| secret.get("name").and_then(scalar_text))
            .unwrap_or_else(|| source.clone());
        let segment = path_segment(&external);
        workload.container.secrets.push(DraftSecret {
            name: variable.clone(),
            from: format!("ssm:/{{{{workspace}}}}/{{{{env}}}}/{segment}"),
            key: None,
        });
        notes.push(format!(
            "Compose mounted the secret `{source}` as the file {file}; berth passes it as the variable `{variable}` instead (change the app to read it, e.g. a `*_FILE` setting becomes the variable), read from SSM: store it with `aws ssm put-parameter --type SecureString --name /{}/default/{segment} --value …`",
            context.workspace
        ));
    }
}

/// An environment variable name for a secret file name: `db_password` → `DB_PASSWORD`.
fn variable_name(file: &str) -> String {
    let mut name: String = file
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|character: char| character.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}
