//! Secret references (`ssm:` and `secretsmanager:`); secrets are never literal values.

use std::fmt;

const NO_SCHEME_HELP: &str = "write `from=\"ssm:/path\"` or `from=\"secretsmanager:name\"`; secrets are never literal values";
const SOURCES_HELP: &str = "use `ssm:` (SSM Parameter Store) or `secretsmanager:` (Secrets Manager), e.g. `from=\"ssm:/shop/prod/db-url\"`";
const ARN_HELP: &str = "an ARN looks like `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` or `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`";
const PARAMETER_CHARS_HELP: &str =
    "parameter names may contain only letters, digits, `_`, `.`, `-` and `/`";
const SECRET_CHARS_HELP: &str = "secret names may contain only letters, digits and `/_+=.@-`";

/// Where a secret's value comes from at runtime.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretSource {
    /// An SSM Parameter Store parameter.
    Ssm {
        /// The parameter name (e.g. `/shop/prod/db-url`) or full parameter ARN, as written.
        parameter: String,
    },
    /// A Secrets Manager secret.
    SecretsManager {
        /// The secret name or full secret ARN, as written.
        secret: String,
    },
}

impl SecretSource {
    /// The scheme this source is written with: `"ssm"` or `"secretsmanager"`.
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        match self {
            SecretSource::Ssm { .. } => "ssm",
            SecretSource::SecretsManager { .. } => "secretsmanager",
        }
    }
}

/// A secret reference error located at byte `offset..offset + len` of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRefError {
    /// Byte offset of the offending text.
    pub offset: usize,
    /// Byte length of the offending text.
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for SecretRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SecretRefError {}

fn error(
    offset: usize,
    len: usize,
    message: impl Into<String>,
    help: impl Into<String>,
) -> SecretRefError {
    SecretRefError {
        offset,
        len,
        message: message.into(),
        help: help.into(),
    }
}

/// Validates a name found at a byte offset.
type NameCheck = fn(&str, usize) -> Result<(), SecretRefError>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    Ssm,
    SecretsManager,
}

/// Parses `ssm:NAME`, `ssm:ARN`, `secretsmanager:NAME`, `secretsmanager:ARN` or a bare SSM/Secrets Manager ARN.
///
/// # Errors
///
/// Returns a [`SecretRefError`] whose `offset` and `len` are byte offsets within `text`.
/// Errors never repeat the whole text back, since it might be a secret pasted by mistake.
pub fn parse_secret_source(text: &str) -> Result<SecretSource, SecretRefError> {
    if text.trim().is_empty() {
        return Err(error(
            0,
            text.len(),
            "secret source is empty",
            NO_SCHEME_HELP,
        ));
    }
    if text.starts_with("arn:") {
        return Ok(match parse_arn(text, 0, None)? {
            Service::Ssm => SecretSource::Ssm {
                parameter: text.to_string(),
            },
            Service::SecretsManager => SecretSource::SecretsManager {
                secret: text.to_string(),
            },
        });
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return Err(error(
            0,
            text.len(),
            "secret source has no scheme",
            NO_SCHEME_HELP,
        ));
    };
    let start = scheme.len() + 1;
    match scheme {
        "ssm" => parse_ssm(rest, start).map(|()| SecretSource::Ssm {
            parameter: rest.to_string(),
        }),
        "secretsmanager" => {
            parse_secrets_manager(rest, start).map(|()| SecretSource::SecretsManager {
                secret: rest.to_string(),
            })
        }
        _ => Err(unknown_scheme(scheme)),
    }
}

fn unknown_scheme(scheme: &str) -> SecretRefError {
    let looks_like_scheme = !scheme.is_empty()
        && scheme.len() <= 32
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !looks_like_scheme {
        return error(
            0,
            scheme.len().max(1),
            "secret source has no scheme",
            NO_SCHEME_HELP,
        );
    }
    let lower = scheme.to_ascii_lowercase();
    let help = match lower.as_str() {
        "ssm" | "secretsmanager" => format!("scheme names are lowercase: write `{lower}:`"),
        "parameter" | "parameterstore" | "parameter-store" | "param" | "ps" | "aws-ssm" => {
            "did you mean `ssm:`?".to_string()
        }
        "secretmanager" | "secrets-manager" | "secrets_manager" | "secret" | "secrets" | "sm"
        | "asm" | "aws-secretsmanager" => "did you mean `secretsmanager:`?".to_string(),
        _ => SOURCES_HELP.to_string(),
    };
    error(
        0,
        scheme.len(),
        format!("unknown secret source `{scheme}`"),
        help,
    )
}

