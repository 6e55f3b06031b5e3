//! Every POST is read whole (up to a limit) and authenticated before a handler sees it.
//!
//! Senders sign the raw body: `X-Soc-Signature: sha256=<hex HMAC-SHA256 of the body>` with the
//! `[serve].secret`. TheHive's webhook notifier cannot compute a signature, so
//! `/hooks/thehive` also accepts the secret as a bearer token (`auth: {type: "bearer", key: ..}`
//! in TheHive's `notification.webhook.endpoints`). Both are compared in constant time.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::StreamExt as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};

use super::metrics::inc;
use super::{error_response, Server, HOOKS_PATH};

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "x-soc-signature";

/// A request body that was read within the size limit and whose signature was checked.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedBody(pub(crate) Bytes);

/// The value of [`SIGNATURE_HEADER`] for `body` signed with `secret`: `sha256=<hex>`.
///
/// Senders (and tests) compute it the same way the server checks it.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` does not fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// Whether `header` (`sha256=<hex>`) is the signature of `body` under `secret`.
fn signature_ok(secret: &SecretString, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header
        .trim()
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("sha256="))
        .and_then(|_| header.trim().get(7..))
    else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Whether `Authorization: Bearer <token>` holds the secret (digests compared in constant time).
fn bearer_ok(secret: &SecretString, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .and_then(|_| v.get(7..))
        })
    else {
        return false;
    };
    let a = Sha256::digest(token.trim().as_bytes());
    let b = Sha256::digest(secret.expose_secret().as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Reads the body (413 past the limit) and checks the signature (401), then hands the request
/// on with the body as a [`VerifiedBody`] extension.
pub(crate) async fn verify(State(server): State<Server>, req: Request, next: Next) -> Response {
    let limit = server.inner.options.max_body_bytes;
    let (mut parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let bytes = match read_limited(body, limit).await {
        Ok(b) => b,
        Err(ReadError::TooLarge) => return too_large(limit),
        Err(ReadError::Broken(e)) => {
            tracing::debug!(error = %e, "request body could not be read");
            return error_response(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
    };
    let secret = &server.inner.secret;
    let signed = parts
        .headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().is_ok_and(|v| signature_ok(secret, &bytes, v)));
    let ok = match signed {
        Some(ok) => ok,
        None => parts.uri.path() == HOOKS_PATH && bearer_ok(secret, &parts.headers),
    };
    if !ok {
        inc(&server.inner.metrics.signature_failures);
        let reason = if signed.is_some() {
            "bad signature"
        } else {
            "missing signature"
        };
        tracing::warn!(path = parts.uri.path(), reason, "request refused");
        return error_response(
            StatusCode::UNAUTHORIZED,
            format!("{reason}: sign the raw body with the shared secret and send {SIGNATURE_HEADER}: sha256=<hex>"),
        );
    }
    parts.extensions.insert(VerifiedBody(bytes.clone()));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {limit} bytes"),
    )
    .into_response()
}

enum ReadError {
    TooLarge,
    Broken(axum::Error),
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ReadError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ReadError::Broken)?;
        if buf.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_bearer() {
        let secret = SecretString::from("s3cret");
        let sig = sign("s3cret", b"{}");
        assert!(sig.starts_with("sha256="));
        assert!(signature_ok(&secret, b"{}", &sig));
        assert!(signature_ok(
            &secret,
            b"{}",
            &sig.replace("sha256=", "SHA256=")
        ));
        assert!(!signature_ok(&secret, b"{ }", &sig));
        assert!(!signature_ok(&secret, b"{}", &sign("other", b"{}")));
        assert!(!signature_ok(&secret, b"{}", "sha256=zz"));
        assert!(!signature_ok(&secret, b"{}", "md5=00"));
        assert!(!signature_ok(&secret, b"{}", ""));
        let mut h = HeaderMap::new();
        assert!(!bearer_ok(&secret, &h));
        h.insert(
            header::AUTHORIZATION,
            "Bearer s3cret".parse().expect("value"),
        );
        assert!(bearer_ok(&secret, &h));
        h.insert(
            header::AUTHORIZATION,
            "Bearer s3cre".parse().expect("value"),
        );
        assert!(!bearer_ok(&secret, &h));
    }
}
