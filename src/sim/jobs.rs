//! Asynchronous jobs. A job is due at a time set by the job mode (now,
//! now + duration, or never for manual mode) and is finished lazily: every
//! request settles the due jobs first, so no background task is needed and
//! paused tokio time works in tests.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::api::download::issue_link;
use super::archive::digest;
use super::changelog::Author;
use super::error::ApiError;
use super::history::Event;
use super::hooks::Moment;
use super::seed::BotFiles;
use super::state::State;

/// Where the jobs are, so that no request scans every job ever made: the
/// pending ones, each bot's in order, and each by id.
#[derive(Debug, Default)]
pub struct JobIndex {
    pending: BTreeSet<usize>,
    by_bot: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, usize>,
}

impl JobIndex {
    fn add(&mut self, index: usize, job: &Job) {
        self.pending.insert(index);
        self.by_bot.entry(job.bot.clone()).or_default().push(index);
        self.by_id.insert(job.id.clone(), index);
    }

    /// Forgets every job (the jobs themselves are cleared alongside).
    pub fn clear(&mut self) {
        *self = JobIndex::default();
    }
}

/// The four kinds of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Export,
    Import,
    Train,
    Publish,
    /// A batch test run (`sim::testsuite`).
    TestRun,
}

impl JobKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "export" => Self::Export,
            "import" => Self::Import,
            "train" => Self::Train,
            "publish" => Self::Publish,
            "testrun" => Self::TestRun,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Import => "import",
            Self::Train => "train",
            Self::Publish => "publish",
            Self::TestRun => "testrun",
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Succeeded,
    Failed(String),
}

/// What a job carries until it finishes, and what it produced.
#[derive(Debug)]
pub enum Payload {
    Export {
        export_type: String,
        /// The zip until the job succeeds; then it lives in `exports` under
        /// `file` until its link expires, and the job keeps only its size.
        archive: Arc<Vec<u8>>,
        /// Once succeeded: the file id, its download link and its size.
        file: Option<(String, String, usize)>,
    },
    Import {
        files: Result<BotFiles, String>,
        status_logs: Vec<Value>,
    },
    Train {
        language: String,
        state: String,
        /// The in-development content the training was queued for.
        digest: String,
    },
    Publish {
        snapshot: Arc<BotFiles>,
        approval: bool,
    },
    TestRun(Box<super::testsuite::Run>),
}

/// One job.
#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub bot: String,
    pub created_on: String,
    pub due: Option<Instant>,
    pub status: JobStatus,
    pub scripted_failure: Option<String>,
    pub payload: Payload,
}

impl Job {
    pub fn is_pending(&self) -> bool {
        self.status == JobStatus::Pending
    }
}

impl State {
    /// Adds a job, taking a scripted failure for its kind if one is queued.
    /// An accepted publish goes into the bot's history at once.
    pub fn add_job(&mut self, id: String, kind: JobKind, bot: &str, payload: Payload) -> usize {
        let due = self.job_due(Instant::now());
        self.add_job_due(id, kind, bot, payload, due)
    }

    /// [`State::add_job`] with an explicit due time (`None`: until stepped).
    pub fn add_job_due(
        &mut self,
        id: String,
        kind: JobKind,
        bot: &str,
        payload: Payload,
        due: Option<Instant>,
    ) -> usize {
        if let Payload::Publish { snapshot, .. } = &payload {
            let digest = digest(snapshot);
            self.record(bot, Event::PublishRequested { digest });
        }
        let job = Job {
            id,
            kind,
            bot: bot.to_owned(),
            created_on: self.iso_now(),
            due,
            status: JobStatus::Pending,
            scripted_failure: self.faults.take_job_failure(kind.name()),
            payload,
        };
        let index = self.jobs.len();
        self.job_index.add(index, &job);
        self.jobs.push(job);
        self.fire_hooks(bot, kind, Moment::Accepted);
        self.settle();
        index
    }

    /// Refuses a new job of `kind` on `bot` while another one runs: one job
    /// per bot at a time, whoever started it (409 with the platform's
    /// envelope), or one per kind when `exclusive_jobs` is off.
    pub fn admit_job(&self, bot: &str, kind: JobKind) -> Result<(), ApiError> {
        let exclusive = self.config.exclusive_jobs;
        let running = self
            .pending_jobs()
            .map(|i| &self.jobs[i])
            // A test run reads the bot: it blocks no other job.
            .find(|j| j.bot == bot && j.kind != JobKind::TestRun && (exclusive || j.kind == kind));
        match running {
            None => Ok(()),
            Some(job) => Err(ApiError::conflict(format!(
                "A {} of this bot is already in progress",
                job.kind.name()
            ))),
        }
    }

