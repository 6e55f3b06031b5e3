//! [`TheHive`], its builder, and the request helpers every area uses.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString};

use crate::error::{Error, Result};

/// A TheHive 5 client. Cheap to clone; clones share one connection pool.
///
/// Every area of the API is a handle borrowed from it: [`TheHive::alerts`], [`TheHive::cases`],
/// [`TheHive::query`] ...
#[derive(Debug, Clone)]
pub struct TheHive {
    http: HttpClient,
    organisation: Option<String>,
    pub(crate) download_timeout: Duration,
}

/// The default time allowed for a download (attachments, exports, reports) to complete.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Builds a [`TheHive`] client; every setting is checked in [`TheHiveBuilder::build`].
#[derive(Debug)]
pub struct TheHiveBuilder {
    http: soc_http::ClientBuilder,
    auth: Option<Auth>,
    organisation: Option<String>,
    download_timeout: Duration,
}

impl TheHive {
    /// Starts building a client for TheHive at `url` (which may include a context path such as
    /// `https://soc.example/thehive`).
    ///
    /// # Errors
    /// [`Error::Http`] with an invalid-input kind if `url` is not an absolute `http(s)` URL.
    pub fn builder(url: &str) -> Result<TheHiveBuilder> {
        Ok(TheHiveBuilder {
            http: HttpClient::builder(url)?
                .user_agent(concat!("thehive-client/", env!("CARGO_PKG_VERSION"))),
            auth: None,
            organisation: None,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
        })
    }

    /// Wraps a transport built elsewhere (its base URL is TheHive's).
    #[must_use]
    pub fn from_http(http: HttpClient) -> Self {
        Self {
            http,
            organisation: None,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
        }
    }

    /// The same client acting in another organisation (`X-Organisation`), for one call or many:
    /// `hive.in_organisation("cert").cases().get(&id)`.
    #[must_use]
    pub fn in_organisation(&self, organisation: impl Into<String>) -> Self {
        Self {
            http: self.http.clone(),
            organisation: Some(organisation.into()),
            download_timeout: self.download_timeout,
        }
    }

    /// The same client acting in the user's default organisation.
    #[must_use]
    pub fn in_default_organisation(&self) -> Self {
        Self {
            http: self.http.clone(),
            organisation: None,
            download_timeout: self.download_timeout,
        }
    }

    /// The organisation requests act in, if set.
    #[must_use]
    pub fn organisation(&self) -> Option<&str> {
        self.organisation.as_deref()
    }

    /// The underlying transport, for routes this crate does not wrap.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A request to `/api/v1/<segments>` in the client's organisation.
    pub fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let r = self
            .http
            .request(method, ["api", "v1"].iter().chain(segments.iter()));
        match &self.organisation {
            Some(o) => r.header("X-Organisation", o),
            None => r,
        }
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        Ok(self.request(Method::GET, segments).json().await?)
    }

    pub(crate) async fn get_text(&self, segments: &[&str]) -> Result<String> {
        Ok(self.request(Method::GET, segments).text().await?)
    }

    /// A non-idempotent POST with a JSON body, decoding the answer.
    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        Ok(self
            .request(Method::POST, segments)
            .json_body(body)
            .json()
            .await?)
    }

    /// A GET whose body is streamed into `writer`.
    pub(crate) async fn download<W: tokio::io::AsyncWrite + Unpin>(
        &self,
        segments: &[&str],
        writer: &mut W,
    ) -> Result<u64> {
        Ok(self
            .request(Method::GET, segments)
            .timeout(self.download_timeout)
            .download(writer)
            .await?)
    }

    /// A non-idempotent multipart request, decoding the answer.
    pub(crate) async fn send_form<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        form: soc_http::Multipart,
    ) -> Result<T> {
        Ok(self
            .request(method, segments)
            .multipart(form)
            .json()
            .await?)
    }

    /// A non-idempotent multipart request, ignoring the answer.
    pub(crate) async fn send_form_unit(
        &self,
        method: Method,
        segments: &[&str],
        form: soc_http::Multipart,
    ) -> Result<()> {
        Ok(self
            .request(method, segments)
            .multipart(form)
            .no_content()
            .await?)
    }

    /// A non-idempotent POST without a body, decoding the answer.
    pub(crate) async fn post_empty<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        Ok(self.request(Method::POST, segments).json().await?)
    }

    /// A non-idempotent POST, with or without a JSON body, ignoring the answer.
    pub(crate) async fn post_unit<B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<()> {
        let mut r = self.request(Method::POST, segments);
        if let Some(b) = body {
            r = r.json_body(b);
        }
        Ok(r.no_content().await?)
    }

    /// A PATCH with a JSON body (TheHive answers 204).
    pub(crate) async fn patch<B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<()> {
        Ok(self
            .request(Method::PATCH, segments)
            .json_body(body)
            .no_content()
            .await?)
    }

    /// A PUT, with or without a JSON body, ignoring the answer.
    pub(crate) async fn put_unit<B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<()> {
        let mut r = self.request(Method::PUT, segments);
        if let Some(b) = body {
            r = r.json_body(b);
        }
        Ok(r.no_content().await?)
    }

    /// A PUT with a JSON body, decoding the answer.
    pub(crate) async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T> {
        Ok(self
            .request(Method::PUT, segments)
            .json_body(body)
            .json()
            .await?)
    }

    /// A DELETE, with or without a JSON body.
    pub(crate) async fn delete<B: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<()> {
        let mut r = self.request(Method::DELETE, segments);
        if let Some(b) = body {
            r = r.json_body(b);
        }
        Ok(r.no_content().await?)
    }
}

/// No body, for the `Option<&B>` helpers.
pub(crate) const NO_BODY: Option<&()> = None;

impl TheHiveBuilder {
    /// Authenticates with an API key (`Authorization: Bearer`).
    #[must_use]
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.auth = Some(Auth::bearer(key));
        self
    }

    /// Authenticates with a login and password (HTTP Basic).
    #[must_use]
    pub fn basic(mut self, login: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Some(Auth::basic(login, password));
        self
    }

    /// Acts in this organisation (`X-Organisation`) instead of the user's default one.
    #[must_use]
    pub fn organisation(mut self, organisation: impl Into<String>) -> Self {
        self.organisation = Some(organisation.into());
        self
    }

    soc_http::transport_options!();

    /// Time allowed for a download (attachments, exports, reports) to complete, instead of the
    /// request timeout. Default one hour.
    #[must_use]
    pub fn download_timeout(mut self, d: Duration) -> Self {
        self.download_timeout = d;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without credentials or with an organisation name that cannot be
    /// sent in a header; [`Error::Http`] for an unreadable CA or identity file.
    pub fn build(self) -> Result<TheHive> {
        let auth = self.auth.ok_or_else(|| {
            Error::InvalidInput("no credentials: call api_key() or basic() on the builder".into())
        })?;
        if let Some(o) = &self.organisation {
            if o.is_empty() || o.chars().any(|c| c.is_control()) {
                return Err(Error::InvalidInput(format!(
                    "organisation {o:?} cannot be sent in the X-Organisation header"
                )));
            }
        }
        Ok(TheHive {
            http: self.http.auth(auth).build()?,
            organisation: self.organisation,
            download_timeout: self.download_timeout,
        })
    }
}
