//! The per-bot series: set at zero when a bot becomes known, and the
//! `bot_info` gauge that follows each bot's phase.

use std::collections::HashMap;
use std::sync::PoisonError;

use super::{BotLabel, BotPhase, BotResult, Metrics, PassResult};
use crate::status::Phase;

/// The `bot_info` phase of a bot known but not reconciled yet.
pub const UNKNOWN_PHASE: &str = "Unknown";

/// Every phase, for the transition counters set at zero.
const PHASES: [Phase; 10] = [
    Phase::Synced,
    Phase::OutOfSync,
    Phase::Importing,
    Phase::Training,
    Phase::Publishing,
    Phase::AwaitingApproval,
    Phase::Failed,
    Phase::Suspended,
    Phase::Drifted,
    Phase::GateFailed,
];

impl Metrics {
    /// `bot` is managed: its series exist from now on, at zero.
    pub fn register_bot(&self, bot: &str) {
        for result in PassResult::ALL {
            let labels = BotResult {
                bot: bot.to_owned(),
                result: result.label().to_owned(),
            };
            let _ = self.reconcile_passes.get_or_create(&labels);
            let _ = self.reconcile_duration.get_or_create(&labels);
        }
        for phase in PHASES {
            let _ = self
                .phase_transitions
                .get_or_create(&bot_phase(bot, &phase.to_string()));
        }
        let known = self.phases().contains_key(bot);
        if !known {
            self.set_bot_phase(bot, UNKNOWN_PHASE);
        }
    }

    /// `bot` stands in `phase` now (its `bot_info` series moves there).
    pub fn set_phase(&self, bot: &str, phase: Phase) {
        self.set_bot_phase(bot, &phase.to_string());
    }

    fn set_bot_phase(&self, bot: &str, phase: &str) {
        let mut phases = self.phases();
        if let Some(old) = phases.insert(bot.to_owned(), phase.to_owned()) {
            self.bot_info.remove(&bot_phase(bot, &old));
        }
        self.bot_info.get_or_create(&bot_phase(bot, phase)).set(1);
    }

    /// `bot` left the repository: its state series go (its counters stay,
    /// as counters do).
    pub fn forget_bot(&self, bot: &str) {
        if let Some(old) = self.phases().remove(bot) {
            self.bot_info.remove(&bot_phase(bot, &old));
        }
        self.last_successful_sync.remove(&BotLabel {
            bot: bot.to_owned(),
        });
    }

    fn phases(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.bot_phases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) fn bot_phase(bot: &str, phase: &str) -> BotPhase {
    BotPhase {
        bot: bot.to_owned(),
        phase: phase.to_owned(),
    }
}
