//! [`Es`], its builder, version detection and the request helpers.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString};
use tokio::sync::OnceCell;

use crate::error::{Error, Result};

/// An Elasticsearch or OpenSearch client. Cheap to clone; clones share the connection pool and
/// the server description read once from `GET /`.
#[derive(Debug, Clone)]
pub struct Es {
    http: HttpClient,
    info: Arc<OnceCell<ServerInfo>>,
}

/// Builds an [`Es`] client.
#[derive(Debug)]
pub struct EsBuilder {
    http: soc_http::ClientBuilder,
    auth: Auth,
    info: Option<ServerInfo>,
}

/// Which server answered `GET /`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Elasticsearch.
    Elasticsearch,
    /// OpenSearch.
    OpenSearch,
}

/// `GET /`: the server's name and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Node name.
    pub name: Option<String>,
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// Cluster id.
    pub cluster_uuid: Option<String>,
    /// Version details.
    pub version: VersionInfo,
    /// Fields this crate does not model (`tagline` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /`'s `version` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// `8.19.3`, `2.19.1` ...
    pub number: String,
    /// `opensearch` on OpenSearch; absent on Elasticsearch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    /// Fields this crate does not model (`build_flavor`, `lucene_version` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServerInfo {
    /// Elasticsearch or OpenSearch.
    #[must_use]
    pub fn flavor(&self) -> Flavor {
        if self.version.distribution.as_deref() == Some("opensearch") {
            Flavor::OpenSearch
        } else {
            Flavor::Elasticsearch
        }
    }

    /// The `(major, minor)` version.
    #[must_use]
    pub fn major_minor(&self) -> (u32, u32) {
        let mut parts = self
            .version
            .number
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// The major version.
    #[must_use]
    pub fn major(&self) -> u32 {
        self.major_minor().0
    }

    /// Whether `DELETE <pattern>` would delete every match (Elasticsearch before 8.0, and
    /// OpenSearch, default `action.destructive_requires_name` to false).
    #[must_use]
    pub fn wildcard_delete_allowed_by_default(&self) -> bool {
        self.flavor() == Flavor::OpenSearch || self.major() < 8
    }

    /// The REST compatibility version to send, if any: Elasticsearch 8 and 9 accept their own
    /// major; 7.x answers 406 to the header, and OpenSearch rejects vendor media types.
    #[must_use]
    pub fn compat_major(&self) -> Option<u32> {
        match (self.flavor(), self.major()) {
            (Flavor::Elasticsearch, m @ 8..) => Some(m),
            _ => None,
        }
    }

    /// `Elasticsearch 8.19.3` or `OpenSearch 2.19.1`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.flavor() {
            Flavor::Elasticsearch => format!("Elasticsearch {}", self.version.number),
            Flavor::OpenSearch => format!("OpenSearch {}", self.version.number),
        }
    }
}

impl Es {
    /// Starts building a client for the cluster at `url`.
    ///
    /// # Errors
    /// [`Error::Http`] with an invalid-input kind if `url` is not an absolute `http(s)` URL.
    pub fn builder(url: &str) -> Result<EsBuilder> {
        Ok(EsBuilder {
            http: HttpClient::builder(url)?
                .user_agent(concat!("es-ops/", env!("CARGO_PKG_VERSION"))),
            auth: Auth::None,
            info: None,
        })
    }

    /// Wraps a transport built elsewhere.
    #[must_use]
    pub fn from_http(http: HttpClient) -> Self {
        Self {
            http,
            info: Arc::new(OnceCell::new()),
        }
    }

    /// The underlying transport.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The server's description, read from `GET /` on first use.
    ///
    /// # Errors
    /// A transport, status or decode error of `GET /`.
    pub async fn info(&self) -> Result<&ServerInfo> {
        self.info
            .get_or_try_init(|| async {
                let info: ServerInfo = self.http.get(std::iter::empty::<&str>()).json().await?;
                tracing::debug!(server = %info.describe(), "connected");
                Ok::<_, Error>(info)
            })
            .await
    }

