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
            let page = self.bots_page(page_number, PAGE_SIZE).await?;
            let last = !page.available_more || page.bots.is_empty();
            bots.extend(page.bots);
            if last {
                break;
            }
        }
        Ok(bots)
    }

    /// Whether the platform answers this account's credentials: the first
    /// page of Get Bots, one bot long. Readiness needs no more, and the
    /// whole list is a page per 50 bots under an account-wide 60 a minute
    /// (a minute and more at 5000 bots, before any pass could start).
    pub async fn answers(&self) -> Result<(), PlatformError> {
        self.bots_page(0, 1).await.map(drop)
    }

    async fn bots_page(&self, number: u32, size: u32) -> Result<Page, PlatformError> {
        let at = Context::new(Operation::ListBots, None);
        let mut call = Call::new(at, Method::GET, "/bots".to_owned(), PaceKey::Admin);
        call.query = vec![("offset", number.to_string()), ("limit", size.to_string())];
        self.http.json(&call).await
    }
}
