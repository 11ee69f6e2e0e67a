//! Parsing of CPU, memory and duration quantities written by users.

/// Smallest CPU accepted anywhere, in ECS units (0.125 vCPU).
const CPU_MIN: u128 = 128;
/// Largest CPU accepted anywhere, in ECS units (192 vCPU).
const CPU_MAX: u128 = 196_608;
/// Smallest memory accepted, in MiB (the Docker minimum).
const MEMORY_MIN: u128 = 6;
/// Largest memory accepted, in MiB (1 TiB).
const MEMORY_MAX: u128 = 1_048_576;

const CPU_FORMS: &str = "use units (`512`), `\"0.5 vCPU\"` or millicores (`\"500m\"`)";
const MEMORY_FORMS: &str = "use MiB (`512`, `\"512MiB\"`) or GiB (`\"1GiB\"`, `\"1.5GB\"`)";

/// CPU in ECS units: 1024 units = 1 vCPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CpuQuantity {
    /// The amount in ECS CPU units, rounded to the nearest unit.
    pub units: u32,
    /// `false` when the written amount had to be rounded to a whole unit.
    pub exact: bool,
}

/// Parses `"512"` (units), `"0.5 vCPU"`/`"2vcpu"` or `"500m"` (millicores).
///
/// Amounts that are not a whole number of units are rounded to the nearest unit and
/// marked inexact.
///
/// # Errors
///
/// Returns a message if the text is not one of those forms or lies outside
/// 128–196608 units (0.125–192 vCPU).
pub fn parse_cpu(text: &str) -> Result<CpuQuantity, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("cpu amount is empty; {CPU_FORMS}"));
    }
    let garbage = || format!("{} is not a cpu amount; {CPU_FORMS}", quote(trimmed));
    let (number, unit) = split_number(trimmed);
    let value = parse_decimal(number).map_err(|error| match error {
        DecimalError::Invalid => garbage(),
        DecimalError::TooLong => format!("cpu {} has too many digits", quote(trimmed)),
    })?;
    // (numerator, denominator) of the amount in units
    let (scaled, denominator) = if unit.is_empty() {
        if value.den != 1 {
            return Err(format!(
                "cpu {} is not a whole number of units; write `\"{number} vCPU\"` for vCPU",
                quote(trimmed)
            ));
        }
        (value.num, 1)
    } else if unit.eq_ignore_ascii_case("vcpu") {
        (value.num.saturating_mul(1024), value.den)
    } else if unit == "m" {
        (
            value.num.saturating_mul(1024),
            value.den.saturating_mul(1000),
        )
    } else {
        return Err(garbage());
    };
    let units = (scaled + denominator / 2) / denominator;
    if !(CPU_MIN..=CPU_MAX).contains(&units) {
        return Err(cpu_range_error(trimmed));
    }
    Ok(CpuQuantity {
        units: u32::try_from(units).map_err(|_| cpu_range_error(trimmed))?,
        exact: scaled % denominator == 0,
    })
}

/// Checks a CPU amount written as a bare integer number of ECS units.
///
/// # Errors
///
/// Returns a message if `units` lies outside 128–196608.
pub fn cpu_from_integer(units: i128) -> Result<CpuQuantity, String> {
    match u32::try_from(units) {
        Ok(value) if (CPU_MIN..=CPU_MAX).contains(&u128::from(value)) => Ok(CpuQuantity {
            units: value,
            exact: true,
        }),
        _ => Err(cpu_range_error(&units.to_string())),
    }
}

/// Converts ECS units to millicores (1024 units = 1000m), rounded to nearest; `true` if exact.
#[must_use]
pub fn millicores(units: u32) -> (u32, bool) {
    let scaled = u64::from(units) * 1000;
    let rounded = (scaled + 512) / 1024;
    (
        u32::try_from(rounded).unwrap_or(u32::MAX),
        scaled % 1024 == 0,
    )
}

