//! Multipart uploads: create, upload parts (or copy them from an object), complete, abort, and
//! list the parts of an upload and the uploads of a bucket, with S3's errors.

use std::collections::BTreeMap;

use base64::Engine as _;
use http::{header, HeaderMap, Method, StatusCode};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::{esc, iso, meta_of, parse_range, s3_err, xml_texts, Object, Reply, State, S3, XMLNS};
use crate::util;

/// The smallest part S3 accepts, except for the last one.
const MIN_PART: usize = 5 * 1024 * 1024;
const MAX_PART_NUMBER: u32 = 10_000;
const OWNER_ID: &str = "02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Part {
    #[serde(with = "super::b64")]
    data: Vec<u8>,
    etag: String,
    modified_ms: i64,
}

/// An upload in progress: its target and the parts received so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Upload {
    bucket: String,
    key: String,
    initiator: String,
    initiated_ms: i64,
    content_type: String,
    #[serde(default)]
    meta: BTreeMap<String, String>,
    #[serde(default)]
    parts: BTreeMap<u32, Part>,
}

fn no_upload(path: &str) -> Reply {
    s3_err(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        path,
    )
}

fn malformed(path: &str) -> Reply {
    s3_err(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
        path,
    )
}

fn new_upload_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}.{}",
        util::uuid4(),
        util::random_hex(16)
    ))
}

fn q(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The upload `id` when it targets `bucket`/`key`.
fn upload_mut<'a>(st: &'a mut State, id: &str, bucket: &str, key: &str) -> Option<&'a mut Upload> {
    st.uploads
        .get_mut(id)
        .filter(|u| u.bucket == bucket && u.key == key)
}

/// Drops the uploads in progress into `bucket` (when the bucket goes).
pub(super) fn forget_bucket(st: &mut State, bucket: &str) {
    st.uploads.retain(|_, u| u.bucket != bucket);
}

/// Answers the multipart requests on an object (`?uploads`, `?uploadId=`); `None` for any other
/// object request.
#[allow(clippy::too_many_arguments)]
pub(super) fn object_request(
    s3: &S3,
    st: &mut State,
    method: &Method,
    path: &str,
    bucket: &str,
    object: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    key: Option<&str>,
    body: &[u8],
) -> Option<Reply> {
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let upload_id = q(query, "uploadId");
    let action = match (method, &upload_id) {
        (&Method::POST, None) if has("uploads") => "s3:PutObject",
        (&Method::PUT, Some(_)) if has("partNumber") => "s3:PutObject",
        (&Method::POST, Some(_)) => "s3:PutObject",
        (&Method::DELETE, Some(_)) => "s3:AbortMultipartUpload",
        (&Method::GET, Some(_)) => "s3:ListMultipartUploadParts",
        _ => return None,
    };
    if !s3.can(st, key, action, bucket, Some(object)) {
        return Some(super::denied(path));
    }
    if !st.buckets.contains_key(bucket) {
        return Some(super::no_bucket(path));
    }
    let Some(id) = upload_id else {
        return Some(create(st, bucket, object, headers, key.unwrap_or("")));
    };
    Some(match *method {
        Method::PUT => upload_part(s3, st, bucket, object, &id, query, headers, key, body, path),
        Method::POST => complete(st, bucket, object, &id, body, path),
        Method::DELETE => match st.uploads.get(&id) {
            Some(u) if u.bucket == bucket && u.key == object => {
                st.uploads.remove(&id);
                Reply::empty(StatusCode::NO_CONTENT)
            }
            _ => no_upload(path),
        },
        _ => list_parts(st, bucket, object, &id, query, path),
    })
}

fn create(
    st: &mut State,
    bucket: &str,
    object: &str,
    headers: &HeaderMap,
    initiator: &str,
) -> Reply {
    let id = new_upload_id();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("binary/octet-stream")
        .to_string();
    st.uploads.insert(
        id.clone(),
        Upload {
            bucket: bucket.to_string(),
            key: object.to_string(),
            initiator: initiator.to_string(),
            initiated_ms: util::now_ms(),
            content_type,
            meta: meta_of(headers),
            parts: BTreeMap::new(),
        },
    );
    Reply::xml(
        StatusCode::OK,
        format!(
            "<InitiateMultipartUploadResult xmlns=\"{XMLNS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId></InitiateMultipartUploadResult>",
            esc(bucket),
            esc(object),
            esc(&id)
        ),
    )
}

