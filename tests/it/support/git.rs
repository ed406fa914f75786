//! Real git on the command line, as a user would drive it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git` in `dir` with a fixed identity and no user or system config;
/// panics with git's own output when it fails. Returns standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("git prints UTF-8")
}

/// A bare "remote" and a working clone of it with one commit on `main`.
pub struct RemoteAndClone {
    /// The bare repository, as a server would hold it.
    pub remote: PathBuf,
    /// A user's clone.
    pub work: PathBuf,
}

/// Creates a bare remote under `root` and a clone with one commit (a README),
/// pushed to `main`.
pub fn remote_with_clone(root: &Path) -> RemoteAndClone {
    let remote = root.join("remote.git");
    let work = root.join("work");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "--bare", "--initial-branch=main", "."]);
    git(
        root,
        &["clone", "--quiet", remote.to_str().unwrap(), "work"],
    );
    git(&work, &["checkout", "--quiet", "-b", "main"]);
    std::fs::write(work.join("README.md"), "bots\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "first"]);
    git(&work, &["push", "--quiet", "origin", "main"]);
    RemoteAndClone { remote, work }
}
