//! Each distinct indicator looked up once per service: MISP in batches, Cortex per analyzer,
//! Elasticsearch per value; answers shared by every alert that holds the indicator and kept for
//! the cache's time to live (failures are not kept: the next pass asks again).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt as _, Shared};
use futures_util::TryStreamExt as _;
use misp_client::search::{SearchFilter, Terms};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::{Context, Indicator};

/// One MISP attribute matching an indicator.
#[derive(Debug, Clone, Serialize)]
pub struct MispHit {
    /// The event's id.
    pub event_id: i64,
    /// The event's title.
    pub event_info: String,
    /// The event's threat level (1 high to 4 undefined), when known.
    pub threat_level: Option<i64>,
    /// The attribute's type.
    pub misp_type: String,
    /// Its category.
    pub category: String,
    /// Whether it is marked for IDS.
    pub to_ids: bool,
}

/// One analyzer's verdict on an indicator.
#[derive(Debug, Clone, Serialize)]
pub struct CortexVerdict {
    /// The analyzer.
    pub analyzer: String,
    /// The worst taxonomy level it reported (`malicious`, `suspicious`, `safe`, `info`).
    pub level: String,
    /// Its taxonomies as `namespace:predicate=value`.
    pub summary: Vec<String>,
}

/// Everything known about one indicator; `None` where the service is not used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Findings {
    pub(crate) misp: Option<Result<Vec<MispHit>, String>>,
    pub(crate) cortex: Option<Result<Vec<CortexVerdict>, String>>,
    pub(crate) related: Option<Result<u64, String>>,
}

type Answer<T> = Shared<BoxFuture<'static, Result<T, String>>>;

struct Entry<T: Clone> {
    at: Instant,
    answer: Answer<T>,
}

impl<T: Clone> Entry<T> {
    /// Whether the entry can serve this pass: fresh, and not a failure.
    fn usable(&self, ttl: Duration) -> bool {
        self.at.elapsed() < ttl && !matches!(self.answer.peek(), Some(Err(_)))
    }
}

/// The run's (and, with `--watch`, the process's) lookups.
pub struct Lookups {
    ttl: Duration,
    misp: Mutex<HashMap<String, Entry<Vec<MispHit>>>>,
    cortex: Mutex<HashMap<Indicator, Entry<Vec<CortexVerdict>>>>,
    related: Mutex<HashMap<String, Entry<u64>>>,
    asked: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a shared answer now (a task drives it), so it runs whether or not anyone waits yet.
fn start<T: Clone + Send + Sync + 'static>(
    fut: BoxFuture<'static, Result<T, String>>,
) -> Answer<T> {
    let shared = fut.shared();
    tokio::spawn(shared.clone());
    shared
}

impl Lookups {
    /// An empty cache whose answers live `ttl`.
    pub fn new(ttl: Duration) -> Lookups {
        Lookups {
            ttl,
            misp: Mutex::new(HashMap::new()),
            cortex: Mutex::new(HashMap::new()),
            related: Mutex::new(HashMap::new()),
            asked: AtomicUsize::new(0),
        }
    }

