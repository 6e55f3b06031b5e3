//! Attributes and objects: the routes, creation, edits and lookups.

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::types;
use super::{
    all_attributes, as_flag, as_text, misp_error, now_s, s, save_fail, save_success,
    tags_from_body, unknown_route, unwrap_body, Caller, Misp, Req, State,
};
use crate::util;

/// Builds an attribute from a body, or the validation errors MISP answers.
pub(super) fn build_attribute(
    st: &mut State,
    body: &Map<String, Value>,
    event_id: u64,
    object_id: u64,
    user_id: u64,
    default_distribution: &str,
) -> Result<Map<String, Value>, Value> {
    let mut errors = Map::new();
    let t = body.get("type").and_then(as_text).unwrap_or_default();
    let value = body.get("value").and_then(as_text).unwrap_or_default();
    if t.is_empty() {
        errors.insert("type".into(), json!(["The type field is required."]));
    } else if !types::known_type(&t) {
        errors.insert(
            "type".into(),
            json!(["Options depend on the selected category."]),
        );
    }
    if value.trim().is_empty() {
        errors.insert("value".into(), json!(["Value not set."]));
    }
    let (default_cat, default_ids) = types::sane_default(&t).unwrap_or(("Other", false));
    let category = body
        .get("category")
        .and_then(as_text)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| default_cat.to_owned());
    if errors.is_empty() && !types::category_allows(&category, &t) {
        errors.insert(
            "category".into(),
            json!(["Options depend on the selected type."]),
        );
    }
    if !errors.is_empty() {
        return Err(Value::Object(errors));
    }
    let id = st.next("attribute");
    let tags = tags_from_body(st, body, user_id);
    let mut a = json!({
        "id": s(id),
        "type": t,
        "category": category,
        "to_ids": body.get("to_ids").and_then(as_flag).unwrap_or(default_ids),
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "event_id": s(event_id),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| default_distribution.to_owned()),
        "timestamp": body.get("timestamp").and_then(as_text).unwrap_or_else(now_s),
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "sharing_group_id": body.get("sharing_group_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "deleted": false,
        "disable_correlation": body.get("disable_correlation").and_then(as_flag).unwrap_or(false),
        "object_id": s(object_id),
        "object_relation": body.get("object_relation").cloned().unwrap_or(Value::Null),
        "first_seen": body.get("first_seen").cloned().unwrap_or(Value::Null),
        "last_seen": body.get("last_seen").cloned().unwrap_or(Value::Null),
        "value": value.trim(),
    });
    if let Some(obj) = a.as_object_mut() {
        if !tags.is_empty() {
            obj.insert("Tag".into(), Value::Array(tags));
        }
    }
    Ok(a.as_object().cloned().unwrap_or_default())
}

pub(super) fn build_object(
    st: &mut State,
    body: &Map<String, Value>,
    event_id: u64,
    user_id: u64,
) -> Result<Map<String, Value>, Value> {
    let name = body.get("name").and_then(as_text).unwrap_or_default();
    if name.is_empty() {
        return Err(json!({"name": ["The name field is required."]}));
    }
    let id = st.next("object");
    let attrs_in = body
        .get("Attribute")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut attrs = Vec::new();
    for a in attrs_in {
        let am = a.as_object().cloned().unwrap_or_default();
        attrs.push(Value::Object(build_attribute(
            st, &am, event_id, id, user_id, "5",
        )?));
    }
    if attrs.is_empty() {
        return Err(json!({"Attribute": ["An object needs at least one attribute."]}));
    }
    let o = json!({
        "id": s(id),
        "name": name,
        "meta-category": body.get("meta-category").and_then(as_text).unwrap_or_else(|| "misc".into()),
        "description": body.get("description").and_then(as_text).unwrap_or_default(),
        "template_uuid": body.get("template_uuid").and_then(as_text).unwrap_or_default(),
        "template_version": body.get("template_version").and_then(as_text).unwrap_or_else(|| "1".into()),
        "event_id": s(event_id),
        "uuid": body.get("uuid").and_then(as_text).filter(|u| !u.is_empty()).unwrap_or_else(util::uuid4),
        "timestamp": now_s(),
        "distribution": body.get("distribution").and_then(as_text).unwrap_or_else(|| "5".into()),
        "sharing_group_id": "0",
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "deleted": false,
        "first_seen": null,
        "last_seen": null,
        "ObjectReference": [],
        "Attribute": attrs,
    });
    Ok(o.as_object().cloned().unwrap_or_default())
}

pub(super) fn attr_dup(event: &Map<String, Value>, a: &Map<String, Value>) -> bool {
    event
        .get("Attribute")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter().any(|x| {
                x.get("deleted") != Some(&json!(true))
                    && x.get("value") == a.get("value")
                    && x.get("type") == a.get("type")
                    && x.get("category") == a.get("category")
            })
        })
}

