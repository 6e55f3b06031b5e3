//! The query DSL on a linear scan: compiling a query body and matching documents against it.

mod dates;
mod matching;
mod query_string;

use std::collections::HashSet;

use self::dates::make_bound;
pub(crate) use self::dates::{looks_like_date, parse_date};
use self::matching::analyze;
pub(crate) use self::matching::{glob, matches, resolve, values_at};
use self::query_string::query_string;
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

#[cfg(test)]
mod tests {
    use super::dates::date_math;
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
