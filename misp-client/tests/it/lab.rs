//! The crate tour against the embedded lab (`soc-lab`): an event with attributes and an object,
//! tagged and published, found again through streamed restSearch; the lab's MISP starts with the
//! broken background-job settings, which the tour's fix repairs.

use futures_util::TryStreamExt;
use misp_client::model::{Distribution, NewAttribute, NewEvent, NewObject, ThreatLevel};
use misp_client::search::{SearchFilter, Terms};
use misp_client::Misp;
use soc_lab::{Lab, LabConfig, Service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tour_against_the_lab() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab starts");
    let endpoint = lab.endpoint(Service::Misp);
    let misp = Misp::builder(endpoint.url.as_str())
        .expect("url")
        .api_key(endpoint.api_key().expect("the lab makes a key").to_owned())
        .build()
        .expect("client");

    let event = misp
        .events()
        .add(
            &NewEvent::new("Phishing wave against finance")
                .distribution(Distribution::ThisCommunityOnly)
                .threat_level(ThreatLevel::High)
                .attribute(NewAttribute::new("ip-dst", "203.0.113.7").to_ids(true))
                .attribute(NewAttribute::new("comment", "seen in three mailboxes"))
                .object(NewObject::new(
                    "domain-ip",
                    vec![NewAttribute::new("domain", "invoice-portal.example").relation("domain")],
                )),
        )
        .await
        .expect("event");
    misp.tags()
        .attach(&event.uuid, "tlp:amber", false)
        .await
        .expect("tag");
    misp.events()
        .publish(&event.id.to_string(), false)
        .await
        .expect("publish");
    let read = misp.events().get(&event.uuid).await.expect("read back");
    assert_eq!(read.info, "Phishing wave against finance");
    assert!(read.published);

    let filter = SearchFilter::new()
        .last("1d")
        .to_ids(true)
        .tags(Terms::any(["tlp:amber", "tlp:clear"]));
    let attributes: Vec<_> = misp
        .search()
        .attributes(&filter)
        .await
        .expect("search")
        .try_collect()
        .await
        .expect("stream");
    // The comment is not for IDS; the object's domain is, by MISP's default for its type.
    let mut values: Vec<_> = attributes.iter().map(|a| a.value.as_str()).collect();
    values.sort_unstable();
    assert_eq!(
        values,
        ["203.0.113.7", "invoice-portal.example"],
        "{attributes:?}"
    );
    assert!(attributes.iter().all(|a| a.event_id == event.id));
    let events: Vec<_> = misp
        .search()
        .events(&SearchFilter::new().values(Terms::any(["invoice-portal.example"])))
        .await
        .expect("search")
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].uuid, event.uuid);

    // The lab's MISP starts as the seed describes: background jobs off, Redis on 127.0.0.1.
    let before = misp.admin().workers().await.expect("workers");
    assert!(!workers_ok(&before), "workers start down: {before}");
    misp.admin()
        .set_setting("SimpleBackgroundJobs.redis_host", "redis", false)
        .await
        .expect("redis host");
    misp.admin()
        .set_setting("MISP.redis_host", "redis", false)
        .await
        .expect("redis host");
    misp.admin()
        .set_setting("SimpleBackgroundJobs.enabled", true, false)
        .await
        .expect("enable");
    let after = misp.admin().workers().await.expect("workers");
    assert!(workers_ok(&after), "workers come up once fixed: {after}");
    lab.stop().await.expect("lab stops");
}

/// Whether every queue of a `getWorkers` answer reports ok.
fn workers_ok(workers: &serde_json::Value) -> bool {
    let Some(map) = workers.as_object() else {
        return false;
    };
    let queues: Vec<_> = map.values().filter_map(|q| q.get("ok")).collect();
    !queues.is_empty() && queues.iter().all(|ok| ok.as_bool() == Some(true))
}
