//! Organisations.

use std::sync::MutexGuard;

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    bad_request, enable_worker, forbidden, list_response, missing_attributes, no_content,
    not_found, now, query_matches, search, str_field, unknown_route, users_page, with_meta,
    workers_search, Caller, Cortex, Req, State, ADMIN_ORG,
};
use crate::util;

pub(super) fn new_org(name: &str, description: &str, by: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(name));
    m.insert("name".into(), Value::from(name));
    m.insert("description".into(), Value::from(description));
    m.insert("status".into(), Value::from("Active"));
    m.insert("createdBy".into(), Value::from(by));
    m.insert("createdAt".into(), now());
    m
}

fn org_json(o: &Map<String, Value>) -> Value {
    with_meta(o, "organization", str_field(o, "id"), None)
}

fn org_search(st: &State, req: &Req, caller: &Caller) -> Response {
    let docs: Vec<Map<String, Value>> = st
        .orgs
        .values()
        .filter(|o| caller.superadmin() || str_field(o, "id") == caller.org)
        .cloned()
        .collect();
    match search(docs, req, &req.body_query()) {
        Ok((page, total)) => list_response(page.iter().map(org_json).collect(), total),
        Err(resp) => resp,
    }
}

pub(super) fn org_users(st: &State, req: &Req, caller: &Caller, org: &str) -> Response {
    if !(caller.superadmin() || caller.org == org) {
        return forbidden();
    }
    let docs: Vec<_> = st
        .users
        .values()
        .filter(|u| str_field(&u.doc, "organization") == org)
        .map(|u| u.doc.clone())
        .collect();
    users_page(st, req, docs)
}

fn create_org(st: &mut State, req: &Req, caller: &Caller) -> Response {
    if !caller.superadmin() {
        return forbidden();
    }
    let Some(name) = req
        .json
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return missing_attributes("organization", &["name".to_owned()]);
    };
    if st.orgs.contains_key(name) {
        return util::json(
            StatusCode::BAD_REQUEST,
            json!({"type": "ConflictError", "message": format!("[{name}]: version conflict, document already exists (current version [1])"), "object": req.json}),
        );
    }
    let description = req
        .json
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut org = new_org(name, description, &caller.login);
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Active" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Active or Locked"));
        }
        org.insert("status".into(), Value::from(s));
    }
    st.seq += 1;
    org.insert("_seq".into(), Value::from(st.seq));
    let out = org_json(&org);
    st.orgs.insert(name.to_owned(), org);
    util::json(StatusCode::CREATED, out)
}

fn update_org(st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
    if !caller.superadmin() {
        return forbidden();
    }
    let Some(org) = st.orgs.get_mut(id) else {
        return not_found("organization", id);
    };
    if let Some(d) = req.json.get("description").and_then(Value::as_str) {
        org.insert("description".into(), Value::from(d));
    }
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Active" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Active or Locked"));
        }
        org.insert("status".into(), Value::from(s));
    }
    org.insert("updatedBy".into(), Value::from(caller.login.clone()));
    org.insert("updatedAt".into(), now());
    util::json(StatusCode::OK, org_json(org))
}

impl Cortex {
    /// Routes a request on organisations.
    pub(super) fn route_orgs(
        &self,
        mut st: MutexGuard<'_, State>,
        req: &Req,
        caller: &Caller,
    ) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (&req.method, segs.as_slice()) {
            (&Method::GET, ["organization"]) => org_search(&st, req, caller),
            (&Method::POST, ["organization", "_search"]) => org_search(&st, req, caller),
            (&Method::POST, ["organization", "_stats"]) => {
                let q = req.body_query();
                let n = st
                    .orgs
                    .values()
                    .filter(|o| caller.superadmin() || str_field(o, "id") == caller.org)
                    .filter(|o| query_matches(&q, o))
                    .count();
                util::json(StatusCode::OK, json!({"count": n}))
            }
            (&Method::POST, ["organization"]) => create_org(&mut st, req, caller),
            (&Method::GET, ["organization", "user"])
            | (&Method::POST, ["organization", "user", "_search"]) => {
                let org = caller.org.clone();
                org_users(&st, req, caller, &org)
            }
            (&Method::GET, ["organization", "analyzer"])
            | (&Method::POST, ["organization", "analyzer", "_search"]) => {
                workers_search(&st, req, caller, "analyzer", true)
            }
            (&Method::GET, ["organization", "responder"])
            | (&Method::POST, ["organization", "responder", "_search"]) => {
                workers_search(&st, req, caller, "responder", true)
            }
            (&Method::POST, ["organization", kind @ ("analyzer" | "responder"), def]) => {
                enable_worker(&mut st, req, caller, kind, def)
            }
            (&Method::GET, ["organization", id]) => match st.orgs.get(*id) {
                Some(o) if caller.superadmin() || *id == caller.org => {
                    util::json(StatusCode::OK, org_json(o))
                }
                _ => not_found("organization", id),
            },
            (&Method::PATCH, ["organization", id]) => update_org(&mut st, req, caller, id),
            (&Method::DELETE, ["organization", id]) => {
                if !caller.superadmin() {
                    return forbidden();
                }
                if *id == ADMIN_ORG {
                    return bad_request("The organization cortex can't be removed");
                }
                match st.orgs.get_mut(*id) {
                    Some(o) => {
                        o.insert("status".into(), Value::from("Locked"));
                        o.insert("updatedBy".into(), Value::from(caller.login.clone()));
                        o.insert("updatedAt".into(), now());
                        no_content()
                    }
                    None => not_found("organization", id),
                }
            }
            (&Method::GET, ["organization", id, "user"])
            | (&Method::POST, ["organization", id, "user", "_search"]) => {
                if !(caller.superadmin() || *id == caller.org) {
                    return forbidden();
                }
                if !st.orgs.contains_key(*id) {
                    return not_found("organization", id);
                }
                org_users(&st, req, caller, id)
            }
            _ => unknown_route(req),
        }
    }
}
