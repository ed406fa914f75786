//! Hostile repositories, built with real git: every refusal is a specific
//! problem naming the file, and one bad bot never hides a good one.

use kore_gitops::desired::{BotEntry, MAX_SETTINGS_BYTES, Problem, RepoError, read_commit};

use super::gitrepo::{BOT_ID, Entry, OTHER_BOT_ID, bot, commit, set};

fn read(entries: Vec<(String, Entry)>) -> Vec<BotEntry> {
    let (_dir, repo, oid) = commit(entries);
    read_commit(&repo, oid, "bots").unwrap()
}

/// The problems of the only bot folder, which must have failed.
fn problems_of_one(entries: Vec<(String, Entry)>) -> Vec<Problem> {
    let mut bots = read(entries);
    assert_eq!(bots.len(), 1);
    bots.remove(0)
        .expect_err("the bot folder should be refused")
        .problems
}

fn assert_problem(problems: &[Problem], file: &str, words: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p.file == file && p.message.contains(words)),
        "no problem on {file} saying {words:?} in {problems:#?}"
    );
}

fn file(body: &[u8]) -> Entry {
    Entry::File(body.to_vec())
}

#[test]
fn a_clean_bot_reads() {
    let bots = read(bot("good", BOT_ID));
    let good = bots[0].as_ref().expect("a clean bot folder reads");
    assert_eq!(good.name.as_str(), "good");
    assert_eq!(good.files.definition, b"{\n  \"dialogs\": []\n}\n");
}

#[test]
fn symlinks_are_refused() {
    let mut entries = bot("a", BOT_ID);
    set(
        &mut entries,
        "bots/a/config.json",
        Entry::Link("/etc/passwd"),
    );
    assert_problem(
        &problems_of_one(entries),
        "bots/a/config.json",
        "symbolic link",
    );
}

#[test]
fn a_symlinked_bot_folder_is_refused() {
    let entries = vec![("bots/linked".to_owned(), Entry::Link("../elsewhere"))];
    assert_problem(&problems_of_one(entries), "bots/linked", "symbolic link");
}

#[test]
fn submodules_are_refused() {
    let mut entries = bot("a", BOT_ID);
    set(&mut entries, "bots/a/vendor", Entry::Submodule);
    assert_problem(&problems_of_one(entries), "bots/a/vendor", "submodule");
}

#[test]
fn nested_folders_are_refused() {
    let mut entries = bot("a", BOT_ID);
    set(&mut entries, "bots/a/more/x.js", file(b"x"));
    assert_problem(&problems_of_one(entries), "bots/a/more", "nested folders");
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let mut entries = bot("a", BOT_ID);
    let huge = format!(
        "bot_id = \"{BOT_ID}\"\n#{}\n",
        "x".repeat(MAX_SETTINGS_BYTES as usize)
    );
    set(&mut entries, "bots/a/bot.toml", file(huge.as_bytes()));
    assert_problem(&problems_of_one(entries), "bots/a/bot.toml", "-byte limit");
}

#[test]
fn invalid_json_names_file_line_and_column() {
    let mut entries = bot("a", BOT_ID);
    set(
        &mut entries,
        "bots/a/botDefinition.json",
        file(b"{\n  \"dialogs\": [,]\n}\n"),
    );
    let problems = problems_of_one(entries);
    assert_problem(&problems, "bots/a/botDefinition.json", "invalid JSON");
    assert_eq!(
        (problems[0].line, problems[0].column),
        (Some(2), Some(15)),
        "{problems:?}"
    );
}

#[test]
fn invalid_utf8_is_refused() {
    let mut entries = bot("a", BOT_ID);
    set(
        &mut entries,
        "bots/a/config.json",
        file(b"{\"name\": \"\xff\"}"),
    );
    set(
        &mut entries,
        "bots/a/functions.js",
        file(b"var a = '\xc3\x28';"),
    );
    let problems = problems_of_one(entries);
    assert_problem(&problems, "bots/a/config.json", "not valid UTF-8");
    assert_problem(&problems, "bots/a/functions.js", "not valid UTF-8");
}

