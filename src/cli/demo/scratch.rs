//! The demo's scratch directory: a bare "remote", a user's clone of it with
//! the example bots committed and pushed, and the configuration kore-gitops
//! runs with. Blocking (files and git2): call it from outside the runtime or
//! from `spawn_blocking`.

use std::io::Write;
use std::path::{Path, PathBuf};

use git2::{BranchType, IndexAddOption, Repository, RepositoryInitOptions, Signature};

use super::examples::{self, BOT_FILES, MissingKey, Setting};

/// The branch the demo commits to and kore-gitops reconciles.
const BRANCH: &str = "main";
/// The author of the first commit, and the identity of the clone when git
/// has none configured (so that the printed `git commit` works anywhere).
const DEMO_NAME: &str = "kore-gitops demo";
const DEMO_EMAIL: &str = "demo@kore-gitops.invalid";

/// Why the scratch directory could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    /// `--dir` names a directory that already holds something.
    #[error("{0} is not empty: give a new or empty directory")]
    NotEmpty(PathBuf),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// git refuses paths that are not Unicode in a remote URL.
    #[error("{0}: the path is not valid Unicode")]
    NotUnicode(PathBuf),
    /// Creating, committing or pushing failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// The embedded example configuration lacks a key the demo fills in.
    #[error(transparent)]
    Config(#[from] MissingKey),
}

/// The paths of a prepared scratch directory (all absolute).
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// The scratch directory itself.
    pub root: PathBuf,
    /// The bare repository standing in for a git server.
    pub remote: PathBuf,
    /// The user's clone, where changes are made.
    pub clone: PathBuf,
}

impl Scratch {
    /// The configuration file kore-gitops runs with.
    pub fn config(&self) -> PathBuf {
        self.root.join("kore-gitops.toml")
    }

    /// The file holding the simulator's client secret.
    pub fn secret(&self) -> PathBuf {
        self.root.join("client-secret")
    }

    /// A bot folder of the clone (the simulator is seeded from these).
    pub fn bot(&self, name: &str) -> PathBuf {
        self.clone.join("bots").join(name)
    }

    /// The seed of the second, production Travel Desk bot: outside the
    /// clone, since git defines one folder for both bots.
    pub fn prod_seed(&self) -> PathBuf {
        self.root.join("seeds").join(PROD_SEED)
    }
}

/// The promoted folder, and the simulator's seed name of its production bot
/// (the staging bot is the folder's own seed, `travel-desk`).
pub(super) const PROMOTED_FOLDER: &str = "travel-desk";
const PROD_SEED: &str = "travel-desk-prod";

/// The demo's `bots/travel-desk/bot.toml`: the example's settings, with two
/// environments on the demo's one platform, prod following staging. The
/// simulator derives a seeded bot's id from its seed name.
fn promoted_bot_toml() -> String {
    let staging = crate::sim::crypto::bot_id(PROMOTED_FOLDER);
    let prod = crate::sim::crypto::bot_id(PROD_SEED);
    format!(
        "# Written by `kore-gitops demo`: one definition, two live bots. A change lands\n\
         # on staging first; prod moves only to commits at which staging is Synced.\n\
         languages = [\"en\"]\n\
         publish_comment = \"Travel Desk from git\"\n\n\
         [environments.staging]\nbot_id = \"{staging}\"\n\n\
         [environments.prod]\nbot_id = \"{prod}\"\nafter = \"staging\"\n"
    )
}

/// What the configuration needs from the running pieces.
#[derive(Debug)]
pub(super) struct Endpoints {
    /// The simulator's base URL.
    pub platform: String,
    /// The client id of the simulator's Admin Console app.
    pub client_id: String,
    /// Where kore-gitops serves its HTTP endpoints.
    pub listen: std::net::SocketAddr,
}

/// Claims `dir` (or a fresh temporary directory), then creates the remote and
/// the clone with the example bots committed and pushed.
pub(super) fn prepare(dir: Option<&Path>) -> Result<Scratch, ScratchError> {
    let root = match dir {
        Some(dir) => claim(dir)?,
        None => fresh_temp_dir()?,
    };
    let scratch = Scratch {
        remote: root.join("remote.git"),
        clone: root.join("clone"),
        root,
    };
    let promoted_toml = format!("bots/{PROMOTED_FOLDER}/bot.toml");
    let promoted_dir = format!("bots/{PROMOTED_FOLDER}/");
    for file in BOT_FILES {
        match file.path == promoted_toml {
            true => write(
                &scratch.clone.join(file.path),
                promoted_bot_toml().as_bytes(),
            )?,
            false => write(&scratch.clone.join(file.path), file.bytes)?,
        }
        if let Some(name) = file.path.strip_prefix(&promoted_dir) {
            write(&scratch.prod_seed().join(name), file.bytes)?;
        }
    }
    let mut options = RepositoryInitOptions::new();
    Repository::init_opts(&scratch.remote, options.bare(true).initial_head(BRANCH))?;
    commit_and_push(&scratch)?;
    Ok(scratch)
}

