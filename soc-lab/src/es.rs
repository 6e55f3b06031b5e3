//! The Elasticsearch 8.19 stand-in: one node, basic auth as `elastic`, indices with documents
//! searched by a linear scan, templates, ILM policies, snapshot repositories and the cluster
//! APIs an operator's doctor reads.

mod query;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::response::Response;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::{util, Backend, Built, LabConfig, LabError, Service};

const VERSION: &str = "8.19.3";
const LUCENE: &str = "9.12.2";
const COMPAT_JSON: &str = "application/vnd.elasticsearch+json;compatible-with=8";
/// How many hits `hits.total` counts exactly unless `track_total_hits` says otherwise.
const TOTAL_HITS_CAP: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Doc {
    source: Value,
    version: u64,
    seq_no: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Index {
    uuid: String,
    created_ms: i64,
    /// Flat settings (`index.number_of_shards` -> "1").
    settings: BTreeMap<String, String>,
    mappings: Value,
    aliases: Map<String, Value>,
    docs: BTreeMap<String, Doc>,
    next_seq: u64,
    deleted: u64,
}

impl Index {
    fn shards(&self) -> u64 {
        self.settings
            .get("index.number_of_shards")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1)
    }
    fn replicas(&self) -> u64 {
        self.settings
            .get("index.number_of_replicas")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1)
    }
    fn health(&self) -> &'static str {
        if self.replicas() > 0 {
            "yellow"
        } else {
            "green"
        }
    }
    fn store_bytes(&self) -> u64 {
        self.docs
            .values()
            .map(|d| d.source.to_string().len() as u64 + 64)
            .sum::<u64>()
            + 225
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Policy {
    version: u64,
    modified_ms: i64,
    policy: Value,
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    password: String,
    cluster_uuid: String,
    node_id: String,
    #[serde(default)]
    indices: BTreeMap<String, Index>,
    #[serde(default)]
    index_templates: BTreeMap<String, Value>,
    #[serde(default)]
    legacy_templates: BTreeMap<String, Value>,
    #[serde(default)]
    component_templates: BTreeMap<String, Value>,
    #[serde(default)]
    ilm: BTreeMap<String, Policy>,
    #[serde(default)]
    repositories: BTreeMap<String, Value>,
    #[serde(default)]
    persistent: BTreeMap<String, Value>,
    #[serde(default)]
    transient: BTreeMap<String, Value>,
}

impl State {
    fn fresh() -> Self {
        State {
            password: util::random_alnum(20),
            cluster_uuid: es_id(),
            node_id: es_id(),
            indices: BTreeMap::new(),
            index_templates: BTreeMap::new(),
            legacy_templates: BTreeMap::new(),
            component_templates: BTreeMap::new(),
            ilm: BTreeMap::new(),
            repositories: BTreeMap::new(),
            persistent: BTreeMap::new(),
            transient: BTreeMap::new(),
        }
    }
}

/// An open scroll: the hits still to hand out.
struct Scroll {
    hits: Vec<Value>,
    total: usize,
    size: usize,
}

/// The Elasticsearch service's state.
pub(crate) struct Es {
    state: Mutex<State>,
    scrolls: Mutex<HashMap<String, Scroll>>,
    /// Open points in time: the concrete indices each one searches.
    pits: Mutex<HashMap<String, Vec<String>>>,
    wildcards_7x: bool,
    started_ms: i64,
}

impl Backend for Es {
    fn snapshot(&self) -> Value {
        serde_json::to_value(&*util::lock(&self.state)).unwrap_or_default()
    }

    fn restart(&self) {
        // Scroll contexts live in the node's memory: a restart loses them.
        util::lock(&self.scrolls).clear();
        util::lock(&self.pits).clear();
    }
}

pub(crate) fn build(config: &LabConfig, restored: Option<Value>) -> Result<Built, LabError> {
    let state: State = match restored {
        Some(v) => util::restore(Service::Elasticsearch, v)?,
        None => State::fresh(),
    };
    let password = state.password.clone();
    let backend = Arc::new(Es {
        state: Mutex::new(state),
        scrolls: Mutex::new(HashMap::new()),
        pits: Mutex::new(HashMap::new()),
        wildcards_7x: config.es_7x_wildcards,
        started_ms: util::now_ms(),
    });
    let es = backend.clone();
    let router = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let es = es.clone();
            async move { es.handle(method, uri, headers, body).await }
        },
    );
    Ok(Built {
        router,
        backend,
        username: Some("elastic".into()),
        password: Some(SecretString::from(password)),
        api_key: None,
    })
}

/// What a route answers before the common headers are added.
enum Payload {
    Json(Value),
    Text(String),
    Empty,
}

type Answer = (StatusCode, Payload);

fn ok(v: Value) -> Answer {
    (StatusCode::OK, Payload::Json(v))
}

/// An error in Elasticsearch's shape.
fn err(status: StatusCode, kind: &str, reason: impl Into<String>, extra: Value) -> Answer {
    let mut cause = Map::new();
    cause.insert("type".into(), kind.into());
    cause.insert("reason".into(), Value::String(reason.into()));
    if let Value::Object(m) = extra {
        cause.extend(m);
    }
    let root = Value::Object(cause.clone());
    let mut e = Map::new();
    e.insert("root_cause".into(), json!([root]));
    e.extend(cause);
    (
        status,
        Payload::Json(json!({"error": Value::Object(e), "status": status.as_u16()})),
    )
}

fn index_missing(name: &str) -> Answer {
    err(
        StatusCode::NOT_FOUND,
        "index_not_found_exception",
        format!("no such index [{name}]"),
        json!({"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name}),
    )
}

fn bad_request(kind: &str, reason: impl Into<String>) -> Answer {
    err(StatusCode::BAD_REQUEST, kind, reason, Value::Null)
}

fn acknowledged() -> Answer {
    ok(json!({"acknowledged": true}))
}

/// A 20-character id in the URL-safe base64 alphabet, as Elasticsearch generates them.
fn es_id() -> String {
    let mut bytes = [0u8; 15];
    if getrandom::fill(&mut bytes).is_err() {
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hexval = |c: u8| char::from(c).to_digit(16);
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| v.is_empty() || v == "true")
}

fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---- settings and mappings ----

fn flatten_into(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn setting_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(setting_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Flat `index.*` settings from any of the forms a request may use.
fn index_settings(v: &Value) -> BTreeMap<String, String> {
    let mut flat = BTreeMap::new();
    flatten_into("", v, &mut flat);
    flat.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let k = if k.starts_with("index.") {
                k
            } else {
                format!("index.{k}")
            };
            (k, setting_text(&v))
        })
        .collect()
}

fn nest(flat: impl IntoIterator<Item = (String, Value)>) -> Value {
    fn put(node: &mut Map<String, Value>, parts: &[&str], v: Value) {
        match parts {
            [] => {}
            [last] => {
                node.insert((*last).to_string(), v);
            }
            [first, rest @ ..] => {
                let entry = node
                    .entry((*first).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(m) = entry {
                    put(m, rest, v);
                }
            }
        }
    }
    let mut root = Map::new();
    for (k, v) in flat {
        let parts: Vec<&str> = k.split('.').collect();
        put(&mut root, &parts, v);
    }
    Value::Object(root)
}

/// Deep-merges `patch` into `base` (objects merge, everything else replaces).
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Adds dynamic mappings for the fields of `source` that have none, as dynamic mapping does.
fn map_dynamic(mappings: &mut Value, source: &Value) {
    let Value::Object(src) = source else { return };
    if mappings.get("dynamic").and_then(Value::as_str) == Some("false")
        || mappings.get("dynamic") == Some(&Value::Bool(false))
    {
        return;
    }
    if !mappings.is_object() {
        *mappings = json!({});
    }
    let Value::Object(m) = mappings else { return };
    let props = m
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(props) = props else { return };
    for (k, v) in src {
        let v = match v {
            Value::Array(a) => match a.iter().find(|x| !x.is_null()) {
                Some(x) => x,
                None => continue,
            },
            Value::Null => continue,
            other => other,
        };
        if let Value::Object(_) = v {
            let entry = props
                .entry(k.clone())
                .or_insert_with(|| json!({"properties": {}}));
            map_dynamic(entry, v);
            continue;
        }
        if props.contains_key(k) {
            continue;
        }
        let mapping = match v {
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Number(n) if n.is_f64() => json!({"type": "float"}),
            Value::Number(_) => json!({"type": "long"}),
            Value::String(s) if query::looks_like_date(s) => json!({"type": "date"}),
            _ => {
                json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
            }
        };
        props.insert(k.clone(), mapping);
    }
}

fn patterns_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_string()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn valid_index_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.to_lowercase() != name {
        return Err("must be lowercase".into());
    }
    if name.starts_with(['_', '-', '+']) {
        return Err("must not start with '_', '-', or '+'".into());
    }
    if name == "." || name == ".." {
        return Err("must not be '.' or '..'".into());
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        )
    }) {
        return Err(format!(
            "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?] (found [{c}])"
        ));
    }
    if name.len() > 255 {
        return Err("index name is too long".into());
    }
    Ok(())
}

// ---- search ----

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Str(String),
}

struct SortSpec {
    field: String,
    desc: bool,
}

