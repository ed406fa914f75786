//! The `status`, `pull` and `demo` commands, run as the real binary against the
//! simulator and real git repositories (see `reconcile::world`).

mod demo;
mod environment;
mod gate;
mod oneshot;
mod plan;
mod pull;
mod status;
mod validate;

use std::fs::File;
use std::path::Path;
use std::time::Duration;

/// What a run of the binary ended with.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for messages and for the secret checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// How long one command may run before the test fails with its output.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `kore-gitops args…` in `dir`. Asynchronous, so the in-process
/// simulator keeps serving while the binary talks to it.
pub async fn kore_gitops(dir: &Path, args: &[&str]) -> Run {
    kore_gitops_with(dir, args, &[]).await
}

/// The binary as a user starts it, with none of the test process's own
/// `KORE_GITOPS_*` variables (kore-gitops refuses unknown ones) and human
/// debug logs unless `env` says otherwise.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kore-gitops"));
    for (name, _) in std::env::vars() {
        if name.starts_with("KORE_GITOPS_") {
            command.env_remove(name);
        }
    }
    command
        .current_dir(dir)
        .args(args)
        .env("KORE_GITOPS_LOG_FORMAT", "human")
        .env("KORE_GITOPS_LOG", "debug")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    command
}

/// [`kore_gitops`] with extra environment variables.
pub async fn kore_gitops_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let capture = tempfile::tempdir().unwrap();
    let (out, err) = (capture.path().join("out"), capture.path().join("err"));
    let mut child = command(dir, args, env)
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("the binary runs");
    let status = tokio::time::timeout(COMMAND_TIMEOUT, child.wait()).await;
    let read = |path: &Path| String::from_utf8(std::fs::read(path).unwrap()).expect("UTF-8");
    let (stdout, stderr) = (read(&out), read(&err));
    let Ok(status) = status else {
        panic!("kore-gitops {args:?} still running after {COMMAND_TIMEOUT:?}:\n{stdout}{stderr}");
    };
    Run {
        code: status.unwrap().code().expect("not killed by a signal"),
        stdout,
        stderr,
    }
}
