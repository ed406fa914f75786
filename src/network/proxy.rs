//! Proxy URLs, which may carry credentials (`http://user:password@proxy:3128`)
//! and so are shown only redacted, and the choice of proxy for a URL.

use std::fmt;

use reqwest::Url;

use super::NoProxy;

/// An HTTP(S) proxy's URL. `Debug` and `Display` never show its password.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(Url);

impl ProxyUrl {
    /// Parses `text`: `http://` or `https://` (none means `http://`), a host,
    /// an optional port and credentials, nothing else. The error never quotes
    /// the text, which may hold a password.
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let text = text.trim();
        let full = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let expected = "is not a proxy URL such as http://proxy.example.com:3128";
        let url = Url::parse(&full).map_err(|e| format!("{expected} ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "{expected}: the scheme is {:?}, not http or https",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{expected}: it names no host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{expected}: a proxy URL has no path or query"));
        }
        Ok(ProxyUrl(url))
    }

    /// The URL with its credentials, for the HTTP client and libgit2 only.
    pub fn expose(&self) -> &Url {
        &self.0
    }

    /// Whether the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.0.password().is_some()
    }

    /// `text` with this proxy's password (as written, and percent-decoded)
    /// replaced by `***`: for messages of libraries that might quote the URL.
    pub fn redact(&self, text: &str) -> String {
        let Some(password) = self.0.password() else {
            return text.to_owned();
        };
        let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        let mut text = text.replace(password, "***");
        if !decoded.is_empty() {
            text = text.replace(decoded.as_ref(), "***");
        }
        text
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.0;
        write!(f, "{}://", url.scheme())?;
        if !url.username().is_empty() {
            f.write_str(url.username())?;
            if url.password().is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        f.write_str(url.host_str().unwrap_or_default())?;
        match url.port() {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// Which proxy carries a request: one for `http://` and one for `https://`
/// URLs (the same when configured explicitly), except to the hosts of
/// `NO_PROXY`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// For `http://` URLs.
    pub http: Option<ProxyUrl>,
    /// For `https://` URLs.
    pub https: Option<ProxyUrl>,
    /// Hosts reached directly.
    pub no_proxy: NoProxy,
}

impl Proxies {
    /// The same proxy for every URL, except to the hosts of `no_proxy`.
    pub fn all(proxy: ProxyUrl, no_proxy: NoProxy) -> Proxies {
        Proxies {
            http: Some(proxy.clone()),
            https: Some(proxy),
            no_proxy,
        }
    }

    /// Whether no proxy is set at all.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy for `url`, or `None` to connect directly.
    pub fn for_url(&self, url: &Url) -> Option<&ProxyUrl> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url.host_str()?;
        (!self.no_proxy.matches(host)).then_some(proxy)
    }

    /// `text` with every configured proxy's password redacted.
    pub fn redact(&self, text: &str) -> String {
        [&self.http, &self.https]
            .into_iter()
            .flatten()
            .fold(text.to_owned(), |text, proxy| proxy.redact(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_url_shows_no_password_and_errors_quote_nothing() {
        let proxy = ProxyUrl::parse("http://ann:s%40cret-pw@proxy.corp:3128").unwrap();
        assert_eq!(proxy.to_string(), "http://ann:***@proxy.corp:3128");
        assert_eq!(
            format!("{proxy:?}"),
            "ProxyUrl(http://ann:***@proxy.corp:3128)"
        );
        assert!(proxy.has_password());
        assert_eq!(
            proxy.redact("failed: s%40cret-pw and s@cret-pw"),
            "failed: *** and ***"
        );
        assert_eq!(
            ProxyUrl::parse("proxy.corp:8080").unwrap().to_string(),
            "http://proxy.corp:8080"
        );
        for bad in [
            "socks5://ann:hunter2@proxy:1080",
            "http://ann:hunter2@",
            "http://ann:hunter2@proxy:3128/path",
            "http://ann:hunter2@proxy:99999",
        ] {
            let err = ProxyUrl::parse(bad).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(err.starts_with("is not a proxy URL"), "{err}");
        }
    }

    #[test]
    fn the_proxy_follows_the_scheme_and_no_proxy_wins() {
        let proxies = Proxies {
            http: Some(ProxyUrl::parse("http://plain:1").unwrap()),
            https: Some(ProxyUrl::parse("http://secure:2").unwrap()),
            no_proxy: NoProxy::parse("internal.example"),
        };
        let chosen = |url: &str| {
            proxies
                .for_url(&Url::parse(url).unwrap())
                .map(ToString::to_string)
        };
        assert_eq!(
            chosen("https://bots.kore.ai/api").as_deref(),
            Some("http://secure:2")
        );
        assert_eq!(
            chosen("http://bots.kore.ai/").as_deref(),
            Some("http://plain:1")
        );
        assert_eq!(chosen("https://git.internal.example/x.git"), None);
        assert_eq!(chosen("ssh://git@bots.kore.ai/x.git"), None);
        assert!(Proxies::default().is_empty());
    }
}
