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

mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::response::Response;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

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
// Roles and settings

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

/// `(name, default, type, level, description, test, redacted)`.
type SettingDef = (
    &'static str,
    Value,
    &'static str,
    u8,
    &'static str,
    &'static str,
    bool,
);

fn setting_defs() -> Vec<SettingDef> {
    vec![
        ("MISP.baseurl", json!("https://misp.local"), "string", 0, "The base url of the application (in the format https://www.mymispinstance.com or https://myserver.com/misp).", "testBaseURL", false),
        ("MISP.external_baseurl", json!(""), "string", 1, "The base url used by the application when generating links to itself for external users.", "testBaseURL", false),
        ("MISP.live", json!(true), "boolean", 0, "Unless set to true, the instance will only be accessible by site admins.", "testLive", false),
        ("MISP.org", json!("ORGNAME"), "string", 1, "The organisation tag of the hosting organisation.", "testForEmpty", false),
        ("MISP.background_jobs", json!(true), "boolean", 1, "Enables the use of MISP's background processing.", "testBool", false),
        ("MISP.default_event_distribution", json!("1"), "string", 0, "The default distribution setting for events (0-3).", "testForEmpty", false),
        ("MISP.disable_emailing", json!(true), "boolean", 1, "You can disable all e-mailing using this setting.", "testDisableEmail", false),
        ("MISP.redis_host", json!("127.0.0.1"), "string", 0, "The host running the redis server to be used for generic MISP tasks such as caching.", "testForEmpty", false),
        ("MISP.redis_port", json!(6379), "numeric", 0, "The port used by the redis server to be used for generic MISP tasks such as caching.", "testForNumeric", false),
        ("MISP.redis_database", json!(13), "numeric", 0, "The database on the redis server to be used for generic MISP tasks.", "testForNumeric", false),
        ("MISP.redis_password", json!(""), "string", 0, "The password on the redis server (if any) to be used for generic MISP tasks.", "", true),
        ("Security.salt", json!(util::random_alnum(32)), "string", 0, "The salt used for the hashed passwords.", "testSalt", true),
        ("Security.advanced_authkeys", json!(true), "boolean", 0, "Advanced authkeys will allow each user to create and manage a set of authkeys for themselves, each with individual expirations and comments.", "testBool", false),
        ("SimpleBackgroundJobs.enabled", json!(false), "boolean", 0, "Enables or disables background jobs with Supervisor backend.", "testBool", false),
        ("SimpleBackgroundJobs.redis_host", json!("127.0.0.1"), "string", 0, "The host running the redis server to be used for background jobs.", "testForEmpty", false),
        ("SimpleBackgroundJobs.redis_port", json!(6379), "numeric", 0, "The port used by the redis server to be used for background jobs.", "testForNumeric", false),
        ("SimpleBackgroundJobs.redis_database", json!(1), "numeric", 0, "The database on the redis server to be used for background jobs.", "testForNumeric", false),
        ("SimpleBackgroundJobs.redis_password", json!(""), "string", 0, "The password on the redis server (if any) to be used for background jobs.", "", true),
        ("SimpleBackgroundJobs.redis_namespace", json!("background_jobs"), "string", 0, "The namespace to be used for the background jobs related keys.", "testForEmpty", false),
        ("SimpleBackgroundJobs.max_job_history_ttl", json!(86400), "numeric", 0, "The time in seconds the job statuses history will be kept.", "testForNumeric", false),
        ("SimpleBackgroundJobs.supervisor_host", json!("localhost"), "string", 0, "The host where the Supervisor XML-RPC API is running.", "testForEmpty", false),
        ("SimpleBackgroundJobs.supervisor_port", json!(9001), "numeric", 0, "The port where the Supervisor XML-RPC API is running.", "testForNumeric", false),
        ("SimpleBackgroundJobs.supervisor_user", json!("supervisor"), "string", 0, "The user of the Supervisor XML-RPC API.", "", false),
        ("SimpleBackgroundJobs.supervisor_password", json!(""), "string", 0, "The password of the Supervisor XML-RPC API.", "", true),
        ("Plugin.Enrichment_services_enable", json!(false), "boolean", 0, "Enable/disable the enrichment services", "testBool", false),
        ("Plugin.Enrichment_services_url", json!("http://misp-modules"), "string", 0, "The url used to access the enrichment services.", "", false),
        ("Plugin.Enrichment_services_port", json!(6666), "numeric", 0, "The port used to access the enrichment services.", "testForNumeric", false),
    ]
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
// Entities

fn new_org(st: &mut State, name: &str, by: u64, local: bool, uuid: Option<String>) -> u64 {
    let id = st.next("org");
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut o = Map::new();
    o.insert("id".into(), s(id));
    o.insert("name".into(), s(name));
    o.insert("date_created".into(), s(&now));
    o.insert("date_modified".into(), s(&now));
    o.insert("description".into(), s(""));
    o.insert("type".into(), s(""));
    o.insert("nationality".into(), s(""));
    o.insert("sector".into(), s(""));
    o.insert("created_by".into(), s(by));
    o.insert("uuid".into(), s(uuid.unwrap_or_else(util::uuid4)));
    o.insert("contacts".into(), s(""));
    o.insert("local".into(), json!(local));
    o.insert("restricted_to_domain".into(), json!([]));
    o.insert("landingpage".into(), Value::Null);
    st.orgs.insert(id, o);
    id
}

fn new_user(st: &mut State, email: &str, org_id: u64, role_id: u64, by: u64) -> u64 {
    let id = st.next("user");
    let now = now_s();
    let u = json!({
        "id": s(id), "org_id": s(org_id), "email": email, "autoalert": false,
        "invited_by": s(by), "gpgkey": "", "certif_public": "", "nids_sid": s(4_000_000 + id),
        "termsaccepted": true, "newsread": "0", "role_id": s(role_id), "change_pw": false,
        "contactalert": false, "disabled": false, "expiration": null, "current_login": "0",
        "last_login": "0", "force_logout": false, "date_created": now, "date_modified": now,
        "sub": null, "external_auth_required": false, "external_auth_key": null,
        "last_api_access": "0", "notification_daily": false, "notification_weekly": false,
        "notification_monthly": false, "totp": null, "hotp_counter": null, "last_pw_change": now,
    });
    if let Value::Object(m) = u {
        st.users.insert(id, m);
    }
    id
}

fn new_auth_key(
    st: &mut State,
    user_id: u64,
    body: &Map<String, Value>,
    key: Option<String>,
) -> (u64, String) {
    let id = st.next("auth_key");
    let key = key.unwrap_or_else(|| util::random_alnum(40));
    let doc = json!({
        "id": s(id),
        "uuid": util::uuid4(),
        "authkey_start": &key[..4.min(key.len())],
        "authkey_end": &key[key.len().saturating_sub(4)..],
        "created": now_s(),
        "expiration": body.get("expiration").and_then(as_text).unwrap_or_else(|| "0".into()),
        "read_only": body.get("read_only").and_then(as_flag).unwrap_or(false),
        "user_id": s(user_id),
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "allowed_ips": body.get("allowed_ips").cloned().unwrap_or(Value::Null),
        "unique_ips": [],
        "last_used": null,
    });
    if let Value::Object(doc) = doc {
        st.auth_keys.insert(
            id,
            AuthKeyRec {
                doc,
                hash: util::sha256_hex(key.as_bytes()),
            },
        );
    }
    (id, key)
}

fn tag_doc(id: u64, name: &str, body: &Map<String, Value>, user_id: u64) -> Map<String, Value> {
    let colour = body
        .get("colour")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", util::random_hex(6)));
    let v = json!({
        "id": s(id), "name": name, "colour": colour,
        "exportable": body.get("exportable").and_then(as_flag).unwrap_or(true),
        "org_id": body.get("org_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "user_id": s(user_id),
        "hide_tag": body.get("hide_tag").and_then(as_flag).unwrap_or(false),
        "numerical_value": body.get("numerical_value").cloned().unwrap_or(Value::Null),
        "is_galaxy": name.starts_with("misp-galaxy:"),
        "is_custom_galaxy": false,
        "local_only": body.get("local_only").and_then(as_flag).unwrap_or(false),
    });
    v.as_object().cloned().unwrap_or_default()
}

/// The tag with this name (or id), created when it does not exist.
fn capture_tag(st: &mut State, name_or_id: &str, user_id: u64) -> Option<u64> {
    if let Ok(id) = name_or_id.parse::<u64>() {
        return st.tags.contains_key(&id).then_some(id);
    }
    let name = name_or_id.trim();
    if name.is_empty() {
        return None;
    }
    if let Some((id, _)) = st.tags.iter().find(|(_, t)| str_of(t, "name") == name) {
        return Some(*id);
    }
    let id = st.next("tag");
    st.tags.insert(id, tag_doc(id, name, &Map::new(), user_id));
    Some(id)
}

/// A tag as it appears attached to an event or attribute.
fn attached_tag(st: &State, id: u64, local: bool) -> Value {
    let mut t = st.tags.get(&id).cloned().unwrap_or_default();
    t.remove("org_id");
    t.insert("local".into(), json!(local));
    t.insert("relationship_type".into(), Value::Null);
    Value::Object(t)
}

/// Tags from a body's `Tag` list (`[{"name": ..}]` or names), as attached tags.
fn tags_from_body(st: &mut State, body: &Map<String, Value>, user_id: u64) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let items = body
        .get("Tag")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in items {
        let (name, local) = match &item {
            Value::String(n) => (n.clone(), false),
            Value::Object(m) => (
                m.get("name").and_then(as_text).unwrap_or_default(),
                m.get("local").and_then(as_flag).unwrap_or(false),
            ),
            _ => continue,
        };
        if let Some(id) = capture_tag(st, &name, user_id) {
            let tag = attached_tag(st, id, local);
            if !out.iter().any(|t| t.get("id") == tag.get("id")) {
                out.push(tag);
            }
        }
    }
    out
}

fn tag_names(m: &Map<String, Value>) -> Vec<String> {
    m.get("Tag")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds an attribute from a body, or the validation errors MISP answers.
fn build_attribute(
    st: &mut State,
    body: &Map<String, Value>,
    event_id: u64,
    object_id: u64,
    user_id: u64,
    default_distribution: &str,
) -> Result<Map<String, Value>, Value> {
    let mut errors = Map::new();
    let t = body.get("type").and_then(as_text).unwrap_or_default();
    let value = body.get("value").and_then(as_text).unwrap_or_default();
    if t.is_empty() {
        errors.insert("type".into(), json!(["The type field is required."]));
    } else if !types::known_type(&t) {
        errors.insert(
            "type".into(),
            json!(["Options depend on the selected category."]),
        );
    }
    if value.trim().is_empty() {
        errors.insert("value".into(), json!(["Value not set."]));
    }
    let (default_cat, default_ids) = types::sane_default(&t).unwrap_or(("Other", false));
    let category = body
        .get("category")
        .and_then(as_text)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| default_cat.to_owned());
    if errors.is_empty() && !types::category_allows(&category, &t) {
        errors.insert(
            "category".into(),
            json!(["Options depend on the selected type."]),
        );
    }
    if !errors.is_empty() {
        return Err(Value::Object(errors));
    }
    let id = st.next("attribute");
    let tags = tags_from_body(st, body, user_id);
    let mut a = json!({
        "id": s(id),
        "type": t,
        "category": category,
        "to_ids": body.get("to_ids").and_then(as_flag).unwrap_or(default_ids),
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "event_id": s(event_id),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| default_distribution.to_owned()),
        "timestamp": body.get("timestamp").and_then(as_text).unwrap_or_else(now_s),
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "sharing_group_id": body.get("sharing_group_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "deleted": false,
        "disable_correlation": body.get("disable_correlation").and_then(as_flag).unwrap_or(false),
        "object_id": s(object_id),
        "object_relation": body.get("object_relation").cloned().unwrap_or(Value::Null),
        "first_seen": body.get("first_seen").cloned().unwrap_or(Value::Null),
        "last_seen": body.get("last_seen").cloned().unwrap_or(Value::Null),
        "value": value.trim(),
    });
    if let Some(obj) = a.as_object_mut() {
        if !tags.is_empty() {
            obj.insert("Tag".into(), Value::Array(tags));
        }
    }
    Ok(a.as_object().cloned().unwrap_or_default())
}

fn build_object(
    st: &mut State,
    body: &Map<String, Value>,
    event_id: u64,
    user_id: u64,
) -> Result<Map<String, Value>, Value> {
    let name = body.get("name").and_then(as_text).unwrap_or_default();
    if name.is_empty() {
        return Err(json!({"name": ["The name field is required."]}));
    }
    let id = st.next("object");
    let attrs_in = body
        .get("Attribute")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut attrs = Vec::new();
    for a in attrs_in {
        let am = a.as_object().cloned().unwrap_or_default();
        attrs.push(Value::Object(build_attribute(
            st, &am, event_id, id, user_id, "5",
        )?));
    }
    if attrs.is_empty() {
        return Err(json!({"Attribute": ["An object needs at least one attribute."]}));
    }
    let o = json!({
        "id": s(id),
        "name": name,
        "meta-category": body.get("meta-category").and_then(as_text).unwrap_or_else(|| "misc".into()),
        "description": body.get("description").and_then(as_text).unwrap_or_default(),
        "template_uuid": body.get("template_uuid").and_then(as_text).unwrap_or_default(),
        "template_version": body.get("template_version").and_then(as_text).unwrap_or_else(|| "1".into()),
        "event_id": s(event_id),
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "timestamp": now_s(),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| "5".into()),
        "sharing_group_id": "0",
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "deleted": false,
        "first_seen": null,
        "last_seen": null,
        "ObjectReference": [],
        "Attribute": attrs,
    });
    Ok(o.as_object().cloned().unwrap_or_default())
}

