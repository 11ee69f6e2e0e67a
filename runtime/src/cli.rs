//! The command line: every command, flag and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Describe an app once, in one KDL file, and run it on ECS, Fargate or EKS.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None, after_help = "Examples:\n  berth check\n  berth check examples/fargate-shop/berth.kdl --env prod --format json\n  berth explain fargate-size")]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a workspace file and report every problem at once
    #[command(
        after_help = "Examples:\n  berth check\n  berth check shop.kdl --target eks --env prod\n  berth check --var tag=1.5.0 --format json\n\nExit codes: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error."
    )]
    Check(CheckArgs),
    /// Validate, then write CloudFormation (and Kubernetes) artifacts and manifest.json
    #[command(
        after_help = "Examples:\n  berth build\n  berth build examples/fargate-shop/berth.kdl --env prod --out out/prod\n  berth build --cfn-format yaml\n  berth build --format json > build.json\n\nNo AWS account is needed; nothing is deployed. Exit codes: 0 built, 1 invalid, 2 usage or I/O error."
    )]
    Build(BuildArgs),
    /// Explain a diagnostic code, with an example and the fix
    #[command(
        after_help = "Examples:\n  berth explain fargate-size\n  berth explain berth::unknown-node\n  berth explain --list"
    )]
    Explain(ExplainArgs),
    /// Rewrite a workspace file in the canonical layout, keeping comments
    #[command(
        after_help = "Examples:\n  berth fmt\n  berth fmt shop.kdl --check\n  berth fmt shop.kdl --stdout"
    )]
    Fmt(FmtArgs),
    /// Turn what already runs (ECS services, a task definition or a Compose file) into a workspace file
    #[command(
        subcommand,
        after_help = "Examples:\n  berth import ecs --cluster shop-prod --out berth.kdl\n  berth import task-definition web.json > berth.kdl\n  aws ecs describe-task-definition --task-definition web | berth import task-definition - --out berth.kdl\n  berth import compose docker-compose.yml --profile debug --out berth.kdl\n\nWhat cannot be carried over becomes a `//` note beside the workload. Exit codes: 0 imported (the file checks clean), 1 the input cannot be imported or the file does not check clean, 2 usage or I/O error."
    )]
    Import(ImportSource),
    /// Report how a workspace on ECS or Fargate maps onto EKS, per workload and setting
    #[command(
        after_help = "Examples:\n  berth port --from fargate --to eks\n  berth port examples/ecs-ec2-app/berth.kdl --from ecs --format json\n  berth port --deny-lossy            # in CI: fail unless everything maps exactly\n\nEach setting maps exactly, approximately (with what changes) or not at all; the changes are the warnings `berth check --target eks` gives. Exit codes: 0 reported, 1 invalid for --from, or lossy with --deny-lossy, 2 usage or I/O error."
    )]
    Port(PortArgs),
    /// Print the machine-readable schema of the workspace language (JSON)
    #[command(after_help = "Example:\n  berth schema > berth.schema.json")]
    Schema,
    /// Write a commented starter berth.kdl that checks clean; never overwrites a file
    #[command(
        after_help = "Examples:\n  berth init\n  berth init --target eks --region eu-west-1\n  berth init --image redis:7.4 --port 6379 --private\n  berth init --image ghcr.io/acme/mailer:1.0 services/mailer.kdl\n\nWith `--image` and no `--port` the workload is a `worker`. Exit codes: 0 written, 1 the\nvalues given do not make a valid workspace, 2 usage or I/O error (the file exists)."
    )]
    Init(InitArgs),
    /// Show what `berth deploy` would change, stack by stack, without changing anything
    #[command(
        after_help = "Examples:\n  berth plan\n  berth plan shop.kdl --env prod --var tag=1.5.0\n  berth plan --from berth-out/prod --format json\n\nEach stack's change set is created, described and deleted; replacements are shown with the property that forces them. Exit codes: 0 nothing would change, 3 something would change, 1 CloudFormation rejects a template or AWS failed, 2 usage, I/O or an unusable build."
    )]
    Plan(PlanArgs),
    /// Deploy the workspace's stacks in order (on eks, then its Kubernetes objects), waiting until it serves; print the endpoints
    #[command(
        after_help = "Examples:\n  berth deploy\n  berth deploy shop.kdl --env prod --var tag=1.5.0\n  berth deploy --from berth-out/prod --timeout 30m --lock-wait 10m\n  berth deploy --target eks --kubeconfig ~/.kube/config --context prod\n\nCredentials come from the AWS default chain; AWS_ENDPOINT_URL points every client elsewhere (docs/deploy.md). Exit codes: 0 deployed (or nothing to change), 1 failed (the diagnostic says what to do), 2 usage, I/O or an unusable build, 130 interrupted."
    )]
    Deploy(DeployArgs),
    /// Show the stacks, services and endpoints as deployed
    #[command(
        after_help = "Examples:\n  berth status\n  berth status --env prod --format json\n\nExit codes: 0 reported (also when nothing is deployed), 1 AWS failed, 2 usage, I/O or an unusable build."
    )]
    Status(StatusArgs),
    /// Delete the workspace's stacks in reverse order; report what AWS keeps
    #[command(
        after_help = "Examples:\n  berth destroy\n  berth destroy --env dev --yes\n\nOnly stacks tagged with this workspace and environment are touched. Exit codes: 0 destroyed, 1 failed, 2 usage (no --yes without a terminal), I/O or an unusable build, 130 interrupted."
    )]
    Destroy(DestroyArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  berth completions bash > ~/.local/share/bash-completion/completions/berth\n  berth completions zsh > \"${fpath[1]}/_berth\"\n  berth completions fish > ~/.config/fish/completions/berth.fish"
    )]
    Completions(CompletionsArgs),
}

