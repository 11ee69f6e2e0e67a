//! `berth import`: read live ECS services (through [`crate::ecs_import`]), a task definition or a
//! Compose file (and the files it refers to), let the compiler's importer turn it into a
//! workspace, then print it or write it without ever replacing a file silently.

use std::io::Read as _;
use std::path::Path;

use berth_compiler::import::{self, ComposeFiles, ImportError, ImportOptions, Imported};

use crate::aws::{Aws, AwsErrorKind};
use crate::cli::{ComposeArgs, EcsArgs, ImportOutputArgs, ImportSource, TaskDefinitionArgs};
use crate::ecs_import::{self, ReadError};
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// Runs one import.
pub fn run(source: &ImportSource) -> u8 {
    match source {
        ImportSource::Ecs(args) => ecs(args),
        ImportSource::TaskDefinition(args) => task_definition(args),
        ImportSource::Compose(args) => compose(args),
    }
}

/// Reads the cluster's services from AWS (on a runtime only this command starts), then imports
/// them like any other source.
fn ecs(args: &EcsArgs) -> u8 {
    let options = options(&args.output, Vec::new());
    if let Some(path) = args.output.out.as_ref().filter(|path| path.exists())
        && !args.output.force
    {
        // Said before reading AWS, so a long read does not end in this.
        stdio::eprintln(&format!(
            "error: {} already exists; berth never replaces a file silently (pass --force to replace it, or choose another --out)",
            path.display()
        ));
        return EXIT_USAGE;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            stdio::eprintln(&format!("error: cannot start the async runtime: {error}"));
            return EXIT_USAGE;
        }
    };
    let read = runtime.block_on(async {
        let region = match &options.region {
            Some(region) => Some(region.clone()),
            None => aws_config::meta::region::RegionProviderChain::default_provider()
                .region()
                .await
                .map(|region| region.to_string()),
        };
        let aws = Aws::connect(&region?).await;
        Some(ecs_import::read_cluster(aws.config(), &args.cluster, &args.services).await)
    });
    let read = match read {
        Some(Ok(read)) => read,
        None => {
            stdio::eprintln(
                "error: no AWS region\n  help: pass --region, or set AWS_REGION or a region in your AWS profile",
            );
            return EXIT_USAGE;
        }
        Some(Err(error)) => {
            stdio::eprintln(&format!(
                "error: cannot read cluster `{}`: {error}\n  help: {}",
                args.cluster,
                read_help(&error, &args.cluster)
            ));
            return EXIT_INVALID;
        }
    };
    for denied in &read.denied {
        stdio::eprintln(&format!(
            "warning: {denied}\n  help: the services behind its load balancers are imported without their routes (a note beside each says so); grant `{}` and import again for them",
            ecs_import::iam_action(denied.operation)
        ));
    }
    let origin = format!("cluster `{}`", args.cluster);
    finish(
        import::ecs_services(&read.cluster, &options),
        "",
        &origin,
        &args.output,
    )
}

/// What to do after the cluster could not be read.
fn read_help(error: &ReadError, cluster: &str) -> String {
    let aws = match error {
        ReadError::Aws(aws) => aws,
        ReadError::MissingService { cluster, .. } => {
            return format!(
                "`aws ecs list-services --cluster {cluster}` lists its services; name them as it prints them (without the ARN prefix)"
            );
        }
        ReadError::Unreadable { .. } => {
            return "run the command again; if it persists, report it with the output of the same `aws ecs` call".to_owned();
        }
    };
    match aws.kind {
        AwsErrorKind::NoCredentials => "configure credentials: `aws configure`, `aws sso login --profile NAME` with `AWS_PROFILE=NAME`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows what berth will use".to_owned(),
        AwsErrorKind::ExpiredCredentials => "refresh the credentials (`aws sso login`, or a new session token), then import again".to_owned(),
        AwsErrorKind::AccessDenied => format!(
            "grant the identity `aws sts get-caller-identity` shows `{}` (docs/migration.md lists every read-only permission `import ecs` uses), then import again",
            ecs_import::iam_action(aws.operation)
        ),
        AwsErrorKind::Throttled => "AWS throttled every retry; wait a minute and import again, or raise AWS_MAX_ATTEMPTS".to_owned(),
        AwsErrorKind::Unreachable => "check the network, the region, and AWS_ENDPOINT_URL if it is set; then import again".to_owned(),
        AwsErrorKind::Service if aws.code.as_deref() == Some("ClusterNotFoundException") => format!(
            "`aws ecs list-clusters` lists the clusters of the region; pass --region if `{cluster}` is in another one"
        ),
        AwsErrorKind::Service => "read AWS's message above; fix what it names and import again".to_owned(),
    }
}

