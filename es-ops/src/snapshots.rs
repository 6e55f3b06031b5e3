//! Snapshot repositories (S3/MinIO, shared file system) and snapshots.
//!
//! An S3 repository reads its credentials from the node keystore, never from the request:
//! run `bin/elasticsearch-keystore add s3.client.<client>.access_key` and `.secret_key` on
//! every node, then `POST _nodes/reload_secure_settings`. For MinIO and other S3-compatible
//! stores, set the client's `endpoint` (`http://minio:9000`) and `path_style_access: true` in
//! `elasticsearch.yml` (client settings are node settings). On 7.x, the `repository-s3`
//! plugin must be installed on every node first.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::client::Acknowledged;
use crate::{Es, Result};

/// An S3 repository's settings (`PUT _snapshot/<name>` with `type: s3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct S3Repository {
    /// Bucket (must exist).
    pub bucket: String,
    /// The client whose node settings and keystore secrets to use (`default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Prefix inside the bucket, without leading or trailing `/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    /// Compress metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compress: Option<bool>,
    /// Read-only (only one cluster may write to a repository).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly: Option<bool>,
}

impl S3Repository {
    /// A repository in a bucket, through the `default` client.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            client: None,
            base_path: None,
            compress: None,
            readonly: None,
        }
    }
}

/// One snapshot's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// Name.
    pub snapshot: String,
    /// UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// `IN_PROGRESS`, `SUCCESS`, `PARTIAL`, `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Indices in it.
    #[serde(default)]
    pub indices: Vec<String>,
    /// Fields this crate does not model (`shards`, times, `failures` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Options of [`Snapshots::create`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateSnapshot {
    /// Indices (patterns allowed); all when empty.
    pub indices: Vec<String>,
    /// Include the cluster state (templates, policies).
    pub include_global_state: Option<bool>,
    /// Wait for the snapshot to finish.
    pub wait: bool,
}

/// What [`Snapshots::create`] answered.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotCreated {
    /// It finished (with `wait`).
    Done(SnapshotInfo),
    /// It started (without `wait`).
    Accepted,
}

/// Options of [`Snapshots::restore`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restore {
    /// Indices to restore; all when empty.
    pub indices: Vec<String>,
    /// Regex on index names...
    pub rename_pattern: Option<String>,
    /// ...and its replacement (`restored_$1`).
    pub rename_replacement: Option<String>,
    /// Include the cluster state.
    pub include_global_state: Option<bool>,
    /// Wait for the restore to finish.
    pub wait: bool,
}

/// Repositories and snapshots.
#[derive(Debug, Clone, Copy)]
pub struct Snapshots<'a> {
    pub(crate) es: &'a Es,
}

impl Snapshots<'_> {
    /// Registers an S3 (or MinIO) repository; `verify` makes every node check access.
    pub async fn put_s3_repository(
        &self,
        name: &str,
        repo: &S3Repository,
        verify: bool,
    ) -> Result<Acknowledged> {
        let body = json!({ "type": "s3", "settings": repo });
        self.put_repository(name, &body, verify).await
    }

    /// Registers a shared file system repository (`location` must be under `path.repo`).
    pub async fn put_fs_repository(
        &self,
        name: &str,
        location: &str,
        verify: bool,
    ) -> Result<Acknowledged> {
        let body = json!({ "type": "fs", "settings": { "location": location } });
        self.put_repository(name, &body, verify).await
    }

    /// Registers any repository (`{"type", "settings"}`).
    pub async fn put_repository(
        &self,
        name: &str,
        body: &Value,
        verify: bool,
    ) -> Result<Acknowledged> {
        let q: &[(&str, &str)] = if verify { &[] } else { &[("verify", "false")] };
        self.es
            .call(Method::PUT, &["_snapshot", name], q, Some(body))
            .await
    }

    /// Repositories matching `name` (`_all` for every one), by name.
    pub async fn repositories(&self, name: &str) -> Result<Map<String, Value>> {
        self.es
            .call(Method::GET, &["_snapshot", name], &[], None)
            .await
    }

    /// Checks every node can use the repository; answers the nodes that can.
    pub async fn verify_repository(&self, name: &str) -> Result<Value> {
        self.es
            .call(Method::POST, &["_snapshot", name, "_verify"], &[], None)
            .await
    }

    /// Unregisters a repository (its snapshots stay in storage).
    pub async fn delete_repository(&self, name: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::DELETE, &["_snapshot", name], &[], None)
            .await
    }

    /// Takes a snapshot.
    pub async fn create(
        &self,
        repo: &str,
        snapshot: &str,
        opts: &CreateSnapshot,
    ) -> Result<SnapshotCreated> {
        let mut body = Map::new();
        if !opts.indices.is_empty() {
            body.insert("indices".into(), opts.indices.join(",").into());
        }
        if let Some(g) = opts.include_global_state {
            body.insert("include_global_state".into(), g.into());
        }
        let q: &[(&str, &str)] = if opts.wait {
            &[("wait_for_completion", "true")]
        } else {
            &[]
        };
        let v: Value = self
            .es
            .call(
                Method::PUT,
                &["_snapshot", repo, snapshot],
                q,
                Some(&Value::Object(body)),
            )
            .await?;
        match v.get("snapshot") {
            Some(s) => Ok(SnapshotCreated::Done(
                serde_json::from_value(s.clone())
                    .map_err(|e| crate::Error::InvalidInput(format!("snapshot answer: {e}")))?,
            )),
            None => Ok(SnapshotCreated::Accepted),
        }
    }

    /// Every snapshot of a repository.
    pub async fn list(&self, repo: &str) -> Result<Vec<SnapshotInfo>> {
        #[derive(Deserialize)]
        struct List {
            snapshots: Vec<SnapshotInfo>,
        }
        let l: List = self
            .es
            .call(Method::GET, &["_snapshot", repo, "_all"], &[], None)
            .await?;
        Ok(l.snapshots)
    }

    /// The progress of a snapshot, shard by shard.
    pub async fn status(&self, repo: &str, snapshot: &str) -> Result<Value> {
        self.es
            .call(
                Method::GET,
                &["_snapshot", repo, snapshot, "_status"],
                &[],
                None,
            )
            .await
    }

    /// Restores a snapshot, optionally renaming the indices it brings back.
    pub async fn restore(&self, repo: &str, snapshot: &str, opts: &Restore) -> Result<Value> {
        let mut body = Map::new();
        if !opts.indices.is_empty() {
            body.insert("indices".into(), opts.indices.join(",").into());
        }
        if let Some(p) = &opts.rename_pattern {
            body.insert("rename_pattern".into(), p.clone().into());
        }
        if let Some(r) = &opts.rename_replacement {
            body.insert("rename_replacement".into(), r.clone().into());
        }
        if let Some(g) = opts.include_global_state {
            body.insert("include_global_state".into(), g.into());
        }
        let q: &[(&str, &str)] = if opts.wait {
            &[("wait_for_completion", "true")]
        } else {
            &[]
        };
        self.es
            .call(
                Method::POST,
                &["_snapshot", repo, snapshot, "_restore"],
                q,
                Some(&Value::Object(body)),
            )
            .await
    }

    /// Deletes a snapshot.
    pub async fn delete(&self, repo: &str, snapshot: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::DELETE, &["_snapshot", repo, snapshot], &[], None)
            .await
    }
}
