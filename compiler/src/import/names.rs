//! Turning the names other tools allow (`Web_API`, `my.service`, `2fa`) into berth names
//! (lowercase DNS labels), and environment-variable names into secret-path segments.

use std::collections::BTreeSet;

/// `text` as a lowercase DNS label: lowercase letters and digits kept, every other run of
/// characters becomes one `-`, a leading digit gets a letter in front; `fallback` when nothing is
/// left.
pub fn label(text: &str, fallback: &str) -> String {
    let mut label = String::with_capacity(text.len());
    for character in text.chars() {
        let lower = character.to_ascii_lowercase();
        if lower.is_ascii_lowercase() || lower.is_ascii_digit() {
            label.push(lower);
        } else if !label.ends_with('-') && !label.is_empty() {
            label.push('-');
        }
    }
    let mut label = label.trim_matches('-').to_owned();
    if label.starts_with(|character: char| character.is_ascii_digit()) {
        label.insert_str(0, "n-");
    }
    if label.is_empty() {
        return fallback.to_owned();
    }
    truncate(&label, 63)
}

/// `label` cut to at most `length` characters, without a trailing `-`.
pub fn truncate(label: &str, length: usize) -> String {
    let cut: String = label.chars().take(length).collect();
    cut.trim_end_matches('-').to_owned()
}

/// Hands out labels unique within one scope, adding `-2`, `-3`… to repeats.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope where `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    /// A unique label for `text`. Two names that differ only in `-` are one name to berth (they
    /// become the same resource id), so they are kept apart too.
    pub fn claim(&mut self, text: &str, fallback: &str) -> String {
        let base = label(text, fallback);
        let mut candidate = base.clone();
        let mut counter = 2;
        while self.is_taken(&candidate) {
            candidate = format!("{}-{counter}", truncate(&base, 60));
            counter += 1;
        }
        self.taken.insert(squash(&candidate));
        self.taken.insert(candidate.clone());
        candidate
    }

    fn is_taken(&self, candidate: &str) -> bool {
        self.taken.contains(candidate) || self.taken.contains(&squash(candidate))
    }
}

/// The name without `-`, as resource ids see it.
fn squash(label: &str) -> String {
    format!("~{}", label.replace('-', ""))
}

/// A parameter-path segment for an environment variable: `DB_PASSWORD` → `db-password`.
pub fn path_segment(variable: &str) -> String {
    label(variable, "value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_dns_labels() {
        assert_eq!(label("Web_API", "x"), "web-api");
        assert_eq!(label("my..service__", "x"), "my-service");
        assert_eq!(label("2fa", "x"), "n-2fa");
        assert_eq!(label("___", "app"), "app");
    }

    #[test]
    fn keeps_names_apart() {
        let mut scope = Scope::with_reserved(&["platform"]);
        assert_eq!(scope.claim("web", "x"), "web");
        assert_eq!(scope.claim("WEB", "x"), "web-2");
        // `we-b-2` would read as `web2`, the same resource id as `web-2`.
        assert_eq!(scope.claim("we-b", "x"), "we-b-3");
        assert_eq!(scope.claim("platform", "x"), "platform-2");
    }
}
