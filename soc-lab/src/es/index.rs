//! Index management: create, get, delete, refresh, mappings, settings and aliases.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::query;
use super::{
    acknowledged, bad_request, err, es_id, index_missing, index_settings, merge, nest, ok,
    patterns_of, valid_index_name, Answer, Es, Index, State,
};
use crate::util;

impl Es {
    /// Creates an index with the templates that match it applied under `body`.
    pub(super) fn create_locked(st: &mut State, name: &str, body: &Value) -> Result<(), Answer> {
        if let Err(why) = valid_index_name(name) {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "invalid_index_name_exception",
                format!("Invalid index name [{name}], {why}"),
                json!({"index": name, "index_uuid": "_na_"}),
            ));
        }
        if st.indices.contains_key(name) {
            let uuid = st
                .indices
                .get(name)
                .map(|i| i.uuid.clone())
                .unwrap_or_default();
            return Err(err(
                StatusCode::BAD_REQUEST,
                "resource_already_exists_exception",
                format!("index [{name}/{uuid}] already exists"),
                json!({"index_uuid": uuid, "index": name}),
            ));
        }
        let mut settings: BTreeMap<String, String> = BTreeMap::new();
        let mut mappings = json!({});
        let mut aliases = Map::new();
        let mut apply = |t: &Value| {
            if let Some(s) = t.get("settings") {
                settings.extend(index_settings(s));
            }
            if let Some(m) = t.get("mappings") {
                merge(&mut mappings, m);
            }
            if let Some(Value::Object(a)) = t.get("aliases") {
                aliases.extend(a.clone());
            }
        };
        let best = st
            .index_templates
            .values()
            .filter(|t| {
                patterns_of(t.get("index_patterns"))
                    .iter()
                    .any(|p| query::glob(p, name))
            })
            .max_by_key(|t| t.get("priority").and_then(Value::as_i64).unwrap_or(0));
        if let Some(t) = best {
            for c in patterns_of(t.get("composed_of")) {
                if let Some(ct) = st
                    .component_templates
                    .get(&c)
                    .and_then(|c| c.get("template"))
                {
                    apply(ct);
                }
            }
            if let Some(own) = t.get("template") {
                apply(own);
            }
        } else {
            let mut legacy: Vec<&Value> = st
                .legacy_templates
                .values()
                .filter(|t| {
                    patterns_of(t.get("index_patterns"))
                        .iter()
                        .any(|p| query::glob(p, name))
                })
                .collect();
            legacy.sort_by_key(|t| t.get("order").and_then(Value::as_i64).unwrap_or(0));
            for t in legacy {
                apply(t);
            }
        }
        apply(body);
        let uuid = es_id().chars().take(22).collect::<String>();
        let now = util::now_ms();
        settings
            .entry("index.number_of_shards".into())
            .or_insert_with(|| "1".into());
        settings
            .entry("index.number_of_replicas".into())
            .or_insert_with(|| "1".into());
        settings.insert("index.uuid".into(), uuid.clone());
        settings.insert("index.provided_name".into(), name.to_string());
        settings.insert("index.creation_date".into(), now.to_string());
        settings.insert("index.version.created".into(), "8536000".into());
        settings
            .entry("index.routing.allocation.include._tier_preference".into())
            .or_insert_with(|| "data_content".into());
        st.indices.insert(
            name.to_string(),
            Index {
                uuid,
                created_ms: now,
                settings,
                mappings,
                aliases,
                docs: BTreeMap::new(),
                next_seq: 0,
                deleted: 0,
            },
        );
        Ok(())
    }

    pub(super) fn create_index(&self, name: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        match Self::create_locked(&mut st, name, body) {
            Ok(()) => ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": name})),
            Err(e) => e,
        }
    }

    pub(super) fn get_index(&self, expr: &str) -> Answer {
        self.per_index(expr, |i| {
            json!({"aliases": i.aliases, "mappings": i.mappings, "settings": nested_settings(i)})
        })
    }

    pub(super) fn delete_index(&self, expr: &str) -> Answer {
        let mut st = util::lock(&self.state);
        let wild = expr
            .split(',')
            .any(|p| p == "_all" || p.contains('*') || p.contains('?'));
        if wild && !self.wildcards_7x && self.destructive_requires_name(&st) {
            return bad_request(
                "illegal_argument_exception",
                "Wildcard expressions or all indices are not allowed",
            );
        }
        // Aliases are not deletable by name: only concrete indices (and wildcards over them).
        for part in expr.split(',') {
            let pattern =
                part == "_all" || part.contains('*') || part.contains('?') || part.starts_with('-');
            if !pattern && !st.indices.contains_key(part) {
                return index_missing(part);
            }
        }
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        for n in names {
            st.indices.remove(&n);
        }
        acknowledged()
    }

    pub(super) fn refresh(&self, expr: &str) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let (total, ok_n) = names
            .iter()
            .filter_map(|n| st.indices.get(n))
            .fold((0, 0), |(t, o), i| {
                (t + i.shards() * (1 + i.replicas()), o + i.shards())
            });
        ok(json!({"_shards": {"total": total, "successful": ok_n, "failed": 0}}))
    }

    pub(super) fn get_mapping(&self, expr: &str) -> Answer {
        self.per_index(expr, |i| json!({"mappings": i.mappings}))
    }

    pub(super) fn put_mapping(&self, expr: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        for n in names {
            if let Some(i) = st.indices.get_mut(&n) {
                merge(&mut i.mappings, body);
            }
        }
        acknowledged()
    }

    pub(super) fn get_settings(&self, expr: &str) -> Answer {
        self.per_index(expr, |i| json!({"settings": nested_settings(i)}))
    }

    pub(super) fn put_settings(&self, expr: &str, body: &Value) -> Answer {
        let mut st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let settings = index_settings(body.get("settings").unwrap_or(body));
        for key in settings.keys() {
            if key == "index.number_of_shards" {
                return bad_request(
                    "illegal_argument_exception",
                    "Can't update non dynamic settings [[index.number_of_shards]] for open indices",
                );
            }
        }
        for n in names {
            if let Some(i) = st.indices.get_mut(&n) {
                i.settings.extend(settings.clone());
            }
        }
        acknowledged()
    }

    pub(super) fn get_aliases(&self, expr: &str) -> Answer {
        self.per_index(expr, |i| json!({"aliases": i.aliases}))
    }

    /// Resolves `expr` strictly and answers one object per index, keyed by its name.
    fn per_index(&self, expr: &str, view: impl Fn(&Index) -> Value) -> Answer {
        let st = util::lock(&self.state);
        let names = match self.resolve(&st, expr, true) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let out: Map<String, Value> = names
            .into_iter()
            .filter_map(|n| st.indices.get(&n).map(|i| (n, view(i))))
            .collect();
        ok(Value::Object(out))
    }
}

/// An index's settings as the nested object the API shows.
fn nested_settings(i: &Index) -> Value {
    nest(
        i.settings
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
    )
}
