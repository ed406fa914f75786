//! The pacer under a paused clock.

use super::*;

fn bot() -> BotId {
    "st-3c0e1947-3392-5f08-9d40-14eebc86ea88".parse().unwrap()
}

/// The most calls found in any window of length `window`.
fn busiest(times: &[Instant], window: Duration) -> usize {
    let mut start = 0;
    let mut most = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= window {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

#[tokio::test(start_paused = true)]
async fn one_bot_stays_within_60_a_minute_and_1800_an_hour() {
    let pacer = Pacer::new(Budget::default());
    let key = PaceKey::DesignTime(bot());
    let start = Instant::now();
    let mut times = Vec::new();
    for _ in 0..2000 {
        pacer.acquire(&key).await;
        times.push(Instant::now());
    }
    assert_eq!(busiest(&times, MINUTE), 60);
    assert_eq!(busiest(&times, HOUR), 1800);
    // The first 60 go at once; the 1801st waits for the hour to roll.
    assert_eq!(times[59], start);
    assert!(times[1800] >= start + HOUR, "{:?}", times[1800] - start);
    assert!(times[1799] < start + Duration::from_secs(31 * 60));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_budget_per_key() {
    let pacer = Pacer::new(Budget {
        per_minute: 5,
        per_hour: 100,
    });
    let key = PaceKey::Status("bir-1".to_owned());
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (pacer, key) = (pacer.clone(), key.clone());
            tokio::spawn(async move {
                pacer.acquire(&key).await;
                Instant::now()
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap());
    }
    times.sort();
    assert_eq!(busiest(&times, MINUTE), 5);
    assert_eq!(times.len(), 12);
}

#[tokio::test(start_paused = true)]
async fn keys_do_not_share_budgets() {
    let pacer = Pacer::new(Budget {
        per_minute: 1,
        per_hour: 10,
    });
    let start = Instant::now();
    pacer.acquire(&PaceKey::DesignTime(bot())).await;
    pacer.acquire(&PaceKey::Admin).await;
    pacer.acquire(&PaceKey::Upload).await;
    assert_eq!(Instant::now(), start);
    pacer.acquire(&PaceKey::Admin).await;
    assert_eq!(Instant::now(), start + MINUTE + WINDOW_MARGIN);
}

#[test]
fn old_calls_roll_out_of_the_window() {
    let pacer = Pacer::new(Budget {
        per_minute: 2,
        per_hour: 10,
    });
    let key = PaceKey::Admin;
    let start = Instant::now();
    assert_eq!(pacer.book(&key, start), start);
    assert_eq!(pacer.book(&key, start), start);
    let later = start + Duration::from_secs(120);
    assert_eq!(pacer.book(&key, later), later);
}

#[tokio::test(start_paused = true)]
async fn callers_that_lend_their_worker_while_waiting_never_crowd_a_window() {
    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use crate::platform::idle::{WorkerSlot, idle};

    let pacer = Pacer::new(Budget {
        per_minute: 5,
        per_hour: 100,
    });
    let workers = Arc::new(Semaphore::new(2));
    let key = PaceKey::Upload;
    let mut tasks = Vec::new();
    for n in 0..30u64 {
        let permit = workers.clone().acquire_owned().await.unwrap();
        let slot = WorkerSlot::new(workers.clone(), permit);
        let (pacer, key) = (pacer.clone(), key.clone());
        tasks.push(tokio::spawn(slot.run(async move {
            let mut times = Vec::new();
            for step in 0..3u64 {
                // Work that holds the worker, then a job wait that lends it.
                tokio::time::sleep(Duration::from_secs((n * 7 + step * 13) % 17)).await;
                pacer.acquire(&key).await;
                times.push(Instant::now());
                idle(tokio::time::sleep(Duration::from_secs((n + step) % 5 * 11))).await;
            }
            times
        })));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    times.sort();
    assert_eq!(times.len(), 90);
    assert!(busiest(&times, MINUTE) <= 5, "{}", busiest(&times, MINUTE));
    assert!(busiest(&times, HOUR) <= 100);
}

/// Every import has its own status key: a long-running daemon makes
/// thousands. Keys an hour old are forgotten, by `book` and `book_if_due`
/// alike, and a pruning that keeps them all (a thousand bots each calling
/// within the hour) is not repeated on every call (it scans every key).
#[test]
fn keys_an_hour_old_are_forgotten_and_pruning_is_not_rerun_on_every_call() {
    let pacer = Pacer::new(Budget::default());
    let start = Instant::now();
    let status = |n: usize| PaceKey::Status(format!("bir-{n}"));
    for n in 0..3 * KEYS_BEFORE_PRUNING {
        assert!(pacer.book_if_due(&status(n), start).is_ok());
    }
    let held = |pacer: &Pacer| pacer.booked.lock().unwrap().keys();
    let threshold = |pacer: &Pacer| pacer.booked.lock().unwrap().prune_above;
    // Recent keys are all kept; the threshold moved past them.
    assert_eq!(held(&pacer), 3 * KEYS_BEFORE_PRUNING);
    assert!(
        threshold(&pacer) >= 2 * KEYS_BEFORE_PRUNING,
        "{}",
        threshold(&pacer)
    );
    let later = start + HOUR + MINUTE;
    for n in 0..2 * KEYS_BEFORE_PRUNING {
        pacer.book(&status(10 * KEYS_BEFORE_PRUNING + n), later);
    }
    assert!(
        held(&pacer) <= 2 * KEYS_BEFORE_PRUNING,
        "old keys forgotten: {}",
        held(&pacer)
    );
}

#[test]
fn a_turn_for_several_calls_is_the_turn_of_the_last_and_books_nothing() {
    let pacer = Pacer::new(Budget {
        per_minute: 5,
        per_hour: 100,
    });
    let key = PaceKey::Upload;
    let start = Instant::now();
    for _ in 0..4 {
        pacer.book(&key, start);
    }
    assert_eq!(pacer.turn(&key, 1, start), start);
    let later = start + MINUTE + WINDOW_MARGIN;
    assert_eq!(pacer.turn(&key, 2, start), later, "the second of two waits");
    assert_eq!(pacer.turn(&key, 2, start), later, "nothing was booked");
    assert_eq!(pacer.book(&key, start), start, "the fifth still fits");
}

#[tokio::test(start_paused = true)]
async fn callers_that_requeue_long_waits_never_crowd_a_window() {
    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use crate::platform::idle::{WorkerSlot, idle};

    let pacer = Pacer::new(Budget {
        per_minute: 5,
        per_hour: 100,
    });
    let workers = Arc::new(Semaphore::new(2));
    let key = PaceKey::Upload;
    let mut tasks = Vec::new();
    for n in 0..30u64 {
        let (pacer, key, workers) = (pacer.clone(), key.clone(), workers.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for step in 0..3u64 {
                // A pass: a worker, work, then the budget. A turn more than
                // a second away ends the pass (the worker is given back) and
                // the queue brings it back at the turn, perhaps late.
                loop {
                    let permit = workers.clone().acquire_owned().await.unwrap();
                    let slot = WorkerSlot::new(workers.clone(), permit);
                    let (pacer, key) = (pacer.clone(), key.clone());
                    let sent = slot
                        .run(async move {
                            let work = (n * 7 + step * 13) % 17;
                            tokio::time::sleep(Duration::from_secs(work)).await;
                            let now = Instant::now();
                            let turn = pacer.turn(&key, 1, now);
                            if turn > now + Duration::from_secs(1) {
                                return Err(turn);
                            }
                            pacer.acquire(&key).await;
                            Ok(Instant::now())
                        })
                        .await;
                    match sent {
                        Ok(at) => {
                            times.push(at);
                            break;
                        }
                        Err(turn) => {
                            let late = Duration::from_millis((n * 311 + step * 97) % 2500);
                            tokio::time::sleep_until(turn + late).await;
                        }
                    }
                }
                idle(tokio::time::sleep(Duration::from_secs((n + step) % 5 * 11))).await;
            }
            times
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    times.sort();
    assert_eq!(times.len(), 90);
    assert!(busiest(&times, MINUTE) <= 5, "{}", busiest(&times, MINUTE));
    assert!(busiest(&times, HOUR) <= 100);
}
