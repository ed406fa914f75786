//! Upload file: multipart with `file`, `fileContext=bulkImport` and
//! `fileExtension` (json, js, png or zip); file ids expire.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, State};
use serde_json::{Value, json};
use tokio::time::{Duration, Instant};

use crate::sim::crypto;
use crate::sim::error::ApiError;
use crate::sim::state::{Shared, Upload, lock};

const EXTENSIONS: &[&str] = &["json", "js", "png", "zip"];

#[derive(Debug, Default)]
struct Form {
    file: Option<(String, Vec<u8>)>,
    context: Option<String>,
    extension: Option<String>,
}

async fn read_form(mut multipart: Multipart) -> Result<Form, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("Invalid multipart body: {e}"))
    };
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("file").to_owned();
                form.file = Some((name, field.bytes().await.map_err(bad)?.to_vec()));
            }
            "fileContext" => form.context = Some(field.text().await.map_err(bad)?),
            "fileExtension" => form.extension = Some(field.text().await.map_err(bad)?),
            _ => {}
        }
    }
    Ok(form)
}

pub async fn upload(
    State(shared): State<Shared>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let multipart = multipart
        .map_err(|e| ApiError::bad_request(format!("Expected multipart/form-data: {e}")))?;
    let form = read_form(multipart).await?;
    let (file_name, bytes) = form
        .file
        .ok_or_else(|| ApiError::bad_request("file is required"))?;
    if form.context.as_deref() != Some("bulkImport") {
        return Err(ApiError::bad_request("fileContext must be bulkImport"));
    }
    let extension = form.extension.unwrap_or_default();
    if !EXTENSIONS.contains(&extension.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Unsupported fileExtension {extension:?}"
        )));
    }
    let hash = crypto::sha256_hex(&bytes)[..40].to_owned();
    let file_id = crypto::random_hex(24);
    let mut state = lock(&shared);
    let expires = Instant::now() + Duration::from_secs(state.config.file_ttl_secs);
    state.uploads.insert(
        file_id.clone(),
        Upload {
            bytes: Arc::new(bytes),
            extension,
            expires,
        },
    );
    Ok(Json(
        json!({ "fileId": file_id, "hash": hash, "fileName": file_name }),
    ))
}