fn attr_dup(event: &Map<String, Value>, a: &Map<String, Value>) -> bool {
    event
        .get("Attribute")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter().any(|x| {
                x.get("deleted") != Some(&json!(true))
                    && x.get("value") == a.get("value")
                    && x.get("type") == a.get("type")
                    && x.get("category") == a.get("category")
            })
        })
}

/// Runs `f` on the array under `k` (created when missing or not an array).
fn edit_array<T>(m: &mut Map<String, Value>, k: &str, f: impl FnOnce(&mut Vec<Value>) -> T) -> T {
    let mut items = match m.remove(k) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let out = f(&mut items);
    m.insert(k.to_owned(), Value::Array(items));
    out
}

/// Builds an event (with its attributes, objects and tags) from a body.
fn build_event(
    st: &mut State,
    body: &Map<String, Value>,
    caller: &Caller,
) -> Result<Map<String, Value>, Value> {
    let info = body.get("info").and_then(as_text).unwrap_or_default();
    if info.trim().is_empty() {
        return Err(json!({"info": ["Info cannot be empty."]}));
    }
    let id = st.next("event");
    let orgc_id = match body.get("Orgc").and_then(Value::as_object) {
        Some(orgc) => capture_org(st, orgc, caller.user_id),
        None => body
            .get("orgc_id")
            .and_then(as_text)
            .and_then(|v| v.parse().ok())
            .filter(|o| st.orgs.contains_key(o))
            .unwrap_or(caller.org_id),
    };
    let now = now_s();
    let published = body.get("published").and_then(as_flag).unwrap_or(false);
    let mut ev = json!({
        "id": s(id),
        "orgc_id": s(orgc_id),
        "org_id": s(caller.org_id),
        "date": body.get("date").and_then(as_text).unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string()),
        "threat_level_id": body.get("threat_level_id").and_then(as_text).unwrap_or_else(|| "4".into()),
        "info": info,
        "published": published,
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "attribute_count": "0",
        "analysis": body.get("analysis").and_then(as_text).unwrap_or_else(|| "0".into()),
        "timestamp": body.get("timestamp").and_then(as_text).unwrap_or_else(|| now.clone()),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| st.setting_str("MISP.default_event_distribution")),
        "proposal_email_lock": false,
        "locked": false,
        "publish_timestamp": if published { body.get("publish_timestamp").and_then(as_text).unwrap_or_else(|| now.clone()) } else { "0".into() },
        "sharing_group_id": body.get("sharing_group_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "disable_correlation": false,
        "extends_uuid": body.get("extends_uuid").and_then(as_text).unwrap_or_default(),
        "protected": null,
        "event_creator_email": caller.email,
        "Attribute": [],
        "Object": [],
        "Tag": [],
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let tags = tags_from_body(st, body, caller.user_id);
    ev.insert("Tag".into(), Value::Array(tags));
    for a in body
        .get("Attribute")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let am = a.as_object().cloned().unwrap_or_default();
        let attr = build_attribute(st, &am, id, 0, caller.user_id, "5")?;
        if !attr_dup(&ev, &attr) {
            edit_array(&mut ev, "Attribute", |l| l.push(Value::Object(attr)));
        }
    }
    for o in body
        .get("Object")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let om = o.as_object().cloned().unwrap_or_default();
        let obj = build_object(st, &om, id, caller.user_id)?;
        edit_array(&mut ev, "Object", |l| l.push(Value::Object(obj)));
    }
    Ok(ev)
}

fn capture_org(st: &mut State, orgc: &Map<String, Value>, by: u64) -> u64 {
    let uuid = str_of(orgc, "uuid");
    let name = str_of(orgc, "name");
    if let Some((id, _)) = st.orgs.iter().find(|(_, o)| {
        (!uuid.is_empty() && str_of(o, "uuid") == uuid)
            || (!name.is_empty() && str_of(o, "name") == name)
    }) {
        return *id;
    }
    let name = if name.is_empty() { "Unknown" } else { name };
    let uuid = (!uuid.is_empty()).then(|| uuid.to_owned());
    new_org(st, name, by, false, uuid)
}

fn all_attributes(ev: &Map<String, Value>) -> Vec<&Value> {
    let mut out: Vec<&Value> = ev
        .get("Attribute")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if let Some(objs) = ev.get("Object").and_then(Value::as_array) {
        for o in objs {
            if o.get("deleted") == Some(&json!(true)) {
                continue;
            }
            if let Some(attrs) = o.get("Attribute").and_then(Value::as_array) {
                out.extend(attrs.iter());
            }
        }
    }
    out.retain(|a| a.get("deleted") != Some(&json!(true)));
    out
}

/// An event as `events/view` shows it.
fn render_event(st: &State, ev: &Map<String, Value>, metadata: bool) -> Value {
    let mut out = ev.clone();
    let count = all_attributes(ev).len();
    out.insert("attribute_count".into(), s(count));
    let org_id = str_of(ev, "org_id").parse().unwrap_or(0);
    let orgc_id = str_of(ev, "orgc_id").parse().unwrap_or(0);
    out.insert("Org".into(), st.org_brief(org_id));
    out.insert("Orgc".into(), st.org_brief(orgc_id));
    if let Some(Value::Array(attrs)) = out.get_mut("Attribute") {
        attrs.retain(|a| a.get("deleted") != Some(&json!(true)));
    }
    if let Some(Value::Array(objs)) = out.get_mut("Object") {
        objs.retain(|o| o.get("deleted") != Some(&json!(true)));
    }
    if metadata {
        out.remove("Attribute");
        out.remove("Object");
    } else {
        out.insert("ShadowAttribute".into(), json!([]));
        out.insert("RelatedEvent".into(), json!([]));
        out.insert("Galaxy".into(), json!([]));
        out.insert("EventReport".into(), json!([]));
        out.insert("CryptographicKey".into(), json!([]));
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// restSearch filters

/// A filter value split as MISP reads it: OR / AND / NOT lists (`!` marks a negation).
fn complex(v: &Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut or = Vec::new();
    let mut and = Vec::new();
    let mut not = Vec::new();
    let mut push = |x: &Value, target: &str| {
        if let Some(t) = as_text(x) {
            if let Some(neg) = t.strip_prefix('!') {
                not.push(neg.to_owned());
            } else if target == "and" {
                and.push(t);
            } else if target == "not" {
                not.push(t);
            } else {
                or.push(t);
            }
        }
    };
    match v {
        Value::Array(items) => items.iter().for_each(|x| push(x, "or")),
        Value::Object(m) => {
            for (k, vals) in m {
                let target = k.to_lowercase();
                match vals {
                    Value::Array(items) => items.iter().for_each(|x| push(x, &target)),
                    other => push(other, &target),
                }
            }
        }
        other => push(other, "or"),
    }
    (or, and, not)
}

fn complex_matches(spec: &Value, candidates: &[String], wildcard: bool) -> bool {
    let (or, and, not) = complex(spec);
    let hit = |p: &String| {
        candidates.iter().any(|c| {
            if wildcard {
                wildcard_match(p, c)
            } else {
                p.eq_ignore_ascii_case(c)
            }
        })
    };
    (or.is_empty() || or.iter().any(hit)) && and.iter().all(hit) && !not.iter().any(hit)
}

fn present<'a>(q: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    q.get(k).filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    })
}

/// A point in time from `1700000000`, `"7d"`, `"24h"`, `"2025-11-24"`.
fn parse_time(v: &Value) -> Option<i64> {
    let t = as_text(v)?;
    let t = t.trim();
    if let Ok(n) = t.parse::<f64>() {
        return Some(n as i64);
    }
    let units = [
        ('s', 1),
        ('m', 60),
        ('h', 3600),
        ('d', 86400),
        ('w', 604_800),
    ];
    for (u, secs) in units {
        if let Some(n) = t.strip_suffix(u).and_then(|n| n.parse::<i64>().ok()) {
            return Some(util::now_s() - n * secs);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

fn time_matches(spec: &Value, ts: i64) -> bool {
    match spec {
        Value::Array(items) if items.len() == 2 => {
            let from = parse_time(&items[0]).unwrap_or(i64::MIN);
            let to = parse_time(&items[1]).unwrap_or(i64::MAX);
            ts >= from && ts <= to
        }
        other => parse_time(other).is_none_or(|from| ts >= from),
    }
}

fn num_field(m: &Map<String, Value>, k: &str) -> i64 {
    m.get(k)
        .and_then(as_text)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

fn flag_filter(spec: &Value, actual: bool) -> bool {
    match spec {
        Value::Array(items) => items.iter().any(|x| as_flag(x) == Some(actual)),
        other => as_flag(other).is_none_or(|f| f == actual),
    }
}

fn event_level_matches(st: &State, q: &Map<String, Value>, ev: &Map<String, Value>) -> bool {
    if let Some(v) = present(q, "eventid") {
        let cands = vec![str_of(ev, "id").to_owned(), str_of(ev, "uuid").to_owned()];
        if !complex_matches(v, &cands, false) {
            return false;
        }
    }
    if let Some(v) = present(q, "published") {
        if !flag_filter(v, ev.get("published").and_then(as_flag).unwrap_or(false)) {
            return false;
        }
    }
    if let Some(v) = present(q, "org") {
        let org_id: u64 = str_of(ev, "orgc_id").parse().unwrap_or(0);
        let org = st.orgs.get(&org_id);
        let cands: Vec<String> = vec![
            org_id.to_string(),
            org.map(|o| str_of(o, "name").to_owned())
                .unwrap_or_default(),
            org.map(|o| str_of(o, "uuid").to_owned())
                .unwrap_or_default(),
        ];
        if !complex_matches(v, &cands, false) {
            return false;
        }
    }
    for key in ["threat_level_id", "threatlevel"] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(ev, "threat_level_id").to_owned()], false) {
                return false;
            }
        }
    }
    for key in ["analysis", "distribution"] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(ev, key).to_owned()], false) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "eventinfo") {
        if !complex_matches(v, &[str_of(ev, "info").to_owned()], true) {
            return false;
        }
    }
    if let Some(v) = present(q, "last") {
        let published = num_field(ev, "publish_timestamp");
        if published == 0 || !time_matches(v, published) {
            return false;
        }
    }
    if let Some(v) = present(q, "publish_timestamp") {
        if !time_matches(v, num_field(ev, "publish_timestamp")) {
            return false;
        }
    }
    if let Some(v) = present(q, "event_timestamp") {
        if !time_matches(v, num_field(ev, "timestamp")) {
            return false;
        }
    }
    let date = parse_time(&s(str_of(ev, "date"))).unwrap_or(0);
    for (key, lower) in [
        ("from", true),
        ("datefrom", true),
        ("to", false),
        ("dateuntil", false),
    ] {
        if let Some(v) = present(q, key).and_then(parse_time) {
            if (lower && date < v) || (!lower && date > v) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "date") {
        if !time_matches(v, date) {
            return false;
        }
    }
    true
}

