//! A typed async client for [MISP](https://www.misp-project.org/), and for misp-modules.
//!
//! - **Every PyMISP area** as a handle: events, attributes and proposals, objects, event
//!   reports, sightings, tags and tagging, taxonomies, warninglists, noticelists, correlation
//!   exclusions, galaxies and clusters, feeds, servers, sharing groups, organisations, users
//!   and API keys, roles, decaying models, statistics, user settings, blocklists, communities,
//!   analyst data, freetext import, STIX upload, and the instance's settings, workers and
//!   diagnostics. The [coverage table](coverage) maps MISP's OpenAPI operations to methods.
//! - **Streamed restSearch** ([`search::Search`]): JSON items decoded one by one as the answer
//!   arrives (a million attributes in the memory of one), every export format as a byte
//!   stream, automatic paging.
//! - **Wire quirks at the field**: numbers and timestamps sent as strings, `"0"`/`"1"`
//!   booleans, `{"Event": {...}}` wrappers, PHP notices before JSON; attribute types and
//!   categories as open enums; unknown fields kept.
//! - **Errors that say what happened**: a refused key, a failed save with MISP's reasons,
//!   `{name, message, url}` errors, redacted settings, module errors answered with HTTP 200.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use misp_client::model::{Distribution, NewAttribute, NewEvent, NewObject, ThreatLevel};
//! use misp_client::modules::MispModules;
//! use misp_client::search::{SearchFilter, Terms};
//! use misp_client::Misp;
//!
//! # async fn tour() -> Result<(), misp_client::Error> {
//! let misp = Misp::builder("https://misp.soc.example")?
//!     .api_key(std::env::var("MISP_KEY").unwrap_or_default())
//!     .ca_file("/etc/soc/ca.pem")
//!     .build()?;
//!
//! // An event with attributes and an object, tagged and published.
//! let event = misp
//!     .events()
//!     .add(
//!         &NewEvent::new("Phishing wave against finance")
//!             .distribution(Distribution::ThisCommunityOnly)
//!             .threat_level(ThreatLevel::High)
//!             .attribute(NewAttribute::new("ip-dst", "203.0.113.7").to_ids(true))
//!             .object(NewObject::new(
//!                 "domain-ip",
//!                 vec![NewAttribute::new("domain", "invoice-portal.example").relation("domain")],
//!             )),
//!     )
//!     .await?;
//! misp.tags().attach(&event.uuid, "tlp:amber", false).await?;
//! misp.events().publish(&event.id.to_string(), false).await?;
//!
//! // Every IDS attribute of the last day, streamed.
//! let filter = SearchFilter::new().last("1d").to_ids(true).tags(Terms::any(["tlp:white", "tlp:clear"]));
//! let mut attributes = std::pin::pin!(misp.search().attributes(&filter).await?);
//! while let Some(a) = attributes.try_next().await? {
//!     println!("{} {}", a.kind, a.value);
//! }
//!
//! // Fix the Redis settings the workers need.
//! misp.admin().set_setting("SimpleBackgroundJobs.redis_host", "redis", false).await?;
//! misp.admin().set_setting("SimpleBackgroundJobs.enabled", true, false).await?;
//!
//! // Ask a module.
//! let modules = MispModules::new("http://127.0.0.1:6666")?;
//! let eql = modules.expand("eql", "ip-src", "203.0.113.7", None).await?;
//! println!("{eql}");
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api;
mod client;
mod error;
pub mod model;
pub mod modules;
pub mod search;
mod stream;
pub mod wire;

pub mod coverage {
    //! Which method covers each operation of MISP's OpenAPI document, and each PyMISP area.
    #![doc = include_str!("../COVERAGE.md")]
}

/// The area handles, as returned by [`Misp`]'s methods.
pub mod areas {
    pub use crate::api::admin::{Admin, Servers};
    pub use crate::api::community::{
        Blocklists, Communities, Feeds, Organisations, Roles, SharingGroups, Users,
    };
    pub use crate::api::events::{
        AnalystData, Attributes, EventReports, Events, Objects, Sightings,
    };
    pub use crate::api::knowledge::{
        CorrelationExclusions, DecayingModels, Galaxies, Noticelists, Tags, Taxonomies,
        Warninglists,
    };
}

pub use client::{Misp, MispBuilder};
pub use error::{Error, Result};
pub use soc_http::{self, RetryPolicy, SecretString};

macro_rules! handles {
    ($($(#[$m:meta])* $fn:ident => $ty:ident,)*) => {
        impl Misp {
            $(
                $(#[$m])*
                #[must_use]
                pub fn $fn(&self) -> areas::$ty<'_> {
                    areas::$ty { misp: self }
                }
            )*

            /// restSearch and the other searches.
            #[must_use]
            pub fn search(&self) -> search::Search<'_> {
                search::Search { misp: self }
            }
        }
    };
}

handles! {
    /// Versions, settings, workers, diagnostics.
    admin => Admin,
    /// Synchronisation servers.
    servers => Servers,
    /// Events.
    events => Events,
    /// Attributes and proposals.
    attributes => Attributes,
    /// Objects, references and templates.
    objects => Objects,
    /// Event reports.
    event_reports => EventReports,
    /// Sightings.
    sightings => Sightings,
    /// Analyst notes, opinions and relationships.
    analyst_data => AnalystData,
    /// Tags and tagging.
    tags => Tags,
    /// Taxonomies.
    taxonomies => Taxonomies,
    /// Warninglists.
    warninglists => Warninglists,
    /// Noticelists.
    noticelists => Noticelists,
    /// Correlation exclusions.
    correlation_exclusions => CorrelationExclusions,
    /// Galaxies, clusters and relations.
    galaxies => Galaxies,
    /// Decaying models.
    decaying_models => DecayingModels,
    /// Feeds.
    feeds => Feeds,
    /// Sharing groups.
    sharing_groups => SharingGroups,
    /// Organisations.
    organisations => Organisations,
    /// Users, API keys, user settings.
    users => Users,
    /// Roles.
    roles => Roles,
    /// Event and organisation blocklists.
    blocklists => Blocklists,
    /// Communities.
    communities => Communities,
}
