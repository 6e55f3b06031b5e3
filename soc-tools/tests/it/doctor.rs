//! `soc doctor` against the lab: a fresh stack shows the seed's failures with their fixes,
//! `--fix` repairs what an API can repair (MISP's Redis and background-job settings, Cortex's
//! migration, a missing bucket), and after `setup` every check passes.

use soc_tools::config::SocConfig;
use soc_tools::doctor::{self, DoctorOptions, Status};
use soc_tools::setup::{self, SetupOptions};

use crate::support;

fn status(d: &doctor::Diagnosis, id: &str) -> Status {
    d.get(id)
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", d.checks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_diagnoses_fixes_and_then_passes() {
    let stack = support::stack("doctor").await;
    let config = SocConfig::load(stack.config_path()).expect("config");

    let fresh = doctor::run(&config, &DoctorOptions::default()).await;
    assert!(!fresh.healthy());
    for id in [
        "misp.background-jobs",
        "misp.misp-redis-host",
        "misp.simplebackgroundjobs-redis-host",
        "misp.workers",
        "cortex.migration",
        "thehive.cortex-connector",
        "thehive.misp-connector",
        "s3.bucket.thehive",
    ] {
        assert_eq!(
            status(&fresh, id),
            Status::Fail,
            "{id}: {:#?}",
            fresh.get(id)
        );
        assert!(
            !fresh
                .get(id)
                .map(|c| c.fix.as_str())
                .unwrap_or_default()
                .is_empty(),
            "{id} says how to fix it"
        );
    }
    let redis = fresh
        .get("misp.misp-redis-host")
        .map(|c| c.evidence.clone())
        .unwrap_or_default();
    assert!(
        redis.contains("127.0.0.1"),
        "evidence shows the wrong host: {redis}"
    );
    let lasting = fresh
        .get("misp.background-jobs")
        .map(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(
        lasting.contains("environment"),
        "the lasting fix is the container env: {lasting}"
    );
    assert_eq!(status(&fresh, "thehive.auth"), Status::Pass);
    assert_eq!(status(&fresh, "elasticsearch.cluster-health"), Status::Pass);

    let fixed = doctor::run(
        &config,
        &DoctorOptions {
            fix: true,
            ..Default::default()
        },
    )
    .await;
    for id in [
        "misp.background-jobs",
        "misp.misp-redis-host",
        "misp.simplebackgroundjobs-redis-host",
        "cortex.migration",
        "s3.bucket.thehive",
    ] {
        assert_eq!(
            status(&fixed, id),
            Status::Fixed,
            "{id}: {:#?}",
            fixed.get(id)
        );
    }
    assert_eq!(
        status(&fixed, "misp.workers"),
        Status::Pass,
        "workers up after the fix"
    );

    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert!(!report.failed(), "{:#?}", report.items);
    let after = doctor::run(&config, &DoctorOptions::default()).await;
    let bad: Vec<_> = after
        .checks
        .iter()
        .filter(|c| !matches!(c.status, Status::Pass))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(after.healthy());

    // A revoked key shows as that key's failure.
    let misp = soc_tools::clients::misp_admin(&config)
        .expect("client")
        .expect("misp");
    let keys = misp.users().auth_keys().await.expect("keys");
    for k in keys.iter().filter(|k| {
        k.get("AuthKey")
            .and_then(|a| a.get("comment"))
            .and_then(|c| c.as_str())
            == Some("soc setup")
    }) {
        if let Some(id) = k
            .get("AuthKey")
            .and_then(|a| a.get("id"))
            .and_then(|i| i.as_str())
        {
            misp.users().delete_auth_key(id).await.expect("revoke");
        }
    }
    let revoked = doctor::run(&config, &DoctorOptions::default()).await;
    assert_eq!(
        status(&revoked, "misp.key.analyst@soc.local"),
        Status::Fail,
        "{:#?}",
        revoked.checks
    );
    assert!(!revoked.healthy());
}
