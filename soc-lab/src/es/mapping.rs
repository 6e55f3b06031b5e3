//! Index settings and mappings: flattening, merging, dynamic mapping and name checks.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::query;

pub(super) fn flatten_into(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

pub(super) fn setting_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(setting_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Flat `index.*` settings from any of the forms a request may use.
pub(super) fn index_settings(v: &Value) -> BTreeMap<String, String> {
    let mut flat = BTreeMap::new();
    flatten_into("", v, &mut flat);
    flat.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let k = if k.starts_with("index.") {
                k
            } else {
                format!("index.{k}")
            };
            (k, setting_text(&v))
        })
        .collect()
}

pub(super) fn nest(flat: impl IntoIterator<Item = (String, Value)>) -> Value {
    fn put(node: &mut Map<String, Value>, parts: &[&str], v: Value) {
        match parts {
            [] => {}
            [last] => {
                node.insert((*last).to_string(), v);
            }
            [first, rest @ ..] => {
                let entry = node
                    .entry((*first).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(m) = entry {
                    put(m, rest, v);
                }
            }
        }
    }
    let mut root = Map::new();
    for (k, v) in flat {
        let parts: Vec<&str> = k.split('.').collect();
        put(&mut root, &parts, v);
    }
    Value::Object(root)
}

/// Deep-merges `patch` into `base` (objects merge, everything else replaces).
pub(super) fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Adds dynamic mappings for the fields of `source` that have none, as dynamic mapping does.
pub(super) fn map_dynamic(mappings: &mut Value, source: &Value) {
    let Value::Object(src) = source else { return };
    if mappings.get("dynamic").and_then(Value::as_str) == Some("false")
        || mappings.get("dynamic") == Some(&Value::Bool(false))
    {
        return;
    }
    if !mappings.is_object() {
        *mappings = json!({});
    }
    let Value::Object(m) = mappings else { return };
    let props = m
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(props) = props else { return };
    for (k, v) in src {
        let v = match v {
            Value::Array(a) => match a.iter().find(|x| !x.is_null()) {
                Some(x) => x,
                None => continue,
            },
            Value::Null => continue,
            other => other,
        };
        if let Value::Object(_) = v {
            let entry = props
                .entry(k.clone())
                .or_insert_with(|| json!({"properties": {}}));
            map_dynamic(entry, v);
            continue;
        }
        if props.contains_key(k) {
            continue;
        }
        let mapping = match v {
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Number(n) if n.is_f64() => json!({"type": "float"}),
            Value::Number(_) => json!({"type": "long"}),
            Value::String(s) if query::looks_like_date(s) => json!({"type": "date"}),
            _ => {
                json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
            }
        };
        props.insert(k.clone(), mapping);
    }
}

pub(super) fn patterns_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_string()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn valid_index_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.to_lowercase() != name {
        return Err("must be lowercase".into());
    }
    if name.starts_with(['_', '-', '+']) {
        return Err("must not start with '_', '-', or '+'".into());
    }
    if name == "." || name == ".." {
        return Err("must not be '.' or '..'".into());
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        )
    }) {
        return Err(format!(
            "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?] (found [{c}])"
        ));
    }
    if name.len() > 255 {
        return Err("index name is too long".into());
    }
    Ok(())
}
