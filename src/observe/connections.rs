//! The accept loop of the HTTP port, with limits: at most
//! [`HttpLimits::max_connections`] connections at once, each closed when it
//! has not sent a whole request head within [`HttpLimits::idle_timeout`]
//! (after connecting, or after its last answer), and request heads capped in
//! size. Without them, idle connections pile up until the process runs out of
//! file descriptors and can open neither its mirror nor a socket for
//! `/healthz`.
//!
//! At the cap, a new connection asks the oldest one to close — at once when
//! it is idle, after its answer when it is busy — so that a pile of idle
//! connections never locks out a probe.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

/// How long a connection may stay without sending a whole request head.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request head (request line and headers) read, in bytes; hyper's
/// smallest allowed buffer.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Most header fields one request may carry.
const MAX_HEADERS: usize = 64;

/// Pause after a failed accept (out of file descriptors, most often), so the
/// loop does not spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The limits of the HTTP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections open at once; at the cap the oldest is asked to close.
    pub max_connections: usize,
    /// Time allowed to send a request head, after connecting or an answer.
    pub idle_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: crate::config::DEFAULT_MAX_CONNECTIONS,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes,
/// then closes idle connections and lets answers in flight finish.
pub(crate) async fn serve_limited<F>(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let open = Arc::new(Open::default());
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept an HTTP connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                open.close_oldest();
                tokio::select! {
                    () = &mut shutdown => break,
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                }
            }
        };
        let connection = Connection {
            router: router.clone(),
            idle_timeout: limits.idle_timeout,
            registration: open.register(),
            stopped: stopped.clone(),
            _slot: slot,
        };
        connections.spawn(connection.run(stream));
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One accepted connection and what it holds while it is open.
struct Connection {
    router: Router,
    idle_timeout: Duration,
    registration: Registration,
    stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let service = TowerToHyperService::new(self.router.clone());
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.idle_timeout)
            .max_buf_size(MAX_HEAD_BYTES)
            .max_headers(MAX_HEADERS)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let mut closing = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "HTTP connection ended");
                    }
                    return;
                }
                () = self.registration.close.notified(), if !closing => {}
                _ = self.stopped.wait_for(|stop| *stop), if !closing => {}
            }
            // Closes at once when idle, after the answer in flight otherwise.
            connection.as_mut().graceful_shutdown();
            closing = true;
        }
    }
}

/// The open connections, oldest first, each with a way to ask it to close.
#[derive(Debug, Default)]
struct Open {
    state: Mutex<OpenState>,
}

#[derive(Debug, Default)]
struct OpenState {
    next_id: u64,
    by_age: BTreeMap<u64, Arc<Notify>>,
}

impl Open {
    fn register(self: &Arc<Self>) -> Registration {
        let close = Arc::new(Notify::new());
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.by_age.insert(id, close.clone());
        Registration {
            id,
            close,
            open: self.clone(),
        }
    }

    /// Asks the oldest connection not asked yet to close.
    fn close_oldest(&self) {
        if let Some((_, close)) = self.lock().by_age.pop_first() {
            // A stored permit: the connection sees it even if not waiting yet.
            close.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenState> {
        // Each update is one map operation: a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's entry in [`Open`], removed when the connection ends.
struct Registration {
    id: u64,
    close: Arc<Notify>,
    open: Arc<Open>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.open.lock().by_age.remove(&self.id);
    }
}