/// Runs `f` on the array under `k` (created when missing or not an array).
pub(super) fn edit_array<T>(
    m: &mut Map<String, Value>,
    k: &str,
    f: impl FnOnce(&mut Vec<Value>) -> T,
) -> T {
    let mut items = match m.remove(k) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let out = f(&mut items);
    m.insert(k.to_owned(), Value::Array(items));
    out
}

impl Misp {
    /// Routes a request on attributes and objects.
    pub(super) fn route_attributes(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let m = &req.method;
        let get = *m == Method::GET || *m == Method::HEAD;
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["attributes", "add", eid] => {
                if !caller.can_write() {
                    return misp_error(
                        StatusCode::FORBIDDEN,
                        "You do not have permission to do that.",
                        url,
                    );
                }
                let Some(eid) = self.event_by_ref(st, eid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                };
                let items: Vec<Map<String, Value>> = match body {
                    Value::Array(list) => {
                        list.iter().map(|v| unwrap_body(v, "Attribute")).collect()
                    }
                    other => vec![unwrap_body(other, "Attribute")],
                };
                let single = !body.is_array();
                let mut out = Vec::new();
                for item in items {
                    let attr = match build_attribute(st, &item, eid, 0, caller.user_id, "5") {
                        Ok(a) => a,
                        Err(errors) => {
                            return save_fail("add", "Attribute", "/attributes/add", errors)
                        }
                    };
                    let Some(ev) = st.events.get_mut(&eid) else {
                        return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                    };
                    if attr_dup(ev, &attr) {
                        return save_fail(
                            "add",
                            "Attribute",
                            "/attributes/add",
                            json!({"value": ["A similar attribute already exists for this event."]}),
                        );
                    }
                    edit_array(ev, "Attribute", |l| l.push(Value::Object(attr.clone())));
                    ev.insert("timestamp".into(), s(now_s()));
                    ev.insert("published".into(), json!(false));
                    out.push(attr);
                }
                if single {
                    util::json(
                        StatusCode::OK,
                        json!({"Attribute": out.into_iter().next().unwrap_or_default()}),
                    )
                } else {
                    util::json(StatusCode::OK, json!({"Attribute": out}))
                }
            }
            ["attributes", "view", id] => match find_attribute(st, id) {
                Some((eid, a)) => {
                    let _ = eid;
                    util::json(StatusCode::OK, json!({"Attribute": a}))
                }
                None => misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url),
            },
            ["attributes", "edit", id] => {
                let b = unwrap_body(body, "Attribute");
                let user_id = caller.user_id;
                let new_tags = if b.contains_key("Tag") {
                    Some(tags_from_body(st, &b, user_id))
                } else {
                    None
                };
                let updated = with_attribute_mut(st, id, |a| {
                    for k in [
                        "value",
                        "category",
                        "type",
                        "comment",
                        "distribution",
                        "sharing_group_id",
                        "first_seen",
                        "last_seen",
                        "object_relation",
                    ] {
                        if let Some(v) = b.get(k) {
                            a.insert(
                                k.into(),
                                if v.is_null() {
                                    Value::Null
                                } else {
                                    as_text(v).map(s).unwrap_or(Value::Null)
                                },
                            );
                        }
                    }
                    for k in ["to_ids", "disable_correlation"] {
                        if let Some(f) = b.get(k).and_then(as_flag) {
                            a.insert(k.into(), json!(f));
                        }
                    }
                    if let Some(tags) = &new_tags {
                        if tags.is_empty() {
                            a.remove("Tag");
                        } else {
                            a.insert("Tag".into(), Value::Array(tags.clone()));
                        }
                    }
                    a.insert("timestamp".into(), s(now_s()));
                    a.clone()
                });
                match updated {
                    Some(a) => util::json(StatusCode::OK, json!({"Attribute": a})),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url),
                }
            }
            ["attributes", "delete", id] => {
                let hard = body.get("hard").and_then(as_flag).unwrap_or(false)
                    || req.param("hard").is_some_and(|h| h == "1");
                let target = id.to_string();
                let mut found = false;
                for ev in st.events.values_mut() {
                    let mut lists: Vec<&mut Vec<Value>> = Vec::new();
                    if let Some(Value::Array(a)) = ev.get_mut("Attribute") {
                        lists.push(a);
                    }
                    for list in lists {
                        if let Some(pos) = list.iter().position(|a| {
                            a.get("id").and_then(Value::as_str) == Some(&target)
                                || a.get("uuid").and_then(Value::as_str) == Some(&target)
                        }) {
                            found = true;
                            if hard {
                                list.remove(pos);
                            } else if let Some(a) = list.get_mut(pos).and_then(Value::as_object_mut)
                            {
                                a.insert("deleted".into(), json!(true));
                            }
                        }
                    }
                }
                if !found {
                    found = with_attribute_mut(st, id, |a| {
                        a.insert("deleted".into(), json!(true));
                    })
                    .is_some();
                }
                if found {
                    util::json(StatusCode::OK, json!({"message": "Attribute deleted."}))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid attribute", url)
                }
            }
            ["attributes", "restSearch"] | ["attributes", "restSearch", _] => {
                let mut q = body.as_object().cloned().unwrap_or_default();
                if let Some(f) = segs.get(2) {
                    q.insert("returnFormat".into(), s(f));
                }
                if get && q.is_empty() {
                    return misp_error(StatusCode::BAD_REQUEST, "Restsearch queries using GET and no parameters are not allowed. If you have passed parameters via a JSON body, make sure you use POST requests.", url);
                }
                self.attributes_rest_search(st, &q, url)
            }
            // Objects
            ["objects", "add", eid, ..] => {
                let Some(eid) = self.event_by_ref(st, eid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
                };
                let b = unwrap_body(body, "Object");
                match build_object(st, &b, eid, caller.user_id) {
                    Ok(o) => {
                        if let Some(ev) = st.events.get_mut(&eid) {
                            edit_array(ev, "Object", |l| l.push(Value::Object(o.clone())));
                            ev.insert("timestamp".into(), s(now_s()));
                            ev.insert("published".into(), json!(false));
                        }
                        util::json(StatusCode::OK, json!({"Object": o}))
                    }
                    Err(errors) => save_fail("add", "Object", url, errors),
                }
            }
            ["objects", "view", id] => match find_object(st, id) {
                Some(o) => util::json(StatusCode::OK, json!({"Object": o})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid object.", url),
            },
            ["objects", "delete", id, ..] => {
                let hard = body.get("hard").and_then(as_flag).unwrap_or(false);
                let mut found = false;
                for ev in st.events.values_mut() {
                    if let Some(Value::Array(objs)) = ev.get_mut("Object") {
                        if let Some(pos) = objs.iter().position(|o| {
                            o.get("id").and_then(Value::as_str) == Some(id)
                                || o.get("uuid").and_then(Value::as_str) == Some(id)
                        }) {
                            found = true;
                            if hard {
                                objs.remove(pos);
                            } else if let Some(o) = objs.get_mut(pos).and_then(Value::as_object_mut)
                            {
                                o.insert("deleted".into(), json!(true));
                            }
                        }
                    }
                }
                if found {
                    save_success("Object deleted", url, None)
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid object.", url)
                }
            }
            _ => unknown_route(req),
        }
    }
}

