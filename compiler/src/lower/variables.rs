//! Variables: the layered values of `{{name}}` expressions (top-level `vars`, the selected
//! environment's, then `--var`), and the two ways a variable could be set silently in vain: a
//! declared name that expressions cannot use, and a `--var` that names no variable.

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlNode};

use super::entries::{argument, name_span};
use super::{Lowerer, Options, Selected, scalar_text};
use crate::diagnostics::{Code, Diagnostic};
use crate::suggest::{did_you_mean, one_of};

/// The variables berth defines itself, and the option that sets each.
pub const BUILT_INS: [(&str, &str); 4] = [
    ("workspace", "rename the workspace"),
    ("env", "select an environment with `--env`"),
    ("region", "use `--region`"),
    ("target", "use `--target`"),
];

/// Words the template language reads as keywords or helpers rather than variables: a variable
/// declared under one renders as `[object]`, nothing, or a template error.
const KEYWORDS: [&str; 22] = [
    "this", "else", "if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt",
    "gte", "lt", "lte", "and", "or", "not", "len", "true", "false", "null",
];

impl Lowerer<'_> {
    /// The layered variables: file `vars`, then the environment's, then `--var`. Reports names
    /// that cannot be variables where they are declared, and `--var`s that name no variable.
    pub(super) fn variables(
        &mut self,
        document: &KdlDocument,
        workspace: &KdlNode,
        environment: &Selected<'_>,
        options: &Options,
    ) -> BTreeMap<String, String> {
        let mut values = BTreeMap::new();
        let layers: Vec<&KdlNode> = top_level_vars(document)
            .chain(environment.node.into_iter().flat_map(vars_of))
            .collect();
        for vars in layers {
            for entry in vars.children().map(KdlDocument::nodes).unwrap_or_default() {
                let name = entry.name().value();
                if let Some(reason) = reserved(name) {
                    self.report(
                        Diagnostic::new(
                            Code::ReservedName,
                            format!("`{name}` cannot be a variable name: {reason}"),
                            name_span(entry),
                            "reserved",
                        )
                        .with_help("rename the variable, e.g. `app_version`, and the `{{…}}` expressions that use it"),
                    );
                    continue;
                }
                if let Some(value) = argument(entry, 0).and_then(|value| scalar_text(value.value()))
                {
                    values.insert(name.to_owned(), value);
                }
            }
        }
        self.check_var_flags(document, workspace, options);
        for (key, value) in &options.vars {
            values.insert(key.clone(), value.clone());
        }
        values
    }

    /// Each `--var KEY` must name a variable the file declares (in any `vars`) or uses (in any
    /// `{{KEY}}`); a misspelt key would otherwise be ignored and the file's value deployed.
    fn check_var_flags(&mut self, document: &KdlDocument, workspace: &KdlNode, options: &Options) {
        if options.vars.is_empty() {
            return;
        }
        let mut known: BTreeSet<String> = top_level_vars(document)
            .chain(
                document
                    .nodes()
                    .iter()
                    .filter(|node| node.name().value() == "environment")
                    .flat_map(vars_of),
            )
            .flat_map(|vars| vars.children().map(KdlDocument::nodes).unwrap_or_default())
            .map(|entry| entry.name().value().to_owned())
            .collect();
        known.extend(used_names(self.source));
        for (built_in, _) in BUILT_INS {
            known.remove(built_in);
        }
        let span = top_level_vars(document)
            .next()
            .map_or_else(|| name_span(workspace), name_span);
        let mut reported = BTreeSet::new();
        for (key, _) in &options.vars {
            if known.contains(key) || !reported.insert(key) {
                continue;
            }
            let (message, help) = if let Some((_, instead)) =
                BUILT_INS.iter().find(|(built_in, _)| built_in == key)
            {
                (
                    format!("`--var {key}=…` cannot change the built-in variable `{key}`"),
                    format!("berth sets `{{{{{key}}}}}` itself: {instead}"),
                )
            } else {
                let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
                let help = match did_you_mean(key, &candidates) {
                    Some(near) => format!("did you mean `--var {near}=…`?"),
                    None if candidates.is_empty() => {
                        "the workspace has no variables: declare it in `vars`, or drop this `--var`"
                            .to_owned()
                    }
                    None if candidates.len() <= 6 => {
                        format!("the workspace's variables are {}", one_of(&candidates))
                    }
                    None => "declare it in `vars`, or drop this `--var`".to_owned(),
                };
                (
                    format!("`--var {key}=…` names no variable of this workspace"),
                    help,
                )
            };
            let label = if top_level_vars(document).next().is_some() {
                "variables are declared here"
            } else {
                "this workspace declares no `vars`"
            };
            self.report(
                Diagnostic::new(Code::UnknownVarFlag, message, span, label).with_help(help),
            );
        }
    }
}

/// Why `name` cannot be a variable: a built-in, a template keyword, or not a name an
/// expression can spell.
pub fn reserved(name: &str) -> Option<String> {
    if let Some((_, instead)) = BUILT_INS.iter().find(|(built_in, _)| *built_in == name) {
        return Some(format!("berth defines `{{{{{name}}}}}` itself ({instead})"));
    }
    if KEYWORDS.contains(&name) {
        return Some("it is a keyword of the template language".to_owned());
    }
    let mut characters = name.chars();
    let spellable = characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters
            .all(|character| character.is_ascii_alphanumeric() || "_-".contains(character));
    (!spellable).then(|| {
        "expressions can only name variables made of letters, digits, `_` and `-`, starting with a letter or `_`".to_owned()
    })
}

fn top_level_vars(document: &KdlDocument) -> impl Iterator<Item = &KdlNode> {
    document
        .nodes()
        .iter()
        .filter(|node| node.name().value() == "vars")
}

fn vars_of(environment: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    environment
        .children()
        .map(KdlDocument::nodes)
        .unwrap_or_default()
        .iter()
        .filter(|node| node.name().value() == "vars")
}

/// The names inside every `{{…}}` of `source`, trimmed.
fn used_names(source: &str) -> impl Iterator<Item = String> + '_ {
    source.match_indices("{{").filter_map(|(start, _)| {
        let rest = &source[start + 2..];
        let end = rest.find("}}")?;
        Some(rest[..end].trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_say_why() {
        assert!(reserved("tag").is_none());
        assert!(reserved("cost-center").is_none());
        assert!(reserved("this").is_some());
        assert!(reserved("else").is_some());
        assert!(reserved("env").is_some_and(|reason| reason.contains("--env")));
        assert!(reserved("app.version").is_some());
        assert!(reserved("1st").is_some());
    }

    #[test]
    fn used_names_are_read_from_expressions() {
        let names: Vec<String> = used_names("a \"{{ tag }}:{{x}}\" {{open").collect();
        assert_eq!(names, ["tag", "x"]);
    }
}
