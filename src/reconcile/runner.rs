//! The worker loop: takes due bots from the queue, runs at most `concurrency`
//! passes at once — a pass waiting on the platform lends its worker to
//! another meanwhile (see [`crate::platform::idle`]) — and schedules each
//! bot again as its pass says.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::platform::idle::WorkerSlot;

use super::policy::Action;
use super::queue::WorkQueue;

/// Runs passes until the queue is closed, then waits up to `grace` for the
/// passes in flight; returns how many were still running when it gave up.
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
        let work = pass(lease.key().clone());
        let queue = queue.clone();
        // The pass gives its worker back while it waits on the platform (a
        // job, a rate-limit turn, a backoff): `concurrency` bounds the work
        // in flight, not the bots waiting on the platform.
        let slot = WorkerSlot::new(permits.clone(), permit);
        in_flight.spawn(async move {
            let action = slot.run(work).await;
            if let Action::Requeue(delay) = action {
                queue.schedule(lease.key().clone(), Instant::now() + delay);
            }
            drop(lease); // ends the work on this bot; a deferred trigger becomes due
        });
        // Reap finished tasks so the set does not grow without bound.
        while in_flight.try_join_next().is_some() {}
    }
    let deadline = Instant::now() + grace;
    while !in_flight.is_empty() {
        match tokio::time::timeout_at(deadline, in_flight.join_next()).await {
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let abandoned = in_flight.len();
    in_flight.abort_all();
    abandoned
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
