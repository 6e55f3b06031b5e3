//! The enrichment workflow at scale against the embedded lab, with 20 ms of latency on every
//! service: `Enricher::run_once` beside the same work done sequentially in the Shuffle
//! workflow's order, and beside the critical-path bound.
//!
//! Run with `cargo xtask bench enrich`. Directly: `cargo bench -p soc-tools --bench enrich --
//! --alerts 500 --rounds 3`.
//!
//! Each round starts two fresh labs (one per side, interleaved: ours then the sequential one,
//! the order swapped every other round). Each is set up by `soc_tools::setup::run`, MISP seeded
//! from a local feed by `soc_tools::feed_sync::run_once`, some Elasticsearch events indexed and
//! `--alerts` alerts created by `soc_tools::alert_import::import`, each with 5 indicators
//! (IPs, domains, URLs, hashes) drawn from a pool of twice as many values as alerts, a hot tenth
//! drawn half the time: indicators recur across alerts as they do in a SOC. Only then is the
//! latency injected (`latency_ms = 20` on every service), and the clock runs:
//!
//! - ours: `Enricher::run_once` with `[enrich.concurrency]` 32 everywhere;
//! - sequential, Shuffle order: per alert its observables, then per indicator, no cache: MISP
//!   `attributes/restSearch`, Cortex run (the analyzer looked up by name, then run) and wait,
//!   Elasticsearch count; then the TheHive writes (above the threshold: promote to a case,
//!   create the task, write the report as its log; else comment the alert; then tag it).
//!   Built here with the same client crates; its score uses the same weights without MISP
//!   threat levels (the workflow does not fetch events).
//!
//! The bound is the least wall time any implementation could reach, given the latency `L` and
//! the dependencies of our run's steps (each step waits for the previous one's answer):
//!
//! ```text
//! bound = (P + 1 + 2 + W) × L + max(R, L)
//! P = ceil(alerts / 100)   the selection's pages, one after the other
//! 1                        an alert's observables (after it is selected)
//! 2                        Cortex: the analyzer by name, then the run (MISP needs 2 as well:
//!                          attributes then events; Elasticsearch 1)
//! max(R, L)                the wait for the report: the lab's analyzers take R = 100 ms from
//!                          the job's creation, and the long poll costs at least one L
//! W = 6                    writes above the threshold: promote, find tasks, create task, find
//!                          logs, create log, tag (3 when no alert reaches it: find comments,
//!                          comment, tag)
//! ```
//!
//! It ignores the concurrency limits (with 32 alerts in flight, the alerts' own round trips
//! alone need about `alerts / 32 × (1 + W)` latencies), so no run reaches it.

// The report is this program's output.
#![allow(clippy::print_stdout)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::{arg, benching, median, Rng, Stack};
use futures_util::TryStreamExt as _;
use serde_json::json;
use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::enrich::Enricher;
use soc_tools::report::Outcome;
use soc_tools::setup::{self, SetupOptions};

/// The latency on every service, in milliseconds.
const LATENCY_MS: u64 = 20;
/// How long the lab's analyzers run (soc-lab's Cortex).
const ANALYZER_MS: u64 = 100;
/// Indicators per alert.
const PER_ALERT: usize = 5;
const CASE_THRESHOLD: u32 = 70;
const CONCURRENCY: usize = 32;

