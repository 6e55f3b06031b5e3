//! [`Cortex`], its builder, and the request helpers every area uses.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString};

use crate::error::{Error, Result};
use crate::query::ListOptions;

/// A Cortex client. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Cortex {
    http: HttpClient,
}

/// Builds a [`Cortex`] client; every setting is checked in [`CortexBuilder::build`].
#[derive(Debug)]
pub struct CortexBuilder {
    http: soc_http::ClientBuilder,
    auth: Auth,
}

impl Cortex {
    /// Starts building a client for Cortex at `url` (which may carry a context path such as
    /// `https://soc.example/cortex`).
    ///
    /// # Errors
    /// [`Error::Http`] with an invalid-input kind if `url` is not an absolute `http(s)` URL.
    pub fn builder(url: &str) -> Result<CortexBuilder> {
        Ok(CortexBuilder {
            http: HttpClient::builder(url)?
                .user_agent(concat!("cortex-client/", env!("CARGO_PKG_VERSION"))),
            auth: Auth::None,
        })
    }

    /// Wraps a transport built elsewhere (its base URL is Cortex's).
    #[must_use]
    pub fn from_http(http: HttpClient) -> Self {
        Self { http }
    }

    /// The underlying transport.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A request to `/api/<segments>`.
    pub fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http
            .request(method, std::iter::once(&"api").chain(segments.iter()))
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        decode(self.request(Method::GET, segments)).await
    }

    pub(crate) async fn get_text(&self, segments: &[&str]) -> Result<String> {
        Ok(self.request(Method::GET, segments).text().await?)
    }

    /// A non-idempotent POST with a JSON body.
    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        decode(self.request(Method::POST, segments).json_body(body)).await
    }

    /// A POST answering plain text (keys, stream ids).
    pub(crate) async fn post_text<B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<String> {
        let mut r = self.request(Method::POST, segments);
        if let Some(b) = body {
            r = r.json_body(b);
        }
        Ok(r.text().await?.trim().to_owned())
    }

    /// A PATCH with a JSON body, decoding the updated entity.
    pub(crate) async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        decode(self.request(Method::PATCH, segments).json_body(body)).await
    }

    /// A request whose answer is ignored (Cortex answers 204 or the entity).
    pub(crate) async fn unit(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
    ) -> Result<()> {
        let mut r = self.request(method, segments);
        if let Some(b) = body {
            r = r.json_body(b);
        }
        check_multi(r.send().await?).await.map(|_| ())
    }

    /// A list route (`GET` with `range` and `sort`), with the `X-Total` count.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        opts: &ListOptions,
    ) -> Result<(Vec<T>, Option<u64>)> {
        let r = opts.apply(self.request(Method::GET, segments));
        paged(r).await
    }

    /// A search route (`POST .../_search` with `{"query": ...}`), with the `X-Total` count.
    pub(crate) async fn search<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &Value,
        opts: &ListOptions,
    ) -> Result<(Vec<T>, Option<u64>)> {
        let body = serde_json::json!({ "query": query });
        // A search only reads: safe to send again after a failure.
        let r = opts.apply(
            self.request(method, segments)
                .idempotent(true)
                .json_body(&body),
        );
        paged(r).await
    }
}

impl Cortex {
    /// Every item a search selects, fetched `page_size` at a time with `range`, until
    /// `X-Total` (or a short page) says the end is reached.
    pub(crate) fn stream_search<T: DeserializeOwned + 'static>(
        &self,
        segments: Vec<String>,
        query: crate::query::Q,
        opts: ListOptions,
        page_size: u64,
    ) -> impl futures_util::Stream<Item = Result<T>> + 'static {
        let cortex = self.clone();
        let size = page_size.max(1);
        let query = query.into_value();
        soc_http::paginate(0u64, move |from| {
            let cortex = cortex.clone();
            let segments = segments.clone();
            let query = query.clone();
            let opts = opts.with_range(from, from + size);
            async move {
                let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                let (items, total) = cortex
                    .search::<T>(Method::POST, &segs, &query, &opts)
                    .await?;
                let got = items.len() as u64;
                let more = match total {
                    Some(t) => got > 0 && from + got < t,
                    None => got == size,
                };
                Ok(soc_http::Page {
                    items,
                    total,
                    next: more.then_some(from + size),
                })
            }
        })
    }
}

async fn paged<T: DeserializeOwned>(r: RequestBuilder) -> Result<(Vec<T>, Option<u64>)> {
    let resp = r.send().await?;
    let total = resp.header("X-Total").and_then(|t| t.trim().parse().ok());
    Ok((resp.json().await?, total))
}

/// Sends and decodes JSON, turning a 207 multi-status into [`Error::Multi`].
pub(crate) async fn decode<T: DeserializeOwned>(r: RequestBuilder) -> Result<T> {
    let resp = check_multi(r.send().await?).await?;
    Ok(resp.json().await?)
}

async fn check_multi(resp: soc_http::Response) -> Result<soc_http::Response> {
    if resp.status().as_u16() != 207 {
        return Ok(resp);
    }
    let body: Value = resp.json().await?;
    let message = body
        .get("error")
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("some items failed")
        .to_owned();
    let errors = body
        .get("suberrors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Err(Error::Multi { message, errors })
}

impl CortexBuilder {
    /// Authenticates with an API key (`Authorization: Bearer`), the way Cortex expects.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.auth = Auth::bearer(key);
        self
    }

    /// Authenticates with a login and password. Cortex refuses this unless
    /// `auth.method.basic = true` is set on the server; prefer API keys.
    #[must_use]
    pub fn basic(mut self, login: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::basic(login, password);
        self
    }

    soc_http::transport_options!();

    /// Builds the client. Without credentials it can only read the status and bootstrap a
    /// fresh install.
    ///
    /// # Errors
    /// [`Error::Http`] for an unreadable CA or identity file or credentials that cannot be
    /// sent in a header.
    pub fn build(self) -> Result<Cortex> {
        Ok(Cortex {
            http: self.http.auth(self.auth).build()?,
        })
    }
}
