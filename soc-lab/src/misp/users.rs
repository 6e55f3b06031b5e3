//! Users and their auth keys: creation, edits and their JSON.

use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, misp_error, not_authorised, now_s, role_json, s, save_fail, str_of,
    unwrap_body, AuthKeyRec, Caller, Misp, Req, State, ROLES,
};
use crate::util;

pub(super) fn new_user(st: &mut State, email: &str, org_id: u64, role_id: u64, by: u64) -> u64 {
    let id = st.next("user");
    let now = now_s();
    let u = json!({
        "id": s(id), "org_id": s(org_id), "email": email, "autoalert": false,
        "invited_by": s(by), "gpgkey": "", "certif_public": "", "nids_sid": s(4_000_000 + id),
        "termsaccepted": true, "newsread": "0", "role_id": s(role_id), "change_pw": false,
        "contactalert": false, "disabled": false, "expiration": null, "current_login": "0",
        "last_login": "0", "force_logout": false, "date_created": now, "date_modified": now,
        "sub": null, "external_auth_required": false, "external_auth_key": null,
        "last_api_access": "0", "notification_daily": false, "notification_weekly": false,
        "notification_monthly": false, "totp": null, "hotp_counter": null, "last_pw_change": now,
    });
    if let Value::Object(m) = u {
        st.users.insert(id, m);
    }
    id
}

pub(super) fn new_auth_key(
    st: &mut State,
    user_id: u64,
    body: &Map<String, Value>,
    key: Option<String>,
) -> (u64, String) {
    let id = st.next("auth_key");
    let key = key.unwrap_or_else(|| util::random_alnum(40));
    let doc = json!({
        "id": s(id),
        "uuid": util::uuid4(),
        "authkey_start": &key[..4.min(key.len())],
        "authkey_end": &key[key.len().saturating_sub(4)..],
        "created": now_s(),
        "expiration": body.get("expiration").and_then(as_text).unwrap_or_else(|| "0".into()),
        "read_only": body.get("read_only").and_then(as_flag).unwrap_or(false),
        "user_id": s(user_id),
        "comment": body.get("comment").and_then(as_text).unwrap_or_default(),
        "allowed_ips": body.get("allowed_ips").cloned().unwrap_or(Value::Null),
        "unique_ips": [],
        "last_used": null,
    });
    if let Value::Object(doc) = doc {
        st.auth_keys.insert(
            id,
            AuthKeyRec {
                doc,
                hash: util::sha256_hex(key.as_bytes()),
            },
        );
    }
    (id, key)
}

impl Misp {
    pub(super) fn add_user(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let url = req.url.as_str();
        if !caller.org_admin() {
            return not_authorised(url);
        }
        let b = unwrap_body(&req.body, "User");
        let email = b
            .get("email")
            .and_then(as_text)
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if email.is_empty() || !email.contains('@') {
            return save_fail(
                "add",
                "User",
                url,
                json!({"email": ["An email address is required."]}),
            );
        }
        if st.users.values().any(|u| str_of(u, "email") == email) {
            return save_fail(
                "add",
                "User",
                url,
                json!({"email": ["An account with this email address already exists."]}),
            );
        }
        let org_id: u64 = b
            .get("org_id")
            .and_then(as_text)
            .and_then(|o| o.parse().ok())
            .unwrap_or(caller.org_id);
        if !st.orgs.contains_key(&org_id) {
            return save_fail(
                "add",
                "User",
                url,
                json!({"org_id": ["Invalid organisation."]}),
            );
        }
        if !caller.site_admin() && org_id != caller.org_id {
            return save_fail(
                "add",
                "User",
                url,
                json!({"org_id": ["You can only add users to your own organisation."]}),
            );
        }
        let role_id: u64 = b
            .get("role_id")
            .and_then(as_text)
            .and_then(|r| r.parse().ok())
            .unwrap_or(3);
        if !ROLES.iter().any(|r| r.0 == role_id) || (role_id == 1 && !caller.site_admin()) {
            return save_fail("add", "User", url, json!({"role_id": ["Invalid role."]}));
        }
        let id = new_user(st, &email, org_id, role_id, caller.user_id);
        if let Some(pw) = b
            .get("password")
            .and_then(as_text)
            .filter(|p| !p.is_empty())
        {
            st.passwords.insert(id, util::hash_password(&pw));
        }
        if let Some(u) = st.users.get_mut(&id) {
            for k in [
                "autoalert",
                "contactalert",
                "disabled",
                "change_pw",
                "termsaccepted",
            ] {
                if let Some(f) = b.get(k).and_then(as_flag) {
                    u.insert(k.into(), json!(f));
                }
            }
        }
        let u = st.users.get(&id).cloned().unwrap_or_default();
        util::json(StatusCode::OK, json!({"User": u}))
    }

    pub(super) fn edit_user(
        &self,
        st: &mut State,
        req: &Req,
        caller: &Caller,
        id: &str,
    ) -> Response {
        let url = req.url.as_str();
        let uid: u64 = if id == "me" {
            caller.user_id
        } else {
            id.parse().unwrap_or(0)
        };
        let b = unwrap_body(&req.body, "User");
        let Some(u) = st.users.get(&uid) else {
            return misp_error(StatusCode::NOT_FOUND, "Invalid user", url);
        };
        let same_org = str_of(u, "org_id") == caller.org_id.to_string();
        if !(caller.site_admin() || (caller.org_admin() && same_org) || uid == caller.user_id) {
            return not_authorised(url);
        }
        let admin = caller.org_admin();
        if let Some(u) = st.users.get_mut(&uid) {
            if let Some(e) = b.get("email").and_then(as_text).filter(|e| e.contains('@')) {
                u.insert("email".into(), s(e.to_lowercase()));
            }
            if admin {
                for k in ["org_id", "role_id"] {
                    if let Some(v) = b.get(k).and_then(as_text) {
                        u.insert(k.into(), s(v));
                    }
                }
                for k in ["disabled", "autoalert", "contactalert", "change_pw"] {
                    if let Some(f) = b.get(k).and_then(as_flag) {
                        u.insert(k.into(), json!(f));
                    }
                }
            }
            u.insert("date_modified".into(), s(now_s()));
        }
        if let Some(pw) = b
            .get("password")
            .and_then(as_text)
            .filter(|p| !p.is_empty())
        {
            st.passwords.insert(uid, util::hash_password(&pw));
        }
        let u = st.users.get(&uid).cloned().unwrap_or_default();
        util::json(StatusCode::OK, json!({"User": u}))
    }
}

pub(super) fn user_brief(st: &State, user_id: &str) -> Value {
    let uid: u64 = user_id.parse().unwrap_or(0);
    json!({"id": user_id, "email": st.users.get(&uid).map(|u| str_of(u, "email")).unwrap_or("")})
}

pub(super) fn user_full(st: &State, u: &Map<String, Value>) -> Value {
    let mut user = u.clone();
    user.insert("password".into(), s("*****"));
    let role_id: u64 = str_of(u, "role_id").parse().unwrap_or(3);
    let org_id: u64 = str_of(u, "org_id").parse().unwrap_or(0);
    let org = st.orgs.get(&org_id).cloned().unwrap_or_default();
    json!({
        "User": user,
        "Role": role_json(role_id),
        "UserSetting": {},
        "Organisation": org,
    })
}