/// Flags of `berth init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter; an existing file is never overwritten
    #[arg(default_value = "berth.kdl")]
    pub file: PathBuf,
    /// The backend to start with
    #[arg(long, value_enum, default_value_t = TargetArg::Fargate)]
    pub target: TargetArg,
    /// The workspace name (default: the directory's name, as a DNS label)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The AWS region (default: `AWS_REGION`, else us-east-1)
    #[arg(long)]
    pub region: Option<String>,
    /// Start from this container image instead of the sample web server
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// The port the image listens on; without it, an `--image` becomes a worker
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Keep the port inside the app instead of routing it from the load balancer
    #[arg(long, requires = "port")]
    pub private: bool,
}

/// Flags of `berth completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What `check` (and later `build`, `plan`, `deploy`) read.
#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// The workspace file
    #[arg(default_value = "berth.kdl")]
    pub file: PathBuf,
    /// Apply this environment overlay (`environment "NAME"` in the file)
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// Set a variable for `{{KEY}}` expressions; repeatable, later wins
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Override the file's target backend
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// Replace the file's AWS region, with a note (`AWS_REGION` applies only when the file has none)
    #[arg(long)]
    pub region: Option<String>,
}

/// Flags of `berth check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The workspace to check.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Flags of `berth build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The workspace to build.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Where to write the artifacts (default `berth-out/<env>/`); only an earlier berth build there is replaced, whole, and anything else is refused
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How to write CloudFormation templates
    #[arg(long, value_enum, default_value_t = CfnFormat::Json)]
    pub cfn_format: CfnFormat,
    /// Output format: `json` prints the diagnostics, and what was written, as one JSON object
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// The `--cfn-format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CfnFormat {
    /// JSON
    Json,
    /// YAML with long-form intrinsics
    Yaml,
}

/// Flags of `berth explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code, with or without the `berth::` prefix
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its summary
    #[arg(long)]
    pub list: bool,
}

/// Flags of `berth fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// The workspace file
    #[arg(default_value = "berth.kdl")]
    pub file: PathBuf,
    /// Change nothing; exit 1 if the file is not formatted
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print the formatted file instead of rewriting it
    #[arg(long)]
    pub stdout: bool,
}

