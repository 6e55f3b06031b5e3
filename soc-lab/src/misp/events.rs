//! Events: the routes, creation and edits, and their JSON.

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, attr_dup, build_attribute, build_object, complex_matches, edit_array,
    event_level_matches, id_of, misp_error, new_org, not_authorised, now_s, page_of, present, s,
    save_fail, save_success, str_of, tag_names, tags_from_body, unknown_route, unwrap_body,
    with_count, Caller, Misp, Req, State,
};
use crate::util;

/// Builds an event (with its attributes, objects and tags) from a body.
pub(super) fn build_event(
    st: &mut State,
    body: &Map<String, Value>,
    caller: &Caller,
) -> Result<Map<String, Value>, Value> {
    let info = body.get("info").and_then(as_text).unwrap_or_default();
    if info.trim().is_empty() {
        return Err(json!({"info": ["Info cannot be empty."]}));
    }
    let id = st.next("event");
    let orgc_id = match body.get("Orgc").and_then(Value::as_object) {
        Some(orgc) => capture_org(st, orgc, caller.user_id),
        None => body
            .get("orgc_id")
            .and_then(as_text)
            .and_then(|v| v.parse().ok())
            .filter(|o| st.orgs.contains_key(o))
            .unwrap_or(caller.org_id),
    };
    let now = now_s();
    let published = body.get("published").and_then(as_flag).unwrap_or(false);
    let mut ev = json!({
        "id": s(id),
        "orgc_id": s(orgc_id),
        "org_id": s(caller.org_id),
        "date": body.get("date").and_then(as_text).unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string()),
        "threat_level_id": body.get("threat_level_id").and_then(as_text).unwrap_or_else(|| "4".into()),
        "info": info,
        "published": published,
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "attribute_count": "0",
        "analysis": body.get("analysis").and_then(as_text).unwrap_or_else(|| "0".into()),
        "timestamp": body.get("timestamp").and_then(as_text).unwrap_or_else(|| now.clone()),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| st.setting_str("MISP.default_event_distribution")),
        "proposal_email_lock": false,
        "locked": false,
        "publish_timestamp": if published { body.get("publish_timestamp").and_then(as_text).unwrap_or_else(|| now.clone()) } else { "0".into() },
        "sharing_group_id": body.get("sharing_group_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "disable_correlation": false,
        "extends_uuid": body.get("extends_uuid").and_then(as_text).unwrap_or_default(),
        "protected": null,
        "event_creator_email": caller.email,
        "Attribute": [],
        "Object": [],
        "Tag": [],
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let tags = tags_from_body(st, body, caller.user_id);
    ev.insert("Tag".into(), Value::Array(tags));
    for a in body
        .get("Attribute")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let am = a.as_object().cloned().unwrap_or_default();
        let attr = build_attribute(st, &am, id, 0, caller.user_id, "5")?;
        if !attr_dup(&ev, &attr) {
            edit_array(&mut ev, "Attribute", |l| l.push(Value::Object(attr)));
        }
    }
    for o in body
        .get("Object")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let om = o.as_object().cloned().unwrap_or_default();
        let obj = build_object(st, &om, id, caller.user_id)?;
        edit_array(&mut ev, "Object", |l| l.push(Value::Object(obj)));
    }
    Ok(ev)
}

fn capture_org(st: &mut State, orgc: &Map<String, Value>, by: u64) -> u64 {
    let uuid = str_of(orgc, "uuid");
    let name = str_of(orgc, "name");
    if let Some((id, _)) = st.orgs.iter().find(|(_, o)| {
        (!uuid.is_empty() && str_of(o, "uuid") == uuid)
            || (!name.is_empty() && str_of(o, "name") == name)
    }) {
        return *id;
    }
    let name = if name.is_empty() { "Unknown" } else { name };
    let uuid = (!uuid.is_empty()).then(|| uuid.to_owned());
    new_org(st, name, by, false, uuid)
}

pub(super) fn all_attributes(ev: &Map<String, Value>) -> Vec<&Value> {
    let mut out: Vec<&Value> = ev
        .get("Attribute")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if let Some(objs) = ev.get("Object").and_then(Value::as_array) {
        for o in objs {
            if o.get("deleted") == Some(&json!(true)) {
                continue;
            }
            if let Some(attrs) = o.get("Attribute").and_then(Value::as_array) {
                out.extend(attrs.iter());
            }
        }
    }
    out.retain(|a| a.get("deleted") != Some(&json!(true)));
    out
}

/// An event as `events/view` shows it.
pub(super) fn render_event(st: &State, ev: &Map<String, Value>, metadata: bool) -> Value {
    let mut out = ev.clone();
    let count = all_attributes(ev).len();
    out.insert("attribute_count".into(), s(count));
    let org_id = str_of(ev, "org_id").parse().unwrap_or(0);
    let orgc_id = str_of(ev, "orgc_id").parse().unwrap_or(0);
    out.insert("Org".into(), st.org_brief(org_id));
    out.insert("Orgc".into(), st.org_brief(orgc_id));
    if let Some(Value::Array(attrs)) = out.get_mut("Attribute") {
        attrs.retain(|a| a.get("deleted") != Some(&json!(true)));
    }
    if let Some(Value::Array(objs)) = out.get_mut("Object") {
        objs.retain(|o| o.get("deleted") != Some(&json!(true)));
    }
    if metadata {
        out.remove("Attribute");
        out.remove("Object");
    } else {
        out.insert("ShadowAttribute".into(), json!([]));
        out.insert("RelatedEvent".into(), json!([]));
        out.insert("Galaxy".into(), json!([]));
        out.insert("EventReport".into(), json!([]));
        out.insert("CryptographicKey".into(), json!([]));
    }
    Value::Object(out)
}

