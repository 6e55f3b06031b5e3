//! Guarded deletes: a pattern becomes concrete names first, and the same call behaves the same
//! on Elasticsearch 7 (where `DELETE cortex*` deletes every match) and 8 (where it is refused).

use es_ops::Error;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client_for, BASIC};

async fn cluster_with(s: &MockServer, matches: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/_cat/indices/cortex*"))
        .and(query_param("format", "json"))
        .and(query_param("h", "index"))
        .and(query_param("expand_wildcards", "all"))
        .and(header("authorization", BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(matches))
        .expect(1)
        .mount(s)
        .await;
}

async fn plan_and_delete(root: &str) {
    let s = soc_testkit::server().await;
    cluster_with(
        &s,
        json!([{"index": "cortex_6"}, {"index": "cortex_5"}, {"index": "cortex_4"}]),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/cortex_4,cortex_5,cortex_6"))
        .and(query_param("expand_wildcards", "none"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"acknowledged": true})))
        .expect(1)
        .mount(&s)
        .await;
    let es = client_for(&s.uri(), root);
    let plan = es.indices().plan_delete("cortex*").await.unwrap();
    assert_eq!(plan.indices, ["cortex_4", "cortex_5", "cortex_6"]);
    let deleted = es.indices().delete_planned(&plan).await.unwrap();
    assert_eq!(deleted, plan.indices);
}

#[tokio::test]
async fn deletes_by_concrete_names_on_elasticsearch_7() {
    plan_and_delete("root_es7.json").await;
}

#[tokio::test]
async fn deletes_by_concrete_names_on_elasticsearch_8() {
    plan_and_delete("root_es8.json").await;
}

#[tokio::test]
async fn refuses_every_index_and_empty_expansions() {
    let s = soc_testkit::server().await;
    let es = client_for(&s.uri(), "root_es7.json");
    for pattern in ["*", "_all", "", "  ", "*,logs", "?*", "-x,*"] {
        let e = es.indices().plan_delete(pattern).await.unwrap_err();
        assert!(matches!(e, Error::Refused { .. }), "{pattern:?}: {e:?}");
    }
    cluster_with(&s, json!([])).await;
    let e = es.indices().plan_delete("cortex*").await.unwrap_err();
    assert!(e.to_string().contains("matches no index"), "{e}");
}

#[tokio::test]
async fn a_pattern_matching_nothing_answered_404_is_refused_too() {
    let s = soc_testkit::server().await;
    Mock::given(method("GET"))
        .and(path("/_cat/indices/cortex*"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"root_cause": [], "type": "index_not_found_exception", "reason": "no such index [cortex*]"},
            "status": 404
        })))
        .expect(1)
        .mount(&s)
        .await;
    let e = client_for(&s.uri(), "root_es8.json")
        .indices()
        .plan_delete("cortex*")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e:?}");
}

#[tokio::test]
async fn many_names_are_deleted_in_short_batches() {
    let s = soc_testkit::server().await;
    let names: Vec<serde_json::Value> = (0..300)
        .map(|i| json!({"index": format!("logs-wazuh-2024.{i:04}-000001")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/_cat/indices/logs-wazuh-2024.*"))
        .respond_with(ResponseTemplate::new(200).set_body_json(names))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"acknowledged": true})))
        .expect(4..)
        .mount(&s)
        .await;
    let es = client_for(&s.uri(), "root_es8.json");
    let plan = es.indices().plan_delete("logs-wazuh-2024.*").await.unwrap();
    assert_eq!(es.indices().delete_planned(&plan).await.unwrap().len(), 300);
    for r in s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
    {
        assert!(r.url.path().len() <= 2100, "{}", r.url.path().len());
        assert!(!r.url.path().contains('*'));
    }
}
