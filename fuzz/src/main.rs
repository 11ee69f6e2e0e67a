//! `berth-fuzz`: runs the fuzz targets for a while and saves every failing input.
//!
//! ```text
//! berth-fuzz [--target parse-check|check-build|all] [--seconds N] [--runs N] [--seed N]
//!            [--crashes DIR] [--root DIR]
//! berth-fuzz --replay FILE...
//! ```
//!
//! The driver runs each target in a worker process (this binary with `--worker`), which announces
//! every case before running it. A panic or broken invariant is reported by the worker; an abort
//! (a stack overflow) ends the worker, and the driver rebuilds the last announced input, saves it
//! and starts a new worker after it. Exit status 1 when anything failed.

use std::io::{BufRead as _, BufReader, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_compiler::Options;
use berth_fuzz::cases::{Case, Target, case, regressions, seeds};
use berth_fuzz::invariants::{Failure, Outcome, parse_check};
use berth_fuzz::process::{berth_binary, builds_are_identical};

/// One in this many clean documents is also built by the binary, twice.
const PROCESS_EVERY: u64 = 25;

struct Settings {
    targets: Vec<Target>,
    seconds: Option<u64>,
    runs: Option<u64>,
    seed: u64,
    crashes: PathBuf,
    root: PathBuf,
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.first().map(String::as_str) == Some("--worker") {
        return worker(&arguments[1..]);
    }
    if arguments.first().map(String::as_str) == Some("--replay") {
        return replay(&arguments[1..]);
    }
    let settings = match settings(&arguments) {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!(
                "error: {problem}\nusage: berth-fuzz [--target parse-check|check-build|all] [--seconds N] [--runs N] [--seed N] [--crashes DIR] [--root DIR]\n       berth-fuzz --replay FILE..."
            );
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for target in &settings.targets {
        failed |= drive(*target, &settings);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn settings(arguments: &[String]) -> Result<Settings, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut settings = Settings {
        targets: Target::ALL.to_vec(),
        seconds: None,
        runs: None,
        seed: 1,
        crashes: root.join("target/fuzz-crashes"),
        root,
    };
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or(format!("{argument} needs a value"))
        };
        let number = |text: String| {
            text.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{text}` is not a number"))
        };
        match argument.as_str() {
            "--target" => {
                let name = value()?;
                settings.targets = if name == "all" {
                    Target::ALL.to_vec()
                } else {
                    vec![Target::from_name(&name).ok_or(format!("no target `{name}`"))?]
                };
            }
            "--seconds" => settings.seconds = Some(number(value()?)?),
            "--runs" => settings.runs = Some(number(value()?)?),
            "--seed" => settings.seed = number(value()?)?,
            "--crashes" => settings.crashes = PathBuf::from(value()?),
            "--root" => settings.root = PathBuf::from(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if settings.seconds.is_none() && settings.runs.is_none() {
        settings.seconds = Some(60);
    }
    Ok(settings)
}

/// Runs one target until its time or runs are up; returns whether anything failed.
fn drive(target: Target, settings: &Settings) -> bool {
    let seeds = seeds(&settings.root);
    let started = Instant::now();
    let deadline = settings
        .seconds
        .map(|seconds| started + Duration::from_secs(seconds));
    let mut next = 0;
    let mut failures = 0;
    let mut counts = [0_u64; 4];
    let Ok(executable) = std::env::current_exe() else {
        eprintln!("error: cannot find this executable");
        return true;
    };
    'workers: loop {
        let mut worker = match Command::new(&executable)
            .arg("--worker")
            .arg(target.name())
            .arg(settings.seed.to_string())
            .arg(next.to_string())
            .arg(settings.root.as_os_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(worker) => worker,
            Err(error) => {
                eprintln!("error: starting a worker: {error}");
                return true;
            }
        };
        let Some(stdout) = worker.stdout.take() else {
            return true;
        };
        let mut current = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut words = line.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("case"), Some(index), _) => {
                    let index: u64 = index.parse().unwrap_or(next);
                    let done = settings.runs.is_some_and(|runs| index >= runs)
                        || deadline.is_some_and(|deadline| Instant::now() >= deadline);
                    if done {
                        let _ = worker.kill();
                        let _ = worker.wait();
                        next = index;
                        break 'workers;
                    }
                    current = Some(index);
                }
                (Some("outcome"), Some(kind), _) => {
                    if let Ok(kind) = kind.parse::<usize>() {
                        counts[kind.min(3)] += 1;
                    }
                }
                (Some("failure"), Some(index), message) => {
                    let index = index.parse().unwrap_or(next);
                    failures += 1;
                    save(
                        target,
                        settings,
                        &seeds,
                        index,
                        message.unwrap_or("failure"),
                    );
                }
                _ => {}
            }
        }
        let status = worker.wait();
        match current {
            Some(index) => {
                failures += 1;
                let how =
                    status.map_or_else(|error| error.to_string(), |status| status.to_string());
                save(
                    target,
                    settings,
                    &seeds,
                    index,
                    &format!("the worker died: {how}"),
                );
                next = index + 1;
            }
            None => break,
        }
    }
    let [syntax, invalid, built, skipped] = counts;
    println!(
        "{}: {next} cases in {:.0?} ({syntax} syntax errors, {invalid} invalid, {built} built, {skipped} skipped); {failures} failures",
        target.name(),
        started.elapsed()
    );
    failures > 0
}

/// Saves the input of a failed case with the failure as a comment beside it.
fn save(target: Target, settings: &Settings, seeds: &[String], index: u64, message: &str) {
    let case = case(target, settings.seed, index, seeds);
    let name = format!("{}-{}-{index}", target.name(), settings.seed);
    let _ = fs_err::create_dir_all(&settings.crashes);
    let file = settings.crashes.join(format!("{name}.kdl"));
    let _ = fs_err::write(&file, &case.source);
    let _ = fs_err::write(
        settings.crashes.join(format!("{name}.txt")),
        format!("{message}\noptions: {:?}\n", case.options),
    );
    let first_line = message.lines().next().unwrap_or_default();
    println!(
        "FAILURE {} case {index}: {first_line}\n  saved {}",
        target.name(),
        file.display()
    );
}

/// `--worker TARGET SEED START ROOT`: runs cases from START on, announcing each on stdout.
fn worker(arguments: &[String]) -> ExitCode {
    let (Some(target), Some(seed), Some(start), Some(root)) = (
        arguments.first().and_then(|name| Target::from_name(name)),
        arguments.get(1).and_then(|seed| seed.parse::<u64>().ok()),
        arguments.get(2).and_then(|start| start.parse::<u64>().ok()),
        arguments.get(3),
    ) else {
        return ExitCode::from(2);
    };
    let seeds = seeds(Path::new(root));
    let berth = berth_binary();
    let panic_message = quiet_panics();
    let mut stdout = std::io::stdout().lock();
    let mut built = 0_u64;
    for index in start.. {
        if writeln!(stdout, "case {index}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::SUCCESS;
        }
        let case = case(target, seed, index, &seeds);
        let result = catch_unwind(AssertUnwindSafe(|| {
            run(target, &case, berth.as_deref(), &mut built)
        }));
        let report = match result {
            Ok(Ok(outcome)) => format!("outcome {}", outcome.map_or(3, |outcome| outcome as usize)),
            Ok(Err(failure)) => format!("failure {index} {}", failure.0.replace('\n', " | ")),
            Err(_) => {
                let message = panic_message
                    .lock()
                    .map(|message| message.clone())
                    .unwrap_or_default();
                format!("failure {index} panic: {}", message.replace('\n', " | "))
            }
        };
        if writeln!(stdout, "{report}").is_err() {
            return ExitCode::SUCCESS;
        }
    }
    ExitCode::SUCCESS
}

/// Runs one case; `None` when the check-build target skips a document that is not clean.
fn run(
    target: Target,
    case: &Case,
    berth: Option<&Path>,
    built: &mut u64,
) -> Result<Option<Outcome>, Failure> {
    if target == Target::CheckBuild {
        let checked = berth_compiler::check(&case.source, &case.options);
        if checked.workspace.is_none() {
            return Ok(None);
        }
        *built += 1;
        if let Some(berth) = berth
            && built.is_multiple_of(PROCESS_EVERY)
        {
            builds_are_identical(berth, &case.source, &flags(&case.options))?;
        }
    }
    parse_check(&case.source, &case.options).map(Some)
}

/// The command-line flags that give the binary `options`.
fn flags(options: &Options) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(environment) = &options.environment {
        flags.extend(["--env".to_owned(), environment.clone()]);
    }
    if let Some(target) = options.target {
        flags.extend(["--target".to_owned(), target.name().to_owned()]);
    }
    if let Some(region) = &options.region {
        flags.extend(["--region".to_owned(), region.clone()]);
    }
    for (key, value) in &options.vars {
        flags.extend(["--var".to_owned(), format!("{key}={value}")]);
    }
    flags
}

/// Replaces the panic hook with one that records the message instead of printing it.
fn quiet_panics() -> Arc<Mutex<String>> {
    let message = Arc::new(Mutex::new(String::new()));
    let recorder = Arc::clone(&message);
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut message) = recorder.lock() {
            *message = info.to_string();
        }
    }));
    message
}

/// `--replay FILE...`: every invariant on each file, with each target and environment.
fn replay(files: &[String]) -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files: Vec<PathBuf> = if files.is_empty() {
        regressions(&root)
    } else {
        files.iter().map(PathBuf::from).collect()
    };
    let mut failed = false;
    for file in files {
        let Ok(source) = fs_err::read_to_string(&file) else {
            eprintln!("error: cannot read {}", file.display());
            failed = true;
            continue;
        };
        for options in replay_options() {
            let result = catch_unwind(AssertUnwindSafe(|| parse_check(&source, &options)));
            match result {
                Ok(Ok(_)) => {}
                Ok(Err(failure)) => {
                    failed = true;
                    println!("FAILURE {} {options:?}: {failure}", file.display());
                }
                Err(_) => {
                    failed = true;
                    println!("PANIC {} {options:?}", file.display());
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The option sets a saved input is replayed with.
pub fn replay_options() -> Vec<Options> {
    use berth_compiler::model::Target as Backend;
    let mut all = Vec::new();
    for target in [
        None,
        Some(Backend::Ecs),
        Some(Backend::Fargate),
        Some(Backend::Eks),
    ] {
        for environment in [None, Some("prod".to_owned())] {
            all.push(Options {
                environment,
                target,
                ..Options::default()
            });
        }
    }
    all
}
