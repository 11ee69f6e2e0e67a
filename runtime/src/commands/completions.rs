//! `berth completions SHELL`: the completion script clap derives from the command line.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::stdio;

/// Prints the completion script for the chosen shell.
pub fn run(args: &CompletionsArgs) -> u8 {
    let mut script = Vec::new();
    // Generated into memory first: clap_complete panics when its writer fails.
    clap_complete::generate(args.shell, &mut Cli::command(), "berth", &mut script);
    stdio::print(&String::from_utf8_lossy(&script))
}
