//! The one error type of every client built on this crate.

use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};
use url::Url;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a caller can match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A configuration value or argument was rejected before any request was sent.
    InvalidInput,
    /// The server answered 400.
    BadRequest,
    /// The server answered 401: missing or wrong credentials.
    Unauthorized,
    /// The server answered 403: the credentials lack a permission.
    Forbidden,
    /// The server answered 404.
    NotFound,
    /// The server answered 409.
    Conflict,
    /// The server answered 429.
    RateLimited,
    /// The server answered another 4xx status.
    Client,
    /// The server answered a 5xx status.
    Server,
    /// The server answered a status this crate does not treat as success (1xx, 3xx).
    UnexpectedStatus,
    /// The response body did not have the expected shape.
    Decode,
    /// The connection failed (DNS, refused, TLS handshake, protocol error).
    Transport,
    /// The request or the connection timed out.
    Timeout,
    /// Reading or writing a local file or stream failed.
    Io,
    /// The answer was larger than the client accepts in memory
    /// ([`crate::ClientBuilder::max_body`]).
    TooLarge,
}

impl ErrorKind {
    /// The kind that a non-success HTTP status maps to.
    #[must_use]
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            429 => Self::RateLimited,
            402..=499 => Self::Client,
            500..=599 => Self::Server,
            _ => Self::UnexpectedStatus,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid input",
            Self::BadRequest => "bad request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate limited",
            Self::Client => "client error",
            Self::Server => "server error",
            Self::UnexpectedStatus => "unexpected status",
            Self::Decode => "unexpected response body",
            Self::Transport => "transport error",
            Self::Timeout => "timed out",
            Self::Io => "i/o error",
            Self::TooLarge => "answer too large",
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error from a request, or from building a client.
///
/// It carries what an operator needs to act: the method, the URL with secrets removed, the
/// status, a short snippet of the body (JSON compacted, HTML reduced to its text), the JSON path
/// of a field that failed to decode, and the underlying cause as [`std::error::Error::source`].
/// It never contains a credential.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Option<String>,
    method: Option<Method>,
    url: Option<String>,
    status: Option<StatusCode>,
    body_snippet: Option<String>,
    body_json: Option<serde_json::Value>,
    decode_path: Option<String>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: Some(message.into()),
            method: None,
            url: None,
            status: None,
            body_snippet: None,
            body_json: None,
            decode_path: None,
            retry_after: None,
            source: None,
        }))
    }

    /// An [`ErrorKind::InvalidInput`] error: a bad argument or configuration value.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn bare(kind: ErrorKind) -> Self {
        let mut e = Self::new(kind, "");
        e.0.message = None;
        e
    }

    /// Attach the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// Attach the request this error belongs to. The URL is redacted here.
    #[must_use]
    pub fn with_request(mut self, method: &Method, url: &Url) -> Self {
        self.0.method = Some(method.clone());
        self.0.url = Some(redact_url(url));
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Attaches a snippet of the answer's body (JSON compacted with secret-named fields masked,
    /// HTML reduced to its text), for clients that decode bodies themselves.
    #[must_use]
    pub fn with_body(mut self, body: &[u8], content_type: Option<&str>) -> Self {
        let json = if body.len() <= MAX_JSON_BODY {
            serde_json::from_slice::<serde_json::Value>(body).ok()
        } else {
            None
        };
        self.0.body_snippet = match &json {
            // Secret-named fields of a JSON body (a connector key a server echoes back, say)
            // are masked before the body is kept.
            Some(v) => {
                let mut v = v.clone();
                redact_json(&mut v);
                Some(truncate_chars(&v.to_string(), SNIPPET_CHARS))
            }
            None => snippet(body, content_type),
        };
        self.0.body_json = json.map(|mut v| {
            redact_json(&mut v);
            v
        });
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.0.retry_after = after;
        self
    }

    pub(crate) fn with_decode_path(mut self, path: String) -> Self {
        self.0.decode_path = Some(path);
        self
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status, when the server answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The request method, when a request was involved.
    #[must_use]
    pub fn method(&self) -> Option<&Method> {
        self.0.method.as_ref()
    }

    /// The request URL with credentials and secret-looking query values removed.
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// A short, single-line snippet of the response body.
    #[must_use]
    pub fn body_snippet(&self) -> Option<&str> {
        self.0.body_snippet.as_deref()
    }

    /// The response body parsed as JSON, when it was JSON (and not larger than 64 KiB).
    #[must_use]
    pub fn body_json(&self) -> Option<&serde_json::Value> {
        self.0.body_json.as_ref()
    }

    /// The JSON path of the value that failed to decode, for [`ErrorKind::Decode`].
    #[must_use]
    pub fn decode_path(&self) -> Option<&str> {
        self.0.decode_path.as_deref()
    }

    /// The delay the server asked for with `Retry-After`, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The message given when the error was made, if any.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// Whether the server answered 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.0.kind == ErrorKind::NotFound
    }

    /// Whether the server answered 401 or 403.
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Unauthorized | ErrorKind::Forbidden)
    }

    /// Whether the request timed out.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.0.kind == ErrorKind::Timeout
    }
}

