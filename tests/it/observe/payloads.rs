//! Push deliveries as the four hosts send them: trimmed copies of real payload
//! shapes (fields the receiver must ignore are kept, so that it is tested
//! against the noise of a real delivery), and the headers each host adds.

use serde_json::{Value, json};

use super::harness::hmac_hex;

/// The git hosts, as the tests see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    GitHub,
    GitLab,
    Gitea,
    Bitbucket,
}

pub const HOSTS: [Host; 4] = [Host::GitHub, Host::GitLab, Host::Gitea, Host::Bitbucket];

/// How a delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// With the configured secret.
    Correct,
    /// With another secret.
    Wrong,
    /// Not at all.
    Missing,
}

const HEAD: &str = "9f2c1b7e4d3a5f60718293a4b5c6d7e8f9012345";
const BEFORE: &str = "1e4b7c2d9a0f3e5d6c7b8a9f0e1d2c3b4a596877";

impl Host {
    /// The path segment of `/webhook/{host}`.
    pub fn segment(self) -> &'static str {
        match self {
            Host::GitHub => "github",
            Host::GitLab => "gitlab",
            Host::Gitea => "gitea",
            Host::Bitbucket => "bitbucket",
        }
    }

    /// The repository URL the daemon is configured with for this host.
    pub fn repository(self) -> &'static str {
        match self {
            Host::GitHub => "https://github.com/acme/kore-bots.git",
            Host::GitLab => "git@gitlab.example.com:acme/kore-bots.git",
            Host::Gitea => "https://gitea.example.com/acme/kore-bots",
            Host::Bitbucket => "https://x-token-auth@bitbucket.org/acme/kore-bots.git",
        }
    }

    /// The event a push announces.
    pub fn push_event(self) -> &'static str {
        match self {
            Host::GitHub | Host::Gitea => "push",
            Host::GitLab => "Push Hook",
            Host::Bitbucket => "repo:push",
        }
    }

    /// Another event the host sends to the same hook, with its payload.
    pub fn other_event(self) -> (&'static str, Vec<u8>) {
        match self {
            Host::GitHub => ("ping", to_bytes(&github_ping())),
            Host::GitLab => ("Tag Push Hook", self.push_to("acme", "refs/tags/v1.2.0")),
            Host::Gitea => ("create", self.push_to("acme", "refs/heads/feature")),
            Host::Bitbucket => (
                "repo:commit_status_updated",
                to_bytes(&json!({"repository": bitbucket_repository("acme")})),
            ),
        }
    }

    /// A push of `branch` to acme/kore-bots.
    pub fn push(self, branch: &str) -> Vec<u8> {
        self.push_to("acme", &format!("refs/heads/{branch}"))
    }

    /// A push of `git_ref` to `owner`/kore-bots.
    pub fn push_to(self, owner: &str, git_ref: &str) -> Vec<u8> {
        let payload = match self {
            Host::GitHub => github_push(owner, git_ref),
            Host::GitLab => gitlab_push(owner, git_ref),
            Host::Gitea => gitea_push(owner, git_ref),
            Host::Bitbucket => bitbucket_push(owner, git_ref),
        };
        to_bytes(&payload)
    }

    /// The headers of a delivery of `body` announcing `event`.
    pub fn headers(
        self,
        event: &str,
        body: &[u8],
        signing: Signing,
    ) -> Vec<(&'static str, String)> {
        let secret = match signing {
            Signing::Correct => super::harness::WEBHOOK_SECRET,
            Signing::Wrong | Signing::Missing => "not-the-configured-secret",
        };
        let signature = hmac_hex(secret, body);
        let mut headers = vec![("content-type", "application/json".to_owned())];
        let (event_header, signature_header, signature_value) = match self {
            Host::GitHub => (
                "x-github-event",
                "x-hub-signature-256",
                format!("sha256={signature}"),
            ),
            Host::GitLab => ("x-gitlab-event", "x-gitlab-token", secret.to_owned()),
            Host::Gitea => ("x-gitea-event", "x-gitea-signature", signature),
            Host::Bitbucket => (
                "x-event-key",
                "x-hub-signature",
                format!("sha256={signature}"),
            ),
        };
        headers.push((event_header, event.to_owned()));
        if signing != Signing::Missing {
            headers.push((signature_header, signature_value));
        }
        headers.extend(self.extra_headers(event));
        headers
    }

    /// What else each host sends: delivery ids, and Gitea's GitHub-compatible
    /// headers (which must not make it look like GitHub).
    fn extra_headers(self, event: &str) -> Vec<(&'static str, String)> {
        let id = "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_owned();
        match self {
            Host::GitHub => vec![
                ("x-github-delivery", id),
                ("x-github-hook-id", "292430182".into()),
            ],
            Host::GitLab => vec![
                ("x-gitlab-event-uuid", id),
                ("x-gitlab-instance", "https://gitlab.example.com".into()),
            ],
            Host::Gitea => vec![
                ("x-gitea-delivery", id),
                ("x-github-event", event.to_owned()),
                ("x-gogs-event", event.to_owned()),
            ],
            Host::Bitbucket => vec![("x-hook-uuid", id.clone()), ("x-request-uuid", id)],
        }
    }
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("JSON serialises")
}

