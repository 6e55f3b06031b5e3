//! The error type of this crate.

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong talking to an S3 store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store answered its error (S3's XML `<Error><Code>NoSuchBucket</Code>...`, or the
    /// admin API's JSON `{"Code": "XMinioAdminNoSuchUser", ...}`).
    #[error("s3 {status} {code}: {message} (request id {request_id})")]
    S3 {
        /// HTTP status.
        status: u16,
        /// S3's code (`NoSuchBucket`, `AccessDenied`, `SignatureDoesNotMatch` ...).
        code: String,
        /// S3's message.
        message: String,
        /// The request id, for the store's logs.
        request_id: String,
        /// The request.
        #[source]
        source: soc_http::Error,
    },
    /// An encrypted admin payload could not be read (wrong secret key, tampering, truncation).
    #[error("admin payload: {0}")]
    Crypto(#[from] crate::sio::CryptoError),
    /// An argument was rejected before any request (a bucket name S3 would refuse, say).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An answer this crate could not read.
    #[error("unreadable answer from {url}: {message}")]
    Decode {
        /// The request's URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// Any other failure: transport, a status without an S3 error body, a timeout.
    #[error(transparent)]
    Http(soc_http::Error),
}

impl From<soc_http::Error> for Error {
    fn from(e: soc_http::Error) -> Self {
        let status = e.status().map(|s| s.as_u16());
        // The admin API answers JSON (`{"Code", "Message", "RequestId"}`), S3 answers XML.
        let parsed = if let Some(j) = e.body_json() {
            // MinIO writes `Code`, Garage `code`.
            let f = |k: &str| {
                j.get(k)
                    .or_else(|| j.get(k.to_ascii_lowercase()))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            Some((f("Code"), f("Message"), f("RequestId")))
        } else {
            e.body_snippet().map(|b| {
                let tag = |t: &str| crate::xml::tag_text(b, t).unwrap_or_default();
                (tag("Code"), tag("Message"), tag("RequestId"))
            })
        };
        match (status, parsed) {
            (Some(status), Some((code, message, request_id))) if !code.is_empty() => Self::S3 {
                status,
                code,
                message,
                request_id,
                source: e,
            },
            _ => Self::Http(e),
        }
    }
}

impl Error {
    /// S3's error code, if the store sent one.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::S3 { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, if any.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::S3 { status, .. } => Some(*status),
            Self::Http(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }
}
