//! Index templates, ILM policies and snapshot repositories.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::query;
use super::{
    acknowledged, bad_request, err, flatten_into, index_settings, iso_ms, nest, ok, patterns_of,
    setting_text, Answer, Es, Payload, Policy,
};
use crate::util;

impl Es {
    pub(super) fn templates(&self, m: &Method, kind: &str, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let (store, key, missing_kind) = match kind {
            "index" => (
                &mut st.index_templates,
                "index_templates",
                "resource_not_found_exception",
            ),
            "legacy" => (&mut st.legacy_templates, "", "resource_not_found_exception"),
            _ => (
                &mut st.component_templates,
                "component_templates",
                "resource_not_found_exception",
            ),
        };
        let missing_reason = match kind {
            "index" => format!("index template matching [{name}] not found"),
            "legacy" => format!("index_template [{name}] missing"),
            _ => format!("component template matching [{name}] not found"),
        };
        match *m {
            Method::PUT | Method::POST => {
                if kind != "component" && patterns_of(body.get("index_patterns")).is_empty() {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "action_request_validation_exception",
                        "Validation Failed: 1: index patterns are missing;",
                        Value::Null,
                    );
                }
                if kind == "component" && body.get("template").is_none() {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "x_content_parse_exception",
                        "[1:2] [component_template] failed to parse field [template]: Required [template]",
                        Value::Null,
                    );
                }
                store.insert(name.to_string(), body.clone());
                acknowledged()
            }
            Method::DELETE => {
                let before = store.len();
                store.retain(|k, _| !query::glob(name, k));
                if before == store.len() {
                    return err(
                        StatusCode::NOT_FOUND,
                        missing_kind,
                        missing_reason,
                        Value::Null,
                    );
                }
                acknowledged()
            }
            Method::HEAD => {
                if store.keys().any(|k| query::glob(name, k)) {
                    (StatusCode::OK, Payload::Empty)
                } else {
                    (StatusCode::NOT_FOUND, Payload::Empty)
                }
            }
            _ => {
                let hits: Vec<(&String, &Value)> = store
                    .iter()
                    .filter(|(k, _)| name.split(',').any(|n| query::glob(n, k)))
                    .collect();
                if hits.is_empty() && !name.contains('*') {
                    return err(
                        StatusCode::NOT_FOUND,
                        missing_kind,
                        missing_reason,
                        Value::Null,
                    );
                }
                if kind == "legacy" {
                    let mut out = Map::new();
                    for (k, v) in hits {
                        let mut t = v.clone();
                        t["order"] = v.get("order").cloned().unwrap_or(json!(0));
                        t["settings"] = json!({"index": nest(index_settings(v.get("settings").unwrap_or(&json!({}))).into_iter().filter_map(|(k, v)| k.strip_prefix("index.").map(|k| (k.to_string(), Value::String(v)))))});
                        t["mappings"] = v.get("mappings").cloned().unwrap_or(json!({}));
                        t["aliases"] = v.get("aliases").cloned().unwrap_or(json!({}));
                        out.insert(k.clone(), t);
                    }
                    return ok(Value::Object(out));
                }
                let inner = if kind == "index" {
                    "index_template"
                } else {
                    "component_template"
                };
                let list: Vec<Value> = hits
                    .into_iter()
                    .map(|(k, v)| json!({"name": k, inner: v}))
                    .collect();
                ok(json!({ key: list }))
            }
        }
    }

    pub(super) fn ilm_policy(&self, m: &Method, name: Option<&str>, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let missing = |n: &str| {
            err(
                StatusCode::NOT_FOUND,
                "resource_not_found_exception",
                format!("Lifecycle policy not found: {n}"),
                Value::Null,
            )
        };
        match (m, name) {
            (&Method::PUT, Some(n)) => {
                let Some(policy) = body.get("policy").filter(|p| p.is_object()) else {
                    return bad_request(
                        "x_content_parse_exception",
                        "[1:2] [put_lifecycle_request] failed to parse field [policy]: policy is required",
                    );
                };
                let version = st.ilm.get(n).map_or(1, |p| p.version + 1);
                st.ilm.insert(
                    n.to_string(),
                    Policy {
                        version,
                        modified_ms: util::now_ms(),
                        policy: policy.clone(),
                    },
                );
                acknowledged()
            }
            (&Method::DELETE, Some(n)) => {
                if st.ilm.remove(n).is_none() {
                    return missing(n);
                }
                acknowledged()
            }
            (&Method::GET, _) => {
                let mut out = Map::new();
                for (k, p) in &st.ilm {
                    if name.is_none_or(|n| n.split(',').any(|n| query::glob(n, k))) {
                        let users: Vec<&String> = st
                            .indices
                            .iter()
                            .filter(|(_, i)| i.settings.get("index.lifecycle.name") == Some(k))
                            .map(|(n, _)| n)
                            .collect();
                        let templates: Vec<&String> = st
                            .index_templates
                            .iter()
                            .filter(|(_, t)| {
                                t.pointer("/template/settings")
                                    .map(index_settings)
                                    .is_some_and(|s| s.get("index.lifecycle.name") == Some(k))
                            })
                            .map(|(n, _)| n)
                            .collect();
                        out.insert(
                            k.clone(),
                            json!({
                                "version": p.version,
                                "modified_date": iso_ms(p.modified_ms),
                                "policy": p.policy,
                                "in_use_by": {"indices": users, "data_streams": [], "composable_templates": templates}
                            }),
                        );
                    }
                }
                if let Some(n) = name {
                    if out.is_empty() && !n.contains('*') {
                        return missing(n);
                    }
                }
                ok(Value::Object(out))
            }
            _ => bad_request(
                "illegal_argument_exception",
                "unsupported method for the lifecycle policy API",
            ),
        }
    }

    pub(super) fn ilm_explain(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let now = util::now_ms();
        let mut out = Map::new();
        for n in names {
            let Some(i) = st.indices.get(&n) else {
                continue;
            };
            let entry = match i.settings.get("index.lifecycle.name") {
                None => json!({"index": n, "managed": false}),
                Some(p) => {
                    let age = format!("{:.2}h", (now - i.created_ms) as f64 / 3_600_000.0);
                    let mut e = json!({
                        "index": n, "managed": true, "policy": p,
                        "index_creation_date_millis": i.created_ms,
                        "time_since_index_creation": age,
                        "lifecycle_date_millis": i.created_ms, "age": age,
                        "phase": "hot", "phase_time_millis": i.created_ms,
                        "action": "complete", "action_time_millis": i.created_ms,
                        "step": "complete", "step_time_millis": i.created_ms,
                        "skip": false
                    });
                    match st.ilm.get(p) {
                        Some(pol) => {
                            e["phase_execution"] = json!({
                                "policy": p,
                                "phase_definition": pol.policy.pointer("/phases/hot").cloned().unwrap_or(json!({"min_age": "0ms", "actions": {}})),
                                "version": pol.version,
                                "modified_date_in_millis": pol.modified_ms
                            });
                        }
                        None => {
                            e["step"] = json!("ERROR");
                            e["failed_step"] = json!("check-rollover-ready");
                            e["step_info"] = json!({"type": "illegal_argument_exception", "reason": format!("policy [{p}] does not exist")});
                        }
                    }
                    e
                }
            };
            out.insert(n, entry);
        }
        ok(json!({ "indices": out }))
    }

    pub(super) fn repository(&self, m: &Method, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        match *m {
            Method::PUT | Method::POST => {
                let ty = body.get("type").and_then(Value::as_str).unwrap_or("");
                let settings = body.get("settings").cloned().unwrap_or(json!({}));
                match ty {
                    "fs" => {
                        // A real node also checks `location` against `path.repo`; the lab's node
                        // is configured with a `path.repo` that covers every location.
                        if settings.get("location").is_none() {
                            return err(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                "repository_exception",
                                format!("[{name}] missing location"),
                                Value::Null,
                            );
                        }
                    }
                    "s3" => {
                        if settings.get("bucket").is_none() {
                            return err(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                "repository_exception",
                                format!("[{name}] No bucket defined for s3 repository"),
                                Value::Null,
                            );
                        }
                    }
                    "url" | "source" | "azure" | "gcs" => {}
                    other => {
                        return err(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "repository_exception",
                            format!("[{name}] repository type [{other}] does not exist"),
                            Value::Null,
                        )
                    }
                }
                let mut flat = BTreeMap::new();
                flatten_into("", &settings, &mut flat);
                let settings: Map<String, Value> = flat
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(setting_text(&v))))
                    .collect();
                st.repositories.insert(
                    name.to_string(),
                    json!({"type": ty, "settings": nest(settings)}),
                );
                acknowledged()
            }
            Method::DELETE => {
                if st.repositories.remove(name).is_none() {
                    return repo_missing(name);
                }
                acknowledged()
            }
            _ => {
                let out: Map<String, Value> = st
                    .repositories
                    .iter()
                    .filter(|(k, _)| name == "_all" || name.split(',').any(|n| query::glob(n, k)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if out.is_empty() && name != "_all" && !name.contains('*') {
                    return repo_missing(name);
                }
                ok(Value::Object(out))
            }
        }
    }

    pub(super) fn verify_repository(&self, name: &str) -> Answer {
        let st = util::lock(&self.state);
        if !st.repositories.contains_key(name) {
            return repo_missing(name);
        }
        ok(json!({"nodes": { st.node_id.clone(): {"name": "soc-lab-es"} }}))
    }
}

pub(super) fn repo_missing(name: &str) -> Answer {
    err(
        StatusCode::NOT_FOUND,
        "repository_missing_exception",
        format!("[{name}] missing"),
        Value::Null,
    )
}
