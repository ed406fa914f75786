//! How git reaches the remote: credentials, the proxy for its URL, and the
//! check that a configured CA file is in force; the same for the mirror's
//! fetch and the notes exchange.

use git2::{CertificateCheckStatus, ProxyOptions, RemoteCallbacks};

use super::auth::remote_callbacks;
use super::preflight::Refusal;
use super::trust;
use crate::config::{GitAuth, GitConfig};
use crate::network::NetworkSettings;

/// What a fetch or push needs to connect.
pub trait Connect {
    /// Fresh callbacks (credentials) for one connection.
    fn callbacks(&self) -> RemoteCallbacks<'static>;

    /// The proxy for the remote at `url`.
    fn proxy(&self, _url: Option<&str>) -> ProxyOptions<'static> {
        ProxyOptions::new()
    }

    /// Checks what must be checked before libgit2 connects to `url`.
    fn before_connecting(&self, _url: Option<&str>) -> Result<(), git2::Error> {
        Ok(())
    }

    /// What went wrong, without any secret of the connection (a proxy
    /// password).
    fn explain(&self, error: &git2::Error) -> String {
        error.message().to_owned()
    }
}

/// Credentials alone (tests, local remotes): no proxy, nothing to redact.
impl<F: Fn() -> RemoteCallbacks<'static>> Connect for F {
    fn callbacks(&self) -> RemoteCallbacks<'static> {
        self()
    }
}

/// The configured remote: `[git]`'s credentials, proxy and CA file.
#[derive(Debug, Clone)]
pub struct GitRemote {
    auth: GitAuth,
    network: NetworkSettings,
}

impl GitRemote {
    /// The connection `git` configures.
    pub fn new(git: &GitConfig) -> GitRemote {
        GitRemote {
            auth: git.auth.clone(),
            network: git.network.clone(),
        }
    }
}

impl Connect for GitRemote {
    fn callbacks(&self) -> RemoteCallbacks<'static> {
        let mut callbacks = remote_callbacks(&self.auth);
        if let Some(ca) = self.network.ca.clone() {
            // Only TLS connections ask: refuse them rather than quietly trust
            // less than the configuration says.
            callbacks.certificate_check(move |cert, _| {
                if cert.as_x509().is_none() || trust::in_force(&ca) {
                    return Ok(CertificateCheckStatus::CertificatePassthrough);
                }
                Err(git2::Error::from_str(&trust::not_in_force(ca.path())))
            });
        }
        callbacks
    }

    /// Through a proxy, the remote's certificate is checked first (see
    /// `preflight`: libgit2 must never refuse one there).
    fn before_connecting(&self, url: Option<&str>) -> Result<(), git2::Error> {
        let Some(url) = url.and_then(|url| reqwest::Url::parse(url).ok()) else {
            return Ok(());
        };
        if let Some(ca) = &self.network.ca
            && url.scheme() == "https"
            && !trust::in_force(ca)
        {
            let message = trust::not_in_force(ca.path());
            return Err(git2::Error::new(
                git2::ErrorCode::Certificate,
                git2::ErrorClass::Ssl,
                message,
            ));
        }
        let Some(proxy) = self.network.proxies.for_url(&url) else {
            return Ok(());
        };
        let redact = |message: &str| self.network.proxies.redact(message);
        super::preflight::check_through_proxy(&url, proxy, &self.network).map_err(|refusal| {
            match refusal {
                Refusal::Untrusted(message) => git2::Error::new(
                    git2::ErrorCode::Certificate,
                    git2::ErrorClass::Ssl,
                    redact(&message),
                ),
                Refusal::Proxy(message) => git2::Error::new(
                    git2::ErrorCode::GenericError,
                    git2::ErrorClass::Net,
                    redact(&message),
                ),
            }
        })
    }

    fn proxy(&self, url: Option<&str>) -> ProxyOptions<'static> {
        let mut options = ProxyOptions::new();
        let parsed = url.and_then(|url| reqwest::Url::parse(url).ok());
        if let Some(proxy) = parsed.and_then(|url| self.network.proxies.for_url(&url).cloned()) {
            options.url(proxy.expose().as_str());
        }
        options
    }

    fn explain(&self, error: &git2::Error) -> String {
        let message = self.network.proxies.redact(error.message());
        if error.code() != git2::ErrorCode::Certificate || message.contains("ca_file") {
            return message;
        }
        format!(
            "{message}: the server's certificate is not trusted by the system's \
             certificate store or [git] ca_file"
        )
    }
}
