//! The bulk helper: chunking, retries of rejected items and requests, no resend of what may
//! have been applied, and every action reported exactly once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use es_ops::bulk::{BulkAction, BulkOptions, ItemOutcome, OpType};
use futures_util::stream;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{client_for, BASIC};

/// The actions of a bulk body: `(op, index, id)`.
fn parse_ndjson(body: &[u8]) -> Vec<(String, String, Option<String>)> {
    let text = std::str::from_utf8(body).expect("utf-8 body");
    assert!(text.ends_with('\n'), "a bulk body ends with a newline");
    let mut lines = text.lines();
    let mut out = Vec::new();
    while let Some(meta) = lines.next() {
        let meta: Value = serde_json::from_str(meta).expect("meta line is JSON");
        let (op, m) = meta
            .as_object()
            .unwrap()
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
            .unwrap();
        if op != "delete" {
            let doc: Value = serde_json::from_str(lines.next().expect("a body line"))
                .expect("body line is JSON");
            assert!(doc.is_object());
        }
        out.push((
            op,
            m["_index"].as_str().unwrap().to_owned(),
            m["_id"].as_str().map(str::to_owned),
        ));
    }
    out
}

/// Answers each item through `decide(op, id, attempt of that id)`; counts requests.
struct Cluster<F> {
    decide: F,
    attempts: Mutex<HashMap<String, u32>>,
    requests: Arc<AtomicUsize>,
}

impl<F> Respond for Cluster<F>
where
    F: Fn(&str, &str, u32) -> (u16, Option<Value>) + Send + Sync,
{
    fn respond(&self, r: &Request) -> ResponseTemplate {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let actions = parse_ndjson(&r.body);
        let mut errors = false;
        let mut attempts = self.attempts.lock().unwrap();
        let items: Vec<Value> = actions
            .iter()
            .map(|(op, index, id)| {
                let id = id.clone().unwrap_or_default();
                let n = attempts.entry(id.clone()).or_insert(0);
                *n += 1;
                let (status, error) = (self.decide)(op, &id, *n);
                let mut item = json!({ "_index": index, "_id": id, "status": status });
                if let Some(e) = error {
                    errors = true;
                    item["error"] = e;
                } else if status == 404 {
                    item["result"] = json!("not_found");
                } else {
                    item["result"] = json!("created");
                }
                json!({ op.as_str(): item })
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({ "took": 3, "errors": errors, "items": items }))
    }
}

async fn cluster<F>(decide: F) -> (MockServer, Arc<AtomicUsize>)
where
    F: Fn(&str, &str, u32) -> (u16, Option<Value>) + Send + Sync + 'static,
{
    let s = soc_testkit::server().await;
    let requests = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .and(header("authorization", BASIC))
        .and(header(
            "content-type",
            "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
        ))
        .and(header(
            "accept",
            "application/vnd.elasticsearch+json; compatible-with=8",
        ))
        .respond_with(Cluster {
            decide,
            attempts: Mutex::new(HashMap::new()),
            requests: requests.clone(),
        })
        .mount(&s)
        .await;
    (s, requests)
}

fn docs(n: usize) -> Vec<BulkAction> {
    (0..n)
        .map(|i| {
            BulkAction::index(
                "soc-alerts",
                &json!({ "rule": { "level": i % 16 }, "agent": "FIN-WS-0231" }),
            )
            .unwrap()
            .id(format!("d{i}"))
        })
        .collect()
}

fn fast() -> BulkOptions {
    BulkOptions {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..BulkOptions::default()
    }
}

async fn run(
    s: &MockServer,
    actions: Vec<BulkAction>,
    opts: &BulkOptions,
) -> (es_ops::bulk::BulkSummary, Vec<ItemOutcome>) {
    let es = client_for(&s.uri(), "root_es8.json");
    let mut seen = Vec::new();
    let summary = es
        .bulk()
        .run(stream::iter(actions), opts, |o| seen.push(o.clone()))
        .await
        .unwrap();
    (summary, seen)
}

/// Every input position reported exactly once.
fn assert_each_once(seen: &[ItemOutcome], n: usize) {
    let mut seqs: Vec<u64> = seen.iter().map(|o| o.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..n as u64).collect::<Vec<_>>(),
        "every action reported exactly once"
    );
}

