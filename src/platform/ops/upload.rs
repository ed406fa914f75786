//! Upload file: one file per call, answered with a file id for import.

use std::fmt;

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use crate::platform::PlatformClient;
use crate::platform::error::{Context, Operation, PlatformError};
use crate::platform::http::{Body, Call};
use crate::platform::pacing::PaceKey;

/// An uploaded file's id (24 hex digits), valid for a limited time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileId(String);

impl FileId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of file is uploaded (the `fileExtension` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Json,
    Js,
    Png,
    Zip,
}

impl FileKind {
    /// The extension as the platform wants it (no dot).
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Json => "json",
            FileKind::Js => "js",
            FileKind::Png => "png",
            FileKind::Zip => "zip",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Uploaded {
    file_id: FileId,
}

impl PlatformClient {
    /// Uploads `bytes` as a `kind` file named `file_name`; its id for import.
    pub async fn upload(
        &self,
        file_name: &str,
        bytes: Bytes,
        kind: FileKind,
    ) -> Result<FileId, PlatformError> {
        let at = Context::new(Operation::Upload, None);
        let mut call = Call::new(at, Method::POST, "/uploadfile".to_owned(), PaceKey::Upload);
        call.body = Body::Upload {
            bytes,
            file_name: file_name.to_owned(),
            extension: kind.extension(),
        };
        let uploaded: Uploaded = self.http.json(&call).await?;
        Ok(uploaded.file_id)
    }
}
