//! The small languages inside a Compose file: `${VAR}` interpolation (turned into berth
//! `{{VAR}}` expressions where a string may hold one), durations, byte sizes, CPU counts,
//! shell-style command strings and `.env` files.

use std::collections::BTreeMap;

use crate::import::draft::OPEN_BRACES;

/// A string with its Compose variables turned into berth expressions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    /// The berth text, with `{{NAME}}` for each variable.
    pub text: String,
    /// The variables it uses and the value each has in `.env` or its default (`None`: no value).
    pub variables: Vec<(String, Option<String>)>,
    /// What could not be kept (`${VAR:+…}` forms), resolved at import time.
    pub notes: Vec<String>,
}

/// Compose interpolation with the values of the `.env` file.
#[derive(Clone, Debug, Default)]
pub struct Interpolation {
    dotenv: BTreeMap<String, String>,
}

/// One piece of an interpolated string.
enum Piece {
    Literal(String),
    Variable {
        name: String,
        /// The value when the variable has none: `${VAR:-x}` / `${VAR-x}`.
        default: Option<String>,
        /// `${VAR:+x}` / `${VAR+x}`: `x` when the variable is set.
        alternative: Option<String>,
    },
}

impl Interpolation {
    /// Interpolation over the variables of a `.env` file's text.
    pub fn new(dotenv: Option<&str>) -> Self {
        Self {
            dotenv: dotenv
                .map(parse_env_file)
                .unwrap_or_default()
                .into_iter()
                .collect(),
        }
    }

    /// The value a variable has in `.env`.
    fn value(&self, name: &str) -> Option<&str> {
        self.dotenv.get(name).map(String::as_str)
    }

    /// `text` as a berth string: variables become `{{NAME}}`, a literal `{{` is protected.
    pub fn template(&self, text: &str) -> Template {
        let mut template = Template::default();
        for piece in pieces(text) {
            match piece {
                Piece::Literal(literal) => template
                    .text
                    .push_str(&protect(&literal, &mut template.variables)),
                Piece::Variable {
                    name,
                    default,
                    alternative: Some(alternative),
                } => {
                    let _ = default;
                    let set = self.value(&name).is_some_and(|value| !value.is_empty());
                    let chosen = if set {
                        self.resolve(&alternative)
                    } else {
                        String::new()
                    };
                    let shown = if chosen.is_empty() {
                        "an empty string".to_owned()
                    } else {
                        format!("`{chosen}`")
                    };
                    template.notes.push(format!(
                        "`${{{name}:+…}}` is resolved at import time (to {shown}): berth has no conditional values"
                    ));
                    template
                        .text
                        .push_str(&protect(&chosen, &mut template.variables));
                }
                Piece::Variable { name, default, .. } => {
                    let value = self
                        .value(&name)
                        .map(str::to_owned)
                        .or_else(|| default.map(|default| self.resolve(&default)));
                    let name = berth_variable(&name);
                    template.text.push_str("{{");
                    template.text.push_str(&name);
                    template.text.push_str("}}");
                    if !template.variables.iter().any(|(known, _)| *known == name) {
                        template.variables.push((name, value));
                    }
                }
            }
        }
        template
    }

    /// `text` with every variable replaced by its value (for numbers, ports and durations, which
    /// cannot hold an expression).
    pub fn resolve(&self, text: &str) -> String {
        let mut resolved = String::new();
        for piece in pieces(text) {
            match piece {
                Piece::Literal(literal) => resolved.push_str(&literal),
                Piece::Variable {
                    name,
                    default,
                    alternative,
                } => {
                    let value = self.value(&name);
                    let set = value.is_some_and(|value| !value.is_empty());
                    match alternative {
                        Some(alternative) if set => resolved.push_str(&self.resolve(&alternative)),
                        Some(_) => {}
                        None => match (value, default) {
                            (Some(value), _) => resolved.push_str(value),
                            (None, Some(default)) => resolved.push_str(&self.resolve(&default)),
                            (None, None) => {}
                        },
                    }
                }
            }
        }
        resolved
    }
}