/// Parses a memory amount into MiB: `"512"`, `"512MiB"`, `"512Mi"`, `"512MB"`, `"1GiB"`, `"1.5 GB"`.
///
/// MB and GB are treated as MiB and GiB, as ECS does.
///
/// # Errors
///
/// Returns a message if the text is not one of those forms, is not a whole number of
/// MiB, or lies outside 6–1048576 MiB.
pub fn parse_memory(text: &str) -> Result<u32, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("memory amount is empty; {MEMORY_FORMS}"));
    }
    let garbage = || format!("{} is not a memory amount; {MEMORY_FORMS}", quote(trimmed));
    let (number, unit) = split_number(trimmed);
    let value = parse_decimal(number).map_err(|error| match error {
        DecimalError::Invalid => garbage(),
        DecimalError::TooLong => format!("memory {} has too many digits", quote(trimmed)),
    })?;
    let multiplier: u128 = match unit.to_ascii_lowercase().as_str() {
        "" | "mib" | "mi" | "mb" => 1,
        "gib" | "gi" | "gb" => 1024,
        _ => return Err(garbage()),
    };
    let scaled = value.num.saturating_mul(multiplier);
    if scaled % value.den != 0 {
        return Err(format!(
            "memory {} is not a whole number of MiB",
            quote(trimmed)
        ));
    }
    let mib = scaled / value.den;
    if !(MEMORY_MIN..=MEMORY_MAX).contains(&mib) {
        return Err(memory_range_error(trimmed));
    }
    u32::try_from(mib).map_err(|_| memory_range_error(trimmed))
}

/// Checks a memory amount written as a bare integer number of MiB.
///
/// # Errors
///
/// Returns a message if `mib` lies outside 6–1048576.
pub fn memory_from_integer(mib: i128) -> Result<u32, String> {
    match u32::try_from(mib) {
        Ok(value) if (MEMORY_MIN..=MEMORY_MAX).contains(&u128::from(value)) => Ok(value),
        _ => Err(memory_range_error(&mib.to_string())),
    }
}

/// Duration units from largest to smallest, with their size in milliseconds.
const DURATION_UNITS: [(&str, u64); 4] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];

/// Parses a duration such as `"500ms"`, `"10s"`, `"5m"`, `"1h"` or `"1h30m"` into milliseconds.
///
/// Units go from largest to smallest, each at most once; bare numbers are rejected.
///
/// # Errors
///
/// Returns a message for a missing or unknown unit, out-of-order units, fractions or
/// overflow.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("duration is empty; write e.g. `\"30s\"` or `\"1h30m\"`".to_string());
    }
    let shown = quote(trimmed);
    let mut rest = trimmed;
    let mut total: u64 = 0;
    let mut next_allowed = 0;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, after) = rest.split_at(digits_end);
        if digits.is_empty() {
            return Err(format!(
                "{shown} is not a duration; write e.g. `\"500ms\"`, `\"10s\"`, `\"5m\"` or `\"1h30m\"`"
            ));
        }
        if after.starts_with(['.', ',']) {
            return Err(format!(
                "{shown} has a fractional part; combine whole units instead, e.g. `\"1m30s\"`"
            ));
        }
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        if unit.is_empty() {
            return Err(if total == 0 && next_allowed == 0 {
                format!("{shown} has no unit; write `\"{digits}s\"`")
            } else {
                format!("{shown}: `{digits}` has no unit; use `h`, `m`, `s` or `ms`")
            });
        }
        let Some(index) = DURATION_UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!(
                "{shown} has an unknown unit {}; use `h`, `m`, `s` or `ms`",
                quote(unit)
            ));
        };
        if index < next_allowed {
            return Err(format!(
                "{shown}: units must go from largest to smallest, each at most once (e.g. `\"1h30m\"`)"
            ));
        }
        next_allowed = index + 1;
        let amount: u64 = digits
            .parse()
            .map_err(|_| format!("duration {shown} is too long"))?;
        total = amount
            .checked_mul(DURATION_UNITS[index].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| format!("duration {shown} is too long"))?;
        rest = after.trim_start();
    }
    Ok(total)
}

/// Formats milliseconds in the shortest canonical form accepted by [`parse_duration`], e.g. `"1m30s"`.
#[must_use]
pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (name, size) in DURATION_UNITS {
        let amount = rest / size;
        rest %= size;
        if amount > 0 {
            out.push_str(&amount.to_string());
            out.push_str(name);
        }
    }
    out
}

fn cpu_range_error(shown: &str) -> String {
    format!(
        "cpu {} is outside 128–196608 units (0.125–192 vCPU)",
        quote(shown)
    )
}

fn memory_range_error(shown: &str) -> String {
    format!("memory {} is outside 6–1048576 MiB (1 TiB)", quote(shown))
}

/// Wraps user text in backticks, shortening very long text.
fn quote(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

/// Splits `"1.5 GiB"` into `("1.5", "GiB")`.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    (number, unit.trim_start())
}

/// An exact non-negative decimal `num / den`, with `den` a power of ten.
struct Decimal {
    num: u128,
    den: u128,
}

