//! One reconciler per platform, behind one face: a target's passes run on
//! the reconciler (client, Get Bots cache, error state) of the platform its
//! environment names, so two accounts never share a token or a bot list.
//! Each reconciler sees only its platform's targets of the commit; the
//! folders that could not be read are reported by the first one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::ids::CommitId;

use super::bookkeeping::Verified;
use super::branches::{FollowedHeads, at_branch};
use super::notes::Notes;
use super::pass::{Reconciler, Report};
use super::policy::Action;
use super::promotion::{PROMOTION_RECHECK, Promotion, promotion};
use super::snapshot::Snapshot;
use crate::desired::TargetKey;

/// The reconcilers of a daemon, by platform name.
#[derive(Debug)]
pub struct Reconcilers {
    by_platform: BTreeMap<String, Arc<Reconciler>>,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    /// The last verifications of each platform's reconciler, to save them
    /// together.
    verified: Mutex<BTreeMap<String, HashMap<String, Verified>>>,
    /// The commits of the branches and tags environments follow, as last fetched.
    followed: Mutex<FollowedHeads>,
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
            verified: Mutex::default(),
            followed: Mutex::default(),
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
    /// With one platform every target is on it (the reader refused the
    /// others): its reconciler shares the snapshot rather than a copy of
    /// every bot's files.
    pub fn set_snapshot(&self, snapshot: Arc<Snapshot>, moved: bool) {
        let first = self.by_platform.keys().next().cloned();
        for (name, reconciler) in &self.by_platform {
            let own = match self.by_platform.len() {
                1 => snapshot.clone(),
                _ => Arc::new(snapshot.on_platform(name, Some(name) == first.as_ref())),
            };
            reconciler.set_snapshot(own, moved);
        }
        *self.lock() = Some(snapshot);
    }

    /// The commits of the followed branches and tags, as just fetched.
    pub fn set_followed(&self, heads: FollowedHeads) {
        *self
            .followed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = heads;
    }

