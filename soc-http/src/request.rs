//! One request: its parts, the retry loop, and the typed ways to read the answer.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::{Method, StatusCode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use url::Url;

use crate::client::HttpClient;
use crate::error::{Error, ErrorKind, Result};
use crate::multipart::Multipart;
use crate::retry::{parse_retry_after, Failure};

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Bytes {
        content_type: HeaderValue,
        data: Bytes,
    },
    Multipart(Multipart),
}

/// A request being built. Send it with one of the reading methods ([`RequestBuilder::json`],
/// [`RequestBuilder::no_content`], [`RequestBuilder::download`], ...).
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: HttpClient,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    idempotent: bool,
    anonymous: bool,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &crate::error::redact_url(&self.url))
            .field("idempotent", &self.idempotent)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: HttpClient, method: Method, url: Url) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        Self {
            client,
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::Empty,
            idempotent,
            anonymous: false,
            timeout: None,
            error: None,
        }
    }

    pub(crate) fn reject(mut self, e: Error) -> Self {
        self.fail(e);
        self
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e.with_request(&self.method, &self.url));
        }
    }

    /// The URL this request goes to.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The request's method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Appends query parameters serialised from `query` (a struct or a list of pairs).
    pub fn query<Q: Serialize + ?Sized>(mut self, query: &Q) -> Self {
        let mut url = self.url.clone();
        {
            let mut pairs = url.query_pairs_mut();
            let ser = serde_urlencoded_pairs(&mut pairs, query);
            if let Err(e) = ser {
                drop(pairs);
                self.fail(Error::invalid_input(format!("query parameters: {e}")));
                return self;
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.url = url;
        self
    }

    /// Appends one query parameter.
    pub fn query_pair(mut self, key: &str, value: &str) -> Self {
        self.url.query_pairs_mut().append_pair(key, value);
        self
    }

    /// Appends a query parameter whose value is a secret. Parameter names are matched against
    /// the redaction list in errors; prefer headers for credentials where the API allows it.
    pub fn query_secret(mut self, key: &str, value: &secrecy::SecretString) -> Self {
        self.url
            .query_pairs_mut()
            .append_pair(key, crate::auth::expose_for_query(value));
        self
    }

    /// Adds a header. An invalid name or value fails the request when it is sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        // Bytes beyond ASCII are allowed (as obs-text): organisation names need not be English.
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.fail(Error::invalid_input(format!(
                "header {name:?}: invalid name or value"
            ))),
        }
        self
    }

    /// A JSON body.
    pub fn json_body<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(data) => {
                self.body = Body::Bytes {
                    content_type: HeaderValue::from_static("application/json"),
                    data: data.into(),
                }
            }
            Err(e) => {
                self.fail(Error::invalid_input("request body cannot be serialised").with_source(e))
            }
        }
        self
    }

    /// A JSON body sent with another JSON media type (such as Elasticsearch's
    /// `application/vnd.elasticsearch+json; compatible-with=8`).
    pub fn json_body_as<T: Serialize + ?Sized>(self, content_type: &str, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(data) => self.body(content_type, data),
            Err(e) => {
                let mut this = self;
                this.fail(Error::invalid_input("request body cannot be serialised").with_source(e));
                this
            }
        }
    }

    /// A raw body with its content type.
    pub fn body(mut self, content_type: &str, data: impl Into<Bytes>) -> Self {
        match HeaderValue::from_str(content_type) {
            Ok(ct) => {
                self.body = Body::Bytes {
                    content_type: ct,
                    data: data.into(),
                }
            }
            Err(_) => self.fail(Error::invalid_input(format!(
                "content type {content_type:?} is not a valid header value"
            ))),
        }
        self
    }

    /// A `multipart/form-data` body.
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.body = Body::Multipart(form);
        self
    }

    /// Marks the request as safe to replay (or not) after the server may have seen it. By
    /// default GET, HEAD, PUT, DELETE and OPTIONS are idempotent; POST and PATCH are not.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Prepends `label` to the URL's host (`bucket.s3.example`), for S3's virtual-host
    /// addressing. An IP address host cannot take one: the request fails when sent.
    pub fn subdomain(mut self, label: &str) -> Self {
        let host = match self.url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            _ => {
                let e = Error::invalid_input(format!(
                    "{} has no domain name to put {label:?} in front of",
                    crate::error::redact_url(&self.url)
                ));
                return self.reject(e);
            }
        };
        if let Err(e) = self.url.set_host(Some(&format!("{label}.{host}"))) {
            let e = Error::invalid_input(format!("{label:?} cannot prefix a host name: {e}"));
            return self.reject(e);
        }
        self
    }

    /// Sends this request without the client's credentials (health endpoints that refuse or
    /// ignore them).
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }

    /// Overrides the client's request timeout for this request.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    fn build_attempt(&self) -> Result<reqwest::Request> {
        let inner = &self.client.inner;
        let mut rb = inner
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        if !self.anonymous {
            if let Some((name, value)) = inner.auth.header()? {
                rb = rb.header(name, value);
            }
        }
        if let Some(t) = self.timeout {
            rb = rb.timeout(t);
        }
        rb = match &self.body {
            Body::Empty => rb,
            Body::Bytes { content_type, data } => rb
                .header(CONTENT_TYPE, content_type.clone())
                .body(data.clone()),
            Body::Multipart(m) => rb.multipart(m.to_form()?),
        };
        let mut req = rb.build().map_err(|e| {
            Error::invalid_input("cannot build the request").with_source(e.without_url())
        })?;
        if let (crate::Auth::SigV4(signer), false) = (&inner.auth, self.anonymous) {
            let body: &[u8] = match &self.body {
                Body::Empty => &[],
                Body::Bytes { data, .. } => data,
                Body::Multipart(_) => {
                    return Err(Error::invalid_input(
                        "a multipart body cannot be signed with SigV4",
                    ))
                }
            };
            let (method, url) = (req.method().as_str().to_owned(), req.url().clone());
            signer.sign(&method, &url, req.headers_mut(), body, chrono::Utc::now())?;
        }
        Ok(req)
    }

    /// Sends the request, retrying as the client's policy allows, and returns the response if
    /// its status is a success (2xx).
    ///
    /// # Errors
    /// A status error ([`ErrorKind::NotFound`], [`ErrorKind::Server`], ...) carrying the body
    /// snippet, or [`ErrorKind::Transport`] / [`ErrorKind::Timeout`].
    pub async fn send(self) -> Result<Response> {
        let (resp, this) = self.send_raw().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(Response {
                inner: resp,
                max_body: this.client.inner.max_body,
                method: this.method,
                url: this.url,
            });
        }
        Err(status_error(&this.method, &this.url, resp).await)
    }

    async fn send_raw(mut self) -> Result<(reqwest::Response, Self)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let started = Instant::now();
        let policy = self.client.inner.retry.clone();
        let mut retries = 0u32;
        loop {
            let req = self
                .build_attempt()
                .map_err(|e| e.with_request(&self.method, &self.url))?;
            let t0 = Instant::now();
            let result = self.client.inner.http.execute(req).await;
            let (failure, outcome) = match result {
                Ok(resp) => {
                    let status = resp.status();
                    tracing::debug!(
                        method = %self.method,
                        url = %crate::error::redact_url(&self.url),
                        status = status.as_u16(),
                        elapsed_ms = t0.elapsed().as_millis() as u64,
                        "http request"
                    );
                    if status.is_success() || !crate::RetryPolicy::is_retryable_status(status) {
                        return Ok((resp, self));
                    }
                    let after = parse_retry_after(resp.headers(), SystemTime::now());
                    (Failure::Status(status, after), Ok(resp))
                }
                Err(e) => {
                    let f = if e.is_connect() {
                        Failure::Connect
                    } else {
                        Failure::Sent
                    };
                    (f, Err(transport_error(e, &self.method, &self.url)))
                }
            };
            let delay = policy.decide(
                retries,
                self.idempotent,
                failure,
                started.elapsed(),
                fastrand::f64(),
            );
            match (delay, outcome) {
                (None, Ok(resp)) => return Ok((resp, self)),
                (None, Err(e)) => return Err(e),
                (Some(d), outcome) => {
                    tracing::warn!(
                        method = %self.method,
                        url = %crate::error::redact_url(&self.url),
                        failure = ?failure,
                        retry = retries + 1,
                        delay_ms = d.as_millis() as u64,
                        "retrying request"
                    );
                    drop(outcome);
                    tokio::time::sleep(d).await;
                    retries += 1;
                }
            }
        }
    }

    /// Sends the request and decodes a JSON answer into `T`. A decode failure names the JSON
    /// path of the offending value.
    ///
    /// # Errors
    /// As [`RequestBuilder::send`], plus [`ErrorKind::Decode`].
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        self.send().await?.json().await
    }

    /// Sends the request and returns the decoded JSON answer with the response headers.
    ///
    /// # Errors
    /// As [`RequestBuilder::json`].
    pub async fn json_with_headers<T: DeserializeOwned>(self) -> Result<(T, HeaderMap)> {
        let resp = self.send().await?;
        let headers = resp.headers().clone();
        Ok((resp.json().await?, headers))
    }

    /// Sends the request and discards the body of the successful answer.
    ///
    /// # Errors
    /// As [`RequestBuilder::send`].
    pub async fn no_content(self) -> Result<()> {
        self.send().await?.bytes().await.map(|_| ())
    }

    /// Sends the request and returns the body as text.
    ///
    /// # Errors
    /// As [`RequestBuilder::send`], plus [`ErrorKind::Decode`] if the body is not UTF-8.
    pub async fn text(self) -> Result<String> {
        self.send().await?.text().await
    }

    /// Sends the request and returns the raw body.
    ///
    /// # Errors
    /// As [`RequestBuilder::send`].
    pub async fn bytes(self) -> Result<Bytes> {
        self.send().await?.bytes().await
    }

    /// Sends the request and streams the body into `writer`, returning the bytes written. The
    /// body is never held in memory whole.
    ///
    /// # Errors
    /// As [`RequestBuilder::send`], plus [`ErrorKind::Io`] if writing fails.
    pub async fn download<W: AsyncWrite + Unpin>(self, writer: &mut W) -> Result<u64> {
        self.send().await?.download(writer).await
    }

    /// Sends the request and answers whether the resource exists: `true` on 2xx, `false` on
    /// 404 (for `HEAD` existence checks).
    ///
    /// # Errors
    /// Any other status, or a transport error.
    pub async fn exists(self) -> Result<bool> {
        let (resp, this) = self.send_raw().await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error(&this.method, &this.url, resp).await),
        }
    }
}

