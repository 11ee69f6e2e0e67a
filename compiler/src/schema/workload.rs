//! The workload nodes of the language table: `service`, `worker`, `job` and everything inside them (spec §3–§9).

use super::language::{NAME, TEXT, argument, integer, map, node, property, single};
use super::{Argument, Children, Node, Occurs, Property, ValueType};

/// Port protocols.
pub const PROTOCOLS: &[&str] = &["http", "tcp", "grpc"];

static IMAGE_REFERENCE: [Argument; 1] = [argument(
    "reference",
    ValueType::String,
    "an image reference",
)];
static IMAGE_NODE: Node = Node {
    arguments: &IMAGE_REFERENCE,
    required: true,
    properties: &[
        property(
            "repository",
            ValueType::Name,
            "an ECR repository this workspace owns",
        ),
        property("tag", ValueType::String, "the image tag in that repository"),
    ],
    ..node(
        "image",
        "the container image: a reference, or `repository=NAME tag=T`",
    )
};
static WORDS: [Argument; 1] = [argument(
    "word",
    ValueType::String,
    "one word of the command line",
)];
static COMMAND: Node = Node {
    variadic: true,
    ..single(
        "command",
        "the command (arguments) the container runs",
        &WORDS,
    )
};
static ENTRYPOINT: Node = Node {
    variadic: true,
    ..single("entrypoint", "the container's entrypoint", &WORDS)
};
static PUBLIC: Node = single(
    "public",
    "route this port from the shared load balancer",
    &[argument(
        "enabled",
        ValueType::Boolean,
        "whether the port is public",
    )],
);
static PATH: Node = single(
    "path",
    "the path prefix routed to this port (default `/`)",
    &TEXT,
);
static HOST: Node = single("host", "the host name routed to this port", &TEXT);
static PORT: Node = Node {
    occurs: Occurs::KeyedByName,
    properties: &[property(
        "protocol",
        ValueType::Choice { values: PROTOCOLS },
        "`http` (default), `tcp` or `grpc`",
    )],
    children: Children::Nodes {
        nodes: &[&PUBLIC, &PATH, &HOST],
    },
    ..single(
        "port",
        "a port the container listens on",
        &[argument("number", integer(1, 65535), "the port")],
    )
};
static CPU: Node = single(
    "cpu",
    "CPU: units (1024 = 1 vCPU), `\"N vCPU\"` or `\"Nm\"` (default 256)",
    &[argument("amount", ValueType::Cpu, "the CPU")],
);
static MEMORY: Node = single(
    "memory",
    "memory: MiB, or `\"512MiB\"`, `\"1GiB\"`, `\"2GB\"` (default 512)",
    &[argument("amount", ValueType::Memory, "the memory")],
);
static PERCENT: [Argument; 1] = [argument("percent", integer(1, 100), "target utilisation")];
static SCALE_CPU: Node = single(
    "cpu",
    "scale to keep average CPU at this percentage",
    &PERCENT,
);
static SCALE_MEMORY: Node = single(
    "memory",
    "scale to keep average memory at this percentage",
    &PERCENT,
);
static SCALE_REQUESTS: Node = single(
    "requests",
    "scale to keep load-balancer requests per replica at this count",
    &[argument(
        "per-target",
        integer(1, 1_000_000),
        "requests per target",
    )],
);
static REPLICAS: Node = Node {
    arguments: &[argument("count", integer(0, 1000), "a fixed replica count")],
    properties: &[
        property(
            "min",
            integer(0, 1000),
            "the fewest replicas when autoscaling",
        ),
        property(
            "max",
            integer(1, 1000),
            "the most replicas when autoscaling",
        ),
    ],
    children: Children::Nodes {
        nodes: &[&SCALE_CPU, &SCALE_MEMORY, &SCALE_REQUESTS],
    },
    ..node(
        "replicas",
        "a fixed count, or `min= max=` with autoscaling targets (default 1)",
    )
};
static HTTP_CHECK: Node = Node {
    properties: &[property(
        "port",
        integer(1, 65535),
        "the port to probe (default: the first port)",
    )],
    ..single(
        "http",
        "probe this HTTP path; healthy on a 2xx or 3xx answer",
        &[argument(
            "path",
            ValueType::String,
            "the path, e.g. `/healthz`",
        )],
    )
};
static COMMAND_CHECK: Node = Node {
    variadic: true,
    ..single(
        "command",
        "run this command in the container; healthy on exit 0",
        &WORDS,
    )
};
static DURATION: [Argument; 1] = [argument("duration", ValueType::Duration, "a duration")];
static INTERVAL: Node = single(
    "interval",
    "time between checks, 5s–300s (default 30s)",
    &DURATION,
);
static CHECK_TIMEOUT: Node = single(
    "timeout",
    "time before one check fails, 2s–60s (default 5s)",
    &DURATION,
);
static CHECK_RETRIES: Node = single(
    "retries",
    "failures before unhealthy, 1–10 (default 3)",
    &[argument("count", integer(1, 10), "failed checks")],
);
static GRACE: Node = single(
    "grace",
    "start-up time during which failures don't count, 0s–300s",
    &DURATION,
);
static HEALTH: Node = Node {
    children: Children::Nodes {
        nodes: &[
            &HTTP_CHECK,
            &COMMAND_CHECK,
            &INTERVAL,
            &CHECK_TIMEOUT,
            &CHECK_RETRIES,
            &GRACE,
        ],
    },
    ..node(
        "health",
        "the health check: `http PATH` or `command ARGS…` with timings",
    )
};
static ENV: Node = map("env", "`KEY \"value\"` environment variables");
static USER: Node = single(
    "user",
    "run the container as `\"UID\"` or `\"UID:GID\"`, numeric (default `\"1000:1000\"`; `\"0\"` is root)",
    &[argument(
        "user",
        ValueType::Scalar,
        "a user id, optionally `:group id`",
    )],
);
static READ_ONLY_ROOT: Node = single(
    "read-only-root",
    "whether the root file system is read-only (default `#true`; `/tmp` is always writable)",
    &[argument("enabled", ValueType::Boolean, "read-only or not")],
);
/// How a deploy replaces running copies.
pub const DEPLOYS: &[&str] = &["rolling", "recreate"];
static DEPLOY: Node = single(
    "deploy",
    "how a deploy replaces running copies: `\"rolling\"` (start new, then stop old; the default) or `\"recreate\"` (stop, then start)",
    &[argument(
        "strategy",
        ValueType::Choice { values: DEPLOYS },
        "the strategy",
    )],
);
static SECRET: Node = Node {
    occurs: Occurs::KeyedByName,
    properties: &[
        Property {
            required: true,
            ..property(
                "from",
                ValueType::SecretRef,
                "`ssm:PATH` or `secretsmanager:NAME-OR-ARN`",
            )
        },
        property(
            "key",
            ValueType::String,
            "a JSON key inside a Secrets Manager secret",
        ),
    ],
    ..single(
        "secret",
        "an environment variable read from SSM or Secrets Manager at start",
        &[argument(
            "name",
            ValueType::String,
            "the environment variable",
        )],
    )
};
static DEPENDS_ON: Node = Node {
    variadic: true,
    ..single("depends-on", "workloads that must start first", &NAME)
};
static VOLUME: Node = Node {
    occurs: Occurs::KeyedByName,
    properties: &[
        Property {
            required: true,
            ..property("path", ValueType::String, "where the volume is mounted")
        },
        property(
            "shared",
            ValueType::Boolean,
            "several copies may write to it at once by design (default `#false`: berth warns when they can)",
        ),
    ],
    ..single(
        "volume",
        "a shared persistent volume (EFS on ECS, an EFS-backed claim on EKS)",
        &NAME,
    )
};
static SIDECAR: Node = Node {
    occurs: Occurs::KeyedByName,
    children: Children::Nodes {
        nodes: &[
            &IMAGE_NODE,
            &COMMAND,
            &ENTRYPOINT,
            &PORT,
            &ENV,
            &SECRET,
            &USER,
            &READ_ONLY_ROOT,
        ],
    },
    ..single(
        "sidecar",
        "another container in the same task or pod",
        &NAME,
    )
};
static ALLOW: Node = Node {
    occurs: Occurs::Many,
    variadic: true,
    properties: &[Property {
        required: true,
        ..property(
            "resource",
            ValueType::String,
            "the resource ARN the actions apply to",
        )
    }],
    ..single(
        "allow",
        "allow these IAM actions on one resource",
        &[argument(
            "action",
            ValueType::String,
            "an IAM action, e.g. `s3:GetObject`",
        )],
    )
};
static ROLE: Node = Node {
    children: Children::Nodes { nodes: &[&ALLOW] },
    ..node(
        "role",
        "the workload's IAM permissions (ECS task role, EKS pod role)",
    )
};
static SCHEDULE: Node = Node {
    required: true,
    ..single(
        "schedule",
        "when the job runs: 5-field cron, always UTC",
        &[argument("cron", ValueType::Cron, "the cron expression")],
    )
};
static JOB_TIMEOUT: Node = single("timeout", "stop a run after this long", &DURATION);
static JOB_RETRIES: Node = single(
    "retries",
    "retry a failed run this many times (default 0)",
    &[argument("count", integer(0, 10), "retries")],
);

/// Nodes that service, worker and job share.
macro_rules! workload {
    ($name:literal, $doc:literal, [$($extra:expr),*]) => {
        Node {
            occurs: Occurs::KeyedByName,
            children: Children::Nodes {
                nodes: &[&IMAGE_NODE, &COMMAND, &ENTRYPOINT, &CPU, &MEMORY, &ENV, &SECRET, &DEPENDS_ON, &VOLUME, &ROLE, &USER, &READ_ONLY_ROOT, $($extra),*],
            },
            ..single($name, $doc, &NAME)
        }
    };
}

pub(super) static SERVICE: Node = workload!(
    "service",
    "a long-running workload that serves ports",
    [&PORT, &REPLICAS, &HEALTH, &SIDECAR, &DEPLOY]
);
pub(super) static WORKER: Node = workload!(
    "worker",
    "a long-running workload without ports",
    [&REPLICAS, &HEALTH, &SIDECAR, &DEPLOY]
);
pub(super) static JOB: Node = workload!(
    "job",
    "a scheduled run-to-completion task",
    [&SCHEDULE, &JOB_TIMEOUT, &JOB_RETRIES]
);
