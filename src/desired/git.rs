//! Reading bot folders straight from a commit's tree: no checkout, so no
//! symlink, path-escape or half-written-working-tree surprises.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree, TreeEntry};

use super::assemble::{
    EntryKind, RawEntry, cap_for, desired_bot, is_ignorable, refuse_shared_targets,
};
use super::gate::TESTS_FOLDER;
use super::problem::Problem;
use super::{BotEntry, BotError, RepoError};

const MODE_SYMLINK: i32 = 0o120000;
const MODE_SUBMODULE: i32 = 0o160000;

/// Reads every bot folder under `bots_dir` at `commit`: one entry per folder,
/// each a bot or the problems that kept it from being one.
pub fn read_commit(
    repo: &Repository,
    commit: Oid,
    bots_dir: &str,
) -> Result<Vec<BotEntry>, RepoError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let bots_dir = bots_dir.trim_matches('/');
    let no_folder = || RepoError::NoBotsFolder {
        path: format!("{bots_dir}/ at commit {commit}"),
    };
    let bots = match tree.get_path(Path::new(bots_dir)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => repo.find_tree(entry.id())?,
        Ok(_) => return Err(no_folder()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Err(no_folder()),
        Err(e) => return Err(e.into()),
    };
    let mut entries = Vec::new();
    for entry in bots.iter() {
        let Some(folder) = entry.name().ok().map(str::to_owned) else {
            entries.push(Err(non_utf8_name(bots_dir)));
            continue;
        };
        let label = format!("{bots_dir}/{folder}");
        match classify(repo, &entry, &folder)? {
            EntryKind::Folder => {
                let raw = read_bot_tree(repo, &repo.find_tree(entry.id())?)?;
                entries.push(desired_bot(&folder, &label, raw));
            }
            EntryKind::File(_) | EntryKind::Oversized(_) if is_ignorable(&folder) => {}
            kind => entries.push(Err(not_a_folder(&folder, &label, &kind))),
        }
    }
    refuse_shared_targets(&mut entries, |folder| format!("{bots_dir}/{folder}"));
    Ok(entries)
}

fn read_bot_tree(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<RawEntry>, RepoError> {
    let mut raw = Vec::new();
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        let kind = classify(repo, &entry, &name)?;
        // The suites: one level, read like the bot folder's own files.
        if name == TESTS_FOLDER && matches!(kind, EntryKind::Folder) {
            let tests = repo.find_tree(entry.id())?;
            for inner in tests.iter() {
                let path = format!(
                    "{TESTS_FOLDER}/{}",
                    String::from_utf8_lossy(inner.name_bytes())
                );
                let kind = classify(repo, &inner, &path)?;
                raw.push(RawEntry { name: path, kind });
            }
            continue;
        }
        raw.push(RawEntry { name, kind });
    }
    Ok(raw)
}

/// What a tree entry is; blobs are read only when within their size cap.
fn classify(repo: &Repository, entry: &TreeEntry<'_>, name: &str) -> Result<EntryKind, RepoError> {
    Ok(match (entry.filemode(), entry.kind()) {
        (MODE_SYMLINK, _) => EntryKind::Symlink,
        (MODE_SUBMODULE, _) | (_, Some(ObjectType::Commit)) => EntryKind::Submodule,
        (_, Some(ObjectType::Tree)) => EntryKind::Folder,
        (_, Some(ObjectType::Blob)) => {
            let (size, _) = repo.odb()?.read_header(entry.id())?;
            let cap = cap_for(name);
            if size as u64 > cap {
                EntryKind::Oversized(size as u64)
            } else {
                EntryKind::File(repo.find_blob(entry.id())?.content().to_vec())
            }
        }
        _ => EntryKind::Special,
    })
}

pub(super) fn not_a_folder(folder: &str, label: &str, kind: &EntryKind) -> BotError {
    let what = match kind {
        EntryKind::Symlink => "a symbolic link",
        EntryKind::Submodule => "a submodule",
        _ => "a file",
    };
    let message = format!("is {what}; each entry of the bots folder must be a bot folder");
    BotError {
        folder: folder.to_owned(),
        problems: vec![Problem::in_file(label, message)],
    }
}

fn non_utf8_name(bots_dir: &str) -> BotError {
    let problem = Problem::in_file(bots_dir, "an entry's name is not valid UTF-8");
    BotError {
        folder: String::from("(invalid name)"),
        problems: vec![problem],
    }
}
