//! Indices: listing, creation, mappings, settings, aliases, rollover, reindex, and the guarded
//! delete.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::client::Acknowledged;
use crate::{Error, Es, Result};

/// One row of `GET _cat/indices?format=json&bytes=b`, with numbers as numbers. Numeric cells
/// are `Some(None)` when the server sends `null` (closed indices) and `None` when it leaves
/// the column out; the accessors flatten both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatIndex {
    /// `green`, `yellow`, `red` (absent for closed indices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// `open` or `close`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Name.
    pub index: String,
    /// UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Primary shards.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "cat_number")]
    pub pri: Option<Option<u64>>,
    /// Replicas.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "cat_number")]
    pub rep: Option<Option<u64>>,
    /// Documents.
    #[serde(
        rename = "docs.count",
        default,
        skip_serializing_if = "Option::is_none",
        with = "cat_number"
    )]
    pub docs_count: Option<Option<u64>>,
    /// Deleted documents.
    #[serde(
        rename = "docs.deleted",
        default,
        skip_serializing_if = "Option::is_none",
        with = "cat_number"
    )]
    pub docs_deleted: Option<Option<u64>>,
    /// Size on disk with replicas, bytes.
    #[serde(
        rename = "store.size",
        default,
        skip_serializing_if = "Option::is_none",
        with = "cat_number"
    )]
    pub store_size: Option<Option<u64>>,
    /// Size of the primaries, bytes.
    #[serde(
        rename = "pri.store.size",
        default,
        skip_serializing_if = "Option::is_none",
        with = "cat_number"
    )]
    pub pri_store_size: Option<Option<u64>>,
    /// Fields this crate does not model (`dataset.size` on 8.x ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CatIndex {
    /// Documents, when known.
    #[must_use]
    pub fn docs(&self) -> Option<u64> {
        self.docs_count.flatten()
    }

    /// Size on disk with replicas, bytes, when known.
    #[must_use]
    pub fn bytes(&self) -> Option<u64> {
        self.store_size.flatten()
    }

    /// Size of the primaries, bytes, when known.
    #[must_use]
    pub fn primary_bytes(&self) -> Option<u64> {
        self.pri_store_size.flatten()
    }
}

/// `_cat` cells: numbers sent as strings, or `null`.
mod cat_number {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    // The signature serde's `with` requires.
    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(
        v: &Option<Option<u64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(Some(n)) => s.serialize_str(&n.to_string()),
            _ => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<u64>>, D::Error> {
        use serde::de::Error;
        match Value::deserialize(d)? {
            Value::Null => Ok(Some(None)),
            Value::Number(n) => n
                .as_u64()
                .map(|n| Some(Some(n)))
                .ok_or_else(|| D::Error::custom(format!("not a count: {n}"))),
            Value::String(s) => s
                .trim()
                .parse::<u64>()
                .map(|n| Some(Some(n)))
                .map_err(|_| D::Error::custom(format!("not a count: {s:?}"))),
            other => Err(D::Error::custom(format!("not a count: {other}"))),
        }
    }
}

/// One row of `GET _cat/aliases?format=json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatAlias {
    /// Alias.
    pub alias: String,
    /// Index.
    pub index: String,
    /// `*` when filtered, `-` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `true`, `false` or `-`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_write_index: Option<String>,
    /// Fields this crate does not model (`routing.index`, `routing.search`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One action of `POST _aliases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasAction {
    /// Point an alias at an index.
    Add {
        /// Index.
        index: String,
        /// Alias.
        alias: String,
        /// Make it the write index.
        is_write_index: Option<bool>,
    },
    /// Remove an alias from an index.
    Remove {
        /// Index.
        index: String,
        /// Alias.
        alias: String,
    },
}

impl AliasAction {
    fn to_json(&self) -> Value {
        match self {
            Self::Add {
                index,
                alias,
                is_write_index,
            } => {
                let mut a = json!({ "index": index, "alias": alias });
                if let Some(w) = is_write_index {
                    a["is_write_index"] = Value::Bool(*w);
                }
                json!({ "add": a })
            }
            Self::Remove { index, alias } => {
                json!({ "remove": { "index": index, "alias": alias } })
            }
        }
    }
}

/// `POST <alias>/_rollover`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollover {
    /// The index written to before.
    pub old_index: String,
    /// The index written to now (or that would be).
    pub new_index: String,
    /// Whether it rolled over.
    pub rolled_over: bool,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Which conditions were met.
    #[serde(default)]
    pub conditions: Map<String, Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A guarded delete, planned: the pattern as given and the concrete indices it matches now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePlan {
    /// The pattern asked for.
    pub pattern: String,
    /// The concrete indices it expanded to (open, closed and hidden alike).
    pub indices: Vec<String>,
}

