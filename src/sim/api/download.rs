//! Export downloads: signed, expiring links that need no `auth` header.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::faults::DownloadFault;
use crate::sim::state::{Shared, State as Model, lock};

/// Where download links live (not under `/api/public`, like the platform's).
pub const PREFIX: &str = "/api/getMediaStream/orgFiles/";

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    n: u64,
    e: u64,
    sig: String,
}

fn signature(state: &Model, file_id: &str, seq: u64, expires_ms: u64) -> String {
    let message = format!("{file_id}|{seq}|{expires_ms}");
    hex::encode(crypto::hmac_sha256(&state.link_key, message.as_bytes()))
}

fn elapsed_ms(state: &Model) -> u64 {
    state.started.elapsed().as_millis() as u64
}

/// Issues a new signed link for an export file.
pub fn issue_link(state: &mut Model, file_id: &str) -> String {
    issue_file_link(state, file_id, "zip")
}

/// Issues a new signed link for a file (`zip`, `csv` or `json`).
pub fn issue_file_link(state: &mut Model, file_id: &str, extension: &str) -> String {
    let seq = state.links_issued;
    state.links_issued += 1;
    let expires = elapsed_ms(state) + state.config.link_ttl_secs * 1000;
    let sig = signature(state, file_id, seq, expires);
    format!(
        "{}{PREFIX}{file_id}.{extension}?n={seq}&e={expires}&sig={sig}",
        state.base_url
    )
}

pub async fn download(
    State(shared): State<Shared>,
    Path(file): Path<String>,
    Query(link): Query<LinkQuery>,
) -> Result<Response, ApiError> {
    let mut state = lock(&shared);
    let (file_id, extension) = file.rsplit_once('.').unwrap_or((&file, "zip"));
    let expected = signature(&state, file_id, link.n, link.e);
    if !crypto::equal(expected.as_bytes(), link.sig.as_bytes()) {
        return Err(ApiError::forbidden("Invalid download link signature"));
    }
    let expired = link.n < state.links_expired_below || elapsed_ms(&state) >= link.e;
    // A scripted fault is spent only on a link that would otherwise work.
    let fault = if expired {
        None
    } else {
        state.faults.take_download_fault()
    };
    if expired || fault == Some(DownloadFault::Expired) {
        return Err(ApiError::new(
            410,
            "The download link has expired; export the bot again",
        ));
    }
    let archive = state
        .exports
        .get(file_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("File not found"))?;
    let mut bytes = archive.as_ref().clone();
    match fault {
        Some(DownloadFault::Truncate) => bytes.truncate(bytes.len() / 2),
        Some(DownloadFault::Corrupt) => corrupt(&mut bytes),
        Some(DownloadFault::Expired) | None => {}
    }
    let disposition = format!("attachment; filename=\"{file_id}.{extension}\"");
    let content_type = match extension {
        "csv" => "text/csv",
        "json" => "application/json",
        _ => "application/zip",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// Flips bytes through the middle of the archive, keeping its length.
fn corrupt(bytes: &mut [u8]) {
    let len = bytes.len();
    for byte in bytes.iter_mut().skip(len / 4).take(len / 2) {
        *byte = !*byte;
    }
}
