//! restSearch: a typed filter, JSON results streamed item by item, every export format as a
//! byte stream, and automatic paging.

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::model::{Attribute, Event, MispObject};
use crate::stream::{items, Shape};
use crate::{Error, Misp, Result};

/// Which restSearch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// `events/restSearch`.
    Events,
    /// `attributes/restSearch`.
    Attributes,
    /// `objects/restSearch`.
    Objects,
}

impl Controller {
    fn path(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Attributes => "attributes",
            Self::Objects => "objects",
        }
    }

    /// The action's name: the spec spells the objects one `restsearch`.
    fn action(self) -> &'static str {
        match self {
            Self::Objects => "restsearch",
            _ => "restSearch",
        }
    }
}

/// Every `returnFormat` the server accepts for events (24; attributes accept all but
/// `attack`, `attack-sightings`, `context` and `context-markdown`; objects only `json`).
pub const RETURN_FORMATS: &[&str] = &[
    "attack",
    "attack-sightings",
    "cache",
    "context",
    "context-markdown",
    "count",
    "csv",
    "hashes",
    "hosts",
    "json",
    "kunai",
    "netfilter",
    "opendata",
    "openioc",
    "rpz",
    "snort",
    "stix",
    "stix-json",
    "stix2",
    "suricata",
    "text",
    "xml",
    "yara",
    "yara-json",
];

/// Values combined with OR, AND and NOT (`{"OR": [...], "AND": [...], "NOT": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Terms {
    /// Any of these.
    #[serde(rename = "OR", skip_serializing_if = "Vec::is_empty")]
    pub or: Vec<String>,
    /// All of these.
    #[serde(rename = "AND", skip_serializing_if = "Vec::is_empty")]
    pub and: Vec<String>,
    /// None of these.
    #[serde(rename = "NOT", skip_serializing_if = "Vec::is_empty")]
    pub not: Vec<String>,
}

impl Terms {
    /// Any of `values`.
    pub fn any<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Self {
            or: values.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// All of `values`.
    pub fn all<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        Self {
            and: values.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Adds values to exclude.
    #[must_use]
    pub fn excluding<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.not.extend(values.into_iter().map(Into::into));
        self
    }

    fn is_empty(&self) -> bool {
        self.or.is_empty() && self.and.is_empty() && self.not.is_empty()
    }
}

/// A restSearch filter. Unset fields are not sent; [`SearchFilter::param`] passes any other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    params: Map<String, Value>,
}

