//! `berth init`: a commented starter `berth.kdl` for a target, or for one image and port.
//!
//! The starter is checked before it is written, so what lands on disk always checks clean (a
//! value given on the command line that makes it invalid is reported like any other mistake),
//! and the file is created with `create_new`, so an existing file is never overwritten.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use berth_compiler::Options;

use crate::cli::{InitArgs, TargetArg};
use crate::report::{Style, render_human};
use crate::stdio;
use crate::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};

/// The image of the sample web service: nginx built to run unprivileged on port 8080.
const SAMPLE_IMAGE: &str = "nginxinc/nginx-unprivileged:1.27-alpine";
/// The port the sample image listens on.
const SAMPLE_PORT: u16 = 8080;
/// The region when neither `--region` nor `AWS_REGION` names one.
const FALLBACK_REGION: &str = "us-east-1";
/// Generated names stay short, so the AWS names built from them fit their limits.
const NAME_LENGTH: usize = 12;

/// Everything the starter is written from.
#[derive(Debug)]
struct Starter {
    workspace: String,
    target: TargetArg,
    region: String,
    workload: String,
    image: String,
    port: Option<u16>,
    public: bool,
}

/// Writes the starter file, unless it exists or would not check clean.
pub fn run(args: &InitArgs) -> u8 {
    let starter = Starter::from_args(args);
    let text = starter.render();
    let file = args.file.display().to_string();
    let checked = berth_compiler::check(&text, &Options::default());
    if checked.has_errors() {
        stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &text,
            Style::for_terminal(),
        ));
        stdio::eprintln(
            "error: nothing was written: the values given do not make a valid workspace",
        );
        return EXIT_INVALID;
    }
    let created = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.file)
        .and_then(|mut handle| handle.write_all(text.as_bytes()));
    if let Err(error) = created {
        let reason = if error.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "error: {file} already exists; berth init never overwrites a file (give another path, e.g. `berth init new.kdl`)"
            )
        } else {
            format!("error: {error}")
        };
        stdio::eprintln(&reason);
        return EXIT_USAGE;
    }
    if !checked.diagnostics.is_empty() {
        stdio::eprint(&render_human(
            &checked.diagnostics,
            &file,
            &text,
            Style::for_terminal(),
        ));
    }
    let kind = if starter.port.is_some() {
        "service"
    } else {
        "worker"
    };
    stdio::eprintln(&format!(
        "created {file}: workspace `{}` on {} in {}, {kind} `{}` running {}\nnext: `berth check {file}`, then `berth build {file}`",
        starter.workspace,
        target_name(starter.target),
        starter.region,
        starter.workload,
        starter.image,
    ));
    EXIT_OK
}

impl Starter {
    fn from_args(args: &InitArgs) -> Self {
        let workspace = args.name.clone().unwrap_or_else(|| {
            let directory = std::path::absolute(&args.file)
                .ok()
                .and_then(|path| path.parent().map(Path::to_path_buf))
                .and_then(|parent| {
                    parent
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                })
                .unwrap_or_default();
            to_label(&directory).unwrap_or_else(|| "app".to_owned())
        });
        let region = args
            .region
            .clone()
            .or_else(|| {
                std::env::var("AWS_REGION")
                    .ok()
                    .filter(|region| !region.is_empty())
            })
            .unwrap_or_else(|| FALLBACK_REGION.to_owned());
        let (image, port, workload) = match &args.image {
            None => (SAMPLE_IMAGE.to_owned(), Some(SAMPLE_PORT), "web".to_owned()),
            Some(image) => {
                let fallback = if args.port.is_some() { "web" } else { "app" };
                let workload = to_label(image_name(image))
                    .filter(|name| name != "platform")
                    .unwrap_or_else(|| fallback.to_owned());
                (image.clone(), args.port, workload)
            }
        };
        Self {
            workspace,
            target: args.target,
            region,
            workload,
            image,
            port,
            public: !args.private,
        }
    }

