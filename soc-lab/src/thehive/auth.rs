//! Login, logout and the status endpoints.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

use super::{
    cookie, no_content, ok, parse_body, user_json, HiveError, Res, TheHive, SESSION_COOKIE, VERSION,
};
use crate::util;

pub(super) async fn login(AxState(hive): AxState<Arc<TheHive>>, body: Bytes) -> Res {
    let body = parse_body(&body)?;
    let user = body.get("user").and_then(Value::as_str).unwrap_or_default();
    let password = body
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let user_json = {
        let state = util::lock(&hive.state);
        match state.accounts.get(user) {
            Some(a) if a.password.as_deref() == Some(password) && !a.locked => {
                user_json(&state, user, &a.default_org)
            }
            _ => {
                return Err(HiveError::new(
                    StatusCode::UNAUTHORIZED,
                    "AuthenticationError",
                    "Authentication failure",
                ))
            }
        }
    };
    let session = util::random_alnum(40);
    util::lock(&hive.sessions).insert(session.clone(), user.to_owned());
    let mut resp = util::json(StatusCode::OK, user_json);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub(super) async fn logout(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap) -> Res {
    if let Some(s) = cookie(&headers, SESSION_COOKIE) {
        util::lock(&hive.sessions).remove(&s);
    }
    no_content()
}

pub(super) async fn status(AxState(hive): AxState<Arc<TheHive>>) -> Res {
    let state = util::lock(&hive.state);
    let connector = |name: &str| {
        let servers: Vec<Value> = state
            .config
            .get(name)
            .and_then(|c| c.get("servers"))
            .and_then(Value::as_array)
            .map(|servers| {
                servers
                    .iter()
                    .map(|s| json!({"name": s.get("name"), "version": "", "status": "OK"}))
                    .collect()
            })
            .unwrap_or_default();
        let status = if servers.is_empty() { "UNKNOWN" } else { "OK" };
        json!({"enabled": true, "status": status, "servers": servers})
    };
    ok(
        StatusCode::OK,
        json!({
            "version": VERSION,
            "gitDescription": format!("{VERSION}-0-g0000000"),
            "connectors": {"cortex": connector("cortex"), "misp": connector("misp")},
            "config": {
                "protectDownloadsWith": "malware",
                "authType": ["session", "local", "key"],
                "capabilities": ["changePassword", "setPassword", "authByKey"],
                "ssoAutoLogin": false,
                "pollingDuration": 1000,
                "freeTagDefaultColour": "#000000"
            },
            "schemaStatus": [{"name": "thehive", "currentVersion": 112, "expectedVersion": 112}]
        }),
    )
}

pub(super) async fn status_public() -> Res {
    ok(
        StatusCode::OK,
        json!({"sso": {"activated": false}, "version": VERSION, "imports": {"mitreCatalog": "Done"}}),
    )
}
