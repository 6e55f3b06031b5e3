//! The query DSL on a linear scan: compiling a query body and matching documents against it.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Utc};
use serde_json::Value;

/// A query error in Elasticsearch's terms: the exception type and its reason.
#[derive(Debug, Clone)]
pub(crate) struct QueryError {
    pub(crate) kind: &'static str,
    pub(crate) reason: String,
}

fn parsing(reason: impl Into<String>) -> QueryError {
    QueryError {
        kind: "parsing_exception",
        reason: reason.into(),
    }
}

/// A bound of a range query, read every way the field may need it.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    num: Option<f64>,
    date: Option<i64>,
    text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Query {
    All,
    Nothing,
    Term {
        field: String,
        value: Value,
        ci: bool,
    },
    Terms {
        field: String,
        values: Vec<Value>,
    },
    Match {
        field: String,
        text: String,
        all: bool,
        msm: usize,
    },
    Phrase {
        field: String,
        text: String,
    },
    Range {
        field: String,
        gt: Option<Bound>,
        gte: Option<Bound>,
        lt: Option<Bound>,
        lte: Option<Bound>,
    },
    Bool {
        must: Vec<Query>,
        must_not: Vec<Query>,
        should: Vec<Query>,
        msm: usize,
    },
    Exists(String),
    Ids(HashSet<String>),
    Prefix {
        field: String,
        value: String,
        ci: bool,
    },
    Wildcard {
        field: String,
        pattern: String,
        ci: bool,
    },
}

/// One document as a query sees it.
pub(crate) struct DocView<'a> {
    pub(crate) id: &'a str,
    pub(crate) source: &'a Value,
    pub(crate) mappings: &'a Value,
}

fn single_field(name: &str, v: &Value) -> Result<(String, Value), QueryError> {
    match v.as_object() {
        Some(m) if m.len() == 1 => match m.iter().next() {
            Some((k, v)) => Ok((k.clone(), v.clone())),
            None => Err(parsing(format!("[{name}] query malformed, no field"))),
        },
        Some(m) if m.is_empty() => Err(parsing(format!(
            "[{name}] query malformed, no start_object after query name"
        ))),
        _ => Err(parsing(format!(
            "[{name}] query doesn't support multiple fields, found [{}]",
            v.as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>().join("] and ["))
                .unwrap_or_default()
        ))),
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn parse_msm(v: Option<&Value>, clauses: usize) -> Option<usize> {
    let v = v?;
    let s = as_text(v);
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        let p: f64 = p.parse().ok()?;
        let n = (clauses as f64 * p.abs() / 100.0).floor() as usize;
        return Some(if p < 0.0 {
            clauses.saturating_sub(n)
        } else {
            n
        });
    }
    let n: i64 = s.parse().ok()?;
    Some(if n < 0 {
        clauses.saturating_sub(n.unsigned_abs() as usize)
    } else {
        n as usize
    })
}

fn clauses(v: Option<&Value>) -> Result<Vec<Query>, QueryError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(compile).collect(),
        Some(q) => Ok(vec![compile(q)?]),
    }
}

