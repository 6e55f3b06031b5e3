//! The error type of this crate.

use std::time::Duration;

use serde_json::Value;

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when talking to Cortex.
///
/// Cortex answers errors in several shapes; each has its variant, with the server's message:
/// its JSON `{type, message}` bodies ([`Error::Api`]), a 207 multi-status ([`Error::Multi`]),
/// Play's plain-text client errors ([`Error::Play`]), and the 520 of a fresh install whose
/// database does not exist yet ([`Error::NotInitialized`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cortex answered its `{"type", "message"}` error body (`NotFoundError`,
    /// `AuthenticationError`, `AuthorizationError`, `AttributeCheckingError` ...).
    #[error("cortex {kind}: {message}")]
    Api {
        /// The error type.
        kind: String,
        /// The message.
        message: String,
        /// The request, status and body.
        #[source]
        source: soc_http::Error,
    },
    /// Part of a multi-item request failed (207): each sub-error as Cortex sent it.
    #[error("cortex: {message} ({} failures)", errors.len())]
    Multi {
        /// The summary.
        message: String,
        /// One entry per failure.
        errors: Vec<Value>,
    },
    /// The web framework rejected the request before Cortex saw it (a plain-text answer such as
    /// "A client error occurred on GET /x : ...").
    #[error("cortex rejected the request: {message}")]
    Play {
        /// The text.
        message: String,
        /// The request, status and body.
        #[source]
        source: soc_http::Error,
    },
    /// The database does not exist yet (status 520): a fresh install that needs
    /// `maintenance().migrate()` (or [`crate::bootstrap`]).
    #[error("cortex database is not initialised: run the migration first")]
    NotInitialized {
        /// The request.
        #[source]
        source: soc_http::Error,
    },
    /// A job did not finish before the deadline.
    #[error("job {job} still {status} after {waited:?}")]
    WaitTimeout {
        /// The job id.
        job: String,
        /// Its last known status.
        status: String,
        /// How long it was waited for.
        waited: Duration,
    },
    /// An entity looked up by name does not exist.
    #[error("{entity} {name:?} not found")]
    NotFound {
        /// The kind of entity.
        entity: &'static str,
        /// The name that was looked for.
        name: String,
    },
    /// An argument or a bootstrap precondition was rejected before any request.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Any other failure: transport, unexpected status, decoding.
    #[error(transparent)]
    Http(soc_http::Error),
}

impl From<soc_http::Error> for Error {
    fn from(e: soc_http::Error) -> Self {
        let status = e.status().map(|s| s.as_u16());
        if status == Some(520) {
            return Self::NotInitialized { source: e };
        }
        if let Some(body) = e.body_json() {
            if let Some(kind) = body.get("type").and_then(Value::as_str) {
                let message = api_message(body);
                return Self::Api {
                    kind: kind.to_owned(),
                    message,
                    source: e,
                };
            }
        }
        let is_play_text = status.is_some_and(|s| (400..500).contains(&s))
            && e.body_json().is_none()
            && e.body_snippet().is_some();
        if is_play_text {
            let message = e.body_snippet().unwrap_or_default().to_owned();
            return Self::Play { message, source: e };
        }
        Self::Http(e)
    }
}

/// The message of an error body: `message`, or for attribute errors the message of each
/// failing attribute.
fn api_message(body: &Value) -> String {
    if let Some(m) = body.get("message").and_then(Value::as_str) {
        return m.to_owned();
    }
    let per_attribute: Vec<String> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    match (
                        e.get("name").and_then(Value::as_str),
                        e.get("message").and_then(Value::as_str),
                    ) {
                        (_, Some(m)) => m.to_owned(),
                        (Some(n), None) => format!("attribute {n} is invalid"),
                        (None, None) => e.to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if per_attribute.is_empty() {
        body.to_string()
    } else {
        per_attribute.join("; ")
    }
}

impl Error {
    /// The HTTP status of Cortex's answer, if there was one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Multi { .. } => Some(207),
            _ => self.http()?.status().map(|s| s.as_u16()),
        }
    }

    /// The transport error, when a request was involved.
    #[must_use]
    pub fn http(&self) -> Option<&soc_http::Error> {
        match self {
            Self::Api { source, .. }
            | Self::Play { source, .. }
            | Self::NotInitialized { source }
            | Self::Http(source) => Some(source),
            _ => None,
        }
    }

    /// The `type` of Cortex's error body, if any.
    #[must_use]
    pub fn api_type(&self) -> Option<&str> {
        match self {
            Self::Api { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Whether the entity does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. }) || self.status() == Some(404)
    }

    /// Whether the credentials were missing or refused (401).
    #[must_use]
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == Some(401)
    }
}
