//! `validate` applies the daemon's rules: what it passes, a pass accepts; what
//! a pass refuses, it refuses, saying why.

use std::fs;
use std::path::{Path, PathBuf};

use super::kore_gitops;
use crate::reconcile::world::World;

fn example(bot: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/bots")
        .join(bot)
}

/// A copy of the example bot `it-helpdesk` at `bots/<name>` whose definition
/// text is `edit`ed.
fn bot_with_definition(root: &Path, name: &str, edit: impl FnOnce(String) -> String) {
    let folder = root.join("bots").join(name);
    fs::create_dir_all(&folder).unwrap();
    for entry in fs::read_dir(example("it-helpdesk")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let definition = folder.join("botDefinition.json");
    let text = fs::read_to_string(&definition).unwrap();
    fs::write(&definition, edit(text)).unwrap();
    // Each folder needs its own live bot, or validate refuses the duplicate id.
    let settings = folder.join("bot.toml");
    let toml = fs::read_to_string(&settings).unwrap();
    let id_line = toml
        .lines()
        .find(|l| l.starts_with("bot_id") || l.starts_with("bot_name"))
        .unwrap();
    let own = format!("bot_name = \"{name}\"");
    fs::write(&settings, toml.replace(id_line, &own)).unwrap();
}

/// `{"huge": 1e999, …}`: valid JSON syntax, but no 64-bit float holds it.
fn with_huge_number(text: String) -> String {
    text.replacen('{', "{\"huge\": 1e999,", 1)
}

#[tokio::test]
async fn validate_refuses_what_the_daemon_refuses_and_says_why() {
    let root = tempfile::tempdir().unwrap();
    bot_with_definition(root.path(), "huge-number", with_huge_number);
    bot_with_definition(root.path(), "deep", |text| {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        text.replacen('{', &format!("{{\"deep\": {deep},"), 1)
    });
    bot_with_definition(root.path(), "oversized", |_| {
        // Valid JSON just over the 64 MiB an export may hold.
        format!("{{\"padding\": \"{}\"}}", "x".repeat(64 * 1024 * 1024 + 1))
    });
    let run = kore_gitops(root.path(), &["validate", root.path().to_str().unwrap()]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    for (file, why) in [
        (
            "bots/huge-number/botDefinition.json:",
            "too large for a 64-bit float",
        ),
        (
            "bots/deep/botDefinition.json:",
            "nested deeper than 128 levels",
        ),
        (
            "bots/oversized/botDefinition.json:",
            "(64 MiB) for botDefinition.json",
        ),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no problem for {file}:\n{}", run.stdout));
        assert!(line.contains(why), "{line}");
    }
    assert!(run.stdout.contains("3 problem(s)"), "{}", run.stdout);
}

#[tokio::test]
async fn plan_refuses_the_same_definition_with_the_same_reason() {
    let world = World::start().await;
    let definition = world.work.join("bots/it-helpdesk/botDefinition.json");
    let text = fs::read_to_string(&definition).unwrap();
    fs::write(&definition, with_huge_number(text)).unwrap();
    world.commit_all("a number no float holds");
    let config = world.config.to_str().unwrap();
    let plan = kore_gitops(&world.work, &["plan", "--config", config]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let line = plan
        .stdout
        .lines()
        .find(|l| l.starts_with("it-helpdesk:"))
        .unwrap_or_else(|| panic!("{}", plan.stdout));
    assert!(line.contains("too large for a 64-bit float"), "{line}");
    let validate = kore_gitops(&world.work, &["validate", "."]).await;
    assert_eq!(validate.code, 2, "{}", validate.all());
    assert!(
        validate.stdout.contains("too large for a 64-bit float"),
        "{}",
        validate.all()
    );
}

#[tokio::test]
async fn validate_names_a_listed_language_the_definition_lacks() {
    let root = tempfile::tempdir().unwrap();
    bot_with_definition(root.path(), "helpdesk", |text| text);
    let settings = root.path().join("bots/helpdesk/bot.toml");
    let toml = fs::read_to_string(&settings).unwrap();
    let narrowed = toml.replace(
        "languages = [\"en\", \"es\"]",
        "languages = [\"en\", \"fr\"]",
    );
    assert_ne!(toml, narrowed, "the example lists its languages");
    fs::write(&settings, narrowed).unwrap();
    let run = kore_gitops(root.path(), &["validate", root.path().to_str().unwrap()]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("bots/helpdesk/bot.toml:"))
        .unwrap_or_else(|| panic!("no problem for bot.toml:\n{}", run.stdout));
    assert!(line.contains("\"fr\""), "{line}");
    assert!(line.contains("does not hold"), "{line}");
    assert!(run.stdout.contains("1 problem(s)"), "{}", run.stdout);
}
