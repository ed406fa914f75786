//! The jobs an apply waits on (import, training, publish): one look at
//! each, and how each is named in the note, `/status` and the log.

use crate::ids::BotId;
use crate::platform::jobs::Poll;
use crate::platform::{
    ImportRequestId, Operation, PlatformClient, PlatformError, PublishOutcome, PublishStarted,
    TrainingStatus, training_job,
};
use crate::status::Phase;

/// A job an apply sent and waits on.
#[derive(Debug)]
pub(super) enum Job {
    Import(ImportRequestId),
    Training {
        next: usize,
        language: String,
        id: Option<String>,
    },
    Publish(PublishStarted),
}

/// How a job ended well.
pub(super) enum Ended {
    Import(ImportRequestId),
    Training(TrainingStatus),
    Publish(PublishOutcome),
}

impl Job {
    pub(super) async fn poll(
        &self,
        platform: &PlatformClient,
        bot: &BotId,
    ) -> Result<Poll<Ended>, PlatformError> {
        Ok(match self {
            Job::Import(request) => {
                let poll = platform.import_status(bot, request).await?;
                map(poll, |outcome| Ended::Import(outcome.request))
            }
            Job::Training { language, id, .. } => {
                let poll = platform.training_poll(bot, language, id.as_deref()).await?;
                map(poll, Ended::Training)
            }
            Job::Publish(started) => {
                map(platform.publish_poll(bot, started).await?, Ended::Publish)
            }
        })
    }

    pub(super) fn operation(&self) -> Operation {
        match self {
            Job::Import(_) => Operation::Import,
            Job::Training { .. } => Operation::Train,
            Job::Publish(_) => Operation::Publish,
        }
    }

    pub(super) fn name(&self) -> String {
        match self {
            Job::Import(request) => request.to_string(),
            Job::Training { language, id, .. } => training_job(language, id.as_deref()),
            Job::Publish(_) => "publish".to_owned(),
        }
    }

    pub(super) fn phase(&self) -> Phase {
        match self {
            Job::Import(_) => Phase::Importing,
            Job::Training { .. } => Phase::Training,
            Job::Publish(_) => Phase::Publishing,
        }
    }

    /// The job in words, for the note and `/status`.
    pub(super) fn describe(&self) -> String {
        match self {
            Job::Import(request) => format!("the import job {request}"),
            Job::Training {
                language,
                id: Some(id),
                ..
            } => {
                format!("the training job {id} ({language})")
            }
            Job::Training { language, .. } => format!("the training of {language}"),
            Job::Publish(_) => "the publish job".to_owned(),
        }
    }

    /// Which job, without its id: for a host's short commit status, where
    /// the id would take the room of the reason.
    pub(super) fn kind(&self) -> String {
        match self {
            Job::Import(_) => "import job".to_owned(),
            Job::Training { language, .. } => format!("training of {language}"),
            Job::Publish(_) => "publish job".to_owned(),
        }
    }

    /// The note's `jobs` entry of a job still running.
    pub(super) fn entry(&self) -> Option<(String, String)> {
        match self {
            Job::Import(request) => Some(("import".to_owned(), request.to_string())),
            Job::Training { language, id, .. } => {
                id.clone().map(|id| (format!("train.{language}"), id))
            }
            Job::Publish(_) => None,
        }
    }
}

fn map<T, U>(poll: Poll<T>, f: impl FnOnce(T) -> U) -> Poll<U> {
    match poll {
        Poll::Running => Poll::Running,
        Poll::Done(value) => Poll::Done(f(value)),
        Poll::Failed(message) => Poll::Failed(message),
    }
}