fn attr_values(a: &Value) -> Vec<String> {
    let v = a
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut out = vec![v.clone()];
    if let Some((v1, v2)) = v.split_once('|') {
        out.push(v1.to_owned());
        out.push(v2.to_owned());
    }
    out
}

fn attr_level_matches(
    q: &Map<String, Value>,
    a: &Value,
    ev: &Map<String, Value>,
    scope_attributes: bool,
) -> bool {
    let Some(am) = a.as_object() else {
        return false;
    };
    if let Some(v) = present(q, "value") {
        if !complex_matches(v, &attr_values(a), true) {
            return false;
        }
    }
    for (key, field) in [
        ("type", "type"),
        ("category", "category"),
        ("object_relation", "object_relation"),
    ] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(am, field).to_owned()], false) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "to_ids") {
        if !flag_filter(v, am.get("to_ids").and_then(as_flag).unwrap_or(false)) {
            return false;
        }
    }
    if scope_attributes {
        if let Some(v) = present(q, "uuid") {
            let cands = vec![str_of(am, "uuid").to_owned(), str_of(ev, "uuid").to_owned()];
            if !complex_matches(v, &cands, false) {
                return false;
            }
        }
        if let Some(v) = present(q, "tags") {
            let mut names = tag_names(am);
            names.extend(tag_names(ev));
            if !complex_matches(v, &names, true) {
                return false;
            }
        }
        if let Some(v) = present(q, "timestamp") {
            if !time_matches(v, num_field(am, "timestamp")) {
                return false;
            }
        }
        if let Some(v) = present(q, "attribute_timestamp") {
            if !time_matches(v, num_field(am, "timestamp")) {
                return false;
            }
        }
    }
    true
}

const ATTRIBUTE_FILTERS: &[&str] = &["value", "type", "category", "to_ids", "object_relation"];

fn page_of<T>(items: Vec<T>, q: &Map<String, Value>) -> Vec<T> {
    let limit = present(q, "limit")
        .and_then(as_text)
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let page = present(q, "page")
        .and_then(as_text)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    match limit {
        Some(l) => items.into_iter().skip((page - 1) * l).take(l).collect(),
        None => items,
    }
}

fn check_format(q: &Map<String, Value>, url: &str) -> Option<Response> {
    let format = present(q, "returnFormat")
        .and_then(as_text)
        .unwrap_or_else(|| "json".into());
    if format == "json" {
        None
    } else {
        // The lab renders JSON only; MISP's other export modules are out of its scope.
        Some(misp_error(
            StatusCode::NOT_FOUND,
            "Invalid output format.",
            url,
        ))
    }
}

impl Misp {
    fn events_rest_search(&self, st: &State, q: &Map<String, Value>, url: &str) -> Response {
        if let Some(resp) = check_format(q, url) {
            return resp;
        }
        let attr_filters = ATTRIBUTE_FILTERS.iter().any(|k| present(q, k).is_some());
        let metadata = present(q, "metadata").and_then(as_flag).unwrap_or(false);
        let matched: Vec<Value> = st
            .events
            .values()
            .filter(|ev| event_level_matches(st, q, ev))
            .filter(|ev| {
                present(q, "uuid").is_none_or(|v| {
                    let mut cands = vec![str_of(ev, "uuid").to_owned()];
                    cands.extend(all_attributes(ev).iter().map(|a| {
                        a.get("uuid")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned()
                    }));
                    complex_matches(v, &cands, false)
                })
            })
            .filter(|ev| {
                present(q, "tags").is_none_or(|v| {
                    let mut names = tag_names(ev);
                    for a in all_attributes(ev) {
                        if let Some(am) = a.as_object() {
                            names.extend(tag_names(am));
                        }
                    }
                    complex_matches(v, &names, true)
                })
            })
            .filter(|ev| {
                present(q, "timestamp").is_none_or(|v| time_matches(v, num_field(ev, "timestamp")))
            })
            .filter(|ev| {
                !attr_filters
                    || all_attributes(ev)
                        .iter()
                        .any(|a| attr_level_matches(q, a, ev, false))
            })
            .map(|ev| json!({"Event": render_event(st, ev, metadata)}))
            .collect();
        let page = page_of(matched, q);
        let n = page.len();
        with_count(util::json(StatusCode::OK, json!({"response": page})), n)
    }

    fn attributes_rest_search(&self, st: &State, q: &Map<String, Value>, url: &str) -> Response {
        if let Some(resp) = check_format(q, url) {
            return resp;
        }
        let include_event_tags = present(q, "includeEventTags")
            .and_then(as_flag)
            .unwrap_or(false);
        let include_context = present(q, "includeContext")
            .and_then(as_flag)
            .unwrap_or(false);
        let mut matched: Vec<Value> = Vec::new();
        for ev in st
            .events
            .values()
            .filter(|ev| event_level_matches(st, q, ev))
        {
            for a in all_attributes(ev) {
                if !attr_level_matches(q, a, ev, true) {
                    continue;
                }
                let mut am = a.as_object().cloned().unwrap_or_default();
                let event = if include_context {
                    render_event(st, ev, true)
                } else {
                    json!({
                        "org_id": str_of(ev, "org_id"), "distribution": str_of(ev, "distribution"),
                        "id": str_of(ev, "id"), "info": str_of(ev, "info"),
                        "orgc_id": str_of(ev, "orgc_id"), "uuid": str_of(ev, "uuid"),
                        "publish_timestamp": str_of(ev, "publish_timestamp"),
                    })
                };
                am.insert("Event".into(), event);
                if include_event_tags {
                    let mut tags = am
                        .get("Tag")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for t in ev
                        .get("Tag")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                    {
                        if !tags.iter().any(|x| x.get("id") == t.get("id")) {
                            let mut t = t;
                            if let Some(tm) = t.as_object_mut() {
                                tm.insert("inherited".into(), json!(1));
                            }
                            tags.push(t);
                        }
                    }
                    if !tags.is_empty() {
                        am.insert("Tag".into(), Value::Array(tags));
                    }
                }
                matched.push(Value::Object(am));
            }
        }
        let page = page_of(matched, q);
        let n = page.len();
        with_count(
            util::json(StatusCode::OK, json!({"response": {"Attribute": page}})),
            n,
        )
    }
}

