//! Analyzer and responder definitions, and the workers enabled from them.

use std::sync::MutexGuard;

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    bad_request, default_value, definition, definition_json, forbidden, list_response, md5_hex,
    missing_attributes, no_content, not_found, now, search, str_field, unknown_route, with_meta,
    Caller, Cortex, Definition, Req, State, ADMIN_ORG, DEFAULT_JOB_CACHE_MIN, DEFINITIONS,
};
use crate::util;

pub(super) fn worker_json(w: &Map<String, Value>, with_config: bool) -> Value {
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

pub(super) fn workers_search(
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

pub(super) fn enable_worker(
    st: &mut State,
    req: &Req,
    caller: &Caller,
    kind: &str,
    def_id: &str,
) -> Response {
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

pub(super) fn build_worker(
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

impl Cortex {
    /// Routes a request on analyzer and responder definitions and workers.
    pub(super) fn route_workers(
        &self,
        mut st: MutexGuard<'_, State>,
        req: &Req,
        caller: &Caller,
    ) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (&req.method, segs.as_slice()) {
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
                workers_search(&st, req, caller, kind, false)
            }
            (&Method::POST, [kind @ ("analyzer" | "responder"), "_search"]) => {
                workers_search(&st, req, caller, kind, false)
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
                update_worker(&mut st, req, caller, kind, id)
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
                self.run_route(&mut st, req, caller, kind, id)
            }
            _ => unknown_route(req),
        }
    }
}
