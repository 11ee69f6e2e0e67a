//! The writers against the serde route they replace, byte for byte: on every artifact berth
//! emits for the examples, the fixtures and generated workspaces (every target, both template
//! formats), and on generated values full of quoting edge cases.

use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value, json};

use super::yaml::serde;
use super::{BlockScalars, json, sorted_copy, with_reference, yaml};
use crate::emit::{TemplateFormat, emit};
use crate::model::Target;
use crate::{Options, check};

/// Strings that YAML reads as something else, or that need quoting or escaping.
const EDGE_STRINGS: &[&str] = &[
    "",
    "yes",
    "Yes",
    "YES",
    "yEs",
    "no",
    "No",
    "NO",
    "y",
    "Y",
    "n",
    "N",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "nan",
    "NaN",
    ".nan",
    "inf",
    "-inf",
    "+inf",
    ".inf",
    "-.inf",
    "~",
    "<<",
    "=",
    "1e3",
    "1E3",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "_1",
    "1_",
    "12:30",
    "1:20:30",
    "190:20:30.15",
    "2024-01-01",
    "2024-1-1",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "0",
    "00",
    "-0",
    "+1",
    "1.",
    ".5",
    "1.5e-3",
    "1,000",
    "-",
    "- a",
    "-a",
    "--",
    "---",
    "--- a",
    "...",
    "... a",
    "...a",
    ".",
    "?",
    "? a",
    "?a",
    ":",
    ": x",
    "x:",
    "x: y",
    "x:y",
    "a:b:c",
    "http://x:80/y",
    "#",
    "#x",
    "a #b",
    "a#b",
    "a# b",
    "a: b",
    " a",
    "a ",
    " ",
    "  ",
    "\n",
    "a\nb",
    "a\n",
    "\na",
    "a\n\n",
    "\n\n",
    "a\r\nb",
    "\t",
    "a\tb",
    "\ta",
    "'",
    "a'b",
    "'a'",
    "\"",
    "a\"b",
    "\"a\"",
    "\\",
    "a\\b",
    "@x",
    "`x",
    "*x",
    "&x",
    "!x",
    "%x",
    "|",
    "|-",
    ">",
    ">-",
    "{",
    "}",
    "[",
    "]",
    "{}",
    "[]",
    "a{b}",
    "a[b]",
    ",",
    ",a",
    "a,b",
    "a, b",
    "%",
    "@",
    "`",
    "*",
    "&",
    "!",
    "é",
    "日本語",
    "ünïcödé key",
    "emoji 🚀",
    "\u{0}",
    "\u{7}",
    "\u{8}",
    "\u{b}",
    "\u{c}",
    "\u{1b}",
    "\u{1f}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{fffe}",
    "a\u{3000}",
    "\u{3000}a",
    "${berth:FileSystemId}",
    "/healthz",
    "/",
    "$",
    "$x",
    "arn:aws:iam::123456789012:role/x",
    "app.kubernetes.io/name",
    "Fn::GetAtt",
    "AWS::EC2::VPC",
    "10.0.0.0/16",
    "0.0.0.0/0",
    "x86_64",
    "t3.large",
    "1.35",
    "v1",
    "8080",
    "-8080",
    "3.14",
    "berth",
    "web-api",
    "a b c",
    "a  b",
    "it's",
    "say \"hi\"",
    "C:\\path",
];

/// Longer strings: over 80 characters (folded by serde_saphyr with block scalars on), over
/// 1,024 (explicit keys), multi-line with indentation.
fn long_strings() -> Vec<String> {
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ".repeat(3);
    vec![
        words.clone(),
        words.trim_end().to_owned(),
        "x".repeat(81),
        "x".repeat(200),
        format!("{}   {}", "a".repeat(60), "b".repeat(60)),
        format!("yes{}", " ".repeat(90)),
        format!("{}: x", "k".repeat(90)),
        "k".repeat(1025),
        "é".repeat(700),
        format!("  indented\n  lines\n{words}\n"),
        format!("line one\nline two\n\n\n{words}"),
        "#!/bin/sh\nset -eu\nexec \"$@\"\n".to_owned(),
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/shop/production/web:*"
            .to_owned(),
    ]
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound).unwrap_or(1)).unwrap_or(0)
    }

    fn string(&mut self, long: &[String]) -> String {
        match self.below(10) {
            0 => long[self.below(long.len())].clone(),
            1 => format!("w{}", self.next() % 1000),
            2 => {
                let left = EDGE_STRINGS[self.below(EDGE_STRINGS.len())];
                let right = EDGE_STRINGS[self.below(EDGE_STRINGS.len())];
                format!("{left}{right}")
            }
            _ => EDGE_STRINGS[self.below(EDGE_STRINGS.len())].to_owned(),
        }
    }

    fn number(&mut self) -> Value {
        match self.below(9) {
            0 => json!(0),
            1 => json!(self.next() >> 1),
            2 => json!(u64::MAX),
            3 => json!(i64::MIN),
            4 => json!(-i64::try_from(self.next() >> 2).unwrap_or(1)),
            5 => json!(1.0),
            6 => json!(1e300),
            7 => json!(-0.000_001_5),
            _ => Value::Number(
                Number::from_f64(f64::from(u32::try_from(self.below(100_000)).unwrap_or(0)) / 7.0)
                    .unwrap_or_else(|| Number::from(0)),
            ),
        }
    }

    fn value(&mut self, depth: usize, long: &[String]) -> Value {
        let compound = if depth == 0 { 0 } else { 4 };
        match self.below(8 + compound) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => self.number(),
            3..=7 => Value::String(self.string(long)),
            8 | 9 => {
                let length = self.below(4);
                Value::Array((0..length).map(|_| self.value(depth - 1, long)).collect())
            }
            _ => {
                let length = self.below(5);
                let mut map = Map::new();
                for _ in 0..length {
                    map.insert(self.string(long), self.value(depth - 1, long));
                }
                Value::Object(map)
            }
        }
    }
}

