//! Search: the query DSL as open JSON with typed helpers, counts, and every hit of a query as a
//! stream (point in time with `search_after` on Elasticsearch 7.10+, scroll elsewhere).

use std::collections::VecDeque;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::client::Flavor;
use crate::{Es, Result};

/// A query of the query DSL: any JSON, with helpers for the common clauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Query(pub Value);

impl Query {
    /// Every document.
    #[must_use]
    pub fn match_all() -> Self {
        Self(json!({ "match_all": {} }))
    }
    /// An exact value.
    pub fn term(field: &str, value: impl Into<Value>) -> Self {
        Self(json!({ "term": { field: value.into() } }))
    }
    /// Any of several exact values.
    pub fn terms<V: Into<Value>>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        let v: Vec<Value> = values.into_iter().map(Into::into).collect();
        Self(json!({ "terms": { field: v } }))
    }
    /// Full-text match.
    pub fn matches(field: &str, text: impl Into<Value>) -> Self {
        Self(json!({ "match": { field: text.into() } }))
    }
    /// A range (`gte`/`lt` bounds, dates as `now-1d` or ISO strings).
    pub fn range(field: &str, gte: Option<Value>, lt: Option<Value>) -> Self {
        let mut r = Map::new();
        if let Some(g) = gte {
            r.insert("gte".into(), g);
        }
        if let Some(l) = lt {
            r.insert("lt".into(), l);
        }
        Self(json!({ "range": { field: r } }))
    }
    /// A Lucene query string.
    pub fn query_string(q: &str) -> Self {
        Self(json!({ "query_string": { "query": q } }))
    }
    /// A boolean combination: `must` and `filter` all match, `should` adds score, `must_not`
    /// excludes.
    #[must_use]
    pub fn bool(
        must: Vec<Query>,
        filter: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
    ) -> Self {
        let list = |qs: Vec<Query>| Value::Array(qs.into_iter().map(|q| q.0).collect());
        let mut b = Map::new();
        for (k, v) in [
            ("must", must),
            ("filter", filter),
            ("should", should),
            ("must_not", must_not),
        ] {
            if !v.is_empty() {
                b.insert(k.into(), list(v));
            }
        }
        Self(json!({ "bool": b }))
    }
}

/// A search response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct SearchResponse<T> {
    /// Milliseconds taken.
    #[serde(default)]
    pub took: u64,
    /// Whether it timed out.
    #[serde(default)]
    pub timed_out: bool,
    /// The hits.
    pub hits: Hits<T>,
    /// Aggregations, as sent.
    #[serde(default)]
    pub aggregations: Option<Value>,
    /// The point in time to continue with.
    #[serde(default)]
    pub pit_id: Option<String>,
    /// The scroll to continue with.
    #[serde(default, rename = "_scroll_id")]
    pub scroll_id: Option<String>,
}

/// `hits` of a search response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Hits<T> {
    /// Total matches (exact, or a lower bound).
    #[serde(default)]
    pub total: Option<Total>,
    /// The hits of this page.
    pub hits: Vec<Hit<T>>,
}

/// The total of a search (`{"value", "relation"}`; a bare number on 6.x).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Total {
    /// `{"value": n, "relation": "eq" | "gte"}`.
    Object {
        /// The count.
        value: u64,
        /// `eq` when exact.
        relation: String,
    },
    /// A bare number.
    Number(u64),
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Hit<T> {
    /// Index.
    #[serde(rename = "_index")]
    pub index: String,
    /// Document id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Score.
    #[serde(rename = "_score", default)]
    pub score: Option<f64>,
    /// The document.
    #[serde(rename = "_source")]
    pub source: Option<T>,
    /// Sort values (the `search_after` key).
    #[serde(default)]
    pub sort: Option<Vec<Value>>,
}

/// Search operations.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub(crate) es: &'a Es,
}

impl Search<'_> {
    /// Runs a search body (`{query, size, sort, aggs, _source ...}`) on `index`.
    pub async fn search<T: DeserializeOwned>(
        &self,
        index: &str,
        body: &Value,
    ) -> Result<SearchResponse<T>> {
        self.es
            .call(Method::POST, &[index, "_search"], &[], Some(body))
            .await
    }

    /// Counts the documents matching a query.
    pub async fn count(&self, index: &str, query: &Query) -> Result<u64> {
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let c: Count = self
            .es
            .call(
                Method::POST,
                &[index, "_count"],
                &[],
                Some(&json!({ "query": query })),
            )
            .await?;
        Ok(c.count)
    }

    /// Every hit of a query, `page_size` at a time: a point in time with `search_after` on
    /// Elasticsearch 7.10 and later, a scroll on older versions and OpenSearch. The point in
    /// time or scroll is closed when the last page is read; a stream dropped early lets it
    /// expire after `keep_alive` (one minute).
    pub fn scan<T: DeserializeOwned + Send + 'static>(
        &self,
        index: &str,
        query: Query,
        page_size: u32,
    ) -> impl Stream<Item = Result<Hit<T>>> + 'static {
        let state = ScanState {
            es: self.es.clone(),
            index: index.to_owned(),
            query,
            size: page_size.max(1),
            cursor: Cursor::Start,
            buffer: VecDeque::new(),
        };
        futures_util::stream::try_unfold(state, |mut st| async move {
            loop {
                if let Some(hit) = st.buffer.pop_front() {
                    return Ok(Some((hit, st)));
                }
                if matches!(st.cursor, Cursor::Done) {
                    return Ok(None);
                }
                st.next_page().await?;
            }
        })
    }
}

