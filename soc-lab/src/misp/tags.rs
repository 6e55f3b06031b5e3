//! Tags: the routes, their capture from bodies, and attaching them to events and attributes.

use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, edit_array, misp_error, s, save_fail, save_success, str_of, unknown_route,
    unwrap_body, wildcard_match, Caller, Misp, Req, State,
};
use crate::util;

fn tag_doc(id: u64, name: &str, body: &Map<String, Value>, user_id: u64) -> Map<String, Value> {
    let colour = body
        .get("colour")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", util::random_hex(6)));
    let v = json!({
        "id": s(id), "name": name, "colour": colour,
        "exportable": body.get("exportable").and_then(as_flag).unwrap_or(true),
        "org_id": body.get("org_id").and_then(as_text).unwrap_or_else(|| "0".into()),
        "user_id": s(user_id),
        "hide_tag": body.get("hide_tag").and_then(as_flag).unwrap_or(false),
        "numerical_value": body.get("numerical_value").cloned().unwrap_or(Value::Null),
        "is_galaxy": name.starts_with("misp-galaxy:"),
        "is_custom_galaxy": false,
        "local_only": body.get("local_only").and_then(as_flag).unwrap_or(false),
    });
    v.as_object().cloned().unwrap_or_default()
}

/// The tag with this name (or id), created when it does not exist.
fn capture_tag(st: &mut State, name_or_id: &str, user_id: u64) -> Option<u64> {
    if let Ok(id) = name_or_id.parse::<u64>() {
        return st.tags.contains_key(&id).then_some(id);
    }
    let name = name_or_id.trim();
    if name.is_empty() {
        return None;
    }
    if let Some((id, _)) = st.tags.iter().find(|(_, t)| str_of(t, "name") == name) {
        return Some(*id);
    }
    let id = st.next("tag");
    st.tags.insert(id, tag_doc(id, name, &Map::new(), user_id));
    Some(id)
}

/// A tag as it appears attached to an event or attribute.
pub(super) fn attached_tag(st: &State, id: u64, local: bool) -> Value {
    let mut t = st.tags.get(&id).cloned().unwrap_or_default();
    t.remove("org_id");
    t.insert("local".into(), json!(local));
    t.insert("relationship_type".into(), Value::Null);
    Value::Object(t)
}

/// Tags from a body's `Tag` list (`[{"name": ..}]` or names), as attached tags.
pub(super) fn tags_from_body(
    st: &mut State,
    body: &Map<String, Value>,
    user_id: u64,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let items = body
        .get("Tag")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in items {
        let (name, local) = match &item {
            Value::String(n) => (n.clone(), false),
            Value::Object(m) => (
                m.get("name").and_then(as_text).unwrap_or_default(),
                m.get("local").and_then(as_flag).unwrap_or(false),
            ),
            _ => continue,
        };
        if let Some(id) = capture_tag(st, &name, user_id) {
            let tag = attached_tag(st, id, local);
            if !out.iter().any(|t| t.get("id") == tag.get("id")) {
                out.push(tag);
            }
        }
    }
    out
}

