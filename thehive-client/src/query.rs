//! The Query API (`POST /api/v1/query`) as a typed builder.
//!
//! A query is a chain of operations read left to right: a selection (`listAlert`, `getCase`
//! ...), then optional sub-selections (`observables`, `tasks` ...), a [`Filter`], a [`Sort`]
//! and a page. [`Filter`]s combine with `&`, `|` and `!`.
//!
//! ```
//! use thehive_client::query::{Filter, Query, RelativeDate, Sort};
//!
//! let q = Query::new("listAlert")
//!     .filter(
//!         Filter::gte("severity", 3)
//!             & Filter::eq("stage", "New")
//!             & Filter::gte("_createdAt", RelativeDate::days_ago(7)),
//!     )
//!     .sort(Sort::desc("_createdAt"))
//!     .page(0, 50);
//! let body = serde_json::to_value(&q).unwrap();
//! assert_eq!(body["query"][1]["_name"], "filter");
//! assert_eq!(body["query"][1]["_and"][0]["_gte"]["_field"], "severity");
//! ```

use std::ops::{BitAnd, BitOr, Not};

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

/// A filter of the Query API.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter(Value);

impl Serialize for Filter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

fn cmp(op: &str, field: impl Into<String>, value: impl Into<Value>) -> Filter {
    Filter(json!({ op: { "_field": field.into(), "_value": value.into() } }))
}

impl Filter {
    /// `field == value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_eq", field, value)
    }
    /// `field != value`.
    pub fn ne(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_ne", field, value)
    }
    /// `field < value` (dates may be a [`RelativeDate`]).
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_lt", field, value)
    }
    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_gt", field, value)
    }
    /// `field <= value`.
    pub fn lte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_lte", field, value)
    }
    /// `field >= value`.
    pub fn gte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_gte", field, value)
    }
    /// `field is value` (`_is`).
    pub fn is(field: impl Into<String>, value: impl Into<Value>) -> Self {
        cmp("_is", field, value)
    }
    /// The text field starts with `value`.
    pub fn starts_with(field: impl Into<String>, value: impl Into<String>) -> Self {
        cmp("_startsWith", field, value.into())
    }
    /// The text field ends with `value`.
    pub fn ends_with(field: impl Into<String>, value: impl Into<String>) -> Self {
        cmp("_endsWith", field, value.into())
    }
    /// The text field contains the substring `value` (`_like`).
    pub fn like(field: impl Into<String>, value: impl Into<String>) -> Self {
        cmp("_like", field, value.into())
    }
    /// The text field contains the word `value` (`_match`).
    pub fn matches(field: impl Into<String>, value: impl Into<String>) -> Self {
        cmp("_match", field, value.into())
    }
    /// The entity has this identifier.
    pub fn id(id: impl Into<String>) -> Self {
        Self(json!({ "_id": id.into() }))
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
    pub fn has(field: impl Into<String>) -> Self {
        Self(json!({ "_has": field.into() }))
    }
    /// Every entity.
    #[must_use]
    pub fn any() -> Self {
        Self(json!({ "_any": null }))
    }
    /// All of `filters`.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Self {
        Self::combine("_and", filters)
    }
    /// Any of `filters`.
    pub fn one_of(filters: impl IntoIterator<Item = Filter>) -> Self {
        Self::combine("_or", filters)
    }

    fn combine(op: &str, filters: impl IntoIterator<Item = Filter>) -> Self {
        let mut out = Vec::new();
        for f in filters {
            match f.0 {
                // Flatten nested combinations of the same operator.
                Value::Object(mut m) if m.len() == 1 && m.contains_key(op) => {
                    if let Some(Value::Array(items)) = m.remove(op) {
                        out.extend(items);
                    }
                }
                v => out.push(v),
            }
        }
        Self(json!({ op: out }))
    }

    /// A filter written as JSON, for operators this builder does not wrap.
    #[must_use]
    pub fn raw(v: Value) -> Self {
        Self(v)
    }

    /// The JSON of the filter.
    #[must_use]
    pub fn to_value(&self) -> &Value {
        &self.0
    }
}

impl BitAnd for Filter {
    type Output = Filter;
    fn bitand(self, rhs: Filter) -> Filter {
        Filter::all([self, rhs])
    }
}

