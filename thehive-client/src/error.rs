//! The error type of this crate.

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when talking to TheHive.
///
/// Every variant that involves a request carries the transport error, with the method, the
/// redacted URL, the status and a snippet of TheHive's `{"type", "message"}` body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An alert with the same `type`, `source` and `sourceRef` already exists. TheHive answers
    /// this with 400 (not 409); this variant lets callers treat a replayed create as done.
    #[error("alert already exists: {message}")]
    AlertAlreadyExists {
        /// TheHive's message.
        message: String,
        /// The underlying HTTP error.
        #[source]
        source: soc_http::Error,
    },
    /// An entity that TheHive can only fetch through the Query API was not there.
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of entity (`comment`, `procedure`, ...).
        entity: &'static str,
        /// The identifier that was asked for.
        id: String,
    },
    /// An argument was rejected before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Any other failure: transport, status, decoding.
    #[error(transparent)]
    Http(#[from] soc_http::Error),
}

impl Error {
    /// The HTTP status of TheHive's answer, if there was one.
    #[must_use]
    pub fn status(&self) -> Option<soc_http::StatusCode> {
        match self {
            Self::AlertAlreadyExists { source, .. } | Self::Http(source) => source.status(),
            Self::NotFound { .. } | Self::InvalidInput(_) => None,
        }
    }

    /// Whether the entity does not exist (a 404, or an empty Query API answer).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::NotFound { .. } => true,
            Self::Http(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// The `type` of TheHive's error body (`NotFoundError`, `CreateError`, `AuthorizationError`
    /// ...), when it answered with one.
    #[must_use]
    pub fn api_type(&self) -> Option<&str> {
        self.http()?.body_json()?.get("type")?.as_str()
    }

    /// The `message` of TheHive's error body, when it answered with one.
    #[must_use]
    pub fn api_message(&self) -> Option<&str> {
        self.http()?.body_json()?.get("message")?.as_str()
    }

    /// The transport error, when a request was involved.
    #[must_use]
    pub fn http(&self) -> Option<&soc_http::Error> {
        match self {
            Self::AlertAlreadyExists { source, .. } | Self::Http(source) => Some(source),
            _ => None,
        }
    }

    /// Recognises TheHive's duplicate-alert answer: 400 with a `CreateError` whose message says
    /// the alert already exists.
    pub(crate) fn from_alert_create(e: soc_http::Error) -> Self {
        let duplicate = e.status() == Some(soc_http::StatusCode::BAD_REQUEST)
            && e.body_json().is_some_and(|b| {
                let ty = b.get("type").and_then(|t| t.as_str()).unwrap_or_default();
                let msg = b
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or_default();
                ty == "CreateError" && msg.contains("already exist")
            });
        if duplicate {
            let message = e
                .body_json()
                .and_then(|b| b.get("message"))
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_owned();
            Self::AlertAlreadyExists { message, source: e }
        } else {
            Self::Http(e)
        }
    }
}
