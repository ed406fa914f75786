//! JWT verification as the platform does it: HS256 signed with the app's
//! client secret, the app named by the `appId` claim, and for apps with JTI
//! enforcement a fresh `jti` with `exp` at most one hour ahead.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use super::crypto;
use super::error::ApiError;
use super::state::{App, AppKind, SeedBot};

/// The documented message for a JTI token whose `exp` is missing or too far ahead.
pub const JTI_EXP_MSG: &str =
    "error verifying the jwt: if \"jti\" claim \"exp\" must be <= 1 hour(s)";
/// The documented message for a reused `jti`.
pub const REPLAY_MSG: &str = "error verifying the jwt: possibly a replay";

const MAX_JTI_LIFETIME_SECS: u64 = 3600;

#[derive(Deserialize)]
struct Claims {
    #[serde(rename = "appId")]
    app_id: Option<String>,
    exp: Option<Value>,
    jti: Option<String>,
}

/// `jti` values already seen, with the `exp` after which they can be forgotten.
#[derive(Debug, Default)]
pub struct JtiLedger {
    seen: HashMap<String, u64>,
    /// When expired ones were last forgotten: once a second, not on every
    /// call (a scan of every `jti` of the last hour per request would make
    /// the simulator the bottleneck of a thousand bots' passes). An expired
    /// token is refused before its `jti` is looked at, so one kept a little
    /// longer changes no answer.
    pruned: u64,
}

impl JtiLedger {
    /// Records a `jti`; false when it was seen before (a replay).
    fn record(&mut self, jti: &str, exp: u64, now: u64) -> bool {
        if now > self.pruned {
            self.seen.retain(|_, until| *until >= now);
            self.pruned = now;
        }
        self.seen.insert(jti.to_owned(), exp).is_none()
    }

    pub fn clear(&mut self) {
        self.seen.clear();
    }
}

/// Seconds since the Unix epoch (JWT times are wall-clock times).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn bad(reason: &str) -> ApiError {
    ApiError::unauthorized(format!("error verifying the jwt: {reason}"))
}

/// Verifies a token and returns the index of its app in `apps`.
pub fn verify(
    token: Option<&str>,
    apps: &[App],
    ledger: &mut JtiLedger,
) -> Result<usize, ApiError> {
    let token = token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("jwt must be provided"))?;
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("jwt malformed"));
    };
    check_header(header)?;
    let claims: Claims = crypto::base64_url_decode(payload)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("jwt malformed"))?;
    let app_id = claims
        .app_id
        .as_deref()
        .ok_or_else(|| bad("appId claim is missing"))?;
    let index = apps
        .iter()
        .position(|a| a.client_id == app_id)
        .ok_or_else(|| bad("invalid appId"))?;
    let expected = crypto::hmac_sha256(
        apps[index].secret_bytes(),
        format!("{header}.{payload}").as_bytes(),
    );
    let given = crypto::base64_url_decode(signature).ok_or_else(|| bad("invalid signature"))?;
    if !crypto::equal(&expected, &given) {
        return Err(bad("invalid signature"));
    }
    check_times(&claims, apps[index].jti_enforced, ledger)?;
    Ok(index)
}

fn check_header(header: &str) -> Result<(), ApiError> {
    let header: Value = crypto::base64_url_decode(header)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("jwt malformed"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => Ok(()),
        _ => Err(bad("invalid algorithm")),
    }
}

fn check_times(
    claims: &Claims,
    jti_enforced: bool,
    ledger: &mut JtiLedger,
) -> Result<(), ApiError> {
    let now = unix_now();
    let exp = match &claims.exp {
        None => None,
        Some(value) => Some(value.as_f64().ok_or_else(|| bad("invalid exp claim"))? as u64),
    };
    if exp.is_some_and(|exp| exp <= now) {
        return Err(bad("jwt expired"));
    }
    if !jti_enforced {
        return Ok(());
    }
    let exp = exp
        .filter(|exp| *exp <= now + MAX_JTI_LIFETIME_SECS)
        .ok_or_else(|| ApiError::unauthorized(JTI_EXP_MSG))?;
    let jti = claims
        .jti
        .as_deref()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("jti claim is required"))?;
    if !ledger.record(jti, exp, now) {
        return Err(ApiError::unauthorized(REPLAY_MSG));
    }
    Ok(())
}

/// Gives every App Builder app its bot id: the seed it names (by seed name or
/// id), else the first seed. An app naming no known bot reaches none.
pub fn bind_builders(apps: &mut [App], seeds: &[SeedBot]) {
    for app in apps.iter_mut().filter(|a| a.kind == AppKind::Builder) {
        app.bot = match app.bot.take() {
            Some(name) => Some(
                seeds
                    .iter()
                    .find(|s| s.seed_name == name || s.id == name)
                    .map_or(name, |s| s.id.clone()),
            ),
            None => seeds.first().map(|s| s.id.clone()),
        };
    }
}

/// An App Builder app reaches only its own bot (ASSUMED: 403 otherwise).
pub fn check_bot(app: &App, bot: Option<&str>) -> Result<(), ApiError> {
    match (app.kind, bot) {
        (AppKind::Builder, Some(bot)) if app.bot.as_deref() != Some(bot) => Err(
            ApiError::forbidden("This app can only access the bot it belongs to"),
        ),
        _ => Ok(()),
    }
}
