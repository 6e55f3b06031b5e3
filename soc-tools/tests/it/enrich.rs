//! `soc enrich` against the lab: indicators from observables and text, looked up once each in
//! MISP, Cortex and Elasticsearch; cases above the threshold with a report task, comments below;
//! the marker last, so interrupted runs finish every alert exactly once; faults end each alert
//! enriched or failed.

use std::io::Write as _;

use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::enrich::{Enricher, Summary};
use soc_tools::report::Outcome;
use soc_tools::setup::{self, SetupOptions};
use thehive_client::query::{Filter, Search};

use crate::support;

const ALERTS: &str = r#"{"title": "Outbound beacon to 185.220.101.45", "source": "wazuh", "sourceRef": "w-1", "severity": 3, "description": "Host FIN-WS-0231 contacted 185.220.101.45 every 60 s.", "observables": [{"dataType": "ip", "data": "185.220.101.45"}]}
{"title": "User clicked a phishing link", "source": "proofpoint", "sourceRef": "p-1", "severity": "high", "description": "Click on hxxp://login-micros0ft[.]com/owa/auth.php, then a login from 185.220.101.45."}
{"title": "Failed logins from a scanner", "source": "wazuh", "sourceRef": "w-2", "severity": 2, "description": "30 failed SSH logins from 10.0.0.9 and 198.51.100.7.", "observables": [{"dataType": "ip", "data": "91.198.174.192"}]}
{"title": "Low severity noise", "source": "wazuh", "sourceRef": "w-3", "severity": 1, "description": "from 185.220.101.45"}
"#;

/// A webhook receiver on loopback: the JSON bodies posted to it.
async fn receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<serde_json::Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push(body.0);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), got)
}

async fn enriched_stack(name: &str) -> (support::Stack, SocConfig) {
    enriched_stack_notifying(name, None).await
}

async fn enriched_stack_notifying(name: &str, notify: Option<&str>) -> (support::Stack, SocConfig) {
    let stack = support::stack(name).await;
    let feed = stack.dir.join("feed");
    crate::feed_sync::write_feed(&feed);
    let mut toml = std::fs::OpenOptions::new()
        .append(true)
        .open(stack.config_path())
        .expect("soc.toml");
    write!(
        toml,
        r#"
[[misp.feeds]]
name = "Lab feed"
url = "{feed}"
provider = "lab"
input_source = "local"

[enrich]
thehive_user = "svc-soc@soc.local"
window = "1d"
case_threshold = 70
[enrich.analyzers]
ip = ["AbuseIPDB_1_0"]
url = ["Lab_Reputation_1_0"]
domain = ["Lab_Reputation_1_0"]
[enrich.elasticsearch]
index = "soc-events-*"
window = "7d"
"#,
        feed = feed.display()
    )
    .expect("append");
    if let Some(url) = notify {
        write!(toml, "[enrich.notify]\nurl = \"{url}\"\nmin_score = 50\n").expect("append");
    }
    drop(toml);
    let mut config = SocConfig::load(stack.config_path()).expect("config");
    if let Some(m) = config.misp.as_mut() {
        m.feeds.retain(|f| f.input_source == "local");
    }
    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert!(!report.failed(), "{:#?}", report.items);
    let feeds = soc_tools::feed_sync::run_once(&config)
        .await
        .expect("feeds");
    assert!(!feeds.failed(), "{:#?}", feeds.items);
    // Two firewall events mention the C2 address.
    let es = soc_tools::clients::elasticsearch(&config)
        .expect("client")
        .expect("es");
    let now = chrono::Utc::now().to_rfc3339();
    let docs = [
        serde_json::json!({"@timestamp": now, "source": {"ip": "10.0.0.12"}, "destination": {"ip": "185.220.101.45"}, "event": {"action": "allowed"}}),
        serde_json::json!({"@timestamp": now, "source": {"ip": "10.0.0.31"}, "destination": {"ip": "185.220.101.45"}, "event": {"action": "blocked"}}),
    ];
    let actions: Vec<_> = docs
        .iter()
        .map(|d| es_ops::bulk::BulkAction::index("soc-events-2026.11", d).expect("action"))
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
    std::fs::write(&file, ALERTS).expect("alerts");
    let imported = soc_tools::alert_import::import(&config, &file, None, "edr")
        .await
        .expect("import");
    assert_eq!(imported.count(Outcome::Created), 4, "{:#?}", imported.items);
    (stack, config)
}

