//! AWS Signature Version 4 in headers, as S3 stores and the MinIO admin API require it: the
//! real SHA-256 of the body in `X-Amz-Content-Sha256` (never `UNSIGNED-PAYLOAD`), any region
//! (an empty one too), each attempt signed afresh so that retries carry a current date.

use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{Error, Result};

/// The SHA-256 of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Credentials and scope for SigV4. `Debug` shows the access key id and the scope only.
#[derive(Clone)]
pub struct SigV4 {
    access_key: String,
    secret_key: SecretString,
    region: String,
    service: String,
    session_token: Option<SecretString>,
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4")
            .field("access_key", &self.access_key)
            .field("region", &self.region)
            .field("service", &self.service)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

impl SigV4 {
    /// Keys for `service` (`s3` for S3 and the MinIO admin API, `iam` for IAM) in `region`
    /// (`us-east-1`; MinIO accepts any, including the empty one its own clients send).
    pub fn new(
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: region.into(),
            service: service.into(),
            session_token: None,
        }
    }

    /// A session token (temporary credentials), sent as `X-Amz-Security-Token`.
    #[must_use]
    pub fn session_token(mut self, token: impl Into<SecretString>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// The access key id.
    #[must_use]
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The same keys for another service (`iam` beside `s3`, say).
    #[must_use]
    pub fn for_service(&self, service: &str) -> Self {
        Self {
            service: service.to_owned(),
            ..self.clone()
        }
    }

    /// Signs a request about to be sent: sets `X-Amz-Date`, `X-Amz-Content-Sha256`, the session
    /// token if any, and `Authorization` (marked sensitive). Signs `host` and every `x-amz-*`,
    /// `content-type` and `content-md5` header.
    pub(crate) fn sign(
        &self,
        method: &str,
        url: &Url,
        headers: &mut HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let payload = hex::encode(Sha256::digest(body));
        let set = |headers: &mut HeaderMap, name: &'static str, value: &str| -> Result<()> {
            let v = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid_input(format!("{name} cannot hold {value:?}")))?;
            headers.insert(HeaderName::from_static(name), v);
            Ok(())
        };
        set(headers, "x-amz-date", &amz_date)?;
        set(headers, "x-amz-content-sha256", &payload)?;
        if let Some(t) = &self.session_token {
            let mut v = HeaderValue::from_str(t.expose_secret()).map_err(|_| {
                Error::invalid_input("the session token cannot be sent in a header")
            })?;
            v.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-amz-security-token"), v);
        }
        let host = host_header(url)?;
        let mut signed: Vec<(String, String)> = vec![("host".to_owned(), host)];
        for (name, value) in headers.iter() {
            let n = name.as_str();
            if n.starts_with("x-amz-") || n == "content-type" || n == "content-md5" {
                let v = value.to_str().map_err(|_| {
                    Error::invalid_input(format!("header {n} is not text and cannot be signed"))
                })?;
                signed.push((n.to_owned(), v.to_owned()));
            }
        }
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let sig = self.signature(
            method,
            &canonical_path(url),
            &query,
            &signed,
            &payload,
            &amz_date,
        );
        let mut v = HeaderValue::from_str(&sig.authorization)
            .map_err(|_| Error::invalid_input("the access key id cannot be sent in a header"))?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
        Ok(())
    }

    /// The signature of a request given in its parts: `path` already encoded as S3 wants it,
    /// `query` decoded, `headers` the ones to sign.
    pub(crate) fn signature(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        payload_sha256: &str,
        amz_date: &str,
    ) -> Signature {
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        q.sort();
        let canonical_query = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut h: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), collapse_spaces(v)))
            .collect();
        h.sort();
        let canonical_headers: String = h.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed_headers = h
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_sha256}"
        );
        let date = amz_date.get(..8).unwrap_or(amz_date);
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let secret = format!("AWS4{}", self.secret_key.expose_secret());
        let k_date = hmac(secret.as_bytes(), date.as_bytes());
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        let k_signing = hmac(&k_service, b"aws4_request");
        let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
        Signature {
            authorization: format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                self.access_key
            ),
            signature,
        }
    }
}

