//! The soak test: a seeded random mix of commits, platform faults at every
//! phase, live edits and passes, ending — once the faults are cleared — with
//! every bot synced to the last commit. The simulator's per-bot history
//! proves the safety properties over the whole run: nothing published that
//! was never committed, nothing published without a successful import and a
//! successful training of that same content before it, and no content
//! published again while it already was.
//!
//! `KORE_GITOPS_SOAK_SEED` and `KORE_GITOPS_SOAK_ROUNDS` override the seed and
//! the number of rounds; the seed and every step are printed, so a failing
//! run can be replayed exactly.

use std::collections::{BTreeMap, BTreeSet};

use kore_gitops::reconcile::Report;
use kore_gitops::sim::faults::ENDPOINTS;
use kore_gitops::status::{Note, Phase};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use super::targets::copy_folder;
use super::world::{BOTS, World, counters};
use safety::{Event, Expected, Gate, violations};

mod safety;

const DEFAULT_SEED: u64 = 0x5eed_0005;
const DEFAULT_ROUNDS: usize = 20;

/// What a round may do to the bots in git.
const EDITS: &[Edit] = &[Edit::Utterance, Edit::DialogName, Edit::Variable];

#[derive(Debug, Clone, Copy)]
enum Edit {
    Utterance,
    DialogName,
    Variable,
    /// Deletes the English utterances of it-helpdesk's Report Outage (its
    /// gate's suite fails).
    BreakIntent,
    /// Adds the gate suite's utterances back (its suite passes again).
    RestoreIntent,
}

/// The bot a gated soak gates, and its suite.
const GATED_BOT: &str = "it-helpdesk";
const GATE_SUITE: &str = r#"{"testCases": [
  {"input": "reset my password", "intent": "Reset Password"},
  {"input": "the VPN is down", "intent": "Report Outage"}
]}"#;
const GATE_MIN_F1: f64 = 0.9;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not valid"))
        })
        .unwrap_or(default)
}

struct Soak {
    world: World,
    rng: StdRng,
    seed: u64,
    /// Every content digest committed for each bot, the initial one included.
    committed: BTreeMap<String, BTreeSet<String>>,
    /// The digest of each bot's folder at the first commit (what the
    /// simulator was seeded with: both copies hold it at start).
    initial: BTreeMap<String, String>,
    /// The digest of each bot's folder at the last commit.
    latest: BTreeMap<String, String>,
    /// Makes every edit unique, so that a commit always changes something.
    counter: u32,
    /// Whether the git remote goes away during some passes (after their
    /// fetch, so their notes cannot be pushed) and comes back.
    remote_blips: bool,
    /// Whether it-helpdesk has a publish gate (and commits break and restore
    /// what its suite tests).
    gated: bool,
}

impl Soak {
    async fn start(seed: u64, remote_blips: bool) -> Soak {
        let world = World::start().await;
        // Stalled answers must outlast the client's patience.
        world.set_request_timeout("2s");
        // Passes come thick and fast: the platform's per-minute limits would
        // turn the run into minutes of waiting. 429s are scripted instead.
        world
            .fault(
                "/rate-limits",
                json!({"per_minute": 1_000_000, "per_hour": 1_000_000}),
            )
            .await;
        let mut soak = Soak {
            world,
            rng: StdRng::seed_from_u64(seed),
            seed,
            committed: BTreeMap::new(),
            initial: BTreeMap::new(),
            latest: BTreeMap::new(),
            counter: 0,
            remote_blips,
            gated: false,
        };
        for bot in BOTS {
            soak.record_committed(bot);
            let digest = soak.latest[*bot].clone();
            soak.initial.insert((*bot).to_owned(), digest);
            let live = soak.world.bot(bot).await;
            assert_eq!(
                live["dev_digest"].as_str(),
                Some(soak.latest[*bot].as_str()),
                "the test digests committed folders as the simulator digests bots"
            );
        }
        soak
    }

    /// The languages the bot's `bot.toml` trains.
    fn languages(&self, bot: &str) -> Vec<String> {
        let path = self.world.work.join("bots").join(bot).join("bot.toml");
        let settings: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
        let languages = settings["languages"]
            .as_array()
            .expect("languages in bot.toml");
        languages
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect()
    }

    fn step(&self, what: impl std::fmt::Display) {
        println!("soak (seed {}): {what}", self.seed);
    }

