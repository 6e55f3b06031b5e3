//! The TheHive 5 stand-in: alerts, cases, observables, tasks, logs, comments, users,
//! organisations, API keys, the query API, the Cortex connector and its runtime configuration.
//!
//! Every entity is one JSON object as TheHive returns it (`_id`, `_type`, `_createdBy`,
//! `_createdAt`...), kept with its organisation and its parent (the alert or case of an
//! observable, the task of a log). Errors are `{"type", "message"}` with TheHive's statuses.

mod query;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::Router;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::{util, Backend, Built, LabConfig, LabError, Links, Service};

/// The platform administrator every fresh TheHive has (its password is generated here).
const ADMIN_LOGIN: &str = "admin@thehive.local";
/// The organisation holding the platform administrators; it cannot own alerts or cases.
const ADMIN_ORG: &str = "admin";
const VERSION: &str = "5.7.3-1";
const SESSION_COOKIE: &str = "THEHIVE-SESSION";

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    Alert,
    Case,
    Observable,
    Task,
    Log,
    Comment,
    User,
    Organisation,
    Job,
}

impl Kind {
    fn type_name(self) -> &'static str {
        match self {
            Kind::Alert => "Alert",
            Kind::Case => "Case",
            Kind::Observable => "Observable",
            Kind::Task => "Task",
            Kind::Log => "Log",
            Kind::Comment => "Comment",
            Kind::User => "User",
            Kind::Organisation => "Organisation",
            Kind::Job => "Job",
        }
    }
}

/// One stored entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entity {
    pub(crate) kind: Kind,
    /// The organisation owning it (users: their default organisation).
    pub(crate) org: String,
    /// The alert or case of an observable, task or comment; the task of a log; the observable
    /// of a job.
    pub(crate) parent: Option<String>,
    pub(crate) obj: Map<String, Value>,
}

/// Credentials and memberships of a user, kept apart from the user's public JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Account {
    id: String,
    password: Option<String>,
    key: Option<String>,
    /// Organisation name -> profile name.
    orgs: BTreeMap<String, String>,
    default_org: String,
    locked: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    next_id: u64,
    next_case_number: u64,
    entities: BTreeMap<String, Entity>,
    /// By login.
    accounts: BTreeMap<String, Account>,
    /// `cortex` and `misp` connector configurations, as put.
    config: BTreeMap<String, Value>,
    /// Attachment id -> (name, content type, base64 content).
    attachments: BTreeMap<String, (String, String, String)>,
}

impl State {
    /// An entity's JSON (null when it is gone).
    fn object(&self, id: &str) -> Value {
        self.entities
            .get(id)
            .map(|e| Value::Object(e.obj.clone()))
            .unwrap_or(Value::Null)
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("~{}", 40_960 + self.next_id * 8)
    }

    fn org_exists(&self, name: &str) -> bool {
        self.entities.values().any(|e| {
            e.kind == Kind::Organisation && e.obj.get("name").and_then(Value::as_str) == Some(name)
        })
    }
}

/// The TheHive service.
pub(crate) struct TheHive {
    state: Mutex<State>,
    /// Session id -> login; forgotten on restart.
    sessions: Mutex<HashMap<String, String>>,
    links: Links,
}

impl Backend for TheHive {
    fn snapshot(&self) -> Value {
        serde_json::to_value(&*util::lock(&self.state)).unwrap_or_default()
    }

    fn restart(&self) {
        util::lock(&self.sessions).clear();
    }
}

/// A TheHive error answer: `{"type", "message"}`.
pub(crate) struct HiveError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl HiveError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        HiveError {
            status,
            kind,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFoundError", message)
    }
    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AuthorizationError", message)
    }
    fn attribute(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "AttributeCheckingError", message)
    }
}

impl IntoResponse for HiveError {
    fn into_response(self) -> Response {
        util::json(
            self.status,
            json!({"type": self.kind, "message": self.message}),
        )
    }
}

type Res = Result<Response, HiveError>;

/// Who is calling, in which organisation, with which permissions.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) login: String,
    pub(crate) org: String,
    profile: String,
}

impl Ctx {
    fn may(&self, permission: &str) -> bool {
        permissions(&self.profile).contains(&permission)
    }

    fn require(&self, permission: &str) -> Result<(), HiveError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(HiveError::forbidden(format!(
                "User {} is not authorised to {permission} in organisation {} (profile {})",
                self.login, self.org, self.profile
            )))
        }
    }
}

/// The permissions of TheHive's built-in profiles: an org-admin has an analyst's and manages
/// its organisation's users and configuration.
fn permissions(profile: &str) -> Vec<&'static str> {
    const ANALYST: &[&str] = &[
        "manageAlert/create",
        "manageAlert/update",
        "manageAlert/delete",
        "manageAlert/import",
        "manageCase/create",
        "manageCase/update",
        "manageCase/delete",
        "manageCase/merge",
        "manageObservable",
        "manageTask",
        "manageComment",
        "manageAnalyse",
        "manageAction",
        "accessTheHiveFS",
    ];
    const ORG_ADMIN_EXTRA: &[&str] = &["manageUser", "manageOrganisation/update", "manageConfig"];
    const ADMIN: &[&str] = &[
        "manageUser",
        "manageOrganisation",
        "manageOrganisation/update",
        "manageProfile",
        "manageConfig",
        "managePlatform",
        "manageAnalyzerTemplate",
    ];
    match profile {
        "admin" => ADMIN.to_vec(),
        "org-admin" => [ANALYST, ORG_ADMIN_EXTRA].concat(),
        "analyst" => ANALYST.to_vec(),
        _ => Vec::new(),
    }
}

fn tlp_label(v: i64) -> &'static str {
    match v {
        0 => "CLEAR",
        1 => "GREEN",
        2 => "AMBER",
        3 => "AMBER+STRICT",
        _ => "RED",
    }
}

fn pap_label(v: i64) -> &'static str {
    match v {
        0 => "CLEAR",
        1 => "GREEN",
        2 => "AMBER",
        _ => "RED",
    }
}

fn severity_label(v: i64) -> &'static str {
    match v {
        1 => "LOW",
        2 => "MEDIUM",
        3 => "HIGH",
        _ => "CRITICAL",
    }
}

pub(crate) fn build(
    _config: &LabConfig,
    restored: Option<Value>,
    links: Links,
) -> Result<Built, LabError> {
    let mut state: State = match restored {
        Some(v) => util::restore(Service::TheHive, v)?,
        None => State::default(),
    };
    if !state.accounts.contains_key(ADMIN_LOGIN) {
        bootstrap(&mut state);
    }
    let admin = state.accounts.get(ADMIN_LOGIN).cloned().unwrap_or_default();
    let backend = Arc::new(TheHive {
        state: Mutex::new(state),
        sessions: Mutex::new(HashMap::new()),
        links,
    });
    Ok(Built {
        router: router(backend.clone()),
        backend,
        username: Some(ADMIN_LOGIN.to_owned()),
        password: admin.password.map(SecretString::from),
        api_key: admin.key.map(SecretString::from),
    })
}

