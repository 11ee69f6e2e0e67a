//! `berth-generate N [--target T]`: prints a generated workspace of N workloads, for measuring
//! berth (or anything else) at that size: `berth-generate 1000 > big.kdl && berth check big.kdl`.

use std::io::Write as _;
use std::process::ExitCode;

use berth_bench::generate::{Shape, workspace};

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut workloads = None;
    let mut target = "fargate";
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        match argument.as_str() {
            "--target" => match rest.next().map(String::as_str) {
                Some("ecs") => target = "ecs",
                Some("fargate") => target = "fargate",
                Some("eks") => target = "eks",
                _ => return usage("--target takes ecs, fargate or eks"),
            },
            "-h" | "--help" => {
                println!("usage: berth-generate N [--target ecs|fargate|eks]");
                return ExitCode::SUCCESS;
            }
            number => match number.replace('_', "").parse::<usize>() {
                Ok(count) => workloads = Some(count),
                Err(_) => return usage(&format!("`{number}` is not a number of workloads")),
            },
        }
    }
    let Some(workloads) = workloads else {
        return usage("give the number of workloads");
    };
    let text = workspace(Shape::new(workloads, target));
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\nusage: berth-generate N [--target ecs|fargate|eks]");
    ExitCode::from(2)
}
