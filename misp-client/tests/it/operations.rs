//! Every operation of MISP's OpenAPI document (and the PyMISP routes beyond it), checked for
//! the exact request (method, path, query, API key, body) and parsed from an answer in the
//! server's shape.

use futures_util::TryStreamExt;
use misp_client::model::{Distribution, NewAttribute, NewEvent, NewObject, ThreatLevel};
use misp_client::search::{Controller, SearchFilter, Terms};
use misp_client::SecretString;
use serde_json::{json, Value};

use crate::support::{call, fixture_json, op, run, Body, Op, Reply};

/// The clear key in `auth_key_add.json`.
const RAW_KEY: &str = "Xq7cR2mVnB8sLk4TyW1aJ6pE3hUd0gFo5iQz9fPz";

fn j(v: Value) -> Body {
    Body::Json(v)
}
fn none() -> Body {
    Body::None
}
fn fx(status: u16, name: &'static str) -> Reply {
    Reply::Fixture(status, name)
}
fn js(status: u16, v: Value) -> Reply {
    Reply::Json(status, v)
}
/// MISP's answer to a successful action (`{"saved": true, "success": true, ...}`).
fn done(name: &str, url: &str) -> Reply {
    js(
        200,
        json!({"saved": true, "success": true, "name": name, "message": name, "url": url}),
    )
}
/// A list of one wrapped entity, from a fixture holding that entity.
fn list_of(name: &'static str) -> Reply {
    js(200, json!([fixture_json(name)]))
}

