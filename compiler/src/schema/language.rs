//! The language table: every node of the workspace language (spec §2) and where it may appear.

use super::{Argument, Children, Node, Occurs, Property, ValueType};

const fn node(name: &'static str, doc: &'static str) -> Node {
    Node {
        name,
        doc,
        arguments: &[],
        min_arguments: 0,
        variadic: false,
        properties: &[],
        children: Children::None,
        occurs: Occurs::Once,
        required: false,
    }
}

/// A node with exactly one required argument.
const fn single(name: &'static str, doc: &'static str, argument: &'static [Argument]) -> Node {
    Node {
        arguments: argument,
        min_arguments: 1,
        ..node(name, doc)
    }
}

const fn map(name: &'static str, doc: &'static str) -> Node {
    Node {
        children: Children::Map {
            value: ValueType::Scalar,
        },
        ..node(name, doc)
    }
}

const fn argument(name: &'static str, value: ValueType, doc: &'static str) -> Argument {
    Argument { name, value, doc }
}

const fn property(name: &'static str, value: ValueType, doc: &'static str) -> Property {
    Property {
        name,
        value,
        required: false,
        doc,
    }
}

const fn integer(min: i64, max: i64) -> ValueType {
    ValueType::Integer { min, max }
}

/// The target backends.
pub const TARGETS: &[&str] = &["ecs", "fargate", "eks"];
/// Port protocols.
pub const PROTOCOLS: &[&str] = &["http", "tcp", "grpc"];

static NAME: [Argument; 1] = [argument("name", ValueType::Name, "a lowercase DNS label")];
static TEXT: [Argument; 1] = [argument("value", ValueType::String, "text")];

// workspace ---------------------------------------------------------------------------------

