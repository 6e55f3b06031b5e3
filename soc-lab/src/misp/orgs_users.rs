//! The routes on users, roles, organisations and auth keys, and what organisations need.

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, internal_error, misp_error, new_auth_key, not_authorised, role_json, s,
    save_fail, save_success, str_of, unknown_route, unwrap_body, user_brief, user_full, Caller,
    Misp, Req, State, ROLES,
};
use crate::util;

pub(super) fn new_org(
    st: &mut State,
    name: &str,
    by: u64,
    local: bool,
    uuid: Option<String>,
) -> u64 {
    let id = st.next("org");
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let mut o = Map::new();
    o.insert("id".into(), s(id));
    o.insert("name".into(), s(name));
    o.insert("date_created".into(), s(&now));
    o.insert("date_modified".into(), s(&now));
    o.insert("description".into(), s(""));
    o.insert("type".into(), s(""));
    o.insert("nationality".into(), s(""));
    o.insert("sector".into(), s(""));
    o.insert("created_by".into(), s(by));
    o.insert("uuid".into(), s(uuid.unwrap_or_else(util::uuid4)));
    o.insert("contacts".into(), s(""));
    o.insert("local".into(), json!(local));
    o.insert("restricted_to_domain".into(), json!([]));
    o.insert("landingpage".into(), Value::Null);
    st.orgs.insert(id, o);
    id
}

impl Misp {
    fn org_by_ref(&self, st: &State, r: &str) -> Option<u64> {
        if let Ok(id) = r.parse::<u64>() {
            return st.orgs.contains_key(&id).then_some(id);
        }
        st.orgs
            .iter()
            .find(|(_, o)| str_of(o, "uuid") == r || str_of(o, "name") == r)
            .map(|(id, _)| *id)
    }
}

