//! The platform client through a private CA (`ca_file`) and a proxy.

use kore_gitops::config::{Config, Env};
use kore_gitops::network::{CaBundle, NetworkSettings, NoProxy, Proxies, ProxyUrl};
use kore_gitops::platform::{PlatformClient, PlatformError, TransportFailure};
use kore_gitops::sim::RunningSim;

use crate::support::client::fast_config;
use crate::support::proxy::Proxy;
use crate::support::sim::{start_sim_tls, write_synthetic_bot};
use crate::support::tls::PrivateCa;

/// A simulator over HTTPS with a certificate of a new private CA, the CA's
/// root in a file, and the folder holding both.
async fn https_sim() -> (RunningSim, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca = PrivateCa::new("Corp");
    let seed = write_synthetic_bot(dir.path(), "travel");
    let sim = start_sim_tls(&[seed], ca.server_identity()).await;
    assert!(
        sim.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        sim.base_url
    );
    let root = ca.write_root(dir.path(), "corp-root.pem");
    (sim, root, dir)
}

fn client(sim: &RunningSim, network: NetworkSettings) -> PlatformClient {
    let mut config = fast_config(sim, "admin");
    config.network = network;
    PlatformClient::new(config).expect("the client builds")
}

fn trusting(root: &std::path::Path) -> NetworkSettings {
    NetworkSettings {
        ca: Some(CaBundle::load(root).unwrap()),
        proxies: Proxies::default(),
    }
}

#[tokio::test]
async fn the_platform_is_reached_through_a_private_ca_given_as_ca_file() {
    let (sim, root, _dir) = https_sim().await;
    let bots = client(&sim, trusting(&root)).list_bots().await.unwrap();
    assert_eq!(bots.len(), 1, "{bots:?}");

    // Without the CA file the system store and the bundled roots do not
    // vouch for the private CA: a clear, final error (not retried).
    let err = client(&sim, NetworkSettings::default())
        .list_bots()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PlatformError::Transport {
                failure: TransportFailure::Untrusted,
                ..
            }
        ),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("certificate is not trusted by the system's certificate store")
            && shown.contains("ca_file")
            && shown.contains("UnknownIssuer"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_platform_is_reached_through_the_configured_or_environment_proxy_unless_no_proxy() {
    let (sim, root, _dir) = https_sim().await;
    let proxy = Proxy::start(None).await;
    let port = sim.base_url.rsplit(':').next().unwrap().to_owned();
    let tunnel = format!("CONNECT 127.0.0.1:{port}");

    // An explicit proxy.
    let mut network = trusting(&root);
    network.proxies = Proxies::all(ProxyUrl::parse(&proxy.address).unwrap(), NoProxy::default());
    client(&sim, network.clone()).list_bots().await.unwrap();
    assert_eq!(proxy.carried(), std::slice::from_ref(&tunnel));

    // NO_PROXY names the host: straight there.
    network.proxies.no_proxy = NoProxy::parse("localhost, 127.0.0.1");
    client(&sim, network).list_bots().await.unwrap();
    assert_eq!(proxy.carried().len(), 1, "{:?}", proxy.carried());

    // HTTPS_PROXY from the environment, as the configuration reads it.
    let settings = |pairs: &[(&str, &str)]| {
        let text = format!(
            "[git]\nurl = \"u\"\n[platform]\nhost = {:?}\nclient_id = \"cs-x\"\n\
             client_secret_env = \"S\"\nca_file = {:?}\n",
            sim.base_url,
            root.display().to_string()
        );
        let mut vars = vec![("S".to_owned(), "s".to_owned())];
        vars.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::parse(&text, "c.toml", &Env::from_pairs(vars)).unwrap();
        config.platforms["default"].network.clone()
    };
    let from_env = settings(&[("HTTPS_PROXY", &proxy.address)]);
    client(&sim, from_env).list_bots().await.unwrap();
    assert_eq!(proxy.carried(), [tunnel.clone(), tunnel.clone()]);
    let bypassed = settings(&[("HTTPS_PROXY", &proxy.address), ("NO_PROXY", "127.0.0.1")]);
    client(&sim, bypassed).list_bots().await.unwrap();
    assert_eq!(proxy.carried().len(), 2, "{:?}", proxy.carried());
}

#[tokio::test]
async fn proxy_credentials_reach_the_proxy_and_never_an_error() {
    let (sim, root, _dir) = https_sim().await;
    let proxy = Proxy::start(Some(("ann", "pr0xy-pass-7f3"))).await;
    let with = |password: &str| {
        let mut network = trusting(&root);
        let url = ProxyUrl::parse(&proxy.url_with("ann", password)).unwrap();
        network.proxies = Proxies::all(url, NoProxy::default());
        client(&sim, network)
    };
    with("pr0xy-pass-7f3").list_bots().await.unwrap();
    assert_eq!(proxy.carried().len(), 1);
    assert_eq!(proxy.refused(), 0, "the credentials went with the CONNECT");

    let err = with("wr0ng-pass-9c1").list_bots().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(proxy.refused() >= 1, "{shown}");
    assert!(!shown.contains("wr0ng-pass-9c1"), "{shown}");
    assert!(!shown.contains("pr0xy-pass-7f3"), "{shown}");
}
