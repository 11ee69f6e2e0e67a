//! Lowering of services, workers and jobs: sizes, replicas, health, volumes, sidecars, roles
//! and schedules; each container is lowered by the `container` module.

use kdl::{KdlEntry, KdlNode};

use super::Lowerer;
use super::entries::{argument, name_span, property, value_span};
use super::overlay::Tree;
use crate::cron;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{
    Deploy, Health, Probe, Replicas, Role, Schedule, Sidecar, Statement, Volume, Workload,
    WorkloadKind,
};
use crate::source::{Span, Spanned};
use crate::units;

const DEFAULT_CPU: u32 = 256;
const DEFAULT_MEMORY: u32 = 512;

impl Lowerer<'_> {
    pub(super) fn workload(&mut self, tree: &Tree<'_>, kind: WorkloadKind) -> Option<Workload> {
        let name = self.name(tree.node)?;
        let container = self.container(tree, &name);
        let cpu = self.size(tree, "cpu", &name, DEFAULT_CPU);
        let memory = self.size(tree, "memory", &name, DEFAULT_MEMORY);
        let (cpu_known, memory_known) = (cpu.is_some(), memory.is_some());
        let deploy = tree
            .child("deploy")
            .and_then(|deploy| self.text(argument(deploy.node, 0)))
            .map_or_else(
                || Spanned::new(Deploy::Rolling, Span::default()),
                |text| {
                    let strategy = if text.value == "recreate" {
                        Deploy::Recreate
                    } else {
                        Deploy::Rolling
                    };
                    Spanned::new(strategy, text.span)
                },
            );
        let replicas = tree
            .child("replicas")
            .map_or(Replicas::Fixed(1), |replicas| self.replicas(replicas));
        let health = tree.child("health").and_then(|health| self.health(health));
        let depends_on = tree
            .children_named("depends-on")
            .flat_map(|node| super::entries::arguments(node.node))
            .filter_map(|entry| {
                entry
                    .value()
                    .as_string()
                    .map(|text| Spanned::new(text.to_owned(), entry.span().into()))
            })
            .collect();
        let volumes = tree
            .children_named("volume")
            .filter_map(|volume| self.volume(volume.node))
            .collect();
        let sidecars = tree
            .children_named("sidecar")
            .filter_map(|sidecar| {
                let name = self.name(sidecar.node)?;
                let container = self.container(sidecar, &name);
                Some(Sidecar { name, container })
            })
            .collect();
        let role = tree.child("role").map(|role| self.role(role));
        let schedule = tree
            .child("schedule")
            .and_then(|schedule| self.schedule(schedule.node));
        let timeout = tree
            .child("timeout")
            .and_then(|timeout| self.duration(argument(timeout.node, 0)));
        let retries = self
            .child_integer(tree, "retries")
            .unwrap_or_else(|| Spanned::new(0, Span::default()));
        Some(Workload {
            kind,
            name,
            container,
            cpu: cpu.unwrap_or_else(|| Spanned::new(DEFAULT_CPU, Span::default())),
            memory: memory.unwrap_or_else(|| Spanned::new(DEFAULT_MEMORY, Span::default())),
            replicas,
            health,
            depends_on,
            volumes,
            sidecars,
            role,
            schedule,
            timeout,
            retries,
            cpu_known,
            memory_known,
            deploy,
        })
    }

    fn size(
        &mut self,
        tree: &Tree<'_>,
        which: &str,
        owner: &Spanned<String>,
        default: u32,
    ) -> Option<Spanned<u32>> {
        let Some(entry) = tree.child(which).and_then(|node| argument(node.node, 0)) else {
            return Some(Spanned::new(default, owner.span));
        };
        let span = value_span(entry, self.source);
        let parsed = if let Some(number) = entry.value().as_integer() {
            if which == "cpu" {
                units::cpu_from_integer(number).map(|cpu| cpu.units)
            } else {
                units::memory_from_integer(number)
            }
        } else {
            let text = self.text(Some(entry))?;
            if which == "cpu" {
                units::parse_cpu(&text.value).map(|cpu| cpu.units)
            } else {
                units::parse_memory(&text.value)
            }
        };
        match parsed {
            Ok(value) => Some(Spanned::new(value, span)),
            Err(reason) => {
                let help = if which == "cpu" {
                    "use units (`512`, 1024 = 1 vCPU), `\"0.5 vCPU\"` or millicores (`\"500m\"`)"
                } else {
                    "use MiB (`512`) or a size such as `\"512MiB\"`, `\"1GiB\"` or `\"2GB\"`"
                };
                self.invalid(span, reason, "invalid amount", help);
                None
            }
        }
    }

    fn replicas(&mut self, tree: &Tree<'_>) -> Replicas {
        let count = self.integer(argument(tree.node, 0));
        let min = self.integer(property(tree.node, "min"));
        let max = self.integer(property(tree.node, "max"));
        let autoscaling = min.is_some()
            || max.is_some()
            || property(tree.node, "min").is_some()
            || property(tree.node, "max").is_some();
        if let (Some(count), true) = (&count, autoscaling) {
            self.invalid(
                count.span,
                "`replicas` has both a count and `min=`/`max=`".into(),
                "fixed count",
                "write `replicas 3` for a fixed count or `replicas min=2 max=10` to autoscale",
            );
        }
        if !autoscaling {
            if let Some(first) = tree.children.first() {
                self.invalid(
                    name_span(first.node),
                    "autoscaling targets need `min=` and `max=`".into(),
                    "no bounds",
                    "write `replicas min=2 max=10 { cpu 70; }`",
                );
            }
            return Replicas::Fixed(count.map_or(1, |count| count.value));
        }
        let Some(max) = max else {
            if property(tree.node, "max").is_none() {
                self.report(
                    Diagnostic::new(
                        Code::MissingField,
                        "autoscaling `replicas` needs `max=`",
                        name_span(tree.node),
                        "no upper bound",
                    )
                    .with_help("add `max=`, e.g. `replicas min=2 max=10`"),
                );
            }
            return Replicas::Fixed(min.map_or(1, |min| min.value));
        };
        let min = min.unwrap_or_else(|| Spanned::new(1, name_span(tree.node)));
        self.check_order(&min, &max, "`min`", "`max`");
        let percent = |lowerer: &Self, name: &str| {
            lowerer
                .child_integer(tree, name)
                .and_then(|value| u8::try_from(value.value).ok())
        };
        let cpu = percent(self, "cpu");
        let memory = percent(self, "memory");
        let requests = self.child_integer(tree, "requests");
        let any_target = cpu.is_some() || memory.is_some() || requests.is_some();
        Replicas::Auto {
            min,
            max,
            cpu: if any_target { cpu } else { Some(70) },
            memory,
            requests,
        }
    }

    fn health(&mut self, tree: &Tree<'_>) -> Option<Health> {
        let http = tree.child("http");
        let command = tree.child("command");
        let probe = match (http, command) {
            (Some(_), Some(command)) => {
                self.invalid(
                    name_span(command.node),
                    "a health check has both `http` and `command`".into(),
                    "second probe",
                    "keep one of them",
                );
                return None;
            }
            (Some(http), None) => {
                let path = self.text(argument(http.node, 0))?;
                if !path.value.starts_with('/') {
                    self.invalid(
                        path.span,
                        format!("path `{}` does not start with `/`", path.value),
                        "not a path",
                        format!("write `\"/{}\"`", path.value),
                    );
                }
                let port = self
                    .integer(property(http.node, "port"))
                    .and_then(|port| u16::try_from(port.value).ok());
                Spanned::new(
                    Probe::Http {
                        path: path.value,
                        port,
                    },
                    name_span(http.node),
                )
            }
            (None, Some(command)) => {
                let words = self
                    .all_text(command.node)
                    .into_iter()
                    .map(|word| word.value)
                    .collect();
                Spanned::new(Probe::Command(words), name_span(command.node))
            }
            (None, None) => {
                self.report(
                    Diagnostic::new(
                        Code::MissingField,
                        "`health` needs `http PATH` or `command …`",
                        name_span(tree.node),
                        "nothing to probe",
                    )
                    .with_help("add `http \"/healthz\"` or `command \"pgrep\" \"worker\"`"),
                );
                return None;
            }
        };
        let span = name_span(tree.node);
        let timing = |lowerer: &mut Self, name: &str, default: u64| {
            tree.child(name)
                .and_then(|child| lowerer.duration(argument(child.node, 0)))
                .unwrap_or_else(|| Spanned::new(default, span))
        };
        let interval = timing(self, "interval", 30_000);
        let timeout = timing(self, "timeout", 5_000);
        let grace = tree
            .child("grace")
            .and_then(|grace| self.duration(argument(grace.node, 0)));
        let retries = self
            .child_integer(tree, "retries")
            .unwrap_or_else(|| Spanned::new(3, span));
        Some(Health {
            probe,
            interval,
            timeout,
            retries,
            grace,
        })
    }

    fn duration(&mut self, entry: Option<&KdlEntry>) -> Option<Spanned<u64>> {
        let text = self.text(entry)?;
        match units::parse_duration(&text.value) {
            Ok(milliseconds) => Some(Spanned::new(milliseconds, text.span)),
            Err(reason) => {
                self.invalid(text.span, reason, "invalid duration", "durations are `\"500ms\"`, `\"10s\"`, `\"5m\"`, `\"1h\"` or combinations like `\"1m30s\"`");
                None
            }
        }
    }

    fn volume(&mut self, node: &KdlNode) -> Option<Volume> {
        let name = self.name(node)?;
        let path = self.text(property(node, "path"))?;
        if !path.value.starts_with('/')
            || path.value.contains(char::is_whitespace)
            || path.value == "/"
        {
            self.invalid(
                path.span,
                format!("`{}` is not an absolute mount path", path.value),
                "not an absolute path",
                "mount volumes at an absolute path such as `\"/data\"`",
            );
        }
        let shared = property(node, "shared")
            .and_then(|entry| entry.value().as_bool())
            .unwrap_or(false);
        Some(Volume { name, path, shared })
    }

    fn role(&mut self, tree: &Tree<'_>) -> Role {
        let statements = tree
            .children_named("allow")
            .filter_map(|allow| {
                let actions = self.all_text(allow.node);
                for action in &actions {
                    if !is_iam_action(&action.value) {
                        self.invalid(
                            action.span,
                            format!("`{}` is not an IAM action", action.value),
                            "not an action",
                            "actions look like `s3:GetObject` or `sqs:*`",
                        );
                    }
                }
                let resource = self.text(property(allow.node, "resource"))?;
                if resource.value != "*" && !resource.value.starts_with("arn:") {
                    self.invalid(
                        resource.span,
                        format!("`{}` is not an ARN", resource.value),
                        "not an ARN",
                        "resources are ARNs such as `arn:aws:s3:::bucket/*`",
                    );
                }
                Some(Statement { actions, resource })
            })
            .collect();
        Role {
            statements,
            span: name_span(tree.node),
        }
    }

    fn schedule(&mut self, node: &KdlNode) -> Option<Schedule> {
        let cron = self.text(argument(node, 0))?;
        match cron::parse_cron(&cron.value) {
            Ok(parsed) => Some(Schedule { cron, parsed }),
            Err(error) => {
                let span = self.inner_span(cron.span, &cron.value, error.offset, error.len);
                self.report(
                    Diagnostic::new(Code::InvalidCron, error.message, span, "invalid cron")
                        .with_help(error.help),
                );
                None
            }
        }
    }
}

fn is_iam_action(text: &str) -> bool {
    text.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service.chars().all(|character| {
                character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-'
            })
            && !action.is_empty()
            && action
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '*')
    })
}
