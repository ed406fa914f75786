//! Memory given back once a burst of passes is over (see
//! [`crate::observe::memory`]): when the last pass in flight ends and no
//! other starts for [`QUIET`], the allocator's free pages go back to the
//! system, once, on the blocking pool. Not after every pass: at concurrency
//! 1 every pass ends with none in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How long passes must have stopped before memory is given back.
pub const QUIET: Duration = Duration::from_secs(2);

/// Counts passes in flight; see the module.
#[derive(Clone)]
pub struct Trim {
    inner: Arc<Inner>,
}

struct Inner {
    running: AtomicUsize,
    /// Bumped by every start: a trim waiting out [`QUIET`] sees it moved.
    starts: AtomicU64,
    release: fn(),
}

impl std::fmt::Debug for Trim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trim")
            .field("running", &self.inner.running.load(Ordering::Relaxed))
            .finish()
    }
}

impl Default for Trim {
    fn default() -> Self {
        Trim::with(crate::observe::memory::release_free)
    }
}

impl Trim {
    /// Calls `release` (blocking) to give memory back.
    pub fn with(release: fn()) -> Trim {
        Trim {
            inner: Arc::new(Inner {
                running: AtomicUsize::new(0),
                starts: AtomicU64::new(0),
                release,
            }),
        }
    }

    /// A pass starts; the guard ends it when dropped.
    pub fn start(&self) -> Running {
        self.inner.running.fetch_add(1, Ordering::SeqCst);
        self.inner.starts.fetch_add(1, Ordering::SeqCst);
        Running(self.clone())
    }

    fn ended(&self) {
        if self.inner.running.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let (trim, starts) = (self.clone(), self.inner.starts.load(Ordering::SeqCst));
        tokio::spawn(async move {
            tokio::time::sleep(QUIET).await;
            let inner = &trim.inner;
            let quiet = inner.running.load(Ordering::SeqCst) == 0
                && inner.starts.load(Ordering::SeqCst) == starts;
            if quiet {
                let _ = tokio::task::spawn_blocking(inner.release).await;
            }
        });
    }
}

/// One pass in flight (see [`Trim::start`]).
#[derive(Debug)]
pub struct Running(Trim);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.ended();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static RELEASES: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        RELEASES.fetch_add(1, Ordering::SeqCst);
    }

    #[tokio::test(start_paused = true)]
    async fn memory_is_given_back_once_when_passes_have_stopped_for_a_while() {
        let trim = Trim::with(count);
        // A burst: passes one after another, never two at once.
        for _ in 0..5 {
            let pass = trim.start();
            tokio::time::sleep(QUIET / 4).await;
            drop(pass);
        }
        // Two at once, the first ending while the second runs.
        let (first, second) = (trim.start(), trim.start());
        drop(first);
        tokio::time::sleep(QUIET * 2).await;
        assert_eq!(
            RELEASES.load(Ordering::SeqCst),
            0,
            "a pass is still in flight"
        );
        drop(second);
        tokio::time::sleep(QUIET / 2).await;
        assert_eq!(
            RELEASES.load(Ordering::SeqCst),
            0,
            "not quiet long enough yet"
        );
        tokio::time::sleep(QUIET).await;
        // The blocking pool runs outside the paused clock: let it finish.
        for _ in 0..100 {
            if RELEASES.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(RELEASES.load(Ordering::SeqCst), 1, "once, after the burst");
    }
}
