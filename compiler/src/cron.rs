//! Standard 5-field cron schedules (always UTC) and their `EventBridge` form.

use std::fmt;

const FIELD_ORDER: &str = "minute hour day-of-month month day-of-week";
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const EXTENSION_HELP: &str = "berth uses standard 5-field cron (converted for EventBridge automatically); \
     `?`, `L`, `W` and `#` are AWS/Quartz extensions";

/// A validated 5-field cron schedule, evaluated in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CronSchedule {
    /// The fields as written: minute, hour, day-of-month, month, day-of-week.
    pub fields: [String; 5],
}

/// A cron syntax error located at byte `offset..offset + len` of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// Byte offset of the offending text within the expression.
    pub offset: usize,
    /// Byte length of the offending text.
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CronError {}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fields.join(" "))
    }
}

/// Static description of one cron field.
struct Spec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`.
    name_base: u32,
    help: &'static str,
}

const fn spec(name: &'static str, min: u32, max: u32, help: &'static str) -> Spec {
    Spec {
        name,
        min,
        max,
        names: &[],
        name_base: 0,
        help,
    }
}

const SPECS: [Spec; 5] = [
    spec("minute", 0, 59, "minute must be between 0 and 59"),
    spec("hour", 0, 23, "hour must be between 0 and 23"),
    spec(
        "day-of-month",
        1,
        31,
        "day-of-month must be between 1 and 31",
    ),
    Spec {
        names: &MONTHS,
        name_base: 1,
        ..spec("month", 1, 12, "month must be between 1 and 12, or JAN–DEC")
    },
    Spec {
        names: &WEEKDAYS,
        ..spec(
            "day-of-week",
            0,
            7,
            "day-of-week must be between 0 and 7 (0 and 7 are Sunday), or SUN–SAT",
        )
    },
];

/// One value as written: a number, or a name with its numeric value.
#[derive(Clone, Copy)]
enum Value {
    Number(u32),
    Name(u32, &'static str),
}

impl Value {
    fn number(self) -> u32 {
        match self {
            Value::Number(n) | Value::Name(n, _) => n,
        }
    }
}

enum Base {
    Star,
    Single(Value),
    Range(Value, Value),
}

/// One comma-separated list element: `*`, `5`, `1-5`, optionally with `/step`.
struct Item {
    base: Base,
    step: Option<u32>,
}

fn error(offset: usize, len: usize, message: String, help: impl Into<String>) -> CronError {
    CronError {
        offset,
        len,
        message,
        help: help.into(),
    }
}

/// Parses a standard 5-field cron expression.
///
/// # Errors
///
/// Returns a [`CronError`] whose `offset` and `len` are byte offsets within `expr`,
/// pointing at the offending field or list element.
pub fn parse_cron(expr: &str) -> Result<CronSchedule, CronError> {
    let help = format!("cron fields are: {FIELD_ORDER} (UTC), e.g. `0 3 * * *`");
    let trimmed = expr.trim_matches([' ', '\t']);
    if let Some(name) = trimmed.strip_prefix('@') {
        let start = expr.len() - expr.trim_start_matches([' ', '\t']).len();
        let replacement = match name.to_ascii_lowercase().as_str() {
            "hourly" => "0 * * * *",
            "daily" | "midnight" => "0 0 * * *",
            "weekly" => "0 0 * * 0",
            "monthly" => "0 0 1 * *",
            "yearly" | "annually" => "0 0 1 1 *",
            _ => {
                let message = format!("cron macro `{trimmed}` is not supported");
                return Err(error(start, trimmed.len(), message, help));
            }
        };
        let message = format!("cron macro `{trimmed}` is not supported");
        let help = format!("write the 5-field equivalent `{replacement}`");
        return Err(error(start, trimmed.len(), message, help));
    }
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in expr.char_indices().chain([(expr.len(), ' ')]) {
        match (c == ' ' || c == '\t', start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if spans.len() != 5 {
        let message = if spans.is_empty() {
            "cron expression is empty".to_string()
        } else {
            format!("cron expression has {} fields, expected 5", spans.len())
        };
        let help = if spans.len() == 6 {
            format!(
                "{help}; berth takes standard 5-field cron (no seconds or year field) and writes EventBridge's 6-field form itself"
            )
        } else {
            help
        };
        return Err(error(0, expr.len(), message, help));
    }
    let mut fields: [String; 5] = Default::default();
    for (index, &(s, e)) in spans.iter().enumerate() {
        parse_field(&expr[s..e], s, &SPECS[index])?;
        fields[index] = expr[s..e].to_string();
    }
    Ok(CronSchedule { fields })
}

fn parse_field(text: &str, offset: usize, spec: &Spec) -> Result<Vec<Item>, CronError> {
    if text.is_empty() {
        let message = format!("{} field is empty", spec.name);
        return Err(error(offset, 0, message, spec.help));
    }
    if let Some(at) = text.find(['?', '#']) {
        let message = format!("`{}` is not part of standard cron", &text[at..=at]);
        let help = if text[at..].starts_with('?') {
            format!("{EXTENSION_HELP}; use `*` instead of `?`")
        } else {
            EXTENSION_HELP.to_string()
        };
        return Err(error(offset + at, 1, message, help));
    }
    let mut items = Vec::new();
    let mut pos = 0;
    for part in text.split(',') {
        let at = offset + pos;
        if part.is_empty() {
            let comma = if pos < text.len() {
                at
            } else {
                at.saturating_sub(1)
            };
            let message = format!("empty item in {} list", spec.name);
            return Err(error(comma, 1, message, "remove the extra `,`"));
        }
        items.push(parse_item(part, at, spec)?);
        pos += part.len() + 1;
    }
    Ok(items)
}

fn parse_item(text: &str, offset: usize, spec: &Spec) -> Result<Item, CronError> {
    let (base_text, step) = match text.split_once('/') {
        None => (text, None),
        Some((base, step_text)) => {
            let step_at = offset + base.len() + 1;
            (base, Some(parse_step(step_text, step_at, spec)?))
        }
    };
    if base_text.is_empty() {
        let message = format!("{} `{text}` has no value before `/`", spec.name);
        return Err(error(offset, text.len(), message, "write `*/n` or `a-b/n`"));
    }
    let base = if base_text == "*" {
        Base::Star
    } else if let Some((a, b)) = base_text.split_once('-') {
        if a.is_empty() || b.is_empty() || b.contains('-') {
            let message = format!("{} range `{base_text}` is malformed", spec.name);
            return Err(error(
                offset,
                base_text.len(),
                message,
                "write a range as `a-b`, e.g. `1-5`",
            ));
        }
        let low = parse_value(a, offset, spec)?;
        let high = parse_value(b, offset + a.len() + 1, spec)?;
        if low.number() > high.number() {
            let message = format!("{} range `{base_text}` is reversed", spec.name);
            let mut help = "write the smaller value first".to_string();
            if spec.names == WEEKDAYS {
                help.push_str("; for a range ending on Sunday use `7`, e.g. `5-7`");
            }
            return Err(error(offset, base_text.len(), message, help));
        }
        Base::Range(low, high)
    } else {
        Base::Single(parse_value(base_text, offset, spec)?)
    };
    Ok(Item { base, step })
}

fn parse_step(text: &str, offset: usize, spec: &Spec) -> Result<u32, CronError> {
    let largest = spec.max - spec.min;
    let help = format!("the {} step must be between 1 and {largest}", spec.name);
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        let message = format!("{} step `{text}` is not a number", spec.name);
        return Err(error(offset, text.len(), message, help));
    }
    match text.parse::<u32>() {
        Ok(0) => Err(error(
            offset,
            text.len(),
            format!("{} step cannot be 0", spec.name),
            help,
        )),
        Ok(step) if step <= largest => Ok(step),
        _ => {
            let message = format!("{} step `{text}` is too large", spec.name);
            Err(error(offset, text.len(), message, help))
        }
    }
}

fn parse_value(text: &str, offset: usize, spec: &Spec) -> Result<Value, CronError> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(n) if (spec.min..=spec.max).contains(&n) => Ok(Value::Number(n)),
            _ => {
                let message = format!(
                    "{} `{text}` is out of range {}–{}",
                    spec.name, spec.min, spec.max
                );
                Err(error(offset, text.len(), message, spec.help))
            }
        };
    }
    if let Some(index) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        let value = spec.name_base + u32::try_from(index).unwrap_or(0);
        return Ok(Value::Name(value, spec.names[index]));
    }
    let upper = text.to_ascii_uppercase();
    let digits = upper.trim_end_matches(['L', 'W']);
    let message = if upper.len() != digits.len() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(
            offset,
            text.len(),
            format!("`{text}` is not part of standard cron"),
            EXTENSION_HELP,
        ));
    } else if text == "*" {
        format!("{} `*` cannot be part of a range", spec.name)
    } else if spec.names.is_empty() {
        format!("{} `{text}` is not a number", spec.name)
    } else {
        format!(
            "{} `{text}` is not a number or a {} name",
            spec.name, spec.name
        )
    };
    Err(error(offset, text.len(), message, spec.help))
}

impl CronSchedule {
    /// Whether the day-of-month field is anything other than `*`.
    #[must_use]
    pub fn restricts_day_of_month(&self) -> bool {
        self.fields[2] != "*"
    }

    /// Whether the day-of-week field is anything other than `*`.
    #[must_use]
    pub fn restricts_day_of_week(&self) -> bool {
        self.fields[4] != "*"
    }

    /// AWS `EventBridge` 6-field form `min hour dom month dow year`, e.g. `0 3 * * *` -> `0 3 * * ? *`.
    ///
    /// Day-of-week numbers become `EventBridge`'s 1–7 (1 = Sunday), `*/n` gets an explicit start,
    /// stepped ranges are written out as lists, and the unrestricted day field becomes `?`.
    ///
    /// # Errors
    ///
    /// Fails if both day fields are restricted (`EventBridge` cannot express that), or if the
    /// fields were not produced by [`parse_cron`] and do not parse.
    pub fn to_eventbridge(&self) -> Result<String, String> {
        if self.restricts_day_of_month() && self.restricts_day_of_week() {
            return Err(format!(
                "cron schedule `{self}` restricts both day-of-month and day-of-week, which EventBridge cannot express; use `*` in one of them"
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(6);
        for (text, spec) in self.fields.iter().zip(&SPECS) {
            let items = parse_field(text, 0, spec)
                .map_err(|e| format!("invalid cron field `{text}`: {}", e.message))?;
            if items
                .iter()
                .any(|i| matches!((&i.base, i.step), (Base::Star, None)))
            {
                out.push("*".to_string());
                continue;
            }
            let mut converted: Vec<String> = Vec::with_capacity(items.len());
            for item in &items {
                let text = if spec.names == WEEKDAYS {
                    weekday_item(item)
                } else {
                    plain_item(item, spec)
                };
                if !converted.contains(&text) {
                    converted.push(text);
                }
            }
            out.push(converted.join(","));
        }
        if self.restricts_day_of_week() {
            out[2] = "?".to_string();
        } else {
            out[4] = "?".to_string();
        }
        out.push("*".to_string());
        Ok(out.join(" "))
    }
}

/// Every value an item selects, as plain numbers.
fn expand(low: u32, high: u32, step: u32) -> impl Iterator<Item = u32> {
    (low..=high).step_by(usize::try_from(step).unwrap_or(1).max(1))
}

fn join(values: impl Iterator<Item = u32>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

fn show(value: Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::Name(_, name) => name.to_string(),
    }
}

fn plain_item(item: &Item, spec: &Spec) -> String {
    match (&item.base, item.step) {
        (Base::Star, None) => "*".to_string(),
        (Base::Star, Some(step)) => format!("{}/{step}", spec.min),
        (Base::Single(v), None) => show(*v),
        (Base::Single(v), Some(step)) => format!("{}/{step}", v.number()),
        (Base::Range(a @ Value::Name(..), b @ Value::Name(..)), None) => {
            format!("{}-{}", show(*a), show(*b))
        }
        (Base::Range(a, b), None) => format!("{}-{}", a.number(), b.number()),
        (Base::Range(a, b), Some(step)) => join(expand(a.number(), b.number(), step)),
    }
}

/// Standard day-of-week 0–7 (0 and 7 = Sunday) to `EventBridge` 1–7 (1 = Sunday).
fn eventbridge_weekday(day: u32) -> u32 {
    day % 7 + 1
}

fn weekday_item(item: &Item) -> String {
    let values: Vec<u32> = match (&item.base, item.step) {
        (Base::Star, None) => return "*".to_string(),
        (Base::Star, Some(step)) => return format!("1/{step}"),
        (Base::Single(Value::Name(_, name)), None) => return (*name).to_string(),
        (Base::Single(v), None) => return eventbridge_weekday(v.number()).to_string(),
        (Base::Range(a @ Value::Name(..), b @ Value::Name(..)), None) => {
            return format!("{}-{}", show(*a), show(*b));
        }
        (Base::Range(a, b), None) if b.number() < 7 => {
            let (a, b) = (
                eventbridge_weekday(a.number()),
                eventbridge_weekday(b.number()),
            );
            return if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            };
        }
        (Base::Range(a, b), None) => expand(a.number(), b.number(), 1).collect(),
        (Base::Single(v), Some(step)) => expand(v.number(), 7, step).collect(),
        (Base::Range(a, b), Some(step)) => expand(a.number(), b.number(), step).collect(),
    };
    let mut mapped: Vec<u32> = values.into_iter().map(eventbridge_weekday).collect();
    mapped.sort_unstable();
    mapped.dedup();
    // Compress a run such as 1,2,3,4,5,6,7 back into a range.
    match (mapped.first(), mapped.last()) {
        (Some(&first), Some(&last))
            if last > first + 1 && mapped.len() == (last - first + 1) as usize =>
        {
            format!("{first}-{last}")
        }
        _ => join(mapped.into_iter()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eb(expr: &str) -> Result<String, String> {
        parse_cron(expr).map_err(|e| e.message)?.to_eventbridge()
    }

    fn err(expr: &str) -> CronError {
        match parse_cron(expr) {
            Ok(s) => panic!("{expr:?} parsed as {s}"),
            Err(e) => e,
        }
    }

    fn span(expr: &str) -> (usize, usize, String) {
        let e = err(expr);
        (
            e.offset,
            e.len,
            expr[e.offset..e.offset + e.len].to_string(),
        )
    }

    #[test]
    fn parses_valid_expressions() {
        for ok in [
            "* * * * *",
            "0 3 * * *",
            "*/15 * * * *",
            "0-59/5 0-23 1-31 1-12 0-7",
            "5,10,15 * * * *",
            "0 0 * JAN-mar mon-FRI",
            "0 0 * * 7",
            "0 12 1/2 */3 SUN",
            "  0\t3  * *   *  ",
            "30 2 * * 5-7",
        ] {
            assert!(parse_cron(ok).is_ok(), "{ok:?}");
        }
        let schedule = parse_cron(" 0\t3 * * mon ").map_err(|e| e.message);
        assert_eq!(
            schedule.as_ref().map(ToString::to_string),
            Ok("0 3 * * mon".to_string())
        );
        assert_eq!(schedule.map(|s| s.restricts_day_of_week()), Ok(true));
    }

    #[test]
    fn field_count_errors() {
        let e = err("0 3 * * * *");
        assert_eq!((e.offset, e.len), (0, 11));
        assert_eq!(e.message, "cron expression has 6 fields, expected 5");
        assert!(
            e.help
                .contains("minute hour day-of-month month day-of-week")
        );
        assert_eq!(
            err("0 3 * *").message,
            "cron expression has 4 fields, expected 5"
        );
        assert_eq!(err("").message, "cron expression is empty");
        assert_eq!(err(" \t ").message, "cron expression is empty");
    }

    #[test]
    fn range_errors_point_at_the_value() {
        let e = err("61 * * * *");
        assert_eq!((e.offset, e.len), (0, 2));
        assert_eq!(e.message, "minute `61` is out of range 0–59");
        assert_eq!(e.help, "minute must be between 0 and 59");
        assert_eq!(span("0 24 * * *"), (2, 2, "24".into()));
        assert_eq!(span("0 0 0 * *"), (4, 1, "0".into()));
        assert_eq!(span("0 0 * 13 *"), (6, 2, "13".into()));
        assert_eq!(span("0 0 * * 8"), (8, 1, "8".into()));
        assert_eq!(span("0 0 * * 1,2,9"), (12, 1, "9".into()));
        assert_eq!(span("0 0 * * 1-99"), (10, 2, "99".into()));
        assert_eq!(
            span("0 99999999999999 * * *"),
            (2, 14, "99999999999999".into())
        );
        assert_eq!(span("0 0 * FOO *"), (6, 3, "FOO".into()));
        assert_eq!(span("MON 0 * * *"), (0, 3, "MON".into()));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(span("0 0 * * 5-1"), (8, 3, "5-1".into()));
        assert!(err("0 0 * * SAT-SUN").help.contains("`7`"));
        assert_eq!(err("*/0 * * * *").message, "minute step cannot be 0");
        assert_eq!(span("*/0 * * * *"), (2, 1, "0".into()));
        assert_eq!(span("*/60 * * * *"), (2, 2, "60".into()));
        assert_eq!(span("*/x * * * *"), (2, 1, "x".into()));
        assert_eq!(span("1/ * * * *"), (2, 0, String::new()));
        assert_eq!(span("1,,2 * * * *"), (2, 1, ",".into()));
        assert_eq!(span("1, * * * *"), (1, 1, ",".into()));
        assert_eq!(span(",1 * * * *"), (0, 1, ",".into()));
        assert_eq!(err("1,,2 * * * *").message, "empty item in minute list");
        assert_eq!(span("1-2-3 * * * *"), (0, 5, "1-2-3".into()));
        assert_eq!(span("-5 * * * *"), (0, 2, "-5".into()));
        assert_eq!(span("/5 * * * *"), (0, 2, "/5".into()));
        assert_eq!(span("*-5 * * * *"), (0, 1, "*".into()));
        assert_eq!(span("1/2/3 * * * *"), (2, 3, "2/3".into()));
    }

    #[test]
    fn rejects_extensions_and_macros() {
        for (expr, bad) in [
            ("0 0 ? * MON", "?"),
            ("0 0 * * MON#2", "#"),
            ("0 0 L * *", "L"),
            ("0 0 15W * *", "15W"),
            ("0 0 LW * *", "LW"),
            ("0 0 * * 5L", "5L"),
        ] {
            let e = err(expr);
            assert_eq!(&expr[e.offset..e.offset + e.len], bad, "{expr}");
            assert!(e.help.contains("standard 5-field cron"), "{expr}");
        }
        let e = err("@daily");
        assert_eq!((e.offset, e.len), (0, 6));
        assert_eq!(e.message, "cron macro `@daily` is not supported");
        assert!(e.help.contains("`0 0 * * *`"));
        assert!(err("@hourly").help.contains("`0 * * * *`"));
        assert!(err("@weekly").help.contains("`0 0 * * 0`"));
        assert!(err("@monthly").help.contains("`0 0 1 * *`"));
        assert!(err(" @yearly").help.contains("`0 0 1 1 *`"));
        assert_eq!(err(" @annually").offset, 1);
        assert!(err("@reboot").help.contains(FIELD_ORDER));
    }

    #[test]
    fn weird_input_does_not_panic() {
        for expr in [
            "é * * * *",
            "* * * * 日",
            "0 0 * * \u{0}",
            "0\n0 * * *",
            "\u{3000}* * * * *",
            "@",
            "@é",
            "* * * * * ",
            "🚀 🚀 🚀 🚀 🚀",
            "1-é * * * *",
            "*/é * * * *",
            "0 0 * * 1-7/é",
            ",,,, * * * *",
        ] {
            if let Err(e) = parse_cron(expr) {
                assert!(expr.get(e.offset..e.offset + e.len).is_some(), "{expr:?}");
            }
        }
        for fields in [
            ["", "*", "*", "*", "*"],
            ["*", "*", "*", "*", " 1"],
            ["*", "*", "*", "*", "1,"],
        ] {
            let schedule = CronSchedule {
                fields: fields.map(String::from),
            };
            assert!(schedule.to_eventbridge().is_err(), "{fields:?}");
        }
        let weird = CronSchedule {
            fields: ["x".into(), "*".into(), "*".into(), "*".into(), "*".into()],
        };
        assert!(weird.to_eventbridge().is_err());
    }

    #[test]
    fn day_restrictions() {
        let restrictions = |expr: &str| {
            parse_cron(expr).map(|s| (s.restricts_day_of_month(), s.restricts_day_of_week()))
        };
        assert_eq!(restrictions("0 0 * * *"), Ok((false, false)));
        assert_eq!(restrictions("0 0 1 * *"), Ok((true, false)));
        assert_eq!(restrictions("0 0 * * MON"), Ok((false, true)));
        assert_eq!(restrictions("0 0 */2 * 1"), Ok((true, true)));
    }

    #[test]
    fn eventbridge_conversion() {
        for (standard, eventbridge) in [
            ("0 3 * * *", "0 3 * * ? *"),
            ("30 2 * * 1-5", "30 2 ? * 2-6 *"),
            ("0 0 1 * *", "0 0 1 * ? *"),
            ("*/15 * * * *", "0/15 * * * ? *"),
            ("0 */2 */3 */4 *", "0 0/2 1/3 1/4 ? *"),
            ("0 0 * * */2", "0 0 ? * 1/2 *"),
            ("0 0 * * 0", "0 0 ? * 1 *"),
            ("0 0 * * 7", "0 0 ? * 1 *"),
            ("0 0 * * 6", "0 0 ? * 7 *"),
            ("0 0 * * mon-fri", "0 0 ? * MON-FRI *"),
            ("0 0 * * sun,Sat", "0 0 ? * SUN,SAT *"),
            ("0 0 * jan-Mar *", "0 0 * JAN-MAR ? *"),
            ("0 0 * JAN-6 *", "0 0 * 1-6 ? *"),
            ("0 0 * * 0,3,7", "0 0 ? * 1,4 *"),
            ("0 0 * * 5-7", "0 0 ? * 1,6,7 *"),
            ("0 0 * * 6-7", "0 0 ? * 1,7 *"),
            ("0 0 * * 0-7", "0 0 ? * 1-7 *"),
            ("0 0 * * 0-6", "0 0 ? * 1-7 *"),
            ("0 0 * * 7-7", "0 0 ? * 1 *"),
            ("0 0 * * 3-3", "0 0 ? * 4 *"),
            ("0 0 * * 1-7/2", "0 0 ? * 1,2,4,6 *"),
            ("0 0 * * 1/3", "0 0 ? * 1,2,5 *"),
            ("0 0 * * MON-5/2", "0 0 ? * 2,4,6 *"),
            ("5/10 1-23/6 2/5 * *", "5/10 1,7,13,19 2/5 * ? *"),
            ("0 0 * * 1-5,SUN", "0 0 ? * 2-6,SUN *"),
            ("0 0 1-31 * *", "0 0 1-31 * ? *"),
            ("0 0 * * *", "0 0 * * ? *"),
            ("0 0 * FEB/3 *", "0 0 * 2/3 ? *"),
            ("1,*,2 * * * *", "* * * * ? *"),
        ] {
            assert_eq!(eb(standard), Ok(eventbridge.to_string()), "{standard}");
        }
        assert!(eb("0 0 1 * 1").is_err_and(|e| e.contains("day-of-month and day-of-week")));
    }
}