fn parse_sort(v: &Value) -> Vec<SortSpec> {
    let mut out = Vec::new();
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::String(s) => {
                for part in s.split(',') {
                    let (f, o) = part.split_once(':').unwrap_or((part, ""));
                    out.push(SortSpec {
                        field: f.to_string(),
                        desc: o == "desc" || (o.is_empty() && f == "_score"),
                    });
                }
            }
            Value::Object(m) => {
                for (f, o) in m {
                    let order = match o {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => o
                            .get("order")
                            .and_then(Value::as_str)
                            .unwrap_or(if f == "_score" { "desc" } else { "asc" })
                            .to_string(),
                        _ => String::new(),
                    };
                    out.push(SortSpec {
                        field: f.clone(),
                        desc: order == "desc",
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Filters `_source` by include and exclude patterns.
fn filter_source(src: &Value, includes: &[String], excludes: &[String]) -> Value {
    fn walk(v: &Value, path: &str, inc: &[String], exc: &[String]) -> Option<Value> {
        if !path.is_empty() && exc.iter().any(|p| query::glob(p, path)) {
            return None;
        }
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let whole = inc.is_empty()
                        || inc
                            .iter()
                            .any(|i| query::glob(i, &p) || p.starts_with(&format!("{i}.")));
                    let partial = inc
                        .iter()
                        .any(|i| i.starts_with(&format!("{p}.")) || i.contains('*'));
                    if whole {
                        if let Some(x) = walk(v, &p, &[], exc) {
                            out.insert(k.clone(), x);
                        }
                    } else if partial && v.is_object() {
                        if let Some(x) = walk(v, &p, inc, exc) {
                            if x.as_object().is_some_and(|o| !o.is_empty()) {
                                out.insert(k.clone(), x);
                            }
                        }
                    }
                }
                Some(Value::Object(out))
            }
            other => Some(other.clone()),
        }
    }
    walk(src, "", includes, excludes).unwrap_or_else(|| json!({}))
}

fn source_filter(
    body: &Value,
    params: &HashMap<String, String>,
) -> Option<(Vec<String>, Vec<String>)> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut inc = Vec::new();
    let mut exc = Vec::new();
    match params.get("_source").map(String::as_str) {
        Some("false") => return None,
        Some("true") | None => {}
        Some(list) => inc = split(list),
    }
    if let Some(s) = params.get("_source_includes") {
        inc = split(s);
    }
    if let Some(s) = params.get("_source_excludes") {
        exc = split(s);
    }
    match body.get("_source") {
        Some(Value::Bool(false)) => return None,
        Some(Value::String(s)) => inc = vec![s.clone()],
        Some(Value::Array(a)) => {
            inc = a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
        Some(Value::Object(m)) => {
            inc = patterns_of(m.get("includes").or_else(|| m.get("include")));
            exc = patterns_of(m.get("excludes").or_else(|| m.get("exclude")));
        }
        _ => {}
    }
    Some((inc, exc))
}

struct Found {
    hit: Value,
    keys: Vec<Option<Key>>,
}

impl Es {
    async fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let compat = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("compatible-with"));
        let head = method == Method::HEAD;
        let path = uri.path().to_string();
        let (status, payload) = match self.authenticate(&headers, &path) {
            Some(denied) => denied,
            None => self.route(&method, &uri, &body).await,
        };
        let mut builder = Response::builder()
            .status(status)
            .header("X-Elastic-Product", "Elasticsearch");
        if status == StatusCode::UNAUTHORIZED {
            builder = builder
                .header(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"security\" charset=\"UTF-8\"",
                )
                .header(header::WWW_AUTHENTICATE, "ApiKey");
        }
        let (ctype, bytes) = match payload {
            Payload::Json(v) => (
                if compat {
                    COMPAT_JSON
                } else {
                    "application/json"
                },
                v.to_string().into_bytes(),
            ),
            Payload::Text(t) => ("text/plain; charset=UTF-8", t.into_bytes()),
            Payload::Empty => (
                if compat {
                    COMPAT_JSON
                } else {
                    "application/json"
                },
                Vec::new(),
            ),
        };
        builder = builder
            .header(header::CONTENT_TYPE, HeaderValue::from_static(ctype))
            .header(header::CONTENT_LENGTH, bytes.len());
        let body = if head {
            Body::empty()
        } else {
            Body::from(bytes)
        };
        builder
            .body(body)
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }

    fn authenticate(&self, headers: &HeaderMap, path: &str) -> Option<Answer> {
        let challenge =
            json!({"WWW-Authenticate": ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"]});
        let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Some(err(
                StatusCode::UNAUTHORIZED,
                "security_exception",
                format!("missing authentication credentials for REST request [{path}]"),
                json!({"header": challenge}),
            ));
        };
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok());
        let password = util::lock(&self.state).password.clone();
        match decoded.as_deref().and_then(|s| s.split_once(':')) {
            Some(("elastic", p)) if p == password => None,
            Some((user, _)) => Some(err(
                StatusCode::UNAUTHORIZED,
                "security_exception",
                format!("unable to authenticate user [{user}] for REST request [{path}]"),
                json!({"header": challenge}),
            )),
            None => Some(err(
                StatusCode::UNAUTHORIZED,
                "security_exception",
                format!("missing authentication credentials for REST request [{path}]"),
                json!({"header": challenge}),
            )),
        }
    }

    async fn route(&self, method: &Method, uri: &Uri, raw: &Bytes) -> Answer {
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let segs: Vec<String> = uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let m = method.clone();
        let is_ndjson = matches!(s.last(), Some(&"_bulk"));
        let body: Value = if raw.iter().all(u8::is_ascii_whitespace) || is_ndjson {
            Value::Null
        } else {
            match serde_json::from_slice(raw) {
                Ok(v) => v,
                Err(e) => {
                    return bad_request(
                        "x_content_parse_exception",
                        format!(
                            "[{}:{}] failed to parse the request body: {e}",
                            e.line(),
                            e.column()
                        ),
                    )
                }
            }
        };
        use Method as M;
        match (&m, s.as_slice()) {
            (&M::GET | &M::HEAD, []) => {
                if m == M::HEAD {
                    return (StatusCode::OK, Payload::Empty);
                }
                let st = util::lock(&self.state);
                ok(json!({
                    "name": "soc-lab-es",
                    "cluster_name": "soc-lab",
                    "cluster_uuid": st.cluster_uuid,
                    "version": {
                        "number": VERSION,
                        "build_flavor": "default",
                        "build_type": "docker",
                        "build_hash": "0e0c4a6b9ff2a1fc3ea3a0b9a0cff7ac3c3d2f63",
                        "build_date": "2025-08-26T02:39:25.120356012Z",
                        "build_snapshot": false,
                        "lucene_version": LUCENE,
                        "minimum_wire_compatibility_version": "7.17.0",
                        "minimum_index_compatibility_version": "7.0.0"
                    },
                    "tagline": "You Know, for Search"
                }))
            }
            (&M::GET, ["_cluster", "health"]) => self.health(None, &params).await,
            (&M::GET, ["_cluster", "health", idx]) => self.health(Some(idx), &params).await,
            (&M::GET, ["_cluster", "settings"]) => self.cluster_settings_get(&params),
            (&M::PUT, ["_cluster", "settings"]) => self.cluster_settings_put(&body),
            (&M::GET | &M::POST, ["_cluster", "allocation", "explain"]) => {
                self.allocation_explain(&body)
            }
            (&M::GET, ["_nodes", "stats", ..]) | (&M::GET, ["_nodes", _, "stats", ..]) => {
                self.node_stats()
            }
            (&M::GET, ["_cat", "indices"]) => self.cat_indices(None, &params),
            (&M::GET, ["_cat", "indices", idx]) => self.cat_indices(Some(idx), &params),
            (&M::GET, ["_cat", "health"]) => self.cat_health(&params),
            (_, ["_index_template", name]) => self.templates(&m, "index", name, &body),
            (&M::GET, ["_index_template"]) => self.templates(&m, "index", "*", &body),
            (_, ["_template", name]) => self.templates(&m, "legacy", name, &body),
            (&M::GET, ["_template"]) => self.templates(&m, "legacy", "*", &body),
            (_, ["_component_template", name]) => self.templates(&m, "component", name, &body),
            (&M::GET, ["_component_template"]) => self.templates(&m, "component", "*", &body),
            (_, ["_ilm", "policy", name]) => self.ilm_policy(&m, Some(name), &body),
            (&M::GET, ["_ilm", "policy"]) => self.ilm_policy(&m, None, &body),
            (&M::GET, ["_ilm", "status"]) => ok(json!({"operation_mode": "RUNNING"})),
            (&M::GET, [idx, "_ilm", "explain"]) => self.ilm_explain(idx),
            (&M::GET, ["_snapshot"]) => self.repository(&m, "_all", &body),
            (&M::POST, ["_snapshot", repo, "_verify"]) => self.verify_repository(repo),
            (&M::GET, ["_snapshot", repo, "_all" | "*"]) => {
                if util::lock(&self.state).repositories.contains_key(*repo) {
                    ok(json!({"snapshots": [], "total": 0, "remaining": 0}))
                } else {
                    repo_missing(repo)
                }
            }
            (_, ["_snapshot", repo]) => self.repository(&m, repo, &body),
            (&M::POST | &M::PUT, ["_bulk"]) => self.bulk(None, raw, &params),
            (&M::POST | &M::PUT, [idx, "_bulk"]) => self.bulk(Some(idx), raw, &params),
            (&M::GET | &M::POST, ["_search"]) if body.get("pit").is_some() => {
                self.pit_search(&body, &params)
            }
            (&M::GET | &M::POST, [_, "_search"]) if body.get("pit").is_some() => bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.;",
            ),
            (&M::GET | &M::POST, ["_search"]) => self.search("_all", &body, &params),
            (&M::GET | &M::POST, [idx, "_search"]) => self.search(idx, &body, &params),
            (&M::POST, [idx, "_pit"]) => self.open_pit(idx, &params),
            (&M::DELETE, ["_pit"]) => self.close_pit(&body),
            (&M::GET | &M::POST, ["_search", "scroll"]) => self.scroll_next(&body, &params, None),
            (&M::GET | &M::POST, ["_search", "scroll", id]) => {
                self.scroll_next(&body, &params, Some(id))
            }
            (&M::DELETE, ["_search", "scroll"]) => self.scroll_clear(&body, None),
            (&M::DELETE, ["_search", "scroll", id]) => self.scroll_clear(&body, Some(id)),
            (&M::GET | &M::POST, ["_count"]) => self.count("_all", &body, &params),
            (&M::GET | &M::POST, [idx, "_count"]) => self.count(idx, &body, &params),
            (&M::POST | &M::GET, ["_refresh"]) => self.refresh("_all"),
            (&M::POST | &M::GET, [idx, "_refresh"]) => self.refresh(idx),
            (&M::GET, ["_mapping"]) => self.get_mapping("_all"),
            (&M::GET, [idx, "_mapping"]) => self.get_mapping(idx),
            (&M::PUT | &M::POST, [idx, "_mapping"]) => self.put_mapping(idx, &body),
            (&M::GET, ["_settings"]) => self.get_settings("_all"),
            (&M::GET, [idx, "_settings"]) => self.get_settings(idx),
            (&M::PUT, [idx, "_settings"]) => self.put_settings(idx, &body),
            (&M::GET, ["_alias" | "_aliases"]) => self.get_aliases("_all"),
            (&M::GET, [idx, "_alias" | "_aliases"]) => self.get_aliases(idx),
            (&M::PUT | &M::POST, [idx, "_doc", id]) => {
                self.index_doc(idx, Some(id), &body, &params, false)
            }
            (&M::POST, [idx, "_doc"]) => self.index_doc(idx, None, &body, &params, false),
            (&M::PUT | &M::POST, [idx, "_create", id]) => {
                self.index_doc(idx, Some(id), &body, &params, true)
            }
            (&M::GET | &M::HEAD, [idx, "_doc", id]) => self.get_doc(idx, id, &params, false),
            (&M::GET | &M::HEAD, [idx, "_source", id]) => self.get_doc(idx, id, &params, true),
            (&M::DELETE, [idx, "_doc", id]) => self.delete_doc(idx, id),
            (&M::POST, [idx, "_update", id]) => self.update_doc(idx, id, &body),
            (&M::PUT, [idx]) if !idx.starts_with('_') => self.create_index(idx, &body),
            (&M::GET, [idx]) if !idx.starts_with('_') => self.get_index(idx),
            (&M::HEAD, [idx]) if !idx.starts_with('_') => {
                let st = util::lock(&self.state);
                match self.resolve(&st, idx, false) {
                    Ok(names) if !names.is_empty() => (StatusCode::OK, Payload::Empty),
                    _ => (StatusCode::NOT_FOUND, Payload::Empty),
                }
            }
            (&M::DELETE, [idx]) if !idx.starts_with('_') => self.delete_index(idx),
            _ => {
                let allowed: Vec<&str> = ["GET", "PUT", "POST", "DELETE", "HEAD"]
                    .into_iter()
                    .filter(|mm| *mm != m.as_str())
                    .collect();
                if s.first().is_some_and(|x| x.starts_with('_')) || s.len() > 1 {
                    bad_request(
                        "illegal_argument_exception",
                        format!(
                            "request [{}] contains unrecognized parameter or path, or method [{}] is not allowed (allowed: {})",
                            uri.path(),
                            m,
                            allowed.join(",")
                        ),
                    )
                } else {
                    (
                        StatusCode::METHOD_NOT_ALLOWED,
                        Payload::Json(
                            json!({"error": format!("Incorrect HTTP method for uri [{}] and method [{}], allowed: [GET, PUT, DELETE, HEAD]", uri.path(), m), "status": 405}),
                        ),
                    )
                }
            }
        }
    }

    /// Resolves an index expression (comma list, wildcards, `-exclusions`, aliases, `_all`).
    fn resolve(&self, st: &State, expr: &str, strict: bool) -> Result<Vec<String>, Answer> {
        let mut out: Vec<String> = Vec::new();
        for part in expr.split(',').filter(|p| !p.is_empty()) {
            if let Some(ex) = part.strip_prefix('-') {
                if !out.is_empty() {
                    out.retain(|n| !query::glob(ex, n));
                    continue;
                }
            }
            if part == "_all" || part.contains('*') || part.contains('?') {
                let pat = if part == "_all" { "*" } else { part };
                for (name, idx) in &st.indices {
                    let hidden = name.starts_with('.') && !pat.starts_with('.');
                    let by_alias = idx.aliases.keys().any(|a| query::glob(pat, a));
                    if (!hidden && query::glob(pat, name)) || by_alias {
                        out.push(name.clone());
                    }
                }
                continue;
            }
            if st.indices.contains_key(part) {
                out.push(part.to_string());
                continue;
            }
            let by_alias: Vec<String> = st
                .indices
                .iter()
                .filter(|(_, i)| i.aliases.contains_key(part))
                .map(|(n, _)| n.clone())
                .collect();
            if by_alias.is_empty() {
                if strict {
                    return Err(index_missing(part));
                }
            } else {
                out.extend(by_alias);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn status_of(st: &State, names: &[String]) -> &'static str {
        if names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .any(|i| i.replicas() > 0)
        {
            "yellow"
        } else {
            "green"
        }
    }

    async fn health(&self, idx: Option<&str>, params: &HashMap<String, String>) -> Answer {
        let wait = params.get("wait_for_status").cloned();
        let timeout_ms = params
            .get("timeout")
            .and_then(|t| parse_duration_ms(t))
            .unwrap_or(30_000);
        let deadline = util::now_ms() + timeout_ms;
        loop {
            let (mut body, status) = {
                let st = util::lock(&self.state);
                let names = match idx {
                    Some(expr) => match self.resolve(&st, expr, true) {
                        Ok(n) => n,
                        Err(e) => return e,
                    },
                    None => st.indices.keys().cloned().collect(),
                };
                let status = Self::status_of(&st, &names);
                let (mut pri, mut unassigned) = (0u64, 0u64);
                for i in names.iter().filter_map(|n| st.indices.get(n)) {
                    pri += i.shards();
                    unassigned += i.shards() * i.replicas();
                }
                let total = pri + unassigned;
                let pct = if total == 0 {
                    100.0
                } else {
                    (pri as f64) * 100.0 / (total as f64)
                };
                (
                    json!({
                        "cluster_name": "soc-lab",
                        "status": status,
                        "timed_out": false,
                        "number_of_nodes": 1,
                        "number_of_data_nodes": 1,
                        "active_primary_shards": pri,
                        "active_shards": pri,
                        "relocating_shards": 0,
                        "initializing_shards": 0,
                        "unassigned_shards": unassigned,
                        "unassigned_primary_shards": 0,
                        "delayed_unassigned_shards": 0,
                        "number_of_pending_tasks": 0,
                        "number_of_in_flight_fetch": 0,
                        "task_max_waiting_in_queue_millis": 0,
                        "active_shards_percent_as_number": pct
                    }),
                    status,
                )
            };
            let rank = |s: &str| match s {
                "green" => 0,
                "yellow" => 1,
                _ => 2,
            };
            match &wait {
                Some(w) if rank(status) > rank(w) => {
                    if util::now_ms() >= deadline {
                        body["timed_out"] = Value::Bool(true);
                        return (StatusCode::REQUEST_TIMEOUT, Payload::Json(body));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                _ => return ok(body),
            }
        }
    }

    fn cluster_settings_get(&self, params: &HashMap<String, String>) -> Answer {
        let st = util::lock(&self.state);
        let flat = flag(params, "flat_settings");
        let render = |m: &BTreeMap<String, Value>| {
            if flat {
                Value::Object(m.clone().into_iter().collect())
            } else {
                nest(m.clone())
            }
        };
        let mut out =
            json!({"persistent": render(&st.persistent), "transient": render(&st.transient)});
        if flag(params, "include_defaults") {
            out["defaults"] = nest([
                (
                    "action.destructive_requires_name".to_string(),
                    json!("true"),
                ),
                (
                    "cluster.routing.allocation.enable".to_string(),
                    json!("all"),
                ),
            ]);
        }
        ok(out)
    }

    fn cluster_settings_put(&self, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let mut echo = json!({"acknowledged": true, "persistent": {}, "transient": {}});
        for scope in ["persistent", "transient"] {
            let mut flat = BTreeMap::new();
            if let Some(v) = body.get(scope) {
                flatten_into("", v, &mut flat);
            }
            let target = if scope == "persistent" {
                &mut st.persistent
            } else {
                &mut st.transient
            };
            let mut applied = BTreeMap::new();
            for (k, v) in flat {
                if v.is_null() {
                    target.remove(&k);
                } else {
                    let v = Value::String(setting_text(&v));
                    target.insert(k.clone(), v.clone());
                    applied.insert(k, v);
                }
            }
            echo[scope] = nest(applied);
        }
        ok(echo)
    }

    fn destructive_requires_name(&self, st: &State) -> bool {
        let key = "action.destructive_requires_name";
        let v = st.transient.get(key).or_else(|| st.persistent.get(key));
        v.is_none_or(|v| v.as_str() != Some("false"))
    }

    fn allocation_explain(&self, body: &Value) -> Answer {
        let st = util::lock(&self.state);
        let wanted = body.get("index").and_then(Value::as_str);
        let primary = body.get("primary").and_then(Value::as_bool);
        let pick = st.indices.iter().find(|(n, i)| match wanted {
            Some(w) => *n == w,
            None => i.replicas() > 0,
        });
        let Some((name, idx)) = pick else {
            return match wanted {
                Some(w) => index_missing(w),
                None => bad_request(
                    "illegal_argument_exception",
                    "No shard was specified in the explain API request, so this response explains a randomly chosen unassigned shard. There are no unassigned shards in this cluster.",
                ),
            };
        };
        let node = json!({
            "node_id": st.node_id, "node_name": "soc-lab-es", "transport_address": "127.0.0.1:9300",
            "node_attributes": {"xpack.installed": "true"},
            "roles": ["data", "data_content", "data_hot", "ingest", "master"],
        });
        if primary == Some(true) || idx.replicas() == 0 {
            return ok(json!({
                "index": name, "shard": 0, "primary": true, "current_state": "started",
                "current_node": {"id": st.node_id, "name": "soc-lab-es", "transport_address": "127.0.0.1:9300", "weight_ranking": 1},
                "can_remain_on_current_node": "yes", "can_rebalance_cluster": "no",
                "can_rebalance_to_other_node": "no",
                "rebalance_explanation": "Elasticsearch cannot rebalance this shard to another node since there is no other node to which it could be allocated."
            }));
        }
        let alloc = util::random_alnum(22);
        let mut decision = node;
        decision["node_decision"] = json!("no");
        decision["weight_ranking"] = json!(1);
        decision["deciders"] = json!([{
            "decider": "same_shard",
            "decision": "NO",
            "explanation": format!(
                "a copy of this shard is already allocated to this node [[{name}][0], node[{}], [P], s[STARTED], a[id={alloc}], failed_attempts[0]]",
                st.node_id
            )
        }]);
        ok(json!({
            "note": "No shard was specified in the explain API request, so this response explains a randomly chosen unassigned shard. There may be other unassigned shards in this cluster which cannot be assigned for different reasons. It may not be possible to assign this shard until one of the other shards is assigned correctly. To explain the allocation of other shards (whether assigned or unassigned) you must specify the target shard in the request to this API.",
            "index": name,
            "shard": 0,
            "primary": false,
            "current_state": "unassigned",
            "unassigned_info": {"reason": "INDEX_CREATED", "at": iso_ms(idx.created_ms), "last_allocation_status": "no_attempt"},
            "can_allocate": "no",
            "allocate_explanation": "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.",
            "node_allocation_decisions": [decision]
        }))
    }

    fn node_stats(&self) -> Answer {
        let st = util::lock(&self.state);
        let heap_max: u64 = 1024 * 1024 * 1024;
        let data: u64 = st.indices.values().map(Index::store_bytes).sum();
        // Heap grows with what the node holds, so a loaded lab shows pressure.
        let used = (heap_max / 4 + data * 4).min(heap_max - heap_max / 50);
        let pct = used * 100 / heap_max;
        let now = util::now_ms();
        ok(json!({
            "_nodes": {"total": 1, "successful": 1, "failed": 0},
            "cluster_name": "soc-lab",
            "nodes": { st.node_id.clone(): {
                "timestamp": now, "name": "soc-lab-es", "transport_address": "127.0.0.1:9300",
                "host": "127.0.0.1", "ip": "127.0.0.1:9300",
                "roles": ["data", "data_content", "data_hot", "ingest", "master"],
                "attributes": {"xpack.installed": "true"},
                "jvm": {
                    "timestamp": now, "uptime_in_millis": now - self.started_ms,
                    "mem": {
                        "heap_used_in_bytes": used, "heap_used_percent": pct,
                        "heap_committed_in_bytes": heap_max, "heap_max_in_bytes": heap_max,
                        "non_heap_used_in_bytes": 180_000_000u64, "non_heap_committed_in_bytes": 190_000_000u64,
                        "pools": {
                            "young": {"used_in_bytes": used / 5, "max_in_bytes": 0, "peak_used_in_bytes": used / 4, "peak_max_in_bytes": 0},
                            "old": {"used_in_bytes": used - used / 5, "max_in_bytes": heap_max, "peak_used_in_bytes": used, "peak_max_in_bytes": heap_max},
                            "survivor": {"used_in_bytes": 0, "max_in_bytes": 0, "peak_used_in_bytes": 0, "peak_max_in_bytes": 0}
                        }
                    },
                    "threads": {"count": 64, "peak_count": 70},
                    "gc": {"collectors": {
                        "young": {"collection_count": 12, "collection_time_in_millis": 150},
                        "G1 Concurrent GC": {"collection_count": 2, "collection_time_in_millis": 9},
                        "old": {"collection_count": 0, "collection_time_in_millis": 0}
                    }},
                    "buffer_pools": {"direct": {"count": 20, "used_in_bytes": 4_000_000u64, "total_capacity_in_bytes": 4_000_000u64}},
                    "classes": {"current_loaded_count": 28000, "total_loaded_count": 28000, "total_unloaded_count": 0}
                }
            }}
        }))
    }

    fn cat_rows(&self, expr: Option<&str>) -> Result<Vec<BTreeMap<&'static str, String>>, Answer> {
        let st = util::lock(&self.state);
        let names = match expr {
            Some(e) => self.resolve(&st, e, true)?,
            None => self.resolve(&st, "*", false)?,
        };
        Ok(names
            .iter()
            .filter_map(|n| st.indices.get(n).map(|i| (n, i)))
            .map(|(n, i)| {
                let size = i.store_bytes();
                BTreeMap::from([
                    ("health", i.health().to_string()),
                    ("status", "open".to_string()),
                    ("index", n.clone()),
                    ("uuid", i.uuid.clone()),
                    ("pri", i.shards().to_string()),
                    ("rep", i.replicas().to_string()),
                    ("docs.count", i.docs.len().to_string()),
                    ("docs.deleted", i.deleted.to_string()),
                    ("store.size", size.to_string()),
                    ("pri.store.size", size.to_string()),
                    ("dataset.size", size.to_string()),
                ])
            })
            .collect())
    }

    fn cat_indices(&self, expr: Option<&str>, params: &HashMap<String, String>) -> Answer {
        const COLS: [&str; 11] = [
            "health",
            "status",
            "index",
            "uuid",
            "pri",
            "rep",
            "docs.count",
            "docs.deleted",
            "store.size",
            "pri.store.size",
            "dataset.size",
        ];
        let rows = match self.cat_rows(expr) {
            Ok(r) => r,
            Err(e) => return e,
        };
        cat_render(rows, &COLS, params)
    }

    fn cat_health(&self, params: &HashMap<String, String>) -> Answer {
        const COLS: [&str; 14] = [
            "epoch",
            "timestamp",
            "cluster",
            "status",
            "node.total",
            "node.data",
            "shards",
            "pri",
            "relo",
            "init",
            "unassign",
            "unassign.pri",
            "pending_tasks",
            "active_shards_percent",
        ];
        let st = util::lock(&self.state);
        let names: Vec<String> = st.indices.keys().cloned().collect();
        let pri: u64 = st.indices.values().map(Index::shards).sum();
        let un: u64 = st.indices.values().map(|i| i.shards() * i.replicas()).sum();
        let now = chrono::Utc::now();
        let pct = if pri + un == 0 {
            100.0
        } else {
            pri as f64 * 100.0 / (pri + un) as f64
        };
        let row = BTreeMap::from([
            ("epoch", now.timestamp().to_string()),
            ("timestamp", now.format("%H:%M:%S").to_string()),
            ("cluster", "soc-lab".to_string()),
            ("status", Self::status_of(&st, &names).to_string()),
            ("node.total", "1".to_string()),
            ("node.data", "1".to_string()),
            ("shards", pri.to_string()),
            ("pri", pri.to_string()),
            ("relo", "0".to_string()),
            ("init", "0".to_string()),
            ("unassign", un.to_string()),
            ("unassign.pri", "0".to_string()),
            ("pending_tasks", "0".to_string()),
            ("active_shards_percent", format!("{pct:.1}%")),
        ]);
        drop(st);
        cat_render(vec![row], &COLS, params)
    }

    fn templates(&self, m: &Method, kind: &str, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let (store, key, missing_kind) = match kind {
            "index" => (
                &mut st.index_templates,
                "index_templates",
                "resource_not_found_exception",
            ),
            "legacy" => (&mut st.legacy_templates, "", "resource_not_found_exception"),
            _ => (
                &mut st.component_templates,
                "component_templates",
                "resource_not_found_exception",
            ),
        };
        let missing_reason = match kind {
            "index" => format!("index template matching [{name}] not found"),
            "legacy" => format!("index_template [{name}] missing"),
            _ => format!("component template matching [{name}] not found"),
        };
        match *m {
            Method::PUT | Method::POST => {
                if kind != "component" && patterns_of(body.get("index_patterns")).is_empty() {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "action_request_validation_exception",
                        "Validation Failed: 1: index patterns are missing;",
                        Value::Null,
                    );
                }
                if kind == "component" && body.get("template").is_none() {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "x_content_parse_exception",
                        "[1:2] [component_template] failed to parse field [template]: Required [template]",
                        Value::Null,
                    );
                }
                store.insert(name.to_string(), body.clone());
                acknowledged()
            }
            Method::DELETE => {
                let before = store.len();
                store.retain(|k, _| !query::glob(name, k));
                if before == store.len() {
                    return err(
                        StatusCode::NOT_FOUND,
                        missing_kind,
                        missing_reason,
                        Value::Null,
                    );
                }
                acknowledged()
            }
            Method::HEAD => {
                if store.keys().any(|k| query::glob(name, k)) {
                    (StatusCode::OK, Payload::Empty)
                } else {
                    (StatusCode::NOT_FOUND, Payload::Empty)
                }
            }
            _ => {
                let hits: Vec<(&String, &Value)> = store
                    .iter()
                    .filter(|(k, _)| name.split(',').any(|n| query::glob(n, k)))
                    .collect();
                if hits.is_empty() && !name.contains('*') {
                    return err(
                        StatusCode::NOT_FOUND,
                        missing_kind,
                        missing_reason,
                        Value::Null,
                    );
                }
                if kind == "legacy" {
                    let mut out = Map::new();
                    for (k, v) in hits {
                        let mut t = v.clone();
                        t["order"] = v.get("order").cloned().unwrap_or(json!(0));
                        t["settings"] = json!({"index": nest(index_settings(v.get("settings").unwrap_or(&json!({}))).into_iter().filter_map(|(k, v)| k.strip_prefix("index.").map(|k| (k.to_string(), Value::String(v)))))});
                        t["mappings"] = v.get("mappings").cloned().unwrap_or(json!({}));
                        t["aliases"] = v.get("aliases").cloned().unwrap_or(json!({}));
                        out.insert(k.clone(), t);
                    }
                    return ok(Value::Object(out));
                }
                let inner = if kind == "index" {
                    "index_template"
                } else {
                    "component_template"
                };
                let list: Vec<Value> = hits
                    .into_iter()
                    .map(|(k, v)| json!({"name": k, inner: v}))
                    .collect();
                ok(json!({ key: list }))
            }
        }
    }

    fn ilm_policy(&self, m: &Method, name: Option<&str>, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let missing = |n: &str| {
            err(
                StatusCode::NOT_FOUND,
                "resource_not_found_exception",
                format!("Lifecycle policy not found: {n}"),
                Value::Null,
            )
        };
        match (m, name) {
            (&Method::PUT, Some(n)) => {
                let Some(policy) = body.get("policy").filter(|p| p.is_object()) else {
                    return bad_request(
                        "x_content_parse_exception",
                        "[1:2] [put_lifecycle_request] failed to parse field [policy]: policy is required",
                    );
                };
                let version = st.ilm.get(n).map_or(1, |p| p.version + 1);
                st.ilm.insert(
                    n.to_string(),
                    Policy {
                        version,
                        modified_ms: util::now_ms(),
                        policy: policy.clone(),
                    },
                );
                acknowledged()
            }
            (&Method::DELETE, Some(n)) => {
                if st.ilm.remove(n).is_none() {
                    return missing(n);
                }
                acknowledged()
            }
            (&Method::GET, _) => {
                let mut out = Map::new();
                for (k, p) in &st.ilm {
                    if name.is_none_or(|n| n.split(',').any(|n| query::glob(n, k))) {
                        let users: Vec<&String> = st
                            .indices
                            .iter()
                            .filter(|(_, i)| i.settings.get("index.lifecycle.name") == Some(k))
                            .map(|(n, _)| n)
                            .collect();
                        let templates: Vec<&String> = st
                            .index_templates
                            .iter()
                            .filter(|(_, t)| {
                                t.pointer("/template/settings")
                                    .map(index_settings)
                                    .is_some_and(|s| s.get("index.lifecycle.name") == Some(k))
                            })
                            .map(|(n, _)| n)
                            .collect();
                        out.insert(
                            k.clone(),
                            json!({
                                "version": p.version,
                                "modified_date": iso_ms(p.modified_ms),
                                "policy": p.policy,
                                "in_use_by": {"indices": users, "data_streams": [], "composable_templates": templates}
                            }),
                        );
                    }
                }
                if let Some(n) = name {
                    if out.is_empty() && !n.contains('*') {
                        return missing(n);
                    }
                }
                ok(Value::Object(out))
            }
            _ => bad_request(
                "illegal_argument_exception",
                "unsupported method for the lifecycle policy API",
            ),
        }
    }

    fn ilm_explain(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let now = util::now_ms();
        let mut out = Map::new();
        for n in names {
            let Some(i) = st.indices.get(&n) else {
                continue;
            };
            let entry = match i.settings.get("index.lifecycle.name") {
                None => json!({"index": n, "managed": false}),
                Some(p) => {
                    let age = format!("{:.2}h", (now - i.created_ms) as f64 / 3_600_000.0);
                    let mut e = json!({
                        "index": n, "managed": true, "policy": p,
                        "index_creation_date_millis": i.created_ms,
                        "time_since_index_creation": age,
                        "lifecycle_date_millis": i.created_ms, "age": age,
                        "phase": "hot", "phase_time_millis": i.created_ms,
                        "action": "complete", "action_time_millis": i.created_ms,
                        "step": "complete", "step_time_millis": i.created_ms,
                        "skip": false
                    });
                    match st.ilm.get(p) {
                        Some(pol) => {
                            e["phase_execution"] = json!({
                                "policy": p,
                                "phase_definition": pol.policy.pointer("/phases/hot").cloned().unwrap_or(json!({"min_age": "0ms", "actions": {}})),
                                "version": pol.version,
                                "modified_date_in_millis": pol.modified_ms
                            });
                        }
                        None => {
                            e["step"] = json!("ERROR");
                            e["failed_step"] = json!("check-rollover-ready");
                            e["step_info"] = json!({"type": "illegal_argument_exception", "reason": format!("policy [{p}] does not exist")});
                        }
                    }
                    e
                }
            };
            out.insert(n, entry);
        }
        ok(json!({ "indices": out }))
    }

    fn repository(&self, m: &Method, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        match *m {
            Method::PUT | Method::POST => {
                let ty = body.get("type").and_then(Value::as_str).unwrap_or("");
                let settings = body.get("settings").cloned().unwrap_or(json!({}));
                match ty {
                    "fs" => {
                        // A real node also checks `location` against `path.repo`; the lab's node
                        // is configured with a `path.repo` that covers every location.
                        if settings.get("location").is_none() {
                            return err(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                "repository_exception",
                                format!("[{name}] missing location"),
                                Value::Null,
                            );
                        }
                    }
                    "s3" => {
                        if settings.get("bucket").is_none() {
                            return err(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                "repository_exception",
                                format!("[{name}] No bucket defined for s3 repository"),
                                Value::Null,
                            );
                        }
                    }
                    "url" | "source" | "azure" | "gcs" => {}
                    other => {
                        return err(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "repository_exception",
                            format!("[{name}] repository type [{other}] does not exist"),
                            Value::Null,
                        )
                    }
                }
                let mut flat = BTreeMap::new();
                flatten_into("", &settings, &mut flat);
                let settings: Map<String, Value> = flat
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(setting_text(&v))))
                    .collect();
                st.repositories.insert(
                    name.to_string(),
                    json!({"type": ty, "settings": nest(settings)}),
                );
                acknowledged()
            }
            Method::DELETE => {
                if st.repositories.remove(name).is_none() {
                    return repo_missing(name);
                }
                acknowledged()
            }
            _ => {
                let out: Map<String, Value> = st
                    .repositories
                    .iter()
                    .filter(|(k, _)| name == "_all" || name.split(',').any(|n| query::glob(n, k)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if out.is_empty() && name != "_all" && !name.contains('*') {
                    return repo_missing(name);
                }
                ok(Value::Object(out))
            }
        }
    }

    fn verify_repository(&self, name: &str) -> Answer {
        let st = util::lock(&self.state);
        if !st.repositories.contains_key(name) {
            return repo_missing(name);
        }
        ok(json!({"nodes": { st.node_id.clone(): {"name": "soc-lab-es"} }}))
    }

    /// Creates an index with the templates that match it applied under `body`.
    fn create_locked(st: &mut State, name: &str, body: &Value) -> Result<(), Answer> {
        if let Err(why) = valid_index_name(name) {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "invalid_index_name_exception",
                format!("Invalid index name [{name}], {why}"),
                json!({"index": name, "index_uuid": "_na_"}),
            ));
        }
        if st.indices.contains_key(name) {
            let uuid = st
                .indices
                .get(name)
                .map(|i| i.uuid.clone())
                .unwrap_or_default();
            return Err(err(
                StatusCode::BAD_REQUEST,
                "resource_already_exists_exception",
                format!("index [{name}/{uuid}] already exists"),
                json!({"index_uuid": uuid, "index": name}),
            ));
        }
        let mut settings: BTreeMap<String, String> = BTreeMap::new();
        let mut mappings = json!({});
        let mut aliases = Map::new();
        let mut apply = |t: &Value| {
            if let Some(s) = t.get("settings") {
                settings.extend(index_settings(s));
            }
            if let Some(m) = t.get("mappings") {
                merge(&mut mappings, m);
            }
            if let Some(Value::Object(a)) = t.get("aliases") {
                aliases.extend(a.clone());
            }
        };
        let best = st
            .index_templates
            .values()
            .filter(|t| {
                patterns_of(t.get("index_patterns"))
                    .iter()
                    .any(|p| query::glob(p, name))
            })
            .max_by_key(|t| t.get("priority").and_then(Value::as_i64).unwrap_or(0));
        if let Some(t) = best {
            for c in patterns_of(t.get("composed_of")) {
                if let Some(ct) = st
                    .component_templates
                    .get(&c)
                    .and_then(|c| c.get("template"))
                {
                    apply(ct);
                }
            }
            if let Some(own) = t.get("template") {
                apply(own);
            }
        } else {
            let mut legacy: Vec<&Value> = st
                .legacy_templates
                .values()
                .filter(|t| {
                    patterns_of(t.get("index_patterns"))
                        .iter()
                        .any(|p| query::glob(p, name))
                })
                .collect();
            legacy.sort_by_key(|t| t.get("order").and_then(Value::as_i64).unwrap_or(0));
            for t in legacy {
                apply(t);
            }
        }
        apply(body);
        let uuid = es_id().chars().take(22).collect::<String>();
        let now = util::now_ms();
        settings
            .entry("index.number_of_shards".into())
            .or_insert_with(|| "1".into());
        settings
            .entry("index.number_of_replicas".into())
            .or_insert_with(|| "1".into());
        settings.insert("index.uuid".into(), uuid.clone());
        settings.insert("index.provided_name".into(), name.to_string());
        settings.insert("index.creation_date".into(), now.to_string());
        settings.insert("index.version.created".into(), "8536000".into());
        settings
            .entry("index.routing.allocation.include._tier_preference".into())
            .or_insert_with(|| "data_content".into());
        st.indices.insert(
            name.to_string(),
            Index {
                uuid,
                created_ms: now,
                settings,
                mappings,
                aliases,
                docs: BTreeMap::new(),
                next_seq: 0,
                deleted: 0,
            },
        );
        Ok(())
    }

    fn create_index(&self, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        match Self::create_locked(&mut st, name, body) {
            Ok(()) => ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": name})),
            Err(e) => e,
        }
    }

    fn get_index(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let mut out = Map::new();
        for n in names {
            if let Some(i) = st.indices.get(&n) {
                out.insert(
                    n,
                    json!({"aliases": i.aliases, "mappings": i.mappings, "settings": nest(i.settings.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))))}),
                );
            }
        }
        ok(Value::Object(out))
    }

    fn delete_index(&self, expr: &str) -> Answer {
        let mut st = util::lock(&self.state);
        let wild = expr
            .split(',')
            .any(|p| p == "_all" || p.contains('*') || p.contains('?'));
        if wild && !self.wildcards_7x && self.destructive_requires_name(&st) {
            return bad_request(
                "illegal_argument_exception",
                "Wildcard expressions or all indices are not allowed",
            );
        }
        // Aliases are not deletable by name: only concrete indices (and wildcards over them).
        for part in expr.split(',') {
            let pattern =
                part == "_all" || part.contains('*') || part.contains('?') || part.starts_with('-');
            if !pattern && !st.indices.contains_key(part) {
                return index_missing(part);
            }
        }
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        for n in names {
            st.indices.remove(&n);
        }
        acknowledged()
    }

    fn refresh(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let (total, ok_n) = names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .fold((0, 0), |(t, o), i| {
                (t + i.shards() * (1 + i.replicas()), o + i.shards())
            });
        ok(json!({"_shards": {"total": total, "successful": ok_n, "failed": 0}}))
    }

    fn get_mapping(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let out: Map<String, Value> = names
            .into_iter()
            .filter_map(|n| {
                st.indices
                    .get(&n)
                    .map(|i| (n, json!({"mappings": i.mappings})))
            })
            .collect();
        ok(Value::Object(out))
    }

    fn put_mapping(&self, expr: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        for n in names {
            if let Some(i) = st.indices.get_mut(&n) {
                merge(&mut i.mappings, body);
            }
        }
        acknowledged()
    }

    fn get_settings(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let out: Map<String, Value> = names
            .into_iter()
            .filter_map(|n| {
                st.indices.get(&n).map(|i| {
                    let s = nest(
                        i.settings
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
                    );
                    (n, json!({"settings": s}))
                })
            })
            .collect();
        ok(Value::Object(out))
    }

    fn put_settings(&self, expr: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let settings = index_settings(body.get("settings").unwrap_or(body));
        for key in settings.keys() {
            if key == "index.number_of_shards" {
                return bad_request(
                    "illegal_argument_exception",
                    "Can't update non dynamic settings [[index.number_of_shards]] for open indices",
                );
            }
        }
        for n in names {
            if let Some(i) = st.indices.get_mut(&n) {
                i.settings.extend(settings.clone());
            }
        }
        acknowledged()
    }

    fn get_aliases(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let out: Map<String, Value> = names
            .into_iter()
            .filter_map(|n| {
                st.indices
                    .get(&n)
                    .map(|i| (n, json!({"aliases": i.aliases})))
            })
            .collect();
        ok(Value::Object(out))
    }

    /// The index a write goes to, created (with templates) when missing.
    /// The index a write through `name` lands in: the index itself, or the write index of the
    /// alias `name` (the one flagged `is_write_index`, or its only index unless that one is
    /// flagged `false`). `None` when neither exists.
    fn write_index_of(st: &State, name: &str) -> Result<Option<String>, Answer> {
        if st.indices.contains_key(name) {
            return Ok(Some(name.to_string()));
        }
        let by_alias: Vec<(&String, Option<bool>)> = st
            .indices
            .iter()
            .filter_map(|(n, i)| {
                i.aliases
                    .get(name)
                    .map(|a| (n, a.get("is_write_index").and_then(Value::as_bool)))
            })
            .collect();
        if by_alias.is_empty() {
            return Ok(None);
        }
        let flagged: Vec<&String> = by_alias
            .iter()
            .filter(|(_, w)| *w == Some(true))
            .map(|(n, _)| *n)
            .collect();
        match (flagged.as_slice(), by_alias.as_slice()) {
            ([one], _) => Ok(Some((*one).clone())),
            ([], [(only, w)]) if *w != Some(false) => Ok(Some((*only).clone())),
            _ => Err(bad_request(
                "illegal_argument_exception",
                format!("no write index is defined for alias [{name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"),
            )),
        }
    }

    fn write_target(st: &mut State, name: &str) -> Result<String, Answer> {
        if let Some(target) = Self::write_index_of(st, name)? {
            return Ok(target);
        }
        let auto = st
            .persistent
            .get("action.auto_create_index")
            .or_else(|| st.transient.get("action.auto_create_index"));
        if auto.is_some_and(|v| v.as_str() == Some("false")) {
            return Err(index_missing(name));
        }
        Self::create_locked(st, name, &json!({}))?;
        Ok(name.to_string())
    }

    fn write_result(index: &str, id: &str, doc: &Doc, result: &str, replicas: u64) -> Value {
        json!({
            "_index": index, "_id": id, "_version": doc.version, "result": result,
            "_shards": {"total": 1 + replicas, "successful": 1, "failed": 0},
            "_seq_no": doc.seq_no, "_primary_term": 1
        })
    }

    /// Index (or create) one document; returns the status and the item body.
    fn write_doc(
        st: &mut State,
        index: &str,
        id: Option<&str>,
        source: Value,
        create: bool,
        if_seq: Option<u64>,
    ) -> (StatusCode, Value) {
        let target = match Self::write_target(st, index) {
            Ok(t) => t,
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v));
            }
            Err((status, _)) => return (status, json!({})),
        };
        let Some(idx) = st.indices.get_mut(&target) else {
            return (StatusCode::NOT_FOUND, json!({}));
        };
        if !source.is_object() {
            return (
                StatusCode::BAD_REQUEST,
                json!({"type": "mapper_parsing_exception", "reason": "failed to parse, document is empty"}),
            );
        }
        let id = id.map(str::to_string).unwrap_or_else(es_id);
        let existing = idx.docs.get(&id);
        let conflict = |current: &Doc| {
            json!({
                "type": "version_conflict_engine_exception",
                "reason": format!("[{id}]: version conflict, document already exists (current version [{}])", current.version),
                "index_uuid": idx.uuid, "shard": "0", "index": target
            })
        };
        if let Some(cur) = existing {
            if create {
                return (StatusCode::CONFLICT, conflict(cur));
            }
            if let Some(s) = if_seq {
                if s != cur.seq_no {
                    return (
                        StatusCode::CONFLICT,
                        json!({
                            "type": "version_conflict_engine_exception",
                            "reason": format!("[{id}]: version conflict, required seqNo [{s}], primary term [1]. current document has seqNo [{}] and primary term [1]", cur.seq_no),
                            "index_uuid": idx.uuid, "shard": "0", "index": target
                        }),
                    );
                }
            }
        } else if let Some(s) = if_seq {
            return (
                StatusCode::CONFLICT,
                json!({
                    "type": "version_conflict_engine_exception",
                    "reason": format!("[{id}]: version conflict, required seqNo [{s}], primary term [1] but no document was found"),
                    "index_uuid": idx.uuid, "shard": "0", "index": target
                }),
            );
        }
        let version = existing.map_or(1, |d| d.version + 1);
        let result = if existing.is_some() {
            "updated"
        } else {
            "created"
        };
        map_dynamic(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version,
            seq_no: idx.next_seq,
        };
        idx.next_seq += 1;
        let body = Self::write_result(&target, &id, &doc, result, idx.replicas());
        idx.docs.insert(id, doc);
        let status = if result == "created" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, body)
    }

    fn update_locked(st: &mut State, index: &str, id: &str, body: &Value) -> (StatusCode, Value) {
        let target = match Self::write_target(st, index) {
            Ok(t) => t,
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v))
            }
            Err((status, _)) => return (status, json!({})),
        };
        let Some(idx) = st.indices.get_mut(&target) else {
            return (StatusCode::NOT_FOUND, json!({}));
        };
        let partial = body.get("doc");
        let upsert = body.get("upsert");
        let as_upsert = body
            .get("doc_as_upsert")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (source, result, version) = match idx.docs.get(id) {
            Some(cur) => {
                let Some(p) = partial else {
                    return (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: script or doc is missing;"}),
                    );
                };
                let mut merged = cur.source.clone();
                merge(&mut merged, p);
                if merged == cur.source {
                    let body = Self::write_result(&target, id, cur, "noop", idx.replicas());
                    return (StatusCode::OK, body);
                }
                (merged, "updated", cur.version + 1)
            }
            None => match (upsert, as_upsert, partial) {
                (Some(u), _, _) => (u.clone(), "created", 1),
                (None, true, Some(p)) => (p.clone(), "created", 1),
                _ => {
                    return (
                        StatusCode::NOT_FOUND,
                        json!({
                            "type": "document_missing_exception",
                            "reason": format!("[{id}]: document missing"),
                            "index_uuid": idx.uuid, "shard": "0", "index": target
                        }),
                    )
                }
            },
        };
        map_dynamic(&mut idx.mappings, &source);
        let doc = Doc {
            source,
            version,
            seq_no: idx.next_seq,
        };
        idx.next_seq += 1;
        let out = Self::write_result(&target, id, &doc, result, idx.replicas());
        idx.docs.insert(id.to_string(), doc);
        let status = if result == "created" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, out)
    }

    fn delete_locked(st: &mut State, index: &str, id: &str) -> (StatusCode, Value) {
        // A delete through an alias lands in its write index, as an index request does.
        let target = match Self::write_index_of(st, index) {
            Ok(t) => t.unwrap_or_else(|| index.to_string()),
            Err((status, Payload::Json(v))) => {
                return (status, v.get("error").cloned().unwrap_or(v))
            }
            Err((status, _)) => return (status, json!({})),
        };
        let index = target.as_str();
        let Some(idx) = st.indices.get_mut(index) else {
            // A delete does not create the index it names.
            return match index_missing(index) {
                (s, Payload::Json(v)) => (s, v.get("error").cloned().unwrap_or(v)),
                (s, _) => (s, json!({})),
            };
        };
        let seq = idx.next_seq;
        idx.next_seq += 1;
        let replicas = idx.replicas();
        match idx.docs.remove(id) {
            Some(d) => {
                idx.deleted += 1;
                let doc = Doc {
                    source: Value::Null,
                    version: d.version + 1,
                    seq_no: seq,
                };
                (
                    StatusCode::OK,
                    Self::write_result(index, id, &doc, "deleted", replicas),
                )
            }
            None => {
                let doc = Doc {
                    source: Value::Null,
                    version: 1,
                    seq_no: seq,
                };
                (
                    StatusCode::NOT_FOUND,
                    Self::write_result(index, id, &doc, "not_found", replicas),
                )
            }
        }
    }

    fn index_doc(
        &self,
        index: &str,
        id: Option<&str>,
        body: &Value,
        params: &HashMap<String, String>,
        create: bool,
    ) -> Answer {
        let create = create || params.get("op_type").is_some_and(|o| o == "create");
        let if_seq = params.get("if_seq_no").and_then(|s| s.parse().ok());
        let mut st = util::lock(&self.state);
        let (status, v) = Self::write_doc(&mut st, index, id, body.clone(), create, if_seq);
        item_answer(status, v)
    }

    fn update_doc(&self, index: &str, id: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let (status, v) = Self::update_locked(&mut st, index, id, body);
        item_answer(status, v)
    }

    fn delete_doc(&self, index: &str, id: &str) -> Answer {
        let mut st = util::lock(&self.state);
        let (status, v) = Self::delete_locked(&mut st, index, id);
        if status == StatusCode::NOT_FOUND && v.get("result").is_none() {
            return item_answer(status, v);
        }
        (status, Payload::Json(v))
    }

    fn get_doc(
        &self,
        index: &str,
        id: &str,
        params: &HashMap<String, String>,
        source_only: bool,
    ) -> Answer {
        let st = util::lock(&self.state);
        let target = match self.resolve(&st, index, true) {
            Ok(n) => n.into_iter().next().unwrap_or_else(|| index.to_string()),
            Err(e) => return e,
        };
        let Some(idx) = st.indices.get(&target) else {
            return index_missing(index);
        };
        match idx.docs.get(id) {
            Some(d) => {
                let filter = source_filter(&Value::Null, params);
                let src = match &filter {
                    Some((inc, exc)) if !inc.is_empty() || !exc.is_empty() => {
                        filter_source(&d.source, inc, exc)
                    }
                    _ => d.source.clone(),
                };
                if source_only {
                    return ok(src);
                }
                let mut v = json!({
                    "_index": target, "_id": id, "_version": d.version, "_seq_no": d.seq_no,
                    "_primary_term": 1, "found": true
                });
                if filter.is_some() {
                    v["_source"] = src;
                }
                ok(v)
            }
            None if source_only => err(
                StatusCode::NOT_FOUND,
                "resource_not_found_exception",
                format!("Document not found [{target}]/[{id}]"),
                Value::Null,
            ),
            None => (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"_index": target, "_id": id, "found": false})),
            ),
        }
    }

    fn bulk(
        &self,
        default_index: Option<&str>,
        raw: &Bytes,
        params: &HashMap<String, String>,
    ) -> Answer {
        let started = std::time::Instant::now();
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                return bad_request(
                    "illegal_argument_exception",
                    "The bulk request must be UTF-8",
                )
            }
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let mut actions: Vec<(String, Value, Option<Value>)> = Vec::new();
        let mut lineno = 0usize;
        while let Some(line) = lines.next() {
            lineno += 1;
            let action: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    return bad_request(
                        "x_content_parse_exception",
                        format!(
                            "[{lineno}:{}] Unexpected character in bulk action: {e}",
                            e.column()
                        ),
                    )
                }
            };
            let Some((op, meta)) = action.as_object().and_then(|m| m.iter().next()) else {
                return bad_request(
                    "illegal_argument_exception",
                    format!("Malformed action/metadata line [{lineno}], expected START_OBJECT or END_OBJECT but found [null]"),
                );
            };
            let op = op.clone();
            let meta = meta.clone();
            let source = match op.as_str() {
                "delete" => None,
                "index" | "create" | "update" => {
                    lineno += 1;
                    let Some(src) = lines.next() else {
                        return bad_request(
                            "action_request_validation_exception",
                            "Validation Failed: 1: no requests added;",
                        );
                    };
                    match serde_json::from_str(src) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            return bad_request(
                                "x_content_parse_exception",
                                format!("[{lineno}:{}] failed to parse the document: {e}", e.column()),
                            )
                        }
                    }
                }
                other => {
                    return bad_request(
                        "illegal_argument_exception",
                        format!("Malformed action/metadata line [{lineno}], expected field [create], [delete], [index] or [update] but found [{other}]"),
                    )
                }
            };
            actions.push((op, meta, source));
        }
        if actions.is_empty() {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: no requests added;",
            );
        }
        let mut st = util::lock(&self.state);
        let mut items = Vec::with_capacity(actions.len());
        let mut errors = false;
        for (op, meta, source) in actions {
            let index = meta
                .get("_index")
                .and_then(Value::as_str)
                .or(default_index)
                .map(str::to_string);
            let id = meta.get("_id").map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let Some(index) = index else {
                errors = true;
                items.push(json!({ op.clone(): {"status": 400, "error": {"type": "action_request_validation_exception", "reason": "Validation Failed: 1: index is missing;"}}}));
                continue;
            };
            let (status, mut body) = match op.as_str() {
                "index" | "create" => {
                    let if_seq = meta.get("if_seq_no").and_then(Value::as_u64);
                    Self::write_doc(
                        &mut st,
                        &index,
                        id.as_deref(),
                        source.unwrap_or_default(),
                        op == "create",
                        if_seq,
                    )
                }
                "update" => match &id {
                    Some(id) => {
                        Self::update_locked(&mut st, &index, id, &source.unwrap_or_default())
                    }
                    None => (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: id is missing;"}),
                    ),
                },
                _ => match &id {
                    Some(id) => Self::delete_locked(&mut st, &index, id),
                    None => (
                        StatusCode::BAD_REQUEST,
                        json!({"type": "action_request_validation_exception", "reason": "Validation Failed: 1: id is missing;"}),
                    ),
                },
            };
            let failed = status.is_client_error() && body.get("result").is_none()
                || status.is_server_error();
            if failed {
                errors = true;
                body =
                    json!({"_index": index, "_id": id, "status": status.as_u16(), "error": body});
            } else if let Value::Object(m) = &mut body {
                m.insert("status".into(), json!(status.as_u16()));
            }
            items.push(json!({ op: body }));
        }
        drop(st);
        // Writes are searchable at once, so `refresh` has nothing left to do.
        let _ = params;
        ok(json!({
            "errors": errors,
            "took": started.elapsed().as_millis() as u64,
            "items": items
        }))
    }

    /// Runs a search and returns every hit in order, with the shard count.
    fn run_search(
        &self,
        expr: &str,
        body: &Value,
        params: &HashMap<String, String>,
    ) -> Result<(Vec<Found>, u64, bool), Answer> {
        let q = match (params.get("q"), body.get("query")) {
            (Some(q), _) => query::compile(&json!({"query_string": {"query": q, "default_operator": params.get("default_operator").cloned().unwrap_or("OR".into())}})),
            (None, Some(q)) => query::compile(q),
            (None, None) => Ok(query::Query::All),
        }
        .map_err(|e| bad_request(e.kind, e.reason))?;
        let st = util::lock(&self.state);
        let ignore_unavailable = flag(params, "ignore_unavailable");
        let names = self.resolve(&st, expr, !ignore_unavailable)?;
        let sort = match params.get("sort") {
            Some(s) => parse_sort(&Value::String(s.clone())),
            None => parse_sort(body.get("sort").unwrap_or(&Value::Null)),
        };
        let score_only = sort.len() == 1 && sort[0].field == "_score";
        let sorted = !sort.is_empty() && !score_only;
        let filter = source_filter(body, params);
        let mut found: Vec<(usize, u64, Found)> = Vec::new();
        let mut shards = 0;
        for (pos, name) in names.iter().enumerate() {
            let Some(idx) = st.indices.get(name) else {
                continue;
            };
            shards += idx.shards();
            for spec in &sort {
                if spec.field.starts_with('_') {
                    continue;
                }
                let (_, ty) = query::resolve(&idx.mappings, &spec.field);
                if ty == "text" {
                    return Err(bad_request(
                        "illegal_argument_exception",
                        format!("Fielddata is disabled on [{}] in [{name}]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", spec.field, spec.field),
                    ));
                }
            }
            for (id, d) in &idx.docs {
                let view = query::DocView {
                    id,
                    source: &d.source,
                    mappings: &idx.mappings,
                };
                if !query::matches(&q, &view) {
                    continue;
                }
                let keys: Vec<Option<Key>> = sort
                    .iter()
                    .map(|spec| match spec.field.as_str() {
                        "_score" => Some(Key::Num(1.0)),
                        "_doc" => Some(Key::Num(d.seq_no as f64)),
                        // Unique across the searched indices: the index, then its sequence.
                        "_shard_doc" => Some(Key::Num(((pos as u64) << 32 | d.seq_no) as f64)),
                        "_id" => Some(Key::Str(id.clone())),
                        f => {
                            let (path, ty) = query::resolve(&idx.mappings, f);
                            let mut vals = Vec::new();
                            query::values_at(&d.source, &path, &mut vals);
                            let mut ks: Vec<Key> = vals
                                .into_iter()
                                .filter_map(|v| match (v, ty.as_str()) {
                                    (Value::String(s), "date") => {
                                        query::parse_date(s).map(|x| Key::Num(x as f64))
                                    }
                                    (Value::Number(n), _) => n.as_f64().map(Key::Num),
                                    (Value::Bool(b), _) => Some(Key::Num(f64::from(u8::from(*b)))),
                                    (Value::String(s), _) => Some(Key::Str(s.clone())),
                                    _ => None,
                                })
                                .collect();
                            ks.sort_by(|a, b| {
                                a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)
                            });
                            if spec.desc {
                                ks.pop()
                            } else {
                                ks.into_iter().next()
                            }
                        }
                    })
                    .collect();
                let mut hit = json!({"_index": name, "_id": id, "_score": if sorted { Value::Null } else { json!(1.0) }});
                if let Some((inc, exc)) = &filter {
                    hit["_source"] = if inc.is_empty() && exc.is_empty() {
                        d.source.clone()
                    } else {
                        filter_source(&d.source, inc, exc)
                    };
                }
                if sorted {
                    hit["sort"] = Value::Array(
                        keys.iter()
                            .map(|k| match k {
                                Some(Key::Num(n)) if n.fract() == 0.0 => json!(*n as i64),
                                Some(Key::Num(n)) => json!(n),
                                Some(Key::Str(s)) => json!(s),
                                None => Value::Null,
                            })
                            .collect(),
                    );
                }
                found.push((pos, d.seq_no, Found { hit, keys }));
            }
        }
        if sorted {
            found.sort_by(|a, b| {
                for (i, spec) in sort.iter().enumerate() {
                    let (x, y) = (&a.2.keys[i], &b.2.keys[i]);
                    let o = match (x, y) {
                        (Some(x), Some(y)) => {
                            let o = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
                            if spec.desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                        // Documents missing the field sort last either way.
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                (a.0, a.1).cmp(&(b.0, b.1))
            });
        } else {
            found.sort_by_key(|f| (f.0, f.1));
        }
        let mut hits: Vec<Found> = found.into_iter().map(|f| f.2).collect();
        if let Some(Value::Array(after)) = body.get("search_after") {
            if !sorted {
                return Err(bad_request(
                    "illegal_argument_exception",
                    "Sort must contain at least one field.",
                ));
            }
            let after: Vec<Option<Key>> = after
                .iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_f64().map(Key::Num),
                    Value::String(s) => Some(Key::Str(s.clone())),
                    _ => None,
                })
                .collect();
            hits.retain(|h| {
                for (i, spec) in sort.iter().enumerate() {
                    let (Some(Some(x)), Some(Some(y))) = (h.keys.get(i), after.get(i)) else {
                        continue;
                    };
                    let mut o = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
                    if spec.desc {
                        o = o.reverse();
                    }
                    if o != std::cmp::Ordering::Equal {
                        return o == std::cmp::Ordering::Greater;
                    }
                }
                false
            });
        }
        Ok((hits, shards, sorted))
    }

    fn search(&self, expr: &str, body: &Value, params: &HashMap<String, String>) -> Answer {
        let started = std::time::Instant::now();
        let num = |key: &str, default: usize| -> Result<usize, Answer> {
            match params.get(key).cloned().or_else(|| {
                body.get(key).map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }) {
                None => Ok(default),
                Some(s) => s.parse().map_err(|_| {
                    bad_request(
                        "illegal_argument_exception",
                        format!("[{key}] must be a non-negative number, got [{s}]"),
                    )
                }),
            }
        };
        let size = match num("size", 10) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let from = match num("from", 0) {
            Ok(n) => n,
            Err(e) => return e,
        };
        if from + size > 10_000 && !params.contains_key("scroll") {
            return bad_request(
                "illegal_argument_exception",
                format!("Result window is too large, from + size must be less than or equal to: [10000] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", from + size),
            );
        }
        let (hits, shards, sorted) = match self.run_search(expr, body, params) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let total = hits.len();
        let track = params
            .get("track_total_hits")
            .map(|s| Value::String(s.clone()))
            .or_else(|| body.get("track_total_hits").cloned());
        let cap = match &track {
            Some(Value::Bool(true)) => Some(usize::MAX),
            Some(Value::String(s)) if s == "true" => Some(usize::MAX),
            Some(Value::Bool(false)) => None,
            Some(Value::String(s)) if s == "false" => None,
            Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(0) as usize),
            Some(Value::String(s)) => s.parse().ok().or(Some(TOTAL_HITS_CAP)),
            _ => Some(TOTAL_HITS_CAP),
        };
        let mut page: Vec<Value> = hits.into_iter().map(|f| f.hit).collect();
        let mut scroll_id = None;
        if params.contains_key("scroll") {
            let rest = page.split_off(size.min(page.len()));
            let id = base64::engine::general_purpose::STANDARD
                .encode(format!("lab-scroll-{}", util::random_alnum(24)));
            util::lock(&self.scrolls).insert(
                id.clone(),
                Scroll {
                    hits: rest,
                    total,
                    size: size.max(1),
                },
            );
            scroll_id = Some(id);
        } else {
            page = page.into_iter().skip(from).take(size).collect();
        }
        let mut hits_obj = json!({
            "max_score": if sorted || page.is_empty() { Value::Null } else { json!(1.0) },
            "hits": page
        });
        if let Some(cap) = cap {
            hits_obj["total"] = if total > cap {
                json!({"value": cap, "relation": "gte"})
            } else {
                json!({"value": total, "relation": "eq"})
            };
        }
        let mut out = json!({
            "took": started.elapsed().as_millis() as u64,
            "timed_out": false,
            "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0},
            "hits": hits_obj
        });
        if let Some(id) = scroll_id {
            out["_scroll_id"] = json!(id);
        }
        ok(out)
    }

    /// `POST /<index>/_pit?keep_alive=`: a point in time over the indices `expr` names now.
    fn open_pit(&self, expr: &str, params: &HashMap<String, String>) -> Answer {
        let Some(keep_alive) = params.get("keep_alive") else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: [keep_alive] is not specified;",
            );
        };
        if parse_duration_ms(keep_alive).is_none() {
            return bad_request(
                "illegal_argument_exception",
                format!("failed to parse setting [keep_alive] with value [{keep_alive}] as a time value: unit is missing or unrecognized"),
            );
        }
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, !flag(params, "ignore_unavailable")) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let shards: u64 = names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .map(Index::shards)
            .sum();
        drop(st);
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("lab-pit-{}", util::random_alnum(32)));
        util::lock(&self.pits).insert(id.clone(), names);
        ok(json!({
            "id": id,
            "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0},
            "creation_time": util::now_ms()
        }))
    }

    /// `POST /_search` with `pit`: searches the point in time's indices, with the implicit
    /// `_shard_doc` tiebreaker a point in time adds, and answers its `pit_id`.
    fn pit_search(&self, body: &Value, params: &HashMap<String, String>) -> Answer {
        let Some(id) = body
            .get("pit")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return bad_request(
                "x_content_parse_exception",
                "[1:9] [pit] failed to parse field [id]",
            );
        };
        if params.contains_key("scroll") {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: using [point in time] is not allowed in a scroll context;",
            );
        }
        let Some(names) = util::lock(&self.pits).get(&id).cloned() else {
            return err(
                StatusCode::NOT_FOUND,
                "search_context_missing_exception",
                "No search context found for id [1]",
                Value::Null,
            );
        };
        let mut body = body.clone();
        let mut sort: Vec<Value> = match body.get("sort") {
            Some(Value::Array(a)) => a.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => vec![other.clone()],
        };
        if !parse_sort(&Value::Array(sort.clone()))
            .iter()
            .any(|s| s.field == "_shard_doc")
        {
            sort.push(json!({"_shard_doc": "asc"}));
        }
        if let Value::Object(m) = &mut body {
            m.remove("pit");
            m.insert("sort".into(), Value::Array(sort));
        }
        let mut params = params.clone();
        params.insert("ignore_unavailable".into(), "true".into());
        let expr = if names.is_empty() {
            // No index: a search of nothing, which `resolve` reads as `_all` otherwise.
            "-*".to_string()
        } else {
            names.join(",")
        };
        let (status, payload) = self.search(&expr, &body, &params);
        match payload {
            Payload::Json(mut v) if status.is_success() => {
                v["pit_id"] = json!(id);
                (status, Payload::Json(v))
            }
            other => (status, other),
        }
    }

    /// `DELETE /_pit` with `{"id"}`.
    fn close_pit(&self, body: &Value) -> Answer {
        let Some(id) = body.get("id").and_then(Value::as_str) else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: point in time id is missing;",
            );
        };
        if util::lock(&self.pits).remove(id).is_some() {
            ok(json!({"succeeded": true, "num_freed": 1}))
        } else {
            (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"succeeded": true, "num_freed": 0})),
            )
        }
    }

    fn scroll_next(
        &self,
        body: &Value,
        params: &HashMap<String, String>,
        path_id: Option<&str>,
    ) -> Answer {
        let id = path_id
            .map(str::to_string)
            .or_else(|| params.get("scroll_id").cloned())
            .or_else(|| {
                body.get("scroll_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let Some(id) = id else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: scrollId is missing;",
            );
        };
        let mut scrolls = util::lock(&self.scrolls);
        let Some(sc) = scrolls.get_mut(&id) else {
            return err(
                StatusCode::NOT_FOUND,
                "search_context_missing_exception",
                "No search context found for id [1]",
                Value::Null,
            );
        };
        // Every page has the size of the search that opened the scroll.
        let size = sc.size.min(sc.hits.len());
        let page: Vec<Value> = sc.hits.drain(..size).collect();
        let total = sc.total;
        ok(json!({
            "_scroll_id": id, "took": 1, "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": Value::Null, "hits": page}
        }))
    }

    fn scroll_clear(&self, body: &Value, path_id: Option<&str>) -> Answer {
        let ids: Vec<String> = match (path_id, body.get("scroll_id")) {
            (Some(p), _) => p.split(',').map(str::to_string).collect(),
            (None, Some(Value::String(s))) => vec![s.clone()],
            (None, Some(Value::Array(a))) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let mut scrolls = util::lock(&self.scrolls);
        let mut freed = 0;
        if ids.iter().any(|i| i == "_all") {
            freed = scrolls.len();
            scrolls.clear();
        } else {
            for id in &ids {
                if scrolls.remove(id).is_some() {
                    freed += 1;
                }
            }
        }
        if freed == 0 && !ids.is_empty() {
            return (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"succeeded": true, "num_freed": 0})),
            );
        }
        ok(json!({"succeeded": true, "num_freed": freed}))
    }

    fn count(&self, expr: &str, body: &Value, params: &HashMap<String, String>) -> Answer {
        let mut body = body.clone();
        if let Value::Object(m) = &mut body {
            m.remove("sort");
        }
        match self.run_search(expr, &body, params) {
            Ok((hits, shards, _)) => ok(json!({
                "count": hits.len(),
                "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}
            })),
            Err(e) => e,
        }
    }
}

