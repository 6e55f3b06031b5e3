//! Events, attributes, proposals, objects and references, event reports, sightings, tagging
//! and analyst data.

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::Method;

use super::{unwrap, unwrap_list};
use crate::model::{Attribute, Event, MispObject, NewAttribute, NewEvent, NewObject, Sighting};
use crate::{Misp, Result};

/// Events.
#[derive(Debug, Clone, Copy)]
pub struct Events<'a> {
    pub(crate) misp: &'a Misp,
}

impl Events<'_> {
    /// Event summaries (`GET /events`).
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["events"]).await
    }

    /// Event summaries matching filters (`POST /events/index`: `searchinfo`, `searchtag` ...).
    pub async fn search_index(&self, filters: &Value) -> Result<Vec<Value>> {
        self.misp.read(&["events", "index"], filters).await
    }

    /// An event with its attributes, objects, tags and galaxies.
    pub async fn get(&self, id: &str) -> Result<Event> {
        unwrap(self.misp.get(&["events", "view", id]).await?, "Event")
    }

    /// Whether an event exists (`HEAD`).
    pub async fn exists(&self, id: &str) -> Result<bool> {
        self.misp.exists(&["events", "view", id]).await
    }

    /// Creates an event with its attributes, objects and tags.
    pub async fn add(&self, event: &NewEvent) -> Result<Event> {
        unwrap(
            self.misp
                .post(&["events", "add"], &json!({ "Event": event }))
                .await?,
            "Event",
        )
    }

    /// Changes an event (`PUT /events/edit/{id}`); `fields` is the `Event` body.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Event> {
        let r = self
            .misp
            .request(Method::PUT, &["events", "edit", id])
            .json_body(fields);
        unwrap(crate::client::decode(r).await?, "Event")
    }

    /// Deletes an event.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        crate::client::decode(self.misp.request(Method::DELETE, &["events", "delete", id])).await
    }

    /// Publishes an event (synchronised to connected instances); `alert` also sends e-mail.
    pub async fn publish(&self, id: &str, alert: bool) -> Result<Value> {
        let action = if alert { "alert" } else { "publish" };
        self.misp.post_empty(&["events", action, id]).await
    }

    /// Unpublishes an event.
    pub async fn unpublish(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["events", "unpublish", id]).await
    }

    /// Sends a message to the event's reporter.
    pub async fn contact_reporter(&self, id: &str, message: &str) -> Result<Value> {
        self.misp
            .post(&["events", "contact", id], &json!({ "message": message }))
            .await
    }

    /// Runs enrichment modules on every attribute of an event.
    pub async fn enrich(&self, id: &str, modules: &[&str]) -> Result<Value> {
        let body: serde_json::Map<String, Value> = modules
            .iter()
            .map(|m| ((*m).to_owned(), Value::Bool(true)))
            .collect();
        self.misp.post(&["events", "enrichEvent", id], &body).await
    }

    /// Adds a tag to an event by tag id (`events/addTag/{event}/{tag}/local:{0|1}`).
    pub async fn add_tag(&self, id: &str, tag_id: &str, local: bool) -> Result<Value> {
        let local = if local { "local:1" } else { "local:0" };
        self.misp
            .post_empty(&["events", "addTag", id, tag_id, local])
            .await
    }

    /// Removes a tag from an event by tag id.
    pub async fn remove_tag(&self, id: &str, tag_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["events", "removeTag", id, tag_id])
            .await
    }

    /// Imports indicators from free text into an event; answers what was recognised.
    pub async fn freetext(
        &self,
        id: &str,
        text: &str,
        adhere_to_warninglists: bool,
    ) -> Result<Value> {
        let body = json!({ "value": text, "adhereToWarninglists": adhere_to_warninglists });
        self.misp
            .post(&["events", "freeTextImport", id], &body)
            .await
    }

    /// Uploads a STIX document as an event (`version`: `1` for STIX 1 XML, `2` for STIX 2 JSON).
    pub async fn upload_stix(&self, document: &str, version: u8) -> Result<Value> {
        let mut segs = vec!["events", "upload_stix"];
        if version == 2 {
            segs.push("2");
        }
        let ct = if version == 2 {
            "application/json"
        } else {
            "application/xml"
        };
        crate::client::decode(
            self.misp
                .request(Method::POST, &segs)
                .body(ct, document.to_owned()),
        )
        .await
    }

    /// Publishes an event to MISP's ZeroMQ feed.
    pub async fn push_to_zmq(&self, id: &str) -> Result<Value> {
        let seg = format!("{id}.json");
        self.misp
            .post_empty(&["events", "pushEventToZMQ", &seg])
            .await
    }

    /// Event delegations waiting for the caller's organisation.
    pub async fn delegations(&self) -> Result<Vec<Value>> {
        self.misp.get(&["eventDelegations"]).await
    }

    /// Accepts a delegation.
    pub async fn accept_delegation(&self, delegation_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["eventDelegations", "acceptDelegation", delegation_id])
            .await
    }

    /// Refuses (deletes) a delegation.
    pub async fn discard_delegation(&self, delegation_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["eventDelegations", "deleteDelegation", delegation_id])
            .await
    }

    /// Delegates an event to another organisation.
    pub async fn delegate(
        &self,
        id: &str,
        org_id: &str,
        distribution: i64,
        message: &str,
    ) -> Result<Value> {
        let body = json!({ "event_id": id, "org_id": org_id, "distribution": distribution, "message": message });
        self.misp
            .post(&["eventDelegations", "delegateEvent", id], &body)
            .await
    }
}