/// Writes the client secret (owner-only) and the configuration: the
/// documented example with the demo's values.
pub(super) fn write_config(
    scratch: &Scratch,
    endpoints: &Endpoints,
    client_secret: &secrecy::SecretString,
) -> Result<PathBuf, ScratchError> {
    use secrecy::ExposeSecret;
    write_private(&scratch.secret(), client_secret.expose_secret().as_bytes())?;
    let path = |p: PathBuf| {
        p.to_str()
            .map(str::to_owned)
            .ok_or(ScratchError::NotUnicode(p))
    };
    let set = |section, key, value: String| Setting {
        section,
        key,
        value: Some(value),
    };
    let settings = [
        set("git", "url", path(scratch.remote.clone())?),
        // A fallback only: pushes to the local remote are seen by a file watch.
        set("git", "poll_interval", "5s".to_owned()),
        set("platform", "host", endpoints.platform.clone()),
        set("platform", "client_id", endpoints.client_id.clone()),
        Setting {
            section: "platform",
            key: "client_secret_env",
            value: None,
        },
        set("platform", "client_secret_file", path(scratch.secret())?),
        set("platform", "job_poll_interval", "100ms".to_owned()),
        set("daemon", "state_dir", path(scratch.root.join("state"))?),
        set("daemon", "listen", endpoints.listen.to_string()),
    ];
    let header = "# Written by `kore-gitops demo`: examples/kore-gitops.toml, every key\n\
                  # explained, with the demo's values filled in.\n\n";
    let text = header.to_owned() + &examples::fill_config(&settings)?;
    write(&scratch.config(), text.as_bytes())?;
    Ok(scratch.config())
}

/// An absolute path to `dir`, created if missing; refused when not empty.
fn claim(dir: &Path) -> Result<PathBuf, ScratchError> {
    let io = |source| ScratchError::Io {
        path: dir.to_owned(),
        source,
    };
    if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
        return Err(ScratchError::NotEmpty(dir.to_owned()));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    std::path::absolute(dir).map_err(io)
}

/// A new directory `kore-gitops-demo-XXXXXXXX` in the system's temporary folder.
fn fresh_temp_dir() -> Result<PathBuf, ScratchError> {
    loop {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("kore-gitops-demo-{}", &tag[..8]));
        match std::fs::create_dir(&dir) {
            Ok(()) => return std::path::absolute(&dir).map_err(|source| io_error(&dir, source)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(io_error(&dir, source)),
        }
    }
}

/// Commits `bots/` in a new clone of the remote and pushes it, so that the
/// user's `git push` needs no arguments.
fn commit_and_push(scratch: &Scratch) -> Result<(), ScratchError> {
    let mut options = RepositoryInitOptions::new();
    let repo = Repository::init_opts(&scratch.clone, options.initial_head(BRANCH))?;
    let mut index = repo.index()?;
    index.add_all(["bots"], IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let author = Signature::now(DEMO_NAME, DEMO_EMAIL)?;
    let message = "Add the example bots";
    let commit = repo.commit(Some("HEAD"), &author, &author, message, &tree, &[])?;
    let url = scratch
        .remote
        .to_str()
        .ok_or_else(|| ScratchError::NotUnicode(scratch.remote.clone()))?;
    let refspec = format!("refs/heads/{BRANCH}:refs/heads/{BRANCH}");
    repo.remote("origin", url)?
        .push(&[refspec.as_str()], None)?;
    let tracking = format!("refs/remotes/origin/{BRANCH}");
    repo.reference(&tracking, commit, true, "kore-gitops demo: pushed")?;
    let mut branch = repo.find_branch(BRANCH, BranchType::Local)?;
    branch.set_upstream(Some(&format!("origin/{BRANCH}")))?;
    ensure_identity(&repo)?;
    Ok(())
}

/// Gives the clone an identity when git has none configured, so that the
/// printed `git commit` works on a fresh machine.
fn ensure_identity(repo: &Repository) -> Result<(), git2::Error> {
    let config = repo.config()?;
    for (key, value) in [("user.name", DEMO_NAME), ("user.email", DEMO_EMAIL)] {
        if config.get_string(key).is_err() {
            config
                .open_level(git2::ConfigLevel::Local)?
                .set_str(key, value)?;
        }
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ScratchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| io_error(path, e))
}

/// Writes a file only its owner can read (it holds a secret).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ScratchError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    file.write_all(bytes).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: std::io::Error) -> ScratchError {
    ScratchError::Io {
        path: path.to_owned(),
        source,
    }
}
