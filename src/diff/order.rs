//! Ordering collections whose order carries no meaning: by identity, then by
//! content.
//!
//! Content is compared through the sha256 of each element's canonical JSON,
//! computed once per element: comparing trees inside the sort's comparator
//! took most of the normalisation time on large bots. Any total order on
//! content would do (both sides are sorted by the same code); this one is
//! cheap, and the hashes are kept so that the digest takes them instead of
//! writing the elements a second time.

use std::collections::HashMap;

use super::canonical::{Hash, HashWriter};
use super::tree::Value;

/// The content hashes of the elements of sorted top-level collections, in their sorted order.
#[derive(Debug, Default)]
pub(crate) struct ElementHashes(Vec<(Box<str>, Vec<Hash>)>);

impl ElementHashes {
    pub(crate) fn insert(&mut self, collection: &str, hashes: Vec<Hash>) {
        self.0.retain(|(name, _)| &**name != collection);
        self.0.push((collection.into(), hashes));
    }

    /// The hashes of `collection`'s elements, when it was sorted.
    pub(crate) fn get(&self, collection: &str) -> Option<&[Hash]> {
        self.0
            .iter()
            .find(|(name, _)| &**name == collection)
            .map(|(_, hashes)| hashes.as_slice())
    }
}

/// The items (with their hashes) that none of `others` matches, each of
/// `others` matching at most one item: a multiset difference by content.
pub(crate) fn unmatched<'a>(
    (items, hashes): (&'a [Value], &[Hash]),
    others: &[Hash],
) -> Vec<&'a Value> {
    let mut available: HashMap<&Hash, usize> = HashMap::new();
    for hash in others {
        *available.entry(hash).or_default() += 1;
    }
    let mut take = |hash: &Hash| match available.get_mut(hash) {
        Some(count) if *count > 0 => {
            *count -= 1;
            true
        }
        _ => false,
    };
    items
        .iter()
        .zip(hashes)
        .filter(|(_, hash)| !take(hash))
        .map(|(item, _)| item)
        .collect()
}

/// Sorts `items` by `(identity, content)` and returns their content hashes in the new order.
pub(crate) fn sort_by_identity(
    items: &mut [Value],
    identity: fn(&Value) -> Option<&str>,
    writer: &mut HashWriter,
) -> Vec<Hash> {
    let mut keys: Vec<(Option<&str>, Hash, usize)> = items
        .iter()
        .enumerate()
        .map(|(index, item)| (identity(item), writer.hash_of(item), index))
        .collect();
    keys.sort_unstable();
    let hashes = keys.iter().map(|(_, hash, _)| *hash).collect();
    let order = keys.into_iter().map(|(_, _, index)| index).collect();
    permute(items, order);
    hashes
}

/// Sorts `items` by content alone.
pub(crate) fn sort_by_content(items: &mut [Value]) {
    sort_by_identity(items, |_| None, &mut HashWriter::new());
}

/// Moves `items[order[k]]` to position `k`, in place, one cycle of the permutation at a time.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut position = start;
        // Invariant: `items[position]` holds the element that started at `start`,
        // and the positions visited before it in this cycle hold their final element.
        while order[position] != position {
            let source = std::mem::replace(&mut order[position], position);
            if source == start {
                break;
            }
            items.swap(position, source);
            position = source;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tree::json;

    #[test]
    fn permute_places_each_element_where_the_order_says() {
        let order = vec![3, 0, 4, 1, 2, 6, 5, 7];
        let mut items: Vec<char> = "abcdefgh".chars().collect();
        permute(&mut items, order.clone());
        let expected: Vec<char> = order
            .iter()
            .map(|&i| "abcdefgh".as_bytes()[i] as char)
            .collect();
        assert_eq!(items, expected);
    }

    #[test]
    fn sorts_by_identity_then_content_whatever_the_input_order() {
        fn id(v: &Value) -> Option<&str> {
            v.get("id").and_then(Value::as_str)
        }
        let sorted = |value: Value| {
            let Value::Array(mut items) = value else {
                unreachable!("an array")
            };
            let hashes = sort_by_identity(&mut items, id, &mut HashWriter::new());
            (items, hashes)
        };
        let (a, hashes_a) = sorted(json!([{"id": "b"}, {"x": 2}, {"id": "a", "x": 1}, {"x": 1}]));
        let (b, hashes_b) = sorted(json!([{"x": 1}, {"id": "a", "x": 1}, {"x": 2}, {"id": "b"}]));
        assert_eq!((&a, &hashes_a), (&b, &hashes_b));
        assert_eq!(&a[2..], &[json!({"id": "a", "x": 1}), json!({"id": "b"})]);
        let mut writer = HashWriter::new();
        let recomputed: Vec<Hash> = a.iter().map(|item| writer.hash_of(item)).collect();
        assert_eq!(hashes_a, recomputed, "the hashes follow the elements");
    }

    #[test]
    fn unmatched_is_a_multiset_difference_by_content() {
        let items = [json!("a"), json!("a"), json!("b"), json!("c")];
        let mut writer = HashWriter::new();
        let hash = |value: &Value, writer: &mut HashWriter| writer.hash_of(value);
        let hashes: Vec<Hash> = items.iter().map(|i| hash(i, &mut writer)).collect();
        let others = [
            hash(&json!("a"), &mut writer),
            hash(&json!("c"), &mut writer),
        ];
        let left: Vec<&Value> = unmatched((&items, &hashes), &others);
        assert_eq!(left, [&json!("a"), &json!("b")]);
    }
}
