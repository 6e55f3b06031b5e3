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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Digest as _;

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
// The elastic4play query DSL, ranges and sorts

fn field_values<'a>(doc: &'a Map<String, Value>, field: &str) -> Vec<&'a Value> {
    let field = match field {
        "_id" => "id",
        "analyzerId" | "responderId" => "workerId",
        "analyzerDefinitionId" | "responderDefinitionId" => "workerDefinitionId",
        "analyzerName" | "responderName" => "workerName",
        other => other,
    };
    let mut cur: Option<&Value> = None;
    for (i, part) in field.split('.').enumerate() {
        cur = if i == 0 {
            doc.get(part)
        } else {
            cur.and_then(|v| v.get(part))
        };
    }
    match cur {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::Number(y)) | (Value::Number(y), Value::String(x)) => {
            x.parse::<f64>().ok() == y.as_f64()
        }
        _ => a == b,
    }
}

fn value_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            _ => None,
        },
    }
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    util::wildcard(
        &pattern.to_lowercase(),
        &text.to_lowercase(),
        '*',
        Some('?'),
    )
}

fn query_matches(q: &Value, doc: &Map<String, Value>) -> bool {
    let Some(obj) = q.as_object() else {
        return true;
    };
    if let (Some(Value::String(f)), Some(v)) = (obj.get("_field"), obj.get("_value")) {
        return field_values(doc, f).iter().any(|d| value_eq(d, v));
    }
    obj.iter().all(|(k, v)| match k.as_str() {
        "_and" => v
            .as_array()
            .is_none_or(|qs| qs.iter().all(|q| query_matches(q, doc))),
        "_or" => v
            .as_array()
            .is_none_or(|qs| qs.is_empty() || qs.iter().any(|q| query_matches(q, doc))),
        "_not" => !query_matches(v, doc),
        "_any" => true,
        "_id" => v.as_str().is_some_and(|id| str_field(doc, "id") == id),
        "_in" => {
            let field = v.get("_field").and_then(Value::as_str).unwrap_or("");
            let values = v.get("_values").and_then(Value::as_array);
            values.is_some_and(|vals| {
                field_values(doc, field)
                    .iter()
                    .any(|d| vals.iter().any(|x| value_eq(d, x)))
            })
        }
        "_gt" | "_gte" | "_lt" | "_lte" => v.as_object().is_some_and(|m| {
            m.iter().all(|(f, bound)| {
                field_values(doc, f).iter().any(|d| {
                    value_cmp(d, bound).is_some_and(|o| match k.as_str() {
                        "_gt" => o.is_gt(),
                        "_gte" => o.is_ge(),
                        "_lt" => o.is_lt(),
                        _ => o.is_le(),
                    })
                })
            })
        }),
        "_between" => {
            let field = v.get("_field").and_then(Value::as_str).unwrap_or("");
            let from = v.get("_from").cloned().unwrap_or(Value::Null);
            let to = v.get("_to").cloned().unwrap_or(Value::Null);
            field_values(doc, field).iter().any(|d| {
                value_cmp(d, &from).is_some_and(|o| o.is_ge())
                    && value_cmp(d, &to).is_some_and(|o| o.is_lt())
            })
        }
        "_contains" => {
            let field = v
                .as_str()
                .or_else(|| v.get("_field").and_then(Value::as_str))
                .unwrap_or("");
            !field_values(doc, field).is_empty()
        }
        "_like" | "_wildcard" => {
            let field = v.get("_field").and_then(Value::as_str).unwrap_or("");
            let pattern = v.get("_value").and_then(Value::as_str).unwrap_or("*");
            field_values(doc, field)
                .iter()
                .any(|d| d.as_str().is_some_and(|s| wildcard_match(pattern, s)))
        }
        "_string" => {
            let needle = v.as_str().unwrap_or("").trim_matches('*').to_lowercase();
            needle.is_empty()
                || doc.values().any(|d| {
                    d.as_str()
                        .is_some_and(|s| s.to_lowercase().contains(&needle))
                })
        }
        "_type" | "_parent" | "_child" | "_field" | "_value" => true,
        field => field_values(doc, field).iter().any(|d| value_eq(d, v)),
    })
}

/// `range` as elastic4play reads it: `all`, `from-to`, or absent (`0-10`).
fn parse_range(range: Option<&str>) -> Result<(usize, Option<usize>), Response> {
    match range.map(str::trim) {
        None | Some("") => Ok((0, Some(10))),
        Some("all") => Ok((0, None)),
        Some(r) => {
            let (a, b) = r.split_once('-').unwrap_or(("0", r));
            match (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                (Ok(a), Ok(b)) if b >= a => Ok((a, Some(b))),
                _ => Err(err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("Invalid range format: {r}"),
                )),
            }
        }
    }
}

