//! Scale tooling for berth, kept out of the compiler and the binary:
//!
//! - [`generate`]: realistic workspaces of any size, the input of every scale benchmark
//!   (`berth-generate N` writes one).

pub mod generate;