/// A computed signature.
#[derive(Debug)]
pub(crate) struct Signature {
    /// The `Authorization` header value.
    pub(crate) authorization: String,
    /// The hex signature alone.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) signature: String,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `host` or `host:port` when the port is not the scheme's default, as the client sends it.
fn host_header(url: &Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid_input(format!("{url} has no host to sign")))?;
    Ok(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

/// The path as S3 canonicalises it: each segment decoded then encoded once, `/` kept.
fn canonical_path(url: &Url) -> String {
    let path = url.path();
    if path.is_empty() {
        return "/".to_owned();
    }
    path.split('/')
        .map(|seg| {
            let raw: Vec<u8> = percent_decode(seg);
            uri_encode_bytes(&raw, true)
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// AWS's URI encoding: unreserved characters as they are, everything else `%XX` (uppercase).
fn uri_encode(s: &str, encode_slash: bool) -> String {
    uri_encode_bytes(s.as_bytes(), encode_slash)
}

fn uri_encode_bytes(b: &[u8], encode_slash: bool) -> String {
    let mut out = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'_' | b'.' | b'~')
            || (c == b'/' && !encode_slash)
        {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> SigV4 {
        SigV4::new(
            "AKIDEXAMPLE",
            SecretString::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned()),
            "us-east-1",
            "service",
        )
    }

    fn base() -> Vec<(String, String)> {
        vec![
            ("Host".into(), "example.amazonaws.com".into()),
            ("X-Amz-Date".into(), "20150830T123600Z".into()),
        ]
    }

    #[test]
    fn aws_test_suite_get_vanilla() {
        let s = suite().signature("GET", "/", &[], &base(), EMPTY_SHA256, "20150830T123600Z");
        assert_eq!(
            s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn aws_test_suite_query_order_key_case() {
        let q = vec![
            ("Param2".to_owned(), "value2".to_owned()),
            ("Param1".to_owned(), "value1".to_owned()),
        ];
        let s = suite().signature("GET", "/", &q, &base(), EMPTY_SHA256, "20150830T123600Z");
        assert_eq!(
            s.signature,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    /// The GetObject example of the S3 SigV4 documentation (a range header, the empty-body hash).
    #[test]
    fn s3_documentation_get_object() {
        let s3 = SigV4::new(
            "AKIAIOSFODNN7EXAMPLE",
            SecretString::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned()),
            "us-east-1",
            "s3",
        );
        let headers = vec![
            (
                "host".to_owned(),
                "examplebucket.s3.amazonaws.com".to_owned(),
            ),
            ("range".to_owned(), "bytes=0-9".to_owned()),
            ("x-amz-content-sha256".to_owned(), EMPTY_SHA256.to_owned()),
            ("x-amz-date".to_owned(), "20130524T000000Z".to_owned()),
        ];
        let s = s3.signature(
            "GET",
            "/test.txt",
            &[],
            &headers,
            EMPTY_SHA256,
            "20130524T000000Z",
        );
        assert_eq!(
            s.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn sign_sets_the_headers_and_hashes_the_body() {
        let url = Url::parse("http://127.0.0.1:8333/soc-evidence?policy=").unwrap();
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        suite().sign("PUT", &url, &mut h, b"{}", now).unwrap();
        assert_eq!(h["x-amz-date"], "20261124T100000Z");
        assert_eq!(
            h["x-amz-content-sha256"],
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let auth = h[AUTHORIZATION].to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature="), "{auth}");
        assert!(h[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn paths_are_encoded_once_as_s3_wants() {
        let url = Url::parse("http://h/bucket/a%20b/c+d/%E1%88%B4").unwrap();
        assert_eq!(canonical_path(&url), "/bucket/a%20b/c%2Bd/%E1%88%B4");
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = suite().session_token(SecretString::from("tok-SECRET".to_owned()));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("EXAMPLEKEY") && !shown.contains("tok-SECRET"),
            "{shown}"
        );
    }
}