fn sort_docs(docs: &mut [Map<String, Value>], sorts: &[String]) {
    let keys: Vec<(String, bool)> = if sorts.is_empty() {
        vec![("createdAt".into(), false)]
    } else {
        sorts
            .iter()
            .map(|s| {
                let s = s.trim();
                if let Some(f) = s.strip_prefix('-') {
                    (f.to_owned(), false)
                } else {
                    (s.trim_start_matches('+').to_owned(), true)
                }
            })
            .collect()
    };
    docs.sort_by(|a, b| {
        for (field, asc) in &keys {
            let va = field_values(a, field).first().map(|v| (*v).clone());
            let vb = field_values(b, field).first().map(|v| (*v).clone());
            let o = match (va, vb) {
                (Some(x), Some(y)) => value_cmp(&x, &y).unwrap_or(std::cmp::Ordering::Equal),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            let o = if *asc { o } else { o.reverse() };
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
}

/// Filters, sorts and pages documents the way `_search` and list routes do.
fn search(
    mut docs: Vec<Map<String, Value>>,
    req: &Req,
    query: &Value,
) -> Result<(Vec<Map<String, Value>>, usize), Response> {
    docs.retain(|d| query_matches(query, d));
    let mut sorts: Vec<String> = req.query_all("sort");
    if sorts.is_empty() {
        match req.json.get("sort") {
            Some(Value::String(s)) => sorts.push(s.clone()),
            Some(Value::Array(items)) => {
                sorts.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    sort_docs(&mut docs, &sorts);
    let range = req.query_one("range").or_else(|| {
        req.json
            .get("range")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let (from, to) = parse_range(range.as_deref())?;
    let total = docs.len();
    let page: Vec<_> = docs
        .into_iter()
        .skip(from)
        .take(to.map_or(usize::MAX, |t| t.saturating_sub(from)))
        .collect();
    Ok((page, total))
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
// Definitions the lab ships

struct Definition {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    description: &'static str,
    data_types: &'static [&'static str],
    base_config: &'static str,
    /// `(name, description, type, required, default)`.
    items: &'static [(
        &'static str,
        &'static str,
        &'static str,
        bool,
        Option<&'static str>,
    )],
    docker_image: Option<&'static str>,
    command: Option<&'static str>,
    kind: &'static str,
}

const DEFINITIONS: &[Definition] = &[
    Definition {
        id: "AbuseIPDB_1_0",
        name: "AbuseIPDB",
        version: "1.0",
        description: "Checks an IP address against the AbuseIPDB database of reported addresses",
        data_types: &["ip"],
        base_config: "AbuseIPDB",
        items: &[
            ("key", "API key for AbuseIPDB", "string", true, None),
            (
                "days",
                "Check for IP reports in the last X days",
                "number",
                false,
                Some("30"),
            ),
        ],
        docker_image: Some("cortexneurons/abuseipdb:1"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "VirusTotal_GetReport_3_1",
        name: "VirusTotal_GetReport",
        version: "3.1",
        description: "Get the latest VirusTotal report for a file, hash, domain or an IP address",
        data_types: &["file", "hash", "domain", "fqdn", "ip", "url"],
        base_config: "VirusTotal",
        items: &[
            ("key", "API key for VirusTotal", "string", true, None),
            (
                "polling_interval",
                "Define time interval between two requests attempts for the report",
                "number",
                false,
                Some("60"),
            ),
            (
                "download_sample",
                "Download the sample when available",
                "boolean",
                false,
                Some("false"),
            ),
        ],
        docker_image: Some("cortexneurons/virustotal_getreport:3"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "MISP_2_1",
        name: "MISP",
        version: "2.1",
        description: "Query multiple MISP instances for events containing an observable",
        data_types: &[
            "domain",
            "ip",
            "url",
            "fqdn",
            "uri_path",
            "user-agent",
            "hash",
            "email",
            "mail",
            "mail_subject",
            "registry",
            "regexp",
            "other",
            "filename",
        ],
        base_config: "MISP",
        items: &[
            ("url", "URL of MISP servers", "string", false, None),
            ("key", "API key for each server", "string", false, None),
            (
                "cert_check",
                "Verify server certificate",
                "boolean",
                false,
                Some("true"),
            ),
            ("name", "Name of MISP servers", "string", false, None),
        ],
        docker_image: Some("cortexneurons/misp:2"),
        command: None,
        kind: "analyzer",
    },
    Definition {
        id: "Lab_Reputation_1_0",
        name: "Lab_Reputation",
        version: "1.0",
        description: "Reputation of an observable from the lab's list of known-bad indicators",
        data_types: &["ip", "domain", "fqdn", "url", "mail", "hash", "filename"],
        base_config: "Lab_Reputation",
        items: &[],
        docker_image: None,
        command: Some("lab/reputation.py"),
        kind: "analyzer",
    },
    Definition {
        id: "Mailer_1_0",
        name: "Mailer",
        version: "1.0",
        description: "Send an email with information from a TheHive case or alert",
        data_types: &["thehive:case", "thehive:case_task", "thehive:alert"],
        base_config: "Mailer",
        items: &[
            (
                "from",
                "email address from which the mail is sent",
                "string",
                true,
                None,
            ),
            (
                "smtp_host",
                "SMTP server used to send mail",
                "string",
                true,
                Some("localhost"),
            ),
            ("smtp_port", "SMTP server port", "number", true, Some("25")),
        ],
        docker_image: Some("cortexneurons/mailer:1"),
        command: None,
        kind: "responder",
    },
    Definition {
        id: "Lab_Block_1_0",
        name: "Lab_Block",
        version: "1.0",
        description: "Add an observable to the lab's block list",
        data_types: &["thehive:case_artifact", "thehive:alert"],
        base_config: "Lab_Block",
        items: &[],
        docker_image: None,
        command: Some("lab/block.py"),
        kind: "responder",
    },
];

fn definition(id: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.id == id)
}

fn default_value(item_type: &str, raw: &str) -> Value {
    match item_type {
        "number" => raw.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        "boolean" => Value::from(raw == "true"),
        _ => Value::from(raw),
    }
}

fn definition_json(d: &Definition) -> Value {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|(name, description, kind, required, default)| {
            let mut item = json!({
                "name": name, "description": description, "type": kind,
                "multi": false, "required": required,
            });
            if let (Some(obj), Some(raw)) = (item.as_object_mut(), default) {
                obj.insert("defaultValue".into(), default_value(kind, raw));
            }
            item
        })
        .collect();
    json!({
        "id": d.id,
        "name": d.name,
        "version": d.version,
        "description": d.description,
        "dataTypeList": d.data_types,
        "author": "TheHive-Project",
        "url": "https://github.com/TheHive-Project/Cortex-Analyzers",
        "license": "AGPL-V3",
        "baseConfig": d.base_config,
        "configurationItems": items,
        "dockerImage": d.docker_image,
        "command": d.command,
    })
}

// ---------------------------------------------------------------------------------------------
// Verdicts

fn url_host(data: &str) -> Option<String> {
    url::Url::parse(data)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

impl Cortex {
    fn is_malicious(&self, candidates: &[String]) -> bool {
        candidates.iter().any(|c| {
            let c = c.trim().to_lowercase();
            self.malicious.iter().any(|m| m.trim().to_lowercase() == c)
        })
    }

    /// The report a worker produces for an input, and its artifacts.
    fn make_report(
        &self,
        def: &Definition,
        data_type: &str,
        data: &str,
        file_hashes: &[String],
    ) -> (Value, Vec<Value>) {
        let mut candidates: Vec<String> = vec![data.to_owned()];
        candidates.extend(file_hashes.iter().cloned());
        let bad = self.is_malicious(&candidates);
        let subject = if data_type == "file" {
            file_hashes.first().cloned().unwrap_or_default()
        } else {
            data.to_owned()
        };
        let mut artifacts = Vec::new();
        if bad && data_type == "url" {
            if let Some(host) = url_host(data) {
                artifacts.push(json!({"data": host, "dataType": "domain", "message": null, "tags": ["autoImport:true"], "tlp": 2}));
            }
        }
        let (taxonomies, full, operations) = match def.name {
            "AbuseIPDB" => {
                let score = if bad { 100 } else { 0 };
                let reports = if bad { 47 } else { 0 };
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "AbuseIPDB", "predicate": "Score", "value": score.to_string()}),
                    ],
                    json!({"values": [{"data": {
                        "ipAddress": subject, "isPublic": true, "ipVersion": 4,
                        "isWhitelisted": false, "abuseConfidenceScore": score,
                        "countryCode": if bad {"DE"} else {"US"}, "usageType": "Data Center/Web Hosting/Transit",
                        "isp": "Example Transit", "domain": "example.net", "totalReports": reports,
                        "numDistinctUsers": if bad {31} else {0},
                        "lastReportedAt": if bad {Value::from("2025-11-24T08:12:44+00:00")} else {Value::Null},
                        "reports": []
                    }}]}),
                    vec![],
                )
            }
            "VirusTotal_GetReport" => {
                let positives = if bad { 47 } else { 0 };
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "VT", "predicate": "GetReport", "value": format!("{positives}/94")}),
                    ],
                    json!({
                        "response_code": 1, "resource": subject, "positives": positives,
                        "total": 94, "scan_date": "2025-11-24 08:00:00",
                        "verbose_msg": "Scan finished, information embedded",
                        "permalink": format!("https://www.virustotal.com/gui/search/{subject}"),
                    }),
                    if bad {
                        vec![json!({"type": "AddTagToArtifact", "tag": "vt:malicious"})]
                    } else {
                        vec![]
                    },
                )
            }
            "MISP" => {
                let hits = usize::from(bad);
                (
                    vec![
                        json!({"level": if bad {"malicious"} else {"info"}, "namespace": "MISP", "predicate": "Search", "value": format!("{hits} event(s)")}),
                    ],
                    json!({"results": [{"name": "lab-misp", "url": "http://misp", "result": if bad {
                        json!([{"id": "1", "info": "Known-bad indicators of the lab", "threat_level_id": "1", "uuid": "5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "tags": [{"name": "tlp:amber"}]}])
                    } else { json!([]) }}]}),
                    vec![],
                )
            }
            _ => (
                vec![
                    json!({"level": if bad {"malicious"} else {"safe"}, "namespace": "Lab", "predicate": "Reputation", "value": if bad {"malicious"} else {"clean"}}),
                ],
                json!({"data": subject, "dataType": data_type, "malicious": bad, "source": "soc-lab indicator list"}),
                vec![],
            ),
        };
        let report = json!({
            "summary": {"taxonomies": taxonomies},
            "full": full,
            "success": true,
            "artifacts": artifacts,
            "operations": operations,
        });
        (report, artifacts)
    }

    fn responder_report(def: &Definition, data: &Value) -> Value {
        let title = data
            .get("title")
            .or_else(|| data.get("data"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let operations = match def.name {
            "Mailer" => vec![json!({"type": "AddTagToCase", "tag": "mail sent"})],
            _ => vec![json!({"type": "AddTagToArtifact", "tag": "lab:blocked"})],
        };
        json!({
            "full": {"message": format!("{} done for {title}", def.name)},
            "success": true,
            "artifacts": [],
            "operations": operations,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Entities

fn now() -> Value {
    Value::from(util::now_ms())
}

fn new_org(name: &str, description: &str, by: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(name));
    m.insert("name".into(), Value::from(name));
    m.insert("description".into(), Value::from(description));
    m.insert("status".into(), Value::from("Active"));
    m.insert("createdBy".into(), Value::from(by));
    m.insert("createdAt".into(), now());
    m
}

fn new_user(login: &str, name: &str, org: &str, roles: &[String], by: &str) -> UserRec {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(login));
    m.insert("name".into(), Value::from(name));
    m.insert("roles".into(), json!(roles));
    m.insert("status".into(), Value::from("Ok"));
    m.insert("organization".into(), Value::from(org));
    m.insert("createdBy".into(), Value::from(by));
    m.insert("createdAt".into(), now());
    UserRec {
        doc: m,
        password: None,
        key: None,
    }
}

fn user_json(u: &UserRec) -> Value {
    let mut v = with_meta(&u.doc, "user", str_field(&u.doc, "id"), None);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("hasKey".into(), Value::from(u.key.is_some()));
        obj.insert("hasPassword".into(), Value::from(u.password.is_some()));
    }
    v
}

fn org_json(o: &Map<String, Value>) -> Value {
    with_meta(o, "organization", str_field(o, "id"), None)
}

fn worker_json(w: &Map<String, Value>, with_config: bool) -> Value {
    let org = str_field(w, "organization").to_owned();
    let mut doc = w.clone();
    doc.remove("organization");
    if !with_config {
        doc.remove("configuration");
    }
    let kind = str_field(w, "type").to_owned();
    let def_id = str_field(w, "workerDefinitionId").to_owned();
    let config = w.get("configuration").cloned().unwrap_or(json!({}));
    doc.insert(
        "maxTlp".into(),
        config.get("max_tlp").cloned().unwrap_or(Value::Null),
    );
    doc.insert(
        "maxPap".into(),
        config.get("max_pap").cloned().unwrap_or(Value::Null),
    );
    if kind == "analyzer" {
        doc.insert("analyzerDefinitionId".into(), Value::from(def_id));
    } else {
        doc.insert("responderDefinitionId".into(), Value::from(def_id));
    }
    with_meta(&doc, "worker", &org, Some(&org))
}

fn job_status(j: &JobRec, now_ms: i64) -> &'static str {
    let created = j.doc.get("createdAt").and_then(Value::as_i64).unwrap_or(0);
    if j.deleted {
        "Deleted"
    } else if now_ms < created + WAIT_MS {
        "Waiting"
    } else if now_ms < created + RUN_MS {
        "InProgress"
    } else if j.failed {
        "Failure"
    } else {
        "Success"
    }
}

fn job_end(j: &JobRec) -> i64 {
    j.doc.get("createdAt").and_then(Value::as_i64).unwrap_or(0) + RUN_MS
}

fn job_json(j: &JobRec, with_report: bool) -> Value {
    let now_ms = util::now_ms();
    let status = job_status(j, now_ms);
    let created = j.doc.get("createdAt").and_then(Value::as_i64).unwrap_or(0);
    let mut doc = j.doc.clone();
    doc.insert("status".into(), Value::from(status));
    if status != "Waiting" {
        doc.insert("startDate".into(), Value::from(created + WAIT_MS));
    }
    if matches!(status, "Success" | "Failure" | "Deleted") {
        doc.insert("endDate".into(), Value::from(created + RUN_MS));
        doc.insert("updatedAt".into(), Value::from(created + RUN_MS));
        doc.insert(
            "updatedBy".into(),
            doc.get("createdBy").cloned().unwrap_or(Value::Null),
        );
    }
    if status == "Failure" {
        if let Some(m) = j.report.get("errorMessage") {
            doc.insert("errorMessage".into(), m.clone());
        }
    }
    let kind = str_field(&j.doc, "type").to_owned();
    let worker_id = doc.get("workerId").cloned().unwrap_or(Value::Null);
    let worker_name = doc.get("workerName").cloned().unwrap_or(Value::Null);
    let def = doc
        .get("workerDefinitionId")
        .cloned()
        .unwrap_or(Value::Null);
    let prefix = if kind == "responder" {
        "responder"
    } else {
        "analyzer"
    };
    doc.insert(format!("{prefix}Id"), worker_id);
    doc.insert(format!("{prefix}Name"), worker_name);
    doc.insert(format!("{prefix}DefinitionId"), def);
    doc.insert("date".into(), Value::from(created));
    if with_report {
        let report = match status {
            "Success" | "Failure" => j.report.clone(),
            "InProgress" => Value::from("Running"),
            other => Value::from(other),
        };
        doc.insert("report".into(), report);
    }
    let id = str_field(&j.doc, "id").to_owned();
    with_meta(&doc, "job", &id, None)
}

// ---------------------------------------------------------------------------------------------
// Job creation shared by the HTTP route and the in-process API

struct JobInput {
    data_type: String,
    data: Option<Value>,
    attachment: Option<(String, String, Vec<u8>)>,
    tlp: i64,
    pap: i64,
    message: String,
    parameters: Value,
    label: Option<String>,
    force: bool,
}

impl Cortex {
    fn create_job(
        &self,
        st: &mut State,
        worker_id: &str,
        input: JobInput,
        by: &str,
    ) -> Result<Value, Response> {
        let Some(worker) = st.workers.get(worker_id).cloned() else {
            return Err(not_found("worker", worker_id));
        };
        let kind = str_field(&worker, "type").to_owned();
        let def_id = str_field(&worker, "workerDefinitionId").to_owned();
        let Some(def) = definition(&def_id) else {
            return Err(not_found("worker definition", &def_id));
        };
        let accepted = worker
            .get("dataTypeList")
            .and_then(Value::as_array)
            .is_some_and(|l| l.iter().any(|t| t.as_str() == Some(&input.data_type)));
        if !accepted {
            return Err(bad_request(format!(
                "{} doesn't accept data type {}",
                str_field(&worker, "name"),
                input.data_type
            )));
        }
        let (data_str, file_hashes, attachment) = match (&input.data, &input.attachment) {
            (_, Some((name, content_type, bytes))) => {
                let sha = util::sha256_hex(bytes);
                let md5 = md5_hex(bytes);
                let att = json!({"name": name, "hashes": [sha, md5], "size": bytes.len(), "contentType": content_type, "id": sha});
                (String::new(), vec![sha, md5], Some(att))
            }
            (Some(Value::String(s)), None) => (s.clone(), Vec::new(), None),
            (Some(v), None) if kind == "responder" => (v.to_string(), Vec::new(), None),
            _ => {
                return Err(missing_attributes("job", &["data".to_owned()]));
            }
        };
        let config = worker.get("configuration").cloned().unwrap_or(json!({}));
        let cache_tag = md5_hex(
            format!(
                "{worker_id}|{}|{}|{}|{}",
                input.data_type,
                data_str,
                file_hashes.first().map(String::as_str).unwrap_or(""),
                input.parameters
            )
            .as_bytes(),
        );
        let now_ms = util::now_ms();
        if !input.force && kind == "analyzer" {
            let cache_min = worker
                .get("jobCache")
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_JOB_CACHE_MIN);
            let cached = st.jobs.values().filter(|j| {
                !j.deleted
                    && !j.failed
                    && str_field(&j.doc, "cacheTag") == cache_tag
                    && j.doc.get("createdAt").and_then(Value::as_i64).unwrap_or(0)
                        + cache_min * 60_000
                        > now_ms
            });
            if let Some(j) = cached.max_by_key(|j| j.doc.get("createdAt").and_then(Value::as_i64)) {
                return Ok(job_json(j, false));
            }
        }
        let max_tlp = config.get("max_tlp").and_then(Value::as_i64);
        let max_pap = config.get("max_pap").and_then(Value::as_i64);
        let tlp_refused = config.get("check_tlp").and_then(Value::as_bool) == Some(true)
            && max_tlp.is_some_and(|m| input.tlp > m);
        let pap_refused = config.get("check_pap").and_then(Value::as_bool) == Some(true)
            && max_pap.is_some_and(|m| input.pap > m);
        let (report, artifacts, failed) = if tlp_refused || pap_refused {
            let what = if tlp_refused { "TLP" } else { "PAP" };
            (
                json!({"errorMessage": format!("Error: {what} is higher than allowed."), "input": null, "success": false}),
                Vec::new(),
                true,
            )
        } else if kind == "responder" {
            let data = input.data.clone().unwrap_or(Value::Null);
            (Self::responder_report(def, &data), Vec::new(), false)
        } else {
            let (r, a) = self.make_report(def, &input.data_type, &data_str, &file_hashes);
            (r, a, false)
        };
        st.seq += 1;
        let id = util::random_alnum(20);
        let mut doc = Map::new();
        doc.insert("id".into(), Value::from(id.clone()));
        doc.insert("_seq".into(), Value::from(st.seq));
        doc.insert("workerDefinitionId".into(), Value::from(def_id));
        doc.insert("workerId".into(), Value::from(worker_id));
        doc.insert(
            "workerName".into(),
            worker.get("name").cloned().unwrap_or(Value::Null),
        );
        doc.insert(
            "organization".into(),
            worker.get("organization").cloned().unwrap_or(Value::Null),
        );
        doc.insert("dataType".into(), Value::from(input.data_type));
        match (attachment, input.data) {
            (Some(att), _) => {
                doc.insert("attachment".into(), att);
            }
            (None, Some(Value::String(s))) => {
                doc.insert("data".into(), Value::from(s));
            }
            (None, Some(v)) => {
                doc.insert("data".into(), Value::from(v.to_string()));
            }
            (None, None) => {}
        }
        doc.insert("tlp".into(), Value::from(input.tlp));
        doc.insert("pap".into(), Value::from(input.pap));
        doc.insert("message".into(), Value::from(input.message));
        doc.insert("parameters".into(), input.parameters);
        doc.insert("type".into(), Value::from(kind));
        doc.insert("cacheTag".into(), Value::from(cache_tag));
        if let Some(label) = input.label {
            doc.insert("label".into(), Value::from(label));
        }
        doc.insert("createdBy".into(), Value::from(by));
        doc.insert("createdAt".into(), Value::from(now_ms));
        let artifacts = artifacts
            .into_iter()
            .map(|mut a| {
                if let Some(obj) = a.as_object_mut() {
                    obj.insert("id".into(), Value::from(util::random_alnum(20)));
                    obj.insert("createdBy".into(), Value::from(by));
                    obj.insert("createdAt".into(), Value::from(now_ms + RUN_MS));
                }
                a
            })
            .collect();
        let rec = JobRec {
            doc,
            report,
            artifacts,
            failed,
            deleted: false,
        };
        let out = job_json(&rec, false);
        st.jobs.insert(id, rec);
        Ok(out)
    }

    fn find_worker(st: &State, kind: &str, org: Option<&str>, id_or_name: &str) -> Option<String> {
        let in_org = |w: &Map<String, Value>| org.is_none_or(|o| str_field(w, "organization") == o);
        st.workers
            .iter()
            .filter(|(_, w)| str_field(w, "type") == kind && in_org(w))
            .find(|(id, w)| {
                id.as_str() == id_or_name
                    || str_field(w, "name") == id_or_name
                    || str_field(w, "workerDefinitionId") == id_or_name
            })
            .map(|(id, _)| id.clone())
    }

    /// Runs an analyzer for an in-process caller (TheHive's Cortex connector). `analyzer` is a
    /// worker id or name; the default organisation's analyzers are preferred.
    pub(crate) fn run_analyzer(
        &self,
        analyzer: &str,
        data_type: &str,
        data: &str,
        tlp: u64,
        pap: u64,
        message: &str,
    ) -> Result<Value, String> {
        let mut st = util::lock(&self.state);
        let worker = Self::find_worker(&st, "analyzer", Some(DEFAULT_ORG), analyzer)
            .or_else(|| Self::find_worker(&st, "analyzer", None, analyzer))
            .ok_or_else(|| format!("analyzer {analyzer} not found"))?;
        let input = JobInput {
            data_type: data_type.to_owned(),
            data: Some(Value::from(data)),
            attachment: None,
            tlp: i64::try_from(tlp).unwrap_or(i64::MAX),
            pap: i64::try_from(pap).unwrap_or(i64::MAX),
            message: message.to_owned(),
            parameters: json!({}),
            label: None,
            force: false,
        };
        self.create_job(&mut st, &worker, input, "thehive")
            .map_err(|_| format!("analyzer {analyzer} refused data type {data_type}"))
    }

    /// A job as `GET /api/job/{id}/report` shows it (with its report once it is finished).
    pub(crate) fn job(&self, id: &str) -> Option<Value> {
        let st = util::lock(&self.state);
        st.jobs.get(id).map(|j| job_json(j, true))
    }

    /// The analyzers enabled in any organisation, default organisation first.
    pub(crate) fn analyzers(&self) -> Vec<Value> {
        let st = util::lock(&self.state);
        let mut out: Vec<(bool, Value)> = st
            .workers
            .values()
            .filter(|w| str_field(w, "type") == "analyzer")
            .map(|w| {
                (
                    str_field(w, "organization") != DEFAULT_ORG,
                    worker_json(w, false),
                )
            })
            .collect();
        out.sort_by_key(|(not_default, _)| *not_default);
        out.into_iter().map(|(_, v)| v).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication

impl Cortex {
    fn caller_from_user(u: &UserRec) -> Caller {
        Caller {
            login: str_field(&u.doc, "id").to_owned(),
            org: str_field(&u.doc, "organization").to_owned(),
            roles: u
                .doc
                .get("roles")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    fn authenticate(&self, st: &State, headers: &HeaderMap) -> Result<Caller, Response> {
        let auth_fail = || {
            err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Authentication failure",
            )
        };
        let active = |u: &&UserRec| str_field(&u.doc, "status") == "Ok";
        if let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(key) = auth.strip_prefix("Bearer ") {
                let key = key.trim();
                return st
                    .users
                    .values()
                    .filter(active)
                    .find(|u| !key.is_empty() && u.key.as_deref() == Some(key))
                    .map(Self::caller_from_user)
                    .ok_or_else(auth_fail);
            }
            if let Some(b64) = auth.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
                else {
                    return Err(auth_fail());
                };
                return st
                    .users
                    .get(login)
                    .filter(active)
                    .filter(|u| {
                        u.password
                            .as_deref()
                            .is_some_and(|p| util::password_matches(p, password))
                    })
                    .map(Self::caller_from_user)
                    .ok_or_else(auth_fail);
            }
            return Err(err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Only bearer authentication is supported",
            ));
        }
        if let Some(cookie) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
            let token = cookie
                .split(';')
                .filter_map(|c| c.trim().split_once('='))
                .find(|(k, _)| *k == "CORTEX_SESSION")
                .map(|(_, v)| v.to_owned());
            if let Some(token) = token {
                let login = util::lock(&self.sessions).get(&token).cloned();
                if let Some(u) = login.and_then(|l| st.users.get(&l)).filter(active) {
                    return Ok(Self::caller_from_user(u));
                }
            }
        }
        if st.users.is_empty() {
            return Ok(Caller {
                login: "init".into(),
                org: ADMIN_ORG.into(),
                roles: vec![
                    "read".into(),
                    "analyze".into(),
                    "orgadmin".into(),
                    "superadmin".into(),
                ],
            });
        }
        Err(err(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Use of initial user is forbidden because users exist in database",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Multipart (`_json` + `attachment`/`data` for file jobs)

struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn header_param(line: &str, name: &str) -> Option<String> {
    line.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = header_param(content_type, "boundary")
        .ok_or_else(|| "multipart body without a boundary".to_owned())?;
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find_bytes(body, delim.as_bytes(), 0)
        .ok_or_else(|| "multipart body without its boundary".to_owned())?;
    loop {
        let start = pos + delim.len();
        if body.get(start..start + 2) == Some(b"--") {
            break;
        }
        let head_start = start + 2;
        let head_end = find_bytes(body, b"\r\n\r\n", head_start)
            .ok_or_else(|| "multipart part without headers".to_owned())?;
        let next = find_bytes(body, format!("\r\n{delim}").as_bytes(), head_end)
            .ok_or_else(|| "unterminated multipart part".to_owned())?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            body: body[head_end + 4..next].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = header_param(v, "name").unwrap_or_default();
                part.filename = header_param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(part);
        pos = next + 2;
    }
    Ok(parts)
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
        match (m, segs.as_slice()) {
            (&Method::GET, ["alert"]) => util::json(StatusCode::OK, json!([])),
            // Organisations
            (&Method::GET, ["organization"]) => org_search(&st, req, &caller),
            (&Method::POST, ["organization", "_search"]) => org_search(&st, req, &caller),
            (&Method::POST, ["organization", "_stats"]) => {
                let q = req.body_query();
                let n = st
                    .orgs
                    .values()
                    .filter(|o| caller.superadmin() || str_field(o, "id") == caller.org)
                    .filter(|o| query_matches(&q, o))
                    .count();
                util::json(StatusCode::OK, json!({"count": n}))
            }
            (&Method::POST, ["organization"]) => create_org(&mut st, req, &caller),
            (&Method::GET, ["organization", "user"])
            | (&Method::POST, ["organization", "user", "_search"]) => {
                let org = caller.org.clone();
                org_users(&st, req, &caller, &org)
            }
            (&Method::GET, ["organization", "analyzer"])
            | (&Method::POST, ["organization", "analyzer", "_search"]) => {
                workers_search(&st, req, &caller, "analyzer", true)
            }
            (&Method::GET, ["organization", "responder"])
            | (&Method::POST, ["organization", "responder", "_search"]) => {
                workers_search(&st, req, &caller, "responder", true)
            }
            (&Method::POST, ["organization", kind @ ("analyzer" | "responder"), def]) => {
                enable_worker(&mut st, req, &caller, kind, def)
            }
            (&Method::GET, ["organization", id]) => match st.orgs.get(*id) {
                Some(o) if caller.superadmin() || *id == caller.org => {
                    util::json(StatusCode::OK, org_json(o))
                }
                _ => not_found("organization", id),
            },
            (&Method::PATCH, ["organization", id]) => update_org(&mut st, req, &caller, id),
            (&Method::DELETE, ["organization", id]) => {
                if !caller.superadmin() {
                    return forbidden();
                }
                if *id == ADMIN_ORG {
                    return bad_request("The organization cortex can't be removed");
                }
                match st.orgs.get_mut(*id) {
                    Some(o) => {
                        o.insert("status".into(), Value::from("Locked"));
                        o.insert("updatedBy".into(), Value::from(caller.login.clone()));
                        o.insert("updatedAt".into(), now());
                        no_content()
                    }
                    None => not_found("organization", id),
                }
            }
            (&Method::GET, ["organization", id, "user"])
            | (&Method::POST, ["organization", id, "user", "_search"]) => {
                if !(caller.superadmin() || *id == caller.org) {
                    return forbidden();
                }
                if !st.orgs.contains_key(*id) {
                    return not_found("organization", id);
                }
                org_users(&st, req, &caller, id)
            }
            // Users
            (&Method::GET, ["user", "current"]) => match st.users.get(&caller.login) {
                Some(u) => util::json(StatusCode::OK, user_json(u)),
                None => util::json(
                    StatusCode::OK,
                    json!({"id": "init", "name": "init", "roles": caller.roles, "organization": ADMIN_ORG, "status": "Ok", "hasKey": false, "hasPassword": false}),
                ),
            },
            (&Method::GET, ["user"]) | (&Method::POST, ["user", "_search"]) => {
                if !caller.superadmin() {
                    let org = caller.org.clone();
                    return org_users(&st, req, &caller, &org);
                }
                let docs: Vec<_> = st.users.values().map(|u| u.doc.clone()).collect();
                users_page(&st, req, docs)
            }
            (&Method::POST, ["user"]) => create_user(&mut st, req, &caller),
            (&Method::GET, ["user", id]) => match st.users.get(*id) {
                Some(u) if can_see_user(&caller, u) => util::json(StatusCode::OK, user_json(u)),
                _ => not_found("user", id),
            },
            (&Method::PATCH, ["user", id]) => update_user(&mut st, req, &caller, id),
            (&Method::DELETE, ["user", id]) => {
                if !can_admin_user(&caller, st.users.get(*id)) {
                    return forbidden();
                }
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.doc.insert("status".into(), Value::from("Locked"));
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "password", "set"]) => {
                if !can_admin_user(&caller, st.users.get(*id)) {
                    return forbidden();
                }
                let Some(pw) = req.json.get("password").and_then(Value::as_str) else {
                    return missing_attributes("user", &["password".to_owned()]);
                };
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.password = Some(util::hash_password(pw));
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "password", "change"]) => {
                if caller.login != *id {
                    return forbidden();
                }
                let current = req
                    .json
                    .get("currentPassword")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let Some(pw) = req.json.get("password").and_then(Value::as_str) else {
                    return missing_attributes("user", &["password".to_owned()]);
                };
                match st.users.get_mut(*id) {
                    Some(u)
                        if u.password
                            .as_deref()
                            .is_some_and(|p| util::password_matches(p, current)) =>
                    {
                        u.password = Some(util::hash_password(pw));
                        no_content()
                    }
                    Some(_) => err(
                        StatusCode::UNAUTHORIZED,
                        "AuthenticationError",
                        "Authentication failure",
                    ),
                    None => not_found("user", id),
                }
            }
            (&Method::GET, ["user", id, "key"]) => {
                if !(caller.login == *id || can_admin_user(&caller, st.users.get(*id))) {
                    return forbidden();
                }
                match st.users.get(*id) {
                    Some(u) => match &u.key {
                        Some(k) => text_response(StatusCode::OK, k.clone()),
                        None => util::json(
                            StatusCode::NOT_FOUND,
                            json!({"type": "NotFoundError", "message": format!("User {id} hasn't key")}),
                        ),
                    },
                    None => not_found("user", id),
                }
            }
            (&Method::DELETE, ["user", id, "key"]) => {
                if !(caller.login == *id || can_admin_user(&caller, st.users.get(*id))) {
                    return forbidden();
                }
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.key = None;
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "key", op @ ("renew" | "set")]) => {
                if !(caller.login == *id || can_admin_user(&caller, st.users.get(*id))) {
                    return forbidden();
                }
                let key = if *op == "set" {
                    match req.json.get("key").and_then(Value::as_str) {
                        Some(k) if !k.trim().is_empty() => k.trim().to_owned(),
                        _ => return missing_attributes("user", &["key".to_owned()]),
                    }
                } else {
                    util::random_alnum(32)
                };
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.key = Some(key.clone());
                        text_response(StatusCode::OK, key)
                    }
                    None => not_found("user", id),
                }
            }
            // Definitions
            (&Method::GET, [kind @ ("analyzerdefinition" | "responderdefinition")]) => {
                let want = kind.trim_end_matches("definition");
                let defs: Vec<Value> = DEFINITIONS
                    .iter()
                    .filter(|d| d.kind == want)
                    .map(definition_json)
                    .collect();
                let n = defs.len();
                list_response(defs, n)
            }
            (&Method::GET, [kind @ ("analyzerdefinition" | "responderdefinition"), id]) => {
                match definition(id).filter(|d| d.kind == kind.trim_end_matches("definition")) {
                    Some(d) => util::json(StatusCode::OK, definition_json(d)),
                    None => not_found("worker definition", id),
                }
            }
            (&Method::POST, ["analyzerdefinition" | "responderdefinition", "scan"]) => no_content(),
            (&Method::GET, [kind @ ("analyzerconfig" | "responderconfig")]) => {
                let want = kind.trim_end_matches("config");
                let mut seen = Vec::new();
                let configs: Vec<Value> = DEFINITIONS
                    .iter()
                    .filter(|d| d.kind == want)
                    .filter(|d| {
                        let new = !seen.contains(&d.base_config);
                        seen.push(d.base_config);
                        new
                    })
                    .map(|d| json!({"name": d.base_config, "config": {}, "configurationItems": definition_json(d).get("configurationItems").cloned().unwrap_or(json!([]))}))
                    .collect();
                let n = configs.len();
                list_response(configs, n)
            }
            // Workers
            (&Method::GET, [kind @ ("analyzer" | "responder")]) => {
                workers_search(&st, req, &caller, kind, false)
            }
            (&Method::POST, [kind @ ("analyzer" | "responder"), "_search"]) => {
                workers_search(&st, req, &caller, kind, false)
            }
            (&Method::GET, [kind @ ("analyzer" | "responder"), "type", dt]) => {
                let items: Vec<Value> = st
                    .workers
                    .values()
                    .filter(|w| {
                        str_field(w, "type") == *kind && str_field(w, "organization") == caller.org
                    })
                    .filter(|w| {
                        w.get("dataTypeList")
                            .and_then(Value::as_array)
                            .is_some_and(|l| l.iter().any(|t| t.as_str() == Some(dt)))
                    })
                    .map(|w| worker_json(w, caller.orgadmin()))
                    .collect();
                let n = items.len();
                list_response(items, n)
            }
            (&Method::GET, [kind @ ("analyzer" | "responder"), id]) => {
                match st.workers.get(*id).filter(|w| {
                    str_field(w, "type") == *kind && str_field(w, "organization") == caller.org
                }) {
                    Some(w) => util::json(StatusCode::OK, worker_json(w, caller.orgadmin())),
                    None => not_found("worker", id),
                }
            }
            (&Method::PATCH, [kind @ ("analyzer" | "responder"), id]) => {
                update_worker(&mut st, req, &caller, kind, id)
            }
            (&Method::DELETE, [kind @ ("analyzer" | "responder"), id]) => {
                if !caller.orgadmin() {
                    return forbidden();
                }
                let owned = st.workers.get(*id).is_some_and(|w| {
                    str_field(w, "type") == *kind && str_field(w, "organization") == caller.org
                });
                if !owned {
                    return not_found("worker", id);
                }
                st.workers.remove(*id);
                no_content()
            }
            (&Method::POST, [kind @ ("analyzer" | "responder"), id, "run"]) => {
                self.run_route(&mut st, req, &caller, kind, id)
            }
            // Jobs
            (&Method::GET, ["job"]) => {
                let dt = req.query_one("dataTypeFilter");
                let data = req.query_one("dataFilter");
                let analyzer = req.query_one("analyzerFilter");
                let docs: Vec<Map<String, Value>> = st
                    .jobs
                    .values()
                    .filter(|j| visible_job(&caller, j) && !j.deleted)
                    .filter(|j| {
                        dt.as_deref()
                            .is_none_or(|f| str_field(&j.doc, "dataType") == f)
                    })
                    .filter(|j| {
                        data.as_deref()
                            .is_none_or(|f| str_field(&j.doc, "data").contains(f))
                    })
                    .filter(|j| {
                        analyzer.as_deref().is_none_or(|f| {
                            str_field(&j.doc, "workerId") == f
                                || str_field(&j.doc, "workerName").contains(f)
                        })
                    })
                    .filter_map(|j| job_json(j, false).as_object().cloned())
                    .collect();
                page_values(docs, req, &json!({}))
            }
            (&Method::POST, ["job", "_search"]) => {
                let docs: Vec<Map<String, Value>> = st
                    .jobs
                    .values()
                    .filter(|j| visible_job(&caller, j) && !j.deleted)
                    .filter_map(|j| job_json(j, false).as_object().cloned())
                    .collect();
                page_values(docs, req, &req.body_query())
            }
            (&Method::POST, ["job", "_stats"]) => {
                let q = req.body_query();
                let n = st
                    .jobs
                    .values()
                    .filter(|j| visible_job(&caller, j) && !j.deleted)
                    .filter_map(|j| job_json(j, false).as_object().cloned())
                    .filter(|d| query_matches(&q, d))
                    .count();
                util::json(StatusCode::OK, json!({"count": n}))
            }
            (&Method::POST, ["job", "status"]) => {
                let Some(ids) = req.json.get("jobIds").and_then(Value::as_array) else {
                    return missing_attributes("job", &["jobIds".to_owned()]);
                };
                let now_ms = util::now_ms();
                let mut out = Map::new();
                for id in ids.iter().filter_map(Value::as_str) {
                    let status = st
                        .jobs
                        .get(id)
                        .filter(|j| visible_job(&caller, j))
                        .map_or("NotFound", |j| job_status(j, now_ms));
                    out.insert(id.to_owned(), Value::from(status));
                }
                util::json(StatusCode::OK, Value::Object(out))
            }
            (&Method::GET, ["job", id]) => {
                match st.jobs.get(*id).filter(|j| visible_job(&caller, j)) {
                    Some(j) => util::json(StatusCode::OK, job_json(j, false)),
                    None => not_found("job", id),
                }
            }
            (&Method::GET, ["job", id, "report"]) => {
                match st.jobs.get(*id).filter(|j| visible_job(&caller, j)) {
                    Some(j) => util::json(StatusCode::OK, job_json(j, true)),
                    None => not_found("job", id),
                }
            }
            (&Method::GET, ["job", id, "artifacts"])
            | (&Method::POST, ["job", id, "artifacts"]) => {
                match st.jobs.get(*id).filter(|j| visible_job(&caller, j)) {
                    Some(j) => {
                        let finished = job_status(j, util::now_ms()) == "Success";
                        let docs: Vec<Map<String, Value>> = if finished {
                            j.artifacts
                                .iter()
                                .filter_map(|a| {
                                    with_meta(
                                        a.as_object().unwrap_or(&Map::new()),
                                        "artifact",
                                        id,
                                        Some(id),
                                    )
                                    .as_object()
                                    .cloned()
                                })
                                .collect()
                        } else {
                            Vec::new()
                        };
                        page_values(docs, req, &req.body_query())
                    }
                    None => not_found("job", id),
                }
            }
            (&Method::DELETE, ["job", id]) => {
                if !caller.has("analyze") {
                    return forbidden();
                }
                match st.jobs.get_mut(*id).filter(|j| visible_job(&caller, j)) {
                    Some(j) => {
                        j.deleted = true;
                        no_content()
                    }
                    None => not_found("job", id),
                }
            }
            _ => text_response(
                StatusCode::NOT_FOUND,
                format!(
                    "A client error occurred on {} {} : Not Found",
                    req.method, req.path
                ),
            ),
        }
    }

    fn login(&self, st: &State, req: &Req) -> Response {
        let user = req.json.get("user").and_then(Value::as_str).unwrap_or("");
        let password = req
            .json
            .get("password")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(u) = st
            .users
            .get(user)
            .filter(|u| str_field(&u.doc, "status") == "Ok")
            .filter(|u| {
                u.password
                    .as_deref()
                    .is_some_and(|p| util::password_matches(p, password))
            })
        else {
            return err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Authentication failure",
            );
        };
        let token = util::random_alnum(40);
        util::lock(&self.sessions).insert(token.clone(), user.to_owned());
        let mut resp = util::json(StatusCode::OK, user_json(u));
        if let Ok(v) = HeaderValue::from_str(&format!("CORTEX_SESSION={token}; Path=/; HTTPOnly")) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        resp
    }

    fn run_route(
        &self,
        st: &mut State,
        req: &Req,
        caller: &Caller,
        kind: &str,
        id: &str,
    ) -> Response {
        if !caller.has("analyze") {
            return forbidden();
        }
        let owned = st.workers.get(id).is_some_and(|w| {
            str_field(w, "type") == kind && str_field(w, "organization") == caller.org
        });
        if !owned {
            return not_found("worker", id);
        }
        let content_type = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let (fields, attachment) = if content_type.starts_with("multipart/") {
            let parts = match parse_multipart(&content_type, &req.body) {
                Ok(p) => p,
                Err(e) => return bad_request(e),
            };
            let mut fields = json!({});
            let mut attachment = None;
            for p in parts {
                if p.name == "_json" {
                    match serde_json::from_slice::<Value>(&p.body) {
                        Ok(v) => fields = v,
                        Err(e) => return bad_request(format!("Invalid Json in _json: {e}")),
                    }
                } else if p.filename.is_some() || p.name == "attachment" || p.name == "data" {
                    attachment = Some((
                        p.filename.unwrap_or_else(|| p.name.clone()),
                        p.content_type
                            .unwrap_or_else(|| "application/octet-stream".into()),
                        p.body,
                    ));
                }
            }
            (fields, attachment)
        } else {
            (req.json.clone(), None)
        };
        let Some(data_type) = fields.get("dataType").and_then(Value::as_str) else {
            return missing_attributes("job", &["dataType".to_owned()]);
        };
        let int = |k: &str| -> Result<i64, Response> {
            match fields.get(k) {
                None | Some(Value::Null) => Ok(2),
                Some(v) => v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| {
                        bad_request(format!("Invalid format for {k}: {v}, expected number"))
                    }),
            }
        };
        let tlp = match int("tlp") {
            Ok(v) => v,
            Err(r) => return r,
        };
        let pap = match int("pap") {
            Ok(v) => v,
            Err(r) => return r,
        };
        let force = req
            .query_one("force")
            .is_some_and(|f| matches!(f.as_str(), "1" | "true" | "True"))
            || fields
                .get("force")
                .is_some_and(|f| f == &json!(true) || f == &json!(1));
        let input = JobInput {
            data_type: data_type.to_owned(),
            data: fields.get("data").cloned().filter(|v| !v.is_null()),
            attachment,
            tlp,
            pap,
            message: fields
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            parameters: fields
                .get("parameters")
                .cloned()
                .filter(Value::is_object)
                .unwrap_or(json!({})),
            label: fields
                .get("label")
                .and_then(Value::as_str)
                .map(str::to_owned),
            force,
        };
        match self.create_job(st, id, input, &caller.login) {
            Ok(job) => util::json(StatusCode::OK, job),
            Err(resp) => resp,
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

fn visible_job(caller: &Caller, j: &JobRec) -> bool {
    str_field(&j.doc, "organization") == caller.org
}

fn can_see_user(caller: &Caller, u: &UserRec) -> bool {
    caller.superadmin()
        || caller.login == str_field(&u.doc, "id")
        || str_field(&u.doc, "organization") == caller.org
}

fn can_admin_user(caller: &Caller, u: Option<&UserRec>) -> bool {
    caller.superadmin()
        || (caller.orgadmin() && u.is_none_or(|u| str_field(&u.doc, "organization") == caller.org))
}

fn org_search(st: &State, req: &Req, caller: &Caller) -> Response {
    let docs: Vec<Map<String, Value>> = st
        .orgs
        .values()
        .filter(|o| caller.superadmin() || str_field(o, "id") == caller.org)
        .cloned()
        .collect();
    match search(docs, req, &req.body_query()) {
        Ok((page, total)) => list_response(page.iter().map(org_json).collect(), total),
        Err(resp) => resp,
    }
}

fn users_page(st: &State, req: &Req, docs: Vec<Map<String, Value>>) -> Response {
    match search(docs, req, &req.body_query()) {
        Ok((page, total)) => list_response(
            page.iter()
                .filter_map(|d| st.users.get(str_field(d, "id")).map(user_json))
                .collect(),
            total,
        ),
        Err(resp) => resp,
    }
}

fn org_users(st: &State, req: &Req, caller: &Caller, org: &str) -> Response {
    if !(caller.superadmin() || caller.org == org) {
        return forbidden();
    }
    let docs: Vec<_> = st
        .users
        .values()
        .filter(|u| str_field(&u.doc, "organization") == org)
        .map(|u| u.doc.clone())
        .collect();
    users_page(st, req, docs)
}

fn create_org(st: &mut State, req: &Req, caller: &Caller) -> Response {
    if !caller.superadmin() {
        return forbidden();
    }
    let Some(name) = req
        .json
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return missing_attributes("organization", &["name".to_owned()]);
    };
    if st.orgs.contains_key(name) {
        return util::json(
            StatusCode::BAD_REQUEST,
            json!({"type": "ConflictError", "message": format!("[{name}]: version conflict, document already exists (current version [1])"), "object": req.json}),
        );
    }
    let description = req
        .json
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut org = new_org(name, description, &caller.login);
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Active" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Active or Locked"));
        }
        org.insert("status".into(), Value::from(s));
    }
    st.seq += 1;
    org.insert("_seq".into(), Value::from(st.seq));
    let out = org_json(&org);
    st.orgs.insert(name.to_owned(), org);
    util::json(StatusCode::CREATED, out)
}

