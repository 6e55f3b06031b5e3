//! Housekeeping against the lab: `soc doctor` sees an index outside its retention policy and
//! Cortex jobs past `[cortex] job_retention`; `soc prune` shows the plan, and `--apply` puts the
//! index under its policy and deletes the jobs, after which doctor passes.

use std::time::Duration;

use soc_tools::config::SocConfig;
use soc_tools::doctor::{self, DoctorOptions, Status};
use soc_tools::housekeeping;
use soc_tools::report::Outcome;
use soc_tools::setup::{self, SetupOptions};

use crate::support;

fn check(d: &doctor::Diagnosis, id: &str) -> doctor::Check {
    d.get(id)
        .cloned()
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", d.checks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_applies_retention_after_a_plan() {
    let stack = support::stack("housekeeping").await;
    let path = stack.config_path();
    // An index made before its template (so not under the template's policy), and a one-second
    // job retention so the lab's fresh jobs count as old.
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "org_admin = \"soc-admin@soc.local\"",
        "org_admin = \"soc-admin@soc.local\"\njob_retention = \"1s\"",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let config = SocConfig::load(&path).expect("config");
    let es = soc_tools::clients::elasticsearch(&config).unwrap().unwrap();
    es.indices()
        .create("soc-events-2026.10.01", &serde_json::json!({}))
        .await
        .unwrap();
    let report = setup::run(&config, SetupOptions::default()).await.unwrap();
    assert!(!report.failed(), "{report:#?}");
    // A job, then old enough for the retention.
    let smoke = soc_tools::smoke::run(&config, Duration::from_secs(30)).await;
    assert!(!smoke.failed(), "{smoke:#?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let d = doctor::run(&config, &DoctorOptions::default()).await;
    let ilm = check(&d, "elasticsearch.ilm-coverage");
    assert_eq!(ilm.status, Status::Warn, "{ilm:?}");
    assert!(
        ilm.evidence.contains("soc-events-2026.10.01 (soc-30d)"),
        "{ilm:?}"
    );
    assert!(ilm.fix.contains("soc prune --apply"), "{ilm:?}");
    let jobs = check(&d, "cortex.old-jobs");
    assert_eq!(jobs.status, Status::Warn, "{jobs:?}");
    let growth = check(&d, "elasticsearch.index-growth");
    assert_eq!(growth.status, Status::Pass, "{growth:?}");
    assert!(growth.evidence.contains("indices"), "{growth:?}");

    // The plan changes nothing.
    let plan = housekeeping::plan(&config).await;
    assert!(plan.unreadable.is_empty(), "{plan:?}");
    assert_eq!(plan.unmanaged.len(), 1);
    assert!(!plan.old_jobs.is_empty());
    let dry = housekeeping::prune(&config, &plan, true).await;
    assert!(
        dry.items.iter().all(|i| i.outcome == Outcome::WouldChange),
        "{dry:#?}"
    );
    assert_eq!(housekeeping::plan(&config).await.unmanaged.len(), 1);

    // Applied: the index follows its policy, the jobs are gone.
    let done = housekeeping::prune(&config, &plan, false).await;
    assert!(!done.failed(), "{done:#?}");
    let after = housekeeping::plan(&config).await;
    assert!(after.unmanaged.is_empty(), "{after:?}");
    assert!(after.old_jobs.is_empty(), "{after:?}");
    let d = doctor::run(&config, &DoctorOptions::default()).await;
    assert_eq!(check(&d, "elasticsearch.ilm-coverage").status, Status::Pass);
    assert_eq!(check(&d, "cortex.old-jobs").status, Status::Pass);

    // Feeds: none fetched by feed-sync yet, then fetched, then stale.
    let feeds = check(&d, "misp.feed-freshness");
    assert_eq!(feeds.status, Status::Warn, "{feeds:?}");
    assert!(
        feeds.evidence.contains("CIRCL OSINT Feed (never)"),
        "{feeds:?}"
    );
    // (The lab fetches local feeds only: the state feed-sync writes is written here; the feed-sync
    // test checks that a real pass writes it.)
    let state = soc_tools::feed_sync::state_path(&config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    std::fs::write(&state, format!("{{\"CIRCL OSINT Feed\": {now}}}")).unwrap();
    let d = doctor::run(&config, &DoctorOptions::default()).await;
    assert_eq!(check(&d, "misp.feed-freshness").status, Status::Pass);
    std::fs::write(&state, "{\"CIRCL OSINT Feed\": 1700000000}").unwrap();
    let d = doctor::run(&config, &DoctorOptions::default()).await;
    let feeds = check(&d, "misp.feed-freshness");
    assert_eq!(feeds.status, Status::Warn, "{feeds:?}");
    assert!(feeds.evidence.contains("h ago"), "{feeds:?}");

    // A retention that is not a duration is named.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("job_retention = \"1s\"", "job_retention = \"soon\"");
    std::fs::write(&path, text).unwrap();
    let config = SocConfig::load(&path).expect("config");
    let d = doctor::run(&config, &DoctorOptions::default()).await;
    let jobs = check(&d, "cortex.old-jobs");
    assert_eq!(jobs.status, Status::Fail);
    assert!(jobs.evidence.contains("cortex.job_retention"), "{jobs:?}");
}