/// Both writers against the serde route on `value`.
fn assert_same(value: &Value) {
    let sorted = sorted_copy(value);
    let mut written = String::new();
    json(&mut written, value);
    let expected = serde_json::to_string_pretty(&sorted).expect("JSON");
    assert_eq!(written, expected, "JSON of {value:?}");
    for blocks in [BlockScalars::Never, BlockScalars::Preferred] {
        let mut written = String::new();
        yaml(&mut written, value, blocks);
        assert_eq!(
            written,
            serde(&sorted, blocks),
            "YAML ({blocks:?}) of {value:?}"
        );
    }
}

#[test]
fn every_edge_string_is_written_as_serde_writes_it() {
    let long = long_strings();
    let strings = EDGE_STRINGS
        .iter()
        .map(|text| (*text).to_owned())
        .chain(long);
    for text in strings {
        assert_same(&json!(text));
        assert_same(&json!({ "key": text }));
        assert_same(&json!({ text.clone(): text }));
        assert_same(&json!([text, [text], { "a": text }]));
        assert_same(&json!({ "a": [{ text.clone(): [text] }] }));
    }
}

#[test]
fn every_character_below_u_0100_is_escaped_as_serde_escapes_it() {
    for code in 0..0x100 {
        let character = char::from_u32(code).expect("a character");
        let text = format!("a{character}b");
        assert_same(&json!({ text.clone(): text }));
        assert_same(&json!(character.to_string()));
    }
}

#[test]
fn scalars_and_empty_collections_in_every_position_are_written_as_serde_writes_them() {
    let scalars = [
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.0),
        json!(1e300),
        json!(-2.5e-8),
        json!({}),
        json!([]),
        json!([[]]),
        json!([{}]),
        json!({ "a": {} }),
        json!({ "a": [] }),
        json!([[[]], [{}], {}]),
    ];
    for scalar in scalars {
        assert_same(&scalar);
        assert_same(&json!({ "k": scalar }));
        assert_same(&json!([scalar, scalar]));
        assert_same(&json!([[scalar, scalar], [scalar]]));
        assert_same(&json!([{ "k": scalar, "l": [scalar] }]));
        assert_same(&json!({ "k": [[scalar], { "m": scalar }] }));
    }
}

#[test]
fn generated_values_are_written_as_serde_writes_them() {
    let long = long_strings();
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let depth = random.below(5);
        assert_same(&random.value(depth, &long));
    }
}

/// Every artifact of `source` for each target it checks clean for, rendered by the writers
/// and by the serde route; returns how many were compared.
fn assert_artifacts_same(name: &str, source: &str) -> usize {
    let mut compared = 0;
    for target in [
        None,
        Some(Target::Ecs),
        Some(Target::Fargate),
        Some(Target::Eks),
    ] {
        let options = Options {
            target,
            ..Options::default()
        };
        let Some(workspace) = check(source, &options).workspace else {
            continue;
        };
        for format in [TemplateFormat::Json, TemplateFormat::Yaml] {
            let Ok(written) = emit(&workspace, format) else {
                continue;
            };
            let reference = with_reference(|| emit(&workspace, format)).expect("emits again");
            assert_eq!(written.files.len(), reference.files.len());
            for (file, expected) in written.files.iter().zip(&reference.files) {
                assert_eq!(file.path, expected.path);
                assert!(
                    file.content == expected.content,
                    "{name} ({target:?}, {format:?}): `{}` differs from the serde route",
                    file.path
                );
                compared += 1;
            }
        }
    }
    compared
}

/// The `berth.kdl` of every directory under `directory`.
fn workspace_files(directory: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("the directory exists")
        .filter_map(|entry| Some(entry.ok()?.path().join("berth.kdl")))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_artifact_of_the_examples_and_fixtures_is_written_as_serde_writes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = workspace_files(&root.join("examples"));
    files.extend(workspace_files(&root.join("tests/fixtures")));
    assert!(
        files.len() > 20,
        "examples and fixtures found: {}",
        files.len()
    );
    let mut compared = 0;
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        compared += assert_artifacts_same(&path.display().to_string(), &source);
    }
    assert!(compared > 200, "artifacts compared: {compared}");
}

#[test]
fn every_artifact_of_generated_workspaces_is_written_as_serde_writes_it() {
    for target in ["ecs", "fargate", "eks"] {
        let source =
            berth_bench::generate::workspace(berth_bench::generate::Shape::new(40, target));
        let compared = assert_artifacts_same(target, &source);
        assert!(compared > 40, "{target}: artifacts compared: {compared}");
    }
}
