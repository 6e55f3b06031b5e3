//! Running Query API requests: lists, counts, pages and streams.

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;
use soc_http::{Method, Page};

use crate::query::{Query, Search};
use crate::{Error, Result, TheHive};

/// The Query API (`POST /api/v1/query`).
#[derive(Debug, Clone, Copy)]
pub struct QueryApi<'a> {
    pub(crate) hive: &'a TheHive,
}

impl QueryApi<'_> {
    /// Runs a query and decodes the list it answers.
    ///
    /// ```no_run
    /// # async fn run(hive: thehive_client::TheHive) -> thehive_client::Result<()> {
    /// use thehive_client::model::Case;
    /// use thehive_client::query::{Filter, Query};
    /// let open: Vec<Case> = hive
    ///     .query()
    ///     .run(&Query::new("listCase").filter(Filter::eq("stage", "InProgress")).page(0, 20))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A status or decode error; a decode error names the JSON path of the bad field.
    pub async fn run<T: DeserializeOwned>(&self, query: &Query) -> Result<Vec<T>> {
        self.run_named(query, None).await
    }

    /// Runs a query with a `name` label (shown in TheHive's logs, as the official client sends
    /// it).
    ///
    /// # Errors
    /// As [`QueryApi::run`].
    pub async fn run_named<T: DeserializeOwned>(
        &self,
        query: &Query,
        name: Option<&str>,
    ) -> Result<Vec<T>> {
        Ok(self.send(query, name).json().await?)
    }

    pub(crate) async fn run_value(&self, query: &Query, name: Option<&str>) -> Result<Value> {
        Ok(self.send(query, name).json().await?)
    }

    /// Runs a query and returns the raw JSON answer (a list, a number, or an object).
    ///
    /// # Errors
    /// A status error.
    pub async fn raw(&self, query: &Query) -> Result<Value> {
        Ok(self.send(query, None).json().await?)
    }

    /// Counts the entities a query selects (a `count` operation is appended if missing).
    ///
    /// # Errors
    /// A status error, or a decode error if TheHive does not answer a number.
    pub async fn count(&self, query: &Query) -> Result<u64> {
        let q = if query.ends_with_count() {
            query.clone()
        } else {
            query.clone().count()
        };
        Ok(self.send(&q, None).json().await?)
    }

    /// One page, items `from` to `to`, with the total read from `X-Total`.
    ///
    /// # Errors
    /// As [`QueryApi::run`].
    pub async fn page<T: DeserializeOwned>(
        &self,
        query: &Query,
        from: u64,
        to: u64,
    ) -> Result<Page<T>> {
        self.page_with(query, from, to, &[], None).await
    }

    async fn page_with<T: DeserializeOwned>(
        &self,
        query: &Query,
        from: u64,
        to: u64,
        extra: &[String],
        name: Option<&str>,
    ) -> Result<Page<T>> {
        if to <= from {
            return Err(Error::InvalidInput(format!(
                "empty page: from {from} to {to}"
            )));
        }
        let mut extra_data = vec!["total".to_owned()];
        extra_data.extend(extra.iter().filter(|e| *e != "total").cloned());
        let q = query.clone().page_with_extra(from, to, extra_data);
        let resp = self.send(&q, name).send().await?;
        let total = resp
            .header("X-Total")
            .and_then(|t| t.trim().parse::<u64>().ok());
        let items: Vec<T> = resp.json().await?;
        let full = items.len() as u64 >= to - from;
        let more = match total {
            Some(t) => to < t && !items.is_empty(),
            None => full,
        };
        Ok(Page {
            items,
            total,
            next: more.then_some(to),
        })
    }

    /// Every entity a query selects, fetched `page_size` at a time as the stream is read.
    /// The query must not end with a page or count operation.
    pub fn stream<T: DeserializeOwned + 'static>(
        &self,
        query: Query,
        page_size: u64,
    ) -> impl Stream<Item = Result<T>> + 'static {
        self.stream_named(query, page_size, Vec::new(), None)
    }

    pub(crate) fn stream_named<T: DeserializeOwned + 'static>(
        &self,
        query: Query,
        page_size: u64,
        extra: Vec<String>,
        name: Option<&'static str>,
    ) -> impl Stream<Item = Result<T>> + 'static {
        let hive = self.hive.clone();
        let size = page_size.max(1);
        soc_http::paginate(0u64, move |from| {
            let hive = hive.clone();
            let query = query.clone();
            let extra = extra.clone();
            async move {
                QueryApi { hive: &hive }
                    .page_with(&query, from, from + size, &extra, name)
                    .await
            }
        })
    }

    fn send(&self, query: &Query, name: Option<&str>) -> soc_http::RequestBuilder {
        let mut r = self.hive.request(Method::POST, &["query"]);
        if let Some(n) = name {
            r = r.query_pair("name", n);
        }
        // A query only reads: it is safe to send again after a failure.
        r.idempotent(true).json_body(query)
    }

    /// Runs `base` with a [`Search`]'s filter, sort and page.
    pub(crate) async fn find<T: DeserializeOwned>(
        &self,
        base: Query,
        search: &Search,
        name: &str,
    ) -> Result<Vec<T>> {
        self.run_named(&search.apply(base), Some(name)).await
    }

    /// Counts what `base` with a [`Search`]'s filter selects.
    pub(crate) async fn count_named(
        &self,
        base: Query,
        search: &Search,
        name: &str,
    ) -> Result<u64> {
        let q = match search.filter_ref() {
            Some(f) => base.filter(f.clone()),
            None => base,
        }
        .count();
        Ok(self.send(&q, Some(name)).json().await?)
    }

    /// Streams what `base` with a [`Search`]'s filter and sort selects, page by page.
    pub(crate) fn stream_search<T: DeserializeOwned + 'static>(
        &self,
        base: Query,
        search: &Search,
        page_size: u64,
        name: &'static str,
    ) -> impl Stream<Item = Result<T>> + 'static {
        // Pages of an unsorted query may overlap or skip items: sort by creation unless told.
        let sorted;
        let search = if search.has_sort() {
            search
        } else {
            sorted = search.clone().sort(crate::query::Sort::asc("_createdAt"));
            &sorted
        };
        self.stream_named(
            search.apply_unpaged(base),
            page_size,
            search.extra().to_vec(),
            Some(name),
        )
    }
}
