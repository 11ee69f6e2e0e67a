//! Benchmark: `check` and `build` of generated workspaces at 10 to 10,000 workloads, for every
//! target, in process and as a whole `berth` process, with peak memory. It prints the time per
//! workload at each size, so a quadratic step shows as a per-workload time that grows with N;
//! `--check-linear` fails when the whole run at the largest size takes more than 12 times the
//! size ten times smaller.
//!
//! ```text
//! cargo bench -p berth --bench scale -- [--sizes 10,100,1000,10000] [--targets ecs,fargate,eks]
//!                                       [--repeat 3] [--check-linear]
//! ```
//!
//! `--test` (what `.ci/run` passes, like criterion's) runs the setup once: every target and verb
//! at 10 workloads, one repeat, so a generated workspace that stopped checking clean fails CI.
//!
//! Columns: `parse` is the `kdl` crate's parse of the file (in process) and its cost per KDL
//! node; `own` is berth's own work in process (lowering, checks, every environment, emitting,
//! rendering, writing files), that is the command minus the parse; `whole` is a new `berth`
//! process, from start to exit, with its peak resident memory; `w/parse` is the ratio the
//! performance goals bound.
//!
//! Times are CPU time (user + system, every thread) unless the column says `wall`: on a shared
//! machine the wall time is mostly waiting for a core, while the CPU time is the work done and
//! varies far less. Each figure is the median of `--repeat` runs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use berth::output::write_build;
use berth::report::{Style, render_check};
use berth_bench::generate::{Shape, workspace};
use berth_compiler::emit::{TemplateFormat, emit};
use berth_compiler::{Options, check, check_environments, parse};

/// The two commands measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Check,
    Build,
}

impl Verb {
    const fn name(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Build => "build",
        }
    }
}

