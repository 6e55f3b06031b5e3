//! The Elasticsearch 8.19 stand-in: one node, basic auth as `elastic`, indices with documents
//! searched by a linear scan, templates, ILM policies, snapshot repositories and the cluster
//! APIs an operator's doctor reads.

mod cluster;
mod docs;
mod index;
mod lifecycle;
mod mapping;
mod query;
mod search;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::response::Response;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use self::cluster::parse_duration_ms;
use self::lifecycle::repo_missing;
use self::mapping::{
    flatten_into, index_settings, map_dynamic, merge, nest, patterns_of, setting_text,
    valid_index_name,
};
use self::search::{filter_source, source_filter};
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
            .map(util::percent_decode)
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
}
