//! Every model decodes its fixture (bodies in the shape Cortex 4.1.0 renders) and encodes back
//! to the same JSON, `_id`, `_type`, `_routing`, `_parent` and the rest included.

use cortex_client::model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::support::fixture;

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let raw = fixture(name);
    let original: Value = serde_json::from_str(&raw).unwrap();
    let de = &mut serde_json::Deserializer::from_str(&raw);
    let typed: T = serde_path_to_error::deserialize(de)
        .unwrap_or_else(|e| panic!("{name}: cannot decode at {}: {}", e.path(), e.inner()));
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        original,
        "{name} does not round-trip"
    );
    typed
}

#[test]
fn jobs_and_reports() {
    let w: Job = round_trip("job_waiting.json");
    assert_eq!(w.status, JobStatus::Waiting);
    assert!(
        w.extra.contains_key("_routing") && w.extra.contains_key("_parent"),
        "store fields kept"
    );
    let ok: Job = round_trip("job_success_with_report.json");
    let Some(Report::Finished(r)) = &ok.report else {
        panic!("finished report expected")
    };
    assert!(r.full.is_some() && r.artifacts.as_ref().is_some_and(|a| !a.is_empty()));
    assert!(
        !ok.taxonomies().is_empty()
            && ok
                .taxonomies()
                .iter()
                .all(|t| !matches!(t.level, TaxonomyLevel::Other(_)))
    );
    let failed: Job = round_trip("job_failure_with_report.json");
    let Some(Report::Failed(f)) = &failed.report else {
        panic!("failed report expected")
    };
    assert!(!f.success && f.error_message.as_deref().is_some_and(|m| !m.is_empty()));
    let running: Job = round_trip("job_inprogress_with_report.json");
    assert_eq!(running.report, Some(Report::Pending("Running".into())));
    let list: Vec<Job> = round_trip("job_list.json");
    assert!(!list.is_empty());
    let arts: Vec<Artifact> = round_trip("artifacts.json");
    assert!(!arts.is_empty());
}

#[test]
fn workers() {
    let a: Worker = round_trip("analyzer.json");
    assert!(a.configuration.is_some());
    let _: Vec<Worker> = round_trip("analyzer_list.json");
    let _: Worker = round_trip("responder.json");
    let d: Vec<WorkerDefinition> = round_trip("analyzer_definitions.json");
    assert!(!d.is_empty());
    let _: Vec<WorkerDefinition> = round_trip("responder_definitions.json");
    let _: WorkerConfig = round_trip("analyzer_config.json");
    let _: Vec<WorkerConfig> = round_trip("analyzer_config_list.json");
}

#[test]
fn users_organizations_status() {
    let u: User = round_trip("user.json");
    assert_eq!(u.login(), "thehive@soc.example");
    let _: Vec<User> = round_trip("user_list.json");
    let o: Organization = round_trip("organization.json");
    assert_eq!(o.status, "Active");
    let _: Vec<Organization> = round_trip("organization_list.json");
    let s: Status = round_trip("status.json");
    assert_eq!(s.cortex_version(), Some("4.1.0-1"));
    let l: LoggedIn = round_trip("login_user.json");
    assert!(l.roles.contains(&"orgadmin".to_owned()));
}

#[test]
fn report_level_decodes_unknown_values_losslessly() {
    let t: Taxonomy = serde_json::from_value(
        serde_json::json!({"level": "critical", "namespace": "X", "predicate": "Y", "value": 3}),
    )
    .unwrap();
    assert_eq!(t.level, TaxonomyLevel::Other("critical".into()));
    assert_eq!(serde_json::to_value(&t).unwrap()["level"], "critical");
}

#[test]
fn decode_failures_name_the_field() {
    let mut v: Value = serde_json::from_str(&fixture("job_waiting.json")).unwrap();
    v["workerName"] = Value::from(42);
    let e = soc_http::decode_json::<Job>(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.decode_path(), Some("workerName"));
}

/// Fixtures with one value of the wrong type anywhere: the decoders answer an error or a
/// value, never a panic.
#[test]
fn decoders_survive_values_of_the_wrong_type() {
    let mut rejected = 0;
    use cortex_client::model::{Job, User, Worker};
    for name in [
        "job_success_with_report.json",
        "job_failure_with_report.json",
        "analyzer.json",
        "user.json",
    ] {
        let doc = crate::support::fixture_json(name);
        for v in soc_testkit::mutations(&doc, 13, 400) {
            rejected += usize::from(serde_json::from_value::<Job>(v.clone()).is_err());
            let _ = serde_json::from_value::<Worker>(v.clone());
            let _ = serde_json::from_value::<User>(v);
        }
    }
    assert!(rejected > 0, "the mutations reach typed fields");
}