fn parse_ssm(rest: &str, start: usize) -> Result<(), SecretRefError> {
    if rest.is_empty() {
        return Err(error(
            start,
            0,
            "empty parameter name after `ssm:`",
            "write e.g. `ssm:/shop/prod/db-url`",
        ));
    }
    if rest.starts_with("arn:") {
        return parse_arn(rest, start, Some(Service::Ssm)).map(|_| ());
    }
    check_parameter_name(rest, start, false)
}

fn parse_secrets_manager(rest: &str, start: usize) -> Result<(), SecretRefError> {
    if rest.is_empty() {
        let help = "write e.g. `secretsmanager:shop/prod/db-password`";
        return Err(error(
            start,
            0,
            "empty secret name after `secretsmanager:`",
            help,
        ));
    }
    if rest.starts_with("arn:") {
        return parse_arn(rest, start, Some(Service::SecretsManager)).map(|_| ());
    }
    check_secret_name(rest, start)
}

/// Names a character for an error message without breaking the message's layout.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '`' => "a backtick".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("`{}`", c.escape_default()),
        c => format!("`{c}`"),
    }
}

fn first_bad_char(text: &str, allowed: impl Fn(char) -> bool) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| !allowed(c))
}

/// Validates an SSM parameter name; `in_arn` names come after `parameter/` and have no leading `/`.
fn check_parameter_name(name: &str, start: usize, in_arn: bool) -> Result<(), SecretRefError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
    if let Some((at, c)) = first_bad_char(name, allowed) {
        let message = format!("{} is not allowed in a parameter name", describe(c));
        return Err(error(
            start + at,
            c.len_utf8(),
            message,
            PARAMETER_CHARS_HELP,
        ));
    }
    if name.len() > 2048 {
        let message = format!(
            "parameter name is {} characters long, the maximum is 2048",
            name.len()
        );
        return Err(error(
            start,
            name.len(),
            message,
            "shorten the parameter name",
        ));
    }
    let (body, body_start) = match name.strip_prefix('/') {
        Some(body) if !in_arn => (body, start + 1),
        _ if in_arn || !name.contains('/') => (name, start),
        _ => {
            let message = "a parameter name with a hierarchy must start with `/`";
            let help = format!("write `ssm:/{name}`");
            return Err(error(start, 0, message, help));
        }
    };
    let mut at = body_start;
    let mut levels = 0;
    for level in body.split('/') {
        if level.is_empty() {
            let (offset, len) = if at > body_start {
                (at - 1, 1)
            } else {
                (at, usize::from(!body.is_empty()))
            };
            let message = "parameter name has an empty level";
            return Err(error(
                offset,
                len,
                message,
                "remove the extra `/`; each level needs a name",
            ));
        }
        levels += 1;
        at += level.len() + 1;
    }
    if levels > 15 {
        let message = format!("parameter name has {levels} levels, the maximum is 15");
        return Err(error(
            start,
            name.len(),
            message,
            "flatten the parameter hierarchy",
        ));
    }
    if let Some(prefix) = body
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("aws") || p.eq_ignore_ascii_case("ssm"))
    {
        let message = format!("parameter names cannot begin with `{prefix}`");
        let help = "the `aws` and `ssm` prefixes are reserved by AWS; to read a Secrets Manager secret write `secretsmanager:NAME`";
        return Err(error(body_start, 3, message, help));
    }
    Ok(())
}

fn check_secret_name(name: &str, start: usize) -> Result<(), SecretRefError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if let Some((at, c)) = first_bad_char(name, allowed) {
        let message = format!("{} is not allowed in a secret name", describe(c));
        return Err(error(start + at, c.len_utf8(), message, SECRET_CHARS_HELP));
    }
    if name.is_empty() || name.len() > 512 {
        let message = format!(
            "secret name is {} characters long, expected 1–512",
            name.len()
        );
        return Err(error(
            start,
            name.len(),
            message,
            "secret names are 1–512 characters",
        ));
    }
    Ok(())
}

