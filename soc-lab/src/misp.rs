//! The MISP stand-in: events with attributes, objects and tags, restSearch, organisations, users,
//! roles and auth keys, feeds read from local directories, server settings and workers.
//!
//! Routes answer with and without the `.json` suffix, and CakePHP named parameters
//! (`/metadata:1`, `/scope:all`) are accepted after the positional ones. Numbers travel as MISP
//! sends them: ids and timestamps as strings, flags as booleans.
//!
//! Background jobs start broken as in a fresh misp-docker whose settings did not follow the
//! compose file: `SimpleBackgroundJobs.enabled` is false and both Redis hosts point at
//! `127.0.0.1` while Redis lives at `redis`. Workers come up as soon as the settings are right
//! (the supervisor of misp-docker restarts them on its own); `POST /servers/restartWorkers` is
//! accepted too. Jobs then run to completion inside the request that queues them.

mod attributes;
mod events;
mod feeds;
mod orgs_users;
mod search;
mod settings;
mod tags;
mod types;
mod users;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::response::Response;
use http::{header, HeaderMap, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use self::attributes::{attr_dup, build_attribute, build_object, edit_array};
use self::events::{all_attributes, build_event, render_event};
use self::orgs_users::new_org;
use self::search::{complex_matches, event_level_matches, num_field, page_of, present, with_count};
use self::settings::setting_defs;
use self::tags::{attached_tag, tag_names, tags_from_body};
use self::users::{new_auth_key, new_user, user_brief, user_full};
use crate::{util, Backend, Built, LabConfig, LabError, Service};

const MISP_VERSION: &str = "2.5.24";
const ADMIN_EMAIL: &str = "admin@admin.test";
const REDIS_HOST: &str = "redis";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuthKeyRec {
    doc: Map<String, Value>,
    /// Hex SHA-256 of the key: the clear key is shown once, at creation.
    hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    counters: BTreeMap<String, u64>,
    orgs: BTreeMap<u64, Map<String, Value>>,
    users: BTreeMap<u64, Map<String, Value>>,
    /// `salt$sha256` of user passwords, by user id.
    passwords: BTreeMap<u64, String>,
    auth_keys: BTreeMap<u64, AuthKeyRec>,
    events: BTreeMap<u64, Map<String, Value>>,
    tags: BTreeMap<u64, Map<String, Value>>,
    feeds: BTreeMap<u64, Map<String, Value>>,
    /// Settings changed from their defaults.
    settings: BTreeMap<String, Value>,
    jobs: BTreeMap<u64, Map<String, Value>>,
}

/// The MISP service's state.
pub(crate) struct Misp {
    state: Mutex<State>,
}

impl Backend for Misp {
    fn snapshot(&self) -> Value {
        serde_json::to_value(&*util::lock(&self.state)).unwrap_or_default()
    }

    fn restart(&self) {
        // MISP keeps no sessions for key-authenticated callers.
    }
}

// ---------------------------------------------------------------------------------------------
// Small JSON tools and MISP's answer shapes

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

fn now_s() -> String {
    util::now_s().to_string()
}

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or("")
}

fn id_of(m: &Map<String, Value>) -> u64 {
    m.get("id")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_u64())
        })
        .unwrap_or(0)
}

/// A scalar as MISP's PHP reads it for a string field.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        _ => None,
    }
}

/// A flag as PHP casts it: `true`, `1`, `"1"` are true; `"0"`, `""`, `0`, `false` are false.
fn as_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => Some(!(s.is_empty() || s == "0")),
        _ => None,
    }
}

fn misp_error(status: StatusCode, message: &str, url: &str) -> Response {
    util::json(
        status,
        json!({"name": message, "message": message, "url": url}),
    )
}

/// The 403 MISP answers a caller without the right.
fn not_authorised(url: &str) -> Response {
    misp_error(
        StatusCode::FORBIDDEN,
        "You are not authorized to access this resource.",
        url,
    )
}

