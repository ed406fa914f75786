//! A whole world for end-to-end tests: the simulator seeded with the example
//! bots, a bare "remote" holding the example repository, a user's clone that
//! commits and pushes with the git command line, and a kore-gitops
//! configuration pointing at both.

use std::path::{Path, PathBuf};

use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Report};
use kore_gitops::sim::{RunningSim, SimConfig};
use kore_gitops::status::BotStatus;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::git::{git, remote_with_clone};
use crate::support::sim::{Client, start_sim_with};

/// The bearer token of `POST /trigger/{bot}` in every world's configuration.
pub const TRIGGER_TOKEN: &str = "trigger-token-for-tests-81c2";

/// The example bots every world starts with.
pub const BOTS: &[&str] = &["it-helpdesk", "travel-desk"];

pub struct World {
    pub sim: RunningSim,
    pub control: Client,
    pub work: PathBuf,
    /// The bare "remote" the daemon fetches from and pushes notes to.
    pub remote: PathBuf,
    pub config: PathBuf,
    /// Holds every folder of the world; removed when the test ends.
    _root: TempDir,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots")
}

impl World {
    pub async fn start() -> World {
        let root = tempfile::tempdir().unwrap();
        let seeds: Vec<PathBuf> = BOTS.iter().map(|b| examples().join(b)).collect();
        let sim = start_sim_with(&seeds, SimConfig::instant()).await;
        let repo = remote_with_clone(root.path());
        copy_dir(&examples(), &repo.work.join("bots"));
        git(&repo.work, &["add", "."]);
        git(
            &repo.work,
            &["commit", "--quiet", "-m", "add the example bots"],
        );
        git(&repo.work, &["push", "--quiet", "origin", "main"]);
        let config = write_config(root.path(), &repo.remote, &sim);
        let control = Client::new(&sim);
        World {
            sim,
            control,
            work: repo.work,
            remote: repo.remote,
            config,
            _root: root,
        }
    }

    /// The loaded configuration (what `--config` would give).
    pub fn load_config(&self) -> Config {
        Config::load(&self.config, &Env::default()).expect("the test configuration is valid")
    }

    /// One `sync` pass through the library, as `kore-gitops sync` runs it.
    pub async fn sync(&self) -> Vec<Report> {
        self.sync_from(None, &[]).await
    }

    /// A `sync` of `bots` (all when empty) by a kore-gitops with its own state
    /// folder (mirror) when one is given.
    pub async fn sync_from(&self, state_dir: Option<&Path>, bots: &[String]) -> Vec<Report> {
        let mut config = self.load_config();
        if let Some(dir) = state_dir {
            config.daemon.state_dir = dir.to_owned();
        }
        let daemon = Daemon::start(config, false).await.expect("daemon starts");
        daemon.refresh().await.expect("refresh");
        daemon.pass_all(bots).await
    }

    /// Sets the platform request timeout of the configuration (`"400ms"`).
    pub fn set_request_timeout(&self, value: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let text = text.replace(
            "request_timeout = \"5s\"",
            &format!("request_timeout = {value:?}"),
        );
        std::fs::write(&self.config, text).unwrap();
    }

    /// A `sync` whose git remote goes away after the fetch (so its notes
    /// cannot be pushed) and comes back once the pass is over.
    pub async fn sync_with_remote_away(&self) -> Vec<Report> {
        let daemon = Daemon::start(self.load_config(), false)
            .await
            .expect("daemon starts");
        daemon.refresh().await.expect("refresh");
        self.remote_down();
        let reports = daemon.pass_all(&[]).await;
        self.remote_up();
        reports
    }

    /// Where the mirror's notes ref points (the daemon's state folder).
    pub fn mirror_notes(&self) -> String {
        let mirror = self.load_config().daemon.state_dir.join("mirror.git");
        git(&mirror, &["rev-parse", "refs/notes/kore-gitops"])
            .trim()
            .to_owned()
    }

    /// Edits a bot's definition in the user's clone, commits and pushes.
    pub fn commit_definition(&self, bot: &str, message: &str, edit: impl FnOnce(&mut Value)) {
        self.edit_file(bot, "botDefinition.json", edit);
        self.commit_all(message);
    }

