//! `{{name}}` expressions in string values, rendered with handlebars in strict mode.
//!
//! Simple names are checked first, so that every unknown name is reported with a label on the
//! expression inside the string; whatever else handlebars rejects becomes `template-syntax`.

use std::cell::RefCell;
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
    /// What handlebars renders for `{{name}}` alone, per name used so far (`None`: an error),
    /// so that a string made of plain names is rendered by substitution (see
    /// [`Interpolator::substitute`]).
    rendered_names: RefCell<HashMap<String, Option<String>>>,
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
            rendered_names: RefCell::default(),
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
        if let Some(rendered) = self.substitute(text, &expressions) {
            return Ok(rendered);
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

/// Words handlebars reads as something other than a variable (literals, keywords, the current
/// context), even at the start of a longer name (`{{else-x}}` is an `else`): strings using a
/// name that starts with one are left to handlebars.
const HANDLEBARS_WORDS: [&str; 6] = ["as", "else", "false", "null", "this", "true"];

impl Interpolator {
    /// `text` with each `{{name}}` replaced by what handlebars renders for `{{name}}` alone,
    /// when every expression is a plain name (none starting with a handlebars keyword) and the
    /// text around them has no braces or backslashes: then handlebars renders the string as
    /// exactly these pieces side by side, and compiling a template per string made
    /// interpolation most of lowering's cost. `None` leaves anything else to handlebars.
    fn substitute(&self, text: &str, expressions: &[Expression<'_>]) -> Option<String> {
        let mut rendered = String::with_capacity(text.len());
        let mut cursor = 0;
        for expression in expressions {
            let literal = &text[cursor..expression.start];
            let name = expression.inner.trim_matches(' ');
            if !expression.closed
                || literal.contains(['{', '}', '\\'])
                || !is_simple_name(name)
                || HANDLEBARS_WORDS.iter().any(|word| name.starts_with(word))
            {
                return None;
            }
            rendered.push_str(literal);
            rendered.push_str(&self.render_name(name)?);
            cursor = expression.end;
        }
        let rest = &text[cursor..];
        if rest.contains(['{', '}', '\\']) {
            return None;
        }
        rendered.push_str(rest);
        Some(rendered)
    }

    /// What handlebars renders for `{{name}}` on its own, rendered once per name.
    fn render_name(&self, name: &str) -> Option<String> {
        if let Some(rendered) = self.rendered_names.borrow().get(name) {
            return rendered.clone();
        }
        let rendered = self.context.as_ref().and_then(|context| {
            self.registry
                .render_template_with_context(&format!("{{{{{name}}}}}"), context)
                .ok()
        });
        self.rendered_names
            .borrow_mut()
            .insert(name.to_owned(), rendered.clone());
        rendered
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

    /// The direct substitution renders what handlebars renders, or leaves the string to it.
    #[test]
    fn substitution_agrees_with_handlebars() {
        let names: Vec<&str> = "tag cost-center as else this true false null true-x this_x \
             else-if as_ _ a- x undefined length root assets elsewhere nullable truth falsey \
             thistle ifs each with lookup if unless raw log eq len not and or"
            .split_whitespace()
            .collect();
        let values: BTreeMap<String, String> = names
            .iter()
            .map(|name| ((*name).to_owned(), format!("<{name}&\"{{{{x}}}}\\>")))
            .collect();
        let interpolator = Interpolator::new(values);
        let context = interpolator.context.as_ref().expect("a context");
        let mut texts = vec![
            "{{tag}}".to_owned(),
            "a{{tag}}b{{ cost-center }}c".to_owned(),
            "{{tag}}}".to_owned(),
            "}{{tag}}".to_owned(),
            "\\{{tag}}".to_owned(),
            "a\\b{{tag}}".to_owned(),
            "{{\ttag}}".to_owned(),
            "{{tag }} {{tag}}\n  {{tag}}\r\n".to_owned(),
            "ünï{{tag}}çödé".to_owned(),
        ];
        texts.extend(names.iter().map(|name| format!("x{{{{{name}}}}}y")));
        texts.extend(names.iter().map(|name| format!("{{{{ {name} }}}}")));
        for text in &texts {
            let expressions = find_expressions(text);
            let Some(substituted) = interpolator.substitute(text, &expressions) else {
                continue;
            };
            let rendered = interpolator
                .registry
                .render_template_with_context(text, context)
                .map_err(|error| error.to_string());
            assert_eq!(Ok(substituted), rendered, "{text}");
        }
        for name in ["tag", "cost-center", "_", "ifs"] {
            let text = format!("x{{{{{name}}}}}y");
            assert!(
                interpolator
                    .substitute(&text, &find_expressions(&text))
                    .is_some(),
                "{text}"
            );
        }
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
