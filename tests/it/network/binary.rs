//! The real command line on a corporate network: the platform and git
//! (fetch, and the notes push) served over HTTPS by hosts whose certificates a
//! private CA issued, through an authenticating proxy. git's CA file is given
//! to libgit2 when the command starts, so these run the binary.
//!
//! `SSL_CERT_FILE` stands in for the system's certificate store (OpenSSL, for
//! git, and rustls-native-certs, for the platform client, both read it): a
//! host whose CA only the "system" trusts stays reachable with a `ca_file`
//! set, so the CA file adds to the system's store and never replaces it.

use std::path::{Path, PathBuf};

use kore_gitops::sim::RunningSim;
use tempfile::TempDir;

use crate::commands::{Run, kore_gitops_with};
use crate::reconcile::world::{BOTS, copy_dir};
use crate::support::git::{git, remote_with_clone};
use crate::support::git_http::GitHttpHost;
use crate::support::proxy::Proxy;
use crate::support::sim::start_sim_tls;
use crate::support::tls::PrivateCa;

const PASSWORD: &str = "c0rp-pr0xy-pw-41b";

/// Hosts of both CAs over the same repository and bots, and the proxy.
struct Network {
    dir: TempDir,
    remote: PathBuf,
    corp_root: PathBuf,
    system_root: PathBuf,
    /// Platform and git host whose certificates the private ("Corp") CA issued.
    corp: (RunningSim, GitHttpHost),
    /// The same, issued by the CA the "system" store holds.
    system: (RunningSim, GitHttpHost),
    proxy: Proxy,
    proxy_file: PathBuf,
}

impl Network {
    async fn start() -> Network {
        let dir = tempfile::tempdir().unwrap();
        let repo = remote_with_clone(dir.path());
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bots");
        copy_dir(&examples, &repo.work.join("bots"));
        git(&repo.work, &["add", "."]);
        git(&repo.work, &["commit", "--quiet", "-m", "the example bots"]);
        git(&repo.work, &["push", "--quiet", "origin", "main"]);
        let seeds: Vec<PathBuf> = BOTS.iter().map(|b| examples.join(b)).collect();
        let (corp, system) = (PrivateCa::new("Corp"), PrivateCa::new("System"));
        let hosts = |ca: &PrivateCa| {
            let (seeds, root) = (seeds.clone(), dir.path().to_owned());
            let (sim_id, git_id) = (ca.server_identity(), ca.server_identity());
            async move {
                let sim = start_sim_tls(&seeds, sim_id).await;
                (sim, GitHttpHost::start(&root, Some(&git_id)).await)
            }
        };
        let proxy = Proxy::start(Some(("corp", PASSWORD))).await;
        let proxy_file = dir.path().join("proxy-url");
        std::fs::write(&proxy_file, proxy.url_with("corp", PASSWORD)).unwrap();
        Network {
            corp_root: corp.write_root(dir.path(), "corp-root.pem"),
            system_root: system.write_root(dir.path(), "system-root.pem"),
            corp: hosts(&corp).await,
            system: hosts(&system).await,
            remote: repo.remote,
            proxy,
            proxy_file,
            dir,
        }
    }

