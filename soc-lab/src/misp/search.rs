//! `restSearch` for events and attributes: MISP's filter syntax, time specs and paging.

use axum::response::Response;
use http::{HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    all_attributes, as_flag, as_text, misp_error, render_event, s, str_of, tag_names,
    wildcard_match, Misp, State,
};
use crate::util;

/// A filter value split as MISP reads it: OR / AND / NOT lists (`!` marks a negation).
fn complex(v: &Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut or = Vec::new();
    let mut and = Vec::new();
    let mut not = Vec::new();
    let mut push = |x: &Value, target: &str| {
        if let Some(t) = as_text(x) {
            if let Some(neg) = t.strip_prefix('!') {
                not.push(neg.to_owned());
            } else if target == "and" {
                and.push(t);
            } else if target == "not" {
                not.push(t);
            } else {
                or.push(t);
            }
        }
    };
    match v {
        Value::Array(items) => items.iter().for_each(|x| push(x, "or")),
        Value::Object(m) => {
            for (k, vals) in m {
                let target = k.to_lowercase();
                match vals {
                    Value::Array(items) => items.iter().for_each(|x| push(x, &target)),
                    other => push(other, &target),
                }
            }
        }
        other => push(other, "or"),
    }
    (or, and, not)
}

pub(super) fn complex_matches(spec: &Value, candidates: &[String], wildcard: bool) -> bool {
    let (or, and, not) = complex(spec);
    let hit = |p: &String| {
        candidates.iter().any(|c| {
            if wildcard {
                wildcard_match(p, c)
            } else {
                p.eq_ignore_ascii_case(c)
            }
        })
    };
    (or.is_empty() || or.iter().any(hit)) && and.iter().all(hit) && !not.iter().any(hit)
}

pub(super) fn present<'a>(q: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    q.get(k).filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    })
}

/// A point in time from `1700000000`, `"7d"`, `"24h"`, `"2025-11-24"`.
fn parse_time(v: &Value) -> Option<i64> {
    let t = as_text(v)?;
    let t = t.trim();
    if let Ok(n) = t.parse::<f64>() {
        return Some(n as i64);
    }
    let units = [
        ('s', 1),
        ('m', 60),
        ('h', 3600),
        ('d', 86400),
        ('w', 604_800),
    ];
    for (u, secs) in units {
        if let Some(n) = t.strip_suffix(u).and_then(|n| n.parse::<i64>().ok()) {
            return Some(util::now_s() - n * secs);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

fn time_matches(spec: &Value, ts: i64) -> bool {
    match spec {
        Value::Array(items) if items.len() == 2 => {
            let from = parse_time(&items[0]).unwrap_or(i64::MIN);
            let to = parse_time(&items[1]).unwrap_or(i64::MAX);
            ts >= from && ts <= to
        }
        other => parse_time(other).is_none_or(|from| ts >= from),
    }
}

pub(super) fn num_field(m: &Map<String, Value>, k: &str) -> i64 {
    m.get(k)
        .and_then(as_text)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

fn flag_filter(spec: &Value, actual: bool) -> bool {
    match spec {
        Value::Array(items) => items.iter().any(|x| as_flag(x) == Some(actual)),
        other => as_flag(other).is_none_or(|f| f == actual),
    }
}

pub(super) fn event_level_matches(
    st: &State,
    q: &Map<String, Value>,
    ev: &Map<String, Value>,
) -> bool {
    if let Some(v) = present(q, "eventid") {
        let cands = vec![str_of(ev, "id").to_owned(), str_of(ev, "uuid").to_owned()];
        if !complex_matches(v, &cands, false) {
            return false;
        }
    }
    if let Some(v) = present(q, "published") {
        if !flag_filter(v, ev.get("published").and_then(as_flag).unwrap_or(false)) {
            return false;
        }
    }
    if let Some(v) = present(q, "org") {
        let org_id: u64 = str_of(ev, "orgc_id").parse().unwrap_or(0);
        let org = st.orgs.get(&org_id);
        let cands: Vec<String> = vec![
            org_id.to_string(),
            org.map(|o| str_of(o, "name").to_owned())
                .unwrap_or_default(),
            org.map(|o| str_of(o, "uuid").to_owned())
                .unwrap_or_default(),
        ];
        if !complex_matches(v, &cands, false) {
            return false;
        }
    }
    for key in ["threat_level_id", "threatlevel"] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(ev, "threat_level_id").to_owned()], false) {
                return false;
            }
        }
    }
    for key in ["analysis", "distribution"] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(ev, key).to_owned()], false) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "eventinfo") {
        if !complex_matches(v, &[str_of(ev, "info").to_owned()], true) {
            return false;
        }
    }
    if let Some(v) = present(q, "last") {
        let published = num_field(ev, "publish_timestamp");
        if published == 0 || !time_matches(v, published) {
            return false;
        }
    }
    if let Some(v) = present(q, "publish_timestamp") {
        if !time_matches(v, num_field(ev, "publish_timestamp")) {
            return false;
        }
    }
    if let Some(v) = present(q, "event_timestamp") {
        if !time_matches(v, num_field(ev, "timestamp")) {
            return false;
        }
    }
    let date = parse_time(&s(str_of(ev, "date"))).unwrap_or(0);
    for (key, lower) in [
        ("from", true),
        ("datefrom", true),
        ("to", false),
        ("dateuntil", false),
    ] {
        if let Some(v) = present(q, key).and_then(parse_time) {
            if (lower && date < v) || (!lower && date > v) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "date") {
        if !time_matches(v, date) {
            return false;
        }
    }
    true
}

