//! ML training of one language, and its status.

use reqwest::Method;
use serde::Deserialize;

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::jobs::{JobPhase, Poll, wait_for};

use super::{design_call, status_call};

/// Which copy of the bot a status is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotCopy {
    /// The in-development copy (`configured`).
    Configured,
    Published,
}

impl BotCopy {
    pub fn as_str(self) -> &'static str {
        match self {
            BotCopy::Configured => "configured",
            BotCopy::Published => "published",
        }
    }
}

/// The training status of one language of one copy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingStatus {
    /// `Inprogress`, `Finished` or `Failed`, as the platform spells it.
    #[serde(default)]
    pub training_status: String,
    #[serde(default)]
    pub is_ml_in_sync_with_sentences: Option<bool>,
    #[serde(rename = "Training_ID", default)]
    pub training_id: Option<String>,
}

impl TrainingStatus {
    pub fn phase(&self) -> JobPhase {
        JobPhase::parse(&self.training_status)
    }
}

#[derive(Debug, Deserialize)]
struct Queued {
    #[serde(rename = "Training_ID", default)]
    training_id: Option<String>,
}

/// What sending a training gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainingStart {
    /// A training runs: ours (with its id when the platform gave one), or,
    /// after a lost answer, one that serves as well.
    Running(Option<String>),
    /// After a lost answer, the model is already trained on the current
    /// utterances: nothing to wait for.
    Trained(TrainingStatus),
}

impl PlatformClient {
    /// Trains `language` of `bot`'s in-development copy and waits for it.
    pub async fn train(
        &self,
        bot: &BotId,
        language: &str,
    ) -> Result<TrainingStatus, PlatformError> {
        let id = match self.start_training(bot, language).await? {
            TrainingStart::Trained(status) => return Ok(status),
            TrainingStart::Running(id) => id,
        };
        let at = Context::new(Operation::Train, Some(bot));
        let job = training_job(language, id.as_deref());
        let poll = || self.poll_training(bot, language, id.as_deref());
        wait_for(&at, &job, self.patience(), poll).await
    }

    /// Sends the training of `language`, at most once, without waiting.
    /// After a lost answer: a training that runs (ours, or one that serves
    /// as well) is followed; a model already trained on the current
    /// utterances is the outcome; anything else means it did not take
    /// effect, and the caller decides later, from what the bot holds.
    pub async fn start_training(
        &self,
        bot: &BotId,
        language: &str,
    ) -> Result<TrainingStart, PlatformError> {
        let mut call = design_call(Operation::Train, bot, Method::POST, "/ml/train").once();
        call.headers.push(("bot-language", language.to_owned()));
        let error = match self.http.json::<Vec<Queued>>(&call).await {
            Ok(queued) => {
                let id = queued.into_iter().find_map(|q| q.training_id);
                return Ok(TrainingStart::Running(id));
            }
            Err(error) if error.may_have_been_carried_out() => error,
            Err(error) => return Err(error),
        };
        let status = self
            .training_status(bot, language, BotCopy::Configured)
            .await?;
        match status.phase() {
            JobPhase::Running => Ok(TrainingStart::Running(None)),
            JobPhase::Succeeded if status.is_ml_in_sync_with_sentences == Some(true) => {
                Ok(TrainingStart::Trained(status))
            }
            _ => Err(PlatformError::Unconfirmed {
                at: call.at,
                cause: Box::new(error),
                unknown: "the training status shows no training of the current utterances",
            }),
        }
    }

    /// One look at the training of `language` (`id`: ours, when known).
    pub async fn training_poll(
        &self,
        bot: &BotId,
        language: &str,
        id: Option<&str>,
    ) -> Result<Poll<TrainingStatus>, PlatformError> {
        self.poll_training(bot, language, id).await
    }

    async fn poll_training(
        &self,
        bot: &BotId,
        language: &str,
        id: Option<&str>,
    ) -> Result<Poll<TrainingStatus>, PlatformError> {
        let status = self
            .training_status(bot, language, BotCopy::Configured)
            .await?;
        // A status about an earlier training says nothing about ours yet.
        let ours = match (id, status.training_id.as_deref()) {
            (Some(ours), Some(theirs)) => ours == theirs,
            _ => true,
        };
        Ok(match (ours, status.phase()) {
            (false, _) | (true, JobPhase::Running) => Poll::Running,
            (true, JobPhase::Succeeded) => Poll::Done(status),
            (true, JobPhase::Failed) => {
                Poll::Failed(format!("status {:?}", status.training_status))
            }
        })
    }

    /// The training status of `language` of one copy of `bot`.
    pub async fn training_status(
        &self,
        bot: &BotId,
        language: &str,
        copy: BotCopy,
    ) -> Result<TrainingStatus, PlatformError> {
        let mut call = status_call(Operation::TrainStatus, bot, "/ml/train/status");
        call.query = vec![
            ("language", language.to_owned()),
            ("state", copy.as_str().to_owned()),
        ];
        self.http.json(&call).await
    }
}

/// How a training job is named in errors and the log.
pub fn training_job(language: &str, id: Option<&str>) -> String {
    id.map_or_else(|| format!("training ({language})"), str::to_owned)
}