impl BitOr for Filter {
    type Output = Filter;
    fn bitor(self, rhs: Filter) -> Filter {
        Filter::one_of([self, rhs])
    }
}

impl Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        Filter(json!({ "_not": self.0 }))
    }
}

/// A date as the Query API takes it: epoch milliseconds.
#[must_use]
pub fn date(d: DateTime<Utc>) -> Value {
    Value::from(d.timestamp_millis())
}

/// A date relative to now, resolved by the server (`_lt`, `_gt`, `_lte`, `_gte`, `_between`
/// only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelativeDate {
    amount: u32,
    unit: &'static str,
    look: &'static str,
    timezone: Option<String>,
    modifier: Option<&'static str>,
}

impl RelativeDate {
    fn new(amount: u32, unit: &'static str, look: &'static str) -> Self {
        Self {
            amount,
            unit,
            look,
            timezone: None,
            modifier: None,
        }
    }
    /// `n` minutes ago.
    #[must_use]
    pub fn minutes_ago(n: u32) -> Self {
        Self::new(n, "minutes", "behind")
    }
    /// `n` hours ago.
    #[must_use]
    pub fn hours_ago(n: u32) -> Self {
        Self::new(n, "hours", "behind")
    }
    /// `n` days ago.
    #[must_use]
    pub fn days_ago(n: u32) -> Self {
        Self::new(n, "days", "behind")
    }
    /// `n` weeks ago.
    #[must_use]
    pub fn weeks_ago(n: u32) -> Self {
        Self::new(n, "weeks", "behind")
    }
    /// `n` months ago.
    #[must_use]
    pub fn months_ago(n: u32) -> Self {
        Self::new(n, "months", "behind")
    }
    /// `n` days from now.
    #[must_use]
    pub fn days_ahead(n: u32) -> Self {
        Self::new(n, "days", "ahead")
    }
    /// `n` hours from now.
    #[must_use]
    pub fn hours_ahead(n: u32) -> Self {
        Self::new(n, "hours", "ahead")
    }
    /// Resolved in this IANA time zone (`Europe/Paris`).
    #[must_use]
    pub fn timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = Some(tz.into());
        self
    }
    /// Rounded to the start of that day.
    #[must_use]
    pub fn start_of_day(mut self) -> Self {
        self.modifier = Some("startOfDay");
        self
    }
    /// Rounded to the end of that day.
    #[must_use]
    pub fn end_of_day(mut self) -> Self {
        self.modifier = Some("endOfDay");
        self
    }
}

impl From<RelativeDate> for Value {
    fn from(r: RelativeDate) -> Value {
        let mut m = Map::new();
        m.insert("amount".into(), r.amount.into());
        m.insert("unit".into(), r.unit.into());
        m.insert("look".into(), r.look.into());
        if let Some(tz) = r.timezone {
            m.insert("timezone".into(), tz.into());
        }
        if let Some(md) = r.modifier {
            m.insert("modifier".into(), md.into());
        }
        Value::Object(m)
    }
}

/// Sort order of a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sort(Vec<(String, &'static str)>);

impl Sort {
    /// Ascending on `field`.
    pub fn asc(field: impl Into<String>) -> Self {
        Self(vec![(field.into(), "asc")])
    }
    /// Descending on `field`.
    pub fn desc(field: impl Into<String>) -> Self {
        Self(vec![(field.into(), "desc")])
    }
    /// Then ascending on `field`.
    #[must_use]
    pub fn then_asc(mut self, field: impl Into<String>) -> Self {
        self.0.push((field.into(), "asc"));
        self
    }
    /// Then descending on `field`.
    #[must_use]
    pub fn then_desc(mut self, field: impl Into<String>) -> Self {
        self.0.push((field.into(), "desc"));
        self
    }

    fn op(&self) -> Value {
        let fields: Vec<Value> = self
            .0
            .iter()
            .map(|(f, o)| json!({ f.as_str(): o }))
            .collect();
        json!({ "_name": "sort", "_fields": fields })
    }
}

/// A Query API request: operations chained left to right, and fields to leave out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Query {
    query: Vec<Value>,
    #[serde(rename = "excludeFields", skip_serializing_if = "Vec::is_empty")]
    exclude_fields: Vec<String>,
}