/// Compiles a query object (`{"match_all": {}}`, `{"bool": {...}}`, ...).
pub(crate) fn compile(q: &Value) -> Result<Query, QueryError> {
    let obj = q
        .as_object()
        .ok_or_else(|| parsing("[_na] query malformed, must start with start_object"))?;
    let (name, body) = match obj.iter().next() {
        Some(pair) if obj.len() == 1 => pair,
        Some(_) => {
            return Err(parsing(format!(
                "[{}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]",
                obj.keys().next().cloned().unwrap_or_default()
            )))
        }
        None => return Ok(Query::All),
    };
    match name.as_str() {
        "match_all" => Ok(Query::All),
        "match_none" => Ok(Query::Nothing),
        "term" => {
            let (field, v) = single_field(name, body)?;
            let (value, ci) = match &v {
                Value::Object(m) => (
                    m.get("value")
                        .cloned()
                        .ok_or_else(|| parsing("[term] query does not support [value] missing"))?,
                    m.get("case_insensitive")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                ),
                other => (other.clone(), false),
            };
            Ok(Query::Term { field, value, ci })
        }
        "terms" => {
            let m = body
                .as_object()
                .ok_or_else(|| parsing("[terms] query malformed"))?;
            let mut found = None;
            for (k, v) in m {
                if k == "boost" {
                    continue;
                }
                match v {
                    Value::Array(a) => found = Some((k.clone(), a.clone())),
                    _ => return Err(parsing(format!("[terms] query does not support [{k}]"))),
                }
            }
            let (field, values) =
                found.ok_or_else(|| parsing("[terms] query requires a field with values"))?;
            Ok(Query::Terms { field, values })
        }
        "match" | "match_phrase" => {
            let (field, v) = single_field(name, body)?;
            let (text, all, msm) = match &v {
                Value::Object(m) => {
                    let text = m
                        .get("query")
                        .map(as_text)
                        .ok_or_else(|| parsing(format!("[{name}] requires query value")))?;
                    let all = m
                        .get("operator")
                        .and_then(Value::as_str)
                        .is_some_and(|o| o.eq_ignore_ascii_case("and"));
                    let n = analyze(&text).len();
                    (text, all, parse_msm(m.get("minimum_should_match"), n))
                }
                other => (as_text(other), false, None),
            };
            if name == "match_phrase" {
                Ok(Query::Phrase { field, text })
            } else {
                Ok(Query::Match {
                    field,
                    text,
                    all,
                    msm: msm.unwrap_or(1),
                })
            }
        }
        "multi_match" => {
            let text = body.get("query").map(as_text).unwrap_or_default();
            let fields: Vec<String> = match body.get("fields") {
                Some(Value::Array(a)) => a.iter().map(as_text).collect(),
                _ => vec!["*".into()],
            };
            let all = body
                .get("operator")
                .and_then(Value::as_str)
                .is_some_and(|o| o.eq_ignore_ascii_case("and"));
            Ok(Query::Bool {
                must: Vec::new(),
                must_not: Vec::new(),
                should: fields
                    .into_iter()
                    .map(|f| Query::Match {
                        field: f.split('^').next().unwrap_or_default().to_string(),
                        text: text.clone(),
                        all,
                        msm: 1,
                    })
                    .collect(),
                msm: 1,
            })
        }
        "range" => {
            let (field, v) = single_field(name, body)?;
            let m = v
                .as_object()
                .ok_or_else(|| parsing("[range] query malformed, no start_object after field"))?;
            let now = crate::util::now_ms();
            let bound = |key: &str, round_up: bool| -> Result<Option<Bound>, QueryError> {
                match m.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(b) => Ok(Some(make_bound(b, now, round_up))),
                }
            };
            let mut gt = bound("gt", true)?;
            let mut gte = bound("gte", false)?;
            let mut lt = bound("lt", false)?;
            let mut lte = bound("lte", true)?;
            if let Some(b) = m.get("from").filter(|b| !b.is_null()) {
                let inc = m
                    .get("include_lower")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                if inc {
                    gte = Some(make_bound(b, now, false));
                } else {
                    gt = Some(make_bound(b, now, true));
                }
            }
            if let Some(b) = m.get("to").filter(|b| !b.is_null()) {
                let inc = m
                    .get("include_upper")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                if inc {
                    lte = Some(make_bound(b, now, true));
                } else {
                    lt = Some(make_bound(b, now, false));
                }
            }
            Ok(Query::Range {
                field,
                gt,
                gte,
                lt,
                lte,
            })
        }
        "bool" => {
            let m = body
                .as_object()
                .ok_or_else(|| parsing("[bool] query malformed"))?;
            for k in m.keys() {
                if !matches!(
                    k.as_str(),
                    "must"
                        | "filter"
                        | "should"
                        | "must_not"
                        | "minimum_should_match"
                        | "boost"
                        | "_name"
                        | "adjust_pure_negative"
                ) {
                    return Err(parsing(format!("[bool] query does not support [{k}]")));
                }
            }
            let mut must = clauses(m.get("must"))?;
            must.extend(clauses(m.get("filter"))?);
            let should = clauses(m.get("should"))?;
            let must_not = clauses(m.get("must_not"))?;
            let default = usize::from(must.is_empty() && !should.is_empty());
            let msm = parse_msm(m.get("minimum_should_match"), should.len()).unwrap_or(default);
            Ok(Query::Bool {
                must,
                must_not,
                should,
                msm,
            })
        }
        "constant_score" => compile(body.get("filter").unwrap_or(&Value::Null)),
        "exists" => {
            let field = body
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| parsing("[exists] must be provided with a [field]"))?;
            Ok(Query::Exists(field.to_string()))
        }
        "ids" => {
            let values = body
                .get("values")
                .and_then(Value::as_array)
                .ok_or_else(|| parsing("[ids] query malformed, no values"))?;
            Ok(Query::Ids(values.iter().map(as_text).collect()))
        }
        "prefix" | "wildcard" => {
            let (field, v) = single_field(name, body)?;
            let (value, ci) = match &v {
                Value::Object(m) => (
                    m.get("value")
                        .or_else(|| m.get("wildcard"))
                        .map(as_text)
                        .unwrap_or_default(),
                    m.get("case_insensitive")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                ),
                other => (as_text(other), false),
            };
            if name == "prefix" {
                Ok(Query::Prefix { field, value, ci })
            } else {
                Ok(Query::Wildcard {
                    field,
                    pattern: value,
                    ci,
                })
            }
        }
        "query_string" | "simple_query_string" => {
            let text = body
                .get("query")
                .map(as_text)
                .ok_or_else(|| parsing(format!("[{name}] must be provided with a [query]")))?;
            let default_field = body
                .get("default_field")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    body.get("fields")
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .map(as_text)
                })
                .unwrap_or_else(|| "*".into());
            let and = body
                .get("default_operator")
                .and_then(Value::as_str)
                .is_some_and(|o| o.eq_ignore_ascii_case("and"));
            query_string(&text, &default_field, and)
        }
        other => Err(parsing(format!("unknown query [{other}]"))),
    }
}