struct Settings {
    sizes: Vec<usize>,
    targets: Vec<&'static str>,
    repeat: usize,
    check_linear: bool,
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.first().map(String::as_str) == Some("--measure-one") {
        return measure_one(&arguments[1..]);
    }
    let settings = match settings(&arguments) {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::from(2);
        }
    };
    let scratch = match tempfile::tempdir() {
        Ok(scratch) => scratch,
        Err(error) => {
            eprintln!("error: temporary directory: {error}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{:<8} {:<6} {:>6} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "target",
        "verb",
        "N",
        "parse ms",
        "µs/node",
        "own ms",
        "own µs/wl",
        "whole ms",
        "whole µs/wl",
        "wall ms",
        "peak MiB",
        "w/parse"
    );
    let mut linear = true;
    for target in &settings.targets {
        for verb in [Verb::Check, Verb::Build] {
            let mut wholes: Vec<(usize, Duration)> = Vec::new();
            for &size in &settings.sizes {
                let row = measure(&settings, scratch.path(), target, verb, size);
                println!(
                    "{:<8} {:<6} {:>6} {:>9.1} {:>8.2} {:>9.1} {:>9.1} {:>9.1} {:>11.1} {:>9.1} {:>8.1} {:>7.2}",
                    target,
                    verb.name(),
                    size,
                    milliseconds(row.parse),
                    per(row.parse, row.nodes),
                    milliseconds(row.own),
                    per(row.own, size),
                    milliseconds(row.whole),
                    per(row.whole, size),
                    milliseconds(row.whole_wall),
                    f64::from(u32::try_from(row.peak_kib).unwrap_or(u32::MAX)) / 1024.0,
                    row.whole.as_secs_f64() / row.parse.as_secs_f64(),
                );
                wholes.push((size, row.whole));
            }
            for pair in wholes.windows(2) {
                let [(small, small_time), (large, large_time)] = pair else {
                    continue;
                };
                if *large == small * 10
                    && large_time.as_secs_f64() > 12.0 * small_time.as_secs_f64()
                {
                    linear = false;
                    println!(
                        "NOT LINEAR: {target} {} at {large} took {:.1}x the CPU time at {small}",
                        verb.name(),
                        large_time.as_secs_f64() / small_time.as_secs_f64()
                    );
                }
            }
        }
    }
    if settings.check_linear && !linear {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn settings(arguments: &[String]) -> Result<Settings, String> {
    let mut settings = Settings {
        sizes: vec![10, 100, 1000, 10_000],
        targets: vec!["ecs", "fargate", "eks"],
        repeat: 3,
        check_linear: false,
    };
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        match argument.as_str() {
            "--sizes" => {
                let list = rest.next().ok_or("--sizes needs a list")?;
                settings.sizes = list
                    .split(',')
                    .map(|size| {
                        size.replace('_', "")
                            .parse::<usize>()
                            .map_err(|_| format!("`{size}` is not a size"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--targets" => {
                let list = rest.next().ok_or("--targets needs a list")?;
                settings.targets = list
                    .split(',')
                    .map(|target| match target {
                        "ecs" => Ok("ecs"),
                        "fargate" => Ok("fargate"),
                        "eks" => Ok("eks"),
                        other => Err(format!("no target `{other}`")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--repeat" => {
                settings.repeat = rest
                    .next()
                    .and_then(|count| count.parse().ok())
                    .filter(|count| *count > 0)
                    .ok_or("--repeat needs a positive number")?;
            }
            "--check-linear" => settings.check_linear = true,
            "--test" => {
                settings.sizes = vec![10];
                settings.repeat = 1;
            }
            // cargo bench passes --bench; criterion-style filters are not used here.
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(settings)
}

/// One line of the table: CPU time medians over the repeats, the whole run's wall time, and
/// the largest peak memory.
struct Row {
    nodes: usize,
    parse: Duration,
    own: Duration,
    whole: Duration,
    whole_wall: Duration,
    peak_kib: u64,
}

fn measure(
    settings: &Settings,
    scratch: &Path,
    target: &'static str,
    verb: Verb,
    size: usize,
) -> Row {
    let source = workspace(Shape::new(size, target));
    let file = scratch.join(format!("{target}-{size}.kdl"));
    if let Err(error) = fs_err::write(&file, &source) {
        panic!("writing {}: {error}", file.display());
    }
    let document = parse(&source).expect("a generated workspace parses");
    let nodes = count_nodes(&document);
    drop(document);
    let repeat = if size >= 10_000 {
        settings.repeat.min(2)
    } else {
        settings.repeat
    };
    let mut parses = Vec::new();
    let mut commands = Vec::new();
    let mut wholes = Vec::new();
    let mut walls = Vec::new();
    let mut peak_kib = 0;
    let out = scratch.join(format!("out-{target}-{size}"));
    for _ in 0..repeat {
        let started = cpu_time();
        let document = parse(&source);
        parses.push(cpu_time().saturating_sub(started));
        drop(document);
        let started = cpu_time();
        in_process(&source, &file, &out, verb);
        commands.push(cpu_time().saturating_sub(started));
        let whole = whole_process(&file, &out, target, verb);
        wholes.push(whole.cpu);
        walls.push(whole.wall);
        peak_kib = peak_kib.max(whole.peak_kib);
    }
    let parse = median(&mut parses);
    Row {
        nodes,
        parse,
        own: median(&mut commands).saturating_sub(parse),
        whole: median(&mut wholes),
        whole_wall: median(&mut walls),
        peak_kib,
    }
}

/// The CPU time this process has used so far, every thread (the parser runs on its own).
fn cpu_time() -> Duration {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map_or(Duration::ZERO, |usage| {
            duration(usage.user_time()) + duration(usage.system_time())
        })
}

fn duration(time: nix::sys::time::TimeVal) -> Duration {
    Duration::from_secs(u64::try_from(time.tv_sec()).unwrap_or(0))
        + Duration::from_micros(u64::try_from(time.tv_usec()).unwrap_or(0))
}

/// One `berth` process: its wall time, CPU time and peak resident memory.
struct Whole {
    wall: Duration,
    cpu: Duration,
    peak_kib: u64,
}

/// What the command does, in this process: check every environment and render the report; or
/// check, emit and write the build directory.
fn in_process(source: &str, file: &Path, out: &Path, verb: Verb) {
    let options = Options::default();
    match verb {
        Verb::Check => {
            let report = check_environments(source, &options);
            let rendered =
                render_check(&report, &file.display().to_string(), source, Style::plain());
            std::hint::black_box(rendered);
        }
        Verb::Build => {
            let checked = check(source, &options);
            let rendered = berth::report::render_human(
                &checked.diagnostics,
                &file.display().to_string(),
                source,
                Style::plain(),
            );
            std::hint::black_box(rendered);
            let workspace = checked.workspace.expect("a generated workspace is valid");
            let artifacts = emit(&workspace, TemplateFormat::Json).expect("emits");
            write_build(out, &artifacts, &artifacts.manifest.to_json()).expect("writes");
        }
    }
}

/// Runs `berth` once through a fresh copy of this program, so the CPU time and peak memory
/// reported are the `berth` process's alone.
fn whole_process(file: &Path, out: &Path, target: &str, verb: Verb) -> Whole {
    let output = Command::new(std::env::current_exe().expect("this executable"))
        .arg("--measure-one")
        .arg(env!("CARGO_BIN_EXE_berth"))
        .arg(verb.name())
        .arg(file)
        .arg("--target")
        .arg(target)
        .args(match verb {
            Verb::Check => Vec::new(),
            Verb::Build => vec![PathBuf::from("--out"), out.to_path_buf()],
        })
        .stderr(Stdio::inherit())
        .output()
        .expect("the measuring process runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let mut number = || -> u64 { words.next().and_then(|word| word.parse().ok()).unwrap_or(0) };
    let wall = Duration::from_nanos(number());
    let cpu = Duration::from_micros(number());
    let peak_kib = number();
    assert!(
        output.status.success(),
        "berth {} {} failed",
        verb.name(),
        file.display()
    );
    Whole {
        wall,
        cpu,
        peak_kib,
    }
}

/// `--measure-one BERTH ARGS…`: runs `berth` and prints its wall time (ns), CPU time (µs) and
/// peak resident memory (KiB); exits non-zero when `berth` did not exit 0.
fn measure_one(arguments: &[String]) -> ExitCode {
    let Some((berth, rest)) = arguments.split_first() else {
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let status = Command::new(berth)
        .args(rest)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let elapsed = started.elapsed();
    let (cpu, peak) = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_or((Duration::ZERO, 0), |usage| {
            (
                duration(usage.user_time()) + duration(usage.system_time()),
                usage.max_rss(),
            )
        });
    println!("{} {} {peak}", elapsed.as_nanos(), cpu.as_micros());
    if status.is_ok_and(|status| status.success()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn count_nodes(document: &kdl::KdlDocument) -> usize {
    document
        .nodes()
        .iter()
        .map(|node| 1 + node.children().map_or(0, count_nodes))
        .sum()
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Microseconds per item.
fn per(duration: Duration, count: usize) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
        / f64::from(u32::try_from(count.max(1)).unwrap_or(u32::MAX))
}
