//! On a cluster berth created, what the workloads need and EKS has no add-on for — the AWS
//! Load Balancer Controller, the External Secrets Operator — is installed by the deploy step
//! from the pinned Helm chart `manifest.json` names, when its checks find it missing. Helm is
//! the user's own (`helm` on `PATH`, or the program `BERTH_HELM` names), run against the same
//! cluster as the same principal: the user's kubeconfig and context, or, through EKS, a
//! kubeconfig of the cluster's endpoint and CA with a freshly signed token, written for the one
//! command into a private temporary directory and removed after it. Without Helm nothing is
//! installed, and the prerequisite check names what is missing and how to install it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use berth_compiler::manifest::{ChartValue, ClusterRequirement, HelmChart};
use serde_json::json;

use super::connect::{Access, Connection};
use super::error::KubernetesError;
use super::event::{KubernetesEvent, Report};
use super::prerequisites;

/// The environment variable that names the Helm program, instead of `helm` on `PATH`.
pub const HELM_VARIABLE: &str = "BERTH_HELM";

/// How long Helm may wait for a release to be ready (`--timeout`): well inside the
/// 14 minutes an EKS token is accepted for.
const HELM_TIMEOUT: Duration = Duration::from_mins(10);

/// How long berth waits for Helm itself before giving up on it.
const HELM_DEADLINE: Duration = Duration::from_mins(11);

/// The Helm program to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Helm {
    /// Its path.
    pub program: PathBuf,
}

impl Helm {
    /// `BERTH_HELM` when set, else the first `helm` on `PATH`; `None` when there is none.
    pub fn locate() -> Option<Self> {
        if let Some(named) = std::env::var_os(HELM_VARIABLE).filter(|value| !value.is_empty()) {
            return Some(Self {
                program: PathBuf::from(named),
            });
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|directory| directory.join("helm"))
            .find(|candidate| is_executable(candidate))
            .map(|program| Self { program })
    }
}

/// Whether `path` is a file this user may run.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// Installs, with `helm`, each requirement that has a chart and fails a check, in order.
/// `outputs` (`(stack, output)` → value) fills the charts' values that stacks output. Returns
/// what was installed (`the AWS Load Balancer Controller (aws-load-balancer-controller
/// 1.17.0)`). Without `helm` nothing is installed: the prerequisite check then names what is
/// missing.
pub async fn install_missing(
    connection: &Connection,
    requirements: &[ClusterRequirement],
    outputs: &BTreeMap<(String, String), String>,
    helm: Option<&Helm>,
    report: Report<'_>,
) -> Result<Vec<String>, KubernetesError> {
    let mut installed = Vec::new();
    let Some(helm) = helm else {
        return Ok(installed);
    };
    for requirement in requirements {
        let Some(chart) = &requirement.chart else {
            continue;
        };
        if prerequisites::satisfied(connection, requirement).await? {
            continue;
        }
        let values = chart_values(chart, outputs)?;
        let what = format!("{} ({} {})", requirement.what, chart.chart, chart.version);
        report(KubernetesEvent::Installing { what: what.clone() });
        run_helm(helm, connection, chart, &values, &requirement.what).await?;
        report(KubernetesEvent::Installed { what: what.clone() });
        installed.push(what);
    }
    Ok(installed)
}

/// The chart's values as `--set` gives them, stack outputs filled in.
fn chart_values(
    chart: &HelmChart,
    outputs: &BTreeMap<(String, String), String>,
) -> Result<Vec<(String, String)>, KubernetesError> {
    chart
        .values
        .iter()
        .map(|(key, value)| {
            let value = match value {
                ChartValue::Text(text) => text.clone(),
                ChartValue::Output(output) => outputs
                    .get(&(output.stack.clone(), output.output.clone()))
                    .cloned()
                    .ok_or_else(|| KubernetesError::Unfilled {
                        path: berth_compiler::manifest::FILE_NAME.to_owned(),
                        placeholder: format!("{}: {key}", chart.release),
                        source_output: Some(format!("{}.{}", output.stack, output.output)),
                    })?,
            };
            Ok((key.clone(), value))
        })
        .collect()
}

/// The arguments of `helm upgrade --install` for `chart` (without the kubeconfig's).
pub fn helm_arguments(chart: &HelmChart, values: &[(String, String)]) -> Vec<String> {
    let mut arguments: Vec<String> = [
        "upgrade",
        "--install",
        &chart.release,
        &chart.chart,
        "--repo",
        &chart.repository,
        "--version",
        &chart.version,
        "--namespace",
        &chart.namespace,
        "--create-namespace",
        "--wait",
        "--timeout",
    ]
    .iter()
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.push(format!("{}s", HELM_TIMEOUT.as_secs()));
    for (key, value) in values {
        arguments.push("--set".to_owned());
        arguments.push(format!("{key}={}", escape_set_value(value)));
    }
    arguments
}

/// A value as `--set` reads it: a comma separates values and a backslash escapes.
fn escape_set_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace(',', "\\,")
}

