//! AWS Signature Version 4 verification: header auth, presigned query auth and the
//! `aws-chunked` streaming payload with its per-chunk signatures.

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use sha2::{Digest, Sha256};

use crate::util;

pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// How far a request's date may be from the server's clock.
const MAX_SKEW_S: i64 = 15 * 60;

/// Why a request does not authenticate, as S3 error codes.
#[derive(Debug)]
pub(crate) enum AuthError {
    /// No credentials at all: an anonymous request.
    Anonymous,
    Malformed(String),
    UnknownKey,
    BadSignature,
    Skewed,
    Expired,
    PayloadMismatch,
}

/// A verified request: who signed it and its payload (de-chunked when streamed).
pub(crate) struct Verified {
    pub(crate) access_key: String,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this arm is unreachable in practice.
        Err(_) => Vec::new(),
    }
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// URI-encodes as SigV4 does: unreserved characters stay, everything else is `%XX`.
pub(crate) fn aws_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query as decoded pairs, in order.
pub(crate) fn query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                util::percent_decode(&k.replace('+', " ")),
                util::percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn canonical_query(raw: &str, skip_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw)
        .into_iter()
        .filter(|(k, _)| !(skip_signature && k == "X-Amz-Signature"))
        .map(|(k, v)| (aws_encode(&k, false), aws_encode(&v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_amz_date(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|d| d.and_utc().timestamp())
}

struct Credential {
    access_key: String,
    date: String,
    region: String,
    service: String,
}

fn parse_credential(s: &str) -> Result<Credential, AuthError> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" {
        return Err(AuthError::Malformed(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".".to_string(),
        ));
    }
    Ok(Credential {
        access_key: parts[0].to_string(),
        date: parts[1].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
    })
}

/// Verifies a request's signature with the secret `lookup` finds for its access key.
pub(crate) fn verify(
    method: &Method,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    // S3 canonicalises the path itself: decoded, then every byte but the unreserved ones and
    // `/` encoded once (MinIO's `EncodePath`); a client that left `&` or `=` raw in the URL
    // signed `%26` / `%3D`.
    let canonical_path = aws_encode(&util::percent_decode(raw_path), true);
    let raw_path = canonical_path.as_str();
    let auth = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let query = query_pairs(raw_query);
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let now = chrono::Utc::now().timestamp();
    if let Some(auth) = auth {
        let rest = auth
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or_else(|| AuthError::Malformed("Unsupported Authorization Type".into()))?;
        let mut cred = None;
        let mut signed = None;
        let mut sig = None;
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                cred = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                sig = Some(v);
            }
        }
        let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
            return Err(AuthError::Malformed("The authorization header is malformed; missing Credential, SignedHeaders or Signature.".into()));
        };
        let cred = parse_credential(cred)?;
        let secret = lookup(&cred.access_key).ok_or(AuthError::UnknownKey)?;
        let amz_date = headers
            .get("x-amz-date")
            .or_else(|| headers.get(http::header::DATE))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let when = parse_amz_date(&amz_date).ok_or_else(|| {
            AuthError::Malformed(
                "AWS authentication requires a valid Date or x-amz-date header".into(),
            )
        })?;
        if (now - when).abs() > MAX_SKEW_S {
            return Err(AuthError::Skewed);
        }
        let payload_hash = headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| sha256_hex(body));
        let canonical_headers: String = signed
            .split(';')
            .map(|h| format!("{h}:{}\n", header_value(headers, h)))
            .collect();
        let canonical = format!(
            "{method}\n{raw_path}\n{}\n{canonical_headers}\n{signed}\n{payload_hash}",
            canonical_query(raw_query, false)
        );
        let scope = format!(
            "{}/{}/{}/aws4_request",
            cred.date, cred.region, cred.service
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let key = signing_key(&secret, &cred.date, &cred.region, &cred.service);
        let expected = hex::encode(hmac(&key, to_sign.as_bytes()));
        if expected != sig {
            return Err(AuthError::BadSignature);
        }
        let body = if payload_hash == STREAMING {
            dechunk(body, &key, &amz_date, &scope, sig)?
        } else {
            if payload_hash != "UNSIGNED-PAYLOAD" && payload_hash != sha256_hex(body) {
                return Err(AuthError::PayloadMismatch);
            }
            body.to_vec()
        };
        return Ok(Verified {
            access_key: cred.access_key,
            body,
        });
    }
    let Some(algo) = q("X-Amz-Algorithm") else {
        return Err(AuthError::Anonymous);
    };
    if algo != "AWS4-HMAC-SHA256" {
        return Err(AuthError::Malformed(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".into(),
        ));
    }
    let cred = parse_credential(&q("X-Amz-Credential").unwrap_or_default())?;
    let secret = lookup(&cred.access_key).ok_or(AuthError::UnknownKey)?;
    let amz_date = q("X-Amz-Date").unwrap_or_default();
    let when = parse_amz_date(&amz_date).ok_or_else(|| {
        AuthError::Malformed(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into(),
        )
    })?;
    let expires: i64 = q("X-Amz-Expires")
        .and_then(|e| e.parse().ok())
        .ok_or_else(|| AuthError::Malformed("X-Amz-Expires should be a number".into()))?;
    if now > when + expires {
        return Err(AuthError::Expired);
    }
    let signed = q("X-Amz-SignedHeaders").unwrap_or_else(|| "host".into());
    let sig = q("X-Amz-Signature").unwrap_or_default();
    let canonical_headers: String = signed
        .split(';')
        .map(|h| format!("{h}:{}\n", header_value(headers, h)))
        .collect();
    let canonical = format!(
        "{method}\n{raw_path}\n{}\n{canonical_headers}\n{signed}\nUNSIGNED-PAYLOAD",
        canonical_query(raw_query, true)
    );
    let scope = format!(
        "{}/{}/{}/aws4_request",
        cred.date, cred.region, cred.service
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(&secret, &cred.date, &cred.region, &cred.service);
    if hex::encode(hmac(&key, to_sign.as_bytes())) != sig {
        return Err(AuthError::BadSignature);
    }
    Ok(Verified {
        access_key: cred.access_key,
        body: body.to_vec(),
    })
}

/// Decodes an `aws-chunked` body, checking each chunk's signature against the previous one.
fn dechunk(
    body: &[u8],
    key: &[u8],
    amz_date: &str,
    scope: &str,
    seed: &str,
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::with_capacity(body.len());
    let mut prev = seed.to_string();
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| AuthError::Malformed("incomplete chunk header".into()))?;
        let header = String::from_utf8_lossy(&rest[..line_end]).into_owned();
        rest = &rest[line_end + 2..];
        let (size_hex, sig) = header
            .split_once(";chunk-signature=")
            .ok_or_else(|| AuthError::Malformed("chunk header without a signature".into()))?;
        let size = usize::from_str_radix(size_hex.trim(), 16)
            .map_err(|_| AuthError::Malformed("bad chunk size".into()))?;
        if rest.len() < size {
            return Err(AuthError::Malformed("truncated chunk".into()));
        }
        let data = &rest[..size];
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
            sha256_hex(data)
        );
        if hex::encode(hmac(key, to_sign.as_bytes())) != sig.trim() {
            return Err(AuthError::BadSignature);
        }
        out.extend_from_slice(data);
        rest = &rest[size..];
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        prev = sig.trim().to_string();
        if size == 0 {
            return Ok(out);
        }
    }
}
