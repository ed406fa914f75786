//! Access to the real platform exports in `../shared/fixtures/kore-exports/`.
//!
//! They are third-party data and live outside this repository. A test that needs
//! them skips with a notice when the folder is absent, and fails when `CI` is set
//! (CI always has them, so a missing folder there is a broken set-up, not a skip).

use std::path::PathBuf;

/// The names of the export folders that are expected in the fixtures folder.
pub const EXPORTS: &[&str] = &[
    "demobot-Export_All",
    "demobot-Export_BotTasks",
    "demobot-Export_NLPData",
    "demobot-Export_WithoutSettings",
    "vaidyah-kg",
    "vaxie-multilang",
    "weatherbot-2019",
];

/// The fixtures folder, or `None` (after printing a notice) when it is absent
/// outside CI. Panics in CI when it is absent.
pub fn kore_exports() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/kore-exports");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("fixtures folder {} is missing and CI is set", dir.display());
    }
    eprintln!(
        "NOTICE: skipping: real exports not found at {}",
        dir.display()
    );
    None
}

/// One export folder by name, with the same skip rules as [`kore_exports`].
pub fn export(name: &str) -> Option<PathBuf> {
    kore_exports().map(|dir| dir.join(name))
}