#[test]
fn unknown_keys_in_bot_toml_name_the_line() {
    let mut entries = bot("a", BOT_ID);
    set(
        &mut entries,
        "bots/a/bot.toml",
        file(format!("bot_id = \"{BOT_ID}\"\n\nsuspended = true\n").as_bytes()),
    );
    let problems = problems_of_one(entries);
    assert_problem(&problems, "bots/a/bot.toml", "suspended");
    assert_eq!(problems[0].line, Some(3));
}

#[test]
fn unexpected_and_missing_files_are_named() {
    let mut entries = bot("a", BOT_ID);
    entries.retain(|(path, _)| !path.ends_with("config.json"));
    set(&mut entries, "bots/a/notes.txt", file(b"hello"));
    set(&mut entries, "bots/a/README.md", file(b"notes are fine"));
    let problems = problems_of_one(entries);
    assert_problem(&problems, "bots/a/notes.txt", "unexpected file");
    assert_problem(&problems, "bots/a/config.json", "missing");
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn duplicate_bot_ids_name_both_folders_and_spare_the_others() {
    let mut entries = bot("first", BOT_ID);
    entries.extend(bot("second", BOT_ID));
    entries.extend(bot("third", OTHER_BOT_ID));
    let bots = read(entries);
    assert_eq!(bots.len(), 3);
    let first = bots[0].as_ref().unwrap_err();
    assert_problem(
        &first.problems,
        "bots/first/bot.toml",
        "also used by bots/second",
    );
    let second = bots[1].as_ref().unwrap_err();
    assert_problem(
        &second.problems,
        "bots/second/bot.toml",
        "also used by bots/first",
    );
    assert_eq!(
        bots[2]
            .as_ref()
            .expect("the third bot is fine")
            .name
            .as_str(),
        "third"
    );
}

#[test]
fn a_shared_bot_name_names_both_folders_and_a_suspended_folder_takes_no_part() {
    let mut entries = bot("first", BOT_ID);
    entries.extend(bot("second", OTHER_BOT_ID));
    entries.extend(bot("parked", BOT_ID));
    let by_name = |folder: &str, more: &str| {
        let text = format!("bot_name = \"Travel Desk\"\n{more}");
        (format!("bots/{folder}/bot.toml"), file(text.as_bytes()))
    };
    let (path, entry) = by_name("first", "");
    set(&mut entries, &path, entry);
    let (path, entry) = by_name("second", "");
    set(&mut entries, &path, entry);
    let (path, entry) = by_name("parked", "suspend = true\n");
    set(&mut entries, &path, entry);
    let bots = read(entries);
    assert_eq!(bots.len(), 3);
    for (i, folder, other) in [(0, "first", "second"), (2, "second", "first")] {
        let error = bots[i].as_ref().unwrap_err();
        let file = format!("bots/{folder}/bot.toml");
        let words = format!("bot_name \"Travel Desk\" is also used by bots/{other}:");
        assert_problem(&error.problems, &file, &words);
    }
    let parked = bots[1].as_ref().expect("the suspended folder reads");
    assert!(parked.settings.suspend);
}

#[test]
fn one_bad_bot_never_hides_a_good_one() {
    let mut entries = bot("bad", BOT_ID);
    set(&mut entries, "bots/bad/bot.toml", file(b"bot_id = 1\n"));
    entries.extend(bot("good", OTHER_BOT_ID));
    let bots = read(entries);
    assert!(bots[0].is_err());
    assert!(bots[1].is_ok());
}

#[test]
fn a_missing_bots_folder_is_a_repository_error() {
    let (_dir, repo, oid) = commit(vec![("README.md".to_owned(), file(b"hi"))]);
    let error = read_commit(&repo, oid, "bots").unwrap_err();
    assert!(matches!(error, RepoError::NoBotsFolder { .. }), "{error}");
}