/// A fresh install: the `admin` organisation and its administrator, with a generated password
/// and key instead of the well-known default.
fn bootstrap(state: &mut State) {
    let now = util::now_ms();
    let org_id = state.new_id();
    let mut org = Map::new();
    org.insert("_id".into(), json!(org_id));
    org.insert("_type".into(), json!("Organisation"));
    org.insert("_createdBy".into(), json!("system@thehive.local"));
    org.insert("_createdAt".into(), json!(now));
    org.insert("name".into(), json!(ADMIN_ORG));
    org.insert(
        "description".into(),
        json!("organisation for administration"),
    );
    org.insert("taskRule".into(), json!("manual"));
    org.insert("observableRule".into(), json!("manual"));
    org.insert("links".into(), json!([]));
    org.insert("locked".into(), json!(false));
    org.insert("extraData".into(), json!({}));
    state.entities.insert(
        org_id,
        Entity {
            kind: Kind::Organisation,
            org: ADMIN_ORG.into(),
            parent: None,
            obj: org,
        },
    );
    let user_id = state.new_id();
    let mut user = Map::new();
    user.insert("_id".into(), json!(user_id));
    user.insert("_type".into(), json!("User"));
    user.insert("_createdBy".into(), json!("system@thehive.local"));
    user.insert("_createdAt".into(), json!(now));
    user.insert("login".into(), json!(ADMIN_LOGIN));
    user.insert("name".into(), json!("Default admin user"));
    user.insert("type".into(), json!("Normal"));
    user.insert("extraData".into(), json!({}));
    state.entities.insert(
        user_id.clone(),
        Entity {
            kind: Kind::User,
            org: ADMIN_ORG.into(),
            parent: None,
            obj: user,
        },
    );
    state.accounts.insert(
        ADMIN_LOGIN.into(),
        Account {
            id: user_id,
            password: Some(util::random_alnum(24)),
            key: Some(util::random_alnum(32)),
            orgs: BTreeMap::from([(ADMIN_ORG.into(), "admin".into())]),
            default_org: ADMIN_ORG.into(),
            locked: false,
        },
    );
}

fn router(hive: Arc<TheHive>) -> Router {
    let v1 = Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/status", get(status))
        .route("/status/public", get(status_public))
        .route("/query", post(query::run))
        // Alerts.
        .route("/alert", post(create_alert))
        .route("/alert/_bulk", patch(bulk_update::<{ KIND_ALERT }>))
        .route("/alert/delete/_bulk", post(bulk_delete_alerts))
        .route("/alert/merge/_bulk", post(bulk_merge))
        .route(
            "/alert/{id}",
            get(get_entity::<{ KIND_ALERT }>)
                .patch(update_entity::<{ KIND_ALERT }>)
                .delete(delete_entity::<{ KIND_ALERT }>),
        )
        .route("/alert/{id}/follow", post(follow::<true>))
        .route("/alert/{id}/unfollow", post(follow::<false>))
        .route("/alert/{id}/case", post(promote))
        .route("/alert/{id}/merge/{case}", post(merge_alert))
        .route(
            "/alert/{id}/observable",
            post(create_observable::<{ KIND_ALERT }>),
        )
        .route(
            "/alert/{id}/comment",
            post(create_comment::<{ KIND_ALERT }>),
        )
        // Cases.
        .route("/case", post(create_case))
        .route("/case/_bulk", patch(bulk_update::<{ KIND_CASE }>))
        .route(
            "/case/{id}",
            get(get_entity::<{ KIND_CASE }>)
                .patch(update_entity::<{ KIND_CASE }>)
                .delete(delete_entity::<{ KIND_CASE }>),
        )
        .route(
            "/case/{id}/observable",
            post(create_observable::<{ KIND_CASE }>),
        )
        .route("/case/{id}/task", post(create_task))
        .route("/case/{id}/comment", post(create_comment::<{ KIND_CASE }>))
        // Observables, tasks, logs, comments.
        .route(
            "/observable/_bulk",
            patch(bulk_update::<{ KIND_OBSERVABLE }>),
        )
        .route(
            "/observable/{id}",
            get(get_entity::<{ KIND_OBSERVABLE }>)
                .patch(update_entity::<{ KIND_OBSERVABLE }>)
                .delete(delete_entity::<{ KIND_OBSERVABLE }>),
        )
        .route("/task/_bulk", patch(bulk_update::<{ KIND_TASK }>))
        .route(
            "/task/{id}",
            get(get_entity::<{ KIND_TASK }>)
                .patch(update_entity::<{ KIND_TASK }>)
                .delete(delete_entity::<{ KIND_TASK }>),
        )
        .route("/task/{id}/log", post(create_log))
        .route(
            "/log/{id}",
            patch(update_entity::<{ KIND_LOG }>).delete(delete_entity::<{ KIND_LOG }>),
        )
        .route(
            "/comment/{id}",
            patch(update_entity::<{ KIND_COMMENT }>).delete(delete_entity::<{ KIND_COMMENT }>),
        )
        // Users and organisations.
        .route("/user", post(create_user))
        .route("/user/current", get(current_user))
        .route(
            "/user/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/user/{id}/force", delete(delete_user))
        .route("/user/{id}/password/set", post(set_password))
        .route("/user/{id}/key", get(get_key).delete(remove_key))
        .route("/user/{id}/key/renew", post(renew_key))
        .route("/organisation", post(create_org))
        .route(
            "/organisation/{id}",
            get(get_org).patch(update_entity::<{ KIND_ORGANISATION }>),
        )
        // Connectors.
        .route("/admin/config/{connector}", get(get_config).put(put_config))
        .route("/admin/config/{connector}/test", post(test_config))
        .merge(cortex_routes());
    Router::new()
        .nest("/api/v1", v1)
        // The legacy (v0) paths thehive4py and older scripts still call.
        .nest("/api", cortex_routes().route("/status", get(status)))
        .with_state(hive)
}

fn cortex_routes() -> Router<Arc<TheHive>> {
    Router::new()
        .route("/connector/cortex/job", post(run_job))
        .route("/connector/cortex/job/_bulk", post(run_jobs))
        .route("/connector/cortex/job/{id}", get(get_job))
        .route("/connector/cortex/analyzer", get(list_analyzers))
        .route("/connector/cortex/analyzer/{id}", get(get_analyzer))
        .route(
            "/connector/cortex/analyzer/type/{dt}",
            get(analyzers_for_type),
        )
}

const KIND_ALERT: u8 = 0;
const KIND_CASE: u8 = 1;
const KIND_OBSERVABLE: u8 = 2;
const KIND_TASK: u8 = 3;
const KIND_LOG: u8 = 4;
const KIND_COMMENT: u8 = 5;
const KIND_ORGANISATION: u8 = 7;