/// Attributes and their proposals.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    pub(crate) misp: &'a Misp,
}

impl Attributes<'_> {
    /// Attributes (`GET /attributes`): small instances only; use restSearch otherwise.
    pub async fn list(&self) -> Result<Vec<Attribute>> {
        unwrap_list(self.misp.get(&["attributes"]).await?, "Attribute")
    }

    /// An attribute.
    pub async fn get(&self, id: &str) -> Result<Attribute> {
        unwrap(
            self.misp.get(&["attributes", "view", id]).await?,
            "Attribute",
        )
    }

    /// Whether an attribute exists (`HEAD`).
    pub async fn exists(&self, id: &str) -> Result<bool> {
        self.misp.exists(&["attributes", "view", id]).await
    }

    /// Adds an attribute to an event.
    pub async fn add(&self, event_id: &str, attribute: &NewAttribute) -> Result<Attribute> {
        unwrap(
            self.misp
                .post(&["attributes", "add", event_id], attribute)
                .await?,
            "Attribute",
        )
    }

    /// Changes an attribute (`PUT /attributes/edit/{id}`).
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Attribute> {
        let r = self
            .misp
            .request(Method::PUT, &["attributes", "edit", id])
            .json_body(fields);
        unwrap(crate::client::decode(r).await?, "Attribute")
    }

    /// Deletes an attribute (soft unless `hard`).
    pub async fn delete(&self, id: &str, hard: bool) -> Result<Value> {
        let mut r = self
            .misp
            .request(Method::DELETE, &["attributes", "delete", id]);
        if hard {
            r = r.json_body(&json!({ "hard": 1 }));
        }
        crate::client::decode(r).await
    }

    /// Restores a soft-deleted attribute.
    pub async fn restore(&self, id: &str) -> Result<Attribute> {
        unwrap(
            self.misp.post_empty(&["attributes", "restore", id]).await?,
            "Attribute",
        )
    }

    /// Runs enrichment modules on an attribute.
    pub async fn enrich(&self, id: &str, modules: &[&str]) -> Result<Value> {
        let body: serde_json::Map<String, Value> = modules
            .iter()
            .map(|m| ((*m).to_owned(), Value::Bool(true)))
            .collect();
        self.misp.post(&["attributes", "enrich", id], &body).await
    }

    /// Adds a tag to an attribute by tag id.
    pub async fn add_tag(&self, id: &str, tag_id: &str, local: bool) -> Result<Value> {
        let local = if local { "local:1" } else { "local:0" };
        self.misp
            .post_empty(&["attributes", "addTag", id, tag_id, local])
            .await
    }

    /// Removes a tag from an attribute by tag id.
    pub async fn remove_tag(&self, id: &str, tag_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["attributes", "removeTag", id, tag_id])
            .await
    }

    /// Statistics by `type` or `category`, as counts or percentages.
    pub async fn statistics(&self, context: &str, percentage: bool) -> Result<Value> {
        self.misp
            .get(&[
                "attributes",
                "attributeStatistics",
                context,
                if percentage { "1" } else { "0" },
            ])
            .await
    }

    /// The types and categories the server knows, with their defaults.
    pub async fn describe_types(&self) -> Result<Value> {
        let v: Value = self.misp.get(&["attributes", "describeTypes"]).await?;
        Ok(v.get("result").cloned().unwrap_or(v))
    }

    /// Proposals (shadow attributes), of one event or all.
    pub async fn proposals(&self, event_id: Option<&str>) -> Result<Vec<Value>> {
        match event_id {
            Some(e) => self.misp.get(&["shadowAttributes", "index", e]).await,
            None => self.misp.get(&["shadowAttributes", "index"]).await,
        }
    }

    /// A proposal.
    pub async fn proposal(&self, id: &str) -> Result<Value> {
        self.misp.get(&["shadowAttributes", "view", id]).await
    }

    /// Proposes a new attribute for an event the caller cannot edit.
    pub async fn propose(&self, event_id: &str, attribute: &NewAttribute) -> Result<Value> {
        self.misp
            .post(&["shadowAttributes", "add", event_id], attribute)
            .await
    }

    /// Proposes a change to an attribute.
    pub async fn propose_edit<B: Serialize + ?Sized>(
        &self,
        attribute_id: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["shadowAttributes", "edit", attribute_id], fields)
            .await
    }

    /// Proposes the deletion of an attribute.
    pub async fn propose_delete(&self, attribute_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["shadowAttributes", "delete", attribute_id])
            .await
    }

    /// Accepts a proposal.
    pub async fn accept_proposal(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["shadowAttributes", "accept", id])
            .await
    }

    /// Discards a proposal.
    pub async fn discard_proposal(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["shadowAttributes", "discard", id])
            .await
    }
}