    /// Finishes every job that is due.
    pub fn settle(&mut self) {
        let now = Instant::now();
        let due: Vec<usize> = self
            .pending_jobs()
            .filter(|i| self.jobs[*i].due.is_some_and(|due| due <= now))
            .collect();
        due.into_iter().for_each(|index| self.finish(index));
    }

    /// The indices of the pending jobs, oldest first.
    fn pending_jobs(&self) -> impl Iterator<Item = usize> + '_ {
        self.job_index.pending.iter().copied()
    }

    /// The jobs of `bot`, newest first.
    pub fn jobs_of<'a>(&'a self, bot: &str) -> impl Iterator<Item = &'a Job> + 'a {
        let indices = self
            .job_index
            .by_bot
            .get(bot)
            .map_or(&[][..], Vec::as_slice);
        indices.iter().rev().map(|i| &self.jobs[*i])
    }

    /// The index of the job with this id.
    pub fn job_by_id(&self, id: &str) -> Option<usize> {
        self.job_index.by_id.get(id).copied()
    }

    /// Finishes every pending job (of one kind, of one bot), whatever the
    /// mode; returns how many.
    pub fn step(&mut self, kind: Option<JobKind>, bot: Option<&str>) -> usize {
        let pending: Vec<usize> = self
            .pending_jobs()
            .filter(|i| kind.is_none_or(|k| self.jobs[*i].kind == k))
            .filter(|i| bot.is_none_or(|b| self.jobs[*i].bot == b))
            .collect();
        pending.iter().for_each(|i| self.finish(*i));
        pending.len()
    }

    /// Gives manual jobs a due time when the mode changes away from manual.
    pub fn reschedule(&mut self) {
        let due = self.job_due(Instant::now());
        let pending: Vec<usize> = self.pending_jobs().collect();
        for index in pending {
            let job = &mut self.jobs[index];
            if job.due.is_none() {
                job.due = due;
            }
        }
    }

    /// The most recent job of a kind for a bot.
    pub fn latest_job(&self, kind: JobKind, bot: &str) -> Option<&Job> {
        self.jobs_of(bot).find(|j| j.kind == kind)
    }

    fn finish(&mut self, index: usize) {
        let failure = self.jobs[index].scripted_failure.take();
        let bot = self.jobs[index].bot.clone();
        let payload = std::mem::replace(
            &mut self.jobs[index].payload,
            Payload::Train {
                language: String::new(),
                state: String::new(),
                digest: String::new(),
            },
        );
        let (status, payload) = match failure {
            Some(message) => (
                JobStatus::Failed(message.clone()),
                failed_payload(payload, &message),
            ),
            None => self.apply(&bot, payload),
        };
        if let Some(event) = outcome_event(&status, &payload) {
            self.record(&bot, event);
        }
        let succeeded = status == JobStatus::Succeeded;
        self.jobs[index].status = status;
        self.jobs[index].payload = payload;
        self.job_index.pending.remove(&index);
        if succeeded {
            self.log_job(index);
        }
        let kind = self.jobs[index].kind;
        self.fire_hooks(&bot, kind, Moment::Finished);
    }

    /// The change-log entry of a finished job (exports change nothing).
    fn log_job(&mut self, index: usize) {
        let job = &self.jobs[index];
        let (bot, id) = (job.bot.clone(), job.id.clone());
        let entry = match &job.payload {
            Payload::Export { .. } | Payload::TestRun(_) => return,
            Payload::Import { .. } => ("Import", "Import request completed".to_owned()),
            Payload::Train { language, .. } => (
                "Sentence",
                format!("Trained ML after utterances changed ({language})"),
            ),
            Payload::Publish { approval: true, .. } => {
                ("dialog", "Publish request sent for approval".to_owned())
            }
            Payload::Publish { .. } => ("dialog", "Published task(s) of the bot".to_owned()),
        };
        let (kind, message) = entry;
        self.log_change(&bot, Author::Api, (kind, &id), message);
    }

    /// Applies a successful job's effect to the bot.
    fn apply(&mut self, bot_id: &str, payload: Payload) -> (JobStatus, Payload) {
        match payload {
            Payload::Export {
                export_type,
                archive,
                ..
            } => {
                let file_id = super::crypto::random_hex(24);
                self.forget_expired_exports();
                let size = archive.len();
                self.exports.insert(file_id.clone(), archive);
                let url = issue_link(self, &file_id);
                let expires = self.started.elapsed() + self.link_ttl();
                self.export_expiry.push_back((expires, file_id.clone()));
                (
                    JobStatus::Succeeded,
                    Payload::Export {
                        export_type,
                        archive: Arc::default(),
                        file: Some((file_id, url, size)),
                    },
                )
            }
            Payload::Import {
                files: Err(problem),
                status_logs,
            } => {
                let payload = failed_payload(
                    Payload::Import {
                        files: Err(problem.clone()),
                        status_logs,
                    },
                    &problem,
                );
                (JobStatus::Failed(problem), payload)
            }
            Payload::Import {
                files: Ok(files), ..
            } => {
                let status_logs = success_logs(&files);
                if let Some(bot) = self.bot_mut(bot_id) {
                    bot.ml_in_sync.clear();
                    for language in files.languages() {
                        bot.ml_in_sync.insert(language, false);
                    }
                    bot.dev = Arc::new(files.clone());
                }
                (
                    JobStatus::Succeeded,
                    Payload::Import {
                        files: Ok(files),
                        status_logs,
                    },
                )
            }
            Payload::Train {
                language,
                state,
                digest,
            } => {
                if let Some(bot) = self.bot_mut(bot_id) {
                    bot.ml_in_sync.insert(language.clone(), true);
                    let trained = bot.dev.clone();
                    bot.trained.insert(language.clone(), trained);
                }
                let payload = Payload::Train {
                    language,
                    state,
                    digest,
                };
                (JobStatus::Succeeded, payload)
            }
            Payload::TestRun(run) => {
                let run = super::testsuite::api::complete(self, run);
                (JobStatus::Succeeded, Payload::TestRun(run))
            }
            Payload::Publish { snapshot, approval } => {
                if let Some(bot) = self.bot_mut(bot_id) {
                    if approval {
                        bot.awaiting_approval = Some(snapshot.clone());
                        bot.publish_state = "awaitingApproval";
                    } else {
                        bot.published = snapshot.clone();
                        bot.publish_state = "published";
                    }
                }
                (
                    JobStatus::Succeeded,
                    Payload::Publish { snapshot, approval },
                )
            }
        }
    }
}