fn kind_of(k: u8) -> Kind {
    match k {
        KIND_ALERT => Kind::Alert,
        KIND_CASE => Kind::Case,
        KIND_OBSERVABLE => Kind::Observable,
        KIND_TASK => Kind::Task,
        KIND_LOG => Kind::Log,
        KIND_COMMENT => Kind::Comment,
        KIND_ORGANISATION => Kind::Organisation,
        _ => Kind::User,
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication

impl TheHive {
    /// Authenticates the caller and checks one permission in its organisation.
    fn authorised(&self, headers: &HeaderMap, permission: &str) -> Result<Ctx, HiveError> {
        let ctx = self.auth(headers)?;
        ctx.require(permission)?;
        Ok(ctx)
    }

    pub(crate) fn auth(&self, headers: &HeaderMap) -> Result<Ctx, HiveError> {
        let unauthenticated = || {
            HiveError::new(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "Authentication failure",
            )
        };
        let state = util::lock(&self.state);
        let login = if let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(key) = value.strip_prefix("Bearer ") {
                state
                    .accounts
                    .iter()
                    .find(|(_, a)| a.key.as_deref() == Some(key.trim()))
                    .map(|(login, _)| login.clone())
                    .ok_or_else(unauthenticated)?
            } else if let Some(basic) = value.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(basic.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(unauthenticated)?;
                let (login, password) = decoded.split_once(':').ok_or_else(unauthenticated)?;
                match state.accounts.get(login) {
                    Some(a) if a.password.as_deref() == Some(password) => login.to_owned(),
                    _ => return Err(unauthenticated()),
                }
            } else {
                return Err(unauthenticated());
            }
        } else if let Some(session) = cookie(headers, SESSION_COOKIE) {
            util::lock(&self.sessions)
                .get(&session)
                .cloned()
                .ok_or_else(unauthenticated)?
        } else {
            return Err(unauthenticated());
        };
        let account = state.accounts.get(&login).ok_or_else(unauthenticated)?;
        if account.locked {
            return Err(HiveError::new(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                format!("User {login} is locked"),
            ));
        }
        let org = headers
            .get("X-Organisation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| account.default_org.clone());
        let profile = account.orgs.get(&org).cloned().ok_or_else(|| {
            HiveError::forbidden(format!(
                "User {login} is not a member of organisation {org}"
            ))
        })?;
        Ok(Ctx {
            login,
            org,
            profile,
        })
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, HiveError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(HiveError::bad_request(format!(
            "Invalid json: expected an object, got {other}"
        ))),
        Err(e) => Err(HiveError::bad_request(format!("Invalid json: {e}"))),
    }
}

fn ok(status: StatusCode, value: Value) -> Res {
    Ok(util::json(status, value))
}

fn no_content() -> Res {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn login(AxState(hive): AxState<Arc<TheHive>>, body: Bytes) -> Res {
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

async fn logout(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap) -> Res {
    if let Some(s) = cookie(&headers, SESSION_COOKIE) {
        util::lock(&hive.sessions).remove(&s);
    }
    no_content()
}

async fn status(AxState(hive): AxState<Arc<TheHive>>) -> Res {
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

async fn status_public() -> Res {
    ok(
        StatusCode::OK,
        json!({"sso": {"activated": false}, "version": VERSION, "imports": {"mitreCatalog": "Done"}}),
    )
}

// ---------------------------------------------------------------------------------------------
// Entities

impl TheHive {
    /// Finds an entity of `kind` visible from `org` by id (or case number, or
    /// `type;source;sourceRef` for alerts).
    fn find(state: &State, kind: Kind, org: &str, id_or_name: &str) -> Result<String, HiveError> {
        let visible = |e: &Entity| e.kind == kind && (kind == Kind::Organisation || e.org == org);
        if let Some(e) = state.entities.get(id_or_name) {
            if visible(e) {
                return Ok(id_or_name.to_owned());
            }
        }
        let found = state.entities.iter().find(|(_, e)| {
            visible(e)
                && match kind {
                    Kind::Case => {
                        e.obj.get("number").map(|n| n.to_string()).as_deref() == Some(id_or_name)
                    }
                    Kind::Alert => {
                        let key =
                            |f: &str| e.obj.get(f).and_then(Value::as_str).unwrap_or_default();
                        format!("{};{};{}", key("type"), key("source"), key("sourceRef"))
                            == id_or_name
                    }
                    Kind::Organisation | Kind::User => {
                        e.obj.get("name").and_then(Value::as_str) == Some(id_or_name)
                            || e.obj.get("login").and_then(Value::as_str) == Some(id_or_name)
                    }
                    _ => false,
                }
        });
        found.map(|(id, _)| id.clone()).ok_or_else(|| {
            HiveError::not_found(format!("{} {id_or_name} not found", kind.type_name()))
        })
    }
}

fn base_object(state: &mut State, kind: Kind, ctx_login: &str) -> (String, Map<String, Value>) {
    let id = state.new_id();
    let mut obj = Map::new();
    obj.insert("_id".into(), json!(id));
    obj.insert("_type".into(), json!(kind.type_name()));
    obj.insert("_createdBy".into(), json!(ctx_login));
    obj.insert("_createdAt".into(), json!(util::now_ms()));
    (id, obj)
}

fn int_field(
    input: &Map<String, Value>,
    name: &str,
    default: i64,
    range: (i64, i64),
) -> Result<i64, HiveError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (range.0..=range.1).contains(&n) => Ok(n),
            _ => Err(HiveError::attribute(format!(
                "Invalid value for {name}: {v} (expected an integer from {} to {})",
                range.0, range.1
            ))),
        },
    }
}

fn required_str<'a>(
    input: &'a Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<&'a str, HiveError> {
    match input.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(other) if !other.is_null() => Err(HiveError::attribute(format!(
            "{what}.{name}: expected a non-empty string, got {other}"
        ))),
        _ => Err(HiveError::attribute(format!("{what}.{name} is missing"))),
    }
}

fn tags_of(input: &Map<String, Value>) -> Result<Value, HiveError> {
    match input.get("tags") {
        None | Some(Value::Null) => Ok(json!([])),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Value::Array(a.clone())),
        Some(other) => Err(HiveError::attribute(format!(
            "tags: expected a list of strings, got {other}"
        ))),
    }
}

/// Applies the levels (severity, TLP, PAP) with their labels.
fn levels(
    obj: &mut Map<String, Value>,
    input: &Map<String, Value>,
    severity: bool,
) -> Result<(), HiveError> {
    if severity {
        let s = int_field(input, "severity", 2, (1, 4))?;
        obj.insert("severity".into(), json!(s));
        obj.insert("severityLabel".into(), json!(severity_label(s)));
    }
    let tlp = int_field(input, "tlp", 2, (0, 4))?;
    obj.insert("tlp".into(), json!(tlp));
    obj.insert("tlpLabel".into(), json!(tlp_label(tlp)));
    let pap = int_field(input, "pap", 2, (0, 3))?;
    obj.insert("pap".into(), json!(pap));
    obj.insert("papLabel".into(), json!(pap_label(pap)));
    Ok(())
}

