//! The build a command deploys: `manifest.json` and the artifacts it lists, read from a build
//! directory (refusing one whose workspace file changed since, or whose files were edited) or
//! taken from a build made in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth_compiler::emit::{ArtifactKind, Artifacts};
use berth_compiler::manifest::{FILE_NAME, Manifest, SharedStack, sha256_hex};

use super::error::DeployError;

/// The largest template CloudFormation accepts in the request itself.
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;

/// A build ready to deploy.
#[derive(Clone, Debug)]
pub struct Build {
    /// The manifest.
    pub manifest: Manifest,
    /// Each artifact's text by path: templates as sent to CloudFormation (JSON compacted),
    /// Kubernetes manifests as written.
    pub files: BTreeMap<String, String>,
    /// Things worth saying about where the build came from.
    pub notes: Vec<String>,
}

impl Build {
    /// The build `berth build` wrote into `directory`. Refuses a directory that is not a berth
    /// build, an artifact whose digest differs from the manifest's, and a build whose workspace
    /// file has changed since (when the file can still be found).
    pub fn from_directory(directory: &Path) -> Result<Self, DeployError> {
        let unreadable = |reason: String| DeployError::BuildUnreadable {
            directory: directory.to_path_buf(),
            reason,
        };
        let manifest_path = directory.join(FILE_NAME);
        let text = fs_err::read_to_string(&manifest_path)
            .map_err(|error| unreadable(error.to_string()))?;
        let manifest = Manifest::from_json(&text)
            .map_err(|error| unreadable(format!("{FILE_NAME}: {error}")))?;
        let mut files = BTreeMap::new();
        for artifact in &manifest.artifacts {
            let safe = Path::new(&artifact.path)
                .components()
                .all(|component| matches!(component, std::path::Component::Normal(_)));
            if !safe {
                return Err(unreadable(format!(
                    "it lists the unsafe path `{}`",
                    artifact.path
                )));
            }
            let bytes = fs_err::read(directory.join(&artifact.path))
                .map_err(|error| unreadable(error.to_string()))?;
            if sha256_hex(&bytes) != artifact.sha256 {
                return Err(DeployError::BuildModified {
                    directory: directory.to_path_buf(),
                    path: artifact.path.clone(),
                });
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| unreadable(format!("`{}` is not UTF-8", artifact.path)))?;
            files.insert(
                artifact.path.clone(),
                wire_form(artifact.kind, &artifact.path, text),
            );
        }
        let mut notes = Vec::new();
        match &manifest.source {
            Some(source) => {
                let file = resolve_source(directory, &source.file);
                match fs_err::read(&file) {
                    Ok(bytes) if sha256_hex(&bytes) != source.sha256 => {
                        return Err(DeployError::StaleBuild {
                            directory: directory.to_path_buf(),
                            file,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => notes.push(format!(
                        "cannot find the workspace file `{}` this build was made from, so cannot \
                         tell whether the build is current; deploying it as built",
                        file.display()
                    )),
                }
            }
            None => {
                notes.push("the build records no workspace file; deploying it as built".to_owned());
            }
        }
        Ok(Self {
            manifest,
            files,
            notes,
        })
    }

    /// A build made in memory from a workspace file; `manifest` has its provenance filled in.
    pub fn from_artifacts(artifacts: &Artifacts, manifest: Manifest) -> Self {
        let files = artifacts
            .files
            .iter()
            .map(|artifact| {
                (
                    artifact.path.clone(),
                    wire_form(artifact.kind, &artifact.path, artifact.content.clone()),
                )
            })
            .collect();
        Self {
            manifest,
            files,
            notes: Vec::new(),
        }
    }

    /// The text of the artifact at `path`.
    pub fn file(&self, path: &str) -> &str {
        self.files.get(path).map_or("", String::as_str)
    }

    /// `stack` when it is shared by every workspace on the build's EKS cluster.
    pub fn shared_stack(&self, stack: &str) -> Option<&SharedStack> {
        self.manifest
            .eks
            .as_ref()?
            .shared_stacks
            .iter()
            .find(|shared| shared.stack == stack)
    }

    /// The tags `stack` is deployed with, and must carry before `destroy` deletes it: a shared
    /// stack's one cluster tag (every workspace's deploy must leave it the same), else the
    /// workspace and environment's stack tags.
    pub fn tags_of(&self, stack: &str) -> BTreeMap<String, String> {
        self.shared_stack(stack).map_or_else(
            || self.manifest.stack_tags.clone(),
            |shared| BTreeMap::from([shared.tag.clone()]),
        )
    }
}

/// A template as sent to CloudFormation: JSON without whitespace (half the size, and the same
/// text on every deploy, so an unchanged stack compares equal), YAML as written.
fn wire_form(kind: ArtifactKind, path: &str, text: String) -> String {
    let json = std::path::Path::new(path)
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
    if kind != ArtifactKind::Cloudformation || !json {
        return text;
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(mut value) => {
            value.sort_all_objects();
            serde_json::to_string(&value).unwrap_or(text)
        }
        Err(_) => text,
    }
}

/// The workspace file the manifest names: relative to the build directory unless absolute.
fn resolve_source(directory: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        directory.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_templates_are_sent_compact_and_sorted() {
        let text = "{\n  \"Resources\": {},\n  \"AWSTemplateFormatVersion\": \"2010-09-09\"\n}\n";
        assert_eq!(
            wire_form(
                ArtifactKind::Cloudformation,
                "platform.json",
                text.to_owned()
            ),
            r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}"#
        );
        assert_eq!(
            wire_form(
                ArtifactKind::Cloudformation,
                "platform.yaml",
                "a: 1\n".to_owned()
            ),
            "a: 1\n"
        );
    }
}