/// Flags of `berth port`.
#[derive(Debug, Args)]
pub struct PortArgs {
    /// The workspace file
    #[arg(default_value = "berth.kdl")]
    pub file: PathBuf,
    /// The target it runs on now (default: the file's, when it is ecs or fargate)
    #[arg(long, value_enum)]
    pub from: Option<FromTarget>,
    /// The target to move to
    #[arg(long, value_enum, default_value_t = ToTarget::Eks)]
    pub to: ToTarget,
    /// Apply this environment overlay (`environment "NAME"` in the file)
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// Set a variable for `{{KEY}}` expressions; repeatable, later wins
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Replace the file's AWS region, with a note (`AWS_REGION` applies only when the file has none)
    #[arg(long)]
    pub region: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 if any setting maps less than exactly
    #[arg(long)]
    pub deny_lossy: bool,
}

/// The `--from` values of `berth port`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FromTarget {
    /// ECS on EC2 instances
    Ecs,
    /// ECS on Fargate
    Fargate,
}

/// The `--to` values of `berth port`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ToTarget {
    /// Kubernetes workloads on EKS
    Eks,
}

/// What `berth import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// The live services of an ECS cluster, read with your AWS credentials (nothing is changed)
    #[command(
        after_help = "Examples:\n  berth import ecs --cluster shop-prod --out berth.kdl\n  berth import ecs --cluster shop-prod --service web --service api --region eu-west-1\n\nReads ecs:ListServices, DescribeServices and DescribeTaskDefinition, and elasticloadbalancing:Describe* for the services' target groups; honours AWS_PROFILE and AWS_ENDPOINT_URL."
    )]
    Ecs(EcsArgs),
    /// An ECS task definition: `aws ecs describe-task-definition` output or a registered task definition's JSON
    #[command(
        after_help = "Examples:\n  berth import task-definition web.json\n  aws ecs describe-task-definition --task-definition web:42 --include TAGS > web.json && berth import task-definition web.json --out berth.kdl"
    )]
    TaskDefinition(TaskDefinitionArgs),
    /// A Compose file (Compose Specification), with its `.env` and `env_file`s
    #[command(
        after_help = "Examples:\n  berth import compose\n  berth import compose docker-compose.yml --profile worker --region eu-west-1 --out berth.kdl"
    )]
    Compose(ComposeArgs),
}

/// Flags every import takes.
#[derive(Debug, Args)]
pub struct ImportOutputArgs {
    /// Write the workspace here instead of printing it; an existing file is kept unless `--force`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the `--out` file if it exists
    #[arg(long, requires = "out")]
    pub force: bool,
    /// The workspace name (default: from the source)
    #[arg(long)]
    pub name: Option<String>,
    /// The target to write (default: what the source ran on, else fargate)
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// The AWS region to write (default: the source's, else `AWS_REGION`)
    #[arg(long)]
    pub region: Option<String>,
}

/// Flags of `berth import task-definition`.
#[derive(Debug, Args)]
pub struct TaskDefinitionArgs {
    /// The task definition JSON file (`-` for standard input)
    pub file: PathBuf,
    /// Where and how to write.
    #[command(flatten)]
    pub output: ImportOutputArgs,
}

/// Flags of `berth import ecs`.
#[derive(Debug, Args)]
pub struct EcsArgs {
    /// The cluster's name (or ARN)
    #[arg(long)]
    pub cluster: String,
    /// Import only this service; repeatable (default: every service of the cluster)
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Where and how to write.
    #[command(flatten)]
    pub output: ImportOutputArgs,
}

/// Flags of `berth import compose`.
#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// The Compose file
    #[arg(default_value = "compose.yaml")]
    pub file: PathBuf,
    /// Include the services of this profile too; repeatable
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Where and how to write.
    #[command(flatten)]
    pub output: ImportOutputArgs,
}