/// Objects, object references and object templates.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    pub(crate) misp: &'a Misp,
}

impl Objects<'_> {
    /// An object with its attributes.
    pub async fn get(&self, id: &str) -> Result<MispObject> {
        unwrap(self.misp.get(&["objects", "view", id]).await?, "Object")
    }

    /// Whether an object exists (`HEAD`).
    pub async fn exists(&self, id: &str) -> Result<bool> {
        self.misp.exists(&["objects", "view", id]).await
    }

    /// Adds an object to an event from a template (`objects/add/{event}/{template}`).
    pub async fn add(
        &self,
        event_id: &str,
        template_id: &str,
        object: &NewObject,
    ) -> Result<MispObject> {
        unwrap(
            self.misp
                .post(
                    &["objects", "add", event_id, template_id],
                    &json!({ "Object": object }),
                )
                .await?,
            "Object",
        )
    }

    /// Changes an object.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<MispObject> {
        unwrap(
            self.misp.post(&["objects", "edit", id], fields).await?,
            "Object",
        )
    }

    /// Deletes an object (soft unless `hard`).
    pub async fn delete(&self, id: &str, hard: bool) -> Result<Value> {
        let seg = if hard { "1" } else { "0" };
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["objects", "delete", id, seg]),
        )
        .await
    }

    /// Links two objects or an object and an attribute (`{object_uuid, referenced_uuid,
    /// relationship_type}`).
    pub async fn add_reference(
        &self,
        object_uuid: &str,
        referenced_uuid: &str,
        relationship_type: &str,
    ) -> Result<Value> {
        let body = json!({ "object_uuid": object_uuid, "referenced_uuid": referenced_uuid, "relationship_type": relationship_type });
        self.misp.post(&["objectReferences", "add"], &body).await
    }

    /// Deletes an object reference (soft unless `hard`).
    pub async fn delete_reference(&self, id: &str, hard: bool) -> Result<Value> {
        if hard {
            self.misp
                .post_empty(&["objectReferences", "delete", id, "true"])
                .await
        } else {
            self.misp
                .post_empty(&["objectReferences", "delete", id])
                .await
        }
    }

    /// Object templates.
    pub async fn templates(&self) -> Result<Vec<Value>> {
        self.misp.get(&["objectTemplates", "index"]).await
    }

    /// An object template.
    pub async fn template(&self, id: &str) -> Result<Value> {
        self.misp.get(&["objectTemplates", "view", id]).await
    }

    /// A template's raw definition, by UUID or name.
    pub async fn raw_template(&self, uuid_or_name: &str) -> Result<Value> {
        self.misp
            .get(&["objectTemplates", "getRaw", uuid_or_name])
            .await
    }

    /// Reloads the object templates from disk.
    pub async fn update_templates(&self) -> Result<Value> {
        self.misp.post_empty(&["objectTemplates", "update"]).await
    }
}

/// Event reports.
#[derive(Debug, Clone, Copy)]
pub struct EventReports<'a> {
    pub(crate) misp: &'a Misp,
}

