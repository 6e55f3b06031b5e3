//! `soc feed-sync` against the lab: a local MISP-format feed fetched through MISP's background
//! jobs, its events turned into TheHive alerts once, and faults on both sides losing nothing.

use std::io::Write as _;

use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::feed_sync;
use soc_tools::report::Outcome;
use soc_tools::setup::{self, SetupOptions};
use thehive_client::query::{Filter, Search};

use crate::support;

const EVENTS: [(&str, &str, &str); 3] = [
    (
        "5f0c8a4e-1111-4c3b-9b0a-2f7e1a000001",
        "Emotet C2 servers",
        "185.220.101.45",
    ),
    (
        "5f0c8a4e-2222-4c3b-9b0a-2f7e1a000002",
        "Phishing kit domains",
        "login-micros0ft.com",
    ),
    (
        "5f0c8a4e-3333-4c3b-9b0a-2f7e1a000003",
        "EICAR test sample",
        "44d88612fea8a8f36de82e1278abb02f",
    ),
];

/// A feed directory in MISP's format: `manifest.json` and one `<uuid>.json` per event.
pub(crate) fn write_feed(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("feed dir");
    let mut manifest = serde_json::Map::new();
    for (i, (uuid, info, value)) in EVENTS.iter().enumerate() {
        let (kind, category) = match i {
            0 => ("ip-dst", "Network activity"),
            1 => ("domain", "Network activity"),
            _ => ("md5", "Payload delivery"),
        };
        let orgc =
            serde_json::json!({"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"});
        manifest.insert(
            (*uuid).into(),
            serde_json::json!({"info": info, "Orgc": orgc, "Tag": [{"name": "tlp:white", "colour": "#ffffff"}],
                "date": "2026-11-20", "analysis": "2", "threat_level_id": "1", "timestamp": "1795400000"}),
        );
        let event = serde_json::json!({"Event": {
            "uuid": uuid, "info": info, "date": "2026-11-20", "analysis": "2", "threat_level_id": "1",
            "timestamp": "1795400000", "publish_timestamp": "1795400000", "published": true, "Orgc": orgc,
            "Tag": [{"name": "tlp:white", "colour": "#ffffff"}],
            "Attribute": [
                {"uuid": format!("{}-a", &uuid[..30]), "type": kind, "category": category, "value": value,
                 "to_ids": true, "timestamp": "1795400000", "comment": ""},
                {"uuid": format!("{}-b", &uuid[..30]), "type": "comment", "category": "Other",
                 "value": "from the lab feed", "to_ids": false, "timestamp": "1795400000", "comment": ""}
            ]
        }});
        std::fs::write(dir.join(format!("{uuid}.json")), event.to_string()).expect("event");
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::Value::Object(manifest).to_string(),
    )
    .expect("manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_fetch_and_events_become_alerts_once_even_under_faults() {
    let stack = support::stack("feeds").await;
    let feed_dir = stack.dir.join("lab-feed");
    write_feed(&feed_dir);
    let mut toml = std::fs::OpenOptions::new()
        .append(true)
        .open(stack.config_path())
        .expect("soc.toml");
    write!(
        toml,
        "\n[[misp.feeds]]\nname = \"Lab feed\"\nurl = \"{}\"\nprovider = \"lab\"\ninput_source = \"local\"\n\n[feed_sync]\njob_timeout = \"30s\"\n[feed_sync.to_thehive]\nthehive_user = \"svc-soc@soc.local\"\ntags = [\"tlp:white\"]\nwindow = \"3650d\"\n# Feed events arrive unpublished unless the feed auto-publishes.\npublished = false\n",
        feed_dir.display()
    )
    .expect("append");
    drop(toml);
    let mut config = SocConfig::load(stack.config_path()).expect("config");
    // The public feed from the example config cannot be reached from here: keep the local one.
    if let Some(m) = config.misp.as_mut() {
        m.feeds.retain(|f| f.input_source == "local");
    }
    let setup = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert!(!setup.failed(), "{:#?}", setup.items);

    // Faults on both sides: some passes fail items, none loses or duplicates anything.
    let flaky = Faults {
        error_rate: 0.25,
        rate_limit_rate: 0.1,
        retry_after_secs: 0,
        ..Default::default()
    };
    stack.lab.set_faults(Service::Misp, flaky.clone());
    stack.lab.set_faults(Service::TheHive, flaky);
    let mut passes = 0;
    loop {
        passes += 1;
        match feed_sync::run_once(&config).await {
            Ok(r)
                if !r.failed()
                    && r.items.iter().filter(|i| i.kind == "alert").count() == EVENTS.len() =>
            {
                break
            }
            Ok(_) | Err(_) if passes < 12 => continue,
            other => panic!("no clean pass in {passes}: {other:#?}"),
        }
    }
    stack.lab.set_faults(Service::Misp, Faults::default());
    stack.lab.set_faults(Service::TheHive, Faults::default());

    let clean = feed_sync::run_once(&config).await.expect("clean pass");
    assert!(!clean.failed(), "{:#?}", clean.items);
    let feed = clean
        .items
        .iter()
        .find(|i| i.kind == "feed")
        .expect("the feed");
    assert!(
        feed.detail.contains("fetch job") && feed.detail.contains("completed"),
        "{feed:?}"
    );
    // The pass is recorded for `soc doctor`'s feed freshness.
    let fetched = feed_sync::last_fetched(&config).unwrap();
    assert!(fetched.contains_key(&feed.name), "{fetched:?}");
    let alerts: Vec<_> = clean.items.iter().filter(|i| i.kind == "alert").collect();
    assert_eq!(alerts.len(), EVENTS.len());
    assert!(
        alerts.iter().all(|a| a.outcome == Outcome::Unchanged),
        "second pass creates nothing: {alerts:#?}"
    );

    let secrets = soc_tools::secrets::Secrets::open(&config.secrets_file).expect("secrets");
    let key = secrets.get("thehive", "svc-soc@soc.local").expect("key");
    let hive = soc_tools::clients::thehive_with_key(&config, key, Some("soc")).expect("client");
    let found = hive
        .alerts()
        .find(&Search::new().filter(Filter::eq("source", "misp")))
        .await
        .expect("alerts");
    assert_eq!(
        found.len(),
        EVENTS.len(),
        "exactly one alert per event: {found:#?}"
    );
    let emotet = found
        .iter()
        .find(|a| a.source_ref == EVENTS[0].0)
        .expect("the Emotet event");
    let observables = hive
        .alerts()
        .find_observables(&emotet.meta.id, &Search::new())
        .await
        .expect("observables");
    assert!(observables
        .iter()
        .any(|o| o.data_type == "ip" && o.data.as_deref() == Some("185.220.101.45") && o.ioc));
    assert!(
        observables.iter().any(|o| o.data_type == "other"),
        "the comment is kept as other"
    );
}
