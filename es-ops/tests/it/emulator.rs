//! Against a running Elasticsearch-compatible server (the `noida-db` emulator that `cargo xtask
//! ci` starts when `.ci/run` installed it): `ES_OPS_EMULATOR_URL` names it. Without it, the
//! test says it was skipped and why.

use es_ops::bulk::{BulkAction, BulkOptions};
use es_ops::cluster::{HealthRequest, HealthStatus};
use es_ops::indices::AliasAction;
use es_ops::search::Query;
use es_ops::snapshots::{CreateSnapshot, Restore, SnapshotCreated};
use es_ops::{Error, Es};
use futures_util::{stream, TryStreamExt};
use serde_json::{json, Value};

fn emulator() -> Option<Es> {
    let Ok(url) = std::env::var("ES_OPS_EMULATOR_URL") else {
        eprintln!("skipped: ES_OPS_EMULATOR_URL is not set (cargo xtask ci sets it when the noida-db emulator is installed)");
        return None;
    };
    Some(Es::builder(&url).unwrap().build().unwrap())
}

#[tokio::test]
async fn a_soc_index_lifecycle_on_the_emulator() {
    let Some(es) = emulator() else { return };
    let info = es.info().await.unwrap();
    eprintln!("emulator: {}", info.describe());
    let h = es
        .cluster()
        .health(&HealthRequest {
            wait_for_status: Some(HealthStatus::Yellow),
            timeout: Some(std::time::Duration::from_secs(5)),
            index: None,
        })
        .await
        .unwrap();
    assert!(!h.timed_out);

    let idx = "soc-alerts-000001";
    let body = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": {"properties": {"rule": {"properties": {"level": {"type": "integer"}}}, "agent": {"type": "keyword"}}}});
    es.indices().create(idx, &body).await.unwrap();
    es.indices()
        .update_aliases(&[AliasAction::Add {
            index: idx.into(),
            alias: "soc-alerts".into(),
            is_write_index: Some(true),
        }])
        .await
        .unwrap();

    // 1,000 documents, then a create of an existing id (409) and a delete of a missing one.
    let mut actions: Vec<BulkAction> = (0..1000)
        .map(|i| {
            BulkAction::index(
                idx,
                &json!({"rule": {"level": i % 16}, "agent": format!("ws-{}", i % 7)}),
            )
            .unwrap()
            .id(format!("a{i}"))
        })
        .collect();
    actions.push(BulkAction::create(idx, "a1", &json!({"rule": {"level": 1}})).unwrap());
    actions.push(BulkAction::delete(idx, "never-existed"));
    let mut failed = Vec::new();
    let summary = es
        .bulk()
        .run(
            stream::iter(actions),
            &BulkOptions {
                max_actions: 300,
                ..BulkOptions::default()
            },
            |o| {
                if !o.is_ok() {
                    failed.push((o.seq, o.status));
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(summary.total(), 1002);
    assert_eq!(
        failed,
        [(1000, Some(409))],
        "only the duplicate create fails"
    );
    es.indices().refresh(idx).await.unwrap();
    assert_eq!(
        es.search().count(idx, &Query::match_all()).await.unwrap(),
        1000
    );
    assert_eq!(
        es.search()
            .count(idx, &Query::term("rule.level", 15))
            .await
            .unwrap(),
        62
    );

    // Every document, through a point in time, 128 at a time.
    let hits: Vec<es_ops::search::Hit<Value>> = es
        .search()
        .scan(idx, Query::match_all(), 128)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hits.len(), 1000);
    let mut ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1000, "no hit twice");

    let listed = es.indices().list(Some("soc-alerts-*")).await.unwrap();
    assert_eq!(listed[0].docs(), Some(1000));

    // Snapshot to a file system repository, restore under another name.
    let repo = "soc-fs";
    es.snapshots()
        .put_fs_repository(repo, "/tmp/soc-fs-repo", true)
        .await
        .unwrap();
    let snap = es
        .snapshots()
        .create(
            repo,
            "snap-1",
            &CreateSnapshot {
                indices: vec![idx.into()],
                include_global_state: Some(false),
                wait: true,
            },
        )
        .await
        .unwrap();
    assert!(matches!(snap, SnapshotCreated::Done(_)));
    assert!(es
        .snapshots()
        .list(repo)
        .await
        .unwrap()
        .iter()
        .any(|s| s.snapshot == "snap-1"));
    es.snapshots()
        .restore(
            repo,
            "snap-1",
            &Restore {
                indices: vec![idx.into()],
                rename_pattern: Some("(.+)".into()),
                rename_replacement: Some("restored-$1".into()),
                include_global_state: None,
                wait: true,
            },
        )
        .await
        .unwrap();
    assert!(es
        .indices()
        .exists("restored-soc-alerts-000001")
        .await
        .unwrap());

    // The guarded delete: the emulator refuses wildcards as 8.x does; the plan deletes names.
    let e = es.indices().plan_delete("*").await.unwrap_err();
    assert!(matches!(e, Error::Refused { .. }));
    let plan = es.indices().plan_delete("*soc-alerts-*").await.unwrap();
    assert_eq!(
        plan.indices,
        ["restored-soc-alerts-000001", "soc-alerts-000001"]
    );
    es.indices().delete_planned(&plan).await.unwrap();
    assert!(!es.indices().exists(idx).await.unwrap());
    es.snapshots().delete(repo, "snap-1").await.unwrap();
}
