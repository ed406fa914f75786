//! Every real export of `../shared/fixtures/kore-exports/`, in two accounts:
//! pulled from its dev bot, promoted to a prod bot in the other account (the
//! import stamps prod's own identity, and training follows), then a second full pass finds 0
//! differences; and one designer edit on each dev bot, pulled back, is a git
//! diff of exactly that line. All exports share one world, so CI pays for
//! two simulators, not fourteen.

use std::path::{Path, PathBuf};

use kore_gitops::config::{Config, Env};
use kore_gitops::reconcile::{Daemon, Plan, Report};
use kore_gitops::sim::{RunningSim, SimConfig};
use kore_gitops::status::Phase;
use serde_json::Value;
use tempfile::TempDir;

use super::pull::numstat;
use super::world::{report, write_config};
use crate::commands::kore_gitops;
use crate::reconcile::world::counters;
use crate::support::fixtures;
use crate::support::git::{git, remote_with_clone};
use crate::support::sim::{Client, start_sim_with};

struct Exports {
    dev: RunningSim,
    prod: RunningSim,
    dev_control: Client,
    prod_control: Client,
    work: PathBuf,
    config: PathBuf,
    root: TempDir,
}

/// Each export as a seed named after it (symlinks: the fixtures are never copied).
fn seeds(root: &Path, account: &str, fixtures_dir: &Path) -> Vec<PathBuf> {
    let dir = root.join(format!("seeds-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    fixtures::EXPORTS
        .iter()
        .map(|name| {
            let link = dir.join(name);
            std::os::unix::fs::symlink(fixtures_dir.join(name), &link).unwrap();
            link
        })
        .collect()
}

impl Exports {
    async fn start(fixtures_dir: &Path) -> Exports {
        let root = tempfile::tempdir().unwrap();
        // Each seeded bot carries its own ids, as a real export does.
        let config = SimConfig {
            stamp_seeds: true,
            ..SimConfig::instant()
        };
        let dev = start_sim_with(&seeds(root.path(), "dev", fixtures_dir), config.clone()).await;
        let prod = start_sim_with(&seeds(root.path(), "prod", fixtures_dir), config).await;
        let repo = remote_with_clone(root.path());
        for name in fixtures::EXPORTS {
            let folder = repo.work.join("bots").join(name);
            std::fs::create_dir_all(&folder).unwrap();
            let settings = format!(
                "[environments.dev]\nplatform = \"dev\"\nbot_id = \"{}\"\ndrift = \"observe\"\n\n\
                 [environments.prod]\nplatform = \"prod\"\nbot_id = \"{}\"\n",
                dev.credentials.bot(name).id,
                prod.credentials.bot(name).id,
            );
            std::fs::write(folder.join("bot.toml"), settings).unwrap();
        }
        let secrets = root.path().join("secrets");
        std::fs::create_dir_all(&secrets).unwrap();
        let config = write_config(root.path(), &repo.remote, [&dev, &prod], &secrets);
        Exports {
            dev_control: Client::new(&dev),
            prod_control: Client::new(&prod),
            dev,
            prod,
            work: repo.work,
            config,
            root,
        }
    }

    /// `kore-gitops pull --bot NAME --env dev`, run where a user would (the clone).
    async fn pull(&self, name: &str) {
        let config = self.config.to_str().unwrap();
        let args = ["pull", "--config", config, "--bot", name, "--env", "dev"];
        let run = kore_gitops(&self.work, &args).await;
        assert_eq!(run.code, 0, "{name}: {}", run.all());
        assert!(
            !run.stdout.contains("written whole"),
            "{name}: {}",
            run.stdout
        );
    }

    fn commit_all(&self, message: &str) {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", message]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
    }

    /// One `sync` of every target; `state`: another state folder (no
    /// verification on record, so every pass exports and compares).
    async fn sync(&self, state: Option<&str>) -> Vec<Report> {
        let mut config = Config::load(&self.config, &Env::default()).unwrap();
        if let Some(state) = state {
            config.daemon.state_dir = self.root.path().join(state);
        }
        let daemon = Daemon::start(config, false).await.expect("daemon starts");
        daemon.refresh().await.expect("refresh");
        daemon.pass_all(&[]).await
    }

    async fn bot(&self, account: &str, name: &str) -> Value {
        let (sim, control) = match account {
            "dev" => (&self.dev, &self.dev_control),
            _ => (&self.prod, &self.prod_control),
        };
        let id = &sim.credentials.bot(name).id;
        control.inspect(&format!("/bots/{id}")).await
    }
}

/// Changes one line's worth of a definition: the first utterance, or (a
/// bot without any) the first dialog's name.
fn edit_one_line(definition: &mut Value, suffix: &str) {
    if let Some(first) = definition["sentences"]
        .as_array_mut()
        .and_then(|s| s.first_mut())
    {
        let text = first["sentence"].as_str().unwrap().to_owned();
        first["sentence"] = format!("{text}{suffix}").into();
        return;
    }
    let locales = definition["dialogs"][0]["localeData"]
        .as_object_mut()
        .unwrap();
    let (_, first) = locales.iter_mut().next().unwrap();
    let name = first["name"].as_str().unwrap().to_owned();
    first["name"] = format!("{name}{suffix}").into();
}

fn phase(reports: &[Report], key: &str) -> Option<Phase> {
    report(reports, key).status.as_ref().map(|s| s.phase)
}

#[tokio::test]
async fn every_real_export_pulled_from_dev_converges_on_prod_and_pulls_back_one_edit_alone() {
    let Some(fixtures_dir) = fixtures::kore_exports() else {
        return;
    };
    let world = Exports::start(&fixtures_dir).await;
    for name in fixtures::EXPORTS {
        world.pull(name).await;
        // Prod holds an older definition, so the first pass has work to do.
        let id = &world.prod.credentials.bot(name).id;
        world
            .prod_control
            .edit_definition(id, |d| edit_one_line(d, " (before)"))
            .await;
    }
    world.commit_all("the dev bots, pulled");

    let first = world.sync(None).await;
    for name in fixtures::EXPORTS {
        let (dev, prod) = (format!("{name}/dev"), format!("{name}/prod"));
        assert_eq!(phase(&first, &dev), Some(Phase::Synced), "{dev}: {first:?}");
        assert_eq!(
            phase(&first, &prod),
            Some(Phase::Synced),
            "{prod}: {first:?}"
        );
        // Imported and trained. Not published: prod's published copy is the
        // export under prod's own identity, which already holds the commit;
        // so this also shows the published copy compares without phantoms.
        // (One training per language.)
        let (imports, trainings, publishes) = counters(&world.bot("prod", name).await);
        assert_eq!((imports, publishes), (1, 0), "{prod}: imported");
        assert!(trainings >= 1, "{prod}: trained");
        assert_eq!(counters(&world.bot("dev", name).await), (0, 0, 0), "{dev}");
    }

    // A second pass exports both bots again and compares in full: the
    // identities prod stamped on the import are no difference.
    let second = world.sync(Some("state-again")).await;
    for name in fixtures::EXPORTS {
        for env in ["dev", "prod"] {
            let key = format!("{name}/{env}");
            let pass = report(&second, &key);
            assert_eq!(pass.plan, Some(Plan::Synced), "{key}: {pass:?}");
            let detail = pass.detail.as_deref().unwrap_or_default();
            assert!(detail.contains("no differences"), "{key}: {detail}");
        }
        let (imports, _, publishes) = counters(&world.bot("prod", name).await);
        assert_eq!((imports, publishes), (1, 0), "{name}: nothing more");
    }

    // One designer edit per dev bot; the pull shows exactly that line.
    for name in fixtures::EXPORTS {
        let id = &world.dev.credentials.bot(name).id;
        world
            .dev_control
            .edit_definition(id, |d| edit_one_line(d, " (edited)"))
            .await;
        world.pull(name).await;
    }
    let changed = numstat(&world.work);
    let expected: Vec<(u32, u32, String)> = fixtures::EXPORTS
        .iter()
        .map(|name| (1, 1, format!("bots/{name}/botDefinition.json")))
        .collect();
    assert_eq!(
        changed,
        expected,
        "{}",
        git(&world.work, &["diff", "--stat"])
    );
}
