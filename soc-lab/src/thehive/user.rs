//! Users, their API keys and passwords, and organisations.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

use super::{
    base_object, copy_optional, no_content, ok, parse_body, permissions, required_str, Account,
    Ctx, HiveError, Kind, Res, State, TheHive, ADMIN_LOGIN, ADMIN_ORG,
};
use crate::util;

/// A user's JSON as seen from `org`.
pub(super) fn user_json(state: &State, login: &str, org: &str) -> Value {
    let Some(account) = state.accounts.get(login) else {
        return Value::Null;
    };
    let mut obj = state
        .entities
        .get(&account.id)
        .map(|e| e.obj.clone())
        .unwrap_or_default();
    let profile = account.orgs.get(org).cloned().unwrap_or_default();
    obj.remove("_type");
    obj.insert("hasKey".into(), json!(account.key.is_some()));
    obj.insert("hasPassword".into(), json!(account.password.is_some()));
    obj.insert("hasMFA".into(), json!(false));
    obj.insert("locked".into(), json!(account.locked));
    obj.insert("profile".into(), json!(profile));
    obj.insert("permissions".into(), json!(permissions(&profile)));
    obj.insert("organisation".into(), json!(org));
    obj.insert("defaultOrganisation".into(), json!(account.default_org));
    let orgs: Vec<Value> = account
        .orgs
        .iter()
        .map(|(name, profile)| {
            let org_id = state
                .entities
                .iter()
                .find(|(_, e)| {
                    e.kind == Kind::Organisation
                        && e.obj.get("name").and_then(Value::as_str) == Some(name)
                })
                .map(|(id, _)| id.clone())
                .unwrap_or_default();
            json!({"organisationId": org_id, "organisation": name, "profile": profile, "links": []})
        })
        .collect();
    obj.insert("organisations".into(), Value::Array(orgs));
    Value::Object(obj)
}

/// The login of the user `id_or_login`, when the caller may manage it.
fn managed_user(state: &State, ctx: &Ctx, id_or_login: &str) -> Result<String, HiveError> {
    let login = state
        .accounts
        .iter()
        .find(|(login, a)| login.as_str() == id_or_login || a.id == id_or_login)
        .map(|(login, _)| login.clone())
        .ok_or_else(|| HiveError::not_found(format!("User {id_or_login} not found")))?;
    if login != ctx.login {
        ctx.require("manageUser")?;
        let a = state.accounts.get(&login);
        let visible = ctx.profile == "admin" || a.is_some_and(|a| a.orgs.contains_key(&ctx.org));
        if !visible {
            return Err(HiveError::not_found(format!(
                "User {id_or_login} not found"
            )));
        }
    }
    Ok(login)
}

pub(super) async fn current_user(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap) -> Res {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    ok(StatusCode::OK, user_json(&state, &ctx.login, &ctx.org))
}

pub(super) async fn create_user(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageUser")?;
    let input = parse_body(&body)?;
    let login = required_str(&input, "login", "user")?.to_ascii_lowercase();
    let name = required_str(&input, "name", "user")?.to_owned();
    let profile = required_str(&input, "profile", "user")?.to_owned();
    let org = input
        .get("organisation")
        .and_then(Value::as_str)
        .unwrap_or(&ctx.org)
        .to_owned();
    let mut state = util::lock(&hive.state);
    if !state.org_exists(&org) {
        return Err(HiveError::not_found(format!(
            "Organisation {org} not found"
        )));
    }
    if ctx.profile != "admin" && org != ctx.org {
        return Err(HiveError::forbidden(format!(
            "User {} may not add users to organisation {org}",
            ctx.login
        )));
    }
    if !matches!(
        profile.as_str(),
        "admin" | "org-admin" | "analyst" | "read-only"
    ) {
        return Err(HiveError::not_found(format!("Profile {profile} not found")));
    }
    if (profile == "admin") != (org == ADMIN_ORG) {
        return Err(HiveError::bad_request(format!(
            "Profile {profile} cannot be used in organisation {org}"
        )));
    }
    if state.accounts.contains_key(&login) {
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!("User {login} already exists"),
        ));
    }
    let (id, mut obj) = base_object(&mut state, Kind::User, &ctx.login);
    obj.insert("login".into(), json!(login));
    obj.insert("name".into(), json!(name));
    copy_optional(&mut obj, &input, &["email", "avatar"]);
    obj.insert(
        "type".into(),
        input
            .get("type")
            .cloned()
            .unwrap_or_else(|| json!("Normal")),
    );
    obj.insert("extraData".into(), json!({}));
    state.store(id.clone(), Kind::User, org.clone(), None, obj);
    state.accounts.insert(
        login.clone(),
        Account {
            id,
            password: input
                .get("password")
                .and_then(Value::as_str)
                .map(str::to_owned),
            key: None,
            orgs: BTreeMap::from([(org.clone(), profile)]),
            default_org: org.clone(),
            locked: input
                .get("locked")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
    );
    ok(StatusCode::CREATED, user_json(&state, &login, &org))
}

