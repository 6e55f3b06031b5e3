//! Alert attachments: `POST /api/v1/alert/{id}/attachments` (multipart, one `attachments` part
//! per file), download, and delete. Content is kept in the state, base64-encoded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use sha2::Digest as _;

use super::{no_content, ok, HiveError, Kind, Res, TheHive};
use crate::util;

/// One part of a `multipart/form-data` body.
struct FormPart {
    name: String,
    file_name: Option<String>,
    content_type: String,
    data: Vec<u8>,
}

/// Reads a `multipart/form-data` body (RFC 7578).
fn parse_multipart(headers: &HeaderMap, body: &[u8]) -> Result<Vec<FormPart>, HiveError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("multipart/form-data") {
        return Err(HiveError::bad_request(format!(
            "expected multipart/form-data, got {ct:?}"
        )));
    }
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .ok_or_else(|| HiveError::bad_request("multipart body without a boundary"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, &delimiter)
        .ok_or_else(|| HiveError::bad_request("multipart body without its boundary"))?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let head_end = find(rest, b"\r\n\r\n")
            .ok_or_else(|| HiveError::bad_request("multipart part without headers"))?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        rest = &rest[head_end + 4..];
        let end = find(rest, &delimiter)
            .ok_or_else(|| HiveError::bad_request("multipart part not terminated"))?;
        let data = rest[..end].strip_suffix(b"\r\n").unwrap_or(&rest[..end]);
        let mut part = FormPart {
            name: String::new(),
            file_name: None,
            content_type: "application/octet-stream".into(),
            data: data.to_vec(),
        };
        for line in head.lines() {
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            if k.eq_ignore_ascii_case("content-disposition") {
                for p in v.split(';').map(str::trim) {
                    if let Some(n) = p.strip_prefix("name=") {
                        part.name = n.trim_matches('"').to_owned();
                    } else if let Some(f) = p.strip_prefix("filename=") {
                        part.file_name = Some(f.trim_matches('"').to_owned());
                    }
                }
            } else if k.eq_ignore_ascii_case("content-type") {
                part.content_type = v.trim().to_owned();
            }
        }
        parts.push(part);
        rest = &rest[end + delimiter.len()..];
    }
    Ok(parts)
}

fn key(alert: &str, attachment: &str) -> String {
    format!("{alert}/{attachment}")
}

pub(super) async fn upload_alert_attachments(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/update")?;
    let parts = parse_multipart(&headers, &body)?;
    let mut state = util::lock(&hive.state);
    let alert = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let files: Vec<FormPart> = parts
        .into_iter()
        .filter(|p| p.name == "attachments" && p.file_name.is_some())
        .collect();
    if files.is_empty() {
        return Err(HiveError::attribute("attachments: no file in the request"));
    }
    let now = util::now_ms();
    let mut out = Vec::new();
    for f in files {
        let att = state.new_id();
        let name = f.file_name.unwrap_or_default();
        let sha256 = hex::encode(sha2::Sha256::digest(&f.data));
        let md5 = hex::encode(md5::Md5::digest(&f.data));
        out.push(json!({
            "_id": att,
            "_type": "Attachment",
            "_createdBy": ctx.login,
            "_createdAt": now,
            "name": name,
            "size": f.data.len(),
            "contentType": f.content_type,
            "id": sha256,
            "hashes": [sha256, md5],
        }));
        let encoded = base64::engine::general_purpose::STANDARD.encode(&f.data);
        state
            .attachments
            .insert(key(&alert, &att), (name, f.content_type, encoded));
    }
    ok(StatusCode::CREATED, json!({ "attachments": out }))
}

pub(super) async fn download_alert_attachment(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, HiveError> {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    let alert = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let (name, content_type, encoded) =
        state
            .attachments
            .get(&key(&alert, &attachment))
            .cloned()
            .ok_or_else(|| HiveError::not_found(format!("Attachment {attachment} not found")))?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| HiveError::bad_request(format!("stored attachment is damaged: {e}")))?;
    let mut response = (StatusCode::OK, data).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub(super) async fn delete_alert_attachment(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path((id, attachment)): Path<(String, String)>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/update")?;
    let mut state = util::lock(&hive.state);
    let alert = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    state
        .attachments
        .remove(&key(&alert, &attachment))
        .ok_or_else(|| HiveError::not_found(format!("Attachment {attachment} not found")))?;
    no_content()
}
