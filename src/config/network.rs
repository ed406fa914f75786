//! `ca_file` and `proxy` of `[git]`, `[platform]` and `[platforms.<name>]`,
//! and the proxy variables of the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`, upper or lower case), read here once so that git
//! and the platform client follow the same ones.
//!
//! ```toml
//! [git]                       # and [platform], [platforms.<name>]
//! ca_file = "/etc/kore-gitops/ca.pem"   # trusted on top of the system's store
//! proxy = "http://proxy.corp:3128"      # or proxy_env / proxy_file for a URL
//!                                       # with user:password; default: the environment
//! ```

use std::path::Path;

use secrecy::ExposeSecret;

use super::Env;
use super::model::secret_from;
use super::reader::Section;
use crate::network::{CaBundle, NetworkSettings, NoProxy, Proxies, ProxyUrl};

/// The proxies the environment sets, for sections that set none.
#[derive(Debug, Clone, Default)]
pub(super) struct EnvProxies(Proxies);

impl EnvProxies {
    /// Reads the variables, upper case first as reqwest and curl do; a value
    /// that is not a proxy URL is a problem (naming the variable, never
    /// quoting it).
    pub(super) fn read(env: &Env, problems: &mut Vec<String>) -> EnvProxies {
        let mut read = |names: [&str; 2]| {
            let (name, value) = names
                .iter()
                .find_map(|name| env.get(name).map(|value| (*name, value)))?;
            if value.trim().is_empty() {
                return None;
            }
            ProxyUrl::parse(value)
                .map_err(|e| problems.push(format!("{name}: {e}")))
                .ok()
        };
        let all = read(["ALL_PROXY", "all_proxy"]);
        let http = read(["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone());
        let https = read(["HTTPS_PROXY", "https_proxy"]).or(all);
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|name| env.get(name))
            .map(NoProxy::parse)
            .unwrap_or_default();
        EnvProxies(Proxies {
            http,
            https,
            no_proxy,
        })
    }
}

/// The section's `ca_file` and proxy; `None` when a problem was recorded.
pub(super) fn build_network(
    s: &mut Section<'_>,
    env: &Env,
    from_env: &EnvProxies,
) -> Option<NetworkSettings> {
    let ca = match s.string("ca_file") {
        Some(path) => match CaBundle::load(Path::new(&path)) {
            Ok(bundle) => Some(Some(bundle)),
            Err(e) => {
                s.problem("ca_file", e);
                None
            }
        },
        None => Some(None),
    };
    let proxies = explicit_proxy(s, env).map(|explicit| match explicit {
        Some(proxy) => Proxies::all(proxy, from_env.0.no_proxy.clone()),
        None => from_env.0.clone(),
    });
    Some(NetworkSettings {
        ca: ca?,
        proxies: proxies?,
    })
}

/// `proxy`, or the secret URL of `proxy_env` / `proxy_file`. Outer `None`: a
/// problem was recorded.
fn explicit_proxy(s: &mut Section<'_>, env: &Env) -> Option<Option<ProxyUrl>> {
    let plain = s.string("proxy");
    let secret = secret_from(s, env, "proxy_env", "proxy_file", false)?;
    let text = match (plain, secret) {
        (Some(_), Some(_)) => {
            s.problem(
                "proxy",
                "give either proxy or proxy_env/proxy_file, not both",
            );
            return None;
        }
        (Some(text), None) => {
            let proxy = parse(s, "proxy", &text)?;
            if proxy.has_password() {
                s.problem(
                    "proxy",
                    "holds a password: the file never holds secrets; give the URL \
                     in proxy_env or proxy_file instead",
                );
                return None;
            }
            return Some(Some(proxy));
        }
        (None, Some(secret)) => secret,
        (None, None) => return Some(None),
    };
    let key = if s.has("proxy_env") {
        "proxy_env"
    } else {
        "proxy_file"
    };
    parse(s, key, text.expose_secret()).map(Some)
}

fn parse(s: &mut Section<'_>, key: &str, text: &str) -> Option<ProxyUrl> {
    ProxyUrl::parse(text)
        .map_err(|e| s.problem(key, format!("the proxy URL {e}")))
        .ok()
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Env};