/// A successful response.
pub struct Response {
    inner: reqwest::Response,
    method: Method,
    url: Url,
    max_body: u64,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("method", &self.method)
            .field("url", &crate::error::redact_url(&self.url))
            .field("status", &self.inner.status())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// A header as text, if present and valid.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name)?.to_str().ok()
    }

    /// The body as bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] or [`ErrorKind::Timeout`] while reading.
    pub async fn bytes(self) -> Result<Bytes> {
        let (m, u) = (self.method, self.url);
        read_capped(self.inner, self.max_body)
            .await
            .map_err(|e| match e {
                Capped::Transport(e) => transport_error(e, &m, &u),
                Capped::TooLarge(n) => Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "the answer is larger than the {n} bytes this client reads into memory"
                    ),
                )
                .with_request(&m, &u),
            })
    }

    /// The body as UTF-8 text.
    ///
    /// # Errors
    /// As [`Response::bytes`], plus [`ErrorKind::Decode`].
    pub async fn text(self) -> Result<String> {
        let (m, u) = (self.method.clone(), self.url.clone());
        let b = self.bytes().await?;
        String::from_utf8(b.to_vec()).map_err(|e| {
            Error::new(ErrorKind::Decode, "body is not UTF-8 text")
                .with_request(&m, &u)
                .with_source(e)
        })
    }

    /// The body decoded as JSON into `T`.
    ///
    /// # Errors
    /// As [`Response::bytes`], plus [`ErrorKind::Decode`] with the JSON path of the failure.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let (m, u) = (self.method.clone(), self.url.clone());
        let ct = self.header("content-type").map(str::to_owned);
        let body = self.bytes().await?;
        decode_json(&body).map_err(|e| e.with_request(&m, &u).with_body(&body, ct.as_deref()))
    }

    /// The body as a stream of chunks.
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes>> {
        let (m, u) = (self.method, self.url);
        self.inner
            .bytes_stream()
            .map(move |r| r.map_err(|e| transport_error(e, &m, &u)))
    }

    /// Streams the body into `writer`, returning the bytes written.
    ///
    /// # Errors
    /// As [`Response::bytes`], plus [`ErrorKind::Io`] if writing fails.
    pub async fn download<W: AsyncWrite + Unpin>(self, writer: &mut W) -> Result<u64> {
        let (m, u) = (self.method.clone(), self.url.clone());
        let mut stream = std::pin::pin!(self.bytes_stream());
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(|e| {
                Error::new(ErrorKind::Io, "writing the downloaded body failed")
                    .with_request(&m, &u)
                    .with_source(e)
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|e| {
            Error::new(ErrorKind::Io, "flushing the downloaded body failed")
                .with_request(&m, &u)
                .with_source(e)
        })?;
        Ok(written)
    }
}