    /// How many distinct indicators were sent to a service so far.
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }

    /// Starts every lookup `indicators` needs that the cache cannot answer.
    pub(crate) fn start(&self, ctx: &Arc<Context>, indicators: &BTreeSet<Indicator>) {
        let mut new: BTreeSet<&Indicator> = BTreeSet::new();
        if let Some(misp) = &ctx.misp {
            let mut cache = lock(&self.misp);
            let missing: Vec<&Indicator> = indicators
                .iter()
                .filter(|i| !cache.get(&i.value).is_some_and(|e| e.usable(self.ttl)))
                .collect();
            let limit = Arc::new(Semaphore::new(ctx.cfg.concurrency.misp));
            for batch in missing.chunks(100) {
                let values: Vec<String> = batch.iter().map(|i| i.value.clone()).collect();
                let misp = misp.clone();
                let limit = limit.clone();
                let answer = start(
                    async move {
                        let _permit = limit.acquire().await.map_err(|e| e.to_string())?;
                        misp_batch(&misp, values).await
                    }
                    .boxed(),
                );
                for i in batch {
                    let value = i.value.clone();
                    let one = answer
                        .clone()
                        .map(move |r| r.map(|m| m.get(&value).cloned().unwrap_or_default()))
                        .boxed()
                        .shared();
                    cache.insert(
                        i.value.clone(),
                        Entry {
                            at: Instant::now(),
                            answer: one,
                        },
                    );
                    new.insert(i);
                }
            }
        }
        if let Some(cortex) = &ctx.cortex {
            let mut cache = lock(&self.cortex);
            let limit = Arc::new(Semaphore::new(ctx.cfg.concurrency.cortex));
            for i in indicators {
                let Some(analyzers) = ctx
                    .cfg
                    .analyzers
                    .get(&i.data_type)
                    .filter(|a| !a.is_empty())
                else {
                    continue;
                };
                if cache.get(i).is_some_and(|e| e.usable(self.ttl)) {
                    continue;
                }
                let (cortex, analyzers, ind, limit, deadline) = (
                    cortex.clone(),
                    analyzers.clone(),
                    i.clone(),
                    limit.clone(),
                    ctx.cortex_deadline,
                );
                let answer = start(
                    async move {
                        let mut verdicts = Vec::new();
                        for a in analyzers {
                            let _permit = limit.acquire().await.map_err(|e| e.to_string())?;
                            verdicts.push(cortex_run(&cortex, &a, &ind, deadline).await?);
                        }
                        Ok(verdicts)
                    }
                    .boxed(),
                );
                cache.insert(
                    i.clone(),
                    Entry {
                        at: Instant::now(),
                        answer,
                    },
                );
                new.insert(i);
            }
        }
        if let (Some(es), Some(rel)) = (&ctx.es, &ctx.cfg.elasticsearch) {
            let mut cache = lock(&self.related);
            let limit = Arc::new(Semaphore::new(ctx.cfg.concurrency.elasticsearch));
            let window =
                crate::config::parse_duration(&rel.window).unwrap_or(Duration::from_secs(86_400));
            for i in indicators {
                if cache.get(&i.value).is_some_and(|e| e.usable(self.ttl)) {
                    continue;
                }
                let (es, value, limit, index, field) = (
                    es.clone(),
                    i.value.clone(),
                    limit.clone(),
                    rel.index.clone(),
                    rel.time_field.clone(),
                );
                let answer = start(
                    async move {
                        let _permit = limit.acquire().await.map_err(|e| e.to_string())?;
                        related_events(&es, &index, &field, window, &value).await
                    }
                    .boxed(),
                );
                cache.insert(
                    i.value.clone(),
                    Entry {
                        at: Instant::now(),
                        answer,
                    },
                );
                new.insert(i);
            }
        }
        self.asked.fetch_add(new.len(), Ordering::Relaxed);
    }

    /// What the services said about `indicator` (waits for answers still coming).
    pub(crate) async fn findings(&self, ctx: &Context, indicator: &Indicator) -> Findings {
        let misp = ctx.misp.as_ref().and_then(|_| {
            lock(&self.misp)
                .get(&indicator.value)
                .map(|e| e.answer.clone())
        });
        let cortex = lock(&self.cortex).get(indicator).map(|e| e.answer.clone());
        let related = lock(&self.related)
            .get(&indicator.value)
            .map(|e| e.answer.clone());
        Findings {
            misp: match misp {
                Some(a) => Some(a.await),
                None => None,
            },
            cortex: match cortex {
                Some(a) => Some(a.await),
                None => None,
            },
            related: match related {
                Some(a) => Some(a.await),
                None => None,
            },
        }
    }
}