fn update_org(st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
    if !caller.superadmin() {
        return forbidden();
    }
    let Some(org) = st.orgs.get_mut(id) else {
        return not_found("organization", id);
    };
    if let Some(d) = req.json.get("description").and_then(Value::as_str) {
        org.insert("description".into(), Value::from(d));
    }
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Active" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Active or Locked"));
        }
        org.insert("status".into(), Value::from(s));
    }
    org.insert("updatedBy".into(), Value::from(caller.login.clone()));
    org.insert("updatedAt".into(), now());
    util::json(StatusCode::OK, org_json(org))
}

fn parse_roles(v: Option<&Value>) -> Result<Vec<String>, Response> {
    let roles: Vec<String> = match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| r.as_str().map(|s| s.trim().to_lowercase()))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty())
            .collect(),
        _ => return Err(missing_attributes("user", &["roles".to_owned()])),
    };
    if let Some(bad) = roles
        .iter()
        .find(|r| !matches!(r.as_str(), "read" | "analyze" | "orgadmin" | "superadmin"))
    {
        return Err(util::json(
            StatusCode::BAD_REQUEST,
            json!({"tableName": "user", "type": "AttributeCheckingError", "errors": [{"name": "roles", "value": bad, "type": "InvalidFormatAttributeError", "message": format!("Invalid format for roles: {bad}, expected role")}]}),
        ));
    }
    Ok(roles)
}