    /// Edits one JSON file of a bot folder in the user's clone (no commit).
    pub fn edit_file(&self, bot: &str, file: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.work.join("bots").join(bot).join(file);
        let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut json);
        std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    }

    /// The git remote goes away (the daemon can neither fetch nor push).
    pub fn remote_down(&self) {
        std::fs::rename(&self.remote, self.remote.with_extension("away")).unwrap();
    }

    /// The git remote comes back.
    pub fn remote_up(&self) {
        std::fs::rename(self.remote.with_extension("away"), &self.remote).unwrap();
    }

    /// The remote's notes ref (the commit it points at), fetched into the clone.
    pub fn notes_ref(&self) -> String {
        git(
            &self.work,
            &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
        );
        git(&self.work, &["rev-parse", "refs/notes/kore-gitops"])
            .trim()
            .to_owned()
    }

    /// The clone's head commit (full hex).
    pub fn head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Commits everything in the clone and pushes it.
    pub fn commit_all(&self, message: &str) {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", message]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
    }

    /// The simulator's view of a seeded bot (counters, digests).
    pub async fn bot(&self, name: &str) -> Value {
        let id = &self.sim.credentials.bot(name).id;
        self.control.inspect(&format!("/bots/{id}")).await
    }

    /// The simulator's history of a seeded bot (`/_sim/bots/{id}/history`).
    pub async fn history(&self, name: &str) -> Value {
        let id = &self.sim.credentials.bot(name).id;
        self.control.inspect(&format!("/bots/{id}/history")).await
    }

    /// Scripts a simulator fault: `POST /_sim{path}`.
    pub async fn fault(&self, path: &str, body: Value) {
        self.control.control(path, body).await;
    }

    /// Edits the live in-development copy directly, as a person in the UI would.
    pub async fn edit_live(&self, name: &str, edit: impl FnOnce(&mut Value)) {
        let id = &self.sim.credentials.bot(name).id;
        self.control.edit_definition(id, edit).await;
    }

    /// With the simulator in manual job mode: steps every pending job except
    /// those of kind `hold`, until the platform has accepted a `hold` call for
    /// `bot` (uploads name no bot: any upload counts). False after 12 s.
    pub async fn step_jobs_until_accepted(&self, bot: &str, hold: &str) -> bool {
        let id = self.sim.credentials.bot(bot).id.clone();
        for _ in 0..600 {
            let log: Value = self.control.inspect("/requests").await;
            let accepted = log.as_array().unwrap().iter().any(|entry| {
                let ours = entry.get("bot").is_none_or(|b| b == id.as_str());
                entry["endpoint"] == hold && ours && entry["status"] == 200
            });
            if accepted {
                return true;
            }
            for kind in ["export", "import", "train", "publish"] {
                if kind != hold {
                    self.fault("/jobs/step", serde_json::json!({ "kind": kind }))
                        .await;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        false
    }

    /// The one report for `bot` from a set of reports.
    pub fn status_of<'a>(reports: &'a [Report], bot: &str) -> &'a BotStatus {
        let report = reports
            .iter()
            .find(|r| r.bot == bot)
            .expect("a report for the bot");
        report.status.as_ref().expect("a status")
    }

    /// The notes on the clone's head, as `git log --notes` shows them.
    pub fn head_note(&self) -> String {
        git(
            &self.work,
            &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
        );
        git(
            &self.work,
            &["log", "-1", "--notes=kore-gitops", "--format=%N"],
        )
    }
}

/// A counter of the simulator's view of a bot (see [`World::bot`]).
pub fn count(bot: &Value, key: &str) -> u64 {
    bot[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {key} in {bot}"))
}

/// The imports, trainings and publishes of a bot, in that order.
pub fn counters(bot: &Value) -> (u64, u64, u64) {
    (
        count(bot, "imports"),
        count(bot, "trainings"),
        count(bot, "publishes"),
    )
}

fn write_config(root: &Path, remote: &Path, sim: &RunningSim) -> PathBuf {
    let admin = sim.credentials.app("admin");
    let secret = root.join("client-secret");
    std::fs::write(&secret, &admin.client_secret).unwrap();
    let token = root.join("trigger-token");
    std::fs::write(&token, TRIGGER_TOKEN).unwrap();
    let config = root.join("kore-gitops.toml");
    let text = format!(
        "[git]\nurl = {remote:?}\n\n[platform]\nhost = {host:?}\nclient_id = {id:?}\n\
         client_secret_file = {secret:?}\nrequest_timeout = \"5s\"\njob_timeout = \"10s\"\njob_poll_interval = \"20ms\"\n\n\
         [daemon]\nstate_dir = {state:?}\nconcurrency = 2\ntrigger_token_file = {token:?}\n",
        remote = remote.to_str().unwrap(),
        host = sim.base_url,
        id = admin.client_id,
        secret = secret.to_str().unwrap(),
        state = root.join("state").to_str().unwrap(),
        token = token.to_str().unwrap(),
    );
    std::fs::write(&config, text).unwrap();
    config
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
