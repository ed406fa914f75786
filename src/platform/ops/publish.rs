//! Publish (in-development → published), and its status.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::Body;
use crate::platform::jobs::{JobPhase, Poll, fold, wait_for};

use super::{design_call, status_call};

/// How a publish ended (a failure is an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    Published,
    /// An administrator must still approve: not a failure, not done either.
    AwaitingApproval,
}

/// The bot's latest publish job.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishStatus {
    #[serde(rename = "_id", default)]
    pub id: Option<String>,
    /// `successful`, `failed`, `inprogress` in any case.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub percentage_complete: Option<f64>,
    #[serde(default)]
    pub status_summary: Vec<Value>,
}

impl PublishStatus {
    pub fn phase(&self) -> JobPhase {
        if mentions_approval(&Value::String(self.status.clone())) {
            return JobPhase::Succeeded;
        }
        JobPhase::parse(&self.status)
    }

    /// Whether the job (or its summary) says the publish awaits approval.
    pub fn awaits_approval(&self) -> bool {
        mentions_approval(&Value::String(self.status.clone()))
            || self.status_summary.iter().any(mentions_approval)
    }

    fn failure(&self) -> String {
        let messages: Vec<&str> = self
            .status_summary
            .iter()
            .filter_map(|entry| entry["message"].as_str())
            .collect();
        if messages.is_empty() {
            format!("status {:?}", self.status)
        } else {
            format!("status {:?}: {}", self.status, messages.join("; "))
        }
    }
}

/// Any `state`/`status` string in `value` (or its `result`) saying "awaiting approval".
fn mentions_approval(value: &Value) -> bool {
    let is_approval = |v: &Value| v.as_str().is_some_and(|s| fold(s) == "awaitingapproval");
    is_approval(value)
        || ["state", "status"]
            .iter()
            .any(|key| is_approval(&value[key]))
        || is_approval(&value["result"]["state"])
}

/// A publish that was sent: how to tell its job from the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishStarted {
    /// The latest publish job before ours (`None`: never published).
    before: Option<String>,
    /// The answer already said an administrator must approve.
    approval_asked: bool,
}

impl PlatformClient {
    /// Publishes `bot`'s in-development copy and waits for the job.
    pub async fn publish(
        &self,
        bot: &BotId,
        comment: &str,
    ) -> Result<PublishOutcome, PlatformError> {
        let started = self.start_publish(bot, comment).await?;
        let at = Context::new(Operation::Publish, Some(bot));
        let poll = || self.publish_poll(bot, &started);
        wait_for(&at, "publish", self.patience(), poll).await
    }

    /// Sends the publish, at most once, without waiting for its job. After a
    /// lost answer, a publish status newer than the one before is ours;
    /// none means the outcome is unknown (nothing is sent again).
    pub async fn start_publish(
        &self,
        bot: &BotId,
        comment: &str,
    ) -> Result<PublishStarted, PlatformError> {
        // The publish answer names no job: the job is the first publish
        // status that is not the one before.
        let before = self.latest_publish(bot).await?;
        let mut call = design_call(Operation::Publish, bot, Method::POST, "/publish").once();
        call.body = Body::Json(json!({ "versionComment": comment }));
        let approval_asked = match self.http.json::<Value>(&call).await {
            Ok(results) => results
                .as_array()
                .is_some_and(|rs| rs.iter().any(mentions_approval)),
            Err(error) if error.may_have_been_carried_out() => {
                let now = self.latest_publish(bot).await?;
                if now.is_none() || now == before {
                    return Err(PlatformError::Unconfirmed {
                        at: call.at,
                        cause: Box::new(error),
                        unknown: "the publish status shows no publish since it was sent",
                    });
                }
                false
            }
            Err(error) => return Err(error),
        };
        Ok(PublishStarted {
            before,
            approval_asked,
        })
    }

    /// One look at the publish `started`.
    pub async fn publish_poll(
        &self,
        bot: &BotId,
        started: &PublishStarted,
    ) -> Result<Poll<PublishOutcome>, PlatformError> {
        let before = started.before.as_deref();
        self.poll_publish(bot, started.approval_asked, before).await
    }

    /// The id of the bot's latest publish job (`None`: never published).
    async fn latest_publish(&self, bot: &BotId) -> Result<Option<String>, PlatformError> {
        match self.publish_status(bot).await {
            Ok(status) => Ok(status.id),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn poll_publish(
        &self,
        bot: &BotId,
        approval_asked: bool,
        before: Option<&str>,
    ) -> Result<Poll<PublishOutcome>, PlatformError> {
        let status = self.publish_status(bot).await?;
        // The status of the publish before ours says nothing about ours yet.
        if before.is_some() && status.id.as_deref() == before {
            return Ok(Poll::Running);
        }
        Ok(match status.phase() {
            JobPhase::Running => Poll::Running,
            JobPhase::Failed => Poll::Failed(status.failure()),
            JobPhase::Succeeded if approval_asked || status.awaits_approval() => {
                Poll::Done(PublishOutcome::AwaitingApproval)
            }
            JobPhase::Succeeded => Poll::Done(PublishOutcome::Published),
        })
    }

    /// The status of `bot`'s latest publish.
    pub async fn publish_status(&self, bot: &BotId) -> Result<PublishStatus, PlatformError> {
        let call = status_call(Operation::PublishStatus, bot, "/publish/status");
        self.http.json(&call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(value: Value) -> PublishStatus {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn statuses_are_compared_case_insensitively() {
        assert_eq!(
            status(json!({"status": "SUCCESSFUL"})).phase(),
            JobPhase::Succeeded
        );
        assert_eq!(
            status(json!({"status": "inprogress"})).phase(),
            JobPhase::Running
        );
        assert_eq!(
            status(json!({"status": "IN_PROGRESS"})).phase(),
            JobPhase::Running
        );
        assert_eq!(
            status(json!({"status": "Failed"})).phase(),
            JobPhase::Failed
        );
    }

    #[test]
    fn approval_is_seen_in_the_status_or_the_summary() {
        let summary = json!({"status": "successful",
            "statusSummary": [{"resourceType": "BOT", "state": "awaitingApproval"}]});
        assert!(status(summary).awaits_approval());
        let as_status = status(json!({"status": "AWAITING_APPROVAL"}));
        assert!(as_status.awaits_approval());
        assert_eq!(as_status.phase(), JobPhase::Succeeded);
        assert!(!status(json!({"status": "successful", "statusSummary": []})).awaits_approval());
        assert!(mentions_approval(
            &json!({"result": {"state": "awaitingApproval"}})
        ));
    }

    #[test]
    fn a_failure_carries_the_summary_messages() {
        let failed = status(json!({"status": "failed",
            "statusSummary": [{"status": "FAILED", "message": "No channel enabled"}]}));
        assert_eq!(failed.failure(), "status \"failed\": No channel enabled");
    }
}
