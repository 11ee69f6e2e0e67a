//! Structured workspaces driven by [`arbitrary`]: every choice (which workloads, which settings,
//! which values, how the text is laid out) is read from random bytes, so the documents explore
//! the language while most of them still check clean and reach emit.

use std::fmt::Write as _;

use arbitrary::{Result, Unstructured};

const TARGETS: &[&str] = &["ecs", "fargate", "eks"];
const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"];
const SIZES: &[(&str, &str)] = &[
    ("256", "512"),
    ("\"0.25 vCPU\"", "\"1GiB\""),
    ("512", "1024"),
    ("\"0.5 vCPU\"", "\"2GiB\""),
    ("1024", "2048"),
    ("2048", "\"8GiB\""),
];
const VALUES: &[&str] = &[
    "info",
    "{{tag}}",
    "{{env}}-{{region}}",
    "a b c",
    "é ü 漢字",
    "x{{workspace}}y",
    "",
    "http://api:9000",
];
const LINE_BREAKS: &[&str] = &["\n", "\n", "\n", "\r\n", "\r", "\u{85}"];

/// A workspace chosen by `input`, with the target it should be checked for.
pub fn workspace(input: &mut Unstructured<'_>) -> Result<String> {
    let mut layout = Layout {
        text: String::new(),
        line_break: input.choose(LINE_BREAKS)?,
        depth: 0,
    };
    let name = *input.choose(&["shop", "w", "acme-prod", "a1"])?;
    layout.open(&format!("workspace \"{name}\""));
    layout.line(&format!("target \"{}\"", input.choose(TARGETS)?));
    layout.line(&format!("region \"{}\"", input.choose(REGIONS)?));
    if input.arbitrary()? {
        layout.open("network");
        layout.line(&format!(
            "cidr \"10.{}.0.0/16\"",
            input.int_in_range(0..=250)?
        ));
        layout.line(&format!("zones {}", input.int_in_range(2..=3)?));
        layout.line(if input.arbitrary()? {
            "nat #true"
        } else {
            "nat #false"
        });
        layout.close();
    }
    if input.arbitrary()? {
        layout.line("domain \"app.example.com\" certificate=\"arn:aws:acm:eu-west-1:123456789012:certificate/0f2c1a4e-1111-2222-3333-444455556666\"");
    }
    if input.arbitrary()? {
        layout.open("tags");
        layout.line(&format!(
            "team \"{}\"",
            input.choose(&["core", "a b", "x_y"])?
        ));
        layout.close();
    }
    layout.close();
    layout.open("vars");
    layout.line(&format!(
        "tag \"{}\"",
        input.choose(&["1.0.0", "latest", "2.3"])?
    ));
    if input.arbitrary()? {
        layout.multiline_string("notes", input.arbitrary()?);
    }
    layout.close();
    let count = input.int_in_range(1..=8)?;
    let mut names = Vec::new();
    let mut public = 0;
    for index in 0..count {
        let kind = *input.choose(&["service", "service", "worker", "job"])?;
        let name = format!("{}{index}", input.choose(&["web", "api", "w", "report-"])?);
        workload(input, &mut layout, kind, &name, &names, &mut public)?;
        names.push((kind, name));
    }
    if input.arbitrary()? {
        layout.open("environment \"prod\"");
        layout.open("vars");
        layout.line("tag \"9.9.9\"");
        layout.close();
        for (kind, name) in &names {
            if input.ratio(1, 3)? {
                layout.open(&format!("{kind} \"{name}\""));
                if *kind == "job" {
                    layout.line("retries 3");
                } else {
                    layout.open("env");
                    layout.line("EXTRA \"{{env}}\"");
                    layout.close();
                }
                layout.close();
            }
        }
        layout.close();
    }
    if input.arbitrary()? {
        layout.comment(input.arbitrary()?);
    }
    Ok(layout.text)
}

