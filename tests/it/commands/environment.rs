//! The environment means one thing for every command: `KORE_GITOPS_DRY_RUN`
//! reaches the daemon, unknown `KORE_GITOPS_*` variables and log levels are
//! refused, a bad value is blamed on its variable, and errors name the
//! repository path and the platform host.

use std::time::Duration;

use super::{command, kore_gitops_with};
use crate::reconcile::world::{World, counters};

fn config(world: &World) -> &str {
    world.config.to_str().unwrap()
}

#[tokio::test]
async fn the_dry_run_variable_keeps_the_daemon_from_importing() {
    let world = World::start().await;
    world.commit_definition("travel-desk", "a change the dry run must not apply", |d| {
        d["sentences"][0]["sentence"] = "never applied".into();
    });
    let capture = tempfile::tempdir().unwrap();
    let log = capture.path().join("log");
    let mut child = command(
        &world.work,
        &["run", "--config", config(&world)],
        &[
            ("KORE_GITOPS_DRY_RUN", "true"),
            ("KORE_GITOPS_LOG_FORMAT", "json"),
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    let mut text = String::new();
    for _ in 0..500 {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if passed(&text) || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill().await;
    assert!(passed(&text), "the daemon ran a pass:\n{text}");
    assert_eq!(
        counters(&world.bot("travel-desk").await),
        (0, 0, 0),
        "nothing imported, trained or published:\n{text}"
    );
}

/// Whether the log holds travel-desk's final line of a pass.
fn passed(log: &str) -> bool {
    log.lines()
        .any(|l| l.contains("\"reconciled\"") && l.contains("\"bot\":\"travel-desk\""))
}

#[tokio::test]
async fn unknown_variables_and_bad_values_are_refused_naming_the_variable() {
    let world = World::start().await;
    let plan = ["plan", "--config", config(&world)];
    let misspelt = kore_gitops_with(&world.work, &plan, &[("KORE_GITOPS_DRYRUN", "true")]).await;
    assert_eq!(misspelt.code, 64, "{}", misspelt.all());
    assert!(
        misspelt
            .stderr
            .contains("KORE_GITOPS_DRYRUN: unknown variable")
            && misspelt.stderr.contains("KORE_GITOPS_DRY_RUN"),
        "{}",
        misspelt.all()
    );
    let bad = [("KORE_GITOPS_DAEMON_CONCURRENCY", "many")];
    let value = kore_gitops_with(&world.work, &plan, &bad).await;
    assert_eq!(value.code, 64, "{}", value.all());
    assert!(
        value.stderr.contains(
            "KORE_GITOPS_DAEMON_CONCURRENCY: [daemon] concurrency: expected a whole number"
        ),
        "blamed on the variable, not the file: {}",
        value.all()
    );
}

#[tokio::test]
async fn log_levels_accept_the_usual_aliases_and_refuse_unknown_ones() {
    let world = World::start().await;
    let with_level = |level: &'static str| {
        let args = ["--log-level", level, "plan", "--config", config(&world)];
        let work = world.work.clone();
        async move { kore_gitops_with(&work, &args, &[]).await }
    };
    let info = with_level("information").await;
    assert_eq!(info.code, 0, "{}", info.all());
    assert!(
        info.stderr.contains("new commit"),
        "info lines are logged: {}",
        info.all()
    );
    assert!(!info.stderr.contains("DEBUG"), "{}", info.all());
    let warning = with_level("warning").await;
    assert_eq!(warning.code, 0, "{}", warning.all());
    let loud = kore_gitops_with(
        &world.work,
        &["plan", "--config", config(&world)],
        &[("KORE_GITOPS_LOG", "loud")],
    )
    .await;
    assert_eq!(loud.code, 2, "{}", loud.all());
    assert!(
        loud.stderr.contains("KORE_GITOPS_LOG")
            && loud.stderr.contains("\"loud\" is not a log level"),
        "{}",
        loud.all()
    );
}

#[tokio::test]
async fn a_connect_error_names_the_host() {
    let world = World::start().await;
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("http://127.0.0.1:{port}");
    let run = kore_gitops_with(
        &world.work,
        &["plan", "--config", config(&world), "--bot", "it-helpdesk"],
        &[("KORE_GITOPS_PLATFORM_HOST", &host)],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.all()
    );
}
