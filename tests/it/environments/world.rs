//! Two accounts: two simulators with their own credentials, a `dev` one
//! holding the staging bot and a `prod` one holding the production bot, and
//! one bot folder (`travel-desk`) naming both as environments.

use std::path::{Path, PathBuf};

use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Report};
use kore_gitops::sim::{RunningSim, SimConfig};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::git::{git, remote_with_clone};
use crate::support::sim::{Client, start_sim_with};

/// The seed names of the two live bots (their ids derive from them).
pub const STAGING: &str = "travel-staging";
pub const PROD: &str = "travel-prod";
/// The secret the prod environment's `API_KEY` takes, by file.
pub const SECRET: &str = "prod-api-key-3b9f7c1e";
pub const STAGING_URL: &str = "https://staging.travel-api.example.com";
pub const PROD_URL: &str = "https://travel-api.example.com/v2";

pub struct Accounts {
    pub dev: RunningSim,
    pub prod: RunningSim,
    pub dev_control: Client,
    pub prod_control: Client,
    pub work: PathBuf,
    pub config: PathBuf,
    pub secrets: PathBuf,
    pub root: TempDir,
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots/travel-desk")
}

/// The production bot's own API key before kore-gitops touches it.
pub const PROD_OWN_KEY: &str = "prod-own-key-e41d";

/// `examples/bots/travel-desk` copied under another folder name; the
/// production bot starts with its own API key.
fn seed(root: &Path, name: &str) -> PathBuf {
    let dir = root.join("seeds").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(example()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    if name == PROD {
        let config = dir.join("config.json");
        let text = std::fs::read_to_string(&config).unwrap();
        let text = text.replace("example-key-not-a-real-secret", PROD_OWN_KEY);
        std::fs::write(config, text).unwrap();
    }
    dir
}

impl Accounts {
    /// Both accounts, and a repository whose `travel-desk` folder has the
    /// environments `settings` declares (`{staging}`/`{prod}` stand for the
    /// live bots' ids).
    pub async fn start(settings: &str) -> Accounts {
        let root = tempfile::tempdir().unwrap();
        let dev = start_sim_with(&[seed(root.path(), STAGING)], SimConfig::instant()).await;
        let prod = start_sim_with(&[seed(root.path(), PROD)], SimConfig::instant()).await;
        let repo = remote_with_clone(root.path());
        let folder = repo.work.join("bots/travel-desk");
        std::fs::create_dir_all(&folder).unwrap();
        for entry in std::fs::read_dir(example()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
        }
        let settings = settings
            .replace("{staging}", &dev.credentials.bot(STAGING).id)
            .replace("{prod}", &prod.credentials.bot(PROD).id);
        std::fs::write(folder.join("bot.toml"), settings).unwrap();
        let secrets = root.path().join("secrets");
        std::fs::create_dir_all(&secrets).unwrap();
        std::fs::write(secrets.join("travel-api-key"), format!("{SECRET}\n")).unwrap();
        let config = write_config(root.path(), &repo.remote, [&dev, &prod], &secrets);
        let accounts = Accounts {
            dev_control: Client::new(&dev),
            prod_control: Client::new(&prod),
            dev,
            prod,
            work: repo.work,
            config,
            secrets,
            root,
        };
        accounts.commit_all("travel-desk with environments");
        accounts
    }

    /// Writes a file of the bot folder (no commit).
    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.work.join("bots/travel-desk").join(file), text).unwrap();
    }

    /// Appends `line` to the daemon configuration's `[daemon]` table.
    pub fn daemon_setting(&self, line: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(&self.config, format!("{text}{line}\n")).unwrap();
    }

    pub fn load_config(&self) -> Config {
        Config::load(&self.config, &Env::default()).expect("the test configuration is valid")
    }

    /// One `sync` pass over every target.
    pub async fn sync(&self) -> Vec<Report> {
        let daemon = Daemon::start(self.load_config(), false)
            .await
            .expect("daemon starts");
        daemon.refresh().await.expect("refresh");
        daemon.pass_all(&[]).await
    }

    /// Commits everything in the clone and pushes it.
    pub fn commit_all(&self, message: &str) {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", message]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
    }

    /// Edits the definition in the clone, commits and pushes.
    pub fn commit_definition(&self, message: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.work.join("bots/travel-desk/botDefinition.json");
        let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut json);
        std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
        self.commit_all(message);
    }

    /// The clone's head commit.
    pub fn head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Passes run one at a time, in target order (`prod` before `staging`),
    /// so a test knows what each pass saw.
    pub fn one_at_a_time(&self) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(
            &self.config,
            text.replace("concurrency = 2", "concurrency = 1"),
        )
        .unwrap();
    }

    /// The staging bot as the dev account's simulator sees it.
    pub async fn staging(&self) -> Value {
        let id = &self.dev.credentials.bot(STAGING).id;
        self.dev_control.inspect(&format!("/bots/{id}")).await
    }

    /// The production bot as the prod account's simulator sees it.
    pub async fn production(&self) -> Value {
        let id = &self.prod.credentials.bot(PROD).id;
        self.prod_control.inspect(&format!("/bots/{id}")).await
    }

    /// The notes of every commit, as `git log --notes` shows them.
    pub fn all_notes(&self) -> String {
        git(
            &self.work,
            &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
        );
        git(
            &self.work,
            &["log", "--notes=kore-gitops", "--format=%H%n%N"],
        )
    }
}

/// The report of target `key`.
pub fn report<'a>(reports: &'a [Report], key: &str) -> &'a Report {
    reports
        .iter()
        .find(|r| r.bot == key)
        .unwrap_or_else(|| panic!("no report for {key}: {reports:?}"))
}

pub fn write_config(root: &Path, remote: &Path, sims: [&RunningSim; 2], secrets: &Path) -> PathBuf {
    let mut text = format!(
        "[git]\nurl = {:?}\n\n[daemon]\nstate_dir = {:?}\nconcurrency = 2\nsecrets_dir = {:?}\n",
        remote.to_str().unwrap(),
        root.join("state").to_str().unwrap(),
        secrets.to_str().unwrap(),
    );
    for (name, sim) in ["dev", "prod"].into_iter().zip(sims) {
        let admin = sim.credentials.app("admin");
        let secret = root.join(format!("{name}-client-secret"));
        std::fs::write(&secret, &admin.client_secret).unwrap();
        text = format!(
            "[platforms.{name}]\nhost = {host:?}\nclient_id = {id:?}\nclient_secret_file = {secret:?}\n\
             request_timeout = \"5s\"\njob_timeout = \"10s\"\njob_poll_interval = \"20ms\"\n\n{text}",
            host = sim.base_url,
            id = admin.client_id,
            secret = secret.to_str().unwrap(),
        );
    }
    let config = root.join("kore-gitops.toml");
    std::fs::write(&config, text).unwrap();
    config
}