/// One restSearch for a batch of values, then the threat levels of the events they are in.
async fn misp_batch(
    misp: &misp_client::Misp,
    values: Vec<String>,
) -> Result<BTreeMap<String, Vec<MispHit>>, String> {
    let wanted: BTreeSet<String> = values.iter().cloned().collect();
    let filter = SearchFilter::new().values(Terms::any(values));
    let attributes: Vec<misp_client::model::Attribute> = misp
        .search()
        .attributes(&filter)
        .await
        .map_err(|e| format!("MISP: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("MISP: {e}"))?;
    let event_ids: BTreeSet<i64> = attributes.iter().map(|a| a.event_id).collect();
    let mut levels = BTreeMap::new();
    if !event_ids.is_empty() {
        let ids: Vec<String> = event_ids.iter().map(i64::to_string).collect();
        let events: Vec<misp_client::model::Event> = misp
            .search()
            .events(
                &SearchFilter::new()
                    .event_ids(Terms::any(ids))
                    .metadata_only(),
            )
            .await
            .map_err(|e| format!("MISP: {e}"))?
            .try_collect()
            .await
            .map_err(|e| format!("MISP: {e}"))?;
        for e in events {
            levels.insert(e.id, (e.threat_level_id.as_i64(), e.info));
        }
    }
    let mut out: BTreeMap<String, Vec<MispHit>> = BTreeMap::new();
    for a in attributes {
        // MISP matches with wildcards and inside composite values: keep exact matches, of the
        // whole value or of one half of a composite (`ip-dst|port`).
        let halves: Vec<&str> = a.value.split('|').collect();
        let matched: Vec<&String> = wanted
            .iter()
            .filter(|w| {
                a.value.eq_ignore_ascii_case(w) || halves.iter().any(|h| h.eq_ignore_ascii_case(w))
            })
            .collect();
        let event_info = a
            .extra
            .get("Event")
            .and_then(|e| e.get("info"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let (level, info) = match levels.get(&a.event_id) {
            Some((l, i)) => (Some(*l), i.clone()),
            None => (None, event_info.unwrap_or_default()),
        };
        for w in matched {
            out.entry(w.clone()).or_default().push(MispHit {
                event_id: a.event_id,
                event_info: info.clone(),
                threat_level: level,
                misp_type: a.kind.as_str().to_owned(),
                category: a.category.as_str().to_owned(),
                to_ids: a.to_ids,
            });
        }
    }
    Ok(out)
}

/// Runs one analyzer on an indicator (Cortex answers a recent identical job from its cache) and
/// waits for the report.
async fn cortex_run(
    cortex: &cortex_client::Cortex,
    analyzer: &str,
    indicator: &Indicator,
    deadline: Duration,
) -> Result<CortexVerdict, String> {
    use cortex_client::model::{JobInput, TaxonomyLevel};
    let input = JobInput::new(&indicator.data_type, &indicator.value);
    let job = cortex
        .analyzers()
        .run_by_name(analyzer, &input, false)
        .await
        .map_err(|e| format!("Cortex {analyzer}: {e}"))?;
    let job = cortex
        .jobs()
        .wait(job.id(), deadline)
        .await
        .map_err(|e| format!("Cortex {analyzer}: {e}"))?;
    let rank = |l: &TaxonomyLevel| match l {
        TaxonomyLevel::Malicious => 3,
        TaxonomyLevel::Suspicious => 2,
        TaxonomyLevel::Safe => 1,
        _ => 0,
    };
    let taxonomies = job.taxonomies();
    let worst = taxonomies.iter().max_by_key(|t| rank(&t.level));
    Ok(CortexVerdict {
        analyzer: analyzer.to_owned(),
        level: worst
            .map(|t| {
                serde_json::to_value(&t.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .unwrap_or_else(|| "info".to_owned()),
        summary: taxonomies
            .iter()
            .map(|t| {
                format!(
                    "{}:{}={}",
                    t.namespace,
                    t.predicate,
                    t.value
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| t.value.to_string())
                )
            })
            .collect(),
    })
}

/// Events in the window that mention the value anywhere.
async fn related_events(
    es: &es_ops::Es,
    index: &str,
    time_field: &str,
    window: Duration,
    value: &str,
) -> Result<u64, String> {
    use es_ops::search::Query;
    let phrase = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let since = format!("now-{}s", window.as_secs());
    let query = Query::bool(
        vec![Query::query_string(&phrase)],
        vec![Query::range(time_field, Some(since.into()), None)],
        Vec::new(),
        Vec::new(),
    );
    match es.search().count(index, &query).await {
        Ok(n) => Ok(n),
        Err(e) if e.is_not_found() => Ok(0),
        Err(e) => Err(format!("Elasticsearch: {e}")),
    }
}