    /// A request to `segments`, with the compatibility `Accept` header where the server wants it.
    ///
    /// # Errors
    /// As [`Es::info`].
    pub async fn request(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder> {
        let compat = self.info().await?.compat_major();
        let r = self.http.request(method, segments.iter());
        Ok(match compat {
            Some(m) => r.header(
                "accept",
                &format!("application/vnd.elasticsearch+json; compatible-with={m}"),
            ),
            None => r.header("accept", "application/json"),
        })
    }

    /// The JSON media type to send bodies with.
    pub(crate) async fn json_type(&self) -> Result<String> {
        Ok(match self.info().await?.compat_major() {
            Some(m) => format!("application/vnd.elasticsearch+json; compatible-with={m}"),
            None => "application/json".to_owned(),
        })
    }

    /// The NDJSON media type to send `_bulk` bodies with.
    pub(crate) async fn ndjson_type(&self) -> Result<String> {
        Ok(match self.info().await?.compat_major() {
            Some(m) => format!("application/vnd.elasticsearch+x-ndjson; compatible-with={m}"),
            None => "application/x-ndjson".to_owned(),
        })
    }

    /// Sends a request with an optional JSON body and query, and decodes the answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T> {
        let r = self.prepare(method, segments, query, body).await?;
        Ok(r.json().await?)
    }

    pub(crate) async fn prepare(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<RequestBuilder> {
        let mut r = self.request(method, segments).await?;
        for (k, v) in query {
            r = r.query_pair(k, v);
        }
        if let Some(b) = body {
            let ct = self.json_type().await?;
            r = r.json_body_as(&ct, b);
        }
        Ok(r)
    }

    /// Fails with [`Error::Unsupported`] unless the server is of `flavor`.
    pub(crate) async fn require(
        &self,
        flavor: Flavor,
        operation: &'static str,
    ) -> Result<&ServerInfo> {
        let info = self.info().await?;
        if info.flavor() == flavor {
            Ok(info)
        } else {
            Err(Error::Unsupported {
                operation,
                server: info.describe(),
            })
        }
    }
}

/// `{"acknowledged": true, ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledged {
    /// Whether the change was acknowledged by the cluster.
    pub acknowledged: bool,
    /// Fields this crate does not model (`shards_acknowledged`, `index` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EsBuilder {
    /// HTTP Basic authentication (the `elastic` user, a service user).
    #[must_use]
    pub fn basic(mut self, user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        self.auth = Auth::basic(user, password);
        self
    }

    /// An Elasticsearch API key in its `encoded` form (`Authorization: ApiKey <encoded>`).
    #[must_use]
    pub fn api_key(mut self, encoded: impl Into<SecretString>) -> Self {
        self.auth = Auth::with_scheme("ApiKey", encoded);
        self
    }

    /// An Elasticsearch API key from its `id` and `api_key` parts.
    #[must_use]
    pub fn api_key_parts(self, id: &str, key: &SecretString) -> Self {
        self.api_key(soc_http::encode_credentials(id, key))
    }

    /// A bearer token (a service account token, an OAuth token).
    #[must_use]
    pub fn bearer(mut self, token: impl Into<SecretString>) -> Self {
        self.auth = Auth::bearer(token);
        self
    }

    soc_http::transport_options!();

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Http`] for an unreadable CA file or credentials that cannot go in a header.
    pub fn build(self) -> Result<Es> {
        let es = Es::from_http(self.http.auth(self.auth).build()?);
        if let Some(info) = self.info {
            // A fresh cell: setting it cannot fail.
            let _ = es.info.set(info);
        }
        Ok(es)
    }

    /// Uses this description of the server instead of reading `GET /` (when the caller already
    /// knows it, or the user may not read `/`).
    #[must_use]
    pub fn server_info(mut self, info: ServerInfo) -> Self {
        self.info = Some(info);
        self
    }
}
