//! Realistic workspaces of any size: a mix of services, workers and jobs with the settings real
//! files use (secrets, autoscaling, health checks, roles, sidecars, volumes, dependencies,
//! interpolation) and two environments that overlay some of them.
//!
//! The text is a pure function of the [`Shape`], so a benchmark run at one size is comparable
//! with any other run at that size, and every generated workspace checks clean for every target
//! (a test enforces it).

use std::fmt::Write as _;

/// The public routes one workspace gets: a load balancer listener takes at most 100 rules.
const PUBLIC_ROUTES: usize = 90;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// How many workloads (services, workers and jobs together).
    pub workloads: usize,
    /// The `target` written in the file: `ecs`, `fargate` or `eks`.
    pub target: &'static str,
}

impl Shape {
    /// `workloads` workloads for `target`.
    pub const fn new(workloads: usize, target: &'static str) -> Self {
        Self { workloads, target }
    }
}

/// The kind of workload at `index`: six services, two workers and two jobs in every ten.
fn kind(index: usize) -> &'static str {
    match index % 10 {
        0..=5 => "service",
        6 | 7 => "worker",
        _ => "job",
    }
}

/// The name of the workload at `index`.
pub fn workload_name(index: usize) -> String {
    let prefix = match kind(index) {
        "service" => "svc",
        "worker" => "wrk",
        _ => "job",
    };
    format!("{prefix}-{index}")
}

/// The workspace text for `shape`.
pub fn workspace(shape: Shape) -> String {
    let mut text = String::with_capacity(640 * shape.workloads + 2048);
    header(&mut text, shape);
    environments(&mut text, shape);
    let mut public = 0;
    for index in 0..shape.workloads {
        match kind(index) {
            "service" => {
                let is_public = public < PUBLIC_ROUTES && index.is_multiple_of(2);
                public += usize::from(is_public);
                service(&mut text, index, is_public);
            }
            "worker" => worker(&mut text, index),
            _ => job(&mut text, index),
        }
    }
    text
}

fn header(text: &mut String, shape: Shape) {
    let _ = write!(
        text,
        r#"// A generated workspace: {workloads} workloads (services, workers, jobs).
workspace "gen" {{
    target "{target}"
    region "eu-west-1"
    network {{
        cidr "10.40.0.0/16"
        zones 3
        nat #true
    }}
    ecs {{ instance-type "m6i.large"; min 2; max 40; }}
    eks {{
        version "1.35"
        namespace "gen"
        nodegroup "general" instance-type="m6i.large" min=3 max=30 desired=3
    }}
    domain "gen.example.com" certificate="arn:aws:acm:eu-west-1:123456789012:certificate/0f2c1a4e-1111-2222-3333-444455556666"
    tags {{
        team "platform"
        cost-center "42"
    }}
}}

vars {{
    tag "1.4.2"
    log_level "info"
    registry "ghcr.io/acme"
}}
"#,
        workloads = shape.workloads,
        target = shape.target,
    );
}

/// Two environments; each overlays one workload in twenty.
fn environments(text: &mut String, shape: Shape) {
    for (environment, replicas, level) in [("staging", 1, "debug"), ("prod", 4, "warn")] {
        let _ = writeln!(
            text,
            "\nenvironment \"{environment}\" {{\n    vars {{ log_level \"{level}\"; }}"
        );
        for index in (0..shape.workloads).step_by(20) {
            let name = workload_name(index);
            match kind(index) {
                "service" => {
                    let _ = writeln!(
                        text,
                        "    service \"{name}\" {{\n        replicas min={replicas} max={} {{ cpu 60; }}\n        env {{ FEATURE_FLAGS \"{environment}\"; }}\n    }}",
                        replicas * 5
                    );
                }
                "worker" => {
                    let _ = writeln!(text, "    worker \"{name}\" {{ replicas {replicas}; }}");
                }
                _ => {
                    let _ = writeln!(text, "    job \"{name}\" {{ retries 3; }}");
                }
            }
        }
        text.push_str("}\n");
    }
}

/// CPU and memory pairs that are Fargate sizes, written in the forms people use.
const SIZES: [(&str, &str); 4] = [
    ("256", "512"),
    ("\"0.5 vCPU\"", "\"1GiB\""),
    ("1024", "2048"),
    ("512", "\"2GiB\""),
];

