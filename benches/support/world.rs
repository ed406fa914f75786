//! The world of the reconciler benchmarks: `count` bot folders generated from
//! `examples/bots/*` (distinct folder and bot names), committed and pushed with
//! the git command line to a bare "remote", a simulator seeded with the same
//! folders (so every bot starts in sync), and a kore-gitops configuration with
//! the defaults except where a bench says otherwise.
//!
//! Needs `#[path = "../tests/it/support/git.rs"] mod git;` in the bench.

use std::path::{Path, PathBuf};

use kore_gitops::sim::{RunningSim, SimConfig, SimOptions};
use tempfile::TempDir;

use crate::git::{git, remote_with_clone};

/// The example bots the generated ones are copies of.
const EXAMPLES: &[&str] = &["it-helpdesk", "travel-desk"];

/// Files of an example folder copied into each generated bot.
const COPIED: &[&str] = &["botDefinition.json", "icon.png", "travelDeskFunctions.js"];

/// Configuration beyond the defaults, as TOML lines per section.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    pub git: &'a str,
    pub daemon: &'a str,
    /// The simulator as the platform is documented: jobs that take its
    /// default 1.5 s and the documented rate limits (60 a minute, 1800 an
    /// hour per key; uploads share one account-wide budget). Otherwise jobs
    /// are instant and the limits lifted.
    pub documented_platform: bool,
}

pub struct BenchWorld {
    pub sim: RunningSim,
    /// For the simulator's control API.
    http: reqwest::Client,
    /// A user's clone that commits and pushes.
    pub work: PathBuf,
    pub config: PathBuf,
    /// Bot folder names, in order.
    pub bots: Vec<String>,
    _root: TempDir,
}

impl BenchWorld {
    /// Generates `count` bots and starts the simulator; `extra` holds more
    /// `[git]` and `[daemon]` configuration (TOML lines).
    pub async fn start(count: usize, extra: Extra<'_>) -> BenchWorld {
        let root = tempfile::tempdir().expect("a temp dir");
        let repo = remote_with_clone(root.path());
        let bots_dir = repo.work.join("bots");
        let bots: Vec<String> = (0..count).map(|n| generate_bot(&bots_dir, n)).collect();
        git(&repo.work, &["add", "."]);
        git(&repo.work, &["commit", "--quiet", "-m", "generated bots"]);
        git(&repo.work, &["push", "--quiet", "origin", "main"]);
        let seeds = bots.iter().map(|b| bots_dir.join(b)).collect();
        let sim = start_sim(seeds, extra.documented_platform).await;
        let config = write_config(root.path(), &repo.remote, &sim, extra);
        BenchWorld {
            sim,
            http: reqwest::Client::new(),
            work: repo.work,
            config,
            bots,
            _root: root,
        }
    }

    /// The platform id of a generated bot.
    pub fn bot_id(&self, bot: &str) -> String {
        kore_gitops::sim::crypto::bot_id(bot)
    }

    /// A control read: `GET /_sim{path}`.
    pub async fn control_get(&self, path: &str) -> serde_json::Value {
        let url = format!("{}/_sim{path}", self.sim.base_url);
        let response = self
            .http
            .get(url)
            .send()
            .await
            .expect("the simulator answers");
        response.json().await.expect("JSON")
    }

    /// The simulator's counter `key` (`exports`, `publishes`, …) of `bot`.
    pub async fn counter(&self, bot: &str, key: &str) -> u64 {
        let view = self
            .control_get(&format!("/bots/{}", self.bot_id(bot)))
            .await;
        view[key].as_u64().expect("a counter")
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots")
}

/// Writes bot number `n` (a copy of an example with its own folder name,
/// platform name and `bot_id`) and returns its folder name.
fn generate_bot(bots_dir: &Path, n: usize) -> String {
    let example = EXAMPLES[n % EXAMPLES.len()];
    let name = format!("{example}-{n:03}");
    let (from, to) = (examples().join(example), bots_dir.join(&name));
    std::fs::create_dir_all(&to).expect("bot folder");
    for file in COPIED.iter().filter(|f| from.join(f).is_file()) {
        std::fs::copy(from.join(file), to.join(file)).expect("copy");
    }
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("config.json")).expect("config.json"))
            .expect("config.json parses");
    let platform_name = format!("{} {n:03}", config["name"].as_str().unwrap_or("bot"));
    config["name"] = platform_name.into();
    let pretty = serde_json::to_vec_pretty(&config).expect("serialises");
    std::fs::write(to.join("config.json"), pretty).expect("config.json");
    let mut settings: toml::Table = std::fs::read_to_string(from.join("bot.toml"))
        .expect("bot.toml")
        .parse()
        .expect("bot.toml parses");
    settings.remove("bot_name");
    let id = kore_gitops::sim::crypto::bot_id(&name);
    settings.insert("bot_id".into(), id.into());
    std::fs::write(to.join("bot.toml"), settings.to_string()).expect("bot.toml");
    name
}

/// Instant jobs; rate limits out of the way, so that repeated passes measure
/// the daemon rather than the simulator's 60-per-minute windows (unless the
/// documented platform is asked for).
async fn start_sim(seeds: Vec<PathBuf>, documented: bool) -> RunningSim {
    let config = match documented {
        true => SimConfig::default(),
        false => {
            let mut config = SimConfig::instant();
            config.rate_limits.per_minute = 1_000_000;
            config.rate_limits.per_hour = 1_000_000;
            config
        }
    };
    kore_gitops::sim::start(SimOptions {
        listen: "127.0.0.1:0".parse().expect("loopback"),
        seeds,
        config,
        tls: None,
    })
    .await
    .expect("the simulator starts")
}

fn write_config(root: &Path, remote: &Path, sim: &RunningSim, extra: Extra) -> PathBuf {
    let admin = sim.credentials.app("admin");
    let secret = root.join("client-secret");
    std::fs::write(&secret, &admin.client_secret).expect("secret file");
    let config = root.join("kore-gitops.toml");
    let text = format!(
        "[git]\nurl = {remote:?}\n{git}\n\n[platform]\nhost = {host:?}\nclient_id = {id:?}\n\
         client_secret_file = {secret:?}\n\n[daemon]\nstate_dir = {state:?}\n{daemon}\n",
        git = extra.git,
        daemon = extra.daemon,
        remote = remote.to_str().expect("UTF-8 path"),
        host = sim.base_url,
        id = admin.client_id,
        secret = secret.to_str().expect("UTF-8 path"),
        state = root.join("state").to_str().expect("UTF-8 path"),
    );
    std::fs::write(&config, text).expect("config file");
    config
}
