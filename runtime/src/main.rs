//! The `berth` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = berth::cli::Cli::parse();
    ExitCode::from(berth::commands::run(cli))
}
