//! `soc enrich`: the seed's twelve-step enrichment workflow, done concurrently and once per
//! indicator.
//!
//! 1. TheHive alerts are selected: severity at least `min_severity`, status in `statuses` (or
//!    `Imported`, which an interrupted run leaves), created within `window`, not yet tagged
//!    `enriched`.
//! 2. Each alert's indicators are its observables plus those extracted from its title and
//!    description ([`crate::extract`]).
//! 3. Every distinct indicator of the run is looked up once: in MISP (batched
//!    `attributes/restSearch`, then the events' threat levels), in Cortex (the analyzers
//!    configured for its data type, Cortex's job cache respected) and in Elasticsearch (related
//!    events in the window). The three services are asked at the same time, each within its own
//!    concurrency limit; an alert proceeds as soon as its own indicators are answered.
//! 4. The alert's threat score ([`score`]) and a Markdown report are computed.
//! 5. In TheHive: from `case_threshold` the alert is promoted to a case (or its existing case
//!    reused) holding a task `soc enrich report` with the report as a log; below, the report is
//!    a comment on the alert. A notification is posted to `[enrich.notify]`.
//! 6. Last, the marker: the alert is tagged `enriched` and `score:NN`. The marker is checked
//!    first and every write before it is looked for before it is made, so a run interrupted
//!    anywhere and run again finishes each alert exactly once.
//!
//! An alert whose lookups or writes fail is reported failed and keeps no marker: the next run
//! takes it again.

mod lookup;
pub mod score;
mod writeback;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use serde::Serialize;
use thehive_client::model::Alert;
use thehive_client::query::{Filter, Search};

use crate::clients;
use crate::config::{parse_duration, EnrichConfig, SocConfig};
use crate::secrets::Secrets;

pub use lookup::{CortexVerdict, Lookups, MispHit};

/// The tag that marks an enriched alert.
pub const MARKER: &str = "enriched";

/// What stops `enrich` before it reaches an alert.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// `[enrich]` or `[thehive]` is missing.
    #[error("soc enrich needs [enrich] and [thehive] sections in {0}")]
    NotConfigured(String),
    /// A configuration value is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The secrets file cannot be read.
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    /// A user's key is missing from the secrets file.
    #[error("no key for {user} in the secrets file ({service}): run `soc setup`")]
    MissingKey {
        /// The service.
        service: &'static str,
        /// The user.
        user: String,
    },
    /// A client could not be built.
    #[error(transparent)]
    Client(#[from] clients::ClientError),
    /// TheHive could not be asked for alerts.
    #[error("selecting alerts: {0}")]
    Select(thehive_client::Error),
}

/// One indicator of an alert, as TheHive types it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Indicator {
    /// TheHive data type (`ip`, `domain`, `url`, `mail`, `hash`, ...).
    pub data_type: String,
    /// The value.
    pub value: String,
}

/// What happened to one alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertResult {
    /// The alert.
    pub alert: String,
    /// Its title.
    pub title: String,
    /// `enriched` or `failed`.
    pub status: &'static str,
    /// The threat score, 0 to 100.
    pub score: u32,
    /// Its distinct indicators.
    pub indicators: usize,
    /// The case it went to, when it scored above the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The Markdown report.
    #[serde(skip)]
    pub report: String,
}

/// A run's summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Alerts selected.
    pub alerts: usize,
    /// Alerts enriched.
    pub enriched: usize,
    /// Alerts that failed (retried by the next run).
    pub failed: usize,
    /// Alerts that became (or joined) cases.
    pub cases: usize,
    /// Indicator occurrences across alerts.
    pub indicators: usize,
    /// Distinct indicators looked up.
    pub distinct_indicators: usize,
    /// Lookups the shared cache saved (occurrences answered without asking a service again).
    pub lookups_saved: usize,
    /// The highest score.
    pub max_score: u32,
    /// Per alert.
    pub results: Vec<AlertResult>,
}

