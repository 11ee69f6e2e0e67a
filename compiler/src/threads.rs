//! Work on another thread, with the same result as on this one: each helper falls back to
//! running the work here when the system starts no thread. The compiler itself does no I/O;
//! it (and the runtime) use a second core for independent work on large files.

use std::thread::{Builder, Scope};

/// Runs `work` on a thread `builder` makes, and waits for it; here when no thread starts. A
/// panic on the thread carries on here.
pub fn on_thread<T: Send>(builder: Builder, work: impl FnOnce() -> T + Send) -> T {
    let mut work = Some(work);
    let done =
        std::thread::scope(|scope| spawn(scope, builder, &mut work).map(|thread| join(thread)));
    finish(done.flatten(), work)
}

/// `here()` on this thread while `there()` runs on another; when `parallel` is false or no
/// thread starts, `there()` runs here after `here()`. The results are the same either way.
pub fn beside<A, B: Send>(
    parallel: bool,
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, B) {
    let mut there = Some(there);
    let (mine, theirs) = std::thread::scope(|scope| {
        let other = parallel
            .then(|| spawn(scope, beside_thread(), &mut there))
            .flatten();
        let mine = here();
        (mine, other.and_then(join))
    });
    (mine, finish(theirs, there))
}

/// `each` of `items`, in order, the second half on another thread when there are at least
/// [`MAP_BESIDE_FROM`] items (a large workspace's workloads: independent work).
pub fn map_halves<T: Sync, R: Send>(items: &[T], each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let (first, second) = items.split_at(items.len() / 2);
    let (mut mapped, rest) = beside(
        items.len() >= MAP_BESIDE_FROM,
        || first.iter().map(&each).collect::<Vec<_>>(),
        || second.iter().map(&each).collect::<Vec<_>>(),
    );
    mapped.extend(rest);
    mapped
}

/// From how many items [`map_halves`] uses a second thread: below it, starting one costs more
/// than it saves.
pub const MAP_BESIDE_FROM: usize = 64;

/// A scoped thread that takes `work` from its slot and runs it; `None` when none starts (the
/// work stays in the slot).
fn spawn<'scope, T: Send + 'scope, W: FnOnce() -> T + Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    builder: Builder,
    slot: &'scope mut Option<W>,
) -> Option<std::thread::ScopedJoinHandle<'scope, Option<T>>> {
    builder
        .spawn_scoped(scope, move || slot.take().map(|work| work()))
        .ok()
}

/// What the thread returned, its panic resumed here.
fn join<T>(thread: std::thread::ScopedJoinHandle<'_, Option<T>>) -> Option<T> {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The thread's result, or the work run here when no thread took it.
fn finish<T>(done: Option<T>, work: Option<impl FnOnce() -> T>) -> T {
    match (done, work) {
        (Some(done), _) => done,
        (None, Some(work)) => work(),
        (None, None) => unreachable!("a thread that took the work returned its result"),
    }
}

/// The thread [`beside`] starts: as much stack as a main thread has (only reserved).
fn beside_thread() -> Builder {
    Builder::new()
        .name("berth-beside".to_owned())
        .stack_size(8 * 1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_runs_both_on_two_threads_or_one() {
        for parallel in [true, false] {
            let here = std::thread::current().id();
            let (mine, theirs) = beside(
                parallel,
                || (std::thread::current().id(), 2),
                || (std::thread::current().id(), 3),
            );
            assert_eq!(mine, (here, 2));
            assert_eq!(theirs.1, 3);
            assert_eq!(theirs.0 == here, !parallel);
        }
    }

    #[test]
    fn a_panic_on_the_other_thread_carries_on_here() {
        let outcome =
            std::panic::catch_unwind(|| beside(true, || 1, || -> i32 { panic!("there") }));
        let panic = outcome.expect_err("the panic reaches the caller");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"there"));
        let outcome = std::panic::catch_unwind(|| {
            on_thread(Builder::new(), || -> i32 { panic!("on the thread") })
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn map_halves_keeps_the_order_on_two_threads() {
        for count in [0, 1, MAP_BESIDE_FROM - 1, MAP_BESIDE_FROM, 1001] {
            let items: Vec<usize> = (0..count).collect();
            let mapped = map_halves(&items, |item| (item * 3, std::thread::current().id()));
            let values: Vec<usize> = mapped.iter().map(|(value, _)| *value).collect();
            assert_eq!(
                values,
                items.iter().map(|item| item * 3).collect::<Vec<_>>()
            );
            let here = std::thread::current().id();
            let elsewhere = mapped.iter().filter(|(_, thread)| *thread != here).count();
            let expected = if count >= MAP_BESIDE_FROM {
                count - count / 2
            } else {
                0
            };
            assert_eq!(elsewhere, expected, "{count} items");
        }
    }

    #[test]
    fn on_thread_runs_elsewhere_and_returns_the_result() {
        let here = std::thread::current().id();
        let there = on_thread(Builder::new(), || std::thread::current().id());
        assert_ne!(here, there);
    }
}
