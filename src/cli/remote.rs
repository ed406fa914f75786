//! The commands that ask the running daemon, through its HTTP API with the
//! trigger token: `get`, `reconcile BOT [--wait]`, `suspend BOT`, `resume BOT`.
//!
//! Exit codes: 0 done (for `reconcile --wait`: the bot is Synced), 1 the
//! daemon answered but the work did not succeed (a failed pass, a timeout, an
//! unreachable daemon), 2 refused (wrong token, unknown bot).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::Value;

/// How often `reconcile --wait` asks whether its request was handled.
const POLL: Duration = Duration::from_millis(250);

/// Where the daemon is and the token it takes.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The daemon's HTTP address (`[daemon] listen`).
    #[arg(
        long,
        env = "KORE_GITOPS_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// The trigger token (`[daemon] trigger_token_*`); prefer the variable
    /// or --token-file to a flag, which other users can read.
    #[arg(long, env = "KORE_GITOPS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A file holding the trigger token.
    #[arg(long, env = "KORE_GITOPS_TOKEN_FILE", conflicts_with = "token")]
    pub token_file: Option<std::path::PathBuf>,
}

/// `get`'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns.
    Table,
    /// The daemon's JSON.
    Json,
}

/// A failed exchange with the daemon, with the exit code it maps to.
#[derive(Debug)]
struct Failure(u8, String);

struct Remote {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Remote {
    fn new(args: &ServerArgs) -> Result<Remote, Failure> {
        let token = match (&args.token, &args.token_file) {
            (Some(token), _) => Some(token.trim().to_owned()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| Failure(2, format!("cannot read {}: {e}", path.display())))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Failure(1, e.to_string()))?;
        let base = args.server.trim_end_matches('/').to_owned();
        Ok(Remote { http, base, token })
    }

    async fn call(&self, method: reqwest::Method, path: &str) -> Result<Value, Failure> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure(1, format!("cannot reach the daemon at {}: {e}", self.base)))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let reason = body["error"]
            .as_str()
            .unwrap_or("no reason given")
            .to_owned();
        let code = match status.as_u16() {
            400 | 401 | 404 => 2,
            _ => 1,
        };
        Err(Failure(
            code,
            format!("the daemon answered {status}: {reason}"),
        ))
    }
}

/// Runs `body` against the daemon on a small runtime; prints a failure.
fn with_remote<F>(args: &ServerArgs, err: &mut dyn Write, body: F) -> ExitCode
where
    F: AsyncFnOnce(Remote) -> Result<u8, Failure>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move { body(Remote::new(args)?).await });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, message)) => {
            let _ = writeln!(err, "error: {message}");
            ExitCode::from(code)
        }
    }
}

/// `kore-gitops get`: every bot's phase, commit, last sync and summary.
pub fn get(
    args: &ServerArgs,
    output: Output,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    with_remote(args, err, async |remote| {
        let status = remote.call(reqwest::Method::GET, "/status").await?;
        let text = match output {
            Output::Json => format!("{status:#}\n"),
            Output::Table => table(&status),
        };
        out.write_all(text.as_bytes())
            .map_err(|e| Failure(1, e.to_string()))?;
        Ok(0)
    })
}

/// The `/status` bots as aligned columns.
fn table(status: &Value) -> String {
    let cell = |bot: &Value, key: &str| bot[key].as_str().unwrap_or("-").to_owned();
    let mut rows = vec![["BOT", "PHASE", "COMMIT", "LAST SYNC", "SUMMARY"].map(str::to_owned)];
    for bot in status["bots"].as_array().into_iter().flatten() {
        let commit: String = cell(bot, "commit").chars().take(7).collect();
        let summary = match bot["error"].as_str() {
            Some(error) => format!("{}: {error}", cell(bot, "summary")),
            None => cell(bot, "summary"),
        };
        rows.push([
            cell(bot, "bot"),
            cell(bot, "phase"),
            commit,
            cell(bot, "last_synced"),
            summary,
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        for (i, width) in widths.iter().enumerate() {
            text.push_str(&format!("{:<width$}  ", row[i]));
        }
        text.push_str(&row[4]);
        text.push('\n');
    }
    text
}

/// `kore-gitops reconcile BOT [--wait]`: asks for a pass now; with `--wait`,
/// returns once a pass that started after the request has ended, with 0 when
/// it left the bot Synced and 1 otherwise.
pub fn reconcile(
    args: &ServerArgs,
    bot: &str,
    wait: Option<Duration>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    with_remote(args, err, async |remote| {
        let path = format!("/trigger/{}", path_segment(bot));
        let accepted = remote.call(reqwest::Method::POST, &path).await?;
        let request = accepted["request"].as_str().unwrap_or_default().to_owned();
        let say = |out: &mut dyn Write, text: String| {
            out.write_all(text.as_bytes())
                .map_err(|e| Failure(1, e.to_string()))
        };
        say(
            out,
            format!("► reconcile of {bot} requested (request {request})\n"),
        )?;
        let Some(limit) = wait else {
            return Ok(0);
        };
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let state = remote
                .call(reqwest::Method::GET, &format!("/requests/{request}"))
                .await?;
            if state["state"] == "handled" {
                let phase = state["phase"].as_str().unwrap_or("?");
                let summary = state["summary"].as_str().unwrap_or_default();
                let mark = if phase == "Synced" { "✔" } else { "✗" };
                let mut line = format!("{mark} {bot}: {phase}: {summary}\n");
                if let Some(error) = state["error"].as_str() {
                    line.push_str(&format!("  {error}\n"));
                }
                say(out, line)?;
                return Ok(if phase == "Synced" { 0 } else { 1 });
            }
            if tokio::time::Instant::now() >= deadline {
                let limit = humantime::format_duration(limit);
                return Err(Failure(1, format!("no pass of {bot} ended within {limit}")));
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// `kore-gitops suspend BOT` (`on`) or `resume BOT`.
pub fn suspend(
    args: &ServerArgs,
    bot: &str,
    on: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    with_remote(args, err, async |remote| {
        let verb = if on { "suspend" } else { "resume" };
        let path = format!("/{verb}/{}", path_segment(bot));
        let answer = remote.call(reqwest::Method::POST, &path).await?;
        let done = if on { "suspended" } else { "resumed" };
        let note = match answer["changed"].as_bool() {
            Some(false) => " (it already was)",
            _ => "",
        };
        let text = format!("{bot} {done}{note}\n");
        out.write_all(text.as_bytes())
            .map_err(|e| Failure(1, e.to_string()))?;
        Ok(0)
    })
}

fn path_segment(bot: &str) -> String {
    percent_encoding::utf8_percent_encode(bot, percent_encoding::NON_ALPHANUMERIC).to_string()
}