/// Runs Helm for `chart`, reaching the cluster as `connection` does.
async fn run_helm(
    helm: &Helm,
    connection: &Connection,
    chart: &HelmChart,
    values: &[(String, String)],
    what: &str,
) -> Result<(), KubernetesError> {
    let failed = |reason: String| KubernetesError::ChartFailed {
        what: what.to_owned(),
        release: format!("{}/{}", chart.namespace, chart.release),
        chart: format!("{} {}", chart.chart, chart.version),
        reason,
    };
    // Holds the kubeconfig written for this command, removed when dropped.
    let scratch = tempfile::Builder::new()
        .prefix("berth-helm-")
        .tempdir()
        .map_err(|error| failed(format!("cannot make a temporary directory: {error}")))?;
    let mut arguments: Vec<OsString> = helm_arguments(chart, values)
        .into_iter()
        .map(OsString::from)
        .collect();
    arguments.extend(kubeconfig_arguments(connection, scratch.path()).await?);
    let mut command = tokio::process::Command::new(&helm.program);
    command
        .args(&arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(HELM_DEADLINE, command.output())
        .await
        .map_err(|_| {
            failed(format!(
                "`{}` did not finish within {} minutes",
                helm.program.display(),
                HELM_DEADLINE.as_secs() / 60
            ))
        })?
        .map_err(|error| failed(format!("cannot run `{}`: {error}", helm.program.display())))?;
    drop(scratch);
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(5)..].join(" / ");
    Err(failed(format!(
        "`helm upgrade --install` exited with {}{}",
        output
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |code| format!("code {code}")),
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        }
    )))
}

/// The arguments that point Helm at the cluster: the user's kubeconfig and context as given,
/// or a kubeconfig for the EKS endpoint with a token signed now, written into `directory`
/// (readable by this user only).
async fn kubeconfig_arguments(
    connection: &Connection,
    directory: &Path,
) -> Result<Vec<OsString>, KubernetesError> {
    match &connection.access {
        Access::Kubeconfig(choice) => {
            let mut arguments = Vec::new();
            if let Some(path) = &choice.path {
                arguments.push(OsString::from("--kubeconfig"));
                arguments.push(path.clone().into_os_string());
            }
            if let Some(context) = &choice.context {
                arguments.push(OsString::from("--kube-context"));
                arguments.push(OsString::from(context));
            }
            Ok(arguments)
        }
        Access::Eks {
            cluster,
            endpoint,
            tokens,
        } => {
            let token = tokens.sign_now().await?;
            let kubeconfig =
                super::connect::eks_kubeconfig(cluster, endpoint, &json!({"token": token}));
            let path = directory.join("kubeconfig");
            write_private(&path, kubeconfig.to_string().as_bytes()).map_err(|error| {
                KubernetesError::ChartFailed {
                    what: "a kubeconfig for Helm".to_owned(),
                    release: String::new(),
                    chart: String::new(),
                    reason: format!("cannot write `{}`: {error}", path.display()),
                }
            })?;
            Ok(vec![OsString::from("--kubeconfig"), path.into_os_string()])
        }
    }
}

/// Writes `bytes` to a new file only this user may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_compiler::manifest::OutputRef;

    fn chart() -> HelmChart {
        HelmChart {
            release: "aws-load-balancer-controller".to_owned(),
            namespace: "kube-system".to_owned(),
            repository: "https://aws.github.io/eks-charts".to_owned(),
            chart: "aws-load-balancer-controller".to_owned(),
            version: "1.17.0".to_owned(),
            values: BTreeMap::from([
                (
                    "clusterName".to_owned(),
                    ChartValue::Text("shop-default".to_owned()),
                ),
                (
                    "vpcId".to_owned(),
                    ChartValue::Output(OutputRef {
                        stack: "shop-default-platform".to_owned(),
                        output: "VpcId".to_owned(),
                    }),
                ),
            ]),
        }
    }

    #[test]
    fn chart_values_read_stack_outputs_and_a_missing_one_is_named() {
        let outputs = BTreeMap::from([(
            ("shop-default-platform".to_owned(), "VpcId".to_owned()),
            "vpc-0abc".to_owned(),
        )]);
        assert_eq!(
            chart_values(&chart(), &outputs).expect("filled"),
            vec![
                ("clusterName".to_owned(), "shop-default".to_owned()),
                ("vpcId".to_owned(), "vpc-0abc".to_owned()),
            ]
        );
        let error = chart_values(&chart(), &BTreeMap::new()).expect_err("no output");
        assert!(
            error.to_string().contains("shop-default-platform.VpcId"),
            "{error}"
        );
    }

    #[test]
    fn the_helm_command_pins_the_chart_waits_and_escapes_values() {
        let arguments = helm_arguments(&chart(), &[("tags".to_owned(), "a,b\\c".to_owned())]);
        assert_eq!(
            arguments,
            [
                "upgrade",
                "--install",
                "aws-load-balancer-controller",
                "aws-load-balancer-controller",
                "--repo",
                "https://aws.github.io/eks-charts",
                "--version",
                "1.17.0",
                "--namespace",
                "kube-system",
                "--create-namespace",
                "--wait",
                "--timeout",
                "600s",
                "--set",
                "tags=a\\,b\\\\c",
            ]
        );
    }
}