fn with_count(mut resp: Response, n: usize) -> Response {
    if let Ok(v) = HeaderValue::from_str(&n.to_string()) {
        resp.headers_mut().insert("X-Result-Count", v);
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Feeds

fn feed_doc(id: u64, body: &Map<String, Value>) -> Map<String, Value> {
    let text = |k: &str, d: &str| {
        body.get(k)
            .and_then(as_text)
            .unwrap_or_else(|| d.to_owned())
    };
    let flag = |k: &str, d: bool| body.get(k).and_then(as_flag).unwrap_or(d);
    let rules = match body.get("rules") {
        Some(Value::String(r)) => r.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => r#"{"tags":{"OR":[],"NOT":[]},"orgs":{"OR":[],"NOT":[]},"url_params":""}"#.into(),
    };
    let settings = match body.get("settings") {
        Some(Value::String(r)) => r.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => r#"{"csv":{"value":"","delimiter":","},"common":{"excluderegex":""},"flags":{"disable_correlation":"0"}}"#.into(),
    };
    json!({
        "id": s(id),
        "name": text("name", ""),
        "provider": text("provider", ""),
        "url": text("url", ""),
        "rules": rules,
        "enabled": flag("enabled", false),
        "distribution": text("distribution", "0"),
        "sharing_group_id": text("sharing_group_id", "0"),
        "tag_id": text("tag_id", "0"),
        "default": flag("default", false),
        "source_format": text("source_format", "misp"),
        "fixed_event": flag("fixed_event", false),
        "delta_merge": flag("delta_merge", false),
        "event_id": text("event_id", "0"),
        "publish": flag("publish", false),
        "override_ids": flag("override_ids", false),
        "settings": settings,
        "input_source": text("input_source", "network"),
        "delete_local_file": flag("delete_local_file", false),
        "lookup_visible": flag("lookup_visible", false),
        "headers": text("headers", ""),
        "caching_enabled": flag("caching_enabled", false),
        "force_to_ids": flag("force_to_ids", false),
        "orgc_id": text("orgc_id", "0"),
        "tag_collection_id": "0",
        "cache_timestamp": false,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// What a freetext line is, by its look.
fn freetext_type(v: &str) -> Option<&'static str> {
    let v = v.trim();
    if v.is_empty() || v.starts_with('#') {
        return None;
    }
    if v.parse::<std::net::IpAddr>().is_ok() {
        return Some("ip-dst");
    }
    if v.contains("://") {
        return Some("url");
    }
    if v.contains('@') && !v.contains(' ') {
        return Some("email-src");
    }
    let hexy = v.chars().all(|c| c.is_ascii_hexdigit());
    match (hexy, v.len()) {
        (true, 32) => return Some("md5"),
        (true, 40) => return Some("sha1"),
        (true, 64) => return Some("sha256"),
        _ => {}
    }
    if v.contains('.')
        && !v.contains(' ')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Some("domain");
    }
    None
}

impl Misp {
    fn new_job(
        st: &mut State,
        job_type: &str,
        input: &str,
        caller: &Caller,
        ok: bool,
        message: &str,
    ) -> u64 {
        let id = st.next("job");
        let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
        let job = json!({
            "id": s(id), "worker": "default", "job_type": job_type, "job_input": input,
            "status": if ok { "4" } else { "3" }, "retries": "0", "message": message,
            "progress": if ok { "100" } else { "0" }, "org_id": s(caller.org_id),
            "process_id": util::uuid4(), "date_created": now, "date_modified": now,
        });
        if let Value::Object(m) = job {
            st.jobs.insert(id, m);
        }
        id
    }

    /// Reads a local feed; `Err` says why it could not.
    fn read_feed(feed: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
        let url = str_of(feed, "url");
        if str_of(feed, "input_source") != "local" {
            return Err(format!("Could not fetch {url}: the lab has no network feeds, use a local feed (input_source: local)."));
        }
        match str_of(feed, "source_format") {
            "misp" => {
                let dir = std::path::Path::new(url);
                let manifest = std::fs::read(dir.join("manifest.json"))
                    .map_err(|e| format!("Could not read {}/manifest.json: {e}", url))?;
                let manifest: Value = serde_json::from_slice(&manifest)
                    .map_err(|e| format!("Invalid manifest.json: {e}"))?;
                let Some(entries) = manifest.as_object() else {
                    return Err(
                        "Invalid manifest.json: expected an object keyed by event uuid".into(),
                    );
                };
                let mut out = Vec::new();
                for uuid in entries.keys() {
                    let path = dir.join(format!("{uuid}.json"));
                    let bytes = std::fs::read(&path)
                        .map_err(|e| format!("Could not read {}: {e}", path.display()))?;
                    let v: Value = serde_json::from_slice(&bytes)
                        .map_err(|e| format!("Invalid event file {}: {e}", path.display()))?;
                    let mut ev = unwrap_body(&v, "Event");
                    ev.entry("uuid").or_insert_with(|| s(uuid));
                    out.push(ev);
                }
                Ok(out)
            }
            "freetext" | "csv" => {
                let text = std::fs::read_to_string(url)
                    .map_err(|e| format!("Could not read {url}: {e}"))?;
                let attrs: Vec<Value> = text
                    .lines()
                    .filter_map(|l| {
                        let first = l
                            .split([',', ';', '\t'])
                            .next()
                            .unwrap_or("")
                            .trim()
                            .trim_matches('"');
                        freetext_type(first)
                            .map(|t| json!({"type": t, "value": first, "to_ids": true}))
                    })
                    .collect();
                let mut ev = Map::new();
                ev.insert("info".into(), s(format!("{} feed", str_of(feed, "name"))));
                ev.insert("Attribute".into(), Value::Array(attrs));
                Ok(vec![ev])
            }
            other => Err(format!("Unknown source format {other}")),
        }
    }

    /// Pulls a feed's events in: new uuids are created, known ones updated when newer.
    fn fetch_feed(&self, st: &mut State, feed_id: u64, caller: &Caller) -> Result<usize, String> {
        let Some(feed) = st.feeds.get(&feed_id).cloned() else {
            return Err("Invalid feed.".into());
        };
        let events = Self::read_feed(&feed)?;
        let publish = feed.get("publish").and_then(as_flag).unwrap_or(false);
        let distribution = str_of(&feed, "distribution").to_owned();
        let feed_tag: u64 = str_of(&feed, "tag_id").parse().unwrap_or(0);
        let mut n = 0;
        let freetext = str_of(&feed, "source_format") != "misp";
        for mut ev in events {
            if freetext {
                let fixed_id: u64 = str_of(&feed, "event_id").parse().unwrap_or(0);
                let target = if feed.get("fixed_event").and_then(as_flag) == Some(true)
                    && st.events.contains_key(&fixed_id)
                {
                    Some(fixed_id)
                } else {
                    None
                };
                let attrs = ev
                    .get("Attribute")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let id = match target {
                    Some(id) => id,
                    None => {
                        ev.insert("distribution".into(), s(&distribution));
                        let built = build_event(
                            st,
                            &Map::new()
                                .into_iter()
                                .chain([(
                                    "info".to_owned(),
                                    ev.get("info").cloned().unwrap_or(s("feed")),
                                )])
                                .collect(),
                            caller,
                        )
                        .map_err(|e| e.to_string())?;
                        let id = id_of(&built);
                        st.events.insert(id, built);
                        if let Some(fm) = st.feeds.get_mut(&feed_id) {
                            fm.insert("event_id".into(), s(id));
                        }
                        id
                    }
                };
                for a in attrs {
                    let am = a.as_object().cloned().unwrap_or_default();
                    let Ok(attr) = build_attribute(st, &am, id, 0, caller.user_id, "5") else {
                        continue;
                    };
                    if let Some(e) = st.events.get_mut(&id) {
                        if !attr_dup(e, &attr) {
                            edit_array(e, "Attribute", |l| l.push(Value::Object(attr)));
                            n += 1;
                        }
                    }
                }
                continue;
            }
            let uuid = str_of(&ev, "uuid").to_owned();
            let existing = st
                .events
                .iter()
                .find(|(_, e)| str_of(e, "uuid") == uuid)
                .map(|(id, e)| (*id, num_field(e, "timestamp")));
            if let Some((id, ts)) = existing {
                if num_field(&ev, "timestamp") <= ts {
                    continue;
                }
                st.events.remove(&id);
            }
            ev.insert("distribution".into(), s(&distribution));
            ev.insert("published".into(), json!(publish));
            let mut built = match build_event(st, &ev, caller) {
                Ok(b) => b,
                Err(_) => continue,
            };
            if feed_tag != 0 && st.tags.contains_key(&feed_tag) {
                let t = attached_tag(st, feed_tag, false);
                edit_array(&mut built, "Tag", |l| l.push(t));
            }
            st.events.insert(id_of(&built), built);
            n += 1;
        }
        Ok(n)
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
        let m = &req.method;
        let get = *m == Method::GET || *m == Method::HEAD;
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["servers", "getVersion"] => util::json(
                StatusCode::OK,
                json!({"version": MISP_VERSION, "pymisp_recommended_version": MISP_VERSION, "perm_sync": caller.site_admin(), "perm_sighting": true, "perm_galaxy_editor": caller.can_write(), "perm_analyst_data": caller.can_write(), "uuid": "-", "request_encoding": ["gzip", "br"], "filter_sightings": true}),
            ),
            ["servers", "getPyMISPVersion"] => {
                util::json(StatusCode::OK, json!({"version": MISP_VERSION}))
            }
            ["attributes", "describeTypes"] => util::json(StatusCode::OK, types::describe_types()),
            // Users
            ["users", "view", id] | ["admin", "users", "view", id] => {
                let uid = if *id == "me" {
                    caller.user_id
                } else {
                    id.parse().unwrap_or(0)
                };
                if uid != caller.user_id && !caller.org_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                match st.users.get(&uid) {
                    Some(u)
                        if caller.site_admin()
                            || uid == caller.user_id
                            || str_of(u, "org_id") == caller.org_id.to_string() =>
                    {
                        util::json(StatusCode::OK, user_full(st, u))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid user", url),
                }
            }
            ["admin", "users", "index"] | ["users", "index"] => {
                if !caller.org_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let list: Vec<Value> = st
                    .users
                    .values()
                    .filter(|u| caller.site_admin() || str_of(u, "org_id") == caller.org_id.to_string())
                    .filter(|u| req.param("value").is_none_or(|v| str_of(u, "email").contains(&v)))
                    .map(|u| {
                        let org_id: u64 = str_of(u, "org_id").parse().unwrap_or(0);
                        let role_id: u64 = str_of(u, "role_id").parse().unwrap_or(0);
                        let role = role_json(role_id);
                        json!({"User": u, "Role": {"id": s(role_id), "name": role.get("name"), "perm_auth": true, "perm_site_admin": role.get("perm_site_admin")}, "Organisation": {"id": s(org_id), "name": st.orgs.get(&org_id).map(|o| str_of(o, "name")).unwrap_or("")}})
                    })
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["admin", "users", "add"] => self.add_user(st, req, &caller),
            ["admin", "users", "edit", id] | ["users", "edit", id] => {
                self.edit_user(st, req, &caller, id)
            }
            ["admin", "users", "delete", id] => {
                if !caller.org_admin() || get {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let uid: u64 = id.parse().unwrap_or(0);
                if uid == caller.user_id {
                    return save_fail("delete", "User", url, json!("You cannot delete yourself."));
                }
                match st.users.get(&uid) {
                    Some(u)
                        if caller.site_admin()
                            || str_of(u, "org_id") == caller.org_id.to_string() =>
                    {
                        st.users.remove(&uid);
                        st.auth_keys
                            .retain(|_, k| str_of(&k.doc, "user_id") != uid.to_string());
                        save_success("User deleted.", url, Some(uid))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid user", url),
                }
            }
            ["roles", "index"] | ["roles"] | ["admin", "roles", "index"] => util::json(
                StatusCode::OK,
                Value::Array(
                    ROLES
                        .iter()
                        .map(|r| json!({"Role": role_json(r.0)}))
                        .collect(),
                ),
            ),
            // Organisations
            ["organisations", "index"] | ["organisations"] => {
                let scope = req.param("scope").unwrap_or_else(|| "local".into());
                let search = req.param("searchall");
                let list: Vec<Value> = st
                    .orgs
                    .values()
                    .filter(|o| match scope.as_str() {
                        "all" => true,
                        "external" => o.get("local") == Some(&json!(false)),
                        _ => o.get("local") != Some(&json!(false)),
                    })
                    .filter(|o| {
                        search.as_deref().is_none_or(|q| {
                            str_of(o, "name").to_lowercase().contains(&q.to_lowercase())
                        })
                    })
                    .map(|o| json!({"Organisation": org_full(st, o)}))
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["organisations", "view", id] => {
                let oid = self.org_by_ref(st, id);
                match oid.and_then(|oid| st.orgs.get(&oid)) {
                    Some(o) => util::json(StatusCode::OK, json!({"Organisation": org_full(st, o)})),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url),
                }
            }
            ["admin", "organisations", "add"] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Organisation");
                let name = b.get("name").and_then(as_text).unwrap_or_default();
                if name.trim().is_empty() {
                    return save_fail(
                        "add",
                        "Organisation",
                        url,
                        json!({"name": ["The name field is required."]}),
                    );
                }
                if st
                    .orgs
                    .values()
                    .any(|o| str_of(o, "name").eq_ignore_ascii_case(name.trim()))
                {
                    return save_fail(
                        "add",
                        "Organisation",
                        url,
                        json!({"name": ["An organisation with this name already exists."]}),
                    );
                }
                let local = b.get("local").and_then(as_flag).unwrap_or(true);
                let id = new_org(
                    st,
                    name.trim(),
                    caller.user_id,
                    local,
                    b.get("uuid").and_then(as_text),
                );
                if let Some(o) = st.orgs.get_mut(&id) {
                    apply_org_fields(o, &b);
                }
                let o = st.orgs.get(&id).cloned().unwrap_or_default();
                util::json(StatusCode::OK, json!({"Organisation": org_full(st, &o)}))
            }
            ["admin", "organisations", "edit", id] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Organisation");
                let Some(oid) = self.org_by_ref(st, id) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url);
                };
                if let Some(o) = st.orgs.get_mut(&oid) {
                    if let Some(n) = b
                        .get("name")
                        .and_then(as_text)
                        .filter(|n| !n.trim().is_empty())
                    {
                        o.insert("name".into(), s(n.trim()));
                    }
                    apply_org_fields(o, &b);
                    o.insert(
                        "date_modified".into(),
                        s(chrono::Utc::now().format("%Y-%m-%d %H:%M:%S")),
                    );
                }
                let o = st.orgs.get(&oid).cloned().unwrap_or_default();
                util::json(StatusCode::OK, json!({"Organisation": org_full(st, &o)}))
            }
            ["admin", "organisations", "delete", id] => {
                if !caller.site_admin() || get {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let Some(oid) = self.org_by_ref(st, id) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url);
                };
                if oid == caller.org_id
                    || st
                        .users
                        .values()
                        .any(|u| str_of(u, "org_id") == oid.to_string())
                {
                    return save_fail("delete", "Organisation", url, json!("Organisation could not be deleted. Generally organisations with users or events cannot be deleted."));
                }
                st.orgs.remove(&oid);
                save_success("Organisation deleted", url, Some(oid))
            }
            // Auth keys
            ["auth_keys", "add", ..] => {
                let uid: u64 = match uid_or_me(segs.get(2).copied()) {
                    "me" => caller.user_id,
                    other => other.parse().unwrap_or(0),
                };
                let Some(u) = st.users.get(&uid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid user", url);
                };
                if uid != caller.user_id
                    && !(caller.site_admin()
                        || (caller.org_admin() && str_of(u, "org_id") == caller.org_id.to_string()))
                {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let b = unwrap_body(body, "AuthKey");
                let (id, key) = new_auth_key(st, uid, &b, None);
                let mut doc = st
                    .auth_keys
                    .get(&id)
                    .map(|k| k.doc.clone())
                    .unwrap_or_default();
                doc.insert("authkey_raw".into(), s(key));
                util::json(StatusCode::OK, json!({"AuthKey": doc}))
            }
            ["auth_keys", "index"] | ["auth_keys"] => {
                if !st.redis_ok() {
                    // The seed's symptom: the auth keys page fails while MISP.redis_host is wrong.
                    return misp_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An Internal Error Has Occurred.",
                        url,
                    );
                }
                let list: Vec<Value> = st
                    .auth_keys
                    .values()
                    .filter(|k| caller.site_admin() || str_of(&k.doc, "user_id") == caller.user_id.to_string())
                    .map(|k| json!({"AuthKey": k.doc, "User": user_brief(st, str_of(&k.doc, "user_id"))}))
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["auth_keys", "view", id] => match st.auth_keys.get(&id.parse().unwrap_or(0)) {
                Some(k)
                    if caller.site_admin()
                        || str_of(&k.doc, "user_id") == caller.user_id.to_string() =>
                {
                    util::json(
                        StatusCode::OK,
                        json!({"AuthKey": k.doc, "User": user_brief(st, str_of(&k.doc, "user_id"))}),
                    )
                }
                _ => misp_error(StatusCode::NOT_FOUND, "Invalid auth key", url),
            },
            ["auth_keys", "delete", id] => {
                let kid: u64 = id.parse().unwrap_or(0);
                match st.auth_keys.get(&kid) {
                    Some(k)
                        if caller.site_admin()
                            || str_of(&k.doc, "user_id") == caller.user_id.to_string() =>
                    {
                        st.auth_keys.remove(&kid);
                        save_success("AuthKey deleted.", url, Some(kid))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid auth key", url),
                }
            }
            // Events
            ["events", "add"] => {
                if !caller.can_write() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You do not have permission to do that.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Event");
                if let Some(uuid) = b.get("uuid").and_then(as_text) {
                    if let Some((id, _)) = st.events.iter().find(|(_, e)| str_of(e, "uuid") == uuid)
                    {
                        return misp_error(StatusCode::FORBIDDEN, &format!("Event already exists, if you would like to edit it, use the url in the location header. (/events/view/{id})"), url);
                    }
                }
                match build_event(st, &b, &caller) {
                    Ok(ev) => {
                        let out =
                            render_event(st, &ev, req.param("metadata").is_some_and(|m| m == "1"));
                        st.events.insert(id_of(&ev), ev);
                        util::json(StatusCode::OK, json!({"Event": out}))
                    }
                    Err(errors) => save_fail("add", "Event", url, errors),
                }
            }
            ["events", "view", id] => match self.event_by_ref(st, id) {
                Some(eid) => {
                    let ev = st.events.get(&eid).cloned().unwrap_or_default();
                    util::json(
                        StatusCode::OK,
                        json!({"Event": render_event(st, &ev, false)}),
                    )
                }
                None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
            },
            ["events", "edit", id] => self.edit_event(st, req, &caller, id),
            ["events", "delete", id] => {
                if get {
                    return misp_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", url);
                }
                match self.event_by_ref(st, id) {
                    Some(eid)
                        if caller.site_admin()
                            || st.events.get(&eid).is_some_and(|e| {
                                str_of(e, "orgc_id") == caller.org_id.to_string()
                            }) =>
                    {
                        st.events.remove(&eid);
                        save_success("Event deleted.", url, Some(eid))
                    }
                    Some(_) => misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    ),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
                }
            }
            ["events", op @ ("publish" | "alert" | "unpublish"), id] => {
                match self.event_by_ref(st, id) {
                    Some(eid) => {
                        let publish = *op != "unpublish";
                        if let Some(e) = st.events.get_mut(&eid) {
                            e.insert("published".into(), json!(publish));
                            if publish {
                                e.insert("publish_timestamp".into(), s(now_s()));
                            }
                        }
                        let msg = if publish {
                            "Job queued"
                        } else {
                            "Event unpublished."
                        };
                        util::json(
                            StatusCode::OK,
                            json!({"name": if publish {"Publish"} else {"Unpublish"}, "message": msg, "url": url, "id": s(eid)}),
                        )
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
                }
            }
            ["events", "index"] | ["events"] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                for (k, v) in &req.named {
                    q.entry(k.clone()).or_insert(s(v));
                }
                let list: Vec<Value> = st
                    .events
                    .values()
                    .rev()
                    .filter(|ev| event_level_matches(st, &q, ev))
                    .filter(|ev| {
                        present(&q, "tags")
                            .or_else(|| present(&q, "tag"))
                            .is_none_or(|v| complex_matches(v, &tag_names(ev), true))
                    })
                    .map(|ev| index_event(st, ev))
                    .collect();
                let total = list.len();
                with_count(
                    util::json(StatusCode::OK, Value::Array(page_of(list, &q))),
                    total,
                )
            }
            ["events", "restSearch"] | ["events", "restSearch", _] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                if let Some(f) = segs.get(2) {
                    q.insert("returnFormat".into(), s(f));
                }
                if get && q.is_empty() {
                    return misp_error(StatusCode::BAD_REQUEST, "Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.", url);
                }
                self.events_rest_search(st, &q, url)
            }
            ["events", op @ ("addTag" | "removeTag"), rest @ ..] => {
                self.event_tag_route(st, req, &caller, op, rest)
            }
            // Attributes
            ["attributes", "add", eid] => {
                if !caller.can_write() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You do not have permission to do that.",
                        url,
                    );
                }
                let Some(eid) = self.event_by_ref(st, eid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                };
                let items: Vec<Map<String, Value>> = match body {
                    Value::Array(list) => {
                        list.iter().map(|v| unwrap_body(v, "Attribute")).collect()
                    }
                    other => vec![unwrap_body(other, "Attribute")],
                };
                let single = !body.is_array();
                let mut out = Vec::new();
                for item in items {
                    let attr = match build_attribute(st, &item, eid, 0, caller.user_id, "5") {
                        Ok(a) => a,
                        Err(errors) => {
                            return save_fail("add", "Attribute", "/attributes/add", errors)
                        }
                    };
                    let Some(ev) = st.events.get_mut(&eid) else {
                        return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                    };
                    if attr_dup(ev, &attr) {
                        return save_fail(
                            "add",
                            "Attribute",
                            "/attributes/add",
                            json!({"value": ["A similar attribute already exists for this event."]}),
                        );
                    }
                    edit_array(ev, "Attribute", |l| l.push(Value::Object(attr.clone())));
                    ev.insert("timestamp".into(), s(now_s()));
                    ev.insert("published".into(), json!(false));
                    out.push(attr);
                }
                if single {
                    util::json(
                        StatusCode::OK,
                        json!({"Attribute": out.into_iter().next().unwrap_or_default()}),
                    )
                } else {
                    util::json(StatusCode::OK, json!({"Attribute": out}))
                }
            }
            ["attributes", "view", id] => match find_attribute(st, id) {
                Some((eid, a)) => {
                    let _ = eid;
                    util::json(StatusCode::OK, json!({"Attribute": a}))
                }
                None => misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url),
            },
            ["attributes", "edit", id] => {
                let b = unwrap_body(body, "Attribute");
                let user_id = caller.user_id;
                let new_tags = if b.contains_key("Tag") {
                    Some(tags_from_body(st, &b, user_id))
                } else {
                    None
                };
                let updated = with_attribute_mut(st, id, |a| {
                    for k in [
                        "value",
                        "category",
                        "type",
                        "comment",
                        "distribution",
                        "sharing_group_id",
                        "first_seen",
                        "last_seen",
                        "object_relation",
                    ] {
                        if let Some(v) = b.get(k) {
                            a.insert(
                                k.into(),
                                if v.is_null() {
                                    Value::Null
                                } else {
                                    as_text(v).map(s).unwrap_or(Value::Null)
                                },
                            );
                        }
                    }
                    for k in ["to_ids", "disable_correlation"] {
                        if let Some(f) = b.get(k).and_then(as_flag) {
                            a.insert(k.into(), json!(f));
                        }
                    }
                    if let Some(tags) = &new_tags {
                        if tags.is_empty() {
                            a.remove("Tag");
                        } else {
                            a.insert("Tag".into(), Value::Array(tags.clone()));
                        }
                    }
                    a.insert("timestamp".into(), s(now_s()));
                    a.clone()
                });
                match updated {
                    Some(a) => util::json(StatusCode::OK, json!({"Attribute": a})),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url),
                }
            }
            ["attributes", "delete", id] => {
                let hard = body.get("hard").and_then(as_flag).unwrap_or(false)
                    || req.param("hard").is_some_and(|h| h == "1");
                let target = id.to_string();
                let mut found = false;
                for ev in st.events.values_mut() {
                    let mut lists: Vec<&mut Vec<Value>> = Vec::new();
                    if let Some(Value::Array(a)) = ev.get_mut("Attribute") {
                        lists.push(a);
                    }
                    for list in lists {
                        if let Some(pos) = list.iter().position(|a| {
                            a.get("id").and_then(Value::as_str) == Some(&target)
                                || a.get("uuid").and_then(Value::as_str) == Some(&target)
                        }) {
                            found = true;
                            if hard {
                                list.remove(pos);
                            } else if let Some(a) = list.get_mut(pos).and_then(Value::as_object_mut)
                            {
                                a.insert("deleted".into(), json!(true));
                            }
                        }
                    }
                }
                if !found {
                    found = with_attribute_mut(st, id, |a| {
                        a.insert("deleted".into(), json!(true));
                    })
                    .is_some();
                }
                if found {
                    util::json(StatusCode::OK, json!({"message": "Attribute deleted."}))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url)
                }
            }
            ["attributes", "restSearch"] | ["attributes", "restSearch", _] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                if let Some(f) = segs.get(2) {
                    q.insert("returnFormat".into(), s(f));
                }
                if get && q.is_empty() {
                    return misp_error(StatusCode::BAD_REQUEST, "Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.", url);
                }
                self.attributes_rest_search(st, &q, url)
            }
            // Objects
            ["objects", "add", eid, ..] => {
                let Some(eid) = self.event_by_ref(st, eid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                };
                let b = unwrap_body(body, "Object");
                match build_object(st, &b, eid, caller.user_id) {
                    Ok(o) => {
                        if let Some(ev) = st.events.get_mut(&eid) {
                            edit_array(ev, "Object", |l| l.push(Value::Object(o.clone())));
                            ev.insert("timestamp".into(), s(now_s()));
                            ev.insert("published".into(), json!(false));
                        }
                        util::json(StatusCode::OK, json!({"Object": o}))
                    }
                    Err(errors) => save_fail("add", "Object", url, errors),
                }
            }
            ["objects", "view", id] => match find_object(st, id) {
                Some(o) => util::json(StatusCode::OK, json!({"Object": o})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid object.", url),
            },
            ["objects", "delete", id, ..] => {
                let hard = body.get("hard").and_then(as_flag).unwrap_or(false);
                let mut found = false;
                for ev in st.events.values_mut() {
                    if let Some(Value::Array(objs)) = ev.get_mut("Object") {
                        if let Some(pos) = objs.iter().position(|o| {
                            o.get("id").and_then(Value::as_str) == Some(id)
                                || o.get("uuid").and_then(Value::as_str) == Some(id)
                        }) {
                            found = true;
                            if hard {
                                objs.remove(pos);
                            } else if let Some(o) = objs.get_mut(pos).and_then(Value::as_object_mut)
                            {
                                o.insert("deleted".into(), json!(true));
                            }
                        }
                    }
                }
                if found {
                    save_success("Object deleted", url, None)
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid object.", url)
                }
            }
            // Tags
            ["tags", "index"] | ["tags"] => {
                let search = req.param("searchall");
                let list: Vec<Value> = st
                    .tags
                    .values()
                    .filter(|t| {
                        search.as_deref().is_none_or(|q| {
                            wildcard_match(&format!("%{}%", q.trim_matches('%')), str_of(t, "name"))
                        })
                    })
                    .map(|t| {
                        let mut t = t.clone();
                        let id = t.get("id").cloned();
                        let count = st
                            .events
                            .values()
                            .filter(|e| {
                                e.get("Tag")
                                    .and_then(Value::as_array)
                                    .is_some_and(|ts| ts.iter().any(|x| x.get("id") == id.as_ref()))
                            })
                            .count();
                        t.insert("count".into(), json!(count));
                        t.insert("attribute_count".into(), json!(0));
                        t.insert("favourite".into(), json!(false));
                        Value::Object(t)
                    })
                    .collect();
                util::json(StatusCode::OK, json!({"Tag": list}))
            }
            ["tags", "view", id] => match st.tags.get(&id.parse().unwrap_or(0)) {
                Some(t) => util::json(StatusCode::OK, Value::Object(t.clone())),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid tag", url),
            },
            ["tags", "add"] => {
                let b = unwrap_body(body, "Tag");
                let name = b.get("name").and_then(as_text).unwrap_or_default();
                if name.trim().is_empty() {
                    return save_fail(
                        "add",
                        "Tag",
                        url,
                        json!({"name": ["This field is required."]}),
                    );
                }
                if st.tags.values().any(|t| str_of(t, "name") == name.trim()) {
                    return save_fail(
                        "add",
                        "Tag",
                        url,
                        json!({"name": ["A similar name already exists."]}),
                    );
                }
                let id = st.next("tag");
                let t = tag_doc(id, name.trim(), &b, caller.user_id);
                st.tags.insert(id, t.clone());
                util::json(StatusCode::OK, json!({"Tag": t}))
            }
            ["tags", "edit", id] => {
                let b = unwrap_body(body, "Tag");
                match st.tags.get_mut(&id.parse().unwrap_or(0)) {
                    Some(t) => {
                        for k in ["name", "colour", "numerical_value"] {
                            if let Some(v) = b.get(k) {
                                t.insert(k.into(), v.clone());
                            }
                        }
                        for k in ["exportable", "hide_tag", "local_only"] {
                            if let Some(f) = b.get(k).and_then(as_flag) {
                                t.insert(k.into(), json!(f));
                            }
                        }
                        util::json(StatusCode::OK, json!({"Tag": t}))
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid tag", url),
                }
            }
            ["tags", "delete", id] => {
                let tid: u64 = id.parse().unwrap_or(0);
                if st.tags.remove(&tid).is_some() {
                    save_success("Tag deleted.", url, Some(tid))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid tag", url)
                }
            }
            ["tags", op @ ("attachTagToObject" | "removeTagFromObject")] => {
                self.attach_tag(st, req, &caller, op)
            }
            // Feeds
            ["feeds", "index"] | ["feeds"] => {
                let list: Vec<Value> = st.feeds.values().map(|f| json!({"Feed": f})).collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["feeds", "view", id] => match st.feeds.get(&id.parse().unwrap_or(0)) {
                Some(f) => util::json(StatusCode::OK, json!({"Feed": f})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
            },
            ["feeds", "add"] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Feed");
                let mut errors = Map::new();
                for k in ["name", "provider", "url"] {
                    if b.get(k)
                        .and_then(as_text)
                        .is_none_or(|v| v.trim().is_empty())
                    {
                        errors.insert(k.into(), json!(["This field is required."]));
                    }
                }
                if str_of(&b, "input_source") == "local" {
                    let path = str_of(&b, "url");
                    if !path.is_empty() && !std::path::Path::new(path).exists() {
                        errors.insert("url".into(), json!(["Invalid input source. The path has to be an existing directory or file."]));
                    }
                }
                if !errors.is_empty() {
                    return save_fail("add", "Feed", url, Value::Object(errors));
                }
                let id = st.next("feed");
                let f = feed_doc(id, &b);
                st.feeds.insert(id, f.clone());
                util::json(StatusCode::OK, json!({"Feed": f}))
            }
            ["feeds", "edit", id] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Feed");
                match st.feeds.get_mut(&id.parse().unwrap_or(0)) {
                    Some(f) => {
                        let fid = id_of(f);
                        let mut merged = f.clone();
                        for (k, v) in b {
                            if k != "id" {
                                merged.insert(k, v);
                            }
                        }
                        let mut doc = feed_doc(fid, &merged);
                        doc.insert(
                            "cache_timestamp".into(),
                            f.get("cache_timestamp").cloned().unwrap_or(json!(false)),
                        );
                        *f = doc.clone();
                        util::json(StatusCode::OK, json!({"Feed": doc}))
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
                }
            }
            ["feeds", op @ ("enable" | "disable"), id] => {
                match st.feeds.get_mut(&id.parse().unwrap_or(0)) {
                    Some(f) => {
                        f.insert("enabled".into(), json!(*op == "enable"));
                        let msg = if *op == "enable" {
                            "Feed enabled."
                        } else {
                            "Feed disabled."
                        };
                        save_success(msg, url, None)
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url),
                }
            }
            ["feeds", "delete", id] => {
                let fid: u64 = id.parse().unwrap_or(0);
                if st.feeds.remove(&fid).is_some() {
                    save_success("Feed deleted.", url, Some(fid))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url)
                }
            }
            ["feeds", "cacheFeeds", scope] | ["feeds", "cacheFeeds", scope, ..] => {
                self.cache_feeds(st, &caller, scope, url)
            }
            ["feeds", "cacheFeeds"] => self.cache_feeds(st, &caller, "freetext", url),
            ["feeds", "fetchFromFeed", id] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let fid: u64 = id.parse().unwrap_or(0);
                let Some(feed) = st.feeds.get(&fid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid feed.", url);
                };
                if feed.get("enabled").and_then(as_flag) != Some(true) {
                    return util::json(
                        StatusCode::OK,
                        json!({"result": "Feed is currently not enabled. Make sure you enable it."}),
                    );
                }
                if !st.jobs_ok() {
                    // BackgroundJobsTool cannot reach Redis: the request dies with a RuntimeException.
                    return misp_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An Internal Error Has Occurred.",
                        url,
                    );
                }
                let result = self.fetch_feed(st, fid, &caller);
                let (ok, msg) = match &result {
                    Ok(n) => (
                        true,
                        format!("Job done. {n} event(s) or attribute(s) pulled."),
                    ),
                    Err(e) => (false, e.clone()),
                };
                let job = Self::new_job(st, "fetch_feeds", &fid.to_string(), &caller, ok, &msg);
                util::json(
                    StatusCode::OK,
                    json!({"result": format!("Pull queued for background execution. Job ID: {job}")}),
                )
            }
            ["feeds", "fetchFromAllFeeds"] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                if !st.jobs_ok() {
                    return misp_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An Internal Error Has Occurred.",
                        url,
                    );
                }
                let ids: Vec<u64> = st
                    .feeds
                    .iter()
                    .filter(|(_, f)| f.get("enabled").and_then(as_flag) == Some(true))
                    .map(|(id, _)| *id)
                    .collect();
                let mut pulled = 0;
                let mut failures = Vec::new();
                for fid in ids {
                    match self.fetch_feed(st, fid, &caller) {
                        Ok(n) => pulled += n,
                        Err(e) => failures.push(format!("feed {fid}: {e}")),
                    }
                }
                let msg = if failures.is_empty() {
                    format!("Job done. {pulled} event(s) or attribute(s) pulled.")
                } else {
                    failures.join("; ")
                };
                Self::new_job(
                    st,
                    "fetch_feeds",
                    "All feeds",
                    &caller,
                    failures.is_empty(),
                    &msg,
                );
                save_success("Pull queued for background execution.", url, None)
            }
            // Jobs
            ["jobs", "index"] | ["jobs"] => {
                if !st.jobs_ok() {
                    return misp_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An Internal Error Has Occurred.",
                        url,
                    );
                }
                let list: Vec<Value> = st.jobs.values().rev().map(|j| json!({"Job": j})).collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["jobs", "view", id] => match st.jobs.get(&id.parse().unwrap_or(0)) {
                Some(j) => util::json(StatusCode::OK, json!({"Job": j})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid job.", url),
            },
            ["jobs", "getStatus", id] => match st.jobs.get(&id.parse().unwrap_or(0)) {
                Some(j) => util::json(
                    StatusCode::OK,
                    json!({"progress": j.get("progress"), "status": j.get("status"), "message": j.get("message")}),
                ),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid job.", url),
            },
            // Server settings and workers
            ["servers", "serverSettings", ..] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                if !get {
                    return misp_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", url);
                }
                util::json(StatusCode::OK, server_settings(st))
            }
            ["servers", "getSetting", name] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                let Some(def) = setting_defs().into_iter().find(|d| d.0 == *name) else {
                    return misp_error(
                        StatusCode::NOT_FOUND,
                        &format!("Setting {name} is invalid."),
                        url,
                    );
                };
                if def.6 {
                    return misp_error(StatusCode::FORBIDDEN, "This setting is redacted.", url);
                }
                util::json(StatusCode::OK, setting_entry(st, &def))
            }
            ["servers", "serverSettingsEdit", name, ..] => {
                self.edit_setting(st, req, &caller, name)
            }
            ["servers", "getWorkers"] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                util::json(StatusCode::OK, workers_json(st))
            }
            ["servers", "restartWorkers" | "restartDeadWorkers"] => {
                if !caller.site_admin() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You are not authorized to access this resource.",
                        url,
                    );
                }
                if !st.jobs_ok() {
                    return misp_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "An Internal Error Has Occurred.",
                        url,
                    );
                }
                util::json(
                    StatusCode::OK,
                    json!({"saved": true, "success": true, "name": "Restarting workers.", "message": "Restarting workers.", "url": url}),
                )
            }
            _ => misp_error(
                StatusCode::NOT_FOUND,
                &format!(
                    "The requested address '{}' was not found on this server.",
                    req.url
                ),
                url,
            ),
        }
    }

    fn org_by_ref(&self, st: &State, r: &str) -> Option<u64> {
        if let Ok(id) = r.parse::<u64>() {
            return st.orgs.contains_key(&id).then_some(id);
        }
        st.orgs
            .iter()
            .find(|(_, o)| str_of(o, "uuid") == r || str_of(o, "name") == r)
            .map(|(id, _)| *id)
    }

    fn event_by_ref(&self, st: &State, r: &str) -> Option<u64> {
        if let Ok(id) = r.parse::<u64>() {
            return st.events.contains_key(&id).then_some(id);
        }
        st.events
            .iter()
            .find(|(_, e)| str_of(e, "uuid") == r)
            .map(|(id, _)| *id)
    }

    fn add_user(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let url = req.url.as_str();
        if !caller.org_admin() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You are not authorized to access this resource.",
                url,
            );
        }
        let b = unwrap_body(&req.body, "User");
        let email = b
            .get("email")
            .and_then(as_text)
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if email.is_empty() || !email.contains('@') {
            return save_fail(
                "add",
                "User",
                url,
                json!({"email": ["An email address is required."]}),
            );
        }
        if st.users.values().any(|u| str_of(u, "email") == email) {
            return save_fail(
                "add",
                "User",
                url,
                json!({"email": ["An account with this email address already exists."]}),
            );
        }
        let org_id: u64 = b
            .get("org_id")
            .and_then(as_text)
            .and_then(|o| o.parse().ok())
            .unwrap_or(caller.org_id);
        if !st.orgs.contains_key(&org_id) {
            return save_fail(
                "add",
                "User",
                url,
                json!({"org_id": ["Invalid organisation."]}),
            );
        }
        if !caller.site_admin() && org_id != caller.org_id {
            return save_fail(
                "add",
                "User",
                url,
                json!({"org_id": ["You can only add users to your own organisation."]}),
            );
        }
        let role_id: u64 = b
            .get("role_id")
            .and_then(as_text)
            .and_then(|r| r.parse().ok())
            .unwrap_or(3);
        if !ROLES.iter().any(|r| r.0 == role_id) || (role_id == 1 && !caller.site_admin()) {
            return save_fail("add", "User", url, json!({"role_id": ["Invalid role."]}));
        }
        let id = new_user(st, &email, org_id, role_id, caller.user_id);
        if let Some(pw) = b
            .get("password")
            .and_then(as_text)
            .filter(|p| !p.is_empty())
        {
            st.passwords.insert(id, util::hash_password(&pw));
        }
        if let Some(u) = st.users.get_mut(&id) {
            for k in [
                "autoalert",
                "contactalert",
                "disabled",
                "change_pw",
                "termsaccepted",
            ] {
                if let Some(f) = b.get(k).and_then(as_flag) {
                    u.insert(k.into(), json!(f));
                }
            }
        }
        let u = st.users.get(&id).cloned().unwrap_or_default();
        util::json(StatusCode::OK, json!({"User": u}))
    }

    fn edit_user(&self, st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
        let url = req.url.as_str();
        let uid: u64 = if id == "me" {
            caller.user_id
        } else {
            id.parse().unwrap_or(0)
        };
        let b = unwrap_body(&req.body, "User");
        let Some(u) = st.users.get(&uid) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid user", url);
        };
        let same_org = str_of(u, "org_id") == caller.org_id.to_string();
        if !(caller.site_admin() || (caller.org_admin() && same_org) || uid == caller.user_id) {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You are not authorized to access this resource.",
                url,
            );
        }
        let admin = caller.org_admin();
        if let Some(u) = st.users.get_mut(&uid) {
            if let Some(e) = b.get("email").and_then(as_text).filter(|e| e.contains('@')) {
                u.insert("email".into(), s(e.to_lowercase()));
            }
            if admin {
                for k in ["org_id", "role_id"] {
                    if let Some(v) = b.get(k).and_then(as_text) {
                        u.insert(k.into(), s(v));
                    }
                }
                for k in ["disabled", "autoalert", "contactalert", "change_pw"] {
                    if let Some(f) = b.get(k).and_then(as_flag) {
                        u.insert(k.into(), json!(f));
                    }
                }
            }
            u.insert("date_modified".into(), s(now_s()));
        }
        if let Some(pw) = b
            .get("password")
            .and_then(as_text)
            .filter(|p| !p.is_empty())
        {
            st.passwords.insert(uid, util::hash_password(&pw));
        }
        let u = st.users.get(&uid).cloned().unwrap_or_default();
        util::json(StatusCode::OK, json!({"User": u}))
    }

    fn edit_event(&self, st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
        let url = req.url.as_str();
        let Some(eid) = self.event_by_ref(st, id) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event", url);
        };
        if !caller.can_write() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You do not have permission to do that.",
                url,
            );
        }
        let b = unwrap_body(&req.body, "Event");
        let Some(mut ev) = st.events.get(&eid).cloned() else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event", url);
        };
        for k in [
            "info",
            "date",
            "threat_level_id",
            "analysis",
            "distribution",
            "sharing_group_id",
            "extends_uuid",
        ] {
            if let Some(v) = b.get(k).and_then(as_text) {
                ev.insert(k.into(), s(v));
            }
        }
        if let Some(p) = b.get("published").and_then(as_flag) {
            ev.insert("published".into(), json!(p));
        } else {
            ev.insert("published".into(), json!(false));
        }
        if b.contains_key("Tag") {
            let tags = tags_from_body(st, &b, caller.user_id);
            ev.insert("Tag".into(), Value::Array(tags));
        }
        for a in b
            .get("Attribute")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let am = a.as_object().cloned().unwrap_or_default();
            let key = am
                .get("uuid")
                .and_then(as_text)
                .or_else(|| am.get("id").and_then(as_text));
            let pos = key.as_ref().and_then(|k| {
                ev.get("Attribute")
                    .and_then(Value::as_array)
                    .and_then(|list| {
                        list.iter().position(|x| {
                            x.get("uuid").and_then(Value::as_str) == Some(k)
                                || x.get("id").and_then(Value::as_str) == Some(k)
                        })
                    })
            });
            match pos {
                Some(p) => {
                    let tags = if am.contains_key("Tag") {
                        Some(tags_from_body(st, &am, caller.user_id))
                    } else {
                        None
                    };
                    edit_array(&mut ev, "Attribute", |list| {
                        if let Some(x) = list.get_mut(p).and_then(Value::as_object_mut) {
                            let before = x.clone();
                            for k in ["value", "category", "type", "comment", "distribution"] {
                                if let Some(v) = am.get(k).and_then(as_text) {
                                    x.insert(k.into(), s(v));
                                }
                            }
                            for k in ["to_ids", "deleted", "disable_correlation"] {
                                if let Some(f) = am.get(k).and_then(as_flag) {
                                    x.insert(k.into(), json!(f));
                                }
                            }
                            if let Some(tags) = tags {
                                if tags.is_empty() {
                                    x.remove("Tag");
                                } else {
                                    x.insert("Tag".into(), Value::Array(tags));
                                }
                            }
                            if *x != before {
                                x.insert("timestamp".into(), s(now_s()));
                            }
                        }
                    });
                }
                None => match build_attribute(st, &am, eid, 0, caller.user_id, "5") {
                    Ok(attr) => {
                        if !attr_dup(&ev, &attr) {
                            edit_array(&mut ev, "Attribute", |l| l.push(Value::Object(attr)));
                        }
                    }
                    Err(errors) => return save_fail("edit", "Event", url, errors),
                },
            }
        }
        for o in b
            .get("Object")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let om = o.as_object().cloned().unwrap_or_default();
            let uuid = om.get("uuid").and_then(as_text).unwrap_or_default();
            let known = ev.get("Object").and_then(Value::as_array).is_some_and(|l| {
                l.iter()
                    .any(|x| x.get("uuid").and_then(Value::as_str) == Some(&uuid))
            });
            if !known {
                match build_object(st, &om, eid, caller.user_id) {
                    Ok(obj) => edit_array(&mut ev, "Object", |l| l.push(Value::Object(obj))),
                    Err(errors) => return save_fail("edit", "Event", url, errors),
                }
            }
        }
        ev.insert("timestamp".into(), s(now_s()));
        let out = render_event(st, &ev, false);
        st.events.insert(eid, ev);
        util::json(StatusCode::OK, json!({"Event": out}))
    }

    fn event_tag_route(
        &self,
        st: &mut State,
        req: &Req,
        caller: &Caller,
        op: &str,
        rest: &[&str],
    ) -> Response {
        let url = req.url.as_str();
        let b = req.body.as_object().cloned().unwrap_or_default();
        let event_ref = rest
            .first()
            .map(|s| (*s).to_owned())
            .or_else(|| b.get("event").and_then(as_text));
        let tag_ref = rest
            .get(1)
            .map(|s| (*s).to_owned())
            .or_else(|| b.get("tag").and_then(as_text));
        let local = req.param("local").is_some_and(|l| l == "1")
            || b.get("local").and_then(as_flag).unwrap_or(false);
        let Some(eid) = event_ref.and_then(|r| self.event_by_ref(st, &r)) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
        };
        let Some(tag_ref) = tag_ref else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid tag.", url);
        };
        let tid = if op == "addTag" {
            capture_tag(st, &tag_ref, caller.user_id)
        } else {
            tag_ref.parse().ok().or_else(|| {
                st.tags
                    .iter()
                    .find(|(_, t)| str_of(t, "name") == tag_ref)
                    .map(|(id, _)| *id)
            })
        };
        let Some(tid) = tid else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid tag.", url);
        };
        let tag = attached_tag(st, tid, local);
        let Some(ev) = st.events.get_mut(&eid) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
        };
        let add = op == "addTag";
        let had = edit_array(ev, "Tag", |tags| {
            let had = tags.iter().any(|t| t.get("id") == tag.get("id"));
            if add && !had {
                tags.push(tag.clone());
            } else if !add {
                tags.retain(|t| t.get("id") != tag.get("id"));
            }
            had
        });
        if add {
            util::json(
                StatusCode::OK,
                json!({"saved": true, "success": "Tag(s) added.", "check_publish": true}),
            )
        } else if had {
            util::json(
                StatusCode::OK,
                json!({"saved": true, "success": "Tag removed.", "check_publish": true}),
            )
        } else {
            util::json(
                StatusCode::OK,
                json!({"saved": false, "errors": "Tag is not attached to this event."}),
            )
        }
    }

    fn attach_tag(&self, st: &mut State, req: &Req, caller: &Caller, op: &str) -> Response {
        let url = req.url.as_str();
        let b = req.body.as_object().cloned().unwrap_or_default();
        let uuid = b.get("uuid").and_then(as_text).unwrap_or_default();
        let tag_ref = b.get("tag").and_then(as_text).unwrap_or_default();
        let local = b.get("local").and_then(as_flag).unwrap_or(false);
        if uuid.is_empty() || tag_ref.is_empty() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "Invalid input. Expected: {\"uuid\": ..., \"tag\": ...}",
                url,
            );
        }
        let tid = if op == "attachTagToObject" {
            capture_tag(st, &tag_ref, caller.user_id)
        } else {
            tag_ref.parse().ok().or_else(|| {
                st.tags
                    .iter()
                    .find(|(_, t)| str_of(t, "name") == tag_ref)
                    .map(|(id, _)| *id)
            })
        };
        let Some(tid) = tid else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid Tag.", url);
        };
        let tag = attached_tag(st, tid, local);
        let tag_name = str_of(tag.as_object().unwrap_or(&Map::new()), "name").to_owned();
        let attach = op == "attachTagToObject";
        let mut target: Option<(String, String)> = None;
        let mut changed = false;
        let apply = |holder: &mut Map<String, Value>| -> bool {
            edit_array(holder, "Tag", |tags| {
                let had = tags.iter().any(|t| t.get("id") == tag.get("id"));
                if attach && !had {
                    tags.push(tag.clone());
                    true
                } else if !attach && had {
                    tags.retain(|t| t.get("id") != tag.get("id"));
                    true
                } else {
                    false
                }
            })
        };
        'outer: for ev in st.events.values_mut() {
            if str_of(ev, "uuid") == uuid {
                changed = apply(ev);
                target = Some(("Event".into(), str_of(ev, "id").to_owned()));
                break;
            }
            let mut lists: Vec<&mut Value> = Vec::new();
            if let Some(a) = ev.get_mut("Attribute") {
                lists.push(a);
            }
            for list in lists {
                if let Value::Array(items) = list {
                    for a in items.iter_mut() {
                        if let Some(am) = a.as_object_mut() {
                            if str_of(am, "uuid") == uuid {
                                changed = apply(am);
                                if am
                                    .get("Tag")
                                    .and_then(Value::as_array)
                                    .is_some_and(Vec::is_empty)
                                {
                                    am.remove("Tag");
                                }
                                target = Some(("Attribute".into(), str_of(am, "id").to_owned()));
                                break 'outer;
                            }
                        }
                    }
                }
            }
            if let Some(Value::Array(objs)) = ev.get_mut("Object") {
                for o in objs.iter_mut() {
                    if let Some(Value::Array(items)) = o.get_mut("Attribute") {
                        for a in items.iter_mut() {
                            if let Some(am) = a.as_object_mut() {
                                if str_of(am, "uuid") == uuid {
                                    changed = apply(am);
                                    target =
                                        Some(("Attribute".into(), str_of(am, "id").to_owned()));
                                    break 'outer;
                                }
                            }
                        }
                    }
                }
            }
        }
        let Some((kind, id)) = target else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid target.", url);
        };
        let scope = if local { "Local" } else { "Global" };
        let msg = match (attach, changed) {
            (true, true) => {
                format!("{scope} tag {tag_name}({tid}) successfully attached to {kind}({id}).")
            }
            (true, false) => {
                format!("{scope} tag {tag_name}({tid}) successfully attached to {kind}({id}).")
            }
            (false, true) => {
                format!("Tag {tag_name}({tid}) successfully removed from {kind}({id}).")
            }
            (false, false) => {
                return save_fail(
                    "remove",
                    "Tag",
                    url,
                    json!(format!(
                        "Tag {tag_name}({tid}) is not attached to {kind}({id})."
                    )),
                )
            }
        };
        save_success(&msg, url, None)
    }

    fn cache_feeds(&self, st: &mut State, caller: &Caller, scope: &str, url: &str) -> Response {
        if !caller.site_admin() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You are not authorized to access this resource.",
                url,
            );
        }
        if !st.jobs_ok() {
            return misp_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An Internal Error Has Occurred.",
                url,
            );
        }
        let ids: Vec<u64> = st
            .feeds
            .iter()
            .filter(|(id, f)| match scope {
                "all" => true,
                "freetext" => matches!(str_of(f, "source_format"), "freetext" | "csv"),
                "misp" => str_of(f, "source_format") == "misp",
                other => other.parse::<u64>().ok() == Some(**id),
            })
            .filter(|(_, f)| {
                f.get("caching_enabled").and_then(as_flag) == Some(true)
                    || scope.parse::<u64>().is_ok()
            })
            .map(|(id, _)| *id)
            .collect();
        let mut failures = Vec::new();
        for fid in &ids {
            let Some(feed) = st.feeds.get(fid).cloned() else {
                continue;
            };
            match Self::read_feed(&feed) {
                Ok(_) => {
                    if let Some(f) = st.feeds.get_mut(fid) {
                        f.insert("cache_timestamp".into(), s(now_s()));
                    }
                }
                Err(e) => failures.push(format!("feed {fid}: {e}")),
            }
        }
        let msg = if failures.is_empty() {
            format!("Job done. {} feed(s) cached.", ids.len())
        } else {
            failures.join("; ")
        };
        Self::new_job(st, "cache_feeds", scope, caller, failures.is_empty(), &msg);
        save_success("Feed caching job initiated.", url, None)
    }

    fn edit_setting(&self, st: &mut State, req: &Req, caller: &Caller, name: &str) -> Response {
        let url = "/servers/serverSettingsEdit";
        if !caller.site_admin() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You are not authorized to access this resource.",
                &req.url,
            );
        }
        let Some(def) = setting_defs().into_iter().find(|d| d.0 == name) else {
            return misp_error(
                StatusCode::NOT_FOUND,
                &format!("Setting {name} is invalid."),
                &req.url,
            );
        };
        if req.method == Method::GET {
            if def.6 {
                return misp_error(StatusCode::FORBIDDEN, "This setting is redacted.", &req.url);
            }
            return util::json(StatusCode::OK, json!({name: st.setting(name)}));
        }
        let body = match req.body.get("Server") {
            Some(inner @ Value::Object(_)) => inner.clone(),
            _ => req.body.clone(),
        };
        let Some(raw) = body
            .get("value")
            .filter(|v| !v.is_array() && !v.is_object())
        else {
            return save_fail(
                "serverSettingsEdit",
                "Server",
                url,
                json!("Invalid input. Expected: {\"value\": \"new_setting\"}"),
            );
        };
        let force = body.get("force").and_then(as_flag).unwrap_or(false);
        let text = as_text(raw).unwrap_or_default().trim().to_owned();
        let value = match def.2 {
            "boolean" => json!(
                as_flag(raw).unwrap_or(false)
                    || (raw.is_string() && !text.is_empty() && text != "0")
            ),
            "numeric" => match text.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) if force => json!(text),
                Err(_) => {
                    return save_fail(
                        "serverSettingsEdit",
                        "Server",
                        url,
                        json!(format!("Setting {name} must be numeric.")),
                    )
                }
            },
            _ => json!(text),
        };
        if def.5 == "testForEmpty" && text.is_empty() && !force {
            return save_fail("serverSettingsEdit", "Server", url, json!("Value not set."));
        }
        st.settings.insert(name.to_owned(), value);
        save_success("Field updated", url, None)
    }
}

