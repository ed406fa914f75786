//! The real daemon whose standard error is a closed pipe (`kore-gitops run
//! 2>&1 | tee log`, then the `tee` is gone): it starts, serves, reconciles, and
//! stops on SIGINT as it would with a working log.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use crate::reconcile::world::World;

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `kore-gitops run` with its standard error a pipe whose reader is closed.
fn run_with_a_closed_log(config: &std::path::Path) -> Child {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_kore-gitops"))
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("KORE_GITOPS_LOG", "debug")
        .env_remove("KORE_GITOPS_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .spawn()
        .expect("the binary starts")
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

async fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[tokio::test]
async fn a_closed_log_pipe_neither_kills_the_daemon_nor_deafens_it_to_sigint() {
    let world = World::start().await;
    let port = free_port();
    // The world's configuration ends in its [daemon] section.
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(&world.config)
        .unwrap();
    writeln!(config, "listen = \"127.0.0.1:{port}\"").unwrap();
    let mut daemon = run_with_a_closed_log(&world.config);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Serving, and both bots reconciled (the passes logged all along).
    loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!("the daemon died with its log pipe: {status}");
        }
        let status = http
            .get(format!("http://127.0.0.1:{port}/status"))
            .send()
            .await;
        if let Ok(response) = status {
            let body = response.text().await.unwrap_or_default();
            if body.matches("\"Synced\"").count() == 2 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the daemon never reconciled both bots"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    interrupt(&daemon);
    let code = exit_within(&mut daemon, Duration::from_secs(10)).await;
    assert_eq!(code, Some(0), "SIGINT must stop the daemon cleanly");
}

#[tokio::test]
async fn without_http_endpoints_a_closed_log_pipe_still_lets_sigint_stop_the_daemon() {
    let world = World::start().await;
    let mut daemon = run_with_a_closed_log(&world.config);
    let deadline = Instant::now() + Duration::from_secs(20);
    // Both bots reconciled: the note on the head says so.
    while world.head_note().matches("phase = \"Synced\"").count() < 2 {
        if let Some(status) = daemon.try_wait().unwrap() {
            panic!("the daemon died with its log pipe: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the daemon never reconciled both bots"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    interrupt(&daemon);
    let code = exit_within(&mut daemon, Duration::from_secs(10)).await;
    assert_eq!(code, Some(0), "SIGINT must stop the daemon cleanly");
}
