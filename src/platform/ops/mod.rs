//! The platform operations, one async fn each, as methods of
//! [`PlatformClient`](super::PlatformClient).

pub mod bots;
pub mod changelog;
pub mod export;
pub mod import;
pub mod publish;
mod report_csv;
pub mod testsuite;
pub mod train;
pub mod upload;

use reqwest::Method;

use crate::ids::BotId;

use super::error::{Context, Operation};
use super::http::Call;
use super::pacing::PaceKey;

/// A design-time call on `bot` (`/bot/{id}{rest}`), paced per bot.
fn design_call(op: Operation, bot: &BotId, method: Method, rest: &str) -> Call {
    let path = format!("/bot/{bot}{rest}");
    Call::new(
        Context::new(op, Some(bot)),
        method,
        path,
        PaceKey::DesignTime(bot.clone()),
    )
}

/// A status call on `bot` that has no request id: paced per bot.
fn status_call(op: Operation, bot: &BotId, rest: &str) -> Call {
    let path = format!("/bot/{bot}{rest}");
    let pace = PaceKey::Status(bot.as_str().to_owned());
    Call::new(Context::new(op, Some(bot)), Method::GET, path, pace)
}