#[allow(clippy::too_many_arguments)]
fn upload_part(
    s3: &S3,
    st: &mut State,
    bucket: &str,
    object: &str,
    id: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    key: Option<&str>,
    body: &[u8],
    path: &str,
) -> Reply {
    let number = match q(query, "partNumber").and_then(|n| n.parse::<u32>().ok()) {
        Some(n) if (1..=MAX_PART_NUMBER).contains(&n) => n,
        _ => {
            return s3_err(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                path,
            )
        }
    };
    if upload_mut(st, id, bucket, object).is_none() {
        return no_upload(path);
    }
    let copy = headers
        .get("x-amz-copy-source")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let data = match &copy {
        Some(src) => {
            let src = util::percent_decode(src.split('?').next().unwrap_or(src));
            let src = src.trim_start_matches('/');
            let Some((sb, so)) = src.split_once('/') else {
                return s3_err(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                    path,
                );
            };
            if !s3.can(st, key, "s3:GetObject", sb, Some(so)) {
                return super::denied(path);
            }
            let Some(source) = st.buckets.get(sb).and_then(|b| b.objects.get(so)) else {
                return if st.buckets.contains_key(sb) {
                    s3_err(
                        StatusCode::NOT_FOUND,
                        "NoSuchKey",
                        "The specified key does not exist.",
                        src,
                    )
                } else {
                    super::no_bucket(src)
                };
            };
            match headers
                .get("x-amz-copy-source-range")
                .and_then(|v| v.to_str().ok())
            {
                Some(r) => match parse_range(r, source.data.len()) {
                    Some((a, b)) => source.data[a..=b].to_vec(),
                    None => {
                        return s3_err(
                            StatusCode::BAD_REQUEST,
                            "InvalidArgument",
                            "Range specified is not valid for source object",
                            path,
                        )
                    }
                },
                None => source.data.clone(),
            }
        }
        None => {
            if let Some(md5) = headers.get("content-md5").and_then(|v| v.to_str().ok()) {
                let actual = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
                if md5 != actual {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "BadDigest",
                        "The Content-MD5 you specified did not match what we received.",
                        path,
                    );
                }
            }
            body.to_vec()
        }
    };
    let etag = hex::encode(Md5::digest(&data));
    let now = util::now_ms();
    let Some(upload) = upload_mut(st, id, bucket, object) else {
        return no_upload(path);
    };
    upload.parts.insert(
        number,
        Part {
            data,
            etag: etag.clone(),
            modified_ms: now,
        },
    );
    if copy.is_some() {
        return Reply::xml(
            StatusCode::OK,
            format!("<CopyPartResult xmlns=\"{XMLNS}\"><LastModified>{}</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyPartResult>", iso(now)),
        );
    }
    Reply::empty(StatusCode::OK).header("ETag", format!("\"{etag}\""))
}

fn complete(
    st: &mut State,
    bucket: &str,
    object: &str,
    id: &str,
    body: &[u8],
    path: &str,
) -> Reply {
    if upload_mut(st, id, bucket, object).is_none() {
        return no_upload(path);
    }
    let text = String::from_utf8_lossy(body);
    if !text.contains("<CompleteMultipartUpload") {
        return malformed(path);
    }
    let mut listed: Vec<(u32, String)> = Vec::new();
    for part in xml_texts(&text, "Part") {
        let number = xml_texts(&part, "PartNumber")
            .first()
            .and_then(|n| n.trim().parse::<u32>().ok());
        let etag = xml_texts(&part, "ETag")
            .first()
            .map(|e| e.trim().trim_matches('"').to_string());
        match (number, etag) {
            (Some(n), Some(e)) => listed.push((n, e)),
            _ => return malformed(path),
        }
    }
    if listed.is_empty() {
        return malformed(path);
    }
    if listed.windows(2).any(|w| w[1].0 <= w[0].0) {
        return s3_err(
            StatusCode::BAD_REQUEST,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            path,
        );
    }
    let Some(upload) = st.uploads.get(id) else {
        return no_upload(path);
    };
    let mut chosen: Vec<&Part> = Vec::with_capacity(listed.len());
    for (n, etag) in &listed {
        match upload.parts.get(n) {
            Some(p) if p.etag == *etag => chosen.push(p),
            _ => {
                return s3_err(
                    StatusCode::BAD_REQUEST,
                    "InvalidPart",
                    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                    path,
                )
            }
        }
    }
    let last = chosen.len() - 1;
    if chosen[..last].iter().any(|p| p.data.len() < MIN_PART) {
        return s3_err(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
            path,
        );
    }
    let mut digests = Md5::new();
    let mut data = Vec::with_capacity(chosen.iter().map(|p| p.data.len()).sum());
    for p in &chosen {
        data.extend_from_slice(&p.data);
        if let Ok(raw) = hex::decode(&p.etag) {
            digests.update(raw);
        }
    }
    let etag = format!("{}-{}", hex::encode(digests.finalize()), chosen.len());
    let (content_type, meta) = (upload.content_type.clone(), upload.meta.clone());
    st.uploads.remove(id);
    let Some(b) = st.buckets.get_mut(bucket) else {
        return super::no_bucket(path);
    };
    b.objects.insert(
        object.to_string(),
        Object {
            data,
            etag: etag.clone(),
            modified_ms: util::now_ms(),
            content_type,
            meta,
        },
    );
    Reply::xml(
        StatusCode::OK,
        format!(
            "<CompleteMultipartUploadResult xmlns=\"{XMLNS}\"><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>&quot;{etag}&quot;</ETag></CompleteMultipartUploadResult>",
            esc(&format!("/{bucket}/{object}")),
            esc(bucket),
            esc(object)
        ),
    )
}