fn by_title<'a>(s: &'a Summary, title: &str) -> &'a soc_tools::enrich::AlertResult {
    s.results
        .iter()
        .find(|r| r.title.starts_with(title))
        .unwrap_or_else(|| panic!("{title} in {s:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrich_scores_reports_and_marks_once() {
    let (hook, notified) = receiver().await;
    let (stack, config) = enriched_stack_notifying("enrich", Some(&hook)).await;
    let enricher = Enricher::new(&config).expect("enricher");
    let mut seen = 0;
    let summary = enricher.run_once(|_| seen += 1).await.expect("run");
    assert_eq!(
        summary.alerts, 3,
        "severity 1 is not selected: {summary:#?}"
    );
    assert_eq!(seen, 3);
    assert_eq!(summary.failed, 0, "{summary:#?}");
    assert!(
        summary.lookups_saved >= 1,
        "185.220.101.45 is in two alerts: {summary:#?}"
    );

    let beacon = by_title(&summary, "Outbound beacon");
    assert_eq!(beacon.score, 100, "{}", beacon.report);
    assert!(beacon.case.is_some());
    assert!(
        beacon.report.contains("AbuseIPDB_1_0: malicious") && beacon.report.contains("| 2 |"),
        "{}",
        beacon.report
    );
    let phish = by_title(&summary, "User clicked");
    assert!(phish.case.is_some() && phish.indicators >= 3, "{phish:#?}");
    let scan = by_title(&summary, "Failed logins");
    assert!(scan.case.is_none() && scan.score < 70, "{scan:#?}");
    assert_eq!(
        scan.indicators, 1,
        "private and documentation addresses are not looked up: {scan:#?}"
    );

    let key = soc_tools::secrets::Secrets::open(&config.secrets_file)
        .expect("s")
        .get("thehive", "svc-soc@soc.local")
        .expect("key");
    let hive = soc_tools::clients::thehive_with_key(&config, key, Some("soc")).expect("client");
    let marked = hive
        .alerts()
        .find(&Search::new().filter(Filter::eq("tags", "enriched")))
        .await
        .expect("find");
    assert_eq!(marked.len(), 3);
    assert!(marked
        .iter()
        .all(|a| a.tags.iter().flatten().any(|t| t.starts_with("score:"))));
    let case = beacon.case.clone().expect("case");
    let tasks = hive
        .cases()
        .find_tasks(&case.as_str().into(), &Search::new())
        .await
        .expect("tasks");
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.title == "soc enrich report")
            .count(),
        1
    );

    // The webhook heard of the two alerts above its minimum score, each with its case.
    let bodies = notified.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert!(
        bodies
            .iter()
            .all(|b| b["score"] == 100 && b["case"].is_string()),
        "{bodies:#?}"
    );

    let again = enricher.run_once(|_| {}).await.expect("second run");
    assert_eq!(again.alerts, 0, "enriched alerts are not taken again");
    drop(stack);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_and_faulty_runs_finish_every_alert_exactly_once() {
    let (stack, config) = enriched_stack("enrich-faults").await;
    let enricher = Enricher::new(&config).expect("enricher");
    // Writes and lookups fail now and then, connections drop: each pass leaves every alert
    // enriched or failed, and failed ones are taken again.
    let flaky = Faults {
        error_rate: 0.2,
        drop_rate: 0.05,
        latency_ms: 5,
        ..Default::default()
    };
    for s in [
        Service::TheHive,
        Service::Misp,
        Service::Cortex,
        Service::Elasticsearch,
    ] {
        stack.lab.set_faults(s, flaky.clone());
    }
    let mut passes = 0;
    loop {
        passes += 1;
        match enricher.run_once(|_| {}).await {
            Ok(s) => {
                assert_eq!(
                    s.enriched + s.failed,
                    s.alerts,
                    "every alert ends one way or the other: {s:#?}"
                );
                for r in s.results.iter().filter(|r| r.error.is_some()) {
                    eprintln!("pass {passes}: {} failed: {:?}", r.title, r.error);
                }
                if s.alerts == 0 {
                    break;
                }
            }
            Err(e) => eprintln!("pass {passes} could not select: {e}"),
        }
        assert!(passes < 30, "the faults never let the run finish");
    }
    for s in [
        Service::TheHive,
        Service::Misp,
        Service::Cortex,
        Service::Elasticsearch,
    ] {
        stack.lab.set_faults(s, Faults::default());
    }
    assert!(passes > 1, "the faults made some pass fail");
    let key = soc_tools::secrets::Secrets::open(&config.secrets_file)
        .expect("s")
        .get("thehive", "svc-soc@soc.local")
        .expect("key");
    let hive = soc_tools::clients::thehive_with_key(&config, key, Some("soc")).expect("client");
    let cases = hive.cases().find(&Search::new()).await.expect("cases");
    assert_eq!(
        cases.len(),
        2,
        "one case per alert above the threshold: {cases:#?}"
    );
    for c in &cases {
        let tasks = hive
            .cases()
            .find_tasks(&c.meta.id, &Search::new())
            .await
            .expect("tasks");
        let reports: Vec<_> = tasks
            .iter()
            .filter(|t| t.title == "soc enrich report")
            .collect();
        assert_eq!(reports.len(), 1, "one report task per case");
        let logs = hive
            .tasks()
            .find_logs(&reports[0].meta.id, &Search::new())
            .await
            .expect("logs");
        assert_eq!(logs.len(), 1, "one report log");
    }
    let scan = hive
        .alerts()
        .find(&Search::new().filter(Filter::eq("sourceRef", "w-2")))
        .await
        .expect("alert");
    let comments = hive
        .alerts()
        .find_comments(&scan[0].meta.id, &Search::new())
        .await
        .expect("comments");
    assert_eq!(comments.len(), 1, "one report comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thehive_notification_triggers_a_pass() {
    let (stack, config) = enriched_stack("enrich-hook").await;
    let server = soc_tools::serve::Server::from_config(&config).expect("server");
    let enricher = Enricher::new(&config).expect("enricher");
    let (passes_tx, mut passes) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::oneshot::channel::<()>();
    let hook = server.clone();
    let task = tokio::spawn(async move {
        enricher
            .follow_hook(
                &hook,
                async {
                    let _ = stop.await;
                },
                move |pass| {
                    let _ = passes_tx.send(
                        pass.map(|s| (s.alerts, s.enriched))
                            .map_err(|e| e.to_string()),
                    );
                },
            )
            .await;
    });
    // Nothing happens until TheHive says something.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(passes.try_recv().is_err(), "no pass without a notification");
    let key = soc_tools::secrets::Secrets::open(&config.secrets_file)
        .expect("s")
        .get("thehive", "svc-soc@soc.local")
        .expect("key");
    let hive = soc_tools::clients::thehive_with_key(&config, key, Some("soc")).expect("client");
    let alert = hive
        .alerts()
        .find(&Search::new().filter(Filter::eq("sourceRef", "w-1")))
        .await
        .expect("alert");
    server.queue().push(alert[0].meta.id.clone());
    let pass = tokio::time::timeout(std::time::Duration::from_secs(30), passes.recv())
        .await
        .expect("a pass within 30 s")
        .expect("a result");
    assert_eq!(
        pass,
        Ok((3, 3)),
        "the pass takes every alert not yet enriched"
    );
    let _ = stop_tx.send(());
    task.await.expect("stops");
    drop(stack);
}
