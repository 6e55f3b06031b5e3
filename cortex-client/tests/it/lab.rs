//! The crate tour against the embedded lab (`soc-lab`), from a fresh Cortex: bootstrap (twice,
//! the second changing nothing), enable an analyzer, run it on a listed and an unlisted IP and
//! wait for the verdicts.

use std::time::Duration;

use cortex_client::bootstrap::{bootstrap, BootstrapPlan};
use cortex_client::model::{EnableWorker, JobInput, TaxonomyLevel};
use cortex_client::{Cortex, SecretString};
use soc_lab::{Lab, LabConfig, Service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tour_against_a_fresh_lab() {
    let lab = Lab::start(LabConfig {
        cortex_fresh: true,
        malicious: vec!["198.51.100.23".into()],
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let endpoint = lab.endpoint(Service::Cortex);
    assert!(endpoint.api_key.is_none(), "a fresh Cortex has no key yet");
    let anonymous = Cortex::builder(endpoint.url.as_str())
        .expect("url")
        .build()
        .expect("client");
    let plan = BootstrapPlan::new(
        "admin@soc.local",
        SecretString::from("a-long-admin-password"),
        "soc",
        "soc-admin@soc.local",
    );
    let done = bootstrap(&anonymous, &plan).await.expect("bootstrap");
    assert!(done.changed_anything());
    let superadmin_key = done
        .new_superadmin_key
        .clone()
        .expect("a new superadmin key");
    let again = bootstrap(&anonymous, &plan.clone().superadmin_key(superadmin_key))
        .await
        .expect("second bootstrap");
    assert!(!again.changed_anything(), "idempotent: {:?}", again.steps);

    let cortex = anonymous
        .with_api_key(done.org_admin_key.clone())
        .expect("client with key");
    let mut config = serde_json::Map::new();
    config.insert("key".into(), "lab-virustotal-key".into());
    let vt = cortex
        .analyzers()
        .enable(
            "VirusTotal_GetReport_3_1",
            &EnableWorker::new("VirusTotal_GetReport_3_1", config),
        )
        .await
        .expect("enable");
    for (ip, expected) in [
        ("198.51.100.23", TaxonomyLevel::Malicious),
        ("192.0.2.80", TaxonomyLevel::Safe),
    ] {
        let job = cortex
            .analyzers()
            .run(vt.id(), &JobInput::new("ip", ip).tlp(2), false)
            .await
            .expect("run");
        let job = cortex
            .jobs()
            .wait(job.id(), Duration::from_secs(30))
            .await
            .expect("report");
        let levels: Vec<_> = job.taxonomies().iter().map(|t| t.level.clone()).collect();
        assert!(levels.contains(&expected), "{ip}: {levels:?}");
    }
    lab.stop().await.expect("lab stops");
}