/// The 500 MISP answers when its background jobs cannot run.
fn internal_error(url: &str) -> Response {
    misp_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "An Internal Error Has Occurred.",
        url,
    )
}

fn save_success(message: &str, url: &str, id: Option<u64>) -> Response {
    let mut v =
        json!({"saved": true, "success": true, "name": message, "message": message, "url": url});
    if let (Some(id), Some(obj)) = (id, v.as_object_mut()) {
        obj.insert("id".into(), s(id));
    }
    util::json(StatusCode::OK, v)
}

fn save_fail(action: &str, model: &str, url: &str, errors: Value) -> Response {
    let name = format!("Could not {action} {model}");
    util::json(
        StatusCode::FORBIDDEN,
        json!({"saved": false, "name": name, "message": name, "url": url, "errors": errors}),
    )
}

/// The object under `key` when the body wraps it (`{"Event": {...}}`), else the body itself.
fn unwrap_body(body: &Value, key: &str) -> Map<String, Value> {
    match body.get(key) {
        Some(Value::Object(m)) => m.clone(),
        _ => body.as_object().cloned().unwrap_or_default(),
    }
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    util::wildcard(&pattern.to_lowercase(), &text.to_lowercase(), '%', None)
}

// ---------------------------------------------------------------------------------------------
// Requests

struct Req {
    method: Method,
    /// The path as called, for error bodies.
    url: String,
    segs: Vec<String>,
    named: BTreeMap<String, String>,
    query: Vec<(String, String)>,
    body: Value,
}

impl Req {
    fn param(&self, k: &str) -> Option<String> {
        self.named.get(k).cloned().or_else(|| {
            self.query
                .iter()
                .find(|(q, _)| q == k)
                .map(|(_, v)| v.clone())
        })
    }
}

#[derive(Debug, Clone)]
struct Caller {
    user_id: u64,
    org_id: u64,
    role_id: u64,
    email: String,
}

impl Caller {
    fn site_admin(&self) -> bool {
        self.role_id == 1
    }

    fn org_admin(&self) -> bool {
        matches!(self.role_id, 1 | 2)
    }