/// The services and settings a run uses.
pub(crate) struct Context {
    pub(crate) cfg: EnrichConfig,
    pub(crate) hive: thehive_client::TheHive,
    pub(crate) misp: Option<misp_client::Misp>,
    pub(crate) cortex: Option<cortex_client::Cortex>,
    pub(crate) es: Option<es_ops::Es>,
    pub(crate) cortex_deadline: Duration,
    pub(crate) notify: Option<soc_http::HttpClient>,
}

/// Enrichment with a cache that outlives one pass (for `--watch`).
pub struct Enricher {
    ctx: Arc<Context>,
    lookups: Lookups,
}

impl Enricher {
    /// Builds the clients from the configuration and the secrets file.
    pub fn new(config: &SocConfig) -> Result<Enricher, EnrichError> {
        let not_configured = || EnrichError::NotConfigured(config.path.display().to_string());
        let cfg = config.enrich.clone().ok_or_else(not_configured)?;
        let hive_cfg = config.thehive.as_ref().ok_or_else(not_configured)?;
        let secrets = Secrets::open(&config.secrets_file)?;
        let key =
            secrets
                .get("thehive", &cfg.thehive_user)
                .ok_or_else(|| EnrichError::MissingKey {
                    service: "thehive",
                    user: cfg.thehive_user.clone(),
                })?;
        let hive = clients::thehive_with_key(config, key, Some(&hive_cfg.organisation))?;
        let misp = match &config.misp {
            Some(m) => Some(clients::misp_with_key(
                config,
                secrets
                    .get("misp", &m.thehive_user)
                    .ok_or_else(|| EnrichError::MissingKey {
                        service: "misp",
                        user: m.thehive_user.clone(),
                    })?,
            )?),
            None => None,
        };
        let cortex = match (&config.cortex, cfg.analyzers.is_empty()) {
            (Some(c), false) => {
                let key = secrets.get("cortex", &c.thehive_user).ok_or_else(|| {
                    EnrichError::MissingKey {
                        service: "cortex",
                        user: c.thehive_user.clone(),
                    }
                })?;
                let anonymous = clients::cortex_anonymous(config)?.ok_or_else(not_configured)?;
                Some(
                    anonymous
                        .with_api_key(key)
                        .map_err(|e| clients::ClientError::Build {
                            service: "cortex",
                            message: e.to_string(),
                        })?,
                )
            }
            _ => None,
        };
        let es = match cfg.elasticsearch {
            Some(_) => clients::elasticsearch(config)?,
            None => None,
        };
        let notify = match &cfg.notify {
            Some(n) => Some(
                soc_http::HttpClient::builder(n.url.as_str())
                    .and_then(|b| b.build())
                    .map_err(|e| clients::ClientError::Build {
                        service: "notify",
                        message: e.to_string(),
                    })?,
            ),
            None => None,
        };
        let ttl =
            parse_duration(&cfg.cache_ttl).map_err(|e| config.error("enrich.cache_ttl", e))?;
        let cortex_deadline = parse_duration(&cfg.cortex_deadline)
            .map_err(|e| config.error("enrich.cortex_deadline", e))?;
        Ok(Enricher {
            lookups: Lookups::new(ttl),
            ctx: Arc::new(Context {
                cfg,
                hive,
                misp,
                cortex,
                es,
                cortex_deadline,
                notify,
            }),
        })
    }

