//! Did-you-mean: the closest valid name to a misspelt one.

/// The candidate closest to `input`: a case-insensitive exact match first, then the closest by
/// edit distance (transpositions count once) within a third of the length, or a Jaro-Winkler
/// score of at least 0.8.
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(exact) = candidates
        .iter()
        .find(|candidate| candidate.eq_ignore_ascii_case(input))
    {
        return Some(exact);
    }
    let lowered = input.to_lowercase();
    let allowed = (lowered.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lowered, candidate);
            let similarity = strsim::jaro_winkler(&lowered, candidate);
            (distance, similarity, *candidate)
        })
        .filter(|(distance, similarity, _)| *distance <= allowed || *similarity >= 0.8)
        .min_by(|left, right| {
            left.0
                .cmp(&right.0)
                .then(right.1.total_cmp(&left.1))
                .then(left.2.cmp(right.2))
        })
        .map(|(_, _, candidate)| candidate)
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