fn create_user(st: &mut State, req: &Req, caller: &Caller) -> Response {
    let b = &req.json;
    let mut missing = Vec::new();
    let login = b
        .get("login")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let name = b.get("name").and_then(Value::as_str).map(str::to_owned);
    if login.is_none() {
        missing.push("login".to_owned());
    }
    if name.is_none() {
        missing.push("name".to_owned());
    }
    let roles = match parse_roles(b.get("roles")) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let (Some(login), Some(name)) = (login, name) else {
        return missing_attributes("user", &missing);
    };
    let org = b
        .get("organization")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| caller.org.clone());
    if !(caller.superadmin() || (caller.orgadmin() && org == caller.org)) {
        return forbidden();
    }
    if roles.iter().any(|r| r == "superadmin") && !caller.superadmin() {
        return forbidden();
    }
    if org == ADMIN_ORG && roles.iter().any(|r| r != "superadmin") {
        return bad_request("The organization cortex can contain only superadmin users");
    }
    if org != ADMIN_ORG && roles.iter().any(|r| r == "superadmin") {
        return bad_request("Superadmin users must belong to the organization cortex");
    }
    if st.users.is_empty() && !st.orgs.contains_key(ADMIN_ORG) {
        // The first user of a fresh install comes with the cortex organisation.
        let o = new_org(ADMIN_ORG, "Cortex administrators", "init");
        st.orgs.insert(ADMIN_ORG.into(), o);
    }
    if !st.orgs.contains_key(&org) {
        return not_found("organization", &org);
    }
    if st.users.contains_key(&login) {
        return util::json(
            StatusCode::BAD_REQUEST,
            json!({"type": "ConflictError", "message": format!("[{login}]: version conflict, document already exists (current version [1])"), "object": b}),
        );
    }
    let mut u = new_user(&login, &name, &org, &roles, &caller.login);
    if let Some(pw) = b
        .get("password")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        u.password = Some(util::hash_password(pw));
    }
    // The user model's `key` attribute may be given at creation, as the first superadmin's is.
    if let Some(key) = b
        .get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    {
        u.key = Some(key.to_owned());
    }
    st.seq += 1;
    u.doc.insert("_seq".into(), Value::from(st.seq));
    let out = user_json(&u);
    st.users.insert(login, u);
    util::json(StatusCode::CREATED, out)
}

