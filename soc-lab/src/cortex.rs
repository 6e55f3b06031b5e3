//! The Cortex stand-in: organisations, users and keys, analyzer and responder definitions the
//! lab ships, workers enabled per organisation, and jobs whose reports come from the lab's list of
//! malicious indicators.
//!
//! Everything lives under `/api/` as in Cortex 3.1 to 4.1. Entities carry the elastic4play
//! metadata (`_id`, `_type`, `_routing`, `_parent`, `_seqNo`, `_primaryTerm`) next to their
//! attributes; lists answer a JSON array with the `X-Total` header and page with `range`
//! (`0-10` by default, `all`) and `sort` (`-createdAt`).

// Handlers return the ready error answer (`Err(Response)`), as the routes would anyway.
#![allow(clippy::result_large_err)]

mod auth;
mod catalog;
mod jobs;
mod multipart;
mod orgs;
mod search;
mod users;
mod workers;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Digest as _;

use self::catalog::{default_value, definition, definition_json, Definition, DEFINITIONS};
use self::jobs::{job_end, job_json, job_status, visible_job};
use self::multipart::parse_multipart;
use self::orgs::{new_org, org_users};
use self::search::{query_matches, search};
use self::users::{new_user, user_json, users_page};
use self::workers::{build_worker, enable_worker, worker_json, workers_search};
use crate::{util, Backend, Built, LabConfig, LabError, Service};

/// The organisation that holds the superadmins (it cannot have workers).
const ADMIN_ORG: &str = "cortex";
/// The organisation the lab bootstraps with its analyzers enabled, used by in-process callers.
const DEFAULT_ORG: &str = "lab";
/// How long a job waits before it starts, then runs, in milliseconds.
const WAIT_MS: i64 = 20;
const RUN_MS: i64 = 100;
/// Cortex's default `cache.job` (minutes) when a worker sets no `jobCache`.
const DEFAULT_JOB_CACHE_MIN: i64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserRec {
    doc: Map<String, Value>,
    /// `salt$sha256hex` of the password.
    password: Option<String>,
    key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobRec {
    doc: Map<String, Value>,
    /// The report the job ends with (computed when it is created, shown once it is finished).
    report: Value,
    artifacts: Vec<Value>,
    failed: bool,
    deleted: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// False on a fresh install until `POST /api/maintenance/migrate`.
    migrated: bool,
    orgs: BTreeMap<String, Map<String, Value>>,
    users: BTreeMap<String, UserRec>,
    /// Analyzers and responders enabled in organisations, by worker id.
    workers: BTreeMap<String, Map<String, Value>>,
    jobs: BTreeMap<String, JobRec>,
    seq: u64,
}

/// The Cortex service's state.
pub(crate) struct Cortex {
    state: Mutex<State>,
    /// Session cookies from `POST /api/login`: forgotten on restart.
    sessions: Mutex<HashMap<String, String>>,
    malicious: Vec<String>,
}

impl Backend for Cortex {
    fn snapshot(&self) -> Value {
        serde_json::to_value(&*util::lock(&self.state)).unwrap_or_default()
    }

    fn restart(&self) {
        util::lock(&self.sessions).clear();
    }
}

// ---------------------------------------------------------------------------------------------
// Errors and small JSON tools

fn err(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    util::json(status, json!({"type": kind, "message": message.into()}))
}

fn not_found(what: &str, id: &str) -> Response {
    err(
        StatusCode::NOT_FOUND,
        "NotFoundError",
        format!("{what} {id} not found"),
    )
}

fn bad_request(message: impl Into<String>) -> Response {
    err(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn forbidden() -> Response {
    err(
        StatusCode::FORBIDDEN,
        "AuthorizationError",
        "Insufficient rights to perform this action",
    )
}

fn missing_attributes(table: &str, names: &[String]) -> Response {
    let errors: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({"name": n, "type": "MissingAttributeError", "message": format!("Attribute {n} is missing")})
        })
        .collect();
    util::json(
        StatusCode::BAD_REQUEST,
        json!({"tableName": table, "type": "AttributeCheckingError", "errors": errors}),
    )
}

fn list_response(items: Vec<Value>, total: usize) -> Response {
    let mut resp = util::json(StatusCode::OK, Value::Array(items));
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        resp.headers_mut().insert("X-Total", v);
    }
    resp
}

fn text_response(status: StatusCode, text: String) -> Response {
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5::Md5::digest(data))
}

