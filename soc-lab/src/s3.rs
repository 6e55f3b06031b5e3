//! The S3 stand-in with MinIO's admin API: path-style buckets and objects behind real SigV4
//! verification, users, canned policies and service accounts whose policies decide what their
//! keys may do, and the admin payload encryption madmin clients expect.

mod crypto;
mod multipart;
mod sigv4;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::response::Response;
use base64::Engine as _;
use http::{header, HeaderMap, Method, StatusCode, Uri};
use md5::{Digest, Md5};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

fn builtin_policies() -> BTreeMap<String, Value> {
    let stmt = |actions: Value, resource: &str| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": [resource]}]});
    BTreeMap::from([
        (
            "consoleAdmin".to_string(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["admin:*"]},
                {"Effect": "Allow", "Action": ["kms:*"]},
                {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}
            ]}),
        ),
        (
            "readwrite".to_string(),
            stmt(json!(["s3:*"]), "arn:aws:s3:::*"),
        ),
        (
            "readonly".to_string(),
            stmt(
                json!(["s3:GetBucketLocation", "s3:GetObject"]),
                "arn:aws:s3:::*",
            ),
        ),
        (
            "writeonly".to_string(),
            stmt(json!(["s3:PutObject"]), "arn:aws:s3:::*"),
        ),
        (
            "diagnostics".to_string(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "admin:ServerInfo", "admin:Prometheus", "admin:Profiling", "admin:ServerTrace",
            "admin:ConsoleLog", "admin:OBDInfo", "admin:TopLocksInfo", "admin:BandwidthMonitor"
        ], "Resource": ["arn:aws:s3:::*"]}]}),
        ),
    ])
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

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn wildcard(pattern: &str, text: &str) -> bool {
    util::wildcard(pattern, text, '*', Some('?'))
}

/// IAM evaluation: an explicit Deny wins, then any Allow, else implicit deny. Statements with
/// conditions are not evaluated by the lab: they never allow and always deny when they match.
fn evaluate(docs: &[&Value], action: &str, resource: &str) -> bool {
    let mut allow = false;
    for doc in docs {
        let stmts: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => Vec::new(),
        };
        for s in stmts {
            let actions = as_list(s.get("Action"));
            if !actions
                .iter()
                .any(|a| wildcard(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
            {
                continue;
            }
            let resources = as_list(s.get("Resource"));
            let admin = action.starts_with("admin:") || action.starts_with("kms:");
            if !admin && !resources.iter().any(|r| wildcard(r, resource)) {
                continue;
            }
            let conditional = s
                .get("Condition")
                .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()));
            match s.get("Effect").and_then(Value::as_str) {
                Some("Deny") => return false,
                Some("Allow") if !conditional => allow = true,
                _ => {}
            }
        }
    }
    allow
}