fn update_user(st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
    let self_edit = caller.login == id;
    if !(self_edit || can_admin_user(caller, st.users.get(id))) {
        return forbidden();
    }
    let roles = match req.json.get("roles") {
        Some(v) => match parse_roles(Some(v)) {
            Ok(r) => Some(r),
            Err(resp) => return resp,
        },
        None => None,
    };
    if (roles.is_some()
        || req.json.get("organization").is_some()
        || req.json.get("status").is_some())
        && !can_admin_user(caller, st.users.get(id))
    {
        return forbidden();
    }
    let Some(u) = st.users.get_mut(id) else {
        return not_found("user", id);
    };
    if let Some(n) = req.json.get("name").and_then(Value::as_str) {
        u.doc.insert("name".into(), Value::from(n));
    }
    if let Some(r) = roles {
        u.doc.insert("roles".into(), json!(r));
    }
    if let Some(o) = req.json.get("organization").and_then(Value::as_str) {
        if caller.superadmin() {
            u.doc.insert("organization".into(), Value::from(o));
        }
    }
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Ok" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Ok or Locked"));
        }
        u.doc.insert("status".into(), Value::from(s));
    }
    u.doc
        .insert("updatedBy".into(), Value::from(caller.login.clone()));
    u.doc.insert("updatedAt".into(), now());
    util::json(StatusCode::OK, user_json(u))
}

