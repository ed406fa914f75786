//! `[statuses]` (commit statuses on the git host) and `[notify]` (webhook
//! and Slack notifications): both optional, both off when absent, so that an
//! older configuration loads as it did.

use std::time::Duration;

use secrecy::SecretString;

use super::model::secret_from;
use super::reader::Section;
use super::{Env, Purpose};

/// Default least time between two requests to the git host's status API.
pub const DEFAULT_STATUS_INTERVAL: Duration = Duration::from_millis(500);

/// Which git host's commit-status API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusProvider {
    /// `POST /repos/{owner}/{repo}/statuses/{sha}` (github.com or GHES).
    GitHub,
    /// `POST /projects/{id}/statuses/{sha}` (API v4).
    GitLab,
    /// `POST /repos/{owner}/{repo}/statuses/{sha}` (API v1, also Forgejo).
    Gitea,
    /// `POST /repositories/{workspace}/{repo}/commit/{sha}/statuses/build`.
    BitbucketCloud,
    /// `POST /rest/build-status/1.0/commits/{sha}` (Server and Data Center).
    BitbucketServer,
}

impl StatusProvider {
    const NAMES: [(&'static str, StatusProvider); 5] = [
        ("github", StatusProvider::GitHub),
        ("gitlab", StatusProvider::GitLab),
        ("gitea", StatusProvider::Gitea),
        ("bitbucket-cloud", StatusProvider::BitbucketCloud),
        ("bitbucket-server", StatusProvider::BitbucketServer),
    ];

    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("unknown", |(n, _)| n)
    }

    fn parse(text: &str) -> Option<StatusProvider> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == text)
            .map(|(_, p)| *p)
    }
}

/// Where and how commit statuses are posted.
#[derive(Debug, Clone)]
pub struct StatusSettings {
    /// The host's API.
    pub provider: StatusProvider,
    /// The API root: `https://api.github.com`, `https://gitlab.example.com/api/v4`,
    /// `https://gitea.example.com/api/v1`, `https://api.bitbucket.org/2.0`, or
    /// the Bitbucket Server base URL.
    pub api_url: String,
    /// `owner/name` (GitLab: the project path or id; unused by Bitbucket Server).
    pub repository: String,
    /// The API token (never logged).
    pub token: SecretString,
    /// The link a status carries; `{bot}` and `{commit}` are filled in.
    pub target_url: Option<String>,
    /// Least time between two requests to the host.
    pub min_interval: Duration,
}

/// Where notifications go.
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    /// A generic JSON webhook (the URL may carry a secret: it is one).
    pub webhook_url: Option<SecretString>,
    /// A Slack-compatible incoming webhook (its URL is its secret).
    pub slack_url: Option<SecretString>,
}

impl NotifySettings {
    /// Whether anything is to be notified.
    pub fn any(&self) -> bool {
        self.webhook_url.is_some() || self.slack_url.is_some()
    }
}

/// `[statuses]`: `Some(None)` when absent, `None` after a problem.
/// Statuses and notifications are the daemon's: a one-shot command (`plan`
/// in a pull request's pipeline) needs neither their tokens nor their URLs.
pub(super) fn build_statuses(
    s: &mut Section<'_>,
    env: &Env,
    purpose: Purpose,
) -> Option<Option<StatusSettings>> {
    if !s.is_present() || purpose == Purpose::OneShot {
        return Some(None);
    }
    let provider = s.required("provider").and_then(|name| {
        let parsed = StatusProvider::parse(&name);
        if parsed.is_none() {
            let known: Vec<&str> = StatusProvider::NAMES.iter().map(|(n, _)| *n).collect();
            s.problem("provider", format!("{name:?} is not one of {known:?}"));
        }
        parsed
    });
    let api_url = s.required("api_url").filter(|url| {
        let ok = url.starts_with("https://") || url.starts_with("http://");
        if !ok {
            s.problem("api_url", format!("{url:?} must start with https://"));
        }
        ok
    });
    let repository = s.string("repository");
    let token = secret_from(s, env, "token_env", "token_file", true);
    let target_url = s.string("target_url");
    let min_interval = s
        .duration_at_least("min_interval", Duration::ZERO)
        .unwrap_or(DEFAULT_STATUS_INTERVAL);
    let provider = provider?;
    let needs_repository = provider != StatusProvider::BitbucketServer;
    if needs_repository && repository.as_deref().is_none_or(|r| !r.contains('/')) {
        s.problem("repository", "is required, as \"owner/name\"");
        return None;
    }
    let bitbucket = matches!(
        provider,
        StatusProvider::BitbucketCloud | StatusProvider::BitbucketServer
    );
    if bitbucket && target_url.is_none() {
        s.problem(
            "target_url",
            "is required by Bitbucket (a status must link somewhere)",
        );
        return None;
    }
    Some(Some(StatusSettings {
        provider,
        api_url: api_url?.trim_end_matches('/').to_owned(),
        repository: repository.unwrap_or_default(),
        token: token??,
        target_url,
        min_interval,
    }))
}

/// `[notify]`: empty when absent, `None` after a problem.
pub(super) fn build_notify(
    s: &mut Section<'_>,
    env: &Env,
    purpose: Purpose,
) -> Option<NotifySettings> {
    if purpose == Purpose::OneShot {
        return Some(NotifySettings::default());
    }
    let webhook_url = secret_from(s, env, "webhook_url_env", "webhook_url_file", false);
    let slack_url = secret_from(s, env, "slack_url_env", "slack_url_file", false);
    Some(NotifySettings {
        webhook_url: webhook_url?,
        slack_url: slack_url?,
    })
}