/// Decodes JSON into `T`, naming the path of the first value that does not fit.
///
/// The body is parsed once, directly; only a body that fails is parsed again with path
/// tracking, so the common case pays nothing for the better error.
///
/// # Errors
/// [`ErrorKind::Decode`] with [`Error::decode_path`] set.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Err(Error::new(ErrorKind::Decode, inner.to_string()).with_decode_path(path))
        }
    }
}

fn transport_error(e: reqwest::Error, method: &Method, url: &Url) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    let msg = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "no complete answer in time"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the body"
    } else {
        "the request failed"
    };
    Error::new(kind, msg)
        .with_request(method, url)
        .with_source(e.without_url())
}

/// How much of an error answer is read: enough for any snippet.
const ERROR_BODY_MAX: usize = 64 * 1024;

enum Capped {
    Transport(reqwest::Error),
    TooLarge(u64),
}

/// Reads a body into memory, refusing one larger than `limit` (announced or actual).
async fn read_capped(
    mut resp: reqwest::Response,
    limit: u64,
) -> std::result::Result<Bytes, Capped> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(Capped::TooLarge(limit));
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(Capped::Transport)? {
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(Capped::TooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The first `limit` bytes of a body (an error answer: only its start is ever shown).
async fn read_prefix(mut resp: reqwest::Response, limit: usize) -> Bytes {
    let mut buf = bytes::BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= limit {
            break;
        }
    }
    buf.freeze()
}

async fn status_error(method: &Method, url: &Url, resp: reqwest::Response) -> Error {
    let status = resp.status();
    let after = parse_retry_after(resp.headers(), SystemTime::now());
    let ct = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let location = resp
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A body that cannot be read is not worth hiding the status for; only its start is shown.
    let body = read_prefix(resp, ERROR_BODY_MAX).await;
    let mut e = Error::bare(ErrorKind::from_status(status));
    if let Some(loc) = location.filter(|_| status.is_redirection()) {
        let shown = url.join(&loc).map_or_else(
            |_| "another location".to_owned(),
            |u| crate::error::redact_url(&u),
        );
        e = Error::new(
            ErrorKind::UnexpectedStatus,
            format!("redirected to {shown}: check the base URL (scheme, host, context path)"),
        );
    }
    e.with_request(method, url)
        .with_status(status)
        .with_retry_after(after)
        .with_body(&body, ct.as_deref())
}

fn serde_urlencoded_pairs<Q: Serialize + ?Sized>(
    pairs: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    query: &Q,
) -> std::result::Result<(), String> {
    let value = serde_json::to_value(query).map_err(|e| e.to_string())?;
    let mut push = |k: &str, v: &serde_json::Value| -> std::result::Result<(), String> {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => {
                pairs.append_pair(k, s);
            }
            serde_json::Value::Bool(b) => {
                pairs.append_pair(k, if *b { "true" } else { "false" });
            }
            serde_json::Value::Number(n) => {
                pairs.append_pair(k, &n.to_string());
            }
            other => return Err(format!("parameter {k:?} is not a scalar: {other}")),
        }
        Ok(())
    };
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in &map {
                if let serde_json::Value::Array(items) = v {
                    for item in items {
                        push(k, item)?;
                    }
                } else {
                    push(k, v)?;
                }
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            for item in items {
                match item {
                    serde_json::Value::Array(kv) if kv.len() == 2 => {
                        let k = kv[0].as_str().ok_or("a pair key is not a string")?;
                        push(k, &kv[1])?;
                    }
                    _ => return Err("expected a list of [key, value] pairs".to_owned()),
                }
            }
            Ok(())
        }
        serde_json::Value::Null => Ok(()),
        other => Err(format!("expected a struct or a list of pairs, got {other}")),
    }
}
