//! Cortex's search DSL and the `range`/`sort` paging parameters.
//!
//! ```
//! use cortex_client::query::Q;
//! let q = Q::and([Q::eq("status", "Success"), Q::gte("createdAt", 1_764_000_000_000i64)]);
//! assert_eq!(
//!     serde_json::to_value(&q).unwrap(),
//!     serde_json::json!({"_and": [
//!         {"_field": "status", "_value": "Success"},
//!         {"_gte": {"createdAt": 1_764_000_000_000i64}}
//!     ]})
//! );
//! ```

use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use soc_http::RequestBuilder;

/// A query of Cortex's search routes (`POST .../_search`).
#[derive(Debug, Clone, PartialEq)]
pub struct Q(Value);

impl Serialize for Q {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Q {
    /// Every entity (`{}`).
    #[must_use]
    pub fn any() -> Self {
        Self(json!({}))
    }
    /// `field == value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self(json!({ "_field": field.into(), "_value": value.into() }))
    }
    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::cmp("_gt", field, value)
    }
    /// `field >= value`.
    pub fn gte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::cmp("_gte", field, value)
    }
    /// `field < value`.
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::cmp("_lt", field, value)
    }
    /// `field <= value`.
    pub fn lte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::cmp("_lte", field, value)
    }
    fn cmp(op: &str, field: impl Into<String>, value: impl Into<Value>) -> Self {
        let mut inner = serde_json::Map::new();
        inner.insert(field.into(), value.into());
        Self(json!({ op: inner }))
    }
    /// `from <= field < to`.
    pub fn between(field: impl Into<String>, from: impl Into<Value>, to: impl Into<Value>) -> Self {
        Self(
            json!({ "_between": { "_field": field.into(), "_from": from.into(), "_to": to.into() } }),
        )
    }
    /// The field equals one of `values`.
    pub fn in_values<V: Into<Value>>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values: Vec<Value> = values.into_iter().map(Into::into).collect();
        Self(json!({ "_in": { "_field": field.into(), "_values": values } }))
    }
    /// The field is set.
    pub fn contains(field: impl Into<String>) -> Self {
        Self(json!({ "_contains": field.into() }))
    }
    /// The entity has this id.
    pub fn id(id: impl Into<String>) -> Self {
        Self(json!({ "_id": id.into() }))
    }
    /// Entities of this type.
    pub fn of_type(t: impl Into<String>) -> Self {
        Self(json!({ "_type": t.into() }))
    }
    /// A Lucene query string.
    pub fn string(q: impl Into<String>) -> Self {
        Self(json!({ "_string": q.into() }))
    }
    /// Entities whose parent of type `parent_type` matches `q`.
    pub fn parent(parent_type: impl Into<String>, q: Q) -> Self {
        Self(json!({ "_parent": { "_type": parent_type.into(), "_query": q.0 } }))
    }
    /// Entities with a child of type `child_type` matching `q`.
    pub fn child(child_type: impl Into<String>, q: Q) -> Self {
        Self(json!({ "_child": { "_type": child_type.into(), "_query": q.0 } }))
    }
    /// All of `qs`.
    pub fn and(qs: impl IntoIterator<Item = Q>) -> Self {
        Self(json!({ "_and": qs.into_iter().map(|q| q.0).collect::<Vec<_>>() }))
    }
    /// Any of `qs`.
    pub fn or(qs: impl IntoIterator<Item = Q>) -> Self {
        Self(json!({ "_or": qs.into_iter().map(|q| q.0).collect::<Vec<_>>() }))
    }
    /// The JSON of the query.
    #[must_use]
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl std::ops::Not for Q {
    type Output = Q;
    /// Entities not matching the query.
    fn not(self) -> Q {
        Q(json!({ "_not": self.0 }))
    }
}

/// Which slice of a list and in which order: Cortex's `range` and `sort` parameters. Cortex
/// answers only 10 items when no range is given; [`ListOptions::all`] asks for everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    range: Option<String>,
    sort: Vec<String>,
}

impl ListOptions {
    /// Cortex's default: the first 10.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Every item (`range=all`).
    #[must_use]
    pub fn all() -> Self {
        Self {
            range: Some("all".into()),
            sort: Vec::new(),
        }
    }
    /// Items `from` (inclusive) to `to` (exclusive).
    #[must_use]
    pub fn range(mut self, from: u64, to: u64) -> Self {
        self.range = Some(format!("{from}-{to}"));
        self
    }
    /// Ascending on `field`, after any earlier sort.
    #[must_use]
    pub fn sort_asc(mut self, field: &str) -> Self {
        self.sort.push(format!("+{field}"));
        self
    }
    /// Descending on `field`, after any earlier sort.
    #[must_use]
    pub fn sort_desc(mut self, field: &str) -> Self {
        self.sort.push(format!("-{field}"));
        self
    }

    pub(crate) fn apply(&self, mut r: RequestBuilder) -> RequestBuilder {
        if let Some(range) = &self.range {
            r = r.query_pair("range", range);
        }
        for s in &self.sort {
            r = r.query_pair("sort", s);
        }
        r
    }

    pub(crate) fn with_range(&self, from: u64, to: u64) -> Self {
        Self {
            range: Some(format!("{from}-{to}")),
            sort: self.sort.clone(),
        }
    }
}