    /// The alerts a pass would take now.
    pub async fn select(&self) -> Result<Vec<Alert>, EnrichError> {
        let c = &self.ctx.cfg;
        let window = parse_duration(&c.window).unwrap_or(Duration::from_secs(7 * 86_400));
        let since = chrono::Utc::now().timestamp_millis()
            - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        // An alert promoted by an interrupted run is `Imported` but not marked: it is taken
        // again so its report is written.
        let mut statuses: Vec<serde_json::Value> =
            c.statuses.iter().map(|s| s.clone().into()).collect();
        if !c.statuses.iter().any(|s| s == "Imported") {
            statuses.push("Imported".into());
        }
        let filter = Filter::gte("severity", c.min_severity)
            & Filter::in_values("status", statuses)
            & Filter::gte("_createdAt", since)
            & !Filter::eq("tags", MARKER);
        let search = Search::new().filter(filter);
        let stream = self.ctx.hive.alerts().stream(&search, 100);
        futures_util::TryStreamExt::try_collect(stream)
            .await
            .map_err(EnrichError::Select)
    }

    /// Waits `every` between passes until `stop` resolves; each pass's summary goes to
    /// `on_pass` (a failed pass, TheHive down, is reported and the next one runs).
    pub async fn watch(
        &self,
        every: Duration,
        stop: impl std::future::Future<Output = ()>,
        mut on_result: impl FnMut(&AlertResult),
        mut on_pass: impl FnMut(Result<Summary, EnrichError>),
    ) {
        tokio::pin!(stop);
        loop {
            on_pass(self.run_once(&mut on_result).await);
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = &mut stop => return,
            }
        }
    }

    /// Enriches as TheHive notifies: each time `soc serve`'s hook queues alerts, the queue is
    /// drained and one pass runs (it takes every alert not yet enriched, the queued ones
    /// included). Runs until `stop` resolves.
    pub async fn follow_hook(
        &self,
        server: &crate::serve::Server,
        stop: impl std::future::Future<Output = ()>,
        mut on_pass: impl FnMut(Result<Summary, EnrichError>),
    ) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = server.next_alert() => {}
                _ = &mut stop => return,
            }
            while server.try_next_alert().is_some() {}
            on_pass(self.run_once(|_| {}).await);
        }
    }

    /// One pass over the selected alerts; `on_result` sees each alert as it finishes.
    pub async fn run_once(
        &self,
        mut on_result: impl FnMut(&AlertResult),
    ) -> Result<Summary, EnrichError> {
        let alerts = self.select().await?;
        let ctx = self.ctx.clone();
        // Every alert's indicators first (its observables and what its text holds).
        let gathered: Vec<(Alert, Result<Vec<Indicator>, String>)> = stream::iter(alerts)
            .map(|alert| {
                let ctx = ctx.clone();
                async move {
                    let ind = writeback::indicators(&ctx, &alert).await;
                    (alert, ind)
                }
            })
            .buffer_unordered(ctx.cfg.concurrency.alerts)
            .collect()
            .await;
        let distinct: BTreeSet<Indicator> = gathered
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .flatten()
            .cloned()
            .collect();
        let occurrences: usize = gathered
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(Vec::len)
            .sum();
        let asked_before = self.lookups.asked();
        // All lookups start now, each service within its own limit.
        self.lookups.start(&ctx, &distinct);
        let progress = crate::progress::bar(gathered.len() as u64, "alerts");
        let mut summary = Summary {
            alerts: gathered.len(),
            indicators: occurrences,
            distinct_indicators: distinct.len(),
            ..Default::default()
        };
        let lookups = &self.lookups;
        let mut done = stream::iter(gathered)
            .map(|(alert, indicators)| {
                let ctx = ctx.clone();
                async move { writeback::finish(&ctx, lookups, alert, indicators).await }
            })
            .buffer_unordered(ctx.cfg.concurrency.alerts);
        while let Some(result) = done.next().await {
            progress.inc(1);
            on_result(&result);
            match result.status {
                "enriched" => summary.enriched += 1,
                _ => summary.failed += 1,
            }
            if result.case.is_some() {
                summary.cases += 1;
            }
            summary.max_score = summary.max_score.max(result.score);
            summary.results.push(result);
        }
        progress.finish_and_clear();
        let asked = self.lookups.asked() - asked_before;
        summary.lookups_saved = occurrences.saturating_sub(asked);
        Ok(summary)
    }
}