fn uid_or_me(seg: Option<&str>) -> &str {
    match seg {
        None | Some("me") => "me",
        Some(other) => other,
    }
}

fn apply_org_fields(o: &mut Map<String, Value>, b: &Map<String, Value>) {
    for k in [
        "description",
        "type",
        "nationality",
        "sector",
        "contacts",
        "landingpage",
    ] {
        if let Some(v) = b.get(k).and_then(as_text) {
            o.insert(k.into(), s(v));
        }
    }
    if let Some(l) = b.get("local").and_then(as_flag) {
        o.insert("local".into(), json!(l));
    }
    if let Some(r) = b.get("restricted_to_domain") {
        o.insert("restricted_to_domain".into(), r.clone());
    }
}

fn org_full(st: &State, o: &Map<String, Value>) -> Value {
    let mut o = o.clone();
    let id = str_of(&o, "id").to_owned();
    let users = st
        .users
        .values()
        .filter(|u| str_of(u, "org_id") == id)
        .count();
    o.insert("user_count".into(), json!(users));
    let creator: u64 = str_of(&o, "created_by").parse().unwrap_or(0);
    o.insert(
        "created_by_email".into(),
        s(st.users
            .get(&creator)
            .map(|u| str_of(u, "email"))
            .unwrap_or("")),
    );
    Value::Object(o)
}

