//! The one writer of imported workspaces: a [`Draft`] to KDL text in the layout `berth fmt`
//! produces (four-space indentation, one node per line, quoted strings), with each note as a
//! `//` comment above the node it is about.

use std::fmt::Write as _;

use super::draft::{
    Draft, DraftContainer, DraftHealth, DraftImage, DraftPort, DraftReplicas, DraftWorkload,
};
use crate::model::{Probe, Protocol, Target};
use crate::units::format_duration;

/// Comments are wrapped to keep lines readable; words longer than this stay whole.
const COMMENT_WIDTH: usize = 100;

/// Writes `draft` as a workspace file.
pub fn write(draft: &Draft) -> String {
    let mut writer = Writer::default();
    for line in &draft.header {
        writer.comment(line);
    }
    if !draft.header.is_empty() {
        writer.blank();
    }
    writer.notes(&draft.notes);
    writer.open("workspace", &[string(&draft.name)]);
    writer.line(&format!("target {}", string(draft.target.name())));
    if let Some(region) = &draft.region {
        writer.line(&format!("region {}", string(region)));
    }
    if let Some(network) = &draft.network {
        writer.open("network", &[]);
        writer.line(&format!("vpc {}", string(&network.vpc)));
        for (name, subnets) in [
            ("public-subnets", &network.public_subnets),
            ("private-subnets", &network.private_subnets),
        ] {
            if !subnets.is_empty() {
                writer.line(&format!("{name} {}", strings(subnets)));
            }
        }
        writer.close();
    }
    if let Some(instance_type) = ecs_instance_type(draft) {
        writer.open("ecs", &[]);
        writer.line(&format!("instance-type {}", string(instance_type)));
        writer.close();
    }
    if let Some((host, certificate)) = &draft.domain {
        writer.line(&format!(
            "domain {} certificate={}",
            string(host),
            string(certificate)
        ));
    }
    writer.close();
    if !draft.vars.is_empty() {
        writer.blank();
        writer.open("vars", &[]);
        for (name, value) in &draft.vars {
            writer.line(&format!("{} {}", node_name(name), string(value)));
        }
        writer.close();
    }
    for workload in &draft.workloads {
        writer.blank();
        write_workload(&mut writer, workload);
    }
    writer.output
}

/// On target `ecs`, an instance type that holds the largest task when the default one does not.
fn ecs_instance_type(draft: &Draft) -> Option<&'static str> {
    if draft.target != Target::Ecs {
        return None;
    }
    let default = crate::instance_types::lookup(crate::instance_types::DEFAULT)?;
    let cpu = draft
        .workloads
        .iter()
        .map(|workload| workload.cpu.unwrap_or(256))
        .max()?;
    let memory = draft
        .workloads
        .iter()
        .map(|workload| workload.memory.unwrap_or(512))
        .max()?;
    if cpu <= default.cpu_units() && memory <= default.task_memory() {
        return None;
    }
    crate::instance_types::smallest_holding(cpu, memory)
}

fn write_workload(writer: &mut Writer, workload: &DraftWorkload) {
    writer.notes(&workload.notes);
    writer.open(workload.kind.name(), &[string(&workload.name)]);
    write_container(writer, &workload.container);
    if let Some(cpu) = workload.cpu {
        writer.line(&format!("cpu {cpu}"));
    }
    if let Some(memory) = workload.memory {
        writer.line(&format!("memory {memory}"));
    }
    match &workload.replicas {
        None => {}
        Some(DraftReplicas::Fixed(count)) => writer.line(&format!("replicas {count}")),
        Some(DraftReplicas::Auto {
            min,
            max,
            cpu,
            memory,
        }) => {
            let targets: Vec<String> = [("cpu", cpu), ("memory", memory)]
                .into_iter()
                .filter_map(|(name, target)| target.map(|target| format!("{name} {target}")))
                .collect();
            if targets.is_empty() {
                writer.line(&format!("replicas min={min} max={max}"));
            } else {
                writer.open("replicas", &[format!("min={min}"), format!("max={max}")]);
                for target in targets {
                    writer.line(&target);
                }
                writer.close();
            }
        }
    }
    if let Some(health) = &workload.health {
        write_health(writer, health);
    }
    write_variables(writer, &workload.container);
    if !workload.depends_on.is_empty() {
        writer.line(&format!("depends-on {}", strings(&workload.depends_on)));
    }
    for (name, path) in &workload.volumes {
        writer.line(&format!("volume {} path={}", string(name), string(path)));
    }
    if !workload.role.is_empty() {
        writer.open("role", &[]);
        for (actions, resource) in &workload.role {
            writer.line(&format!(
                "allow {} resource={}",
                strings(actions),
                string(resource)
            ));
        }
        writer.close();
    }
    for sidecar in &workload.sidecars {
        writer.notes(&sidecar.notes);
        writer.open("sidecar", &[string(&sidecar.name)]);
        write_container(writer, &sidecar.container);
        write_variables(writer, &sidecar.container);
        writer.close();
    }
    writer.close();
}

