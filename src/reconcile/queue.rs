//! The keyed work queue (after kube-runtime's scheduler).
//!
//! - Every trigger schedules a key (a bot) at a time; scheduling a key that is
//!   already waiting keeps the earlier time, so duplicate triggers collapse.
//! - A key is handed out only when it is due and not already being worked
//!   on: one bot is never reconciled twice at once. A key scheduled while it
//!   is being worked on waits, and becomes due again when the work ends.
//! - Concurrency is bounded by the caller taking at most N leases at a time.
//!
//! All time is `tokio::time`, so tests can pause and advance it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::time::Instant;

/// A queue of keys, each due at some instant.
#[derive(Debug)]
pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    wake: Notify,
}

#[derive(Debug)]
struct State<K> {
    due: BTreeSet<(Instant, K)>,
    scheduled: HashMap<K, Instant>,
    running: HashSet<K>,
    /// Requested while running: scheduled when the running work ends.
    deferred: HashMap<K, Instant>,
    closed: bool,
}

/// A key handed out for work; the work ends when the lease is dropped.
#[derive(Debug)]
pub struct Lease<K: Clone + Eq + Hash + Ord> {
    key: K,
    queue: Arc<WorkQueue<K>>,
}

impl<K: Clone + Eq + Hash + Ord> Lease<K> {
    /// The key to work on.
    pub fn key(&self) -> &K {
        &self.key
    }
}

impl<K: Clone + Eq + Hash + Ord> Drop for Lease<K> {
    fn drop(&mut self) {
        self.queue.finish(&self.key);
    }
}

impl<K: Clone + Eq + Hash + Ord> WorkQueue<K> {
    /// An empty, open queue.
    pub fn new() -> Arc<WorkQueue<K>> {
        Arc::new(WorkQueue {
            state: Mutex::new(State {
                due: BTreeSet::new(),
                scheduled: HashMap::new(),
                running: HashSet::new(),
                deferred: HashMap::new(),
                closed: false,
            }),
            wake: Notify::new(),
        })
    }

    /// Schedules `key` at `at`, unless it is already scheduled earlier.
    pub fn schedule(&self, key: K, at: Instant) {
        let mut state = self.lock();
        if state.running.contains(&key) {
            let slot = state.deferred.entry(key).or_insert(at);
            *slot = (*slot).min(at);
            return;
        }
        state.insert_earliest(key, at);
        drop(state);
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    /// Schedules `key` now.
    pub fn schedule_now(&self, key: K) {
        self.schedule(key, Instant::now());
    }

    /// How many keys wait (due or not), for the queue-depth metric.
    pub fn len(&self) -> usize {
        let state = self.lock();
        state.scheduled.len() + state.deferred.len()
    }

    /// True when no key waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops handing out keys: [`WorkQueue::next`] returns `None` from now on.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    /// Resolves once [`WorkQueue::close`] has been called.
    pub async fn closed(&self) {
        loop {
            // Created before the check, so a close in between still wakes it.
            let notified = self.wake.notified();
            if self.lock().closed {
                return;
            }
            notified.await;
        }
    }

    /// Waits for the next due key that is not being worked on.
    pub async fn next(self: &Arc<Self>) -> Option<Lease<K>> {
        loop {
            let notified = self.wake.notified();
            let wait_until = {
                let mut state = self.lock();
                if state.closed {
                    return None;
                }
                match state.due.first().cloned() {
                    Some((at, key)) if at <= Instant::now() => {
                        state.due.remove(&(at, key.clone()));
                        state.scheduled.remove(&key);
                        state.running.insert(key.clone());
                        return Some(Lease {
                            key,
                            queue: self.clone(),
                        });
                    }
                    Some((at, _)) => Some(at),
                    None => None,
                }
            };
            match wait_until {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn finish(&self, key: &K) {
        let mut state = self.lock();
        state.running.remove(key);
        if let Some(at) = state.deferred.remove(key) {
            state.insert_earliest(key.clone(), at);
        }
        drop(state);
        self.wake.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K>> {
        // A panic while holding the lock leaves consistent data (every
        // update is a few set operations), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<K: Clone + Eq + Hash + Ord> State<K> {
    fn insert_earliest(&mut self, key: K, at: Instant) {
        match self.scheduled.get(&key) {
            Some(&existing) if existing <= at => {}
            Some(&existing) => {
                self.due.remove(&(existing, key.clone()));
                self.due.insert((at, key.clone()));
                self.scheduled.insert(key, at);
            }
            None => {
                self.due.insert((at, key.clone()));
                self.scheduled.insert(key, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn duplicate_triggers_collapse_and_the_earliest_time_wins() {
        let queue = WorkQueue::new();
        let now = Instant::now();
        queue.schedule("a", now + Duration::from_secs(10));
        queue.schedule("a", now + Duration::from_secs(5));
        queue.schedule("a", now + Duration::from_secs(20));
        assert_eq!(queue.len(), 1);
        let lease = queue.next().await.unwrap();
        assert_eq!(*lease.key(), "a");
        assert_eq!(Instant::now(), now + Duration::from_secs(5));
        drop(lease);
        assert!(queue.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_is_never_handed_out_twice_at_once() {
        let queue = WorkQueue::new();
        queue.schedule_now("a");
        let first = queue.next().await.unwrap();
        queue.schedule_now("a"); // a trigger while "a" is being worked on
        queue.schedule_now("b");
        let second = queue.next().await.unwrap();
        assert_eq!(*second.key(), "b", "a is running: b goes first");
        let blocked = tokio::time::timeout(Duration::from_secs(60), queue.next()).await;
        assert!(blocked.is_err(), "a must wait for its running work to end");
        drop(first);
        let again = queue.next().await.unwrap();
        assert_eq!(
            *again.key(),
            "a",
            "the deferred trigger runs after the work ends"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_consumer_wakes_on_schedule_and_on_close() {
        let queue = WorkQueue::<&str>::new();
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next().await.map(|lease| *lease.key()) }
        });
        tokio::task::yield_now().await;
        queue.schedule_now("x");
        assert_eq!(waiter.await.unwrap(), Some("x"));
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next().await.is_none() }
        });
        tokio::task::yield_now().await;
        queue.close();
        assert!(waiter.await.unwrap());
    }
}
