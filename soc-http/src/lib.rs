//! The one HTTP transport of the SOC toolkit's API clients.
//!
//! Every client crate (`thehive-client`, `cortex-client`, `misp-client`, ...) builds on
//! [`HttpClient`], so they all behave the same way:
//!
//! - **Base URLs** may carry a context path (`https://soc.example/thehive/`); paths are joined
//!   from percent-encoded segments, so an ID like `~123` or a name with `/` stays one segment.
//! - **Credentials are secrets** ([`Auth`], built on [`secrecy::SecretString`]): they are written
//!   only into request headers marked sensitive and never appear in `Debug` output, logs or
//!   errors.
//! - **Timeouts are on by default**: 10 s to connect, 60 s per request.
//! - **TLS** verifies certificates against the system roots plus any CA you add
//!   ([`ClientBuilder::ca_file`]); a client certificate is supported; turning verification off is
//!   an explicit call that logs a warning.
//! - **Retries** ([`RetryPolicy`]) use exponential backoff with full jitter, honour
//!   `Retry-After`, stay inside a time budget, and never replay a non-idempotent request (a
//!   create `POST`) once the server may have seen it.
//! - **One error type** ([`Error`]) with a matchable [`ErrorKind`], the method, the redacted URL,
//!   the status, a body snippet (JSON or the text of an HTML page) and, for decode failures, the
//!   JSON path of the bad value.
//! - **Bodies**: JSON, [`Multipart`] forms that survive a retry, streamed downloads into any
//!   `AsyncWrite`, and [`Page`]s walked as a stream with [`paginate`].
//!
//! ```no_run
//! # async fn run() -> Result<(), soc_http::Error> {
//! use soc_http::{Auth, HttpClient};
//!
//! let hive = HttpClient::builder("https://soc.example/thehive/")?
//!     .auth(Auth::bearer(std::env::var("HIVE_KEY").unwrap_or_default()))
//!     .ca_file("/etc/soc/ca.pem")
//!     .build()?;
//! let status: serde_json::Value = hive.get(["api", "v1", "status"]).json().await?;
//! println!("{}", status["version"]);
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
mod client;
mod error;
mod multipart;
mod page;
mod request;
mod retry;
mod sigv4;
mod upload;

pub use auth::{base64, encode_credentials, serialize_secret, Auth};
pub use client::{
    parse_base_url, ClientBuilder, HttpClient, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use error::{redact_json, redact_url, Error, ErrorKind, Result};
pub use multipart::{Multipart, Part};
pub use page::{collect_bounded, paginate, Page};
pub use request::{decode_json, RequestBuilder, Response};
pub use retry::{parse_retry_after, Failure, RetryPolicy};
pub use sigv4::{SigV4, EMPTY_SHA256};
pub use upload::FileUpload;

pub use http::{Method, StatusCode};
pub use secrecy::{ExposeSecret, SecretString};
pub use url::Url;