fn task_definition(args: &TaskDefinitionArgs) -> u8 {
    let (text, origin) = match read_input(&args.file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let options = options(&args.output, Vec::new());
    finish(
        import::task_definition(&text, &origin, &options),
        &text,
        &origin,
        &args.output,
    )
}

fn compose(args: &ComposeArgs) -> u8 {
    let (text, origin) = match read_input(&args.file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let directory = args
        .file
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut files = ComposeFiles {
        directory: std::path::absolute(directory).ok().and_then(|absolute| {
            absolute
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        }),
        dotenv: std::fs::read_to_string(directory.join(".env")).ok(),
        ..ComposeFiles::default()
    };
    for path in import::compose_env_files(&text) {
        if let Ok(content) = std::fs::read_to_string(directory.join(&path)) {
            files.env_files.insert(path, content);
        }
    }
    let options = options(&args.output, args.profiles.clone());
    finish(
        import::compose(&text, &origin, &files, &options),
        &text,
        &origin,
        &args.output,
    )
}

/// Reads the input file (`-`: standard input), naming it for the file's header.
fn read_input(path: &Path) -> Result<(String, String), u8> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return match std::io::stdin().read_to_string(&mut text) {
            Ok(_) => Ok((text, "standard input".to_owned())),
            Err(error) => {
                stdio::eprintln(&format!("error: cannot read standard input: {error}"));
                Err(EXIT_USAGE)
            }
        };
    }
    let text = super::read_source(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok((text, format!("`{name}`")))
}

fn options(output: &ImportOutputArgs, profiles: Vec<String>) -> ImportOptions {
    ImportOptions {
        name: output.name.clone(),
        target: output.target.map(crate::cli::TargetArg::target),
        region: output.region.clone().or_else(|| {
            std::env::var("AWS_REGION")
                .ok()
                .filter(|region| !region.is_empty())
        }),
        profiles,
    }
}

/// Prints or writes the imported workspace and reports how it checks.
pub(crate) fn finish(
    imported: Result<Imported, ImportError>,
    input: &str,
    origin: &str,
    output: &ImportOutputArgs,
) -> u8 {
    let imported = match imported {
        Ok(imported) => imported,
        Err(problem) => {
            stdio::eprint(&render_problem(&problem, origin, input));
            return EXIT_INVALID;
        }
    };
    match &output.out {
        None => {
            let printed = stdio::print(&imported.source);
            if printed != EXIT_OK {
                return printed;
            }
        }
        Some(path) => {
            if path.exists() && !output.force {
                stdio::eprintln(&format!(
                    "error: {} already exists; berth never replaces a file silently (pass --force to replace it, or choose another --out)",
                    path.display()
                ));
                return EXIT_USAGE;
            }
            if let Err(error) = fs_err::write(path, &imported.source) {
                stdio::eprintln(&format!("error: {error}"));
                return EXIT_USAGE;
            }
        }
    }
    let written = output
        .out
        .as_ref()
        .map_or_else(|| "berth.kdl".to_owned(), |path| path.display().to_string());
    let style = Style::for_terminal();
    let warnings = |diagnostics: &[berth_compiler::Diagnostic]| diagnostics.len();
    stdio::eprintln(&format!(
        "imported {} workload{} from {origin} with {} note{} on what could not be carried over",
        imported.workloads,
        if imported.workloads == 1 { "" } else { "s" },
        imported.notes,
        if imported.notes == 1 { "" } else { "s" },
    ));
    if imported.is_clean() {
        stdio::eprintln(&format!(
            "it checks clean for {} ({} warnings) and eks ({} warnings); next: `berth check {written}`, then `berth port --from {} --to eks {written}`",
            imported.target.name(),
            warnings(&imported.diagnostics),
            warnings(&imported.eks_diagnostics),
            imported.target.name(),
        ));
        return EXIT_OK;
    }
    let errors: Vec<berth_compiler::Diagnostic> = imported
        .diagnostics
        .iter()
        .chain(&imported.eks_diagnostics)
        .filter(|diagnostic| diagnostic.severity() == berth_compiler::Severity::Error)
        .cloned()
        .collect();
    stdio::eprint(&render_human(&errors, &written, &imported.source, style));
    stdio::eprintln("the imported file does not check clean yet; fix what is reported above");
    EXIT_INVALID
}

/// An input problem: what is wrong, the line of the input it is on (when known) and what to do.
fn render_problem(problem: &ImportError, origin: &str, input: &str) -> String {
    use std::fmt::Write as _;
    let mut rendered = String::new();
    let _ = writeln!(
        rendered,
        "error: cannot import {origin}: {}",
        problem.message
    );
    if let Some(span) = problem.span {
        let location = berth_compiler::source::LineIndex::new(input).locate(span.offset);
        let line = input
            .lines()
            .nth(location.line.saturating_sub(1))
            .unwrap_or_default();
        let _ = writeln!(
            rendered,
            "  at line {}, column {}:",
            location.line, location.column
        );
        let _ = writeln!(rendered, "    {line}");
        let _ = writeln!(
            rendered,
            "    {}^",
            " ".repeat(location.column.saturating_sub(1))
        );
    }
    let _ = writeln!(rendered, "  help: {}", problem.help);
    rendered
}
