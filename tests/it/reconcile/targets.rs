//! Two folders on one live bot would import and publish in turn, forever,
//! every note saying Synced: both are refused, nothing is imported for
//! either, and `plan`, `validate`, the log and the notes say why.

use std::fs;

use kore_gitops::status::Phase;
use serde_json::Value;

use super::world::{World, counters};
use crate::commands::kore_gitops;

/// Copies the bot folder `from` to `to` in the user's clone, with `bot.toml`
/// replaced by `settings` when given, and one utterance changed so that the
/// copy differs from the live bot (no commit).
pub fn copy_folder(world: &World, from: &str, to: &str, settings: Option<&str>) {
    let bots = world.work.join("bots");
    fs::create_dir_all(bots.join(to)).unwrap();
    for entry in fs::read_dir(bots.join(from)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), bots.join(to).join(entry.file_name())).unwrap();
    }
    if let Some(settings) = settings {
        fs::write(bots.join(to).join("bot.toml"), settings).unwrap();
    }
    world.edit_file(to, "botDefinition.json", |d| {
        d["sentences"][0]["sentence"] = format!("the {to} folder's utterance").into();
    });
}

/// How many Get Bots calls the simulator has seen.
async fn get_bots_calls(world: &World) -> usize {
    let log: Value = world.control.inspect("/requests").await;
    let entries = log.as_array().unwrap();
    entries.iter().filter(|e| e["endpoint"] == "bots").count()
}

/// Both folders' reports failed, each naming both folders and `live`.
fn assert_refused(reports: &[kore_gitops::reconcile::Report], folders: [&str; 2], live: &str) {
    for folder in folders {
        let status = World::status_of(reports, folder);
        assert_eq!(status.phase, Phase::Failed, "{folder}: {status:#?}");
        let error = status.error.as_deref().unwrap_or_default();
        assert!(
            error.contains(folders[0]) && error.contains(folders[1]) && error.contains(live),
            "{folder}: {error}"
        );
    }
}

#[tokio::test]
async fn a_folder_by_bot_name_on_the_bot_another_names_by_bot_id_refuses_both() {
    let world = World::start().await;
    // travel-desk names its bot by bot_id; the copy by its live name.
    let settings = "bot_name = \"Travel Desk\"\nlanguages = [\"en\"]\n";
    copy_folder(&world, "travel-desk", "travel-desk-copy", Some(settings));
    world.commit_all("a copy of travel-desk, by bot_name");
    let id = world.sim.credentials.bot("travel-desk").id.clone();
    let before = get_bots_calls(&world).await;
    for _ in 0..3 {
        let reports = world.sync().await;
        assert_refused(&reports, ["travel-desk", "travel-desk-copy"], id.as_str());
        let helpdesk = World::status_of(&reports, "it-helpdesk");
        assert_eq!(helpdesk.phase, Phase::Synced, "{helpdesk:#?}");
    }
    assert_eq!(
        get_bots_calls(&world).await - before,
        3,
        "one Get Bots per pass over the commit, shared by its folders"
    );
    assert_eq!(
        counters(&world.bot("travel-desk").await),
        (0, 0, 0),
        "nothing imported, trained or published for either folder"
    );
    let note = world.head_note();
    for folder in ["travel-desk", "travel-desk-copy"] {
        let section = note
            .split(&format!("[bots.{folder}]"))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {folder}:\n{note}"));
        let section = section.split("[bots.").next().unwrap();
        assert!(
            section.contains("phase = \"Failed\"")
                && section.contains(
                    "the folders travel-desk and travel-desk-copy resolve to one live bot"
                ),
            "{folder}:\n{note}"
        );
    }

    let config = world.config.to_str().unwrap();
    let plan = kore_gitops(&world.work, &["plan", "--config", config]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    for folder in ["travel-desk", "travel-desk-copy"] {
        let line = plan
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{folder}: ")))
            .unwrap_or_else(|| panic!("no line for {folder}:\n{}", plan.stdout));
        assert!(
            line.contains("error: bot.toml: the folders travel-desk and travel-desk-copy")
                && line.contains(id.as_str()),
            "{line}"
        );
    }
    assert!(
        plan.stdout.contains("it-helpdesk: in sync"),
        "{}",
        plan.stdout
    );
    let logged = plan
        .stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("resolve to one live bot"))
        .count();
    assert_eq!(logged, 2, "one warning per folder:\n{}", plan.stderr);
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
}

#[tokio::test]
async fn a_copied_folder_with_the_same_bot_name_is_refused_by_validate_and_sync() {
    let world = World::start().await;
    // it-helpdesk names its bot by bot_name: the copy still carries it.
    copy_folder(&world, "it-helpdesk", "it-helpdesk-copy", None);
    let validate = kore_gitops(&world.work, &["validate", "."]).await;
    assert_eq!(validate.code, 2, "{}", validate.all());
    for (folder, other) in [
        ("it-helpdesk", "it-helpdesk-copy"),
        ("it-helpdesk-copy", "it-helpdesk"),
    ] {
        let line = validate
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("./bots/{folder}/bot.toml:")))
            .unwrap_or_else(|| panic!("no problem for {folder}:\n{}", validate.stdout));
        assert!(
            line.contains(&format!(
                "bot_name \"IT Helpdesk\" is also used by ./bots/{other}"
            )),
            "{line}"
        );
    }

    world.commit_all("a copy of it-helpdesk");
    for _ in 0..2 {
        let reports = world.sync().await;
        for (folder, other) in [
            ("it-helpdesk", "it-helpdesk-copy"),
            ("it-helpdesk-copy", "it-helpdesk"),
        ] {
            let status = World::status_of(&reports, folder);
            assert_eq!(status.phase, Phase::Failed, "{folder}: {status:#?}");
            let error = status.error.as_deref().unwrap_or_default();
            let why = format!("bot_name \"IT Helpdesk\" is also used by bots/{other}:");
            assert!(error.contains(&why), "{folder}: {error}");
        }
        let travel = World::status_of(&reports, "travel-desk");
        assert_eq!(travel.phase, Phase::Synced, "{travel:#?}");
    }
    assert_eq!(counters(&world.bot("it-helpdesk").await), (0, 0, 0));
    let note = world.head_note();
    for other in ["it-helpdesk-copy:", "it-helpdesk:"] {
        assert!(
            note.contains(&format!("is also used by bots/{other}")),
            "{note}"
        );
    }
}
