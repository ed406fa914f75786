//! One reconciler per platform, behind one face: a target's passes run on
//! the reconciler (client, Get Bots cache, error state) of the platform its
//! environment names, so two accounts never share a token or a bot list.
//! Each reconciler sees only its platform's targets of the commit; the
//! folders that could not be read are reported by the first one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::ids::CommitId;

use super::notes::Notes;
use super::pass::{Reconciler, Report};
use super::snapshot::Snapshot;

/// The reconcilers of a daemon, by platform name.
#[derive(Debug)]
pub struct Reconcilers {
    by_platform: BTreeMap<String, Arc<Reconciler>>,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
}

impl Reconcilers {
    /// Reconcilers by platform name; at least one.
    pub fn new(by_platform: BTreeMap<String, Reconciler>) -> Reconcilers {
        assert!(
            !by_platform.is_empty(),
            "a daemon has at least one platform"
        );
        Reconcilers {
            by_platform: by_platform
                .into_iter()
                .map(|(name, r)| (name, Arc::new(r)))
                .collect(),
            snapshot: Mutex::new(None),
        }
    }

    /// The reconciler of the first platform (folders that cannot be read).
    fn first(&self) -> &Arc<Reconciler> {
        self.by_platform.values().next().expect("not empty")
    }

    /// The reconciler of `key`'s platform at the current commit.
    fn of(&self, key: &str) -> &Arc<Reconciler> {
        let platform = self
            .snapshot()
            .and_then(|snapshot| match snapshot.bots.get(key) {
                Some(Ok(bot)) => Some(bot.target.platform.clone()),
                _ => None,
            });
        platform
            .and_then(|p| self.by_platform.get(&p))
            .unwrap_or_else(|| self.first())
    }

    /// Every platform's reconciler moves to `snapshot` (its own targets).
    pub fn set_snapshot(&self, snapshot: Arc<Snapshot>, moved: bool) {
        let first = self.by_platform.keys().next().cloned();
        for (name, reconciler) in &self.by_platform {
            let own = snapshot.on_platform(name, Some(name) == first.as_ref());
            reconciler.set_snapshot(Arc::new(own), moved);
        }
        *self.lock() = Some(snapshot);
    }

    /// The commit passes work from, with every target.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.lock().clone()
    }

    /// One pass of the target `key`.
    pub async fn reconcile(&self, key: &str) -> Report {
        let reconciler = self.of(key).clone();
        reconciler.reconcile(key).await
    }

    /// See [`Reconciler::resync`].
    pub fn resync(&self) {
        self.by_platform.values().for_each(|r| r.resync());
    }

    /// See [`Reconciler::wake`].
    pub fn wake(&self, key: &str) {
        self.of(key).wake(key);
    }

    /// See [`Reconciler::set_requeued`].
    pub fn set_requeued(&self) {
        self.by_platform.values().for_each(|r| r.set_requeued());
    }

    /// Whether every platform answers (readiness says no at the first that
    /// does not).
    pub async fn ping(&self) -> bool {
        for reconciler in self.by_platform.values() {
            if !reconciler.ping().await {
                return false;
            }
        }
        true
    }

    /// The notes sink (shared by every reconciler).
    pub fn notes(&self) -> &Notes {
        self.first().notes()
    }

    /// The commit of the current snapshot.
    pub fn commit(&self) -> Option<CommitId> {
        self.snapshot().map(|s| s.commit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Snapshot>>> {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