fn attr_values(a: &Value) -> Vec<String> {
    let v = a
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut out = vec![v.clone()];
    if let Some((v1, v2)) = v.split_once('|') {
        out.push(v1.to_owned());
        out.push(v2.to_owned());
    }
    out
}

fn attr_level_matches(
    q: &Map<String, Value>,
    a: &Value,
    ev: &Map<String, Value>,
    scope_attributes: bool,
) -> bool {
    let Some(am) = a.as_object() else {
        return false;
    };
    if let Some(v) = present(q, "value") {
        if !complex_matches(v, &attr_values(a), true) {
            return false;
        }
    }
    for (key, field) in [
        ("type", "type"),
        ("category", "category"),
        ("object_relation", "object_relation"),
    ] {
        if let Some(v) = present(q, key) {
            if !complex_matches(v, &[str_of(am, field).to_owned()], false) {
                return false;
            }
        }
    }
    if let Some(v) = present(q, "to_ids") {
        if !flag_filter(v, am.get("to_ids").and_then(as_flag).unwrap_or(false)) {
            return false;
        }
    }
    if scope_attributes {
        if let Some(v) = present(q, "uuid") {
            let cands = vec![str_of(am, "uuid").to_owned(), str_of(ev, "uuid").to_owned()];
            if !complex_matches(v, &cands, false) {
                return false;
            }
        }
        if let Some(v) = present(q, "tags") {
            let mut names = tag_names(am);
            names.extend(tag_names(ev));
            if !complex_matches(v, &names, true) {
                return false;
            }
        }
        if let Some(v) = present(q, "timestamp") {
            if !time_matches(v, num_field(am, "timestamp")) {
                return false;
            }
        }
        if let Some(v) = present(q, "attribute_timestamp") {
            if !time_matches(v, num_field(am, "timestamp")) {
                return false;
            }
        }
    }
    true
}

const ATTRIBUTE_FILTERS: &[&str] = &["value", "type", "category", "to_ids", "object_relation"];

pub(super) fn page_of<T>(items: Vec<T>, q: &Map<String, Value>) -> Vec<T> {
    let limit = present(q, "limit")
        .and_then(as_text)
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let page = present(q, "page")
        .and_then(as_text)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    match limit {
        Some(l) => items.into_iter().skip((page - 1) * l).take(l).collect(),
        None => items,
    }
}

fn check_format(q: &Map<String, Value>, url: &str) -> Option<Response> {
    let format = present(q, "returnFormat")
        .and_then(as_text)
        .unwrap_or_else(|| "json".into());
    if format == "json" {
        None
    } else {
        // The lab renders JSON only; MISP's other export modules are out of its scope.
        Some(misp_error(
            StatusCode::NOT_FOUND,
            "Invalid output format.",
            url,
        ))
    }
}

