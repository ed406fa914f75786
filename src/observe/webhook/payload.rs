//! The two things a push payload is read for: which repository, which branch.
//! Nothing else in it is used — the daemon fetches the content itself.

use serde_json::Value;

use super::host::Host;

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not a JSON document (hosts must be set to send `application/json`).
    #[error("the body is not JSON")]
    NotJson,
    /// A push payload always names its repository.
    #[error("the payload names no repository")]
    NoRepository,
    /// A push payload always says what it updated.
    #[error("the payload names no ref")]
    NoRef,
}

/// What a push says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Every name the payload gives the repository (URLs, `owner/name`).
    pub repositories: Vec<String>,
    /// The branches it updated (tags excluded), without `refs/heads/`.
    pub branches: Vec<String>,
}

impl Push {
    /// Reads a push delivered by `host`.
    pub fn parse(host: Host, body: &[u8]) -> Result<Push, PayloadError> {
        let json: Value = serde_json::from_slice(body).map_err(|_| PayloadError::NotJson)?;
        let repositories = repository_names(host, &json);
        if repositories.is_empty() {
            return Err(PayloadError::NoRepository);
        }
        let branches = match host {
            Host::Bitbucket => bitbucket_branches(&json)?,
            Host::GitHub | Host::GitLab | Host::Gitea => git_ref_branch(&json)?,
        };
        Ok(Push {
            repositories,
            branches,
        })
    }

    /// True when the push names `repository` (URL or `owner/name`).
    pub fn names_repository(&self, repository: &str) -> bool {
        let expected = RepoKey::parse(repository);
        self.repositories
            .iter()
            .any(|name| RepoKey::parse(name).same_as(&expected))
    }

    /// True when the push updated `branch`.
    pub fn updates_branch(&self, branch: &str) -> bool {
        self.branches.iter().any(|b| b == branch)
    }
}

/// The JSON pointers where each host names the repository.
fn repository_pointers(host: Host) -> &'static [&'static str] {
    match host {
        Host::GitHub | Host::Gitea => &[
            "/repository/clone_url",
            "/repository/ssh_url",
            "/repository/git_url",
            "/repository/html_url",
            "/repository/full_name",
        ],
        Host::GitLab => &[
            "/project/git_http_url",
            "/project/git_ssh_url",
            "/project/web_url",
            "/project/path_with_namespace",
            "/repository/git_http_url",
            "/repository/git_ssh_url",
            "/repository/homepage",
        ],
        Host::Bitbucket => &["/repository/full_name", "/repository/links/html/href"],
    }
}

fn repository_names(host: Host, json: &Value) -> Vec<String> {
    repository_pointers(host)
        .iter()
        .filter_map(|pointer| json.pointer(pointer)?.as_str())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// GitHub, GitLab, Gitea: `"ref": "refs/heads/main"`.
fn git_ref_branch(json: &Value) -> Result<Vec<String>, PayloadError> {
    let git_ref = json
        .get("ref")
        .and_then(Value::as_str)
        .ok_or(PayloadError::NoRef)?;
    Ok(git_ref
        .strip_prefix("refs/heads/")
        .map(str::to_owned)
        .into_iter()
        .collect())
}

/// Bitbucket: `push.changes[].new` (or `.old` for a deleted branch) with
/// `"type": "branch"`.
fn bitbucket_branches(json: &Value) -> Result<Vec<String>, PayloadError> {
    let changes = json
        .pointer("/push/changes")
        .and_then(Value::as_array)
        .ok_or(PayloadError::NoRef)?;
    let branches = changes
        .iter()
        .flat_map(|change| [change.get("new"), change.get("old")])
        .flatten()
        .filter(|side| side.get("type").and_then(Value::as_str) == Some("branch"))
        .filter_map(|side| side.get("name").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    Ok(branches)
}

/// A repository name reduced to what identifies it: the host (when the name
/// has one) and the path, lower-case, without scheme, user, port or `.git`.
#[derive(Debug, PartialEq, Eq)]
struct RepoKey {
    host: Option<String>,
    path: String,
}

impl RepoKey {
    fn parse(name: &str) -> RepoKey {
        let name = name.trim().to_lowercase();
        let (host, path) = match name.split_once("://") {
            Some((_, rest)) => split_authority(rest, '/'),
            None if is_scp_like(&name) => split_authority(&name, ':'),
            None => (None, name.as_str()),
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path).trim_matches('/');
        RepoKey {
            host,
            path: path.to_owned(),
        }
    }

    /// Same path, and same host unless one of the names has none (`owner/name`).
    fn same_as(&self, other: &RepoKey) -> bool {
        let hosts_agree = match (&self.host, &other.host) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        hosts_agree && !self.path.is_empty() && self.path == other.path
    }
}

/// `git@host:owner/name`: a colon before any slash.
fn is_scp_like(name: &str) -> bool {
    match (name.find(':'), name.find('/')) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Splits `user@host:port<sep>path` into the bare host and the path.
fn split_authority(rest: &str, separator: char) -> (Option<String>, &str) {
    let (authority, path) = rest.split_once(separator).unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    (Some(host.to_owned()), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> RepoKey {
        RepoKey::parse(name)
    }

    #[test]
    fn one_repository_under_its_many_names() {
        let names = [
            "https://github.com/Acme/bots.git",
            "https://user@github.com:443/acme/bots",
            "git@github.com:acme/bots.git",
            "ssh://git@github.com:22/acme/bots.git",
            "git://github.com/acme/bots.git",
            "acme/bots",
        ];
        for a in names {
            for b in names {
                assert!(key(a).same_as(&key(b)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn other_repositories_differ() {
        let ours = key("https://github.com/acme/bots.git");
        for other in [
            "https://github.com/acme/bots-archive.git",
            "https://gitlab.com/acme/bots.git",
            "acme/other",
            "bots",
            "",
            "https://github.com/",
        ] {
            assert!(!key(other).same_as(&ours), "{other}");
        }
    }

    #[test]
    fn tag_pushes_name_no_branch() {
        let body = br#"{"ref":"refs/tags/v1","repository":{"full_name":"acme/bots"}}"#;
        let push = Push::parse(Host::GitHub, body).expect("parses");
        assert!(push.branches.is_empty());
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(Push::parse(Host::GitHub, b"{"), Err(PayloadError::NotJson));
        assert_eq!(
            Push::parse(Host::GitHub, br#"{"ref":"refs/heads/main"}"#),
            Err(PayloadError::NoRepository)
        );
        assert_eq!(
            Push::parse(Host::Bitbucket, br#"{"repository":{"full_name":"a/b"}}"#),
            Err(PayloadError::NoRef)
        );
        assert_eq!(
            Push::parse(Host::GitLab, br#"[1,2]"#),
            Err(PayloadError::NoRepository)
        );
    }
}