fn main() {
    let full = benching();
    let alerts: usize = arg("--alerts").unwrap_or(if full { 500 } else { 8 });
    let rounds: usize = arg("--rounds").unwrap_or(if full { 3 } else { 1 });
    let out: Option<String> = arg("--out");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let data = Data::new(alerts);
    let mut ours = Vec::new();
    let mut seq = Vec::new();
    let mut cases = 0;
    let mut distinct = 0;
    for round in 1..=rounds {
        let order = if round % 2 == 1 {
            [true, false]
        } else {
            [false, true]
        };
        for ours_first in order {
            if ours_first {
                let (s, summary) = rt.block_on(ours_round(&data));
                eprintln!(
                    "round {round}: ours {s:.2} s ({} alerts, {} cases, {} distinct indicators, {} lookups saved)",
                    summary.alerts, summary.cases, summary.distinct_indicators, summary.lookups_saved
                );
                cases = summary.cases;
                distinct = summary.distinct_indicators;
                ours.push(s);
            } else {
                let (s, c) = rt.block_on(sequential_round(&data));
                eprintln!("round {round}: sequential {s:.2} s ({c} cases)");
                seq.push(s);
            }
        }
    }
    let w = if cases > 0 { 6 } else { 3 };
    let pages = alerts.div_ceil(100).max(1) as u64;
    let bound_ms = (pages + 1 + 2 + w) * LATENCY_MS + ANALYZER_MS.max(LATENCY_MS);
    let bound = bound_ms as f64 / 1000.0;
    println!(
        "enrich: {alerts} alerts x {PER_ALERT} indicators ({distinct} distinct), {LATENCY_MS} ms latency, {rounds} rounds, medians"
    );
    if let Some(o) = median(&ours) {
        println!("  ours (run_once, 32 in flight)   {o:>8.2} s");
        if let Some(s) = median(&seq) {
            println!(
                "  sequential, Shuffle order       {s:>8.2} s   ({:.1}x)",
                s / o
            );
        }
        println!(
            "  critical-path bound             {bound:>8.2} s   (ours at {:.1}x the bound)",
            o / bound
        );
    }
    if let Some(out) = out {
        let report = json!({
            "benchmark": "enrich",
            "alerts": alerts,
            "indicators_per_alert": PER_ALERT,
            "distinct_indicators": distinct,
            "cases": cases,
            "latency_ms": LATENCY_MS,
            "concurrency": CONCURRENCY,
            "rounds": rounds,
            "ours": {"seconds": ours, "seconds_median": median(&ours)},
            "sequential": {"seconds": seq, "seconds_median": median(&seq)},
            "bound_seconds": bound,
            "bound_formula": format!("(P + 1 + 2 + W) x L + max(R, L) with P = {pages}, W = {w}, L = {LATENCY_MS} ms, R = {ANALYZER_MS} ms"),
        });
        std::fs::write(out, serde_json::to_vec_pretty(&report).expect("json"))
            .expect("write the report");
    }
}

