//! No panic on any input: 10,000 mutated and random documents, seeded from the examples and
//! fixtures, go through `check`, and each run ends in success or diagnostics whose positions lie
//! inside the document. Every document that checks clean is built (emit must succeed), and
//! `fmt`'s output is idempotent and checks and builds to the same result as the original.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::model::Target;
use berth_compiler::{Checked, Options, check, format};
use berth_tests::{cases, root};

/// A small deterministic generator (xorshift64*), so a failure reproduces from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    ";",
    "\"",
    "=",
    "#true",
    "#false",
    "#null",
    "\n",
    " ",
    "{{",
    "}}",
    "{{tag}}",
    "{{nope}}",
    "/-",
    "//",
    "/*",
    "*/",
    "service",
    "worker",
    "job",
    "workspace",
    "environment",
    "port",
    "cpu",
    "memory",
    "replicas",
    "health",
    "secret",
    "image",
    "schedule",
    "depends-on",
    "sidecar",
    "volume",
    "role",
    "allow",
    "min=",
    "max=",
    "from=",
    "\"ssm:/x\"",
    "\"0 3 * * *\"",
    "\"0.5 vCPU\"",
    "\"1GiB\"",
    "\"10s\"",
    "99999999999999999999999",
    "-1",
    "0",
    "1.5",
    "é",
    "\u{0}",
    "\\",
    "r#\"",
    "\"#",
    "(t)",
    "\"a\"",
    "x=1",
    "\"\"\"",
    "0x",
    "1e999",
    "#inf",
    "#nan",
];

fn mutate(seed: &str, random: &mut Random) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for _ in 0..=random.below(6) {
        let position = random.below(text.len() + 1);
        match random.below(6) {
            0 if !text.is_empty() => {
                let end = (position + random.below(12)).min(text.len());
                text.drain(position.min(end)..end);
            }
            1 | 2 => {
                let token = TOKENS[random.below(TOKENS.len())];
                for (offset, character) in token.chars().enumerate() {
                    text.insert(position + offset, character);
                }
            }
            3 if !text.is_empty() => {
                let other = random.below(text.len());
                let last = text.len() - 1;
                text.swap(position.min(last), other);
            }
            4 => text.truncate(position),
            _ => {
                let character =
                    char::from_u32(u32::try_from(random.below(0x2FF)).unwrap_or(32)).unwrap_or(' ');
                text.insert(position, character);
            }
        }
    }
    text.into_iter().collect()
}

/// Changes only the layout of `seed`, line by line: indentation, blank lines, trailing comments
/// and comment lines — what a person's editing leaves. A valid seed stays valid, so these runs
/// exercise emit and fmt's promise to change nothing but layout.
fn relayout(seed: &str, random: &mut Random) -> String {
    const LAYOUT: &[&str] = &["", " ", "\t", "        ", "   \t "];
    let mut text = String::with_capacity(seed.len() * 2);
    let mut in_multiline = false;
    for line in seed.lines() {
        // Lines inside a multi-line string or block comment are content: leave them alone.
        let verbatim = in_multiline;
        in_multiline ^= line.matches("\"\"\"").count() % 2 == 1;
        if verbatim || in_multiline || line.contains("/*") || line.contains("*/") {
            text.push_str(line);
            text.push('\n');
            continue;
        }
        match random.below(8) {
            0 => text.push('\n'),
            1 => text.push_str("// a note { with } braces\n"),
            2 => text.push_str("/* a { block\n } comment */\n"),
            _ => {}
        }
        text.push_str(LAYOUT[random.below(LAYOUT.len())]);
        text.push_str(line.trim_start());
        if random.below(6) == 0 && !line.contains("//") && !line.trim_end().ends_with('\\') {
            text.push_str(" // trailing { note");
        }
        text.push_str(LAYOUT[random.below(LAYOUT.len())]);
        text.push('\n');
    }
    text
}

fn random_document(random: &mut Random) -> String {
    (0..random.below(40))
        .map(|_| TOKENS[random.below(TOKENS.len())])
        .collect::<Vec<_>>()
        .join(if random.below(2) == 0 { " " } else { "" })
}

/// What checking and building a document gives, positions aside: its [`outcome_of`] and, when
/// it is valid, what it [`built`].
type Expected = ((bool, Vec<String>), Option<Vec<(String, String)>>);

