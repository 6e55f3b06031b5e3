//! Authentication: API keys, sessions and basic credentials, and the login route.

use axum::response::Response;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::{err, str_field, user_json, Caller, Cortex, Req, State, UserRec, ADMIN_ORG};
use crate::util;

impl Cortex {
    fn caller_from_user(u: &UserRec) -> Caller {
        Caller {
            login: str_field(&u.doc, "id").to_owned(),
            org: str_field(&u.doc, "organization").to_owned(),
            roles: u
                .doc
                .get("roles")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    pub(super) fn authenticate(&self, st: &State, headers: &HeaderMap) -> Result<Caller, Response> {
        let auth_fail = || {
            err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Authentication failure",
            )
        };
        let active = |u: &&UserRec| str_field(&u.doc, "status") == "Ok";
        if let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(key) = auth.strip_prefix("Bearer ") {
                let key = key.trim();
                return st
                    .users
                    .values()
                    .filter(active)
                    .find(|u| !key.is_empty() && u.key.as_deref() == Some(key))
                    .map(Self::caller_from_user)
                    .ok_or_else(auth_fail);
            }
            if let Some(b64) = auth.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
                else {
                    return Err(auth_fail());
                };
                return st
                    .users
                    .get(login)
                    .filter(active)
                    .filter(|u| {
                        u.password
                            .as_deref()
                            .is_some_and(|p| util::password_matches(p, password))
                    })
                    .map(Self::caller_from_user)
                    .ok_or_else(auth_fail);
            }
            return Err(err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Only bearer authentication is supported",
            ));
        }
        if let Some(cookie) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
            let token = cookie
                .split(';')
                .filter_map(|c| c.trim().split_once('='))
                .find(|(k, _)| *k == "CORTEX_SESSION")
                .map(|(_, v)| v.to_owned());
            if let Some(token) = token {
                let login = util::lock(&self.sessions).get(&token).cloned();
                if let Some(u) = login.and_then(|l| st.users.get(&l)).filter(active) {
                    return Ok(Self::caller_from_user(u));
                }
            }
        }
        if st.users.is_empty() {
            return Ok(Caller {
                login: "init".into(),
                org: ADMIN_ORG.into(),
                roles: vec![
                    "read".into(),
                    "analyze".into(),
                    "orgadmin".into(),
                    "superadmin".into(),
                ],
            });
        }
        Err(err(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Use of initial user is forbidden because users exist in database",
        ))
    }
}

impl Cortex {
    pub(super) fn login(&self, st: &State, req: &Req) -> Response {
        let user = req.json.get("user").and_then(Value::as_str).unwrap_or("");
        let password = req
            .json
            .get("password")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(u) = st
            .users
            .get(user)
            .filter(|u| str_field(&u.doc, "status") == "Ok")
            .filter(|u| {
                u.password
                    .as_deref()
                    .is_some_and(|p| util::password_matches(p, password))
            })
        else {
            return err(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Authentication failure",
            );
        };
        let token = util::random_alnum(40);
        util::lock(&self.sessions).insert(token.clone(), user.to_owned());
        let mut resp = util::json(StatusCode::OK, user_json(u));
        if let Ok(v) = HeaderValue::from_str(&format!("CORTEX_SESSION={token}; Path=/; HTTPOnly")) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        resp
    }
}