fn workload(
    input: &mut Unstructured<'_>,
    layout: &mut Layout,
    kind: &str,
    name: &str,
    earlier: &[(&str, String)],
    public: &mut usize,
) -> Result<()> {
    layout.open(&format!("{kind} \"{name}\""));
    if input.ratio(1, 4)? {
        layout.line(&format!("image repository=\"{name}\" tag=\"{{{{tag}}}}\""));
    } else {
        layout.line(&format!("image \"ghcr.io/acme/{name}:{{{{tag}}}}\""));
    }
    let (cpu, memory) = *input.choose(SIZES)?;
    layout.line(&format!("cpu {cpu}"));
    layout.line(&format!("memory {memory}"));
    let has_port = kind == "service";
    if has_port {
        let port = input.int_in_range(1024..=9000)?;
        if *public < 20 && input.arbitrary()? {
            *public += 1;
            layout.open(&format!("port {port}"));
            layout.line("public #true");
            layout.line(&format!("path \"/{name}\""));
            layout.close();
        } else {
            layout.line(&format!("port {port}"));
        }
    }
    if kind == "job" {
        layout.line(&format!(
            "schedule \"{} {} * * *\"",
            input.int_in_range(0..=59)?,
            input.int_in_range(0..=23)?
        ));
        layout.line("command \"run\" \"--all\"");
        layout.line("timeout \"30m\"");
    } else if input.arbitrary()? {
        layout.open("replicas min=1 max=5");
        layout.line(&format!("cpu {}", input.int_in_range(10..=90)?));
        layout.close();
    } else {
        layout.line(&format!("replicas {}", input.int_in_range(1..=4)?));
    }
    if kind != "job" && input.arbitrary()? {
        layout.open("health");
        if has_port && input.arbitrary()? {
            layout.line("http \"/healthz\"");
        } else {
            layout.line("command \"true\"");
        }
        layout.line("interval \"15s\"");
        layout.line(&format!("grace \"{}s\"", input.int_in_range(0..=120)?));
        layout.close();
    }
    if input.arbitrary()? {
        layout.open("env");
        for key in ["LOG_LEVEL", "APP_ENV", "NOTE"] {
            if input.arbitrary()? {
                let value = input.choose(VALUES)?;
                layout.line(&format!("{key} {}", quoted(value, input.arbitrary()?)));
            }
        }
        layout.close();
    }
    if input.arbitrary()? {
        layout.line(&format!(
            "secret \"DATABASE_URL\" from=\"ssm:/{{{{workspace}}}}/{{{{env}}}}/{name}\""
        ));
    }
    if input.ratio(1, 4)? {
        layout.line(&format!(
            "secret \"API_KEY\" from=\"secretsmanager:acme/{name}\" key=\"key\""
        ));
    }
    if let Some((_, dependency)) = earlier.last()
        && input.arbitrary()?
    {
        layout.line(&format!("depends-on \"{dependency}\""));
    }
    if input.ratio(1, 4)? {
        layout.open("role");
        layout.line("allow \"s3:GetObject\" resource=\"arn:aws:s3:::acme/*\"");
        layout.close();
    }
    if kind != "job" && input.ratio(1, 6)? {
        layout.open("sidecar \"envoy\"");
        layout.line("image \"envoyproxy/envoy:v1.31.0\"");
        layout.line("port 9901");
        layout.close();
    }
    if input.ratio(1, 6)? {
        layout.line(&format!("volume \"data-{name}\" path=\"/data\""));
    }
    if input.ratio(1, 5)? {
        layout.comment(input.arbitrary()?);
    }
    layout.close();
    Ok(())
}

/// A string literal of `value`: quoted, or raw when `raw` and the value allows it.
fn quoted(value: &str, raw: bool) -> String {
    if raw && !value.contains('"') {
        format!("#\"{value}\"#")
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The text being written, with the indentation and line break it uses.
struct Layout {
    text: String,
    line_break: &'static str,
    depth: usize,
}

impl Layout {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("    ");
        }
    }

    fn line(&mut self, content: &str) {
        self.indent();
        self.text.push_str(content);
        self.text.push_str(self.line_break);
    }

    fn open(&mut self, head: &str) {
        self.indent();
        let _ = write!(self.text, "{head} {{{}", self.line_break);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line("}");
    }

    fn comment(&mut self, block: bool) {
        if block {
            self.line("/* a /* nested */ comment with a * and a / */");
        } else {
            self.line("// a comment { with \"quotes\" and braces");
        }
    }

    /// A variable whose value is a multi-line string with trailing white space on its lines.
    fn multiline_string(&mut self, key: &str, trailing: bool) {
        let space = if trailing { "   " } else { "" };
        self.indent();
        let _ = write!(self.text, "{key} \"\"\"{}", self.line_break);
        self.indent();
        let _ = write!(self.text, "    first{space}{}", self.line_break);
        self.indent();
        let _ = write!(self.text, "\"\"\"{}", self.line_break);
    }
}
