//! The round trip the daemon makes, on every real export: seed it into the
//! simulator and export it through the real client over HTTP, twice (the two
//! exports are equivalent although the platform regenerated their volatile
//! fields and shuffled every set at every depth, the full shuffle being on
//! with a seed per fixture); then push one real edit at a time the way the daemon does (upload
//! the files, full import), export again, and check that the diff against the
//! unchanged export says "different" and names exactly that edit.

use kore_gitops::desired::{BotFiles, IgnoreRules};
use kore_gitops::diff::{BotDiff, NormalisedBot, normalise};
use kore_gitops::ids::BotId;
use kore_gitops::platform::{ExportKind, PlatformClient};
use kore_gitops::reconcile::upload_and_import;
use kore_gitops::sim::config::ShuffleConfig;
use kore_gitops::sim::{RunningSim, SimConfig};
use serde_json::Value;

use super::edits;
use super::support::{compare_checked, config, definition, with_config, with_definition};
use crate::support::client::fast_client;
use crate::support::fixtures;
use crate::support::sim::start_sim_with;

/// The edits, named so that each test says which ones its export has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Utterance,
    DialogName,
    FaqAnswer,
    ServiceUrl,
    VariableValue,
    Functions,
}

use Edit::*;

/// An edit of a definition that returns the one-line summary the diff must give.
type DefinitionEdit = fn(&mut Value) -> Option<String>;

/// The edits of the definition that end in a one-line summary.
const DEFINITION_EDITS: &[(Edit, DefinitionEdit)] = &[
    (Utterance, edits::change_one_utterance),
    (DialogName, edits::rename_one_dialog),
    (FaqAnswer, edits::edit_one_faq_answer),
];

const HELLO: &str = "function greet() { return 'hello'; }\n";
const HI: &str = "function greet() { return 'hi'; }\n";
const NEW_VALUE: &str = "s3cr3t-value-after-the-edit";

/// One fixture, seeded alone into its own simulator.
struct SeededBot {
    name: &'static str,
    id: BotId,
    client: PlatformClient,
    _sim: RunningSim,
}

/// An export as read by the client, and its normalised form.
struct Export {
    files: BotFiles,
    normalised: NormalisedBot,
}

impl SeededBot {
    /// `None` (after a notice) when the fixtures are absent outside CI.
    async fn seed(name: &'static str) -> Option<SeededBot> {
        let folder = fixtures::export(name)?;
        let config = SimConfig {
            shuffle: ShuffleConfig {
                enabled: true,
                seed: name.len() as u64,
            },
            ..SimConfig::instant()
        };
        let sim = start_sim_with(&[folder], config).await;
        let id = sim.credentials.bot(name).id.parse().expect("a bot id");
        let client = fast_client(&sim, "admin");
        Some(SeededBot {
            name,
            id,
            client,
            _sim: sim,
        })
    }

    /// Exports the in-development copy through the client and normalises it.
    async fn export(&self) -> Export {
        let archive = self
            .client
            .export(&self.id, ExportKind::Latest)
            .await
            .unwrap_or_else(|e| panic!("{}: export: {e}", self.name));
        let files = BotFiles::from(archive);
        let normalised = normalise(&files, &IgnoreRules::default()).expect("an export normalises");
        Export { files, normalised }
    }

    /// Pushes `files` as the daemon does: upload each file, then a full import.
    async fn push(&self, files: &BotFiles) {
        upload_and_import(&self.client, &self.id, files, None)
            .await
            .unwrap_or_else(|e| panic!("{}: upload and import: {e}", self.name));
    }

    /// Pushes `files`, exports, and describes the export against `before`.
    async fn push_and_diff(&self, files: &BotFiles, before: &Export) -> BotDiff {
        self.push(files).await;
        compare_checked(&before.normalised, &self.export().await.normalised)
    }
}

/// The whole round trip on one fixture; `expected` lists the edits it has room for.
async fn round_trip(name: &'static str, expected: &[Edit]) {
    let Some(bot) = SeededBot::seed(name).await else {
        return;
    };
    let unchanged = bot.export().await;
    let again = bot.export().await;
    assert_ne!(
        definition(&unchanged.files),
        definition(&again.files),
        "{name}: the simulator regenerated nothing"
    );
    let diff = compare_checked(&unchanged.normalised, &again.normalised);
    assert!(
        diff.is_empty(),
        "{name}: a re-export differs: {}",
        diff.detailed()
    );

    let mut applied = definition_edits(&bot, &unchanged).await;
    applied.extend(variable_and_functions_edits(&bot, &unchanged).await);
    assert_eq!(applied, expected, "{name}: the edits that applied");
}