    /// The commit passes work from, with every target.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.lock().clone()
    }

    /// One pass of the target `key`: at the head, or, for an environment
    /// that follows another, at the commit its promotion reaches.
    pub async fn reconcile(&self, key: &str) -> Report {
        let reconciler = self.of(key).clone();
        let Some(snapshot) = self.snapshot() else {
            return reconciler.reconcile(key).await;
        };
        let (after, branch, platform) = match snapshot.bots.get(key) {
            Some(Ok(bot)) => (
                bot.target.after.clone(),
                bot.target.branch.clone(),
                bot.target.platform.clone(),
            ),
            _ => (None, None, String::new()),
        };
        if let Some(branch) = branch {
            return self
                .reconcile_on_branch(key, snapshot, &branch, platform)
                .await;
        }
        let Some(after) = after else {
            return reconciler.reconcile(key).await;
        };
        let target = TargetKey::parse(key);
        let found = promotion(self.notes(), &snapshot, &target, &after).await;
        let (commit, why) = match found {
            Ok(Promotion::To { commit, why }) => (commit, why),
            Ok(Promotion::Waiting(why)) => return waiting(key, snapshot.commit, why),
            Err(e) => return waiting(key, snapshot.commit, format!("cannot read the notes: {e}")),
        };
        tracing::info!(bot = key, %commit, promotion = %why, "promotion");
        let mut report = match commit == snapshot.commit {
            true => reconciler.reconcile(key).await,
            false => {
                let first = self.by_platform.keys().next() == Some(&platform);
                let read = move || {
                    snapshot
                        .read_older(commit)
                        .map(|s| s.on_platform(&platform, first))
                };
                match tokio::task::spawn_blocking(read).await {
                    Ok(Ok(older)) => {
                        let mut report = reconciler.reconcile_at(key, Arc::new(older)).await;
                        // An apply waiting on a job looks again sooner.
                        report.action = match report.action {
                            Action::AwaitJob(after) => {
                                Action::AwaitJob(after.min(PROMOTION_RECHECK))
                            }
                            _ => Action::Requeue(PROMOTION_RECHECK),
                        };
                        report
                    }
                    Ok(Err(e)) => {
                        return waiting(key, commit, format!("cannot read {commit}: {e}"));
                    }
                    Err(e) => return waiting(key, commit, format!("cannot read {commit}: {e}")),
                }
            }
        };
        report.promotion = Some(why);
        report
    }

    /// One pass of the target `key`, which follows `branch`: at the branch's
    /// head, looking again soon (the branch may move while the daemon's does not).
    async fn reconcile_on_branch(
        &self,
        key: &str,
        snapshot: Arc<Snapshot>,
        branch: &str,
        platform: String,
    ) -> Report {
        let reconciler = self.of(key).clone();
        let heads = self
            .followed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let at = match at_branch(&snapshot, &heads, key, branch).await {
            Ok(at) => at,
            Err((commit, why)) => {
                // Most often a bot.toml naming a branch the remote lacks: say it loudly.
                tracing::warn!(bot = key, branch, reason = %why, "cannot follow the branch");
                return waiting(key, commit.unwrap_or(snapshot.commit), why);
            }
        };
        let why = format!("follows {branch}: its head {}", at.commit.short());
        tracing::info!(bot = key, commit = %at.commit, branch, "follows a branch");
        let mut report = match Arc::ptr_eq(&at, &snapshot) {
            true => reconciler.reconcile(key).await,
            false => {
                let first = self.by_platform.keys().next() == Some(&platform);
                let own = Arc::new(at.on_platform(&platform, first));
                reconciler.reconcile_at(key, own).await
            }
        };
        report.action = Action::Requeue(PROMOTION_RECHECK);
        report.promotion = Some(why);
        report
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

    /// Whether every platform a target of the current commit is on answers
    /// (all of them before the first commit); readiness says no at the
    /// first that does not.
    pub async fn ping(&self) -> bool {
        let used: Option<Vec<String>> = self.snapshot().map(|snapshot| {
            let platforms = snapshot.bots.values().flatten();
            platforms.map(|bot| bot.target.platform.clone()).collect()
        });
        let mut pinged: Vec<&Arc<Reconciler>> = self
            .by_platform
            .iter()
            .filter(|(name, _)| used.as_ref().is_none_or(|used| used.contains(name)))
            .map(|(_, reconciler)| reconciler)
            .collect();
        if pinged.is_empty() {
            // No target anywhere (an empty or broken repository): readiness
            // still learns whether the daemon's platform answers.
            pinged.push(self.first());
        }
        for reconciler in pinged {
            if !reconciler.ping().await {
                return false;
            }
        }
        true
    }

    /// See [`Reconciler::set_full_resync`].
    pub fn set_full_resync(&self, interval: std::time::Duration) {
        self.by_platform
            .values()
            .for_each(|r| r.set_full_resync(interval));
    }

    /// Verifications saved by an earlier run, offered to every platform's
    /// reconciler (each looks up only its own targets).
    pub(super) fn restore_verified(&self, saved: HashMap<String, Verified>) {
        for reconciler in self.by_platform.values() {
            reconciler.restore_verified(saved.clone());
        }
    }

    /// Every platform's verifications, when any changed since the last call.
    pub(super) fn verified_to_save(&self) -> Option<HashMap<String, Verified>> {
        let mut kept = self
            .verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut changed = false;
        for (name, reconciler) in &self.by_platform {
            if let Some(verified) = reconciler.verified_to_save() {
                kept.insert(name.clone(), verified);
                changed = true;
            }
        }
        changed.then(|| {
            kept.values()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    /// The App Builder clients of the publish gates (the same on every
    /// platform's reconciler).
    pub fn test_clients(&self) -> &super::gate::TestClients {
        self.first().test_clients()
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

/// The report of an environment that does not move yet: no pass, no note;
/// it looks again soon.
fn waiting(key: &str, commit: CommitId, why: String) -> Report {
    tracing::info!(bot = key, %commit, promotion = %why, "not promoted");
    Report {
        bot: key.to_owned(),
        commit,
        status: None,
        plan: None,
        detail: None,
        action: Action::Requeue(PROMOTION_RECHECK),
        retry: None,
        promotion: Some(why),
    }
}
