//! A typed async client for the [TheHive 5](https://strangebee.com/thehive/) API.
//!
//! - **Every area** of TheHive's public API: alerts, cases, observables, tasks, logs, comments,
//!   users and API keys, organisations, profiles, procedures (TTPs), custom fields, case and
//!   page templates, pages, shares, statuses, the Cortex and MISP connectors and their runtime
//!   configuration, dashboards, functions, taxonomies, case reports, administration. The
//!   [coverage table](coverage) maps each operation of TheHive's published API to its method.
//! - **The Query API as a typed builder** ([`query::Query`], [`query::Filter`],
//!   [`query::Sort`]), with paged streams that read `X-Total`.
//! - **Lossless models**: typed fields where TheHive documents them, TLP and PAP as enums,
//!   epoch-millisecond timestamps as [`chrono::DateTime`], statuses as open strings, and every
//!   unknown field kept in `extra`.
//! - **Safe transport** ([`soc_http`]): timeouts on, TLS verified (add your CA with
//!   [`TheHiveBuilder::ca_file`]), API keys held as secrets, reads retried with backoff,
//!   creates never replayed, and errors that say which request failed and what TheHive
//!   answered. A duplicate alert is [`Error::AlertAlreadyExists`].
//!
//! # Tour
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use thehive_client::model::{InputAlert, InputJob, InputObservable, InputTask, PromoteAlert, Severity, Tlp};
//! use thehive_client::query::{Filter, Search, Sort};
//! use thehive_client::{Error, TheHive};
//!
//! # async fn tour() -> Result<(), Error> {
//! let hive = TheHive::builder("https://soc.example/thehive")?
//!     .api_key(std::env::var("THEHIVE_API_KEY").unwrap_or_default())
//!     .organisation("soc")
//!     .ca_file("/etc/soc/ca.pem")
//!     .build()?;
//!
//! // An alert with two observables. Replaying it is safe: a duplicate is a distinct error.
//! let input = InputAlert::new("edr", "crowdstrike", "det-4711", "Macro dropper", "Word spawned PowerShell")
//!     .severity(Severity::High)
//!     .tlp(Tlp::Amber)
//!     .observable(InputObservable::new("ip", "203.0.113.7").ioc(true))
//!     .observable(InputObservable::new("hash", "44d88612fea8a8f36de82e1278abb02f"));
//! let alert = match hive.alerts().create(&input).await {
//!     Ok(alert) => alert,
//!     Err(Error::AlertAlreadyExists { .. }) => hive.alerts().get(&"edr;crowdstrike;det-4711".into()).await?,
//!     Err(e) => return Err(e),
//! };
//!
//! // Promote it to a case and add a task.
//! let case = hive.alerts().promote_to_case(&alert.meta.id, &PromoteAlert::default()).await?;
//! hive.cases()
//!     .create_task(&case.meta.id, &InputTask::new("Isolate the host").group("containment"))
//!     .await?;
//!
//! // Run a Cortex analyzer on each observable of the case, through TheHive.
//! let observables = hive.cases().find_observables(&case.meta.id, &Search::new()).await?;
//! for o in &observables {
//!     let job = InputJob::new("VirusTotal_GetReport_3_1", "cortex-local", o.meta.id.as_str());
//!     let job = hive.cortex().run_analyzer(&job).await?;
//!     println!("job {} is {}", job.meta.id, job.status);
//! }
//!
//! // Page through every open high-severity case, 100 at a time.
//! let search = Search::new()
//!     .filter(Filter::eq("stage", "InProgress") & Filter::gte("severity", 3))
//!     .sort(Sort::desc("_createdAt"));
//! let mut cases = std::pin::pin!(hive.cases().stream(&search, 100));
//! while let Some(case) = cases.try_next().await? {
//!     println!("#{} {}", case.number, case.title);
//! }
//! # Ok(()) }
//! ```
//!
//! # Organisations
//!
//! A client acts in its user's default organisation, or the one given to
//! [`TheHiveBuilder::organisation`]. [`TheHive::in_organisation`] makes a cheap copy acting in
//! another one, for a single call or many.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api;
mod client;
mod error;
mod handles;
pub mod model;
pub mod query;
mod upload;

pub mod coverage {
    //! Which method covers each operation of TheHive's published API (OpenAPI v5.7.3).
    #![doc = include_str!("../COVERAGE.md")]
}

/// The area handles, as returned by [`TheHive`]'s methods.
pub mod areas {
    pub use crate::api::alert::Alerts;
    pub use crate::api::case::{ApplyCaseTemplate, Cases};
    pub use crate::api::connector::{
        ConnectorAuth, ConnectorServer, Cortex, CortexConfig, Misp, MispConfig,
    };
    pub use crate::api::directory::{Membership, Organisations, Profiles, Users};
    pub use crate::api::entity::{
        CaseTemplates, CustomFields, ObservableTypes, PageTemplates, Pages, Procedures, Statuses,
    };
    pub use crate::api::observable::Observables;
    pub use crate::api::platform::{Admin, Audit, Auth, CaseReports, Describe, Export, UserConfig};
    pub use crate::api::query::QueryApi;
    pub use crate::api::task::{Comments, Logs, Tasks};
}

/// The generic handler of plain CRUD records and its kinds.
pub mod records {
    pub use crate::api::records::{
        Catalog, Creatable, Dashboard, Deletable, Function, Pattern, Readable, RecordKind, Records,
        Tag, Taxonomy, Updatable, View,
    };
}

pub use client::{TheHive, TheHiveBuilder, DEFAULT_DOWNLOAD_TIMEOUT};
pub use error::{Error, Result};
pub use soc_http::{self, Page, RetryPolicy, SecretString};
pub use upload::FileUpload;
