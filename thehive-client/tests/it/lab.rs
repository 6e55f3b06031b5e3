//! The crate tour against the embedded lab (`soc-lab`): an organisation, a user and its key, an
//! alert with observables and its duplicate, promotion with a task, and a paged stream of cases.

use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use soc_lab::{Lab, LabConfig, Service};
use thehive_client::model::{
    InputAlert, InputObservable, InputOrganisation, InputTask, InputUser, PromoteAlert, Severity,
    Tlp,
};
use thehive_client::query::{Filter, Search, Sort};
use thehive_client::{Error, TheHive};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tour_against_the_lab() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab starts");
    let endpoint = lab.endpoint(Service::TheHive);
    let url = endpoint.url.as_str();
    let admin_key = endpoint
        .api_key()
        .expect("the lab makes an admin key")
        .to_owned();
    let admin = TheHive::builder(url)
        .expect("url")
        .api_key(admin_key)
        .build()
        .expect("client");

    admin
        .organisations()
        .create(&InputOrganisation::new("soc", "Security operations"))
        .await
        .expect("organisation");
    let user = admin
        .users()
        .create(&InputUser::new("analyst@soc.local", "Analyst", "analyst").organisation("soc"))
        .await
        .expect("user");
    assert!(!user.has_key);
    let key: SecretString = admin
        .users()
        .renew_api_key(&user.meta.id)
        .await
        .expect("key");
    let hive = TheHive::builder(url)
        .expect("url")
        .api_key(key.expose_secret().to_owned())
        .organisation("soc")
        .build()
        .expect("client");
    assert_eq!(
        hive.users().current().await.expect("me").login,
        "analyst@soc.local"
    );

    let input = InputAlert::new(
        "edr",
        "crowdstrike",
        "det-4711",
        "Macro dropper",
        "Word spawned PowerShell",
    )
    .severity(Severity::High)
    .tlp(Tlp::Amber)
    .observable(InputObservable::new("ip", "203.0.113.7").ioc(true))
    .observable(InputObservable::new(
        "hash",
        "44d88612fea8a8f36de82e1278abb02f",
    ));
    let alert = hive.alerts().create(&input).await.expect("alert");
    assert_eq!(alert.observable_count, Some(2));
    match hive.alerts().create(&input).await {
        Err(Error::AlertAlreadyExists { .. }) => {}
        other => panic!("a duplicate is AlertAlreadyExists, got {other:?}"),
    }
    let again = hive
        .alerts()
        .get(&"edr;crowdstrike;det-4711".into())
        .await
        .expect("alert by type;source;sourceRef");
    assert_eq!(again.meta.id, alert.meta.id);

    let case = hive
        .alerts()
        .promote_to_case(&alert.meta.id, &PromoteAlert::default())
        .await
        .expect("promote");
    let task = hive
        .cases()
        .create_task(
            &case.meta.id,
            &InputTask::new("Isolate the host").group("containment"),
        )
        .await
        .expect("task");
    assert_eq!(task.title, "Isolate the host");
    let observables = hive
        .cases()
        .find_observables(&case.meta.id, &Search::new())
        .await
        .expect("observables");
    assert_eq!(observables.len(), 2);

    for i in 0..23 {
        let input = InputAlert::new(
            "ids",
            "suricata",
            format!("sid-{i}"),
            format!("Alert {i}"),
            "x",
        )
        .severity(if i % 2 == 0 {
            Severity::High
        } else {
            Severity::Low
        });
        let a = hive.alerts().create(&input).await.expect("alert");
        hive.alerts()
            .promote_to_case(&a.meta.id, &PromoteAlert::default())
            .await
            .expect("promote");
    }
    let search = Search::new()
        .filter(Filter::gte("severity", 3))
        .sort(Sort::desc("_createdAt"));
    let cases: Vec<_> = hive
        .cases()
        .stream(&search, 5)
        .try_collect()
        .await
        .expect("paged stream");
    assert_eq!(
        cases.len(),
        13,
        "12 high suricata cases and the macro dropper"
    );
    let mut numbers: Vec<_> = cases.iter().map(|c| c.number).collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 13, "no case twice across pages");
    lab.stop().await.expect("lab stops");
}