fn commit(url: &str) -> Value {
    json!({
        "id": HEAD,
        "message": "greeter: answer in French too\n",
        "timestamp": "2026-03-02T10:14:07+01:00",
        "url": format!("{url}/commit/{HEAD}"),
        "author": {"name": "Jo Doe", "email": "jo@example.com", "username": "jdoe"},
        "added": [], "removed": [],
        "modified": ["bots/greeter/botDefinition.json"]
    })
}

fn github_repository(owner: &str) -> Value {
    json!({
        "id": 716_283_112, "node_id": "R_kgDOKrFz6A", "name": "kore-bots",
        "full_name": format!("{owner}/kore-bots"), "private": true,
        "owner": {"name": owner, "login": owner, "id": 1_234_567, "type": "Organization"},
        "html_url": format!("https://github.com/{owner}/kore-bots"),
        "url": format!("https://github.com/{owner}/kore-bots"),
        "git_url": format!("git://github.com/{owner}/kore-bots.git"),
        "ssh_url": format!("git@github.com:{owner}/kore-bots.git"),
        "clone_url": format!("https://github.com/{owner}/kore-bots.git"),
        "default_branch": "main", "master_branch": "main", "pushed_at": 1_772_442_847
    })
}

fn github_push(owner: &str, git_ref: &str) -> Value {
    let url = format!("https://github.com/{owner}/kore-bots");
    json!({
        "ref": git_ref, "before": BEFORE, "after": HEAD,
        "repository": github_repository(owner),
        "pusher": {"name": "jdoe", "email": "jo@example.com"},
        "sender": {"login": "jdoe", "id": 7_654_321, "type": "User"},
        "created": false, "deleted": false, "forced": false, "base_ref": null,
        "compare": format!("{url}/compare/1e4b7c2d9a0f...9f2c1b7e4d3a"),
        "commits": [commit(&url)], "head_commit": commit(&url)
    })
}

fn github_ping() -> Value {
    json!({
        "zen": "Keep it logically awesome.", "hook_id": 292_430_182,
        "hook": {"type": "Repository", "id": 292_430_182, "active": true, "events": ["push"],
                 "config": {"content_type": "json", "insecure_ssl": "0", "secret": "********"}},
        "repository": github_repository("acme"),
        "sender": {"login": "jdoe", "id": 7_654_321, "type": "User"}
    })
}

