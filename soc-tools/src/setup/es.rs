//! Elasticsearch: retention policies, index templates, the snapshot repository.

use es_ops::lifecycle::RetentionPolicy;
use serde_json::{json, Value};

use super::{contains, toml_to_json, Run};
use crate::clients;

const S: &str = "elasticsearch";

pub(super) async fn run(run: &mut Run<'_>) {
    let es = match clients::elasticsearch(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return run.failed(S, "connection", "elasticsearch", e),
    };
    let Some(cfg) = run.config.elasticsearch.clone() else {
        return;
    };

    for r in &cfg.retention {
        let policy = RetentionPolicy {
            description: format!("{}: delete after {}", r.name, r.delete_after),
            rollover_max_age: r.rollover_after.clone(),
            rollover_max_primary_shard_size: None,
            delete_after: r.delete_after.clone(),
            index_patterns: Vec::new(),
        };
        let desired = policy.to_ilm();
        let current = match es.lifecycle().ilm_policies(&r.name).await {
            Ok(m) => m.get(&r.name).and_then(|p| p.get("policy")).cloned(),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                run.failed(S, "retention", &r.name, e);
                continue;
            }
        };
        match &current {
            Some(c) if contains(c, &desired["policy"]) => run.unchanged(S, "retention", &r.name),
            _ => {
                run.apply(
                    S,
                    "retention",
                    &r.name,
                    current.is_some(),
                    &format!("delete after {}", r.delete_after),
                    || async {
                        es.lifecycle()
                            .put_retention_policy(&r.name, &policy)
                            .await
                            .map(|_| ())
                    },
                )
                .await;
            }
        }
    }

    for t in &cfg.templates {
        let mut index = json!({"number_of_shards": t.shards, "number_of_replicas": t.replicas});
        if let Some(r) = &t.retention {
            index["lifecycle"] = json!({"name": r});
        }
        let desired = json!({
            "index_patterns": t.patterns,
            "priority": t.priority,
            "template": {"settings": {"index": index}},
            "_meta": {"managed_by": "soc-toolkit"},
        });
        let current = match es.lifecycle().index_templates(&t.name).await {
            Ok(v) => v
                .get("index_templates")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|x| x.get("name").and_then(Value::as_str) == Some(&t.name))
                })
                .and_then(|x| x.get("index_template"))
                .cloned(),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                run.failed(S, "template", &t.name, e);
                continue;
            }
        };
        match &current {
            Some(c) if contains(c, &desired) => run.unchanged(S, "template", &t.name),
            _ => {
                run.apply(
                    S,
                    "template",
                    &t.name,
                    current.is_some(),
                    &t.patterns.join(","),
                    || async {
                        es.lifecycle()
                            .put_index_template(&t.name, &desired)
                            .await
                            .map(|_| ())
                    },
                )
                .await;
            }
        }
    }

    if let Some(repo) = &cfg.snapshot_repository {
        let settings: serde_json::Map<String, Value> = repo
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_json(v)))
            .collect();
        let desired = json!({"type": repo.kind, "settings": settings});
        let current = match es.snapshots().repositories(&repo.name).await {
            Ok(m) => m.get(&repo.name).cloned(),
            Err(e) if e.is_not_found() => None,
            Err(e) => return run.failed(S, "snapshot-repository", &repo.name, e),
        };
        match &current {
            Some(c) if contains(c, &desired) => run.unchanged(S, "snapshot-repository", &repo.name),
            _ => {
                run.apply(
                    S,
                    "snapshot-repository",
                    &repo.name,
                    current.is_some(),
                    &repo.kind,
                    || async {
                        es.snapshots()
                            .put_repository(&repo.name, &desired, true)
                            .await
                            .map(|_| ())
                    },
                )
                .await;
            }
        }
    }
}