impl Query {
    /// A query starting with the operation `name` (`listAlert`, `listCase`, `listTask`,
    /// `listObservable`, `listUser`, `listOrganisation`, `listJob`, `waitingTasks`,
    /// `myTasks` ...).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            query: vec![json!({ "_name": name.into() })],
            exclude_fields: Vec::new(),
        }
    }

    /// A query starting with `get<Entity>` on one entity: `Query::get("getCase", "~123")`.
    pub fn get(name: impl Into<String>, id_or_name: impl Into<String>) -> Self {
        Self {
            query: vec![json!({ "_name": name.into(), "idOrName": id_or_name.into() })],
            exclude_fields: Vec::new(),
        }
    }

    /// Appends an operation by name (a sub-selection such as `observables`, `tasks`, `logs`,
    /// `alerts`, `similarCasesLight`).
    #[must_use]
    pub fn then(mut self, name: impl Into<String>) -> Self {
        self.query.push(json!({ "_name": name.into() }));
        self
    }

    /// Appends an operation with parameters.
    #[must_use]
    pub fn then_with(mut self, name: impl Into<String>, params: Map<String, Value>) -> Self {
        let mut op = params;
        op.insert("_name".into(), Value::String(name.into()));
        self.query.push(Value::Object(op));
        self
    }

    /// Appends a filter.
    #[must_use]
    pub fn filter(mut self, f: Filter) -> Self {
        let mut op = match f.0 {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("_value".into(), other);
                m
            }
        };
        op.insert("_name".into(), "filter".into());
        self.query.push(Value::Object(op));
        self
    }

    /// Appends a sort.
    #[must_use]
    pub fn sort(mut self, s: Sort) -> Self {
        self.query.push(s.op());
        self
    }

    /// Appends a page: items `from` (inclusive) to `to` (exclusive).
    #[must_use]
    pub fn page(self, from: u64, to: u64) -> Self {
        self.page_with_extra(from, to, std::iter::empty::<String>())
    }

    /// Appends a page and asks for `extraData` (`total`, `shareCount`, `contributors` ...).
    #[must_use]
    pub fn page_with_extra<S: Into<String>>(
        mut self,
        from: u64,
        to: u64,
        extra: impl IntoIterator<Item = S>,
    ) -> Self {
        let extra: Vec<String> = extra.into_iter().map(Into::into).collect();
        let mut op = json!({ "_name": "page", "from": from, "to": to });
        if !extra.is_empty() {
            op["extraData"] = json!(extra);
        }
        self.query.push(op);
        self
    }

    /// Appends `count`: the answer becomes a number.
    #[must_use]
    pub fn count(mut self) -> Self {
        self.query.push(json!({ "_name": "count" }));
        self
    }

    /// Leaves these fields out of the answer (`description` on big lists).
    #[must_use]
    pub fn exclude_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.exclude_fields
            .extend(fields.into_iter().map(Into::into));
        self
    }

    /// The operations.
    #[must_use]
    pub fn operations(&self) -> &[Value] {
        &self.query
    }

    pub(crate) fn ends_with_count(&self) -> bool {
        self.query
            .last()
            .and_then(|o| o.get("_name"))
            .and_then(Value::as_str)
            == Some("count")
    }
}

/// Filter, sort and page options for the `find` methods of each area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    filter: Option<Filter>,
    sort: Option<Sort>,
    page: Option<(u64, u64)>,
    extra_data: Vec<String>,
}

impl Search {
    /// No filter, no sort, no page (TheHive answers the whole list: prefer a page or the
    /// `stream` methods for big sets).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Only entities matching `f`.
    #[must_use]
    pub fn filter(mut self, f: Filter) -> Self {
        self.filter = Some(f);
        self
    }
    /// In this order.
    #[must_use]
    pub fn sort(mut self, s: Sort) -> Self {
        self.sort = Some(s);
        self
    }
    /// Items `from` (inclusive) to `to` (exclusive).
    #[must_use]
    pub fn page(mut self, from: u64, to: u64) -> Self {
        self.page = Some((from, to));
        self
    }
    /// With these `extraData` fields filled.
    #[must_use]
    pub fn extra_data<S: Into<String>>(mut self, extra: impl IntoIterator<Item = S>) -> Self {
        self.extra_data.extend(extra.into_iter().map(Into::into));
        self
    }

