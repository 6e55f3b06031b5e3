//! What every entity shares: lookup, field checks, and the generic get, update, delete
//! and follow handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    kind_of, no_content, ok, pap_label, parse_body, recount, remove_tree, severity_label,
    stage_of_alert_status, stage_of_case_status, tlp_label, Ctx, Entity, HiveError, Kind, Res,
    State, TheHive,
};
use crate::util;

impl TheHive {
    /// Finds an entity of `kind` visible from `org` by id (or case number, or
    /// `type;source;sourceRef` for alerts).
    pub(super) fn find(
        state: &State,
        kind: Kind,
        org: &str,
        id_or_name: &str,
    ) -> Result<String, HiveError> {
        let visible = |e: &Entity| e.kind == kind && (kind == Kind::Organisation || e.org == org);
        if let Some(e) = state.entities.get(id_or_name) {
            if visible(e) {
                return Ok(id_or_name.to_owned());
            }
        }
        let found = state.entities.iter().find(|(_, e)| {
            visible(e)
                && match kind {
                    Kind::Case => {
                        e.obj.get("number").map(|n| n.to_string()).as_deref() == Some(id_or_name)
                    }
                    Kind::Alert => {
                        let key =
                            |f: &str| e.obj.get(f).and_then(Value::as_str).unwrap_or_default();
                        format!("{};{};{}", key("type"), key("source"), key("sourceRef"))
                            == id_or_name
                    }
                    Kind::Organisation | Kind::User => {
                        e.obj.get("name").and_then(Value::as_str) == Some(id_or_name)
                            || e.obj.get("login").and_then(Value::as_str) == Some(id_or_name)
                    }
                    _ => false,
                }
        });
        found.map(|(id, _)| id.clone()).ok_or_else(|| {
            HiveError::not_found(format!("{} {id_or_name} not found", kind.type_name()))
        })
    }
}

pub(super) fn base_object(
    state: &mut State,
    kind: Kind,
    ctx_login: &str,
) -> (String, Map<String, Value>) {
    let id = state.new_id();
    let mut obj = Map::new();
    obj.insert("_id".into(), json!(id));
    obj.insert("_type".into(), json!(kind.type_name()));
    obj.insert("_createdBy".into(), json!(ctx_login));
    obj.insert("_createdAt".into(), json!(util::now_ms()));
    (id, obj)
}

fn int_field(
    input: &Map<String, Value>,
    name: &str,
    default: i64,
    range: (i64, i64),
) -> Result<i64, HiveError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (range.0..=range.1).contains(&n) => Ok(n),
            _ => Err(HiveError::attribute(format!(
                "Invalid value for {name}: {v} (expected an integer from {} to {})",
                range.0, range.1
            ))),
        },
    }
}

pub(super) fn required_str<'a>(
    input: &'a Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<&'a str, HiveError> {
    match input.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(other) if !other.is_null() => Err(HiveError::attribute(format!(
            "{what}.{name}: expected a non-empty string, got {other}"
        ))),
        _ => Err(HiveError::attribute(format!("{what}.{name} is missing"))),
    }
}

pub(super) fn tags_of(input: &Map<String, Value>) -> Result<Value, HiveError> {
    match input.get("tags") {
        None | Some(Value::Null) => Ok(json!([])),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Value::Array(a.clone())),
        Some(other) => Err(HiveError::attribute(format!(
            "tags: expected a list of strings, got {other}"
        ))),
    }
}

/// Applies the levels (severity, TLP, PAP) with their labels.
pub(super) fn levels(
    obj: &mut Map<String, Value>,
    input: &Map<String, Value>,
    severity: bool,
) -> Result<(), HiveError> {
    if severity {
        let s = int_field(input, "severity", 2, (1, 4))?;
        obj.insert("severity".into(), json!(s));
        obj.insert("severityLabel".into(), json!(severity_label(s)));
    }
    let tlp = int_field(input, "tlp", 2, (0, 4))?;
    obj.insert("tlp".into(), json!(tlp));
    obj.insert("tlpLabel".into(), json!(tlp_label(tlp)));
    let pap = int_field(input, "pap", 2, (0, 3))?;
    obj.insert("pap".into(), json!(pap));
    obj.insert("papLabel".into(), json!(pap_label(pap)));
    Ok(())
}

pub(super) fn custom_fields(input: &Map<String, Value>) -> Value {
    match input.get("customFields") {
        Some(Value::Array(a)) => Value::Array(a.clone()),
        Some(Value::Object(m)) => Value::Array(
            m.iter()
                .enumerate()
                .map(|(i, (k, v))| json!({"_id": format!("{k}:{v}"), "name": k, "type": "string", "value": v, "order": i}))
                .collect(),
        ),
        _ => json!([]),
    }
}

pub(super) fn copy_optional(
    obj: &mut Map<String, Value>,
    input: &Map<String, Value>,
    fields: &[&str],
) {
    for f in fields {
        if let Some(v) = input.get(*f) {
            if !v.is_null() {
                obj.insert((*f).into(), v.clone());
            }
        }
    }
}

