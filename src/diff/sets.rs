//! Sorting every set of a definition (see `ordering`), at every depth, in one
//! walk: the elements of an array are sorted inside before the array itself,
//! so an element's content hash (its sort key) is that of its normal form.

use super::canonical::{Hash, HashWriter};
use super::order::{ElementHashes, sort_by_identity};
use super::ordering::is_set;
use super::tree::{Map, Value};
use super::volatile::identity;

/// Paths deeper than this are matched on their innermost tokens only (real
/// definitions stay under 20).
const MAX_TOKENS: usize = 64;

/// Where the walk is, innermost step first, borrowed from the tree as it goes
/// (no allocation per step).
enum Step<'a> {
    Root,
    Key(&'a str, &'a Step<'a>),
    Elements(&'a Step<'a>),
}

impl Step<'_> {
    /// The path's tokens from this step back to the root, in `buffer`.
    fn tokens_rev<'b>(&'b self, buffer: &'b mut [&'b str; MAX_TOKENS]) -> &'b [&'b str] {
        let mut step = self;
        let mut count = 0;
        while count < MAX_TOKENS {
            let (token, parent) = match step {
                Step::Root => break,
                Step::Key(key, parent) => (*key, *parent),
                Step::Elements(parent) => ("[]", *parent),
            };
            buffer[count] = token;
            count += 1;
            step = parent;
        }
        &buffer[..count]
    }
}

/// Sorts every set of the definition, and returns the content hashes of the
/// top-level ones in their sorted order (the digest and the comparison use them).
pub(crate) fn sort_collections(definition: &mut Map) -> ElementHashes {
    let mut writer = HashWriter::new();
    let mut hashes = ElementHashes::default();
    for (key, value) in definition.iter_mut() {
        let at = Step::Key(key, &Step::Root);
        match value {
            Value::Array(items) => {
                if let Some(sorted) = sort_array(items, &at, &mut writer) {
                    hashes.insert(key, sorted);
                }
            }
            Value::Object(map) => sort_in_object(map, &at, &mut writer),
            _ => {}
        }
    }
    hashes
}

fn sort_in_object(map: &mut Map, at: &Step, writer: &mut HashWriter) {
    for (key, value) in map.iter_mut() {
        match value {
            Value::Array(items) => drop(sort_array(items, &Step::Key(key, at), writer)),
            Value::Object(inner) => sort_in_object(inner, &Step::Key(key, at), writer),
            _ => {}
        }
    }
}

/// Sorts the sets inside `items`, then `items` when it is one (its hashes then).
fn sort_array(items: &mut [Value], at: &Step, writer: &mut HashWriter) -> Option<Vec<Hash>> {
    let elements = Step::Elements(at);
    let mut objects = false;
    for item in items.iter_mut() {
        match item {
            Value::Object(map) => {
                objects = true;
                sort_in_object(map, &elements, writer);
            }
            Value::Array(inner) => drop(sort_array(inner, &elements, writer)),
            _ => {}
        }
    }
    // Arrays of scalars are values in order; only objects carry an identity.
    if !objects {
        return None;
    }
    let sorted = {
        let mut buffer = [""; MAX_TOKENS];
        is_set(elements.tokens_rev(&mut buffer), items)
    };
    sorted.then(|| sort_by_identity(items, identity, writer))
}
