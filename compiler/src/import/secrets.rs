//! Secrets on the way in: ECS `valueFrom` references become `from=` references, and plaintext
//! values that look like secrets are never copied — they become references to an SSM parameter
//! the user creates, with the command to create it.

use super::draft::DraftSecret;
use super::names::path_segment;
use crate::secret_ref::parse_secret_source;

/// Name segments that mark a variable as holding a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
];

/// Pairs of name segments that mark a key as secret (`PRIVATE_KEY`, `API_KEY`…).
const SECRET_KEY_PREFIXES: &[&str] = &[
    "PRIVATE",
    "API",
    "SECRET",
    "SIGNING",
    "AUTH",
    "MASTER",
    "ENCRYPTION",
    "ACCESS",
];

/// Whether the plain variable `name` with `value` looks like it holds a secret: its name says so
/// (`DB_PASSWORD`, `API_KEY`, `GITHUB_TOKEN`) and the value is not a number or flag, or the value
/// is a URL with a password in it.
pub fn looks_secret(name: &str, value: &str) -> bool {
    let trivial = value.is_empty()
        || value.parse::<f64>().is_ok()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        );
    if trivial {
        return false;
    }
    let upper = name.to_ascii_uppercase();
    let segments: Vec<&str> = upper.split(['_', '-', '.']).collect();
    let named = segments
        .iter()
        .any(|segment| SECRET_WORDS.contains(segment))
        || segments
            .windows(2)
            .any(|pair| pair[1] == "KEY" && SECRET_KEY_PREFIXES.contains(&pair[0]));
    named || url_with_password(value)
}

/// `scheme://user:password@host…`
fn url_with_password(value: &str) -> bool {
    value.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || "+.-".contains(character))
            && rest
                .split(['/', '?', '#'])
                .next()
                .and_then(|authority| authority.rsplit_once('@'))
                .is_some_and(|(userinfo, _)| {
                    userinfo
                        .split_once(':')
                        .is_some_and(|(_, password)| !password.is_empty())
                })
    })
}

/// The secret that replaces the plaintext variable `name`, and the note that says why and how to
/// store the value. `workspace` names the parameter path in the note.
pub fn parameter_for(name: &str, workspace: &str, what: &str) -> (DraftSecret, String) {
    let segment = path_segment(name);
    let secret = DraftSecret {
        name: name.to_owned(),
        from: format!("ssm:/{{{{workspace}}}}/{{{{env}}}}/{segment}"),
        key: None,
    };
    let note = format!(
        "`{name}` {what}, which berth never writes into a file: it reads it from SSM instead; store it with `aws ssm put-parameter --type SecureString --name /{workspace}/default/{segment} --value …` (per environment: /{workspace}/<env>/{segment})"
    );
    (secret, note)
}

/// A reference berth accepts, from an ECS secret's `valueFrom`: an SSM parameter name or ARN, or
/// a Secrets Manager ARN with an optional `:json-key:version-stage:version-id` suffix. Notes say
/// what could not be kept; `Err` says why the reference cannot be used at all.
pub fn from_value_from(name: &str, value_from: &str) -> Result<(DraftSecret, Vec<String>), String> {
    let mut notes = Vec::new();
    let (from, key) = if let Some(rest) = value_from.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(6, ':').collect();
        match parts.get(1).copied() {
            Some("ssm") => (value_from.to_owned(), None),
            Some("secretsmanager") => {
                // arn:partition:secretsmanager:region:account:secret:name[:key[:stage[:id]]]
                let fields: Vec<&str> = value_from.split(':').collect();
                let arn = fields.iter().take(7).copied().collect::<Vec<_>>().join(":");
                let key = fields
                    .get(7)
                    .filter(|key| !key.is_empty())
                    .map(|key| (*key).to_owned());
                for (what, value) in [
                    ("version stage", fields.get(8)),
                    ("version id", fields.get(9)),
                ] {
                    if let Some(value) = value.filter(|value| !value.is_empty()) {
                        notes.push(format!(
                            "secret `{name}` pinned the {what} `{value}`; berth reads the current version (AWSCURRENT)"
                        ));
                    }
                }
                (format!("secretsmanager:{arn}"), key)
            }
            _ => {
                return Err(format!(
                    "secret `{name}` comes from `{value_from}`, which is neither an SSM parameter nor a Secrets Manager secret"
                ));
            }
        }
    } else {
        (format!("ssm:{value_from}"), None)
    };
    parse_secret_source(&from).map_err(|error| {
        format!(
            "secret `{name}` comes from `{value_from}`, which berth cannot read: {}",
            error.message
        )
    })?;
    Ok((
        DraftSecret {
            name: name.to_owned(),
            from,
            key,
        },
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spots_secrets_by_name_and_value() {
        assert!(looks_secret("DB_PASSWORD", "hunter2"));
        assert!(looks_secret("STRIPE_API_KEY", "sk_live_x"));
        assert!(looks_secret(
            "DATABASE_URL",
            "postgres://app:s3cret@db:5432/app"
        ));
        assert!(!looks_secret("DATABASE_URL", "postgres://db:5432/app"));
        assert!(!looks_secret("TOKEN_TTL", "3600"));
        assert!(!looks_secret("STRIPE_PUBLISHABLE_KEY", "pk_live_x"));
        assert!(!looks_secret("PASSWORD_MIN_LENGTH", "12"));
    }

    #[test]
    fn reads_value_from_forms() {
        let (secret, notes) = from_value_from(
            "DB",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            secret.from,
            "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(secret.key.as_deref(), Some("password"));
        assert!(notes.is_empty());
        let (secret, _) =
            from_value_from("DB", "/shop/db").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(secret.from, "ssm:/shop/db");
        assert!(from_value_from("DB", "arn:aws:s3:::bucket/key").is_err());
    }
}
