//! Mutations of seed documents: token insertions from a dictionary of berth and KDL syntax,
//! deletions, duplications, splices between seeds, and the shapes that broke berth before
//! (deep nesting, very long lines, many expressions in one string, line breaks of every kind,
//! trailing white space inside multi-line strings).

use crate::random::Random;

/// Fragments of the language and of KDL that mutations insert.
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
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "\u{b}",
    "\u{c}",
    " ",
    "\t",
    "{{",
    "}}",
    "{{tag}}",
    "{{env}}",
    "{{nope}}",
    "{{ region }}",
    "\\{{tag}}",
    "/-",
    "//",
    "/*",
    "*/",
    "\\",
    "\\\n",
    "service",
    "worker",
    "job",
    "workspace",
    "environment",
    "vars",
    "env",
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
    "tags",
    "network",
    "domain",
    "eks",
    "ecs",
    "nodegroup",
    "public #true",
    "path \"/x\"",
    "min=",
    "max=",
    "from=",
    "key=",
    "resource=",
    "path=",
    "repository=",
    "tag=",
    "\"ssm:/x\"",
    "\"secretsmanager:a/b\"",
    "\"0 3 * * *\"",
    "\"0.5 vCPU\"",
    "\"1GiB\"",
    "\"10s\"",
    "99999999999999999999999",
    "-1",
    "0",
    "65535",
    "1.5",
    "é",
    "\u{0}",
    "\u{feff}",
    "r#\"",
    "#\"",
    "\"#",
    "##\"",
    "(t)",
    "\"a\"",
    "x=1",
    "\"\"\"\n",
    "\n\"\"\"",
    "   \n",
    "0x",
    "1e999",
    "#inf",
    "#nan",
    "\"web\"",
    "\"api\"",
    "\"platform\"",
    "8080",
];

/// A mutated copy of one of `seeds`.
pub fn mutate(seeds: &[String], random: &mut Random) -> String {
    let seed = random.pick(seeds);
    let mut text: Vec<char> = seed.chars().collect();
    let rounds = 1 + random.below(8);
    for _ in 0..rounds {
        let position = random.below(text.len() + 1);
        match random.below(14) {
            0 if !text.is_empty() => {
                let end = (position + 1 + random.below(24)).min(text.len());
                text.drain(position.min(end)..end);
            }
            1..=4 => {
                let token = *random.pick(TOKENS);
                insert(&mut text, position, token);
            }
            5 if !text.is_empty() => {
                // Duplicate a range somewhere else.
                let start = random.below(text.len());
                let end = (start + 1 + random.below(200)).min(text.len());
                let copy: Vec<char> = text[start..end].to_vec();
                let at = random.below(text.len() + 1);
                text.splice(at..at, copy);
            }
            6 => {
                // Splice in a piece of another seed.
                let other: Vec<char> = random.pick(seeds).chars().collect();
                if !other.is_empty() {
                    let start = random.below(other.len());
                    let end = (start + 1 + random.below(400)).min(other.len());
                    text.splice(position..position, other[start..end].iter().copied());
                }
            }
            7 => text.truncate(position),
            8 if random.one_in(4) => {
                // Deep nesting.
                let depth = 1 + random.below(200);
                let nested = format!("{}{}", "x {".repeat(depth), "}".repeat(depth));
                insert(&mut text, position, &nested);
            }
            9 if random.one_in(4) => {
                // A long line.
                let filler = if random.one_in(2) { " " } else { "\t" };
                insert(
                    &mut text,
                    position,
                    &filler.repeat(1 + random.below(70_000)),
                );
            }
            10 if random.one_in(3) => {
                let count = 1 + random.below(300);
                insert(&mut text, position, &"{{tag}}".repeat(count));
            }
            11 => {
                // Turn line breaks into another kind.
                let replacement = *random.pick(&["\r", "\r\n", "\r\r\n", "\u{85}", "\u{2028}"]);
                let joined: String = text.iter().collect();
                text = joined.replace('\n', replacement).chars().collect();
            }
            12 => {
                let string = format!(
                    "\"\"\"\n{}hello{}\n{}\"\"\"",
                    "  ".repeat(random.below(3)),
                    " ".repeat(random.below(4)),
                    "  ".repeat(random.below(3))
                );
                insert(&mut text, position, &string);
            }
            _ => {
                let character = char::from_u32(u32::try_from(random.below(0x3000)).unwrap_or(32))
                    .unwrap_or(' ');
                text.insert(position, character);
            }
        }
    }
    text.into_iter().collect()
}

/// A document of random tokens.
pub fn tokens(random: &mut Random) -> String {
    let separator = if random.one_in(2) { " " } else { "" };
    (0..random.below(60))
        .map(|_| *random.pick(TOKENS))
        .collect::<Vec<_>>()
        .join(separator)
}

fn insert(text: &mut Vec<char>, position: usize, token: &str) {
    let position = position.min(text.len());
    text.splice(position..position, token.chars());
}
