//! `kore-gitops plan` and `kore-gitops sync` as a user runs them: what a pass
//! would do (0 in sync, 1 changes, 2 error) and one pass (0 all synced, 1
//! otherwise).

use super::kore_gitops;
use crate::reconcile::world::{World, counters};
use crate::support::git::git;

async fn run(world: &World, command: &str) -> super::Run {
    let config = world.config.to_str().unwrap();
    kore_gitops(&world.work, &[command, "--config", config]).await
}

#[tokio::test]
async fn plan_names_the_change_and_touches_nothing_then_sync_applies_it() {
    let world = World::start().await;
    let clean = run(&world, "plan").await;
    assert_eq!(clean.code, 0, "{}", clean.all());
    assert!(
        clean.stdout.contains("it-helpdesk: in sync"),
        "{}",
        clean.stdout
    );
    assert!(
        clean.stdout.contains("travel-desk: in sync"),
        "{}",
        clean.stdout
    );

    world.commit_definition("travel-desk", "change one utterance", |d| {
        d["sentences"][0]["sentence"] = "a planned change".into();
    });
    let planned = run(&world, "plan").await;
    assert_eq!(planned.code, 1, "{}", planned.all());
    let line = planned
        .stdout
        .lines()
        .find(|l| l.starts_with("travel-desk:"))
        .unwrap_or_else(|| panic!("{}", planned.stdout));
    assert!(line.contains("would import, train, publish"), "{line}");
    assert!(
        planned.stdout.contains("a planned change"),
        "the detail names the utterance:\n{}",
        planned.stdout
    );
    assert!(
        planned.stdout.contains("it-helpdesk: in sync"),
        "{}",
        planned.stdout
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (0, 0, 0));
    git(
        &world.work,
        &["fetch", "--quiet", "origin", "+refs/notes/*:refs/notes/*"],
    );
    let notes = git(&world.work, &["notes", "--ref", "kore-gitops", "list"]);
    assert_eq!(notes.trim(), "", "plan writes no note");

    let synced = run(&world, "sync").await;
    assert_eq!(synced.code, 0, "{}", synced.all());
    assert!(
        synced.stdout.contains("travel-desk\tSynced"),
        "{}",
        synced.stdout
    );
    assert_eq!(counters(&world.bot("travel-desk").await), (1, 1, 1));
    let after = run(&world, "plan").await;
    assert_eq!(after.code, 0, "{}", after.all());
}

#[tokio::test]
async fn a_broken_bot_makes_plan_exit_2_and_sync_exit_1_naming_the_file() {
    let world = World::start().await;
    let definition = world.work.join("bots/it-helpdesk/botDefinition.json");
    std::fs::write(&definition, "[1, 2,").unwrap();
    world.commit_all("break a definition");

    let planned = run(&world, "plan").await;
    assert_eq!(planned.code, 2, "{}", planned.all());
    let line = planned
        .stdout
        .lines()
        .find(|l| l.starts_with("it-helpdesk:"))
        .unwrap_or_else(|| panic!("{}", planned.stdout));
    assert!(
        line.contains("error:") && line.contains("botDefinition.json"),
        "{line}"
    );
    assert!(
        planned.stdout.contains("travel-desk: in sync"),
        "{}",
        planned.stdout
    );

    let synced = run(&world, "sync").await;
    assert_eq!(synced.code, 1, "{}", synced.all());
    assert!(
        synced.stdout.contains("it-helpdesk\tFailed"),
        "{}",
        synced.stdout
    );
    assert!(
        synced.stdout.contains("travel-desk\tSynced"),
        "{}",
        synced.stdout
    );
}

#[tokio::test]
async fn a_configuration_error_exits_64_with_every_problem() {
    let world = World::start().await;
    std::fs::write(
        &world.config,
        "[git]\nbranch = 3\n[daemon]\nconcurrency = 0\n",
    )
    .unwrap();
    for command in ["plan", "sync", "run"] {
        let result = run(&world, command).await;
        assert_eq!(result.code, 64, "{command}: {}", result.all());
        let all = result.all();
        assert!(
            all.contains("branch") && all.contains("concurrency"),
            "{command}: {all}"
        );
    }
}

#[tokio::test]
async fn plan_as_markdown_is_a_pull_request_comment() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "change one utterance", |d| {
        d["sentences"][0]["sentence"] = "a <b>planned</b> change".into();
    });
    let config = world.config.to_str().unwrap();
    let args = ["plan", "--config", config, "--format", "markdown"];
    let planned = kore_gitops(&world.work, &args).await;
    assert_eq!(planned.code, 1, "{}", planned.all());
    let text = &planned.stdout;
    assert!(text.starts_with("### kore-gitops plan\n"), "{text}");
    let item = text
        .lines()
        .find(|l| l.starts_with("- **travel-desk**: would import, train, publish"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(item.contains("utterances"), "{item}");
    assert!(text.contains("- **it-helpdesk**: in sync"), "{text}");
    // The difference is folded and fenced: the utterance's markup stays text.
    let details = text.split("<details>").nth(1).expect("a details block");
    assert!(details.contains("```text\n"), "{text}");
    assert!(details.contains("a <b>planned</b> change"), "{text}");
    assert_eq!(text.matches("<details>").count(), 1, "{text}");
    assert_eq!(text.matches("</details>").count(), 1, "{text}");
}
