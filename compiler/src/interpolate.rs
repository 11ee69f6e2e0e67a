//! `{{name}}` expressions in string values, rendered with handlebars in strict mode.
//!
//! Simple names are checked first, so that every unknown name is reported with a label on the
//! expression inside the string; whatever else handlebars rejects becomes `template-syntax`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use handlebars::{Context, Handlebars, RenderErrorReason};

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;
use crate::suggest::did_you_mean;

/// The names available to `{{…}}` expressions, and the renderer.
pub struct Interpolator {
    registry: Handlebars<'static>,
    values: BTreeMap<String, String>,
    /// The values as handlebars data, converted once: converting per string would make the
    /// cost of every string grow with the number of variables.
    context: Option<Context>,
}

/// One `{{…}}` expression found in a string: its byte range in the string and its inner text.
struct Expression<'a> {
    start: usize,
    end: usize,
    inner: &'a str,
    closed: bool,
}

impl Interpolator {
    /// A renderer over `values` (later layers must already have replaced earlier ones).
    pub fn new(values: BTreeMap<String, String>) -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        let data = serde_json::Value::Object(
            values
                .iter()
                .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
                .collect(),
        );
        Self {
            registry,
            values,
            context: Context::wraps(data).ok(),
        }
    }

    /// Renders `text`, the decoded value written at `span` in `source`.
    pub fn render(&self, text: &str, span: Span, source: &str) -> Result<String, Vec<Diagnostic>> {
        if !text.contains("{{") {
            return Ok(text.to_owned());
        }
        let raw = source.get(span.offset..span.end()).unwrap_or_default();
        let expressions = find_expressions(text);
        let mut places = Places::new(raw, span);
        let mut problems = Vec::new();
        for expression in &expressions {
            let name = expression.inner.trim();
            let written = &text[expression.start..expression.end];
            let mut place = || places.of(written, expression.closed);
            if !expression.closed {
                problems.push(
                    Diagnostic::new(
                        Code::TemplateSyntax,
                        "an expression is not closed with `}}`",
                        place(),
                        "opened here",
                    )
                    .with_help(format!("write `{{{{{}}}}}`", name.trim_end_matches('}'))),
                );
            } else if !is_simple_name(name) {
                problems.push(
                    Diagnostic::new(Code::TemplateSyntax, format!("`{{{{{}}}}}` is not a variable expression", expression.inner), place(), "not a variable")
                        .with_help("expressions are `{{name}}`, where the name comes from `vars`, `--var` or the built-ins `workspace`, `env`, `region`, `target`"),
                );
            } else if !self.values.contains_key(name) {
                let known: Vec<&str> = self.values.keys().map(String::as_str).collect();
                let help = match did_you_mean(name, &known) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "define it in `vars`, pass `--var {name}=VALUE`, or use a built-in: \
                         `workspace`, `env`, `region`, `target`"
                    ),
                };
                problems.push(
                    Diagnostic::new(
                        Code::UnknownVariable,
                        format!("unknown variable `{name}`"),
                        place(),
                        "not defined",
                    )
                    .with_help(help),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let Some(context) = &self.context else {
            return Ok(text.to_owned());
        };
        self.registry
            .render_template_with_context(text, context)
            .map_err(|error| {
                let (code, message) = match error.reason() {
                    RenderErrorReason::MissingVariable(Some(path)) => {
                        (Code::UnknownVariable, format!("unknown variable `{path}`"))
                    }
                    _ => (
                        Code::TemplateSyntax,
                        "this string is not a valid template".to_owned(),
                    ),
                };
                let place = expressions.first().map_or(span, |first| {
                    Places::new(raw, span).of(&text[first.start..first.end], first.closed)
                });
                vec![
                    Diagnostic::new(code, message, place, "in this expression").with_help(
                        "expressions are `{{name}}` with a name from `vars`, `--var` or the \
                         built-ins `workspace`, `env`, `region`, `target`",
                    ),
                ]
            })
    }
}

