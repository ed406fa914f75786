//! Vetting the name and unix mode of one zip entry.
//!
//! An export has no folders, so a safe name is a single plain file name: no
//! separators, no `..`, no drive letters, no control characters.

use super::ArchiveError;

/// Names longer than this are shortened in error messages.
const DISPLAY_NAME_CHARS: usize = 120;

/// The unix file-type bits of a mode, and the types that matter here.
const FILE_TYPE_MASK: u32 = 0o170_000;
const REGULAR_FILE: u32 = 0o100_000;
const DIRECTORY: u32 = 0o040_000;
const SYMLINK: u32 = 0o120_000;

/// An attacker-chosen entry name made fit for an error message: shortened
/// (callers print it with `{:?}`, which escapes control characters).
pub fn display_name(name: &str) -> String {
    if name.chars().count() <= DISPLAY_NAME_CHARS {
        return name.to_owned();
    }
    let mut short: String = name.chars().take(DISPLAY_NAME_CHARS).collect();
    short.push('…');
    short
}

/// Returns the entry's name when it is a single safe file name.
///
/// `decoded` is the name as the zip library decoded it (UTF-8 or CP437), `None`
/// when it could not be decoded.
pub(super) fn vet(raw: &[u8], decoded: Option<&str>, is_dir: bool) -> Result<String, ArchiveError> {
    let lossy = || display_name(&String::from_utf8_lossy(raw));
    let name = decoded.ok_or_else(|| ArchiveError::InvalidName { name: lossy() })?;
    let shown = || display_name(name);
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(ArchiveError::InvalidName { name: shown() });
    }
    if is_absolute(name) {
        return Err(ArchiveError::AbsolutePath { name: shown() });
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Err(ArchiveError::ParentTraversal { name: shown() });
    }
    if is_dir || name.contains(['/', '\\']) || name == "." {
        return Err(ArchiveError::Folder { name: shown() });
    }
    Ok(name.to_owned())
}

/// Refuses links, folders and special files marked in the unix mode bits.
pub(super) fn vet_mode(name: &str, unix_mode: Option<u32>) -> Result<(), ArchiveError> {
    let Some(mode) = unix_mode else { return Ok(()) };
    match mode & FILE_TYPE_MASK {
        0 | REGULAR_FILE => Ok(()),
        SYMLINK => Err(ArchiveError::Symlink {
            name: display_name(name),
        }),
        DIRECTORY => Err(ArchiveError::Folder {
            name: display_name(name),
        }),
        _ => Err(ArchiveError::SpecialFile {
            name: display_name(name),
            mode,
        }),
    }
}

/// `/x`, `\x`, `C:x`, `C:\x`: anything rooted or drive-relative.
fn is_absolute(name: &str) -> bool {
    let bytes = name.as_bytes();
    let rooted = name.starts_with(['/', '\\']);
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    rooted || drive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_paths_do_not() {
        assert_eq!(
            vet(b"config.json", Some("config.json"), false).unwrap(),
            "config.json"
        );
        let err = |name: &str| vet(name.as_bytes(), Some(name), false).unwrap_err();
        assert!(matches!(
            err("/etc/passwd"),
            ArchiveError::AbsolutePath { .. }
        ));
        assert!(matches!(
            err("\\\\server\\x"),
            ArchiveError::AbsolutePath { .. }
        ));
        assert!(matches!(
            err("C:evil.json"),
            ArchiveError::AbsolutePath { .. }
        ));
        assert!(matches!(
            err("../evil.json"),
            ArchiveError::ParentTraversal { .. }
        ));
        assert!(matches!(
            err("a\\..\\..\\evil"),
            ArchiveError::ParentTraversal { .. }
        ));
        assert!(matches!(
            err("dir/config.json"),
            ArchiveError::Folder { .. }
        ));
        assert!(matches!(
            err("bad\u{0}name"),
            ArchiveError::InvalidName { .. }
        ));
        assert!(matches!(err(""), ArchiveError::InvalidName { .. }));
        assert!(matches!(
            vet(b"\xff", None, false),
            Err(ArchiveError::InvalidName { .. })
        ));
        assert!(matches!(
            vet(b"x", Some("x"), true),
            Err(ArchiveError::Folder { .. })
        ));
    }

    #[test]
    fn modes_other_than_regular_files_are_refused() {
        assert!(vet_mode("a", None).is_ok());
        assert!(vet_mode("a", Some(0o100_644)).is_ok());
        assert!(vet_mode("a", Some(0o644)).is_ok());
        assert!(matches!(
            vet_mode("a", Some(0o120_777)),
            Err(ArchiveError::Symlink { .. })
        ));
        assert!(matches!(
            vet_mode("a", Some(0o040_755)),
            Err(ArchiveError::Folder { .. })
        ));
        assert!(matches!(
            vet_mode("a", Some(0o010_644)),
            Err(ArchiveError::SpecialFile { .. })
        ));
    }

    #[test]
    fn long_names_are_shortened_for_messages() {
        let long = "x".repeat(500);
        assert_eq!(display_name(&long).chars().count(), DISPLAY_NAME_CHARS + 1);
        assert_eq!(display_name("short"), "short");
    }
}
