use super::*;
use crate::desired::JsonPointer;

const DEFINITION: JsonFile = JsonFile::Definition(DefinitionName::BotDefinition);

fn kept(previous: &str, exported: &str, ignore: &IgnoreRules) -> Kept {
    keep_previous(
        DEFINITION,
        Some(previous.as_bytes()),
        exported.as_bytes(),
        ignore,
    )
    .unwrap()
}

/// The lines of `after` that are not in `before`, and the reverse (a crude diff).
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let only = |a: &str, b: &str| -> Vec<String> {
        let theirs: Vec<&str> = b.lines().collect();
        a.lines()
            .filter(|l| !theirs.contains(l))
            .map(str::to_owned)
            .collect()
    };
    (only(before, after), only(after, before))
}

/// As a person wrote it: keys in their own order, 4-space layout.
const PREVIOUS: &str = r#"{
    "name": "Travel Desk",
    "_id": "st-1",
    "sentences": [
        {
            "sentence": "book a flight",
            "taskName": "Book",
            "_id": "s-1"
        },
        {
            "sentence": "cancel my booking",
            "taskName": "Cancel",
            "_id": "s-2"
        },
        {
            "sentence": "where is my bag",
            "taskName": "Bags",
            "_id": "s-3"
        }
    ],
    "dialogs": [
        {
            "refId": "r-book",
            "nodes": [
                {
                    "nodeId": "intent0",
                    "prompt": "Where to?"
                },
                {
                    "nodeId": "message1",
                    "prompt": "Booked."
                }
            ]
        }
    ],
    "exportOptions": {
        "at": "2024-01-01"
    }
}
"#;