#[tokio::test]
async fn chunks_by_count_and_reports_every_action_once() {
    let (s, requests) = cluster(|_, _, _| (201, None)).await;
    let (summary, seen) = run(&s, docs(1200), &fast()).await;
    assert_eq!((summary.ok, summary.failed, summary.retried), (1200, 0, 0));
    assert_eq!(requests.load(Ordering::SeqCst), 3, "500 + 500 + 200");
    assert_each_once(&seen, 1200);
    assert!(summary.bytes > 0);
}

#[tokio::test]
async fn chunks_by_bytes() {
    let (s, requests) = cluster(|_, _, _| (201, None)).await;
    let opts = BulkOptions {
        max_bytes: 4096,
        ..fast()
    };
    let (summary, seen) = run(&s, docs(200), &opts).await;
    assert_eq!(summary.ok, 200);
    assert!(
        requests.load(Ordering::SeqCst) > 3,
        "4 KiB chunks of ~100-byte actions"
    );
    for r in s.received_requests().await.unwrap() {
        assert!(r.body.len() <= 4096, "{} bytes", r.body.len());
    }
    assert_each_once(&seen, 200);
}

#[tokio::test]
async fn rejected_items_are_resent_alone_until_accepted() {
    let rejected = json!({"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"});
    let (s, requests) = cluster(move |_, id, attempt| {
        let odd = id.trim_start_matches('d').parse::<u32>().unwrap() % 2 == 1;
        if odd && attempt == 1 {
            (429, Some(rejected.clone()))
        } else {
            (201, None)
        }
    })
    .await;
    let (summary, seen) = run(&s, docs(10), &fast()).await;
    assert_eq!((summary.ok, summary.failed, summary.retried), (10, 0, 5));
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    let second = &s.received_requests().await.unwrap()[1];
    let resent = parse_ndjson(&second.body);
    assert_eq!(resent.len(), 5, "only the rejected items go again");
    assert!(seen.iter().all(|o| o.attempts
        == if o
            .action
            .id
            .as_deref()
            .unwrap()
            .trim_start_matches('d')
            .parse::<u32>()
            .unwrap()
            % 2
            == 1
        {
            2
        } else {
            1
        }));
    assert_each_once(&seen, 10);
}

#[tokio::test]
async fn items_rejected_past_the_retry_limit_are_reported_failed() {
    let (s, requests) = cluster(|_, _, _| {
        (
            429,
            Some(json!({"type": "es_rejected_execution_exception", "reason": "queue full"})),
        )
    })
    .await;
    let opts = BulkOptions {
        max_retries: 2,
        ..fast()
    };
    let (summary, seen) = run(&s, docs(3), &opts).await;
    assert_eq!((summary.ok, summary.failed), (0, 3));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        3,
        "first try and two retries"
    );
    assert!(seen
        .iter()
        .all(|o| o.status == Some(429) && o.attempts == 3 && !o.is_ok()));
    assert_each_once(&seen, 3);
}

