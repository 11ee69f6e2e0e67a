//! Lowering: KDL document to the typed [`Workspace`], with the selected environment applied and
//! every string interpolated. Shape problems are reported by the `shape` module; the readers here only
//! report what a value means (units, references, forms), and skip values shape already rejected.

mod advice;
mod container;
mod egress;
mod eks;
mod entries;
mod environments;
mod overlay;
mod references;
mod shape;
mod variables;
mod workload;
mod workspace;

use std::collections::BTreeMap;

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::interpolate::Interpolator;
use crate::model::{Target, Workspace};
use crate::source::{Span, Spanned};
use crate::suggest::one_of;
use entries::{argument, name_span, value_span};
pub use overlay::Tree;
pub(crate) use shape::check_shape;
pub(crate) use variables::reserved as reserved_variable;

/// The name of the environment when `--env` is not given.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// What the command line adds to the file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--env NAME`: the environment overlay to apply.
    pub environment: Option<String>,
    /// `--var KEY=VALUE`, in order; later wins.
    pub vars: Vec<(String, String)>,
    /// `--target`: overrides the file's target.
    pub target: Option<Target>,
    /// `--region`: replaces the file's region (with a `region-override` note).
    pub region: Option<String>,
    /// `AWS_REGION`, read by the runtime: the region when the file (and the selected
    /// environment) has none. The file is the declaration; this only fills a gap.
    pub default_region: Option<String>,
    /// The day of the check (UTC), read by the runtime from the clock (or `SOURCE_DATE_EPOCH`):
    /// whether an EKS version is in standard or extended support, or ended, depends on it. When
    /// absent, the day the version table was reviewed ([`crate::eks_versions::REVIEWED`]), so
    /// a check in memory is the same every day.
    pub today: Option<crate::eks_versions::Date>,
}

/// Lowers `document` to a typed workspace, recording problems in `diagnostics`.
///
/// Returns `None` only when there is no `workspace` node to lower.
pub fn lower(
    document: &KdlDocument,
    source: &str,
    options: &Options,
    diagnostics: &mut Diagnostics,
) -> Option<Workspace> {
    shape::check_shape(document, source, diagnostics);
    lower_shaped(document, source, options, diagnostics)
}

/// [`lower()`] without the shape check, for a caller that has already recorded the document's
/// shape problems in `diagnostics` (they do not depend on the options, so checking each
/// environment needs them once).
pub(crate) fn lower_shaped(
    document: &KdlDocument,
    source: &str,
    options: &Options,
    diagnostics: &mut Diagnostics,
) -> Option<Workspace> {
    let workspace_node = document
        .nodes()
        .iter()
        .find(|node| node.name().value() == "workspace")?;
    let mut lowerer = Lowerer {
        source,
        diagnostics,
        interpolator: Interpolator::new(BTreeMap::new()),
    };
    let environment = lowerer.select_environment(document, workspace_node, options);
    lowerer.lower_workspace(document, workspace_node, environment, options)
}

/// The names of the environments `document` declares, in file order, each once.
pub fn environment_names(document: &KdlDocument) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for node in document.nodes() {
        if node.name().value() != "environment" {
            continue;
        }
        if let Some(name) = argument(node, 0).and_then(|entry| entry.value().as_string())
            && !names.iter().any(|known| known == name)
        {
            names.push(name.to_owned());
        }
    }
    names
}

/// The selected environment: its name (with the span of its declaration) and its node.
pub(crate) struct Selected<'a> {
    name: Spanned<String>,
    node: Option<&'a KdlNode>,
}

pub(crate) struct Lowerer<'a> {
    source: &'a str,
    diagnostics: &'a mut Diagnostics,
    interpolator: Interpolator,
}

