//! Hostile archives, built in the test, against [`read_export_zip`].

use std::io::{Cursor, Write};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::*;

const DEFINITION: &[u8] = br#"{"name":"demo"}"#;
const CONFIG: &[u8] = br#"{"name":"demo","envVariables":[]}"#;

/// Builds a zip from `(name, bytes)` pairs, deflated, with regular-file modes.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default().unix_permissions(0o644))
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn export_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries = vec![("botDefinition.json", DEFINITION), ("config.json", CONFIG)];
    entries.extend_from_slice(extra);
    zip_of(&entries)
}

fn read(bytes: &[u8]) -> Result<ExportArchive, ArchiveError> {
    read_export_zip(bytes, &Limits::default())
}

/// Offsets of every central-directory (`PK\1\2`) and local (`PK\3\4`) header.
fn headers(bytes: &[u8], signature: &[u8; 4]) -> Vec<usize> {
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == signature)
        .map(|(at, _)| at)
        .collect()
}

const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const LOCAL: &[u8; 4] = b"PK\x03\x04";

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn a_well_formed_export_is_read_whole() {
    let bytes = export_with(&[
        ("icon.png", b"\x89PNG"),
        ("functions.js", b"function f() {}"),
        ("README.txt", b"hello"),
    ]);
    let archive = read(&bytes).unwrap();
    assert_eq!(archive.definition_name, "botDefinition.json");
    assert_eq!(archive.definition, DEFINITION);
    assert_eq!(archive.config, CONFIG);
    assert_eq!(archive.icon.as_deref(), Some(&b"\x89PNG"[..]));
    assert_eq!(archive.functions["functions.js"], b"function f() {}");
    assert_eq!(archive.ignored, vec!["README.txt".to_owned()]);
}

#[test]
fn app_definition_is_accepted_and_two_definitions_are_not() {
    let bytes = zip_of(&[("appDefinition.json", DEFINITION), ("config.json", CONFIG)]);
    assert_eq!(read(&bytes).unwrap().definition_name, "appDefinition.json");
    let both = export_with(&[("appDefinition.json", DEFINITION)]);
    assert!(matches!(read(&both), Err(ArchiveError::Duplicate { .. })));
}

#[test]
fn debug_output_shows_sizes_not_contents() {
    let secret_config = br#"{"envVariables":[{"key":"token","value":"hunter2-secret"}]}"#;
    let bytes = zip_of(&[
        ("botDefinition.json", DEFINITION),
        ("config.json", secret_config),
    ]);
    let shown = format!("{:?}", read(&bytes).unwrap());
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("config_bytes"), "{shown}");
}

#[test]
fn zip_slip_paths_are_refused() {
    for name in ["../botDefinition.json", "a/../../evil.js", "..\\evil.js"] {
        let err = read(&export_with(&[(name, b"x")])).unwrap_err();
        assert!(
            matches!(err, ArchiveError::ParentTraversal { .. }),
            "{name}: {err}"
        );
        assert!(!err.is_retryable());
    }
}

#[test]
fn absolute_paths_are_refused() {
    for name in ["/etc/passwd", "C:\\Windows\\evil.js", "\\evil.js"] {
        let err = read(&export_with(&[(name, b"x")])).unwrap_err();
        assert!(
            matches!(err, ArchiveError::AbsolutePath { .. }),
            "{name}: {err}"
        );
    }
}

#[test]
fn folders_and_nested_entries_are_refused() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_directory("dialogs/", SimpleFileOptions::default())
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert!(matches!(read(&bytes), Err(ArchiveError::Folder { .. })));
    let nested = zip_of(&[
        ("bot/botDefinition.json", DEFINITION),
        ("config.json", CONFIG),
    ]);
    assert!(matches!(read(&nested), Err(ArchiveError::Folder { .. })));
}

#[test]
fn symlink_entries_are_refused() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_symlink("config.json", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let err = read(&bytes).unwrap_err();
    assert!(
        matches!(err, ArchiveError::Symlink { ref name } if name == "config.json"),
        "{err}"
    );
}