enum DecimalError {
    Invalid,
    TooLong,
}

/// Parses `digits` or `digits.digits`, with no sign or exponent.
fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(DecimalError::Invalid);
    }
    let fraction = fraction.trim_end_matches('0');
    let mut num: u128 = 0;
    let mut den: u128 = 1;
    for byte in whole.bytes().chain(fraction.bytes()) {
        num = num
            .checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(byte - b'0')))
            .filter(|n| *n < 10u128.pow(30))
            .ok_or(DecimalError::TooLong)?;
    }
    for _ in 0..fraction.len() {
        den = den
            .checked_mul(10)
            .filter(|d| *d < 10u128.pow(30))
            .ok_or(DecimalError::TooLong)?;
    }
    Ok(Decimal { num, den })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(units: u32, exact: bool) -> CpuQuantity {
        CpuQuantity { units, exact }
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(parse_cpu("512"), Ok(cpu(512, true)));
        assert_eq!(parse_cpu(" 1024 "), Ok(cpu(1024, true)));
        assert_eq!(parse_cpu("0.5 vCPU"), Ok(cpu(512, true)));
        assert_eq!(parse_cpu("1 vCPU"), Ok(cpu(1024, true)));
        assert_eq!(parse_cpu("2vcpu"), Ok(cpu(2048, true)));
        assert_eq!(parse_cpu("4 VCPU"), Ok(cpu(4096, true)));
        assert_eq!(parse_cpu("0.25vCPU"), Ok(cpu(256, true)));
        assert_eq!(parse_cpu("0.3 vCPU"), Ok(cpu(307, false)));
        assert_eq!(parse_cpu("0.125 vCPU"), Ok(cpu(128, true)));
        assert_eq!(parse_cpu("192 vCPU"), Ok(cpu(196_608, true)));
        assert_eq!(
            parse_cpu("1.50000000000000000000000000000000000 vCPU"),
            Ok(cpu(1536, true))
        );
        assert_eq!(parse_cpu("500m"), Ok(cpu(512, true)));
        assert_eq!(parse_cpu("250 m"), Ok(cpu(256, true)));
        assert_eq!(parse_cpu("300m"), Ok(cpu(307, false)));
        assert_eq!(parse_cpu("1000m"), Ok(cpu(1024, true)));
        assert_eq!(parse_cpu("128"), Ok(cpu(128, true)));
        assert_eq!(parse_cpu("196608"), Ok(cpu(196_608, true)));
    }

    #[test]
    fn cpu_errors() {
        assert_eq!(
            parse_cpu("0"),
            Err("cpu `0` is outside 128–196608 units (0.125–192 vCPU)".to_string())
        );
        assert_eq!(
            parse_cpu("abc"),
            Err("`abc` is not a cpu amount; use units (`512`), `\"0.5 vCPU\"` or millicores (`\"500m\"`)".to_string())
        );
        for bad in [
            "",
            "  ",
            "-1",
            "-0.5 vCPU",
            "NaN",
            "inf",
            "1e3",
            "0x10",
            "1.",
            ".5 vCPU",
            "1..2",
            "512 units",
            "500M",
            "1 vCPUs",
            "½ vCPU",
            "５１２",
            "1 vCPU extra",
            "1,5 vCPU",
            "+512",
        ] {
            assert!(parse_cpu(bad).is_err(), "{bad:?} should be rejected");
        }
        for out in [
            "127",
            "196609",
            "0.1 vCPU",
            "193 vCPU",
            "99999999999999999999",
            "124m",
        ] {
            assert!(
                parse_cpu(out).is_err_and(|e| e.contains("outside")),
                "{out}"
            );
        }
        assert!(parse_cpu("1.5").is_err_and(|e| e.contains("\"1.5 vCPU\"")));
        assert!(parse_cpu(&"9".repeat(100)).is_err_and(|e| e.contains("too many digits")));
        assert!(parse_cpu(&"x".repeat(100)).is_err_and(|e| e.contains('…')));
    }

    #[test]
    fn cpu_integers() {
        assert_eq!(cpu_from_integer(256), Ok(cpu(256, true)));
        assert_eq!(cpu_from_integer(128), Ok(cpu(128, true)));
        assert_eq!(cpu_from_integer(196_608), Ok(cpu(196_608, true)));
        for bad in [0, 127, 196_609, -1, i128::MIN, i128::MAX] {
            assert!(cpu_from_integer(bad).is_err(), "{bad}");
        }
        assert_eq!(
            cpu_from_integer(-5),
            Err("cpu `-5` is outside 128–196608 units (0.125–192 vCPU)".to_string())
        );
    }

    #[test]
    fn millicore_conversion() {
        assert_eq!(millicores(512), (500, true));
        assert_eq!(millicores(1024), (1000, true));
        assert_eq!(millicores(100), (98, false));
        assert_eq!(millicores(256), (250, true));
        assert_eq!(millicores(0), (0, true));
        assert_eq!(millicores(u32::MAX), (4_194_303_999, false));
    }

    #[test]
    fn memory_forms() {
        assert_eq!(parse_memory("512"), Ok(512));
        assert_eq!(parse_memory("512MiB"), Ok(512));
        assert_eq!(parse_memory("512Mi"), Ok(512));
        assert_eq!(parse_memory("512MB"), Ok(512));
        assert_eq!(parse_memory("512 mib"), Ok(512));
        assert_eq!(parse_memory("1GiB"), Ok(1024));
        assert_eq!(parse_memory("1Gi"), Ok(1024));
        assert_eq!(parse_memory("2GB"), Ok(2048));
        assert_eq!(parse_memory("1 GB"), Ok(1024));
        assert_eq!(parse_memory("1.5GiB"), Ok(1536));
        assert_eq!(parse_memory("0.5 gib"), Ok(512));
        assert_eq!(parse_memory("512.0"), Ok(512));
        assert_eq!(parse_memory("6"), Ok(6));
        assert_eq!(parse_memory("1024 GiB"), Ok(1_048_576));
    }

    #[test]
    fn memory_errors() {
        assert_eq!(
            parse_memory("1.0001GiB"),
            Err("memory `1.0001GiB` is not a whole number of MiB".to_string())
        );
        assert_eq!(
            parse_memory("5"),
            Err("memory `5` is outside 6–1048576 MiB (1 TiB)".to_string())
        );
        for bad in [
            "",
            "abc",
            "-512",
            "512KB",
            "1TB",
            "1 G",
            "512 M",
            "GiB",
            "1.5.GiB",
            "512.5",
            "1e3",
            "0",
            "1025GiB",
            "99999999999999999999 GiB",
            "٥١٢",
            "512🚀",
            "nan",
        ] {
            assert!(parse_memory(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_memory("lots").is_err_and(|e| e.contains("`\"1GiB\"`")));
    }

    #[test]
    fn memory_integers() {
        assert_eq!(memory_from_integer(6), Ok(6));
        assert_eq!(memory_from_integer(1_048_576), Ok(1_048_576));
        for bad in [5, 0, -1, 1_048_577, i128::MAX, i128::MIN] {
            assert!(memory_from_integer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("10s"), Ok(10_000));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_duration("1h 2m 3s 4ms"), Ok(3_723_004));
        assert_eq!(parse_duration("10 s"), Ok(10_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("1s500ms"), Ok(1500));
    }

    #[test]
    fn duration_errors() {
        assert_eq!(
            parse_duration("10"),
            Err("`10` has no unit; write `\"10s\"`".to_string())
        );
        assert!(parse_duration("1m30").is_err_and(|e| e.contains("`30` has no unit")));
        assert!(parse_duration("30m1h").is_err_and(|e| e.contains("largest to smallest")));
        assert!(parse_duration("1m1m").is_err_and(|e| e.contains("at most once")));
        assert!(parse_duration("10S").is_err_and(|e| e.contains("unknown unit `S`")));
        assert!(parse_duration("1.5h").is_err_and(|e| e.contains("fractional")));
        assert!(parse_duration("10µs").is_err_and(|e| e.contains("`µs`")));
        for bad in [
            "",
            " ",
            "s",
            "-1s",
            "1d",
            "ms",
            "h1",
            "1h-1m",
            "１s",
            "99999999999999999999h",
            "5124095576030432h",
            "18446744073709551615ms1ms",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(parse_duration("18446744073709551615ms"), Ok(u64::MAX));
    }

    #[test]
    fn duration_formatting() {
        assert_eq!(format_duration(90_000), "1m30s");
        assert_eq!(format_duration(500), "500ms");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(3_600_000), "1h");
        assert_eq!(format_duration(3_723_004), "1h2m3s4ms");
        assert_eq!(format_duration(86_400_000), "24h");
        for ms in [
            0,
            1,
            999,
            1000,
            59_999,
            60_000,
            5_400_000,
            123_456_789,
            u64::MAX,
        ] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms), "{ms}");
        }
    }
}