/// The alerts, the feed and the lab's verdicts, the same for every lab.
struct Data {
    /// JSON Lines for `alert import`.
    alerts: String,
    /// Indicators the lab's analyzers call malicious.
    malicious: Vec<String>,
    /// MISP feed attributes: (MISP type, value).
    feed: Vec<(&'static str, String)>,
    /// IPs some Elasticsearch events mention.
    seen: Vec<String>,
}

impl Data {
    fn new(alerts: usize) -> Data {
        let mut rng = Rng(0x50c_e41c_4000 ^ alerts as u64);
        let size = (alerts * 2).max(20);
        // (TheHive data type, MISP type, value)
        let pool: Vec<(&str, &str, String)> = (0..size)
            .map(|i| match i % 5 {
                0 | 1 => ("ip", "ip-dst", rng.public_ip()),
                2 => ("domain", "domain", rng.domain()),
                3 => (
                    "url",
                    "url",
                    format!("https://{}/{}/{i}.php", rng.domain(), rng.word()),
                ),
                _ => ("hash", "md5", rng.hex(32)),
            })
            .collect();
        let malicious = pool
            .iter()
            .step_by(10)
            .map(|p| p.2.clone())
            .collect::<Vec<_>>();
        let feed = pool
            .iter()
            .skip(3)
            .step_by(7)
            .map(|p| (p.1, p.2.clone()))
            .collect();
        let seen = pool
            .iter()
            .filter(|p| p.0 == "ip")
            .step_by(4)
            .map(|p| p.2.clone())
            .collect();
        let mut text = String::new();
        for n in 0..alerts {
            let mut chosen = BTreeSet::new();
            while chosen.len() < PER_ALERT {
                let i = if rng.below(2) == 0 {
                    rng.below(size as u64 / 10)
                } else {
                    rng.below(size as u64)
                };
                chosen.insert(i as usize);
            }
            let observables: Vec<_> = chosen
                .iter()
                .map(|&i| json!({"dataType": pool[i].0, "data": pool[i].2}))
                .collect();
            let line = json!({
                "title": format!("Suspicious outbound activity #{n}"),
                "source": "bench",
                "sourceRef": format!("bench-{n}"),
                "severity": 2 + (n % 2),
                "description": "The EDR flagged a process talking to rare destinations; see the observables.",
                "observables": observables,
            });
            let _ = writeln!(text, "{line}");
        }
        Data {
            alerts: text,
            malicious,
            feed,
            seen,
        }
    }
}

/// A lab with everything in place, then the latency.
async fn prepared(data: &Data) -> (Stack, SocConfig) {
    let extra = format!(
        r#"
[[misp.feeds]]
name = "Bench feed"
url = "{{FEED}}"
provider = "bench"
input_source = "local"

[enrich]
thehive_user = "svc-soc@soc.local"
window = "1d"
case_threshold = {CASE_THRESHOLD}
[enrich.concurrency]
alerts = {CONCURRENCY}
misp = {CONCURRENCY}
cortex = {CONCURRENCY}
elasticsearch = {CONCURRENCY}
[enrich.analyzers]
ip = ["AbuseIPDB_1_0"]
url = ["Lab_Reputation_1_0"]
domain = ["Lab_Reputation_1_0"]
[enrich.elasticsearch]
index = "soc-events-*"
window = "7d"
"#
    );
    let stack = common::stack("enrich", data.malicious.clone(), "").await;
    let feed = stack.dir.join("feed");
    write_feed(&feed, &data.feed);
    let toml = std::fs::read_to_string(stack.config_path()).expect("soc.toml")
        + &extra.replace("{FEED}", &feed.display().to_string());
    std::fs::write(stack.config_path(), toml).expect("soc.toml");
    let config = SocConfig::load(stack.config_path()).expect("config");
    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert!(!report.failed(), "{:#?}", report.items);
    let feeds = soc_tools::feed_sync::run_once(&config)
        .await
        .expect("feeds");
    assert!(!feeds.failed(), "{:#?}", feeds.items);
    let es = soc_tools::clients::elasticsearch(&config)
        .expect("client")
        .expect("es");
    let now = chrono::Utc::now().to_rfc3339();
    let actions: Vec<_> = data
        .seen
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let doc = json!({"@timestamp": now, "source": {"ip": format!("10.0.{}.{}", i / 250, 1 + i % 250)}, "destination": {"ip": ip}, "event": {"action": "allowed"}});
            es_ops::bulk::BulkAction::index("soc-events-2026.11", &doc).expect("action")
        })
        .collect();
    let summary = es
        .bulk()
        .run(
            futures_util::stream::iter(actions),
            &es_ops::bulk::BulkOptions::default(),
            |_| {},
        )
        .await
        .expect("bulk");
    assert_eq!(summary.failed, 0);
    let file = stack.dir.join("alerts.jsonl");
    std::fs::write(&file, &data.alerts).expect("alerts");
    let imported = soc_tools::alert_import::import(&config, &file, None, "edr")
        .await
        .expect("import");
    assert_eq!(
        imported.count(Outcome::Created),
        data.alerts.lines().count(),
        "{:#?}",
        imported.items
    );
    let latency = Faults {
        latency_ms: LATENCY_MS,
        ..Default::default()
    };
    for s in Service::ALL {
        stack.lab.set_faults(s, latency.clone());
    }
    (stack, config)
}