    fn record_committed(&mut self, bot: &str) {
        let folder = self.world.work.join("bots").join(bot);
        let files = kore_gitops::sim::seed::load(&folder).expect("the bot folder loads");
        let digest = kore_gitops::sim::archive::digest(&files);
        self.committed
            .entry(bot.to_owned())
            .or_default()
            .insert(digest.clone());
        self.latest.insert(bot.to_owned(), digest);
    }

    async fn round(&mut self, n: usize) {
        self.step(format!("round {n}"));
        if self.rng.random_bool(0.6) {
            self.commit_change();
        }
        if self.rng.random_bool(0.25) {
            self.edit_live().await;
        }
        for _ in 0..self.rng.random_range(0..=2) {
            self.inject_fault().await;
        }
        let passes = if self.rng.random_bool(0.3) { 2 } else { 1 };
        for _ in 0..passes {
            self.pass().await;
        }
        if self.rng.random_bool(0.3) {
            self.clear_faults().await;
            self.pass().await;
        }
    }

    /// Gives it-helpdesk a publish gate: its App Builder app in the
    /// daemon's configuration, a suite in `tests/`, `[gate]` in `bot.toml`.
    fn enable_gate(&mut self) {
        let world = &self.world;
        let builder = world.sim.credentials.app("builder");
        let secret = world.config.with_file_name("tests-secret");
        std::fs::write(&secret, &builder.client_secret).unwrap();
        let mut config = std::fs::read_to_string(&world.config).unwrap();
        config.push_str(&format!(
            "\n[test_apps.helpdesk]\nclient_id = {:?}\nclient_secret_file = {:?}\n",
            builder.client_id,
            secret.to_str().unwrap()
        ));
        std::fs::write(&world.config, config).unwrap();
        let folder = world.work.join("bots").join(GATED_BOT);
        std::fs::create_dir_all(folder.join("tests")).unwrap();
        std::fs::write(folder.join("tests/smoke.json"), GATE_SUITE).unwrap();
        let settings = format!(
            "bot_name = \"IT Helpdesk\"\nlanguages = [\"en\", \"es\"]\n\
             [gate]\napp = \"helpdesk\"\nmin_f1 = {GATE_MIN_F1}\nlanguages = [\"en\"]\n"
        );
        std::fs::write(folder.join("bot.toml"), settings).unwrap();
        world.commit_all("it-helpdesk: a publish gate");
        self.gated = true;
        self.step("it-helpdesk has a publish gate");
    }

    /// The gate the safety check holds a bot to.
    fn gate(&self, bot: &str) -> Option<(Vec<String>, Vec<String>)> {
        (self.gated && bot == GATED_BOT).then(|| (vec!["smoke".to_owned()], vec!["en".to_owned()]))
    }

    /// Commits the gate suite's utterances back on the gated bot.
    fn commit_restore(&mut self) {
        self.counter += 1;
        self.step(format!(
            "commit: {GATED_BOT} RestoreIntent #{}",
            self.counter
        ));
        self.apply_edit(GATED_BOT, Edit::RestoreIntent);
        self.world
            .commit_all(&format!("soak restore #{}", self.counter));
        self.record_committed(GATED_BOT);
    }

    fn commit_change(&mut self) {
        if self.gated && self.rng.random_bool(0.4) {
            let edit = *[Edit::BreakIntent, Edit::RestoreIntent]
                .choose(&mut self.rng)
                .unwrap();
            self.counter += 1;
            self.step(format!("commit: {GATED_BOT} {edit:?} #{}", self.counter));
            self.apply_edit(GATED_BOT, edit);
            self.world
                .commit_all(&format!("soak change #{}", self.counter));
            self.record_committed(GATED_BOT);
            return;
        }
        let bots: Vec<&str> = if self.rng.random_bool(0.3) {
            BOTS.to_vec()
        } else {
            vec![*BOTS.choose(&mut self.rng).unwrap()]
        };
        for bot in &bots {
            let edit = *EDITS.choose(&mut self.rng).unwrap();
            self.counter += 1;
            self.step(format!("commit: {bot} {edit:?} #{}", self.counter));
            self.apply_edit(bot, edit);
        }
        self.world
            .commit_all(&format!("soak change #{}", self.counter));
        bots.iter().for_each(|bot| self.record_committed(bot));
    }

