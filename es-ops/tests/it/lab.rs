//! The crate's tour end to end against the lab's Elasticsearch 8.19 stand-in (`soc-lab`, in
//! process on loopback): basic auth, health, a template and a retention policy, a bulk load whose
//! every item is reported once, search, a point-in-time stream, counts, an S3 snapshot repository
//! and the guarded delete.

use std::collections::BTreeSet;
use std::time::Duration;

use es_ops::bulk::{BulkAction, BulkOptions};
use es_ops::cluster::{HealthRequest, HealthStatus};
use es_ops::lifecycle::RetentionPolicy;
use es_ops::search::{Hit, Query};
use es_ops::snapshots::S3Repository;
use es_ops::{Error, Es, Flavor};
use futures_util::{stream, TryStreamExt};
use serde_json::{json, Value};
use soc_lab::{Lab, LabConfig, Service};

const DOCS: u64 = 3_000;

fn client(lab: &Lab) -> Es {
    let ep = lab.endpoint(Service::Elasticsearch);
    Es::builder(ep.url.as_str())
        .unwrap()
        .basic(
            ep.username.clone().unwrap(),
            ep.password().unwrap().to_owned(),
        )
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_on_the_lab() {
    let lab = Lab::start(LabConfig::default()).await.unwrap();
    let es = client(&lab);

    // Connect: the version decides the media types.
    let info = es.info().await.unwrap();
    assert_eq!(info.flavor(), Flavor::Elasticsearch);
    assert_eq!(info.compat_major(), Some(8), "{}", info.describe());

    // Wrong credentials are a 401, not an empty answer.
    let ep = lab.endpoint(Service::Elasticsearch);
    let wrong = Es::builder(ep.url.as_str())
        .unwrap()
        .basic("elastic", "not-the-password".to_owned())
        .retry(es_ops::RetryPolicy::none())
        .build()
        .unwrap();
    let e = wrong.info().await.unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");

    let health = es
        .cluster()
        .health(&HealthRequest {
            wait_for_status: Some(HealthStatus::Yellow),
            timeout: Some(Duration::from_secs(5)),
            index: None,
        })
        .await
        .unwrap();
    assert!(!health.timed_out);
    assert!(matches!(
        health.status,
        HealthStatus::Green | HealthStatus::Yellow
    ));

    // A retention policy and the template that applies it to new alert indices.
    let policy = RetentionPolicy {
        description: "SOC alerts: 30 days".into(),
        rollover_max_age: Some("1d".into()),
        rollover_max_primary_shard_size: Some("50gb".into()),
        delete_after: "30d".into(),
        index_patterns: vec!["soc-alerts-*".into()],
    };
    es.lifecycle()
        .put_retention_policy("soc-alerts", &policy)
        .await
        .unwrap();
    let policies = es.lifecycle().ilm_policies("soc-alerts").await.unwrap();
    let stored = &policies["soc-alerts"]["policy"];
    assert_eq!(stored["phases"]["delete"]["min_age"], "30d");
    assert_eq!(
        stored["phases"]["hot"]["actions"]["rollover"]["max_age"],
        "1d"
    );
    let template = json!({
        "index_patterns": ["soc-alerts-*"],
        "priority": 200,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "index.lifecycle.name": "soc-alerts",
                "index.lifecycle.rollover_alias": "soc-alerts"
            },
            "mappings": {"properties": {
                "rule": {"properties": {"level": {"type": "integer"}}},
                "agent": {"type": "keyword"},
                "@timestamp": {"type": "date"}
            }}
        }
    });
    assert!(
        es.lifecycle()
            .put_index_template("soc-alerts", &template)
            .await
            .unwrap()
            .acknowledged
    );
    let templates = es.lifecycle().index_templates("soc-alerts").await.unwrap();
    assert_eq!(
        templates["index_templates"][0]["name"], "soc-alerts",
        "{templates}"
    );

    // The first index, created through the template, behind a write alias.
    let idx = "soc-alerts-000001";
    es.indices()
        .create(
            idx,
            &json!({"aliases": {"soc-alerts": {"is_write_index": true}}}),
        )
        .await
        .unwrap();
    let settings = es.indices().settings(idx).await.unwrap();
    assert_eq!(
        settings[idx]["settings"]["index"]["lifecycle"]["name"], "soc-alerts",
        "the template applied: {settings:?}"
    );
    let explain = es.lifecycle().explain_ilm(idx).await.unwrap();
    assert_eq!(explain["indices"][idx]["managed"], true, "{explain}");
    assert_eq!(explain["indices"][idx]["policy"], "soc-alerts");

    // A few thousand alerts through the write alias, then a duplicate create and the delete of
    // a missing id: every action is reported exactly once.
    let mut actions: Vec<BulkAction> = (0..DOCS)
        .map(|i| {
            BulkAction::index(
                "soc-alerts",
                &json!({
                    "rule": {"level": i % 16},
                    "agent": format!("ws-{}", i % 7),
                    "@timestamp": format!("2025-03-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                }),
            )
            .unwrap()
            .id(format!("a{i}"))
        })
        .collect();
    actions.push(BulkAction::create("soc-alerts", "a1", &json!({"rule": {"level": 1}})).unwrap());
    actions.push(BulkAction::delete("soc-alerts", "never-existed"));
    let mut seen = vec![0u32; actions.len()];
    let mut failed = Vec::new();
    let summary = es
        .bulk()
        .run(
            stream::iter(actions),
            &BulkOptions {
                max_actions: 400,
                ..BulkOptions::default()
            },
            |o| {
                seen[o.seq as usize] += 1;
                if !o.is_ok() {
                    failed.push((o.seq, o.status));
                }
            },
        )
        .await
        .unwrap();
    assert!(seen.iter().all(|&n| n == 1), "every action reported once");
    assert_eq!(summary.total(), DOCS + 2);
    assert_eq!(summary.ok, DOCS + 1);
    assert_eq!(
        failed,
        [(DOCS, Some(409))],
        "only the duplicate create fails"
    );
    assert_eq!(summary.requests, (DOCS + 2).div_ceil(400), "{summary:?}");

    es.indices().refresh("soc-alerts").await.unwrap();
    assert_eq!(
        es.search()
            .count("soc-alerts", &Query::match_all())
            .await
            .unwrap(),
        DOCS
    );
    let level_15 = (0..DOCS).filter(|i| i % 16 == 15).count() as u64;
    assert_eq!(
        es.search()
            .count(idx, &Query::term("rule.level", 15))
            .await
            .unwrap(),
        level_15
    );
    let filtered = es
        .search()
        .count(
            idx,
            &Query::bool(
                vec![],
                vec![Query::term("agent", "ws-3")],
                vec![],
                vec![Query::range("rule.level", None, Some(json!(8)))],
            ),
        )
        .await
        .unwrap();
    let expected = (0..DOCS).filter(|i| i % 7 == 3 && i % 16 >= 8).count() as u64;
    assert_eq!(filtered, expected);

    // One page of a search, sorted.
    let page = es
        .search()
        .search::<Value>(
            "soc-alerts",
            &json!({
                "query": Query::term("agent", "ws-0"),
                "size": 5,
                "sort": [{"rule.level": "desc"}]
            }),
        )
        .await
        .unwrap();
    assert_eq!(page.hits.hits.len(), 5);
    assert!(page
        .hits
        .hits
        .iter()
        .all(|h| h.source.as_ref().unwrap()["rule"]["level"] == 15));

    // Every document streamed back through a point in time, 256 at a time, none twice.
    let hits: Vec<Hit<Value>> = es
        .search()
        .scan("soc-alerts", Query::match_all(), 256)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hits.len() as u64, DOCS);
    let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len() as u64, DOCS, "no hit twice");
    assert!(hits.iter().all(|h| h.index == idx));
    let some: Vec<Hit<Value>> = es
        .search()
        .scan(idx, Query::term("rule.level", 15), 50)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(some.len() as u64, level_15);

    let listed = es.indices().list(Some("soc-alerts-*")).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].docs(), Some(DOCS));

    // A snapshot repository in the lab's S3 bucket, registered without and then with the
    // verification.
    let mut repo = S3Repository::new("soc-snapshots");
    repo.base_path = Some("es/soc-lab".into());
    repo.compress = Some(true);
    assert!(
        es.snapshots()
            .put_s3_repository("soc-s3", &repo, false)
            .await
            .unwrap()
            .acknowledged
    );
    let repos = es.snapshots().repositories("soc-s3").await.unwrap();
    assert_eq!(repos["soc-s3"]["type"], "s3");
    assert_eq!(repos["soc-s3"]["settings"]["bucket"], "soc-snapshots");
    assert_eq!(repos["soc-s3"]["settings"]["base_path"], "es/soc-lab");
    let verified = es.snapshots().verify_repository("soc-s3").await.unwrap();
    assert!(verified["nodes"].as_object().is_some_and(|n| !n.is_empty()));
    assert!(es.snapshots().list("soc-s3").await.unwrap().is_empty());
    let missing = es.snapshots().repositories("nope").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    es.snapshots().delete_repository("soc-s3").await.unwrap();

    // The guarded delete: patterns naming everything are refused before any request; a
    // pattern expands to names first, and only those are deleted.
    es.indices()
        .create("soc-alerts-000002", &json!({}))
        .await
        .unwrap();
    es.indices()
        .create(
            "cortex-jobs",
            &json!({"settings": {"number_of_replicas": 0}}),
        )
        .await
        .unwrap();
    for everything in ["*", "_all", "*,-cortex*", " ", "?*"] {
        let e = es.indices().plan_delete(everything).await.unwrap_err();
        assert!(matches!(e, Error::Refused { .. }), "{everything:?}: {e}");
    }
    let e = es
        .indices()
        .plan_delete("nothing-like-this-*")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e}");
    let plan = es.indices().plan_delete("soc-alerts-*").await.unwrap();
    assert_eq!(plan.indices, [idx, "soc-alerts-000002"]);
    let deleted = es.indices().delete_planned(&plan).await.unwrap();
    assert_eq!(deleted, plan.indices);
    assert!(!es.indices().exists(idx).await.unwrap());
    assert!(
        es.indices().exists("cortex-jobs").await.unwrap(),
        "untouched"
    );
    // The server itself refuses a wildcard delete, as 8.x does by default.
    let raw = es
        .http()
        .request(es_ops::soc_http::Method::DELETE, ["cortex*"].iter())
        .send()
        .await;
    assert!(raw.is_err(), "DELETE cortex* is refused: {raw:?}");
    assert!(es.indices().exists("cortex-jobs").await.unwrap());

    lab.stop().await.unwrap();
}
