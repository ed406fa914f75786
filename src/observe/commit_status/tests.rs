use super::*;

fn commit(n: u8) -> CommitId {
    CommitId::from_bytes([n; 20])
}

fn phase(bot: &str, c: u8, phase: Phase) -> PassEvent {
    PassEvent::Phase {
        bot: bot.to_owned(),
        commit: commit(c),
        phase,
        summary: "utterances: +1".to_owned(),
    }
}

fn finished(bot: &str, c: u8, phase: Phase, applied: bool) -> PassEvent {
    PassEvent::Finished {
        bot: bot.to_owned(),
        commit: commit(c),
        phase,
        summary: "utterances: +1".to_owned(),
        error: (phase == Phase::Failed).then(|| "import job failed: refused".to_owned()),
        applied,
    }
}

fn states(tracker: &mut Tracker, events: &[PassEvent]) -> Vec<State> {
    events
        .iter()
        .filter_map(|e| tracker.wanted(e))
        .map(|(_, s)| s.state)
        .collect()
}

#[test]
fn a_publish_is_one_pending_then_one_success() {
    let mut tracker = Tracker::new(Some("https://k.example/status?bot={bot}&c={commit}".into()));
    let events = [
        phase("a b", 1, Phase::Importing),
        phase("a b", 1, Phase::Training),
        phase("a b", 1, Phase::Publishing),
        finished("a b", 1, Phase::Synced, true),
        finished("a b", 1, Phase::Synced, false),
    ];
    assert_eq!(
        states(&mut tracker, &events),
        [State::Applying, State::Success]
    );
    let (_, status) = Tracker::new(Some("https://k/{bot}/{commit}".into()))
        .wanted(&events[0])
        .unwrap();
    assert_eq!(status.context, "kore-gitops/a b");
    assert_eq!(
        status.target_url.unwrap(),
        format!("https://k/a%20b/{}", commit(1))
    );
}

#[test]
fn a_bot_in_sync_gets_nothing_and_a_failure_gets_its_reason() {
    let mut tracker = Tracker::new(None);
    assert!(
        tracker
            .wanted(&finished("a", 1, Phase::Synced, false))
            .is_none()
    );
    assert!(
        tracker
            .wanted(&finished("a", 1, Phase::Drifted, false))
            .is_none()
    );
    let events = [
        phase("a", 2, Phase::Importing),
        finished("a", 2, Phase::Failed, false),
        finished("a", 2, Phase::Failed, false),
    ];
    let mut posted: Vec<Status> = events
        .iter()
        .filter_map(|e| tracker.wanted(e))
        .map(|(_, s)| s)
        .collect();
    assert_eq!(posted.len(), 2, "{posted:?}");
    let failure = posted.pop().unwrap();
    assert_eq!(failure.state, State::Failure);
    assert_eq!(failure.description, "failed: import job failed: refused");
}

#[test]
fn an_approval_seen_later_turns_the_waiting_status_into_success() {
    let mut tracker = Tracker::new(None);
    let events = [
        phase("a", 1, Phase::Publishing),
        finished("a", 1, Phase::AwaitingApproval, true),
        finished("a", 1, Phase::AwaitingApproval, false),
        finished("a", 1, Phase::Synced, false),
    ];
    assert_eq!(
        states(&mut tracker, &events),
        [State::Applying, State::Waiting, State::Success]
    );
}

#[test]
fn platform_ids_give_their_room_to_the_reason() {
    let text = "import status of bot st-d80da043-d205-5297-85dd-08e4fdd86ba0: job \
        bir-2c050050-695e-41b8-8286-7ce6a13c3b0f failed: status \"failed\"; message \"Import refused\"";
    assert_eq!(
        without_platform_ids(text),
        "import status of bot …: job … failed: status \"failed\"; message \"Import refused\""
    );
}

#[test]
fn a_gate_that_holds_the_publish_back_is_a_failure() {
    let mut tracker = Tracker::new(None);
    let events = [
        phase("a", 1, Phase::Training),
        finished("a", 1, Phase::GateFailed, false),
    ];
    assert_eq!(
        states(&mut tracker, &events),
        [State::Applying, State::Failure]
    );
}

fn superseded(bot: &str, c: u8, by: u8, fate: &str) -> PassEvent {
    PassEvent::Superseded {
        bot: bot.to_owned(),
        commit: commit(c),
        by: commit(by),
        fate: fate.to_owned(),
    }
}

#[test]
fn an_overtaken_apply_is_superseded_once_naming_the_later_commit() {
    let mut tracker = Tracker::new(None);
    let fate = "the import job bir-2c050050-695e-41b8-8286-7ce6a13c3b0f ended: imported; \
        not trained or published for this commit";
    let events = [
        phase("a", 1, Phase::Importing),
        // The pass at the later commit waits on the earlier commit's job.
        finished("a", 2, Phase::Importing, false),
        superseded("a", 1, 2, fate),
        superseded("a", 1, 2, fate),
        phase("a", 2, Phase::Importing),
        finished("a", 2, Phase::Synced, true),
    ];
    let posted: Vec<(CommitId, Status)> = events.iter().filter_map(|e| tracker.wanted(e)).collect();
    let states: Vec<(CommitId, State)> = posted.iter().map(|(c, s)| (*c, s.state)).collect();
    assert_eq!(
        states,
        [
            (commit(1), State::Applying),
            (commit(1), State::Superseded),
            (commit(2), State::Applying),
            (commit(2), State::Success),
        ]
    );
    assert_eq!(
        posted[1].1.description,
        format!(
            "superseded by commit {}: the import job … ended: imported; not trained or \
             published for this commit",
            commit(2).short()
        )
    );
}
