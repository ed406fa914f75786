//! The worker loop: takes due bots from the queue, runs at most `concurrency`
//! passes at once, and schedules each bot again as its pass says. A pass
//! whose apply waits on a platform job ends ("look again in T"): the queue
//! brings the bot back, and meanwhile the worker serves others. The short
//! waits left inside a pass lend the worker (see [`crate::platform::idle`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::platform::idle::WorkerSlot;

use super::policy::Action;
use super::queue::WorkQueue;

/// Runs passes until the queue is closed, then waits up to `grace` for the
/// passes in flight and for the applies waiting on a job (each looked at
/// again when due, as the queue would have); returns how many of either
/// were still going when it gave up.
pub async fn run_workers<F, Fut>(
    queue: Arc<WorkQueue<String>>,
    concurrency: usize,
    grace: Duration,
    pass: F,
) -> usize
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Action> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let waiting = Waiting::default();
    let trim = super::trim::Trim::default();
    let mut in_flight = JoinSet::new();
    loop {
        let Some(lease) = queue.next().await else {
            break;
        };
        // Waiting for a free worker must not delay a shutdown.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = queue.closed() => break,
        };
        waiting.forget(lease.key());
        let work = pass(lease.key().clone());
        let (queue, waiting) = (queue.clone(), waiting.clone());
        // An apply waiting on a job ends its pass (`Action::AwaitJob`) and
        // holds no worker; the short waits left inside a pass (an export, a
        // gate's run, a retry's backoff) give the worker back meanwhile.
        let slot = WorkerSlot::new(permits.clone(), permit);
        let running = trim.start();
        in_flight.spawn(async move {
            let action = slot.run(work).await;
            let key = lease.key().clone();
            match action {
                Action::Requeue(delay) => queue.schedule(key, Instant::now() + delay),
                Action::AwaitJob(delay) => {
                    waiting.add(key.clone(), Instant::now() + delay);
                    queue.schedule(key, Instant::now() + delay);
                }
                Action::AwaitChange => {}
            }
            drop(lease); // ends the work on this bot; a deferred trigger becomes due
            drop(running);
        });
        // Reap finished tasks so the set does not grow without bound.
        while in_flight.try_join_next().is_some() {}
    }
    drain(
        in_flight,
        waiting,
        (&permits, Instant::now() + grace),
        &pass,
    )
    .await
}

/// The targets whose apply waits on a job, and when each is due.
#[derive(Debug, Clone, Default)]
struct Waiting(Arc<Mutex<HashMap<String, Instant>>>);

impl Waiting {
    fn add(&self, key: String, at: Instant) {
        self.lock().insert(key, at);
    }

    fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// The targets due by `now` (taken out), and when the next one is.
    fn due(&self, now: Instant) -> (Vec<String>, Option<Instant>) {
        let mut map = self.lock();
        let due: Vec<String> = map
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        map.retain(|_, at| *at > now);
        (due, map.values().min().copied())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// After the queue closed: the passes in flight end, and applies waiting on
/// a job go on when due, until none is left or the deadline passes.
async fn drain<F, Fut>(
    mut in_flight: JoinSet<()>,
    waiting: Waiting,
    (permits, deadline): (&Arc<Semaphore>, Instant),
    pass: &F,
) -> usize
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Action> + Send + 'static,
{
    loop {
        while in_flight.try_join_next().is_some() {}
        let (due, next) = waiting.due(Instant::now());
        for key in due {
            let work = pass(key.clone());
            let waiting = waiting.clone();
            let permits = permits.clone();
            in_flight.spawn(async move {
                let permit = permits.clone().acquire_owned().await;
                let slot = WorkerSlot::new(permits, permit.expect("never closed"));
                if let Action::AwaitJob(delay) = slot.run(work).await {
                    waiting.add(key, Instant::now() + delay);
                }
            });
        }
        if in_flight.is_empty() && next.is_none() {
            return 0;
        }
        let wake = next.map_or(deadline, |at| at.min(deadline));
        tokio::select! {
            _ = in_flight.join_next(), if !in_flight.is_empty() => {}
            () = tokio::time::sleep_until(wake) => {}
        }
        if Instant::now() >= deadline {
            let abandoned = in_flight.len() + waiting.len();
            in_flight.abort_all();
            return abandoned;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded_and_requeues_are_honoured() {
        let queue = WorkQueue::new();
        for bot in ["a", "b", "c", "d", "e"] {
            queue.schedule_now(bot.to_owned());
        }
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let passes = Arc::new(AtomicUsize::new(0));
        let worker = tokio::spawn(run_workers(queue.clone(), 2, Duration::from_secs(5), {
            let (running, peak, passes) = (running.clone(), peak.clone(), passes.clone());
            move |bot: String| {
                let (running, peak, passes) = (running.clone(), peak.clone(), passes.clone());
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    let n = passes.fetch_add(1, Ordering::SeqCst);
                    // "a" asks to be retried once, later.
                    if bot == "a" && n < 5 {
                        Action::Requeue(Duration::from_secs(30))
                    } else {
                        Action::AwaitChange
                    }
                }
            }
        }));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 5);
        assert_eq!(
            peak.load(Ordering::SeqCst),
            2,
            "never more than 2 passes at once"
        );
        assert_eq!(queue.len(), 1, "a is scheduled again");
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            6,
            "the requeued pass ran after its delay"
        );
        queue.close();
        assert_eq!(worker.await.unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_passes_waiting_on_jobs_do_not_delay_the_next_bot() {
        use crate::platform::idle::idle;

        let queue = WorkQueue::new();
        for n in 0..100 {
            queue.schedule_now(format!("waiting-{n}"));
        }
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(tokio::sync::Notify::new());
        let worker = tokio::spawn(run_workers(queue.clone(), 4, Duration::from_secs(5), {
            let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
            move |bot: String| {
                let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
                async move {
                    // Work on our side (holds a worker), then a long training
                    // job (holds none), then the rest of the work.
                    let work = || async {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                    };
                    work().await;
                    if bot.starts_with("waiting") {
                        idle(tokio::time::sleep(Duration::from_secs(3600))).await;
                        work().await;
                    } else {
                        done.notify_one();
                    }
                    Action::AwaitChange
                }
            }
        }));
        // Every waiting bot has started its job (100 x 0.1 s over 4 workers).
        tokio::time::sleep(Duration::from_secs(5)).await;
        let started = Instant::now();
        queue.schedule_now("changed".to_owned());
        done.notified().await;
        assert!(
            started.elapsed() <= Duration::from_millis(200),
            "the change waited {:?} behind bots waiting on jobs",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_secs(3700)).await;
        assert_eq!(
            peak.load(Ordering::SeqCst),
            4,
            "concurrency still bounds the work"
        );
        queue.close();
        assert_eq!(worker.await.unwrap(), 0);
    }

    /// A pass of "held" that asks to look again at its job `rounds` times
    /// before it ends; every pass of it is counted.
    fn held_for(
        rounds: usize,
        passes: Arc<AtomicUsize>,
    ) -> impl Fn(String) -> std::pin::Pin<Box<dyn Future<Output = Action> + Send>> {
        move |bot: String| {
            let passes = passes.clone();
            Box::pin(async move {
                if bot != "held" {
                    return Action::AwaitChange;
                }
                match passes.fetch_add(1, Ordering::SeqCst) < rounds {
                    true => Action::AwaitJob(Duration::from_secs(10)),
                    false => Action::AwaitChange,
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_apply_waiting_on_a_job_frees_its_worker_and_comes_back() {
        let queue = WorkQueue::new();
        queue.schedule_now("held".to_owned());
        let passes = Arc::new(AtomicUsize::new(0));
        let pass = held_for(3, passes.clone());
        let other = Arc::new(tokio::sync::Notify::new());
        let worker = tokio::spawn(run_workers(queue.clone(), 1, Duration::from_secs(5), {
            let other = other.clone();
            move |bot: String| {
                if bot == "other" {
                    other.notify_one();
                }
                pass(bot)
            }
        }));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 1);
        let started = Instant::now();
        queue.schedule_now("other".to_owned());
        other.notified().await;
        assert_eq!(started.elapsed(), Duration::ZERO, "the one worker was free");
        tokio::time::sleep(Duration::from_secs(40)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            4,
            "looked again every 10 s, then done"
        );
        assert!(queue.is_empty());
        queue.close();
        assert_eq!(worker.await.unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_lets_applies_waiting_on_jobs_go_on_within_the_grace_period() {
        for (rounds, grace, abandoned, passes_at_stop) in [(2, 30, 0, 3), (100, 25, 1, 3)] {
            let queue = WorkQueue::new();
            queue.schedule_now("held".to_owned());
            let passes = Arc::new(AtomicUsize::new(0));
            let grace = Duration::from_secs(grace);
            let worker = tokio::spawn(run_workers(
                queue.clone(),
                1,
                grace,
                held_for(rounds, passes.clone()),
            ));
            tokio::time::sleep(Duration::from_secs(1)).await;
            queue.close();
            let stopped = Instant::now();
            assert_eq!(worker.await.unwrap(), abandoned);
            assert_eq!(passes.load(Ordering::SeqCst), passes_at_stop);
            assert!(stopped.elapsed() <= grace);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_passes_in_flight_up_to_the_grace_period() {
        let queue = WorkQueue::new();
        queue.schedule_now("slow".to_owned());
        let worker = tokio::spawn(run_workers(
            queue.clone(),
            1,
            Duration::from_secs(5),
            |_| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Action::AwaitChange
            },
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        queue.close();
        assert_eq!(
            worker.await.unwrap(),
            1,
            "the pass outlived the grace period and was stopped"
        );
    }
}
