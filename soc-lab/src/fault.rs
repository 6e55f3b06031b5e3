//! Fault injection: what a service does to a request before (or instead of) answering it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Backend, Service};

/// Faults a service applies to every request (the lab's control paths excepted).
///
/// Rates are probabilities in `0.0..=1.0`, rolled independently per request in this order:
/// dropped connection, rate limit, server error. Latency applies to every request that is
/// answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added before each answer, in milliseconds.
    pub latency_ms: u64,
    /// A random extra delay up to this many milliseconds.
    pub jitter_ms: u64,
    /// Share of requests answered with a server error.
    pub error_rate: f64,
    /// The status of those errors (500 to 599; 503 when unset).
    pub error_status: Option<u16>,
    /// Share of requests answered `429 Too Many Requests`.
    pub rate_limit_rate: f64,
    /// The `Retry-After` seconds sent with a 429.
    pub retry_after_secs: u64,
    /// Share of requests whose connection is closed without an answer.
    pub drop_rate: f64,
}

impl Faults {
    /// Checks the rates and the error status, naming the first field out of range.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be within 0.0..=1.0, got {rate}"));
            }
        }
        if let Some(status) = self.error_status {
            if !(500..=599).contains(&status) {
                return Err(format!("error_status must be a 5xx status, got {status}"));
            }
        }
        Ok(())
    }
}

/// What the dice decided for one request.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    Drop,
    RateLimit { retry_after: u64, delay: Duration },
    Error { status: u16, delay: Duration },
    Pass { delay: Duration },
}

/// The live fault settings of one service, its dice and its restart signal.
pub(crate) struct Control {
    pub(crate) service: Service,
    faults: Mutex<Faults>,
    rng: Mutex<fastrand::Rng>,
    epoch: tokio::sync::watch::Sender<u64>,
    backend: Arc<dyn Backend>,
    requests: AtomicU64,
}

impl Control {
    pub(crate) fn new(
        service: Service,
        faults: Faults,
        seed: u64,
        backend: Arc<dyn Backend>,
    ) -> Self {
        Control {
            service,
            faults: Mutex::new(faults),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            epoch: tokio::sync::watch::channel(0).0,
            backend,
            requests: AtomicU64::new(0),
        }
    }

    pub(crate) fn get(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set(&self, faults: Faults) {
        tracing::info!(service = %self.service, ?faults, "lab faults changed");
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Drops open connections and in-memory sessions.
    pub(crate) fn restart(&self) {
        tracing::info!(service = %self.service, "lab service restarting");
        self.backend.restart();
        self.epoch.send_modify(|e| *e += 1);
    }

    pub(crate) fn restarts(&self) -> tokio::sync::watch::Receiver<u64> {
        self.epoch.subscribe()
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn roll(&self) -> Verdict {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let f = self.get();
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let delay = Duration::from_millis(
            f.latency_ms
                + if f.jitter_ms > 0 {
                    rng.u64(0..=f.jitter_ms)
                } else {
                    0
                },
        );
        if f.drop_rate > 0.0 && rng.f64() < f.drop_rate {
            return Verdict::Drop;
        }
        if f.rate_limit_rate > 0.0 && rng.f64() < f.rate_limit_rate {
            return Verdict::RateLimit {
                retry_after: f.retry_after_secs,
                delay,
            };
        }
        if f.error_rate > 0.0 && rng.f64() < f.error_rate {
            return Verdict::Error {
                status: f.error_status.unwrap_or(503),
                delay,
            };
        }
        Verdict::Pass { delay }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Backend for Nothing {
        fn snapshot(&self) -> serde_json::Value {
            serde_json::Value::Null
        }
        fn restart(&self) {}
    }

    fn control(faults: Faults) -> Control {
        Control::new(Service::Misp, faults, 7, Arc::new(Nothing))
    }

    #[test]
    fn no_faults_always_pass_without_delay() {
        let c = control(Faults::default());
        for _ in 0..1000 {
            assert_eq!(
                c.roll(),
                Verdict::Pass {
                    delay: Duration::ZERO
                }
            );
        }
        assert_eq!(c.requests(), 1000);
    }

    #[test]
    fn rates_are_honoured_within_tolerance() {
        let c = control(Faults {
            error_rate: 0.25,
            error_status: Some(502),
            ..Default::default()
        });
        let errors = (0..10_000)
            .filter(|_| matches!(c.roll(), Verdict::Error { status: 502, .. }))
            .count();
        assert!((2_200..2_800).contains(&errors), "{errors} errors of 10000");
    }

    #[test]
    fn full_rates_always_fire_in_order() {
        let c = control(Faults {
            drop_rate: 1.0,
            error_rate: 1.0,
            ..Default::default()
        });
        assert_eq!(c.roll(), Verdict::Drop);
        c.set(Faults {
            rate_limit_rate: 1.0,
            retry_after_secs: 3,
            latency_ms: 5,
            ..Default::default()
        });
        assert_eq!(
            c.roll(),
            Verdict::RateLimit {
                retry_after: 3,
                delay: Duration::from_millis(5)
            }
        );
    }

    #[test]
    fn same_seed_same_dice() {
        let f = Faults {
            error_rate: 0.5,
            jitter_ms: 100,
            ..Default::default()
        };
        let a = control(f.clone());
        let b = control(f);
        for _ in 0..100 {
            assert_eq!(a.roll(), b.roll());
        }
    }

    #[test]
    fn validation_names_the_field() {
        let bad = Faults {
            drop_rate: 1.5,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("drop_rate"));
        let bad = Faults {
            error_status: Some(404),
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("error_status"));
    }
}
