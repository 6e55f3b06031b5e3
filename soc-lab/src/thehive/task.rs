//! What hangs under an alert or a case: observables, tasks, task logs and comments.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    base_object, copy_optional, kind_of, new_observables, ok, parse_body, recount, required_str,
    Ctx, HiveError, Kind, Res, State, TheHive,
};
use crate::util;

pub(super) async fn create_observable<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageObservable")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let parent = TheHive::find(&state, kind_of(K), &ctx.org, &id)?;
    let created = new_observables(&mut state, &ctx, &parent, &input)?;
    recount(&mut state, &parent);
    ok(StatusCode::CREATED, Value::Array(created))
}

pub(super) fn new_task(
    state: &mut State,
    ctx: &Ctx,
    case_id: &str,
    input: &Map<String, Value>,
) -> Result<Value, HiveError> {
    let title = required_str(input, "title", "task")?.to_owned();
    let (id, mut obj) = base_object(state, Kind::Task, &ctx.login);
    obj.insert("title".into(), json!(title));
    obj.insert(
        "group".into(),
        input
            .get("group")
            .cloned()
            .unwrap_or_else(|| json!("default")),
    );
    obj.insert(
        "status".into(),
        input
            .get("status")
            .cloned()
            .unwrap_or_else(|| json!("Waiting")),
    );
    obj.insert(
        "flag".into(),
        json!(input.get("flag").and_then(Value::as_bool).unwrap_or(false)),
    );
    obj.insert(
        "order".into(),
        json!(input.get("order").and_then(Value::as_i64).unwrap_or(0)),
    );
    obj.insert(
        "mandatory".into(),
        json!(input
            .get("mandatory")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    copy_optional(
        &mut obj,
        input,
        &["description", "startDate", "endDate", "dueDate", "assignee"],
    );
    obj.insert("extraData".into(), json!({}));
    state.store(
        id,
        Kind::Task,
        ctx.org.clone(),
        Some(case_id.to_owned()),
        obj.clone(),
    );
    Ok(Value::Object(obj))
}

pub(super) async fn create_task(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageTask")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &id)?;
    let task = new_task(&mut state, &ctx, &case_id, &input)?;
    ok(StatusCode::CREATED, task)
}

pub(super) async fn create_log(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageTask")?;
    let input = parse_body(&body)?;
    let message = required_str(&input, "message", "log")?.to_owned();
    let mut state = util::lock(&hive.state);
    let task_id = TheHive::find(&state, Kind::Task, &ctx.org, &id)?;
    let (log_id, mut obj) = base_object(&mut state, Kind::Log, &ctx.login);
    obj.insert("message".into(), json!(message));
    obj.insert(
        "date".into(),
        json!(input
            .get("date")
            .and_then(Value::as_i64)
            .unwrap_or_else(util::now_ms)),
    );
    obj.insert("attachments".into(), json!([]));
    obj.insert("owner".into(), json!(ctx.login));
    copy_optional(&mut obj, &input, &["includeInTimeline"]);
    obj.insert("extraData".into(), json!({}));
    state.store(
        log_id,
        Kind::Log,
        ctx.org.clone(),
        Some(task_id),
        obj.clone(),
    );
    ok(StatusCode::CREATED, Value::Object(obj))
}

pub(super) async fn create_comment<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageComment")?;
    let input = parse_body(&body)?;
    let message = required_str(&input, "message", "comment")?.to_owned();
    let mut state = util::lock(&hive.state);
    let parent = TheHive::find(&state, kind_of(K), &ctx.org, &id)?;
    let (comment_id, mut obj) = base_object(&mut state, Kind::Comment, &ctx.login);
    // Comments are the one entity whose audit fields have no leading underscore.
    for (from, to) in [("_createdBy", "createdBy"), ("_createdAt", "createdAt")] {
        if let Some(v) = obj.remove(from) {
            obj.insert(to.into(), v);
        }
    }
    obj.insert("external".into(), json!(false));
    obj.insert("message".into(), json!(message));
    obj.insert("isEdited".into(), json!(false));
    obj.insert("extraData".into(), json!({}));
    state.store(
        comment_id,
        Kind::Comment,
        ctx.org.clone(),
        Some(parent),
        obj.clone(),
    );
    ok(StatusCode::CREATED, Value::Object(obj))
}
