//! Cases: creation, promotion of an alert, and merges.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    base_object, copy_optional, custom_fields, levels, new_task, ok, parse_body, permissions,
    required_str, stage_of_case_status, string_list, tags_of, Ctx, Entity, HiveError, Kind, Res,
    State, TheHive,
};
use crate::util;

pub(super) async fn create_case(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageCase/create")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let case = new_case(&mut state, &ctx, &input)?;
    ok(StatusCode::CREATED, case)
}

fn new_case(state: &mut State, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let title = required_str(input, "title", "case")?.to_owned();
    let description = required_str(input, "description", "case")?.to_owned();
    let tags = tags_of(input)?;
    state.next_case_number += 1;
    let number = state.next_case_number;
    let now = util::now_ms();
    let (id, mut obj) = base_object(state, Kind::Case, &ctx.login);
    obj.insert("number".into(), json!(number));
    obj.insert("title".into(), json!(title));
    obj.insert("description".into(), json!(description));
    levels(&mut obj, input, true)?;
    obj.insert(
        "startDate".into(),
        json!(input
            .get("startDate")
            .and_then(Value::as_i64)
            .unwrap_or(now)),
    );
    obj.insert("tags".into(), tags);
    obj.insert(
        "flag".into(),
        json!(input.get("flag").and_then(Value::as_bool).unwrap_or(false)),
    );
    let status = input.get("status").and_then(Value::as_str).unwrap_or("New");
    obj.insert("status".into(), json!(status));
    obj.insert("stage".into(), json!(stage_of_case_status(status)));
    copy_optional(&mut obj, input, &["summary", "impactStatus", "endDate"]);
    obj.insert(
        "assignee".into(),
        input
            .get("assignee")
            .cloned()
            .unwrap_or_else(|| json!(ctx.login)),
    );
    obj.insert("access".into(), json!({"_kind": "OrganisationAccessKind"}));
    obj.insert("customFields".into(), custom_fields(input));
    obj.insert("userPermissions".into(), json!(permissions(&ctx.profile)));
    obj.insert("extraData".into(), json!({}));
    obj.insert("newDate".into(), json!(now));
    obj.insert("timeToDetect".into(), json!(0));
    state.store(id.clone(), Kind::Case, ctx.org.clone(), None, obj);
    if let Some(tasks) = input.get("tasks").and_then(Value::as_array) {
        for t in tasks {
            if let Some(t) = t.as_object() {
                new_task(state, ctx, &id, t)?;
            }
        }
    }
    Ok(state.object(&id))
}

/// Copies an alert's observables into a case (skipping ones the case has) and marks the alert
/// imported into it.
fn import_alert(
    state: &mut State,
    ctx: &Ctx,
    alert_id: &str,
    case_id: &str,
) -> Result<(), HiveError> {
    let observables: Vec<Map<String, Value>> = state
        .entities
        .values()
        .filter(|e| e.kind == Kind::Observable && e.parent.as_deref() == Some(alert_id))
        .map(|e| e.obj.clone())
        .collect();
    for o in observables {
        let same = |e: &Entity| {
            e.kind == Kind::Observable
                && e.parent.as_deref() == Some(case_id)
                && e.obj.get("dataType") == o.get("dataType")
                && e.obj.get("data") == o.get("data")
        };
        if state.entities.values().any(same) {
            continue;
        }
        let (id, mut obj) = base_object(state, Kind::Observable, &ctx.login);
        for (k, v) in &o {
            if !k.starts_with('_') {
                obj.insert(k.clone(), v.clone());
            }
        }
        state.store(
            id,
            Kind::Observable,
            ctx.org.clone(),
            Some(case_id.to_owned()),
            obj,
        );
    }
    let now = util::now_ms();
    if let Some(alert) = state.entities.get_mut(alert_id) {
        alert.obj.insert("caseId".into(), json!(case_id));
        alert.obj.insert("status".into(), json!("Imported"));
        alert.obj.insert("stage".into(), json!("Imported"));
        alert.obj.insert("importedDate".into(), json!(now));
        alert.obj.insert("_updatedBy".into(), json!(ctx.login));
        alert.obj.insert("_updatedAt".into(), json!(now));
    }
    Ok(())
}

pub(super) async fn promote(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    ctx.require("manageCase/create")?;
    let overrides = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let alert_id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let alert = state.object(&alert_id);
    if let Some(case) = alert.get("caseId") {
        return Err(HiveError::bad_request(format!(
            "Alert {alert_id} has already been imported into case {case}"
        )));
    }
    let mut input = Map::new();
    for f in [
        "title",
        "description",
        "severity",
        "tlp",
        "pap",
        "tags",
        "customFields",
        "summary",
        "assignee",
    ] {
        if let Some(v) = alert.get(f) {
            input.insert(f.into(), v.clone());
        }
    }
    for (k, v) in overrides {
        input.insert(k, v);
    }
    let case = new_case(&mut state, &ctx, &input)?;
    let case_id = case
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    import_alert(&mut state, &ctx, &alert_id, &case_id)?;
    let case = state.object(&case_id);
    ok(StatusCode::CREATED, case)
}

pub(super) async fn merge_alert(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path((id, case)): Path<(String, String)>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    let mut state = util::lock(&hive.state);
    let alert_id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &case)?;
    import_alert(&mut state, &ctx, &alert_id, &case_id)?;
    let case = state.object(&case_id);
    ok(StatusCode::OK, case)
}

pub(super) async fn bulk_merge(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    let input = parse_body(&body)?;
    let case = input
        .get("caseId")
        .and_then(Value::as_str)
        .ok_or_else(|| HiveError::attribute("caseId is missing"))?
        .to_owned();
    let alerts = string_list(&input, "alertIds")?;
    let mut state = util::lock(&hive.state);
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &case)?;
    let alert_ids = alerts
        .iter()
        .map(|a| TheHive::find(&state, Kind::Alert, &ctx.org, a))
        .collect::<Result<Vec<_>, _>>()?;
    for a in alert_ids {
        import_alert(&mut state, &ctx, &a, &case_id)?;
    }
    let case = state.object(&case_id);
    ok(StatusCode::OK, case)
}
