//! Counters for `GET /metrics`, in the Prometheus text format, and the request log.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{Server, ROUTES};

/// The server's counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub(crate) alerts_created: AtomicU64,
    pub(crate) alerts_duplicate: AtomicU64,
    pub(crate) alerts_failed: AtomicU64,
    pub(crate) hooks_queued: AtomicU64,
    pub(crate) hooks_already_queued: AtomicU64,
    pub(crate) hooks_ignored: AtomicU64,
    pub(crate) hooks_rejected_full: AtomicU64,
    pub(crate) signature_failures: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    fn record(&self, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((route.to_owned(), status)).or_default() += 1;
    }

    /// The Prometheus text exposition of every counter, and the queue's depth.
    pub(crate) fn render(&self, queue_depth: usize, queue_capacity: usize) -> String {
        let mut out = String::new();
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        header(
            &mut out,
            "soc_serve_requests_total",
            "counter",
            "HTTP requests answered, by route and status.",
        );
        for ((route, status), n) in &requests {
            let _ = writeln!(
                out,
                "soc_serve_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let counters: [(&str, &str, &AtomicU64); 8] = [
            (
                "soc_serve_alerts_created_total",
                "Alerts created in TheHive from POST /alerts.",
                &self.alerts_created,
            ),
            (
                "soc_serve_alerts_duplicate_total",
                "POST /alerts replays answered with the existing alert.",
                &self.alerts_duplicate,
            ),
            (
                "soc_serve_alerts_failed_total",
                "POST /alerts that TheHive did not accept (down, refused, unreachable).",
                &self.alerts_failed,
            ),
            (
                "soc_serve_hooks_queued_total",
                "TheHive notifications that queued an alert for enrichment.",
                &self.hooks_queued,
            ),
            (
                "soc_serve_hooks_already_queued_total",
                "TheHive notifications for an alert already waiting in the queue.",
                &self.hooks_already_queued,
            ),
            (
                "soc_serve_hooks_ignored_total",
                "TheHive notifications about something other than a created or updated alert.",
                &self.hooks_ignored,
            ),
            (
                "soc_serve_hooks_rejected_total",
                "TheHive notifications refused because the queue was full.",
                &self.hooks_rejected_full,
            ),
            (
                "soc_serve_signature_failures_total",
                "POST requests refused for a missing or wrong signature.",
                &self.signature_failures,
            ),
        ];
        for (name, help, counter) in counters {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        header(
            &mut out,
            "soc_serve_queue_depth",
            "gauge",
            "Alerts waiting for enrichment.",
        );
        let _ = writeln!(out, "soc_serve_queue_depth {queue_depth}");
        header(
            &mut out,
            "soc_serve_queue_capacity",
            "gauge",
            "The most alerts the enrichment queue holds.",
        );
        let _ = writeln!(out, "soc_serve_queue_capacity {queue_capacity}");
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts and logs every request by its route (unknown paths are all `other`, so a scan cannot
/// grow the label set).
pub(crate) async fn track(State(server): State<Server>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let route = ROUTES
        .iter()
        .find(|r| **r == path)
        .copied()
        .unwrap_or("other");
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status();
    server.inner.metrics.record(route, status.as_u16());
    tracing::info!(
        %method,
        route,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record("/alerts", 201);
        m.record("/alerts", 201);
        m.record("other", 404);
        inc(&m.signature_failures);
        let text = m.render(3, 10);
        assert!(text.contains("soc_serve_requests_total{route=\"/alerts\",status=\"201\"} 2\n"));
        assert!(text.contains("soc_serve_requests_total{route=\"other\",status=\"404\"} 1\n"));
        assert!(text.contains("# TYPE soc_serve_signature_failures_total counter\n"));
        assert!(text.contains("soc_serve_signature_failures_total 1\n"));
        assert!(text.contains("soc_serve_queue_depth 3\n"));
    }
}
