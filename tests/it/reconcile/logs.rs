//! What a pass says in the log: a line per phase transition, then one final
//! structured line per bot (bot, commit, phase, what changed, duration, next
//! attempt).

use super::world::World;
use crate::support::git::git;
use crate::support::logs::capture;

/// The log lines of `bot` carrying `message`.
fn lines<'a>(logs: &'a str, bot: &str, message: &str) -> Vec<&'a str> {
    let field = format!("bot={bot} ");
    logs.lines()
        .filter(|l| l.contains(message) && l.contains(&field))
        .collect()
}

#[tokio::test]
async fn a_pass_logs_each_phase_and_one_final_line_per_bot() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "change one utterance", |d| {
        d["sentences"][0]["sentence"] = "a logged change".into();
    });
    let head = git(&world.work, &["rev-parse", "HEAD"]);
    let (buffer, guard) = capture();
    world.sync().await;
    drop(guard);
    let logs = buffer.text();

    let phases: Vec<&str> = lines(&logs, "travel-desk", " phase ")
        .iter()
        .filter_map(|l| l.split("phase=").nth(1))
        .collect();
    assert_eq!(
        phases,
        ["Importing", "Training", "Publishing"],
        "phase lines:\n{logs}"
    );

    let last = lines(&logs, "travel-desk", "reconciled");
    assert_eq!(last.len(), 1, "one final line:\n{logs}");
    for field in [
        format!("commit={}", head.trim()),
        "phase=Synced".to_owned(),
        "summary=utterances: +1 −1".to_owned(),
        "duration_ms=".to_owned(),
        "next=\"none\"".to_owned(),
    ] {
        assert!(last[0].contains(&field), "{field} missing: {}", last[0]);
    }
    let other = lines(&logs, "it-helpdesk", "reconciled");
    assert_eq!(other.len(), 1, "{logs}");
    assert!(other[0].contains("summary=in sync"), "{}", other[0]);
    assert!(lines(&logs, "it-helpdesk", " phase ").is_empty(), "{logs}");
}
