//! Users, their roles, passwords and API keys.

use std::sync::MutexGuard;

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    bad_request, err, forbidden, list_response, missing_attributes, new_org, no_content, not_found,
    now, org_users, search, str_field, text_response, unknown_route, with_meta, Caller, Cortex,
    Req, State, UserRec, ADMIN_ORG,
};
use crate::util;

pub(super) fn new_user(login: &str, name: &str, org: &str, roles: &[String], by: &str) -> UserRec {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(login));
    m.insert("name".into(), Value::from(name));
    m.insert("roles".into(), json!(roles));
    m.insert("status".into(), Value::from("Ok"));
    m.insert("organization".into(), Value::from(org));
    m.insert("createdBy".into(), Value::from(by));
    m.insert("createdAt".into(), now());
    UserRec {
        doc: m,
        password: None,
        key: None,
    }
}

pub(super) fn user_json(u: &UserRec) -> Value {
    let mut v = with_meta(&u.doc, "user", str_field(&u.doc, "id"), None);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("hasKey".into(), Value::from(u.key.is_some()));
        obj.insert("hasPassword".into(), Value::from(u.password.is_some()));
    }
    v
}

fn can_see_user(caller: &Caller, u: &UserRec) -> bool {
    caller.superadmin()
        || caller.login == str_field(&u.doc, "id")
        || str_field(&u.doc, "organization") == caller.org
}

fn can_admin_user(caller: &Caller, u: Option<&UserRec>) -> bool {
    caller.superadmin()
        || (caller.orgadmin() && u.is_none_or(|u| str_field(&u.doc, "organization") == caller.org))
}

pub(super) fn users_page(st: &State, req: &Req, docs: Vec<Map<String, Value>>) -> Response {
    match search(docs, req, &req.body_query()) {
        Ok((page, total)) => list_response(
            page.iter()
                .filter_map(|d| st.users.get(str_field(d, "id")).map(user_json))
                .collect(),
            total,
        ),
        Err(resp) => resp,
    }
}

fn parse_roles(v: Option<&Value>) -> Result<Vec<String>, Response> {
    let roles: Vec<String> = match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| r.as_str().map(|s| s.trim().to_lowercase()))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty())
            .collect(),
        _ => return Err(missing_attributes("user", &["roles".to_owned()])),
    };
    if let Some(bad) = roles
        .iter()
        .find(|r| !matches!(r.as_str(), "read" | "analyze" | "orgadmin" | "superadmin"))
    {
        return Err(util::json(
            StatusCode::BAD_REQUEST,
            json!({"tableName": "user", "type": "AttributeCheckingError", "errors": [{"name": "roles", "value": bad, "type": "InvalidFormatAttributeError", "message": format!("Invalid format for roles: {bad}, expected role")}]}),
        ));
    }
    Ok(roles)
}

fn create_user(st: &mut State, req: &Req, caller: &Caller) -> Response {
    let b = &req.json;
    let mut missing = Vec::new();
    let login = b
        .get("login")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let name = b.get("name").and_then(Value::as_str).map(str::to_owned);
    if login.is_none() {
        missing.push("login".to_owned());
    }
    if name.is_none() {
        missing.push("name".to_owned());
    }
    let roles = match parse_roles(b.get("roles")) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let (Some(login), Some(name)) = (login, name) else {
        return missing_attributes("user", &missing);
    };
    let org = b
        .get("organization")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| caller.org.clone());
    if !(caller.superadmin() || (caller.orgadmin() && org == caller.org)) {
        return forbidden();
    }
    if roles.iter().any(|r| r == "superadmin") && !caller.superadmin() {
        return forbidden();
    }
    if org == ADMIN_ORG && roles.iter().any(|r| r != "superadmin") {
        return bad_request("The organization cortex can contain only superadmin users");
    }
    if org != ADMIN_ORG && roles.iter().any(|r| r == "superadmin") {
        return bad_request("Superadmin users must belong to the organization cortex");
    }
    if st.users.is_empty() && !st.orgs.contains_key(ADMIN_ORG) {
        // The first user of a fresh install comes with the cortex organisation.
        let o = new_org(ADMIN_ORG, "Cortex administrators", "init");
        st.orgs.insert(ADMIN_ORG.into(), o);
    }
    if !st.orgs.contains_key(&org) {
        return not_found("organization", &org);
    }
    if st.users.contains_key(&login) {
        return util::json(
            StatusCode::BAD_REQUEST,
            json!({"type": "ConflictError", "message": format!("[{login}]: version conflict, document already exists (current version [1])"), "object": b}),
        );
    }
    let mut u = new_user(&login, &name, &org, &roles, &caller.login);
    if let Some(pw) = b
        .get("password")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        u.password = Some(util::hash_password(pw));
    }
    // The user model's `key` attribute may be given at creation, as the first superadmin's is.
    if let Some(key) = b
        .get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    {
        u.key = Some(key.to_owned());
    }
    st.seq += 1;
    u.doc.insert("_seq".into(), Value::from(st.seq));
    let out = user_json(&u);
    st.users.insert(login, u);
    util::json(StatusCode::CREATED, out)
}

