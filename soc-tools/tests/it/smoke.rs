//! `soc smoke` against the lab after `soc setup`: every service's round trip works, leaves
//! nothing behind, and a failing service is named with its error.

use std::time::Duration;

use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::setup::{self, SetupOptions};
use soc_tools::smoke;

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_passes_after_setup_and_names_a_broken_service() {
    let stack = support::stack("smoke").await;
    let config = SocConfig::load(stack.config_path()).expect("config");

    // Before setup there are no service accounts: TheHive, Cortex and MISP fail, saying so.
    let before = smoke::run(&config, Duration::from_secs(30)).await;
    assert!(before.failed());
    let hive = before
        .steps
        .iter()
        .find(|s| s.service == "thehive")
        .unwrap();
    assert!(hive.detail.contains("soc setup"), "{hive:?}");

    let report = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!report.failed(), "{report:#?}");

    let after = smoke::run(&config, Duration::from_secs(30)).await;
    assert!(!after.failed(), "{after:#?}");
    let services: Vec<&str> = after.steps.iter().map(|s| s.service).collect();
    assert_eq!(
        services,
        ["thehive", "cortex", "misp", "s3", "elasticsearch"]
    );
    assert!(
        after.steps[0].detail.contains("attachment round-tripped"),
        "{:?}",
        after.steps[0]
    );
    let cortex = &after.steps[1];
    assert!(cortex.detail.contains("answered"), "{cortex:?}");

    // Nothing left behind: no alert with the smoke reference, no smoke object.
    let snapshot = stack.lab.snapshot();
    let text = snapshot.to_string();
    let hive = &after.steps[0];
    if hive.detail.contains("deleted") {
        assert!(
            !text.contains("soc-smoke-"),
            "a smoke alert is left in TheHive"
        );
    }
    assert!(!text.contains("soc-smoke/"), "a smoke object is left in S3");

    // The table and JSON Lines say the same.
    let mut table = Vec::new();
    after.write_table(&mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(table.ends_with("5 steps, 0 failed\n"), "{table}");
    let mut json = Vec::new();
    after.write_json(&mut json).unwrap();
    assert_eq!(String::from_utf8(json).unwrap().lines().count(), 5);

    // A store answering 503 to everything: the S3 step fails with the status, the rest pass.
    stack.lab.set_faults(
        Service::S3,
        Faults {
            error_rate: 1.0,
            error_status: Some(503),
            ..Default::default()
        },
    );
    let broken = smoke::run(&config, Duration::from_secs(30)).await;
    assert!(broken.failed());
    for s in &broken.steps {
        assert_eq!(s.ok, s.service != "s3", "{s:?}");
    }
    let s3 = broken.steps.iter().find(|s| s.service == "s3").unwrap();
    assert!(s3.detail.contains("503"), "{s3:?}");
}