fn str_field<'a>(doc: &'a Map<String, Value>, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Adds the elastic4play metadata an entity carries on the wire.
fn with_meta(doc: &Map<String, Value>, kind: &str, routing: &str, parent: Option<&str>) -> Value {
    let mut out = Map::new();
    let id = str_field(doc, "id").to_owned();
    out.insert("_id".into(), Value::from(id.clone()));
    out.insert("_type".into(), Value::from(kind));
    out.insert("_routing".into(), Value::from(routing));
    out.insert(
        "_parent".into(),
        parent.map(Value::from).unwrap_or(Value::Null),
    );
    out.insert(
        "_seqNo".into(),
        doc.get("_seq").cloned().unwrap_or(Value::from(1)),
    );
    out.insert("_primaryTerm".into(), Value::from(1));
    for (k, v) in doc {
        if k != "_seq" {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// Requests

struct Req {
    method: Method,
    path: String,
    segs: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    json: Value,
}

impl Req {
    fn query_one(&self, name: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn seg(&self, i: usize) -> &str {
        self.segs.get(i).map(String::as_str).unwrap_or("")
    }

    fn body_query(&self) -> Value {
        self.json.get("query").cloned().unwrap_or(json!({}))
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
struct Caller {
    login: String,
    org: String,
    roles: Vec<String>,
}

impl Caller {
    fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    fn superadmin(&self) -> bool {
        self.has("superadmin")
    }

    fn orgadmin(&self) -> bool {
        self.has("orgadmin")
    }
}

// ---------------------------------------------------------------------------------------------
// Entities

fn now() -> Value {
    Value::from(util::now_ms())
}

// ---------------------------------------------------------------------------------------------
// Routes

async fn dispatch(
    AxState(c): AxState<Arc<Cortex>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let Some(rest) = path
        .strip_prefix("/api/")
        .or_else(|| (path == "/api").then_some(""))
    else {
        return text_response(
            StatusCode::NOT_FOUND,
            format!("A client error occurred on {method} {path} : Not Found"),
        );
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| s.to_owned())
        })
        .collect();
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    let json_body = if body.is_empty() || is_multipart {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => v,
            Err(e) => return bad_request(format!("Invalid Json: {e}")),
        }
    };
    let req = Req {
        method,
        path,
        segs,
        query,
        headers,
        body,
        json: json_body,
    };
    // The long poll runs outside the state lock.
    if req.method == Method::GET
        && req.segs.len() == 3
        && req.seg(0) == "job"
        && req.seg(2) == "waitreport"
    {
        return c.wait_report(&req).await;
    }
    c.route(&req)
}

/// Cortex's duration syntax for `atMost`: `1minute`, `30seconds`, `2 hours`, `500ms`, `Inf`.
fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return Some(Duration::from_secs(60));
    }
    if t == "inf" || t == "infinite" {
        return None;
    }
    let split = t.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let unit = unit.trim().trim_end_matches('s');
    let ms = match unit {
        "" | "m" | "milli" | "millisecond" => n,
        "second" | "sec" => n * 1000,
        "minute" | "min" => n * 60_000,
        "hour" | "h" => n * 3_600_000,
        "day" | "d" => n * 86_400_000,
        _ => return Some(Duration::from_secs(60)),
    };
    Some(Duration::from_millis(ms))
}

impl Cortex {
    async fn wait_report(&self, req: &Req) -> Response {
        let id = req.seg(1).to_owned();
        let at_most = req.query_one("atMost").unwrap_or_else(|| "1minute".into());
        // `Inf` is not a finite duration: Cortex cannot wait forever, so the lab caps it.
        let wait = parse_duration(&at_most).unwrap_or(Duration::from_secs(600));
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let end = {
                let st = util::lock(&self.state);
                let caller = match self.authenticate(&st, &req.headers) {
                    Ok(c) => c,
                    Err(resp) => return resp,
                };
                let Some(j) = st.jobs.get(&id).filter(|j| visible_job(&caller, j)) else {
                    return not_found("job", &id);
                };
                let status = job_status(j, util::now_ms());
                if matches!(status, "Success" | "Failure" | "Deleted") {
                    return util::json(StatusCode::OK, job_json(j, true));
                }
                job_end(j)
            };
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let st = util::lock(&self.state);
                return match st.jobs.get(&id) {
                    Some(j) => util::json(StatusCode::OK, job_json(j, true)),
                    None => not_found("job", &id),
                };
            }
            let until_end = u64::try_from(end - util::now_ms()).unwrap_or(0).max(5);
            let sleep = Duration::from_millis(until_end).min(deadline - now);
            tokio::time::sleep(sleep).await;
        }
    }

    fn route(&self, req: &Req) -> Response {
        let mut st = util::lock(&self.state);
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let m = &req.method;
        // Routes that need no user.
        match (m, segs.as_slice()) {
            (&Method::GET, ["status"]) => return util::json(StatusCode::OK, status_json()),
            (&Method::POST, ["maintenance", "migrate"]) => {
                st.migrated = true;
                // Creating the index also creates the organisation of the superadmins.
                if !st.orgs.contains_key(ADMIN_ORG) {
                    let o = new_org(ADMIN_ORG, "Cortex administrators", "init");
                    st.orgs.insert(ADMIN_ORG.into(), o);
                }
                return no_content();
            }
            _ => {}
        }
        if !st.migrated {
            // A fresh install: the index does not exist yet.
            let mut resp = util::json(
                StatusCode::from_u16(520).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Value::Null,
            );
            resp.headers_mut().remove(header::CONTENT_LENGTH);
            return resp;
        }
        match (m, segs.as_slice()) {
            (&Method::POST, ["login"]) => return self.login(&st, req),
            (&Method::GET, ["logout"]) => {
                let mut resp = no_content();
                resp.headers_mut().insert(
                    header::SET_COOKIE,
                    HeaderValue::from_static("CORTEX_SESSION=; Path=/; Max-Age=0"),
                );
                return resp;
            }
            _ => {}
        }
        let caller = match self.authenticate(&st, &req.headers) {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        match segs.first().copied().unwrap_or_default() {
            "organization" => return self.route_orgs(st, req, &caller),
            "user" => return self.route_users(st, req, &caller),
            "analyzerdefinition"
            | "responderdefinition"
            | "analyzerconfig"
            | "responderconfig"
            | "analyzer"
            | "responder" => return self.route_workers(st, req, &caller),
            "job" => return self.route_jobs(st, req, &caller),
            _ => {}
        }
        match (m, segs.as_slice()) {
            (&Method::GET, ["alert"]) => util::json(StatusCode::OK, json!([])),
            _ => unknown_route(req),
        }
    }
}