fn repo_missing(name: &str) -> Answer {
    err(
        StatusCode::NOT_FOUND,
        "repository_missing_exception",
        format!("[{name}] missing"),
        Value::Null,
    )
}

fn item_answer(status: StatusCode, v: Value) -> Answer {
    if v.get("result").is_some() || v.get("_id").is_some() && v.get("type").is_none() {
        return (status, Payload::Json(v));
    }
    let mut cause = v.clone();
    if let Value::Object(m) = &mut cause {
        m.remove("root_cause");
    }
    let mut e = v;
    if e.get("root_cause").is_none() {
        e["root_cause"] = json!([cause]);
    }
    (
        status,
        Payload::Json(json!({"error": e, "status": status.as_u16()})),
    )
}

fn parse_duration_ms(s: &str) -> Option<i64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    let unit = &s[digits.len()..];
    Some(match unit {
        "ms" => n,
        "s" | "" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return None,
    })
}

/// Renders `_cat` rows as text (with `v`, `h`, `s`) or JSON (`format=json`).
fn cat_render(
    mut rows: Vec<BTreeMap<&'static str, String>>,
    default_cols: &[&'static str],
    params: &HashMap<String, String>,
) -> Answer {
    let cols: Vec<&'static str> = match params.get("h") {
        Some(h) => h
            .split(',')
            .filter_map(|c| default_cols.iter().find(|d| **d == c.trim()).copied())
            .collect(),
        None => default_cols.to_vec(),
    };
    if let Some(s) = params.get("s") {
        let keys: Vec<(String, bool)> = s
            .split(',')
            .map(|k| {
                let (k, o) = k.split_once(':').unwrap_or((k, "asc"));
                (k.to_string(), o == "desc")
            })
            .collect();
        rows.sort_by(|a, b| {
            for (k, desc) in &keys {
                let (x, y) = (a.get(k.as_str()), b.get(k.as_str()));
                let o = match (
                    x.and_then(|x| x.parse::<f64>().ok()),
                    y.and_then(|y| y.parse::<f64>().ok()),
                ) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                    _ => x.cmp(&y),
                };
                let o = if *desc { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    if params.get("format").is_some_and(|f| f == "json") {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                Value::Object(
                    cols.iter()
                        .map(|c| {
                            (
                                (*c).to_string(),
                                json!(r.get(c).cloned().unwrap_or_default()),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        return ok(Value::Array(list));
    }
    let mut table: Vec<Vec<String>> = Vec::new();
    if flag(params, "v") {
        table.push(cols.iter().map(|c| (*c).to_string()).collect());
    }
    for r in &rows {
        table.push(
            cols.iter()
                .map(|c| r.get(c).cloned().unwrap_or_default())
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..cols.len())
        .map(|i| table.iter().map(|row| row[i].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        text.push_str(line.join(" ").trim_end());
        text.push('\n');
    }
    (StatusCode::OK, Payload::Text(text))
}
