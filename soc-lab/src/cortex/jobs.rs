//! Jobs: creation from the HTTP routes and the in-process API, status, reports and
//! artifacts.

use std::sync::MutexGuard;

use axum::response::Response;
use http::{header, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    bad_request, definition, forbidden, md5_hex, missing_attributes, no_content, not_found,
    page_values, parse_multipart, query_matches, str_field, unknown_route, with_meta, worker_json,
    Caller, Cortex, JobRec, Req, State, DEFAULT_JOB_CACHE_MIN, DEFAULT_ORG, RUN_MS, WAIT_MS,
};
use crate::util;

pub(super) fn job_status(j: &JobRec, now_ms: i64) -> &'static str {
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

pub(super) fn job_end(j: &JobRec) -> i64 {
    j.doc.get("createdAt").and_then(Value::as_i64).unwrap_or(0) + RUN_MS
}

pub(super) fn job_json(j: &JobRec, with_report: bool) -> Value {
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

impl Cortex {
    pub(super) fn run_route(
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

pub(super) fn visible_job(caller: &Caller, j: &JobRec) -> bool {
    str_field(&j.doc, "organization") == caller.org
}

impl Cortex {
    /// Routes a request on jobs.
    pub(super) fn route_jobs(
        &self,
        mut st: MutexGuard<'_, State>,
        req: &Req,
        caller: &Caller,
    ) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (&req.method, segs.as_slice()) {
            (&Method::GET, ["job"]) => {
                let dt = req.query_one("dataTypeFilter");
                let data = req.query_one("dataFilter");
                let analyzer = req.query_one("analyzerFilter");
                let docs: Vec<Map<String, Value>> = st
                    .jobs
                    .values()
                    .filter(|j| visible_job(caller, j) && !j.deleted)
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
                    .filter(|j| visible_job(caller, j) && !j.deleted)
                    .filter_map(|j| job_json(j, false).as_object().cloned())
                    .collect();
                page_values(docs, req, &req.body_query())
            }
            (&Method::POST, ["job", "_stats"]) => {
                let q = req.body_query();
                let n = st
                    .jobs
                    .values()
                    .filter(|j| visible_job(caller, j) && !j.deleted)
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
                        .filter(|j| visible_job(caller, j))
                        .map_or("NotFound", |j| job_status(j, now_ms));
                    out.insert(id.to_owned(), Value::from(status));
                }
                util::json(StatusCode::OK, Value::Object(out))
            }
            (&Method::GET, ["job", id]) => {
                match st.jobs.get(*id).filter(|j| visible_job(caller, j)) {
                    Some(j) => util::json(StatusCode::OK, job_json(j, false)),
                    None => not_found("job", id),
                }
            }
            (&Method::GET, ["job", id, "report"]) => {
                match st.jobs.get(*id).filter(|j| visible_job(caller, j)) {
                    Some(j) => util::json(StatusCode::OK, job_json(j, true)),
                    None => not_found("job", id),
                }
            }
            (&Method::GET, ["job", id, "artifacts"])
            | (&Method::POST, ["job", id, "artifacts"]) => {
                match st.jobs.get(*id).filter(|j| visible_job(caller, j)) {
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
                match st.jobs.get_mut(*id).filter(|j| visible_job(caller, j)) {
                    Some(j) => {
                        j.deleted = true;
                        no_content()
                    }
                    None => not_found("job", id),
                }
            }
            _ => unknown_route(req),
        }
    }
}
