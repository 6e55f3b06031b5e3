//! The connector configuration and the Cortex connector: analyzers and jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    base_object, no_content, ok, parse_body, required_str, Ctx, HiveError, Kind, Res, State,
    TheHive,
};
use crate::util;

fn connector_name(name: &str) -> Result<&'static str, HiveError> {
    match name {
        "cortex" => Ok("cortex"),
        "misp" => Ok("misp"),
        other => Err(HiveError::not_found(format!(
            "Configuration {other} not found"
        ))),
    }
}

pub(super) async fn get_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    let name = connector_name(&name)?;
    let state = util::lock(&hive.state);
    let config = state.config.get(name).cloned().unwrap_or_else(|| match name {
        "cortex" => json!({"servers": [], "refreshDelay": "5 seconds", "maxRetryOnError": 3, "statusCheckInterval": "1 minute", "jobTimeout": "3 hours"}),
        _ => json!({"servers": [], "interval": "1 hour"}),
    });
    ok(StatusCode::OK, config)
}

pub(super) async fn put_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    let name = connector_name(&name)?;
    let input = parse_body(&body)?;
    let servers = input
        .get("servers")
        .and_then(Value::as_array)
        .ok_or_else(|| HiveError::attribute(format!("{name}.servers: expected a list")))?;
    for (i, s) in servers.iter().enumerate() {
        for f in ["name", "url"] {
            if s.get(f).and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(HiveError::attribute(format!(
                    "{name}.servers[{i}].{f} is missing"
                )));
            }
        }
        if s.get("auth").and_then(Value::as_object).is_none() {
            return Err(HiveError::attribute(format!(
                "{name}.servers[{i}].auth is missing"
            )));
        }
    }
    util::lock(&hive.state)
        .config
        .insert(name.into(), Value::Object(input));
    no_content()
}

pub(super) async fn test_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    connector_name(&name)?;
    let server = parse_body(&body)?;
    let url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reachable =
        url::Url::parse(url).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https");
    if reachable {
        ok(
            StatusCode::OK,
            json!({"status": "OK", "message": format!("{url} answered")}),
        )
    } else {
        Err(HiveError::bad_request(format!(
            "Invalid server url {url:?}"
        )))
    }
}

/// The configured Cortex server names; none means the connector has nowhere to send jobs.
fn cortex_servers(state: &State) -> Vec<String> {
    state
        .config
        .get("cortex")
        .and_then(|c| c.get("servers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn worker_json(analyzer: &Value, servers: &[String]) -> Value {
    json!({
        "id": analyzer.get("id").or_else(|| analyzer.get("_id")),
        "name": analyzer.get("name"),
        "version": analyzer.get("version"),
        "description": analyzer.get("description"),
        "dataTypeList": analyzer.get("dataTypeList"),
        "cortexIds": servers,
    })
}

pub(super) async fn list_analyzers(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Query(_q): Query<BTreeMap<String, String>>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let list: Vec<Value> = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex
            .analyzers()
            .iter()
            .map(|a| worker_json(a, &servers))
            .collect(),
        _ => Vec::new(),
    };
    ok(StatusCode::OK, Value::Array(list))
}

pub(super) async fn get_analyzer(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let found = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex.analyzers().into_iter().find(|a| {
            a.get("id").and_then(Value::as_str) == Some(&id)
                || a.get("name").and_then(Value::as_str) == Some(&id)
        }),
        _ => None,
    };
    found
        .map(|a| util::json(StatusCode::OK, worker_json(&a, &servers)))
        .ok_or_else(|| HiveError::not_found(format!("Analyzer {id} not found")))
}

pub(super) async fn analyzers_for_type(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(dt): Path<String>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let list: Vec<Value> = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex
            .analyzers()
            .iter()
            .filter(|a| {
                a.get("dataTypeList")
                    .and_then(Value::as_array)
                    .is_some_and(|l| l.iter().any(|t| t.as_str() == Some(&dt)))
            })
            .map(|a| worker_json(a, &servers))
            .collect(),
        _ => Vec::new(),
    };
    ok(StatusCode::OK, Value::Array(list))
}

