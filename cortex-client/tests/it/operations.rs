//! Every client-facing route of Cortex 4.1.0, checked for the exact request (method, path,
//! query, API key, body) and parsed from an answer in the server's shape.

use std::time::Duration;

use cortex_client::areas::JobFilter;
use cortex_client::model::{
    EnableWorker, InputOrganization, InputUser, JobInput, JobState, JobStatus, Report,
    ResponderInput,
};
use cortex_client::query::{ListOptions, Q};
use cortex_client::{FileUpload, SecretString};
use serde_json::{json, Value};

use crate::support::{call, fixture_json, op, run, Body, Op, Reply};

fn j(v: Value) -> Body {
    Body::Json(v)
}
fn none() -> Body {
    Body::None
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
fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

pub(crate) fn worker_ops() -> Vec<Op> {
    vec![
        op("GET /api/analyzer", none(), fx(200, "analyzer_list.json"), call(|c| async move {
            let l = c.analyzers().list(&ListOptions::all()).await?;
            assert!(!l.items.is_empty());
            Ok(())
        }))
        .query(&[("range", "all")]),
        op(
            "POST /api/analyzer/_search",
            j(json!({"query": {"_field": "dataTypeList", "_value": "ip"}})),
            fx(200, "analyzer_list.json"),
            call(|c| async move {
                let opts = ListOptions::new().range(0, 50).sort_asc("name");
                c.analyzers().search(&Q::eq("dataTypeList", "ip"), &opts).await.map(|_| ())
            }),
        )
        .query(&[("range", "0-50"), ("sort", "+name")]),
        op("GET /api/analyzer/:id", none(), fx(200, "analyzer.json"), call(|c| async move {
            let a = c.analyzers().get("id").await?;
            assert!(a.configuration.is_some(), "org admins see the configuration");
            Ok(())
        })),
        op("GET /api/analyzer/type/:dataType", none(), fx(200, "analyzer_list.json"), call(|c| async move {
            c.analyzers().for_data_type("dataType").await.map(|_| ())
        })),
        op(
            "POST /api/analyzer/:id/run",
            j(json!({"dataType": "ip", "data": "203.0.113.7", "tlp": 2, "message": "from alert det-4711", "parameters": {"days": 30}})),
            fx(200, "job_waiting.json"),
            call(|c| async move {
                let input = JobInput::new("ip", "203.0.113.7").tlp(2).message("from alert det-4711").parameter("days", 30);
                let job = c.analyzers().run("id", &input, true).await?;
                assert_eq!(job.status, JobStatus::Waiting);
                Ok(())
            }),
        )
        .query(&[("force", "1")]),
        op(
            "POST /api/analyzer/:id/run",
            Body::Multipart(vec![
                "name=\"_json\"\r\n\r\n{\"dataType\":\"file\",\"tlp\":1}".into(),
                "name=\"attachment\"; filename=\"invoice.pdf\"".into(),
                "%PDF-1.7".into(),
            ]),
            fx(200, "job_waiting.json"),
            call(|c| async move {
                let f = FileUpload::new("invoice.pdf", "application/pdf", &b"%PDF-1.7"[..]);
                c.analyzers().run_file("id", &JobInput::file().tlp(1), &f, false).await.map(|_| ())
            }),
        ),
        op("DELETE /api/analyzer/:id", none(), empty(204), call(|c| async move { c.analyzers().disable("id").await })),
        op("PATCH /api/analyzer/:id", j(json!({"jobCache": 60})), fx(200, "analyzer.json"), call(|c| async move {
            c.analyzers().update("id", &json!({"jobCache": 60})).await.map(|_| ())
        })),
        op("GET /api/analyzerdefinition", none(), fx(200, "analyzer_definitions.json"), call(|c| async move {
            assert!(!c.analyzers().definitions().await?.is_empty());
            Ok(())
        })),
        op("POST /api/analyzerdefinition/scan", none(), empty(204), call(|c| async move { c.analyzers().rescan().await })),
        op("GET /api/organization/analyzer", none(), fx(200, "analyzer_list.json"), call(|c| async move {
            c.analyzers().enabled(&ListOptions::new()).await.map(|_| ())
        })),
        op("GET /api/organization/analyzer/_search", j(json!({"query": {}})), fx(200, "analyzer_list.json"), call(|c| async move {
            c.analyzers().search_enabled(&Q::any(), &ListOptions::new()).await.map(|_| ())
        })),
        op(
            "POST /api/organization/analyzer/:analyzerId",
            j(json!({"name": "VirusTotal_GetReport_3_1", "configuration": {"key": "vt-key", "check_tlp": true, "max_tlp": 2}, "jobCache": 10})),
            Reply::Json(201, fixture_json("analyzer.json")),
            call(|c| async move {
                let mut cfg = serde_json::Map::new();
                cfg.insert("key".into(), "vt-key".into());
                cfg.insert("check_tlp".into(), true.into());
                cfg.insert("max_tlp".into(), 2.into());
                let mut e = EnableWorker::new("VirusTotal_GetReport_3_1", cfg);
                e.job_cache = Some(10);
                c.analyzers().enable("analyzerId", &e).await.map(|_| ())
            }),
        ),
        op("GET /api/analyzerconfig", none(), fx(200, "analyzer_config_list.json"), call(|c| async move {
            c.analyzers().configs().await.map(|_| ())
        })),
        op("GET /api/analyzerconfig/:analyzerConfigName", none(), fx(200, "analyzer_config.json"), call(|c| async move {
            c.analyzers().config("analyzerConfigName").await.map(|_| ())
        })),
        op(
            "PATCH /api/analyzerconfig/:analyzerConfigName",
            j(json!({"config": {"proxy_https": "http://proxy:3128"}})),
            fx(200, "analyzer_config.json"),
            call(|c| async move {
                c.analyzers().update_config("analyzerConfigName", &json!({"proxy_https": "http://proxy:3128"})).await.map(|_| ())
            }),
        ),
        op("GET /api/responder", none(), js(200, json!([fixture_json("responder.json")])), call(|c| async move {
            c.responders().list(&ListOptions::new()).await.map(|_| ())
        })),
        op("POST /api/responder/_search", j(json!({"query": {"_field": "name", "_value": "Mailer_1_0"}})), js(200, json!([fixture_json("responder.json")])), call(|c| async move {
            let r = c.responders().get_by_name("Mailer_1_0").await?;
            assert_eq!(r.name, "Mailer_1_0");
            Ok(())
        }))
        .query(&[("range", "0-1")]),
        op("GET /api/responder/:id", none(), fx(200, "responder.json"), call(|c| async move { c.responders().get("id").await.map(|_| ()) })),
        op("GET /api/responder/type/:dataType", none(), js(200, json!([fixture_json("responder.json")])), call(|c| async move {
            c.responders().for_data_type("dataType").await.map(|_| ())
        })),
        op(
            "POST /api/responder/:id/run",
            j(json!({"dataType": "thehive:case", "data": {"_id": "~41021568", "title": "Phish"}, "tlp": 2})),
            fx(200, "job_waiting.json"),
            call(|c| async move {
                let mut input = ResponderInput::new("thehive:case", json!({"_id": "~41021568", "title": "Phish"}));
                input.tlp = Some(2);
                c.responders().run("id", &input).await.map(|_| ())
            }),
        ),
        op("DELETE /api/responder/:id", none(), empty(204), call(|c| async move { c.responders().disable("id").await })),
        op("PATCH /api/responder/:id", j(json!({"rate": 10, "rateUnit": "Hour"})), fx(200, "responder.json"), call(|c| async move {
            c.responders().update("id", &json!({"rate": 10, "rateUnit": "Hour"})).await.map(|_| ())
        })),
        op("GET /api/responderdefinition", none(), fx(200, "responder_definitions.json"), call(|c| async move {
            c.responders().definitions().await.map(|_| ())
        })),
        op("POST /api/responderdefinition/scan", none(), empty(204), call(|c| async move { c.responders().rescan().await })),
        op("GET /api/organization/responder", none(), js(200, json!([])), call(|c| async move {
            c.responders().enabled(&ListOptions::all()).await.map(|_| ())
        }))
        .query(&[("range", "all")]),
        op("GET /api/organization/responder/_search", j(json!({"query": {"_field": "name", "_value": "Mailer_1_0"}})), js(200, json!([])), call(|c| async move {
            c.responders().search_enabled(&Q::eq("name", "Mailer_1_0"), &ListOptions::new()).await.map(|_| ())
        })),
        op(
            "POST /api/organization/responder/:responderId",
            j(json!({"name": "Mailer_1_0", "configuration": {"from": "soc@soc.example"}})),
            Reply::Json(201, fixture_json("responder.json")),
            call(|c| async move {
                let mut cfg = serde_json::Map::new();
                cfg.insert("from".into(), "soc@soc.example".into());
                c.responders().enable("responderId", &EnableWorker::new("Mailer_1_0", cfg)).await.map(|_| ())
            }),
        ),
        op("GET /api/responderconfig", none(), fx(200, "analyzer_config_list.json"), call(|c| async move { c.responders().configs().await.map(|_| ()) })),
        op("GET /api/responderconfig/:responderConfigName", none(), fx(200, "analyzer_config.json"), call(|c| async move {
            c.responders().config("responderConfigName").await.map(|_| ())
        })),
        op("PATCH /api/responderconfig/:responderConfigName", j(json!({"config": {}})), fx(200, "analyzer_config.json"), call(|c| async move {
            c.responders().update_config("responderConfigName", &json!({})).await.map(|_| ())
        })),
    ]
}

pub(crate) fn job_ops() -> Vec<Op> {
    vec![
        op("GET /api/job", none(), fx(200, "job_list.json"), call(|c| async move {
            let f = JobFilter { data_type: Some("ip".into()), data: None, analyzer: Some("VirusTotal_GetReport_3_1".into()) };
            let l = c.jobs().list(&f, &ListOptions::new().range(0, 20)).await?;
            assert!(!l.items.is_empty());
            Ok(())
        }))
        .query(&[("range", "0-20"), ("dataTypeFilter", "ip"), ("analyzerFilter", "VirusTotal_GetReport_3_1")]),
        op(
            "POST /api/job/_search",
            j(json!({"query": {"_and": [{"_field": "status", "_value": "Success"}, {"_gte": {"createdAt": 1_764_000_000_000i64}}]}})),
            fx(200, "job_list.json"),
            call(|c| async move {
                let q = Q::and([Q::eq("status", "Success"), Q::gte("createdAt", 1_764_000_000_000i64)]);
                c.jobs().search(&q, &ListOptions::new().sort_desc("createdAt")).await.map(|_| ())
            }),
        )
        .query(&[("sort", "-createdAt")]),
        op("DELETE /api/job/:id", none(), empty(204), call(|c| async move { c.jobs().delete("id").await })),
        op("GET /api/job/:id", none(), fx(200, "job_waiting.json"), call(|c| async move {
            let j = c.jobs().get("id").await?;
            assert!(j.report.is_none());
            Ok(())
        })),
        op("GET /api/job/:id/report", none(), fx(200, "job_success_with_report.json"), call(|c| async move {
            let j = c.jobs().report("id").await?;
            assert!(matches!(j.report, Some(Report::Finished(_))));
            assert!(!j.taxonomies().is_empty());
            Ok(())
        })),
        op("GET /api/job/:id/waitreport", none(), fx(200, "job_inprogress_with_report.json"), call(|c| async move {
            let j = c.jobs().wait_report("id", Duration::from_secs(30)).await?;
            assert_eq!(j.report, Some(Report::Pending("Running".into())));
            Ok(())
        }))
        .query(&[("atMost", "30second")]),
        op("GET /api/job/:id/artifacts", none(), fx(200, "artifacts.json"), call(|c| async move {
            c.jobs().artifacts("id", &ListOptions::all()).await.map(|_| ())
        }))
        .query(&[("range", "all")]),
        op(
            "POST /api/job/status",
            j(json!({"jobIds": ["kX9mQ2rTbW4vLp7sYc1A", "pL6cA1xN9bM4sQ7eT0Ry", "nOtAr3alJobId0000000"]})),
            fx(200, "job_status.json"),
            call(|c| async move {
                let s = c.jobs().statuses(&["kX9mQ2rTbW4vLp7sYc1A", "pL6cA1xN9bM4sQ7eT0Ry", "nOtAr3alJobId0000000"]).await?;
                assert_eq!(s["kX9mQ2rTbW4vLp7sYc1A"], JobState::Status(JobStatus::Success));
                assert_eq!(s["nOtAr3alJobId0000000"], JobState::NotFound);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn directory_ops() -> Vec<Op> {
    vec![
        op(
            "GET /api/user/current",
            none(),
            fx(200, "user.json"),
            call(|c| async move {
                let u = c.users().current().await?;
                assert_eq!(u.login(), "thehive@soc.example");
                Ok(())
            }),
        ),
        op(
            "GET /api/user",
            none(),
            fx(200, "user_list.json"),
            call(|c| async move { c.users().list(&ListOptions::all()).await.map(|_| ()) }),
        )
        .query(&[("range", "all")]),
        op(
            "POST /api/user/_search",
            j(json!({"query": {"_field": "status", "_value": "Locked"}})),
            fx(200, "user_list.json"),
            call(|c| async move {
                c.users()
                    .search(&Q::eq("status", "Locked"), &ListOptions::new())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/organization/user",
            none(),
            fx(200, "user_list.json"),
            call(|c| async move {
                c.users()
                    .in_my_organization(&ListOptions::new())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/organization/user/_search",
            j(json!({"query": {}})),
            fx(200, "user_list.json"),
            call(|c| async move {
                c.users()
                    .search_in_my_organization(&Q::any(), &ListOptions::new())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/organization/:organizationId/user",
            none(),
            fx(200, "user_list.json"),
            call(|c| async move {
                c.organizations()
                    .users("organizationId", &ListOptions::new())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/organization/:organizationId/user/_search",
            j(json!({"query": {"_in": {"_field": "roles", "_values": ["orgadmin"]}}})),
            fx(200, "user_list.json"),
            call(|c| async move {
                c.organizations()
                    .search_users(
                        "organizationId",
                        &Q::in_values("roles", ["orgadmin"]),
                        &ListOptions::new(),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/user",
            j(
                json!({"login": "thehive@soc.example", "name": "TheHive integration", "roles": ["read", "analyze"], "organization": "soc-example"}),
            ),
            Reply::Json(201, fixture_json("user.json")),
            call(|c| async move {
                let u = InputUser::new(
                    "thehive@soc.example",
                    "TheHive integration",
                    ["read", "analyze"],
                )
                .organization("soc-example");
                c.users().create(&u).await.map(|_| ())
            }),
        ),
        op(
            "GET /api/user/:userId",
            none(),
            fx(200, "user.json"),
            call(|c| async move { c.users().get("userId").await.map(|_| ()) }),
        ),
        op(
            "DELETE /api/user/:userId",
            none(),
            empty(204),
            call(|c| async move { c.users().delete("userId").await }),
        ),
        op(
            "PATCH /api/user/:userId",
            j(json!({"status": "Locked"})),
            fx(200, "user.json"),
            call(|c| async move { c.users().lock("userId").await.map(|_| ()) }),
        ),
        op(
            "POST /api/user/:userId/password/set",
            j(json!({"password": "pw-new"})),
            empty(204),
            call(|c| async move { c.users().set_password("userId", &secret("pw-new")).await }),
        ),
        op(
            "POST /api/user/:userId/password/change",
            j(json!({"currentPassword": "pw-old", "password": "pw-new"})),
            empty(204),
            call(|c| async move {
                c.users()
                    .change_password("userId", &secret("pw-old"), &secret("pw-new"))
                    .await
            }),
        ),
        op(
            "GET /api/user/:userId/key",
            none(),
            Reply::Text(200, "Zk3pQ9wE2rT7yU1iO5pA8sD4fG6hJ0kL"),
            call(|c| async move {
                let k = c.users().key("userId").await?;
                assert_eq!(
                    soc_http::ExposeSecret::expose_secret(&k),
                    "Zk3pQ9wE2rT7yU1iO5pA8sD4fG6hJ0kL"
                );
                Ok(())
            }),
        ),
        op(
            "DELETE /api/user/:userId/key",
            none(),
            empty(204),
            call(|c| async move { c.users().revoke_key("userId").await }),
        ),
        op(
            "POST /api/user/:userId/key/renew",
            none(),
            Reply::Text(200, "Nw8xC3vB6nM1qW4eR7tY0uI2oP5aS9dF"),
            call(|c| async move {
                let k = c.users().renew_key("userId").await?;
                assert_eq!(
                    soc_http::ExposeSecret::expose_secret(&k),
                    "Nw8xC3vB6nM1qW4eR7tY0uI2oP5aS9dF"
                );
                Ok(())
            }),
        ),
        op(
            "POST /api/user/:userId/key/set",
            j(json!({"key": "0123456789abcdef0123456789abcdef0123"})),
            Reply::Text(200, "0123456789abcdef0123456789abcdef0123"),
            call(|c| async move {
                c.users()
                    .set_key("userId", &secret("0123456789abcdef0123456789abcdef0123"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /api/organization",
            none(),
            fx(200, "organization_list.json"),
            call(|c| async move {
                let l = c.organizations().list(&ListOptions::all()).await?;
                assert_eq!(l.items[0].name, "cortex");
                Ok(())
            }),
        )
        .query(&[("range", "all")]),
        op(
            "POST /api/organization/_search",
            j(json!({"query": {"_field": "status", "_value": "Active"}})),
            fx(200, "organization_list.json"),
            call(|c| async move {
                c.organizations()
                    .search(&Q::eq("status", "Active"), &ListOptions::new())
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /api/organization/_stats",
            j(json!({"query": {}, "stats": [{"_agg": "count"}]})),
            fx(200, "organization_stats.json"),
            call(|c| async move {
                assert_eq!(c.organizations().count(&Q::any()).await?, 3);
                Ok(())
            }),
        ),
        op(
            "GET /api/organization/:id",
            none(),
            fx(200, "organization.json"),
            call(|c| async move { c.organizations().get("id").await.map(|_| ()) }),
        ),
        op(
            "POST /api/organization",
            j(
                json!({"name": "soc-example", "description": "Example SOC tenant", "status": "Active"}),
            ),
            Reply::Json(201, fixture_json("organization.json")),
            call(|c| async move {
                c.organizations()
                    .create(&InputOrganization::new("soc-example", "Example SOC tenant"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PATCH /api/organization/:id",
            j(json!({"description": "renamed"})),
            fx(200, "organization.json"),
            call(|c| async move {
                c.organizations()
                    .update("id", &json!({"description": "renamed"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/organization/:id",
            none(),
            empty(204),
            call(|c| async move { c.organizations().delete("id").await }),
        ),
    ]
}

pub(crate) fn platform_ops() -> Vec<Op> {
    vec![
        op(
            "GET /api/status",
            none(),
            fx(200, "status.json"),
            call(|c| async move {
                assert_eq!(c.status().await?.cortex_version(), Some("4.1.0-1"));
                Ok(())
            }),
        ),
        op(
            "GET /api/alert",
            none(),
            fx(200, "alerts.json"),
            call(|c| async move {
                assert_eq!(
                    c.platform().alerts().await?,
                    ["ObsoleteAnalyzers", "ObsoleteResponders"]
                );
                Ok(())
            }),
        ),
        op(
            "POST /api/login",
            j(json!({"user": "socadmin@soc.example", "password": "pw"})),
            fx(200, "login_user.json"),
            call(|c| async move {
                let v: Value = serde_json::to_value(
                    c.platform()
                        .login("socadmin@soc.example", &secret("pw"))
                        .await?,
                )
                .unwrap();
                assert_eq!(v["name"], "SOC Org Admin");
                Ok(())
            }),
        ),
        op(
            "GET /api/logout",
            none(),
            empty(200),
            call(|c| async move { c.platform().logout().await }),
        ),
        op(
            "POST /api/maintenance/migrate",
            j(json!({})),
            empty(204),
            call(|c| async move { c.platform().migrate().await }),
        ),
        op(
            "GET /api/list",
            none(),
            fx(200, "dblist_names.json"),
            call(|c| async move { c.platform().list_names().await.map(|_| ()) }),
        ),
        op(
            "GET /api/list/:listName",
            none(),
            fx(200, "dblist.json"),
            call(|c| async move { c.platform().list_items("listName").await.map(|_| ()) }),
        ),
        op(
            "POST /api/list/:listName",
            j(json!({"value": {"dataType": "ip", "data": "10.0.0.1"}})),
            js(200, json!("9a0364b9e99bb480dd25e1f0284c8555")),
            call(|c| async move {
                let id = c
                    .platform()
                    .add_list_item("listName", &json!({"dataType": "ip", "data": "10.0.0.1"}))
                    .await?;
                assert_eq!(id.as_deref(), Some("9a0364b9e99bb480dd25e1f0284c8555"));
                Ok(())
            }),
        ),
        op(
            "PATCH /api/list/:itemId",
            j(json!({"value": "x"})),
            js(200, json!("9dd4e461268c8034f5c8564e155c67a6")),
            call(|c| async move {
                c.platform()
                    .update_list_item("itemId", &json!("x"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /api/list/:itemId",
            none(),
            empty(204),
            call(|c| async move { c.platform().delete_list_item("itemId").await }),
        ),
        op(
            "POST /api/list/:listName/_exists",
            j(json!({"key": "data", "value": "10.0.0.1"})),
            js(200, json!({"found": true})),
            call(|c| async move {
                let v = c
                    .platform()
                    .list_item_exists("listName", "data", &json!("10.0.0.1"))
                    .await?;
                assert_eq!(v["found"], true);
                Ok(())
            }),
        ),
        op(
            "POST /api/stream",
            none(),
            Reply::Text(200, "aB3dE5fG7h"),
            call(|c| async move {
                assert_eq!(c.platform().open_stream().await?, "aB3dE5fG7h");
                Ok(())
            }),
        ),
        op(
            "GET /api/stream/status",
            none(),
            js(200, json!({"remaining": 0, "warning": true})),
            call(|c| async move { c.platform().stream_status().await.map(|_| ()) }),
        ),
        op(
            "GET /api/stream/:streamId",
            none(),
            fx(200, "stream_events.json"),
            call(|c| async move {
                assert!(!c.platform().next_events("streamId").await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "GET /api/datastore/:hash",
            none(),
            Reply::Text(200, "file-bytes"),
            call(|c| async move {
                let mut out = Vec::new();
                c.platform()
                    .download("hash", Some("sample.bin"), &mut out)
                    .await?;
                assert_eq!(out, b"file-bytes");
                Ok(())
            }),
        )
        .query(&[("name", "sample.bin")]),
        op(
            "GET /api/datastorezip/:hash",
            none(),
            Reply::Text(200, "zip-bytes"),
            call(|c| async move {
                let mut out = Vec::new();
                c.platform().download_zip("hash", None, &mut out).await?;
                assert_eq!(out, b"zip-bytes");
                Ok(())
            }),
        ),
        op(
            "GET /modules",
            none(),
            fx(200, "modules.json"),
            call(|c| async move { c.platform().misp_modules().await.map(|_| ()) }),
        ),
        op(
            "POST /query",
            j(json!({"module": "VirusTotal_GetReport_3_1", "ip-dst": "185.220.101.47"})),
            fx(200, "misp_query.json"),
            call(|c| async move {
                c.platform()
                    .misp_query(
                        &json!({"module": "VirusTotal_GetReport_3_1", "ip-dst": "185.220.101.47"}),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

#[tokio::test]
async fn analyzers_and_responders() {
    run(worker_ops()).await;
}

#[tokio::test]
async fn jobs() {
    run(job_ops()).await;
}

#[tokio::test]
async fn users_and_organizations() {
    run(directory_ops()).await;
}

#[tokio::test]
async fn platform() {
    run(platform_ops()).await;
}

#[test]
fn coverage_table_matches_the_tests() {
    let all = [worker_ops(), job_ops(), directory_ops(), platform_ops()];
    let tested: Vec<&str> = all.iter().flatten().map(|o| o.spec).collect();
    let covered = soc_testkit::check_coverage(include_str!("../../COVERAGE.md"), &tested, 85);
    assert_eq!(covered, 80, "every client-facing route");
}
