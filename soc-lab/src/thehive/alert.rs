//! Alerts and the observables created with them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    base_object, copy_optional, custom_fields, levels, ok, parse_body, required_str, tags_of, Ctx,
    HiveError, Kind, Res, State, TheHive,
};
use crate::util;

pub(super) async fn create_alert(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/create")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let alert = new_alert(&mut state, &ctx, &input)?;
    ok(StatusCode::CREATED, alert)
}

fn new_alert(state: &mut State, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let kind = required_str(input, "type", "alert")?.to_owned();
    let source = required_str(input, "source", "alert")?.to_owned();
    let source_ref = required_str(input, "sourceRef", "alert")?.to_owned();
    let title = required_str(input, "title", "alert")?.to_owned();
    let description = required_str(input, "description", "alert")?.to_owned();
    let duplicate = state.entities.values().any(|e| {
        e.kind == Kind::Alert
            && e.org == ctx.org
            && e.obj.get("type").and_then(Value::as_str) == Some(&kind)
            && e.obj.get("source").and_then(Value::as_str) == Some(&source)
            && e.obj.get("sourceRef").and_then(Value::as_str) == Some(&source_ref)
    });
    if duplicate {
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!(
                "Alert {kind}:{source}:{source_ref} already exist in organisation {}",
                ctx.org
            ),
        ));
    }
    let now = util::now_ms();
    let date = match input.get("date") {
        None | Some(Value::Null) => now,
        Some(v) => v.as_i64().ok_or_else(|| {
            HiveError::attribute(format!("alert.date: expected epoch milliseconds, got {v}"))
        })?,
    };
    let tags = tags_of(input)?;
    let (id, mut obj) = base_object(state, Kind::Alert, &ctx.login);
    obj.insert("type".into(), json!(kind));
    obj.insert("source".into(), json!(source));
    obj.insert("sourceRef".into(), json!(source_ref));
    obj.insert("title".into(), json!(title));
    obj.insert("description".into(), json!(description));
    levels(&mut obj, input, true)?;
    obj.insert("date".into(), json!(date));
    obj.insert("tags".into(), tags);
    obj.insert(
        "follow".into(),
        json!(input.get("follow").and_then(Value::as_bool).unwrap_or(true)),
    );
    obj.insert("customFields".into(), custom_fields(input));
    copy_optional(
        &mut obj,
        input,
        &["externalLink", "caseTemplate", "summary", "assignee"],
    );
    let status = input.get("status").and_then(Value::as_str).unwrap_or("New");
    obj.insert("status".into(), json!(status));
    obj.insert("stage".into(), json!(stage_of_alert_status(status)));
    obj.insert("observableCount".into(), json!(0));
    obj.insert("extraData".into(), json!({}));
    obj.insert("newDate".into(), json!(now));
    obj.insert("timeToDetect".into(), json!((now - date).max(0)));
    state.store(id.clone(), Kind::Alert, ctx.org.clone(), None, obj);
    if let Some(observables) = input.get("observables") {
        let list = observables.as_array().ok_or_else(|| {
            HiveError::attribute(format!(
                "alert.observables: expected a list, got {observables}"
            ))
        })?;
        for o in list {
            let o = o.as_object().ok_or_else(|| {
                HiveError::attribute(format!("alert.observables: expected objects, got {o}"))
            })?;
            if let Err(e) = new_observables(state, ctx, &id, o) {
                // An alert is created whole or not at all.
                remove_tree(state, &id);
                return Err(e);
            }
        }
    }
    recount(state, &id);
    Ok(state.object(&id))
}

pub(super) fn stage_of_alert_status(status: &str) -> &'static str {
    match status {
        "New" => "New",
        "InProgress" => "InProgress",
        "Imported" => "Imported",
        _ => "Closed",
    }
}

pub(super) fn stage_of_case_status(status: &str) -> &'static str {
    match status {
        "New" => "New",
        "InProgress" => "InProgress",
        _ => "Closed",
    }
}

/// Sets `observableCount` of an alert.
pub(super) fn recount(state: &mut State, alert_id: &str) {
    let n = state
        .entities
        .values()
        .filter(|e| e.kind == Kind::Observable && e.parent.as_deref() == Some(alert_id))
        .count();
    if let Some(e) = state.entities.get_mut(alert_id) {
        if e.kind == Kind::Alert {
            e.obj.insert("observableCount".into(), json!(n));
        }
    }
}

/// Removes an entity and everything below it.
pub(super) fn remove_tree(state: &mut State, id: &str) {
    let children: Vec<String> = state
        .entities
        .iter()
        .filter(|(_, e)| e.parent.as_deref() == Some(id))
        .map(|(k, _)| k.clone())
        .collect();
    for c in children {
        remove_tree(state, &c);
    }
    state.entities.remove(id);
}

/// Creates the observables of one input (a list `data` makes several); refuses a duplicate of
/// an observable already on the same alert or case.
pub(super) fn new_observables(
    state: &mut State,
    ctx: &Ctx,
    parent: &str,
    input: &Map<String, Value>,
) -> Result<Vec<Value>, HiveError> {
    let data_type = required_str(input, "dataType", "observable")?.to_owned();
    let datas: Vec<Option<String>> = match input.get("data") {
        Some(Value::String(s)) => vec![Some(s.clone())],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(|s| Some(s.to_owned())).ok_or_else(|| {
                    HiveError::attribute(format!("observable.data: expected strings, got {v}"))
                })
            })
            .collect::<Result<_, _>>()?,
        None | Some(Value::Null) if input.get("attachment").is_some() => vec![None],
        None | Some(Value::Null) => return Err(HiveError::attribute("observable.data is missing")),
        Some(other) => {
            return Err(HiveError::attribute(format!(
                "observable.data: expected a string or a list of strings, got {other}"
            )))
        }
    };
    let tags = tags_of(input)?;
    let mut out = Vec::new();
    for data in datas {
        let exists = state.entities.values().any(|e| {
            e.kind == Kind::Observable
                && e.parent.as_deref() == Some(parent)
                && e.obj.get("dataType").and_then(Value::as_str) == Some(&data_type)
                && e.obj.get("data").and_then(Value::as_str) == data.as_deref()
        });
        if exists {
            return Err(HiveError::new(
                StatusCode::BAD_REQUEST,
                "CreateError",
                format!(
                    "Observable {data_type}:{} already exists",
                    data.as_deref().unwrap_or("<file>")
                ),
            ));
        }
        let (id, mut obj) = base_object(state, Kind::Observable, &ctx.login);
        obj.insert("dataType".into(), json!(data_type));
        if let Some(d) = &data {
            obj.insert("data".into(), json!(d));
        }
        obj.insert(
            "startDate".into(),
            json!(input
                .get("startDate")
                .and_then(Value::as_i64)
                .unwrap_or_else(util::now_ms)),
        );
        levels(&mut obj, input, false)?;
        obj.insert("tags".into(), tags.clone());
        for (field, default) in [
            ("ioc", false),
            ("sighted", false),
            ("ignoreSimilarity", false),
        ] {
            obj.insert(
                field.into(),
                json!(input.get(field).and_then(Value::as_bool).unwrap_or(default)),
            );
        }
        copy_optional(&mut obj, input, &["message", "sightedAt"]);
        obj.insert("reports".into(), json!({}));
        obj.insert("extraData".into(), json!({}));
        obj.insert("external".into(), json!(false));
        out.push(Value::Object(obj.clone()));
        state.store(
            id,
            Kind::Observable,
            ctx.org.clone(),
            Some(parent.to_owned()),
            obj,
        );
    }
    Ok(out)
}