fn find_attribute(st: &State, r: &str) -> Option<(u64, Value)> {
    for (eid, ev) in &st.events {
        for a in all_attributes(ev) {
            if a.get("id").and_then(Value::as_str) == Some(r)
                || a.get("uuid").and_then(Value::as_str) == Some(r)
            {
                return Some((*eid, a.clone()));
            }
        }
    }
    None
}

fn with_attribute_mut<T>(
    st: &mut State,
    r: &str,
    f: impl FnOnce(&mut Map<String, Value>) -> T,
) -> Option<T> {
    let hit = |a: &Value| {
        a.get("id").and_then(Value::as_str) == Some(r)
            || a.get("uuid").and_then(Value::as_str) == Some(r)
    };
    for ev in st.events.values_mut() {
        if let Some(Value::Array(items)) = ev.get_mut("Attribute") {
            if let Some(a) = items
                .iter_mut()
                .find(|a| hit(a))
                .and_then(Value::as_object_mut)
            {
                return Some(f(a));
            }
        }
        if let Some(Value::Array(objs)) = ev.get_mut("Object") {
            for o in objs.iter_mut() {
                if let Some(Value::Array(items)) = o.get_mut("Attribute") {
                    if let Some(a) = items
                        .iter_mut()
                        .find(|a| hit(a))
                        .and_then(Value::as_object_mut)
                    {
                        return Some(f(a));
                    }
                }
            }
        }
    }
    None
}

fn find_object(st: &State, r: &str) -> Option<Value> {
    st.events.values().find_map(|ev| {
        ev.get("Object").and_then(Value::as_array).and_then(|objs| {
            objs.iter()
                .find(|o| {
                    o.get("deleted") != Some(&json!(true))
                        && (o.get("id").and_then(Value::as_str) == Some(r)
                            || o.get("uuid").and_then(Value::as_str) == Some(r))
                })
                .cloned()
        })
    })
}