    fn apply_edit(&mut self, bot: &str, edit: Edit) {
        let n = self.counter;
        let pick = self.rng.random_range(0..100usize);
        match edit {
            Edit::Utterance => self.world.edit_file(bot, "botDefinition.json", |d| {
                let sentences = d["sentences"].as_array_mut().unwrap();
                let i = pick % sentences.len();
                sentences[i]["sentence"] = format!("soak utterance {n}").into();
            }),
            Edit::DialogName => self.world.edit_file(bot, "botDefinition.json", |d| {
                let dialogs = d["dialogs"].as_array_mut().unwrap();
                let i = pick % dialogs.len();
                let dialog = &mut dialogs[i];
                let name = format!("Soak dialog {n}");
                dialog["name"] = name.clone().into();
                dialog["localeData"]["en"]["name"] = name.into();
            }),
            Edit::Variable => self.world.edit_file(bot, "config.json", |c| {
                c["envVariables"][0]["value"] = format!("soak-value-{n}").into();
            }),
            Edit::BreakIntent => self.world.edit_file(bot, "botDefinition.json", |d| {
                let sentences = d["sentences"].as_array_mut().unwrap();
                sentences.retain(|s| !(s["taskName"] == "Report Outage" && s["language"] == "en"));
                // Something new, so the commit always changes the bot.
                sentences.push(json!({"sentence": format!("soak broken {n}"),
                    "taskName": "Reset Password", "language": "en"}));
            }),
            Edit::RestoreIntent => self.world.edit_file(bot, "botDefinition.json", |d| {
                let sentences = d["sentences"].as_array_mut().unwrap();
                for (text, intent) in [
                    ("reset my password".to_owned(), "Reset Password"),
                    ("the VPN is down".to_owned(), "Report Outage"),
                    (format!("soak restored {n}"), "Report Outage"),
                ] {
                    sentences.push(json!({"sentence": text, "taskName": intent, "language": "en"}));
                }
            }),
        }
    }

    /// A person edits the live in-development copy (drift).
    async fn edit_live(&mut self) {
        let bot = *BOTS.choose(&mut self.rng).unwrap();
        self.counter += 1;
        let n = self.counter;
        self.step(format!("live edit: {bot} #{n}"));
        self.world
            .edit_live(bot, |d| {
                d["sentences"][0]["sentence"] = format!("drifted live {n}").into();
            })
            .await;
    }

    /// One scripted fault, at any endpoint or job: before the platform does
    /// the work, or after it (the answer lost); another client's job; a
    /// designer edit at a moment of a job; a page that is not JSON.
    async fn inject_fault(&mut self) {
        let endpoint = *ENDPOINTS.choose(&mut self.rng).unwrap();
        let (path, body) = match self.rng.random_range(0..11) {
            7 => {
                let modes = [
                    json!({"mode": "drop"}),
                    json!({"mode": "504"}),
                    json!({"mode": "html", "status": 200}),
                    json!({"mode": "stall", "millis": 2500}),
                ];
                let mut body = modes.choose(&mut self.rng).unwrap().clone();
                body["endpoint"] = endpoint.into();
                ("/lost-answer".to_owned(), body)
            }
            8 => {
                let status = *[200, 401, 502].choose(&mut self.rng).unwrap();
                let body = json!({"endpoint": endpoint, "status": status, "body": "html"});
                ("/faults".to_owned(), body)
            }
            9 => {
                let bot = self
                    .world
                    .sim
                    .credentials
                    .bot(BOTS.choose(&mut self.rng).unwrap());
                let kind = *["export", "train"].choose(&mut self.rng).unwrap();
                let millis = self.rng.random_range(20..150);
                let body = json!({"kind": kind, "millis": millis});
                (format!("/bots/{}/jobs", bot.id), body)
            }
            10 => self.edit_at_a_moment(),
            n => self.scripted_fault(n, endpoint),
        };
        self.step(format!("fault: {path} {body}"));
        self.world.fault(&path, body).await;
    }

    /// A designer edit timed to a job of a bot.
    fn edit_at_a_moment(&mut self) -> (String, Value) {
        let bot = self
            .world
            .sim
            .credentials
            .bot(BOTS.choose(&mut self.rng).unwrap());
        let kind = *["export", "import", "train", "publish", "testrun"]
            .choose(&mut self.rng)
            .unwrap();
        let when = *["accepted", "finished"].choose(&mut self.rng).unwrap();
        self.counter += 1;
        let body = json!({"kind": kind, "when": when, "skip": self.rng.random_range(0..3),
            "set": [{"pointer": "/sentences/0/sentence",
                     "value": format!("edited at a moment {}", self.counter)}]});
        (format!("/bots/{}/edit-at", bot.id), body)
    }