/// Whether `text` contains an interpolation expression.
pub fn has_expression(text: &str) -> bool {
    text.contains("{{")
}

fn find_expressions(text: &str) -> Vec<Expression<'_>> {
    let mut expressions = Vec::new();
    let mut cursor = 0;
    while let Some(open) = text[cursor..].find("{{") {
        let start = cursor + open;
        let Some(close) = text[start + 2..].find("}}") else {
            expressions.push(Expression {
                start,
                end: text.len(),
                inner: &text[start + 2..],
                closed: false,
            });
            break;
        };
        let end = start + 2 + close + 2;
        expressions.push(Expression {
            start,
            end,
            inner: &text[start + 2..end - 2],
            closed: true,
        });
        cursor = end;
    }
    expressions
}

fn is_simple_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || "_-".contains(character))
}

/// Where each expression of one string value was written, found in one pass over the raw
/// source text of the value: the `n`th expression `{{x}}` is the `n`th `{{x}}` written there.
/// An expression that is not written literally (it came from an escape) points at the whole
/// value.
struct Places<'a> {
    span: Span,
    raw: &'a str,
    /// Offsets in `raw` of the expressions not yet claimed, by their text; built on first use.
    written: Option<HashMap<&'a str, VecDeque<usize>>>,
}

impl<'a> Places<'a> {
    fn new(raw: &'a str, span: Span) -> Self {
        Self {
            span,
            raw,
            written: None,
        }
    }

    /// The span of the next expression written as `needle`. An unclosed expression is always
    /// the last of its string, so it is looked for from the end.
    fn of(&mut self, needle: &str, closed: bool) -> Span {
        let raw = self.raw;
        if !closed {
            return raw
                .rfind(needle)
                .map_or(self.span, |offset| self.span.slice(offset, needle.len()));
        }
        let written = self.written.get_or_insert_with(|| {
            let mut written: HashMap<&str, VecDeque<usize>> = HashMap::new();
            for expression in find_expressions(raw) {
                written
                    .entry(&raw[expression.start..expression.end])
                    .or_default()
                    .push_back(expression.start);
            }
            written
        });
        written
            .get_mut(needle)
            .and_then(VecDeque::pop_front)
            .map_or(self.span, |offset| self.span.slice(offset, needle.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interpolator() -> Interpolator {
        Interpolator::new(BTreeMap::from([
            ("tag".to_owned(), "1.2".to_owned()),
            ("cost-center".to_owned(), "42".to_owned()),
        ]))
    }

    #[test]
    fn renders_known_names_without_escaping() {
        let source = r#"image "a&b:{{tag}}-{{cost-center}}""#;
        let text = "a&b:{{tag}}-{{cost-center}}";
        let rendered = interpolator().render(text, Span::new(6, 29), source);
        assert_eq!(rendered.ok().as_deref(), Some("a&b:1.2-42"));
    }

    #[test]
    fn points_at_each_unknown_expression() {
        let source = r#"image "x:{{tga}}/{{nope}}""#;
        let text = "x:{{tga}}/{{nope}}";
        let problems = interpolator()
            .render(text, Span::new(6, 20), source)
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].primary_span(), Span::new(9, 7));
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `tag`?"));
        assert_eq!(problems[1].primary_span(), Span::new(17, 8));
    }

    #[test]
    fn reports_malformed_expressions() {
        let source = r#"x "{{#if}}""#;
        let problems = interpolator()
            .render("{{#if}}", Span::new(2, 9), source)
            .err()
            .unwrap_or_default();
        assert_eq!(problems[0].code, Code::TemplateSyntax);
        let problems = interpolator()
            .render("{{tag}", Span::new(2, 9), source)
            .err()
            .unwrap_or_default();
        assert_eq!(problems[0].code, Code::TemplateSyntax);
    }
}