fn make_bound(b: &Value, now: i64, round_up: bool) -> Bound {
    let text = as_text(b);
    let num = match b {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let date = match b {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => date_math(s, now, round_up),
        _ => None,
    };
    Bound { num, date, text }
}

/// Parses a date the ways the default `strict_date_optional_time||epoch_millis` format reads it.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
    }
    if s.len() == 4 {
        if let Ok(y) = s.parse::<i32>() {
            return NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp_millis());
        }
    }
    s.parse::<i64>().ok()
}

/// Whether a string looks like a date to dynamic mapping's date detection.
pub(crate) fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && parse_date(s).is_some()
}

/// Evaluates date math (`now-1d/d`, `2024-01-01||+1M/M`) to epoch milliseconds.
pub(crate) fn date_math(s: &str, now: i64, round_up: bool) -> Option<i64> {
    let (anchor, mut rest) = if let Some(r) = s.strip_prefix("now") {
        (now, r)
    } else if let Some((d, r)) = s.split_once("||") {
        (parse_date(d)?, r)
    } else {
        return parse_date(s);
    };
    let mut t = Utc.timestamp_millis_opt(anchor).single()?;
    while !rest.is_empty() {
        let op = rest.chars().next()?;
        rest = &rest[1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest = &rest[digits.len()..];
        let unit = rest.chars().next()?;
        rest = &rest[unit.len_utf8()..];
        match op {
            '+' | '-' => {
                let n: i64 = if digits.is_empty() {
                    1
                } else {
                    digits.parse().ok()?
                };
                let n = if op == '-' { -n } else { n };
                t = match unit {
                    'y' => add_months(t, n * 12)?,
                    'M' => add_months(t, n)?,
                    'w' => t + chrono::Duration::weeks(n),
                    'd' => t + chrono::Duration::days(n),
                    'h' | 'H' => t + chrono::Duration::hours(n),
                    'm' => t + chrono::Duration::minutes(n),
                    's' => t + chrono::Duration::seconds(n),
                    _ => return None,
                };
            }
            '/' => {
                let start = match unit {
                    'y' => Utc.with_ymd_and_hms(t.year(), 1, 1, 0, 0, 0).single()?,
                    'M' => Utc
                        .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
                        .single()?,
                    'w' => {
                        let d = t.date_naive()
                            - chrono::Duration::days(i64::from(t.weekday().num_days_from_monday()));
                        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
                    }
                    'd' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(0, 0, 0)?),
                    'h' | 'H' => {
                        Utc.from_utc_datetime(&t.date_naive().and_hms_opt(t.hour(), 0, 0)?)
                    }
                    'm' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(
                        t.hour(),
                        t.minute(),
                        0,
                    )?),
                    's' => Utc.from_utc_datetime(&t.date_naive().and_hms_opt(
                        t.hour(),
                        t.minute(),
                        t.second(),
                    )?),
                    _ => return None,
                };
                t = if round_up {
                    let next = match unit {
                        'y' => add_months(start, 12)?,
                        'M' => add_months(start, 1)?,
                        'w' => start + chrono::Duration::weeks(1),
                        'd' => start + chrono::Duration::days(1),
                        'h' | 'H' => start + chrono::Duration::hours(1),
                        'm' => start + chrono::Duration::minutes(1),
                        _ => start + chrono::Duration::seconds(1),
                    };
                    next - chrono::Duration::milliseconds(1)
                } else {
                    start
                };
            }
            _ => return None,
        }
    }
    Some(t.timestamp_millis())
}

