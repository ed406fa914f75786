//! A forward proxy on loopback, as a corporate network has: `CONNECT` tunnels
//! for https and absolute-form requests for http, optionally behind Basic
//! credentials (407 until they are sent). It records every tunnel or request
//! it carried, and refuses any target that is not on loopback.

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The running proxy.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Each tunnel or request, and the `User-Agent` that asked for it.
    carried: Arc<Mutex<Vec<(String, String)>>>,
    refused: Arc<Mutex<usize>>,
}

impl Proxy {
    /// A proxy that asks for `user:password` when given.
    pub async fn start(credentials: Option<(&str, &str)>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let expected = credentials.map(|(user, password)| {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}")
        });
        let carried = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let (log, count) = (carried.clone(), refused.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (log, count, expected) = (log.clone(), count.clone(), expected.clone());
                tokio::spawn(carry(client, expected, log, count));
            }
        });
        Proxy {
            address,
            carried,
            refused,
        }
    }

    /// Each tunnel or request carried: `CONNECT 127.0.0.1:port` or
    /// `GET 127.0.0.1:port`.
    pub fn carried(&self) -> Vec<String> {
        let carried = self.carried.lock().unwrap();
        carried.iter().map(|(line, _)| line.clone()).collect()
    }

    /// The tunnels and requests of clients whose `User-Agent` holds `agent`.
    pub fn carried_for(&self, agent: &str) -> Vec<String> {
        let carried = self.carried.lock().unwrap();
        carried
            .iter()
            .filter(|(_, by)| by.contains(agent))
            .map(|(line, _)| line.clone())
            .collect()
    }

    /// How many requests were answered 407.
    pub fn refused(&self) -> usize {
        *self.refused.lock().unwrap()
    }

    /// The proxy's URL with credentials in it.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        self.address
            .replacen("http://", &format!("http://{user}:{password}@"), 1)
    }
}

/// Reads one request head (up to the blank line); the bytes after it stay
/// in `buffer`.
async fn read_head(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end + 4]).into_owned();
            buffer.drain(..end + 4);
            return Some(head);
        }
        let mut chunk = [0u8; 4096];
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

async fn carry(
    mut client: TcpStream,
    expected: Option<String>,
    log: Arc<Mutex<Vec<(String, String)>>>,
    refused: Arc<Mutex<usize>>,
) {
    let mut buffer = Vec::new();
    let (head, method, target) = loop {
        let Some(head) = read_head(&mut client, &mut buffer).await else {
            return;
        };
        let mut words = head.split_whitespace();
        let (method, target) = (
            words.next().unwrap_or("").to_owned(),
            words.next().unwrap_or("").to_owned(),
        );
        let authorised = expected.as_ref().is_none_or(|expected| {
            head.lines().any(|line| {
                line.split_once(':').is_some_and(|(name, value)| {
                    name.eq_ignore_ascii_case("proxy-authorization") && value.trim() == expected
                })
            })
        });
        if authorised {
            break (head, method, target);
        }
        *refused.lock().unwrap() += 1;
        let answer = "HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n";
        if client.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    };
    let authority = match method.as_str() {
        "CONNECT" => target.clone(),
        _ => target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned(),
    };
    // The test proxy reaches loopback only.
    if !(authority.starts_with("127.0.0.1:") || authority.starts_with("localhost:")) {
        let _ = client
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let agent = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("user-agent")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    log.lock()
        .unwrap()
        .push((format!("{method} {authority}"), agent));
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        return;
    };
    if method == "CONNECT" {
        let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
        if client.write_all(established).await.is_err() {
            return;
        }
    } else if upstream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    if upstream.write_all(&buffer).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