    /// The commented workspace file.
    fn render(&self) -> String {
        let mut text = format!(
            "// {name}: a berth workspace. `berth check` validates it; `berth build` writes the\n\
             // CloudFormation{kubernetes} to deploy it. Every setting is described in berth's\n\
             // docs/language.md; what is not written takes its default.\n\n",
            name = self.workspace,
            kubernetes = if self.target == TargetArg::Eks {
                " and Kubernetes manifests"
            } else {
                ""
            },
        );
        let target = target_name(self.target);
        line(
            &mut text,
            0,
            &format!("workspace {} {{", quote(&self.workspace)),
            "",
        );
        line(
            &mut text,
            1,
            &format!("target {}", quote(target)),
            "ecs | fargate | eks; `--target` overrides it",
        );
        line(
            &mut text,
            1,
            &format!("region {}", quote(&self.region)),
            "`--region` overrides it",
        );
        match self.target {
            TargetArg::Fargate => {}
            TargetArg::Ecs => {
                line(&mut text, 1, "network {", "");
                line(
                    &mut text,
                    2,
                    "nat #true",
                    "tasks on EC2 reach out through NAT (billed hourly)",
                );
                line(&mut text, 1, "}", "");
                line(&mut text, 1, "ecs {", "the EC2 instances that tasks run on");
                line(&mut text, 2, "instance-type \"t3.medium\"", "");
                line(&mut text, 2, "min 1", "");
                line(&mut text, 2, "max 2", "");
                line(&mut text, 1, "}", "");
            }
            TargetArg::Eks => {
                line(
                    &mut text,
                    1,
                    "eks {",
                    "a new cluster; `cluster \"NAME\"` uses an existing one",
                );
                line(
                    &mut text,
                    2,
                    "nodegroup \"general\" instance-type=\"t3.large\" min=2 max=4 desired=2",
                    "",
                );
                line(&mut text, 1, "}", "");
            }
        }
        line(
            &mut text,
            1,
            "// HTTPS on the load balancer, with an ACM certificate in the same region:",
            "",
        );
        line(
            &mut text,
            1,
            "// domain \"app.example.com\" certificate=\"arn:aws:acm:REGION:ACCOUNT:certificate/ID\"",
            "",
        );
        line(&mut text, 0, "}", "");
        text.push('\n');
        let kind = if self.port.is_some() {
            "service"
        } else {
            "worker"
        };
        line(
            &mut text,
            0,
            &format!("{kind} {} {{", quote(&self.workload)),
            "",
        );
        line(&mut text, 1, &format!("image {}", quote(&self.image)), "");
        match self.port {
            Some(port) if self.public => {
                line(&mut text, 1, &format!("port {port} {{"), "");
                line(
                    &mut text,
                    2,
                    "public #true",
                    "routed from the shared load balancer",
                );
                line(&mut text, 2, "path \"/\"", "");
                line(&mut text, 1, "}", "");
            }
            Some(port) => line(
                &mut text,
                1,
                &format!("port {port}"),
                &format!("other workloads reach it as {}:{port}", self.workload),
            ),
            None => {}
        }
        line(
            &mut text,
            1,
            "cpu 256",
            "1024 = 1 vCPU; on fargate, cpu and memory form a Fargate size",
        );
        line(
            &mut text,
            1,
            "memory 512",
            "MiB, or a size such as \"1GiB\"",
        );
        line(
            &mut text,
            1,
            "replicas 1",
            "or `replicas min=1 max=4` to autoscale on CPU",
        );
        line(&mut text, 1, "// env { LOG_LEVEL \"info\"; }", "");
        line(
            &mut text,
            1,
            "// secret \"DATABASE_URL\" from=\"ssm:/{{workspace}}/{{env}}/database-url\"",
            "",
        );
        line(&mut text, 0, "}", "");
        text.push('\n');
        line(
            &mut text,
            0,
            "// An environment changes the base when selected with `--env prod`:",
            "",
        );
        line(&mut text, 0, "// environment \"prod\" {", "");
        line(
            &mut text,
            0,
            &format!("//     {kind} {} {{ replicas 2; }}", quote(&self.workload)),
            "",
        );
        line(&mut text, 0, "// }", "");
        text
    }
}

/// Appends one line at `depth` with its trailing comment aligned, if it has one.
fn line(text: &mut String, depth: usize, code: &str, comment: &str) {
    const COMMENT_COLUMN: usize = 34;
    let indented = format!("{}{code}", "    ".repeat(depth));
    if comment.is_empty() {
        let _ = writeln!(text, "{indented}");
    } else {
        let padding = COMMENT_COLUMN
            .saturating_sub(indented.chars().count())
            .max(1);
        let _ = writeln!(text, "{indented}{}// {comment}", " ".repeat(padding));
    }
}

fn target_name(target: TargetArg) -> &'static str {
    match target {
        TargetArg::Ecs => "ecs",
        TargetArg::Fargate => "fargate",
        TargetArg::Eks => "eks",
    }
}

/// A KDL 2.0 quoted string.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            other if other.is_control() => {
                let _ = write!(quoted, "\\u{{{:x}}}", u32::from(other));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// The repository's last path segment, without tag or digest: `ghcr.io/acme/web:1` → `web`.
fn image_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// `text` as a short lowercase DNS label, or `None` when nothing usable is left.
fn to_label(text: &str) -> Option<String> {
    let mut label = String::new();
    for character in text.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_lowercase() || character.is_ascii_digit() {
            label.push(character);
        } else if !label.is_empty() && !label.ends_with('-') {
            label.push('-');
        }
    }
    let label =
        label.trim_start_matches(|character: char| character.is_ascii_digit() || character == '-');
    let mut label: String = label.chars().take(NAME_LENGTH).collect();
    while label.ends_with('-') {
        label.pop();
    }
    (!label.is_empty()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_short_labels() {
        assert_eq!(to_label("My Shop").as_deref(), Some("my-shop"));
        assert_eq!(to_label("2024_orders--api").as_deref(), Some("orders-api"));
        assert_eq!(
            to_label("a-very-long-project-name").as_deref(),
            Some("a-very-long")
        );
        assert_eq!(to_label("___"), None);
        assert_eq!(image_name("ghcr.io/acme/web-api:1.2@sha256:ab"), "web-api");
        assert_eq!(image_name("localhost:5000/redis"), "redis");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