fn add_months(t: chrono::DateTime<Utc>, n: i64) -> Option<chrono::DateTime<Utc>> {
    if n >= 0 {
        t.checked_add_months(chrono::Months::new(u32::try_from(n).ok()?))
    } else {
        t.checked_sub_months(chrono::Months::new(u32::try_from(-n).ok()?))
    }
}

/// The standard analyzer, roughly: lowercase tokens split on anything but letters, digits,
/// underscores and inner dots or apostrophes.
pub(crate) fn analyze(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '\''))
        .map(|t| t.trim_matches(|c| c == '.' || c == '\''))
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `*` and `?` glob matching.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    crate::util::wildcard(pattern, text, '*', Some('?'))
}

/// The mapped type of `field` and where its values live in `_source`.
pub(crate) fn resolve(mappings: &Value, field: &str) -> (String, String) {
    let mut node = mappings;
    let parts: Vec<&str> = field.split('.').collect();
    let mut i = 0;
    while i < parts.len() {
        let props = node.get("properties");
        if let Some(next) = props.and_then(|p| p.get(parts[i])) {
            node = next;
            i += 1;
            continue;
        }
        // A multi-field such as `name.keyword`.
        if i + 1 == parts.len() {
            if let Some(sub) = node.get("fields").and_then(|f| f.get(parts[i])) {
                let ty = sub.get("type").and_then(Value::as_str).unwrap_or("keyword");
                return (parts[..i].join("."), ty.to_string());
            }
        }
        if i + 1 == parts.len() && parts[i] == "keyword" {
            return (parts[..i].join("."), "keyword".into());
        }
        return (field.to_string(), String::new());
    }
    let ty =
        node.get("type")
            .and_then(Value::as_str)
            .unwrap_or(if node.get("properties").is_some() {
                "object"
            } else {
                ""
            });
    (field.to_string(), ty.to_string())
}

/// Every value at a dotted path of a document (arrays flattened).
pub(crate) fn values_at<'a>(source: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    match source {
        Value::Array(a) => a.iter().for_each(|v| values_at(v, path, out)),
        Value::Object(m) => {
            if let Some(v) = m.get(path) {
                push_leaf(v, out);
            }
            for (i, _) in path.match_indices('.') {
                if let Some(v) = m.get(&path[..i]) {
                    values_at(v, &path[i + 1..], out);
                }
            }
        }
        _ => {}
    }
}

fn push_leaf<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| push_leaf(x, out)),
        Value::Null => {}
        other => out.push(other),
    }
}

fn all_leaves<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => m.values().for_each(|x| all_leaves(x, out)),
        Value::Array(a) => a.iter().for_each(|x| all_leaves(x, out)),
        Value::Null => {}
        other => out.push(other),
    }
}

