//! No panic on any input: at least 10,000 mutated and random documents, seeded from the examples
//! and fixtures, go through `check` (and `fmt`), and each run ends in success or diagnostics
//! whose positions lie inside the document.

use std::panic::{AssertUnwindSafe, catch_unwind};

use berth_compiler::model::Target;
use berth_compiler::{Options, check, format};
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

fn random_document(random: &mut Random) -> String {
    (0..random.below(40))
        .map(|_| TOKENS[random.below(TOKENS.len())])
        .collect::<Vec<_>>()
        .join(if random.below(2) == 0 { " " } else { "" })
}

#[test]
fn ten_thousand_mutated_documents_never_panic() {
    let mut seeds: Vec<String> = Vec::new();
    for directory in ["examples", "tests/fixtures"] {
        for case in cases(directory) {
            seeds.push(fs_err::read_to_string(case.join("berth.kdl")).expect("readable"));
        }
    }
    assert!(!seeds.is_empty(), "no seeds under {}", root().display());
    let mut random = Random(0x5EED_BE27_0000_0001);
    let targets = [
        None,
        Some(Target::Ecs),
        Some(Target::Fargate),
        Some(Target::Eks),
    ];
    let runs = 10_000;
    for run in 0..runs {
        let document = if run % 5 == 4 {
            random_document(&mut random)
        } else {
            mutate(&seeds[run % seeds.len()], &mut random)
        };
        let options = Options {
            environment: (run % 7 == 0).then(|| "prod".to_owned()),
            target: targets[run % targets.len()],
            ..Options::default()
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
            let _ = format(&document);
        }));
        assert!(outcome.is_ok(), "run {run} panicked on:\n{document}");
    }
}