/// The image, entrypoint, command and ports of a container.
fn write_container(writer: &mut Writer, container: &DraftContainer) {
    match &container.image {
        DraftImage::Reference(reference) => writer.line(&format!("image {}", string(reference))),
        DraftImage::Repository { repository, tag } => writer.line(&format!(
            "image repository={} tag={}",
            string(repository),
            string(tag)
        )),
    }
    if !container.entrypoint.is_empty() {
        writer.line(&format!("entrypoint {}", strings(&container.entrypoint)));
    }
    if !container.command.is_empty() {
        writer.line(&format!("command {}", strings(&container.command)));
    }
    for port in &container.ports {
        write_port(writer, port);
    }
}

fn write_port(writer: &mut Writer, port: &DraftPort) {
    let mut head = vec![port.number.to_string()];
    if port.protocol != Protocol::Http {
        head.push(format!("protocol={}", string(port.protocol.name())));
    }
    match &port.route {
        None => writer.line(&format!("port {}", head.join(" "))),
        Some(route) => {
            writer.open("port", &head);
            writer.line("public #true");
            if let Some(host) = &route.host {
                writer.line(&format!("host {}", string(host)));
            }
            writer.line(&format!("path {}", string(&route.path)));
            writer.close();
        }
    }
}

fn write_health(writer: &mut Writer, health: &DraftHealth) {
    writer.open("health", &[]);
    match &health.probe {
        Probe::Http { path, port } => {
            let port = port.map(|port| format!(" port={port}")).unwrap_or_default();
            writer.line(&format!("http {}{port}", string(path)));
        }
        Probe::Command(words) => writer.line(&format!("command {}", strings(words))),
    }
    writer.line(&format!(
        "interval {}",
        string(&format_duration(health.interval))
    ));
    writer.line(&format!(
        "timeout {}",
        string(&format_duration(health.timeout))
    ));
    writer.line(&format!("retries {}", health.retries));
    if let Some(grace) = health.grace {
        writer.line(&format!("grace {}", string(&format_duration(grace))));
    }
    writer.close();
}

/// The `env` block and the `secret` lines of a container.
fn write_variables(writer: &mut Writer, container: &DraftContainer) {
    if !container.env.is_empty() {
        writer.open("env", &[]);
        for (name, value) in &container.env {
            writer.line(&format!("{} {}", node_name(name), string(value)));
        }
        writer.close();
    }
    for secret in &container.secrets {
        let key = secret
            .key
            .as_ref()
            .map(|key| format!(" key={}", string(key)))
            .unwrap_or_default();
        writer.line(&format!(
            "secret {} from={}{key}",
            string(&secret.name),
            string(&secret.from)
        ));
    }
}

/// Lines at an indentation depth.
#[derive(Default)]
struct Writer {
    output: String,
    depth: usize,
}

impl Writer {
    fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.output.push_str("    ");
        }
        self.output.push_str(text);
        self.output.push('\n');
    }

    fn blank(&mut self) {
        if !self.output.is_empty() && !self.output.ends_with("\n\n") {
            self.output.push('\n');
        }
    }

    fn open(&mut self, name: &str, entries: &[String]) {
        let mut head = name.to_owned();
        for entry in entries {
            let _ = write!(head, " {entry}");
        }
        head.push_str(" {");
        self.line(&head);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line("}");
    }

    fn notes(&mut self, notes: &[String]) {
        for note in notes {
            self.comment(&format!("- {note}"));
        }
    }

    /// `text` as `//` lines, wrapped at word boundaries; continuation lines are indented.
    fn comment(&mut self, text: &str) {
        let indent = if text.starts_with("- ") { "  " } else { "" };
        for paragraph in text.lines() {
            let mut current = String::new();
            for word in paragraph.split(' ') {
                if !current.is_empty()
                    && current.len() + 1 + word.len() + self.depth * 4 + 3 > COMMENT_WIDTH
                {
                    self.line(format!("// {current}").trim_end());
                    indent.clone_into(&mut current);
                }
                if !current.is_empty() && !current.ends_with(' ') {
                    current.push(' ');
                }
                current.push_str(word);
            }
            self.line(format!("// {current}").trim_end());
        }
    }
}

/// `text` as a quoted KDL 2 string.
pub fn string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            character if is_disallowed(character) => {
                let _ = write!(quoted, "\\u{{{:x}}}", u32::from(character));
            }
            character => quoted.push(character),
        }
    }
    quoted.push('"');
    quoted
}

/// Code points KDL 2 does not allow written literally: control characters, direction
/// controls and the byte-order mark.
fn is_disallowed(character: char) -> bool {
    character.is_control()
        || matches!(character, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Every text as a quoted string, space-separated.
fn strings(texts: &[String]) -> String {
    texts
        .iter()
        .map(|text| string(text))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A node name: bare when it is a plain identifier, quoted otherwise.
fn node_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_-.".contains(character))
        && !matches!(name, "true" | "false" | "null" | "inf" | "nan");
    if plain { name.to_owned() } else { string(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_kdl_needs_quoted() {
        assert_eq!(string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(string("\u{1}\u{FEFF}"), r#""\u{1}\u{feff}""#);
        assert_eq!(node_name("LOG_LEVEL"), "LOG_LEVEL");
        assert_eq!(node_name("1X"), "\"1X\"");
        assert_eq!(node_name("true"), "\"true\"");
        assert_eq!(node_name("a b"), "\"a b\"");
    }
}
