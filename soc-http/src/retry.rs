//! When a failed request is sent again, and after how long.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

/// How failed requests are retried.
///
/// The rules, each unit-tested:
/// - A request whose connection could not be established was never seen by the server, so it is
///   retried whatever its method.
/// - Any other failure (a timeout, a connection dropped mid-request, a 429, 502, 503 or 504) is
///   retried only for idempotent requests: GET, HEAD, PUT, DELETE, OPTIONS, or a request that its
///   crate marked idempotent. A create `POST` is never replayed once the server may have seen it.
/// - The delay is exponential with full jitter: a uniform draw in
///   `[0, min(max_backoff, initial_backoff * 2^n)]` for the n-th retry.
/// - A `Retry-After` header (seconds or an HTTP date) on a 429 or 503 replaces the drawn delay.
///   If it asks for longer than the remaining budget, the request is not retried and the error
///   carries the delay.
/// - At most `max_retries` retries, and never past `budget` of total elapsed time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Duration,
}

impl Default for RetryPolicy {
    /// Three retries, 200 ms initial backoff, 5 s cap, 30 s budget.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            budget: Duration::from_secs(30),
        }
    }
}

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be established: the server never saw the request.
    Connect,
    /// The request timed out or the connection broke after it may have been sent.
    Sent,
    /// The server answered with this status and, maybe, a `Retry-After` delay.
    Status(StatusCode, Option<Duration>),
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The largest number of retries after the first attempt.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The backoff ceiling before the first retry; it doubles with each retry.
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The largest backoff ceiling.
    #[must_use]
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The total time, from the first attempt, after which no retry starts.
    #[must_use]
    pub fn budget(mut self, d: Duration) -> Self {
        self.budget = d;
        self
    }

    /// Whether a status is worth retrying for an idempotent request.
    #[must_use]
    pub fn is_retryable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 502 | 503 | 504)
    }

    /// The delay before retry number `retries_done + 1`, or `None` to give up.
    ///
    /// `elapsed` is the time since the first attempt started; `draw` is a uniform random number
    /// in `[0, 1)` used for the jitter.
    #[must_use]
    pub fn decide(
        &self,
        retries_done: u32,
        idempotent: bool,
        failure: Failure,
        elapsed: Duration,
        draw: f64,
    ) -> Option<Duration> {
        if retries_done >= self.max_retries {
            return None;
        }
        let (retryable, retry_after) = match failure {
            Failure::Connect => (true, None),
            Failure::Sent => (idempotent, None),
            Failure::Status(s, after) => {
                let honoured = matches!(s.as_u16(), 429 | 503).then_some(after).flatten();
                (idempotent && Self::is_retryable_status(s), honoured)
            }
        };
        if !retryable {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| self.backoff(retries_done, draw));
        let remaining = self.budget.checked_sub(elapsed)?;
        (delay <= remaining).then_some(delay)
    }

    /// The full-jitter backoff for retry `n` (0-based) given a uniform draw in `[0, 1)`.
    #[must_use]
    pub fn backoff(&self, n: u32, draw: f64) -> Duration {
        let factor = 2u32.saturating_pow(n.min(31));
        let ceiling = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        ceiling.mul_f64(draw.clamp(0.0, 1.0))
    }
}

