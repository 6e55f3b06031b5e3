//! Typed answers decode the specification-shaped fixtures and encode back losslessly.

use es_ops::cluster::{ClusterHealth, ClusterSettings, NodesStats, PendingTask};
use es_ops::indices::{CatAlias, CatIndex, Rollover, TaskStatus};
use es_ops::search::SearchResponse;
use es_ops::snapshots::SnapshotInfo;
use es_ops::ServerInfo;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::support::{fixture, fixture_json};

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let raw = fixture(name);
    let de = &mut serde_json::Deserializer::from_str(&raw);
    let typed: T = serde_path_to_error::deserialize(de)
        .unwrap_or_else(|e| panic!("{name}: at {}: {}", e.path(), e.inner()));
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        serde_json::from_str::<Value>(&raw).unwrap(),
        "{name}"
    );
    typed
}

#[test]
fn server_descriptions() {
    for (name, major) in [
        ("root_es7.json", 7),
        ("root_es8.json", 8),
        ("root_es9.json", 9),
        ("root_opensearch2.json", 2),
    ] {
        let i: ServerInfo = round_trip(name);
        assert_eq!(i.major(), major, "{name}");
    }
}

#[test]
fn cluster_answers() {
    let h: ClusterHealth = round_trip("cluster_health.json");
    assert!(!h.timed_out);
    let h7: ClusterHealth = round_trip("cluster_health_es7.json");
    assert!(h7.unassigned_primary_shards.is_none(), "not sent by 7.x");
    let _: ClusterHealth = round_trip("cluster_health_timeout.json");
    let n: NodesStats = round_trip("nodes_stats.json");
    assert!(!n.nodes.is_empty());
    let _: ClusterSettings = round_trip("cluster_settings.json");
    let tasks: Vec<PendingTask> =
        serde_json::from_value(fixture_json("pending_tasks.json")["tasks"].clone()).unwrap();
    assert!(!tasks.is_empty());
}

#[test]
fn index_answers_with_numbers_from_strings() {
    let l: Vec<CatIndex> = round_trip("cat_indices.json");
    let first = &l[0];
    assert!(first.docs().unwrap() > 0 && first.bytes().unwrap() > 0);
    assert!(first.extra.contains_key("dataset.size"), "8.x column kept");
    let _: Vec<CatIndex> = round_trip("cat_indices_es7.json");
    let closed: Vec<CatIndex> = round_trip("cat_indices_closed.json");
    assert!(closed.iter().any(|i| i.status.as_deref() == Some("close")));
    let _: Vec<CatAlias> = round_trip("cat_aliases.json");
    let r: Rollover = round_trip("rollover.json");
    assert!(r.rolled_over);
    let t: TaskStatus = round_trip("task_completed.json");
    assert!(t.completed && t.response.is_some());
    let running: TaskStatus = round_trip("task_running.json");
    assert!(!running.completed);
}

#[test]
fn search_and_snapshot_answers() {
    let r: SearchResponse<Value> = serde_json::from_str(&fixture("search_response.json")).unwrap();
    assert!(!r.hits.hits.is_empty());
    let s: SearchResponse<Value> = serde_json::from_str(&fixture("search_scroll.json")).unwrap();
    assert!(s.scroll_id.is_some());
    let list: Vec<SnapshotInfo> =
        serde_json::from_value(fixture_json("snapshot_get.json")["snapshots"].clone()).unwrap();
    assert!(list.iter().any(|s| s.state.as_deref() == Some("PARTIAL")));
}

/// Fixtures with one value of the wrong type anywhere: the decoders answer an error or a
/// value, never a panic (the `_cat` cells parse strings as numbers).
#[test]
fn decoders_survive_values_of_the_wrong_type() {
    use es_ops::cluster::ClusterHealth;
    use es_ops::indices::CatIndex;
    let mut rejected = 0;
    for v in soc_testkit::mutations(
        &crate::support::fixture_json("cluster_health.json"),
        17,
        400,
    ) {
        rejected += usize::from(serde_json::from_value::<ClusterHealth>(v).is_err());
    }
    for row in crate::support::fixture_json("cat_indices.json")
        .as_array()
        .unwrap()
    {
        for v in soc_testkit::mutations(row, 19, 200) {
            rejected += usize::from(serde_json::from_value::<CatIndex>(v).is_err());
        }
    }
    assert!(rejected > 0, "the mutations reach typed fields");
}
