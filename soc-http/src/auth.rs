//! Credentials, held as secrets. This module is the only place a secret is exposed, to write it
//! into a request header marked sensitive.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

use crate::error::{Error, Result};

/// How requests authenticate.
///
/// `Debug` shows the scheme and the non-secret parts only.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// A key in a header of the API's choice (MISP's `Authorization: <key>`, `X-API-Key`, ...).
    ApiKey {
        /// The header that carries the key.
        header: HeaderName,
        /// The key.
        key: SecretString,
    },
    /// `Authorization: Bearer <token>` (TheHive and Cortex API keys).
    Bearer(SecretString),
    /// `Authorization: <scheme> <token>` (Elasticsearch's `ApiKey <encoded>`, say).
    Scheme {
        /// The scheme name.
        scheme: String,
        /// The token.
        token: SecretString,
    },
    /// AWS Signature Version 4 (S3 stores, the MinIO admin API, IAM): each attempt signed
    /// with the body's hash and the current time.
    SigV4(Box<crate::sigv4::SigV4>),
    /// HTTP Basic authentication.
    Basic {
        /// The login.
        username: String,
        /// The password.
        password: SecretString,
    },
}

impl Auth {
    /// A key sent in `header`.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] if `header` is not a valid header name.
    pub fn api_key(header: &str, key: impl Into<SecretString>) -> Result<Self> {
        let header = HeaderName::from_bytes(header.as_bytes())
            .map_err(|e| Error::invalid_input(format!("header name {header:?}: {e}")))?;
        Ok(Self::ApiKey {
            header,
            key: key.into(),
        })
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<SecretString>) -> Self {
        Self::Bearer(token.into())
    }

    /// `Authorization: <scheme> <token>`.
    pub fn with_scheme(scheme: impl Into<String>, token: impl Into<SecretString>) -> Self {
        Self::Scheme {
            scheme: scheme.into(),
            token: token.into(),
        }
    }

    /// A login and password.
    pub fn basic(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The name of the scheme, for logs.
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ApiKey { .. } => "api-key",
            Self::Bearer(_) => "bearer",
            Self::Scheme { .. } => "scheme",
            Self::Basic { .. } => "basic",
            Self::SigV4(_) => "sigv4",
        }
    }

    /// Checks that the secret can be written into a header.
    pub(crate) fn validate(&self) -> Result<()> {
        self.header().map(|_| ())
    }

    /// The header carrying the credentials, marked sensitive so that it is never logged.
    pub(crate) fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>> {
        let (name, value) = match self {
            Self::None | Self::SigV4(_) => return Ok(None),
            Self::ApiKey { header, key } => (header.clone(), key.expose_secret().to_owned()),
            Self::Bearer(t) => (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", t.expose_secret()),
            ),
            Self::Scheme { scheme, token } => (
                reqwest::header::AUTHORIZATION,
                format!("{scheme} {}", token.expose_secret()),
            ),
            Self::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose_secret());
                (
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {}", base64(raw.as_bytes())),
                )
            }
        };
        let mut v = HeaderValue::from_str(&value).map_err(|_| {
            Error::invalid_input(format!(
                "{} credentials contain characters not allowed in an HTTP header",
                self.scheme()
            ))
        })?;
        v.set_sensitive(true);
        Ok(Some((name, v)))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::ApiKey { header, .. } => f
                .debug_struct("ApiKey")
                .field("header", header)
                .field("key", &"[REDACTED]")
                .finish(),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&"[REDACTED]").finish(),
            Self::Scheme { scheme, .. } => f
                .debug_struct("Scheme")
                .field("scheme", scheme)
                .field("token", &"[REDACTED]")
                .finish(),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
            Self::SigV4(s) => fmt::Debug::fmt(s, f),
        }
    }
}

/// Serialises a secret in clear, for request bodies that must carry one (a password to set, a
/// connector's API key). Use as `#[serde(serialize_with = "soc_http::serialize_secret")]`.
///
/// # Errors
/// Those of the serializer.
pub fn serialize_secret<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// Appends a secret query parameter (the server requires it there; the value is redacted from
/// every error and log).
pub(crate) fn expose_for_query(secret: &SecretString) -> &str {
    secret.expose_secret()
}

/// `base64(id ":" secret)`, the encoded form of credentials made of an id and a secret (an
/// Elasticsearch API key's `encoded` value).
#[must_use]
pub fn encode_credentials(id: &str, secret: &SecretString) -> SecretString {
    SecretString::from(base64(
        format!("{id}:{}", secret.expose_secret()).as_bytes(),
    ))
}

/// Standard base64 with padding (RFC 4648), for Basic credentials and encoded API keys.
#[must_use]
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn headers_are_sensitive_and_debug_hides_secrets() {
        let a = Auth::basic("admin@thehive.local", "s3cr3t-pw");
        let (name, v) = a.header().unwrap().unwrap();
        assert_eq!(name, reqwest::header::AUTHORIZATION);
        assert!(v.is_sensitive());
        assert_eq!(
            v.to_str().unwrap(),
            "Basic YWRtaW5AdGhlaGl2ZS5sb2NhbDpzM2NyM3QtcHc="
        );
        for a in [
            a,
            Auth::bearer("tok-123"),
            Auth::api_key("Authorization", "k-456").unwrap(),
        ] {
            let d = format!("{a:?}");
            assert!(
                !d.contains("s3cr3t") && !d.contains("tok-123") && !d.contains("k-456"),
                "{d}"
            );
        }
    }

    #[test]
    fn invalid_header_characters_are_rejected() {
        let e = Auth::bearer("line\nbreak").validate().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(!e.to_string().contains("break"));
        assert!(Auth::api_key("bad header", "k").is_err());
    }
}