fn gitlab_push(owner: &str, git_ref: &str) -> Value {
    let web = format!("https://gitlab.example.com/{owner}/kore-bots");
    let project = json!({
        "id": 15, "name": "kore-bots", "description": "Kore.ai bots",
        "web_url": web, "avatar_url": null,
        "git_ssh_url": format!("git@gitlab.example.com:{owner}/kore-bots.git"),
        "git_http_url": format!("{web}.git"),
        "namespace": owner, "visibility_level": 0,
        "path_with_namespace": format!("{owner}/kore-bots"), "default_branch": "main",
        "homepage": web, "url": format!("git@gitlab.example.com:{owner}/kore-bots.git")
    });
    json!({
        "object_kind": if git_ref.starts_with("refs/tags/") { "tag_push" } else { "push" },
        "event_name": "push", "before": BEFORE, "after": HEAD, "ref": git_ref,
        "ref_protected": true, "checkout_sha": HEAD,
        "user_id": 4, "user_name": "Jo Doe", "user_username": "jdoe",
        "user_email": "", "project_id": 15, "project": project,
        "commits": [commit(&web)], "total_commits_count": 1,
        "repository": {
            "name": "kore-bots", "url": format!("git@gitlab.example.com:{owner}/kore-bots.git"),
            "description": "Kore.ai bots", "homepage": web,
            "git_http_url": format!("{web}.git"),
            "git_ssh_url": format!("git@gitlab.example.com:{owner}/kore-bots.git"),
            "visibility_level": 0
        }
    })
}

fn gitea_push(owner: &str, git_ref: &str) -> Value {
    let html = format!("https://gitea.example.com/{owner}/kore-bots");
    json!({
        "ref": git_ref, "before": BEFORE, "after": HEAD,
        "compare_url": format!("{html}/compare/{BEFORE}...{HEAD}"),
        "commits": [commit(&html)], "total_commits": 1, "head_commit": commit(&html),
        "repository": {
            "id": 3, "owner": {"id": 2, "login": owner, "username": owner},
            "name": "kore-bots", "full_name": format!("{owner}/kore-bots"),
            "private": true, "fork": false, "html_url": html,
            "ssh_url": format!("git@gitea.example.com:{owner}/kore-bots.git"),
            "clone_url": format!("{html}.git"), "default_branch": "main"
        },
        "pusher": {"id": 5, "login": "jdoe", "email": "jo@example.com"},
        "sender": {"id": 5, "login": "jdoe"}
    })
}

fn bitbucket_repository(owner: &str) -> Value {
    json!({
        "type": "repository", "name": "kore-bots",
        "full_name": format!("{owner}/kore-bots"),
        "uuid": "{0c5dd4e4-2d32-4f5e-9f0b-0d24a3b2f5a1}", "is_private": true, "scm": "git",
        "links": {
            "self": {"href": format!("https://api.bitbucket.org/2.0/repositories/{owner}/kore-bots")},
            "html": {"href": format!("https://bitbucket.org/{owner}/kore-bots")},
            "avatar": {"href": "https://bytebucket.org/ravatar/%7B0c5dd4e4%7D?ts=default"}
        },
        "owner": {"type": "team", "username": owner, "display_name": "Acme"}
    })
}

fn bitbucket_push(owner: &str, git_ref: &str) -> Value {
    let (kind, name) = match git_ref.strip_prefix("refs/heads/") {
        Some(branch) => ("branch", branch),
        None => ("tag", git_ref.trim_start_matches("refs/tags/")),
    };
    let side = |hash: &str| {
        json!({
            "type": kind, "name": name,
            "target": {"type": "commit", "hash": hash, "message": "greeter: answer in French too\n",
                       "date": "2026-03-02T09:14:07+00:00"}
        })
    };
    json!({
        "push": {"changes": [{
            "new": side(HEAD), "old": side(BEFORE),
            "created": false, "forced": false, "closed": false, "truncated": false,
            "commits": [{"type": "commit", "hash": HEAD}]
        }]},
        "repository": bitbucket_repository(owner),
        "actor": {"type": "user", "display_name": "Jo Doe", "nickname": "jdoe"}
    })
}