impl Misp {
    pub(super) fn events_rest_search(
        &self,
        st: &State,
        q: &Map<String, Value>,
        url: &str,
    ) -> Response {
        if let Some(resp) = check_format(q, url) {
            return resp;
        }
        let attr_filters = ATTRIBUTE_FILTERS.iter().any(|k| present(q, k).is_some());
        let metadata = present(q, "metadata").and_then(as_flag).unwrap_or(false);
        let matched: Vec<Value> = st
            .events
            .values()
            .filter(|ev| event_level_matches(st, q, ev))
            .filter(|ev| {
                present(q, "uuid").is_none_or(|v| {
                    let mut cands = vec![str_of(ev, "uuid").to_owned()];
                    cands.extend(all_attributes(ev).iter().map(|a| {
                        a.get("uuid")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned()
                    }));
                    complex_matches(v, &cands, false)
                })
            })
            .filter(|ev| {
                present(q, "tags").is_none_or(|v| {
                    let mut names = tag_names(ev);
                    for a in all_attributes(ev) {
                        if let Some(am) = a.as_object() {
                            names.extend(tag_names(am));
                        }
                    }
                    complex_matches(v, &names, true)
                })
            })
            .filter(|ev| {
                present(q, "timestamp").is_none_or(|v| time_matches(v, num_field(ev, "timestamp")))
            })
            .filter(|ev| {
                !attr_filters
                    || all_attributes(ev)
                        .iter()
                        .any(|a| attr_level_matches(q, a, ev, false))
            })
            .map(|ev| json!({"Event": render_event(st, ev, metadata)}))
            .collect();
        let page = page_of(matched, q);
        let n = page.len();
        with_count(util::json(StatusCode::OK, json!({"response": page})), n)
    }

    pub(super) fn attributes_rest_search(
        &self,
        st: &State,
        q: &Map<String, Value>,
        url: &str,
    ) -> Response {
        if let Some(resp) = check_format(q, url) {
            return resp;
        }
        let include_event_tags = present(q, "includeEventTags")
            .and_then(as_flag)
            .unwrap_or(false);
        let include_context = present(q, "includeContext")
            .and_then(as_flag)
            .unwrap_or(false);
        let mut matched: Vec<Value> = Vec::new();
        for ev in st
            .events
            .values()
            .filter(|ev| event_level_matches(st, q, ev))
        {
            for a in all_attributes(ev) {
                if !attr_level_matches(q, a, ev, true) {
                    continue;
                }
                let mut am = a.as_object().cloned().unwrap_or_default();
                let event = if include_context {
                    render_event(st, ev, true)
                } else {
                    json!({
                        "org_id": str_of(ev, "org_id"), "distribution": str_of(ev, "distribution"),
                        "id": str_of(ev, "id"), "info": str_of(ev, "info"),
                        "orgc_id": str_of(ev, "orgc_id"), "uuid": str_of(ev, "uuid"),
                        "publish_timestamp": str_of(ev, "publish_timestamp"),
                    })
                };
                am.insert("Event".into(), event);
                if include_event_tags {
                    let mut tags = am
                        .get("Tag")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for t in ev
                        .get("Tag")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                    {
                        if !tags.iter().any(|x| x.get("id") == t.get("id")) {
                            let mut t = t;
                            if let Some(tm) = t.as_object_mut() {
                                tm.insert("inherited".into(), json!(1));
                            }
                            tags.push(t);
                        }
                    }
                    if !tags.is_empty() {
                        am.insert("Tag".into(), Value::Array(tags));
                    }
                }
                matched.push(Value::Object(am));
            }
        }
        let page = page_of(matched, q);
        let n = page.len();
        with_count(
            util::json(StatusCode::OK, json!({"response": {"Attribute": page}})),
            n,
        )
    }
}

pub(super) fn with_count(mut resp: Response, n: usize) -> Response {
    if let Ok(v) = HeaderValue::from_str(&n.to_string()) {
        resp.headers_mut().insert("X-Result-Count", v);
    }
    resp
}