fn custom_fields(input: &Map<String, Value>) -> Value {
    match input.get("customFields") {
        Some(Value::Array(a)) => Value::Array(a.clone()),
        Some(Value::Object(m)) => Value::Array(
            m.iter()
                .enumerate()
                .map(|(i, (k, v))| json!({"_id": format!("{k}:{v}"), "name": k, "type": "string", "value": v, "order": i}))
                .collect(),
        ),
        _ => json!([]),
    }
}

fn copy_optional(obj: &mut Map<String, Value>, input: &Map<String, Value>, fields: &[&str]) {
    for f in fields {
        if let Some(v) = input.get(*f) {
            if !v.is_null() {
                obj.insert((*f).into(), v.clone());
            }
        }
    }
}

async fn create_alert(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/create")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let alert = new_alert(&mut state, &ctx, &input)?;
    ok(StatusCode::CREATED, alert)
}

fn new_alert(state: &mut State, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let kind = required_str(input, "type", "alert")?.to_owned();
    let source = required_str(input, "source", "alert")?.to_owned();
    let source_ref = required_str(input, "sourceRef", "alert")?.to_owned();
    let title = required_str(input, "title", "alert")?.to_owned();
    let description = required_str(input, "description", "alert")?.to_owned();
    let duplicate = state.entities.values().any(|e| {
        e.kind == Kind::Alert
            && e.org == ctx.org
            && e.obj.get("type").and_then(Value::as_str) == Some(&kind)
            && e.obj.get("source").and_then(Value::as_str) == Some(&source)
            && e.obj.get("sourceRef").and_then(Value::as_str) == Some(&source_ref)
    });
    if duplicate {
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!(
                "Alert {kind}:{source}:{source_ref} already exist in organisation {}",
                ctx.org
            ),
        ));
    }
    let now = util::now_ms();
    let date = match input.get("date") {
        None | Some(Value::Null) => now,
        Some(v) => v.as_i64().ok_or_else(|| {
            HiveError::attribute(format!("alert.date: expected epoch milliseconds, got {v}"))
        })?,
    };
    let tags = tags_of(input)?;
    let (id, mut obj) = base_object(state, Kind::Alert, &ctx.login);
    obj.insert("type".into(), json!(kind));
    obj.insert("source".into(), json!(source));
    obj.insert("sourceRef".into(), json!(source_ref));
    obj.insert("title".into(), json!(title));
    obj.insert("description".into(), json!(description));
    levels(&mut obj, input, true)?;
    obj.insert("date".into(), json!(date));
    obj.insert("tags".into(), tags);
    obj.insert(
        "follow".into(),
        json!(input.get("follow").and_then(Value::as_bool).unwrap_or(true)),
    );
    obj.insert("customFields".into(), custom_fields(input));
    copy_optional(
        &mut obj,
        input,
        &["externalLink", "caseTemplate", "summary", "assignee"],
    );
    let status = input.get("status").and_then(Value::as_str).unwrap_or("New");
    obj.insert("status".into(), json!(status));
    obj.insert("stage".into(), json!(stage_of_alert_status(status)));
    obj.insert("observableCount".into(), json!(0));
    obj.insert("extraData".into(), json!({}));
    obj.insert("newDate".into(), json!(now));
    obj.insert("timeToDetect".into(), json!((now - date).max(0)));
    state.entities.insert(
        id.clone(),
        Entity {
            kind: Kind::Alert,
            org: ctx.org.clone(),
            parent: None,
            obj,
        },
    );
    if let Some(observables) = input.get("observables") {
        let list = observables.as_array().ok_or_else(|| {
            HiveError::attribute(format!(
                "alert.observables: expected a list, got {observables}"
            ))
        })?;
        for o in list {
            let o = o.as_object().ok_or_else(|| {
                HiveError::attribute(format!("alert.observables: expected objects, got {o}"))
            })?;
            if let Err(e) = new_observables(state, ctx, &id, o) {
                // An alert is created whole or not at all.
                remove_tree(state, &id);
                return Err(e);
            }
        }
    }
    recount(state, &id);
    Ok(state.object(&id))
}

fn stage_of_alert_status(status: &str) -> &'static str {
    match status {
        "New" => "New",
        "InProgress" => "InProgress",
        "Imported" => "Imported",
        _ => "Closed",
    }
}

fn stage_of_case_status(status: &str) -> &'static str {
    match status {
        "New" => "New",
        "InProgress" => "InProgress",
        _ => "Closed",
    }
}

/// Sets `observableCount` of an alert.
fn recount(state: &mut State, alert_id: &str) {
    let n = state
        .entities
        .values()
        .filter(|e| e.kind == Kind::Observable && e.parent.as_deref() == Some(alert_id))
        .count();
    if let Some(e) = state.entities.get_mut(alert_id) {
        if e.kind == Kind::Alert {
            e.obj.insert("observableCount".into(), json!(n));
        }
    }
}

/// Removes an entity and everything below it.
fn remove_tree(state: &mut State, id: &str) {
    let children: Vec<String> = state
        .entities
        .iter()
        .filter(|(_, e)| e.parent.as_deref() == Some(id))
        .map(|(k, _)| k.clone())
        .collect();
    for c in children {
        remove_tree(state, &c);
    }
    state.entities.remove(id);
}