/// Each edit of the definition alone, pushed on top of the unchanged export.
async fn definition_edits(bot: &SeededBot, unchanged: &Export) -> Vec<Edit> {
    let mut applied = Vec::new();
    for (edit, apply) in DEFINITION_EDITS {
        let mut edited = definition(&unchanged.files);
        let Some(expected) = apply(&mut edited) else {
            continue;
        };
        let diff = bot
            .push_and_diff(&with_definition(&unchanged.files, &edited), unchanged)
            .await;
        assert_eq!(
            diff.summary(),
            expected,
            "{}: {}",
            bot.name,
            diff.detailed()
        );
        applied.push(*edit);
    }
    let mut edited = definition(&unchanged.files);
    if let Some(service) = edits::change_one_service_url(&mut edited) {
        let diff = bot
            .push_and_diff(&with_definition(&unchanged.files, &edited), unchanged)
            .await;
        service.check(&diff, bot.name);
        applied.push(ServiceUrl);
    }
    applied
}

/// A variable value and the functions file, each changed alone on top of a
/// baseline that has both (most exports have neither).
async fn variable_and_functions_edits(bot: &SeededBot, unchanged: &Export) -> Vec<Edit> {
    let mut settings = config(&unchanged.files);
    edits::ensure_variable(&mut settings);
    let baseline_files = edits::with_functions(&with_config(&unchanged.files, &settings), HELLO);
    bot.push(&baseline_files).await;
    let baseline = bot.export().await;

    let expected = edits::change_one_variable_value(&mut settings, NEW_VALUE)
        .expect("the baseline has a variable");
    let diff = bot
        .push_and_diff(&with_config(&baseline_files, &settings), &baseline)
        .await;
    assert_eq!(
        diff.summary(),
        expected,
        "{}: {}",
        bot.name,
        diff.detailed()
    );
    edits::assert_not_printed(&diff, NEW_VALUE, bot.name);

    let diff = bot
        .push_and_diff(&edits::with_functions(&baseline_files, HI), &baseline)
        .await;
    assert_eq!(diff.summary(), edits::functions_changed(), "{}", bot.name);
    vec![VariableValue, Functions]
}

/// The fixtures these tests cover, so a new fixture cannot go untested.
const COVERED: &[&str] = &[
    "demobot-Export_All",
    "demobot-Export_BotTasks",
    "demobot-Export_NLPData",
    "demobot-Export_WithoutSettings",
    "vaidyah-kg",
    "vaxie-multilang",
    "weatherbot-2019",
];

#[test]
fn every_fixture_has_a_round_trip() {
    assert_eq!(COVERED, fixtures::EXPORTS);
}

#[tokio::test]
async fn demobot_export_all() {
    let all = [Utterance, DialogName, ServiceUrl, VariableValue, Functions];
    round_trip("demobot-Export_All", &all).await;
}

#[tokio::test]
async fn demobot_export_bot_tasks() {
    let tasks = [DialogName, ServiceUrl, VariableValue, Functions];
    round_trip("demobot-Export_BotTasks", &tasks).await;
}

#[tokio::test]
async fn demobot_export_nlp_data() {
    let nlp = [Utterance, DialogName, ServiceUrl, VariableValue, Functions];
    round_trip("demobot-Export_NLPData", &nlp).await;
}

#[tokio::test]
async fn demobot_export_without_settings() {
    let without = [Utterance, DialogName, ServiceUrl, VariableValue, Functions];
    round_trip("demobot-Export_WithoutSettings", &without).await;
}

#[tokio::test]
async fn vaidyah_kg() {
    let kg = [
        Utterance,
        DialogName,
        FaqAnswer,
        ServiceUrl,
        VariableValue,
        Functions,
    ];
    round_trip("vaidyah-kg", &kg).await;
}

#[tokio::test]
async fn vaxie_multilang() {
    let vaxie = [DialogName, FaqAnswer, ServiceUrl, VariableValue, Functions];
    round_trip("vaxie-multilang", &vaxie).await;
}

#[tokio::test]
async fn weatherbot_2019() {
    let weather = [Utterance, DialogName, ServiceUrl, VariableValue, Functions];
    round_trip("weatherbot-2019", &weather).await;
}
