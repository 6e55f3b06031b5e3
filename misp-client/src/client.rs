//! [`Misp`], its builder, and the request helpers every area uses.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString};

use crate::error::{Error, Result};

/// A MISP client. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Misp {
    http: HttpClient,
}

/// Builds a [`Misp`] client; every setting is checked in [`MispBuilder::build`].
#[derive(Debug)]
pub struct MispBuilder {
    http: soc_http::ClientBuilder,
    key: Option<SecretString>,
    header: &'static str,
}

impl Misp {
    /// Starts building a client for MISP at `url` (a sub-directory install such as
    /// `https://soc.example/misp` works).
    ///
    /// # Errors
    /// [`Error::Http`] with an invalid-input kind if `url` is not an absolute `http(s)` URL.
    pub fn builder(url: &str) -> Result<MispBuilder> {
        Ok(MispBuilder {
            http: HttpClient::builder(url)?
                .user_agent(concat!("misp-client/", env!("CARGO_PKG_VERSION")))
                .default_header("accept", "application/json"),
            key: None,
            header: "Authorization",
        })
    }

    /// Wraps a transport built elsewhere (with its credentials and `Accept: application/json`).
    #[must_use]
    pub fn from_http(http: HttpClient) -> Self {
        Self { http }
    }

    /// The underlying transport.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A request to a path of MISP's, given as segments. Spaces become `+`, as CakePHP wants
    /// them in paths; CakePHP named parameters are plain segments (`"page:2"`).
    pub fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let segs: Vec<String> = segments.iter().map(|s| s.replace(' ', "+")).collect();
        self.http.request(method, segs)
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        decode(self.request(Method::GET, segments)).await
    }

    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        decode(self.request(Method::POST, segments).json_body(body)).await
    }

    /// A POST without a body (publish, enable, delete ...).
    pub(crate) async fn post_empty<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        decode(self.request(Method::POST, segments)).await
    }

    /// A POST of an idempotent read (a search): safe to send again after a failure.
    pub(crate) async fn read<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        decode(
            self.request(Method::POST, segments)
                .idempotent(true)
                .json_body(body),
        )
        .await
    }

    /// `HEAD`: 200 is true, 404 false.
    pub(crate) async fn exists(&self, segments: &[&str]) -> Result<bool> {
        Ok(self.request(Method::HEAD, segments).exists().await?)
    }
}

/// Sends and decodes a JSON answer. MISP in debug mode prepends PHP notices
/// (`<pre class="cake-error">...`) to JSON bodies: they are logged and skipped. An empty body
/// where JSON is expected is an error.
pub(crate) async fn decode<T: DeserializeOwned>(r: RequestBuilder) -> Result<T> {
    let (method, url) = (r.method().clone(), r.url().clone());
    let body: Bytes = r.bytes().await?;
    decode_body(&body).map_err(|e| match e {
        Error::Http(h) => Error::Http(h.with_request(&method, &url).with_body(&body, None)),
        Error::InvalidInput(m) => {
            Error::InvalidInput(format!("{method} {}: {m}", soc_http::redact_url(&url)))
        }
        other => other,
    })
}

pub(crate) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::InvalidInput(
            "MISP answered an empty body where JSON was expected".into(),
        ));
    }
    match soc_http::decode_json(body) {
        Ok(v) => Ok(v),
        Err(e) => match strip_php_notices(body) {
            Some((notices, json)) => {
                tracing::warn!(notices = %notices, "MISP prepended PHP notices to its answer (is debug mode on?)");
                Ok(soc_http::decode_json(json)?)
            }
            None => Err(e.into()),
        },
    }
}

/// Splits `<pre class="cake-error">...</pre>` notices off the JSON that follows them.
fn strip_php_notices(body: &[u8]) -> Option<(String, &[u8])> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with("<pre class=\"cake-error\"") {
        return None;
    }
    let end = text.rfind("</pre>")? + "</pre>".len();
    let notices = text[..end].to_owned();
    Some((notices, text[end..].trim_start().as_bytes()))
}

impl MispBuilder {
    /// The API key of an API-enabled user (sent as `Authorization: <key>`).
    #[must_use]
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sends the key in `X-MISP-AUTH` instead of `Authorization` (for a proxy that uses
    /// `Authorization` itself).
    #[must_use]
    pub fn key_in_x_misp_auth(mut self) -> Self {
        self.header = "X-MISP-AUTH";
        self
    }

    soc_http::transport_options!();

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without a key; [`Error::Http`] for an unreadable CA file or a key
    /// that cannot go in a header.
    pub fn build(self) -> Result<Misp> {
        let key = self.key.ok_or_else(|| {
            Error::InvalidInput("no API key: call api_key() on the builder".into())
        })?;
        let auth = Auth::api_key(self.header, key)?;
        Ok(Misp {
            http: self.http.auth(auth).build()?,
        })
    }
}