fn field_values<'a>(d: &DocView<'a>, field: &str) -> (Vec<&'a Value>, String) {
    let mut out = Vec::new();
    if field == "*" || field.contains('*') {
        all_leaves(d.source, &mut out);
        return (out, String::new());
    }
    let (path, ty) = resolve(d.mappings, field);
    values_at(d.source, &path, &mut out);
    (out, ty)
}

fn is_numeric(ty: &str) -> bool {
    matches!(
        ty,
        "long"
            | "integer"
            | "short"
            | "byte"
            | "double"
            | "float"
            | "half_float"
            | "scaled_float"
            | "unsigned_long"
    )
}

fn is_texty(ty: &str, v: &Value) -> bool {
    ty == "text" || ty == "match_only_text" || (ty.is_empty() && v.is_string())
}

fn num_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn date_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_date(s),
        _ => None,
    }
}

fn term_matches(ty: &str, v: &Value, want: &Value, ci: bool) -> bool {
    if is_numeric(ty) || (ty.is_empty() && v.is_number()) {
        return matches!((num_of(v), num_of(want)), (Some(a), Some(b)) if a == b);
    }
    if ty == "date" {
        return matches!((date_of(v), date_of(want)), (Some(a), Some(b)) if a == b);
    }
    let want = as_text(want);
    if is_texty(ty, v) {
        let want = if ci { want.to_lowercase() } else { want };
        return analyze(&as_text(v)).contains(&want);
    }
    let have = as_text(v);
    if ci {
        have.eq_ignore_ascii_case(&want)
    } else {
        have == want
    }
}

fn cmp_bound(ty: &str, v: &Value, b: &Bound) -> Option<std::cmp::Ordering> {
    if ty == "date" || (ty.is_empty() && v.as_str().is_some_and(looks_like_date)) {
        return Some(date_of(v)?.cmp(&b.date?));
    }
    if is_numeric(ty) || v.is_number() {
        return num_of(v)?.partial_cmp(&b.num?);
    }
    Some(as_text(v).as_str().cmp(b.text.as_str()))
}

/// Whether a document matches a compiled query.
pub(crate) fn matches(q: &Query, d: &DocView<'_>) -> bool {
    use std::cmp::Ordering::*;
    match q {
        Query::All => true,
        Query::Nothing => false,
        Query::Term { field, value, ci } => {
            let (vals, ty) = field_values(d, field);
            vals.iter().any(|v| term_matches(&ty, v, value, *ci))
        }
        Query::Terms { field, values } => {
            let (vals, ty) = field_values(d, field);
            vals.iter()
                .any(|v| values.iter().any(|w| term_matches(&ty, v, w, false)))
        }
        Query::Match {
            field,
            text,
            all,
            msm,
        } => {
            let (vals, ty) = field_values(d, field);
            let wanted = analyze(text);
            if wanted.is_empty() {
                return false;
            }
            let mut tokens: HashSet<String> = HashSet::new();
            let mut exact = false;
            for v in &vals {
                if is_texty(&ty, v) {
                    tokens.extend(analyze(&as_text(v)));
                } else if term_matches(&ty, v, &Value::String(text.clone()), false) {
                    exact = true;
                }
            }
            if exact {
                return true;
            }
            let hits = wanted.iter().filter(|w| tokens.contains(*w)).count();
            if *all {
                hits == wanted.len()
            } else {
                hits >= (*msm).max(1)
            }
        }
        Query::Phrase { field, text } => {
            let (vals, ty) = field_values(d, field);
            let wanted = analyze(text);
            vals.iter().any(|v| {
                if is_texty(&ty, v) {
                    let toks = analyze(&as_text(v));
                    !wanted.is_empty() && toks.windows(wanted.len()).any(|w| w == wanted.as_slice())
                } else {
                    term_matches(&ty, v, &Value::String(text.clone()), false)
                }
            })
        }
        Query::Range {
            field,
            gt,
            gte,
            lt,
            lte,
        } => {
            let (vals, ty) = field_values(d, field);
            vals.iter().any(|v| {
                let ok = |b: &Option<Bound>, good: &[std::cmp::Ordering]| match b {
                    None => true,
                    Some(b) => cmp_bound(&ty, v, b).is_some_and(|o| good.contains(&o)),
                };
                ok(gt, &[Greater])
                    && ok(gte, &[Greater, Equal])
                    && ok(lt, &[Less])
                    && ok(lte, &[Less, Equal])
            })
        }
        Query::Bool {
            must,
            must_not,
            should,
            msm,
        } => {
            must.iter().all(|q| matches(q, d))
                && !must_not.iter().any(|q| matches(q, d))
                && (*msm == 0 || should.iter().filter(|q| matches(q, d)).count() >= *msm)
        }
        Query::Exists(field) => !field_values(d, field).0.is_empty(),
        Query::Ids(ids) => ids.contains(d.id),
        Query::Prefix { field, value, ci } => {
            let (vals, ty) = field_values(d, field);
            vals.iter().any(|v| {
                if is_texty(&ty, v) {
                    let p = value.to_lowercase();
                    analyze(&as_text(v)).iter().any(|t| t.starts_with(&p))
                } else if *ci {
                    as_text(v).to_lowercase().starts_with(&value.to_lowercase())
                } else {
                    as_text(v).starts_with(value.as_str())
                }
            })
        }
        Query::Wildcard { field, pattern, ci } => {
            let (vals, ty) = field_values(d, field);
            vals.iter().any(|v| {
                if is_texty(&ty, v) {
                    let p = pattern.to_lowercase();
                    analyze(&as_text(v)).iter().any(|t| glob(&p, t))
                } else if *ci {
                    glob(&pattern.to_lowercase(), &as_text(v).to_lowercase())
                } else {
                    glob(pattern, &as_text(v))
                }
            })
        }
    }
}