/// The history event of a finished job (exports change nothing).
fn outcome_event(status: &JobStatus, payload: &Payload) -> Option<Event> {
    let ok = *status == JobStatus::Succeeded;
    match payload {
        Payload::Export { .. } => None,
        Payload::Import { files, .. } => Some(Event::Import {
            ok,
            digest: files.as_ref().ok().map(digest),
        }),
        Payload::Train {
            language, digest, ..
        } => Some(Event::Train {
            language: language.clone(),
            ok,
            digest: digest.clone(),
        }),
        Payload::Publish { snapshot, .. } => Some(Event::Publish {
            ok,
            digest: digest(snapshot),
        }),
        Payload::TestRun(run) => Some(Event::TestRun {
            suite: run.suite.clone(),
            language: run.language.clone(),
            version: run.version.clone(),
            ok,
            digest: run.digest.clone(),
            f1: super::testsuite::two_decimals(run.figures.f1()),
        }),
    }
}

/// A failed import names the problem in a `statusLogs` entry.
fn failed_payload(payload: Payload, message: &str) -> Payload {
    match payload {
        Payload::Import { files, .. } => Payload::Import {
            files,
            status_logs: vec![json!({
                "taskType": "Bot Definition",
                "taskName": "botDefinition.json",
                "status": "failed",
                "message": message,
            })],
        },
        other => other,
    }
}

fn success_logs(files: &BotFiles) -> Vec<Value> {
    let entry = |task_type: &str, name: &str| json!({"taskType": task_type, "taskName": name, "status": "success"});
    let mut logs = vec![entry("Bot Definition", &files.bot_name())];
    let dialogs = files.definition.get("dialogs").and_then(Value::as_array);
    for dialog in dialogs.into_iter().flatten() {
        let name = dialog
            .get("lname")
            .or_else(|| dialog.get("name"))
            .and_then(Value::as_str);
        logs.push(entry("Dialog", name.unwrap_or("dialog")));
    }
    logs.push(entry("Utterences", "Utterences"));
    if let Some((name, _)) = &files.functions {
        logs.push(entry("BotFunctions", name));
    }
    logs
}