    /// The faults that strike before the platform does anything.
    fn scripted_fault(&mut self, n: u32, endpoint: &str) -> (String, Value) {
        let (path, body) = match n {
            0 => {
                let status = *[500, 502, 503, 504].choose(&mut self.rng).unwrap();
                let count = self.rng.random_range(1..=2);
                let body = json!({"endpoint": endpoint, "status": status, "count": count});
                ("/faults", body)
            }
            1 => {
                let retry_after = self.rng.random_bool(0.2).then_some(1);
                let body = json!({"endpoint": endpoint, "status": 429, "retry_after": retry_after});
                ("/faults", body)
            }
            2 => ("/drop", json!({"endpoint": endpoint})),
            3 => {
                let kind = *["export", "import", "train", "publish", "testrun"]
                    .choose(&mut self.rng)
                    .unwrap();
                ("/job-failures", json!({"kind": kind}))
            }
            4 => {
                let mode = *["truncate", "corrupt", "expired"]
                    .choose(&mut self.rng)
                    .unwrap();
                ("/download-fault", json!({"mode": mode}))
            }
            5 => ("/expire-links", json!({})),
            _ => ("/latency", json!({"endpoint": endpoint, "millis": 40})),
        };
        (path.to_owned(), body)
    }

    async fn clear_faults(&self) {
        self.step("faults cleared");
        self.world.fault("/faults/clear", json!({})).await;
    }

    async fn pass(&mut self) -> Vec<Report> {
        let reports = if self.remote_blips && self.rng.random_bool(0.5) {
            self.step("the git remote goes away after the fetch, and comes back after the pass");
            self.world.sync_with_remote_away().await
        } else {
            self.world.sync().await
        };
        let outcome: Vec<String> = reports.iter().map(describe).collect();
        self.step(format!("pass: {}", outcome.join("; ")));
        self.check_safety().await;
        reports
    }

    /// The safety properties over each bot's whole history so far.
    async fn check_safety(&self) {
        for bot in BOTS {
            let history = self.world.history(bot).await;
            assert_eq!(history["dropped"], 0, "the whole history is kept");
            let events: Vec<Event> =
                serde_json::from_value(history["events"].clone()).expect("history events parse");
            let gate = self.gate(bot);
            let expected = Expected {
                committed: &self.committed[*bot],
                initial: &self.initial[*bot],
                languages: &self.languages(bot),
                gate: gate.as_ref().map(|(suites, languages)| Gate {
                    suites,
                    languages,
                    min_f1: GATE_MIN_F1,
                }),
            };
            let problems = violations(&events, &expected);
            assert!(
                problems.is_empty(),
                "seed {}: {bot}: {problems:#?}\nhistory: {events:#?}",
                self.seed
            );
        }
    }
}

fn describe(report: &Report) -> String {
    match &report.status {
        Some(s) if s.phase == Phase::Failed => format!(
            "{} Failed ({})",
            report.bot,
            s.error.as_deref().unwrap_or_default()
        ),
        Some(s) => format!("{} {} ({})", report.bot, s.phase, s.summary),
        None => format!("{} not reconciled", report.bot),
    }
}

#[tokio::test]
async fn a_random_mix_of_commits_faults_and_edits_ends_synced_and_safe() {
    let seed = env_or("KORE_GITOPS_SOAK_SEED", DEFAULT_SEED);
    let rounds = env_or("KORE_GITOPS_SOAK_ROUNDS", DEFAULT_ROUNDS);
    let mut soak = Soak::start(seed, false).await;
    soak.step(format!(
        "{rounds} rounds (replay: KORE_GITOPS_SOAK_SEED={seed} KORE_GITOPS_SOAK_ROUNDS={rounds})"
    ));
    for n in 1..=rounds {
        soak.round(n).await;
    }
    soak.clear_faults().await;
    let mut reports = soak.pass().await;
    if !all_synced(&reports) {
        reports = soak.pass().await;
    }
    soak.assert_converged(&reports).await;
}

/// The same mix with a publish gate on it-helpdesk, whose commits now and
/// then delete (or restore) what its suite tests, and faults on the test
/// suite endpoints and runs: no publish without a passing gate on that same
/// content, and a final commit that restores the suite's utterances
/// converges.
#[tokio::test]
async fn with_a_publish_gate_nothing_is_published_without_a_passing_gate() {
    let seed = env_or("KORE_GITOPS_SOAK_SEED", DEFAULT_SEED);
    let rounds = env_or("KORE_GITOPS_SOAK_ROUNDS", 12);
    let mut soak = Soak::start(seed, false).await;
    soak.enable_gate();
    for n in 1..=rounds {
        soak.round(n).await;
    }
    soak.clear_faults().await;
    soak.commit_restore();
    let mut reports = soak.pass().await;
    if !all_synced(&reports) {
        reports = soak.pass().await;
    }
    soak.assert_converged(&reports).await;
    let runs = soak.world.bot(GATED_BOT).await["test_runs"]
        .as_u64()
        .unwrap();
    assert!(runs > 0, "seed {seed}: the gate ran");
}