    const OLD: &str = r#"
[git]
url = "https://git.example.com/bots.git"
[platform]
host = "https://bots.kore.ai"
client_id = "cs-1"
client_secret_env = "KORE_SECRET"
"#;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut all = vec![("KORE_SECRET".to_owned(), "s".to_owned())];
        all.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Env::from_pairs(all)
    }

    fn ca_pem(dir: &std::path::Path) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, cert.pem()).unwrap();
        path.display().to_string()
    }

    #[test]
    fn a_configuration_without_the_new_keys_loads_unchanged() {
        let config = Config::parse(OLD, "c.toml", &env(&[])).unwrap();
        for network in [&config.git.network, &config.platforms["default"].network] {
            assert!(network.ca.is_none());
            assert!(network.proxies.is_empty());
        }
    }

    #[test]
    fn the_environment_proxy_applies_unless_a_section_sets_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ca_pem(dir.path());
        let text = format!(
            "{OLD}ca_file = {ca:?}\nproxy = \"http://platform-proxy:3128\"\n\
             [platforms.prod]\nhost = \"https://prod\"\nclient_id = \"cs-2\"\n\
             client_secret_env = \"KORE_SECRET\"\n"
        );
        let vars = env(&[
            ("HTTPS_PROXY", "http://ann:env-pw@env-proxy:8080"),
            ("no_proxy", "git.example.com, .internal"),
        ]);
        let config = Config::parse(&text, "c.toml", &vars).unwrap();
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let default = &config.platforms["default"].network;
        assert_eq!(default.ca.as_ref().unwrap().certificates().len(), 1);
        let chosen = default.proxies.for_url(&url("https://bots.kore.ai/api"));
        assert_eq!(chosen.unwrap().to_string(), "http://platform-proxy:3128");
        assert_eq!(default.proxies.for_url(&url("https://x.internal/")), None);
        let prod = &config.platforms["prod"].network;
        assert!(prod.ca.is_none());
        let chosen = prod.proxies.for_url(&url("https://prod/api"));
        assert_eq!(chosen.unwrap().to_string(), "http://ann:***@env-proxy:8080");
        let git = &config.git.network;
        assert_eq!(
            git.proxies.for_url(&url("https://git.example.com/b.git")),
            None
        );
        assert!(
            git.proxies
                .for_url(&url("https://other.example.com/b.git"))
                .is_some()
        );
        assert!(!format!("{config:?}").contains("env-pw"));
    }

    #[test]
    fn bad_ca_files_and_proxies_are_problems_that_quote_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("proxy-url");
        std::fs::write(&secret, "http://bob:file-pw@proxy:3128\n").unwrap();
        let text = format!(
            "[git]\nurl = \"u\"\nca_file = \"/nonexistent/ca.pem\"\n\
             proxy = \"http://bob:inline-pw@proxy:3128\"\n\
             [platform]\nhost = \"https://h\"\nclient_id = \"cs-1\"\n\
             client_secret_env = \"KORE_SECRET\"\nca_file = {:?}\nproxy = \"x\"\n\
             proxy_file = {:?}\n",
            secret.display().to_string(),
            secret.display().to_string(),
        );
        let vars = env(&[("HTTP_PROXY", "socks5://carol:env-pw@proxy:1080")]);
        let err = Config::parse(&text, "c.toml", &vars).unwrap_err();
        let all = err.to_string();
        for expected in [
            "HTTP_PROXY: is not a proxy URL",
            "c.toml: [git] ca_file: cannot read /nonexistent/ca.pem",
            "c.toml: [git] proxy: holds a password",
            "c.toml: [platform] ca_file: ",
            "holds no PEM certificate",
            "c.toml: [platform] proxy: give either proxy or proxy_env/proxy_file",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
        for secret in ["inline-pw", "file-pw", "env-pw"] {
            assert!(!all.contains(secret), "{secret} in:\n{all}");
        }
    }
}
