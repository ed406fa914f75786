//! Test helper: commits built straight into a real git repository in a temp dir,
//! so hostile entries (symlinks, submodules) need no working tree.

use std::collections::BTreeMap;

use git2::{Oid, Repository, Signature};
use tempfile::TempDir;

/// One entry of a commit's tree.
pub enum Entry {
    /// A regular file.
    File(Vec<u8>),
    /// A symbolic link to the given target.
    Link(&'static str),
    /// A submodule (gitlink) at the given commit.
    Submodule,
}

pub const BOT_ID: &str = "st-d80da043-d205-5297-85dd-08e4fdd86ba0";
pub const OTHER_BOT_ID: &str = "st-3c0e1947-3392-5f08-9d40-14eebc86ea88";

/// The files of a minimal valid bot folder `bots/<name>/` for `bot_id`.
pub fn bot(name: &str, bot_id: &str) -> Vec<(String, Entry)> {
    let file = |path: &str, body: &str| {
        (
            format!("bots/{name}/{path}"),
            Entry::File(body.as_bytes().to_vec()),
        )
    };
    vec![
        file("bot.toml", &format!("bot_id = \"{bot_id}\"\n")),
        file("botDefinition.json", "{\n  \"dialogs\": []\n}\n"),
        file("config.json", "{\"name\": \"x\", \"envVariables\": []}\n"),
    ]
}

/// Replaces (or adds) one entry.
pub fn set(entries: &mut Vec<(String, Entry)>, path: &str, entry: Entry) {
    entries.retain(|(p, _)| p != path);
    entries.push((path.to_owned(), entry));
}

/// A new repository with one commit holding `entries`.
pub fn commit(entries: Vec<(String, Entry)>) -> (TempDir, Repository, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let tree = write_tree(&repo, entries);
    let signature = Signature::now("test", "test@example.com").unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let oid = repo
        .commit(Some("HEAD"), &signature, &signature, "bots", &tree, &[])
        .unwrap();
    drop(tree);
    (dir, repo, oid)
}

fn write_tree(repo: &Repository, entries: Vec<(String, Entry)>) -> Oid {
    let mut folders: BTreeMap<String, Vec<(String, Entry)>> = BTreeMap::new();
    let mut builder = repo.treebuilder(None).unwrap();
    for (path, entry) in entries {
        match path.split_once('/') {
            Some((folder, rest)) => folders
                .entry(folder.to_owned())
                .or_default()
                .push((rest.to_owned(), entry)),
            None => {
                let (oid, mode) = match entry {
                    Entry::File(bytes) => (repo.blob(&bytes).unwrap(), 0o100644),
                    Entry::Link(target) => (repo.blob(target.as_bytes()).unwrap(), 0o120000),
                    Entry::Submodule => (
                        Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
                        0o160000,
                    ),
                };
                builder.insert(&path, oid, mode).unwrap();
            }
        }
    }
    for (folder, inner) in folders {
        let oid = write_tree(repo, inner);
        builder.insert(&folder, oid, 0o040000).unwrap();
    }
    builder.write().unwrap()
}
