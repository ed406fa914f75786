//! The decision of a pass, as a pure function of what the commit wants and
//! what the platform holds (no I/O, so every case is a unit test).
//!
//! Because each pass starts from what the platform actually holds, a pass
//! interrupted at any step is finished by the next one without a second
//! import or a second publish of the same content:
//!
//! | in-development | published | latest publish        | plan                          |
//! |----------------|-----------|-----------------------|-------------------------------|
//! | = commit       | = commit  | any                   | synced                        |
//! | = commit       | ≠ commit  | awaiting approval     | report awaiting approval      |
//! | = commit       | ≠ commit  | otherwise             | train (if needed), publish    |
//! | ≠ commit       | ≠ commit  | any                   | import, train, publish        |
//! | ≠ commit       | = commit  | any                   | import, train (no publish)    |
//!
//! The last row is drift (or a live edit before the first pass): the
//! published copy already holds the commit, so publishing it again would
//! only make an identical bot version.
//!
//! and an in-development copy that moved away from a commit that was already
//! synced is drift: reverted (imported again) or only reported, by policy.

use crate::ids::Digest;

/// What the pass observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// The normalised commit.
    pub desired: Digest,
    /// The normalised in-development copy.
    pub dev: Digest,
    /// The normalised published copy.
    pub published: Digest,
    /// The bot's latest publish is waiting for an administrator.
    pub awaiting_approval: bool,
    /// The digest this bot was last synced to, from its notes.
    pub last_synced: Option<Digest>,
}

/// What the pass will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Both copies match the commit.
    Synced,
    /// The commit's content was published and waits for approval: do not
    /// publish it again.
    AwaitingApproval,
    /// The live bot changed although the commit did not, and the policy says
    /// to report it only.
    ReportDrift,
    /// Bring the bot to the commit.
    Apply(Steps),
}

/// The steps of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Upload and import the commit's files into the in-development copy.
    pub import: bool,
    /// Publish once trained (not when the published copy already holds the
    /// commit).
    pub publish: bool,
    /// The change is drift being reverted (for the note and the log).
    pub reverts_drift: bool,
}

/// Decides the pass. `revert_drift` is the bot's drift policy.
pub fn decide(observed: &Observed, revert_drift: bool) -> Plan {
    let dev_matches = observed.dev == observed.desired;
    let published_matches = observed.published == observed.desired;
    if dev_matches && published_matches {
        return Plan::Synced;
    }
    if dev_matches {
        if observed.awaiting_approval {
            return Plan::AwaitingApproval;
        }
        return Plan::Apply(Steps {
            import: false,
            publish: true,
            reverts_drift: false,
        });
    }
    let drifted = observed.last_synced == Some(observed.desired);
    if drifted && !revert_drift {
        return Plan::ReportDrift;
    }
    Plan::Apply(Steps {
        import: true,
        publish: !published_matches,
        reverts_drift: drifted,
    })
}

/// `drift = "observe"`: whatever differs is reported, nothing is applied.
pub fn observe_only(plan: Plan) -> Plan {
    match plan {
        Plan::Apply(_) => Plan::ReportDrift,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        Digest::from_bytes([n; 32])
    }

    fn observed(dev: u8, published: u8) -> Observed {
        Observed {
            desired: d(1),
            dev: d(dev),
            published: d(published),
            awaiting_approval: false,
            last_synced: None,
        }
    }

    #[test]
    fn both_copies_matching_is_synced() {
        assert_eq!(decide(&observed(1, 1), true), Plan::Synced);
        let approved_later = Observed {
            awaiting_approval: true,
            ..observed(1, 1)
        };
        assert_eq!(decide(&approved_later, true), Plan::Synced);
    }

    #[test]
    fn a_new_commit_is_imported_trained_and_published() {
        let plan = decide(&observed(2, 2), true);
        assert_eq!(
            plan,
            Plan::Apply(Steps {
                import: true,
                publish: true,
                reverts_drift: false
            })
        );
    }

    #[test]
    fn an_interrupted_pass_resumes_without_a_second_import() {
        // The import landed, the publish did not (crash, outage, failed training).
        assert_eq!(
            decide(&observed(1, 2), true),
            Plan::Apply(Steps {
                import: false,
                publish: true,
                reverts_drift: false
            })
        );
    }

    #[test]
    fn content_awaiting_approval_is_not_published_again() {
        let waiting = Observed {
            awaiting_approval: true,
            ..observed(1, 2)
        };
        assert_eq!(decide(&waiting, true), Plan::AwaitingApproval);
        // A newer commit is new content: it goes through.
        let newer = Observed {
            awaiting_approval: true,
            ..observed(3, 2)
        };
        assert!(matches!(
            decide(&newer, true),
            Plan::Apply(Steps { import: true, .. })
        ));
    }

    #[test]
    fn drift_is_reverted_or_reported_by_policy() {
        let drifted = Observed {
            last_synced: Some(d(1)),
            ..observed(7, 1)
        };
        assert_eq!(
            decide(&drifted, true),
            Plan::Apply(Steps {
                import: true,
                publish: false,
                reverts_drift: true
            })
        );
        assert_eq!(decide(&drifted, false), Plan::ReportDrift);
        // Not drift: the bot was last synced to another commit.
        let new_commit = Observed {
            last_synced: Some(d(9)),
            ..observed(7, 1)
        };
        assert_eq!(
            decide(&new_commit, false),
            Plan::Apply(Steps {
                import: true,
                publish: false,
                reverts_drift: false
            })
        );
    }

    #[test]
    fn content_already_published_is_not_published_again() {
        // A live edit of a synced bot: the import restores the commit in
        // development; the published copy already holds it.
        let edited = decide(&observed(7, 1), true);
        assert_eq!(
            edited,
            Plan::Apply(Steps {
                import: true,
                publish: false,
                reverts_drift: false
            })
        );
        let both_behind = decide(&observed(7, 8), true);
        assert!(matches!(
            both_behind,
            Plan::Apply(Steps { publish: true, .. })
        ));
    }
}