/// A feed directory in MISP's format: `manifest.json` and one `<uuid>.json` per event.
fn write_feed(dir: &std::path::Path, attributes: &[(&str, String)]) {
    std::fs::create_dir_all(dir).expect("feed dir");
    let mut manifest = serde_json::Map::new();
    let orgc = json!({"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"});
    for (e, chunk) in attributes.chunks(25).enumerate() {
        let uuid = format!("5f0c8a4e-{e:04x}-4c3b-9b0a-2f7e1a000000");
        let info = format!("Bench campaign {e}");
        let level = (1 + e % 3).to_string();
        manifest.insert(
            uuid.clone(),
            json!({"info": info, "Orgc": orgc, "Tag": [{"name": "tlp:white", "colour": "#ffffff"}],
                "date": "2026-11-20", "analysis": "2", "threat_level_id": level, "timestamp": "1795400000"}),
        );
        let attrs: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(a, (kind, value))| {
                let category = if *kind == "md5" { "Payload delivery" } else { "Network activity" };
                json!({"uuid": format!("{}{a:06x}", &uuid[..30]), "type": kind, "category": category,
                       "value": value, "to_ids": a % 2 == 0, "timestamp": "1795400000", "comment": ""})
            })
            .collect();
        let event = json!({"Event": {
            "uuid": uuid, "info": info, "date": "2026-11-20", "analysis": "2", "threat_level_id": level,
            "timestamp": "1795400000", "publish_timestamp": "1795400000", "published": true, "Orgc": orgc,
            "Tag": [{"name": "tlp:white", "colour": "#ffffff"}], "Attribute": attrs,
        }});
        std::fs::write(dir.join(format!("{uuid}.json")), event.to_string()).expect("event");
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::Value::Object(manifest).to_string(),
    )
    .expect("manifest");
}

async fn ours_round(data: &Data) -> (f64, soc_tools::enrich::Summary) {
    let (stack, config) = prepared(data).await;
    let enricher = Enricher::new(&config).expect("enricher");
    let started = Instant::now();
    let summary = enricher.run_once(|_| {}).await.expect("run");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(summary.failed, 0, "{:#?}", summary.results);
    assert_eq!(summary.alerts, data.alerts.lines().count());
    stack.stop().await;
    (seconds, summary)
}

/// The services, as the sequential workflow holds them.
struct Clients {
    hive: thehive_client::TheHive,
    misp: misp_client::Misp,
    cortex: cortex_client::Cortex,
    es: es_ops::Es,
    config: soc_tools::config::EnrichConfig,
}

fn clients(config: &SocConfig) -> Clients {
    use soc_tools::clients as c;
    let secrets = soc_tools::secrets::Secrets::open(&config.secrets_file).expect("secrets");
    let enrich = config.enrich.clone().expect("[enrich]");
    let hive_key = secrets.get("thehive", &enrich.thehive_user).expect("key");
    let misp_user = &config.misp.as_ref().expect("misp").thehive_user;
    let cortex_user = &config.cortex.as_ref().expect("cortex").thehive_user;
    Clients {
        hive: c::thehive_with_key(config, hive_key, Some("soc")).expect("thehive"),
        misp: c::misp_with_key(config, secrets.get("misp", misp_user).expect("key")).expect("misp"),
        cortex: c::cortex_anonymous(config)
            .expect("cortex")
            .expect("cortex")
            .with_api_key(secrets.get("cortex", cortex_user).expect("key"))
            .expect("cortex"),
        es: c::elasticsearch(config).expect("es").expect("es"),
        config: enrich,
    }
}

async fn sequential_round(data: &Data) -> (f64, usize) {
    let (stack, config) = prepared(data).await;
    let c = clients(&config);
    let started = Instant::now();
    let cases = sequential(&c).await;
    let seconds = started.elapsed().as_secs_f64();
    stack.stop().await;
    (seconds, cases)
}

