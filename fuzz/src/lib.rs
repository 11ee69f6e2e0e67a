//! A fuzzer for berth that builds on stable Rust: no sanitizer coverage, but a mutation engine
//! seeded from the examples, the fixtures and every past crash, and a structured generator
//! driven by [`arbitrary`] that reaches emit.
//!
//! - [`cases`]: the deterministic input of case `n` of a run, for each target.
//! - [`mutate`] and [`generate`]: where inputs come from.
//! - [`invariants`]: what must hold for every input; [`process`]: what must hold for the binary.
//!
//! `berth-fuzz` (the binary) runs the targets in a child process, so an abort (a stack
//! overflow) is caught and its input saved as well as a panic or a broken invariant.

pub mod cases;
pub mod generate;
pub mod invariants;
pub mod mutate;
pub mod process;
pub mod random;
