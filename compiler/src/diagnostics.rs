//! Every problem the compiler can report: one enum of stable codes, and the diagnostic that carries one.
//!
//! A [`Code`] is never reused or renamed; `docs/diagnostics.md` has a section for each and
//! `berth explain CODE` prints it. Messages are lowercase with identifiers in backticks; what is
//! wrong goes in the message, what to do goes in the help line.

use std::fmt;

use serde::Serialize;

use crate::source::{LineIndex, Span};

/// How bad a problem is: errors make the workspace invalid, warnings travel with the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The workspace cannot be built.
    Error,
    /// The workspace builds, but something is approximated or worth a look.
    Warning,
    /// Not a problem: something berth did because you asked, said so it is not silent.
    Note,
}

impl Severity {
    /// `error` or `warning`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $severity:ident;)*) => {
        /// The stable code of every problem berth reports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case code without the `berth::` prefix, e.g. `unknown-node`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// Whether this code is an error or a warning.
            pub const fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The one-line summary of this code (its doc comment).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim(),)* }
            }
        }
    };
}

codes! {
    /// the file is not valid KDL 2.0
    Syntax = "syntax", Error;
    /// blocks are nested deeper than berth reads
    NestingTooDeep = "nesting-too-deep", Error;
    /// a node name is not part of the language at this position
    UnknownNode = "unknown-node", Error;
    /// a property is not accepted by this node
    UnknownProperty = "unknown-property", Error;
    /// a node exists in the language but belongs somewhere else
    MisplacedNode = "misplaced-node", Error;
    /// a value has the wrong type, such as a string where a number is expected
    WrongType = "wrong-type", Error;
    /// a node has too many or too few arguments
    WrongArity = "wrong-arity", Error;
    /// a required node, argument or property is missing
    MissingField = "missing-field", Error;
    /// a node that may appear once appears twice in the same place
    DuplicateNode = "duplicate-node", Error;
    /// two things in the same scope share a name
    DuplicateName = "duplicate-name", Error;
    /// a name is not a lowercase DNS label
    InvalidName = "invalid-name", Error;
    /// a value is not one of the accepted forms
    InvalidValue = "invalid-value", Error;
    /// a number is outside the range the platform accepts
    OutOfRange = "out-of-range", Error;
    /// an interpolation names a variable that is not defined
    UnknownVariable = "unknown-variable", Error;
    /// an interpolation expression is malformed
    TemplateSyntax = "template-syntax", Error;
    /// a name contains an interpolation expression, which names may not
    ExpressionInName = "expression-in-name", Error;
    /// a variable is declared under a name that expressions cannot use
    ReservedName = "reserved-name", Error;
    /// `--var` sets a variable that the workspace neither declares nor uses
    UnknownVarFlag = "unknown-var-flag", Error;
    /// the workspace declares no service, worker or job
    NoWorkloads = "no-workloads", Error;
    /// the selected environment is not declared in the file
    UnknownEnvironment = "unknown-environment", Error;
    /// an environment overlay names a workload that the workspace does not declare
    OverlayAddsWorkload = "overlay-adds-workload", Error;
    /// `depends-on` names a workload that does not exist
    UnknownDependency = "unknown-dependency", Error;
    /// `depends-on` forms a cycle
    DependencyCycle = "dependency-cycle", Error;
    /// two containers of one task or pod listen on the same port
    PortConflict = "port-conflict", Error;
    /// two public ports claim the same host and path on the shared load balancer
    RouteConflict = "route-conflict", Error;
    /// the cpu and memory pair is not a Fargate task size
    FargateSize = "fargate-size", Error;
    /// a health check setting is outside the range ECS and Kubernetes accept
    HealthCheckRange = "health-check-range", Error;
    /// a schedule is not a valid 5-field cron expression for the target
    InvalidCron = "invalid-cron", Error;
    /// more public routes than one load balancer listener accepts
    TooManyRoutes = "too-many-routes", Error;
    /// the domain's certificate is in another region than the load balancer
    CertificateRegion = "certificate-region", Error;
    /// a secret reference is not an SSM parameter or Secrets Manager secret
    InvalidSecretRef = "invalid-secret-ref", Error;
    /// a name berth generates from your names exceeds the platform's limit
    NameTooLong = "name-too-long", Error;
    /// EKS creates no cluster with this Kubernetes version (support ended, or unknown)
    KubernetesVersion = "kubernetes-version", Error;
    /// a task needs more CPU or memory than one instance of the ECS instance type has
    TaskTooLarge = "task-too-large", Error;
    /// the ECS capacity at its `max` cannot hold every service at its `max`
    InsufficientCapacity = "insufficient-capacity", Warning;
    /// the chosen target can only approximate a setting
    Approximated = "approximated", Warning;
    /// the chosen target cannot express a setting at all, so the build leaves it out
    Unsupported = "unsupported", Warning;
    /// the cluster's Kubernetes version is in EKS extended support, billed at a higher rate
    ExtendedSupport = "extended-support", Warning;
    /// a port below 1024 in a container that does not run as root
    PrivilegedPort = "privileged-port", Warning;
    /// a writable volume can be used by more than one copy of a workload at once
    ConcurrentWriters = "concurrent-writers", Warning;
    /// `--region` replaces the region written in the file
    RegionOverride = "region-override", Note;
}

