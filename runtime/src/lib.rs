//! The berth runtime: everything that touches the outside world — files, the terminal and, in
//! later stages, AWS — around the pure [`berth_compiler`] pipeline.
//!
//! - [`cli`]: the command line (clap), with an example in every command's help.
//! - [`report`]: rendering diagnostics for people (miette) and machines (JSON).
//! - [`commands`]: one module per command; each returns the process exit code.
//! - [`output`]: the build directory, written whole and never over files berth did not write.
//! - [`aws`]: AWS access (credentials, region, endpoint, retries) and its errors, for every
//!   command that talks to AWS.
//! - [`deploy`]: the deploy engine behind `plan`, `deploy`, `status` and `destroy`.
//! - [`ecs_import`]: reading an ECS cluster's services and load balancer routes for `import ecs`.
//! - [`stdio`]: standard output and error, where a closed pipe ends output quietly.
//! - [`kubernetes`]: the cluster side of an `eks` deploy (connect, apply, wait, prune).

pub mod aws;
pub mod cli;
pub mod commands;
pub mod deploy;
pub mod ecs_import;
pub mod kubernetes;
pub mod output;
pub mod report;
pub mod stdio;

/// Exit code: success, warnings allowed.
pub const EXIT_OK: u8 = 0;
/// Exit code: the workspace is invalid (or, later, a deploy failed).
pub const EXIT_INVALID: u8 = 1;
/// Exit code: a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;