/// `GET _tasks/<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// Whether the task finished.
    pub completed: bool,
    /// The task as it runs (`status` with counts).
    pub task: Value,
    /// The result, once completed (`created`, `updated`, `failures` ... for a reindex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// The error, if the task failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Index operations.
#[derive(Debug, Clone, Copy)]
pub struct Indices<'a> {
    pub(crate) es: &'a Es,
}

fn cat_query() -> [(&'static str, &'static str); 3] {
    [
        ("format", "json"),
        ("bytes", "b"),
        ("expand_wildcards", "all"),
    ]
}

impl Indices<'_> {
    /// Every index matching `pattern` (all when `None`), hidden and closed ones included,
    /// sizes in bytes.
    pub async fn list(&self, pattern: Option<&str>) -> Result<Vec<CatIndex>> {
        let mut segs = vec!["_cat", "indices"];
        if let Some(p) = pattern {
            segs.push(p);
        }
        self.es.call(Method::GET, &segs, &cat_query(), None).await
    }

    /// Every alias (matching `pattern`).
    pub async fn aliases(&self, pattern: Option<&str>) -> Result<Vec<CatAlias>> {
        let mut segs = vec!["_cat", "aliases"];
        if let Some(p) = pattern {
            segs.push(p);
        }
        self.es
            .call(Method::GET, &segs, &[("format", "json")], None)
            .await
    }

    /// Whether an index (or alias) exists.
    pub async fn exists(&self, name: &str) -> Result<bool> {
        Ok(self
            .es
            .request(Method::HEAD, &[name])
            .await?
            .exists()
            .await?)
    }

    /// Creates an index with `{settings, mappings, aliases}`.
    pub async fn create(&self, name: &str, body: &Value) -> Result<Acknowledged> {
        self.es.call(Method::PUT, &[name], &[], Some(body)).await
    }

    /// The mappings of indices, by index.
    pub async fn mapping(&self, index: &str) -> Result<Map<String, Value>> {
        self.es
            .call(Method::GET, &[index, "_mapping"], &[], None)
            .await
    }

    /// Adds fields to the mappings.
    pub async fn put_mapping(&self, index: &str, mapping: &Value) -> Result<Acknowledged> {
        self.es
            .call(Method::PUT, &[index, "_mapping"], &[], Some(mapping))
            .await
    }

    /// The settings of indices, by index.
    pub async fn settings(&self, index: &str) -> Result<Map<String, Value>> {
        self.es
            .call(Method::GET, &[index, "_settings"], &[], None)
            .await
    }

    /// Changes dynamic settings.
    pub async fn put_settings(&self, index: &str, settings: &Value) -> Result<Acknowledged> {
        self.es
            .call(Method::PUT, &[index, "_settings"], &[], Some(settings))
            .await
    }

    /// Makes recent writes searchable.
    pub async fn refresh(&self, index: &str) -> Result<Value> {
        self.es
            .call(Method::POST, &[index, "_refresh"], &[], None)
            .await
    }

    /// Opens a closed index.
    pub async fn open(&self, index: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::POST, &[index, "_open"], &[], None)
            .await
    }

    /// Closes an index.
    pub async fn close(&self, index: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::POST, &[index, "_close"], &[], None)
            .await
    }

    /// Rolls an alias or data stream over to a new index when `conditions` hold
    /// (`{"max_age": "7d", "max_primary_shard_size": "50gb"}`); `dry_run` only checks.
    pub async fn rollover(
        &self,
        alias: &str,
        conditions: Option<&Value>,
        dry_run: bool,
    ) -> Result<Rollover> {
        let body = conditions.map(|c| json!({ "conditions": c }));
        let q: &[(&str, &str)] = if dry_run { &[("dry_run", "true")] } else { &[] };
        self.es
            .call(Method::POST, &[alias, "_rollover"], q, body.as_ref())
            .await
    }

    /// Applies alias actions atomically.
    pub async fn update_aliases(&self, actions: &[AliasAction]) -> Result<Acknowledged> {
        let body =
            json!({ "actions": actions.iter().map(AliasAction::to_json).collect::<Vec<_>>() });
        self.es
            .call(Method::POST, &["_aliases"], &[], Some(&body))
            .await
    }

    /// Starts a server-side reindex (`{"source": {...}, "dest": {...}}`) and answers its task id.
    pub async fn start_reindex(&self, body: &Value) -> Result<String> {
        #[derive(Deserialize)]
        struct Started {
            task: String,
        }
        let s: Started = self
            .es
            .call(
                Method::POST,
                &["_reindex"],
                &[("wait_for_completion", "false")],
                Some(body),
            )
            .await?;
        Ok(s.task)
    }

    /// A task's status.
    pub async fn task(&self, id: &str) -> Result<TaskStatus> {
        self.es.call(Method::GET, &["_tasks", id], &[], None).await
    }

    /// Reindexes and polls the task every `poll` until it completes or `deadline` passes.
    ///
    /// # Errors
    /// [`Error::Task`] when the task reports failures, an error, or is still running at the
    /// deadline.
    pub async fn reindex(
        &self,
        body: &Value,
        poll: Duration,
        deadline: Duration,
    ) -> Result<TaskStatus> {
        let id = self.start_reindex(body).await?;
        let started = Instant::now();
        loop {
            let t = self.task(&id).await?;
            if t.completed {
                if let Some(err) = &t.error {
                    return Err(Error::Task {
                        task: id,
                        why: err.to_string(),
                    });
                }
                let failures = t
                    .response
                    .as_ref()
                    .and_then(|r| r.get("failures"))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if failures > 0 {
                    return Err(Error::Task {
                        task: id,
                        why: format!("{failures} documents failed"),
                    });
                }
                return Ok(t);
            }
            if started.elapsed() >= deadline {
                return Err(Error::Task {
                    task: id,
                    why: format!("still running after {deadline:?}"),
                });
            }
            tokio::time::sleep(poll.min(deadline.saturating_sub(started.elapsed()))).await;
        }
    }

    /// Plans the deletion of `pattern`: expands it to the concrete indices it matches now.
    /// Nothing is deleted.
    ///
    /// # Errors
    /// [`Error::Refused`] for `*`, `_all`, an empty pattern, a pattern of only wildcards and
    /// commas, or one that matches nothing.
    pub async fn plan_delete(&self, pattern: &str) -> Result<DeletePlan> {
        let p = pattern.trim();
        let refused = |why: &str| Error::Refused {
            what: format!("deleting {pattern:?}"),
            why: why.to_owned(),
        };
        if p.is_empty() {
            return Err(refused("the pattern is empty"));
        }
        if p.split(',').any(|part| {
            let part = part.trim().trim_start_matches('-');
            part.is_empty() || part == "_all" || part.chars().all(|c| c == '*' || c == '?')
        }) {
            return Err(refused(
                "it names every index; name indices or a narrower pattern",
            ));
        }
        #[derive(Deserialize)]
        struct Name {
            index: String,
        }
        let rows: Vec<Name> = self
            .es
            .call(
                Method::GET,
                &["_cat", "indices", p],
                &[
                    ("format", "json"),
                    ("h", "index"),
                    ("expand_wildcards", "all"),
                ],
                None,
            )
            .await
            .or_else(|e| {
                if e.is_not_found() {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })?;
        let mut indices: Vec<String> = rows.into_iter().map(|r| r.index).collect();
        indices.sort();
        indices.dedup();
        if indices.is_empty() {
            return Err(refused("it matches no index"));
        }
        Ok(DeletePlan {
            pattern: pattern.to_owned(),
            indices,
        })
    }

    /// Deletes the indices of a plan by their concrete names (never by pattern, so the result
    /// is the same on Elasticsearch 7, 8, 9 and OpenSearch whatever
    /// `action.destructive_requires_name` says), in batches that keep URLs short.
    pub async fn delete_planned(&self, plan: &DeletePlan) -> Result<Vec<String>> {
        let mut deleted = Vec::new();
        let mut batch: Vec<&str> = Vec::new();
        let mut len = 0;
        for name in &plan.indices {
            if len + name.len() > 2000 && !batch.is_empty() {
                self.delete_names(&batch).await?;
                deleted.extend(batch.drain(..).map(str::to_owned));
                len = 0;
            }
            len += name.len() + 1;
            batch.push(name);
        }
        if !batch.is_empty() {
            self.delete_names(&batch).await?;
            deleted.extend(batch.into_iter().map(str::to_owned));
        }
        Ok(deleted)
    }

    async fn delete_names(&self, names: &[&str]) -> Result<()> {
        if let Some(bad) = names
            .iter()
            .find(|n| n.contains(['*', '?', ',']) || n.starts_with('_'))
        {
            return Err(Error::Refused {
                what: format!("deleting {bad:?}"),
                why: "not a concrete index name".into(),
            });
        }
        let joined = names.join(",");
        let _: Acknowledged = self
            .es
            .call(
                Method::DELETE,
                &[&joined],
                &[("expand_wildcards", "none")],
                None,
            )
            .await?;
        Ok(())
    }
}