fn list_parts(
    st: &State,
    bucket: &str,
    object: &str,
    id: &str,
    query: &[(String, String)],
    path: &str,
) -> Reply {
    let Some(upload) = st
        .uploads
        .get(id)
        .filter(|u| u.bucket == bucket && u.key == object)
    else {
        return no_upload(path);
    };
    let max: usize = q(query, "max-parts")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let marker: u32 = q(query, "part-number-marker")
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let after: Vec<(&u32, &Part)> = upload.parts.range(marker.saturating_add(1)..).collect();
    let truncated = after.len() > max;
    let page = &after[..after.len().min(max)];
    let next = page.last().map(|(n, _)| **n).unwrap_or(0);
    let parts: String = page
        .iter()
        .map(|(n, p)| {
            format!(
                "<Part><PartNumber>{n}</PartNumber><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size></Part>",
                iso(p.modified_ms),
                p.etag,
                p.data.len()
            )
        })
        .collect();
    Reply::xml(
        StatusCode::OK,
        format!(
            "<ListPartsResult xmlns=\"{XMLNS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId><Initiator><ID>{}</ID><DisplayName>{}</DisplayName></Initiator><Owner><ID>{OWNER_ID}</ID><DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>{marker}</PartNumberMarker><NextPartNumberMarker>{next}</NextPartNumberMarker><MaxParts>{max}</MaxParts><IsTruncated>{truncated}</IsTruncated>{parts}</ListPartsResult>",
            esc(bucket),
            esc(object),
            esc(id),
            esc(&upload.initiator),
            esc(&upload.initiator)
        ),
    )
}

/// `GET /<bucket>?uploads`: the uploads in progress, by key then start time.
pub(super) fn list_uploads(
    st: &State,
    bucket: &str,
    query: &[(String, String)],
    path: &str,
) -> Reply {
    if !st.buckets.contains_key(bucket) {
        return super::no_bucket(path);
    }
    let prefix = q(query, "prefix").unwrap_or_default();
    let key_marker = q(query, "key-marker").unwrap_or_default();
    let id_marker = q(query, "upload-id-marker").unwrap_or_default();
    let max: usize = q(query, "max-uploads")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let mut all: Vec<(&String, &Upload)> = st
        .uploads
        .iter()
        .filter(|(_, u)| u.bucket == bucket && u.key.starts_with(&prefix))
        .filter(|(id, u)| {
            key_marker.is_empty()
                || u.key > key_marker
                || (u.key == key_marker
                    && !id_marker.is_empty()
                    && id.as_str() > id_marker.as_str())
        })
        .collect();
    all.sort_by(|a, b| (&a.1.key, a.1.initiated_ms, a.0).cmp(&(&b.1.key, b.1.initiated_ms, b.0)));
    let truncated = all.len() > max;
    all.truncate(max);
    let (next_key, next_id) = all
        .last()
        .map(|(id, u)| (u.key.clone(), (*id).clone()))
        .unwrap_or_default();
    let uploads: String = all
        .iter()
        .map(|(id, u)| {
            format!(
                "<Upload><Key>{}</Key><UploadId>{}</UploadId><Initiator><ID>{}</ID><DisplayName>{}</DisplayName></Initiator><Owner><ID>{OWNER_ID}</ID><DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>{}</Initiated></Upload>",
                esc(&u.key),
                esc(id),
                esc(&u.initiator),
                esc(&u.initiator),
                iso(u.initiated_ms)
            )
        })
        .collect();
    Reply::xml(
        StatusCode::OK,
        format!(
            "<ListMultipartUploadsResult xmlns=\"{XMLNS}\"><Bucket>{}</Bucket><KeyMarker>{}</KeyMarker><UploadIdMarker>{}</UploadIdMarker><NextKeyMarker>{}</NextKeyMarker><NextUploadIdMarker>{}</NextUploadIdMarker><Prefix>{}</Prefix><MaxUploads>{max}</MaxUploads><IsTruncated>{truncated}</IsTruncated>{uploads}</ListMultipartUploadsResult>",
            esc(bucket),
            esc(&key_marker),
            esc(&id_marker),
            esc(&next_key),
            esc(&next_id),
            esc(&prefix)
        ),
    )
}