impl SearchFilter {
    /// No filter: refused by [`Misp::search`] unless a bound such as `last`, `limit` or a value
    /// is set, because an empty filter makes MISP return everything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Any other parameter, as MISP names it.
    #[must_use]
    pub fn param(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    fn terms(self, key: &str, t: Terms) -> Self {
        if t.is_empty() {
            return self;
        }
        let v = serde_json::to_value(t).unwrap_or(Value::Null);
        self.param(key, v)
    }

    /// Attribute values (substring match with `%`).
    #[must_use]
    pub fn values(self, t: Terms) -> Self {
        self.terms("value", t)
    }
    /// Attribute types.
    #[must_use]
    pub fn types(self, t: Terms) -> Self {
        self.terms("type", t)
    }
    /// Categories.
    #[must_use]
    pub fn categories(self, t: Terms) -> Self {
        self.terms("category", t)
    }
    /// Tags.
    #[must_use]
    pub fn tags(self, t: Terms) -> Self {
        self.terms("tags", t)
    }
    /// Creator organisations (names or ids).
    #[must_use]
    pub fn orgs(self, t: Terms) -> Self {
        self.terms("org", t)
    }
    /// Event ids.
    #[must_use]
    pub fn event_ids(self, t: Terms) -> Self {
        self.terms("eventid", t)
    }
    /// Only (or never) detection indicators.
    #[must_use]
    pub fn to_ids(self, yes: bool) -> Self {
        self.param("to_ids", yes)
    }
    /// Only published (or unpublished) events.
    #[must_use]
    pub fn published(self, yes: bool) -> Self {
        self.param("published", yes)
    }
    /// Published within a duration (`1d`, `12h`, `30m`).
    #[must_use]
    pub fn last(self, duration: &str) -> Self {
        self.param("last", duration)
    }
    /// Event date from (`2025-11-01` or a duration like `7d`).
    #[must_use]
    pub fn date_from(self, d: &str) -> Self {
        self.param("from", d)
    }
    /// Event date to.
    #[must_use]
    pub fn date_to(self, d: &str) -> Self {
        self.param("to", d)
    }
    /// Changed since (epoch seconds or a duration).
    #[must_use]
    pub fn timestamp(self, since: impl Into<Value>) -> Self {
        self.param("timestamp", since)
    }
    /// Only these UUIDs.
    #[must_use]
    pub fn uuid(self, uuid: &str) -> Self {
        self.param("uuid", uuid)
    }
    /// Include the event's tags on each attribute.
    #[must_use]
    pub fn include_event_tags(self) -> Self {
        self.param("includeEventTags", true)
    }
    /// Leave out attributes matching an enabled warninglist.
    #[must_use]
    pub fn enforce_warninglist(self) -> Self {
        self.param("enforceWarninglist", true)
    }
    /// Events only, without attributes and objects.
    #[must_use]
    pub fn metadata_only(self) -> Self {
        self.param("metadata", true)
    }
    /// A page of `limit` items (page 1 is the first).
    #[must_use]
    pub fn page(self, page: u64, limit: u64) -> Self {
        self.param("page", page).param("limit", limit)
    }

    fn is_unbounded(&self) -> bool {
        let bounding = [
            "value",
            "type",
            "category",
            "tags",
            "org",
            "eventid",
            "last",
            "from",
            "to",
            "timestamp",
            "uuid",
            "limit",
            "publish_timestamp",
            "event_timestamp",
            "attribute_timestamp",
            "id",
            "searchall",
        ];
        !bounding.iter().any(|k| self.params.contains_key(*k))
    }

    fn body(&self, format: &str) -> Value {
        let mut b = self.params.clone();
        b.insert("returnFormat".into(), format.into());
        Value::Object(b)
    }
}

/// restSearch.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub(crate) misp: &'a Misp,
}

