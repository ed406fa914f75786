//! The merge: the new document written in the previous one's layout, each
//! part that is equal under normalisation copied from the previous file.
//!
//! - A value equal to its previous counterpart: the previous bytes.
//! - Two objects that differ: the previous keys in their order (those the
//!   new one still has), each merged, then the new keys.
//! - Two arrays that differ: elements matched first by equal normal form,
//!   then by identity (`ordering::IDENTITY_KEYS`), then the rest pairwise
//!   in order, each pair merged. A set keeps the previous order and appends
//!   new elements; a list takes the new order (its order means something).
//! - Anything else: the new value.

use std::collections::HashMap;
use std::ops::Range;

use super::fragment::{Fragments, Step};
use super::layout::Layout;
use super::raw::{Kind, Raw};
use crate::diff::canonical::Hash;
use crate::diff::ordering::{IDENTITY_KEYS, is_set};
use crate::diff::parse::parse;
use crate::diff::tree::Value;

/// One document of the merge.
pub(super) struct Side<'a> {
    pub(super) raw: Raw<'a>,
    pub(super) fragments: Fragments<'a>,
}

pub(super) struct Merger<'a> {
    pub(super) old: Side<'a>,
    pub(super) new: Side<'a>,
    pub(super) layout: Layout,
    pub(super) out: Vec<u8>,
}

