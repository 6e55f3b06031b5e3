//! Waiting for jobs: long-polls chained to a deadline, and one bulk status request per round
//! for many jobs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cortex_client::model::{JobState, JobStatus, Report};
use cortex_client::Error;
use serde_json::json;
use wiremock::matchers::query_param;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::support::{cortex, fixture, given, server, JsonBody};

/// Answers "still running" `running` times, then the finished job.
struct FinishesAfter {
    calls: Arc<AtomicUsize>,
    running: usize,
}

impl Respond for FinishesAfter {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let name = if self.calls.fetch_add(1, Ordering::SeqCst) < self.running {
            "job_inprogress_with_report.json"
        } else {
            "job_success_with_report.json"
        };
        ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
    }
}

#[tokio::test]
async fn wait_chains_long_polls_until_the_job_is_final() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    given("GET", "/api/job/j1/waitreport")
        .and(query_param("atMost", "60second"))
        .respond_with(FinishesAfter {
            calls: calls.clone(),
            running: 2,
        })
        .expect(3)
        .mount(&s)
        .await;
    let job = cortex(&s)
        .jobs()
        .wait("j1", Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Success);
    assert!(matches!(job.report, Some(Report::Finished(_))));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn wait_returns_a_typed_timeout_at_the_deadline() {
    let s = server().await;
    given("GET", "/api/job/j1/waitreport")
        .and(query_param("atMost", "1second"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    fixture("job_inprogress_with_report.json"),
                    "application/json",
                )
                .set_delay(Duration::from_millis(300)),
        )
        .expect(2..)
        .mount(&s)
        .await;
    let started = Instant::now();
    let e = cortex(&s)
        .jobs()
        .wait("j1", Duration::from_millis(500))
        .await
        .unwrap_err();
    match e {
        Error::WaitTimeout {
            job,
            status,
            waited,
        } => {
            assert_eq!(job, "j1");
            assert_eq!(status, "InProgress");
            assert!(waited >= Duration::from_millis(500));
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the deadline bounds the wait"
    );
}

/// Answers the bulk status route: `pL6c...` runs for `rounds` rounds, then succeeds.
struct BulkStatus {
    calls: Arc<AtomicUsize>,
    rounds: usize,
}

impl Respond for BulkStatus {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let running = self.calls.fetch_add(1, Ordering::SeqCst) < self.rounds;
        ResponseTemplate::new(200).set_body_json(json!({
            "kX9mQ2rTbW4vLp7sYc1A": "Success",
            "pL6cA1xN9bM4sQ7eT0Ry": if running { "InProgress" } else { "Success" },
            "nOtAr3alJobId0000000": "NotFound"
        }))
    }
}

#[tokio::test]
async fn wait_all_polls_one_bulk_request_per_round() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let ids = [
        "kX9mQ2rTbW4vLp7sYc1A",
        "pL6cA1xN9bM4sQ7eT0Ry",
        "nOtAr3alJobId0000000",
    ];
    given("POST", "/api/job/status")
        .and(JsonBody(json!({ "jobIds": ids })))
        .respond_with(BulkStatus {
            calls: calls.clone(),
            rounds: 2,
        })
        .expect(3)
        .mount(&s)
        .await;
    let states = cortex(&s)
        .jobs()
        .wait_all(&ids, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        states["pL6cA1xN9bM4sQ7eT0Ry"],
        JobState::Status(JobStatus::Success)
    );
    assert_eq!(states["nOtAr3alJobId0000000"], JobState::NotFound);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "three rounds, one request each, for three jobs"
    );
}