/// The `--target` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// ECS on EC2 instances
    Ecs,
    /// ECS on Fargate
    Fargate,
    /// Kubernetes workloads on EKS
    Eks,
}

impl TargetArg {
    /// The compiler's target.
    pub const fn target(self) -> berth_compiler::model::Target {
        match self {
            Self::Ecs => berth_compiler::model::Target::Ecs,
            Self::Fargate => berth_compiler::model::Target::Fargate,
            Self::Eks => berth_compiler::model::Target::Eks,
        }
    }
}

/// The `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Graphical diagnostics for people
    Human,
    /// One JSON object on stdout
    Json,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("`{text}` has an empty KEY"));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// What the deploy commands deploy: a workspace file built in memory (the same flags as
/// `build`), or a directory `berth build` wrote.
#[derive(Debug, Args)]
pub struct DeploySource {
    /// The workspace to build and deploy.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Use the build in DIR (its manifest.json) instead of building the workspace file; refused when the workspace file changed since
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["file", "environment", "vars", "target", "region"]
    )]
    pub from: Option<PathBuf>,
}

/// How the deploy commands reach an `eks` cluster.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// On eks: reach the cluster with this kubeconfig instead of through EKS with the AWS credentials
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// On eks: the kubeconfig context to use (default: its current context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

impl ClusterArgs {
    /// The engine's settings.
    pub fn settings(&self) -> crate::deploy::cluster::ClusterSettings {
        crate::deploy::cluster::ClusterSettings {
            kubeconfig: crate::kubernetes::connect::KubeconfigChoice {
                path: self.kubeconfig.clone(),
                context: self.context.clone(),
            },
            force_conflicts: false,
            helm: crate::kubernetes::install::Helm::locate(),
        }
    }
}

/// Flags of `berth plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// What to plan.
    #[command(flatten)]
    pub source: DeploySource,
    /// How to reach the cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Stop waiting after this long (`90s`, `20m`, `1h`)
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// Flags of `berth deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// What to deploy.
    #[command(flatten)]
    pub source: DeploySource,
    /// How to reach the cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// On eks: take back fields another tool (kubectl edit, scale) changed since berth applied them
    #[arg(long)]
    pub force_conflicts: bool,
    /// Output format: progress and a summary, or JSON (events as lines on stderr, the result on stdout)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Stop waiting after this long; CloudFormation carries on and a rerun picks up (`90s`, `20m`, `1h`)
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Wait this long for another deploy or destroy of the same workspace and environment to finish (default: refuse at once)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub lock_wait: std::time::Duration,
}

/// Flags of `berth status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// What to report on.
    #[command(flatten)]
    pub source: DeploySource,
    /// How to reach the cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Flags of `berth destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// What to destroy.
    #[command(flatten)]
    pub source: DeploySource,
    /// How to reach the cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Do not ask for confirmation (needed when not on a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Delete the images in the workspace's own ECR repositories, so the repositories go too
    /// (default: a repository that holds images is kept, with its key)
    #[arg(long)]
    pub delete_images: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Stop waiting after this long (`90s`, `20m`, `1h`)
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Wait this long for another deploy or destroy to finish (default: refuse at once)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub lock_wait: std::time::Duration,
}

/// `90`, `90s`, `20m`, `1h`, `1h30m`.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    if text.trim().is_empty() {
        return Err("a duration like 90s, 20m or 1h is needed".to_owned());
    }
    let mut seconds = 0u64;
    let mut number = String::new();
    for character in text.trim().chars() {
        if character.is_ascii_digit() {
            number.push(character);
            continue;
        }
        let unit = match character {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("`{text}` is not a duration like 90s, 20m or 1h")),
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration like 90s, 20m or 1h"))?;
        seconds = seconds.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() {
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration like 90s, 20m or 1h"))?;
        seconds = seconds.saturating_add(value);
    }
    Ok(std::time::Duration::from_secs(seconds))
}