fn start_job(hive: &TheHive, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let analyzer = required_str(input, "analyzerId", "job")?.to_owned();
    let cortex_id = required_str(input, "cortexId", "job")?.to_owned();
    let artifact = required_str(input, "artifactId", "job")?.to_owned();
    let (data_type, data, tlp, pap, message) = {
        let state = util::lock(&hive.state);
        if !cortex_servers(&state).contains(&cortex_id) {
            return Err(HiveError::not_found(format!(
                "Cortex server {cortex_id} not found"
            )));
        }
        let id = TheHive::find(&state, Kind::Observable, &ctx.org, &artifact)?;
        let o = state.object(&id);
        (
            o.get("dataType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            o.get("data")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            o.get("tlp").and_then(Value::as_u64).unwrap_or(2),
            o.get("pap").and_then(Value::as_u64).unwrap_or(2),
            o.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let cortex = hive
        .links
        .cortex
        .as_ref()
        .ok_or_else(|| HiveError::not_found(format!("Cortex server {cortex_id} not found")))?;
    let cortex_job = cortex
        .run_analyzer(&analyzer, &data_type, &data, tlp, pap, &message)
        .map_err(HiveError::bad_request)?;
    let mut state = util::lock(&hive.state);
    let artifact_id = TheHive::find(&state, Kind::Observable, &ctx.org, &artifact)?;
    let (id, mut obj) = base_object(&mut state, Kind::Job, &ctx.login);
    obj.insert("analyzerId".into(), json!(analyzer));
    obj.insert(
        "analyzerName".into(),
        cortex_job
            .get("analyzerName")
            .cloned()
            .unwrap_or(json!(analyzer)),
    );
    obj.insert(
        "analyzerDefinition".into(),
        cortex_job
            .get("analyzerDefinitionId")
            .cloned()
            .unwrap_or(Value::Null),
    );
    obj.insert(
        "status".into(),
        cortex_job
            .get("status")
            .cloned()
            .unwrap_or(json!("Waiting")),
    );
    obj.insert("startDate".into(), json!(util::now_ms()));
    obj.insert("cortexId".into(), json!(cortex_id));
    obj.insert(
        "cortexJobId".into(),
        cortex_job.get("id").cloned().unwrap_or(Value::Null),
    );
    obj.insert("id".into(), json!(id));
    obj.insert("operations".into(), json!([]));
    state.store(
        id,
        Kind::Job,
        ctx.org.clone(),
        Some(artifact_id),
        obj.clone(),
    );
    Ok(Value::Object(obj))
}

pub(super) async fn run_job(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAnalyse")?;
    let input = parse_body(&body)?;
    let job = start_job(&hive, &ctx, &input)?;
    ok(StatusCode::CREATED, job)
}

pub(super) async fn run_jobs(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAnalyse")?;
    let input = parse_body(&body)?;
    let jobs = input
        .get("jobs")
        .and_then(Value::as_array)
        .ok_or_else(|| HiveError::attribute("jobs: expected a list"))?;
    let mut out = Vec::new();
    for j in jobs {
        let j = j
            .as_object()
            .ok_or_else(|| HiveError::attribute(format!("jobs: expected objects, got {j}")))?;
        out.push(start_job(&hive, &ctx, j)?);
    }
    ok(StatusCode::CREATED, Value::Array(out))
}

/// Refreshes a connector job from Cortex; a finished one carries its report, and its
/// observable gets the summary under `reports`.
pub(crate) fn refresh_job(hive: &TheHive, job_id: &str) {
    let Some(cortex) = &hive.links.cortex else {
        return;
    };
    let (cortex_job_id, observable) = {
        let state = util::lock(&hive.state);
        match state.entities.get(job_id) {
            Some(e) if e.kind == Kind::Job => (
                e.obj
                    .get("cortexJobId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                e.parent.clone(),
            ),
            _ => return,
        }
    };
    let Some(cj) = cortex_job_id.and_then(|id| cortex.job(&id)) else {
        return;
    };
    let mut state = util::lock(&hive.state);
    let mut summary = None;
    if let Some(e) = state.entities.get_mut(job_id) {
        if let Some(s) = cj.get("status") {
            e.obj.insert("status".into(), s.clone());
        }
        if let Some(end) = cj.get("endDate") {
            e.obj.insert("endDate".into(), end.clone());
        }
        if let Some(report) = cj.get("report") {
            e.obj.insert("report".into(), report.clone());
            summary = report.get("summary").cloned().map(|s| {
                (
                    e.obj
                        .get("analyzerName")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    s,
                )
            });
        }
    }
    if let (Some((name, summary)), Some(obs)) = (summary, observable) {
        if let Some(o) = state.entities.get_mut(&obs) {
            if let Some(Value::Object(reports)) = o.obj.get_mut("reports") {
                reports.insert(name, summary);
            }
        }
    }
}

pub(super) async fn get_job(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let job_id = {
        let state = util::lock(&hive.state);
        TheHive::find(&state, Kind::Job, &ctx.org, &id)?
    };
    refresh_job(&hive, &job_id);
    let state = util::lock(&hive.state);
    let obj = state.object(&job_id);
    ok(StatusCode::OK, obj)
}