impl Code {
    /// Finds a code by its name, with or without the `berth::` prefix.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix("berth::").unwrap_or(name);
        Self::ALL.iter().copied().find(|code| code.name() == name)
    }

    /// The code as rendered, e.g. `berth::unknown-node`.
    pub fn qualified(self) -> String {
        format!("berth::{}", self.name())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "berth::{}", self.name())
    }
}

/// A labelled place in the source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One reported problem: a code, a message, the labelled places and a help line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The stable code; it decides the severity.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// The smallest wrong span first, then the other places involved.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
    /// The environments whose check found it; empty when it was found in the workspace as
    /// written (the base, which every environment starts from). See [`crate::check_environments`].
    pub environments: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with `code` and `message`, pointing at `span` with `label`.
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                message: label.into(),
            }],
            help: None,
            environments: Vec::new(),
        }
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The severity of this diagnostic's code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether `other` reports the same problem at the same places, whichever environments
    /// found it.
    pub fn same_problem(&self, other: &Self) -> bool {
        self.code == other.code
            && self.message == other.message
            && self.labels == other.labels
            && self.help == other.help
    }

    /// The primary span (the first label's).
    pub fn primary_span(&self) -> Span {
        self.labels
            .first()
            .map(|label| label.span)
            .unwrap_or_default()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.code.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(
            |(index, label)| {
                let span = miette::SourceSpan::from(label.span);
                let text = Some(label.message.clone());
                if index == 0 {
                    miette::LabeledSpan::new_primary_with_span(text, span)
                } else {
                    miette::LabeledSpan::new_with_span(text, span)
                }
            },
        )))
    }
}

/// The problems collected by one run, in a deterministic order.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Whether any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.items
            .iter()
            .any(|diagnostic| diagnostic.severity() == Severity::Error)
    }

    /// How many errors were recorded.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|diagnostic| diagnostic.severity() == Severity::Error)
            .count()
    }

    /// The diagnostics ordered by position, then code, with exact repeats removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        sort(&mut self.items);
        self.items.dedup();
        self.items
    }
}

/// Orders diagnostics by position, then code, then message.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|left, right| {
        (left.primary_span(), left.code, &left.message).cmp(&(
            right.primary_span(),
            right.code,
            &right.message,
        ))
    });
}

/// One diagnostic as `berth check --format json` prints it.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `berth::…`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The workspace file as given.
    pub file: String,
    /// 1-based line of the primary label.
    pub line: usize,
    /// 1-based column (in characters) of the primary label.
    pub column: usize,
    /// What to do, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Every labelled place, primary first.
    pub labels: Vec<JsonLabel>,
    /// The environments whose check found it; absent when it is in the base workspace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// One label of a [`JsonDiagnostic`].
#[derive(Debug, Serialize)]
pub struct JsonLabel {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is there.
    pub message: String,
}

/// Converts diagnostics to the JSON shape of the CLI contract (spec §5).
pub fn to_json(diagnostics: &[Diagnostic], file: &str, source: &str) -> serde_json::Value {
    let index = LineIndex::new(source);
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|diagnostic| {
            let primary = index.locate(diagnostic.primary_span().offset);
            JsonDiagnostic {
                code: diagnostic.code.qualified(),
                severity: diagnostic.severity(),
                message: diagnostic.message.clone(),
                file: file.to_owned(),
                line: primary.line,
                column: primary.column,
                help: diagnostic.help.clone(),
                labels: diagnostic
                    .labels
                    .iter()
                    .map(|label| {
                        let place = index.locate(label.span.offset);
                        JsonLabel {
                            line: place.line,
                            column: place.column,
                            message: label.message.clone(),
                        }
                    })
                    .collect(),
                environments: diagnostic.environments.clone(),
            }
        })
        .collect();
    let mut value = serde_json::json!({ "diagnostics": items });
    // Sorted even when another crate in the build turns on serde_json's `preserve_order`.
    value.sort_all_objects();
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(&code.qualified()), Some(*code));
            assert!(!code.summary().is_empty());
        }
        let mut names: Vec<_> = Code::ALL.iter().map(|code| code.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }
}
