//! The client builder and the pooled, cheaply cloned client.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::request::RequestBuilder;
use crate::retry::RetryPolicy;

/// The default time allowed to establish a connection (including TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time allowed for a whole request, response body included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest answer read into memory unless set otherwise: 256 MiB. Streamed reads
/// (downloads, byte streams) are not limited.
pub const DEFAULT_MAX_BODY: u64 = 256 * 1024 * 1024;

/// Builds an [`HttpClient`], validating everything before the first request.
///
/// ```
/// # fn main() -> Result<(), soc_http::Error> {
/// use std::time::Duration;
/// use soc_http::{Auth, HttpClient};
///
/// let client = HttpClient::builder("https://soc.example/thehive")?
///     .auth(Auth::bearer("an-api-key".to_owned()))
///     .request_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://soc.example/thehive/");
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    base: Url,
    auth: Auth,
    user_agent: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    ca_pems: Vec<(String, Vec<u8>)>,
    identity_pem: Option<(String, Vec<u8>)>,
    accept_invalid_certs: bool,
    retry: RetryPolicy,
    headers: HeaderMap,
    max_body: u64,
    error: Option<Error>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base", &crate::error::redact_url(&self.base))
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("ca", &self.ca_pems.iter().map(|c| &c.0).collect::<Vec<_>>())
            .field("identity", &self.identity_pem.as_ref().map(|i| &i.0))
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Parses a base URL for an API: `http` or `https`, no query or fragment, no credentials, and a
/// path that ends in `/` so that relative paths append to it (a context path such as
/// `/thehive` is kept).
///
/// # Errors
/// [`crate::ErrorKind::InvalidInput`] naming the URL and what is wrong with it.
pub fn parse_base_url(base: &str) -> Result<Url> {
    let mut url = Url::parse(base.trim())
        .map_err(|e| Error::invalid_input(format!("base URL {base:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_input(format!(
            "base URL {base:?}: scheme must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(format!(
            "base URL {}: must not carry a query or fragment",
            crate::error::redact_url(&url)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(format!(
            "base URL {}: credentials belong in the auth settings, not in the URL",
            crate::error::redact_url(&url)
        )));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

impl ClientBuilder {
    fn new(base: &str) -> Result<Self> {
        Ok(Self {
            base: parse_base_url(base)?,
            auth: Auth::None,
            user_agent: concat!("soc-http/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ca_pems: Vec::new(),
            identity_pem: None,
            accept_invalid_certs: false,
            retry: RetryPolicy::default(),
            headers: HeaderMap::new(),
            max_body: DEFAULT_MAX_BODY,
            error: None,
        })
    }

    /// The credentials sent with every request.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// The time allowed to establish a connection. Default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// The time allowed for a whole request, body included. Default 60 s. A request may
    /// override it.
    #[must_use]
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Trusts the certificates of a PEM bundle in addition to the system roots (the answer to a
    /// self-signed or private CA).
    #[must_use]
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pems.push(("<in memory>".to_owned(), pem.into()));
        self
    }

    /// Trusts the certificates of a PEM file in addition to the system roots.
    #[must_use]
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(pem) => self.ca_pems.push((path.display().to_string(), pem)),
            Err(e) => self.fail(
                Error::invalid_input(format!("CA file {}: cannot read it", path.display()))
                    .with_source(e),
            ),
        }
        self
    }

    /// A client certificate and its private key, both PEM, in one buffer.
    #[must_use]
    pub fn identity_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.identity_pem = Some(("<in memory>".to_owned(), pem.into()));
        self
    }

    /// A client certificate and its private key from a PEM file holding both.
    #[must_use]
    pub fn identity_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(pem) => self.identity_pem = Some((path.display().to_string(), pem)),
            Err(e) => self.fail(
                Error::invalid_input(format!(
                    "client identity {}: cannot read it",
                    path.display()
                ))
                .with_source(e),
            ),
        }
        self
    }

    /// Turns certificate verification off. Anyone on the path can then read and change the
    /// traffic, credentials included; prefer [`ClientBuilder::ca_file`]. Logged as a warning when
    /// the client is built.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.accept_invalid_certs = yes;
        self
    }

    /// How failed requests are retried.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A header sent with every request.
    #[must_use]
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.fail(Error::invalid_input(format!(
                "default header {name:?}: invalid name or value"
            ))),
        }
        self
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// The largest answer read into memory (default [`DEFAULT_MAX_BODY`]); a larger one is an
    /// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) error, not an exhausted host.
    #[must_use]
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] if a CA or identity file is unreadable or holds no
    /// usable PEM, a header is invalid, or the credentials cannot be sent in a header.
    pub fn build(self) -> Result<HttpClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.auth.validate()?;
        let mut b = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_built_in_root_certs(true)
            .default_headers(self.headers);
        for (origin, pem) in &self.ca_pems {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::invalid_input(format!("CA {origin}: not a PEM certificate bundle"))
                    .with_source(e)
            })?;
            if certs.is_empty() {
                return Err(Error::invalid_input(format!(
                    "CA {origin}: no certificate found in it"
                )));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if let Some((origin, pem)) = &self.identity_pem {
            let id = reqwest::Identity::from_pem(pem).map_err(|e| {
                Error::invalid_input(format!(
                    "client identity {origin}: needs a PEM certificate and private key"
                ))
                .with_source(e)
            })?;
            b = b.identity(id);
        }
        if self.accept_invalid_certs {
            tracing::warn!(
                base = %crate::error::redact_url(&self.base),
                "TLS certificate verification is OFF for this client: traffic and credentials can be intercepted; use a CA file instead"
            );
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(|e| {
            Error::invalid_input("cannot build the HTTP client").with_source(e.without_url())
        })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http,
                base: self.base,
                auth: self.auth,
                retry: self.retry,
                insecure: self.accept_invalid_certs,
                max_body: self.max_body,
            }),
        })
    }
}

