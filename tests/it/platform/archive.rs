//! The archive reader on real platform export zips, exactly as downloaded.

use std::path::Path;

use kore_gitops::platform::archive::{Limits, read_export_zip};

use crate::support::fixtures;

#[test]
fn real_export_zips_are_read_and_match_their_unpacked_files() {
    let mut zipped = Vec::new();
    for name in fixtures::EXPORTS {
        let Some(dir) = fixtures::export(name) else {
            return;
        };
        if dir.join("fullexport.zip").is_file() {
            zipped.push(dir);
        }
    }
    assert!(
        zipped.len() >= 4,
        "expected the four demobot zips, found {zipped:?}"
    );
    for dir in zipped {
        assert_matches_unpacked(&dir);
    }
}

fn assert_matches_unpacked(dir: &Path) {
    let zip = std::fs::read(dir.join("fullexport.zip")).unwrap();
    let archive = read_export_zip(&zip, &Limits::default()).unwrap();
    let file = |name: &str| std::fs::read(dir.join(name)).unwrap();
    assert_eq!(
        archive.definition_name,
        "botDefinition.json",
        "{}",
        dir.display()
    );
    assert_eq!(
        archive.definition,
        file("botDefinition.json"),
        "{}",
        dir.display()
    );
    assert_eq!(archive.config, file("config.json"), "{}", dir.display());
    assert_eq!(archive.icon.unwrap(), file("icon.png"), "{}", dir.display());
    assert!(archive.functions.is_empty() && archive.ignored.is_empty());
}