#[tokio::test]
async fn failures_are_reported_and_missing_deletes_count_as_done() {
    let mapping = json!({"type": "mapper_parsing_exception", "reason": "failed to parse field [rule.level] of type [integer]"});
    let (s, requests) = cluster(move |op, id, _| match (op, id) {
        ("delete", _) => (404, None),
        (_, "d1") => (400, Some(mapping.clone())),
        _ => (201, None),
    })
    .await;
    let mut actions = docs(3);
    actions.push(BulkAction::delete("soc-alerts", "gone"));
    let (summary, seen) = run(&s, actions.clone(), &fast()).await;
    assert_eq!((summary.ok, summary.failed, summary.retried), (3, 1, 0));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "a mapping error is not retried"
    );
    let failed: Vec<&ItemOutcome> = seen.iter().filter(|o| !o.is_ok()).collect();
    assert_eq!(failed[0].action.id.as_deref(), Some("d1"));
    assert_eq!(
        failed[0].error.as_ref().unwrap()["type"],
        "mapper_parsing_exception"
    );
    let deleted = seen.iter().find(|o| o.action.op == OpType::Delete).unwrap();
    assert!(deleted.is_ok() && deleted.status == Some(404));

    let strict = BulkOptions {
        delete_not_found_ok: false,
        ..fast()
    };
    let (summary, _) = run(&s, actions, &strict).await;
    assert_eq!(
        summary.failed, 2,
        "with delete_not_found_ok off, the missing delete fails too"
    );
}

#[tokio::test]
async fn a_whole_request_rejected_with_429_is_resent() {
    let s = soc_testkit::server().await;
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {"type": "es_rejected_execution_exception", "reason": "busy"}, "status": 429})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    let requests = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .respond_with(Cluster {
            decide: |_: &str, _: &str, _: u32| (201, None),
            attempts: Mutex::new(HashMap::new()),
            requests: requests.clone(),
        })
        .expect(1)
        .mount(&s)
        .await;
    let (summary, seen) = run(&s, docs(4), &fast()).await;
    assert_eq!((summary.ok, summary.retried, summary.requests), (4, 4, 2));
    assert_each_once(&seen, 4);
}

#[tokio::test]
async fn a_request_that_may_have_been_applied_is_never_resent() {
    let s = soc_testkit::server().await;
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {"type": "node_closed_exception", "reason": "node closed"}, "status": 500})))
        .expect(1)
        .mount(&s)
        .await;
    let (summary, seen) = run(&s, docs(4), &fast()).await;
    assert_eq!((summary.ok, summary.failed, summary.requests), (0, 4, 1));
    assert!(seen.iter().all(|o| o.status == Some(500)
        && o.error
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("node closed")));
    assert_each_once(&seen, 4);
}

#[tokio::test]
async fn an_answer_with_the_wrong_item_count_fails_the_chunk() {
    let s = soc_testkit::server().await;
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"took": 1, "errors": false, "items": [{"index": {"_index": "x", "_id": "d0", "status": 201}}]})))
        .expect(1)
        .mount(&s)
        .await;
    let (summary, seen) = run(&s, docs(3), &fast()).await;
    assert_eq!(summary.failed, 3);
    assert!(seen[0]
        .error
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap()
        .contains("1 items for 3 actions"));
}

#[tokio::test]
async fn a_bad_action_is_reported_without_being_sent() {
    let (s, requests) = cluster(|_, _, _| (201, None)).await;
    let mut actions = docs(2);
    actions.insert(
        1,
        BulkAction::index_raw("soc-alerts", Bytes::from_static(b"{\n\"two\": \"lines\"}")),
    );
    let (summary, seen) = run(&s, actions, &fast()).await;
    assert_eq!((summary.ok, summary.failed), (2, 1));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let bad = seen.iter().find(|o| o.seq == 1).unwrap();
    assert!(bad.status.is_none() && bad.attempts == 0);
    assert_each_once(&seen, 3);
}

#[test]
fn action_lines_carry_routing_pipeline_and_op() {
    // The encoded form is checked through a mock in the tests above; here, the builder.
    let a = BulkAction::create("soc-alerts", "d1", &json!({"a": 1}))
        .unwrap()
        .routing("r1")
        .pipeline("geoip");
    assert_eq!(
        (a.op, a.routing.as_deref(), a.pipeline.as_deref()),
        (OpType::Create, Some("r1"), Some("geoip"))
    );
    let u = BulkAction::update("soc-alerts", "d1", &json!({"status": "closed"})).unwrap();
    assert_eq!(
        u.body.as_deref(),
        Some(&br#"{"doc":{"status":"closed"}}"#[..])
    );
}