impl EventReports<'_> {
    /// Reports (`GET /eventReports/index`), of one event when given.
    pub async fn list(&self, event_id: Option<&str>) -> Result<Vec<Value>> {
        match event_id {
            Some(e) => {
                let seg = format!("event_id:{e}");
                self.misp.get(&["eventReports", "index", &seg]).await
            }
            None => self.misp.get(&["eventReports", "index"]).await,
        }
    }

    /// A report.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["eventReports", "view", id]).await
    }

    /// Adds a Markdown report to an event (`{name, content, distribution}`).
    pub async fn add<B: Serialize + ?Sized>(&self, event_id: &str, report: &B) -> Result<Value> {
        self.misp
            .post(&["eventReports", "add", event_id], report)
            .await
    }

    /// Changes a report.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        self.misp.post(&["eventReports", "edit", id], fields).await
    }

    /// Deletes a report (soft unless `hard`).
    pub async fn delete(&self, id: &str, hard: bool) -> Result<Value> {
        if hard {
            self.misp
                .post_empty(&["eventReports", "delete", id, "1"])
                .await
        } else {
            self.misp.post_empty(&["eventReports", "delete", id]).await
        }
    }

    /// Restores a soft-deleted report.
    pub async fn restore(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["eventReports", "restore", id]).await
    }

    /// Creates a report from a web page.
    pub async fn import_from_url(&self, event_id: &str, url: &str) -> Result<Value> {
        self.misp
            .post(
                &["eventReports", "importReportFromUrl", event_id],
                &json!({ "url": url }),
            )
            .await
    }
}

/// Sightings.
#[derive(Debug, Clone, Copy)]
pub struct Sightings<'a> {
    pub(crate) misp: &'a Misp,
}

impl Sightings<'_> {
    /// Sightings of an event (`GET /sightings/index/{event}`).
    pub async fn of_event(&self, event_id: &str) -> Result<Vec<Sighting>> {
        sightings(self.misp.get(&["sightings", "index", event_id]).await?)
    }

    /// Sightings of an event or attribute (`{"context": "event"|"attribute", "id", "org_id"?}`).
    pub async fn list(&self, context: &str, id: &str) -> Result<Vec<Sighting>> {
        sightings(
            self.misp
                .read(
                    &["sightings", "listSightings"],
                    &json!({ "context": context, "id": id }),
                )
                .await?,
        )
    }

    /// Records a sighting of an attribute (`type`: 0 sighting, 1 false positive, 2 expiration).
    pub async fn add_to_attribute(
        &self,
        attribute_id: &str,
        kind: u8,
        source: Option<&str>,
    ) -> Result<Value> {
        let mut body = json!({ "type": kind.to_string() });
        if let Some(s) = source {
            body["source"] = s.into();
        }
        self.misp
            .post(&["sightings", "add", attribute_id], &body)
            .await
    }

    /// Records sightings of every attribute with one of `values`.
    pub async fn add_by_value(
        &self,
        values: &[&str],
        kind: u8,
        source: Option<&str>,
    ) -> Result<Value> {
        let mut body = json!({ "values": values, "type": kind.to_string() });
        if let Some(s) = source {
            body["source"] = s.into();
        }
        self.misp.post(&["sightings", "add"], &body).await
    }

    /// Deletes a sighting.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["sightings", "delete", id]).await
    }
}

/// `[{"Sighting": {...}, "Organisation": {...}}, ...]` into sightings that keep their organisation.
fn sightings(v: Value) -> Result<Vec<Sighting>> {
    let Value::Array(items) = v else {
        return Err(crate::Error::InvalidInput(format!(
            "expected a list of sightings, got {v}"
        )));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut m) if m.contains_key("Sighting") => {
                let org = m.remove("Organisation");
                let mut s: Sighting = unwrap(Value::Object(m), "Sighting")?;
                if s.organisation.is_none() {
                    s.organisation = org;
                }
                Ok(s)
            }
            other => unwrap(other, "Sighting"),
        })
        .collect()
}

/// Analyst data: notes, opinions and relationships on any entity.
#[derive(Debug, Clone, Copy)]
pub struct AnalystData<'a> {
    pub(crate) misp: &'a Misp,
}

impl AnalystData<'_> {
    /// Analyst data of a kind (`Note`, `Opinion`, `Relationship`).
    pub async fn list(&self, kind: &str) -> Result<Vec<Value>> {
        self.misp.get(&["analystData", "index", kind]).await
    }

    /// One item.
    pub async fn get(&self, kind: &str, id: &str) -> Result<Value> {
        self.misp.get(&["analystData", "view", kind, id]).await
    }

    /// Adds a note, opinion or relationship to an entity (`object_type`: `Event`, `Attribute`
    /// ...).
    pub async fn add<B: Serialize + ?Sized>(
        &self,
        kind: &str,
        object_uuid: &str,
        object_type: &str,
        data: &B,
    ) -> Result<Value> {
        self.misp
            .post(
                &["analystData", "add", kind, object_uuid, object_type],
                data,
            )
            .await
    }

    /// Changes an item.
    pub async fn edit<B: Serialize + ?Sized>(
        &self,
        kind: &str,
        id: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["analystData", "edit", kind, id], fields)
            .await
    }

    /// Deletes an item.
    pub async fn delete(&self, kind: &str, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["analystData", "delete", kind, id]),
        )
        .await
    }
}