// ---- query_string ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    Open,
    Close,
    And,
    Or,
    Not,
    Plus,
    Minus,
}

fn lex(s: &str) -> Result<Vec<Tok>, QueryError> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                it.next();
            }
            '(' => {
                it.next();
                out.push(Tok::Open);
            }
            ')' => {
                it.next();
                out.push(Tok::Close);
            }
            '"' => {
                it.next();
                let mut p = String::new();
                let mut closed = false;
                while let Some(c) = it.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => p.extend(it.next()),
                        c => p.push(c),
                    }
                }
                if !closed {
                    return Err(QueryError {
                        kind: "query_shard_exception",
                        reason: format!("Failed to parse query [{s}]"),
                    });
                }
                out.push(Tok::Phrase(p));
            }
            '+' if out.last().is_none_or(|t| !matches!(t, Tok::Word(_))) => {
                it.next();
                out.push(Tok::Plus);
            }
            '-' if out.last().is_none_or(|t| !matches!(t, Tok::Word(_))) => {
                it.next();
                out.push(Tok::Minus);
            }
            '!' => {
                it.next();
                out.push(Tok::Not);
            }
            _ => {
                let mut w = String::new();
                let mut in_range = false;
                while let Some(&c) = it.peek() {
                    if c == '\\' {
                        it.next();
                        w.extend(it.next());
                        continue;
                    }
                    if (c == '[' || c == '{') && w.ends_with(':') {
                        in_range = true;
                    }
                    if in_range {
                        w.push(c);
                        it.next();
                        if c == ']' || c == '}' {
                            break;
                        }
                        continue;
                    }
                    if c.is_whitespace() || c == '(' || c == ')' {
                        break;
                    }
                    if c == '"' && w.ends_with(':') {
                        break;
                    }
                    w.push(c);
                    it.next();
                }
                if w.ends_with(':') && it.peek() == Some(&'"') {
                    it.next();
                    let mut p = String::new();
                    for c in it.by_ref() {
                        if c == '"' {
                            break;
                        }
                        p.push(c);
                    }
                    out.push(Tok::Word(format!("{w}\"{p}\"")));
                    continue;
                }
                if w.ends_with(':') && it.peek() == Some(&'(') {
                    // field:(a OR b) applies the field to a group.
                    out.push(Tok::Word(w));
                    continue;
                }
                match w.as_str() {
                    "AND" | "&&" => out.push(Tok::And),
                    "OR" | "||" => out.push(Tok::Or),
                    "NOT" => out.push(Tok::Not),
                    _ => out.push(Tok::Word(w)),
                }
            }
        }
    }
    Ok(out)
}