enum Cursor {
    Start,
    Pit {
        id: String,
        after: Option<Vec<Value>>,
    },
    Scroll(String),
    Done,
}

struct ScanState<T> {
    es: Es,
    index: String,
    query: Query,
    size: u32,
    cursor: Cursor,
    buffer: VecDeque<Hit<T>>,
}

const KEEP_ALIVE: &str = "1m";

impl<T: DeserializeOwned> ScanState<T> {
    async fn next_page(&mut self) -> Result<()> {
        let cursor = std::mem::replace(&mut self.cursor, Cursor::Done);
        let (resp, next): (SearchResponse<T>, Cursor) = match cursor {
            Cursor::Start => {
                let info = self.es.info().await?;
                let (major, minor) = info.major_minor();
                let pit = info.flavor() == Flavor::Elasticsearch && (major, minor) >= (7, 10);
                if pit {
                    #[derive(Deserialize)]
                    struct Pit {
                        id: String,
                    }
                    let p: Pit = self
                        .es
                        .call(
                            Method::POST,
                            &[&self.index, "_pit"],
                            &[("keep_alive", KEEP_ALIVE)],
                            None,
                        )
                        .await?;
                    let r = self.pit_page(&p.id, None).await?;
                    let id = r.pit_id.clone().unwrap_or(p.id);
                    (r, Cursor::Pit { id, after: None })
                } else {
                    let body = json!({ "query": self.query, "size": self.size, "sort": ["_doc"] });
                    let r: SearchResponse<T> = self
                        .es
                        .call(
                            Method::POST,
                            &[&self.index, "_search"],
                            &[("scroll", KEEP_ALIVE)],
                            Some(&body),
                        )
                        .await?;
                    let sid = r.scroll_id.clone().unwrap_or_default();
                    (r, Cursor::Scroll(sid))
                }
            }
            Cursor::Pit { id, after } => {
                let r = self.pit_page(&id, after).await?;
                let id = r.pit_id.clone().unwrap_or(id);
                (r, Cursor::Pit { id, after: None })
            }
            Cursor::Scroll(sid) => {
                let body = json!({ "scroll": KEEP_ALIVE, "scroll_id": sid });
                let r: SearchResponse<T> = self
                    .es
                    .call(Method::POST, &["_search", "scroll"], &[], Some(&body))
                    .await?;
                let sid = r.scroll_id.clone().unwrap_or(sid);
                (r, Cursor::Scroll(sid))
            }
            Cursor::Done => return Ok(()),
        };
        let last_sort = resp.hits.hits.last().and_then(|h| h.sort.clone());
        let full = resp.hits.hits.len() as u32 >= self.size;
        self.buffer.extend(resp.hits.hits);
        self.cursor = match next {
            Cursor::Pit { id, .. } if full && last_sort.is_some() => Cursor::Pit {
                id,
                after: last_sort,
            },
            Cursor::Scroll(sid) if full => Cursor::Scroll(sid),
            finished => {
                self.close(finished).await;
                Cursor::Done
            }
        };
        Ok(())
    }

    async fn pit_page(&self, id: &str, after: Option<Vec<Value>>) -> Result<SearchResponse<T>> {
        let mut body = json!({
            "query": self.query,
            "size": self.size,
            "pit": { "id": id, "keep_alive": KEEP_ALIVE },
            "sort": [{ "_shard_doc": "asc" }],
            "track_total_hits": false
        });
        if let Some(a) = after {
            body["search_after"] = Value::Array(a);
        }
        self.es
            .call(Method::POST, &["_search"], &[], Some(&body))
            .await
    }

    /// Releases the point in time or scroll; a failure only costs server memory until expiry.
    async fn close(&self, finished: Cursor) {
        let outcome: Result<Value> = match finished {
            Cursor::Pit { id, .. } => {
                self.es
                    .call(Method::DELETE, &["_pit"], &[], Some(&json!({ "id": id })))
                    .await
            }
            Cursor::Scroll(sid) if !sid.is_empty() => {
                self.es
                    .call(
                        Method::DELETE,
                        &["_search", "scroll"],
                        &[],
                        Some(&json!({ "scroll_id": sid })),
                    )
                    .await
            }
            _ => return,
        };
        if let Err(e) = outcome {
            tracing::debug!(error = %e, "could not release the search context; it will expire");
        }
    }
}