#[test]
fn ten_thousand_mutated_documents_never_panic() {
    let mut seeds: Vec<String> = Vec::new();
    for directory in ["examples", "tests/fixtures"] {
        for case in cases(directory) {
            seeds.push(fs_err::read_to_string(case.join("berth.kdl")).expect("readable"));
        }
    }
    assert!(!seeds.is_empty(), "no seeds under {}", root().display());
    let valid_seeds: Vec<usize> = (0..seeds.len())
        .filter(|index| {
            check(&seeds[*index], &Options::default())
                .workspace
                .is_some()
        })
        .collect();
    // What each valid seed gives with each run's options, computed once: a re-laid-out seed
    // must give exactly the same.
    let mut seed_results: HashMap<(usize, String), Expected> = HashMap::new();
    let mut random = Random(0x5EED_BE27_0000_0001);
    let targets = [
        None,
        Some(Target::Ecs),
        Some(Target::Fargate),
        Some(Target::Eks),
    ];
    let runs = 10_000;
    let mut valid = 0;
    for run in 0..runs {
        let options = Options {
            environment: (run % 7 == 0).then(|| "prod".to_owned()),
            target: targets[run % targets.len()],
            ..Options::default()
        };
        let (document, seed) = match run % 10 {
            4 | 9 => (random_document(&mut random), None),
            3 => {
                let seed = valid_seeds[random.below(valid_seeds.len())];
                (relayout(&seeds[seed], &mut random), Some(seed))
            }
            _ => (mutate(&seeds[run % seeds.len()], &mut random), None),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let checked = check(&document, &options);
            for diagnostic in &checked.diagnostics {
                for label in &diagnostic.labels {
                    assert!(
                        label.span.end() <= document.len(),
                        "label past the end: {diagnostic:?}"
                    );
                    assert!(
                        document.is_char_boundary(label.span.offset),
                        "label inside a character: {diagnostic:?}"
                    );
                }
            }
            assert!(
                checked.workspace.is_some() || checked.has_errors(),
                "no workspace and no error"
            );
            valid += usize::from(checked.workspace.is_some());
            let expected: Expected = match seed {
                // Layout changes nothing: the seed's own result, built once per options.
                Some(seed) => {
                    let key = (seed, format!("{options:?}"));
                    let expected = seed_results
                        .entry(key)
                        .or_insert_with(|| {
                            let original = check(&seeds[seed], &options);
                            (outcome_of(&original), built(&original))
                        })
                        .clone();
                    assert_eq!(
                        outcome_of(&checked),
                        expected.0,
                        "a change of layout changed the check"
                    );
                    expected
                }
                None => (outcome_of(&checked), built(&checked)),
            };
            match format(&document) {
                Ok(formatted) if formatted == document => {}
                Ok(formatted) => {
                    assert_eq!(
                        format(&formatted).as_ref(),
                        Ok(&formatted),
                        "fmt is not idempotent"
                    );
                    let again = check(&formatted, &options);
                    assert_eq!(
                        outcome_of(&again),
                        expected.0,
                        "the formatted document checks differently:\n{formatted}"
                    );
                    assert!(
                        built(&again) == expected.1,
                        "the formatted document builds differently:\n{formatted}"
                    );
                }
                Err(_) => assert!(
                    checked.has_errors(),
                    "fmt refused a document that checks clean"
                ),
            }
        }));
        assert!(outcome.is_ok(), "run {run} panicked on:\n{document}");
    }
    // The mutations must leave enough documents valid for the emit and fmt properties to bite.
    assert!(
        valid >= runs / 20,
        "only {valid} of {runs} documents were valid"
    );
}

/// What a check reports, without positions (which fmt's re-indentation moves): each
/// diagnostic's code, severity and message, and whether there is a workspace.
fn outcome_of(checked: &Checked) -> (bool, Vec<String>) {
    (
        checked.workspace.is_some(),
        checked
            .diagnostics
            .iter()
            .map(|diagnostic| {
                format!(
                    "{} {:?} {}",
                    diagnostic.code,
                    diagnostic.severity(),
                    diagnostic.message
                )
            })
            .collect(),
    )
}

/// The artifacts of a valid workspace (their paths and contents, and the manifest); emitting a
/// workspace that checked clean must succeed.
fn built(checked: &Checked) -> Option<Vec<(String, String)>> {
    let workspace = checked.workspace.as_ref()?;
    let artifacts = emit(workspace, TemplateFormat::Json)
        .unwrap_or_else(|error| panic!("a valid workspace does not emit: {error}"));
    let mut files: Vec<(String, String)> = artifacts
        .files
        .into_iter()
        .map(|artifact| (artifact.path, artifact.content))
        .collect();
    files.push(("manifest.json".to_owned(), artifacts.manifest.to_json()));
    Some(files)
}
