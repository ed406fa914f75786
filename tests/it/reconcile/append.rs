//! `[import] utterances = "append"` cannot converge: an append import keeps
//! every utterance the bot has (the simulator merges as the platform does),
//! so an utterance deleted in git would stay live and every pass would import
//! again. kore-gitops refuses it with the reason, before touching the bot.

use kore_gitops::desired::{APPEND_REFUSED, BotFiles, IgnoreRules, read_bot_folder};
use kore_gitops::diff::{compare, normalise};
use kore_gitops::ids::BotId;
use kore_gitops::platform::{ExportKind, ImportOptions, UtteranceMode, UtteranceOptions};
use kore_gitops::reconcile::upload_and_import;
use kore_gitops::status::Phase;

use super::world::{World, counters};
use crate::support::client::fast_client;

/// What kore-gitops sent for `utterances = "append"` before it was refused:
/// the bot keeps an utterance deleted in git, so the import is never verified.
#[tokio::test]
async fn an_append_import_keeps_an_utterance_deleted_in_git() {
    let world = World::start().await;
    world.edit_file("travel-desk", "botDefinition.json", |d| {
        d["sentences"].as_array_mut().unwrap().pop();
    });
    let (_, files) = read_bot_folder(&world.work.join("bots/travel-desk")).unwrap();
    let client = fast_client(&world.sim, "admin");
    let bot: BotId = world.sim.credentials.bot("travel-desk").id.parse().unwrap();
    let append = ImportOptions {
        options: Some(UtteranceOptions {
            utterances: Some(UtteranceMode {
                append: true,
                replace: false,
            }),
            ..UtteranceOptions::default()
        }),
        ..ImportOptions::default()
    };
    let none = IgnoreRules::default();
    for _ in 0..2 {
        upload_and_import(&client, &bot, &files, Some(append.clone()))
            .await
            .unwrap();
        let live = BotFiles::from(client.export(&bot, ExportKind::Latest).await.unwrap());
        let diff = compare(
            &normalise(&files, &none).unwrap(),
            &normalise(&live, &none).unwrap(),
        );
        assert!(diff.summary().contains("utterances"), "{}", diff.summary());
    }
    // The same files imported in full converge at once.
    upload_and_import(&client, &bot, &files, None)
        .await
        .unwrap();
    let live = BotFiles::from(client.export(&bot, ExportKind::Latest).await.unwrap());
    let diff = compare(
        &normalise(&files, &none).unwrap(),
        &normalise(&live, &none).unwrap(),
    );
    assert!(diff.is_empty(), "{}", diff.summary());
}

#[tokio::test]
async fn appending_utterances_is_refused_with_the_reason_and_nothing_is_imported() {
    let world = World::start().await;
    world.sync().await;
    let toml = world.work.join("bots/travel-desk/bot.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("\n[import]\nutterances = \"append\"\n");
    std::fs::write(&toml, text).unwrap();
    world.edit_file("travel-desk", "botDefinition.json", |d| {
        d["sentences"].as_array_mut().unwrap().pop();
    });
    world.commit_all("travel-desk: drop an utterance, append on import");

    let reports = world.sync().await;
    let travel = World::status_of(&reports, "travel-desk");
    assert_eq!(travel.phase, Phase::Failed, "{travel:#?}");
    let error = travel.error.as_deref().unwrap_or(&travel.summary);
    assert!(error.contains(APPEND_REFUSED), "{travel:#?}");
    assert!(error.contains("bot.toml"), "names the file: {travel:#?}");
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
    let helpdesk = World::status_of(&reports, "it-helpdesk");
    assert_eq!(helpdesk.phase, Phase::Synced, "the other bot is untouched");

    // Taking the line out again converges in one import.
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        text.replace("[import]\nutterances = \"append\"\n", ""),
    )
    .unwrap();
    world.commit_all("travel-desk: replace utterances again");
    let reports = world.sync().await;
    assert_eq!(
        World::status_of(&reports, "travel-desk").phase,
        Phase::Synced
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
}
