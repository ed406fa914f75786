//! Credentials for the git remote, as libgit2 callbacks.

use std::cell::Cell;
use std::path::PathBuf;

use git2::{Cred, CredentialType, RemoteCallbacks};
use secrecy::{ExposeSecret, SecretString};

use crate::config::GitAuth;

/// Callbacks that answer the remote's credential request from `auth`. libgit2
/// asks again after a refusal; a second request is refused here, so a wrong
/// token fails once instead of looping.
pub fn remote_callbacks(auth: &GitAuth) -> RemoteCallbacks<'static> {
    let credential = match auth {
        GitAuth::None => Credential::None,
        GitAuth::Token(token) => Credential::Token(token.clone()),
        GitAuth::SshKey(path) => Credential::SshKey(path.clone()),
    };
    let asked = Cell::new(false);
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(move |_url, username, allowed| {
        if asked.replace(true) {
            return Err(git2::Error::from_str(
                "the remote refused the configured git credentials",
            ));
        }
        credential.answer(username, allowed)
    });
    callbacks
}

enum Credential {
    None,
    Token(SecretString),
    SshKey(PathBuf),
}

impl Credential {
    fn answer(&self, username: Option<&str>, allowed: CredentialType) -> Result<Cred, git2::Error> {
        match self {
            Credential::Token(token) if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) => {
                // Git hosts accept a token as the password with any user name.
                Cred::userpass_plaintext(username.unwrap_or("kore-gitops"), token.expose_secret())
            }
            Credential::SshKey(path) if allowed.contains(CredentialType::SSH_KEY) => {
                Cred::ssh_key(username.unwrap_or("git"), None, path, None)
            }
            Credential::None => Err(git2::Error::from_str(
                "the remote asks for credentials and none are configured (set git.token_env or git.ssh_key_file)",
            )),
            _ => Err(git2::Error::from_str(
                "the remote asks for a kind of credential that is not configured",
            )),
        }
    }
}
