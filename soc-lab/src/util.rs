//! Small helpers every service module uses.

use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

use crate::{LabError, Service};

/// Indicators the lab calls malicious unless configured otherwise: a Tor exit and a scanner
/// address, a typosquatting domain with its URL and mailbox, and the EICAR test file's hashes.
pub(crate) const BUILTIN_MALICIOUS: &[&str] = &[
    "185.220.101.45",
    "45.155.205.233",
    "login-micros0ft.com",
    "http://login-micros0ft.com/owa/auth.php",
    "invoice@login-micros0ft.com",
    "44d88612fea8a8f36de82e1278abb02f",
    "3395856ce81f2b7382dee72602f798b642f14140",
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
];

/// Decodes `%XX` escapes (a malformed one stays as it is), reading the result as UTF-8 lossily.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hexval = |c: u8| char::from(c).to_digit(16);
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Seconds since the Unix epoch.
pub(crate) fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A random string of ASCII letters and digits (for keys, passwords and ids).
pub(crate) fn random_alnum(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        if getrandom::fill(&mut buf).is_err() {
            // No OS randomness: fall back to the process-seeded generator.
            buf.iter_mut().for_each(|b| *b = fastrand::u8(..));
        }
        for b in buf {
            // 248 = 4 * 62: rejecting above it keeps the choice uniform.
            if b < 248 && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

/// Random lowercase hex of `len` characters.
pub(crate) fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    if getrandom::fill(&mut bytes).is_err() {
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    let mut s = hex::encode(bytes);
    s.truncate(len);
    s
}

/// A version-4 UUID in its usual text form.
pub(crate) fn uuid4() -> String {
    let h = random_hex(32);
    let variant = ["8", "9", "a", "b"][usize::from(fastrand::u8(..4))];
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

/// A JSON answer with the given status.
pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> Response {
    let mut resp = (status, value.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Locks a mutex, carrying on with the data when a handler panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads a service's part of the state file.
pub(crate) fn restore<T: DeserializeOwned>(
    service: Service,
    value: serde_json::Value,
) -> Result<T, LabError> {
    serde_path_to_error::deserialize(value).map_err(|e| LabError::State {
        service,
        message: format!("at {}: {}", e.path(), e.inner()),
    })
}

/// Glob matching: `many` stands for any run of characters, `one` (if any) for exactly one.
/// Case-sensitive; callers fold case where their service does.
pub(crate) fn wildcard(pattern: &str, text: &str, many: char, one: Option<char>) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // The last `many` seen and the text position it is currently made to cover up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != many && (Some(p[pi]) == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == many {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == many)
}

/// SHA-256 of `data`, in lowercase hex.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

/// A salted SHA-256 of a password, as `salt$hash` (the lab never keeps passwords in clear).
pub(crate) fn hash_password(password: &str) -> String {
    let salt = random_hex(16);
    format!(
        "{salt}${}",
        sha256_hex(format!("{salt}{password}").as_bytes())
    )
}

/// Whether `password` matches a [`hash_password`] result.
pub(crate) fn password_matches(stored: &str, password: &str) -> bool {
    match stored.split_once('$') {
        Some((salt, hash)) => sha256_hex(format!("{salt}{password}").as_bytes()) == hash,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_have_the_asked_shape() {
        let k = random_alnum(40);
        assert_eq!(k.len(), 40);
        assert!(k.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(k, random_alnum(40));
        assert_eq!(random_hex(7).len(), 7);
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn wildcards_match_like_globs() {
        assert!(wildcard("logs-*", "logs-2026.11", '*', Some('?')));
        assert!(wildcard("*", "", '*', Some('?')));
        assert!(wildcard("a?c*", "abcdef", '*', Some('?')));
        assert!(!wildcard("a?c", "ac", '*', Some('?')));
        assert!(wildcard("%evil%", "very-evil.example", '%', None));
        assert!(!wildcard("evil%", "not-evil", '%', None));
        assert!(!wildcard("a?", "a?x", '%', None));
        assert!(wildcard("a*b*c", "aXbYbZc", '*', None));
    }

    #[test]
    fn passwords_are_salted_and_checked() {
        let h = hash_password("s3cret");
        assert!(password_matches(&h, "s3cret"));
        assert!(!password_matches(&h, "other"));
        assert_ne!(h, hash_password("s3cret"));
        assert!(!h.contains("s3cret"));
    }
}
