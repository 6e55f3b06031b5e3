//! Every wrapped operation of TheHive's API, checked for the exact request (method, path,
//! query, auth and organisation headers, body) and parsed from a realistic answer.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use thehive_client::areas::{
    ApplyCaseTemplate, ConnectorAuth, ConnectorServer, CortexConfig, Membership, MispConfig,
};
use thehive_client::model::*;
use thehive_client::query::{Filter, Query, Search, Sort};
use thehive_client::{FileUpload, SecretString};

use crate::support::{call, op, run, Body, Op, Reply};

fn j(v: Value) -> Body {
    Body::Json(v)
}
fn none() -> Body {
    Body::None
}
fn mp(parts: &[&str]) -> Body {
    Body::Multipart(parts.iter().map(|s| (*s).to_owned()).collect())
}
fn fx(status: u16, name: &'static str) -> Reply {
    Reply::Fixture(status, name)
}
fn empty(status: u16) -> Reply {
    Reply::Empty(status)
}
fn js(status: u16, v: Value) -> Reply {
    Reply::Json(status, v)
}

fn file(name: &str, content: &'static [u8]) -> FileUpload {
    FileUpload::new(name, "application/octet-stream", content)
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Downloads into memory and checks the content.
macro_rules! downloads {
    ($w:ident => $call:expr) => {{
        let mut $w = Vec::new();
        let n = $call.await?;
        assert_eq!(n, 10);
        assert_eq!($w, b"file-bytes");
        Ok(())
    }};
}

fn bytes_reply() -> Reply {
    Reply::Text(200, "file-bytes")
}

fn input_alert() -> InputAlert {
    InputAlert::new(
        "edr",
        "crowdstrike",
        "det-4711",
        "Macro dropper",
        "Word spawned PowerShell",
    )
    .severity(Severity::High)
    .tlp(Tlp::Amber)
    .date(Utc.timestamp_millis_opt(1_764_000_000_000).unwrap())
    .tag("phishing")
    .observable(InputObservable::new("ip", "203.0.113.7").ioc(true))
}

fn input_alert_json() -> Value {
    json!({
        "type": "edr", "source": "crowdstrike", "sourceRef": "det-4711",
        "title": "Macro dropper", "description": "Word spawned PowerShell",
        "severity": 3, "tlp": 2, "date": 1_764_000_000_000i64, "tags": ["phishing"],
        "observables": [{"dataType": "ip", "data": "203.0.113.7", "ioc": true}]
    })
}

pub(crate) fn alert_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/alert",
            j(input_alert_json()),
            fx(201, "alert.json"),
            call(|h| async move {
                let a = h.alerts().create(&input_alert()).await?;
                assert_eq!(a.severity, Severity::High);
                assert!(a.case_id.is_none());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/alert",
            mp(&[
                "name=\"_json\"\r\n\r\n{",
                "\"attachment\":\"mail\"",
                "name=\"mail\"; filename=\"phish.eml\"",
                "From: attacker",
            ]),
            fx(201, "alert.json"),
            call(|h| async move {
                let alert =
                    InputAlert::new("mail", "gateway", "msg-1", "Phish", "Reported by a user")
                        .observable(InputObservable::file_in_part("mail"));
                let f = FileUpload::new("phish.eml", "message/rfc822", &b"From: attacker"[..]);
                h.alerts()
                    .create_with_files(&alert, &[("mail", &f)])
                    .await?;
                Ok(())
            }),
        ),
        op(
            "PATCH /api/v1/alert/_bulk",
            j(json!({"ids": ["~1", "~2"], "status": "Ignored", "assignee": null})),
            empty(204),
            call(|h| async move {
                let u = AlertUpdate {
                    status: Some("Ignored".into()),
                    assignee: Some(None),
                    ..Default::default()
                };
                h.alerts()
                    .bulk_update(&["~1".into(), "~2".into()], &u)
                    .await
            }),
        ),
        op(
            "POST /api/v1/alert/delete/_bulk",
            j(json!({"ids": ["~1", "~2"]})),
            empty(204),
            call(|h| async move { h.alerts().bulk_delete(&["~1".into(), "~2".into()]).await }),
        ),
        op(
            "POST /api/v1/alert/merge/_bulk",
            j(json!({"caseId": "~9", "alertIds": ["~1", "~2"]})),
            fx(200, "case.json"),
            call(|h| async move {
                h.alerts()
                    .bulk_merge_into_case(&"~9".into(), &["~1".into(), "~2".into()])
                    .await?;
                Ok(())
            }),
        ),
        op(
            "DELETE /api/v1/alert/{alertId}",
            none(),
            empty(204),
            call(|h| async move { h.alerts().delete(&"alertId".into()).await }),
        ),
        op(
            "GET /api/v1/alert/{alertId}",
            none(),
            fx(200, "alert.json"),
            call(|h| async move {
                let a = h.alerts().get(&"alertId".into()).await?;
                assert_eq!(a.meta.entity_type.as_deref(), Some("Alert"));
                Ok(())
            }),
        ),
        op(
            "PATCH /api/v1/alert/{alertId}",
            j(
                json!({"title": "Macro dropper (confirmed)", "tags": ["phishing", "emotet"], "summary": null}),
            ),
            empty(204),
            call(|h| async move {
                let u = AlertUpdate {
                    title: Some("Macro dropper (confirmed)".into()),
                    tags: Some(vec!["phishing".into(), "emotet".into()]),
                    summary: Some(None),
                    ..Default::default()
                };
                h.alerts().update(&"alertId".into(), &u).await
            }),
        ),
        op(
            "DELETE /api/v1/alert/{alertId}/attachment/{attachmentId}",
            none(),
            empty(204),
            call(|h| async move {
                h.alerts()
                    .delete_attachment(&"alertId".into(), "attachmentId")
                    .await
            }),
        ),
        op(
            "GET /api/v1/alert/{alertId}/attachment/{attachmentId}",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.alerts().get_attachment(&"alertId".into(), "attachmentId", &mut w))
            }),
        ),
        op(
            "GET /api/v1/alert/{alertId}/attachment/{attachmentId}/download",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.alerts().download_attachment(&"alertId".into(), "attachmentId", &mut w))
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/attachments",
            mp(&[
                "name=\"canRename\"\r\n\r\ntrue",
                "name=\"attachments\"; filename=\"a.bin\"",
                "AAAA",
            ]),
            fx(201, "attachments_upload.json"),
            call(|h| async move {
                let got = h
                    .alerts()
                    .add_attachments(&"alertId".into(), &[file("a.bin", b"AAAA")], true)
                    .await?;
                assert!(!got.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/case",
            j(json!({"caseTemplate": "phishing"})),
            fx(201, "case.json"),
            call(|h| async move {
                let p = PromoteAlert {
                    case_template: Some("phishing".into()),
                    ..Default::default()
                };
                let c = h.alerts().promote_to_case(&"alertId".into(), &p).await?;
                assert!(c.number > 0);
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/follow",
            none(),
            empty(204),
            call(|h| async move { h.alerts().follow(&"alertId".into()).await }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/unfollow",
            none(),
            empty(204),
            call(|h| async move { h.alerts().unfollow(&"alertId".into()).await }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/import/{caseId}",
            none(),
            fx(200, "case.json"),
            call(|h| async move {
                h.alerts()
                    .import_into_case(&"alertId".into(), &"caseId".into())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/merge/{caseId}",
            none(),
            fx(200, "case.json"),
            call(|h| async move {
                h.alerts()
                    .merge_into_case(&"alertId".into(), &"caseId".into())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/alert/{alertId}/similar/{alertOrCaseId}/observables",
            none(),
            fx(200, "similar_observables.json"),
            call(|h| async move {
                let o = h
                    .alerts()
                    .similar_observables(&"alertId".into(), "alertOrCaseId")
                    .await?;
                assert!(!o.is_empty());
                Ok(())
            }),
        ),
        // Comments, observables and procedures created on an alert.
        op(
            "POST /api/v1/alert/{alertId}/comment",
            j(json!({"message": "seen before"})),
            fx(201, "comment.json"),
            call(|h| async move {
                h.alerts()
                    .add_comment(&"alertId".into(), "seen before")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/observable",
            j(
                json!({"dataType": "domain", "data": ["evil.example", "bad.example"], "tags": ["c2"]}),
            ),
            fx(201, "observable_create.json"),
            call(|h| async move {
                let o = InputObservable::many("domain", ["evil.example", "bad.example"]).tag("c2");
                let got = h.alerts().create_observable(&"alertId".into(), &o).await?;
                assert!(!got.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/observable",
            mp(&[
                "name=\"_json\"\r\n\r\n{\"dataType\":\"file\"",
                "name=\"attachment\"; filename=\"dropper.doc\"",
            ]),
            fx(201, "observable_create.json"),
            call(|h| async move {
                let f = file("dropper.doc", b"MZ");
                h.alerts()
                    .create_file_observable(
                        &"alertId".into(),
                        &InputObservable::of_type("file"),
                        &f,
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/procedure",
            j(
                json!({"patternId": "T1566.001", "occurDate": 1_764_000_000_000i64, "tactic": "initial-access"}),
            ),
            fx(201, "procedure.json"),
            call(|h| async move {
                let p = InputProcedure::new(
                    "T1566.001",
                    Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
                )
                .tactic("initial-access");
                h.alerts()
                    .create_procedure(&"alertId".into(), &p)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/alert/{alertId}/procedures",
            j(json!({"procedures": [{"patternId": "T1059", "occurDate": 1_764_000_000_000i64}]})),
            js(
                201,
                json!([
                    serde_json::from_str::<Value>(&crate::support::fixture("procedure.json"))
                        .unwrap()
                ]),
            ),
            call(|h| async move {
                let p = InputProcedure::new(
                    "T1059",
                    Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
                );
                let got = h
                    .alerts()
                    .bulk_create_procedures(&"alertId".into(), &[p])
                    .await?;
                assert_eq!(got.len(), 1);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn case_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/case",
            j(
                json!({"title": "Emotet on FIN-WS-0231", "description": "From alert det-4711", "severity": 3, "tags": ["emotet"], "assignee": "analyst@soc.example"}),
            ),
            fx(201, "case.json"),
            call(|h| async move {
                let c = InputCase::new("Emotet on FIN-WS-0231", "From alert det-4711")
                    .severity(Severity::High)
                    .tag("emotet")
                    .assignee("analyst@soc.example");
                h.cases().create(&c).await.map(|_| ())
            }),
        ),
        op(
            "PATCH /api/v1/case/_bulk",
            j(json!({"ids": ["~1"], "severity": 4})),
            empty(204),
            call(|h| async move {
                let u = CaseUpdate {
                    severity: Some(Severity::Critical),
                    ..Default::default()
                };
                h.cases().bulk_update(&["~1".into()], &u).await
            }),
        ),
        op(
            "POST /api/v1/case/_bulk/access",
            j(json!({"ids": ["~1"], "access": {"_kind": "OrganisationAccessKind"}})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .bulk_manage_access(&["~1".into()], &json!({"_kind": "OrganisationAccessKind"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/_bulk/caseTemplate",
            j(json!({"ids": ["~1", "~2"], "caseTemplate": "phishing", "updateTags": true})),
            empty(204),
            call(|h| async move {
                let mut options = serde_json::Map::new();
                options.insert("updateTags".into(), true.into());
                let a = ApplyCaseTemplate {
                    ids: vec!["~1".into(), "~2".into()],
                    case_template: "phishing".into(),
                    options,
                };
                h.cases().apply_case_template(&a).await
            }),
        ),
        op(
            "POST /api/v1/case/_merge/{ids}",
            none(),
            fx(201, "case.json"),
            call(|h| async move {
                h.cases()
                    .merge(&["~1".into(), "~2".into()])
                    .await
                    .map(|_| ())
            }),
        )
        .at("/api/v1/case/_merge/~1,~2"),
        op(
            "DELETE /api/v1/case/customField/{cfId}",
            none(),
            empty(204),
            call(|h| async move { h.cases().delete_custom_field("cfId").await }),
        ),
        op(
            "POST /api/v1/case/import",
            mp(&[
                "name=\"_json\"\r\n\r\n{\"password\":\"archive-pw\"}",
                "name=\"file\"; filename=\"case.thar\"",
            ]),
            fx(200, "case_import_result.json"),
            call(|h| async move {
                let v = h
                    .cases()
                    .import(&secret("archive-pw"), &file("case.thar", b"PK"))
                    .await?;
                assert!(v.get("case").is_some());
                Ok(())
            }),
        ),
        op(
            "GET /api/v1/case/link/types",
            none(),
            js(200, json!(["duplicate", "related"])),
            call(|h| async move {
                assert_eq!(h.cases().link_types().await?, vec!["duplicate", "related"]);
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/access",
            j(json!({"access": {"_kind": "UserAccessKind", "users": ["lead@soc.example"]}})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .manage_access(
                        &"caseId".into(),
                        &json!({"_kind": "UserAccessKind", "users": ["lead@soc.example"]}),
                    )
                    .await
            }),
        ),
        op(
            "DELETE /api/v1/case/{caseId}/alert/{alertId}",
            none(),
            empty(204),
            call(|h| async move {
                h.cases()
                    .unlink_alert(&"caseId".into(), &"alertId".into())
                    .await
            }),
        ),
        op(
            "DELETE /api/v1/case/{caseId}/attachment/{attachmentId}",
            none(),
            empty(204),
            call(|h| async move {
                h.cases()
                    .delete_attachment(&"caseId".into(), "attachmentId")
                    .await
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/attachment/{attachmentId}",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.cases().get_attachment(&"caseId".into(), "attachmentId", &mut w))
            }),
        ),
        op(
            "PATCH /api/v1/case/{caseId}/attachment/{attachmentId}",
            j(json!({"external": true})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .update_attachment(&"caseId".into(), "attachmentId", true)
                    .await
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/attachment/{attachmentId}/download",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.cases().download_attachment(&"caseId".into(), "attachmentId", &mut w))
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/attachments",
            mp(&[
                "name=\"attachments\"; filename=\"a.pcap\"",
                "name=\"attachments\"; filename=\"b.pcap\"",
            ]),
            fx(201, "attachments_upload.json"),
            call(|h| async move {
                h.cases()
                    .add_attachments(
                        &"caseId".into(),
                        &[file("a.pcap", b"1"), file("b.pcap", b"2")],
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/export",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.cases().export(&"caseId".into(), &secret("zip-pw"), &mut w))
            }),
        )
        .query(&[("password", "zip-pw")]),
        op(
            "POST /api/v1/case/{caseId}/link/case/add",
            j(json!({"type": "related", "caseId": "~77"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .link_case(&"caseId".into(), "related", &"~77".into())
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/link/case/remove",
            j(json!({"type": "related", "caseId": "~77"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .unlink_case(&"caseId".into(), "related", &"~77".into())
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/link/external/add",
            j(json!({"type": "ticket", "url": "https://jira.example/SOC-1"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .link_url(&"caseId".into(), "ticket", "https://jira.example/SOC-1")
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/link/external/remove",
            j(json!({"type": "ticket", "url": "https://jira.example/SOC-1"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .unlink_url(&"caseId".into(), "ticket", "https://jira.example/SOC-1")
                    .await
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/links",
            none(),
            fx(200, "case_link.json"),
            call(|h| async move {
                assert!(!h.cases().links(&"caseId".into()).await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/observable/_merge",
            none(),
            js(200, json!({"merged": 2})),
            call(|h| async move {
                h.cases()
                    .merge_similar_observables(&"caseId".into())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/owner",
            j(json!({"organisation": "cert-eu", "keepProfile": "read-only"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .change_owner(
                        &"caseId".into(),
                        &json!({"organisation": "cert-eu", "keepProfile": "read-only"}),
                    )
                    .await
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/similar/{alertOrCaseId}/observables",
            none(),
            fx(200, "similar_observables.json"),
            call(|h| async move {
                h.cases()
                    .similar_observables(&"caseId".into(), "alertOrCaseId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/case/{caseId}/timeline",
            none(),
            fx(200, "timeline.json"),
            call(|h| async move {
                assert!(!h
                    .cases()
                    .timeline(&"caseId".into())
                    .await?
                    .events
                    .is_empty());
                Ok(())
            }),
        ),
        op(
            "DELETE /api/v1/case/{idOrName}",
            none(),
            empty(204),
            call(|h| async move { h.cases().delete(&"idOrName".into()).await }),
        ),
        op(
            "GET /api/v1/case/{idOrName}",
            none(),
            fx(200, "case.json"),
            call(|h| async move {
                let c = h.cases().get(&"idOrName".into()).await?;
                assert_eq!(c.status, "TruePositive");
                Ok(())
            }),
        ),
        op(
            "PATCH /api/v1/case/{idOrName}",
            j(
                json!({"status": "TruePositive", "summary": "Contained", "impactStatus": "WithImpact"}),
            ),
            empty(204),
            call(|h| async move {
                h.cases()
                    .close(
                        &"idOrName".into(),
                        "TruePositive",
                        "Contained",
                        Some("WithImpact"),
                    )
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/comment",
            j(json!({"message": "host isolated"})),
            fx(201, "comment.json"),
            call(|h| async move {
                h.cases()
                    .add_comment(&"caseId".into(), "host isolated")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/observable",
            j(
                json!({"dataType": "ip", "data": "198.51.100.23", "ioc": true, "tlp": 1, "message": "C2"}),
            ),
            fx(201, "observable_create.json"),
            call(|h| async move {
                let o = InputObservable::new("ip", "198.51.100.23")
                    .ioc(true)
                    .tlp(Tlp::Green)
                    .message("C2");
                h.cases()
                    .create_observable(&"caseId".into(), &o)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/observable",
            mp(&[
                "name=\"_json\"\r\n\r\n{\"dataType\":\"file\"}",
                "name=\"attachment\"; filename=\"x.exe\"",
            ]),
            fx(201, "observable_create.json"),
            call(|h| async move {
                h.cases()
                    .create_file_observable(
                        &"caseId".into(),
                        &InputObservable::of_type("file"),
                        &file("x.exe", b"MZ"),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/task",
            j(json!({"title": "Isolate host", "group": "containment", "mandatory": true})),
            fx(201, "task.json"),
            call(|h| async move {
                let t = InputTask::new("Isolate host")
                    .group("containment")
                    .mandatory(true);
                h.cases()
                    .create_task(&"caseId".into(), &t)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/procedure",
            j(
                json!({"patternId": "T1486", "occurDate": 1_764_000_000_000i64, "description": "files encrypted"}),
            ),
            fx(201, "procedure.json"),
            call(|h| async move {
                let p = InputProcedure::new(
                    "T1486",
                    Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
                )
                .description("files encrypted");
                h.cases()
                    .create_procedure(&"caseId".into(), &p)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/procedures",
            j(json!({"procedures": [{"patternId": "T1486", "occurDate": 1_764_000_000_000i64}]})),
            js(201, json!([])),
            call(|h| async move {
                let p = InputProcedure::new(
                    "T1486",
                    Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
                );
                h.cases()
                    .bulk_create_procedures(&"caseId".into(), &[p])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/page",
            j(json!({"title": "Notes", "content": "# Notes", "category": "Investigation"})),
            fx(201, "page.json"),
            call(|h| async move {
                h.cases()
                    .create_page(
                        &"caseId".into(),
                        &InputPage::new("Notes", "# Notes", "Investigation"),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/case/{caseId}/page/{pageId}",
            none(),
            empty(204),
            call(|h| async move { h.cases().delete_page(&"caseId".into(), "pageId").await }),
        ),
        op(
            "PATCH /api/v1/case/{caseId}/page/{pageId}",
            j(json!({"content": "updated"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .update_page(&"caseId".into(), "pageId", &json!({"content": "updated"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/customEvent",
            j(json!({"date": 1_764_000_000_000i64, "title": "Mail delivered"})),
            fx(201, "custom_event.json"),
            call(|h| async move {
                let e = InputCustomEvent {
                    date: Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
                    end_date: None,
                    title: "Mail delivered".into(),
                    description: None,
                };
                h.cases()
                    .create_custom_event(&"caseId".into(), &e)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/customEvent/{eventId}",
            none(),
            empty(204),
            call(|h| async move { h.cases().delete_custom_event("eventId").await }),
        ),
        op(
            "PATCH /api/v1/customEvent/{eventId}",
            j(json!({"title": "Mail opened"})),
            empty(204),
            call(|h| async move {
                h.cases()
                    .update_custom_event("eventId", &json!({"title": "Mail opened"}))
                    .await
            }),
        ),
        op(
            "GET /api/v1/pattern/case/{caseId}",
            none(),
            js(200, json!([crate::support::fixture_json("pattern.json")])),
            call(|h| async move {
                assert_eq!(h.cases().patterns(&"caseId".into()).await?.len(), 1);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn share_ops() -> Vec<Op> {
    vec![
        op(
            "DELETE /api/v1/case/share/{shareId}",
            none(),
            empty(204),
            call(|h| async move { h.cases().remove_share(&"shareId".into()).await }),
        ),
        op(
            "PATCH /api/v1/case/share/{shareId}",
            j(json!({"profile": "read-only"})),
            empty(204),
            call(|h| async move { h.cases().update_share(&"shareId".into(), "read-only").await }),
        ),
        op(
            "DELETE /api/v1/case/shares",
            j(json!({"ids": ["~s1", "~s2"]})),
            empty(204),
            call(|h| async move { h.cases().remove_shares(&["~s1".into(), "~s2".into()]).await }),
        ),
        op(
            "DELETE /api/v1/case/{caseId}/shares",
            j(json!({"organisations": ["cert-eu"]})),
            empty(204),
            call(|h| async move { h.cases().unshare(&"caseId".into(), &["cert-eu"]).await }),
        ),
        op(
            "GET /api/v1/case/{caseId}/shares",
            none(),
            fx(200, "share_list.json"),
            call(|h| async move {
                assert!(!h.cases().shares(&"caseId".into()).await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/case/{caseId}/shares",
            j(
                json!({"shares": [{"organisation": "cert-eu", "share": true, "profile": "analyst"}]}),
            ),
            fx(201, "share_list.json"),
            call(|h| async move {
                h.cases()
                    .share(&"caseId".into(), &[InputShare::new("cert-eu", "analyst")])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PUT /api/v1/case/{caseId}/shares",
            j(
                json!({"shares": [{"organisation": "cert-eu", "share": true, "profile": "read-only"}]}),
            ),
            fx(200, "share_list.json"),
            call(|h| async move {
                h.cases()
                    .set_shares(&"caseId".into(), &[InputShare::new("cert-eu", "read-only")])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/observable/{observableId}/shares",
            j(json!({"organisations": ["cert-eu"]})),
            empty(204),
            call(|h| async move {
                h.observables()
                    .unshare(&"observableId".into(), &["cert-eu"])
                    .await
            }),
        ),
        op(
            "GET /api/v1/observable/{observableId}/shares",
            none(),
            fx(200, "share_list.json"),
            call(|h| async move {
                h.observables()
                    .shares(&"observableId".into())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/observable/{observableId}/shares",
            j(json!({"organisations": ["cert-eu"]})),
            empty(204),
            call(|h| async move {
                h.observables()
                    .share(&"observableId".into(), &["cert-eu"])
                    .await
            }),
        ),
        op(
            "DELETE /api/v1/task/{taskId}/shares",
            j(json!({"organisations": ["cert-eu"]})),
            empty(204),
            call(|h| async move { h.tasks().unshare(&"taskId".into(), &["cert-eu"]).await }),
        ),
        op(
            "GET /api/v1/task/{taskId}/shares",
            none(),
            fx(200, "share_list.json"),
            call(|h| async move { h.tasks().shares(&"taskId".into()).await.map(|_| ()) }),
        ),
        op(
            "POST /api/v1/task/{taskId}/shares",
            j(json!({"organisations": ["cert-eu"]})),
            empty(204),
            call(|h| async move { h.tasks().share(&"taskId".into(), &["cert-eu"]).await }),
        ),
    ]
}

pub(crate) fn observable_task_ops() -> Vec<Op> {
    vec![
        op("PATCH /api/v1/observable/_bulk", j(json!({"ids": ["~o1"], "ioc": true})), empty(204), call(|h| async move {
            h.observables().bulk_update(&["~o1".into()], &json!({"ioc": true})).await
        })),
        op("DELETE /api/v1/observable/{observableId}", none(), empty(204), call(|h| async move { h.observables().delete(&"observableId".into()).await })),
        op("GET /api/v1/observable/{observableId}", none(), fx(200, "observable.json"), call(|h| async move {
            let o = h.observables().get(&"observableId".into()).await?;
            assert!(o.ioc);
            Ok(())
        })),
        op("PATCH /api/v1/observable/{observableId}", j(json!({"sighted": true, "addTags": ["seen"]})), empty(204), call(|h| async move {
            h.observables().update(&"observableId".into(), &json!({"sighted": true, "addTags": ["seen"]})).await
        })),
        op("GET /api/v1/observable/{observableId}/attachment/{attachmentId}/download", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.observables().download_attachment(&"observableId".into(), "attachmentId", true, &mut w))
        }))
        .query(&[("asZip", "true")]),
        op("GET /api/v1/observable/{observableId}/attachment/{attachmentId}", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.observables().get_attachment(&"observableId".into(), "attachmentId", &mut w))
        })),
        op("PATCH /api/v1/task/_bulk", j(json!({"ids": ["~t1"], "status": "Completed"})), empty(204), call(|h| async move {
            h.tasks().bulk_update(&["~t1".into()], &json!({"status": "Completed"})).await
        })),
        op("DELETE /api/v1/task/{taskId}", none(), empty(204), call(|h| async move { h.tasks().delete(&"taskId".into()).await })),
        op("GET /api/v1/task/{taskId}", none(), fx(200, "task.json"), call(|h| async move { h.tasks().get(&"taskId".into()).await.map(|_| ()) })),
        op("PATCH /api/v1/task/{taskId}", j(json!({"status": "InProgress", "assignee": "analyst@soc.example"})), empty(204), call(|h| async move {
            h.tasks().update(&"taskId".into(), &json!({"status": "InProgress", "assignee": "analyst@soc.example"})).await
        })),
        op("PUT /api/v1/task/{taskId}/actionDone/{orgId}", none(), empty(204), call(|h| async move {
            h.tasks().set_action_done(&"taskId".into(), "orgId").await
        })),
        op("GET /api/v1/task/{taskId}/actionRequired", none(), js(200, json!({"cert-eu": true})), call(|h| async move {
            assert_eq!(h.tasks().required_actions(&"taskId".into()).await?["cert-eu"], true);
            Ok(())
        })),
        op("PUT /api/v1/task/{taskId}/actionRequired/{orgId}", none(), empty(204), call(|h| async move {
            h.tasks().set_action_required(&"taskId".into(), "orgId").await
        })),
        op("POST /api/v1/task/{taskId}/log", j(json!({"message": "Host isolated"})), fx(201, "task_log.json"), call(|h| async move {
            h.tasks().create_log(&"taskId".into(), &InputLog::new("Host isolated")).await.map(|_| ())
        })),
        op(
            "POST /api/v1/task/{taskId}/log",
            mp(&["name=\"_json\"\r\n\r\n{\"message\":\"screenshot\"}", "name=\"attachments\"; filename=\"shot.png\""]),
            fx(201, "task_log.json"),
            call(|h| async move {
                h.tasks().create_log_with_files(&"taskId".into(), &InputLog::new("screenshot"), &[file("shot.png", b"PNG")]).await.map(|_| ())
            }),
        ),
        op("DELETE /api/v1/log/{logId}", none(), empty(204), call(|h| async move { h.logs().delete(&"logId".into()).await })),
        op("PATCH /api/v1/log/{logId}", j(json!({"message": "edited"})), empty(204), call(|h| async move {
            h.logs().update(&"logId".into(), &json!({"message": "edited"})).await
        })),
        op("POST /api/v1/log/{logId}/attachments", mp(&["name=\"attachments\"; filename=\"a.txt\""]), empty(204), call(|h| async move {
            h.logs().add_attachments(&"logId".into(), &[file("a.txt", b"x")]).await
        })),
        op("DELETE /api/v1/log/{logId}/attachments/{attachmentId}", none(), empty(204), call(|h| async move {
            h.logs().delete_attachment(&"logId".into(), "attachmentId").await
        })),
        op("GET /api/v1/log/{logId}/attachment/{attachmentId}/download", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.logs().download_attachment(&"logId".into(), "attachmentId", &mut w))
        })),
        op("GET /api/v1/log/{caseId}/attachment/{attachmentId}", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.logs().get_attachment(&"logId".into(), "attachmentId", &mut w))
        }))
        .at("/api/v1/log/logId/attachment/attachmentId"),
        op("DELETE /api/v1/comment/{commentId}", none(), empty(204), call(|h| async move { h.comments().delete(&"commentId".into()).await })),
        op("PATCH /api/v1/comment/{commentId}", j(json!({"message": "typo fixed"})), empty(204), call(|h| async move {
            h.comments().update(&"commentId".into(), "typo fixed").await
        })),
    ]
}

pub(crate) fn ttp_template_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/procedure/delete/_bulk",
            j(json!({"ids": ["~p1"]})),
            empty(204),
            call(|h| async move { h.procedures().bulk_delete(&["~p1".into()]).await }),
        ),
        op(
            "DELETE /api/v1/procedure/{procedureId}",
            none(),
            empty(204),
            call(|h| async move { h.procedures().delete(&"procedureId".into()).await }),
        ),
        op(
            "PATCH /api/v1/procedure/{procedureId}",
            j(json!({"tactic": "execution"})),
            empty(204),
            call(|h| async move {
                h.procedures()
                    .update(&"procedureId".into(), &json!({"tactic": "execution"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/caseTemplate",
            j(json!({"name": "phishing", "titlePrefix": "[PHISH]"})),
            fx(201, "case_template.json"),
            call(|h| async move {
                h.case_templates()
                    .create(&json!({"name": "phishing", "titlePrefix": "[PHISH]"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/caseTemplate/{caseTemplateNameOrId}",
            none(),
            empty(204),
            call(|h| async move { h.case_templates().delete("caseTemplateNameOrId").await }),
        ),
        op(
            "GET /api/v1/caseTemplate/{caseTemplateNameOrId}",
            none(),
            fx(200, "case_template.json"),
            call(|h| async move {
                h.case_templates()
                    .get("caseTemplateNameOrId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PATCH /api/v1/caseTemplate/{caseTemplateNameOrId}",
            j(json!({"severity": 2})),
            empty(204),
            call(|h| async move {
                h.case_templates()
                    .update("caseTemplateNameOrId", &json!({"severity": 2}))
                    .await
            }),
        ),
        op(
            "PUT /api/v1/caseTemplate/{caseTemplateNameOrId}/pageTemplate/link",
            j(json!({"pageTemplateIds": ["~pt1"]})),
            empty(204),
            call(|h| async move {
                h.case_templates()
                    .link_page_templates("caseTemplateNameOrId", &["~pt1"])
                    .await
            }),
        ),
        op(
            "POST /api/v1/pageTemplate",
            j(json!({"title": "Runbook", "content": "1. ...", "category": "Runbooks"})),
            fx(201, "page_template.json"),
            call(|h| async move {
                h.page_templates()
                    .create(&InputPage::new("Runbook", "1. ...", "Runbooks"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/pageTemplate/{pageTemplateId}",
            none(),
            empty(204),
            call(|h| async move { h.page_templates().delete("pageTemplateId").await }),
        ),
        op(
            "PATCH /api/v1/pageTemplate/{pageTemplateId}",
            j(json!({"title": "Runbook v2"})),
            empty(204),
            call(|h| async move {
                h.page_templates()
                    .update("pageTemplateId", &json!({"title": "Runbook v2"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/page",
            j(json!({"title": "On-call", "content": "...", "category": "Team"})),
            fx(201, "page.json"),
            call(|h| async move {
                h.pages()
                    .create(&InputPage::new("On-call", "...", "Team"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/page/{pageId}",
            none(),
            empty(204),
            call(|h| async move { h.pages().delete("pageId").await }),
        ),
        op(
            "PATCH /api/v1/page/{pageId}",
            j(json!({"order": 2})),
            empty(204),
            call(|h| async move { h.pages().update("pageId", &json!({"order": 2})).await }),
        ),
        op(
            "GET /api/v1/customField",
            none(),
            fx(200, "custom_field_list.json"),
            call(|h| async move {
                assert!(!h.custom_fields().list().await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/customField",
            j(
                json!({"name": "hostname", "description": "Affected host", "type": "string", "group": "asset"}),
            ),
            fx(201, "custom_field.json"),
            call(|h| async move {
                let mut f = InputCustomField::new("hostname", "Affected host", "string");
                f.group = Some("asset".into());
                h.custom_fields().create(&f).await.map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/customField/{customFieldId}",
            none(),
            empty(204),
            call(|h| async move { h.custom_fields().delete("customFieldId", true).await }),
        )
        .query(&[("force", "true")]),
        op(
            "PATCH /api/v1/customField/{customFieldId}",
            j(json!({"mandatory": true})),
            empty(204),
            call(|h| async move {
                h.custom_fields()
                    .update("customFieldId", &json!({"mandatory": true}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/observable/type",
            j(json!({"name": "ja3-fingerprint", "isAttachment": false})),
            fx(201, "observable_type.json"),
            call(|h| async move {
                h.observable_types()
                    .create("ja3-fingerprint", false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/observable/type/{typeId}",
            none(),
            empty(204),
            call(|h| async move { h.observable_types().delete("typeId").await }),
        ),
        op(
            "GET /api/v1/observable/type/{typeId}",
            none(),
            fx(200, "observable_type.json"),
            call(|h| async move { h.observable_types().get("typeId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/observable/type/{typeId}",
            j(json!({"isCaseSensitive": true})),
            empty(204),
            call(|h| async move { h.observable_types().update("typeId", true).await }),
        ),
        op(
            "POST /api/v1/alertStatus",
            j(json!({"value": "PendingVendor", "stage": "InProgress"})),
            fx(201, "alert_status.json"),
            call(|h| async move {
                h.alert_statuses()
                    .create("PendingVendor", "InProgress")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/alertStatus/{id}",
            none(),
            empty(204),
            call(|h| async move { h.alert_statuses().delete("id").await }),
        ),
        op(
            "PATCH /api/v1/alertStatus/{id}",
            j(json!({"colour": "#FF0000"})),
            empty(204),
            call(|h| async move {
                h.alert_statuses()
                    .update("id", &json!({"colour": "#FF0000"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/caseStatus",
            j(json!({"value": "Contained", "stage": "InProgress"})),
            fx(201, "case_status.json"),
            call(|h| async move {
                h.case_statuses()
                    .create("Contained", "InProgress")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/caseStatus/{id}",
            none(),
            empty(204),
            call(|h| async move { h.case_statuses().delete("id").await }),
        ),
        op(
            "PATCH /api/v1/caseStatus/{id}",
            j(json!({"hidden": true})),
            empty(204),
            call(|h| async move {
                h.case_statuses()
                    .update("id", &json!({"hidden": true}))
                    .await
            }),
        ),
    ]
}

pub(crate) fn directory_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/user",
            j(
                json!({"login": "svc-soar@soc.example", "name": "SOAR", "profile": "analyst", "type": "Service", "organisation": "soc-example"}),
            ),
            fx(201, "user.json"),
            call(|h| async move {
                let u = InputUser::new("svc-soar@soc.example", "SOAR", "analyst")
                    .organisation("soc-example")
                    .service();
                h.users().create(&u).await.map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/user/current",
            none(),
            fx(200, "user.json"),
            call(|h| async move {
                let u = h.users().current().await?;
                assert!(u.has_key);
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/user/current/attachments",
            mp(&["name=\"attachments\"; filename=\"logo.png\""]),
            fx(201, "attachments_upload.json"),
            call(|h| async move {
                h.users()
                    .upload_own_attachments(&[file("logo.png", b"PNG")])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/user/{userId}",
            none(),
            empty(204),
            call(|h| async move { h.users().delete(&"userId".into()).await }),
        ),
        op(
            "GET /api/v1/user/{userId}",
            none(),
            fx(200, "user.json"),
            call(|h| async move { h.users().get(&"userId".into()).await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/user/{userId}",
            j(json!({"locked": true})),
            empty(204),
            call(|h| async move { h.users().lock(&"userId".into()).await }),
        ),
        op(
            "GET /api/v1/user/{userId}/avatar/{file}",
            none(),
            bytes_reply(),
            call(
                |h| async move { downloads!(w => h.users().avatar(&"userId".into(), "file", &mut w)) },
            ),
        ),
        op(
            "DELETE /api/v1/user/{userId}/force",
            none(),
            empty(204),
            call(|h| async move {
                h.users()
                    .force_delete(&"userId".into(), Some("soc-example"))
                    .await
            }),
        )
        .query(&[("organisation", "soc-example")]),
        op(
            "DELETE /api/v1/user/{userId}/key",
            none(),
            empty(204),
            call(|h| async move { h.users().remove_api_key(&"userId".into()).await }),
        ),
        op(
            "GET /api/v1/user/{userId}/key",
            none(),
            Reply::Text(200, "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"),
            call(|h| async move {
                use thehive_client::SecretString;
                let k: SecretString = h.users().api_key(&"userId".into()).await?;
                assert_eq!(
                    soc_http::ExposeSecret::expose_secret(&k),
                    "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"
                );
                assert!(!format!("{k:?}").contains("aB3d"));
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/user/{userId}/key/renew",
            none(),
            Reply::Text(200, "Zz9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF"),
            call(|h| async move {
                let k = h.users().renew_api_key(&"userId".into()).await?;
                assert_eq!(
                    soc_http::ExposeSecret::expose_secret(&k),
                    "Zz9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF"
                );
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/user/{userId}/login/set",
            j(json!({"login": "new@soc.example"})),
            empty(204),
            call(|h| async move {
                h.users()
                    .set_login(&"userId".into(), "new@soc.example")
                    .await
            }),
        ),
        op(
            "PUT /api/v1/user/{userId}/organisations",
            j(
                json!({"organisations": [{"organisation": "soc-example", "profile": "analyst", "default": true}, {"organisation": "cert-eu", "profile": "read-only"}]}),
            ),
            js(200, json!({"organisations": []})),
            call(|h| async move {
                let m = [
                    Membership {
                        organisation: "soc-example".into(),
                        profile: "analyst".into(),
                        default: true,
                    },
                    Membership {
                        organisation: "cert-eu".into(),
                        profile: "read-only".into(),
                        default: false,
                    },
                ];
                h.users()
                    .set_organisations(&"userId".into(), &m)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/user/{userId}/password/change",
            j(json!({"currentPassword": "old-pw", "password": "new-pw"})),
            empty(204),
            call(|h| async move {
                h.users()
                    .change_password(&"userId".into(), &secret("old-pw"), &secret("new-pw"))
                    .await
            }),
        ),
        op(
            "POST /api/v1/user/{userId}/password/set",
            j(json!({"password": "initial-pw"})),
            empty(204),
            call(|h| async move {
                h.users()
                    .set_password(&"userId".into(), &secret("initial-pw"))
                    .await
            }),
        ),
        op(
            "POST /api/v1/attachment",
            mp(&[
                "name=\"canRename\"\r\n\r\nfalse",
                "name=\"attachments\"; filename=\"logo.svg\"",
            ]),
            fx(201, "attachments_upload.json"),
            call(|h| async move {
                h.organisations()
                    .add_attachments(&[file("logo.svg", b"<svg/>")], false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/attachment/{attachmentId}",
            none(),
            empty(204),
            call(|h| async move { h.organisations().delete_attachment("attachmentId").await }),
        ),
        op(
            "GET /api/v1/attachment/{attachmentId}",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.organisations().get_attachment("attachmentId", &mut w))
            }),
        ),
        op(
            "GET /api/v1/attachment/{attachmentId}/download",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.organisations().download_attachment("attachmentId", &mut w))
            }),
        ),
        op(
            "POST /api/v1/organisation",
            j(json!({"name": "cert-eu", "description": "CERT partner"})),
            fx(201, "organisation.json"),
            call(|h| async move {
                h.organisations()
                    .create(&InputOrganisation::new("cert-eu", "CERT partner"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/organisation/{orgId}",
            none(),
            fx(200, "organisation.json"),
            call(|h| async move { h.organisations().get(&"orgId".into()).await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/organisation/{orgId}",
            j(json!({"description": "Partner CERT"})),
            empty(204),
            call(|h| async move {
                h.organisations()
                    .update(&"orgId".into(), &json!({"description": "Partner CERT"}))
                    .await
            }),
        ),
        op(
            "GET /api/v1/organisation/{orgId}/avatar/{fileHash}",
            none(),
            bytes_reply(),
            call(|h| async move {
                downloads!(w => h.organisations().avatar(&"orgId".into(), "fileHash", &mut w))
            }),
        ),
        op(
            "DELETE /api/v1/organisation/{orgId}/link/{otherOrgId}",
            none(),
            empty(204),
            call(|h| async move {
                h.organisations()
                    .unlink(&"orgId".into(), &"otherOrgId".into())
                    .await
            }),
        ),
        op(
            "PUT /api/v1/organisation/{orgId}/link/{otherOrgId}",
            j(json!({"linkType": "supervised", "otherLinkType": "default"})),
            empty(201),
            call(|h| async move {
                let link = json!({"linkType": "supervised", "otherLinkType": "default"});
                h.organisations()
                    .link(&"orgId".into(), &"otherOrgId".into(), Some(&link))
                    .await
            }),
        ),
        op(
            "GET /api/v1/organisation/{orgId}/links",
            none(),
            fx(200, "organisation_links.json"),
            call(|h| async move { h.organisations().links(&"orgId".into()).await.map(|_| ()) }),
        ),
        op(
            "PUT /api/v1/organisation/{orgId}/links",
            j(
                json!({"links": [{"toOrganisation": "cert-eu", "linkType": "default", "otherLinkType": "default"}]}),
            ),
            empty(201),
            call(|h| async move {
                let l = json!({"toOrganisation": "cert-eu", "linkType": "default", "otherLinkType": "default"});
                h.organisations().set_links(&"orgId".into(), &[l]).await
            }),
        ),
        op(
            "GET /api/v1/sharingProfile",
            none(),
            fx(200, "sharing_profile_list.json"),
            call(|h| async move { h.organisations().sharing_profiles().await.map(|_| ()) }),
        ),
        op(
            "POST /api/v1/profile",
            j(json!({"name": "soc-tier1", "permissions": ["manageAlert/update"]})),
            fx(201, "profile.json"),
            call(|h| async move {
                let p = InputProfile {
                    name: "soc-tier1".into(),
                    permissions: vec!["manageAlert/update".into()],
                };
                h.profiles().create(&p).await.map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/profile/{profileId}",
            none(),
            empty(204),
            call(|h| async move { h.profiles().delete("profileId").await }),
        ),
        op(
            "GET /api/v1/profile/{profileId}",
            none(),
            fx(200, "profile.json"),
            call(|h| async move { h.profiles().get("profileId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/profile/{profileId}",
            j(json!({"permissions": []})),
            empty(204),
            call(|h| async move {
                h.profiles()
                    .update("profileId", &json!({"permissions": []}))
                    .await
            }),
        ),
        op(
            "GET /api/v1/permission",
            none(),
            fx(200, "permission_list.json"),
            call(|h| async move {
                assert!(!h.profiles().permissions().await?.is_empty());
                Ok(())
            }),
        ),
    ]
}

fn cortex_config() -> CortexConfig {
    CortexConfig {
        servers: vec![ConnectorServer::new(
            "cortex-local",
            "http://cortex:9001",
            ConnectorAuth::bearer("ctx-SECRET".to_owned()),
        )],
        status_check_interval: Some("1 minute".into()),
        refresh_delay: Some("5 seconds".into()),
        max_retry_on_error: Some(3),
        job_timeout: Some("3 hours".into()),
        extra: Default::default(),
    }
}

fn cortex_config_json() -> Value {
    json!({
        "servers": [{
            "name": "cortex-local", "url": "http://cortex:9001",
            "auth": {"type": "bearer", "key": "ctx-SECRET"},
            "includedTheHiveOrganisations": ["*"], "excludedTheHiveOrganisations": []
        }],
        "statusCheckInterval": "1 minute", "refreshDelay": "5 seconds", "maxRetryOnError": 3, "jobTimeout": "3 hours"
    })
}

pub(crate) fn connector_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/connector/cortex/action",
            j(json!({"responderId": "Mailer_1_0", "objectType": "case", "objectId": "~1"})),
            fx(200, "responder_action.json"),
            call(|h| async move {
                h.cortex()
                    .run_responder(&InputAction::new("Mailer_1_0", "case", "~1"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/action/{entityType}/{entityId}",
            none(),
            js(
                200,
                json!([crate::support::fixture_json("responder_action.json")]),
            ),
            call(|h| async move {
                assert_eq!(h.cortex().actions("entityType", "entityId").await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/connector/cortex/actions",
            j(json!([{"responderId": "Mailer_1_0", "objectType": "case", "objectId": "~1"}])),
            js(
                200,
                json!([crate::support::fixture_json("responder_action.json")]),
            ),
            call(|h| async move {
                h.cortex()
                    .bulk_run_responders(&[InputAction::new("Mailer_1_0", "case", "~1")])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/analyzer",
            none(),
            fx(200, "analyzer_list.json"),
            call(|h| async move { h.cortex().analyzers(Some("all")).await.map(|_| ()) }),
        )
        .query(&[("range", "all")]),
        op(
            "POST /api/v1/connector/cortex/analyzer/template",
            j(json!({"analyzerId": "VT_3_1", "content": "<div/>"})),
            js(201, json!({"_id": "~t"})),
            call(|h| async move {
                h.cortex()
                    .create_template("VT_3_1", "<div/>")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/connector/cortex/analyzer/template/_import",
            mp(&["name=\"templates\"; filename=\"report-templates.zip\""]),
            js(200, json!({"VT_3_1": true})),
            call(|h| async move {
                h.cortex()
                    .import_templates(&file("report-templates.zip", b"PK"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/analyzer/template/content/{analyzerId}",
            none(),
            Reply::Text(200, "<div>{{content}}</div>"),
            call(|h| async move {
                assert_eq!(
                    h.cortex().template_content("analyzerId").await?,
                    "<div>{{content}}</div>"
                );
                Ok(())
            }),
        ),
        op(
            "DELETE /api/v1/connector/cortex/analyzer/template/{analyzerTemplateId}",
            none(),
            empty(204),
            call(|h| async move { h.cortex().delete_template("analyzerTemplateId").await }),
        ),
        op(
            "PATCH /api/v1/connector/cortex/analyzer/template/{analyzerTemplateId}",
            j(json!({"content": "<p/>"})),
            js(200, json!({"_id": "~t"})),
            call(|h| async move {
                h.cortex()
                    .update_template("analyzerTemplateId", &json!({"content": "<p/>"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/analyzer/type/{dataType}",
            none(),
            fx(200, "analyzer_list.json"),
            call(|h| async move { h.cortex().analyzers_for_type("dataType").await.map(|_| ()) }),
        ),
        op(
            "GET /api/v1/connector/cortex/analyzer/{analyzerId}",
            none(),
            fx(200, "analyzer.json"),
            call(|h| async move { h.cortex().analyzer("analyzerId").await.map(|_| ()) }),
        ),
        op(
            "POST /api/v1/connector/cortex/job",
            j(
                json!({"analyzerId": "VirusTotal_GetReport_3_1", "cortexId": "cortex-local", "artifactId": "~o1"}),
            ),
            fx(201, "analyzer_job.json"),
            call(|h| async move {
                let job = h
                    .cortex()
                    .run_analyzer(&InputJob::new(
                        "VirusTotal_GetReport_3_1",
                        "cortex-local",
                        "~o1",
                    ))
                    .await?;
                assert_eq!(job.status, "Success");
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/connector/cortex/job/_bulk",
            j(json!({"jobs": [{"analyzerId": "A", "cortexId": "c", "artifactId": "~o1"}]})),
            js(
                201,
                json!([crate::support::fixture_json("analyzer_job.json")]),
            ),
            call(|h| async move {
                h.cortex()
                    .bulk_run_analyzers(&[InputJob::new("A", "c", "~o1")])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/job/{jobId}",
            none(),
            fx(200, "analyzer_job.json"),
            call(|h| async move { h.cortex().job(&"jobId".into()).await.map(|_| ()) }),
        ),
        op(
            "GET /api/v1/connector/cortex/responder/{entityType}/{entityId}",
            none(),
            fx(200, "responder_list.json"),
            call(|h| async move {
                h.cortex()
                    .responders_for("entityType", "entityId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/connector/cortex/responders/{entityType}",
            none(),
            js(
                200,
                json!([{"id": "r1", "name": "Mailer_1_0", "description": "Sends mail"}]),
            ),
            call(|h| async move {
                let r = h.cortex().responders("entityType").await?;
                assert!(r[0].version.is_none());
                Ok(())
            }),
        ),
        op(
            "GET /api/v1/connector/misp/_syncAlerts",
            none(),
            empty(204),
            call(|h| async move { h.misp().sync().await }),
        ),
        op(
            "POST /api/v1/connector/misp/case/import",
            mp(&[
                "name=\"_json\"\r\n\r\n{\"caseTemplate\":\"misp\"}",
                "name=\"file\"; filename=\"event.json\"",
            ]),
            fx(201, "case.json"),
            call(|h| async move {
                h.misp()
                    .import_case(&json!({"caseTemplate": "misp"}), &file("event.json", b"{}"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/connector/misp/export/{caseId}/{mispName}",
            none(),
            empty(204),
            call(|h| async move { h.misp().export_case(&"caseId".into(), "mispName").await }),
        ),
        op(
            "GET /api/v1/connector/misp/status",
            none(),
            fx(200, "misp_status.json"),
            call(|h| async move {
                assert_eq!(h.misp().status().await?["syncInProgress"], false);
                Ok(())
            }),
        ),
        // Runtime connector configuration (not in the published spec; used by StrangeBee's
        // own init scripts).
        op(
            "PUT /api/v1/admin/config/cortex",
            j(cortex_config_json()),
            empty(204),
            call(|h| async move { h.cortex().set_config(&cortex_config()).await }),
        ),
        op(
            "GET /api/v1/admin/config/cortex",
            none(),
            js(200, cortex_config_json()),
            call(|h| async move {
                let c = h.cortex().config().await?;
                assert_eq!(c.servers[0].name, "cortex-local");
                assert!(!format!("{c:?}").contains("ctx-SECRET"));
                Ok(())
            }),
        ),
        op(
            "POST /api/v1/admin/config/cortex/test",
            j(cortex_config_json()["servers"][0].clone()),
            js(200, json!({"health": "ok"})),
            call(|h| async move {
                h.cortex()
                    .test_server(&cortex_config().servers[0])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PUT /api/v1/admin/config/misp",
            j(
                json!({"interval": "10 minutes", "servers": [{"name": "misp", "url": "https://misp", "auth": {"type": "key", "key": "m-SECRET"}, "purpose": "ImportAndExport", "includedTheHiveOrganisations": ["*"], "excludedTheHiveOrganisations": []}]}),
            ),
            empty(204),
            call(|h| async move {
                let mut s = ConnectorServer::new(
                    "misp",
                    "https://misp",
                    ConnectorAuth::key("m-SECRET".to_owned()),
                );
                s.extra.insert("purpose".into(), "ImportAndExport".into());
                h.misp()
                    .set_config(&MispConfig {
                        servers: vec![s],
                        interval: Some("10 minutes".into()),
                        extra: Default::default(),
                    })
                    .await
            }),
        ),
        op(
            "GET /api/v1/admin/config/misp",
            none(),
            js(200, json!({"interval": "1 hour", "servers": []})),
            call(|h| async move { h.misp().config().await.map(|_| ()) }),
        ),
        op(
            "POST /api/v1/admin/config/misp/test",
            j(
                json!({"name": "misp", "url": "https://misp", "auth": {"type": "key", "key": "m-SECRET"}, "includedTheHiveOrganisations": ["*"], "excludedTheHiveOrganisations": []}),
            ),
            js(200, json!({})),
            call(|h| async move {
                let s = ConnectorServer::new(
                    "misp",
                    "https://misp",
                    ConnectorAuth::key("m-SECRET".to_owned()),
                );
                h.misp().test_server(&s).await.map(|_| ())
            }),
        ),
    ]
}

pub(crate) fn platform_ops() -> Vec<Op> {
    let obj = || js(200, json!({"ok": true}));
    vec![
        op("GET /api/v1/status", none(), fx(200, "status.json"), call(|h| async move {
            assert!(h.status().await?.thehive_version().is_some());
            Ok(())
        })),
        op("GET /api/v1/status/public", none(), fx(200, "status_public.json"), call(|h| async move { h.public_status().await.map(|_| ()) })),
        op("PUT /api/v1/admin/check/_all/trigger", none(), empty(204), call(|h| async move { h.admin().trigger_all_checks().await })),
        op("POST /api/v1/admin/check/cancel", none(), empty(204), call(|h| async move { h.admin().cancel_checks().await })),
        op("GET /api/v1/admin/check/stats", none(), obj(), call(|h| async move { h.admin().check_stats().await.map(|_| ()) })),
        op("POST /api/v1/admin/check/{name}/dedup/trigger", none(), empty(204), call(|h| async move { h.admin().trigger_dedup_check("name").await })),
        op("POST /api/v1/admin/check/{name}/global/trigger", none(), empty(204), call(|h| async move { h.admin().trigger_global_check("name").await })),
        op("PUT /api/v1/admin/check/{name}/trigger", none(), empty(204), call(|h| async move { h.admin().trigger_check("name").await })),
        op("GET /api/v1/admin/index/status", none(), obj(), call(|h| async move { h.admin().index_status().await.map(|_| ()) })),
        op("POST /api/v1/admin/index/{name}/rebuild", none(), empty(204), call(|h| async move { h.admin().rebuild_index("name").await })),
        op("POST /api/v1/admin/index/{name}/reindex", none(), empty(204), call(|h| async move { h.admin().reindex("name").await })),
        op("PUT /api/v1/admin/log/set/{packageName}/{level}", none(), empty(204), call(|h| async move {
            h.admin().set_log_level("packageName", "level").await
        })),
        op("POST /api/v1/admin/schema/info/{schemaName}", none(), obj(), call(|h| async move {
            h.admin().schema_info("schemaName", Some("Case"), None).await.map(|_| ())
        }))
        .query(&[("select", "Case")]),
        op("POST /api/v1/admin/schema/repair/{schemaName}", none(), obj(), call(|h| async move {
            h.admin().repair_schema("schemaName", None, Some("x")).await.map(|_| ())
        }))
        .query(&[("filter", "x")]),
        op("GET /api/v1/admin/stats", none(), obj(), call(|h| async move { h.admin().stats().await.map(|_| ()) })),
        op("GET /api/v1/describe/_all", none(), js(200, json!({"alert": crate::support::fixture_json("describe_alert.json")})), call(|h| async move {
            assert!(h.describe().all().await?.contains_key("alert"));
            Ok(())
        })),
        op("GET /api/v1/describe/{model}", none(), fx(200, "describe_alert.json"), call(|h| async move { h.describe().model("model").await.map(|_| ()) })),
        op("GET /api/v1/config/user", none(), js(200, json!({})), call(|h| async move { h.user_config().all(Some("ui")).await.map(|_| ()) }))
            .query(&[("path", "ui")]),
        op("GET /api/v1/config/user/{path}", none(), js(200, json!({"path": "p", "value": 1})), call(|h| async move {
            h.user_config().get("path").await.map(|_| ())
        })),
        op("PUT /api/v1/config/user/{path}", j(json!({"value": 25})), js(200, json!({"path": "p", "value": 25})), call(|h| async move {
            h.user_config().set("path", &json!(25)).await.map(|_| ())
        })),
        op("GET /api/v1/flow", none(), js(200, json!([])), call(|h| async move { h.audit().flow(Some("~1"), Some(10)).await.map(|_| ()) }))
            .query(&[("rootId", "~1"), ("count", "10")]),
        op("POST /api/v1/stream", none(), Reply::Text(200, "aZ3kP0\n"), call(|h| async move {
            assert_eq!(h.audit().open_stream().await?, "aZ3kP0");
            Ok(())
        })),
        op("GET /api/v1/stream/{streamId}", none(), js(200, json!([])), call(|h| async move { h.audit().next_events("streamId").await.map(|_| ()) })),
        op("GET /api/v1/auth/local/passwordPolicy", none(), obj(), call(|h| async move { h.auth().password_policy().await.map(|_| ()) })),
        op("GET /api/v1/auth/totp/get", none(), js(200, json!({"secret": "S", "uri": "otpauth://"})), call(|h| async move { h.auth().totp_secret().await.map(|_| ()) })),
        op("POST /api/v1/auth/totp/set", j(json!({"code": "123456", "secret": "TOTP-SECRET"})), empty(204), call(|h| async move {
            h.auth().totp_set(&secret("TOTP-SECRET"), "123456").await
        })),
        op("POST /api/v1/auth/totp/unset", none(), empty(204), call(|h| async move { h.auth().totp_unset().await })),
        op("POST /api/v1/auth/totp/unset/{user}", none(), empty(204), call(|h| async move { h.auth().totp_unset_for("user").await })),
        op("POST /api/v1/login", j(json!({"user": "analyst@soc.example", "password": "pw"})), fx(200, "user.json"), call(|h| async move {
            h.auth().login("analyst@soc.example", &secret("pw"), None).await.map(|_| ())
        })),
        op("POST /api/v1/logout", none(), empty(200), call(|h| async move { h.auth().logout().await })),
        op(
            "POST /api/v1/case/{caseId}/report",
            j(json!({"caseReportTemplateId": "~rt", "format": "pdf"})),
            js(201, json!({"_id": "~r1"})),
            call(|h| async move { h.case_reports().generate(&"caseId".into(), "~rt", "pdf").await.map(|_| ()) }),
        ),
        op("POST /api/v1/case/{caseId}/report/upload", mp(&["name=\"file\"; filename=\"report.pdf\""]), js(201, json!({"_id": "~r1"})), call(|h| async move {
            h.case_reports().upload(&"caseId".into(), &file("report.pdf", b"%PDF")).await.map(|_| ())
        })),
        op("GET /api/v1/caseReport/formats", none(), js(200, json!(["pdf", "html"])), call(|h| async move { h.case_reports().formats().await.map(|_| ()) })),
        op("GET /api/v1/caseReport/render", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.case_reports().render(&"~1".into(), "~rt", "pdf", &mut w))
        }))
        .query(&[("format", "pdf"), ("caseReportTemplateId", "~rt"), ("caseId", "~1")]),
        op("POST /api/v1/caseReport/render", j(json!({"format": "html"})), bytes_reply(), call(|h| async move {
            downloads!(w => h.case_reports().render_with(&json!({"format": "html"}), &mut w))
        })),
        op("DELETE /api/v1/caseReport/{reportId}", none(), empty(204), call(|h| async move { h.case_reports().delete("reportId").await })),
        op("PATCH /api/v1/caseReport/{reportId}", mp(&["name=\"file\"; filename=\"v2.pdf\""]), empty(204), call(|h| async move {
            h.case_reports().replace("reportId", &file("v2.pdf", b"%PDF")).await
        })),
        op("GET /api/v1/caseReport/{reportId}/download", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.case_reports().download("reportId", &mut w))
        })),
        op("GET /api/v1/caseReport/{reportId}/view", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.case_reports().view("reportId", &mut w))
        })),
        op("GET /api/v1/export", none(), bytes_reply(), call(|h| async move {
            downloads!(w => h.export().run(&Query::new("listCase"), &json!({"format": "csv"}), &mut w))
        }))
        .query(&[("query", "[{\"_name\":\"listCase\"}]"), ("options", "{\"format\":\"csv\"}")]),
        op("GET /api/v1/export/_fields", none(), js(200, json!({"case": []})), call(|h| async move { h.export().fields().await.map(|_| ()) })),
    ]
}

pub(crate) fn record_ops() -> Vec<Op> {
    vec![
        op(
            "POST /api/v1/dashboard",
            j(json!({"title": "SOC", "description": "d", "status": "Shared", "definition": {}})),
            fx(201, "dashboard.json"),
            call(|h| async move {
                h.dashboards().create(&json!({"title": "SOC", "description": "d", "status": "Shared", "definition": {}})).await.map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/dashboard/{dashboardId}",
            none(),
            empty(204),
            call(|h| async move { h.dashboards().delete("dashboardId").await }),
        ),
        op(
            "GET /api/v1/dashboard/{dashboardId}",
            none(),
            fx(200, "dashboard.json"),
            call(|h| async move { h.dashboards().get("dashboardId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/dashboard/{dashboardId}",
            j(json!({"title": "SOC KPIs"})),
            empty(204),
            call(|h| async move {
                h.dashboards()
                    .update("dashboardId", &json!({"title": "SOC KPIs"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/dashboard/{dashboardId}/owner",
            j(json!({"user": "lead@soc.example"})),
            empty(204),
            call(|h| async move {
                h.dashboards()
                    .change_owner("dashboardId", "lead@soc.example")
                    .await
            }),
        ),
        op(
            "POST /api/v1/views",
            j(json!({"name": "mine", "entity": "case"})),
            js(201, json!({"_id": "~v"})),
            call(|h| async move {
                h.views()
                    .create(&json!({"name": "mine", "entity": "case"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/views/{viewsId}",
            none(),
            empty(204),
            call(|h| async move { h.views().delete("viewsId").await }),
        ),
        op(
            "GET /api/v1/views/{viewsId}",
            none(),
            js(200, json!({"_id": "~v", "name": "mine"})),
            call(|h| async move { h.views().get("viewsId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/views/{viewsId}",
            j(json!({"isShared": true})),
            empty(204),
            call(|h| async move {
                h.views()
                    .update("viewsId", &json!({"isShared": true}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/function",
            j(json!({"name": "f", "definition": "function handle(){}"})),
            fx(201, "function.json"),
            call(|h| async move {
                h.functions()
                    .create(&json!({"name": "f", "definition": "function handle(){}"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/v1/function/_context/documentation",
            none(),
            js(200, json!({"context": {}})),
            call(|h| async move { h.functions().context_documentation().await.map(|_| ()) }),
        ),
        op(
            "POST /api/v1/function/_test",
            j(json!({"definition": "x"})),
            js(200, json!({"result": 1})),
            call(|h| async move {
                h.functions()
                    .test(&json!({"definition": "x"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/function/{functionId}",
            none(),
            empty(204),
            call(|h| async move { h.functions().delete("functionId").await }),
        ),
        op(
            "GET /api/v1/function/{functionId}",
            none(),
            fx(200, "function.json"),
            call(|h| async move { h.functions().get("functionId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/function/{functionId}",
            j(json!({"mode": "Disabled"})),
            empty(204),
            call(|h| async move {
                h.functions()
                    .update("functionId", &json!({"mode": "Disabled"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/function/{function}",
            j(json!({"alert": 1})),
            js(200, json!({"output": 1})),
            call(|h| async move {
                h.functions()
                    .invoke("function", &json!({"alert": 1}), true)
                    .await
                    .map(|_| ())
            }),
        )
        .query(&[("dryRun", "true")]),
        op(
            "POST /api/v1/function/{function}/{objectType}/{objectIdOrName}",
            none(),
            js(200, json!({"output": 1})),
            call(|h| async move {
                h.functions()
                    .invoke_on("function", "objectType", "objectIdOrName", false, true)
                    .await
                    .map(|_| ())
            }),
        )
        .query(&[("sync", "true")]),
        op(
            "DELETE /api/v1/tag/{tagId}",
            none(),
            empty(204),
            call(|h| async move { h.tags().delete("tagId").await }),
        ),
        op(
            "GET /api/v1/tag/{tagId}",
            none(),
            fx(200, "tag.json"),
            call(|h| async move { h.tags().get("tagId").await.map(|_| ()) }),
        ),
        op(
            "PATCH /api/v1/tag/{tagId}",
            j(json!({"colour": "#00FF00"})),
            empty(204),
            call(|h| async move {
                h.tags()
                    .update("tagId", &json!({"colour": "#00FF00"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/taxonomy",
            j(json!({"namespace": "soc", "description": "d", "version": 1})),
            fx(201, "taxonomy.json"),
            call(|h| async move {
                h.taxonomies()
                    .create(&json!({"namespace": "soc", "description": "d", "version": 1}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/v1/taxonomy/import-zip",
            mp(&["name=\"file\"; filename=\"taxonomies.zip\""]),
            fx(201, "taxonomy_import_result.json"),
            call(|h| async move {
                h.taxonomies()
                    .import_zip(&file("taxonomies.zip", b"PK"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/taxonomy/{taxonomyId}",
            none(),
            empty(204),
            call(|h| async move { h.taxonomies().delete("taxonomyId").await }),
        ),
        op(
            "GET /api/v1/taxonomy/{taxonomyId}",
            none(),
            fx(200, "taxonomy.json"),
            call(|h| async move { h.taxonomies().get("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "PUT /api/v1/taxonomy/{taxonomyId}/activate",
            none(),
            empty(204),
            call(|h| async move { h.taxonomies().activate("taxonomyId").await }),
        ),
        op(
            "PUT /api/v1/taxonomy/{taxonomyId}/deactivate",
            none(),
            empty(204),
            call(|h| async move { h.taxonomies().deactivate("taxonomyId").await }),
        ),
        op(
            "POST /api/v1/catalog",
            j(json!({"name": "enterprise-attack"})),
            js(201, json!({"_id": "~c"})),
            call(|h| async move {
                h.catalogs()
                    .create(&json!({"name": "enterprise-attack"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/catalog/{catalogId}",
            none(),
            empty(204),
            call(|h| async move { h.catalogs().delete("catalogId").await }),
        ),
        op(
            "PATCH /api/v1/catalog/{catalogId}",
            j(json!({"name": "ics-attack"})),
            empty(204),
            call(|h| async move {
                h.catalogs()
                    .update("catalogId", &json!({"name": "ics-attack"}))
                    .await
            }),
        ),
        op(
            "POST /api/v1/pattern/import/attack",
            mp(&[
                "name=\"_json\"\r\n\r\n{\"catalog\":\"enterprise-attack\"}",
                "name=\"file\"; filename=\"enterprise-attack.json\"",
            ]),
            js(201, json!({"imported": 1})),
            call(|h| async move {
                h.patterns()
                    .import_attack("enterprise-attack", &file("enterprise-attack.json", b"{}"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/v1/pattern/{patternId}",
            none(),
            empty(204),
            call(|h| async move { h.patterns().delete("patternId").await }),
        ),
        op(
            "GET /api/v1/pattern/{patternId}",
            none(),
            fx(200, "pattern.json"),
            call(|h| async move { h.patterns().get("patternId").await.map(|_| ()) }),
        ),
    ]
}

/// Query API calls: each area's `find`, `count` and query-based `get`.
pub(crate) fn query_ops() -> Vec<Op> {
    let q = |name: &'static str| {
        op(
            "POST /api/v1/query",
            none(),
            js(200, json!([])),
            call(|_| async { Ok(()) }),
        )
        .query(&[("name", name)])
    };
    let with = |mut o: Op, body: Value, reply: Reply, c: crate::support::Call| {
        o.body = Body::Json(body);
        o.reply = reply;
        o.call = c;
        o
    };
    vec![
        with(
            q("alerts"),
            json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_gte": {"_field": "severity", "_value": 3}}, {"_name": "sort", "_fields": [{"date": "desc"}]}, {"_name": "page", "from": 0, "to": 10}]}),
            fx(200, "alert_list.json"),
            call(|h| async move {
                let s = Search::new()
                    .filter(Filter::gte("severity", 3))
                    .sort(Sort::desc("date"))
                    .page(0, 10);
                assert_eq!(h.alerts().find(&s).await?.len(), 2);
                Ok(())
            }),
        ),
        with(
            q("alerts.count"),
            json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_eq": {"_field": "stage", "_value": "New"}}, {"_name": "count"}]}),
            js(200, json!(42)),
            call(|h| async move {
                assert_eq!(
                    h.alerts()
                        .count(&Search::new().filter(Filter::eq("stage", "New")))
                        .await?,
                    42
                );
                Ok(())
            }),
        ),
        with(
            q("case-observables"),
            json!({"query": [{"_name": "getCase", "idOrName": "~9"}, {"_name": "observables"}]}),
            js(
                200,
                json!([crate::support::fixture_json("observable.json")]),
            ),
            call(|h| async move {
                assert_eq!(
                    h.cases()
                        .find_observables(&"~9".into(), &Search::new())
                        .await?
                        .len(),
                    1
                );
                Ok(())
            }),
        ),
        with(
            q("case-task-logs"),
            json!({"query": [{"_name": "getTask", "idOrName": "~t"}, {"_name": "logs"}]}),
            js(200, json!([])),
            call(|h| async move {
                h.tasks()
                    .find_logs(&"~t".into(), &Search::new())
                    .await
                    .map(|_| ())
            }),
        ),
        with(
            q("comment"),
            json!({"query": [{"_name": "getComment", "idOrName": "~c"}]}),
            js(200, crate::support::fixture_json("comment.json")),
            call(|h| async move { h.comments().get(&"~c".into()).await.map(|_| ()) }),
        ),
        with(
            q("log"),
            json!({"query": [{"_name": "getLog", "idOrName": "~missing"}]}),
            js(200, json!([])),
            call(|h| async move {
                let e = h.logs().get(&"~missing".into()).await.unwrap_err();
                assert!(e.is_not_found(), "{e}");
                assert_eq!(e.to_string(), "log ~missing not found");
                Ok(())
            }),
        ),
        with(
            q("analyzer-jobs"),
            json!({"query": [{"_name": "listJob"}, {"_name": "filter", "_eq": {"_field": "status", "_value": "Success"}}]}),
            js(
                200,
                json!([crate::support::fixture_json("analyzer_job.json")]),
            ),
            call(|h| async move {
                h.cortex()
                    .find(&Search::new().filter(Filter::eq("status", "Success")))
                    .await
                    .map(|_| ())
            }),
        ),
        with(
            q("users"),
            json!({"query": [{"_name": "listUser"}, {"_name": "page", "from": 0, "to": 100, "extraData": ["organisations"]}]}),
            js(200, json!([crate::support::fixture_json("user.json")])),
            call(|h| async move {
                h.users()
                    .find(&Search::new().page(0, 100).extra_data(["organisations"]))
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

#[tokio::test]
async fn alerts() {
    run(alert_ops()).await;
}

#[tokio::test]
async fn cases() {
    run(case_ops()).await;
}

#[tokio::test]
async fn shares() {
    run(share_ops()).await;
}

#[tokio::test]
async fn observables_tasks_logs_comments() {
    run(observable_task_ops()).await;
}

#[tokio::test]
async fn procedures_templates_fields_statuses() {
    run(ttp_template_ops()).await;
}

#[tokio::test]
async fn users_organisations_profiles() {
    run(directory_ops()).await;
}

#[tokio::test]
async fn cortex_and_misp_connectors() {
    run(connector_ops()).await;
}

#[tokio::test]
async fn platform() {
    run(platform_ops()).await;
}

#[tokio::test]
async fn records() {
    run(record_ops()).await;
}

#[tokio::test]
async fn queries() {
    run(query_ops()).await;
}

/// Every operation the coverage table marks as covered is exercised above, and the table's
/// count is right.
#[test]
fn coverage_table_matches_the_tests() {
    let all = [
        alert_ops(),
        case_ops(),
        share_ops(),
        observable_task_ops(),
        ttp_template_ops(),
        directory_ops(),
        connector_ops(),
        platform_ops(),
        record_ops(),
        query_ops(),
    ];
    let tested: Vec<&str> = all.iter().flatten().map(|o| o.spec).collect();
    let covered = soc_testkit::check_coverage(include_str!("../../COVERAGE.md"), &tested, 288);
    assert!(covered >= 200, "{covered}");
}