/// Reads `Retry-After` as delta-seconds or an HTTP date (relative to `now`).
#[must_use]
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .max_retries(3)
            .initial_backoff(100 * MS)
            .max_backoff(1000 * MS)
            .budget(5000 * MS)
    }

    fn st(code: u16) -> Failure {
        Failure::Status(StatusCode::from_u16(code).unwrap(), None)
    }

    #[test]
    fn connect_errors_are_retried_for_every_method() {
        let p = policy();
        assert!(p
            .decide(0, false, Failure::Connect, Duration::ZERO, 0.5)
            .is_some());
        assert!(p
            .decide(0, true, Failure::Connect, Duration::ZERO, 0.5)
            .is_some());
    }

    #[test]
    fn sent_failures_are_retried_only_when_idempotent() {
        let p = policy();
        assert!(p
            .decide(0, true, Failure::Sent, Duration::ZERO, 0.5)
            .is_some());
        assert_eq!(p.decide(0, false, Failure::Sent, Duration::ZERO, 0.5), None);
    }

    #[test]
    fn retryable_statuses_only_for_idempotent_requests() {
        let p = policy();
        for code in [429, 502, 503, 504] {
            assert!(
                p.decide(0, true, st(code), Duration::ZERO, 0.5).is_some(),
                "{code}"
            );
            assert_eq!(
                p.decide(0, false, st(code), Duration::ZERO, 0.5),
                None,
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 409, 500, 501] {
            assert_eq!(
                p.decide(0, true, st(code), Duration::ZERO, 0.5),
                None,
                "{code}"
            );
        }
    }

    #[test]
    fn backoff_is_exponential_with_full_jitter_and_capped() {
        let p = policy();
        assert_eq!(p.backoff(0, 0.999_999).as_millis(), 99);
        assert_eq!(p.backoff(1, 0.5), 100 * MS);
        assert_eq!(p.backoff(2, 0.5), 200 * MS);
        assert_eq!(p.backoff(3, 1.0), 800 * MS);
        assert_eq!(p.backoff(4, 1.0), 1000 * MS, "capped at max_backoff");
        assert_eq!(p.backoff(40, 1.0), 1000 * MS, "no overflow");
        assert_eq!(
            p.backoff(2, 0.0),
            Duration::ZERO,
            "full jitter reaches zero"
        );
    }

    #[test]
    fn retry_count_is_bounded() {
        let p = policy();
        assert!(p.decide(2, true, st(503), Duration::ZERO, 0.5).is_some());
        assert_eq!(p.decide(3, true, st(503), Duration::ZERO, 0.5), None);
        assert_eq!(
            RetryPolicy::none().decide(0, true, Failure::Connect, Duration::ZERO, 0.5),
            None
        );
    }

    #[test]
    fn budget_bounds_total_time() {
        let p = policy();
        assert_eq!(p.decide(0, true, st(503), 4940 * MS, 0.5), Some(50 * MS));
        assert_eq!(
            p.decide(1, true, st(503), 4940 * MS, 0.5),
            None,
            "100ms > 60ms left"
        );
        assert_eq!(
            p.decide(0, true, st(503), 6000 * MS, 0.0),
            None,
            "budget spent"
        );
    }

    #[test]
    fn retry_after_replaces_backoff_on_429_and_503() {
        let p = policy();
        let f = Failure::Status(StatusCode::TOO_MANY_REQUESTS, Some(2000 * MS));
        assert_eq!(p.decide(0, true, f, Duration::ZERO, 0.1), Some(2000 * MS));
        let f = Failure::Status(StatusCode::SERVICE_UNAVAILABLE, Some(3 * MS));
        assert_eq!(p.decide(0, true, f, Duration::ZERO, 0.9), Some(3 * MS));
        // 502 does not carry a meaningful Retry-After: the drawn backoff applies.
        let f = Failure::Status(StatusCode::BAD_GATEWAY, Some(3000 * MS));
        assert_eq!(p.decide(0, true, f, Duration::ZERO, 0.5), Some(50 * MS));
    }

    #[test]
    fn retry_after_beyond_budget_gives_up() {
        let p = policy();
        let f = Failure::Status(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(60)));
        assert_eq!(p.decide(0, true, f, Duration::ZERO, 0.5), None);
    }

    #[test]
    fn retry_after_is_parsed_as_seconds_or_http_date() {
        let mut h = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(&h, now), None);
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(http::header::RETRY_AFTER, later.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        h.insert(http::header::RETRY_AFTER, past.parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h, now), None);
    }
}