pub(super) fn tag_names(m: &Map<String, Value>) -> Vec<String> {
    m.get("Tag")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Misp {
    pub(super) fn event_tag_route(
        &self,
        st: &mut State,
        req: &Req,
        caller: &Caller,
        op: &str,
        rest: &[&str],
    ) -> Response {
        let url = req.url.as_str();
        let b = req.body.as_object().cloned().unwrap_or_default();
        let event_ref = rest
            .first()
            .map(|s| (*s).to_owned())
            .or_else(|| b.get("event").and_then(as_text));
        let tag_ref = rest
            .get(1)
            .map(|s| (*s).to_owned())
            .or_else(|| b.get("tag").and_then(as_text));
        let local = req.param("local").is_some_and(|l| l == "1")
            || b.get("local").and_then(as_flag).unwrap_or(false);
        let Some(eid) = event_ref.and_then(|r| self.event_by_ref(st, &r)) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
        };
        let Some(tag_ref) = tag_ref else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid tag.", url);
        };
        let tid = if op == "addTag" {
            capture_tag(st, &tag_ref, caller.user_id)
        } else {
            tag_by_ref(st, &tag_ref)
        };
        let Some(tid) = tid else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid tag.", url);
        };
        let tag = attached_tag(st, tid, local);
        let Some(ev) = st.events.get_mut(&eid) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid event.", url);
        };
        let add = op == "addTag";
        let had = edit_array(ev, "Tag", |tags| {
            let had = tags.iter().any(|t| t.get("id") == tag.get("id"));
            if add && !had {
                tags.push(tag.clone());
            } else if !add {
                tags.retain(|t| t.get("id") != tag.get("id"));
            }
            had
        });
        if add {
            util::json(
                StatusCode::OK,
                json!({"saved": true, "success": "Tag(s) added.", "check_publish": true}),
            )
        } else if had {
            util::json(
                StatusCode::OK,
                json!({"saved": true, "success": "Tag removed.", "check_publish": true}),
            )
        } else {
            util::json(
                StatusCode::OK,
                json!({"saved": false, "errors": "Tag is not attached to this event."}),
            )
        }
    }

    fn attach_tag(&self, st: &mut State, req: &Req, caller: &Caller, op: &str) -> Response {
        let url = req.url.as_str();
        let b = req.body.as_object().cloned().unwrap_or_default();
        let uuid = b.get("uuid").and_then(as_text).unwrap_or_default();
        let tag_ref = b.get("tag").and_then(as_text).unwrap_or_default();
        let local = b.get("local").and_then(as_flag).unwrap_or(false);
        if uuid.is_empty() || tag_ref.is_empty() {
            return misp_error(
                StatusCode::FORBIDDEN,
                "Invalid input. Expected: {\"uuid\": ..., \"tag\": ...}",
                url,
            );
        }
        let tid = if op == "attachTagToObject" {
            capture_tag(st, &tag_ref, caller.user_id)
        } else {
            tag_by_ref(st, &tag_ref)
        };
        let Some(tid) = tid else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid Tag.", url);
        };
        let tag = attached_tag(st, tid, local);
        let tag_name = str_of(tag.as_object().unwrap_or(&Map::new()), "name").to_owned();
        let attach = op == "attachTagToObject";
        let mut target: Option<(String, String)> = None;
        let mut changed = false;
        let apply = |holder: &mut Map<String, Value>| -> bool {
            edit_array(holder, "Tag", |tags| {
                let had = tags.iter().any(|t| t.get("id") == tag.get("id"));
                if attach && !had {
                    tags.push(tag.clone());
                    true
                } else if !attach && had {
                    tags.retain(|t| t.get("id") != tag.get("id"));
                    true
                } else {
                    false
                }
            })
        };
        'outer: for ev in st.events.values_mut() {
            if str_of(ev, "uuid") == uuid {
                changed = apply(ev);
                target = Some(("Event".into(), str_of(ev, "id").to_owned()));
                break;
            }
            let mut lists: Vec<&mut Value> = Vec::new();
            if let Some(a) = ev.get_mut("Attribute") {
                lists.push(a);
            }
            for list in lists {
                if let Value::Array(items) = list {
                    for a in items.iter_mut() {
                        if let Some(am) = a.as_object_mut() {
                            if str_of(am, "uuid") == uuid {
                                changed = apply(am);
                                if am
                                    .get("Tag")
                                    .and_then(Value::as_array)
                                    .is_some_and(Vec::is_empty)
                                {
                                    am.remove("Tag");
                                }
                                target = Some(("Attribute".into(), str_of(am, "id").to_owned()));
                                break 'outer;
                            }
                        }
                    }
                }
            }
            if let Some(Value::Array(objs)) = ev.get_mut("Object") {
                for o in objs.iter_mut() {
                    if let Some(Value::Array(items)) = o.get_mut("Attribute") {
                        for a in items.iter_mut() {
                            if let Some(am) = a.as_object_mut() {
                                if str_of(am, "uuid") == uuid {
                                    changed = apply(am);
                                    target =
                                        Some(("Attribute".into(), str_of(am, "id").to_owned()));
                                    break 'outer;
                                }
                            }
                        }
                    }
                }
            }
        }
        let Some((kind, id)) = target else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid target.", url);
        };
        let scope = if local { "Local" } else { "Global" };
        let msg = match (attach, changed) {
            (true, true) => {
                format!("{scope} tag {tag_name}({tid}) successfully attached to {kind}({id}).")
            }
            (true, false) => {
                format!("{scope} tag {tag_name}({tid}) successfully attached to {kind}({id}).")
            }
            (false, true) => {
                format!("Tag {tag_name}({tid}) successfully removed from {kind}({id}).")
            }
            (false, false) => {
                return save_fail(
                    "remove",
                    "Tag",
                    url,
                    json!(format!(
                        "Tag {tag_name}({tid}) is not attached to {kind}({id})."
                    )),
                )
            }
        };
        save_success(&msg, url, None)
    }
}

