//! CPU-bound work (unzipping an export, normalising and digesting a bot) off
//! the runtime, at most one job per core at a time. `[daemon] concurrency`
//! bounds the passes in flight, and most of a pass is waiting on the
//! platform, so a high setting is right for throughput; but each pass's
//! CPU work went to its own blocking thread, so 64 passes meant up to 64
//! threads unzipping and normalising at once on two cores — no faster, with
//! 64 copies in memory and more switching (issue 14: raising concurrency
//! must never make a pass slower). Depends on nothing else in the crate.

use std::sync::LazyLock;

use tokio::sync::Semaphore;
use tokio::task::JoinError;

/// One permit per core the process may use.
static CORES: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new(cores)
});

/// Runs `work` on the blocking pool once a core is free.
pub async fn run<T, F>(work: F) -> Result<T, JoinError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _core = CORES
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_jobs_run_at_once_than_there_are_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(super::run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= cores, "{peak} jobs at once on {cores} cores");
        assert!(peak >= 1);
    }
}
