//! Did-you-mean: the closest valid name to a misspelt one.

/// The candidate closest to `input`: a case-insensitive exact match first, then the best
/// Jaro-Winkler match scoring at least 0.7.
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(exact) = candidates
        .iter()
        .find(|candidate| candidate.eq_ignore_ascii_case(input))
    {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|left, right| left.0.total_cmp(&right.0).then_with(|| right.1.cmp(left.1)))
        .map(|(_, candidate)| candidate)
}

/// `a`, `a` or `b`, `a`, `b` or `c` — each in backticks.
pub fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("prot", &["port", "path"]), Some("port"));
        assert_eq!(did_you_mean("PORT", &["port"]), Some("port"));
        assert_eq!(did_you_mean("zzzzzz", &["port", "path"]), None);
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