fn status_json() -> Value {
    json!({
        "versions": {
            "Cortex": "3.1.8-1",
            "Elastic4Play": "1.13.6",
            "Play": "2.8.19",
            "Elastic4s": "7.17.4",
            "ElasticSearch client": "7.17.1"
        },
        "config": {
            "protectDownloadsWith": "malware",
            "authType": ["key", "local"],
            "capabilities": ["authByKey", "changePassword", "setPassword"],
            "ssoAutoLogin": false
        }
    })
}

fn page_values(docs: Vec<Map<String, Value>>, req: &Req, query: &Value) -> Response {
    match search(docs, req, query) {
        Ok((page, total)) => list_response(page.into_iter().map(Value::Object).collect(), total),
        Err(resp) => resp,
    }
}

/// The answer to a path no route serves.
fn unknown_route(req: &Req) -> Response {
    text_response(
        StatusCode::NOT_FOUND,
        format!(
            "A client error occurred on {} {} : Not Found",
            req.method, req.path
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Build

fn bootstrap(st: &mut State) -> (String, String) {
    st.migrated = true;
    let password = util::random_alnum(20);
    let key = util::random_alnum(32);
    st.orgs.insert(
        ADMIN_ORG.into(),
        new_org(ADMIN_ORG, "Cortex administrators", "init"),
    );
    st.orgs.insert(
        DEFAULT_ORG.into(),
        new_org(
            DEFAULT_ORG,
            "The lab's analysts, with the lab's analyzers enabled",
            "admin",
        ),
    );
    let mut admin = new_user(
        "admin",
        "Administrator",
        ADMIN_ORG,
        &["superadmin".to_owned()],
        "init",
    );
    admin.password = Some(util::hash_password(&password));
    admin.key = Some(key.clone());
    st.users.insert("admin".into(), admin);
    let defaults = json!({
        "configuration": {"key": "lab-not-a-real-key", "from": "cortex@lab.invalid"},
        "jobCache": DEFAULT_JOB_CACHE_MIN,
    });
    for def in DEFINITIONS {
        if let Ok(w) = build_worker(def, DEFAULT_ORG, def.id, &defaults, "admin") {
            st.workers.insert(str_field(&w, "id").to_owned(), w);
        }
    }
    (password, key)
}

pub(crate) fn build(
    config: &LabConfig,
    restored: Option<Value>,
) -> Result<(Built, Arc<Cortex>), LabError> {
    let (state, creds) = match restored {
        Some(v) => (util::restore::<State>(Service::Cortex, v)?, None),
        None if config.cortex_fresh => (State::default(), None),
        None => {
            let mut st = State::default();
            let creds = bootstrap(&mut st);
            (st, Some(creds))
        }
    };
    // A restored state keeps its users; the lab hands out the admin's credentials when it
    // still knows them (the key, kept in clear as Cortex keeps it).
    let (username, password, api_key) = match creds {
        Some((pw, key)) => (Some("admin".to_owned()), Some(pw), Some(key)),
        None => match state.users.get("admin") {
            Some(u) => (Some("admin".to_owned()), None, u.key.clone()),
            None => (None, None, None),
        },
    };
    let backend = Arc::new(Cortex {
        state: Mutex::new(state),
        sessions: Mutex::new(HashMap::new()),
        malicious: config.malicious_indicators(),
    });
    let router = axum::Router::new()
        .fallback(dispatch)
        .with_state(backend.clone());
    let built = Built {
        router,
        backend: backend.clone(),
        username,
        password: password.map(SecretString::from),
        api_key: api_key.map(SecretString::from),
    };
    Ok((built, backend))
}
