//! A file-system watch on a local repository's refs: a commit or push to a
//! repository on this machine is seen at once instead of at the next poll.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// The git folder of `url` when it names a repository on this machine (a path
/// or a `file://` URL), bare or not.
pub fn local_repository(url: &str) -> Option<PathBuf> {
    let path = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
    if url.contains("://") && !url.starts_with("file://") {
        return None;
    }
    let dot_git = path.join(".git");
    if dot_git.is_dir() {
        Some(dot_git)
    } else if path.join("refs").is_dir() {
        Some(path)
    } else {
        None
    }
}

/// Watches a git folder's refs and wakes `changed` on every change. Bursts
/// collapse: [`Notify`] holds at most one pending wake-up. Dropping it stops
/// the watch.
pub struct RefWatch {
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for RefWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefWatch")
    }
}

impl RefWatch {
    /// Starts watching `git_dir` (its `refs/` tree, `packed-refs` and `HEAD`).
    pub fn start(git_dir: &Path, changed: Arc<Notify>) -> notify::Result<RefWatch> {
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|e| !e.kind.is_access()) {
                    changed.notify_one();
                }
            })?;
        watcher.watch(&git_dir.join("refs"), RecursiveMode::Recursive)?;
        // packed-refs and HEAD are replaced by rename: watch their folder.
        watcher.watch(git_dir, RecursiveMode::NonRecursive)?;
        Ok(RefWatch { _watcher: watcher })
    }
}