pub(super) async fn get_user(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    let login = state
        .accounts
        .iter()
        .find(|(login, a)| login.as_str() == id || a.id == id)
        .filter(|(_, a)| ctx.profile == "admin" || a.orgs.contains_key(&ctx.org))
        .map(|(login, a)| {
            let org = if a.orgs.contains_key(&ctx.org) {
                ctx.org.clone()
            } else {
                a.default_org.clone()
            };
            (login.clone(), org)
        })
        .ok_or_else(|| HiveError::not_found(format!("User {id} not found")))?;
    ok(StatusCode::OK, user_json(&state, &login.0, &login.1))
}

pub(super) async fn update_user(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let fields = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    let Some(account) = state.accounts.get_mut(&login) else {
        return Err(HiveError::not_found(format!("User {id} not found")));
    };
    if let Some(locked) = fields.get("locked").and_then(Value::as_bool) {
        account.locked = locked;
    }
    if let Some(profile) = fields.get("profile").and_then(Value::as_str) {
        account.orgs.insert(ctx.org.clone(), profile.to_owned());
    }
    if let Some(org) = fields.get("defaultOrganisation").and_then(Value::as_str) {
        account.default_org = org.to_owned();
    }
    let uid = account.id.clone();
    if let Some(e) = state.entities.get_mut(&uid) {
        for f in ["name", "email", "avatar"] {
            if let Some(v) = fields.get(f) {
                e.obj.insert(f.into(), v.clone());
            }
        }
        e.obj.insert("_updatedBy".into(), json!(ctx.login));
        e.obj.insert("_updatedAt".into(), json!(util::now_ms()));
    }
    no_content()
}

pub(super) async fn delete_user(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageUser")?;
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    if login == ADMIN_LOGIN {
        return Err(HiveError::bad_request(
            "The default admin user cannot be deleted",
        ));
    }
    if let Some(a) = state.accounts.remove(&login) {
        state.entities.remove(&a.id);
    }
    no_content()
}

pub(super) async fn set_password(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let input = parse_body(&body)?;
    let password = required_str(&input, "password", "user")?.to_owned();
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    if let Some(a) = state.accounts.get_mut(&login) {
        a.password = Some(password);
    }
    no_content()
}

/// One's own password: the current one must match (401 otherwise), and only the account itself
/// may change it (403 for anyone else, administrators included: they use `password/set`).
pub(super) async fn change_password(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let input = parse_body(&body)?;
    let current = required_str(&input, "currentPassword", "user")?.to_owned();
    let password = required_str(&input, "password", "user")?.to_owned();
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    if login != ctx.login {
        return Err(HiveError::forbidden(format!(
            "{} cannot change the password of {login}",
            ctx.login
        )));
    }
    match state.accounts.get_mut(&login) {
        Some(a) if a.password.as_deref() == Some(current.as_str()) => {
            a.password = Some(password);
            no_content()
        }
        _ => Err(HiveError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Authentication failure",
        )),
    }
}

pub(super) async fn get_key(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    match state.accounts.get(&login).and_then(|a| a.key.clone()) {
        Some(key) => Ok(text(key)),
        None => Err(HiveError::not_found(format!("User {login} has no API key"))),
    }
}

fn text(body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

pub(super) async fn remove_key(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    if let Some(a) = state.accounts.get_mut(&login) {
        a.key = None;
    }
    no_content()
}

pub(super) async fn renew_key(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let mut state = util::lock(&hive.state);
    let login = managed_user(&state, &ctx, &id)?;
    let key = util::random_alnum(32);
    if let Some(a) = state.accounts.get_mut(&login) {
        a.key = Some(key.clone());
    }
    Ok(text(key))
}

pub(super) async fn create_org(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageOrganisation")?;
    let input = parse_body(&body)?;
    let name = required_str(&input, "name", "organisation")?.to_owned();
    let description = required_str(&input, "description", "organisation")?.to_owned();
    let mut state = util::lock(&hive.state);
    if state.org_exists(&name) {
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!("Organisation {name} already exists"),
        ));
    }
    let (id, mut obj) = base_object(&mut state, Kind::Organisation, &ctx.login);
    obj.insert("name".into(), json!(name));
    obj.insert("description".into(), json!(description));
    obj.insert(
        "taskRule".into(),
        input
            .get("taskRule")
            .cloned()
            .unwrap_or_else(|| json!("manual")),
    );
    obj.insert(
        "observableRule".into(),
        input
            .get("observableRule")
            .cloned()
            .unwrap_or_else(|| json!("manual")),
    );
    obj.insert("links".into(), json!([]));
    obj.insert("locked".into(), json!(false));
    obj.insert("extraData".into(), json!({}));
    state.store(id, Kind::Organisation, name, None, obj.clone());
    ok(StatusCode::CREATED, Value::Object(obj))
}

pub(super) async fn get_org(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    let id = TheHive::find(&state, Kind::Organisation, &ctx.org, &id)?;
    let e = state.entities.get(&id).cloned();
    match e {
        Some(e) if ctx.profile == "admin" || e.org == ctx.org => {
            ok(StatusCode::OK, Value::Object(e.obj))
        }
        _ => Err(HiveError::not_found(format!("Organisation {id} not found"))),
    }
}
