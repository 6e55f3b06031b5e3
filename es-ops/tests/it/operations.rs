//! Every operation, checked for the exact request (method, path, query, credentials,
//! compatibility media types, body) and parsed from answers in the specification's shapes.

use std::time::Duration;

use es_ops::cluster::{HealthRequest, HealthStatus};
use es_ops::indices::AliasAction;
use es_ops::lifecycle::RetentionPolicy;
use es_ops::search::Query;
use es_ops::security::NewUser;
use es_ops::snapshots::{CreateSnapshot, Restore, S3Repository, SnapshotCreated};
use es_ops::SecretString;
use serde_json::{json, Value};

use crate::support::{call, fixture_json, op, run_es7, run_es8, run_opensearch, Body, Op, Reply};

fn j(v: Value) -> Body {
    Body::Json(v)
}
fn none() -> Body {
    Body::None
}
fn fx(name: &'static str) -> Reply {
    Reply::Fixture(200, name)
}
fn ack() -> Reply {
    Reply::Json(200, json!({"acknowledged": true}))
}

pub(crate) fn cluster_ops() -> Vec<Op> {
    vec![
        op(
            "GET /_cluster/health",
            none(),
            fx("cluster_health.json"),
            call(|es| async move {
                let h = es
                    .cluster()
                    .health(&HealthRequest {
                        wait_for_status: Some(HealthStatus::Yellow),
                        timeout: Some(Duration::from_secs(5)),
                        index: None,
                    })
                    .await?;
                assert!(!h.timed_out);
                Ok(())
            }),
        )
        .query(&[("wait_for_status", "yellow"), ("timeout", "5000ms")]),
        op(
            "GET /_cluster/health/{index}",
            none(),
            Reply::Fixture(408, "cluster_health_timeout.json"),
            call(|es| async move {
                let h = es
                    .cluster()
                    .health(&HealthRequest {
                        index: Some("index".into()),
                        wait_for_status: Some(HealthStatus::Green),
                        timeout: Some(Duration::from_millis(250)),
                    })
                    .await?;
                assert!(h.timed_out, "a timed-out wait is an answer, not an error");
                assert_eq!(h.status, HealthStatus::Red);
                Ok(())
            }),
        )
        .query(&[("wait_for_status", "green"), ("timeout", "250ms")]),
        op(
            "GET /_cluster/stats",
            none(),
            fx("cluster_stats.json"),
            call(|es| async move { es.cluster().stats().await.map(|_| ()) }),
        ),
        op(
            "GET /_nodes/stats/jvm,fs",
            none(),
            fx("nodes_stats.json"),
            call(|es| async move {
                let s = es.cluster().node_stats().await?;
                let node = s.nodes.values().next().expect("a node");
                assert!(node.jvm.as_ref().unwrap().mem.heap_used_percent <= 100);
                let used = node.fs.as_ref().unwrap().total.used_percent();
                assert!((0.0..=100.0).contains(&used));
                Ok(())
            }),
        ),
        op(
            "GET /_cluster/pending_tasks",
            none(),
            fx("pending_tasks.json"),
            call(|es| async move { es.cluster().pending_tasks().await.map(|_| ()) }),
        ),
        op(
            "POST /_cluster/allocation/explain",
            j(json!({"index": "cortex_6", "shard": 0, "primary": true})),
            fx("allocation_explain.json"),
            call(|es| async move {
                es.cluster()
                    .allocation_explain(Some(
                        &json!({"index": "cortex_6", "shard": 0, "primary": true}),
                    ))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /_cluster/settings",
            none(),
            fx("cluster_settings.json"),
            call(|es| async move { es.cluster().settings().await.map(|_| ()) }),
        ),
        op(
            "PUT /_cluster/settings",
            j(json!({"persistent": {"action.destructive_requires_name": true}, "transient": {}})),
            fx("cluster_settings_put.json"),
            call(|es| async move {
                es.cluster()
                    .put_settings(
                        &json!({"action.destructive_requires_name": true}),
                        &json!({}),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

pub(crate) fn index_ops() -> Vec<Op> {
    vec![
        op(
            "GET /_cat/indices",
            none(),
            fx("cat_indices.json"),
            call(|es| async move {
                let l = es.indices().list(None).await?;
                assert!(
                    l.iter().any(|i| i.bytes().is_some() && i.docs().is_some()),
                    "numbers parsed from strings"
                );
                Ok(())
            }),
        )
        .query(&[
            ("format", "json"),
            ("bytes", "b"),
            ("expand_wildcards", "all"),
        ]),
        op(
            "GET /_cat/indices/{pattern}",
            none(),
            fx("cat_indices.json"),
            call(|es| async move { es.indices().list(Some("pattern")).await.map(|_| ()) }),
        )
        .query(&[
            ("format", "json"),
            ("bytes", "b"),
            ("expand_wildcards", "all"),
        ]),
        op(
            "GET /_cat/aliases",
            none(),
            fx("cat_aliases.json"),
            call(|es| async move { es.indices().aliases(None).await.map(|_| ()) }),
        )
        .query(&[("format", "json")]),
        op(
            "HEAD /{index}",
            none(),
            Reply::Empty(200),
            call(|es| async move {
                assert!(es.indices().exists("index").await?);
                Ok(())
            }),
        ),
        op(
            "PUT /{index}",
            j(
                json!({"settings": {"number_of_shards": 1}, "mappings": {"properties": {"@timestamp": {"type": "date"}}}}),
            ),
            fx("index_create.json"),
            call(|es| async move {
                let body = json!({"settings": {"number_of_shards": 1}, "mappings": {"properties": {"@timestamp": {"type": "date"}}}});
                assert!(es.indices().create("index", &body).await?.acknowledged);
                Ok(())
            }),
        ),
        op(
            "GET /{index}/_mapping",
            none(),
            fx("get_mapping.json"),
            call(|es| async move { es.indices().mapping("index").await.map(|_| ()) }),
        ),
        op(
            "PUT /{index}/_mapping",
            j(json!({"properties": {"rule.id": {"type": "keyword"}}})),
            ack(),
            call(|es| async move {
                es.indices()
                    .put_mapping(
                        "index",
                        &json!({"properties": {"rule.id": {"type": "keyword"}}}),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /{index}/_settings",
            none(),
            fx("get_settings.json"),
            call(|es| async move { es.indices().settings("index").await.map(|_| ()) }),
        ),
        op(
            "PUT /{index}/_settings",
            j(json!({"index": {"number_of_replicas": 0}})),
            ack(),
            call(|es| async move {
                es.indices()
                    .put_settings("index", &json!({"index": {"number_of_replicas": 0}}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /{index}/_refresh",
            none(),
            Reply::Json(
                200,
                json!({"_shards": {"total": 2, "successful": 2, "failed": 0}}),
            ),
            call(|es| async move { es.indices().refresh("index").await.map(|_| ()) }),
        ),
        op(
            "POST /{index}/_open",
            none(),
            ack(),
            call(|es| async move { es.indices().open("index").await.map(|_| ()) }),
        ),
        op(
            "POST /{index}/_close",
            none(),
            ack(),
            call(|es| async move { es.indices().close("index").await.map(|_| ()) }),
        ),
        op(
            "POST /{alias}/_rollover",
            j(json!({"conditions": {"max_age": "1d", "max_primary_shard_size": "50gb"}})),
            fx("rollover.json"),
            call(|es| async move {
                let r = es
                    .indices()
                    .rollover(
                        "alias",
                        Some(&json!({"max_age": "1d", "max_primary_shard_size": "50gb"})),
                        false,
                    )
                    .await?;
                assert!(r.rolled_over);
                Ok(())
            }),
        ),
        op(
            "POST /_aliases",
            j(json!({"actions": [
                {"remove": {"index": "logs-000001", "alias": "logs"}},
                {"add": {"index": "logs-000002", "alias": "logs", "is_write_index": true}}
            ]})),
            fx("update_aliases.json"),
            call(|es| async move {
                es.indices()
                    .update_aliases(&[
                        AliasAction::Remove {
                            index: "logs-000001".into(),
                            alias: "logs".into(),
                        },
                        AliasAction::Add {
                            index: "logs-000002".into(),
                            alias: "logs".into(),
                            is_write_index: Some(true),
                        },
                    ])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /_reindex",
            j(json!({"source": {"index": "cortex_5"}, "dest": {"index": "cortex_6"}})),
            fx("reindex_task.json"),
            call(|es| async move {
                let t = es
                    .indices()
                    .start_reindex(
                        &json!({"source": {"index": "cortex_5"}, "dest": {"index": "cortex_6"}}),
                    )
                    .await?;
                assert!(t.contains(':'));
                Ok(())
            }),
        )
        .query(&[("wait_for_completion", "false")]),
        op(
            "GET /_tasks/{task}",
            none(),
            fx("task_completed.json"),
            call(|es| async move {
                assert!(es.indices().task("task").await?.completed);
                Ok(())
            }),
        ),
    ]
}

fn retention() -> RetentionPolicy {
    RetentionPolicy {
        description: "SOC alerts: 30 days".into(),
        rollover_max_age: Some("1d".into()),
        rollover_max_primary_shard_size: Some("50gb".into()),
        delete_after: "30d".into(),
        index_patterns: vec!["soc-alerts-*".into()],
    }
}

pub(crate) fn lifecycle_ops() -> Vec<Op> {
    vec![
        op(
            "PUT /_index_template/{name}",
            j(
                json!({"index_patterns": ["soc-alerts-*"], "composed_of": ["soc-mappings"], "priority": 200}),
            ),
            ack(),
            call(|es| async move {
                es.lifecycle().put_index_template("name", &json!({"index_patterns": ["soc-alerts-*"], "composed_of": ["soc-mappings"], "priority": 200})).await.map(|_| ())
            }),
        ),
        op(
            "GET /_index_template/{name}",
            none(),
            fx("index_template_get.json"),
            call(|es| async move { es.lifecycle().index_templates("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_index_template/{name}",
            none(),
            ack(),
            call(|es| async move {
                es.lifecycle()
                    .delete_index_template("name")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PUT /_component_template/{name}",
            j(
                json!({"template": {"mappings": {"properties": {"rule.level": {"type": "integer"}}}}}),
            ),
            ack(),
            call(|es| async move {
                es.lifecycle().put_component_template("name", &json!({"template": {"mappings": {"properties": {"rule.level": {"type": "integer"}}}}})).await.map(|_| ())
            }),
        ),
        op(
            "GET /_component_template/{name}",
            none(),
            fx("component_template_get.json"),
            call(|es| async move { es.lifecycle().component_templates("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_component_template/{name}",
            none(),
            ack(),
            call(|es| async move {
                es.lifecycle()
                    .delete_component_template("name")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /_template/{name}",
            none(),
            fx("legacy_template_get.json"),
            call(|es| async move { es.lifecycle().legacy_templates("name").await.map(|_| ()) }),
        ),
        op(
            "PUT /_ilm/policy/{name}",
            j(retention().to_ilm()),
            ack(),
            call(|es| async move {
                es.lifecycle()
                    .put_retention_policy("name", &retention())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /_ilm/policy/{name}",
            none(),
            fx("ilm_policy_get.json"),
            call(|es| async move { es.lifecycle().ilm_policies("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_ilm/policy/{name}",
            none(),
            ack(),
            call(|es| async move { es.lifecycle().delete_ilm_policy("name").await.map(|_| ()) }),
        ),
        op(
            "GET /{index}/_ilm/explain",
            none(),
            fx("ilm_explain.json"),
            call(|es| async move { es.lifecycle().explain_ilm("index").await.map(|_| ()) }),
        ),
        op(
            "PUT /_data_stream/{name}",
            none(),
            ack(),
            call(|es| async move { es.lifecycle().create_data_stream("name").await.map(|_| ()) }),
        ),
        op(
            "GET /_data_stream/{name}",
            none(),
            fx("data_stream_get.json"),
            call(|es| async move { es.lifecycle().data_streams("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_data_stream/{name}",
            none(),
            ack(),
            call(|es| async move { es.lifecycle().delete_data_stream("name").await.map(|_| ()) }),
        ),
        op(
            "PUT /_slm/policy/{id}",
            j(
                json!({"schedule": "0 30 1 * * ?", "name": "<soc-nightly-{now/d}>", "repository": "minio", "retention": {"expire_after": "30d"}}),
            ),
            ack(),
            call(|es| async move {
                let body = json!({"schedule": "0 30 1 * * ?", "name": "<soc-nightly-{now/d}>", "repository": "minio", "retention": {"expire_after": "30d"}});
                es.lifecycle().put_slm_policy("id", &body).await.map(|_| ())
            }),
        ),
        op(
            "GET /_slm/policy/{id}",
            none(),
            fx("slm_policy_get.json"),
            call(|es| async move { es.lifecycle().slm_policies("id").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_slm/policy/{id}",
            none(),
            ack(),
            call(|es| async move { es.lifecycle().delete_slm_policy("id").await.map(|_| ()) }),
        ),
        op(
            "POST /_slm/policy/{id}/_execute",
            none(),
            fx("slm_execute.json"),
            call(|es| async move {
                assert!(!es.lifecycle().execute_slm_policy("id").await?.is_empty());
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn opensearch_ops() -> Vec<Op> {
    vec![
        op(
            "PUT /_plugins/_ism/policies/{name}",
            j(retention().to_ism()),
            Reply::Json(201, json!({"_id": "name", "_version": 1})),
            call(|es| async move {
                es.lifecycle()
                    .put_retention_policy("name", &retention())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /_plugins/_ism/policies/{name}",
            none(),
            fx("ism_policy_get.json"),
            call(|es| async move { es.lifecycle().ism_policy("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_plugins/_ism/policies/{name}",
            none(),
            Reply::Json(200, json!({"result": "deleted"})),
            call(|es| async move { es.lifecycle().delete_ism_policy("name").await.map(|_| ()) }),
        ),
        op(
            "GET /_plugins/_ism/explain/{index}",
            none(),
            Reply::Json(
                200,
                json!({"index": {"index.plugins.index_state_management.policy_id": "name"}, "total_managed_indices": 1}),
            ),
            call(|es| async move { es.lifecycle().explain_ism("index").await.map(|_| ()) }),
        ),
    ]
}

pub(crate) fn snapshot_ops() -> Vec<Op> {
    vec![
        op(
            "PUT /_snapshot/{repo}",
            j(json!({"type": "s3", "settings": {"bucket": "soc-snapshots", "client": "minio", "base_path": "es/siem"}})),
            ack(),
            call(|es| async move {
                let mut r = S3Repository::new("soc-snapshots");
                r.client = Some("minio".into());
                r.base_path = Some("es/siem".into());
                es.snapshots().put_s3_repository("repo", &r, true).await.map(|_| ())
            }),
        ),
        op("GET /_snapshot/{repo}", none(), fx("snapshot_repo_get.json"), call(|es| async move { es.snapshots().repositories("repo").await.map(|_| ()) })),
        op("POST /_snapshot/{repo}/_verify", none(), fx("snapshot_verify.json"), call(|es| async move { es.snapshots().verify_repository("repo").await.map(|_| ()) })),
        op("DELETE /_snapshot/{repo}", none(), ack(), call(|es| async move { es.snapshots().delete_repository("repo").await.map(|_| ()) })),
        op(
            "PUT /_snapshot/{repo}/{snapshot}",
            j(json!({"indices": "thehive*,cortex_6", "include_global_state": false})),
            fx("snapshot_create_wait.json"),
            call(|es| async move {
                let opts = CreateSnapshot { indices: vec!["thehive*".into(), "cortex_6".into()], include_global_state: Some(false), wait: true };
                match es.snapshots().create("repo", "snapshot", &opts).await? {
                    SnapshotCreated::Done(info) => assert!(!info.indices.is_empty()),
                    SnapshotCreated::Accepted => panic!("waited: the snapshot is done"),
                }
                Ok(())
            }),
        )
        .query(&[("wait_for_completion", "true")]),
        op("GET /_snapshot/{repo}/_all", none(), fx("snapshot_get.json"), call(|es| async move {
            assert!(!es.snapshots().list("repo").await?.is_empty());
            Ok(())
        })),
        op("GET /_snapshot/{repo}/{snapshot}/_status", none(), fx("snapshot_status.json"), call(|es| async move { es.snapshots().status("repo", "snapshot").await.map(|_| ()) })),
        op(
            "POST /_snapshot/{repo}/{snapshot}/_restore",
            j(json!({"indices": "cortex_6", "rename_pattern": "(.+)", "rename_replacement": "restored_$1"})),
            fx("snapshot_restore.json"),
            call(|es| async move {
                let opts = Restore {
                    indices: vec!["cortex_6".into()],
                    rename_pattern: Some("(.+)".into()),
                    rename_replacement: Some("restored_$1".into()),
                    include_global_state: None,
                    wait: true,
                };
                es.snapshots().restore("repo", "snapshot", &opts).await.map(|_| ())
            }),
        )
        .query(&[("wait_for_completion", "true")]),
        op("DELETE /_snapshot/{repo}/{snapshot}", none(), ack(), call(|es| async move { es.snapshots().delete("repo", "snapshot").await.map(|_| ()) })),
    ]
}

pub(crate) fn search_security_ops() -> Vec<Op> {
    vec![
        op(
            "POST /{index}/_search",
            j(
                json!({"query": {"bool": {"filter": [{"term": {"rule.level": 12}}, {"range": {"@timestamp": {"gte": "now-1d"}}}]}}, "size": 10}),
            ),
            fx("search_response.json"),
            call(|es| async move {
                let q = Query::bool(
                    vec![],
                    vec![
                        Query::term("rule.level", 12),
                        Query::range("@timestamp", Some(json!("now-1d")), None),
                    ],
                    vec![],
                    vec![],
                );
                let r = es
                    .search()
                    .search::<Value>("index", &json!({"query": q, "size": 10}))
                    .await?;
                assert!(!r.hits.hits.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /{index}/_count",
            j(json!({"query": {"match_all": {}}})),
            fx("count.json"),
            call(|es| async move {
                es.search()
                    .count("index", &Query::match_all())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /_security/api_key",
            j(json!({"name": "elastalert", "expiration": "90d"})),
            fx("api_key_create.json"),
            call(|es| async move {
                let k = es
                    .security()
                    .create_api_key("elastalert", None, Some("90d"))
                    .await?;
                assert!(
                    !format!("{k:?}").contains(soc_http::ExposeSecret::expose_secret(&k.api_key))
                );
                Ok(())
            }),
        ),
        op(
            "DELETE /_security/api_key",
            j(json!({"ids": ["k1"]})),
            Reply::Json(
                200,
                json!({"invalidated_api_keys": ["k1"], "previously_invalidated_api_keys": [], "error_count": 0}),
            ),
            call(|es| async move { es.security().invalidate_api_keys(&["k1"]).await.map(|_| ()) }),
        ),
        op(
            "PUT /_security/user/{name}",
            j(json!({"password": "svc-pw", "roles": ["logstash_writer"], "full_name": "Logstash"})),
            fx("user_put.json"),
            call(|es| async move {
                let pw = SecretString::from("svc-pw".to_owned());
                let created = es
                    .security()
                    .put_user(
                        "name",
                        &NewUser {
                            password: &pw,
                            roles: &["logstash_writer"],
                            full_name: Some("Logstash"),
                        },
                    )
                    .await?;
                assert!(created);
                Ok(())
            }),
        ),
        op(
            "GET /_security/user/{name}",
            none(),
            Reply::Json(
                200,
                json!({"name": {"username": "name", "roles": ["logstash_writer"], "enabled": true}}),
            ),
            call(|es| async move { es.security().users("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_security/user/{name}",
            none(),
            Reply::Json(200, json!({"found": true})),
            call(|es| async move { es.security().delete_user("name").await.map(|_| ()) }),
        ),
        op(
            "PUT /_security/role/{name}",
            j(
                json!({"cluster": ["monitor"], "indices": [{"names": ["logs-*"], "privileges": ["create_doc"]}]}),
            ),
            fx("role_put.json"),
            call(|es| async move {
                es.security().put_role("name", &json!({"cluster": ["monitor"], "indices": [{"names": ["logs-*"], "privileges": ["create_doc"]}]})).await.map(|_| ())
            }),
        ),
        op(
            "GET /_security/role/{name}",
            none(),
            Reply::Json(200, json!({"name": {"cluster": ["monitor"]}})),
            call(|es| async move { es.security().roles("name").await.map(|_| ()) }),
        ),
        op(
            "DELETE /_security/role/{name}",
            none(),
            Reply::Json(200, json!({"found": true})),
            call(|es| async move { es.security().delete_role("name").await.map(|_| ()) }),
        ),
    ]
}

#[tokio::test]
async fn cluster_on_elasticsearch_8() {
    run_es8(cluster_ops()).await;
}

#[tokio::test]
async fn cluster_on_elasticsearch_7_without_compat_headers() {
    run_es7(cluster_ops()).await;
}

#[tokio::test]
async fn indices_on_elasticsearch_8() {
    run_es8(index_ops()).await;
}

#[tokio::test]
async fn indices_on_opensearch() {
    run_opensearch(index_ops()).await;
}

#[tokio::test]
async fn templates_and_lifecycle_on_elasticsearch_8() {
    run_es8(lifecycle_ops()).await;
}

#[tokio::test]
async fn ism_on_opensearch() {
    run_opensearch(opensearch_ops()).await;
}

#[tokio::test]
async fn snapshots_on_elasticsearch_8() {
    run_es8(snapshot_ops()).await;
}

#[tokio::test]
async fn search_and_security_on_elasticsearch_8() {
    run_es8(search_security_ops()).await;
}

#[test]
fn the_operations_table_lists_what_is_tested() {
    let all = [
        cluster_ops(),
        index_ops(),
        lifecycle_ops(),
        opensearch_ops(),
        snapshot_ops(),
        search_security_ops(),
    ];
    let tested: Vec<&str> = all.iter().flatten().map(|o| o.spec).collect();
    let table = include_str!("../../OPERATIONS.md");
    for spec in &tested {
        assert!(
            table.contains(&format!("`{spec}`")),
            "{spec} is tested but not in OPERATIONS.md"
        );
    }
    let _ = fixture_json;
}