static TARGET: Node = single(
    "target",
    "the backend: `ecs`, `fargate` or `eks` (default `fargate`)",
    &[argument(
        "target",
        ValueType::Choice { values: TARGETS },
        "the backend",
    )],
);
static REGION: Node = single("region", "the AWS region, e.g. `eu-west-1`", &TEXT);
static CIDR: Node = single(
    "cidr",
    "the IPv4 CIDR block of a new VPC (default `10.0.0.0/16`)",
    &TEXT,
);
static ZONES: Node = single(
    "zones",
    "how many availability zones to spread subnets over (default 2)",
    &[argument("count", integer(2, 6), "availability zones")],
);
static NAT: Node = single(
    "nat",
    "put workloads in private subnets behind NAT gateways (default `#false`)",
    &[argument(
        "enabled",
        ValueType::Boolean,
        "whether to create NAT gateways",
    )],
);
static VPC: Node = single(
    "vpc",
    "reuse an existing VPC instead of creating one",
    &[argument("id", ValueType::String, "the VPC id, `vpc-…`")],
);
static SUBNET_IDS: [Argument; 1] = [argument("id", ValueType::String, "a subnet id, `subnet-…`")];
static PUBLIC_SUBNETS: Node = Node {
    variadic: true,
    ..single(
        "public-subnets",
        "existing public subnets (with `vpc`)",
        &SUBNET_IDS,
    )
};
static PRIVATE_SUBNETS: Node = Node {
    variadic: true,
    ..single(
        "private-subnets",
        "existing private subnets (with `vpc`)",
        &SUBNET_IDS,
    )
};
/// Egress protocols.
pub const EGRESS_PROTOCOLS: &[&str] = &["tcp", "udp", "all"];
static EGRESS: Node = Node {
    occurs: Occurs::Many,
    properties: &[
        property(
            "port",
            ValueType::Scalar,
            "a port (`5432`) or range (`\"8000-8100\"`); every port when left out",
        ),
        property(
            "protocol",
            ValueType::Choice {
                values: EGRESS_PROTOCOLS,
            },
            "`tcp` (default), `udp` or `all`",
        ),
    ],
    ..single(
        "egress",
        "allow outbound traffic to this IPv4 CIDR block; once any `egress` is written, only the listed destinations, HTTPS and the other workloads are reachable (default: all outbound traffic)",
        &[argument(
            "cidr",
            ValueType::String,
            "an IPv4 CIDR block, e.g. `10.0.0.0/8` or `0.0.0.0/0`",
        )],
    )
};
static NETWORK: Node = Node {
    children: Children::Nodes {
        nodes: &[
            &CIDR,
            &ZONES,
            &NAT,
            &VPC,
            &PUBLIC_SUBNETS,
            &PRIVATE_SUBNETS,
            &EGRESS,
        ],
    },
    ..node(
        "network",
        "a new VPC (`cidr`, `zones`, `nat`) or an existing one (`vpc` and its subnets), and where workloads may connect (`egress`)",
    )
};
static INSTANCE_TYPE: Node = single(
    "instance-type",
    "the EC2 instance type, e.g. `t3.medium`",
    &TEXT,
);
static ECS_MIN: Node = single(
    "min",
    "the fewest instances (default 1)",
    &[argument("count", integer(0, 1000), "instances")],
);
static ECS_MAX: Node = single(
    "max",
    "the most instances (default 4)",
    &[argument("count", integer(1, 1000), "instances")],
);
static ECS: Node = Node {
    children: Children::Nodes {
        nodes: &[&INSTANCE_TYPE, &ECS_MIN, &ECS_MAX],
    },
    ..node("ecs", "EC2 capacity for target `ecs`")
};
static EKS_VERSION: Node = single(
    "version",
    "the Kubernetes minor version of a new cluster (default `1.35`); one EKS still supports",
    &TEXT,
);
static NAMESPACE: Node = single(
    "namespace",
    "the Kubernetes namespace (default: `<workspace>-<env>`)",
    &NAME,
);
static NODEGROUP: Node = Node {
    occurs: Occurs::KeyedByName,
    properties: &[
        property(
            "instance-type",
            ValueType::String,
            "the EC2 instance type (default `t3.large`)",
        ),
        property("min", integer(0, 450), "the fewest nodes (default 1)"),
        property("max", integer(1, 450), "the most nodes (default 3)"),
        property(
            "desired",
            integer(0, 450),
            "the nodes to start with (default `min`)",
        ),
    ],
    ..single("nodegroup", "a managed node group of a new cluster", &NAME)
};
static CLUSTER: Node = single(
    "cluster",
    "deploy onto this existing EKS cluster instead of creating one",
    &[argument(
        "name",
        ValueType::String,
        "the existing cluster's name",
    )],
);
static EXTERNAL_SECRETS_ROLE: Node = single(
    "external-secrets-role",
    "with `cluster`: the IAM role the cluster's External Secrets controller already runs as (default: a role berth shares among the workspaces on the cluster)",
    &[argument("arn", ValueType::String, "the role ARN")],
);
static EKS: Node = Node {
    children: Children::Nodes {
        nodes: &[
            &EKS_VERSION,
            &NAMESPACE,
            &NODEGROUP,
            &CLUSTER,
            &EXTERNAL_SECRETS_ROLE,
        ],
    },
    ..node("eks", "the EKS cluster for target `eks`")
};
static DOMAIN: Node = Node {
    properties: &[Property {
        required: true,
        ..property(
            "certificate",
            ValueType::String,
            "the ACM certificate ARN for HTTPS",
        )
    }],
    ..single(
        "domain",
        "serve public ports over HTTPS on this host name",
        &[argument(
            "host",
            ValueType::String,
            "the host name, e.g. `shop.example.com`",
        )],
    )
};
static TAGS: Node = map("tags", "`KEY \"value\"` tags applied to every AWS resource");
static WORKSPACE: Node = Node {
    required: true,
    children: Children::Nodes {
        nodes: &[&TARGET, &REGION, &NETWORK, &ECS, &EKS, &DOMAIN, &TAGS],
    },
    ..single(
        "workspace",
        "the application and the AWS backend it runs on",
        &NAME,
    )
};
static VARS: Node = map("vars", "`KEY \"value\"` values for `{{KEY}}` expressions");

// workloads ---------------------------------------------------------------------------------

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

static SERVICE: Node = workload!(
    "service",
    "a long-running workload that serves ports",
    [&PORT, &REPLICAS, &HEALTH, &SIDECAR, &DEPLOY]
);
static WORKER: Node = workload!(
    "worker",
    "a long-running workload without ports",
    [&REPLICAS, &HEALTH, &SIDECAR, &DEPLOY]
);
static JOB: Node = workload!(
    "job",
    "a scheduled run-to-completion task",
    [&SCHEDULE, &JOB_TIMEOUT, &JOB_RETRIES]
);

static ENVIRONMENT: Node = Node {
    occurs: Occurs::KeyedByName,
    children: Children::Nodes {
        nodes: &[
            &TARGET, &REGION, &NETWORK, &EKS, &DOMAIN, &VARS, &SERVICE, &WORKER, &JOB,
        ],
    },
    ..single(
        "environment",
        "an overlay selected with `--env NAME`",
        &NAME,
    )
};

/// The document itself: the top-level nodes.
pub static ROOT: Node = Node {
    children: Children::Nodes {
        nodes: &[&WORKSPACE, &VARS, &ENVIRONMENT, &SERVICE, &WORKER, &JOB],
    },
    ..node("document", "a berth workspace file")
};