impl Misp {
    /// Routes a request on users, roles, organisations and auth keys.
    pub(super) fn route_accounts(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let m = &req.method;
        let get = *m == Method::GET || *m == Method::HEAD;
        let url = req.url.as_str();
        let body = &req.body;
        match segs.as_slice() {
            ["users", "view", id] | ["admin", "users", "view", id] => {
                let uid = if *id == "me" {
                    caller.user_id
                } else {
                    id.parse().unwrap_or(0)
                };
                if uid != caller.user_id && !caller.org_admin() {
                    return not_authorised(url);
                }
                match st.users.get(&uid) {
                    Some(u)
                        if caller.site_admin()
                            || uid == caller.user_id
                            || str_of(u, "org_id") == caller.org_id.to_string() =>
                    {
                        util::json(StatusCode::OK, user_full(st, u))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid user", url),
                }
            }
            ["admin", "users", "index"] | ["admin", "users"] | ["users", "index"] => {
                if !caller.org_admin() {
                    return not_authorised(url);
                }
                let list: Vec<Value> = st
                    .users
                    .values()
                    .filter(|u| caller.site_admin() || str_of(u, "org_id") == caller.org_id.to_string())
                    .filter(|u| req.param("value").is_none_or(|v| str_of(u, "email").contains(&v)))
                    .map(|u| {
                        let org_id: u64 = str_of(u, "org_id").parse().unwrap_or(0);
                        let role_id: u64 = str_of(u, "role_id").parse().unwrap_or(0);
                        let role = role_json(role_id);
                        json!({"User": u, "Role": {"id": s(role_id), "name": role.get("name"), "perm_auth": true, "perm_site_admin": role.get("perm_site_admin")}, "Organisation": {"id": s(org_id), "name": st.orgs.get(&org_id).map(|o| str_of(o, "name")).unwrap_or("")}})
                    })
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["admin", "users", "add"] => self.add_user(st, req, caller),
            ["admin", "users", "edit", id] | ["users", "edit", id] => {
                self.edit_user(st, req, caller, id)
            }
            ["admin", "users", "delete", id] => {
                if !caller.org_admin() || get {
                    return not_authorised(url);
                }
                let uid: u64 = id.parse().unwrap_or(0);
                if uid == caller.user_id {
                    return save_fail("delete", "User", url, json!("You cannot delete yourself."));
                }
                match st.users.get(&uid) {
                    Some(u)
                        if caller.site_admin()
                            || str_of(u, "org_id") == caller.org_id.to_string() =>
                    {
                        st.users.remove(&uid);
                        st.auth_keys
                            .retain(|_, k| str_of(&k.doc, "user_id") != uid.to_string());
                        save_success("User deleted.", url, Some(uid))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid user", url),
                }
            }
            ["roles", "index"] | ["roles"] | ["admin", "roles", "index"] | ["admin", "roles"] => {
                util::json(
                    StatusCode::OK,
                    Value::Array(
                        ROLES
                            .iter()
                            .map(|r| json!({"Role": role_json(r.0)}))
                            .collect(),
                    ),
                )
            }
            // Organisations
            ["organisations", "index"] | ["organisations"] => {
                let scope = req.param("scope").unwrap_or_else(|| "local".into());
                let search = req.param("searchall");
                let list: Vec<Value> = st
                    .orgs
                    .values()
                    .filter(|o| match scope.as_str() {
                        "all" => true,
                        "external" => o.get("local") == Some(&json!(false)),
                        _ => o.get("local") != Some(&json!(false)),
                    })
                    .filter(|o| {
                        search.as_deref().is_none_or(|q| {
                            str_of(o, "name").to_lowercase().contains(&q.to_lowercase())
                        })
                    })
                    .map(|o| json!({"Organisation": org_full(st, o)}))
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["organisations", "view", id] => {
                let oid = self.org_by_ref(st, id);
                match oid.and_then(|oid| st.orgs.get(&oid)) {
                    Some(o) => util::json(StatusCode::OK, json!({"Organisation": org_full(st, o)})),
                    None => misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url),
                }
            }
            ["admin", "organisations", "add"] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let b = unwrap_body(body, "Organisation");
                let name = b.get("name").and_then(as_text).unwrap_or_default();
                if name.trim().is_empty() {
                    return save_fail(
                        "add",
                        "Organisation",
                        url,
                        json!({"name": ["The name field is required."]}),
                    );
                }
                if st
                    .orgs
                    .values()
                    .any(|o| str_of(o, "name").eq_ignore_ascii_case(name.trim()))
                {
                    return save_fail(
                        "add",
                        "Organisation",
                        url,
                        json!({"name": ["An organisation with this name already exists."]}),
                    );
                }
                let local = b.get("local").and_then(as_flag).unwrap_or(true);
                let id = new_org(
                    st,
                    name.trim(),
                    caller.user_id,
                    local,
                    b.get("uuid").and_then(as_text),
                );
                if let Some(o) = st.orgs.get_mut(&id) {
                    apply_org_fields(o, &b);
                }
                let o = st.orgs.get(&id).cloned().unwrap_or_default();
                util::json(StatusCode::OK, json!({"Organisation": org_full(st, &o)}))
            }
            ["admin", "organisations", "edit", id] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let b = unwrap_body(body, "Organisation");
                let Some(oid) = self.org_by_ref(st, id) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url);
                };
                if let Some(o) = st.orgs.get_mut(&oid) {
                    if let Some(n) = b
                        .get("name")
                        .and_then(as_text)
                        .filter(|n| !n.trim().is_empty())
                    {
                        o.insert("name".into(), s(n.trim()));
                    }
                    apply_org_fields(o, &b);
                    o.insert(
                        "date_modified".into(),
                        s(chrono::Utc::now().format("%Y-%m-%d %H:%M:%S")),
                    );
                }
                let o = st.orgs.get(&oid).cloned().unwrap_or_default();
                util::json(StatusCode::OK, json!({"Organisation": org_full(st, &o)}))
            }
            ["admin", "organisations", "delete", id] => {
                if !caller.site_admin() || get {
                    return not_authorised(url);
                }
                let Some(oid) = self.org_by_ref(st, id) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid organisation", url);
                };
                if oid == caller.org_id
                    || st
                        .users
                        .values()
                        .any(|u| str_of(u, "org_id") == oid.to_string())
                {
                    return save_fail("delete", "Organisation", url, json!("Organisation could not be deleted. Generally organisations with users or events cannot be deleted."));
                }
                st.orgs.remove(&oid);
                save_success("Organisation deleted", url, Some(oid))
            }
            // Auth keys
            ["auth_keys", "add", ..] => {
                let uid: u64 = match uid_or_me(segs.get(2).copied()) {
                    "me" => caller.user_id,
                    other => other.parse().unwrap_or(0),
                };
                let Some(u) = st.users.get(&uid) else {
                    return misp_error(StatusCode::NOT_FOUND, "Invalid user", url);
                };
                if uid != caller.user_id
                    && !(caller.site_admin()
                        || (caller.org_admin() && str_of(u, "org_id") == caller.org_id.to_string()))
                {
                    return not_authorised(url);
                }
                let b = unwrap_body(body, "AuthKey");
                let (id, key) = new_auth_key(st, uid, &b, None);
                let mut doc = st
                    .auth_keys
                    .get(&id)
                    .map(|k| k.doc.clone())
                    .unwrap_or_default();
                doc.insert("authkey_raw".into(), s(key));
                util::json(StatusCode::OK, json!({"AuthKey": doc}))
            }
            ["auth_keys", "index"] | ["auth_keys"] => {
                if !st.redis_ok() {
                    // The seed's symptom: the auth keys page fails while MISP.redis_host is wrong.
                    return internal_error(url);
                }
                let list: Vec<Value> = st
                    .auth_keys
                    .values()
                    .filter(|k| caller.site_admin() || str_of(&k.doc, "user_id") == caller.user_id.to_string())
                    .map(|k| json!({"AuthKey": k.doc, "User": user_brief(st, str_of(&k.doc, "user_id"))}))
                    .collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["auth_keys", "view", id] => match st.auth_keys.get(&id.parse().unwrap_or(0)) {
                Some(k)
                    if caller.site_admin()
                        || str_of(&k.doc, "user_id") == caller.user_id.to_string() =>
                {
                    util::json(
                        StatusCode::OK,
                        json!({"AuthKey": k.doc, "User": user_brief(st, str_of(&k.doc, "user_id"))}),
                    )
                }
                _ => misp_error(StatusCode::NOT_FOUND, "Invalid auth key", url),
            },
            ["auth_keys", "delete", id] => {
                let kid: u64 = id.parse().unwrap_or(0);
                match st.auth_keys.get(&kid) {
                    Some(k)
                        if caller.site_admin()
                            || str_of(&k.doc, "user_id") == caller.user_id.to_string() =>
                    {
                        st.auth_keys.remove(&kid);
                        save_success("AuthKey deleted.", url, Some(kid))
                    }
                    _ => misp_error(StatusCode::NOT_FOUND, "Invalid auth key", url),
                }
            }
            _ => unknown_route(req),
        }
    }
}