fn permission_for(kind: Kind, action: &str) -> &'static str {
    match (kind, action) {
        (Kind::Alert, "update") => "manageAlert/update",
        (Kind::Alert, _) => "manageAlert/delete",
        (Kind::Case, "update") => "manageCase/update",
        (Kind::Case, _) => "manageCase/delete",
        (Kind::Observable, _) => "manageObservable",
        (Kind::Task | Kind::Log, _) => "manageTask",
        (Kind::Comment, _) => "manageComment",
        (Kind::Organisation, _) => "manageOrganisation/update",
        _ => "manageUser",
    }
}

pub(super) async fn get_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    let state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    let obj = state.object(&id);
    ok(StatusCode::OK, obj)
}

/// Fields a PATCH may not change.
const READ_ONLY: &[&str] = &[
    "_id",
    "_type",
    "_createdBy",
    "_createdAt",
    "_updatedBy",
    "_updatedAt",
    "createdBy",
    "createdAt",
    "number",
    "dataType",
    "data",
    "observableCount",
    "caseId",
];

fn apply_update(
    state: &mut State,
    id: &str,
    ctx: &Ctx,
    fields: &Map<String, Value>,
) -> Result<(), HiveError> {
    let entity = state
        .entities
        .get_mut(id)
        .ok_or_else(|| HiveError::not_found(format!("{id} not found")))?;
    let kind = entity.kind;
    if let Some(bad) = fields.keys().find(|k| READ_ONLY.contains(&k.as_str())) {
        return Err(HiveError::attribute(format!(
            "{}.{bad} cannot be updated",
            kind.type_name().to_ascii_lowercase()
        )));
    }
    let mut merged = entity.obj.clone();
    for (k, v) in fields {
        if k == "ids" {
            continue;
        }
        merged.insert(k.clone(), v.clone());
    }
    // Levels keep their labels in step.
    if matches!(kind, Kind::Alert | Kind::Case | Kind::Observable) {
        let snapshot = merged.clone();
        levels(
            &mut merged,
            &snapshot,
            matches!(kind, Kind::Alert | Kind::Case),
        )?;
    }
    if let Some(s) = fields.get("status").and_then(Value::as_str) {
        let now = util::now_ms();
        match kind {
            Kind::Alert => {
                let stage = stage_of_alert_status(s);
                merged.insert("stage".into(), json!(stage));
                if stage == "InProgress" && !merged.contains_key("inProgressDate") {
                    merged.insert("inProgressDate".into(), json!(now));
                }
                if stage == "Closed" {
                    merged.insert("closedDate".into(), json!(now));
                }
            }
            Kind::Case => {
                let stage = stage_of_case_status(s);
                merged.insert("stage".into(), json!(stage));
                if stage == "Closed" {
                    merged.insert("endDate".into(), json!(now));
                    merged.insert("closedDate".into(), json!(now));
                }
            }
            _ => {}
        }
    }
    if kind == Kind::Comment && fields.contains_key("message") {
        merged.insert("isEdited".into(), json!(true));
    }
    let (by, at) = if kind == Kind::Comment {
        ("updatedBy", "updatedAt")
    } else {
        ("_updatedBy", "_updatedAt")
    };
    merged.insert(by.into(), json!(ctx.login));
    merged.insert(at.into(), json!(util::now_ms()));
    entity.obj = merged;
    Ok(())
}

pub(super) async fn update_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "update"))?;
    let fields = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    apply_update(&mut state, &id, &ctx, &fields)?;
    no_content()
}

pub(super) async fn bulk_update<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "update"))?;
    let fields = parse_body(&body)?;
    let ids = string_list(&fields, "ids")?;
    let mut state = util::lock(&hive.state);
    let found = ids
        .iter()
        .map(|id| TheHive::find(&state, kind, &ctx.org, id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in found {
        apply_update(&mut state, &id, &ctx, &fields)?;
    }
    no_content()
}

pub(super) fn string_list(
    input: &Map<String, Value>,
    name: &str,
) -> Result<Vec<String>, HiveError> {
    match input.get(name) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    HiveError::attribute(format!("{name}: expected strings, got {v}"))
                })
            })
            .collect(),
        Some(other) => Err(HiveError::attribute(format!(
            "{name}: expected a list of strings, got {other}"
        ))),
        None => Err(HiveError::attribute(format!("{name} is missing"))),
    }
}

pub(super) async fn delete_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "delete"))?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    let parent = state.entities.get(&id).and_then(|e| e.parent.clone());
    remove_tree(&mut state, &id);
    if let Some(p) = parent {
        recount(&mut state, &p);
    }
    no_content()
}

pub(super) async fn bulk_delete_alerts(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/delete")?;
    let ids = string_list(&parse_body(&body)?, "ids")?;
    let mut state = util::lock(&hive.state);
    let found = ids
        .iter()
        .map(|id| TheHive::find(&state, Kind::Alert, &ctx.org, id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in found {
        remove_tree(&mut state, &id);
    }
    no_content()
}

pub(super) async fn follow<const ON: bool>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/update")?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let mut fields = Map::new();
    fields.insert("follow".into(), json!(ON));
    apply_update(&mut state, &id, &ctx, &fields)?;
    let obj = state.object(&id);
    ok(StatusCode::OK, obj)
}
