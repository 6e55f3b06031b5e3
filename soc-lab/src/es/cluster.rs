//! Cluster APIs: index resolution, health, cluster settings, allocation, node stats and
//! the `_cat` tables.

use std::collections::{BTreeMap, HashMap};

use http::StatusCode;
use serde_json::{json, Value};

use super::query;
use super::{
    bad_request, flag, flatten_into, index_missing, iso_ms, nest, ok, setting_text, Answer, Es,
    Index, Payload, State,
};
use crate::util;

impl Es {
    /// Resolves an index expression (comma list, wildcards, `-exclusions`, aliases, `_all`).
    pub(super) fn resolve(
        &self,
        st: &State,
        expr: &str,
        strict: bool,
    ) -> Result<Vec<String>, Answer> {
        let mut out: Vec<String> = Vec::new();
        for part in expr.split(',').filter(|p| !p.is_empty()) {
            if let Some(ex) = part.strip_prefix('-') {
                if !out.is_empty() {
                    out.retain(|n| !query::glob(ex, n));
                    continue;
                }
            }
            if part == "_all" || part.contains('*') || part.contains('?') {
                let pat = if part == "_all" { "*" } else { part };
                for (name, idx) in &st.indices {
                    let hidden = name.starts_with('.') && !pat.starts_with('.');
                    let by_alias = idx.aliases.keys().any(|a| query::glob(pat, a));
                    if (!hidden && query::glob(pat, name)) || by_alias {
                        out.push(name.clone());
                    }
                }
                continue;
            }
            if st.indices.contains_key(part) {
                out.push(part.to_string());
                continue;
            }
            let by_alias: Vec<String> = st
                .indices
                .iter()
                .filter(|(_, i)| i.aliases.contains_key(part))
                .map(|(n, _)| n.clone())
                .collect();
            if by_alias.is_empty() {
                if strict {
                    return Err(index_missing(part));
                }
            } else {
                out.extend(by_alias);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn status_of(st: &State, names: &[String]) -> &'static str {
        if names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .any(|i| i.replicas() > 0)
        {
            "yellow"
        } else {
            "green"
        }
    }

    pub(super) async fn health(
        &self,
        idx: Option<&str>,
        params: &HashMap<String, String>,
    ) -> Answer {
        let wait = params.get("wait_for_status").cloned();
        let timeout_ms = params
            .get("timeout")
            .and_then(|t| parse_duration_ms(t))
            .unwrap_or(30_000);
        let deadline = util::now_ms() + timeout_ms;
        loop {
            let (mut body, status) = {
                let st = util::lock(&self.state);
                let names = match idx {
                    Some(expr) => match self.resolve(&st, expr, true) {
                        Ok(n) => n,
                        Err(e) => return e,
                    },
                    None => st.indices.keys().cloned().collect(),
                };
                let status = Self::status_of(&st, &names);
                let (mut pri, mut unassigned) = (0u64, 0u64);
                for i in names.iter().filter_map(|n| st.indices.get(n)) {
                    pri += i.shards();
                    unassigned += i.shards() * i.replicas();
                }
                let total = pri + unassigned;
                let pct = if total == 0 {
                    100.0
                } else {
                    (pri as f64) * 100.0 / (total as f64)
                };
                (
                    json!({
                        "cluster_name": "soc-lab",
                        "status": status,
                        "timed_out": false,
                        "number_of_nodes": 1,
                        "number_of_data_nodes": 1,
                        "active_primary_shards": pri,
                        "active_shards": pri,
                        "relocating_shards": 0,
                        "initializing_shards": 0,
                        "unassigned_shards": unassigned,
                        "unassigned_primary_shards": 0,
                        "delayed_unassigned_shards": 0,
                        "number_of_pending_tasks": 0,
                        "number_of_in_flight_fetch": 0,
                        "task_max_waiting_in_queue_millis": 0,
                        "active_shards_percent_as_number": pct
                    }),
                    status,
                )
            };
            let rank = |s: &str| match s {
                "green" => 0,
                "yellow" => 1,
                _ => 2,
            };
            match &wait {
                Some(w) if rank(status) > rank(w) => {
                    if util::now_ms() >= deadline {
                        body["timed_out"] = Value::Bool(true);
                        return (StatusCode::REQUEST_TIMEOUT, Payload::Json(body));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                _ => return ok(body),
            }
        }
    }

    pub(super) fn cluster_settings_get(&self, params: &HashMap<String, String>) -> Answer {
        let st = util::lock(&self.state);
        let flat = flag(params, "flat_settings");
        let render = |m: &BTreeMap<String, Value>| {
            if flat {
                Value::Object(m.clone().into_iter().collect())
            } else {
                nest(m.clone())
            }
        };
        let mut out =
            json!({"persistent": render(&st.persistent), "transient": render(&st.transient)});
        if flag(params, "include_defaults") {
            out["defaults"] = nest([
                (
                    "action.destructive_requires_name".to_string(),
                    json!("true"),
                ),
                (
                    "cluster.routing.allocation.enable".to_string(),
                    json!("all"),
                ),
            ]);
        }
        ok(out)
    }

    pub(super) fn cluster_settings_put(&self, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let mut echo = json!({"acknowledged": true, "persistent": {}, "transient": {}});
        for scope in ["persistent", "transient"] {
            let mut flat = BTreeMap::new();
            if let Some(v) = body.get(scope) {
                flatten_into("", v, &mut flat);
            }
            let target = if scope == "persistent" {
                &mut st.persistent
            } else {
                &mut st.transient
            };
            let mut applied = BTreeMap::new();
            for (k, v) in flat {
                if v.is_null() {
                    target.remove(&k);
                } else {
                    let v = Value::String(setting_text(&v));
                    target.insert(k.clone(), v.clone());
                    applied.insert(k, v);
                }
            }
            echo[scope] = nest(applied);
        }
        ok(echo)
    }

    pub(super) fn destructive_requires_name(&self, st: &State) -> bool {
        let key = "action.destructive_requires_name";
        let v = st.transient.get(key).or_else(|| st.persistent.get(key));
        v.is_none_or(|v| v.as_str() != Some("false"))
    }

    pub(super) fn allocation_explain(&self, body: &Value) -> Answer {
        let st = util::lock(&self.state);
        let wanted = body.get("index").and_then(Value::as_str);
        let primary = body.get("primary").and_then(Value::as_bool);
        let pick = st.indices.iter().find(|(n, i)| match wanted {
            Some(w) => *n == w,
            None => i.replicas() > 0,
        });
        let Some((name, idx)) = pick else {
            return match wanted {
                Some(w) => index_missing(w),
                None => bad_request(
                    "illegal_argument_exception",
                    "No shard was specified in the explain API request, so this response explains a randomly chosen unassigned shard. There are no unassigned shards in this cluster.",
                ),
            };
        };
        let node = json!({
            "node_id": st.node_id, "node_name": "soc-lab-es", "transport_address": "127.0.0.1:9300",
            "node_attributes": {"xpack.installed": "true"},
            "roles": ["data", "data_content", "data_hot", "ingest", "master"],
        });
        if primary == Some(true) || idx.replicas() == 0 {
            return ok(json!({
                "index": name, "shard": 0, "primary": true, "current_state": "started",
                "current_node": {"id": st.node_id, "name": "soc-lab-es", "transport_address": "127.0.0.1:9300", "weight_ranking": 1},
                "can_remain_on_current_node": "yes", "can_rebalance_cluster": "no",
                "can_rebalance_to_other_node": "no",
                "rebalance_explanation": "Elasticsearch cannot rebalance this shard to another node since there is no other node to which it could be allocated."
            }));
        }
        let alloc = util::random_alnum(22);
        let mut decision = node;
        decision["node_decision"] = json!("no");
        decision["weight_ranking"] = json!(1);
        decision["deciders"] = json!([{
            "decider": "same_shard",
            "decision": "NO",
            "explanation": format!(
                "a copy of this shard is already allocated to this node [[{name}][0], node[{}], [P], s[STARTED], a[id={alloc}], failed_attempts[0]]",
                st.node_id
            )
        }]);
        ok(json!({
            "note": "No shard was specified in the explain API request, so this response explains a randomly chosen unassigned shard. There may be other unassigned shards in this cluster which cannot be assigned for different reasons. It may not be possible to assign this shard until one of the other shards is assigned correctly. To explain the allocation of other shards (whether assigned or unassigned) you must specify the target shard in the request to this API.",
            "index": name,
            "shard": 0,
            "primary": false,
            "current_state": "unassigned",
            "unassigned_info": {"reason": "INDEX_CREATED", "at": iso_ms(idx.created_ms), "last_allocation_status": "no_attempt"},
            "can_allocate": "no",
            "allocate_explanation": "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.",
            "node_allocation_decisions": [decision]
        }))
    }

    pub(super) fn node_stats(&self) -> Answer {
        let st = util::lock(&self.state);
        let heap_max: u64 = 1024 * 1024 * 1024;
        let data: u64 = st.indices.values().map(Index::store_bytes).sum();
        // Heap grows with what the node holds, so a loaded lab shows pressure.
        let used = (heap_max / 4 + data * 4).min(heap_max - heap_max / 50);
        let pct = used * 100 / heap_max;
        let now = util::now_ms();
        ok(json!({
            "_nodes": {"total": 1, "successful": 1, "failed": 0},
            "cluster_name": "soc-lab",
            "nodes": { st.node_id.clone(): {
                "timestamp": now, "name": "soc-lab-es", "transport_address": "127.0.0.1:9300",
                "host": "127.0.0.1", "ip": "127.0.0.1:9300",
                "roles": ["data", "data_content", "data_hot", "ingest", "master"],
                "attributes": {"xpack.installed": "true"},
                "jvm": {
                    "timestamp": now, "uptime_in_millis": now - self.started_ms,
                    "mem": {
                        "heap_used_in_bytes": used, "heap_used_percent": pct,
                        "heap_committed_in_bytes": heap_max, "heap_max_in_bytes": heap_max,
                        "non_heap_used_in_bytes": 180_000_000u64, "non_heap_committed_in_bytes": 190_000_000u64,
                        "pools": {
                            "young": {"used_in_bytes": used / 5, "max_in_bytes": 0, "peak_used_in_bytes": used / 4, "peak_max_in_bytes": 0},
                            "old": {"used_in_bytes": used - used / 5, "max_in_bytes": heap_max, "peak_used_in_bytes": used, "peak_max_in_bytes": heap_max},
                            "survivor": {"used_in_bytes": 0, "max_in_bytes": 0, "peak_used_in_bytes": 0, "peak_max_in_bytes": 0}
                        }
                    },
                    "threads": {"count": 64, "peak_count": 70},
                    "gc": {"collectors": {
                        "young": {"collection_count": 12, "collection_time_in_millis": 150},
                        "G1 Concurrent GC": {"collection_count": 2, "collection_time_in_millis": 9},
                        "old": {"collection_count": 0, "collection_time_in_millis": 0}
                    }},
                    "buffer_pools": {"direct": {"count": 20, "used_in_bytes": 4_000_000u64, "total_capacity_in_bytes": 4_000_000u64}},
                    "classes": {"current_loaded_count": 28000, "total_loaded_count": 28000, "total_unloaded_count": 0}
                }
            }}
        }))
    }

    fn cat_rows(&self, expr: Option<&str>) -> Result<Vec<BTreeMap<&'static str, String>>, Answer> {
        let st = util::lock(&self.state);
        let names = match expr {
            Some(e) => self.resolve(&st, e, true)?,
            None => self.resolve(&st, "*", false)?,
        };
        Ok(names
            .iter()
            .filter_map(|n| st.indices.get(n).map(|i| (n, i)))
            .map(|(n, i)| {
                let size = i.store_bytes();
                BTreeMap::from([
                    ("health", i.health().to_string()),
                    ("status", "open".to_string()),
                    ("index", n.clone()),
                    ("uuid", i.uuid.clone()),
                    ("pri", i.shards().to_string()),
                    ("rep", i.replicas().to_string()),
                    ("docs.count", i.docs.len().to_string()),
                    ("docs.deleted", i.deleted.to_string()),
                    ("store.size", size.to_string()),
                    ("pri.store.size", size.to_string()),
                    ("dataset.size", size.to_string()),
                ])
            })
            .collect())
    }

    pub(super) fn cat_indices(
        &self,
        expr: Option<&str>,
        params: &HashMap<String, String>,
    ) -> Answer {
        const COLS: [&str; 11] = [
            "health",
            "status",
            "index",
            "uuid",
            "pri",
            "rep",
            "docs.count",
            "docs.deleted",
            "store.size",
            "pri.store.size",
            "dataset.size",
        ];
        let rows = match self.cat_rows(expr) {
            Ok(r) => r,
            Err(e) => return e,
        };
        cat_render(rows, &COLS, params)
    }

    pub(super) fn cat_health(&self, params: &HashMap<String, String>) -> Answer {
        const COLS: [&str; 14] = [
            "epoch",
            "timestamp",
            "cluster",
            "status",
            "node.total",
            "node.data",
            "shards",
            "pri",
            "relo",
            "init",
            "unassign",
            "unassign.pri",
            "pending_tasks",
            "active_shards_percent",
        ];
        let st = util::lock(&self.state);
        let names: Vec<String> = st.indices.keys().cloned().collect();
        let pri: u64 = st.indices.values().map(Index::shards).sum();
        let un: u64 = st.indices.values().map(|i| i.shards() * i.replicas()).sum();
        let now = chrono::Utc::now();
        let pct = if pri + un == 0 {
            100.0
        } else {
            pri as f64 * 100.0 / (pri + un) as f64
        };
        let row = BTreeMap::from([
            ("epoch", now.timestamp().to_string()),
            ("timestamp", now.format("%H:%M:%S").to_string()),
            ("cluster", "soc-lab".to_string()),
            ("status", Self::status_of(&st, &names).to_string()),
            ("node.total", "1".to_string()),
            ("node.data", "1".to_string()),
            ("shards", pri.to_string()),
            ("pri", pri.to_string()),
            ("relo", "0".to_string()),
            ("init", "0".to_string()),
            ("unassign", un.to_string()),
            ("unassign.pri", "0".to_string()),
            ("pending_tasks", "0".to_string()),
            ("active_shards_percent", format!("{pct:.1}%")),
        ]);
        drop(st);
        cat_render(vec![row], &COLS, params)
    }
}

pub(super) fn parse_duration_ms(s: &str) -> Option<i64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    let unit = &s[digits.len()..];
    Some(match unit {
        "ms" => n,
        "s" | "" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return None,
    })
}

/// Renders `_cat` rows as text (with `v`, `h`, `s`) or JSON (`format=json`).
fn cat_render(
    mut rows: Vec<BTreeMap<&'static str, String>>,
    default_cols: &[&'static str],
    params: &HashMap<String, String>,
) -> Answer {
    let cols: Vec<&'static str> = match params.get("h") {
        Some(h) => h
            .split(',')
            .filter_map(|c| default_cols.iter().find(|d| **d == c.trim()).copied())
            .collect(),
        None => default_cols.to_vec(),
    };
    if let Some(s) = params.get("s") {
        let keys: Vec<(String, bool)> = s
            .split(',')
            .map(|k| {
                let (k, o) = k.split_once(':').unwrap_or((k, "asc"));
                (k.to_string(), o == "desc")
            })
            .collect();
        rows.sort_by(|a, b| {
            for (k, desc) in &keys {
                let (x, y) = (a.get(k.as_str()), b.get(k.as_str()));
                let o = match (
                    x.and_then(|x| x.parse::<f64>().ok()),
                    y.and_then(|y| y.parse::<f64>().ok()),
                ) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                    _ => x.cmp(&y),
                };
                let o = if *desc { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    if params.get("format").is_some_and(|f| f == "json") {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                Value::Object(
                    cols.iter()
                        .map(|c| {
                            (
                                (*c).to_string(),
                                json!(r.get(c).cloned().unwrap_or_default()),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        return ok(Value::Array(list));
    }
    let mut table: Vec<Vec<String>> = Vec::new();
    if flag(params, "v") {
        table.push(cols.iter().map(|c| (*c).to_string()).collect());
    }
    for r in &rows {
        table.push(
            cols.iter()
                .map(|c| r.get(c).cloned().unwrap_or_default())
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..cols.len())
        .map(|i| table.iter().map(|row| row[i].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        text.push_str(line.join(" ").trim_end());
        text.push('\n');
    }
    (StatusCode::OK, Payload::Text(text))
}
