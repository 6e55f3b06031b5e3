//! The elastic4play query DSL Cortex speaks: filters, ranges and sorts.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value};

use super::{err, str_field, Req};
use crate::util;

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

pub(super) fn query_matches(q: &Value, doc: &Map<String, Value>) -> bool {
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
pub(super) fn search(
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
