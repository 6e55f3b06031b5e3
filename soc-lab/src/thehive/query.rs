//! TheHive's query API: `POST /api/v1/query` with a chain of operations (a selection, then
//! traversals, `filter`, `sort`, `page` or `count`), evaluated on a linear scan.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use super::{parse_body, refresh_job, Ctx, Entity, HiveError, Kind, Res, State, TheHive};
use crate::util;

enum Selection {
    Items(Vec<String>),
    Number(u64),
}

pub(super) async fn run(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let input = parse_body(&body)?;
    let ops = input
        .get("query")
        .and_then(Value::as_array)
        .ok_or_else(|| HiveError::bad_request("Invalid query: the body needs a \"query\" list"))?
        .clone();
    let exclude: Vec<String> = input
        .get("excludeFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    // Jobs are refreshed from Cortex before they are read.
    let job_ids: Vec<String> = {
        let state = util::lock(&hive.state);
        state
            .entities
            .iter()
            .filter(|(_, e)| e.kind == Kind::Job && e.org == ctx.org)
            .map(|(id, _)| id.clone())
            .collect()
    };
    if ops
        .iter()
        .any(|o| o.get("_name").and_then(Value::as_str) == Some("listJob"))
    {
        for id in &job_ids {
            refresh_job(&hive, id);
        }
    }
    let state = util::lock(&hive.state);
    let mut selection = Selection::Items(Vec::new());
    let mut single = false;
    let mut total = None;
    for (i, op) in ops.iter().enumerate() {
        let name = op.get("_name").and_then(Value::as_str).ok_or_else(|| {
            HiveError::bad_request(format!("Invalid query: operation {i} has no _name: {op}"))
        })?;
        if i == 0 {
            let (items, one) = initial(&state, &ctx, name, op)?;
            selection = Selection::Items(items);
            single = one;
            continue;
        }
        let Selection::Items(items) = selection else {
            return Err(HiveError::bad_request(format!(
                "Invalid query: {name} cannot follow count"
            )));
        };
        single = false;
        selection = match name {
            "filter" => {
                let filter = filter_of(op);
                let mut kept = Vec::with_capacity(items.len());
                for id in items {
                    if let Some(e) = state.entities.get(&id) {
                        if matches(e, &filter)? {
                            kept.push(id);
                        }
                    }
                }
                Selection::Items(kept)
            }
            "sort" => Selection::Items(sort(&state, items, op)?),
            "page" => {
                let from = op.get("from").and_then(Value::as_u64).unwrap_or(0) as usize;
                let to = op.get("to").and_then(Value::as_u64).unwrap_or(u64::MAX);
                let extra = op.get("extraData").and_then(Value::as_array);
                if extra.is_some_and(|e| e.iter().any(|x| x.as_str() == Some("total"))) {
                    total = Some(items.len());
                }
                let to = usize::try_from(to).unwrap_or(usize::MAX).min(items.len());
                Selection::Items(
                    items
                        .get(from.min(to)..to)
                        .map(<[String]>::to_vec)
                        .unwrap_or_default(),
                )
            }
            "count" => Selection::Number(items.len() as u64),
            "limit" => {
                let n = op.get("count").and_then(Value::as_u64).unwrap_or(u64::MAX);
                Selection::Items(
                    items
                        .into_iter()
                        .take(usize::try_from(n).unwrap_or(usize::MAX))
                        .collect(),
                )
            }
            other => Selection::Items(traverse(&state, items, other)?),
        };
    }
    let body = match selection {
        Selection::Number(n) => json!(n),
        Selection::Items(items) => {
            let objects: Vec<Value> = items
                .iter()
                .filter_map(|id| state.entities.get(id))
                .map(|e| {
                    let mut obj = e.obj.clone();
                    for f in &exclude {
                        obj.remove(f);
                    }
                    if e.kind == Kind::User {
                        return user_view(&state, e, &ctx);
                    }
                    Value::Object(obj)
                })
                .collect();
            if single {
                objects.into_iter().next().unwrap_or(Value::Null)
            } else {
                Value::Array(objects)
            }
        }
    };
    let mut resp = util::json(StatusCode::OK, body);
    if let Some(t) = total {
        if let Ok(v) = HeaderValue::from_str(&t.to_string()) {
            resp.headers_mut().insert("X-Total", v);
        }
    }
    Ok(resp)
}

fn user_view(state: &State, e: &Entity, ctx: &Ctx) -> Value {
    let login = e
        .obj
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default();
    super::user_json(state, login, &ctx.org)
}

fn of_kind(state: &State, ctx: &Ctx, kind: Kind) -> Vec<String> {
    let mut ids: Vec<(i64, String)> = state
        .entities
        .iter()
        .filter(|(_, e)| {
            e.kind == kind
                && match kind {
                    Kind::Organisation => ctx.profile == "admin" || e.org == ctx.org,
                    Kind::User => state.accounts.values().any(|a| {
                        a.id == *e.obj.get("_id").and_then(Value::as_str).unwrap_or_default()
                            && (ctx.profile == "admin" || a.orgs.contains_key(&ctx.org))
                    }),
                    _ => e.org == ctx.org,
                }
        })
        .map(|(id, e)| {
            (
                e.obj
                    .get("_createdAt")
                    .or_else(|| e.obj.get("createdAt"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                id.clone(),
            )
        })
        .collect();
    // Newest first, as TheHive lists by default.
    ids.sort_by(|a, b| b.cmp(a));
    ids.into_iter().map(|(_, id)| id).collect()
}

fn initial(
    state: &State,
    ctx: &Ctx,
    name: &str,
    op: &Value,
) -> Result<(Vec<String>, bool), HiveError> {
    let list = |kind| Ok((of_kind(state, ctx, kind), false));
    let get = |kind| {
        let id = op
            .get("idOrName")
            .or_else(|| op.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                HiveError::bad_request(format!("Invalid query: {name} needs idOrName"))
            })?;
        Ok((vec![TheHive::find(state, kind, &ctx.org, id)?], true))
    };
    match name {
        "listAlert" => list(Kind::Alert),
        "listCase" => list(Kind::Case),
        "listObservable" => list(Kind::Observable),
        "listTask" => list(Kind::Task),
        "listLog" => list(Kind::Log),
        "listComment" => list(Kind::Comment),
        "listUser" => list(Kind::User),
        "listOrganisation" => list(Kind::Organisation),
        "listJob" => list(Kind::Job),
        "getAlert" => get(Kind::Alert),
        "getCase" => get(Kind::Case),
        "getObservable" => get(Kind::Observable),
        "getTask" => get(Kind::Task),
        "getLog" => get(Kind::Log),
        "getComment" => get(Kind::Comment),
        "getOrganisation" => get(Kind::Organisation),
        "getJob" => get(Kind::Job),
        "getUser" => {
            let id = op
                .get("idOrName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let found = state
                .accounts
                .iter()
                .find(|(login, a)| login.as_str() == id || a.id == id)
                .filter(|(_, a)| ctx.profile == "admin" || a.orgs.contains_key(&ctx.org))
                .map(|(_, a)| a.id.clone())
                .ok_or_else(|| HiveError::not_found(format!("User {id} not found")))?;
            Ok((vec![found], true))
        }
        "currentUser" => Ok((
            state
                .accounts
                .get(&ctx.login)
                .map(|a| vec![a.id.clone()])
                .unwrap_or_default(),
            true,
        )),
        "waitingTasks" | "myTasks" => {
            let ids = of_kind(state, ctx, Kind::Task)
                .into_iter()
                .filter(|id| {
                    state.entities.get(id).is_some_and(|e| {
                        if name == "waitingTasks" {
                            e.obj.get("status").and_then(Value::as_str) == Some("Waiting")
                        } else {
                            e.obj.get("assignee").and_then(Value::as_str) == Some(&ctx.login)
                        }
                    })
                })
                .collect();
            Ok((ids, false))
        }
        other => Err(HiveError::bad_request(format!(
            "Invalid query: unknown initial operation {other}"
        ))),
    }
}

/// Follows a relation from every selected entity.
fn traverse(state: &State, items: Vec<String>, name: &str) -> Result<Vec<String>, HiveError> {
    let children = |kind: Kind| -> Vec<String> {
        let mut out = Vec::new();
        for parent in &items {
            let mut found: Vec<(i64, String)> = state
                .entities
                .iter()
                .filter(|(_, e)| e.kind == kind && e.parent.as_deref() == Some(parent.as_str()))
                .map(|(id, e)| {
                    (
                        e.obj
                            .get("_createdAt")
                            .or_else(|| e.obj.get("createdAt"))
                            .and_then(Value::as_i64)
                            .unwrap_or(0),
                        id.clone(),
                    )
                })
                .collect();
            found.sort_by(|a, b| b.cmp(a));
            out.extend(found.into_iter().map(|(_, id)| id));
        }
        out
    };
    Ok(match name {
        "observables" => children(Kind::Observable),
        "tasks" => children(Kind::Task),
        "logs" => children(Kind::Log),
        "comments" | "allComments" => children(Kind::Comment),
        "jobs" => children(Kind::Job),
        "alerts" => items
            .iter()
            .flat_map(|case| {
                state
                    .entities
                    .iter()
                    .filter(move |(_, e)| {
                        e.kind == Kind::Alert
                            && e.obj.get("caseId").and_then(Value::as_str) == Some(case.as_str())
                    })
                    .map(|(id, _)| id.clone())
            })
            .collect(),
        "case" => items
            .iter()
            .filter_map(|id| {
                let e = state.entities.get(id)?;
                match e.kind {
                    Kind::Alert => e
                        .obj
                        .get("caseId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => e
                        .parent
                        .clone()
                        .filter(|p| state.entities.get(p).is_some_and(|p| p.kind == Kind::Case)),
                }
            })
            .collect(),
        "task" => items
            .iter()
            .filter_map(|id| state.entities.get(id)?.parent.clone())
            .collect(),
        "alert" => items
            .iter()
            .filter_map(|id| {
                state
                    .entities
                    .get(id)?
                    .parent
                    .clone()
                    .filter(|p| state.entities.get(p).is_some_and(|p| p.kind == Kind::Alert))
            })
            .collect(),
        other => {
            return Err(HiveError::bad_request(format!(
                "Invalid query: unknown operation {other}"
            )))
        }
    })
}

/// The filter of a `filter` operation: its members other than `_name`.
fn filter_of(op: &Value) -> Value {
    let mut m = op.as_object().cloned().unwrap_or_default();
    m.remove("_name");
    Value::Object(m)
}

fn field<'a>(e: &'a Entity, name: &str) -> Option<&'a Value> {
    if name == "_id" {
        return e.obj.get("_id");
    }
    let mut cur = e.obj.get(name.split('.').next().unwrap_or(name))?;
    for part in name.split('.').skip(1) {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn relative_date(v: &Value) -> Option<i64> {
    let amount = v.get("amount")?.as_i64()?;
    let unit = v.get("unit")?.as_str()?;
    let ms = match unit.trim_end_matches('s') {
        "second" => 1_000,
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        "week" => 7 * 86_400_000,
        "month" => 30 * 86_400_000,
        "year" => 365 * 86_400_000,
        _ => return None,
    };
    let behind = v.get("look").and_then(Value::as_str) != Some("ahead");
    let now = util::now_ms();
    Some(if behind {
        now - amount * ms
    } else {
        now + amount * ms
    })
}

fn operand(v: &Value) -> Value {
    relative_date(v)
        .map(Value::from)
        .unwrap_or_else(|| v.clone())
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Values of a field as a list (arrays such as `tags` match on any element).
fn values(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

fn field_value(spec: &Value, op: &str) -> Result<(String, Value), HiveError> {
    let f = spec.get("_field").and_then(Value::as_str).ok_or_else(|| {
        HiveError::bad_request(format!("Invalid filter {op}: _field is missing in {spec}"))
    })?;
    let v = spec.get("_value").ok_or_else(|| {
        HiveError::bad_request(format!("Invalid filter {op}: _value is missing in {spec}"))
    })?;
    Ok((f.to_owned(), operand(v)))
}

fn matches(e: &Entity, filter: &Value) -> Result<bool, HiveError> {
    let Some(m) = filter.as_object() else {
        return Err(HiveError::bad_request(format!("Invalid filter {filter}")));
    };
    if m.is_empty() {
        return Ok(true);
    }
    let mut all = true;
    for (op, spec) in m {
        let ok = match op.as_str() {
            "_and" => list(spec, op)?
                .iter()
                .map(|f| matches(e, f))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .all(|b| b),
            "_or" => list(spec, op)?
                .iter()
                .map(|f| matches(e, f))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b),
            "_not" => !matches(e, spec)?,
            "_any" => true,
            "_id" => e.obj.get("_id") == Some(spec),
            "_eq" | "_is" | "_ne" => {
                let (f, v) = field_value(spec, op)?;
                let hit = values(field(e, &f)).contains(&&v);
                if op == "_ne" {
                    !hit
                } else {
                    hit
                }
            }
            "_lt" | "_gt" | "_lte" | "_gte" => {
                let (f, v) = field_value(spec, op)?;
                values(field(e, &f)).iter().any(|x| match compare(x, &v) {
                    Some(o) => match op.as_str() {
                        "_lt" => o == Ordering::Less,
                        "_gt" => o == Ordering::Greater,
                        "_lte" => o != Ordering::Greater,
                        _ => o != Ordering::Less,
                    },
                    None => false,
                })
            }
            "_between" => {
                let f = spec
                    .get("_field")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let from = spec.get("_from").map(operand).unwrap_or(Value::Null);
                let to = spec.get("_to").map(operand).unwrap_or(Value::Null);
                values(field(e, f)).iter().any(|x| {
                    compare(x, &from).is_some_and(|o| o != Ordering::Less)
                        && compare(x, &to).is_some_and(|o| o == Ordering::Less)
                })
            }
            "_in" => {
                let f = spec
                    .get("_field")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let allowed = spec
                    .get("_values")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                values(field(e, f)).iter().any(|x| allowed.contains(x))
            }
            "_startsWith" | "_endsWith" | "_like" | "_match" => {
                let (f, v) = field_value(spec, op)?;
                let needle = v.as_str().unwrap_or_default().to_lowercase();
                values(field(e, &f))
                    .iter()
                    .filter_map(|x| x.as_str())
                    .any(|s| {
                        let s = s.to_lowercase();
                        match op.as_str() {
                            "_startsWith" => s.starts_with(&needle),
                            "_endsWith" => s.ends_with(&needle),
                            "_like" => s.contains(needle.trim_matches('*')),
                            _ => s
                                .split(|c: char| !c.is_alphanumeric())
                                .any(|w| needle.split_whitespace().any(|n| n == w)),
                        }
                    })
            }
            "_has" | "_contains" => {
                let f = spec
                    .as_str()
                    .or_else(|| spec.get("_field").and_then(Value::as_str))
                    .unwrap_or_default();
                field(e, f).is_some_and(|v| !v.is_null())
            }
            other if !other.starts_with('_') || other == "_createdAt" || other == "_updatedAt" => {
                // The short form `{"status": "New"}`.
                values(field(e, other)).contains(&spec)
            }
            other => {
                return Err(HiveError::bad_request(format!(
                    "Invalid filter: unknown operator {other}"
                )))
            }
        };
        all &= ok;
    }
    Ok(all)
}

fn list<'a>(spec: &'a Value, op: &str) -> Result<&'a Vec<Value>, HiveError> {
    spec.as_array().ok_or_else(|| {
        HiveError::bad_request(format!("Invalid filter {op}: expected a list, got {spec}"))
    })
}

fn sort(state: &State, mut items: Vec<String>, op: &Value) -> Result<Vec<String>, HiveError> {
    let fields = op
        .get("_fields")
        .or_else(|| op.get("fields"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            HiveError::bad_request(format!("Invalid sort: _fields is missing in {op}"))
        })?;
    let mut keys: Vec<(String, bool)> = Vec::new();
    for f in fields {
        let m: &Map<String, Value> = f
            .as_object()
            .ok_or_else(|| HiveError::bad_request(format!("Invalid sort field {f}")))?;
        for (name, dir) in m {
            let asc = match dir.as_str() {
                Some("asc") => true,
                Some("desc") => false,
                _ => {
                    return Err(HiveError::bad_request(format!(
                        "Invalid sort order {dir} for {name}: asc or desc"
                    )))
                }
            };
            keys.push((name.clone(), asc));
        }
    }
    items.sort_by(|a, b| {
        let (Some(a), Some(b)) = (state.entities.get(a), state.entities.get(b)) else {
            return Ordering::Equal;
        };
        for (name, asc) in &keys {
            let o = match (field(a, name), field(b, name)) {
                (Some(x), Some(y)) => compare(x, y).unwrap_or(Ordering::Equal),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let o = if *asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(items)
}
