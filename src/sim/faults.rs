//! Scripted faults (fail, delay or drop the next N calls of an endpoint; fail
//! the next jobs; spoil the next downloads), the request log and counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::ApiError;

/// The platform endpoints, as named in the control API.
pub const ENDPOINTS: &[&str] = &[
    "bots",
    "export",
    "export_status",
    "download",
    "upload",
    "import",
    "import_status",
    "train",
    "train_status",
    "publish",
    "publish_status",
    "changelogs",
    "testsuite_list",
    "testsuite_import",
    "testsuite_export",
    "testsuite_delete",
    "testsuite_run",
    "testsuite_run_status",
];

/// Job kinds, as named in the control API.
pub const JOB_KINDS: &[&str] = &["export", "import", "train", "publish", "testrun"];

/// How the next download is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownloadFault {
    Truncate,
    Corrupt,
    /// The link has expired by the time it is used (answered as any
    /// expired link is), as when a download waits behind a slow one.
    Expired,
}

/// What happens before a platform call reaches its handler.
#[derive(Debug, Default)]
pub struct Prelude {
    pub drop: bool,
    pub delay: Option<Duration>,
    pub fault: Option<ApiError>,
    /// The fault is answered as an HTML page (a proxy's or a maintenance
    /// page), not in the platform's JSON envelope.
    pub html: bool,
}

#[derive(Debug)]
struct StatusFault {
    status: u16,
    retry_after: Option<u64>,
    html: bool,
}

/// How the answer to a call that the platform did carry out is lost: the
/// work is done, the client cannot know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum LostAnswer {
    /// The connection closes without an answer.
    Drop,
    /// A gateway answers 504 with its own HTML page.
    #[serde(rename = "504")]
    GatewayTimeout,
    /// The answer comes only after `millis` (past the client's timeout).
    Stall { millis: u64 },
    /// A proxy answers `status` with an HTML page (e.g. a single sign-on
    /// page with status 200).
    Html { status: u16 },
}

impl LostAnswer {
    /// Its name in the request log.
    pub fn name(self) -> &'static str {
        match self {
            LostAnswer::Drop => "drop",
            LostAnswer::GatewayTimeout => "504",
            LostAnswer::Stall { .. } => "stall",
            LostAnswer::Html { .. } => "html",
        }
    }
}

/// One line of the request log: never a token, secret, body or value.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub endpoint: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The call was carried out and its answer lost this way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<&'static str>,
}

/// All scripted faults and observations.
#[derive(Debug, Default)]
pub struct Faults {
    status: HashMap<String, VecDeque<StatusFault>>,
    latency: HashMap<String, VecDeque<Duration>>,
    drops: HashMap<String, u32>,
    lost: HashMap<String, VecDeque<LostAnswer>>,
    jobs: HashMap<String, VecDeque<String>>,
    downloads: VecDeque<DownloadFault>,
    /// Top-level fields the next imports set in the imported definition, as a
    /// platform that fills in defaults on import would.
    import_rewrites: VecDeque<serde_json::Map<String, serde_json::Value>>,
    /// The latest calls, oldest first (at most the configured length).
    pub log: VecDeque<LoggedRequest>,
    /// Every call recorded, including those the log no longer holds.
    pub requests: u64,
    pub per_endpoint: BTreeMap<String, u64>,
    pub per_status: BTreeMap<u16, u64>,
    pub rate_limited: u64,
    pub dropped: u64,
}

impl Faults {
    pub fn add_status(
        &mut self,
        endpoint: &str,
        (status, html): (u16, bool),
        count: u32,
        retry_after: Option<u64>,
    ) {
        let queue = self.status.entry(endpoint.to_owned()).or_default();
        (0..count).for_each(|_| {
            queue.push_back(StatusFault {
                status,
                retry_after,
                html,
            })
        });
    }

    /// The next `count` calls of `endpoint` are carried out, then their
    /// answers lost.
    pub fn add_lost(&mut self, endpoint: &str, lost: LostAnswer, count: u32) {
        let queue = self.lost.entry(endpoint.to_owned()).or_default();
        (0..count).for_each(|_| queue.push_back(lost));
    }

    /// How the answer of the call of `endpoint` just carried out is lost, if it is.
    pub fn take_lost(&mut self, endpoint: &str) -> Option<LostAnswer> {
        self.lost.get_mut(endpoint).and_then(VecDeque::pop_front)
    }

    pub fn add_latency(&mut self, endpoint: &str, delay: Duration, count: u32) {
        let queue = self.latency.entry(endpoint.to_owned()).or_default();
        (0..count).for_each(|_| queue.push_back(delay));
    }

