//! The routes PyMISP uses beyond MISP's OpenAPI document, checked like the spec's operations.

use misp_client::model::NewAttribute;
use serde_json::json;

use crate::support::{call, fixture_json, op, run, Body, Op, Reply};

fn j(v: serde_json::Value) -> Body {
    Body::Json(v)
}
fn none() -> Body {
    Body::None
}
fn fx(status: u16, name: &'static str) -> Reply {
    Reply::Fixture(status, name)
}
fn done(name: &str) -> Reply {
    Reply::Json(
        200,
        json!({"saved": true, "success": true, "name": name, "message": name, "url": "/"}),
    )
}
fn list_of(name: &'static str) -> Reply {
    Reply::Json(200, json!([fixture_json(name)]))
}

fn admin_and_event_routes() -> Vec<Op> {
    vec![
        op(
            "GET /users/view/me",
            none(),
            fx(200, "user_me.json"),
            call(|m| async move { m.admin().me().await.map(|_| ()) }),
        ),
        op(
            "GET /servers/queryACL/printAllFunctionNames",
            none(),
            Reply::Json(200, json!({"EventsController": ["add", "edit", "view"]})),
            call(|m| async move { m.admin().all_functions().await.map(|_| ()) }),
        ),
        op(
            "GET /events/queryACL/{debugType}",
            none(),
            Reply::Json(200, json!([])),
            call(|m| async move { m.admin().remote_acl("debugType").await.map(|_| ()) }),
        ),
        op(
            "POST /cryptographicKeys/serverSign",
            j(json!({"data": "blob"})),
            Reply::Json(200, json!({"signature": "c2lnbmF0dXJl"})),
            call(|m| async move { m.admin().sign_blob("blob").await.map(|_| ()) }),
        ),
        op(
            "POST /events/contact/{eventId}",
            j(json!({"message": "Is 198.51.100.7 still active?"})),
            done("Email sent to the reporter."),
            call(|m| async move {
                m.events()
                    .contact_reporter("eventId", "Is 198.51.100.7 still active?")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /events/upload_stix/2",
            j(json!({"type": "bundle", "id": "bundle--5f0a", "objects": []})),
            done("STIX document imported."),
            call(|m| async move {
                let doc = r#"{"type": "bundle", "id": "bundle--5f0a", "objects": []}"#;
                m.events().upload_stix(doc, 2).await.map(|_| ())
            }),
        ),
        op(
            "POST /events/pushEventToZMQ/{eventId}.json",
            none(),
            done("Event published to ZMQ"),
            call(|m| async move { m.events().push_to_zmq("eventId").await.map(|_| ()) }),
        )
        .at("/events/pushEventToZMQ/eventId.json"),
        op(
            "POST /eventDelegations/acceptDelegation/{delegationId}",
            none(),
            done("Delegation accepted."),
            call(|m| async move {
                m.events()
                    .accept_delegation("delegationId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventDelegations/deleteDelegation/{delegationId}",
            none(),
            done("Delegation request deleted."),
            call(|m| async move {
                m.events()
                    .discard_delegation("delegationId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventDelegations/delegateEvent/{eventId}",
            j(
                json!({"event_id": "eventId", "org_id": "4", "distribution": 1, "message": "yours now"}),
            ),
            fx(200, "event_delegations.json"),
            call(|m| async move {
                m.events()
                    .delegate("eventId", "4", 1, "yours now")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /eventReports/index/event_id:{eventId}",
            none(),
            list_of("event_report.json"),
            call(|m| async move { m.event_reports().list(Some("eventId")).await.map(|_| ()) }),
        ),
    ]
}

fn attribute_and_object_routes() -> Vec<Op> {
    vec![
        op(
            "POST /attributes/enrich/{attributeId}",
            j(json!({"dns": true})),
            done("Enrichment task queued for background processing."),
            call(|m| async move {
                m.attributes()
                    .enrich("attributeId", &["dns"])
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /shadowAttributes/index/{eventId}",
            none(),
            list_of("shadow_attribute.json"),
            call(|m| async move {
                assert_eq!(m.attributes().proposals(Some("eventId")).await?.len(), 1);
                Ok(())
            }),
        ),
        op(
            "GET /shadowAttributes/view/{proposalId}",
            none(),
            fx(200, "shadow_attribute.json"),
            call(|m| async move { m.attributes().proposal("proposalId").await.map(|_| ()) }),
        ),
        op(
            "POST /shadowAttributes/edit/{attributeId}",
            j(json!({"value": "198.51.100.8"})),
            fx(200, "shadow_attribute.json"),
            call(|m| async move {
                m.attributes()
                    .propose_edit("attributeId", &json!({"value": "198.51.100.8"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /shadowAttributes/delete/{attributeId}",
            none(),
            done("Proposal to delete the attribute saved."),
            call(|m| async move {
                m.attributes()
                    .propose_delete("attributeId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /shadowAttributes/discard/{proposalId}",
            none(),
            done("Proposal discarded."),
            call(|m| async move {
                m.attributes()
                    .discard_proposal("proposalId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /objects/edit/{objectId}",
            j(json!({"Object": {"comment": "pivot"}})),
            fx(200, "object.json"),
            call(|m| async move {
                m.objects()
                    .edit("objectId", &json!({"Object": {"comment": "pivot"}}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "HEAD /events/view/{eventId}",
            none(),
            Reply::Empty(200),
            call(|m| async move {
                assert!(m.events().exists("eventId").await?);
                Ok(())
            }),
        ),
        op(
            "HEAD /attributes/view/{attributeId}",
            none(),
            Reply::Empty(404),
            call(|m| async move {
                assert!(!m.attributes().exists("attributeId").await?);
                Ok(())
            }),
        ),
        op(
            "HEAD /objects/view/{objectId}",
            none(),
            Reply::Empty(200),
            call(|m| async move {
                assert!(m.objects().exists("objectId").await?);
                Ok(())
            }),
        ),
        op(
            "POST /objectReferences/delete/{referenceId}/true",
            none(),
            done("ObjectReference deleted."),
            call(|m| async move {
                m.objects()
                    .delete_reference("referenceId", true)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /objectTemplates/view/{templateId}",
            none(),
            list_of("object_templates.json"),
            call(|m| async move { m.objects().template("templateId").await.map(|_| ()) }),
        ),
        op(
            "GET /objectTemplates/getRaw/{uuidOrName}",
            none(),
            Reply::Json(
                200,
                json!({"name": "domain-ip", "version": 11, "attributes": {}}),
            ),
            call(|m| async move { m.objects().raw_template("uuidOrName").await.map(|_| ()) }),
        ),
        op(
            "POST /objectTemplates/update",
            none(),
            done("Successfully updated 432 object templates."),
            call(|m| async move { m.objects().update_templates().await.map(|_| ()) }),
        ),
        op(
            "POST /sightings/listSightings",
            j(json!({"context": "attribute", "id": "41"})),
            fx(200, "sightings_list.json"),
            call(|m| async move { m.sightings().list("attribute", "41").await.map(|_| ()) }),
        ),
        op(
            "POST /sightings/restSearch",
            j(json!({"returnFormat": "json", "last": "7d"})),
            fx(200, "sightings_list.json"),
            call(|m| async move {
                m.search()
                    .sightings(&json!({"returnFormat": "json", "last": "7d"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /feeds/searchCaches",
            j(json!({"value": "198.51.100.7"})),
            Reply::Json(200, json!([])),
            call(|m| async move { m.search().feed_caches("198.51.100.7").await.map(|_| ()) }),
        ),
        op(
            "POST /shadowAttributes/add/{eventId}",
            j(json!({"type": "ip-dst", "value": "198.51.100.9", "to_ids": true})),
            fx(200, "shadow_attribute.json"),
            call(|m| async move {
                let a = NewAttribute::new("ip-dst", "198.51.100.9").to_ids(true);
                m.attributes().propose("eventId", &a).await.map(|_| ())
            }),
        ),
    ]
}

fn knowledge_routes() -> Vec<Op> {
    vec![
        op(
            "POST /tags/removeTagFromObject",
            j(json!({"uuid": "5f0a", "tag": "tlp:amber"})),
            done("Tag tlp:amber removed."),
            call(|m| async move { m.tags().detach("5f0a", "tlp:amber").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/addTag/{taxonomyId}",
            none(),
            done("The tags have been enabled."),
            call(|m| async move { m.taxonomies().enable_tags("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/disableTag/{taxonomyId}",
            none(),
            done("The tags have been disabled."),
            call(|m| async move { m.taxonomies().disable_tags("taxonomyId").await.map(|_| ()) }),
        ),
        op(
            "POST /taxonomies/toggleRequired/{taxonomyId}",
            j(json!({"Taxonomy": {"required": true}})),
            done("Taxonomy required setting updated."),
            call(|m| async move {
                m.taxonomies()
                    .set_required("taxonomyId", true)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /noticelists/enableNoticelist/{noticelistId}/true",
            none(),
            done("Noticelist enabled."),
            call(|m| async move { m.noticelists().enable("noticelistId").await.map(|_| ()) }),
        ),
        op(
            "POST /noticelists/enableNoticelist/{noticelistId}",
            none(),
            done("Noticelist disabled."),
            call(|m| async move { m.noticelists().disable("noticelistId").await.map(|_| ()) }),
        ),
        op(
            "GET /correlation_exclusions/view/{exclusionId}",
            none(),
            Reply::Json(200, fixture_json("correlation_exclusions.json")[0].clone()),
            call(|m| async move {
                m.correlation_exclusions()
                    .get("exclusionId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /correlation_exclusions/add",
            j(json!({"value": "8.8.8.8", "comment": "public resolver"})),
            Reply::Json(200, fixture_json("correlation_exclusions.json")[0].clone()),
            call(|m| async move {
                m.correlation_exclusions()
                    .add("8.8.8.8", Some("public resolver"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /correlation_exclusions/delete/{exclusionId}",
            none(),
            done("Correlation exclusion deleted."),
            call(|m| async move {
                m.correlation_exclusions()
                    .delete("exclusionId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /correlation_exclusions/clean",
            none(),
            done("Correlations cleaned."),
            call(|m| async move { m.correlation_exclusions().clean().await.map(|_| ()) }),
        ),
        op(
            "POST /galaxy_clusters/add/{galaxyId}/forkUUID:{clusterUuid}",
            j(json!({"GalaxyCluster": {"value": "Fork"}})),
            fx(200, "galaxy_cluster.json"),
            call(|m| async move {
                let c = json!({"GalaxyCluster": {"value": "Fork"}});
                m.galaxies()
                    .fork_cluster("galaxyId", "clusterUuid", &c)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_cluster_relations/add",
            j(
                json!({"galaxy_cluster_uuid": "a", "referenced_galaxy_cluster_uuid": "b", "referenced_galaxy_cluster_type": "similar"}),
            ),
            done("Relationship added."),
            call(|m| async move {
                let r = json!({"galaxy_cluster_uuid": "a", "referenced_galaxy_cluster_uuid": "b", "referenced_galaxy_cluster_type": "similar"});
                m.galaxies().add_relation(&r).await.map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_cluster_relations/edit/{relationId}",
            j(json!({"referenced_galaxy_cluster_type": "variant-of"})),
            done("Relationship saved."),
            call(|m| async move {
                m.galaxies()
                    .edit_relation(
                        "relationId",
                        &json!({"referenced_galaxy_cluster_type": "variant-of"}),
                    )
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /galaxy_cluster_relations/delete/{relationId}",
            none(),
            done("Relationship deleted."),
            call(|m| async move { m.galaxies().delete_relation("relationId").await.map(|_| ()) }),
        ),
        op(
            "POST /decayingModel/update",
            none(),
            done("Decaying models updated."),
            call(|m| async move { m.decaying_models().update().await.map(|_| ()) }),
        ),
        op(
            "POST /decayingModel/enable/{modelId}",
            none(),
            done("Decaying model enabled."),
            call(|m| async move { m.decaying_models().enable("modelId").await.map(|_| ()) }),
        ),
        op(
            "POST /decayingModel/disable/{modelId}",
            none(),
            done("Decaying model disabled."),
            call(|m| async move { m.decaying_models().disable("modelId").await.map(|_| ()) }),
        ),
    ]
}

fn community_routes() -> Vec<Op> {
    vec![
        op(
            "POST /feeds/delete/{feedId}",
            none(),
            done("Feed deleted."),
            call(|m| async move { m.feeds().delete("feedId").await.map(|_| ()) }),
        ),
        op(
            "PUT /feeds/edit/{feedId}",
            j(json!({"Feed": {"rules": "{\"tags\":{\"OR\":[],\"NOT\":[]}}", "distribution": "3"}})),
            fx(200, "feed.json"),
            call(|m| async move {
                let rules = r#"{"tags":{"OR":[],"NOT":[]}}"#;
                m.feeds()
                    .edit("feedId", &json!({"rules": rules, "distribution": "3"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /events/index",
            j(json!({"eventinfo": "phish", "minimal": true})),
            fx(200, "search_index.json"),
            call(|m| async move {
                m.search()
                    .index(&json!({"eventinfo": "phish", "minimal": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /feeds/compareFeeds",
            none(),
            fx(200, "feeds_index.json"),
            call(|m| async move { m.feeds().compare().await.map(|_| ()) }),
        ),
        op(
            "POST /feeds/loadDefaultFeeds",
            none(),
            done("Default feed metadata loaded."),
            call(|m| async move { m.feeds().load_defaults().await.map(|_| ()) }),
        ),
        op(
            "HEAD /sharing_groups/view/{sharingGroupId}",
            none(),
            Reply::Empty(404),
            call(|m| async move {
                assert!(!m.sharing_groups().exists("sharingGroupId").await?);
                Ok(())
            }),
        ),
        op(
            "GET /organisations/index/scope:{scope}",
            none(),
            fx(200, "organisations_index.json"),
            call(|m| async move {
                assert_eq!(m.organisations().list("scope").await?.len(), 2);
                Ok(())
            }),
        ),
        op(
            "HEAD /organisations/view/{organisationId}",
            none(),
            Reply::Empty(200),
            call(|m| async move {
                assert!(m.organisations().exists("organisationId").await?);
                Ok(())
            }),
        ),
        op(
            "GET /users/registrations/index",
            none(),
            Reply::Json(200, json!([])),
            call(|m| async move { m.users().registrations().await.map(|_| ()) }),
        ),
        op(
            "POST /users/acceptRegistrations/{registrationId}",
            j(json!({"org_id": "1", "role_id": "3"})),
            done("User created."),
            call(|m| async move {
                m.users()
                    .accept_registration("registrationId", &json!({"org_id": "1", "role_id": "3"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /users/discardRegistrations/{registrationId}",
            none(),
            done("Registration discarded."),
            call(|m| async move {
                m.users()
                    .discard_registration("registrationId")
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "GET /users/heartbeat",
            none(),
            Reply::Json(200, json!({"ok": true})),
            call(|m| async move { m.users().heartbeat().await.map(|_| ()) }),
        ),
        op(
            "POST /admin/roles/add",
            j(json!({"Role": {"name": "soc-analyst", "permission": "3"}})),
            list_of("roles_index.json"),
            call(|m| async move {
                m.roles()
                    .add(&json!({"name": "soc-analyst", "permission": "3"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /admin/roles/edit/{roleId}",
            j(json!({"Role": {"perm_tagger": true}})),
            done("Role updated."),
            call(|m| async move {
                m.roles()
                    .edit("roleId", &json!({"perm_tagger": true}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /admin/roles/set_default/{roleId}",
            none(),
            done("Default role set."),
            call(|m| async move { m.roles().set_default("roleId").await.map(|_| ()) }),
        ),
        op(
            "POST /admin/roles/delete/{roleId}",
            none(),
            done("Role deleted."),
            call(|m| async move { m.roles().delete("roleId").await.map(|_| ()) }),
        ),
        op(
            "GET /communities/view/{communityId}",
            none(),
            Reply::Json(200, fixture_json("communities.json")[0].clone()),
            call(|m| async move { m.communities().get("communityId").await.map(|_| ()) }),
        ),
        op(
            "POST /communities/requestAccess/{communityId}",
            j(json!({"email": "soc@example.test", "message": "CERT of Example"})),
            done("Request sent."),
            call(|m| async move {
                let r = json!({"email": "soc@example.test", "message": "CERT of Example"});
                m.communities()
                    .request_access("communityId", &r)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventBlocklists/add",
            j(json!({"uuids": ["5f0a"], "comment": "spam"})),
            done("Blocklist entry added."),
            call(|m| async move {
                m.blocklists()
                    .block_events(&["5f0a"], Some("spam"))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventBlocklists/edit/{uuid}",
            j(json!({"comment": "spam feed"})),
            done("Blocklist entry saved."),
            call(|m| async move {
                m.blocklists()
                    .edit_event_block("uuid", &json!({"comment": "spam feed"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /eventBlocklists/delete/{id}",
            none(),
            done("Blocklist entry removed."),
            call(|m| async move { m.blocklists().delete_event_block("id").await.map(|_| ()) }),
        ),
        op(
            "POST /orgBlocklists/add",
            j(json!({"uuids": ["6a1b"], "comment": null})),
            done("Blocklist entry added."),
            call(|m| async move {
                m.blocklists()
                    .block_organisations(&["6a1b"], None)
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /orgBlocklists/edit/{uuid}",
            j(json!({"org_name": "Spammer"})),
            done("Blocklist entry saved."),
            call(|m| async move {
                m.blocklists()
                    .edit_organisation_block("uuid", &json!({"org_name": "Spammer"}))
                    .await
                    .map(|_| ())
            }),
        ),
        op(
            "POST /orgBlocklists/delete/{id}",
            none(),
            done("Blocklist entry removed."),
            call(|m| async move {
                m.blocklists()
                    .delete_organisation_block("id")
                    .await
                    .map(|_| ())
            }),
        ),
    ]
}

/// Every PyMISP route beyond the spec that `operations.rs` does not already play.
pub(crate) fn all_routes() -> Vec<Op> {
    [
        admin_and_event_routes(),
        attribute_and_object_routes(),
        knowledge_routes(),
        community_routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[tokio::test]
async fn every_pymisp_route_sends_what_pymisp_sends() {
    run(all_routes()).await;
}
