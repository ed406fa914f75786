//! A platform client wired to an in-process simulator, tuned for fast tests.

use kore_gitops::ids::BotId;
use kore_gitops::platform::{PlatformClient, PlatformConfig};
use kore_gitops::sim::{RunningSim, SimConfig};
use serde_json::{Value, json};

use crate::support::sim::{Client, start_sim_with, write_synthetic_bot};

/// A simulator seeded with one synthetic bot, its id, and the tempdir holding the seed.
pub struct World {
    pub sim: RunningSim,
    pub bot: BotId,
    pub control: Client,
    _seeds: tempfile::TempDir,
}

impl World {
    pub async fn start() -> World {
        World::start_with(SimConfig::instant()).await
    }

    pub async fn start_with(config: SimConfig) -> World {
        let seeds = tempfile::tempdir().unwrap();
        let seed = write_synthetic_bot(seeds.path(), "travel");
        let sim = start_sim_with(&[seed], config).await;
        let bot = sim.credentials.bot("travel").id.parse().unwrap();
        let control = Client::new(&sim);
        World {
            sim,
            bot,
            control,
            _seeds: seeds,
        }
    }

    /// The configuration a test client starts from: short waits, quick retries.
    pub fn config(&self, app: &str) -> PlatformConfig {
        crate::support::client::fast_config(&self.sim, app)
    }

    pub fn client(&self, app: &str) -> PlatformClient {
        crate::support::client::fast_client(&self.sim, app)
    }

    /// `POST /_sim{path}` with a JSON body.
    pub async fn control(&self, path: &str, body: Value) {
        self.control.control(path, body).await;
    }

    /// Scripts the next `count` calls of `endpoint` to answer `status`.
    pub async fn fault(&self, endpoint: &str, status: u16, count: u32) {
        let body = json!({"endpoint": endpoint, "status": status, "count": count});
        self.control("/faults", body).await;
    }

    /// The simulator's counters.
    pub async fn stats(&self) -> Value {
        self.control.inspect("/stats").await
    }

    /// How many calls of `endpoint` the simulator saw.
    pub async fn calls(&self, endpoint: &str) -> u64 {
        let log = self.control.inspect("/requests").await;
        let entries = log.as_array().unwrap();
        entries
            .iter()
            .filter(|entry| entry["endpoint"] == endpoint)
            .count() as u64
    }

    /// The simulator's view of the bot.
    pub async fn bot_view(&self) -> Value {
        self.control.inspect(&format!("/bots/{}", self.bot)).await
    }
}