fn service(text: &mut String, index: usize, public: bool) {
    let name = workload_name(index);
    let (cpu, memory) = SIZES[index % SIZES.len()];
    let _ = writeln!(text, "\nservice \"{name}\" {{");
    if index.is_multiple_of(7) {
        let _ = writeln!(text, "    image repository=\"{name}\" tag=\"{{{{tag}}}}\"");
    } else {
        let _ = writeln!(text, "    image \"{{{{registry}}}}/{name}:{{{{tag}}}}\"");
    }
    if public {
        let _ = writeln!(
            text,
            "    port 8080 {{\n        public #true\n        path \"/{name}\"\n    }}"
        );
    } else {
        text.push_str("    port 8080\n");
    }
    let _ = writeln!(text, "    cpu {cpu}\n    memory {memory}");
    if index.is_multiple_of(2) {
        text.push_str("    replicas min=2 max=10 {\n        cpu 70\n    }\n");
    } else {
        text.push_str("    replicas 2\n");
    }
    text.push_str(
        "    health {\n        http \"/healthz\"\n        interval \"15s\"\n        timeout \"5s\"\n        retries 3\n        grace \"30s\"\n    }\n",
    );
    let _ = writeln!(
        text,
        "    env {{\n        LOG_LEVEL \"{{{{log_level}}}}\"\n        APP_ENV \"{{{{env}}}}\"\n        SERVICE_NAME \"{name}\"\n    }}"
    );
    let _ = writeln!(
        text,
        "    secret \"DATABASE_URL\" from=\"ssm:/{{{{workspace}}}}/{{{{env}}}}/{name}/db-url\""
    );
    if index.is_multiple_of(3) {
        let _ = writeln!(
            text,
            "    secret \"API_KEY\" from=\"secretsmanager:{{{{workspace}}}}/{name}\" key=\"api_key\""
        );
    }
    if index >= 10 {
        let _ = writeln!(text, "    depends-on \"{}\"", workload_name(index - 10));
    }
    if index % 25 == 1 {
        text.push_str(
            "    sidecar \"envoy\" {\n        image \"envoyproxy/envoy:v1.31.0\"\n        port 9901\n    }\n",
        );
    }
    if index % 50 == 3 {
        let _ = writeln!(text, "    volume \"data-{index}\" path=\"/data\"");
    }
    text.push_str("}\n");
}

fn worker(text: &mut String, index: usize) {
    let name = workload_name(index);
    let _ = write!(
        text,
        r#"
worker "{name}" {{
    image "{{{{registry}}}}/{name}:{{{{tag}}}}"
    cpu 256
    memory 512
    replicas min=1 max=4 {{
        memory 75
    }}
    health {{
        command "pgrep" "worker"
        interval "30s"
        timeout "5s"
        retries 3
    }}
    env {{
        QUEUE_URL "https://sqs.{{{{region}}}}.amazonaws.com/123456789012/{name}"
        LOG_LEVEL "{{{{log_level}}}}"
    }}
    secret "SMTP_PASSWORD" from="ssm:/{{{{workspace}}}}/{{{{env}}}}/{name}/smtp"
    depends-on "{dependency}"
    role {{
        allow "sqs:ReceiveMessage" "sqs:DeleteMessage" resource="arn:aws:sqs:{{{{region}}}}:123456789012:{name}"
    }}
}}
"#,
        dependency = workload_name(index - 6),
    );
}

fn job(text: &mut String, index: usize) {
    let name = workload_name(index);
    let _ = write!(
        text,
        r#"
job "{name}" {{
    image "{{{{registry}}}}/{name}:{{{{tag}}}}"
    schedule "{minute} {hour} * * *"
    command "run" "--batch" "{index}"
    timeout "30m"
    retries 2
    cpu 512
    memory 1024
    secret "DATABASE_URL" from="ssm:/{{{{workspace}}}}/{{{{env}}}}/{name}/db-url"
    role {{
        allow "s3:PutObject" resource="arn:aws:s3:::acme-reports/{name}/*"
    }}
}}
"#,
        minute = index % 60,
        hour = index / 60 % 24,
    );
}
