//! The error type of this crate.

use serde_json::Value;

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered its error body (`{"error": {"type", "reason", "root_cause"}, "status"}`).
    #[error("{kind}: {reason}")]
    Es {
        /// The HTTP status.
        status: u16,
        /// `error.type` (`index_not_found_exception`, `illegal_argument_exception` ...).
        kind: String,
        /// `error.reason`.
        reason: String,
        /// `error.root_cause`, as sent.
        root_cause: Vec<Value>,
        /// The request, status and body.
        #[source]
        source: soc_http::Error,
    },
    /// The server does not offer this operation (ILM on OpenSearch, ISM on Elasticsearch,
    /// security API keys on OpenSearch ...).
    #[error("{operation} is not supported on {server}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The server, as `GET /` describes it (`OpenSearch 2.19.1`).
        server: String,
    },
    /// A guarded operation refused to run (a delete pattern that is too broad, say).
    #[error("refused {what}: {why}")]
    Refused {
        /// What was asked.
        what: String,
        /// Why it is refused.
        why: String,
    },
    /// A server-side task ended with failures or did not end in time.
    #[error("task {task}: {why}")]
    Task {
        /// The task id (`node:number`).
        task: String,
        /// What went wrong.
        why: String,
    },
    /// An argument was rejected before any request.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Any other failure: transport, unexpected status, decoding.
    #[error(transparent)]
    Http(soc_http::Error),
}

impl From<soc_http::Error> for Error {
    fn from(e: soc_http::Error) -> Self {
        let status = e.status().map(|s| s.as_u16());
        let parsed = e.body_json().and_then(|b| {
            let err = b.get("error")?;
            match err {
                Value::Object(o) => {
                    let kind = o
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_owned();
                    let reason = o
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let root_cause = o
                        .get("root_cause")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    Some((kind, reason, root_cause))
                }
                // Some answers (a 406 on a media type, older versions) carry a string.
                Value::String(s) => Some(("error".to_owned(), s.clone(), Vec::new())),
                _ => None,
            }
        });
        match (status, parsed) {
            (Some(status), Some((kind, reason, root_cause))) => Self::Es {
                status,
                kind,
                reason,
                root_cause,
                source: e,
            },
            _ => Self::Http(e),
        }
    }
}

impl Error {
    /// The HTTP status of the server's answer, if any.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Es { status, .. } => Some(*status),
            Self::Http(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The server's error type (`index_not_found_exception` ...), if any.
    #[must_use]
    pub fn es_type(&self) -> Option<&str> {
        match self {
            Self::Es { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Whether the index, document or resource does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}