fn workers_search(
    st: &State,
    req: &Req,
    caller: &Caller,
    kind: &str,
    _org_route: bool,
) -> Response {
    let docs: Vec<Map<String, Value>> = st
        .workers
        .values()
        .filter(|w| str_field(w, "type") == kind && str_field(w, "organization") == caller.org)
        .cloned()
        .collect();
    match search(docs, req, &req.body_query()) {
        Ok((page, total)) => list_response(
            page.iter()
                .map(|w| worker_json(w, caller.orgadmin()))
                .collect(),
            total,
        ),
        Err(resp) => resp,
    }
}

fn worker_config(
    def: &Definition,
    given: Option<&Value>,
    base: &Map<String, Value>,
) -> Result<Value, Response> {
    let given = given
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut config = Map::new();
    let mut missing = Vec::new();
    for (name, _, kind, required, default) in def.items {
        match (given.get(*name), default) {
            (Some(v), _) if !v.is_null() => {
                config.insert((*name).into(), v.clone());
            }
            (_, Some(raw)) => {
                config.insert((*name).into(), default_value(kind, raw));
            }
            _ if *required => missing.push(format!("configuration.{name}")),
            _ => {}
        }
    }
    if !missing.is_empty() {
        return Err(missing_attributes("worker", &missing));
    }
    for (k, v) in given {
        config.entry(k).or_insert(v);
    }
    for (k, v) in base {
        config.entry(k.clone()).or_insert(v.clone());
    }
    Ok(Value::Object(config))
}