struct QsParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    field: String,
    and: bool,
    text: &'a str,
}

fn query_string(text: &str, default_field: &str, and: bool) -> Result<Query, QueryError> {
    let toks = lex(text)?;
    let mut p = QsParser {
        toks,
        pos: 0,
        field: default_field.to_string(),
        and,
        text,
    };
    let q = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(p.fail());
    }
    Ok(q)
}

impl QsParser<'_> {
    fn fail(&self) -> QueryError {
        QueryError {
            kind: "query_shard_exception",
            reason: format!("Failed to parse query [{}]", self.text),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// A sequence of clauses joined by AND/OR (AND binds tighter) or the default operator.
    fn expr(&mut self) -> Result<Query, QueryError> {
        // Groups of AND-ed clauses, OR-ed together.
        let mut must: Vec<Query> = Vec::new();
        let mut must_not: Vec<Query> = Vec::new();
        let mut should: Vec<Query> = Vec::new();
        let mut last_was_and = false;
        let mut pending: Option<(Query, i8)> = None; // clause, and its sign: 1 must, -1 not, 0 default
        let flush = |pending: Option<(Query, i8)>,
                     and_next: bool,
                     must: &mut Vec<Query>,
                     must_not: &mut Vec<Query>,
                     should: &mut Vec<Query>,
                     default_and: bool| {
            if let Some((q, sign)) = pending {
                match sign {
                    1 => must.push(q),
                    -1 => must_not.push(q),
                    _ if and_next || default_and => must.push(q),
                    _ => should.push(q),
                }
            }
        };
        loop {
            match self.peek() {
                None | Some(Tok::Close) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    if let Some((q, s)) = pending.take() {
                        let sign = if s == 0 { 1 } else { s };
                        flush(
                            Some((q, sign)),
                            true,
                            &mut must,
                            &mut must_not,
                            &mut should,
                            self.and,
                        );
                    }
                    last_was_and = true;
                    continue;
                }
                Some(Tok::Or) => {
                    self.pos += 1;
                    flush(
                        pending.take(),
                        false,
                        &mut must,
                        &mut must_not,
                        &mut should,
                        false,
                    );
                    last_was_and = false;
                    continue;
                }
                _ => {}
            }
            let (clause, mut sign) = self.unary()?;
            if last_was_and && sign == 0 {
                sign = 1;
            }
            flush(
                pending.take(),
                false,
                &mut must,
                &mut must_not,
                &mut should,
                self.and,
            );
            pending = Some((clause, sign));
            last_was_and = false;
        }
        flush(
            pending.take(),
            false,
            &mut must,
            &mut must_not,
            &mut should,
            self.and,
        );
        if must.len() == 1 && should.is_empty() && must_not.is_empty() {
            return Ok(must.remove(0));
        }
        if should.len() == 1 && must.is_empty() && must_not.is_empty() {
            return Ok(should.remove(0));
        }
        if must.is_empty() && should.is_empty() && !must_not.is_empty() {
            must.push(Query::All);
        }
        let msm = usize::from(must.is_empty() && !should.is_empty());
        Ok(Query::Bool {
            must,
            must_not,
            should,
            msm,
        })
    }

    fn unary(&mut self) -> Result<(Query, i8), QueryError> {
        match self.peek() {
            Some(Tok::Not) | Some(Tok::Minus) => {
                self.pos += 1;
                let (q, _) = self.unary()?;
                Ok((q, -1))
            }
            Some(Tok::Plus) => {
                self.pos += 1;
                let (q, _) = self.unary()?;
                Ok((q, 1))
            }
            _ => Ok((self.primary()?, 0)),
        }
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let tok = self.peek().cloned().ok_or_else(|| self.fail())?;
        self.pos += 1;
        match tok {
            Tok::Open => {
                let q = self.expr()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(self.fail());
                }
                self.pos += 1;
                Ok(q)
            }
            Tok::Phrase(p) => Ok(Query::Phrase {
                field: self.field.clone(),
                text: p,
            }),
            Tok::Word(w) => {
                if let Some(field) = w.strip_suffix(':') {
                    if self.peek() == Some(&Tok::Open) {
                        let saved = std::mem::replace(&mut self.field, field.to_string());
                        let q = self.primary();
                        self.field = saved;
                        return q;
                    }
                }
                Ok(self.leaf(&w))
            }
            _ => Err(self.fail()),
        }
    }

    fn leaf(&self, w: &str) -> Query {
        let (field, value) = match w.split_once(':') {
            Some((f, v)) if !f.is_empty() && !f.starts_with('[') => (f.to_string(), v.to_string()),
            _ => (self.field.clone(), w.to_string()),
        };
        if let Some(p) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            return Query::Phrase {
                field,
                text: p.to_string(),
            };
        }
        if field == "_exists_" {
            return Query::Exists(value);
        }
        if (value.starts_with('[') || value.starts_with('{'))
            && (value.ends_with(']') || value.ends_with('}'))
        {
            let inner = &value[1..value.len() - 1];
            let (lo, hi) = inner.split_once(" TO ").unwrap_or((inner, "*"));
            let now = crate::util::now_ms();
            let lo_inc = value.starts_with('[');
            let hi_inc = value.ends_with(']');
            let b = |s: &str, up: bool| {
                let s = s.trim();
                (s != "*").then(|| make_bound(&Value::String(s.to_string()), now, up))
            };
            return Query::Range {
                field,
                gt: if lo_inc { None } else { b(lo, true) },
                gte: if lo_inc { b(lo, false) } else { None },
                lt: if hi_inc { None } else { b(hi, false) },
                lte: if hi_inc { b(hi, true) } else { None },
            };
        }
        for (op, up) in [(">=", false), ("<=", true), (">", true), ("<", false)] {
            if let Some(v) = value.strip_prefix(op) {
                let b = Some(make_bound(
                    &Value::String(v.to_string()),
                    crate::util::now_ms(),
                    up,
                ));
                let (mut gt, mut gte, mut lt, mut lte) = (None, None, None, None);
                match op {
                    ">=" => gte = b,
                    "<=" => lte = b,
                    ">" => gt = b,
                    _ => lt = b,
                }
                return Query::Range {
                    field,
                    gt,
                    gte,
                    lt,
                    lte,
                };
            }
        }
        if value == "*" {
            return Query::Exists(field);
        }
        if value.contains('*') || value.contains('?') {
            return Query::Wildcard {
                field,
                pattern: value,
                ci: true,
            };
        }
        Query::Match {
            field,
            text: value,
            all: self.and,
            msm: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hit(q: Value, src: Value) -> bool {
        let mappings = json!({});
        let q = compile(&q).expect("query compiles");
        matches(
            &q,
            &DocView {
                id: "1",
                source: &src,
                mappings: &mappings,
            },
        )
    }

    #[test]
    fn query_string_and_or_not() {
        let doc = json!({"msg": "Failed login for admin", "host": "web-01", "n": 5});
        assert!(hit(
            json!({"query_string": {"query": "msg:failed AND host:web"}}),
            doc.clone()
        ));
        assert!(!hit(
            json!({"query_string": {"query": "msg:failed AND NOT host:web"}}),
            doc.clone()
        ));
        assert!(hit(
            json!({"query_string": {"query": "\"login for\" OR nothing"}}),
            doc.clone()
        ));
        assert!(hit(
            json!({"query_string": {"query": "n:[1 TO 5]"}}),
            doc.clone()
        ));
        assert!(hit(json!({"query_string": {"query": "adm*"}}), doc));
    }

    #[test]
    fn date_math_rounds() {
        let now = parse_date("2024-03-10T15:30:00Z").unwrap_or_default();
        assert_eq!(date_math("now-1d/d", now, false), parse_date("2024-03-09"));
        assert_eq!(
            date_math("now/d", now, true),
            parse_date("2024-03-10T23:59:59.999Z")
        );
    }

    #[test]
    fn glob_matches() {
        assert!(glob("logs-*", "logs-2024"));
        assert!(!glob("logs-?", "logs-10"));
    }
}