impl Misp {
    pub(super) fn event_by_ref(&self, st: &State, r: &str) -> Option<u64> {
        if let Ok(id) = r.parse::<u64>() {
            return st.events.contains_key(&id).then_some(id);
        }
        st.events
            .iter()
            .find(|(_, e)| str_of(e, "uuid") == r)
            .map(|(id, _)| *id)
    }
}

impl Misp {
    fn edit_event(&self, st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
        let url = req.url.as_str();
        let Some(eid) = self.event_by_ref(st, id) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event", url);
        };
        if !caller.can_write() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "You do not have permission to do that.",
                url,
            );
        }
        let b = unwrap_body(&req.body, "Event");
        let Some(mut ev) = st.events.get(&eid).cloned() else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event", url);
        };
        for k in [
            "info",
            "date",
            "threat_level_id",
            "analysis",
            "distribution",
            "sharing_group_id",
            "extends_uuid",
        ] {
            if let Some(v) = b.get(k).and_then(as_text) {
                ev.insert(k.into(), s(v));
            }
        }
        if let Some(p) = b.get("published").and_then(as_flag) {
            ev.insert("published".into(), json!(p));
        } else {
            ev.insert("published".into(), json!(false));
        }
        if b.contains_key("Tag") {
            let tags = tags_from_body(st, &b, caller.user_id);
            ev.insert("Tag".into(), Value::Array(tags));
        }
        for a in b
            .get("Attribute")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let am = a.as_object().cloned().unwrap_or_default();
            let key = am
                .get("uuid")
                .and_then(as_text)
                .or_else(|| am.get("id").and_then(as_text));
            let pos = key.as_ref().and_then(|k| {
                ev.get("Attribute")
                    .and_then(Value::as_array)
                    .and_then(|list| {
                        list.iter().position(|x| {
                            x.get("uuid").and_then(Value::as_str) == Some(k)
                                || x.get("id").and_then(Value::as_str) == Some(k)
                        })
                    })
            });
            match pos {
                Some(p) => {
                    let tags = if am.contains_key("Tag") {
                        Some(tags_from_body(st, &am, caller.user_id))
                    } else {
                        None
                    };
                    edit_array(&mut ev, "Attribute", |list| {
                        if let Some(x) = list.get_mut(p).and_then(Value::as_object_mut) {
                            let before = x.clone();
                            for k in ["value", "category", "type", "comment", "distribution"] {
                                if let Some(v) = am.get(k).and_then(as_text) {
                                    x.insert(k.into(), s(v));
                                }
                            }
                            for k in ["to_ids", "deleted", "disable_correlation"] {
                                if let Some(f) = am.get(k).and_then(as_flag) {
                                    x.insert(k.into(), json!(f));
                                }
                            }
                            if let Some(tags) = tags {
                                if tags.is_empty() {
                                    x.remove("Tag");
                                } else {
                                    x.insert("Tag".into(), Value::Array(tags));
                                }
                            }
                            if *x != before {
                                x.insert("timestamp".into(), s(now_s()));
                            }
                        }
                    });
                }
                None => match build_attribute(st, &am, eid, 0, caller.user_id, "5") {
                    Ok(attr) => {
                        if !attr_dup(&ev, &attr) {
                            edit_array(&mut ev, "Attribute", |l| l.push(Value::Object(attr)));
                        }
                    }
                    Err(errors) => return save_fail("edit", "Event", url, errors),
                },
            }
        }
        for o in b
            .get("Object")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let om = o.as_object().cloned().unwrap_or_default();
            let uuid = om.get("uuid").and_then(as_text).unwrap_or_default();
            let known = ev.get("Object").and_then(Value::as_array).is_some_and(|l| {
                l.iter()
                    .any(|x| x.get("uuid").and_then(Value::as_str) == Some(&uuid))
            });
            if !known {
                match build_object(st, &om, eid, caller.user_id) {
                    Ok(obj) => edit_array(&mut ev, "Object", |l| l.push(Value::Object(obj))),
                    Err(errors) => return save_fail("edit", "Event", url, errors),
                }
            }
        }
        ev.insert("timestamp".into(), s(now_s()));
        let out = render_event(st, &ev, false);
        st.events.insert(eid, ev);
        util::json(StatusCode::OK, json!({"Event": out}))
    }
}