    /// Appends this search's filter and sort (not its page) to `q`.
    pub(crate) fn apply_unpaged(&self, mut q: Query) -> Query {
        if let Some(f) = &self.filter {
            q = q.filter(f.clone());
        }
        if let Some(s) = &self.sort {
            q = q.sort(s.clone());
        }
        q
    }

    /// Appends filter, sort and page to `q`.
    pub(crate) fn apply(&self, q: Query) -> Query {
        let q = self.apply_unpaged(q);
        match (self.page, self.extra_data.is_empty()) {
            (Some((from, to)), _) => q.page_with_extra(from, to, self.extra_data.clone()),
            // extraData is only accepted on a page: ask for a page that holds everything.
            (None, false) => q.page_with_extra(0, u64::from(u32::MAX), self.extra_data.clone()),
            (None, true) => q,
        }
    }

    pub(crate) fn extra(&self) -> &[String] {
        &self.extra_data
    }

    pub(crate) fn has_sort(&self) -> bool {
        self.sort.is_some()
    }

    pub(crate) fn filter_ref(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_serialise_to_the_documented_shapes() {
        let cases = [
            (
                Filter::eq("status", "New"),
                json!({"_eq": {"_field": "status", "_value": "New"}}),
            ),
            (
                Filter::is("tlp", 2),
                json!({"_is": {"_field": "tlp", "_value": 2}}),
            ),
            (
                Filter::starts_with("title", "Phish"),
                json!({"_startsWith": {"_field": "title", "_value": "Phish"}}),
            ),
            (
                Filter::ends_with("data", ".ru"),
                json!({"_endsWith": {"_field": "data", "_value": ".ru"}}),
            ),
            (
                Filter::like("title", "macro"),
                json!({"_like": {"_field": "title", "_value": "macro"}}),
            ),
            (
                Filter::matches("description", "emotet"),
                json!({"_match": {"_field": "description", "_value": "emotet"}}),
            ),
            (Filter::id("~1"), json!({"_id": "~1"})),
            (
                Filter::between("_createdAt", 1, 2),
                json!({"_between": {"_field": "_createdAt", "_from": 1, "_to": 2}}),
            ),
            (
                Filter::in_values("severity", [3, 4]),
                json!({"_in": {"_field": "severity", "_values": [3, 4]}}),
            ),
            (Filter::has("assignee"), json!({"_has": "assignee"})),
            (Filter::any(), json!({"_any": null})),
            (
                !Filter::eq("a", 1),
                json!({"_not": {"_eq": {"_field": "a", "_value": 1}}}),
            ),
        ];
        for (f, want) in cases {
            assert_eq!(serde_json::to_value(&f).unwrap(), want);
        }
    }

    #[test]
    fn combinations_are_flattened() {
        let f = Filter::eq("a", 1) & Filter::eq("b", 2) & Filter::eq("c", 3);
        assert_eq!(f.to_value()["_and"].as_array().unwrap().len(), 3);
        let g = (Filter::eq("a", 1) | Filter::eq("b", 2)) & Filter::eq("c", 3);
        assert_eq!(g.to_value()["_and"][0]["_or"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn relative_dates_carry_unit_look_zone_and_modifier() {
        let v: Value = RelativeDate::days_ago(1)
            .timezone("Europe/Paris")
            .start_of_day()
            .into();
        assert_eq!(
            v,
            json!({"amount": 1, "unit": "days", "look": "behind", "timezone": "Europe/Paris", "modifier": "startOfDay"})
        );
    }

    #[test]
    fn query_chains_operations_in_order() {
        let q = Query::get("getCase", "~7")
            .then("observables")
            .filter(Filter::eq("ioc", true))
            .sort(Sort::asc("_createdAt").then_desc("data"))
            .page_with_extra(0, 10, ["total"])
            .exclude_fields(["description"]);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({
                "query": [
                    {"_name": "getCase", "idOrName": "~7"},
                    {"_name": "observables"},
                    {"_name": "filter", "_eq": {"_field": "ioc", "_value": true}},
                    {"_name": "sort", "_fields": [{"_createdAt": "asc"}, {"data": "desc"}]},
                    {"_name": "page", "from": 0, "to": 10, "extraData": ["total"]}
                ],
                "excludeFields": ["description"]
            })
        );
        assert!(Query::new("listAlert").count().ends_with_count());
    }
}
