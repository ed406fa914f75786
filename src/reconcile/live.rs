//! What the platform holds for a bot, normalised the same way as the commit.

use crate::desired::{BotFiles, IgnoreRules};
use crate::diff::{NormalisedBot, normalise};
use crate::ids::BotId;
use crate::platform::{ExportKind, PlatformClient};

use super::error::PassError;

/// Both live copies of a bot, normalised.
#[derive(Debug)]
pub struct LiveBot {
    /// The in-development copy (what an import changes).
    pub dev: NormalisedBot,
    /// The published copy.
    pub published: NormalisedBot,
}

/// Exports both copies and normalises them with the bot's ignore rules.
pub async fn observe(
    platform: &PlatformClient,
    bot: &BotId,
    ignore: &IgnoreRules,
) -> Result<LiveBot, PassError> {
    let dev = in_development(platform, bot, ignore).await?;
    let published = platform.export(bot, ExportKind::Published).await?;
    let published = normalise_blocking(published.into(), ignore.clone(), "published").await?;
    Ok(LiveBot { dev, published })
}

/// Exports and normalises the in-development copy alone.
pub async fn in_development(
    platform: &PlatformClient,
    bot: &BotId,
    ignore: &IgnoreRules,
) -> Result<NormalisedBot, PassError> {
    let dev = platform.export(bot, ExportKind::Latest).await?;
    normalise_blocking(dev.into(), ignore.clone(), "in-development").await
}

/// Normalises files for the sync decision, off the runtime.
///
/// The icon takes no part: the import API cannot set it, so an icon that
/// differs would be "imported" on every pass without ever converging.
pub async fn comparable(
    files: &BotFiles,
    ignore: &IgnoreRules,
) -> Result<NormalisedBot, PassError> {
    let (files, ignore) = (
        BotFiles {
            icon: None,
            ..files.clone()
        },
        ignore.clone(),
    );
    crate::cpu::run(move || {
        normalise(&files, &ignore)
            .map(digested)
            .map_err(PassError::Desired)
    })
    .await?
}

async fn normalise_blocking(
    files: BotFiles,
    ignore: IgnoreRules,
    copy: &'static str,
) -> Result<NormalisedBot, PassError> {
    let files = BotFiles {
        icon: None,
        ..files
    };
    crate::cpu::run(move || {
        normalise(&files, &ignore)
            .map(digested)
            .map_err(|source| PassError::Live { copy, source })
    })
    .await?
}

/// Computes the digest (cached in the value) while still off the runtime:
/// hashing megabytes must not happen on an async worker.
fn digested(bot: NormalisedBot) -> NormalisedBot {
    bot.digest();
    bot
}
