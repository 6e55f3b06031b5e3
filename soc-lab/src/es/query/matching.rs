//! Matching a compiled query against a document: analysis, field resolution and
//! comparisons.

use std::collections::HashSet;

use serde_json::Value;

use super::{as_text, looks_like_date, parse_date, Bound, DocView, Query};

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
