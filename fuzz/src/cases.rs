//! The input of every case: a pure function of the target, the run's seed, the case's index and
//! the seed documents, so the driver can rebuild the input of a case that killed its worker.

use std::path::{Path, PathBuf};

use arbitrary::Unstructured;
use berth_compiler::Options;
use berth_compiler::model::Target as Backend;

use crate::random::Random;
use crate::{generate, mutate};

/// A fuzz target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Any text through parse, check, rendering and fmt.
    ParseCheck,
    /// Documents that check clean through build (in process, and every so often with the
    /// binary from two directories).
    CheckBuild,
}

impl Target {
    /// Every target.
    pub const ALL: [Self; 2] = [Self::ParseCheck, Self::CheckBuild];

    /// The name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ParseCheck => "parse-check",
            Self::CheckBuild => "check-build",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|target| target.name() == name)
    }
}

/// One input.
#[derive(Clone, Debug)]
pub struct Case {
    /// The document.
    pub source: String,
    /// The command-line options it is checked with.
    pub options: Options,
}

/// The seed documents: every example, fixture and past crash under `root`.
pub fn seeds(root: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for directory in ["examples", "tests/fixtures"] {
        if let Ok(entries) = fs_err::read_dir(root.join(directory)) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path().join("berth.kdl")),
            );
        }
    }
    files.extend(regressions(root));
    files.sort();
    files
        .iter()
        .filter_map(|file| fs_err::read_to_string(file).ok())
        .collect()
}

/// The saved inputs of past failures, `fuzz/regressions/*.kdl`.
pub fn regressions(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(root.join("fuzz/regressions"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|extension| extension == "kdl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Case `index` of the run of `target` seeded with `seed`.
pub fn case(target: Target, seed: u64, index: u64, seeds: &[String]) -> Case {
    let mut random = Random::for_case(seed ^ target as u64, index);
    let source = match target {
        Target::ParseCheck => match random.below(20) {
            0..=10 if !seeds.is_empty() => mutate::mutate(seeds, &mut random),
            11..=13 => mutate::tokens(&mut random),
            14..=16 if !seeds.is_empty() => {
                let generated = generated(&mut random);
                mutate::mutate(&[generated], &mut random)
            }
            _ => generated(&mut random),
        },
        Target::CheckBuild => {
            if random.one_in(5) && !seeds.is_empty() {
                random.pick(seeds).clone()
            } else {
                generated(&mut random)
            }
        }
    };
    let options = Options {
        environment: match random.below(6) {
            0 => Some("prod".to_owned()),
            1 => Some("staging".to_owned()),
            _ => None,
        },
        target: match random.below(5) {
            0 => Some(Backend::Ecs),
            1 => Some(Backend::Fargate),
            2 => Some(Backend::Eks),
            _ => None,
        },
        vars: if random.one_in(8) {
            vec![("tag".to_owned(), "9.9.9-rc.1".to_owned())]
        } else {
            Vec::new()
        },
        region: random.one_in(10).then(|| "us-west-2".to_owned()),
        default_region: random.one_in(10).then(|| "eu-north-1".to_owned()),
        today: None,
    };
    Case { source, options }
}

fn generated(random: &mut Random) -> String {
    let bytes = random.bytes(2048);
    let mut input = Unstructured::new(&bytes);
    generate::workspace(&mut input).unwrap_or_default()
}