#[test]
fn only_the_edited_utterance_changes_whatever_the_export_regenerated() {
    // Sorted keys, compact, sentences shuffled with new ids, a new export date,
    // and one utterance edited.
    let exported = r#"{"_id":"st-1","dialogs":[{"nodes":[{"nodeId":"intent0","prompt":"Where to?"},{"nodeId":"message1","prompt":"Booked."}],"refId":"r-book"}],"exportOptions":{"at":"2025-06-30"},"name":"Travel Desk","sentences":[{"_id":"x-9","sentence":"where is my luggage","taskName":"Bags"},{"_id":"x-7","sentence":"cancel my booking","taskName":"Cancel"},{"_id":"x-8","sentence":"book a flight","taskName":"Book"}]}"#;
    let result = kept(PREVIOUS, exported, &IgnoreRules::default());
    assert!(!result.whole);
    let text = String::from_utf8(result.bytes).unwrap();
    let (removed, added) = changed_lines(PREVIOUS, &text);
    assert_eq!(
        (removed, added),
        (
            vec![r#"            "sentence": "where is my bag","#.to_owned()],
            vec![r#"            "sentence": "where is my luggage","#.to_owned()]
        ),
        "{text}"
    );
    assert_eq!(
        text.replace("where is my luggage", "where is my bag"),
        PREVIOUS
    );
}

#[test]
fn a_list_takes_the_new_order_and_a_set_keeps_the_old_one() {
    let exported = r#"{"_id":"st-1","name":"Travel Desk","dialogs":[{"refId":"r-book","nodes":[{"nodeId":"message1","prompt":"Booked."},{"nodeId":"intent0","prompt":"Where to?"}]}],
        "sentences":[{"_id":"n1","sentence":"cancel my booking","taskName":"Cancel"},{"_id":"n2","sentence":"book a flight","taskName":"Book"},{"_id":"n3","sentence":"lost bag","taskName":"Bags"},{"_id":"n4","sentence":"new one","taskName":"Bags"}],
        "exportOptions":{"at":"x"}}"#;
    let text = String::from_utf8(kept(PREVIOUS, exported, &IgnoreRules::default()).bytes).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    assert!(
        at("\"message1\"") < at("\"intent0\""),
        "nodes are ordered: {text}"
    );
    assert!(
        at("book a flight") < at("cancel my booking"),
        "sentences keep their place"
    );
    assert!(
        at("lost bag") < at("new one"),
        "the new utterance is appended"
    );
    assert!(
        at("\"s-3\"") > at("lost bag"),
        "the paired utterance keeps its id: {text}"
    );
}

#[test]
fn the_previous_file_is_kept_byte_for_byte_when_nothing_changed() {
    let exported = r#"{"exportOptions":{"at":"later"},"sentences":[{"_id":"n3","sentence":"where is my bag","taskName":"Bags"},{"_id":"n1","sentence":"book a flight","taskName":"Book"},{"_id":"n2","sentence":"cancel my booking","taskName":"Cancel"}],"name":"Travel Desk","_id":"st-1","dialogs":[{"refId":"r-book","nodes":[{"nodeId":"intent0","prompt":"Where%20to%3F"},{"nodeId":"message1","prompt":"Booked."}]}]}"#;
    let result = kept(PREVIOUS, exported, &IgnoreRules::default());
    assert_eq!(String::from_utf8(result.bytes).unwrap(), PREVIOUS);
}

#[test]
fn members_and_elements_gone_from_the_export_are_gone_from_the_file() {
    let exported = r#"{"_id":"st-1","name":"Travel Desk","sentences":[],"dialogs":[{"refId":"r-book","nodes":[{"nodeId":"intent0","prompt":"Where to?"}]}],"exportOptions":{"at":"x"},"description":"new"}"#;
    let result = kept(PREVIOUS, exported, &IgnoreRules::default());
    assert!(!result.whole);
    let text = String::from_utf8(result.bytes).unwrap();
    assert!(text.contains("\"sentences\": []"), "{text}");
    assert!(!text.contains("message1"), "{text}");
    assert!(
        text.trim_end().ends_with("\"description\": \"new\"\n}"),
        "{text}"
    );
    let layout = Layout::standard();
    let mut expected = Vec::new();
    layout.value(&mut expected, text.as_bytes(), 0);
    assert_eq!(
        String::from_utf8(expected).unwrap(),
        text.trim_end(),
        "standard layout"
    );
}

#[test]
fn a_merge_that_does_not_check_out_writes_the_export_whole() {
    // An index pointer addresses the sorted whole: on one element in
    // isolation it removes too much, so the parts look equal when the whole
    // is not. The check on the whole catches it.
    // Whether the pointer hits the changed utterance depends on content
    // hashes: of three single edits, those it misses must fall back, and
    // every result must mean what the export means.
    let ignore = IgnoreRules {
        definition: vec![JsonPointer::parse("/sentences/0").unwrap()],
        ..IgnoreRules::default()
    };
    let sentences = ["book a flight", "cancel my booking", "where is my bag"];
    let mut fell_back = 0;
    for edited in sentences {
        let items: Vec<String> = sentences
            .iter()
            .map(|s| {
                let text = if *s == edited { "zz changed" } else { s };
                format!(r#"{{"sentence":"{text}","taskName":"T{}"}}"#, s.len())
            })
            .collect();
        let exported = format!(
            r#"{{"_id":"st-1","name":"Travel Desk","sentences":[{}],"dialogs":[],"exportOptions":{{}}}}"#,
            items.join(",")
        );
        let previous = PREVIOUS
            .replace("\"Book\"", "\"T13\"")
            .replace("\"Cancel\"", "\"T17\"")
            .replace("\"Bags\"", "\"T15\"");
        let result = kept(&previous, &exported, &ignore);
        fell_back += usize::from(result.whole);
        let document = parse_object("botDefinition.json", exported.as_bytes()).unwrap();
        let parts = Fragments::new(DEFINITION, &document, &ignore);
        let expected = parts.hash(&[], exported.as_bytes());
        assert!(means(DEFINITION, &result.bytes, expected, &ignore));
    }
    assert!(fell_back >= 1, "{fell_back}");
    let exported = r#"{"_id":"st-1","sentences":[]}"#;
    let ignore = IgnoreRules::default();
    // A previous file that is not JSON cannot be kept either.
    let broken =
        keep_previous(DEFINITION, Some(b"{\"a\": "), exported.as_bytes(), &ignore).unwrap();
    assert!(broken.whole);
    assert!(keep_previous(DEFINITION, None, b"[1]", &ignore).is_err());
}

#[test]
fn config_variables_are_matched_by_key_and_secured_values_kept() {
    let previous = "{\n  \"envVariables\": [\n    {\n      \"key\": \"URL\",\n      \"value\": \"https://a\"\n    },\n    {\n      \"key\": \"TOKEN\",\n      \"value\": \"from-git\",\n      \"isSecured\": true\n    }\n  ]\n}";
    let exported = r#"{"envVariables":[{"isSecured":true,"key":"TOKEN","value":""},{"key":"URL","value":"https://b"}]}"#;
    let result = keep_previous(
        JsonFile::Config,
        Some(previous.as_bytes()),
        exported.as_bytes(),
        &IgnoreRules::default(),
    )
    .unwrap();
    let text = String::from_utf8(result.bytes).unwrap();
    assert_eq!(text, previous.replace("https://a", "https://b"));
}