impl Misp {
    /// Routes a request on tags.
    pub(super) fn route_tags(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["tags", "index"] | ["tags"] => {
                let search = req.param("searchall");
                let list: Vec<Value> = st
                    .tags
                    .values()
                    .filter(|t| {
                        search.as_deref().is_none_or(|q| {
                            wildcard_match(&format!("%{}%", q.trim_matches('%')), str_of(t, "name"))
                        })
                    })
                    .map(|t| {
                        let mut t = t.clone();
                        let id = t.get("id").cloned();
                        let count = st
                            .events
                            .values()
                            .filter(|e| {
                                e.get("Tag")
                                    .and_then(Value::as_array)
                                    .is_some_and(|ts| ts.iter().any(|x| x.get("id") == id.as_ref()))
                            })
                            .count();
                        t.insert("count".into(), json!(count));
                        t.insert("attribute_count".into(), json!(0));
                        t.insert("favourite".into(), json!(false));
                        Value::Object(t)
                    })
                    .collect();
                util::json(StatusCode::OK, json!({"Tag": list}))
            }
            ["tags", "view", id] => match st.tags.get(&id.parse().unwrap_or(0)) {
                Some(t) => util::json(StatusCode::OK, Value::Object(t.clone())),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid tag", url),
            },
            ["tags", "add"] => {
                let b = unwrap_body(body, "Tag");
                let name = b.get("name").and_then(as_text).unwrap_or_default();
                if name.trim().is_empty() {
                    return save_fail(
                        "add",
                        "Tag",
                        url,
                        json!({"name": ["This field is required."]}),
                    );
                }
                if st.tags.values().any(|t| str_of(t, "name") == name.trim()) {
                    return save_fail(
                        "add",
                        "Tag",
                        url,
                        json!({"name": ["A similar name already exists."]}),
                    );
                }
                let id = st.next("tag");
                let t = tag_doc(id, name.trim(), &b, caller.user_id);
                st.tags.insert(id, t.clone());
                util::json(StatusCode::OK, json!({"Tag": t}))
            }
            ["tags", "edit", id] => {
                let b = unwrap_body(body, "Tag");
                match st.tags.get_mut(&id.parse().unwrap_or(0)) {
                    Some(t) => {
                        for k in ["name", "colour", "numerical_value"] {
                            if let Some(v) = b.get(k) {
                                t.insert(k.into(), v.clone());
                            }
                        }
                        for k in ["exportable", "hide_tag", "local_only"] {
                            if let Some(f) = b.get(k).and_then(as_flag) {
                                t.insert(k.into(), json!(f));
                            }
                        }
                        util::json(StatusCode::OK, json!({"Tag": t}))
                    }
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid tag", url),
                }
            }
            ["tags", "delete", id] => {
                let tid: u64 = id.parse().unwrap_or(0);
                if st.tags.remove(&tid).is_some() {
                    save_success("Tag deleted.", url, Some(tid))
                } else {
                    misp_error(StatusCode::NOT_FOUND, "Invalid tag", url)
                }
            }
            ["tags", op @ ("attachTagToObject" | "removeTagFromObject")] => {
                self.attach_tag(st, req, caller, op)
            }
            _ => unknown_route(req),
        }
    }
}

/// A tag's id from an id or a name; the id is taken as given.
fn tag_by_ref(st: &State, tag_ref: &str) -> Option<u64> {
    tag_ref.parse().ok().or_else(|| {
        st.tags
            .iter()
            .find(|(_, t)| str_of(t, "name") == tag_ref)
            .map(|(id, _)| *id)
    })
}
