//! The S3 stand-in with MinIO's admin API: path-style buckets and objects behind real SigV4
//! verification, users, canned policies and service accounts whose policies decide what their
//! keys may do, and the admin payload encryption madmin clients expect.

mod accounts;
mod admin;
mod bucket;
mod crypto;
mod multipart;
mod object;
mod policies;
mod policy;
mod sigv4;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::response::Response;
use http::{header, HeaderMap, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::admin::AdminCall;
use self::policy::{as_list, builtin_policies, evaluate, validate_policy};
use crate::{util, Backend, Built, LabConfig, LabError, Service};

const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const MINIO_VERSION: &str = "RELEASE.2025-07-23T15-54-02Z";

mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Object {
    #[serde(with = "b64")]
    data: Vec<u8>,
    etag: String,
    modified_ms: i64,
    content_type: String,
    #[serde(default)]
    meta: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Bucket {
    created_ms: i64,
    #[serde(default)]
    objects: BTreeMap<String, Object>,
    #[serde(default)]
    policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    secret: String,
    enabled: bool,
    #[serde(default)]
    policies: Vec<String>,
    updated_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServiceAccount {
    secret: String,
    parent: String,
    enabled: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    policy: Option<Value>,
    #[serde(default)]
    expiration: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    root_access: String,
    root_secret: String,
    deployment_id: String,
    #[serde(default)]
    buckets: BTreeMap<String, Bucket>,
    #[serde(default)]
    users: BTreeMap<String, User>,
    #[serde(default)]
    policies: BTreeMap<String, Value>,
    #[serde(default)]
    service_accounts: BTreeMap<String, ServiceAccount>,
    /// Multipart uploads in progress, by upload id.
    #[serde(default)]
    uploads: BTreeMap<String, multipart::Upload>,
}

impl State {
    fn fresh() -> Self {
        State {
            root_access: util::random_alnum(20).to_uppercase(),
            root_secret: util::random_alnum(40),
            deployment_id: util::uuid4(),
            buckets: BTreeMap::new(),
            users: BTreeMap::new(),
            policies: builtin_policies(),
            service_accounts: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }

    fn secret_of(&self, key: &str) -> Option<String> {
        if key == self.root_access {
            return Some(self.root_secret.clone());
        }
        if let Some(u) = self.users.get(key).filter(|u| u.enabled) {
            return Some(u.secret.clone());
        }
        self.service_accounts
            .get(key)
            .filter(|s| s.enabled && self.parent_enabled(&s.parent))
            .map(|s| s.secret.clone())
    }

    fn parent_enabled(&self, parent: &str) -> bool {
        parent == self.root_access || self.users.get(parent).is_some_and(|u| u.enabled)
    }

    /// Whether `key` may perform `action` on `resource` (an ARN).
    fn allowed(&self, key: &str, action: &str, resource: &str) -> bool {
        if key == self.root_access {
            return true;
        }
        if let Some(u) = self.users.get(key) {
            return self.user_allows(u, action, resource);
        }
        let Some(sa) = self.service_accounts.get(key) else {
            return false;
        };
        let parent_ok = if sa.parent == self.root_access {
            true
        } else {
            self.users
                .get(&sa.parent)
                .is_some_and(|u| self.user_allows(u, action, resource))
        };
        // An inline policy narrows what the parent may do; it never widens it.
        parent_ok
            && sa
                .policy
                .as_ref()
                .is_none_or(|p| evaluate(&[p], action, resource))
    }

    fn user_allows(&self, u: &User, action: &str, resource: &str) -> bool {
        let docs: Vec<&Value> = u
            .policies
            .iter()
            .filter_map(|p| self.policies.get(p))
            .collect();
        evaluate(&docs, action, resource)
    }
}

/// The S3 service's state.
pub(crate) struct S3 {
    state: Mutex<State>,
    started_ms: i64,
}

impl Backend for S3 {
    fn snapshot(&self) -> Value {
        serde_json::to_value(&*util::lock(&self.state)).unwrap_or_default()
    }

    fn restart(&self) {}
}

pub(crate) fn build(_config: &LabConfig, restored: Option<Value>) -> Result<Built, LabError> {
    let state: State = match restored {
        Some(v) => util::restore(Service::S3, v)?,
        None => State::fresh(),
    };
    let (user, pass) = (state.root_access.clone(), state.root_secret.clone());
    let backend = Arc::new(S3 {
        state: Mutex::new(state),
        started_ms: util::now_ms(),
    });
    let s3 = backend.clone();
    let router = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let s3 = s3.clone();
            async move { s3.handle(method, uri, headers, body).await }
        },
    );
    Ok(Built {
        router,
        backend,
        username: Some(user),
        password: Some(SecretString::from(pass)),
        api_key: None,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn unesc(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Every `<tag>...</tag>` text in a small XML document.
fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(unesc(&after[..j]));
        rest = &after[j + close.len()..];
    }
    out
}

struct Reply {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_type: &'static str,
}

impl Reply {
    fn xml(status: StatusCode, body: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}").into_bytes(),
            content_type: "application/xml",
        }
    }

    fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            content_type: "",
        }
    }

    fn json(status: StatusCode, v: &Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: v.to_string().into_bytes(),
            content_type: "application/json",
        }
    }

    fn bytes(body: Vec<u8>) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers: Vec::new(),
            body,
            content_type: "application/octet-stream",
        }
    }

    fn header(mut self, k: &str, v: impl Into<String>) -> Reply {
        self.headers.push((k.to_string(), v.into()));
        self
    }
}

