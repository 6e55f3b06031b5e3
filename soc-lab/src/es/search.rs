//! Search: sorting, source filtering, point-in-time, scroll and count.

use std::collections::HashMap;

use base64::Engine as _;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::query;
use super::{
    bad_request, err, flag, ok, parse_duration_ms, patterns_of, Answer, Es, Index, Payload, Scroll,
    TOTAL_HITS_CAP,
};
use crate::util;

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Str(String),
}

struct SortSpec {
    field: String,
    desc: bool,
}

fn parse_sort(v: &Value) -> Vec<SortSpec> {
    let mut out = Vec::new();
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::String(s) => {
                for part in s.split(',') {
                    let (f, o) = part.split_once(':').unwrap_or((part, ""));
                    out.push(SortSpec {
                        field: f.to_string(),
                        desc: o == "desc" || (o.is_empty() && f == "_score"),
                    });
                }
            }
            Value::Object(m) => {
                for (f, o) in m {
                    let order = match o {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => o
                            .get("order")
                            .and_then(Value::as_str)
                            .unwrap_or(if f == "_score" { "desc" } else { "asc" })
                            .to_string(),
                        _ => String::new(),
                    };
                    out.push(SortSpec {
                        field: f.clone(),
                        desc: order == "desc",
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Filters `_source` by include and exclude patterns.
pub(super) fn filter_source(src: &Value, includes: &[String], excludes: &[String]) -> Value {
    fn walk(v: &Value, path: &str, inc: &[String], exc: &[String]) -> Option<Value> {
        if !path.is_empty() && exc.iter().any(|p| query::glob(p, path)) {
            return None;
        }
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let whole = inc.is_empty()
                        || inc
                            .iter()
                            .any(|i| query::glob(i, &p) || p.starts_with(&format!("{i}.")));
                    let partial = inc
                        .iter()
                        .any(|i| i.starts_with(&format!("{p}.")) || i.contains('*'));
                    if whole {
                        if let Some(x) = walk(v, &p, &[], exc) {
                            out.insert(k.clone(), x);
                        }
                    } else if partial && v.is_object() {
                        if let Some(x) = walk(v, &p, inc, exc) {
                            if x.as_object().is_some_and(|o| !o.is_empty()) {
                                out.insert(k.clone(), x);
                            }
                        }
                    }
                }
                Some(Value::Object(out))
            }
            other => Some(other.clone()),
        }
    }
    walk(src, "", includes, excludes).unwrap_or_else(|| json!({}))
}

pub(super) fn source_filter(
    body: &Value,
    params: &HashMap<String, String>,
) -> Option<(Vec<String>, Vec<String>)> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut inc = Vec::new();
    let mut exc = Vec::new();
    match params.get("_source").map(String::as_str) {
        Some("false") => return None,
        Some("true") | None => {}
        Some(list) => inc = split(list),
    }
    if let Some(s) = params.get("_source_includes") {
        inc = split(s);
    }
    if let Some(s) = params.get("_source_excludes") {
        exc = split(s);
    }
    match body.get("_source") {
        Some(Value::Bool(false)) => return None,
        Some(Value::String(s)) => inc = vec![s.clone()],
        Some(Value::Array(a)) => {
            inc = a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
        Some(Value::Object(m)) => {
            inc = patterns_of(m.get("includes").or_else(|| m.get("include")));
            exc = patterns_of(m.get("excludes").or_else(|| m.get("exclude")));
        }
        _ => {}
    }
    Some((inc, exc))
}

struct Found {
    hit: Value,
    keys: Vec<Option<Key>>,
}

impl Es {
    /// Runs a search and returns every hit in order, with the shard count.
    fn run_search(
        &self,
        expr: &str,
        body: &Value,
        params: &HashMap<String, String>,
    ) -> Result<(Vec<Found>, u64, bool), Answer> {
        let q = match (params.get("q"), body.get("query")) {
            (Some(q), _) => query::compile(&json!({"query_string": {"query": q, "default_operator": params.get("default_operator").cloned().unwrap_or("OR".into())}})),
            (None, Some(q)) => query::compile(q),
            (None, None) => Ok(query::Query::All),
        }
        .map_err(|e| bad_request(e.kind, e.reason))?;
        let st = util::lock(&self.state);
        let ignore_unavailable = flag(params, "ignore_unavailable");
        let names = self.resolve(&st, expr, !ignore_unavailable)?;
        let sort = match params.get("sort") {
            Some(s) => parse_sort(&Value::String(s.clone())),
            None => parse_sort(body.get("sort").unwrap_or(&Value::Null)),
        };
        let score_only = sort.len() == 1 && sort[0].field == "_score";
        let sorted = !sort.is_empty() && !score_only;
        let filter = source_filter(body, params);
        let mut found: Vec<(usize, u64, Found)> = Vec::new();
        let mut shards = 0;
        for (pos, name) in names.iter().enumerate() {
            let Some(idx) = st.indices.get(name) else {
                continue;
            };
            shards += idx.shards();
            for spec in &sort {
                if spec.field.starts_with('_') {
                    continue;
                }
                let (_, ty) = query::resolve(&idx.mappings, &spec.field);
                if ty == "text" {
                    return Err(bad_request(
                        "illegal_argument_exception",
                        format!("Fielddata is disabled on [{}] in [{name}]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", spec.field, spec.field),
                    ));
                }
            }
            for (id, d) in &idx.docs {
                let view = query::DocView {
                    id,
                    source: &d.source,
                    mappings: &idx.mappings,
                };
                if !query::matches(&q, &view) {
                    continue;
                }
                let keys: Vec<Option<Key>> = sort
                    .iter()
                    .map(|spec| match spec.field.as_str() {
                        "_score" => Some(Key::Num(1.0)),
                        "_doc" => Some(Key::Num(d.seq_no as f64)),
                        // Unique across the searched indices: the index, then its sequence.
                        "_shard_doc" => Some(Key::Num(((pos as u64) << 32 | d.seq_no) as f64)),
                        "_id" => Some(Key::Str(id.clone())),
                        f => {
                            let (path, ty) = query::resolve(&idx.mappings, f);
                            let mut vals = Vec::new();
                            query::values_at(&d.source, &path, &mut vals);
                            let mut ks: Vec<Key> = vals
                                .into_iter()
                                .filter_map(|v| match (v, ty.as_str()) {
                                    (Value::String(s), "date") => {
                                        query::parse_date(s).map(|x| Key::Num(x as f64))
                                    }
                                    (Value::Number(n), _) => n.as_f64().map(Key::Num),
                                    (Value::Bool(b), _) => Some(Key::Num(f64::from(u8::from(*b)))),
                                    (Value::String(s), _) => Some(Key::Str(s.clone())),
                                    _ => None,
                                })
                                .collect();
                            ks.sort_by(|a, b| {
                                a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)
                            });
                            if spec.desc {
                                ks.pop()
                            } else {
                                ks.into_iter().next()
                            }
                        }
                    })
                    .collect();
                let mut hit = json!({"_index": name, "_id": id, "_score": if sorted { Value::Null } else { json!(1.0) }});
                if let Some((inc, exc)) = &filter {
                    hit["_source"] = if inc.is_empty() && exc.is_empty() {
                        d.source.clone()
                    } else {
                        filter_source(&d.source, inc, exc)
                    };
                }
                if sorted {
                    hit["sort"] = Value::Array(
                        keys.iter()
                            .map(|k| match k {
                                Some(Key::Num(n)) if n.fract() == 0.0 => json!(*n as i64),
                                Some(Key::Num(n)) => json!(n),
                                Some(Key::Str(s)) => json!(s),
                                None => Value::Null,
                            })
                            .collect(),
                    );
                }
                found.push((pos, d.seq_no, Found { hit, keys }));
            }
        }
        if sorted {
            found.sort_by(|a, b| {
                for (i, spec) in sort.iter().enumerate() {
                    let (x, y) = (&a.2.keys[i], &b.2.keys[i]);
                    let o = match (x, y) {
                        (Some(x), Some(y)) => {
                            let o = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
                            if spec.desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                        // Documents missing the field sort last either way.
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                (a.0, a.1).cmp(&(b.0, b.1))
            });
        } else {
            found.sort_by_key(|f| (f.0, f.1));
        }
        let mut hits: Vec<Found> = found.into_iter().map(|f| f.2).collect();
        if let Some(Value::Array(after)) = body.get("search_after") {
            if !sorted {
                return Err(bad_request(
                    "illegal_argument_exception",
                    "Sort must contain at least one field.",
                ));
            }
            let after: Vec<Option<Key>> = after
                .iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_f64().map(Key::Num),
                    Value::String(s) => Some(Key::Str(s.clone())),
                    _ => None,
                })
                .collect();
            hits.retain(|h| {
                for (i, spec) in sort.iter().enumerate() {
                    let (Some(Some(x)), Some(Some(y))) = (h.keys.get(i), after.get(i)) else {
                        continue;
                    };
                    let mut o = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
                    if spec.desc {
                        o = o.reverse();
                    }
                    if o != std::cmp::Ordering::Equal {
                        return o == std::cmp::Ordering::Greater;
                    }
                }
                false
            });
        }
        Ok((hits, shards, sorted))
    }

    pub(super) fn search(
        &self,
        expr: &str,
        body: &Value,
        params: &HashMap<String, String>,
    ) -> Answer {
        let started = std::time::Instant::now();
        let num = |key: &str, default: usize| -> Result<usize, Answer> {
            match params.get(key).cloned().or_else(|| {
                body.get(key).map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }) {
                None => Ok(default),
                Some(s) => s.parse().map_err(|_| {
                    bad_request(
                        "illegal_argument_exception",
                        format!("[{key}] must be a non-negative number, got [{s}]"),
                    )
                }),
            }
        };
        let size = match num("size", 10) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let from = match num("from", 0) {
            Ok(n) => n,
            Err(e) => return e,
        };
        if from + size > 10_000 && !params.contains_key("scroll") {
            return bad_request(
                "illegal_argument_exception",
                format!("Result window is too large, from + size must be less than or equal to: [10000] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", from + size),
            );
        }
        let (hits, shards, sorted) = match self.run_search(expr, body, params) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let total = hits.len();
        let track = params
            .get("track_total_hits")
            .map(|s| Value::String(s.clone()))
            .or_else(|| body.get("track_total_hits").cloned());
        let cap = match &track {
            Some(Value::Bool(true)) => Some(usize::MAX),
            Some(Value::String(s)) if s == "true" => Some(usize::MAX),
            Some(Value::Bool(false)) => None,
            Some(Value::String(s)) if s == "false" => None,
            Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(0) as usize),
            Some(Value::String(s)) => s.parse().ok().or(Some(TOTAL_HITS_CAP)),
            _ => Some(TOTAL_HITS_CAP),
        };
        let mut page: Vec<Value> = hits.into_iter().map(|f| f.hit).collect();
        let mut scroll_id = None;
        if params.contains_key("scroll") {
            let rest = page.split_off(size.min(page.len()));
            let id = base64::engine::general_purpose::STANDARD
                .encode(format!("lab-scroll-{}", util::random_alnum(24)));
            util::lock(&self.scrolls).insert(
                id.clone(),
                Scroll {
                    hits: rest,
                    total,
                    size: size.max(1),
                },
            );
            scroll_id = Some(id);
        } else {
            page = page.into_iter().skip(from).take(size).collect();
        }
        let mut hits_obj = json!({
            "max_score": if sorted || page.is_empty() { Value::Null } else { json!(1.0) },
            "hits": page
        });
        if let Some(cap) = cap {
            hits_obj["total"] = if total > cap {
                json!({"value": cap, "relation": "gte"})
            } else {
                json!({"value": total, "relation": "eq"})
            };
        }
        let mut out = json!({
            "took": started.elapsed().as_millis() as u64,
            "timed_out": false,
            "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0},
            "hits": hits_obj
        });
        if let Some(id) = scroll_id {
            out["_scroll_id"] = json!(id);
        }
        ok(out)
    }

    /// `POST /<index>/_pit?keep_alive=`: a point in time over the indices `expr` names now.
    pub(super) fn open_pit(&self, expr: &str, params: &HashMap<String, String>) -> Answer {
        let Some(keep_alive) = params.get("keep_alive") else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: [keep_alive] is not specified;",
            );
        };
        if parse_duration_ms(keep_alive).is_none() {
            return bad_request(
                "illegal_argument_exception",
                format!("failed to parse setting [keep_alive] with value [{keep_alive}] as a time value: unit is missing or unrecognized"),
            );
        }
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, !flag(params, "ignore_unavailable")) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let shards: u64 = names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .map(Index::shards)
            .sum();
        drop(st);
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("lab-pit-{}", util::random_alnum(32)));
        util::lock(&self.pits).insert(id.clone(), names);
        ok(json!({
            "id": id,
            "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0},
            "creation_time": util::now_ms()
        }))
    }

    /// `POST /_search` with `pit`: searches the point in time's indices, with the implicit
    /// `_shard_doc` tiebreaker a point in time adds, and answers its `pit_id`.
    pub(super) fn pit_search(&self, body: &Value, params: &HashMap<String, String>) -> Answer {
        let Some(id) = body
            .get("pit")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return bad_request(
                "x_content_parse_exception",
                "[1:9] [pit] failed to parse field [id]",
            );
        };
        if params.contains_key("scroll") {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: using [point in time] is not allowed in a scroll context;",
            );
        }
        let Some(names) = util::lock(&self.pits).get(&id).cloned() else {
            return err(
                StatusCode::NOT_FOUND,
                "search_context_missing_exception",
                "No search context found for id [1]",
                Value::Null,
            );
        };
        let mut body = body.clone();
        let mut sort: Vec<Value> = match body.get("sort") {
            Some(Value::Array(a)) => a.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => vec![other.clone()],
        };
        if !parse_sort(&Value::Array(sort.clone()))
            .iter()
            .any(|s| s.field == "_shard_doc")
        {
            sort.push(json!({"_shard_doc": "asc"}));
        }
        if let Value::Object(m) = &mut body {
            m.remove("pit");
            m.insert("sort".into(), Value::Array(sort));
        }
        let mut params = params.clone();
        params.insert("ignore_unavailable".into(), "true".into());
        let expr = if names.is_empty() {
            // No index: a search of nothing, which `resolve` reads as `_all` otherwise.
            "-*".to_string()
        } else {
            names.join(",")
        };
        let (status, payload) = self.search(&expr, &body, &params);
        match payload {
            Payload::Json(mut v) if status.is_success() => {
                v["pit_id"] = json!(id);
                (status, Payload::Json(v))
            }
            other => (status, other),
        }
    }

    /// `DELETE /_pit` with `{"id"}`.
    pub(super) fn close_pit(&self, body: &Value) -> Answer {
        let Some(id) = body.get("id").and_then(Value::as_str) else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: point in time id is missing;",
            );
        };
        if util::lock(&self.pits).remove(id).is_some() {
            ok(json!({"succeeded": true, "num_freed": 1}))
        } else {
            (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"succeeded": true, "num_freed": 0})),
            )
        }
    }

    pub(super) fn scroll_next(
        &self,
        body: &Value,
        params: &HashMap<String, String>,
        path_id: Option<&str>,
    ) -> Answer {
        let id = path_id
            .map(str::to_string)
            .or_else(|| params.get("scroll_id").cloned())
            .or_else(|| {
                body.get("scroll_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let Some(id) = id else {
            return bad_request(
                "action_request_validation_exception",
                "Validation Failed: 1: scrollId is missing;",
            );
        };
        let mut scrolls = util::lock(&self.scrolls);
        let Some(sc) = scrolls.get_mut(&id) else {
            return err(
                StatusCode::NOT_FOUND,
                "search_context_missing_exception",
                "No search context found for id [1]",
                Value::Null,
            );
        };
        // Every page has the size of the search that opened the scroll.
        let size = sc.size.min(sc.hits.len());
        let page: Vec<Value> = sc.hits.drain(..size).collect();
        let total = sc.total;
        ok(json!({
            "_scroll_id": id, "took": 1, "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": Value::Null, "hits": page}
        }))
    }

    pub(super) fn scroll_clear(&self, body: &Value, path_id: Option<&str>) -> Answer {
        let ids: Vec<String> = match (path_id, body.get("scroll_id")) {
            (Some(p), _) => p.split(',').map(str::to_string).collect(),
            (None, Some(Value::String(s))) => vec![s.clone()],
            (None, Some(Value::Array(a))) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let mut scrolls = util::lock(&self.scrolls);
        let mut freed = 0;
        if ids.iter().any(|i| i == "_all") {
            freed = scrolls.len();
            scrolls.clear();
        } else {
            for id in &ids {
                if scrolls.remove(id).is_some() {
                    freed += 1;
                }
            }
        }
        if freed == 0 && !ids.is_empty() {
            return (
                StatusCode::NOT_FOUND,
                Payload::Json(json!({"succeeded": true, "num_freed": 0})),
            );
        }
        ok(json!({"succeeded": true, "num_freed": freed}))
    }

    pub(super) fn count(
        &self,
        expr: &str,
        body: &Value,
        params: &HashMap<String, String>,
    ) -> Answer {
        let mut body = body.clone();
        if let Value::Object(m) = &mut body {
            m.remove("sort");
        }
        match self.run_search(expr, &body, params) {
            Ok((hits, shards, _)) => ok(json!({
                "count": hits.len(),
                "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}
            })),
            Err(e) => e,
        }
    }
}
