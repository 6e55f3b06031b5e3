//! Every model decodes its fixture (raw bodies in the shape of TheHive's published spec) and
//! encodes back to the same JSON: unknown fields survive a read-modify-write.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use thehive_client::model::*;

use crate::support::fixture;

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let raw = fixture(name);
    let original: Value = serde_json::from_str(&raw).unwrap();
    let de = &mut serde_json::Deserializer::from_str(&raw);
    let typed: T = serde_path_to_error::deserialize(de)
        .unwrap_or_else(|e| panic!("{name}: cannot decode at {}: {}", e.path(), e.inner()));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, original, "{name} does not round-trip");
    typed
}

#[test]
fn alert() {
    let a: Alert = round_trip("alert.json");
    assert_eq!(a.tlp, Tlp::Amber);
    assert!(
        a.extra.contains_key("customFieldValues"),
        "unknown field kept"
    );
    assert_eq!(
        a.meta.created_at.unwrap().timestamp_millis(),
        1_764_000_012_480
    );
    let list: Vec<Alert> = round_trip("alert_list.json");
    assert_eq!(list.len(), 2);
}

#[test]
fn case() {
    let c: Case = round_trip("case.json");
    assert!(c.number > 0);
    assert!(c.extra.contains_key("customFieldValues"));
    let _: Vec<Case> = round_trip("case_list.json");
    let _: Vec<CaseLink> = round_trip("case_link.json");
}

#[test]
fn observables() {
    let o: Observable = round_trip("observable.json");
    let reports = o.reports.expect("reports");
    let (_, summary) = reports.iter().next().expect("one report");
    assert!(summary.taxonomies.as_ref().is_some_and(|t| !t.is_empty()));
    let f: Observable = round_trip("observable_file.json");
    assert!(f.data.is_none() && f.attachment.is_some());
    let created: Vec<Observable> = round_trip("observable_create.json");
    assert!(!created.is_empty());
    let _: Vec<Observable> = round_trip("similar_observables.json");
}

#[test]
fn tasks_logs_comments() {
    let t: Task = round_trip("task.json");
    assert!(!t.title.is_empty());
    let l: Log = round_trip("task_log.json");
    assert!(l.attachments.is_some());
    let c: Comment = round_trip("comment.json");
    assert_eq!(c.created_by, "lead@soc.example");
}

#[test]
fn directory() {
    let u: User = round_trip("user.json");
    assert!(u.organisations.is_some());
    let _: Organisation = round_trip("organisation.json");
    let p: Profile = round_trip("profile.json");
    assert!(!p.permissions.is_empty());
}

#[test]
fn configuration_entities() {
    let _: Procedure = round_trip("procedure.json");
    let _: CustomField = round_trip("custom_field.json");
    let _: Vec<CustomField> = round_trip("custom_field_list.json");
    let _: CaseTemplate = round_trip("case_template.json");
    let _: Page = round_trip("page.json");
    let _: Page = round_trip("page_template.json");
    let _: ObservableType = round_trip("observable_type.json");
    let s: StatusDefinition = round_trip("alert_status.json");
    assert_eq!(s.stage, "InProgress");
    let _: StatusDefinition = round_trip("case_status.json");
    let _: Share = round_trip("share.json");
    let _: Vec<Share> = round_trip("share_list.json");
    let t: Timeline = round_trip("timeline.json");
    assert!(!t.events.is_empty());
    let _: Entity = round_trip("custom_event.json");
    let _: Attachments = round_trip("attachments_upload.json");
}

#[test]
fn cortex() {
    let _: Worker = round_trip("analyzer.json");
    let _: Vec<Worker> = round_trip("analyzer_list.json");
    let _: Vec<Worker> = round_trip("responder_list.json");
    let j: Job = round_trip("analyzer_job.json");
    assert!(j.report.is_some());
    let _: Action = round_trip("responder_action.json");
}

#[test]
fn platform() {
    let s: Status = round_trip("status.json");
    assert!(s.thehive_version().is_some());
    let _: PublicStatus = round_trip("status_public.json");
    for name in [
        "dashboard.json",
        "function.json",
        "pattern.json",
        "tag.json",
        "taxonomy.json",
    ] {
        let _: Entity = round_trip(name);
    }
    let e: ApiError = round_trip("error_400_duplicate_alert.json");
    assert_eq!(e.kind, "CreateError");
}

#[test]
fn decode_failures_name_the_field() {
    let mut v: Value = serde_json::from_str(&fixture("alert.json")).unwrap();
    v["severity"] = Value::from("high");
    let e = soc_http::decode_json::<Alert>(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.decode_path(), Some("severity"));
}

/// Fixtures with one value of the wrong type anywhere: the decoders answer an error or a
/// value, never a panic.
#[test]
fn decoders_survive_values_of_the_wrong_type() {
    let mut rejected = 0;
    use thehive_client::model::{Alert, Case, Observable, Task};
    for name in ["alert.json", "case.json", "observable.json", "task.json"] {
        let doc = crate::support::fixture_json(name);
        for v in soc_testkit::mutations(&doc, 11, 400) {
            rejected += usize::from(serde_json::from_value::<Alert>(v.clone()).is_err());
            let _ = serde_json::from_value::<Case>(v.clone());
            let _ = serde_json::from_value::<Observable>(v.clone());
            let _ = serde_json::from_value::<Task>(v);
        }
    }
    assert!(rejected > 0, "the mutations reach typed fields");
}
