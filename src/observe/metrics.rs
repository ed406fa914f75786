//! Prometheus metrics: one [`Metrics`] value the daemon shares in an `Arc`,
//! with one typed method per event, so that label names and values are spelled
//! in one place and a typo cannot create a new series.
//!
//! Families are named `kore_gitops_…`. [`Metrics::render`] writes the
//! OpenMetrics text format (what `prometheus-client` writes) or the classic
//! Prometheus text format (see [`super::exposition`]).
//!
//! Every bot the daemon manages has its series from the moment it is known
//! ([`Metrics::register_bot`]): counters and histograms at zero, so that
//! `increase()` sees the first failure, and `kore_gitops_bot_info{bot,phase}`
//! = 1 (phase `Unknown` until its first pass ends), so that an alert can name
//! a bot that never synced.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

mod bots;

pub use super::exposition::Format;
pub use super::outcomes::{CallStatus, FetchResult, PassResult, PushResult, WebhookOutcome};
use crate::status::Phase;
pub use bots::UNKNOWN_PHASE;
use bots::bot_phase;

/// Upper bounds of the reconcile duration buckets: 0.1 s doubling to ~27 min,
/// since a pass ranges from a no-change export to a long training job.
fn duration_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.1, 2.0, 15)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BotResult {
    bot: String,
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BotPhase {
    bot: String,
    phase: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationStatus {
    operation: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BotLabel {
    bot: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostOutcome {
    host: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BotSuiteLanguage {
    bot: String,
    suite: String,
    language: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Version {
    version: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the daemon exports, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconcile_passes: Family<BotResult, Counter>,
    reconcile_duration: HistogramFamily<BotResult>,
    phase_transitions: Family<BotPhase, Counter>,
    platform_requests: Family<OperationStatus, Counter>,
    platform_retries: Family<Operation, Counter>,
    rate_limit_waits: Counter,
    rate_limit_wait_seconds: Counter<f64>,
    git_fetches: Family<ResultLabel, Counter>,
    notes_pushes: Family<ResultLabel, Counter>,
    queue_depth: Gauge,
    last_successful_sync: Family<BotLabel, Gauge>,
    webhook_requests: Family<HostOutcome, Counter>,
    bot_info: Family<BotPhase, Gauge>,
    /// The phase each bot's `bot_info` series carries now.
    bot_phases: Mutex<HashMap<String, String>>,
    platform_up: Gauge,
    gate_f1: Family<BotSuiteLanguage, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

impl Metrics {
    /// Registers every family, with `version` as the build information.
    pub fn new(version: &str) -> Metrics {
        let mut registry = Registry::with_prefix("kore_gitops");
        let metrics = Metrics {
            registry: Registry::default(),
            reconcile_passes: Family::default(),
            reconcile_duration: Family::new_with_constructor(|| Histogram::new(duration_buckets())),
            phase_transitions: Family::default(),
            platform_requests: Family::default(),
            platform_retries: Family::default(),
            rate_limit_waits: Counter::default(),
            rate_limit_wait_seconds: Counter::default(),
            git_fetches: Family::default(),
            notes_pushes: Family::default(),
            queue_depth: Gauge::default(),
            last_successful_sync: Family::default(),
            webhook_requests: Family::default(),
            bot_info: Family::default(),
            bot_phases: Mutex::default(),
            platform_up: Gauge::default(),
            gate_f1: Family::default(),
        };
        // The registry holds clones of the families (they share their
        // values), so it is filled from the finished struct, then moved in.
        metrics.register(&mut registry, version);
        metrics.register_bot_state(&mut registry);
        for result in [
            FetchResult::Updated,
            FetchResult::Unchanged,
            FetchResult::Failed,
        ] {
            let _ = metrics
                .git_fetches
                .get_or_create(&result_label(result.label()));
        }
        for result in [PushResult::Pushed, PushResult::Merged, PushResult::Failed] {
            let _ = metrics
                .notes_pushes
                .get_or_create(&result_label(result.label()));
        }
        Metrics {
            registry,
            ..metrics
        }
    }

    fn register_bot_state(&self, r: &mut Registry) {
        // A gauge, as argocd_app_info is: one series per bot, moved to the
        // bot's phase label as it changes.
        r.register(
            "bot_info",
            "Where each bot stands: 1 for its current phase (Unknown before its first pass)",
            self.bot_info.clone(),
        );
        r.register(
            "platform_up",
            "Whether the platform answered the last call (1) or not (0)",
            self.platform_up.clone(),
        );
    }

    fn register(&self, r: &mut Registry, version: &str) {
        let info = Info::new(Version {
            version: version.to_owned(),
        });
        r.register("build", "Build information: the running version", info);
        r.register(
            "reconcile_passes",
            "Reconcile passes by bot and result",
            self.reconcile_passes.clone(),
        );
        r.register_with_unit(
            "reconcile_duration",
            "Duration of reconcile passes by bot and result",
            Unit::Seconds,
            self.reconcile_duration.clone(),
        );
        r.register(
            "phase_transitions",
            "Phase changes of a bot, by the phase entered",
            self.phase_transitions.clone(),
        );
        r.register(
            "platform_requests",
            "Calls to the platform by operation and HTTP status",
            self.platform_requests.clone(),
        );
        r.register(
            "platform_retries",
            "Platform calls retried, by operation",
            self.platform_retries.clone(),
        );
        r.register(
            "rate_limit_waits",
            "Times a platform call waited for the rate limit",
            self.rate_limit_waits.clone(),
        );
        r.register_with_unit(
            "rate_limit_wait",
            "Time spent waiting for the platform rate limit",
            Unit::Seconds,
            self.rate_limit_wait_seconds.clone(),
        );
        r.register(
            "git_fetches",
            "Fetches of the bot repository by result",
            self.git_fetches.clone(),
        );
        r.register(
            "notes_pushes",
            "Pushes of the status notes by result",
            self.notes_pushes.clone(),
        );
        r.register(
            "queue_depth",
            "Bots waiting in the work queue",
            self.queue_depth.clone(),
        );
        r.register(
            "last_successful_sync_timestamp_seconds",
            "When each bot was last seen in sync with git (unix seconds)",
            self.last_successful_sync.clone(),
        );
        r.register(
            "webhook_requests",
            "Webhook deliveries by host and outcome",
            self.webhook_requests.clone(),
        );
        r.register(
            "gate_f1",
            "The last F1 score of each test suite of a bot's publish gate, by language \
             (in-development copy)",
            self.gate_f1.clone(),
        );
    }

    /// The last run of `suite` in `language` of `bot`'s gate scored `f1`.
    pub fn gate_f1(&self, bot: &str, suite: &str, language: &str, f1: f64) {
        let labels = BotSuiteLanguage {
            bot: bot.to_owned(),
            suite: suite.to_owned(),
            language: language.to_owned(),
        };
        self.gate_f1.get_or_create(&labels).set(f1);
    }

    /// One reconcile pass of `bot` ended with `result` after `elapsed`.
    pub fn reconcile_pass(&self, bot: &str, result: PassResult, elapsed: Duration) {
        let labels = BotResult {
            bot: bot.to_owned(),
            result: result.label().to_owned(),
        };
        self.reconcile_passes.get_or_create(&labels).inc();
        self.reconcile_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// `bot` entered `phase` (call only when the phase changes).
    pub fn phase_transition(&self, bot: &str, phase: Phase) {
        self.phase_transitions
            .get_or_create(&bot_phase(bot, &phase.to_string()))
            .inc();
    }

    /// A call to the platform (`operation`: "export", "import", "train", …) ended.
    pub fn platform_call(&self, operation: &str, status: CallStatus) {
        let labels = OperationStatus {
            operation: operation.to_owned(),
            status: status.label(),
        };
        self.platform_requests.get_or_create(&labels).inc();
    }

    /// A call to the platform is being retried.
    pub fn platform_retry(&self, operation: &str) {
        let labels = Operation {
            operation: operation.to_owned(),
        };
        self.platform_retries.get_or_create(&labels).inc();
    }

    /// A platform call waited `waited` for the rate limit.
    pub fn rate_limit_wait(&self, waited: Duration) {
        self.rate_limit_waits.inc();
        self.rate_limit_wait_seconds.inc_by(waited.as_secs_f64());
    }

    /// A fetch of the bot repository ended.
    pub fn git_fetch(&self, result: FetchResult) {
        self.git_fetches
            .get_or_create(&result_label(result.label()))
            .inc();
    }

    /// A push of the status notes ended.
    pub fn notes_push(&self, result: PushResult) {
        self.notes_pushes
            .get_or_create(&result_label(result.label()))
            .inc();
    }

    /// The work queue now holds `depth` bots.
    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// `bot` was seen in sync with git now.
    pub fn synced_now(&self, bot: &str) {
        self.synced_at(bot, SystemTime::now());
    }

    /// `bot` was seen in sync with git at `when`.
    pub fn synced_at(&self, bot: &str, when: SystemTime) {
        let seconds = when
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let labels = BotLabel {
            bot: bot.to_owned(),
        };
        self.last_successful_sync
            .get_or_create(&labels)
            .set(seconds);
    }

    /// A webhook delivery from `host` ended with `outcome`.
    pub fn webhook(&self, host: &str, outcome: WebhookOutcome) {
        let labels = HostOutcome {
            host: host.to_owned(),
            outcome: outcome.label().to_owned(),
        };
        self.webhook_requests.get_or_create(&labels).inc();
    }

    /// Whether the platform answered its last call.
    pub fn set_platform_up(&self, up: bool) {
        self.platform_up.set(i64::from(up));
    }

    /// The whole exposition, in `format`.
    pub fn render(&self, format: Format) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug
        // in a label, and a partial scrape is better than none.
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics encoding failed");
        }
        match format {
            Format::OpenMetrics => text,
            Format::Classic => super::exposition::to_classic(&text),
        }
    }
}

fn result_label(result: &str) -> ResultLabel {
    ResultLabel {
        result: result.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_f1_of_each_suite_and_language_is_exposed() {
        let metrics = Metrics::new("test");
        metrics.gate_f1("helpdesk", "smoke", "en", 1.0);
        metrics.gate_f1("helpdesk", "smoke", "en", 0.67);
        metrics.gate_f1("helpdesk", "smoke", "es", 0.5);
        let text = metrics.render(Format::OpenMetrics);
        assert!(
            text.contains(
                "kore_gitops_gate_f1{bot=\"helpdesk\",suite=\"smoke\",language=\"en\"} 0.67"
            ),
            "{text}"
        );
        assert!(text.contains("language=\"es\"} 0.5"), "{text}");
    }
}
