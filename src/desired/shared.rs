//! Folders that claim the same live bot. One grouping serves the offline
//! reader (the same `bot_id` or `bot_name` in two `bot.toml`s) and a pass's
//! resolution of every folder of a commit (one `bot_id`, another's
//! `bot_name`, both the same live bot), so "two folders on one bot" means
//! the same thing to `validate` and to the daemon.

use std::collections::BTreeMap;

/// The keys claimed by more than one folder, each with its folders sorted.
pub fn shared_claims<K: Ord>(
    claims: impl IntoIterator<Item = (K, String)>,
) -> BTreeMap<K, Vec<String>> {
    let mut by_key: BTreeMap<K, Vec<String>> = BTreeMap::new();
    for (key, folder) in claims {
        by_key.entry(key).or_default().push(folder);
    }
    by_key.retain(|_, folders| folders.len() > 1);
    for folders in by_key.values_mut() {
        folders.sort();
    }
    by_key
}

/// `a and b`, `a, b and c`: folders in a sentence.
pub fn folder_list(folders: &[String]) -> String {
    match folders {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_several_folders_are_kept() {
        let claims = [(1, "b"), (2, "c"), (1, "a"), (3, "d"), (3, "e"), (3, "f")]
            .map(|(k, f)| (k, f.to_owned()));
        let shared = shared_claims(claims);
        assert_eq!(shared.len(), 2);
        assert_eq!(shared[&1], ["a", "b"]);
        assert_eq!(folder_list(&shared[&1]), "a and b");
        assert_eq!(folder_list(&shared[&3]), "d, e and f");
    }
}