/// Creates the observables of one input (a list `data` makes several); refuses a duplicate of
/// an observable already on the same alert or case.
fn new_observables(
    state: &mut State,
    ctx: &Ctx,
    parent: &str,
    input: &Map<String, Value>,
) -> Result<Vec<Value>, HiveError> {
    let data_type = required_str(input, "dataType", "observable")?.to_owned();
    let datas: Vec<Option<String>> = match input.get("data") {
        Some(Value::String(s)) => vec![Some(s.clone())],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(|s| Some(s.to_owned())).ok_or_else(|| {
                    HiveError::attribute(format!("observable.data: expected strings, got {v}"))
                })
            })
            .collect::<Result<_, _>>()?,
        None | Some(Value::Null) if input.get("attachment").is_some() => vec![None],
        None | Some(Value::Null) => return Err(HiveError::attribute("observable.data is missing")),
        Some(other) => {
            return Err(HiveError::attribute(format!(
                "observable.data: expected a string or a list of strings, got {other}"
            )))
        }
    };
    let tags = tags_of(input)?;
    let mut out = Vec::new();
    for data in datas {
        let exists = state.entities.values().any(|e| {
            e.kind == Kind::Observable
                && e.parent.as_deref() == Some(parent)
                && e.obj.get("dataType").and_then(Value::as_str) == Some(&data_type)
                && e.obj.get("data").and_then(Value::as_str) == data.as_deref()
        });
        if exists {
            return Err(HiveError::new(
                StatusCode::BAD_REQUEST,
                "CreateError",
                format!(
                    "Observable {data_type}:{} already exists",
                    data.as_deref().unwrap_or("<file>")
                ),
            ));
        }
        let (id, mut obj) = base_object(state, Kind::Observable, &ctx.login);
        obj.insert("dataType".into(), json!(data_type));
        if let Some(d) = &data {
            obj.insert("data".into(), json!(d));
        }
        obj.insert(
            "startDate".into(),
            json!(input
                .get("startDate")
                .and_then(Value::as_i64)
                .unwrap_or_else(util::now_ms)),
        );
        levels(&mut obj, input, false)?;
        obj.insert("tags".into(), tags.clone());
        for (field, default) in [
            ("ioc", false),
            ("sighted", false),
            ("ignoreSimilarity", false),
        ] {
            obj.insert(
                field.into(),
                json!(input.get(field).and_then(Value::as_bool).unwrap_or(default)),
            );
        }
        copy_optional(&mut obj, input, &["message", "sightedAt"]);
        obj.insert("reports".into(), json!({}));
        obj.insert("extraData".into(), json!({}));
        obj.insert("external".into(), json!(false));
        out.push(Value::Object(obj.clone()));
        state.entities.insert(
            id,
            Entity {
                kind: Kind::Observable,
                org: ctx.org.clone(),
                parent: Some(parent.to_owned()),
                obj,
            },
        );
    }
    Ok(out)
}

fn permission_for(kind: Kind, action: &str) -> &'static str {
    match (kind, action) {
        (Kind::Alert, "update") => "manageAlert/update",
        (Kind::Alert, _) => "manageAlert/delete",
        (Kind::Case, "update") => "manageCase/update",
        (Kind::Case, _) => "manageCase/delete",
        (Kind::Observable, _) => "manageObservable",
        (Kind::Task | Kind::Log, _) => "manageTask",
        (Kind::Comment, _) => "manageComment",
        (Kind::Organisation, _) => "manageOrganisation/update",
        _ => "manageUser",
    }
}

async fn get_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    let state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    let obj = state.object(&id);
    ok(StatusCode::OK, obj)
}

/// Fields a PATCH may not change.
const READ_ONLY: &[&str] = &[
    "_id",
    "_type",
    "_createdBy",
    "_createdAt",
    "_updatedBy",
    "_updatedAt",
    "number",
    "dataType",
    "data",
    "observableCount",
    "caseId",
];

fn apply_update(
    state: &mut State,
    id: &str,
    ctx: &Ctx,
    fields: &Map<String, Value>,
) -> Result<(), HiveError> {
    let entity = state
        .entities
        .get_mut(id)
        .ok_or_else(|| HiveError::not_found(format!("{id} not found")))?;
    let kind = entity.kind;
    if let Some(bad) = fields.keys().find(|k| READ_ONLY.contains(&k.as_str())) {
        return Err(HiveError::attribute(format!(
            "{}.{bad} cannot be updated",
            kind.type_name().to_ascii_lowercase()
        )));
    }
    let mut merged = entity.obj.clone();
    for (k, v) in fields {
        if k == "ids" {
            continue;
        }
        merged.insert(k.clone(), v.clone());
    }
    // Levels keep their labels in step.
    if matches!(kind, Kind::Alert | Kind::Case | Kind::Observable) {
        let snapshot = merged.clone();
        levels(
            &mut merged,
            &snapshot,
            matches!(kind, Kind::Alert | Kind::Case),
        )?;
    }
    if let Some(s) = fields.get("status").and_then(Value::as_str) {
        let now = util::now_ms();
        match kind {
            Kind::Alert => {
                let stage = stage_of_alert_status(s);
                merged.insert("stage".into(), json!(stage));
                if stage == "InProgress" && !merged.contains_key("inProgressDate") {
                    merged.insert("inProgressDate".into(), json!(now));
                }
                if stage == "Closed" {
                    merged.insert("closedDate".into(), json!(now));
                }
            }
            Kind::Case => {
                let stage = stage_of_case_status(s);
                merged.insert("stage".into(), json!(stage));
                if stage == "Closed" {
                    merged.insert("endDate".into(), json!(now));
                    merged.insert("closedDate".into(), json!(now));
                }
            }
            _ => {}
        }
    }
    if kind == Kind::Comment && fields.contains_key("message") {
        merged.insert("isEdited".into(), json!(true));
    }
    merged.insert("_updatedBy".into(), json!(ctx.login));
    merged.insert("_updatedAt".into(), json!(util::now_ms()));
    entity.obj = merged;
    Ok(())
}

async fn update_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "update"))?;
    let fields = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    apply_update(&mut state, &id, &ctx, &fields)?;
    no_content()
}

async fn bulk_update<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "update"))?;
    let fields = parse_body(&body)?;
    let ids = string_list(&fields, "ids")?;
    let mut state = util::lock(&hive.state);
    let found = ids
        .iter()
        .map(|id| TheHive::find(&state, kind, &ctx.org, id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in found {
        apply_update(&mut state, &id, &ctx, &fields)?;
    }
    no_content()
}

fn string_list(input: &Map<String, Value>, name: &str) -> Result<Vec<String>, HiveError> {
    match input.get(name) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    HiveError::attribute(format!("{name}: expected strings, got {v}"))
                })
            })
            .collect(),
        Some(other) => Err(HiveError::attribute(format!(
            "{name}: expected a list of strings, got {other}"
        ))),
        None => Err(HiveError::attribute(format!("{name} is missing"))),
    }
}

async fn delete_entity<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let kind = kind_of(K);
    ctx.require(permission_for(kind, "delete"))?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, kind, &ctx.org, &id)?;
    let parent = state.entities.get(&id).and_then(|e| e.parent.clone());
    remove_tree(&mut state, &id);
    if let Some(p) = parent {
        recount(&mut state, &p);
    }
    no_content()
}