/// The Shuffle workflow's order: one alert after the other, one indicator after the other,
/// every lookup asked (no cache); returns the cases made.
async fn sequential(c: &Clients) -> usize {
    use cortex_client::model::{JobInput, TaxonomyLevel};
    use misp_client::search::{SearchFilter, Terms};
    use thehive_client::model::{AlertUpdate, InputLog, InputTask, PromoteAlert};
    use thehive_client::query::{Filter, Search};

    let filter = Filter::gte("severity", c.config.min_severity) & !Filter::eq("tags", "enriched");
    let alerts: Vec<thehive_client::model::Alert> = c
        .hive
        .alerts()
        .stream(&Search::new().filter(filter), 100)
        .try_collect()
        .await
        .expect("alerts");
    let w = &c.config.score;
    let rel = c
        .config
        .elasticsearch
        .as_ref()
        .expect("[enrich.elasticsearch]");
    let mut cases = 0;
    for alert in alerts {
        let observables = c
            .hive
            .alerts()
            .find_observables(&alert.meta.id, &Search::new())
            .await
            .expect("observables");
        let mut total = 0u32;
        let mut report = format!("### Enrichment: {}\n\n", alert.title);
        for o in observables {
            let Some(value) = o.data else { continue };
            let mut score = 0;
            // MISP.
            let hits: Vec<misp_client::model::Attribute> = c
                .misp
                .search()
                .attributes(&SearchFilter::new().values(Terms::any(vec![value.clone()])))
                .await
                .expect("misp")
                .try_collect()
                .await
                .expect("misp");
            let hits: Vec<_> = hits
                .into_iter()
                .filter(|a| a.value.eq_ignore_ascii_case(&value))
                .collect();
            if !hits.is_empty() {
                score += w.misp_hit;
                if hits.iter().any(|a| a.to_ids) {
                    score += w.misp_to_ids;
                }
            }
            // Cortex.
            let mut verdict = "-";
            if let Some(analyzers) = c.config.analyzers.get(&o.data_type) {
                for a in analyzers {
                    let job = c
                        .cortex
                        .analyzers()
                        .run_by_name(a, &JobInput::new(&o.data_type, &value), false)
                        .await
                        .expect("cortex run");
                    let job = c
                        .cortex
                        .jobs()
                        .wait(job.id(), Duration::from_secs(60))
                        .await
                        .expect("cortex wait");
                    let levels: Vec<_> = job.taxonomies().iter().map(|t| &t.level).collect();
                    if levels.iter().any(|l| matches!(l, TaxonomyLevel::Malicious)) {
                        score += w.cortex_malicious;
                        verdict = "malicious";
                    } else if levels
                        .iter()
                        .any(|l| matches!(l, TaxonomyLevel::Suspicious))
                    {
                        score += w.cortex_suspicious;
                        verdict = "suspicious";
                    }
                }
            }
            // Elasticsearch.
            let related = related_events(&c.es, &rel.index, &rel.time_field, &value).await;
            score += u32::try_from(related)
                .unwrap_or(u32::MAX)
                .saturating_mul(w.related_event)
                .min(w.related_events_max);
            let _ = writeln!(
                report,
                "- {value}: MISP {} hits, Cortex {verdict}, {related} related events, score {score}",
                hits.len()
            );
            total = total.saturating_add(score);
        }
        let total = total.min(100);
        // TheHive.
        let id = &alert.meta.id;
        if total >= c.config.case_threshold {
            let case = c
                .hive
                .alerts()
                .promote_to_case(id, &PromoteAlert::default())
                .await
                .expect("promote");
            let task = c
                .hive
                .cases()
                .create_task(
                    &case.meta.id,
                    &InputTask::new("enrichment report").group("enrichment"),
                )
                .await
                .expect("task");
            c.hive
                .tasks()
                .create_log(&task.meta.id, &InputLog::new(&report))
                .await
                .expect("log");
            cases += 1;
        } else {
            c.hive
                .alerts()
                .add_comment(id, &report)
                .await
                .expect("comment");
        }
        let mut tags = alert.tags.clone().unwrap_or_default();
        tags.push("enriched".into());
        tags.push(format!("score:{total}"));
        let update = AlertUpdate {
            tags: Some(tags),
            ..Default::default()
        };
        c.hive.alerts().update(id, &update).await.expect("tag");
    }
    cases
}

async fn related_events(es: &es_ops::Es, index: &str, time_field: &str, value: &str) -> u64 {
    use es_ops::search::Query;
    let phrase = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let query = Query::bool(
        vec![Query::query_string(&phrase)],
        vec![Query::range(time_field, Some("now-7d".into()), None)],
        Vec::new(),
        Vec::new(),
    );
    match es.search().count(index, &query).await {
        Ok(n) => n,
        Err(e) if e.is_not_found() => 0,
        Err(e) => panic!("Elasticsearch: {e}"),
    }
}
