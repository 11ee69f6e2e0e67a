//! The language table: the document, `workspace`, `environment` and the workspace-level nodes
//! (spec §2), with the constructors the table is written in; workload nodes are in `workload.rs`.

use super::workload::{JOB, SERVICE, WORKER};
use super::{Argument, Children, Node, Occurs, Property, ValueType};

pub(super) const fn node(name: &'static str, doc: &'static str) -> Node {
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
pub(super) const fn single(
    name: &'static str,
    doc: &'static str,
    argument: &'static [Argument],
) -> Node {
    Node {
        arguments: argument,
        min_arguments: 1,
        ..node(name, doc)
    }
}

pub(super) const fn map(name: &'static str, doc: &'static str) -> Node {
    Node {
        children: Children::Map {
            value: ValueType::Scalar,
        },
        ..node(name, doc)
    }
}

pub(super) const fn argument(name: &'static str, value: ValueType, doc: &'static str) -> Argument {
    Argument { name, value, doc }
}

pub(super) const fn property(name: &'static str, value: ValueType, doc: &'static str) -> Property {
    Property {
        name,
        value,
        required: false,
        doc,
    }
}

pub(super) const fn integer(min: i64, max: i64) -> ValueType {
    ValueType::Integer { min, max }
}

/// The target backends.
pub const TARGETS: &[&str] = &["ecs", "fargate", "eks"];

pub(super) static NAME: [Argument; 1] =
    [argument("name", ValueType::Name, "a lowercase DNS label")];
pub(super) static TEXT: [Argument; 1] = [argument("value", ValueType::String, "text")];

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
static ADMINS: Node = Node {
    variadic: true,
    ..single(
        "admins",
        "IAM roles or users given cluster admin access to a new cluster, besides whoever deploys it",
        &[argument(
            "arn",
            ValueType::String,
            "a role or user ARN, `arn:aws:iam::123456789012:role/…`",
        )],
    )
};
static PUBLIC_ACCESS: Node = Node {
    variadic: true,
    ..single(
        "public-access",
        "the only IPv4 CIDR blocks that may reach a new cluster's public API endpoint (default: anywhere)",
        &[argument(
            "cidr",
            ValueType::String,
            "a CIDR block, e.g. `203.0.113.0/24`",
        )],
    )
};
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
            &ADMINS,
            &PUBLIC_ACCESS,
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