fn uid_or_me(seg: Option<&str>) -> &str {
    match seg {
        None | Some("me") => "me",
        Some(other) => other,
    }
}

fn apply_org_fields(o: &mut Map<String, Value>, b: &Map<String, Value>) {
    for k in [
        "description",
        "type",
        "nationality",
        "sector",
        "contacts",
        "landingpage",
    ] {
        if let Some(v) = b.get(k).and_then(as_text) {
            o.insert(k.into(), s(v));
        }
    }
    if let Some(l) = b.get("local").and_then(as_flag) {
        o.insert("local".into(), json!(l));
    }
    if let Some(r) = b.get("restricted_to_domain") {
        o.insert("restricted_to_domain".into(), r.clone());
    }
}

fn org_full(st: &State, o: &Map<String, Value>) -> Value {
    let mut o = o.clone();
    let id = str_of(&o, "id").to_owned();
    let users = st
        .users
        .values()
        .filter(|u| str_of(u, "org_id") == id)
        .count();
    o.insert("user_count".into(), json!(users));
    let creator: u64 = str_of(&o, "created_by").parse().unwrap_or(0);
    o.insert(
        "created_by_email".into(),
        s(st.users
            .get(&creator)
            .map(|u| str_of(u, "email"))
            .unwrap_or("")),
    );
    Value::Object(o)
}
