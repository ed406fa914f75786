//! The README's simulator tour, run word for word against the real binary
//! seeded with the example bots: if the README drifts from the product, this
//! fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::process::SimProcess;

const MARKER: &str = "<!-- readme-tour:";

/// The first ```sh block after the marker comment.
fn tour_script() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let after = &readme[readme
        .find(MARKER)
        .expect("the tour marker is in the README")..];
    let start = after.find("```sh\n").expect("a sh block after the marker") + "```sh\n".len();
    let end = start + after[start..].find("\n```").expect("the block ends");
    after[start..end].to_owned()
}

#[tokio::test]
async fn the_readme_curl_tour_exports_the_travel_desk_bot() {
    let dir = tempfile::tempdir().unwrap();
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/bots");
    let seeds = [examples.join("travel-desk"), examples.join("it-helpdesk")];
    let config = dir.path().join("sim.toml");
    std::fs::write(&config, "job_mode = \"timed\"\njob_millis = 300\n").unwrap();
    let _sim = SimProcess::start(dir.path(), &seeds, Some(&config)).await;

    let script = tour_script()
        .replace(
            "/tmp/sim.json",
            dir.path().join("credentials.json").to_str().unwrap(),
        )
        .replace(
            "/tmp/travel-desk.zip",
            dir.path().join("export.zip").to_str().unwrap(),
        );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("pending\n"), "{stdout}");
    for file in [
        "botDefinition.json",
        "config.json",
        "icon.png",
        "travelDeskFunctions.js",
    ] {
        assert!(
            stdout.contains(file),
            "{file} missing from the archive listing:\n{stdout}"
        );
    }
}
