//! Applying the user's ignore rules (JSON pointers, `*` for "every member").

use crate::diff::tree::Value;

use crate::desired::{JsonPointer, Segment};

/// Removes every part of `value` a pointer addresses; pointers that address
/// nothing are not an error (the path may exist on only one side).
pub(crate) fn remove_all(value: &mut Value, pointers: &[JsonPointer]) {
    for pointer in pointers {
        remove(value, pointer.segments());
    }
}

fn remove(value: &mut Value, segments: &[Segment]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if rest.is_empty() {
        remove_child(value, first);
        return;
    }
    match (value, first) {
        (Value::Object(map), Segment::Any) => map.values_mut().for_each(|v| remove(v, rest)),
        (Value::Array(items), Segment::Any) => items.iter_mut().for_each(|v| remove(v, rest)),
        (Value::Object(map), Segment::Key(key)) => {
            if let Some(child) = map.get_mut(key) {
                remove(child, rest);
            }
        }
        (Value::Array(items), Segment::Key(key)) => {
            if let Some(child) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                remove(child, rest);
            }
        }
        _ => {}
    }
}

fn remove_child(value: &mut Value, segment: &Segment) {
    match (value, segment) {
        (Value::Object(map), Segment::Any) => map.clear(),
        (Value::Array(items), Segment::Any) => items.clear(),
        (Value::Object(map), Segment::Key(key)) => drop(map.remove(key)),
        (Value::Array(items), Segment::Key(key)) => {
            if let Some(index) = key.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(index);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::tree::json;

    use super::*;

    #[test]
    fn pointers_remove_keys_indices_and_wildcards() {
        let mut value =
            json!({"a": {"b": 1, "c": 2}, "list": [{"x": 1, "y": 2}, {"x": 3}], "keep": true});
        let pointers: Vec<JsonPointer> = ["/a/b", "/list/*/x", "/list/1", "/missing/deep"]
            .iter()
            .map(|p| JsonPointer::parse(p).unwrap())
            .collect();
        remove_all(&mut value, &pointers);
        assert_eq!(
            value,
            json!({"a": {"c": 2}, "list": [{"y": 2}], "keep": true})
        );
    }
}