fn enable_worker(st: &mut State, req: &Req, caller: &Caller, kind: &str, def_id: &str) -> Response {
    if !caller.orgadmin() {
        return forbidden();
    }
    if caller.org == ADMIN_ORG {
        return bad_request("The organization cortex can't have analyzers or responders");
    }
    let Some(def) = definition(def_id).filter(|d| d.kind == kind) else {
        return not_found(&format!("{kind} definition"), def_id);
    };
    let name = req
        .json
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(def.id)
        .to_owned();
    match build_worker(def, &caller.org, &name, &req.json, &caller.login) {
        Ok(w) => {
            let id = str_field(&w, "id").to_owned();
            if st.workers.contains_key(&id) {
                return util::json(
                    StatusCode::BAD_REQUEST,
                    json!({"type": "ConflictError", "message": format!("[{id}]: version conflict, document already exists (current version [1])"), "object": req.json}),
                );
            }
            st.seq += 1;
            let mut w = w;
            w.insert("_seq".into(), Value::from(st.seq));
            let out = worker_json(&w, true);
            st.workers.insert(id, w);
            util::json(StatusCode::CREATED, out)
        }
        Err(resp) => resp,
    }
}

fn build_worker(
    def: &Definition,
    org: &str,
    name: &str,
    body: &Value,
    by: &str,
) -> Result<Map<String, Value>, Response> {
    let job_cache = body.get("jobCache").and_then(Value::as_i64);
    let job_timeout = body.get("jobTimeout").and_then(Value::as_i64).unwrap_or(30);
    let mut base = Map::new();
    for (k, v) in [
        ("proxy_http", Value::Null),
        ("proxy_https", Value::Null),
        ("cacerts", Value::Null),
        ("auto_extract_artifacts", Value::from(false)),
        ("jobTimeout", Value::from(job_timeout)),
        ("check_tlp", Value::from(false)),
        ("max_tlp", Value::from(2)),
        ("check_pap", Value::from(false)),
        ("max_pap", Value::from(2)),
    ] {
        base.insert(k.into(), v);
    }
    if let Some(c) = job_cache {
        base.insert("jobCache".into(), Value::from(c));
    }
    let config = worker_config(def, body.get("configuration"), &base)?;
    let id = md5_hex(format!("{org}|{name}").as_bytes());
    let mut w = Map::new();
    w.insert("id".into(), Value::from(id));
    w.insert("name".into(), Value::from(name));
    w.insert("version".into(), Value::from(def.version));
    w.insert("workerDefinitionId".into(), Value::from(def.id));
    w.insert("description".into(), Value::from(def.description));
    w.insert("author".into(), Value::from("TheHive-Project"));
    w.insert(
        "url".into(),
        Value::from("https://github.com/TheHive-Project/Cortex-Analyzers"),
    );
    w.insert("license".into(), Value::from("AGPL-V3"));
    w.insert(
        "dockerImage".into(),
        def.docker_image.map(Value::from).unwrap_or(Value::Null),
    );
    w.insert(
        "command".into(),
        def.command.map(Value::from).unwrap_or(Value::Null),
    );
    w.insert("dataTypeList".into(), json!(def.data_types));
    w.insert("baseConfig".into(), Value::from(def.base_config));
    w.insert("configuration".into(), config);
    if let Some(rate) = body.get("rate").and_then(Value::as_i64) {
        w.insert("rate".into(), Value::from(rate));
        w.insert(
            "rateUnit".into(),
            body.get("rateUnit").cloned().unwrap_or(Value::from("Day")),
        );
    }
    if def.kind == "analyzer" {
        w.insert(
            "jobCache".into(),
            Value::from(job_cache.unwrap_or(DEFAULT_JOB_CACHE_MIN)),
        );
    }
    w.insert("jobTimeout".into(), Value::from(job_timeout));
    w.insert("type".into(), Value::from(def.kind));
    w.insert("organization".into(), Value::from(org));
    w.insert("createdBy".into(), Value::from(by));
    w.insert("createdAt".into(), now());
    Ok(w)
}

fn update_worker(st: &mut State, req: &Req, caller: &Caller, kind: &str, id: &str) -> Response {
    if !caller.orgadmin() {
        return forbidden();
    }
    let Some(w) = st
        .workers
        .get_mut(id)
        .filter(|w| str_field(w, "type") == kind && str_field(w, "organization") == caller.org)
    else {
        return not_found("worker", id);
    };
    let def_id = str_field(w, "workerDefinitionId").to_owned();
    let Some(def) = definition(&def_id) else {
        return not_found("worker definition", &def_id);
    };
    if let Some(given) = req.json.get("configuration") {
        let base: Map<String, Value> = w
            .get("configuration")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match worker_config(def, Some(given), &base) {
            Ok(c) => {
                w.insert("configuration".into(), c);
            }
            Err(resp) => return resp,
        }
    }
    for k in ["rate", "rateUnit", "jobCache", "jobTimeout"] {
        if let Some(v) = req.json.get(k) {
            w.insert(k.into(), v.clone());
        }
    }
    w.insert("updatedBy".into(), Value::from(caller.login.clone()));
    w.insert("updatedAt".into(), now());
    util::json(StatusCode::OK, worker_json(w, true))
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
