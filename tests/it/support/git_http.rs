//! A git host speaking smart HTTP on loopback, over TLS when given an
//! identity: `git http-backend` run as CGI for each request, as many real
//! hosts do, serving the bare repositories under one folder (push allowed).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use kore_gitops::sim::TlsIdentity;
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

/// The running host; dropping it stops the server.
pub struct GitHttpHost {
    /// `http(s)://127.0.0.1:<port>`: a repository `x.git` under the root is
    /// at `<base>/x.git`.
    pub base: String,
    _stop: oneshot::Sender<()>,
}

impl GitHttpHost {
    /// Serves the repositories under `root`.
    pub async fn start(root: &Path, tls: Option<&TlsIdentity>) -> GitHttpHost {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(backend).with_state(root.to_owned());
        let acceptor = tls.map(|identity| identity.acceptor().expect("a TLS identity"));
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(kore_gitops::sim::server::serve(
            listener, app, stopped, acceptor,
        ));
        GitHttpHost { base, _stop: stop }
    }
}

/// One request through `git http-backend`.
async fn backend(
    State(root): State<PathBuf>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("REMOTE_USER", "tester")
        .env("REQUEST_METHOD", method.as_str())
        .env("PATH_INFO", uri.path())
        .env("QUERY_STRING", uri.query().unwrap_or(""))
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("git http-backend runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let writing = async move {
        let _ = stdin.write_all(&body).await;
    };
    let (_, output) = tokio::join!(writing, child.wait_with_output());
    let output = output.expect("git http-backend finishes");
    cgi_response(&output.stdout)
}

/// A CGI answer (headers, a blank line, the body) as an HTTP response.
fn cgi_response(out: &[u8]) -> Response<Body> {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|at| (at, 2)));
    let Some((at, gap)) = split else {
        return Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from("git http-backend gave no headers"))
            .unwrap();
    };
    let mut response = Response::builder();
    for line in String::from_utf8_lossy(&out[..at]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("500");
            response = response.status(code.parse::<u16>().unwrap_or(500));
        } else {
            response = response.header(name.trim(), value);
        }
    }
    response.body(Body::from(out[at + gap..].to_vec())).unwrap()
}
