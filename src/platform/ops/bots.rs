//! Get Bots: every bot the account can see, all pages.
//!
//! The response's `jwtApps` entries include client secrets; they are never
//! deserialised, kept or logged.

use reqwest::Method;
use serde::Deserialize;

use crate::ids::BotId;
use crate::platform::PlatformClient;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::Call;
use crate::platform::pacing::PaceKey;

/// The largest page the platform serves.
pub const PAGE_SIZE: u32 = 50;
/// A bound on pages fetched, against a platform that always says "more".
pub const MAX_PAGES: u32 = 1000;

/// One bot as Get Bots describes it (without `jwtApps`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotSummary {
    #[serde(rename = "_id")]
    pub id: BotId,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub default_language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    bots: Vec<BotSummary>,
    #[serde(default)]
    available_more: bool,
}

impl PlatformClient {
    /// Every bot of the account; `offset` is a page number, pages of [`PAGE_SIZE`].
    pub async fn list_bots(&self) -> Result<Vec<BotSummary>, PlatformError> {
        let mut bots = Vec::new();
        for page_number in 0..MAX_PAGES {
            let at = Context::new(Operation::ListBots, None);
            let mut call = Call::new(at, Method::GET, "/bots".to_owned(), PaceKey::Admin);
            call.query = vec![
                ("offset", page_number.to_string()),
                ("limit", PAGE_SIZE.to_string()),
            ];
            let page: Page = self.http.json(&call).await?;
            let last = !page.available_more || page.bots.is_empty();
            bots.extend(page.bots);
            if last {
                break;
            }
        }
        Ok(bots)
    }
}