impl Search<'_> {
    fn check(filter: &SearchFilter) -> Result<()> {
        if filter.is_unbounded() {
            return Err(Error::InvalidInput(
                "an unbounded restSearch returns every item: set a value, type, tag, date, `last` or a page".into(),
            ));
        }
        Ok(())
    }

    async fn body_stream(
        &self,
        controller: Controller,
        filter: &SearchFilter,
        format: &str,
    ) -> Result<impl Stream<Item = Result<Bytes>> + 'static> {
        Ok(self.counted_body(controller, filter, format).await?.1)
    }

    /// The answer's body and its `X-Result-Count` (the total of a paged search), if sent.
    async fn counted_body(
        &self,
        controller: Controller,
        filter: &SearchFilter,
        format: &str,
    ) -> Result<(Option<u64>, impl Stream<Item = Result<Bytes>> + 'static)> {
        Self::check(filter)?;
        let resp = self
            .misp
            .request(Method::POST, &[controller.path(), controller.action()])
            .idempotent(true)
            .json_body(&filter.body(format))
            .send()
            .await?;
        let total = resp
            .header("x-result-count")
            .and_then(|v| v.trim().parse().ok());
        Ok((total, resp.bytes_stream().map_err(Error::from)))
    }

    /// Events matching the filter, decoded one by one as the answer arrives.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unbounded filter; request errors; a decode error names the
    /// item's field.
    pub async fn events(
        &self,
        filter: &SearchFilter,
    ) -> Result<impl Stream<Item = Result<Event>> + 'static> {
        self.typed(Controller::Events, filter).await
    }

    /// Attributes matching the filter, decoded one by one: a million attributes take the memory
    /// of one.
    ///
    /// # Errors
    /// As [`Search::events`].
    pub async fn attributes(
        &self,
        filter: &SearchFilter,
    ) -> Result<impl Stream<Item = Result<Attribute>> + 'static> {
        self.typed(Controller::Attributes, filter).await
    }

    /// Objects matching the filter.
    ///
    /// # Errors
    /// As [`Search::events`].
    pub async fn objects(
        &self,
        filter: &SearchFilter,
    ) -> Result<impl Stream<Item = Result<MispObject>> + 'static> {
        self.typed(Controller::Objects, filter).await
    }

    /// Items of any controller decoded into `T` (your own lighter struct, say).
    ///
    /// # Errors
    /// As [`Search::events`].
    pub async fn typed<T: DeserializeOwned + 'static>(
        &self,
        controller: Controller,
        filter: &SearchFilter,
    ) -> Result<impl Stream<Item = Result<T>> + 'static> {
        let shape = match controller {
            Controller::Events => Shape::Events,
            Controller::Attributes => Shape::Attributes,
            Controller::Objects => Shape::Objects,
        };
        let bytes = self.body_stream(controller, filter, "json").await?;
        Ok(items(bytes, shape))
    }

    /// An export in any of MISP's formats ([`RETURN_FORMATS`]: CSV, STIX, Suricata, text ...),
    /// as a byte stream to write wherever it goes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown format or an unbounded filter; request errors.
    pub async fn export(
        &self,
        controller: Controller,
        filter: &SearchFilter,
        format: &str,
    ) -> Result<impl Stream<Item = Result<Bytes>> + 'static> {
        if !RETURN_FORMATS.contains(&format) {
            return Err(Error::InvalidInput(format!(
                "unknown returnFormat {format:?}"
            )));
        }
        self.body_stream(controller, filter, format).await
    }

    /// Every attribute matching the filter, `limit` per request, page after page: until the
    /// total MISP sends in `X-Result-Count` is reached or, without it, until a short page.
    /// Memory holds one page.
    pub fn attributes_paged(
        &self,
        filter: SearchFilter,
        limit: u64,
    ) -> impl Stream<Item = Result<Attribute>> + 'static {
        let misp = self.misp.clone();
        let limit = limit.max(1);
        futures_util::stream::try_unfold(Some((1u64, 0u64)), move |state| {
            let misp = misp.clone();
            let filter = filter.clone();
            async move {
                let Some((page, seen)) = state else {
                    return Ok::<_, Error>(None);
                };
                let f = filter.page(page, limit);
                let (total, body) = Search { misp: &misp }
                    .counted_body(Controller::Attributes, &f, "json")
                    .await?;
                let items: Vec<Attribute> = items(body, Shape::Attributes).try_collect().await?;
                let n = items.len() as u64;
                let seen = seen + n;
                let more = match total {
                    Some(total) => n > 0 && seen < total,
                    None => n >= limit,
                };
                let next = more.then_some((page + 1, seen));
                Ok(Some((
                    futures_util::stream::iter(items.into_iter().map(Ok)),
                    next,
                )))
            }
        })
        .try_flatten()
    }

    /// The number of matching items (`returnFormat: count`).
    ///
    /// # Errors
    /// As [`Search::export`].
    pub async fn count(&self, controller: Controller, filter: &SearchFilter) -> Result<u64> {
        Self::check(filter)?;
        let v: Value = self
            .misp
            .read(
                &[controller.path(), controller.action()],
                &filter.body("count"),
            )
            .await?;
        v.get("response")
            .and_then(|r| r.get("count"))
            .and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            })
            .ok_or_else(|| Error::InvalidInput(format!("no count in {v}")))
    }

    /// `events/index` with filters (`{"searchinfo": ..., "searchtag": ...}`): event summaries.
    pub async fn index(&self, filters: &Value) -> Result<Vec<Value>> {
        self.misp.read(&["events", "index"], filters).await
    }

    /// Sightings matching a filter (`sightings/restSearch[/{context}]`).
    pub async fn sightings(&self, filters: &Value) -> Result<Value> {
        self.misp.read(&["sightings", "restSearch"], filters).await
    }

    /// The audit log (`admin/logs/index`).
    pub async fn logs(&self, filters: &Value) -> Result<Value> {
        self.misp.read(&["admin", "logs", "index"], filters).await
    }

    /// Feed caches containing values (`feeds/searchCaches`).
    pub async fn feed_caches(&self, value: &str) -> Result<Value> {
        self.misp
            .read(&["feeds", "searchCaches"], &json!({ "value": value }))
            .await
    }
}