/// Validates `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` starting at byte `start` of the text.
fn parse_arn(
    arn: &str,
    start: usize,
    expected: Option<Service>,
) -> Result<Service, SecretRefError> {
    let mut parts = Vec::with_capacity(6);
    let mut at = start;
    for part in arn.splitn(6, ':') {
        parts.push((part, at));
        at += part.len() + 1;
    }
    let [
        _,
        (partition, partition_at),
        (service, service_at),
        (region, region_at),
        (account, account_at),
        (resource, resource_at),
    ] = parts[..]
    else {
        return Err(error(start, arn.len(), "incomplete ARN", ARN_HELP));
    };
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        let message = format!("unsupported ARN partition `{}`", partition.escape_default());
        return Err(error(
            partition_at,
            partition.len(),
            message,
            "use `aws`, `aws-cn` or `aws-us-gov`",
        ));
    }
    let found = match service {
        "ssm" => Service::Ssm,
        "secretsmanager" => Service::SecretsManager,
        _ => {
            let message = format!(
                "service `{}` in the ARN is not a secret source",
                service.escape_default()
            );
            return Err(error(service_at, service.len(), message, ARN_HELP));
        }
    };
    if let Some(expected) = expected.filter(|e| *e != found) {
        let (message, help) = match expected {
            Service::Ssm => (
                "`ssm:` cannot hold a Secrets Manager ARN",
                "write `secretsmanager:` before a Secrets Manager ARN",
            ),
            Service::SecretsManager => (
                "`secretsmanager:` cannot hold an SSM parameter ARN",
                "write `ssm:` before an SSM parameter ARN",
            ),
        };
        return Err(error(service_at, service.len(), message, help));
    }
    if !is_region(region) {
        let message = format!("`{}` is not an AWS region", region.escape_default());
        return Err(error(
            region_at,
            region.len(),
            message,
            "write a region such as `us-east-1`",
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        let message = "the account in an ARN must be 12 digits";
        return Err(error(
            account_at,
            account.len(),
            message,
            "write the 12-digit AWS account id, e.g. `123456789012`",
        ));
    }
    let (prefix, check): (&str, NameCheck) = match found {
        Service::Ssm => ("parameter/", |name, at| {
            check_parameter_name(name, at, true)
        }),
        Service::SecretsManager => ("secret:", check_secret_name),
    };
    let Some(name) = resource.strip_prefix(prefix) else {
        let message = format!("expected `{prefix}NAME` after the account in the ARN");
        return Err(error(resource_at, resource.len(), message, ARN_HELP));
    };
    if name.is_empty() {
        let at = resource_at + prefix.len();
        return Err(error(at, 0, "the ARN has an empty name", ARN_HELP));
    }
    check(name, resource_at + prefix.len())?;
    Ok(found)
}

/// `us-east-1`, `cn-north-1`, `us-gov-west-1`, `ap-southeast-4`, ...
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [first, middle @ .., last] => {
            first.len() == 2
                && lower(first)
                && !middle.is_empty()
                && middle.iter().all(lower)
                && !last.is_empty()
                && last.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssm(parameter: &str) -> SecretSource {
        SecretSource::Ssm {
            parameter: parameter.to_string(),
        }
    }

    fn sm(secret: &str) -> SecretSource {
        SecretSource::SecretsManager {
            secret: secret.to_string(),
        }
    }

    fn err(text: &str) -> SecretRefError {
        match parse_secret_source(text) {
            Ok(source) => panic!("{text:?} parsed as {source:?}"),
            Err(e) => e,
        }
    }

    /// The text an error points at.
    fn pointed(text: &str) -> String {
        let e = err(text);
        text.get(e.offset..e.offset + e.len)
            .map_or_else(|| panic!("bad span for {text:?}: {e:?}"), str::to_string)
    }

    const SSM_ARN: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/shop/prod/db-url";
    const SM_ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbC123";

    #[test]
    fn valid_sources() {
        assert_eq!(
            parse_secret_source("ssm:/shop/prod/db-url"),
            Ok(ssm("/shop/prod/db-url"))
        );
        assert_eq!(parse_secret_source("ssm:name"), Ok(ssm("name")));
        assert_eq!(
            parse_secret_source("ssm:My_Param.v2-x"),
            Ok(ssm("My_Param.v2-x"))
        );
        assert_eq!(
            parse_secret_source(&format!("ssm:{SSM_ARN}")),
            Ok(ssm(SSM_ARN))
        );
        assert_eq!(parse_secret_source(SSM_ARN), Ok(ssm(SSM_ARN)));
        assert_eq!(
            parse_secret_source("secretsmanager:shop/prod+db=x.y@z-1_2"),
            Ok(sm("shop/prod+db=x.y@z-1_2"))
        );
        assert_eq!(
            parse_secret_source(&format!("secretsmanager:{SM_ARN}")),
            Ok(sm(SM_ARN))
        );
        assert_eq!(parse_secret_source(SM_ARN), Ok(sm(SM_ARN)));
        let gov = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x";
        assert_eq!(parse_secret_source(gov), Ok(sm(gov)));
        let cn = "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/a";
        assert_eq!(parse_secret_source(cn), Ok(ssm(cn)));
        let deep = format!("ssm:{}", "/a".repeat(15));
        assert!(parse_secret_source(&deep).is_ok());
        assert!(parse_secret_source(&format!("ssm:/{}", "a".repeat(2047))).is_ok());
        assert!(parse_secret_source(&format!("secretsmanager:{}", "a".repeat(512))).is_ok());
        assert!(parse_secret_source("ssm:/awesome").is_ok());
        assert!(parse_secret_source("ssm:/shop/aws").is_ok());
        assert_eq!(
            SecretSource::Ssm {
                parameter: String::new()
            }
            .scheme(),
            "ssm"
        );
        assert_eq!(
            SecretSource::SecretsManager {
                secret: String::new()
            }
            .scheme(),
            "secretsmanager"
        );
    }

    #[test]
    fn scheme_errors() {
        let e = err("hunter2");
        assert_eq!(
            (e.offset, e.len, e.message.as_str()),
            (0, 7, "secret source has no scheme")
        );
        assert_eq!(e.help, NO_SCHEME_HELP);
        assert!(!e.message.contains("hunter2"));
        let e = err("vault:secret/db");
        assert_eq!((e.offset, e.len), (0, 5));
        assert_eq!(e.message, "unknown secret source `vault`");
        assert!(e.help.contains("`ssm:`") && e.help.contains("`secretsmanager:`"));
        assert!(err("SSM:/x").help.contains("lowercase"));
        assert!(err("secrets-manager:x").help.contains("`secretsmanager:`"));
        assert!(err("parameter:x").help.contains("`ssm:`"));
        assert_eq!(err(":x").message, "secret source has no scheme");
        assert_eq!(err("pass word:x").message, "secret source has no scheme");
        assert_eq!(err("").message, "secret source is empty");
        assert_eq!(err("   ").message, "secret source is empty");
        let e = err("ssm:");
        assert_eq!((e.offset, e.len), (4, 0));
        assert_eq!(err("secretsmanager:").offset, 15);
    }

    #[test]
    fn parameter_name_errors() {
        assert_eq!(pointed("ssm:/shop/prod%/x"), "%");
        assert_eq!(
            err("ssm:/shop/prod%/x").message,
            "`%` is not allowed in a parameter name"
        );
        assert_eq!(
            err("ssm:/a b").message,
            "a space is not allowed in a parameter name"
        );
        assert_eq!(
            err("ssm:/a\nb").message,
            "`\\n` is not allowed in a parameter name"
        );
        assert_eq!(pointed("ssm:/café"), "é");
        assert_eq!(pointed("ssm:/x/🚀"), "🚀");
        assert_eq!(pointed("ssm:/aws/reference/x"), "aws");
        assert_eq!(pointed("ssm:SSMfoo"), "SSM");
        assert_eq!(pointed("ssm:/awsome"), "aws");
        assert_eq!(
            err("ssm:AwsThing").message,
            "parameter names cannot begin with `Aws`"
        );
        assert_eq!(pointed("ssm:/shop//db"), "/");
        assert_eq!(err("ssm:/shop//db").offset, 9);
        assert_eq!(pointed("ssm:/shop/"), "/");
        assert_eq!(err("ssm:/").message, "parameter name has an empty level");
        assert!(err("ssm:shop/db").help.contains("`ssm:/shop/db`"));
        assert!(
            err(&format!("ssm:{}", "/a".repeat(16)))
                .message
                .contains("16 levels")
        );
        assert!(
            err(&format!("ssm:/{}", "a".repeat(2048)))
                .message
                .contains("maximum is 2048")
        );
    }

    #[test]
    fn secret_name_errors() {
        assert_eq!(pointed("secretsmanager:db password"), " ");
        assert_eq!(
            err("secretsmanager:db password").message,
            "a space is not allowed in a secret name"
        );
        assert_eq!(pointed("secretsmanager:db:key"), ":");
        assert_eq!(pointed("secretsmanager:naïve"), "ï");
        assert!(
            err(&format!("secretsmanager:{}", "a".repeat(513)))
                .message
                .contains("513")
        );
    }

    #[test]
    fn arn_errors() {
        assert_eq!(err("arn:aws:ssm").message, "incomplete ARN");
        assert_eq!(
            pointed("arn:aws-eu:ssm:us-east-1:123456789012:parameter/x"),
            "aws-eu"
        );
        assert_eq!(
            pointed("arn:aws:s3:us-east-1:123456789012:parameter/x"),
            "s3"
        );
        assert_eq!(
            pointed("ssm:arn:aws:secretsmanager:us-east-1:123456789012:secret:x"),
            "secretsmanager"
        );
        assert_eq!(
            pointed("secretsmanager:arn:aws:ssm:us-east-1:123456789012:parameter/x"),
            "ssm"
        );
        assert_eq!(
            pointed("arn:aws:ssm:US-EAST-1:123456789012:parameter/x"),
            "US-EAST-1"
        );
        assert_eq!(pointed("arn:aws:ssm::123456789012:parameter/x"), "");
        assert_eq!(
            pointed("arn:aws:ssm:useast1:123456789012:parameter/x"),
            "useast1"
        );
        assert_eq!(pointed("arn:aws:ssm:us-east-1:12345:parameter/x"), "12345");
        assert_eq!(
            pointed("arn:aws:ssm:us-east-1:12345678901x:parameter/x"),
            "12345678901x"
        );
        assert_eq!(
            pointed("arn:aws:ssm:us-east-1:123456789012:param/x"),
            "param/x"
        );
        assert_eq!(
            pointed("arn:aws:ssm:us-east-1:123456789012:parameter/a%b"),
            "%"
        );
        assert_eq!(
            pointed("arn:aws:ssm:us-east-1:123456789012:parameter//a"),
            "/"
        );
        assert_eq!(
            pointed("arn:aws:ssm:us-east-1:123456789012:parameter/aws/x"),
            "aws"
        );
        assert_eq!(
            err("arn:aws:ssm:us-east-1:123456789012:parameter/").message,
            "the ARN has an empty name"
        );
        assert_eq!(
            pointed("arn:aws:secretsmanager:us-east-1:123456789012:secret:db:key"),
            ":"
        );
        assert_eq!(
            pointed("arn:aws:secretsmanager:us-east-1:123456789012:secrets:x"),
            "secrets:x"
        );
        let offset = err("ssm:arn:aws:ssm:us-east-1:1:parameter/x").offset;
        assert_eq!(offset, 26);
    }

    #[test]
    fn weird_input_does_not_panic() {
        for text in [
            "\u{0}",
            "ssm:\u{0}",
            "é:é",
            "ssm:é",
            "🚀",
            "arn:",
            "arn:::::",
            "arn:aws:ssm:é:é:é",
            ":::",
            "ssm:arn:",
            "secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:",
            "ssm:/\u{202e}",
            "ssm:ß/",
            "arn:aws:ssm:us-east-1:123456789012:parameter/é",
            "\u{feff}ssm:/x",
            "ssm:/x\r\n",
        ] {
            if let Err(e) = parse_secret_source(text) {
                assert!(
                    text.get(e.offset..e.offset + e.len).is_some(),
                    "{text:?}: {e:?}"
                );
                assert!(
                    !e.message.is_empty() && !e.message.ends_with('.'),
                    "{text:?}"
                );
            }
        }
    }
}
