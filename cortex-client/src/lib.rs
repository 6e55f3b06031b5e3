//! A typed async client for [Cortex](https://github.com/TheHive-Project/Cortex) 3.1 to 4.x.
//!
//! - **Every client-facing route** of Cortex 4.1.0 (also served by 3.1.8 and 3.2.x): analyzers
//!   and responders (search, enable with configuration, run on a value, a file or a TheHive
//!   entity), their definitions and shared configurations, jobs (search, reports, long-poll
//!   waits, bulk status), users and API keys, organisations, DB lists, the datastore, the
//!   event stream and the MISP-modules routes. The [coverage table](coverage) maps each route
//!   to its method.
//! - **Waiting that cannot hang**: [`areas::Jobs::wait`] chains server long-polls up to a
//!   deadline and returns [`Error::WaitTimeout`] there; [`areas::Jobs::wait_all`] waits for many
//!   jobs with one bulk status request per round.
//! - **A report that is an enum** ([`model::Report`]): finished with typed taxonomies, failed
//!   with the error, or pending.
//! - **First-run bootstrap** ([`bootstrap::bootstrap`]): migrate the database, create the
//!   superadmin, the organisation, its administrator and an API key; idempotent.
//! - **Errors with Cortex's message**, whatever shape it answered in: see [`Error`].
//!
//! # Tour
//!
//! ```no_run
//! use std::time::Duration;
//! use cortex_client::bootstrap::{bootstrap, BootstrapPlan};
//! use cortex_client::model::{EnableWorker, JobInput, TaxonomyLevel};
//! use cortex_client::{Cortex, SecretString};
//!
//! # async fn tour() -> Result<(), cortex_client::Error> {
//! // A fresh Cortex: migrate, create the superadmin, an organisation, its admin and a key.
//! let anonymous = Cortex::builder("https://soc.example/cortex")?.ca_file("/etc/soc/ca.pem").build()?;
//! let plan = BootstrapPlan::new(
//!     "admin@soc.example",
//!     SecretString::from(std::env::var("CORTEX_ADMIN_PASSWORD").unwrap_or_default()),
//!     "soc",
//!     "soc-admin@soc.example",
//! );
//! let done = bootstrap(&anonymous, &plan).await?;
//! let cortex = anonymous.with_api_key(done.org_admin_key.clone())?;
//!
//! // Enable an analyzer for the organisation, with its API key.
//! let mut config = serde_json::Map::new();
//! config.insert("key".into(), std::env::var("VT_KEY").unwrap_or_default().into());
//! let vt = cortex
//!     .analyzers()
//!     .enable("VirusTotal_GetReport_3_1", &EnableWorker::new("VirusTotal_GetReport_3_1", config))
//!     .await?;
//!
//! // Run it on an IP and wait at most two minutes for the report.
//! let job = cortex.analyzers().run(vt.id(), &JobInput::new("ip", "203.0.113.7").tlp(2), false).await?;
//! let job = cortex.jobs().wait(job.id(), Duration::from_secs(120)).await?;
//! for t in job.taxonomies() {
//!     if t.level == TaxonomyLevel::Malicious {
//!         println!("{}:{} = {}", t.namespace, t.predicate, t.value);
//!     }
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api;
pub mod bootstrap;
mod client;
mod error;
pub mod model;
pub mod query;

pub mod coverage {
    //! Which method covers each route of Cortex 4.1.0 (`conf/routes`).
    #![doc = include_str!("../COVERAGE.md")]
}

/// The area handles, as returned by [`Cortex`]'s methods.
pub mod areas {
    pub use crate::api::directory::{Organizations, Users};
    pub use crate::api::jobs::{JobFilter, Jobs, MAX_LONG_POLL};
    pub use crate::api::platform::Platform;
    pub use crate::api::workers::{Analyzer, Responder, WorkerKind, Workers};
    pub use crate::api::Listed;
}

pub use client::{Cortex, CortexBuilder};
pub use error::{Error, Result};
pub use soc_http::{self, FileUpload, RetryPolicy, SecretString};

use std::marker::PhantomData;

use model::Status;

impl Cortex {
    /// Analyzers.
    #[must_use]
    pub fn analyzers(&self) -> areas::Workers<'_, areas::Analyzer> {
        areas::Workers {
            cortex: self,
            kind: PhantomData,
        }
    }
    /// Responders.
    #[must_use]
    pub fn responders(&self) -> areas::Workers<'_, areas::Responder> {
        areas::Workers {
            cortex: self,
            kind: PhantomData,
        }
    }
    /// Jobs.
    #[must_use]
    pub fn jobs(&self) -> areas::Jobs<'_> {
        areas::Jobs { cortex: self }
    }
    /// Users and API keys.
    #[must_use]
    pub fn users(&self) -> areas::Users<'_> {
        areas::Users { cortex: self }
    }
    /// Organisations.
    #[must_use]
    pub fn organizations(&self) -> areas::Organizations<'_> {
        areas::Organizations { cortex: self }
    }
    /// Status, sessions, migration, DB lists, stream, datastore, MISP-modules routes.
    #[must_use]
    pub fn platform(&self) -> areas::Platform<'_> {
        areas::Platform { cortex: self }
    }

    /// The versions and public configuration (`GET /api/status`, no credentials needed).
    ///
    /// # Errors
    /// A status or decode error.
    pub async fn status(&self) -> Result<Status> {
        self.get(&["status"]).await
    }

    /// The same client (pool, TLS, timeouts) authenticating with an API key.
    ///
    /// # Errors
    /// [`Error::Http`] if the key cannot be sent in a header.
    pub fn with_api_key(&self, key: SecretString) -> Result<Cortex> {
        Ok(Cortex::from_http(
            self.http().with_auth(soc_http::Auth::bearer(key))?,
        ))
    }
}
