//! Cluster health, statistics, node resources, pending tasks, allocation and settings.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::{Error, Es, Result};

/// A cluster or index health colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// All shards allocated.
    Green,
    /// All primaries allocated, some replicas not.
    Yellow,
    /// Some primaries unallocated.
    Red,
}

impl HealthStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
        }
    }
}

/// `GET _cluster/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealth {
    /// Cluster name.
    pub cluster_name: String,
    /// Colour.
    pub status: HealthStatus,
    /// Whether a `wait_for_status` gave up.
    pub timed_out: bool,
    /// Nodes.
    pub number_of_nodes: u64,
    /// Data nodes.
    pub number_of_data_nodes: u64,
    /// Active primary shards.
    pub active_primary_shards: u64,
    /// Active shards.
    pub active_shards: u64,
    /// Relocating shards.
    pub relocating_shards: u64,
    /// Initialising shards.
    pub initializing_shards: u64,
    /// Unassigned shards.
    pub unassigned_shards: u64,
    /// Unassigned primaries (Elasticsearch 8.16 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unassigned_primary_shards: Option<u64>,
    /// Pending cluster tasks.
    pub number_of_pending_tasks: u64,
    /// Percentage of active shards.
    pub active_shards_percent_as_number: f64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Options of [`Cluster::health`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthRequest {
    /// Only these indices (a pattern or a comma list).
    pub index: Option<String>,
    /// Wait until the cluster is at least this colour...
    pub wait_for_status: Option<HealthStatus>,
    /// ...for at most this long (the server's default is 30 s).
    pub timeout: Option<Duration>,
}

/// `GET _nodes/stats/jvm,fs`: the resources an operator watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodesStats {
    /// Per node id.
    pub nodes: BTreeMap<String, NodeStats>,
    /// Fields this crate does not model (`_nodes`, `cluster_name`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One node's JVM and disk statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Node name.
    pub name: String,
    /// JVM statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jvm: Option<Jvm>,
    /// File system statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs: Option<Fs>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `jvm` of node stats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jvm {
    /// Memory.
    pub mem: JvmMem,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `jvm.mem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JvmMem {
    /// Heap used, bytes.
    pub heap_used_in_bytes: u64,
    /// Heap used, percent of the maximum.
    pub heap_used_percent: u64,
    /// Heap maximum, bytes.
    pub heap_max_in_bytes: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `fs` of node stats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fs {
    /// Totals over the node's data paths.
    pub total: FsTotal,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `fs.total`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FsTotal {
    /// Size, bytes.
    pub total_in_bytes: u64,
    /// Free, bytes.
    pub free_in_bytes: u64,
    /// Available to Elasticsearch, bytes.
    pub available_in_bytes: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FsTotal {
    /// Used share of the disk, 0 to 100, as the disk watermarks compute it.
    #[must_use]
    pub fn used_percent(&self) -> f64 {
        if self.total_in_bytes == 0 {
            return 0.0;
        }
        let used = self.total_in_bytes.saturating_sub(self.available_in_bytes);
        used as f64 * 100.0 / self.total_in_bytes as f64
    }
}

/// One pending cluster task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingTask {
    /// Order of insertion.
    pub insert_order: u64,
    /// Priority (`URGENT`, `HIGH` ...).
    pub priority: String,
    /// What it is.
    pub source: String,
    /// Time waiting, ms.
    pub time_in_queue_millis: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET _cluster/settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSettings {
    /// Settings that survive a restart.
    pub persistent: Map<String, Value>,
    /// Settings until the next full restart.
    pub transient: Map<String, Value>,
    /// Fields this crate does not model (`defaults` with `include_defaults`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Cluster-level operations.
#[derive(Debug, Clone, Copy)]
pub struct Cluster<'a> {
    pub(crate) es: &'a Es,
}

impl Cluster<'_> {
    /// Cluster health; with `wait_for_status`, waits up to `timeout` and answers with
    /// `timed_out: true` (not an error) if the colour was not reached.
    pub async fn health(&self, req: &HealthRequest) -> Result<ClusterHealth> {
        let mut segs = vec!["_cluster", "health"];
        if let Some(i) = &req.index {
            segs.push(i);
        }
        let status = req.wait_for_status.map(HealthStatus::as_str);
        let timeout = req.timeout.map(|t| format!("{}ms", t.as_millis()));
        let mut q: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = status {
            q.push(("wait_for_status", s));
        }
        if let Some(t) = &timeout {
            q.push(("timeout", t));
        }
        let mut r = self.es.prepare(Method::GET, &segs, &q, None).await?;
        if let Some(t) = req.timeout {
            // The server holds the request up to the timeout: allow for it.
            r = r.timeout(t + Duration::from_secs(30));
        }
        match r.json::<ClusterHealth>().await {
            Ok(h) => Ok(h),
            // Elasticsearch answers a timed-out wait with 408 and the health body.
            Err(e) if e.status().map(|s| s.as_u16()) == Some(408) => {
                let body = e.body_json().cloned().ok_or_else(|| Error::from(e))?;
                serde_json::from_value(body)
                    .map_err(|d| Error::InvalidInput(format!("health answer: {d}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Cluster statistics (`GET _cluster/stats`), as sent.
    pub async fn stats(&self) -> Result<Value> {
        self.es
            .call(Method::GET, &["_cluster", "stats"], &[], None)
            .await
    }

    /// JVM heap and disk of every node (`GET _nodes/stats/jvm,fs`).
    pub async fn node_stats(&self) -> Result<NodesStats> {
        self.es
            .call(Method::GET, &["_nodes", "stats", "jvm,fs"], &[], None)
            .await
    }

    /// Cluster tasks waiting to run.
    pub async fn pending_tasks(&self) -> Result<Vec<PendingTask>> {
        #[derive(Deserialize)]
        struct Tasks {
            tasks: Vec<PendingTask>,
        }
        let t: Tasks = self
            .es
            .call(Method::GET, &["_cluster", "pending_tasks"], &[], None)
            .await?;
        Ok(t.tasks)
    }

    /// Why a shard is (not) allocated; without a body, the first unassigned shard.
    pub async fn allocation_explain(&self, shard: Option<&Value>) -> Result<Value> {
        self.es
            .call(
                Method::POST,
                &["_cluster", "allocation", "explain"],
                &[],
                shard,
            )
            .await
    }

    /// The persistent and transient settings.
    pub async fn settings(&self) -> Result<ClusterSettings> {
        self.es
            .call(Method::GET, &["_cluster", "settings"], &[], None)
            .await
    }

    /// Changes settings (`null` resets one).
    pub async fn put_settings(&self, persistent: &Value, transient: &Value) -> Result<Value> {
        let body = json!({ "persistent": persistent, "transient": transient });
        self.es
            .call(Method::PUT, &["_cluster", "settings"], &[], Some(&body))
            .await
    }
}