async fn bulk_delete_alerts(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/delete")?;
    let ids = string_list(&parse_body(&body)?, "ids")?;
    let mut state = util::lock(&hive.state);
    let found = ids
        .iter()
        .map(|id| TheHive::find(&state, Kind::Alert, &ctx.org, id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in found {
        remove_tree(&mut state, &id);
    }
    no_content()
}

async fn follow<const ON: bool>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/update")?;
    let mut state = util::lock(&hive.state);
    let id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let mut fields = Map::new();
    fields.insert("follow".into(), json!(ON));
    apply_update(&mut state, &id, &ctx, &fields)?;
    let obj = state.object(&id);
    ok(StatusCode::OK, obj)
}

// ---------------------------------------------------------------------------------------------
// Cases

async fn create_case(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
    let ctx = hive.authorised(&headers, "manageCase/create")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let case = new_case(&mut state, &ctx, &input)?;
    ok(StatusCode::CREATED, case)
}

fn new_case(state: &mut State, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let title = required_str(input, "title", "case")?.to_owned();
    let description = required_str(input, "description", "case")?.to_owned();
    let tags = tags_of(input)?;
    state.next_case_number += 1;
    let number = state.next_case_number;
    let now = util::now_ms();
    let (id, mut obj) = base_object(state, Kind::Case, &ctx.login);
    obj.insert("number".into(), json!(number));
    obj.insert("title".into(), json!(title));
    obj.insert("description".into(), json!(description));
    levels(&mut obj, input, true)?;
    obj.insert(
        "startDate".into(),
        json!(input
            .get("startDate")
            .and_then(Value::as_i64)
            .unwrap_or(now)),
    );
    obj.insert("tags".into(), tags);
    obj.insert(
        "flag".into(),
        json!(input.get("flag").and_then(Value::as_bool).unwrap_or(false)),
    );
    let status = input.get("status").and_then(Value::as_str).unwrap_or("New");
    obj.insert("status".into(), json!(status));
    obj.insert("stage".into(), json!(stage_of_case_status(status)));
    copy_optional(&mut obj, input, &["summary", "impactStatus", "endDate"]);
    obj.insert(
        "assignee".into(),
        input
            .get("assignee")
            .cloned()
            .unwrap_or_else(|| json!(ctx.login)),
    );
    obj.insert("access".into(), json!({"_kind": "OrganisationAccessKind"}));
    obj.insert("customFields".into(), custom_fields(input));
    obj.insert("userPermissions".into(), json!(permissions(&ctx.profile)));
    obj.insert("extraData".into(), json!({}));
    obj.insert("newDate".into(), json!(now));
    obj.insert("timeToDetect".into(), json!(0));
    state.entities.insert(
        id.clone(),
        Entity {
            kind: Kind::Case,
            org: ctx.org.clone(),
            parent: None,
            obj,
        },
    );
    if let Some(tasks) = input.get("tasks").and_then(Value::as_array) {
        for t in tasks {
            if let Some(t) = t.as_object() {
                new_task(state, ctx, &id, t)?;
            }
        }
    }
    Ok(state.object(&id))
}

/// Copies an alert's observables into a case (skipping ones the case has) and marks the alert
/// imported into it.
fn import_alert(
    state: &mut State,
    ctx: &Ctx,
    alert_id: &str,
    case_id: &str,
) -> Result<(), HiveError> {
    let observables: Vec<Map<String, Value>> = state
        .entities
        .values()
        .filter(|e| e.kind == Kind::Observable && e.parent.as_deref() == Some(alert_id))
        .map(|e| e.obj.clone())
        .collect();
    for o in observables {
        let same = |e: &Entity| {
            e.kind == Kind::Observable
                && e.parent.as_deref() == Some(case_id)
                && e.obj.get("dataType") == o.get("dataType")
                && e.obj.get("data") == o.get("data")
        };
        if state.entities.values().any(same) {
            continue;
        }
        let (id, mut obj) = base_object(state, Kind::Observable, &ctx.login);
        for (k, v) in &o {
            if !k.starts_with('_') {
                obj.insert(k.clone(), v.clone());
            }
        }
        state.entities.insert(
            id,
            Entity {
                kind: Kind::Observable,
                org: ctx.org.clone(),
                parent: Some(case_id.to_owned()),
                obj,
            },
        );
    }
    let now = util::now_ms();
    if let Some(alert) = state.entities.get_mut(alert_id) {
        alert.obj.insert("caseId".into(), json!(case_id));
        alert.obj.insert("status".into(), json!("Imported"));
        alert.obj.insert("stage".into(), json!("Imported"));
        alert.obj.insert("importedDate".into(), json!(now));
        alert.obj.insert("_updatedBy".into(), json!(ctx.login));
        alert.obj.insert("_updatedAt".into(), json!(now));
    }
    Ok(())
}

async fn promote(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    ctx.require("manageCase/create")?;
    let overrides = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let alert_id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let alert = state.object(&alert_id);
    if let Some(case) = alert.get("caseId") {
        return Err(HiveError::bad_request(format!(
            "Alert {alert_id} has already been imported into case {case}"
        )));
    }
    let mut input = Map::new();
    for f in [
        "title",
        "description",
        "severity",
        "tlp",
        "pap",
        "tags",
        "customFields",
        "summary",
        "assignee",
    ] {
        if let Some(v) = alert.get(f) {
            input.insert(f.into(), v.clone());
        }
    }
    for (k, v) in overrides {
        input.insert(k, v);
    }
    let case = new_case(&mut state, &ctx, &input)?;
    let case_id = case
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    import_alert(&mut state, &ctx, &alert_id, &case_id)?;
    let case = state.object(&case_id);
    ok(StatusCode::CREATED, case)
}

async fn merge_alert(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path((id, case)): Path<(String, String)>,
) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    let mut state = util::lock(&hive.state);
    let alert_id = TheHive::find(&state, Kind::Alert, &ctx.org, &id)?;
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &case)?;
    import_alert(&mut state, &ctx, &alert_id, &case_id)?;
    let case = state.object(&case_id);
    ok(StatusCode::OK, case)
}

async fn bulk_merge(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
    let ctx = hive.authorised(&headers, "manageAlert/import")?;
    let input = parse_body(&body)?;
    let case = input
        .get("caseId")
        .and_then(Value::as_str)
        .ok_or_else(|| HiveError::attribute("caseId is missing"))?
        .to_owned();
    let alerts = string_list(&input, "alertIds")?;
    let mut state = util::lock(&hive.state);
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &case)?;
    let alert_ids = alerts
        .iter()
        .map(|a| TheHive::find(&state, Kind::Alert, &ctx.org, a))
        .collect::<Result<Vec<_>, _>>()?;
    for a in alert_ids {
        import_alert(&mut state, &ctx, &a, &case_id)?;
    }
    let case = state.object(&case_id);
    ok(StatusCode::OK, case)
}

async fn create_observable<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageObservable")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let parent = TheHive::find(&state, kind_of(K), &ctx.org, &id)?;
    let created = new_observables(&mut state, &ctx, &parent, &input)?;
    recount(&mut state, &parent);
    ok(StatusCode::CREATED, Value::Array(created))
}