    pub fn add_drop(&mut self, endpoint: &str, count: u32) {
        *self.drops.entry(endpoint.to_owned()).or_default() += count;
    }

    pub fn add_job_failure(&mut self, kind: &str, count: u32, message: String) {
        let queue = self.jobs.entry(kind.to_owned()).or_default();
        (0..count).for_each(|_| queue.push_back(message.clone()));
    }

    pub fn add_download_fault(&mut self, fault: DownloadFault, count: u32) {
        (0..count).for_each(|_| self.downloads.push_back(fault));
    }

    pub fn add_import_rewrite(
        &mut self,
        fields: serde_json::Map<String, serde_json::Value>,
        count: u32,
    ) {
        (0..count).for_each(|_| self.import_rewrites.push_back(fields.clone()));
    }

    /// The fields the next import rewrites, if any.
    pub fn take_import_rewrite(&mut self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.import_rewrites.pop_front()
    }

    /// Forgets every scripted fault not yet spent; the request log and the
    /// counters stay.
    pub fn clear_scripted(&mut self) {
        self.import_rewrites.clear();
        self.status.clear();
        self.latency.clear();
        self.drops.clear();
        self.lost.clear();
        self.jobs.clear();
        self.downloads.clear();
    }

    /// Takes the faults scripted for the next call of `endpoint`.
    pub fn prelude(&mut self, endpoint: &str) -> Prelude {
        if let Some(n) = self.drops.get_mut(endpoint).filter(|n| **n > 0) {
            *n -= 1;
            self.dropped += 1;
            return Prelude {
                drop: true,
                ..Prelude::default()
            };
        }
        let delay = self.latency.get_mut(endpoint).and_then(VecDeque::pop_front);
        let scripted = self.status.get_mut(endpoint).and_then(VecDeque::pop_front);
        let html = scripted.as_ref().is_some_and(|f| f.html);
        let fault = scripted.map(|f| ApiError::fault(f.status, f.retry_after));
        Prelude {
            drop: false,
            delay,
            fault,
            html,
        }
    }

    /// The failure message scripted for the next job of `kind`, if any.
    pub fn take_job_failure(&mut self, kind: &str) -> Option<String> {
        self.jobs.get_mut(kind).and_then(VecDeque::pop_front)
    }

    pub fn take_download_fault(&mut self) -> Option<DownloadFault> {
        self.downloads.pop_front()
    }

    /// Records a finished platform call, keeping the latest `keep` in the log.
    pub fn record(&mut self, mut entry: LoggedRequest, keep: usize) {
        self.requests += 1;
        entry.seq = self.requests;
        *self.per_endpoint.entry(entry.endpoint.clone()).or_default() += 1;
        *self.per_status.entry(entry.status).or_default() += 1;
        if entry.status == 429 {
            self.rate_limited += 1;
        }
        while !self.log.is_empty() && self.log.len() >= keep {
            self.log.pop_front();
        }
        if keep > 0 {
            self.log.push_back(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_forgets_scripted_faults_but_keeps_the_log() {
        let mut faults = Faults::default();
        faults.add_status("import", (503, false), 3, None);
        faults.add_lost("import", LostAnswer::GatewayTimeout, 1);
        faults.add_latency("export", Duration::from_millis(5), 1);
        faults.add_drop("publish", 2);
        faults.add_job_failure("train", 1, "no".into());
        faults.add_download_fault(DownloadFault::Expired, 1);
        faults.record(call(200), 10);
        faults.clear_scripted();
        assert_eq!(faults.take_lost("import"), None);
        for endpoint in ["import", "export", "publish"] {
            let prelude = faults.prelude(endpoint);
            assert!(!prelude.drop && prelude.delay.is_none() && prelude.fault.is_none());
        }
        assert_eq!(faults.take_job_failure("train"), None);
        assert_eq!(faults.take_download_fault(), None);
        assert_eq!(faults.log.len(), 1);
    }

    fn call(status: u16) -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/api/public/bots".into(),
            endpoint: "bots".into(),
            status,
            bot: None,
            app: None,
            lost: None,
        }
    }

    #[test]
    fn the_log_keeps_the_latest_calls_and_the_counters_count_them_all() {
        let mut faults = Faults::default();
        for i in 0..10 {
            faults.record(call(if i % 2 == 0 { 200 } else { 429 }), 4);
        }
        let seqs: Vec<u64> = faults.log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [7, 8, 9, 10]);
        assert_eq!(faults.requests, 10);
        assert_eq!(faults.per_endpoint["bots"], 10);
        assert_eq!((faults.per_status[&200], faults.rate_limited), (5, 5));
        faults.record(call(200), 0);
        assert!(faults.log.is_empty() && faults.requests == 11);
    }
}