/// A pooled HTTP client bound to one API's base URL and credentials.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryPolicy,
    insecure: bool,
    pub(crate) max_body: u64,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &crate::error::redact_url(&self.inner.base))
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .field("insecure", &self.inner.insecure)
            .finish()
    }
}

impl HttpClient {
    /// Starts building a client for the API at `base` (which may carry a context path).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] if `base` is not an absolute `http(s)` URL without
    /// query, fragment or credentials.
    pub fn builder(base: &str) -> Result<ClientBuilder> {
        ClientBuilder::new(base)
    }

    /// The same client (pool, TLS, timeouts, retries) with other credentials: an anonymous
    /// bootstrap client that has just created an account can continue with its key.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] if the credentials cannot be sent in a header.
    pub fn with_auth(&self, auth: Auth) -> Result<HttpClient> {
        auth.validate()?;
        let i = &self.inner;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http: i.http.clone(),
                base: i.base.clone(),
                auth,
                retry: i.retry.clone(),
                insecure: i.insecure,
                max_body: i.max_body,
            }),
        })
    }

    /// The base URL, always ending in `/`.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The URL of `segments` under the base URL. Each segment is percent-encoded, so IDs such
    /// as `~123` or names with `/` or spaces stay one segment.
    #[must_use]
    pub fn url<I>(&self, segments: I) -> Url
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut url = self.inner.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request to `segments` under the base URL. A segment that is empty, `.` or `..` would
    /// change the path's meaning: the request then fails with an invalid-input error when sent.
    pub fn request<I>(&self, method: Method, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let segments: Vec<I::Item> = segments.into_iter().collect();
        let bad = segments
            .iter()
            .map(AsRef::as_ref)
            .find(|s| s.is_empty() || *s == "." || *s == "..")
            .map(str::to_owned);
        let url = self.url(segments);
        let r = RequestBuilder::new(self.clone(), method, url);
        match bad {
            Some(s) => r.reject(Error::invalid_input(format!(
                "path segment {s:?} (an empty, \".\" or \"..\" identifier) would change the route"
            ))),
            None => r,
        }
    }

    /// A `GET` request.
    pub fn get<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::GET, segments)
    }

    /// A `POST` request (not idempotent unless marked so).
    pub fn post<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::POST, segments)
    }

    /// A `PUT` request.
    pub fn put<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::PUT, segments)
    }

    /// A `PATCH` request (not idempotent unless marked so).
    pub fn patch<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::PATCH, segments)
    }

    /// A `DELETE` request.
    pub fn delete<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::DELETE, segments)
    }

    /// A `HEAD` request.
    pub fn head<I>(&self, segments: I) -> RequestBuilder
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.request(Method::HEAD, segments)
    }
}

/// Writes the transport options every client builder offers, forwarding to its `http` field (a
/// [`ClientBuilder`]): CA certificates, a client identity, the insecure opt-in, timeouts,
/// retries and the user agent. Use inside the builder's `impl` block.
#[macro_export]
macro_rules! transport_options {
    () => {
        /// Trusts the CA certificates of a PEM file beside the system roots (the answer to a
        /// self-signed or private-CA server).
        #[must_use]
        pub fn ca_file(mut self, path: impl AsRef<::std::path::Path>) -> Self {
            self.http = self.http.ca_file(path);
            self
        }

        /// Trusts the CA certificates of a PEM document beside the system roots.
        #[must_use]
        pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.http = self.http.ca_pem(pem);
            self
        }

        /// Presents a client certificate (a PEM file holding the certificate and its key).
        #[must_use]
        pub fn identity_file(mut self, path: impl AsRef<::std::path::Path>) -> Self {
            self.http = self.http.identity_file(path);
            self
        }

        /// Presents a client certificate (a PEM document holding the certificate and its key).
        #[must_use]
        pub fn identity_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.http = self.http.identity_pem(pem);
            self
        }

        /// Turns TLS certificate verification off, logged as a warning on every client built.
        /// Prefer [`Self::ca_file`].
        #[must_use]
        pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
            self.http = self.http.danger_accept_invalid_certs(yes);
            self
        }

        /// Time allowed to connect. Default 10 s.
        #[must_use]
        pub fn connect_timeout(mut self, d: ::std::time::Duration) -> Self {
            self.http = self.http.connect_timeout(d);
            self
        }

        /// Time allowed per request, answer included. Default 60 s.
        #[must_use]
        pub fn request_timeout(mut self, d: ::std::time::Duration) -> Self {
            self.http = self.http.request_timeout(d);
            self
        }

        /// The retry policy (`RetryPolicy::none()` turns retries off).
        #[must_use]
        pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
            self.http = self.http.retry(policy);
            self
        }

        /// The `User-Agent` sent.
        #[must_use]
        pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
            self.http = self.http.user_agent(ua);
            self
        }
    };
}
