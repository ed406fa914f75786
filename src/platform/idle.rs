//! The short waits left inside a pass, without holding its worker. The
//! long ones end the pass instead: an apply waiting on its import, training
//! or publish job, or on a rate-limit turn more than a second away, is
//! requeued (`reconcile::stages`). What still waits inside a pass — an
//! export (its archive is needed at once), a publish gate's test runs, a
//! retry's backoff, a short rate-limit turn — lends the worker: a caller that
//! bounds how much work runs at once (the reconciler's workers) hands each
//! task a [`WorkerSlot`]; while that task waits it gives its slot back, so
//! another bot can work meanwhile, and takes one again before its next call.
//! Without a slot (a one-off command), [`idle`] is the plain wait.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static SLOT: Arc<WorkerSlot>;
}

/// One worker's share of a semaphore, given back while its task waits.
#[derive(Debug)]
pub struct WorkerSlot {
    workers: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl WorkerSlot {
    /// A slot holding `permit`, one of `workers`' permits.
    pub fn new(workers: Arc<Semaphore>, permit: OwnedSemaphorePermit) -> Arc<WorkerSlot> {
        Arc::new(WorkerSlot {
            workers,
            held: Mutex::new(Some(permit)),
        })
    }

    /// Runs `work` with this slot: its waits give the slot back meanwhile.
    pub async fn run<F: Future>(self: Arc<Self>, work: F) -> F::Output {
        SLOT.scope(self, work).await
    }

    fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    async fn reacquire(&self) {
        let permit = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .expect("the workers' semaphore is never closed");
        *self.held.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
    }
}

/// Whether the running task has a worker slot to lend while it waits.
pub fn has_slot() -> bool {
    SLOT.try_with(|_| ()).is_ok()
}

/// Waits for `wait` without holding the task's worker slot (if it has one),
/// and takes a slot again before returning.
pub async fn idle<F: Future>(wait: F) -> F::Output {
    let Ok(slot) = SLOT.try_with(Arc::clone) else {
        return wait.await;
    };
    slot.release();
    let out = wait.await;
    slot.reacquire().await;
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_waiting_task_lends_its_slot_and_takes_one_back() {
        let workers = Arc::new(Semaphore::new(1));
        let permit = workers.clone().acquire_owned().await.unwrap();
        let slot = WorkerSlot::new(workers.clone(), permit);
        let waiting = tokio::spawn(slot.run({
            let workers = workers.clone();
            async move {
                idle(tokio::time::sleep(Duration::from_secs(60))).await;
                workers.available_permits()
            }
        }));
        tokio::task::yield_now().await;
        let borrowed = workers.clone().try_acquire_owned();
        assert!(borrowed.is_ok(), "the slot is free while its task waits");
        drop(borrowed);
        assert_eq!(waiting.await.unwrap(), 0, "held again after the wait");
        assert_eq!(workers.available_permits(), 1, "given back at the end");
    }

    #[tokio::test]
    async fn without_a_slot_a_wait_is_a_wait() {
        assert_eq!(idle(async { 7 }).await, 7);
    }
}