#[test]
fn encrypted_entries_are_refused() {
    let mut bytes = export_with(&[]);
    for at in headers(&bytes, CENTRAL) {
        bytes[at + 8] |= 1;
    }
    for at in headers(&bytes, LOCAL) {
        bytes[at + 6] |= 1;
    }
    assert!(matches!(read(&bytes), Err(ArchiveError::Encrypted { .. })));
}

#[test]
fn a_bomb_of_compressible_data_stops_at_the_entry_cap() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bytes = export_with(&[("bomb.js", &zeros)]);
    assert!(
        bytes.len() < 64 * 1024,
        "the bomb should compress well: {}",
        bytes.len()
    );
    let limits = Limits {
        max_entry_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = read_export_zip(&bytes, &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::EntryTooLarge { ref name, .. } if name == "bomb.js"));
}

#[test]
fn many_medium_entries_stop_at_the_total_cap() {
    let chunk = vec![b'a'; 600 * 1024];
    let bytes = export_with(&[("a.js", &chunk), ("b.js", &chunk)]);
    let limits = Limits {
        max_total_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = read_export_zip(&bytes, &limits).unwrap_err();
    assert_eq!(err, ArchiveError::TotalTooLarge { limit: 1024 * 1024 });
}

#[test]
fn a_header_that_lies_about_the_size_cannot_inflate_past_the_cap() {
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let mut bytes = export_with(&[("liar.js", &zeros)]);
    // Every entry now claims to inflate to 10 bytes; the reader must not trust it.
    for at in headers(&bytes, CENTRAL) {
        put_u32(&mut bytes, at + 24, 10);
    }
    for at in headers(&bytes, LOCAL) {
        put_u32(&mut bytes, at + 22, 10);
    }
    let limits = Limits {
        max_entry_bytes: 1024 * 1024,
        ..Limits::default()
    };
    match read_export_zip(&bytes, &limits) {
        Err(ArchiveError::EntryTooLarge { .. } | ArchiveError::Corrupt { .. }) => {}
        other => panic!("a lying header was trusted: {other:?}"),
    }
}

#[test]
fn thousands_of_entries_are_refused_before_reading() {
    let names: Vec<String> = (0..5000).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let err = read(&zip_of(&entries)).unwrap_err();
    assert_eq!(
        err,
        ArchiveError::TooManyEntries {
            count: 5000,
            limit: MAX_ENTRIES
        }
    );
}

#[test]
fn repeated_names_in_the_directory_are_refused() {
    let mut bytes = export_with(&[("configXjson", b"{}")]);
    let at = bytes
        .windows(11)
        .rposition(|w| w == b"configXjson")
        .unwrap();
    bytes[at + 6] = b'.';
    let first_local = bytes.windows(11).position(|w| w == b"configXjson").unwrap();
    bytes[first_local + 6] = b'.';
    assert_eq!(read(&bytes).unwrap_err(), ArchiveError::RepeatedNames);
}

#[test]
fn a_missing_definition_or_config_is_named() {
    let no_definition = zip_of(&[("config.json", CONFIG), ("icon.png", b"png")]);
    assert_eq!(
        read(&no_definition).unwrap_err(),
        ArchiveError::MissingDefinition
    );
    let no_config = zip_of(&[("botDefinition.json", DEFINITION)]);
    assert_eq!(read(&no_config).unwrap_err(), ArchiveError::MissingConfig);
}

#[test]
fn a_truncated_zip_is_a_retryable_error() {
    let bytes = export_with(&[("functions.js", &[b'x'; 4096])]);
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        let err = read(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Corrupt { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.is_retryable());
    }
}

#[test]
fn corrupt_data_is_a_retryable_error() {
    let text: Vec<u8> = (0..20_000u32)
        .flat_map(|i| i.to_string().into_bytes())
        .collect();
    let mut bytes = export_with(&[("functions.js", &text)]);
    let start = headers(&bytes, LOCAL)[2] + 30 + "functions.js".len();
    for byte in &mut bytes[start + 100..start + 200] {
        *byte ^= 0x5a;
    }
    let err = read(&bytes).unwrap_err();
    assert!(matches!(err, ArchiveError::Corrupt { .. }), "{err}");
    assert!(err.is_retryable());
}