    /// A configuration for `hosts`, each section with `extra` lines.
    fn config(&self, name: &str, hosts: &(RunningSim, GitHttpHost), extra: &str) -> PathBuf {
        let (sim, git_host) = hosts;
        let admin = sim.credentials.app("admin");
        let secret = self.dir.path().join("client-secret");
        std::fs::write(&secret, &admin.client_secret).unwrap();
        let path = self.dir.path().join(format!("{name}.toml"));
        let text = format!(
            "[git]\nurl = \"{}/remote.git\"\n{extra}\n[platform]\nhost = {:?}\n\
             client_id = {:?}\nclient_secret_file = {:?}\nrequest_timeout = \"5s\"\n\
             job_timeout = \"10s\"\njob_poll_interval = \"20ms\"\n{extra}\n\
             [daemon]\nstate_dir = {:?}\n",
            git_host.base,
            sim.base_url,
            admin.client_id,
            secret.display().to_string(),
            self.dir
                .path()
                .join(format!("state-{name}"))
                .display()
                .to_string(),
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `kore-gitops <command> --config <config>` with `SSL_CERT_FILE` as
    /// the system store and `env`.
    async fn run(&self, command: &str, config: &Path, env: &[(&str, &str)]) -> Run {
        let system = self.system_root.display().to_string();
        let mut vars = vec![("SSL_CERT_FILE", system.as_str())];
        vars.extend_from_slice(env);
        let args = [command, "--config", config.to_str().unwrap()];
        let run = kore_gitops_with(self.dir.path(), &args, &vars).await;
        assert!(
            !run.all().contains(PASSWORD),
            "the proxy password leaked:\n{}",
            run.all()
        );
        run
    }

    fn ca_line(&self, root: &Path) -> String {
        format!("ca_file = {:?}\n", root.display().to_string())
    }

    /// Tunnels to the platform (any client) and to the git host by libgit2
    /// itself (not by the certificate check that precedes it).
    fn tunnels_to(&self, hosts: &(RunningSim, GitHttpHost)) -> (usize, usize) {
        let port = |url: &str| url.rsplit(':').next().unwrap().to_owned();
        let to = |port: String| format!("CONNECT 127.0.0.1:{port}");
        let (sim, git_host) = (to(port(&hosts.0.base_url)), to(port(&hosts.1.base)));
        let platform = self.proxy.carried().iter().filter(|c| **c == sim).count();
        let git = self.proxy.carried_for("libgit2");
        (platform, git.iter().filter(|c| **c == git_host).count())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reaches_git_and_the_platform_through_a_private_ca_and_a_proxy() {
    let net = Network::start().await;
    let extra = format!(
        "{}proxy_file = {:?}\n",
        net.ca_line(&net.corp_root),
        net.proxy_file.display().to_string()
    );
    let config = net.config("corp", &net.corp, &extra);
    let run = net
        .run("sync", &config, &[("KORE_GITOPS_LOG", "debug")])
        .await;
    assert_eq!(run.code, 0, "{}", run.all());
    let (platform, git_tunnels) = net.tunnels_to(&net.corp);
    assert!(
        platform >= 1 && git_tunnels >= 2,
        "fetch and push: {:?}",
        net.proxy.carried()
    );
    let checks = net.proxy.carried_for("certificate check");
    assert!(checks.len() >= 2, "a check before each: {checks:?}");
    // The proxy asks for credentials (libgit2 answers its 407 challenge,
    // reqwest sends them up front): the tunnels above prove they arrived.
    let notes = git(&net.remote, &["rev-parse", "refs/notes/kore-gitops"]);
    assert_eq!(notes.trim().len(), 40, "the notes were pushed over HTTPS");

    // Without the CA file git trusts neither host, directly or through the
    // proxy (where libgit2 must never be the one to refuse: it would hang).
    let proxy_only = format!("proxy_file = {:?}\n", net.proxy_file.display().to_string());
    for (name, extra) in [("direct", ""), ("proxied", proxy_only.as_str())] {
        let bare = net.config(name, &net.corp, extra);
        let run = net.run("plan", &bare, &[]).await;
        assert_eq!(run.code, 2, "{name}: {}", run.all());
        assert!(
            run.stderr.contains("git fetch of branch \"main\"")
                && run
                    .stderr
                    .contains("not trusted by the system's certificate store or [git] ca_file"),
            "{name}: {}",
            run.all()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_store_stays_trusted_and_the_environment_proxy_applies_unless_no_proxy() {
    let net = Network::start().await;
    // The hosts' CA is the "system" one; ca_file names another CA.
    let config = net.config("system", &net.system, &net.ca_line(&net.corp_root));
    let proxy_url = net.proxy.url_with("corp", PASSWORD);
    let run = net
        .run("plan", &config, &[("HTTPS_PROXY", &proxy_url)])
        .await;
    assert!(run.code < 2, "{}", run.all());
    let (platform, git_tunnels) = net.tunnels_to(&net.system);
    assert!(
        platform >= 1 && git_tunnels >= 1,
        "{:?}",
        net.proxy.carried()
    );

    let before = net.proxy.carried().len();
    let env = [
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("NO_PROXY", "localhost,127.0.0.1"),
    ];
    let run = net.run("plan", &config, &env).await;
    assert!(run.code < 2, "{}", run.all());
    assert_eq!(
        net.proxy.carried().len(),
        before,
        "{:?}",
        net.proxy.carried()
    );

    // A proxy that refuses the credentials: a clear error, no password.
    let wrong = net.proxy.url_with("corp", "wr0ng-pw-e7c");
    let run = net.run("plan", &config, &[("HTTPS_PROXY", &wrong)]).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("proxy http://corp:***@127.0.0.1:")
            && run.stderr.contains("answered 407"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains("wr0ng-pw-e7c"), "{}", run.all());
}
