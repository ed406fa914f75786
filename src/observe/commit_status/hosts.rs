//! The five status APIs: where a status goes and how it is spelled.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{StatusProvider, StatusSettings};
use crate::ids::CommitId;

/// GitHub's limit on a description; the others allow more.
const MAX_DESCRIPTION: usize = 140;
/// Bitbucket Cloud's limit on a status key.
const MAX_BITBUCKET_KEY: usize = 40;

/// Where a bot stands, as a commit status says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A pass is importing, training or publishing the commit.
    Applying,
    /// Published; an administrator must still approve it.
    Waiting,
    /// The live bot is the commit.
    Success,
    /// The commit could not be applied.
    Failure,
    /// A later commit took over before the apply of this one ended: it
    /// was neither applied nor verified here, and is no longer being.
    Superseded,
}

/// One status to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `kore-gitops/<bot>`.
    pub context: String,
    /// Where the bot stands.
    pub state: State,
    /// One line (truncated to what every host takes).
    pub description: String,
    /// The configured link, filled in.
    pub target_url: Option<String>,
}

impl Status {
    /// A status for `bot`; `description` is cut to what every host takes.
    pub fn new(bot: &str, state: State, description: &str, target_url: Option<String>) -> Status {
        let mut description: String = description.chars().take(MAX_DESCRIPTION).collect();
        if description.chars().count() == MAX_DESCRIPTION {
            description.pop();
            description.push('…');
        }
        Status {
            context: format!("kore-gitops/{bot}"),
            state,
            description,
            target_url,
        }
    }
}

/// The URL and JSON body of `status` on `commit` for the configured host.
pub fn request(settings: &StatusSettings, commit: CommitId, status: &Status) -> (String, Value) {
    let (api, repo) = (&settings.api_url, &settings.repository);
    let sha = commit.to_string();
    match settings.provider {
        StatusProvider::GitHub | StatusProvider::Gitea => {
            let state = match status.state {
                State::Applying | State::Waiting => "pending",
                State::Success => "success",
                State::Failure => "failure",
                // GitHub has no "cancelled" for statuses: `error` (the run
                // did not complete) is the honest one; `failure` would say
                // the commit's definition was refused. Gitea has `warning`:
                // it ended, look at why; not red, never green.
                State::Superseded => match settings.provider {
                    StatusProvider::Gitea => "warning",
                    _ => "error",
                },
            };
            let mut body = json!({
                "state": state,
                "context": status.context,
                "description": status.description,
            });
            if let Some(url) = &status.target_url {
                body["target_url"] = url.clone().into();
            }
            (format!("{api}/repos/{repo}/statuses/{sha}"), body)
        }
        StatusProvider::GitLab => {
            let state = match status.state {
                State::Applying => "running",
                State::Waiting => "pending",
                State::Success => "success",
                State::Failure => "failed",
                State::Superseded => "canceled",
            };
            let mut body = json!({
                "state": state,
                "name": status.context,
                "description": status.description,
            });
            if let Some(url) = &status.target_url {
                body["target_url"] = url.clone().into();
            }
            let project = utf8_percent_encode(repo, NON_ALPHANUMERIC);
            (format!("{api}/projects/{project}/statuses/{sha}"), body)
        }
        StatusProvider::BitbucketCloud | StatusProvider::BitbucketServer => {
            let state = match status.state {
                State::Applying | State::Waiting => "INPROGRESS",
                State::Success => "SUCCESSFUL",
                State::Failure => "FAILED",
                // Cloud has STOPPED. Server's build-status 1.0 takes only
                // INPROGRESS, SUCCESSFUL and FAILED (CANCELLED exists only on
                // the newer per-repository builds API): FAILED is the one
                // that is not a lie about a run still going or verified.
                State::Superseded => match settings.provider {
                    StatusProvider::BitbucketCloud => "STOPPED",
                    _ => "FAILED",
                },
            };
            let body = json!({
                "state": state,
                "key": bitbucket_key(&status.context),
                "name": status.context,
                "description": status.description,
                "url": status.target_url.clone().unwrap_or_default(),
            });
            let url = match settings.provider {
                StatusProvider::BitbucketCloud => {
                    format!("{api}/repositories/{repo}/commit/{sha}/statuses/build")
                }
                _ => format!("{api}/rest/build-status/1.0/commits/{sha}"),
            };
            (url, body)
        }
    }
}

/// The `Authorization` header value for the host.
pub fn authorization(provider: StatusProvider, token: &str) -> String {
    match provider {
        StatusProvider::Gitea => format!("token {token}"),
        _ => format!("Bearer {token}"),
    }
}

/// The context, or when longer than Bitbucket Cloud's key limit, its start
/// and a hash of the whole, so two long contexts stay two keys.
fn bitbucket_key(context: &str) -> String {
    if context.len() <= MAX_BITBUCKET_KEY {
        return context.to_owned();
    }
    let hash = hex::encode(&Sha256::digest(context.as_bytes())[..4]);
    let mut start: String = context.chars().take(MAX_BITBUCKET_KEY - 9).collect();
    while start.len() > MAX_BITBUCKET_KEY - 9 {
        start.pop();
    }
    format!("{start}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_contexts_make_distinct_bitbucket_keys_within_the_limit() {
        let a = bitbucket_key("kore-gitops/a-very-long-bot-folder-name-number-one");
        let b = bitbucket_key("kore-gitops/a-very-long-bot-folder-name-number-two");
        assert!(a.len() <= MAX_BITBUCKET_KEY && b.len() <= MAX_BITBUCKET_KEY);
        assert_ne!(a, b);
        assert_eq!(bitbucket_key("kore-gitops/short"), "kore-gitops/short");
    }

    #[test]
    fn a_superseded_apply_is_each_hosts_word_for_a_run_that_did_not_complete() {
        let status = Status::new("bot", State::Superseded, "superseded by commit …", None);
        let spelled: Vec<String> = [
            StatusProvider::GitHub,
            StatusProvider::Gitea,
            StatusProvider::GitLab,
            StatusProvider::BitbucketCloud,
            StatusProvider::BitbucketServer,
        ]
        .into_iter()
        .map(|provider| {
            let settings = StatusSettings {
                provider,
                api_url: "https://git.example".into(),
                repository: "team/bots".into(),
                token: String::new().into(),
                target_url: None,
                min_interval: std::time::Duration::ZERO,
            };
            let (_, body) = request(&settings, CommitId::from_bytes([7; 20]), &status);
            body["state"].as_str().unwrap().to_owned()
        })
        .collect();
        assert_eq!(
            spelled,
            ["error", "warning", "canceled", "STOPPED", "FAILED"]
        );
    }

    #[test]
    fn descriptions_are_cut_to_140_characters() {
        let long = "é".repeat(300);
        let status = Status::new("bot", State::Success, &long, None);
        assert_eq!(status.description.chars().count(), MAX_DESCRIPTION);
        assert!(status.description.ends_with('…'));
    }
}