impl Lowerer<'_> {
    fn select_environment<'d>(
        &mut self,
        document: &'d KdlDocument,
        workspace: &KdlNode,
        options: &Options,
    ) -> Selected<'d> {
        let declared: Vec<(&'d KdlNode, String)> = document
            .nodes()
            .iter()
            .filter(|node| node.name().value() == "environment")
            .filter_map(|node| {
                argument(node, 0)
                    .and_then(|entry| entry.value().as_string())
                    .map(|name| (node, name.to_owned()))
            })
            .collect();
        let Some(wanted) = &options.environment else {
            return Selected {
                name: Spanned::new(DEFAULT_ENVIRONMENT.to_owned(), Span::default()),
                node: None,
            };
        };
        if let Some((node, name)) = declared.iter().find(|(_, name)| name == wanted) {
            let span =
                argument(node, 0).map_or_else(|| name_span(node), |entry| entry.span().into());
            return Selected {
                name: Spanned::new(name.clone(), span),
                node: Some(node),
            };
        }
        let names: Vec<&str> = declared.iter().map(|(_, name)| name.as_str()).collect();
        let help = if names.is_empty() {
            format!("declare it with `environment \"{wanted}\" {{ … }}`, or drop `--env`")
        } else {
            format!("the file declares {}", one_of(&names))
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnknownEnvironment,
                format!("environment `{wanted}` is not declared"),
                name_span(workspace),
                "in this workspace",
            )
            .with_help(help),
        );
        Selected {
            name: Spanned::new(wanted.clone(), Span::default()),
            node: None,
        }
    }

    /// Renders a string entry; `None` (nothing reported) if it is not a string.
    fn text(&mut self, entry: Option<&KdlEntry>) -> Option<Spanned<String>> {
        let entry = entry?;
        let span = value_span(entry, self.source);
        let text = entry.value().as_string()?;
        match self.interpolator.render(text, span, self.source) {
            Ok(rendered) => Some(Spanned::new(rendered, span)),
            Err(problems) => {
                for problem in problems {
                    self.diagnostics.push(problem);
                }
                None
            }
        }
    }

    /// Renders a string, number or boolean entry as text.
    fn scalar(&mut self, entry: Option<&KdlEntry>) -> Option<Spanned<String>> {
        let entry = entry?;
        if entry.value().is_string() {
            return self.text(Some(entry));
        }
        scalar_text(entry.value()).map(|text| Spanned::new(text, value_span(entry, self.source)))
    }

    /// The first argument of the child `name` of `tree`, rendered.
    fn child_text(&mut self, tree: &Tree<'_>, name: &str) -> Option<Spanned<String>> {
        let node = tree.child(name)?.node;
        self.text(argument(node, 0))
    }

    /// An integer entry within `u32`.
    fn integer(&self, entry: Option<&KdlEntry>) -> Option<Spanned<u32>> {
        let entry = entry?;
        let number = entry.value().as_integer()?;
        u32::try_from(number)
            .ok()
            .map(|value| Spanned::new(value, value_span(entry, self.source)))
    }

    /// The first argument of the child `name` as an integer.
    fn child_integer(&self, tree: &Tree<'_>, name: &str) -> Option<Spanned<u32>> {
        self.integer(argument(tree.child(name)?.node, 0))
    }

    /// The first argument of the child `name` as a boolean.
    fn child_bool(&self, tree: &Tree<'_>, name: &str) -> Option<bool> {
        argument(tree.child(name)?.node, 0)?.value().as_bool()
    }

    /// A name argument as written (names are never interpolated).
    fn name(&self, node: &KdlNode) -> Option<Spanned<String>> {
        let entry = argument(node, 0)?;
        let text = entry.value().as_string()?;
        Some(Spanned::new(text.to_owned(), entry.span().into()))
    }

    /// Every argument of `node`, rendered.
    fn all_text(&mut self, node: &KdlNode) -> Vec<Spanned<String>> {
        entries::arguments(node)
            .filter_map(|entry| self.text(Some(entry)))
            .collect::<Vec<_>>()
    }

    /// The span of bytes `offset..offset+len` of a string value `text` written at `span`: exact when
    /// the source writes the string plainly, otherwise the whole value.
    fn inner_span(&self, span: Span, text: &str, offset: usize, len: usize) -> Span {
        let raw = self.source.get(span.offset..span.end()).unwrap_or_default();
        if raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text) {
            span.slice(1 + offset, len.max(1))
        } else {
            span
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn invalid(&mut self, span: Span, message: String, label: &str, help: impl Into<String>) {
        self.report(Diagnostic::new(Code::InvalidValue, message, span, label).with_help(help));
    }
}

fn scalar_text(value: &KdlValue) -> Option<String> {
    match value {
        KdlValue::String(text) => Some(text.clone()),
        KdlValue::Integer(number) => Some(number.to_string()),
        KdlValue::Float(number) => Some(number.to_string()),
        KdlValue::Bool(flag) => Some(flag.to_string()),
        KdlValue::Null => None,
    }
}
