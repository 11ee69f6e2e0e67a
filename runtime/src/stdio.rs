//! Writing to standard output and standard error without ever panicking.
//!
//! Rust ignores `SIGPIPE`, so `println!` panics (exit 101) when the reader has gone away, as in
//! `berth schema | head -1`. Every command writes through these functions instead: a closed
//! stream ends the output quietly and leaves the exit code to the command, like `cat` and `git`
//! do; any other failure to write standard output is reported on standard error.

use std::io::{self, Write};

use crate::{EXIT_OK, EXIT_USAGE};

/// Writes `text` to standard output. Returns [`EXIT_OK`] when it was written or the reader has
/// closed the pipe, and [`EXIT_USAGE`] (after saying why on standard error) when it could not be
/// written for another reason, such as a full disk.
pub fn print(text: &str) -> u8 {
    match write_all(&mut io::stdout().lock(), text) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprint(&format!(
                "error: cannot write to standard output: {error}\n"
            ));
            EXIT_USAGE
        }
    }
}

/// Writes `text` to standard error; nothing can be said about a failure there, so none is.
pub fn eprint(text: &str) {
    let _ = write_all(&mut io::stderr().lock(), text);
}

/// Writes `text` and a newline to standard error.
pub fn eprintln(text: &str) {
    eprint(&format!("{text}\n"));
}

/// Writes and flushes `text`; a closed pipe counts as written.
fn write_all(stream: &mut impl Write, text: &str) -> io::Result<()> {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("no space left on device"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_counts_as_written_and_other_failures_do_not() {
        assert!(write_all(&mut Closed, "text").is_ok());
        assert!(write_all(&mut Full, "text").is_err());
    }
}
