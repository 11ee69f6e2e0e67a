//! What to write instead: the advice for a number written where berth expects another form, so
//! that the help line names a value that is itself valid (`1024`, not `"1024GiB"`).

/// A number without a trailing `.0`: `1.5`, `2`.
pub fn trimmed(number: f64) -> String {
    let text = format!("{number}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// What to write for `cpu 0.5` (vCPU) or `cpu 256.0` (units, which are whole numbers).
pub fn cpu_advice(number: f64) -> String {
    if number.fract() == 0.0 && number >= 128.0 {
        format!("cpu units are whole numbers: write `{}`", trimmed(number))
    } else {
        format!("write `\"{} vCPU\"`", trimmed(number))
    }
}

/// What to write for `memory 1024.0` (MiB, whole) or `memory 1.5` (most likely GiB).
pub fn memory_advice(number: f64) -> String {
    if number.fract() == 0.0 {
        format!(
            "memory in MiB is a whole number: write `{}`",
            trimmed(number)
        )
    } else if number < 64.0 {
        format!(
            "write `\"{}GiB\"` for {} GiB, or a whole number of MiB",
            trimmed(number),
            trimmed(number)
        )
    } else {
        format!(
            "memory in MiB is a whole number: write `{}`",
            trimmed(number.round())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_a_valid_value() {
        assert_eq!(trimmed(2.0), "2");
        assert_eq!(cpu_advice(0.5), "write `\"0.5 vCPU\"`");
        assert_eq!(
            cpu_advice(256.0),
            "cpu units are whole numbers: write `256`"
        );
        assert_eq!(
            memory_advice(1024.0),
            "memory in MiB is a whole number: write `1024`"
        );
        assert!(memory_advice(1.5).starts_with("write `\"1.5GiB\"`"));
    }
}