pub(crate) fn event_ops() -> Vec<Op> {
    vec![
        op(
            "POST /events/restSearch",
            j(json!({"tags": {"OR": ["tlp:amber"]}, "last": "7d", "returnFormat": "json"})),
            fx(200, "events_restsearch.json"),
            call(|m| async move {
                let f = SearchFilter::new()
                    .tags(Terms::any(["tlp:amber"]))
                    .last("7d");
                let events: Vec<_> = m.search().events(&f).await?.try_collect().await?;
                assert!(!events.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /events/add",
            j(json!({"Event": {
                "info": "Phishing wave against finance",
                "distribution": "0",
                "threat_level_id": "2",
                "Attribute": [{"type": "domain", "value": "login-example.test", "to_ids": true}],
                "Tag": [{"name": "tlp:amber"}]
            }})),
            fx(200, "event_add_response.json"),
            call(|m| async move {
                let e = NewEvent::new("Phishing wave against finance")
                    .distribution(Distribution::YourOrganisationOnly)
                    .threat_level(ThreatLevel::Medium)
                    .attribute(NewAttribute::new("domain", "login-example.test").to_ids(true))
                    .tag("tlp:amber");
                let got = m.events().add(&e).await?;
                assert!(!got.info.is_empty());
                Ok(())
            }),
        ),
        op(
            "PUT /events/edit/{eventId}",
            j(json!({"Event": {"info": "renamed"}})),
            fx(200, "event.json"),
            call(|m| async move {
                m.events()
                    .edit("eventId", &json!({"Event": {"info": "renamed"}}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /events/delete/{eventId}",
            none(),
            done("Event deleted.", "/events/delete/12"),
            call(|m| async move { m.events().delete("eventId").await.map(|_| ()) }),
        ),
        op(
            "GET /events",
            none(),
            fx(200, "event_index.json"),
            call(|m| async move {
                assert_eq!(m.events().list().await?.len(), 3);
                Ok(())
            }),
        ),
        op(
            "POST /events/index",
            j(json!({"eventinfo": "phish", "published": true})),
            fx(200, "search_index.json"),
            call(|m| async move {
                let l = m
                    .events()
                    .search_index(&json!({"eventinfo": "phish", "published": true}))
                    .await?;
                assert_eq!(l.len(), 2);
                Ok(())
            }),
        ),
        op(
            "GET /events/view/{eventId}",
            none(),
            fx(200, "event.json"),
            call(|m| async move {
                let e = m.events().get("eventId").await?;
                assert!(e.all_attributes().count() > 0);
                Ok(())
            }),
        ),
        op(
            "POST /events/publish/{eventId}",
            none(),
            done("Job queued", "/events/publish/12"),
            call(|m| async move { m.events().publish("eventId", false).await.map(|_| ()) }),
        ),
        op(
            "POST /events/unpublish/{eventId}",
            none(),
            done("Event unpublished.", "/events/unpublish/12"),
            call(|m| async move { m.events().unpublish("eventId").await.map(|_| ()) }),
        ),
        op(
            "POST /events/addTag/{eventId}/{tagId}/local:{local}",
            none(),
            fx(200, "tag_attach.json"),
            call(|m| async move {
                m.events()
                    .add_tag("eventId", "tagId", true)
                    .await
                    .map(|_| ())
            }),
        )
        .at("/events/addTag/eventId/tagId/local:1"),
        op(
            "POST /events/removeTag/{eventId}/{tagId}",
            none(),
            done("Tag removed.", "/events/removeTag/12/3"),
            call(|m| async move { m.events().remove_tag("eventId", "tagId").await.map(|_| ()) }),
        ),
        // Beyond the spec: PyMISP's routes.
        op(
            "POST /events/alert/{eventId}",
            none(),
            done("Job queued", "/events/alert/12"),
            call(|m| async move { m.events().publish("eventId", true).await.map(|_| ()) }),
        ),
        op(
            "POST /events/freeTextImport/{eventId}",
            j(json!({"value": "198.51.100.7 evil.example.test", "adhereToWarninglists": true})),
            fx(200, "freetext_import_response.json"),
            call(|m| async move {
                m.events()
                    .freetext("eventId", "198.51.100.7 evil.example.test", true)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /events/enrichEvent/{eventId}",
            j(json!({"dns": true, "virustotal_public": true})),
            done(
                "Enrichment task queued for background processing.",
                "/events/enrichEvent/12",
            ),
            call(|m| async move {
                m.events()
                    .enrich("eventId", &["dns", "virustotal_public"])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /eventDelegations",
            none(),
            fx(200, "event_delegations.json"),
            call(|m| async move {
                assert_eq!(m.events().delegations().await?.len(), 1);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn attribute_ops() -> Vec<Op> {
    vec![
        op(
            "POST /attributes/restSearch",
            j(
                json!({"type": {"OR": ["ip-dst", "domain"], "NOT": ["md5"]}, "to_ids": true, "returnFormat": "json"}),
            ),
            fx(200, "attributes_restsearch.json"),
            call(|m| async move {
                let f = SearchFilter::new()
                    .types(Terms::any(["ip-dst", "domain"]).excluding(["md5"]))
                    .to_ids(true);
                let attrs: Vec<_> = m.search().attributes(&f).await?.try_collect().await?;
                assert!(!attrs.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /attributes/add/{eventId}",
            j(
                json!({"type": "ip-dst", "value": "198.51.100.7", "category": "Network activity", "to_ids": true, "comment": "C2"}),
            ),
            fx(200, "attribute.json"),
            call(|m| async move {
                let a = NewAttribute::new("ip-dst", "198.51.100.7")
                    .category("Network activity")
                    .to_ids(true)
                    .comment("C2");
                m.attributes().add("eventId", &a).await.map(|_| ())
            }),
        ),
        op(
            "PUT /attributes/edit/{attributeId}",
            j(json!({"comment": "confirmed C2", "to_ids": false})),
            fx(200, "attribute.json"),
            call(|m| async move {
                let fields = json!({"comment": "confirmed C2", "to_ids": false});
                m.attributes()
                    .edit("attributeId", &fields)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /attributes/delete/{attributeId}",
            j(json!({"hard": 1})),
            js(200, json!({"message": "Attribute deleted."})),
            call(|m| async move { m.attributes().delete("attributeId", true).await.map(|_| ()) }),
        ),
        op(
            "POST /attributes/restore/{attributeId}",
            none(),
            fx(200, "attribute.json"),
            call(|m| async move { m.attributes().restore("attributeId").await.map(|_| ()) }),
        ),
        op(
            "POST /attributes/addTag/{attributeId}/{tagId}/local:{local}",
            none(),
            fx(200, "tag_attach.json"),
            call(|m| async move {
                m.attributes()
                    .add_tag("attributeId", "tagId", false)
                    .await
                    .map(|_| ())
            }),
        )
        .at("/attributes/addTag/attributeId/tagId/local:0"),
        op(
            "POST /attributes/removeTag/{attributeId}/{tagId}",
            none(),
            done("Tag removed.", "/attributes/removeTag/41/3"),
            call(|m| async move {
                m.attributes()
                    .remove_tag("attributeId", "tagId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /attributes",
            none(),
            list_of("attribute.json"),
            call(|m| async move {
                assert_eq!(m.attributes().list().await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /attributes/view/{attributeId}",
            none(),
            fx(200, "attribute.json"),
            call(|m| async move { m.attributes().get("attributeId").await.map(|_| ()) }),
        ),
        op(
            "GET /attributes/attributeStatistics/{context}/{percentage}",
            none(),
            fx(200, "statistics_attributes.json"),
            call(|m| async move { m.attributes().statistics("type", true).await.map(|_| ()) }),
        )
        .at("/attributes/attributeStatistics/type/1"),
        op(
            "GET /attributes/describeTypes",
            none(),
            fx(200, "describe_types.json"),
            call(|m| async move {
                let t = m.attributes().describe_types().await?;
                assert!(t.get("types").is_some(), "the `result` wrapper is removed");
                Ok(())
            }),
        ),
        // Beyond the spec.
        op(
            "POST /shadowAttributes/add/{eventId}",
            j(json!({"type": "domain", "value": "cdn.example.test"})),
            fx(200, "shadow_attribute.json"),
            call(|m| async move {
                m.attributes()
                    .propose("eventId", &NewAttribute::new("domain", "cdn.example.test"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /shadowAttributes/accept/{id}",
            none(),
            done("Proposal accepted", "/shadowAttributes/accept/3"),
            call(|m| async move { m.attributes().accept_proposal("id").await.map(|_| ()) }),
        ),
    ]
}

pub(crate) fn object_ops() -> Vec<Op> {
    vec![
        op(
            "POST /objects/restsearch",
            j(json!({"eventid": "12", "returnFormat": "json"})),
            fx(200, "objects_restsearch.json"),
            call(|m| async move {
                let f = SearchFilter::new().param("eventid", "12");
                let objects: Vec<_> = m.search().objects(&f).await?.try_collect().await?;
                assert!(!objects.is_empty());
                Ok(())
            }),
        ),
        op(
            "POST /objects/add/{eventId}/{objectTemplateId}",
            j(json!({"Object": {
                "name": "domain-ip",
                "Attribute": [
                    {"type": "domain", "value": "evil.example.test", "object_relation": "domain"},
                    {"type": "ip-dst", "value": "198.51.100.7", "object_relation": "ip"}
                ]
            }})),
            fx(200, "object.json"),
            call(|m| async move {
                let o = NewObject::new(
                    "domain-ip",
                    vec![
                        NewAttribute::new("domain", "evil.example.test").relation("domain"),
                        NewAttribute::new("ip-dst", "198.51.100.7").relation("ip"),
                    ],
                );
                m.objects()
                    .add("eventId", "objectTemplateId", &o)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /objects/view/{objectId}",
            none(),
            fx(200, "object.json"),
            call(|m| async move { m.objects().get("objectId").await.map(|_| ()) }),
        ),
        op(
            "DELETE /objects/delete/{objectId}/{hardDelete}",
            none(),
            done("Object deleted", "/objects/delete/7/1"),
            call(|m| async move { m.objects().delete("objectId", true).await.map(|_| ()) }),
        )
        .at("/objects/delete/objectId/1"),
        // Beyond the spec.
        op(
            "POST /objectReferences/add",
            j(
                json!({"object_uuid": "a", "referenced_uuid": "b", "relationship_type": "connects-to"}),
            ),
            fx(200, "object_reference_add.json"),
            call(|m| async move {
                m.objects()
                    .add_reference("a", "b", "connects-to")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /objectTemplates/index",
            none(),
            fx(200, "object_templates.json"),
            call(|m| async move {
                assert_eq!(m.objects().templates().await?.len(), 2);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn report_ops() -> Vec<Op> {
    vec![
        op(
            "GET /eventReports/view/{eventReportId}",
            none(),
            fx(200, "event_report.json"),
            call(|m| async move { m.event_reports().get("eventReportId").await.map(|_| ()) }),
        ),
        op(
            "POST /eventReports/add/{eventId}",
            j(json!({"name": "Initial triage", "content": "# Triage\n", "distribution": 5})),
            fx(200, "event_report.json"),
            call(|m| async move {
                let r =
                    json!({"name": "Initial triage", "content": "# Triage\n", "distribution": 5});
                m.event_reports().add("eventId", &r).await.map(|_| ())
            }),
        ),
        op(
            "POST /eventReports/edit/{eventReportId}",
            j(json!({"content": "# Triage\nDone.\n"})),
            fx(200, "event_report.json"),
            call(|m| async move {
                m.event_reports()
                    .edit("eventReportId", &json!({"content": "# Triage\nDone.\n"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventReports/delete/{eventReportId}",
            none(),
            done("Event Report 3 deleted", "/eventReports/delete/3"),
            call(|m| async move {
                m.event_reports()
                    .delete("eventReportId", false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventReports/delete/{eventReportId}/{hardDelete}",
            none(),
            done("Event Report 3 hard deleted", "/eventReports/delete/3/1"),
            call(|m| async move {
                m.event_reports()
                    .delete("eventReportId", true)
                    .await
                    .map(|_| ())
            }),
        )
        .at("/eventReports/delete/eventReportId/1"),
        op(
            "POST /eventReports/restore/{eventReportId}",
            none(),
            done("Event Report 3 restored", "/eventReports/restore/3"),
            call(|m| async move { m.event_reports().restore("eventReportId").await.map(|_| ()) }),
        ),
        op(
            "GET /eventReports/index",
            none(),
            list_of("event_report.json"),
            call(|m| async move {
                assert_eq!(m.event_reports().list(None).await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "POST /eventReports/importReportFromUrl/{eventId}",
            j(json!({"url": "https://blog.example.test/report.html"})),
            fx(200, "event_report.json"),
            call(|m| async move {
                m.event_reports()
                    .import_from_url("eventId", "https://blog.example.test/report.html")
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

pub(crate) fn analyst_ops() -> Vec<Op> {
    vec![
        op(
            "POST /analystData/add/{analystType}/{analystObjectUUID}/{analystObjectType}",
            j(json!({"note": "Seen in two other campaigns", "language": "en"})),
            fx(200, "analyst_note.json"),
            call(|m| async move {
                let note = json!({"note": "Seen in two other campaigns", "language": "en"});
                m.analyst_data()
                    .add(
                        "analystType",
                        "analystObjectUUID",
                        "analystObjectType",
                        &note,
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /analystData/edit/{analystType}/{analystDataID}",
            j(json!({"note": "Seen in three other campaigns"})),
            fx(200, "analyst_note.json"),
            call(|m| async move {
                let fields = json!({"note": "Seen in three other campaigns"});
                m.analyst_data()
                    .edit("analystType", "analystDataID", &fields)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /analystData/delete/{analystType}/{analystDataID}",
            none(),
            done("Note deleted.", "/analystData/delete/Note/4"),
            call(|m| async move {
                m.analyst_data()
                    .delete("analystType", "analystDataID")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /analystData/index/{analystType}",
            none(),
            list_of("analyst_opinion.json"),
            call(|m| async move {
                assert_eq!(m.analyst_data().list("analystType").await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /analystData/view/{analystType}/{analystDataID}",
            none(),
            fx(200, "analyst_relationship.json"),
            call(|m| async move {
                m.analyst_data()
                    .get("analystType", "analystDataID")
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

pub(crate) fn galaxy_ops() -> Vec<Op> {
    vec![
        op(
            "GET /galaxies",
            none(),
            fx(200, "galaxies_index.json"),
            call(|m| async move {
                assert_eq!(m.galaxies().list().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "POST /galaxies",
            j(json!({"value": "ransomware"})),
            fx(200, "galaxies_index.json"),
            call(|m| async move { m.galaxies().search("ransomware").await.map(|_| ()) }),
        ),
        op(
            "GET /galaxies/view/{galaxyId}",
            none(),
            fx(200, "galaxy.json"),
            call(|m| async move { m.galaxies().get("galaxyId").await.map(|_| ()) }),
        ),
        op(
            "POST /galaxies/update",
            none(),
            done("Galaxies updated.", "/galaxies/update"),
            call(|m| async move { m.galaxies().update().await.map(|_| ()) }),
        ),
        op(
            "DELETE /galaxies/delete/{galaxyId}",
            none(),
            done("Galaxy deleted", "/galaxies/delete/9"),
            call(|m| async move { m.galaxies().delete("galaxyId").await.map(|_| ()) }),
        ),
        op(
            "POST /galaxies/import",
            j(json!([{"GalaxyCluster": {"value": "Example cluster", "type": "tool"}}])),
            done(
                "Galaxy clusters imported. 1 imported, 0 ignored, 0 failed.",
                "/galaxies/import",
            ),
            call(|m| async move {
                let clusters =
                    json!([{"GalaxyCluster": {"value": "Example cluster", "type": "tool"}}]);
                m.galaxies().import(&clusters).await.map(|_| ())
            }),
        ),
        op(
            "POST /galaxies/export/{galaxyId}",
            j(
                json!({"Galaxy": {"default": true, "custom": false, "distribution": "3", "format": "misp"}}),
            ),
            list_of("galaxy_cluster.json"),
            call(|m| async move {
                let opts = json!({"Galaxy": {"default": true, "custom": false, "distribution": "3", "format": "misp"}});
                m.galaxies().export("galaxyId", &opts).await.map(|_| ())
            }),
        ),
        op(
            "POST /galaxies/attachCluster/{attachTargetId}/{attachTargetType}/local:{local}",
            j(json!({"Galaxy": {"target_id": "clusterId"}})),
            done(
                "Cluster attached.",
                "/galaxies/attachCluster/12/event/local:0",
            ),
            call(|m| async move {
                m.galaxies()
                    .attach_cluster("attachTargetId", "attachTargetType", "clusterId", false)
                    .await
                    .map(|_| ())
            }),
        )
        .at("/galaxies/attachCluster/attachTargetId/attachTargetType/local:0"),
        op(
            "POST /galaxy_clusters/add/{galaxyId}",
            j(json!({"GalaxyCluster": {"value": "Example cluster", "description": "tool"}})),
            fx(200, "galaxy_cluster.json"),
            call(|m| async move {
                let c =
                    json!({"GalaxyCluster": {"value": "Example cluster", "description": "tool"}});
                m.galaxies().add_cluster("galaxyId", &c).await.map(|_| ())
            }),
        ),
        op(
            "PUT /galaxy_clusters/edit/{galaxyClusterId}",
            j(json!({"GalaxyCluster": {"description": "updated"}})),
            fx(200, "galaxy_cluster.json"),
            call(|m| async move {
                let c = json!({"GalaxyCluster": {"description": "updated"}});
                m.galaxies()
                    .edit_cluster("galaxyClusterId", &c)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /galaxy_clusters/index/{galaxyId}",
            none(),
            list_of("galaxy_cluster.json"),
            call(|m| async move {
                assert_eq!(m.galaxies().clusters("galaxyId").await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "POST /galaxy_clusters/index/{galaxyId}",
            j(json!({"context": "all", "searchall": "emotet"})),
            list_of("galaxy_cluster.json"),
            call(|m| async move {
                let f = json!({"context": "all", "searchall": "emotet"});
                m.galaxies()
                    .search_clusters("galaxyId", &f)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /galaxy_clusters/view/{galaxyClusterId}",
            none(),
            fx(200, "galaxy_cluster.json"),
            call(|m| async move { m.galaxies().cluster("galaxyClusterId").await.map(|_| ()) }),
        ),
        op(
            "POST /galaxy_clusters/publish/{galaxyClusterId}",
            none(),
            done("GalaxyCluster published", "/galaxy_clusters/publish/5"),
            call(|m| async move {
                m.galaxies()
                    .publish_cluster("galaxyClusterId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_clusters/unpublish/{galaxyClusterId}",
            none(),
            done("GalaxyCluster unpublished", "/galaxy_clusters/unpublish/5"),
            call(|m| async move {
                m.galaxies()
                    .unpublish_cluster("galaxyClusterId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_clusters/delete/{galaxyClusterId}",
            j(json!({})),
            done("Galaxy cluster deleted", "/galaxy_clusters/delete/5"),
            call(|m| async move {
                m.galaxies()
                    .delete_cluster("galaxyClusterId", false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_clusters/restore/{galaxyClusterId}",
            none(),
            done("Galaxy cluster restored", "/galaxy_clusters/restore/5"),
            call(|m| async move {
                m.galaxies()
                    .restore_cluster("galaxyClusterId")
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

pub(crate) fn directory_ops() -> Vec<Op> {
    vec![
        op(
            "POST /users/initiatePasswordReset/{userId}/{firstTimeReset}",
            none(),
            done(
                "Password reset e-mail sent.",
                "/users/initiatePasswordReset/5",
            ),
            call(|m| async move {
                m.users()
                    .initiate_password_reset("userId", true)
                    .await
                    .map(|_| ())
            }),
        )
        .at("/users/initiatePasswordReset/userId/1"),
        op(
            "POST /admin/users/add",
            j(json!({"User": {"email": "analyst@example.test", "org_id": "1", "role_id": "3"}})),
            fx(200, "user.json"),
            call(|m| async move {
                let u = json!({"email": "analyst@example.test", "org_id": "1", "role_id": "3"});
                let user = m.users().add(&u).await?;
                assert!(!user.email.is_empty());
                Ok(())
            }),
        ),
        op(
            "PUT /admin/users/edit/{userId}",
            j(json!({"User": {"role_id": "2"}})),
            fx(200, "user.json"),
            call(|m| async move {
                m.users()
                    .edit("userId", &json!({"role_id": "2"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /admin/users/delete/{userId}",
            none(),
            done("User deleted.", "/admin/users/delete/5"),
            call(|m| async move { m.users().delete("userId").await.map(|_| ()) }),
        ),
        op(
            "GET /admin/users",
            none(),
            fx(200, "users_index.json"),
            call(|m| async move {
                assert_eq!(m.users().list().await?.len(), 3);
                Ok(())
            }),
        ),
        op(
            "GET /admin/users/view/{userId}",
            none(),
            fx(200, "user.json"),
            call(|m| async move { m.users().get("userId").await.map(|_| ()) }),
        ),
        op(
            "DELETE /users/totp_delete/{userId}",
            none(),
            done("User TOTP deleted.", "/users/totp_delete/5"),
            call(|m| async move { m.users().delete_totp("userId").await.map(|_| ()) }),
        ),
        op(
            "POST /admin/organisations/add",
            j(json!({"Organisation": {"name": "CERT-Example", "local": true}})),
            fx(200, "organisation.json"),
            call(|m| async move {
                m.organisations()
                    .add(&json!({"name": "CERT-Example", "local": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "PUT /admin/organisations/edit/{organisationId}",
            j(json!({"Organisation": {"sector": "Finance"}})),
            fx(200, "organisation.json"),
            call(|m| async move {
                m.organisations()
                    .edit("organisationId", &json!({"sector": "Finance"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /admin/organisations/delete/{organisationId}",
            none(),
            done("Organisation deleted", "/admin/organisations/delete/4"),
            call(|m| async move { m.organisations().delete("organisationId").await.map(|_| ()) }),
        ),
        op(
            "GET /organisations",
            none(),
            fx(200, "organisations_index.json"),
            call(|m| async move {
                assert_eq!(m.organisations().all().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "GET /organisations/view/{organisationId}",
            none(),
            fx(200, "organisation.json"),
            call(|m| async move { m.organisations().get("organisationId").await.map(|_| ()) }),
        ),
        op(
            "POST /admin/logs",
            j(json!({"model": "Event", "action": "publish"})),
            fx(200, "logs.json"),
            call(|m| async move {
                m.search()
                    .logs(&json!({"model": "Event", "action": "publish"}))
                    .await
                    .map(|_| ())
            }),
        )
        .at("/admin/logs/index"),
        op(
            "GET /auth_keys",
            none(),
            fx(200, "auth_keys_index.json"),
            call(|m| async move {
                assert_eq!(m.users().auth_keys().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "POST /auth_keys",
            j(json!({"user_id": "5"})),
            fx(200, "auth_keys_index.json"),
            call(|m| async move {
                m.users()
                    .search_auth_keys(&json!({"user_id": "5"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /auth_keys/add/{userId}",
            j(json!({"comment": "soc automation"})),
            fx(200, "auth_key_add.json"),
            call(|m| async move {
                let k = m
                    .users()
                    .add_auth_key("userId", Some("soc automation"))
                    .await?;
                let shown = format!("{k:?}");
                assert!(k.authkey_raw.is_some(), "the clear key is kept, once");
                assert!(
                    shown.contains("[REDACTED]") && !shown.contains(RAW_KEY),
                    "{shown}"
                );
                Ok(())
            }),
        ),
        op(
            "GET /auth_keys/view/{authKeyId}",
            none(),
            fx(200, "auth_key_view.json"),
            call(|m| async move { m.users().auth_key("authKeyId").await.map(|_| ()) }),
        ),
        op(
            "POST /auth_keys/edit/{authKeyId}",
            j(json!({"AuthKey": {"read_only": true}})),
            fx(200, "auth_key_view.json"),
            call(|m| async move {
                m.users()
                    .edit_auth_key("authKeyId", &json!({"AuthKey": {"read_only": true}}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /auth_keys/delete/{authKeyId}",
            none(),
            done("AuthKey deleted.", "/auth_keys/delete/9"),
            call(|m| async move { m.users().delete_auth_key("authKeyId").await.map(|_| ()) }),
        ),
        op(
            "GET /user_settings",
            none(),
            fx(200, "user_settings_index.json"),
            call(|m| async move {
                assert_eq!(m.users().settings().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "POST /user_settings",
            j(json!({"setting": "publish_alert_filter"})),
            fx(200, "user_settings_index.json"),
            call(|m| async move {
                m.users()
                    .search_settings(&json!({"setting": "publish_alert_filter"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /user_settings/view/{userSettingId}",
            none(),
            fx(200, "user_setting.json"),
            call(|m| async move { m.users().setting_by_id("userSettingId").await.map(|_| ()) }),
        ),
        op(
            "POST /user_settings/setSetting/{userId}/{userSettingName}",
            j(json!({"value": {"AND": {"Tag.name": ["tlp:red"]}}})),
            fx(200, "user_setting.json"),
            call(|m| async move {
                let v = json!({"AND": {"Tag.name": ["tlp:red"]}});
                m.users()
                    .set_setting("userId", "userSettingName", &v)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /user_settings/getSetting/{userId}/{userSettingName}",
            none(),
            fx(200, "user_setting.json"),
            call(|m| async move {
                m.users()
                    .setting("userId", "userSettingName")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /user_settings/delete/{userSettingId}",
            none(),
            done("Setting deleted.", "/user_settings/delete/2"),
            call(|m| async move { m.users().delete_setting("userSettingId").await.map(|_| ()) }),
        ),
        op(
            "POST /sharing_groups/add",
            j(json!({"name": "Finance ISAC", "releasability": "Members only"})),
            fx(200, "sharing_group.json"),
            call(|m| async move {
                m.sharing_groups()
                    .add(&json!({"name": "Finance ISAC", "releasability": "Members only"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sharing_groups/edit/{sharingGroupId}",
            j(json!({"description": "Banks of the region"})),
            fx(200, "sharing_group.json"),
            call(|m| async move {
                m.sharing_groups()
                    .edit(
                        "sharingGroupId",
                        &json!({"description": "Banks of the region"}),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "DELETE /sharing_groups/delete/{sharingGroupId}",
            none(),
            done("SharingGroup deleted", "/sharing_groups/delete/2"),
            call(|m| async move {
                m.sharing_groups()
                    .delete("sharingGroupId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /sharing_groups",
            none(),
            fx(200, "sharing_groups_index.json"),
            call(|m| async move {
                assert!(!m.sharing_groups().list().await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "GET /sharing_groups/view/{sharingGroupId}",
            none(),
            fx(200, "sharing_group.json"),
            call(|m| async move { m.sharing_groups().get("sharingGroupId").await.map(|_| ()) }),
        ),
        op(
            "POST /sharing_groups/addOrg/{sharingGroupId}/{organisationId}",
            none(),
            done(
                "Organisation added to the sharing group.",
                "/sharing_groups/addOrg/2/4",
            ),
            call(|m| async move {
                m.sharing_groups()
                    .add_org("sharingGroupId", "organisationId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sharing_groups/removeOrg/{sharingGroupId}/{organisationId}",
            none(),
            done(
                "Organisation removed from the sharing group.",
                "/sharing_groups/removeOrg/2/4",
            ),
            call(|m| async move {
                m.sharing_groups()
                    .remove_org("sharingGroupId", "organisationId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sharing_groups/addServer/{sharingGroupId}/{serverId}",
            none(),
            done(
                "Server added to the sharing group.",
                "/sharing_groups/addServer/2/1",
            ),
            call(|m| async move {
                m.sharing_groups()
                    .add_server("sharingGroupId", "serverId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sharing_groups/removeServer/{sharingGroupServerId}/{serverId}",
            none(),
            done(
                "Server removed from the sharing group.",
                "/sharing_groups/removeServer/2/1",
            ),
            call(|m| async move {
                m.sharing_groups()
                    .remove_server("sharingGroupServerId", "serverId")
                    .await
                    .map(|_| ())
            }),
        ),
        // Beyond the spec.
        op(
            "GET /users/view/me",
            none(),
            fx(200, "user_me.json"),
            call(|m| async move { m.users().me().await.map(|_| ()) }),
        ),
        op(
            "POST /users/change_pw",
            j(json!({"password": "n3w-Passphrase-long-enough"})),
            done("Password Changed.", "/users/change_pw"),
            call(|m| async move {
                let p = SecretString::from("n3w-Passphrase-long-enough".to_owned());
                m.users().change_password(&p).await.map(|_| ())
            }),
        ),
        op(
            "GET /users/statistics/{context}",
            none(),
            fx(200, "user_statistics.json"),
            call(|m| async move { m.users().statistics("context").await.map(|_| ()) }),
        ),
        op(
            "GET /roles/index",
            none(),
            fx(200, "roles_index.json"),
            call(|m| async move {
                assert_eq!(m.roles().list().await?.len(), 3);
                Ok(())
            }),
        ),
        op(
            "GET /communities/index",
            none(),
            fx(200, "communities.json"),
            call(|m| async move {
                assert_eq!(m.communities().list().await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /eventBlocklists/index",
            none(),
            fx(200, "event_blocklists.json"),
            call(|m| async move {
                assert_eq!(m.blocklists().events().await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /orgBlocklists/index",
            none(),
            fx(200, "org_blocklists.json"),
            call(|m| async move {
                assert_eq!(m.blocklists().organisations().await?.len(), 1);
                Ok(())
            }),
        ),
    ]
}

pub(crate) fn server_ops() -> Vec<Op> {
    vec![
        op(
            "POST /servers/add",
            j(
                json!({"url": "https://misp.partner.example.test", "name": "partner", "remote_org_id": "4", "authkey": "k"}),
            ),
            list_of("servers_index.json"),
            call(|m| async move {
                let s = json!({"url": "https://misp.partner.example.test", "name": "partner", "remote_org_id": "4", "authkey": "k"});
                m.servers().add(&s).await.map(|_| ())
            }),
        ),
        op(
            "PUT /servers/edit/{serverId}",
            j(json!({"pull": true})),
            done("Server saved", "/servers/edit/1"),
            call(|m| async move {
                m.servers()
                    .edit("serverId", &json!({"pull": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /servers/delete/{serverId}",
            none(),
            done("Server deleted", "/servers/delete/1"),
            call(|m| async move { m.servers().delete("serverId").await.map(|_| ()) }),
        ),
        op(
            "GET /servers",
            none(),
            fx(200, "servers_index.json"),
            call(|m| async move {
                assert_eq!(m.servers().list().await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /servers/pull/{serverId}/{pullTechnique}",
            none(),
            done(
                "Pull queued for background execution.",
                "/servers/pull/1/full",
            ),
            call(|m| async move {
                m.servers()
                    .pull("serverId", "pullTechnique")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /servers/push/{serverId}/{pushTechnique}",
            none(),
            done(
                "Push queued for background execution.",
                "/servers/push/1/full",
            ),
            call(|m| async move {
                m.servers()
                    .push("serverId", "pushTechnique")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /servers/getVersion",
            none(),
            fx(200, "get_version.json"),
            call(|m| async move {
                let v = m.admin().version().await?;
                assert!(v.get("version").is_some());
                Ok(())
            }),
        ),
        op(
            "GET /servers/getPyMISPVersion",
            none(),
            js(200, json!({"version": "2.5.34"})),
            call(|m| async move { m.admin().recommended_pymisp_version().await.map(|_| ()) }),
        ),
        op(
            "GET /servers/serverSettings",
            none(),
            fx(200, "db_schema_diagnostic.json"),
            call(|m| async move { m.admin().diagnostics().await.map(|_| ()) }),
        ),
        op(
            "GET /servers/getWorkers",
            none(),
            fx(200, "get_workers.json"),
            call(|m| async move { m.admin().workers().await.map(|_| ()) }),
        ),
        op(
            "POST /servers/startWorker/{workerType}",
            none(),
            done("Worker start signal sent", "/servers/startWorker/default"),
            call(|m| async move { m.admin().start_worker("workerType").await.map(|_| ()) }),
        ),
        op(
            "POST /servers/stopWorker/{workerPid}",
            none(),
            done("Worker stop signal sent", "/servers/stopWorker/4242"),
            call(|m| async move { m.admin().stop_worker("workerPid").await.map(|_| ()) }),
        ),
        op(
            "POST /servers/killAllWorkers",
            none(),
            done("Killing workers.", "/servers/killAllWorkers"),
            call(|m| async move { m.admin().kill_all_workers().await.map(|_| ()) }),
        ),
        op(
            "POST /servers/restartWorkers",
            none(),
            done("Restarting workers.", "/servers/restartWorkers"),
            call(|m| async move { m.admin().restart_workers().await.map(|_| ()) }),
        ),
        op(
            "POST /servers/restartDeadWorkers",
            none(),
            done("Restarting dead workers.", "/servers/restartDeadWorkers"),
            call(|m| async move { m.admin().restart_dead_workers().await.map(|_| ()) }),
        ),
        op(
            "POST /servers/update",
            none(),
            done("Update done.", "/servers/update"),
            call(|m| async move { m.admin().update().await.map(|_| ()) }),
        ),
        op(
            "POST /servers/cache",
            j(json!({"id": "1"})),
            done("Caching the servers has been initiated.", "/servers/cache"),
            call(|m| async move { m.servers().cache(Some("1")).await.map(|_| ()) }),
        ),
        op(
            "POST /servers/createSync",
            none(),
            js(
                200,
                json!({"name": "sync", "url": "https://misp.example.test", "uuid": "5f0a", "authkey": "abc", "Organisation": {}}),
            ),
            call(|m| async move { m.servers().create_sync().await.map(|_| ()) }),
        ),
        op(
            "GET /servers/getInstanceUUID",
            none(),
            js(200, json!({"uuid": "6d9c3f2e-0c3b-4b39-a6a4-1f7bd1b7d0a1"})),
            call(|m| async move { m.admin().instance_uuid().await.map(|_| ()) }),
        ),
        op(
            "GET /servers/getSetting/{settingName}",
            none(),
            fx(200, "server_settings_get.json"),
            call(|m| async move {
                let s = m.admin().setting("settingName").await?;
                assert_eq!(s.name.as_deref(), Some("MISP.redis_host"));
                Ok(())
            }),
        ),
        op(
            "POST /servers/serverSettingsEdit/{settingName}",
            j(json!({"value": true, "force": false})),
            fx(200, "server_setting_edit_ok.json"),
            call(|m| async move {
                m.admin()
                    .set_setting("settingName", true, false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /servers/import",
            j(
                json!({"name": "partner", "url": "https://misp.partner.example.test", "uuid": "5f0a", "authkey": "k", "Organisation": {"name": "Partner"}}),
            ),
            list_of("servers_index.json"),
            call(|m| async move {
                let cfg = json!({"name": "partner", "url": "https://misp.partner.example.test", "uuid": "5f0a", "authkey": "k", "Organisation": {"name": "Partner"}});
                m.servers().import(&cfg).await.map(|_| ())
            }),
        ),
        // Beyond the spec.
        op(
            "POST /servers/testConnection/{id}",
            none(),
            js(
                200,
                json!({"status": 1, "local_version": "2.5.24", "version": "2.5.24", "mismatch": false}),
            ),
            call(|m| async move { m.servers().test("id").await.map(|_| ()) }),
        ),
        op(
            "GET /servers/dbSchemaDiagnostic",
            none(),
            fx(200, "db_schema_diagnostic.json"),
            call(|m| async move { m.admin().db_schema_diagnostic().await.map(|_| ()) }),
        ),
    ]
}

pub(crate) fn feed_ops() -> Vec<Op> {
    vec![
        op(
            "GET /feeds",
            none(),
            fx(200, "feeds_index.json"),
            call(|m| async move {
                assert_eq!(m.feeds().list().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "GET /feeds/view/{feedId}",
            none(),
            fx(200, "feed.json"),
            call(|m| async move { m.feeds().get("feedId").await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/add",
            j(
                json!({"Feed": {"name": "CIRCL OSINT", "provider": "CIRCL", "url": "https://www.circl.lu/doc/misp/feed-osint", "source_format": "misp", "enabled": true}}),
            ),
            fx(200, "feed.json"),
            call(|m| async move {
                let f = json!({"name": "CIRCL OSINT", "provider": "CIRCL", "url": "https://www.circl.lu/doc/misp/feed-osint", "source_format": "misp", "enabled": true});
                m.feeds().add(&f).await.map(|_| ())
            }),
        ),
        op(
            "PUT /feeds/edit/{feedId}",
            j(json!({"Feed": {"caching_enabled": true}})),
            fx(200, "feed.json"),
            call(|m| async move { m.feeds().set_caching("feedId", true).await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/enable/{feedId}",
            none(),
            done("Feed enabled.", "/feeds/enable/1"),
            call(|m| async move { m.feeds().enable("feedId").await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/disable/{feedId}",
            none(),
            done("Feed disabled.", "/feeds/disable/1"),
            call(|m| async move { m.feeds().disable("feedId").await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/cacheFeeds/{cacheFeedsScope}",
            none(),
            done("Feed caching job initiated.", "/feeds/cacheFeeds/all"),
            call(|m| async move { m.feeds().cache("cacheFeedsScope").await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/fetchFromFeed/{feedId}",
            none(),
            fx(200, "feed_fetch.json"),
            call(|m| async move { m.feeds().fetch("feedId").await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/fetchFromAllFeeds",
            none(),
            done(
                "Pull queued for background execution.",
                "/feeds/fetchFromAllFeeds",
            ),
            call(|m| async move { m.feeds().fetch_all().await.map(|_| ()) }),
        ),
    ]
}

pub(crate) fn knowledge_ops() -> Vec<Op> {
    vec![
        op(
            "GET /warninglists",
            none(),
            fx(200, "warninglists_index.json"),
            call(|m| async move { m.warninglists().list().await.map(|_| ()) }),
        ),
        op(
            "POST /warninglists",
            j(json!({"value": "google"})),
            fx(200, "warninglists_index.json"),
            call(|m| async move {
                m.warninglists()
                    .search(&json!({"value": "google"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /warninglists/toggleEnable",
            j(json!({"id": ["1", "7"], "enabled": true})),
            js(
                200,
                json!({"saved": true, "success": "2 warninglist(s) enabled"}),
            ),
            call(|m| async move { m.warninglists().toggle(&["1", "7"], true).await.map(|_| ()) }),
        ),
        op(
            "GET /warninglists/view/{warninglistId}",
            none(),
            js(
                200,
                json!({"Warninglist": {"id": "1", "name": "List of known Google domains", "type": "hostname", "enabled": true, "WarninglistEntry": []}}),
            ),
            call(|m| async move { m.warninglists().get("warninglistId").await.map(|_| ()) }),
        ),
        op(
            "POST /warninglists/checkValue",
            j(json!(["198.51.100.77", "9.9.9.9"])),
            fx(200, "warninglist_check.json"),
            call(|m| async move {
                let hits = m
                    .warninglists()
                    .check_values(&["198.51.100.77", "9.9.9.9"])
                    .await?;
                assert!(hits.get("9.9.9.9").is_some());
                Ok(())
            }),
        ),
        op(
            "POST /warninglists/update",
            none(),
            done(
                "Successfully updated 120 warninglists.",
                "/warninglists/update",
            ),
            call(|m| async move { m.warninglists().update().await.map(|_| ()) }),
        ),
        op(
            "GET /noticelists",
            none(),
            fx(200, "noticelists_index.json"),
            call(|m| async move { m.noticelists().list().await.map(|_| ()) }),
        ),
        op(
            "GET /noticelists/view/{noticelistId}",
            none(),
            list_of("noticelists_index.json"),
            call(|m| async move { m.noticelists().get("noticelistId").await.map(|_| ()) }),
        ),
        op(
            "POST /noticelists/toggleEnable/{noticelistId}",
            none(),
            js(200, json!({"saved": true, "success": "Noticelist enabled"})),
            call(|m| async move { m.noticelists().toggle("noticelistId").await.map(|_| ()) }),
        ),
        op(
            "POST /noticelists/update",
            none(),
            done("Successfully updated 1 noticelists.", "/noticelists/update"),
            call(|m| async move { m.noticelists().update().await.map(|_| ()) }),
        ),
        op(
            "GET /sightings/index/{eventId}",
            none(),
            fx(200, "sightings_list.json"),
            call(|m| async move {
                let l = m.sightings().of_event("eventId").await?;
                assert_eq!(l.len(), 2);
                assert!(
                    l[0].organisation.is_some(),
                    "the organisation beside each sighting is kept"
                );
                Ok(())
            }),
        ),
        op(
            "POST /sightings/add",
            j(json!({"values": ["198.51.100.7"], "type": "0", "source": "wazuh"})),
            fx(200, "sighting_add.json"),
            call(|m| async move {
                m.sightings()
                    .add_by_value(&["198.51.100.7"], 0, Some("wazuh"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sightings/add/{attributeId}",
            j(json!({"type": "1"})),
            fx(200, "sighting_add.json"),
            call(|m| async move {
                m.sightings()
                    .add_to_attribute("attributeId", 1, None)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /sightings/delete/{sightingId}",
            none(),
            done("Sighting successfuly deleted.", "/sightings/delete/3"),
            call(|m| async move { m.sightings().delete("sightingId").await.map(|_| ()) }),
        ),
        op(
            "GET /tags",
            none(),
            fx(200, "tags_index.json"),
            call(|m| async move {
                assert!(!m.tags().list().await?.is_empty());
                Ok(())
            }),
        ),
        op(
            "GET /tags/view/{tagId}",
            none(),
            fx(200, "tag.json"),
            call(|m| async move { m.tags().get("tagId").await.map(|_| ()) }),
        ),
        op(
            "POST /tags/add",
            j(json!({"Tag": {"name": "soc:triaged", "colour": "#00aa00", "exportable": true}})),
            fx(200, "tag.json"),
            call(|m| async move {
                m.tags()
                    .add(&json!({"name": "soc:triaged", "colour": "#00aa00", "exportable": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /tags/delete/{tagId}",
            none(),
            done("Tag deleted.", "/tags/delete/3"),
            call(|m| async move { m.tags().delete("tagId").await.map(|_| ()) }),
        ),
        op(
            "POST /tags/edit/{tagId}",
            j(json!({"Tag": {"hide_tag": true}})),
            fx(200, "tag.json"),
            call(|m| async move {
                m.tags()
                    .edit("tagId", &json!({"hide_tag": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /tags/search/{tagSearchTerm}",
            none(),
            list_of("tag.json"),
            call(|m| async move {
                assert_eq!(m.tags().search("tagSearchTerm").await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /taxonomies",
            none(),
            fx(200, "taxonomies_index.json"),
            call(|m| async move {
                assert_eq!(m.taxonomies().list().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "GET /taxonomies/view/{taxonomyId}",
            none(),
            fx(200, "taxonomy.json"),
            call(|m| async move { m.taxonomies().get("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/enable/{taxonomyId}",
            none(),
            done("Taxonomy enabled", "/taxonomies/enable/1"),
            call(|m| async move { m.taxonomies().enable("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/disable/{taxonomyId}",
            none(),
            done("Taxonomy disabled", "/taxonomies/disable/1"),
            call(|m| async move { m.taxonomies().disable("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/update",
            none(),
            done("Successfully updated 150 taxonomies.", "/taxonomies/update"),
            call(|m| async move { m.taxonomies().update().await.map(|_| ()) }),
        ),
        op(
            "GET /taxonomies/taxonomy_tags/{taxonomyId}",
            none(),
            fx(200, "taxonomy.json"),
            call(|m| async move { m.taxonomies().tags("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "GET /taxonomies/export/{taxonomyId}",
            none(),
            js(
                200,
                json!({"namespace": "tlp", "description": "Traffic Light Protocol", "version": 10, "predicates": [{"value": "red"}]}),
            ),
            call(|m| async move { m.taxonomies().export("taxonomyId").await.map(|_| ()) }),
        ),
        // Beyond the spec.
        op(
            "POST /tags/attachTagToObject",
            j(json!({"uuid": "5f0a", "tag": "tlp:amber", "local": false})),
            fx(200, "tag_attach.json"),
            call(|m| async move {
                m.tags()
                    .attach("5f0a", "tlp:amber", false)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /tags/tagStatistics/{percentage}/{nameSort}",
            none(),
            fx(200, "tag_statistics.json"),
            call(|m| async move { m.tags().statistics(false, true).await.map(|_| ()) }),
        )
        .at("/tags/tagStatistics/0/1"),
        op(
            "GET /correlation_exclusions",
            none(),
            fx(200, "correlation_exclusions.json"),
            call(|m| async move {
                assert_eq!(m.correlation_exclusions().list().await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "GET /decayingModel/index",
            none(),
            fx(200, "decaying_models.json"),
            call(|m| async move {
                assert_eq!(m.decaying_models().list().await?.len(), 1);
                Ok(())
            }),
        ),
    ]
}

fn all_ops() -> Vec<Op> {
    [
        event_ops(),
        attribute_ops(),
        object_ops(),
        report_ops(),
        analyst_ops(),
        galaxy_ops(),
        directory_ops(),
        server_ops(),
        feed_ops(),
        knowledge_ops(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[tokio::test]
async fn every_operation_sends_the_documented_request() {
    run(all_ops()).await;
}

#[test]
fn coverage_table_matches_the_tests() {
    let all = all_ops();
    let tested: Vec<&str> = all.iter().map(|o| o.spec).collect();
    let covered = soc_testkit::check_coverage(include_str!("../../COVERAGE.md"), &tested, 148);
    assert_eq!(covered, 148, "every operation of the OpenAPI document");
}

#[tokio::test]
async fn count_reads_the_count_format() {
    run(vec![op(
        "POST /attributes/restSearch",
        j(json!({"type": {"OR": ["ip-dst"]}, "returnFormat": "count"})),
        js(200, json!({"response": {"count": 1337}})),
        call(|m| async move {
            let f = SearchFilter::new().types(Terms::any(["ip-dst"]));
            assert_eq!(m.search().count(Controller::Attributes, &f).await?, 1337);
            Ok(())
        }),
    )])
    .await;
}

#[test]
fn every_pymisp_mapping_names_a_tested_method() {
    let table = include_str!("../../COVERAGE.md");
    // Without whitespace: formatted calls break lines between the handle and the method.
    let tests: String = [
        include_str!("operations.rs"),
        include_str!("pymisp_routes.rs"),
    ]
    .concat()
    .split_whitespace()
    .collect();
    let pymisp = table.split("## PyMISP").nth(1).expect("the PyMISP section");
    let mut checked = 0;
    let mut missing = Vec::new();
    for line in pymisp
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| PyMISP"))
    {
        let cell = line
            .split('|')
            .nth(2)
            .unwrap_or_default()
            .trim()
            .trim_matches('`');
        // `handle().method`: the tests must call it.
        let Some((handle, method)) = cell.split_once("().") else {
            continue;
        };
        if !handle.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            || !method.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            continue;
        }
        let called = format!("{handle}().{method}(");
        let called = called.replace(' ', "");
        if !tests.contains(&called) {
            missing.push(cell);
        }
        checked += 1;
    }
    assert!(
        missing.is_empty(),
        "in the PyMISP table but called by no test: {missing:?}"
    );
    assert!(checked > 200, "only {checked} rows checked");
}
