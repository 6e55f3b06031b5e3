//! The error type of this crate.

use serde_json::Value;

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when talking to MISP or misp-modules.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// MISP refused the API key: missing, wrong, or of a user without API access.
    #[error("misp refused the API key: {message}")]
    BadKey {
        /// MISP's message.
        message: String,
        /// The request.
        #[source]
        source: soc_http::Error,
    },
    /// MISP could not save something (its `{"saved": false, "errors": ...}` answer, usually 403).
    #[error("misp: {name}: {message}")]
    SaveFailed {
        /// `name` (`Could not add Attribute` ...).
        name: String,
        /// `message`.
        message: String,
        /// `errors`, as sent (field by field validation messages).
        errors: Value,
        /// The request.
        #[source]
        source: soc_http::Error,
    },
    /// MISP answered its error body `{"name", "message", "url"}`.
    #[error("misp {status}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// `name`.
        name: String,
        /// `message`.
        message: String,
        /// The request.
        #[source]
        source: soc_http::Error,
    },
    /// A setting that MISP never reads back (passwords, salts): 403 "This setting is redacted."
    #[error("setting {setting} is redacted: MISP accepts writes but never reads it back")]
    Redacted {
        /// The setting.
        setting: String,
    },
    /// misp-modules answered HTTP 200 with `{"error": ...}`.
    #[error("misp-modules {module}: {message}")]
    Module {
        /// The module.
        module: String,
        /// The module's message.
        message: String,
    },
    /// An argument was rejected before any request.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Any other failure: transport, unexpected status, an HTML or empty body, decoding.
    #[error(transparent)]
    Http(soc_http::Error),
}

impl From<soc_http::Error> for Error {
    fn from(e: soc_http::Error) -> Self {
        let status = e.status().map(|s| s.as_u16());
        let Some(body) = e.body_json().cloned() else {
            return Self::Http(e);
        };
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let message = text("message");
        if status == Some(403) && message.starts_with("Authentication failed") {
            return Self::BadKey { message, source: e };
        }
        if body.get("saved") == Some(&Value::Bool(false)) {
            let errors = body.get("errors").cloned().unwrap_or(Value::Null);
            return Self::SaveFailed {
                name: text("name"),
                message,
                errors,
                source: e,
            };
        }
        match status {
            Some(status) if body.get("name").is_some() || body.get("message").is_some() => {
                Self::Api {
                    status,
                    name: text("name"),
                    message,
                    source: e,
                }
            }
            _ => Self::Http(e),
        }
    }
}

impl Error {
    /// The HTTP status of MISP's answer, if any.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::BadKey { source, .. } | Self::SaveFailed { source, .. } | Self::Http(source) => {
                source.status().map(|s| s.as_u16())
            }
            _ => None,
        }
    }

    /// Whether the entity does not exist (404).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}