/// The berth variable for the Compose variable `name`: the same name, or `compose_<name>` when
/// berth reserves it (`env`, `region`, a template keyword).
fn berth_variable(name: &str) -> String {
    if crate::lower::reserved_variable(name).is_some() {
        format!("compose_{name}")
    } else {
        name.to_owned()
    }
}

/// A literal with each `{{` replaced by the expression of [`OPEN_BRACES`].
fn protect(literal: &str, variables: &mut Vec<(String, Option<String>)>) -> String {
    if !literal.contains("{{") {
        return literal.to_owned();
    }
    if !variables.iter().any(|(name, _)| name == OPEN_BRACES) {
        variables.push((OPEN_BRACES.to_owned(), Some("{{".to_owned())));
    }
    literal.replace("{{", &format!("{{{{{OPEN_BRACES}}}}}"))
}

/// Splits `text` into literals and `$VAR` / `${VAR…}` references; `$$` is a literal `$`.
fn pieces(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            literal.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = closing_brace(inner) else {
                literal.push_str(&rest[dollar..]);
                rest = "";
                break;
            };
            let body = &inner[..end];
            rest = &inner[end + 1..];
            flush(&mut literal, &mut pieces);
            pieces.push(braced(body));
        } else {
            let length = variable_length(after);
            if length == 0 {
                literal.push('$');
                rest = after;
            } else {
                flush(&mut literal, &mut pieces);
                pieces.push(Piece::Variable {
                    name: after[..length].to_owned(),
                    default: None,
                    alternative: None,
                });
                rest = &after[length..];
            }
        }
    }
    literal.push_str(rest);
    flush(&mut literal, &mut pieces);
    pieces
}

fn flush(literal: &mut String, pieces: &mut Vec<Piece>) {
    if !literal.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(literal)));
    }
}

/// The index of the `}` that closes a `${`, allowing nested `${…}` in defaults.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, character) in text.char_indices() {
        match character {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(index),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The body of `${…}`: `NAME`, `NAME:-default`, `NAME-default`, `NAME:?error`, `NAME?error`,
/// `NAME:+alternative` or `NAME+alternative`.
fn braced(body: &str) -> Piece {
    let length = variable_length(body);
    let (name, operator) = body.split_at(length);
    let name = name.to_owned();
    let operator = operator.strip_prefix(':').unwrap_or(operator);
    match operator.chars().next() {
        Some('-') => Piece::Variable {
            name,
            default: Some(operator[1..].to_owned()),
            alternative: None,
        },
        Some('+') => Piece::Variable {
            name,
            default: None,
            alternative: Some(operator[1..].to_owned()),
        },
        _ => Piece::Variable {
            name,
            default: None,
            alternative: None,
        },
    }
}

/// The length of the variable name at the start of `text`: `[A-Za-z_][A-Za-z0-9_]*`.
fn variable_length(text: &str) -> usize {
    let mut length = 0;
    for (index, character) in text.char_indices() {
        let allowed = character == '_'
            || character.is_ascii_alphabetic()
            || (index > 0 && character.is_ascii_digit());
        if !allowed {
            break;
        }
        length = index + character.len_utf8();
    }
    length
}

/// The variables of a `.env` or `env_file` file: `KEY=VALUE` lines, `export` allowed, `#`
/// comments, single or double quotes around the value.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    let mut variables = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let value = value.trim();
        let value = if let Some(quoted) = value
            .strip_prefix('"')
            .and_then(|rest| rest.rfind('"').map(|end| &rest[..end]))
        {
            quoted.replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(quoted) = value
            .strip_prefix('\'')
            .and_then(|rest| rest.rfind('\'').map(|end| &rest[..end]))
        {
            quoted.to_owned()
        } else {
            // An unquoted value ends at ` #`, which starts a comment.
            value
                .split(" #")
                .next()
                .unwrap_or_default()
                .trim_end()
                .to_owned()
        };
        variables.push((key.to_owned(), value));
    }
    variables
}

/// A Compose duration (`1m30s`, `10s`, `500ms`, `1.5s`, `2h`) in milliseconds, rounded up.
pub fn duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_length = rest
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_length].parse().ok()?;
        rest = &rest[number_length..];
        let unit_length = rest
            .find(|character: char| character.is_ascii_digit() || character == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_length] {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" | "" => 1000.0,
            "ms" => 1.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_length..];
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a duration is non-negative and far below u64::MAX milliseconds"
    )]
    Some(total.ceil() as u64)
}