fn update_user(st: &mut State, req: &Req, caller: &Caller, id: &str) -> Response {
    let self_edit = caller.login == id;
    if !(self_edit || can_admin_user(caller, st.users.get(id))) {
        return forbidden();
    }
    let roles = match req.json.get("roles") {
        Some(v) => match parse_roles(Some(v)) {
            Ok(r) => Some(r),
            Err(resp) => return resp,
        },
        None => None,
    };
    if (roles.is_some()
        || req.json.get("organization").is_some()
        || req.json.get("status").is_some())
        && !can_admin_user(caller, st.users.get(id))
    {
        return forbidden();
    }
    let Some(u) = st.users.get_mut(id) else {
        return not_found("user", id);
    };
    if let Some(n) = req.json.get("name").and_then(Value::as_str) {
        u.doc.insert("name".into(), Value::from(n));
    }
    if let Some(r) = roles {
        u.doc.insert("roles".into(), json!(r));
    }
    if let Some(o) = req.json.get("organization").and_then(Value::as_str) {
        if caller.superadmin() {
            u.doc.insert("organization".into(), Value::from(o));
        }
    }
    if let Some(s) = req.json.get("status").and_then(Value::as_str) {
        if !matches!(s, "Ok" | "Locked") {
            return bad_request(format!("Invalid status {s}, expected Ok or Locked"));
        }
        u.doc.insert("status".into(), Value::from(s));
    }
    u.doc
        .insert("updatedBy".into(), Value::from(caller.login.clone()));
    u.doc.insert("updatedAt".into(), now());
    util::json(StatusCode::OK, user_json(u))
}

impl Cortex {
    /// Routes a request on users and their keys.
    pub(super) fn route_users(
        &self,
        mut st: MutexGuard<'_, State>,
        req: &Req,
        caller: &Caller,
    ) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        match (&req.method, segs.as_slice()) {
            (&Method::GET, ["user", "current"]) => match st.users.get(&caller.login) {
                Some(u) => util::json(StatusCode::OK, user_json(u)),
                None => util::json(
                    StatusCode::OK,
                    json!({"id": "init", "name": "init", "roles": caller.roles, "organization": ADMIN_ORG, "status": "Ok", "hasKey": false, "hasPassword": false}),
                ),
            },
            (&Method::GET, ["user"]) | (&Method::POST, ["user", "_search"]) => {
                if !caller.superadmin() {
                    let org = caller.org.clone();
                    return org_users(&st, req, caller, &org);
                }
                let docs: Vec<_> = st.users.values().map(|u| u.doc.clone()).collect();
                users_page(&st, req, docs)
            }
            (&Method::POST, ["user"]) => create_user(&mut st, req, caller),
            (&Method::GET, ["user", id]) => match st.users.get(*id) {
                Some(u) if can_see_user(caller, u) => util::json(StatusCode::OK, user_json(u)),
                _ => not_found("user", id),
            },
            (&Method::PATCH, ["user", id]) => update_user(&mut st, req, caller, id),
            (&Method::DELETE, ["user", id]) => {
                if !can_admin_user(caller, st.users.get(*id)) {
                    return forbidden();
                }
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.doc.insert("status".into(), Value::from("Locked"));
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "password", "set"]) => {
                if !can_admin_user(caller, st.users.get(*id)) {
                    return forbidden();
                }
                let Some(pw) = req.json.get("password").and_then(Value::as_str) else {
                    return missing_attributes("user", &["password".to_owned()]);
                };
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.password = Some(util::hash_password(pw));
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "password", "change"]) => {
                if caller.login != *id {
                    return forbidden();
                }
                let current = req
                    .json
                    .get("currentPassword")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let Some(pw) = req.json.get("password").and_then(Value::as_str) else {
                    return missing_attributes("user", &["password".to_owned()]);
                };
                match st.users.get_mut(*id) {
                    Some(u)
                        if u.password
                            .as_deref()
                            .is_some_and(|p| util::password_matches(p, current)) =>
                    {
                        u.password = Some(util::hash_password(pw));
                        no_content()
                    }
                    Some(_) => err(
                        StatusCode::UNAUTHORIZED,
                        "AuthenticationError",
                        "Authentication failure",
                    ),
                    None => not_found("user", id),
                }
            }
            (&Method::GET, ["user", id, "key"]) => {
                if !(caller.login == *id || can_admin_user(caller, st.users.get(*id))) {
                    return forbidden();
                }
                match st.users.get(*id) {
                    Some(u) => match &u.key {
                        Some(k) => text_response(StatusCode::OK, k.clone()),
                        None => util::json(
                            StatusCode::NOT_FOUND,
                            json!({"type": "NotFoundError", "message": format!("User {id} hasn't key")}),
                        ),
                    },
                    None => not_found("user", id),
                }
            }
            (&Method::DELETE, ["user", id, "key"]) => {
                if !(caller.login == *id || can_admin_user(caller, st.users.get(*id))) {
                    return forbidden();
                }
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.key = None;
                        no_content()
                    }
                    None => not_found("user", id),
                }
            }
            (&Method::POST, ["user", id, "key", op @ ("renew" | "set")]) => {
                if !(caller.login == *id || can_admin_user(caller, st.users.get(*id))) {
                    return forbidden();
                }
                let key = if *op == "set" {
                    match req.json.get("key").and_then(Value::as_str) {
                        Some(k) if !k.trim().is_empty() => k.trim().to_owned(),
                        _ => return missing_attributes("user", &["key".to_owned()]),
                    }
                } else {
                    util::random_alnum(32)
                };
                match st.users.get_mut(*id) {
                    Some(u) => {
                        u.key = Some(key.clone());
                        text_response(StatusCode::OK, key)
                    }
                    None => not_found("user", id),
                }
            }
            _ => unknown_route(req),
        }
    }
}