fn user_brief(st: &State, user_id: &str) -> Value {
    let uid: u64 = user_id.parse().unwrap_or(0);
    json!({"id": user_id, "email": st.users.get(&uid).map(|u| str_of(u, "email")).unwrap_or("")})
}

fn user_full(st: &State, u: &Map<String, Value>) -> Value {
    let mut user = u.clone();
    user.insert("password".into(), s("*****"));
    let role_id: u64 = str_of(u, "role_id").parse().unwrap_or(3);
    let org_id: u64 = str_of(u, "org_id").parse().unwrap_or(0);
    let org = st.orgs.get(&org_id).cloned().unwrap_or_default();
    json!({
        "User": user,
        "Role": role_json(role_id),
        "UserSetting": {},
        "Organisation": org,
    })
}

fn index_event(st: &State, ev: &Map<String, Value>) -> Value {
    let mut out = ev.clone();
    out.remove("Attribute");
    out.remove("Object");
    out.remove("Tag");
    out.remove("event_creator_email");
    out.insert("attribute_count".into(), s(all_attributes(ev).len()));
    out.insert("sighting_timestamp".into(), s("0"));
    let org_id: u64 = str_of(ev, "org_id").parse().unwrap_or(0);
    let orgc_id: u64 = str_of(ev, "orgc_id").parse().unwrap_or(0);
    let brief = |id: u64| {
        let o = st.org_brief(id);
        json!({"id": o.get("id"), "name": o.get("name"), "uuid": o.get("uuid")})
    };
    out.insert("Org".into(), brief(org_id));
    out.insert("Orgc".into(), brief(orgc_id));
    let event_tags: Vec<Value> = ev
        .get("Tag")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({
                        "id": s(i + 1), "event_id": str_of(ev, "id"), "tag_id": t.get("id"),
                        "local": t.get("local").cloned().unwrap_or(json!(false)), "relationship_type": null,
                        "Tag": {"id": t.get("id"), "name": t.get("name"), "colour": t.get("colour"), "is_galaxy": t.get("is_galaxy")},
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("EventTag".into(), Value::Array(event_tags));
    out.insert(
        "SharingGroup".into(),
        json!({"id": null, "name": null, "uuid": null}),
    );
    Value::Object(out)
}

fn find_attribute(st: &State, r: &str) -> Option<(u64, Value)> {
    for (eid, ev) in &st.events {
        for a in all_attributes(ev) {
            if a.get("id").and_then(Value::as_str) == Some(r)
                || a.get("uuid").and_then(Value::as_str) == Some(r)
            {
                return Some((*eid, a.clone()));
            }
        }
    }
    None
}

fn with_attribute_mut<T>(
    st: &mut State,
    r: &str,
    f: impl FnOnce(&mut Map<String, Value>) -> T,
) -> Option<T> {
    let hit = |a: &Value| {
        a.get("id").and_then(Value::as_str) == Some(r)
            || a.get("uuid").and_then(Value::as_str) == Some(r)
    };
    for ev in st.events.values_mut() {
        if let Some(Value::Array(items)) = ev.get_mut("Attribute") {
            if let Some(a) = items
                .iter_mut()
                .find(|a| hit(a))
                .and_then(Value::as_object_mut)
            {
                return Some(f(a));
            }
        }
        if let Some(Value::Array(objs)) = ev.get_mut("Object") {
            for o in objs.iter_mut() {
                if let Some(Value::Array(items)) = o.get_mut("Attribute") {
                    if let Some(a) = items
                        .iter_mut()
                        .find(|a| hit(a))
                        .and_then(Value::as_object_mut)
                    {
                        return Some(f(a));
                    }
                }
            }
        }
    }
    None
}

fn find_object(st: &State, r: &str) -> Option<Value> {
    st.events.values().find_map(|ev| {
        ev.get("Object").and_then(Value::as_array).and_then(|objs| {
            objs.iter()
                .find(|o| {
                    o.get("deleted") != Some(&json!(true))
                        && (o.get("id").and_then(Value::as_str) == Some(r)
                            || o.get("uuid").and_then(Value::as_str) == Some(r))
                })
                .cloned()
        })
    })
}

fn setting_entry(st: &State, def: &SettingDef) -> Value {
    let value = if def.6 {
        s("*****")
    } else {
        st.setting(def.0).unwrap_or(Value::Null)
    };
    let raw = st.setting(def.0).unwrap_or(Value::Null);
    let text = as_text(&raw).unwrap_or_default();
    let mut error = None;
    if def.5 == "testForEmpty" && text.is_empty() {
        error = Some("Value not set.".to_owned());
    }
    if def.0.ends_with("redis_host") && text != REDIS_HOST && !text.is_empty() {
        error = Some(format!("Redis is not reachable at {text}:6379."));
    }
    if def.0 == "SimpleBackgroundJobs.enabled" && as_flag(&raw) != Some(true) {
        error = Some(
            "Background jobs are disabled: feeds, publishing alerts and caching will not run."
                .into(),
        );
    }
    json!({
        "setting": def.0,
        "value": value,
        "level": def.3,
        "description": def.4,
        "type": def.2,
        "test": def.5,
        "errorMessage": error,
        "error": u8::from(error.is_some()),
        "redacted": def.6,
        "name": def.0,
    })
}

fn server_settings(st: &State) -> Value {
    let settings: Vec<Value> = setting_defs()
        .iter()
        .map(|d| setting_entry(st, d))
        .collect();
    let status = if st.jobs_ok() {
        "OK"
    } else if st
        .setting("SimpleBackgroundJobs.enabled")
        .as_ref()
        .and_then(as_flag)
        != Some(true)
    {
        "Not configured (so not tested)"
    } else {
        "Error connecting to Redis."
    };
    json!({
        "version": {"current": MISP_VERSION, "newest": MISP_VERSION, "upToDate": "same"},
        "finalSettings": settings,
        "workers": workers_json(st),
        "backgroundJobsStatus": status,
        "redisInfo": if st.redis_ok() { json!({"connection": true}) } else { json!({"connection": false}) },
    })
}

fn workers_json(st: &State) -> Value {
    let up = st.jobs_ok();
    let mut out = Map::new();
    let mut pid = 2238;
    for (queue, count) in [
        ("cache", 1),
        ("default", 2),
        ("email", 1),
        ("prio", 1),
        ("update", 1),
        ("scheduler", 1),
    ] {
        let workers: Vec<Value> = if up {
            (0..count)
                .map(|_| {
                    pid += 1;
                    json!({"pid": pid, "user": "www-data", "alive": true, "correct_user": true, "ok": true})
                })
                .collect()
        } else {
            Vec::new()
        };
        let jobs = if up { 0 } else { st.jobs.len() };
        out.insert(
            queue.into(),
            json!({"ok": up, "workers": workers, "jobCount": jobs}),
        );
    }
    out.insert("proc_accessible".into(), json!(true));
    out.insert("controls".into(), json!(true));
    Value::Object(out)
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