/// A Compose byte size (`512m`, `1g`, `1.5GB`, `1024k`, or a number of bytes) in MiB, rounded up.
pub fn mebibytes(text: &str) -> Option<u32> {
    let text = text.trim().to_ascii_lowercase();
    let number_length = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..number_length].parse().ok()?;
    let bytes = match text[number_length..].trim() {
        "" | "b" => number,
        "k" | "kb" | "kib" => number * 1024.0,
        "m" | "mb" | "mib" => number * 1024.0 * 1024.0,
        "g" | "gb" | "gib" => number * 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => number * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let mib = (bytes / (1024.0 * 1024.0)).ceil();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to the u32 range first"
    )]
    Some(mib.clamp(0.0, f64::from(u32::MAX)) as u32)
}

/// A Compose CPU count (`0.5`, `2`) in CPU units (1024 per CPU), rounded up.
pub fn cpu_units(text: &str) -> Option<u32> {
    let cpus: f64 = text.trim().parse().ok()?;
    if cpus.is_nan() || cpus <= 0.0 {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to the u32 range first"
    )]
    Some((cpus * 1024.0).ceil().clamp(0.0, f64::from(u32::MAX)) as u32)
}

/// Splits a command string into words as Compose does (shell quoting rules, no expansion);
/// `None` for an unterminated quote.
pub fn shell_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            '\'' => {
                in_word = true;
                loop {
                    match characters.next()? {
                        '\'' => break,
                        inner => word.push(inner),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match characters.next()? {
                        '"' => break,
                        '\\' => {
                            let escaped = characters.next()?;
                            if !matches!(escaped, '"' | '\\' | '$' | '`') {
                                word.push('\\');
                            }
                            word.push(escaped);
                        }
                        inner => word.push(inner),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = characters.next() {
                    word.push(escaped);
                }
            }
            character if character.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            character => {
                in_word = true;
                word.push(character);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_variables_into_expressions() {
        let interpolation = Interpolation::new(Some("TAG=1.4\nexport HOST='db'\n"));
        let template = interpolation.template("app:${TAG:-latest} on $HOST, $$5 {{x}} ${MISSING}");
        assert_eq!(
            template.text,
            "app:{{TAG}} on {{HOST}}, $5 {{open_braces}}x}} {{MISSING}}"
        );
        assert_eq!(
            template.variables,
            vec![
                ("TAG".to_owned(), Some("1.4".to_owned())),
                ("HOST".to_owned(), Some("db".to_owned())),
                ("open_braces".to_owned(), Some("{{".to_owned())),
                ("MISSING".to_owned(), None),
            ]
        );
        assert_eq!(interpolation.resolve("${PORT:-8080}:${TAG}"), "8080:1.4");
        assert_eq!(
            interpolation.template("${env}-${if}").text,
            "{{compose_env}}-{{compose_if}}"
        );
        assert_eq!(interpolation.resolve("${TAG:+yes}${NONE:+no}"), "yes");
    }

    #[test]
    fn reads_compose_units() {
        assert_eq!(duration("1m30s"), Some(90_000));
        assert_eq!(duration("1.5s"), Some(1500));
        assert_eq!(duration("10"), Some(10_000));
        assert_eq!(mebibytes("512m"), Some(512));
        assert_eq!(mebibytes("1.5G"), Some(1536));
        assert_eq!(mebibytes("1073741824"), Some(1024));
        assert_eq!(cpu_units("0.5"), Some(512));
        assert_eq!(cpu_units("0.3"), Some(308));
    }

    #[test]
    fn splits_commands_like_compose() {
        assert_eq!(
            shell_words(r#"sh -c "echo \"hi\" && run" 'a b' c\ d"#),
            Some(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                "echo \"hi\" && run".to_owned(),
                "a b".to_owned(),
                "c d".to_owned()
            ])
        );
        assert_eq!(shell_words("unterminated 'quote"), None);
    }
}
