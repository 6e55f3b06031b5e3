//! `soc setup` against a fresh lab: everything created once, then a second run that changes
//! nothing (the lab's whole state is identical before and after it).

use secrecy::ExposeSecret as _;
use soc_lab::Service;
use soc_tools::config::SocConfig;
use soc_tools::report::Outcome;
use soc_tools::secrets::Secrets;
use soc_tools::setup::{self, SetupOptions};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_reconciles_a_fresh_stack_then_changes_nothing() {
    let stack = support::stack("setup").await;
    let config = SocConfig::load(stack.config_path()).expect("config");

    let dry = setup::run(&config, SetupOptions { dry_run: true })
        .await
        .expect("dry run");
    assert!(dry.wrote(), "a fresh stack has work to do");
    assert!(!dry.failed(), "{dry:#?}");
    assert!(!config.secrets_file.exists(), "a dry run writes no secrets");

    let first = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    let failures: Vec<_> = first
        .items
        .iter()
        .filter(|i| i.outcome == Outcome::Failed || i.outcome == Outcome::Skipped)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(first.count(Outcome::Created) >= 15, "{:#?}", first.items);

    // The credentials it made are in the private secrets file and work.
    let secrets = Secrets::open(&config.secrets_file).expect("secrets");
    for (section, name) in [
        ("s3", "thehive"),
        ("cortex", "admin@soc.local"),
        ("cortex", "thehive"),
        ("misp", "analyst@soc.local"),
        ("misp", "thehive@soc.local"),
        ("thehive", "svc-soc@soc.local"),
    ] {
        assert!(
            secrets.get(section, name).is_some(),
            "{section}.{name} stored"
        );
    }
    let svc = secrets.get("thehive", "svc-soc@soc.local").expect("key");
    let hive = thehive_client::TheHive::builder(stack.lab.endpoint(Service::TheHive).url.as_str())
        .expect("url")
        .api_key(svc.expose_secret().to_owned())
        .organisation("soc")
        .build()
        .expect("client");
    assert_eq!(
        hive.users().current().await.expect("me").login,
        "svc-soc@soc.local"
    );
    // TheHive reaches Cortex's analyzers through the connector setup configured.
    let analyzers = hive.cortex().analyzers(None).await.expect("analyzers");
    assert!(
        analyzers.iter().any(|a| a.name == "AbuseIPDB_1_0"),
        "{analyzers:?}"
    );
    // MISP's background jobs work now.
    let misp = soc_tools::clients::misp_admin(&config)
        .expect("client")
        .expect("configured");
    let workers = misp.admin().workers().await.expect("workers");
    assert!(
        workers
            .as_object()
            .is_some_and(|m| m.values().filter_map(|q| q.get("ok")).all(|ok| ok == true)),
        "{workers}"
    );

    // Second run: every item unchanged, and the lab's state identical.
    let before = stack.lab.snapshot();
    let second = setup::run(&config, SetupOptions::default())
        .await
        .expect("second setup");
    let changed: Vec<_> = second
        .items
        .iter()
        .filter(|i| i.outcome != Outcome::Unchanged)
        .collect();
    assert!(changed.is_empty(), "second run: {changed:#?}");
    let after = stack.lab.snapshot();
    assert_eq!(
        first_difference(&before, &after, "$"),
        None,
        "the second run wrote nothing"
    );
    let dry_again = setup::run(&config, SetupOptions { dry_run: true })
        .await
        .expect("dry run");
    assert!(!dry_again.wrote(), "{:#?}", dry_again.items);
}

/// The first place two lab states differ, ignoring what reads alone update (a key's last use).
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    const READ_BOOKKEEPING: &[&str] = &[
        "last_used",
        "last_api_access",
        "last_login",
        "current_login",
    ];
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                if READ_BOOKKEEPING.contains(&k.as_str()) {
                    continue;
                }
                let path = format!("{at}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(xv), Some(yv)) => {
                        if let Some(d) = first_difference(xv, yv, &path) {
                            return Some(d);
                        }
                    }
                    _ => return Some(path),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (xv, yv))| first_difference(xv, yv, &format!("{at}[{i}]"))),
        (x, y) if x == y => None,
        _ => Some(at.to_owned()),
    }
}