impl Merger<'_> {
    /// Writes the new value `new` at `path`, `old` being its previous counterpart.
    pub(super) fn value(
        &mut self,
        path: &mut Vec<Step>,
        old: Option<Range<usize>>,
        new: Range<usize>,
        depth: usize,
    ) {
        let Some(old) = old else {
            self.layout
                .value(&mut self.out, self.new.raw.text(&new), depth);
            return;
        };
        if self.same(path, &old, &new) {
            self.out.extend_from_slice(self.old.raw.text(&old));
            return;
        }
        self.different(path, old, new, depth);
    }

    /// Writes the new value `new` at `path`, known to differ from `old`.
    pub(super) fn different(
        &mut self,
        path: &mut Vec<Step>,
        old: Range<usize>,
        new: Range<usize>,
        depth: usize,
    ) {
        match (self.old.raw.kind(&old), self.new.raw.kind(&new)) {
            (Kind::Object, Kind::Object) => self.object(path, old, new, depth),
            (Kind::Array, Kind::Array) => self.array(path, old, new, depth),
            _ => self
                .layout
                .value(&mut self.out, self.new.raw.text(&new), depth),
        }
    }

    /// Whether the two parts at `path` have the same normal form.
    fn same(&self, path: &[Step], old: &Range<usize>, new: &Range<usize>) -> bool {
        let (old, new) = (self.old.raw.text(old), self.new.raw.text(new));
        if old == new {
            return true;
        }
        let hash = |side: &Side, text| side.fragments.hash(path, text);
        matches!((hash(&self.old, old), hash(&self.new, new)), (Some(a), Some(b)) if a == b)
    }

    fn object(&mut self, path: &mut Vec<Step>, old: Range<usize>, new: Range<usize>, depth: usize) {
        let old_members = self.old.raw.members(&old);
        let new_members = self.new.raw.members(&new);
        self.out.push(b'{');
        let mut written = 0;
        for member in &old_members {
            let Some(theirs) = new_members.iter().find(|m| m.key == member.key) else {
                continue;
            };
            self.open_item(&mut written, depth);
            self.out.extend_from_slice(member.token);
            self.out.extend_from_slice(self.layout.colon());
            path.push(Step::Key(member.key.clone()));
            self.value(
                path,
                Some(member.value.clone()),
                theirs.value.clone(),
                depth + 1,
            );
            path.pop();
        }
        for member in &new_members {
            if old_members.iter().any(|m| m.key == member.key) {
                continue;
            }
            self.open_item(&mut written, depth);
            self.out.extend_from_slice(member.token);
            self.out.extend_from_slice(self.layout.colon());
            self.layout
                .value(&mut self.out, self.new.raw.text(&member.value), depth + 1);
        }
        self.close(written, depth, b'}');
    }

    fn array(&mut self, path: &mut Vec<Step>, old: Range<usize>, new: Range<usize>, depth: usize) {
        let olds = self.old.raw.elements(&old);
        let news = self.new.raw.elements(&new);
        path.push(Step::Element);
        let pairs = self.pair(path, &olds, &news);
        let set = {
            let tokens: Vec<&str> = path.iter().rev().map(Step::token).collect();
            let items = parsed(self.new.raw.text(&new));
            is_set(&tokens, &items)
        };
        let order: Vec<usize> = match set {
            true => {
                let mut by_old: Vec<(usize, usize)> = pairs
                    .iter()
                    .enumerate()
                    .filter_map(|(n, o)| o.map(|o| (o, n)))
                    .collect();
                by_old.sort_unstable();
                let unpaired = (0..news.len()).filter(|n| pairs[*n].is_none());
                by_old.into_iter().map(|(_, n)| n).chain(unpaired).collect()
            }
            false => (0..news.len()).collect(),
        };
        self.out.push(b'[');
        let mut written = 0;
        for n in order {
            self.open_item(&mut written, depth);
            let old = pairs[n].map(|o| olds[o].clone());
            self.value(path, old, news[n].clone(), depth + 1);
        }
        path.pop();
        self.close(written, depth, b']');
    }

    /// For each new element, its previous counterpart, if any.
    fn pair(
        &self,
        path: &[Step],
        olds: &[Range<usize>],
        news: &[Range<usize>],
    ) -> Vec<Option<usize>> {
        let hashes = |side: &Side, spans: &[Range<usize>]| -> Vec<Option<Hash>> {
            spans
                .iter()
                .map(|s| side.fragments.hash(path, side.raw.text(s)))
                .collect()
        };
        let (old_hashes, new_hashes) = (hashes(&self.old, olds), hashes(&self.new, news));
        let mut free: HashMap<Hash, Vec<usize>> = HashMap::new();
        for (o, hash) in old_hashes.iter().enumerate().rev() {
            if let Some(hash) = hash {
                free.entry(*hash).or_default().push(o);
            }
        }
        let mut used = vec![false; olds.len()];
        let mut pairs: Vec<Option<usize>> = new_hashes
            .iter()
            .map(|hash| {
                let o = free.get_mut(hash.as_ref()?)?.pop()?;
                used[o] = true;
                Some(o)
            })
            .collect();
        if pairs.iter().all(Option::is_some) {
            return pairs;
        }
        let mut by_identity: HashMap<String, Vec<usize>> = HashMap::new();
        for (o, span) in olds.iter().enumerate().rev().filter(|(o, _)| !used[*o]) {
            if let Some(id) = identity_of(self.old.raw.text(span)) {
                by_identity.entry(id).or_default().push(o);
            }
        }
        for (n, span) in news.iter().enumerate() {
            if pairs[n].is_some() {
                continue;
            }
            let id = identity_of(self.new.raw.text(span));
            if let Some(o) = id.and_then(|id| by_identity.get_mut(&id)?.pop()) {
                used[o] = true;
                pairs[n] = Some(o);
            }
        }
        let mut rest = (0..olds.len()).filter(|o| !used[*o]);
        for pair in pairs.iter_mut().filter(|p| p.is_none()) {
            match rest.next() {
                Some(o) => *pair = Some(o),
                None => break,
            }
        }
        pairs
    }

    /// Before a member or element: the comma after the previous one, the line break.
    fn open_item(&mut self, written: &mut usize, depth: usize) {
        if *written > 0 {
            self.out.push(b',');
        }
        *written += 1;
        self.layout.newline(&mut self.out, depth + 1);
    }

    /// After the last member or element (if any): the closing bracket.
    fn close(&mut self, written: usize, depth: usize, close: u8) {
        if written > 0 {
            self.layout.newline(&mut self.out, depth);
        }
        self.out.push(close);
    }
}

/// The elements of an array text, parsed (none when it is not an array).
fn parsed(text: &[u8]) -> Vec<Value> {
    match parse(text) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// An element's identity: the first identity key it carries, with the key.
fn identity_of(text: &[u8]) -> Option<String> {
    if text.first() != Some(&b'{') {
        return None;
    }
    let value = parse(text).ok()?;
    IDENTITY_KEYS.iter().find_map(|key| {
        let id = value.get(key)?.as_str()?;
        Some(format!("{key}={id}"))
    })
}
