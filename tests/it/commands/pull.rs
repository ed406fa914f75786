//! `kore-gitops pull`: a live bot exported into its bot folder.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Run, kore_gitops};
use crate::reconcile::world::World;

/// Values of the example bots' variables (config.json), one of them secured.
const VARIABLE_VALUES: &[&str] = &["example-key-not-a-real-secret", "helpdesk-l1"];

fn example(bot: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/bots")
        .join(bot)
}

/// Runs `pull` with the world's configuration and checks that nothing secret
/// reached either stream, whatever the outcome.
async fn pull(world: &World, dir: &Path, args: &[&str]) -> Run {
    let config = world.config.to_str().unwrap();
    let mut all = vec!["pull", "--config", config];
    all.extend_from_slice(args);
    let run = kore_gitops(dir, &all).await;
    let text = run.all();
    for value in VARIABLE_VALUES {
        assert!(
            !text.contains(value),
            "a variable value was printed:\n{text}"
        );
    }
    for app in &world.sim.credentials.apps {
        assert!(
            !text.contains(&app.client_secret),
            "a client secret was printed:\n{text}"
        );
    }
    run
}

#[tokio::test]
async fn a_bot_pulled_into_an_empty_folder_equals_its_seed_and_validates() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("travel-desk");
    let into = folder.to_str().unwrap();
    let run = pull(
        &world,
        root.path(),
        &["--bot", "Travel Desk", "--into", into],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    let id = &world.sim.credentials.bot("travel-desk").id;
    assert!(run.stdout.contains(id.as_str()), "{}", run.stdout);

    let settings = fs::read_to_string(folder.join("bot.toml")).unwrap();
    assert_eq!(
        settings,
        format!("bot_id = \"{id}\"\nlanguages = [\"en\"]\n")
    );
    let definition = fs::read_to_string(folder.join("botDefinition.json")).unwrap();
    assert!(
        definition.starts_with("{\n    \""),
        "4-space indent:\n{definition:.200}"
    );
    assert!(folder.join("travelDeskFunctions.js").is_file());
    assert!(folder.join("icon.png").is_file());
    let names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "no temporary file left: {names:?}"
    );

    let seed = example("travel-desk");
    let diff = kore_gitops(root.path(), &["diff", seed.to_str().unwrap(), into]).await;
    assert_eq!(diff.code, 0, "equivalent to the seed: {}", diff.all());
    let validate = kore_gitops(root.path(), &["validate", into]).await;
    assert_eq!(validate.code, 0, "{}", validate.all());
}

#[tokio::test]
async fn pulling_into_an_existing_folder_keeps_bot_toml_and_drops_stale_functions() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("bots/it-helpdesk");
    fs::create_dir_all(&folder).unwrap();
    let settings = fs::read(example("it-helpdesk").join("bot.toml")).unwrap();
    fs::write(folder.join("bot.toml"), &settings).unwrap();
    fs::write(folder.join("retired.js"), "function old() {}\n").unwrap();
    fs::write(folder.join("config.json"), "{\"name\": \"stale\"}").unwrap();

    // The folder comes from `git.bots_dir` ("bots"), relative to the current directory.
    let run = pull(&world, root.path(), &["--bot", "it-helpdesk"]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("removed retired.js"), "{}", run.stdout);
    assert_eq!(
        fs::read(folder.join("bot.toml")).unwrap(),
        settings,
        "bot.toml untouched"
    );
    assert!(!folder.join("retired.js").exists());

    let seed = example("it-helpdesk");
    let args = ["diff", seed.to_str().unwrap(), folder.to_str().unwrap()];
    let diff = kore_gitops(root.path(), &args).await;
    assert_eq!(diff.code, 0, "equivalent to the seed: {}", diff.all());
}

#[tokio::test]
async fn pulling_a_two_language_bot_records_both_languages() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("it-helpdesk");
    let into = folder.to_str().unwrap();
    let run = pull(
        &world,
        root.path(),
        &["--bot", "IT Helpdesk", "--into", into],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    let id = &world.sim.credentials.bot("it-helpdesk").id;
    let settings = fs::read_to_string(folder.join("bot.toml")).unwrap();
    assert_eq!(
        settings,
        format!("bot_id = \"{id}\"\nlanguages = [\"en\", \"es\"]\n")
    );
    let validate = kore_gitops(root.path(), &["validate", into]).await;
    assert_eq!(validate.code, 0, "{}", validate.all());
}

#[tokio::test]
async fn pulling_into_a_bot_toml_without_languages_adds_them_and_keeps_the_rest() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("bots/it-helpdesk");
    fs::create_dir_all(&folder).unwrap();
    let before = "# The helpdesk, by name.\nbot_name = \"IT Helpdesk\"\ndrift = \"report\"\n\
                  publish_comment = \"from git\"\n\n[import]\nutterances = \"replace\"\n";
    fs::write(folder.join("bot.toml"), before).unwrap();

    let run = pull(&world, root.path(), &["--bot", "it-helpdesk"]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("bot.toml"), "{}", run.stdout);
    let after = fs::read_to_string(folder.join("bot.toml")).unwrap();
    let expected = before.replace(
        "\"from git\"\n",
        "\"from git\"\nlanguages = [\"en\", \"es\"]\n",
    );
    assert_eq!(after, expected);
    let validate = kore_gitops(root.path(), &["validate", folder.to_str().unwrap()]).await;
    assert_eq!(validate.code, 0, "{}", validate.all());
}

#[tokio::test]
async fn a_name_no_live_bot_has_exits_1_and_writes_nothing() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let run = pull(&world, root.path(), &["--bot", "no-such-bot"]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("no live bot is named \"no-such-bot\""),
        "{}",
        run.stderr
    );
    assert!(!root.path().join("bots").exists(), "nothing written");
}

#[tokio::test]
async fn a_bad_configuration_exits_64_and_a_bad_folder_name_exits_2() {
    let world = World::start().await;
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("broken.toml");
    fs::write(&config, "[git]\nurl = 3\n[platform]\n").unwrap();
    let args = ["pull", "--config", config.to_str().unwrap(), "--bot", "x"];
    let run = kore_gitops(root.path(), &args).await;
    assert_eq!(run.code, 64, "{}", run.all());

    let run = pull(&world, root.path(), &["--bot", "Travel Desk"]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--into"), "{}", run.stderr);
    let run = pull(&world, root.path(), &[]).await;
    assert_eq!(run.code, 2, "usage: --bot is required: {}", run.all());
}