fn new_task(
    state: &mut State,
    ctx: &Ctx,
    case_id: &str,
    input: &Map<String, Value>,
) -> Result<Value, HiveError> {
    let title = required_str(input, "title", "task")?.to_owned();
    let (id, mut obj) = base_object(state, Kind::Task, &ctx.login);
    obj.insert("title".into(), json!(title));
    obj.insert(
        "group".into(),
        input
            .get("group")
            .cloned()
            .unwrap_or_else(|| json!("default")),
    );
    obj.insert(
        "status".into(),
        input
            .get("status")
            .cloned()
            .unwrap_or_else(|| json!("Waiting")),
    );
    obj.insert(
        "flag".into(),
        json!(input.get("flag").and_then(Value::as_bool).unwrap_or(false)),
    );
    obj.insert(
        "order".into(),
        json!(input.get("order").and_then(Value::as_i64).unwrap_or(0)),
    );
    obj.insert(
        "mandatory".into(),
        json!(input
            .get("mandatory")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    copy_optional(
        &mut obj,
        input,
        &["description", "startDate", "endDate", "dueDate", "assignee"],
    );
    obj.insert("extraData".into(), json!({}));
    state.entities.insert(
        id,
        Entity {
            kind: Kind::Task,
            org: ctx.org.clone(),
            parent: Some(case_id.to_owned()),
            obj: obj.clone(),
        },
    );
    Ok(Value::Object(obj))
}

async fn create_task(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageTask")?;
    let input = parse_body(&body)?;
    let mut state = util::lock(&hive.state);
    let case_id = TheHive::find(&state, Kind::Case, &ctx.org, &id)?;
    let task = new_task(&mut state, &ctx, &case_id, &input)?;
    ok(StatusCode::CREATED, task)
}

async fn create_log(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageTask")?;
    let input = parse_body(&body)?;
    let message = required_str(&input, "message", "log")?.to_owned();
    let mut state = util::lock(&hive.state);
    let task_id = TheHive::find(&state, Kind::Task, &ctx.org, &id)?;
    let (log_id, mut obj) = base_object(&mut state, Kind::Log, &ctx.login);
    obj.insert("message".into(), json!(message));
    obj.insert(
        "date".into(),
        json!(input
            .get("date")
            .and_then(Value::as_i64)
            .unwrap_or_else(util::now_ms)),
    );
    obj.insert("attachments".into(), json!([]));
    obj.insert("owner".into(), json!(ctx.login));
    copy_optional(&mut obj, &input, &["includeInTimeline"]);
    obj.insert("extraData".into(), json!({}));
    state.entities.insert(
        log_id,
        Entity {
            kind: Kind::Log,
            org: ctx.org.clone(),
            parent: Some(task_id),
            obj: obj.clone(),
        },
    );
    ok(StatusCode::CREATED, Value::Object(obj))
}

async fn create_comment<const K: u8>(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Res {
    let ctx = hive.authorised(&headers, "manageComment")?;
    let input = parse_body(&body)?;
    let message = required_str(&input, "message", "comment")?.to_owned();
    let mut state = util::lock(&hive.state);
    let parent = TheHive::find(&state, kind_of(K), &ctx.org, &id)?;
    let (comment_id, mut obj) = base_object(&mut state, Kind::Comment, &ctx.login);
    obj.insert("message".into(), json!(message));
    obj.insert("isEdited".into(), json!(false));
    obj.insert("extraData".into(), json!({}));
    state.entities.insert(
        comment_id,
        Entity {
            kind: Kind::Comment,
            org: ctx.org.clone(),
            parent: Some(parent),
            obj: obj.clone(),
        },
    );
    ok(StatusCode::CREATED, Value::Object(obj))
}

// ---------------------------------------------------------------------------------------------
// Users and organisations

/// A user's JSON as seen from `org`.
fn user_json(state: &State, login: &str, org: &str) -> Value {
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

async fn current_user(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap) -> Res {
    let ctx = hive.auth(&headers)?;
    let state = util::lock(&hive.state);
    ok(StatusCode::OK, user_json(&state, &ctx.login, &ctx.org))
}

async fn create_user(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
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
    state.entities.insert(
        id.clone(),
        Entity {
            kind: Kind::User,
            org: org.clone(),
            parent: None,
            obj,
        },
    );
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

async fn get_user(
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

async fn update_user(
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

async fn delete_user(
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

async fn set_password(
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

async fn get_key(
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

async fn remove_key(
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

async fn renew_key(
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

async fn create_org(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
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
    state.entities.insert(
        id,
        Entity {
            kind: Kind::Organisation,
            org: name,
            parent: None,
            obj: obj.clone(),
        },
    );
    ok(StatusCode::CREATED, Value::Object(obj))
}

async fn get_org(
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

// ---------------------------------------------------------------------------------------------
// Connector configuration and the Cortex connector

fn connector_name(name: &str) -> Result<&'static str, HiveError> {
    match name {
        "cortex" => Ok("cortex"),
        "misp" => Ok("misp"),
        other => Err(HiveError::not_found(format!(
            "Configuration {other} not found"
        ))),
    }
}

async fn get_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    let name = connector_name(&name)?;
    let state = util::lock(&hive.state);
    let config = state.config.get(name).cloned().unwrap_or_else(|| match name {
        "cortex" => json!({"servers": [], "refreshDelay": "5 seconds", "maxRetryOnError": 3, "statusCheckInterval": "1 minute", "jobTimeout": "3 hours"}),
        _ => json!({"servers": [], "interval": "1 hour"}),
    });
    ok(StatusCode::OK, config)
}

async fn put_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    let name = connector_name(&name)?;
    let input = parse_body(&body)?;
    let servers = input
        .get("servers")
        .and_then(Value::as_array)
        .ok_or_else(|| HiveError::attribute(format!("{name}.servers: expected a list")))?;
    for (i, s) in servers.iter().enumerate() {
        for f in ["name", "url"] {
            if s.get(f).and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(HiveError::attribute(format!(
                    "{name}.servers[{i}].{f} is missing"
                )));
            }
        }
        if s.get("auth").and_then(Value::as_object).is_none() {
            return Err(HiveError::attribute(format!(
                "{name}.servers[{i}].auth is missing"
            )));
        }
    }
    util::lock(&hive.state)
        .config
        .insert(name.into(), Value::Object(input));
    no_content()
}

async fn test_config(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Res {
    hive.authorised(&headers, "manageConfig")?;
    connector_name(&name)?;
    let server = parse_body(&body)?;
    let url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reachable =
        url::Url::parse(url).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https");
    if reachable {
        ok(
            StatusCode::OK,
            json!({"status": "OK", "message": format!("{url} answered")}),
        )
    } else {
        Err(HiveError::bad_request(format!(
            "Invalid server url {url:?}"
        )))
    }
}

/// The configured Cortex server names; none means the connector has nowhere to send jobs.
fn cortex_servers(state: &State) -> Vec<String> {
    state
        .config
        .get("cortex")
        .and_then(|c| c.get("servers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn worker_json(analyzer: &Value, servers: &[String]) -> Value {
    json!({
        "id": analyzer.get("id").or_else(|| analyzer.get("_id")),
        "name": analyzer.get("name"),
        "version": analyzer.get("version"),
        "description": analyzer.get("description"),
        "dataTypeList": analyzer.get("dataTypeList"),
        "cortexIds": servers,
    })
}

async fn list_analyzers(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Query(_q): Query<BTreeMap<String, String>>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let list: Vec<Value> = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex
            .analyzers()
            .iter()
            .map(|a| worker_json(a, &servers))
            .collect(),
        _ => Vec::new(),
    };
    ok(StatusCode::OK, Value::Array(list))
}

async fn get_analyzer(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let found = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex.analyzers().into_iter().find(|a| {
            a.get("id").and_then(Value::as_str) == Some(&id)
                || a.get("name").and_then(Value::as_str) == Some(&id)
        }),
        _ => None,
    };
    found
        .map(|a| util::json(StatusCode::OK, worker_json(&a, &servers)))
        .ok_or_else(|| HiveError::not_found(format!("Analyzer {id} not found")))
}

async fn analyzers_for_type(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(dt): Path<String>,
) -> Res {
    let _ctx = hive.auth(&headers)?;
    let servers = cortex_servers(&util::lock(&hive.state));
    let list: Vec<Value> = match (&hive.links.cortex, servers.is_empty()) {
        (Some(cortex), false) => cortex
            .analyzers()
            .iter()
            .filter(|a| {
                a.get("dataTypeList")
                    .and_then(Value::as_array)
                    .is_some_and(|l| l.iter().any(|t| t.as_str() == Some(&dt)))
            })
            .map(|a| worker_json(a, &servers))
            .collect(),
        _ => Vec::new(),
    };
    ok(StatusCode::OK, Value::Array(list))
}

fn start_job(hive: &TheHive, ctx: &Ctx, input: &Map<String, Value>) -> Result<Value, HiveError> {
    let analyzer = required_str(input, "analyzerId", "job")?.to_owned();
    let cortex_id = required_str(input, "cortexId", "job")?.to_owned();
    let artifact = required_str(input, "artifactId", "job")?.to_owned();
    let (data_type, data, tlp, pap, message) = {
        let state = util::lock(&hive.state);
        if !cortex_servers(&state).contains(&cortex_id) {
            return Err(HiveError::not_found(format!(
                "Cortex server {cortex_id} not found"
            )));
        }
        let id = TheHive::find(&state, Kind::Observable, &ctx.org, &artifact)?;
        let o = state.object(&id);
        (
            o.get("dataType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            o.get("data")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            o.get("tlp").and_then(Value::as_u64).unwrap_or(2),
            o.get("pap").and_then(Value::as_u64).unwrap_or(2),
            o.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let cortex = hive
        .links
        .cortex
        .as_ref()
        .ok_or_else(|| HiveError::not_found(format!("Cortex server {cortex_id} not found")))?;
    let cortex_job = cortex
        .run_analyzer(&analyzer, &data_type, &data, tlp, pap, &message)
        .map_err(HiveError::bad_request)?;
    let mut state = util::lock(&hive.state);
    let artifact_id = TheHive::find(&state, Kind::Observable, &ctx.org, &artifact)?;
    let (id, mut obj) = base_object(&mut state, Kind::Job, &ctx.login);
    obj.insert("analyzerId".into(), json!(analyzer));
    obj.insert(
        "analyzerName".into(),
        cortex_job
            .get("analyzerName")
            .cloned()
            .unwrap_or(json!(analyzer)),
    );
    obj.insert(
        "analyzerDefinition".into(),
        cortex_job
            .get("analyzerDefinitionId")
            .cloned()
            .unwrap_or(Value::Null),
    );
    obj.insert(
        "status".into(),
        cortex_job
            .get("status")
            .cloned()
            .unwrap_or(json!("Waiting")),
    );
    obj.insert("startDate".into(), json!(util::now_ms()));
    obj.insert("cortexId".into(), json!(cortex_id));
    obj.insert(
        "cortexJobId".into(),
        cortex_job.get("id").cloned().unwrap_or(Value::Null),
    );
    obj.insert("id".into(), json!(id));
    obj.insert("operations".into(), json!([]));
    state.entities.insert(
        id,
        Entity {
            kind: Kind::Job,
            org: ctx.org.clone(),
            parent: Some(artifact_id),
            obj: obj.clone(),
        },
    );
    Ok(Value::Object(obj))
}

async fn run_job(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
    let ctx = hive.authorised(&headers, "manageAnalyse")?;
    let input = parse_body(&body)?;
    let job = start_job(&hive, &ctx, &input)?;
    ok(StatusCode::CREATED, job)
}

async fn run_jobs(AxState(hive): AxState<Arc<TheHive>>, headers: HeaderMap, body: Bytes) -> Res {
    let ctx = hive.authorised(&headers, "manageAnalyse")?;
    let input = parse_body(&body)?;
    let jobs = input
        .get("jobs")
        .and_then(Value::as_array)
        .ok_or_else(|| HiveError::attribute("jobs: expected a list"))?;
    let mut out = Vec::new();
    for j in jobs {
        let j = j
            .as_object()
            .ok_or_else(|| HiveError::attribute(format!("jobs: expected objects, got {j}")))?;
        out.push(start_job(&hive, &ctx, j)?);
    }
    ok(StatusCode::CREATED, Value::Array(out))
}

/// Refreshes a connector job from Cortex; a finished one carries its report, and its
/// observable gets the summary under `reports`.
pub(crate) fn refresh_job(hive: &TheHive, job_id: &str) {
    let Some(cortex) = &hive.links.cortex else {
        return;
    };
    let (cortex_job_id, observable) = {
        let state = util::lock(&hive.state);
        match state.entities.get(job_id) {
            Some(e) if e.kind == Kind::Job => (
                e.obj
                    .get("cortexJobId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                e.parent.clone(),
            ),
            _ => return,
        }
    };
    let Some(cj) = cortex_job_id.and_then(|id| cortex.job(&id)) else {
        return;
    };
    let mut state = util::lock(&hive.state);
    let mut summary = None;
    if let Some(e) = state.entities.get_mut(job_id) {
        if let Some(s) = cj.get("status") {
            e.obj.insert("status".into(), s.clone());
        }
        if let Some(end) = cj.get("endDate") {
            e.obj.insert("endDate".into(), end.clone());
        }
        if let Some(report) = cj.get("report") {
            e.obj.insert("report".into(), report.clone());
            summary = report.get("summary").cloned().map(|s| {
                (
                    e.obj
                        .get("analyzerName")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    s,
                )
            });
        }
    }
    if let (Some((name, summary)), Some(obs)) = (summary, observable) {
        if let Some(o) = state.entities.get_mut(&obs) {
            if let Some(Value::Object(reports)) = o.obj.get_mut("reports") {
                reports.insert(name, summary);
            }
        }
    }
}

async fn get_job(
    AxState(hive): AxState<Arc<TheHive>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Res {
    let ctx = hive.auth(&headers)?;
    let job_id = {
        let state = util::lock(&hive.state);
        TheHive::find(&state, Kind::Job, &ctx.org, &id)?
    };
    refresh_job(&hive, &job_id);
    let state = util::lock(&hive.state);
    let obj = state.object(&job_id);
    ok(StatusCode::OK, obj)
}