const MAX_JSON_BODY: usize = 64 * 1024;
const SNIPPET_CHARS: usize = 300;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        f.write_str(i.kind.describe())?;
        if let (Some(m), Some(u)) = (&i.method, &i.url) {
            write!(f, ": {m} {u}")?;
        }
        if let Some(s) = i.status {
            write!(f, " returned {s}")?;
        }
        if let Some(p) = &i.decode_path {
            write!(f, ": at `{p}`")?;
        }
        if let Some(m) = &i.message {
            write!(f, ": {m}")?;
        }
        if let Some(b) = &i.body_snippet {
            write!(f, ": {b}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if let Some(m) = &i.method {
            d.field("method", m);
        }
        if let Some(u) = &i.url {
            d.field("url", u);
        }
        if let Some(s) = &i.status {
            d.field("status", s);
        }
        if let Some(m) = &i.message {
            d.field("message", m);
        }
        if let Some(p) = &i.decode_path {
            d.field("decode_path", p);
        }
        if let Some(b) = &i.body_snippet {
            d.field("body", b);
        }
        if let Some(s) = &i.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// Query parameter names whose values are never shown.
const SECRET_PARAMS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "auth",
    "session",
];

/// Masks, in place, the values of JSON object keys that name a secret (`key`, `apikey`,
/// `password`, `secret`, `token` ...), at any depth.
pub fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_PARAMS.iter().any(|s| lower.contains(s))
                    && !val.is_object()
                    && !val.is_array();
                if secret && !val.is_null() {
                    *val = serde_json::Value::String("REDACTED".to_owned());
                } else {
                    redact_json(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// The URL with userinfo removed and the values of secret-looking query parameters replaced.
#[must_use]
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    // Both setters only fail for URLs that cannot carry credentials; nothing to remove then.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let v = if SECRET_PARAMS.iter().any(|s| lower.contains(s)) {
                    "REDACTED".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// A short single-line rendering of a body: compact JSON, the text of HTML, or plain text.
pub(crate) fn snippet(body: &[u8], content_type: Option<&str>) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let is_html = content_type.is_some_and(|c| c.contains("html"))
        || trimmed.starts_with("<!")
        || trimmed.to_ascii_lowercase().starts_with("<html");
    let rendered = if is_html {
        html_text(trimmed)
    } else if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
        v.to_string()
    } else {
        collapse_ws(trimmed)
    };
    if rendered.is_empty() {
        return None;
    }
    Some(truncate_chars(&rendered, SNIPPET_CHARS))
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The visible text of an HTML page: tags, scripts and styles removed, whitespace collapsed.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        out.push(' ');
        let after = &rest[start..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            find_ci(after, "</script>").map(|i| i + "</script>".len())
        } else if lower.starts_with("<style") {
            find_ci(after, "</style>").map(|i| i + "</style>".len())
        } else {
            after.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => rest = &after[n..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    let text = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    collapse_ws(&text)
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(needle)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials_and_secret_query_values() {
        let u = Url::parse(
            "https://admin:hunter2@misp.example/events?apikey=abc&page=2&X-Amz-Signature=ff",
        )
        .unwrap();
        let r = redact_url(&u);
        assert_eq!(
            r,
            "https://misp.example/events?apikey=REDACTED&page=2&X-Amz-Signature=REDACTED"
        );
    }

    #[test]
    fn secret_json_fields_are_masked_in_bodies() {
        let body = br#"{"servers":[{"name":"cortex","auth":{"type":"bearer","key":"ctx-SECRET"},"password":"pw-SECRET"}],"message":"bad"}"#;
        let e = Error::bare(ErrorKind::Decode).with_body(body, Some("application/json"));
        let shown = format!("{e} {e:?} {}", e.body_json().unwrap());
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(
            e.body_json().unwrap()["servers"][0]["auth"]["type"],
            "bearer"
        );
        assert_eq!(e.body_json().unwrap()["message"], "bad");
    }

    #[test]
    fn html_snippet_is_text_only() {
        let body = b"<html><head><title>502 Bad Gateway</title><style>h1{}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        assert_eq!(
            snippet(body, Some("text/html")).unwrap(),
            "502 Bad Gateway 502 Bad Gateway nginx"
        );
    }

    #[test]
    fn json_snippet_is_compact_and_truncated() {
        let body = br#"{ "type": "NotFoundError",
            "message": "Alert ~1 not found" }"#;
        assert_eq!(
            snippet(body, None).unwrap(),
            r#"{"message":"Alert ~1 not found","type":"NotFoundError"}"#
        );
        let long = "é".repeat(1000);
        let s = snippet(long.as_bytes(), Some("text/plain")).unwrap();
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn display_names_request_status_and_body() {
        let u = Url::parse("https://hive.example/api/v1/alert/~1").unwrap();
        let e = Error::bare(ErrorKind::NotFound)
            .with_request(&Method::GET, &u)
            .with_status(StatusCode::NOT_FOUND)
            .with_body(br#"{"type":"NotFoundError","message":"nope"}"#, None);
        assert_eq!(
            e.to_string(),
            r#"not found: GET https://hive.example/api/v1/alert/~1 returned 404 Not Found: {"message":"nope","type":"NotFoundError"}"#
        );
        assert_eq!(e.body_json().unwrap()["type"], "NotFoundError");
    }
}