impl Misp {
    /// Routes a request on events.
    pub(super) fn route_events(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let m = &req.method;
        let get = *m == Method::GET || *m == Method::HEAD;
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["events", "add"] => {
                if !caller.can_write() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You do not have permission to do that.",
                        url,
                    );
                }
                let b = unwrap_body(body, "Event");
                if let Some(uuid) = b.get("uuid").and_then(as_text) {
                    if let Some((id, _)) = st.events.iter().find(|(_, e)| str_of(e, "uuid") == uuid)
                    {
                        return misp_error(StatusCode::FORBIDDEN, &format!("Event already exists, if you would like to edit it, use the url in the location header. (/events/view/{id})"), url);
                    }
                }
                match build_event(st, &b, caller) {
                    Ok(ev) => {
                        let out =
                            render_event(st, &ev, req.param("metadata").is_some_and(|m| m == "1"));
                        st.events.insert(id_of(&ev), ev);
                        util::json(StatusCode::OK, json!({"Event": out}))
                    }
                    Err(errors) => save_fail("add", "Event", url, errors),
                }
            }
            ["events", "view", id] => match self.event_by_ref(st, id) {
                Some(eid) => {
                    let ev = st.events.get(&eid).cloned().unwrap_or_default();
                    util::json(
                        StatusCode::OK,
                        json!({"Event": render_event(st, &ev, false)}),
                    )
                }
                None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
            },
            ["events", "edit", id] => self.edit_event(st, req, caller, id),
            ["events", "delete", id] => {
                if get {
                    return misp_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", url);
                }
                match self.event_by_ref(st, id) {
                    Some(eid)
                        if caller.site_admin()
                            || st.events.get(&eid).is_some_and(|e| {
                                str_of(e, "orgc_id") == caller.org_id.to_string()
                            }) =>
                    {
                        st.events.remove(&eid);
                        save_success("Event deleted.", url, Some(eid))
                    }
                    Some(_) => not_authorised(url),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
                }
            }
            ["events", op @ ("publish" | "alert" | "unpublish"), id] => {
                match self.event_by_ref(st, id) {
                    Some(eid) => {
                        let publish = *op != "unpublish";
                        if let Some(e) = st.events.get_mut(&eid) {
                            e.insert("published".into(), json!(publish));
                            if publish {
                                e.insert("publish_timestamp".into(), s(now_s()));
                            }
                        }
                        let msg = if publish {
                            "Job queued"
                        } else {
                            "Event unpublished."
                        };
                        util::json(
                            StatusCode::OK,
                            json!({"name": if publish {"Publish"} else {"Unpublish"}, "message": msg, "url": url, "id": s(eid)}),
                        )
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid event", url),
                }
            }
            ["events", "index"] | ["events"] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                for (k, v) in &req.named {
                    q.entry(k.clone()).or_insert(s(v));
                }
                let list: Vec<Value> = st
                    .events
                    .values()
                    .rev()
                    .filter(|ev| event_level_matches(st, &q, ev))
                    .filter(|ev| {
                        present(&q, "tags")
                            .or_else(|| present(&q, "tag"))
                            .is_none_or(|v| complex_matches(v, &tag_names(ev), true))
                    })
                    .map(|ev| index_event(st, ev))
                    .collect();
                let total = list.len();
                with_count(
                    util::json(StatusCode::OK, Value::Array(page_of(list, &q))),
                    total,
                )
            }
            ["events", "restSearch"] | ["events", "restSearch", _] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                if let Some(f) = segs.get(2) {
                    q.insert("returnFormat".into(), s(f));
                }
                if get && q.is_empty() {
                    return misp_error(StatusCode::BAD_REQUEST, "Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.", url);
                }
                self.events_rest_search(st, &q, url)
            }
            ["events", op @ ("addTag" | "removeTag"), rest @ ..] => {
                self.event_tag_route(st, req, caller, op, rest)
            }
            _ => unknown_route(req),
        }
    }
}

fn index_event(st: &State, ev: &Map<String, Value>) -> Value {
    let mut out = ev.clone();
    out.remove("Attribute");
    out.remove("Object");
    out.remove("Tag");
    out.remove("event_creator_email");
    out.insert("attribute_count".into(), s(all_attributes(ev).len()));
    out.insert("sighting_timestamp".into(), s("0"));
    let org_id: u64 = str_of(ev, "org_id").parse().unwrap_or(0);
    let orgc_id: u64 = str_of(ev, "orgc_id").parse().unwrap_or(0);
    let brief = |id: u64| {
        let o = st.org_brief(id);
        json!({"id": o.get("id"), "name": o.get("name"), "uuid": o.get("uuid")})
    };
    out.insert("Org".into(), brief(org_id));
    out.insert("Orgc".into(), brief(orgc_id));
    let event_tags: Vec<Value> = ev
        .get("Tag")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({
                        "id": s(i + 1), "event_id": str_of(ev, "id"), "tag_id": t.get("id"),
                        "local": t.get("local").cloned().unwrap_or(json!(false)), "relationship_type": null,
                        "Tag": {"id": t.get("id"), "name": t.get("name"), "colour": t.get("colour"), "is_galaxy": t.get("is_galaxy")},
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("EventTag".into(), Value::Array(event_tags));
    out.insert(
        "SharingGroup".into(),
        json!({"id": null, "name": null, "uuid": null}),
    );
    Value::Object(out)
}
