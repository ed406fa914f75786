//! A TLS check of an https remote through the proxy, made before libgit2
//! connects: libgit2 1.9 frees the proxy connection before closing the TLS
//! connection it carries when the server's certificate is refused
//! (`http_client_connect`'s error path), and the TLS shutdown then writes to
//! the freed socket and can wait forever. So a certificate that would be
//! refused must never reach libgit2 through a proxy: this check refuses it
//! first, with the same trust (the system's store and `ca_file`), and says so.
//!
//! Blocking (std sockets and rustls): call it where git runs, in
//! `spawn_blocking`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::Url;
use rustls_pki_types::ServerName;
use tokio_rustls::rustls;

use crate::network::{NetworkSettings, ProxyUrl};

/// The check's `User-Agent` (a proxy's log tells it from git's own tunnels).
pub const AGENT: &str = concat!(
    "kore-gitops/",
    env!("CARGO_PKG_VERSION"),
    " (certificate check)"
);

/// How long each step of the check may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the check refused to let git connect.
#[derive(Debug)]
pub enum Refusal {
    /// The proxy could not be reached or refused the tunnel.
    Proxy(String),
    /// The remote's certificate is not trusted.
    Untrusted(String),
}

/// Checks that the https remote at `url` presents a certificate the system's
/// store or the CA file vouches for, through `proxy`. Other remotes and
/// proxies (an https proxy, which libgit2 reaches with its own TLS) pass.
pub fn check_through_proxy(
    url: &Url,
    proxy: &ProxyUrl,
    network: &NetworkSettings,
) -> Result<(), Refusal> {
    let proxy_url = proxy.expose();
    if url.scheme() != "https" || proxy_url.scheme() != "http" {
        return Ok(());
    }
    let Some(host) = url.host_str() else {
        return Ok(()); // libgit2 says what is wrong with the URL
    };
    let target = format!("{host}:{}", url.port_or_known_default().unwrap_or(443));
    let mut tunnel =
        connect(proxy, &target).map_err(|e| Refusal::Proxy(format!("proxy {proxy}: {e}")))?;
    let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
        .map_err(|e| Refusal::Untrusted(format!("{host}: {e}")))?
        .to_owned();
    let mut tls = rustls::ClientConnection::new(client_config(network), name)
        .map_err(|e| Refusal::Untrusted(e.to_string()))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut tunnel).map_err(|e| match e.kind() {
            // rustls reports what TLS refused (the certificate) as invalid data.
            std::io::ErrorKind::InvalidData => Refusal::Untrusted(format!(
                "the certificate of {target} is not trusted by the system's certificate \
                 store or [git] ca_file ({e}); checked before git connects through the proxy"
            )),
            _ => Refusal::Proxy(format!(
                "the tunnel through proxy {proxy} to {target} broke during the TLS handshake: {e}"
            )),
        })?;
    }
    tls.send_close_notify();
    let _ = tls.complete_io(&mut tunnel);
    Ok(())
}

/// A `CONNECT` tunnel to `target` through the (plain HTTP) proxy.
fn connect(proxy: &ProxyUrl, target: &str) -> Result<TcpStream, String> {
    let url = proxy.expose();
    let address = format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(80)
    );
    let stream = TcpStream::connect(&address).map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_read_timeout(Some(STEP_TIMEOUT));
    let _ = stream.set_write_timeout(Some(STEP_TIMEOUT));
    let mut request =
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {AGENT}\r\n");
    if !url.username().is_empty() {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pair = format!(
            "{}:{}",
            decode(url.username()),
            decode(url.password().unwrap_or(""))
        );
        let token = base64::engine::general_purpose::STANDARD.encode(pair);
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    (&stream)
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send CONNECT: {e}"))?;
    let mut reader = BufReader::new(&stream);
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .map_err(|e| format!("no answer to CONNECT: {e}"))?;
    let code = status.split_whitespace().nth(1).unwrap_or("none");
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
            Err(e) => return Err(format!("broken answer to CONNECT: {e}")),
        }
    }
    if code != "200" {
        return Err(format!("CONNECT {target} answered {code}"));
    }
    // The proxy says nothing more before the server speaks: nothing is
    // left in the reader's buffer.
    Ok(stream)
}

/// What libgit2 trusts: the system's store (as OpenSSL reads it) and the CA file.
fn client_config(network: &NetworkSettings) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(ca) = &network.ca {
        roots.add_parsable_certificates(ca.certificates().iter().cloned());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}