/// An S3 error answer in the `<Error>` XML shape.
fn s3_err(status: StatusCode, code: &str, message: &str, resource: &str) -> Reply {
    let id = request_id();
    Reply::xml(
        status,
        format!(
            "<Error><Code>{code}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{id}</RequestId><HostId>{}</HostId></Error>",
            esc(message),
            esc(resource),
            util::random_hex(64)
        ),
    )
}

fn request_id() -> String {
    util::random_hex(16).to_uppercase()
}

fn denied(resource: &str) -> Reply {
    s3_err(
        StatusCode::FORBIDDEN,
        "AccessDenied",
        "Access Denied.",
        resource,
    )
}

fn no_bucket(resource: &str) -> Reply {
    s3_err(
        StatusCode::NOT_FOUND,
        "NoSuchBucket",
        "The specified bucket does not exist",
        resource,
    )
}

/// An admin API error in MinIO's JSON shape.
fn admin_err(status: StatusCode, code: &str, message: &str, resource: &str) -> Reply {
    Reply::json(
        status,
        &json!({"Code": code, "Message": message, "Resource": resource, "RequestId": request_id(), "HostId": ""}),
    )
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("..")
}

fn meta_of(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-amz-meta-"))
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect()
}

impl S3 {
    async fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path = uri.path().to_string();
        let raw_query = uri.query().unwrap_or("").to_string();
        let reply = self.dispatch(&method, &path, &raw_query, &headers, &body);
        let mut b = Response::builder()
            .status(reply.status)
            .header("x-amz-request-id", request_id())
            .header("x-amz-id-2", util::random_hex(64))
            .header(header::SERVER, "MinIO")
            .header("Accept-Ranges", "bytes")
            .header("Vary", "Origin")
            .header(header::CONTENT_LENGTH, reply.body.len());
        let typed = reply
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !reply.content_type.is_empty() && !typed {
            b = b.header(header::CONTENT_TYPE, reply.content_type);
        }
        for (k, v) in &reply.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(reply.body)
        };
        b.body(body)
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }

    fn dispatch(
        &self,
        method: &Method,
        path: &str,
        raw_query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        if let Some(check) = path.strip_prefix("/minio/health/") {
            return match check {
                "live" | "ready" | "cluster" | "cluster/read" => {
                    Reply::empty(StatusCode::OK).header("X-Minio-Server-Status", "online")
                }
                _ => s3_err(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "health check not found",
                    path,
                ),
            };
        }
        let verified = {
            let st = util::lock(&self.state);
            sigv4::verify(method, path, raw_query, headers, body, &|k| st.secret_of(k))
        };
        let admin = path.starts_with("/minio/admin/");
        let who = match verified {
            Ok(v) => Some(v),
            Err(sigv4::AuthError::Anonymous) if !admin => None,
            Err(e) => {
                let (status, code, msg) = match e {
                    sigv4::AuthError::Anonymous => (StatusCode::FORBIDDEN, "AccessDenied", "Access Denied.".to_string()),
                    sigv4::AuthError::Malformed(m) => (StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed", m),
                    sigv4::AuthError::UnknownKey => (StatusCode::FORBIDDEN, "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records.".to_string()),
                    sigv4::AuthError::BadSignature => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.".to_string()),
                    sigv4::AuthError::Skewed => (StatusCode::FORBIDDEN, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.".to_string()),
                    sigv4::AuthError::Expired => (StatusCode::FORBIDDEN, "AccessDenied", "Request has expired".to_string()),
                    sigv4::AuthError::PayloadMismatch => (StatusCode::BAD_REQUEST, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.".to_string()),
                };
                if admin {
                    let code = match code {
                        "InvalidAccessKeyId" => "XMinioInvalidAccessKeyId",
                        other => other,
                    };
                    return admin_err(status, code, &msg, path);
                }
                return s3_err(status, code, &msg, path);
            }
        };
        let (key, body) = match who {
            Some(v) => (Some(v.access_key), v.body),
            None => (None, body.to_vec()),
        };
        let query = sigv4::query_pairs(raw_query);
        if let Some(cmd) = path.strip_prefix("/minio/admin/v3/") {
            return match key {
                Some(k) => self.admin(method, cmd, &query, &k, &body, path),
                None => admin_err(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "Access Denied.",
                    path,
                ),
            };
        }
        self.s3(method, path, &query, headers, key.as_deref(), &body)
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within an object of `total` bytes, inclusive.
fn parse_range(r: &str, total: usize) -> Option<(usize, usize)> {
    let spec = r.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if total == 0 {
        return None;
    }
    if a.is_empty() {
        let n: usize = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        return Some((total.saturating_sub(n), total - 1));
    }
    let start: usize = a.parse().ok()?;
    if start >= total {
        return None;
    }
    let end = if b.is_empty() {
        total - 1
    } else {
        b.parse::<usize>().ok()?.min(total - 1)
    };
    (start <= end).then_some((start, end))
}