fn validate_policy(v: &Value) -> Result<(), String> {
    let stmts = match v.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err("policy has no statements".into()),
    };
    for s in stmts {
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            other => return Err(format!("invalid Effect {other:?}")),
        }
        if as_list(s.get("Action")).is_empty() {
            return Err("statement has no Action".into());
        }
    }
    Ok(())
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

    fn can(
        &self,
        st: &State,
        key: Option<&str>,
        action: &str,
        bucket: &str,
        object: Option<&str>,
    ) -> bool {
        let resource = match object {
            Some(o) => format!("arn:aws:s3:::{bucket}/{o}"),
            None => format!("arn:aws:s3:::{bucket}"),
        };
        match key {
            Some(k) => st.allowed(k, action, &resource),
            None => {
                // Anonymous requests are allowed by a bucket policy granting to everyone.
                let Some(policy) = st
                    .buckets
                    .get(bucket)
                    .and_then(|b| b.policy.as_deref())
                    .and_then(|p| serde_json::from_str::<Value>(p).ok())
                else {
                    return false;
                };
                let public: Vec<Value> = match policy.get("Statement") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter(|s| {
                            let p = s.get("Principal");
                            p == Some(&json!("*"))
                                || p.and_then(|p| p.get("AWS"))
                                    .is_some_and(|a| as_list(Some(a)).iter().any(|x| x == "*"))
                        })
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                let doc = json!({"Statement": public});
                evaluate(&[&doc], action, &resource)
            }
        }
    }

    fn s3(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        key: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let decoded = sigv4::percent_decode(path);
        let trimmed = decoded.trim_start_matches('/');
        let (bucket, object) = match trimmed.split_once('/') {
            Some((b, o)) if !o.is_empty() => (b.to_string(), Some(o.to_string())),
            Some((b, _)) => (b.to_string(), None),
            None => (trimmed.to_string(), None),
        };
        let mut st = util::lock(&self.state);
        if bucket.is_empty() {
            if *method != Method::GET {
                return s3_err(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    path,
                );
            }
            let all = key.is_some_and(|k| st.allowed(k, "s3:ListAllMyBuckets", "arn:aws:s3:::*"));
            let names: Vec<(String, i64)> = st
                .buckets
                .iter()
                .filter(|(n, _)| {
                    all || [
                        "s3:ListBucket",
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:GetBucketLocation",
                    ]
                    .iter()
                    .any(|a| self.can(&st, key, a, n, None) || self.can(&st, key, a, n, Some("*")))
                })
                .map(|(n, b)| (n.clone(), b.created_ms))
                .collect();
            if !all && names.is_empty() {
                return denied(path);
            }
            let list: String = names
                .iter()
                .map(|(n, c)| {
                    format!(
                        "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
                        esc(n),
                        iso(*c)
                    )
                })
                .collect();
            return Reply::xml(
                StatusCode::OK,
                format!("<ListAllMyBucketsResult xmlns=\"{XMLNS}\"><Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner><Buckets>{list}</Buckets></ListAllMyBucketsResult>"),
            );
        }
        let Some(object) = object else {
            return self.bucket_op(&mut st, method, path, &bucket, query, key, body);
        };
        if let Some(reply) = multipart::object_request(
            self, &mut st, method, path, &bucket, &object, query, headers, key, body,
        ) {
            return reply;
        }
        let exists = st.buckets.contains_key(&bucket);
        match *method {
            Method::PUT => {
                if !self.can(&st, key, "s3:PutObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let (data, content_type, meta) = match headers
                    .get("x-amz-copy-source")
                    .and_then(|v| v.to_str().ok())
                {
                    Some(src) => {
                        let src = sigv4::percent_decode(src.split('?').next().unwrap_or(src));
                        let src = src.trim_start_matches('/');
                        let Some((sb, so)) = src.split_once('/') else {
                            return s3_err(StatusCode::BAD_REQUEST, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", path);
                        };
                        if !self.can(&st, key, "s3:GetObject", sb, Some(so)) {
                            return denied(path);
                        }
                        let Some(sobj) = st.buckets.get(sb).and_then(|b| b.objects.get(so)) else {
                            return if st.buckets.contains_key(sb) {
                                s3_err(
                                    StatusCode::NOT_FOUND,
                                    "NoSuchKey",
                                    "The specified key does not exist.",
                                    src,
                                )
                            } else {
                                no_bucket(src)
                            };
                        };
                        let replace = headers
                            .get("x-amz-metadata-directive")
                            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"REPLACE"));
                        if replace {
                            let ct = headers
                                .get(header::CONTENT_TYPE)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("binary/octet-stream")
                                .to_string();
                            (sobj.data.clone(), ct, meta_of(headers))
                        } else {
                            (
                                sobj.data.clone(),
                                sobj.content_type.clone(),
                                sobj.meta.clone(),
                            )
                        }
                    }
                    None => {
                        if let Some(md5) = headers.get("content-md5").and_then(|v| v.to_str().ok())
                        {
                            let actual =
                                base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
                            if md5 != actual {
                                return s3_err(
                                    StatusCode::BAD_REQUEST,
                                    "BadDigest",
                                    "The Content-MD5 you specified did not match what we received.",
                                    path,
                                );
                            }
                        }
                        let ct = headers
                            .get(header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("binary/octet-stream")
                            .to_string();
                        (body.to_vec(), ct, meta_of(headers))
                    }
                };
                let copy = headers.contains_key("x-amz-copy-source");
                let etag = hex::encode(Md5::digest(&data));
                let now = util::now_ms();
                if let Some(b) = st.buckets.get_mut(&bucket) {
                    b.objects.insert(
                        object,
                        Object {
                            data,
                            etag: etag.clone(),
                            modified_ms: now,
                            content_type,
                            meta,
                        },
                    );
                }
                if copy {
                    return Reply::xml(
                        StatusCode::OK,
                        format!("<CopyObjectResult xmlns=\"{XMLNS}\"><LastModified>{}</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyObjectResult>", iso(now)),
                    );
                }
                Reply::empty(StatusCode::OK).header("ETag", format!("\"{etag}\""))
            }
            Method::GET | Method::HEAD => {
                if !self.can(&st, key, "s3:GetObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                let Some(b) = st.buckets.get(&bucket) else {
                    return no_bucket(path);
                };
                let Some(o) = b.objects.get(&object) else {
                    return s3_err(
                        StatusCode::NOT_FOUND,
                        "NoSuchKey",
                        "The specified key does not exist.",
                        path,
                    );
                };
                let total = o.data.len();
                let mut reply = Reply::bytes(Vec::new());
                let mut range_hdr = None;
                let data = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
                    Some(r) => match parse_range(r, total) {
                        Some((start, end)) => {
                            reply.status = StatusCode::PARTIAL_CONTENT;
                            range_hdr = Some(format!("bytes {start}-{end}/{total}"));
                            o.data[start..=end].to_vec()
                        }
                        None => {
                            return s3_err(
                                StatusCode::RANGE_NOT_SATISFIABLE,
                                "InvalidRange",
                                "The requested range is not satisfiable",
                                path,
                            )
                        }
                    },
                    None => o.data.clone(),
                };
                reply.body = data;
                if let Some(r) = range_hdr {
                    reply = reply.header("Content-Range", r);
                }
                reply = reply
                    .header("ETag", format!("\"{}\"", o.etag))
                    .header("Last-Modified", http_date(o.modified_ms))
                    .header("Content-Type", o.content_type.clone());
                for (k, v) in &o.meta {
                    reply = reply.header(k, v.clone());
                }
                reply
            }
            Method::DELETE => {
                if !self.can(&st, key, "s3:DeleteObject", &bucket, Some(&object)) {
                    return denied(path);
                }
                match st.buckets.get_mut(&bucket) {
                    None => no_bucket(path),
                    Some(b) => {
                        b.objects.remove(&object);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            _ => s3_err(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                path,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bucket_op(
        &self,
        st: &mut State,
        method: &Method,
        path: &str,
        bucket: &str,
        query: &[(String, String)],
        key: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let has = |name: &str| query.iter().any(|(k, _)| k == name);
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let exists = st.buckets.contains_key(bucket);
        let need = |st: &State, action: &str| self.can(st, key, action, bucket, None);
        match *method {
            Method::PUT if has("policy") => {
                if !need(st, "s3:PutBucketPolicy") {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let text = String::from_utf8_lossy(body).into_owned();
                let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "MalformedPolicy",
                        "Policies could not be parsed as JSON",
                        path,
                    );
                };
                if let Err(why) = validate_policy(&doc) {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "MalformedPolicy",
                        &format!("Policy has invalid resource: {why}"),
                        path,
                    );
                }
                if let Some(b) = st.buckets.get_mut(bucket) {
                    b.policy = Some(text);
                }
                Reply::empty(StatusCode::NO_CONTENT)
            }
            Method::GET if has("uploads") => {
                if !need(st, "s3:ListBucketMultipartUploads") {
                    return denied(path);
                }
                multipart::list_uploads(st, bucket, query, path)
            }
            Method::GET if has("policy") => {
                if !need(st, "s3:GetBucketPolicy") {
                    return denied(path);
                }
                match st.buckets.get(bucket) {
                    None => no_bucket(path),
                    Some(b) => match &b.policy {
                        Some(p) => Reply::json(
                            StatusCode::OK,
                            &serde_json::from_str(p).unwrap_or(Value::Null),
                        ),
                        None => s3_err(
                            StatusCode::NOT_FOUND,
                            "NoSuchBucketPolicy",
                            "The bucket policy does not exist",
                            path,
                        ),
                    },
                }
            }
            Method::DELETE if has("policy") => {
                if !need(st, "s3:DeleteBucketPolicy") {
                    return denied(path);
                }
                match st.buckets.get_mut(bucket) {
                    None => no_bucket(path),
                    Some(b) => {
                        b.policy = None;
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            Method::GET if has("location") => {
                if !need(st, "s3:GetBucketLocation") {
                    return denied(path);
                }
                if !exists {
                    return no_bucket(path);
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("<LocationConstraint xmlns=\"{XMLNS}\"></LocationConstraint>"),
                )
            }
            Method::POST if has("delete") => {
                let text = String::from_utf8_lossy(body);
                if !text.contains("<Delete") {
                    return s3_err(StatusCode::BAD_REQUEST, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", path);
                }
                if !exists {
                    return no_bucket(path);
                }
                let quiet = xml_texts(&text, "Quiet")
                    .first()
                    .is_some_and(|q| q == "true");
                let mut out = String::new();
                for k in xml_texts(&text, "Key") {
                    if !self.can(st, key, "s3:DeleteObject", bucket, Some(&k)) {
                        out.push_str(&format!("<Error><Key>{}</Key><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>", esc(&k)));
                        continue;
                    }
                    if let Some(b) = st.buckets.get_mut(bucket) {
                        b.objects.remove(&k);
                    }
                    if !quiet {
                        out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", esc(&k)));
                    }
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("<DeleteResult xmlns=\"{XMLNS}\">{out}</DeleteResult>"),
                )
            }
            Method::PUT => {
                if !need(st, "s3:CreateBucket") {
                    return denied(path);
                }
                if !valid_bucket(bucket) {
                    return s3_err(
                        StatusCode::BAD_REQUEST,
                        "InvalidBucketName",
                        "The specified bucket is not valid.",
                        path,
                    );
                }
                if exists {
                    return s3_err(StatusCode::CONFLICT, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", path);
                }
                st.buckets.insert(
                    bucket.to_string(),
                    Bucket {
                        created_ms: util::now_ms(),
                        ..Bucket::default()
                    },
                );
                Reply::empty(StatusCode::OK).header("Location", format!("/{bucket}"))
            }
            Method::HEAD => {
                if !need(st, "s3:ListBucket") {
                    return denied(path);
                }
                if exists {
                    Reply::empty(StatusCode::OK).header("X-Amz-Bucket-Region", "us-east-1")
                } else {
                    no_bucket(path)
                }
            }
            Method::DELETE => {
                if !need(st, "s3:DeleteBucket") {
                    return denied(path);
                }
                match st.buckets.get(bucket) {
                    None => no_bucket(path),
                    Some(b) if !b.objects.is_empty() => s3_err(
                        StatusCode::CONFLICT,
                        "BucketNotEmpty",
                        "The bucket you tried to delete is not empty",
                        path,
                    ),
                    Some(_) => {
                        st.buckets.remove(bucket);
                        multipart::forget_bucket(st, bucket);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            Method::GET => {
                if !need(st, "s3:ListBucket") {
                    return denied(path);
                }
                let Some(b) = st.buckets.get(bucket) else {
                    return no_bucket(path);
                };
                let v2 = q("list-type").as_deref() == Some("2");
                let prefix = q("prefix").unwrap_or_default();
                let delimiter = q("delimiter").unwrap_or_default();
                let max_keys: usize = q("max-keys")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(1000)
                    .min(1000);
                let url = q("encoding-type").as_deref() == Some("url");
                let enc = |s: &str| {
                    if url {
                        sigv4::aws_encode(s, true)
                    } else {
                        esc(s)
                    }
                };
                let token = q("continuation-token").map(|t| {
                    base64::engine::general_purpose::STANDARD
                        .decode(t)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default()
                });
                let after = if v2 {
                    token.or_else(|| q("start-after")).unwrap_or_default()
                } else {
                    q("marker").unwrap_or_default()
                };
                let mut contents = String::new();
                let mut prefixes: Vec<String> = Vec::new();
                let mut count = 0;
                let mut truncated = false;
                let mut last = String::new();
                for (k, o) in b.objects.range::<String, _>((
                    std::ops::Bound::Excluded(&after),
                    std::ops::Bound::Unbounded,
                )) {
                    if !k.starts_with(&prefix) {
                        continue;
                    }
                    let entry = if delimiter.is_empty() {
                        None
                    } else {
                        k[prefix.len()..]
                            .find(&delimiter)
                            .map(|i| k[..prefix.len() + i + delimiter.len()].to_string())
                    };
                    if let Some(p) = &entry {
                        if prefixes.last() == Some(p) {
                            continue;
                        }
                    }
                    if count == max_keys {
                        truncated = true;
                        break;
                    }
                    count += 1;
                    match entry {
                        Some(p) => {
                            last = p.clone();
                            // Skip past every key under this prefix on the next page.
                            last.push(char::MAX);
                            prefixes.push(p);
                        }
                        None => {
                            last = k.clone();
                            contents.push_str(&format!(
                                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID><DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>",
                                enc(k), iso(o.modified_ms), o.etag, o.data.len()
                            ));
                        }
                    }
                }
                let cps: String = prefixes
                    .iter()
                    .map(|p| {
                        format!(
                            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                            enc(p)
                        )
                    })
                    .collect();
                let mut head = format!(
                    "<ListBucketResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix>",
                    esc(bucket),
                    enc(&prefix)
                );
                if v2 {
                    head.push_str(&format!("<KeyCount>{count}</KeyCount>"));
                    if let Some(t) = q("continuation-token") {
                        head.push_str(&format!(
                            "<ContinuationToken>{}</ContinuationToken>",
                            esc(&t)
                        ));
                    }
                    if truncated {
                        let next = base64::engine::general_purpose::STANDARD.encode(&last);
                        head.push_str(&format!(
                            "<NextContinuationToken>{next}</NextContinuationToken>"
                        ));
                    }
                    if let Some(s) = q("start-after") {
                        head.push_str(&format!("<StartAfter>{}</StartAfter>", enc(&s)));
                    }
                } else {
                    head.push_str(&format!("<Marker>{}</Marker>", enc(&after)));
                    if truncated {
                        head.push_str(&format!(
                            "<NextMarker>{}</NextMarker>",
                            enc(last.trim_end_matches(char::MAX))
                        ));
                    }
                }
                if !delimiter.is_empty() {
                    head.push_str(&format!("<Delimiter>{}</Delimiter>", enc(&delimiter)));
                }
                if url {
                    head.push_str("<EncodingType>url</EncodingType>");
                }
                Reply::xml(
                    StatusCode::OK,
                    format!("{head}<MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>{contents}{cps}</ListBucketResult>"),
                )
            }
            _ => s3_err(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                path,
            ),
        }
    }

    fn admin(
        &self,
        method: &Method,
        cmd: &str,
        query: &[(String, String)],
        key: &str,
        body: &[u8],
        path: &str,
    ) -> Reply {
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let action = match cmd {
            "info" => "admin:ServerInfo",
            "add-user" => "admin:CreateUser",
            "remove-user" => "admin:DeleteUser",
            "user-info" => "admin:GetUser",
            "list-users" => "admin:ListUsers",
            "set-user-status" => "admin:EnableUser",
            "add-canned-policy" => "admin:CreatePolicy",
            "remove-canned-policy" => "admin:DeletePolicy",
            "info-canned-policy" => "admin:GetPolicy",
            "list-canned-policies" => "admin:ListUserPolicies",
            "set-user-or-group-policy"
            | "idp/builtin/policy/attach"
            | "idp/builtin/policy/detach" => "admin:AttachUserOrGroupPolicy",
            "add-service-account" => "admin:CreateServiceAccount",
            "update-service-account" => "admin:UpdateServiceAccount",
            "delete-service-account" => "admin:RemoveServiceAccount",
            "info-service-account" | "list-service-accounts" => "admin:ListServiceAccounts",
            _ => "admin:*",
        };
        let mut st = util::lock(&self.state);
        // Users manage their own service accounts without admin rights.
        let own_accounts = matches!(
            cmd,
            "add-service-account"
                | "list-service-accounts"
                | "info-service-account"
                | "update-service-account"
                | "delete-service-account"
        );
        if !st.allowed(key, action, "arn:aws:s3:::*") && !own_accounts {
            return admin_err(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied.",
                path,
            );
        }
        let secret = st.secret_of(key).unwrap_or_default();
        let decrypt = |body: &[u8]| -> Result<Value, Reply> {
            let plain = crypto::decrypt(&secret, body).map_err(|e| {
                admin_err(
                    StatusCode::BAD_REQUEST,
                    "XMinioAdminConfigBadJSON",
                    &format!("unable to decrypt the request payload: {e}"),
                    path,
                )
            })?;
            serde_json::from_slice(&plain).map_err(|e| {
                admin_err(
                    StatusCode::BAD_REQUEST,
                    "XMinioAdminConfigBadJSON",
                    &format!("the decrypted payload is not JSON: {e}"),
                    path,
                )
            })
        };
        let encrypted = |v: &Value| -> Reply {
            match crypto::encrypt(&secret, v.to_string().as_bytes()) {
                Ok(bytes) => Reply::bytes(bytes),
                Err(e) => admin_err(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &e, path),
            }
        };
        let no_user = || {
            admin_err(
                StatusCode::NOT_FOUND,
                "XMinioAdminNoSuchUser",
                "The specified user does not exist.",
                path,
            )
        };
        let no_policy = || {
            admin_err(
                StatusCode::NOT_FOUND,
                "XMinioAdminNoSuchPolicy",
                "The canned policy does not exist.",
                path,
            )
        };
        let no_sa = || {
            admin_err(
                StatusCode::NOT_FOUND,
                "XMinioAdminServiceAccountNotFound",
                "The specified service account is not found",
                path,
            )
        };
        let now = util::now_ms();
        let m = method.clone();
        match (m, cmd) {
            (Method::GET, "info") => {
                let objects: usize = st.buckets.values().map(|b| b.objects.len()).sum();
                let size: usize = st
                    .buckets
                    .values()
                    .flat_map(|b| b.objects.values())
                    .map(|o| o.data.len())
                    .sum();
                Reply::json(
                    StatusCode::OK,
                    &json!({
                        "mode": "online",
                        "deploymentID": st.deployment_id,
                        "buckets": {"count": st.buckets.len()},
                        "objects": {"count": objects},
                        "usage": {"size": size},
                        "services": {"kms_status": [], "ldap": {}, "logger": [], "audit": [], "notifications": []},
                        "backend": {"backendType": "Erasure", "onlineDisks": 1, "offlineDisks": 0, "standardSCParity": 0, "rrSCParity": 0, "totalSets": [1], "totalDrivesPerSet": [1]},
                        "servers": [{
                            "state": "online", "endpoint": "127.0.0.1", "scheme": "http",
                            "uptime": (now - self.started_ms) / 1000, "version": MINIO_VERSION,
                            "commitID": util::random_hex(40), "network": {"127.0.0.1": "online"},
                            "drives": [{"endpoint": "/data", "rootDisk": false, "path": "/data", "healing": false, "state": "ok", "uuid": st.deployment_id, "totalspace": 107_374_182_400u64, "usedspace": size, "availspace": 107_374_182_400u64 - size as u64, "pool_index": 0, "set_index": 0, "disk_index": 0}],
                            "poolNumber": 1, "poolNumbers": [1],
                            "mem_stats": {"Alloc": 0, "TotalAlloc": 0, "Mallocs": 0, "Frees": 0, "HeapAlloc": 0}
                        }]
                    }),
                )
            }
            (Method::PUT, "add-user") => {
                let ak = q("accessKey");
                let v = match decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let sk = v
                    .get("secretKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if ak.len() < 3 || ak.contains('=') || ak.contains(',') {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidAccessKey",
                        "The access key is invalid.",
                        path,
                    );
                }
                if sk.len() < 8 {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidSecretKey",
                        "The secret key is invalid.",
                        path,
                    );
                }
                if ak == st.root_access || st.service_accounts.contains_key(&ak) {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                let enabled = v.get("status").and_then(Value::as_str) != Some("disabled");
                let policies = st
                    .users
                    .get(&ak)
                    .map(|u| u.policies.clone())
                    .unwrap_or_default();
                st.users.insert(
                    ak,
                    User {
                        secret: sk,
                        enabled,
                        policies,
                        updated_ms: now,
                    },
                );
                Reply::empty(StatusCode::OK)
            }
            (Method::DELETE, "remove-user") => {
                let ak = q("accessKey");
                if st.users.remove(&ak).is_none() {
                    return no_user();
                }
                st.service_accounts.retain(|_, s| s.parent != ak);
                Reply::empty(StatusCode::OK)
            }
            (Method::GET, "user-info") => {
                let ak = q("accessKey");
                match st.users.get(&ak) {
                    None => no_user(),
                    Some(u) => Reply::json(StatusCode::OK, &user_json(u)),
                }
            }
            (Method::GET, "list-users") => {
                let all: serde_json::Map<String, Value> = st
                    .users
                    .iter()
                    .map(|(k, u)| (k.clone(), user_json(u)))
                    .collect();
                encrypted(&Value::Object(all))
            }
            (Method::PUT, "set-user-status") => {
                let ak = q("accessKey");
                let status = q("status");
                if status != "enabled" && status != "disabled" {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                match st.users.get_mut(&ak) {
                    None => no_user(),
                    Some(u) => {
                        u.enabled = status == "enabled";
                        u.updated_ms = now;
                        Reply::empty(StatusCode::OK)
                    }
                }
            }
            (Method::PUT, "add-canned-policy") => {
                let name = q("name");
                if name.is_empty() || name.contains(',') {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                let doc: Value = match serde_json::from_slice(body) {
                    Ok(v) => v,
                    Err(e) => {
                        return admin_err(
                            StatusCode::BAD_REQUEST,
                            "XMinioMalformedJSON",
                            &format!("The JSON you provided was not well-formed: {e}"),
                            path,
                        )
                    }
                };
                if let Err(why) = validate_policy(&doc) {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioMalformedIAMPolicy",
                        &why,
                        path,
                    );
                }
                st.policies.insert(name, doc);
                Reply::empty(StatusCode::OK)
            }
            (Method::GET, "info-canned-policy") => {
                let name = q("name");
                match st.policies.get(&name) {
                    None => no_policy(),
                    Some(p) if q("v") == "2" => {
                        Reply::json(StatusCode::OK, &json!({"PolicyName": name, "Policy": p}))
                    }
                    Some(p) => Reply::json(StatusCode::OK, p),
                }
            }
            (Method::GET, "list-canned-policies") => {
                let all: serde_json::Map<String, Value> = st
                    .policies
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Reply::json(StatusCode::OK, &Value::Object(all))
            }
            (Method::DELETE, "remove-canned-policy") => {
                let name = q("name");
                if st.policies.remove(&name).is_none() {
                    return no_policy();
                }
                for u in st.users.values_mut() {
                    u.policies.retain(|p| *p != name);
                }
                Reply::empty(StatusCode::OK)
            }
            (Method::PUT, "set-user-or-group-policy") => {
                if q("isGroup") == "true" {
                    return admin_err(
                        StatusCode::NOT_FOUND,
                        "XMinioAdminNoSuchGroup",
                        "The specified group does not exist.",
                        path,
                    );
                }
                let who = q("userOrGroup");
                let names: Vec<String> = q("policyName")
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                if names.iter().any(|p| !st.policies.contains_key(p)) {
                    return no_policy();
                }
                match st.users.get_mut(&who) {
                    None => no_user(),
                    Some(u) => {
                        u.policies = names;
                        u.updated_ms = now;
                        Reply::empty(StatusCode::OK)
                    }
                }
            }
            (Method::POST, "idp/builtin/policy/attach" | "idp/builtin/policy/detach") => {
                let v = match decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let attach = cmd.ends_with("attach") && !cmd.ends_with("detach");
                let names = as_list(v.get("policies"));
                if v.get("group")
                    .and_then(Value::as_str)
                    .is_some_and(|g| !g.is_empty())
                {
                    return admin_err(
                        StatusCode::NOT_FOUND,
                        "XMinioAdminNoSuchGroup",
                        "The specified group does not exist.",
                        path,
                    );
                }
                let who = v
                    .get("user")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if names.is_empty() {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                if attach && names.iter().any(|p| !st.policies.contains_key(p)) {
                    return no_policy();
                }
                let Some(u) = st.users.get_mut(&who) else {
                    return no_user();
                };
                let mut changed = Vec::new();
                for n in &names {
                    let has = u.policies.contains(n);
                    if attach && !has {
                        u.policies.push(n.clone());
                        changed.push(n.clone());
                    } else if !attach && has {
                        u.policies.retain(|p| p != n);
                        changed.push(n.clone());
                    }
                }
                if changed.is_empty() {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminPolicyChangeAlreadyApplied",
                        "The specified policy change is already in effect.",
                        path,
                    );
                }
                u.updated_ms = now;
                let resp = if attach {
                    json!({"policiesAttached": changed, "updatedAt": iso(now)})
                } else {
                    json!({"policiesDetached": changed, "updatedAt": iso(now)})
                };
                encrypted(&resp)
            }
            (Method::PUT, "add-service-account") => {
                let v = match decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let target = v
                    .get("targetUser")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| key.to_string());
                if target != key && !st.allowed(key, "admin:CreateServiceAccount", "arn:aws:s3:::*")
                {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                if target != st.root_access && !st.users.contains_key(&target) {
                    return no_user();
                }
                let ak = v
                    .get("accessKey")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| util::random_alnum(20).to_uppercase());
                let sk = v
                    .get("secretKey")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| util::random_alnum(40));
                if st.secret_of(&ak).is_some()
                    || st.users.contains_key(&ak)
                    || st.service_accounts.contains_key(&ak)
                {
                    return admin_err(
                        StatusCode::CONFLICT,
                        "XMinioAdminServiceAccountExists",
                        "The specified service account already exists",
                        path,
                    );
                }
                let policy = match v.get("policy") {
                    Some(Value::String(s)) if !s.is_empty() => serde_json::from_str(s).ok(),
                    Some(p @ Value::Object(_)) => Some(p.clone()),
                    _ => None,
                };
                if let Some(p) = &policy {
                    if let Err(why) = validate_policy(p) {
                        return admin_err(
                            StatusCode::BAD_REQUEST,
                            "XMinioMalformedIAMPolicy",
                            &why,
                            path,
                        );
                    }
                }
                let expiration = v
                    .get("expiration")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                st.service_accounts.insert(
                    ak.clone(),
                    ServiceAccount {
                        secret: sk.clone(),
                        parent: target,
                        enabled: v.get("status").and_then(Value::as_str) != Some("off")
                            && v.get("status").and_then(Value::as_str) != Some("disabled"),
                        name: v
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        description: v
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        policy,
                        expiration: expiration.clone(),
                    },
                );
                encrypted(
                    &json!({"credentials": {"accessKey": ak, "secretKey": sk, "expiration": expiration.unwrap_or_else(|| "1970-01-01T00:00:00Z".into())}}),
                )
            }
            (Method::GET, "list-service-accounts") => {
                let user = Some(q("user"))
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| key.to_string());
                if user != key && !st.allowed(key, "admin:ListServiceAccounts", "arn:aws:s3:::*") {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                let accounts: Vec<Value> = st
                    .service_accounts
                    .iter()
                    .filter(|(_, s)| s.parent == user)
                    .map(|(k, s)| sa_json(k, s))
                    .collect();
                encrypted(&json!({"accounts": accounts}))
            }
            (Method::GET, "info-service-account") => {
                let ak = q("accessKey");
                let Some(s) = st.service_accounts.get(&ak) else {
                    return no_sa();
                };
                if s.parent != key
                    && !st.allowed(key, "admin:ListServiceAccounts", "arn:aws:s3:::*")
                {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                let mut info = sa_json(&ak, s);
                let effective = match &s.policy {
                    Some(p) => p.clone(),
                    None => {
                        let parent_policies: Vec<Value> = st
                            .users
                            .get(&s.parent)
                            .map(|u| {
                                u.policies
                                    .iter()
                                    .filter_map(|p| st.policies.get(p).cloned())
                                    .collect()
                            })
                            .unwrap_or_default();
                        let stmts: Vec<Value> = parent_policies
                            .iter()
                            .filter_map(|p| p.get("Statement").and_then(Value::as_array).cloned())
                            .flatten()
                            .collect();
                        json!({"Version": "2012-10-17", "Statement": stmts})
                    }
                };
                info["policy"] = Value::String(effective.to_string());
                encrypted(&info)
            }
            (Method::POST, "update-service-account") => {
                let ak = q("accessKey");
                let v = match decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let allowed_admin = st.allowed(key, "admin:UpdateServiceAccount", "arn:aws:s3:::*");
                let Some(s) = st.service_accounts.get_mut(&ak) else {
                    return no_sa();
                };
                if s.parent != key && !allowed_admin {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                if let Some(sk) = v
                    .get("newSecretKey")
                    .and_then(Value::as_str)
                    .filter(|x| !x.is_empty())
                {
                    s.secret = sk.to_string();
                }
                if let Some(st_) = v
                    .get("newStatus")
                    .and_then(Value::as_str)
                    .filter(|x| !x.is_empty())
                {
                    s.enabled = st_ == "on" || st_ == "enabled";
                }
                if let Some(n) = v.get("newName").and_then(Value::as_str) {
                    s.name = n.to_string();
                }
                if let Some(d) = v.get("newDescription").and_then(Value::as_str) {
                    s.description = d.to_string();
                }
                if let Some(e) = v.get("newExpiration").and_then(Value::as_str) {
                    s.expiration = Some(e.to_string());
                }
                match v.get("newPolicy") {
                    Some(Value::String(p)) if !p.is_empty() => {
                        s.policy = serde_json::from_str(p).ok()
                    }
                    Some(p @ Value::Object(_)) => s.policy = Some(p.clone()),
                    _ => {}
                }
                Reply::empty(StatusCode::NO_CONTENT)
            }
            (Method::DELETE, "delete-service-account") => {
                let ak = q("accessKey");
                let allowed_admin = st.allowed(key, "admin:RemoveServiceAccount", "arn:aws:s3:::*");
                match st.service_accounts.get(&ak) {
                    None => no_sa(),
                    Some(s) if s.parent != key && !allowed_admin => admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    ),
                    Some(_) => {
                        st.service_accounts.remove(&ak);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            _ => admin_err(
                StatusCode::BAD_REQUEST,
                "XMinioAdminInvalidArgument",
                &format!("the lab does not serve the admin API {method} /minio/admin/v3/{cmd}"),
                path,
            ),
        }
    }
}

fn user_json(u: &User) -> Value {
    json!({
        "status": if u.enabled { "enabled" } else { "disabled" },
        "policyName": u.policies.join(","),
        "memberOf": Value::Null,
        "updatedAt": iso(u.updated_ms)
    })
}

fn sa_json(ak: &str, s: &ServiceAccount) -> Value {
    json!({
        "parentUser": s.parent,
        "accountStatus": if s.enabled { "on" } else { "off" },
        "impliedPolicy": s.policy.is_none(),
        "accessKey": ak,
        "name": s.name,
        "description": s.description,
        "expiration": s.expiration.clone().unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
    })
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