    fn can_write(&self) -> bool {
        self.role_id != 6
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

/// `(id, name, perm_site_admin, perm_admin, perm_add, perm_publish, perm_sync, permission)`.
type RoleDef = (
    u64,
    &'static str,
    bool,
    bool,
    bool,
    bool,
    bool,
    &'static str,
);

const ROLES: &[RoleDef] = &[
    (1, "admin", true, true, true, true, true, "3"),
    (2, "Org Admin", false, true, true, true, false, "3"),
    (3, "User", false, false, true, false, false, "2"),
    (4, "Publisher", false, false, true, true, false, "3"),
    (5, "Sync user", false, false, true, true, true, "3"),
    (6, "Read Only", false, false, false, false, false, "0"),
];

fn role_json(id: u64) -> Value {
    let Some((id, name, site, admin, add, publish, sync, permission)) =
        ROLES.iter().find(|r| r.0 == id).copied()
    else {
        return Value::Null;
    };
    let desc = match permission {
        "0" => "read_only",
        "1" => "manage_own",
        "2" => "manage_org",
        _ => "publish",
    };
    json!({
        "id": s(id), "name": name, "created": "2025-01-01 00:00:00", "modified": "2025-01-01 00:00:00",
        "perm_add": add, "perm_modify": add, "perm_modify_org": add, "perm_publish": publish,
        "perm_delegate": publish, "perm_sync": sync, "perm_admin": admin, "perm_audit": admin,
        "perm_full": site, "perm_auth": true, "perm_site_admin": site, "perm_regexp_access": site,
        "perm_tagger": add, "perm_template": admin, "perm_sharing_group": admin,
        "perm_tag_editor": add, "perm_sighting": true, "perm_object_template": site,
        "default_role": id == 3, "memory_limit": "", "max_execution_time": "",
        "restricted_to_site_admin": false, "perm_publish_zmq": publish, "perm_publish_kafka": publish,
        "perm_decaying": add, "enforce_rate_limit": false, "rate_limit_count": "0",
        "perm_galaxy_editor": add, "perm_warninglist": site, "perm_view_feed_correlations": true,
        "perm_analyst_data": add, "perm_skip_otp": false, "permission": permission,
        "permission_description": desc,
    })
}

impl State {
    fn next(&mut self, table: &str) -> u64 {
        let c = self.counters.entry(table.to_owned()).or_insert(0);
        *c += 1;
        *c
    }

    fn setting(&self, name: &str) -> Option<Value> {
        self.settings.get(name).cloned().or_else(|| {
            setting_defs()
                .into_iter()
                .find(|d| d.0 == name)
                .map(|d| d.1)
        })
    }

    fn setting_str(&self, name: &str) -> String {
        self.setting(name)
            .as_ref()
            .and_then(as_text)
            .unwrap_or_default()
    }

    fn redis_ok(&self) -> bool {
        self.setting_str("MISP.redis_host") == REDIS_HOST
            && self.setting_str("MISP.redis_port") == "6379"
    }

    fn jobs_ok(&self) -> bool {
        self.setting("SimpleBackgroundJobs.enabled")
            .as_ref()
            .and_then(as_flag)
            == Some(true)
            && self.setting_str("SimpleBackgroundJobs.redis_host") == REDIS_HOST
            && self.setting_str("SimpleBackgroundJobs.redis_port") == "6379"
    }

    fn org_brief(&self, id: u64) -> Value {
        match self.orgs.get(&id) {
            Some(o) => {
                json!({"id": s(id), "name": str_of(o, "name"), "uuid": str_of(o, "uuid"), "local": o.get("local").cloned().unwrap_or(json!(true))})
            }
            None => json!({"id": s(id), "name": "", "uuid": "", "local": true}),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Routing

async fn dispatch(
    AxState(m): AxState<Arc<Misp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = uri.path().to_owned();
    let mut segs: Vec<String> = Vec::new();
    let mut named = BTreeMap::new();
    for raw in url.split('/').filter(|p| !p.is_empty()) {
        let decoded =
            url::form_urlencoded::parse(format!("x={}", raw.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| raw.to_owned());
        // PyMISP turns spaces into `+` in paths for CakePHP.
        let decoded = decoded.replace('+', " ");
        match decoded.split_once(':') {
            Some((k, v))
                if !segs.is_empty()
                    && !k.is_empty()
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                named.insert(k.to_owned(), v.to_owned());
            }
            _ => segs.push(decoded),
        }
    }
    if let Some(last) = segs.last_mut() {
        if let Some(stripped) = last.strip_suffix(".json") {
            *last = stripped.to_owned();
        }
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => v,
            Err(e) => {
                return misp_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Invalid JSON input: {e}"),
                    &url,
                )
            }
        }
    };
    let req = Req {
        method,
        url,
        segs,
        named,
        query,
        body,
    };
    m.route(&req, &headers)
}

impl Misp {
    fn authenticate(&self, st: &mut State, headers: &HeaderMap) -> Option<Caller> {
        let key = headers
            .get(header::AUTHORIZATION)
            .or_else(|| headers.get("X-MISP-AUTH"))
            .and_then(|v| v.to_str().ok())?
            .trim()
            .to_owned();
        if key.len() != 40 {
            return None;
        }
        let hash = util::sha256_hex(key.as_bytes());
        let now = util::now_s();
        let rec = st.auth_keys.values_mut().find(|k| k.hash == hash)?;
        let expiration = num_field(&rec.doc, "expiration");
        if expiration != 0 && expiration < now {
            return None;
        }
        rec.doc.insert("last_used".into(), s(now));
        let user_id: u64 = str_of(&rec.doc, "user_id").parse().ok()?;
        let u = st.users.get(&user_id)?;
        if u.get("disabled").and_then(as_flag) == Some(true) {
            return None;
        }
        Some(Caller {
            user_id,
            org_id: str_of(u, "org_id").parse().unwrap_or(0),
            role_id: str_of(u, "role_id").parse().unwrap_or(3),
            email: str_of(u, "email").to_owned(),
        })
    }

    fn route(&self, req: &Req, headers: &HeaderMap) -> Response {
        let mut guard = util::lock(&self.state);
        let st = &mut *guard;
        let Some(caller) = self.authenticate(st, headers) else {
            return misp_error(
                StatusCode::FORBIDDEN,
                "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.",
                &req.url,
            );
        };
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match segs.as_slice() {
            ["servers", "getVersion"] => util::json(
                StatusCode::OK,
                json!({"version": MISP_VERSION, "pymisp_recommended_version": MISP_VERSION, "perm_sync": caller.site_admin(), "perm_sighting": true, "perm_galaxy_editor": caller.can_write(), "perm_analyst_data": caller.can_write(), "uuid": "-", "request_encoding": ["gzip", "br"], "filter_sightings": true}),
            ),
            ["servers", "getPyMISPVersion"] => {
                util::json(StatusCode::OK, json!({"version": MISP_VERSION}))
            }
            ["attributes", "describeTypes"] => util::json(StatusCode::OK, types::describe_types()),
            [first, ..] => match *first {
                "users" | "admin" | "roles" | "organisations" | "auth_keys" => {
                    self.route_accounts(st, req, &caller)
                }
                "events" => self.route_events(st, req, &caller),
                "attributes" | "objects" => self.route_attributes(st, req, &caller),
                "tags" => self.route_tags(st, req, &caller),
                "feeds" => self.route_feeds(st, req, &caller),
                "jobs" | "servers" => self.route_settings(st, req, &caller),
                _ => unknown_route(req),
            },
            [] => unknown_route(req),
        }
    }
}

/// The answer to a path no route serves.
fn unknown_route(req: &Req) -> Response {
    misp_error(
        StatusCode::NOT_FOUND,
        &format!(
            "The requested address '{}' was not found on this server.",
            req.url
        ),
        &req.url,
    )
}

// ---------------------------------------------------------------------------------------------
// Build

pub(crate) fn build(_config: &LabConfig, restored: Option<Value>) -> Result<Built, LabError> {
    let (state, creds) = match restored {
        Some(v) => (util::restore::<State>(Service::Misp, v)?, None),
        None => {
            let mut st = State::default();
            let org = new_org(&mut st, "ORGNAME", 0, true, None);
            let admin = new_user(&mut st, ADMIN_EMAIL, org, 1, 0);
            let password = util::random_alnum(20);
            st.passwords.insert(admin, util::hash_password(&password));
            let mut comment = Map::new();
            comment.insert("comment".into(), s("Initial key of the lab"));
            let (_, key) = new_auth_key(&mut st, admin, &comment, None);
            // Settings keep their defaults until changed; the salt is drawn once and kept.
            if let Some(salt) = setting_defs().into_iter().find(|d| d.0 == "Security.salt") {
                st.settings.insert(salt.0.into(), salt.1);
            }
            (st, Some((password, key)))
        }
    };
    let username = state
        .users
        .values()
        .find(|u| str_of(u, "email") == ADMIN_EMAIL)
        .map(|_| ADMIN_EMAIL.to_owned());
    let backend = Arc::new(Misp {
        state: Mutex::new(state),
    });
    let router = axum::Router::new()
        .fallback(dispatch)
        .with_state(backend.clone());
    let (password, api_key) = match creds {
        Some((p, k)) => (Some(SecretString::from(p)), Some(SecretString::from(k))),
        None => (None, None),
    };
    Ok(Built {
        router,
        backend,
        username,
        password,
        api_key,
    })
}