/// The same mix with the git remote going away during passes: every note
/// the passes wrote reaches the remote once it is back, none is lost.
#[tokio::test]
async fn with_the_git_remote_going_away_and_back_every_note_is_pushed() {
    let seed = env_or("KORE_GITOPS_SOAK_SEED", DEFAULT_SEED);
    let rounds = env_or("KORE_GITOPS_SOAK_ROUNDS", 6);
    let mut soak = Soak::start(seed, true).await;
    for n in 1..=rounds {
        soak.round(n).await;
    }
    soak.remote_blips = false;
    soak.clear_faults().await;
    let mut reports = soak.pass().await;
    if !all_synced(&reports) {
        reports = soak.pass().await;
    }
    soak.assert_converged(&reports).await;
    assert_eq!(
        soak.world.mirror_notes(),
        soak.world.notes_ref(),
        "seed {seed}: the mirror holds no unpushed note"
    );
}

/// The same mix with a second folder on travel-desk's live bot (a copy
/// naming it by `bot_name`, travel-desk by `bot_id`): both folders are
/// refused at every pass, travel-desk's bot is never imported, and the other
/// bot converges as before.
#[tokio::test]
async fn with_two_folders_on_one_bot_both_are_refused_and_that_bot_is_never_imported() {
    let seed = env_or("KORE_GITOPS_SOAK_SEED", DEFAULT_SEED);
    let rounds = env_or("KORE_GITOPS_SOAK_ROUNDS", 4);
    let mut soak = Soak::start(seed, false).await;
    let settings = "bot_name = \"Travel Desk\"\nlanguages = [\"en\"]\n";
    copy_folder(
        &soak.world,
        "travel-desk",
        "travel-desk-copy",
        Some(settings),
    );
    soak.world
        .commit_all("a second folder on travel-desk's bot");
    for n in 1..=rounds {
        soak.round(n).await;
    }
    soak.clear_faults().await;
    let mut reports = soak.pass().await;
    if !synced(&reports, "it-helpdesk") {
        reports = soak.pass().await;
    }
    assert!(
        synced(&reports, "it-helpdesk"),
        "seed {seed}: not converged"
    );
    for folder in ["travel-desk", "travel-desk-copy"] {
        let status = World::status_of(&reports, folder);
        let error = status.error.as_deref().unwrap_or_default();
        assert!(
            status.phase == Phase::Failed && error.contains("resolve to one live bot"),
            "seed {seed}: {folder}: {status:#?}"
        );
    }
    let travel = soak.world.bot("travel-desk").await;
    assert_eq!(counters(&travel), (0, 0, 0), "seed {seed}: {travel}");
}

fn synced(reports: &[Report], bot: &str) -> bool {
    reports
        .iter()
        .any(|r| r.bot == bot && r.status.as_ref().is_some_and(|s| s.phase == Phase::Synced))
}

fn all_synced(reports: &[Report]) -> bool {
    reports
        .iter()
        .all(|r| r.status.as_ref().is_some_and(|s| s.phase == Phase::Synced))
}

impl Soak {
    /// Every bot synced to the last commit: by the pass, by the note on the
    /// head commit, and by the simulator's digests of both copies.
    async fn assert_converged(&self, reports: &[Report]) {
        let (seed, head) = (self.seed, self.world.head());
        assert!(all_synced(reports), "seed {seed}: not converged");
        assert_eq!(reports.len(), BOTS.len(), "seed {seed}");
        for report in reports {
            assert_eq!(report.commit.to_string(), head, "seed {seed}");
        }
        let note = Note::parse(&self.world.head_note()).expect("the head note parses");
        for bot in BOTS {
            let phase = note.bots.get(*bot).map(|s| s.phase);
            assert_eq!(phase, Some(Phase::Synced), "seed {seed}: note of {bot}");
            let live = self.world.bot(bot).await;
            let want = Value::from(self.latest[*bot].as_str());
            assert_eq!(
                live["dev_digest"], want,
                "seed {seed}: {bot} in development"
            );
            assert_eq!(
                live["published_digest"], want,
                "seed {seed}: {bot} published"
            );
        }
    }
}
