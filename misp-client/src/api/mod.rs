//! One handle per area of MISP, borrowed from [`crate::Misp`].

pub(crate) mod admin;
pub(crate) mod community;
pub(crate) mod events;
pub(crate) mod knowledge;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Error, Result};

/// MISP wraps single entities (`{"Event": {...}}`); this takes the inner one, or the value
/// itself when it is not wrapped.
pub(crate) fn unwrap<T: DeserializeOwned>(v: Value, key: &str) -> Result<T> {
    let inner = match v {
        Value::Object(mut m) if m.contains_key(key) => m.remove(key).unwrap_or(Value::Null),
        other => other,
    };
    // Straight from the parsed value; only a failure pays for the path-tracking decode.
    if let Ok(t) = T::deserialize(&inner) {
        return Ok(t);
    }
    soc_http::decode_json(inner.to_string().as_bytes()).map_err(Error::from)
}

/// `[{"Feed": {...}}, ...]` into the inner entities (unwrapped items are kept as they are).
pub(crate) fn unwrap_list<T: DeserializeOwned>(v: Value, key: &str) -> Result<Vec<T>> {
    let items = match v {
        Value::Array(items) => items,
        Value::Object(mut m) if m.get(key).is_some_and(Value::is_array) => match m.remove(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        other => {
            return Err(Error::InvalidInput(format!(
                "expected a list of {key}, got {other}"
            )))
        }
    };
    items.into_iter().map(|i| unwrap(i, key)).collect()
}
