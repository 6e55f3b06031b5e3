//! Typed operations on Elasticsearch 7.17, 8.x, 9.x and OpenSearch 2.x/3.x, for the SOC
//! stack's clusters: the SIEM, and the indices behind TheHive and Cortex.
//!
//! - **Version aware**: `GET /` is read once ([`Es::info`]); Elasticsearch 8 and 9 get the
//!   REST compatibility media type of their own major, 7.x and OpenSearch plain JSON (they
//!   answer 406 to the vendor type). ILM on Elasticsearch and ISM on OpenSearch sit behind one
//!   [`lifecycle::RetentionPolicy`]; operations a server lacks fail with
//!   [`Error::Unsupported`] before any request.
//! - **Guarded deletes**: [`indices::Indices::plan_delete`] expands a pattern to concrete
//!   names and refuses `*`, `_all` and empty expansions; [`indices::Indices::delete_planned`]
//!   deletes by those names only. `DELETE cortex*` means the same on 7.x (where it would
//!   delete every match) and on 8.x (where it is refused).
//! - **A bulk helper that loses nothing** ([`bulk::Bulk::run`]): bounded in-flight requests,
//!   item-level 429s retried with backoff and jitter, every action reported exactly once.
//! - **Search streams** ([`search::Search::scan`]): point in time with `search_after`, or
//!   scroll where there is no point in time.
//!
//! ```no_run
//! use es_ops::bulk::{BulkAction, BulkOptions};
//! use es_ops::cluster::{HealthRequest, HealthStatus};
//! use es_ops::Es;
//! use futures_util::stream;
//!
//! # async fn run() -> Result<(), es_ops::Error> {
//! let es = Es::builder("https://siem.soc.example:9200")?
//!     .basic("soc-ops", std::env::var("ES_PASSWORD").unwrap_or_default())
//!     .ca_file("/etc/soc/es-ca.pem")
//!     .build()?;
//! let health = es
//!     .cluster()
//!     .health(&HealthRequest { wait_for_status: Some(HealthStatus::Yellow), ..Default::default() })
//!     .await?;
//! println!("{} is {:?}", health.cluster_name, health.status);
//!
//! // Delete last year's Wazuh indices, seeing exactly which first.
//! let plan = es.indices().plan_delete("wazuh-alerts-4.x-2024.*").await?;
//! println!("would delete {:?}", plan.indices);
//! es.indices().delete_planned(&plan).await?;
//!
//! // Bulk-index alerts; every action's outcome comes back once.
//! let docs = (0..10_000).map(|i| BulkAction::index("soc-alerts", &serde_json::json!({ "n": i })));
//! let actions: Vec<BulkAction> = docs.collect::<Result<_, _>>()?;
//! let summary = es
//!     .bulk()
//!     .run(stream::iter(actions), &BulkOptions::default(), |item| {
//!         if !item.is_ok() {
//!             eprintln!("action {} failed: {:?}", item.seq, item.error);
//!         }
//!     })
//!     .await?;
//! assert_eq!(summary.total(), 10_000);
//! # Ok(()) }
//! ```
#![doc = include_str!("../OPERATIONS.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod bulk;
mod client;
pub mod cluster;
mod error;
pub mod indices;
pub mod lifecycle;
pub mod search;
pub mod security;
pub mod snapshots;

pub use client::{Acknowledged, Es, EsBuilder, Flavor, ServerInfo, VersionInfo};
pub use error::{Error, Result};
pub use soc_http::{self, RetryPolicy, SecretString};

impl Es {
    /// Cluster health, statistics and settings.
    #[must_use]
    pub fn cluster(&self) -> cluster::Cluster<'_> {
        cluster::Cluster { es: self }
    }
    /// Indices, aliases, reindex and the guarded delete.
    #[must_use]
    pub fn indices(&self) -> indices::Indices<'_> {
        indices::Indices { es: self }
    }
    /// Templates, ILM/ISM, data streams, SLM.
    #[must_use]
    pub fn lifecycle(&self) -> lifecycle::Lifecycle<'_> {
        lifecycle::Lifecycle { es: self }
    }
    /// Snapshot repositories and snapshots.
    #[must_use]
    pub fn snapshots(&self) -> snapshots::Snapshots<'_> {
        snapshots::Snapshots { es: self }
    }
    /// The bulk helper.
    #[must_use]
    pub fn bulk(&self) -> bulk::Bulk<'_> {
        bulk::Bulk { es: self }
    }
    /// Search, count, scan.
    #[must_use]
    pub fn search(&self) -> search::Search<'_> {
        search::Search { es: self }
    }
    /// API keys, users and roles (Elasticsearch).
    #[must_use]
    pub fn security(&self) -> security::Security<'_> {
        security::Security { es: self }
    }
}
