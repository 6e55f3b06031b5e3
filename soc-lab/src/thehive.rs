//! The TheHive 5 stand-in: alerts, cases, observables, tasks, logs, comments, users,
//! organisations, API keys, the query API, the Cortex connector and its runtime configuration.
//!
//! Every entity is one JSON object as TheHive returns it (`_id`, `_type`, `_createdBy`,
//! `_createdAt`...), kept with its organisation and its parent (the alert or case of an
//! observable, the task of a log). Errors are `{"type", "message"}` with TheHive's statuses.

mod alert;
mod attachment;
mod auth;
mod case;
mod connector;
mod entity;
mod query;
mod task;
mod user;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::Router;
use base64::Engine as _;
use http::{header, HeaderMap, StatusCode};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use self::alert::{
    create_alert, new_observables, recount, remove_tree, stage_of_alert_status,
    stage_of_case_status,
};
use self::attachment::{
    delete_alert_attachment, download_alert_attachment, upload_alert_attachments,
};
use self::auth::{login, logout, status, status_public};
use self::case::{bulk_merge, create_case, merge_alert, promote};
use self::connector::{
    analyzers_for_type, get_analyzer, get_config, get_job, list_analyzers, put_config, refresh_job,
    run_job, run_jobs, test_config,
};
use self::entity::{
    base_object, bulk_delete_alerts, bulk_update, copy_optional, custom_fields, delete_entity,
    follow, get_entity, levels, required_str, string_list, tags_of, update_entity,
};
use self::task::{create_comment, create_log, create_observable, create_task, new_task};
use self::user::{
    change_password, create_org, create_user, current_user, delete_user, get_key, get_org,
    get_user, remove_key, renew_key, set_password, update_user, user_json,
};
use crate::{util, Backend, Built, LabConfig, LabError, Links, Service};

/// The platform administrator every fresh TheHive has (its password is generated here).
const ADMIN_LOGIN: &str = "admin@thehive.local";
/// The administrator's password in TheHive's image until someone changes it.
const INITIAL_PASSWORD: &str = "secret";
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
    /// Stores an entity under `id`, in `org`, below `parent`.
    fn store(
        &mut self,
        id: String,
        kind: Kind,
        org: String,
        parent: Option<String>,
        obj: Map<String, Value>,
    ) {
        self.entities.insert(
            id,
            Entity {
                kind,
                org,
                parent,
                obj,
            },
        );
    }

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
    config: &LabConfig,
    restored: Option<Value>,
    links: Links,
) -> Result<Built, LabError> {
    let mut state: State = match restored {
        Some(v) => util::restore(Service::TheHive, v)?,
        None => State::default(),
    };
    if !state.accounts.contains_key(ADMIN_LOGIN) {
        bootstrap(&mut state, config.thehive_fresh);
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
/// and key instead of the well-known default, or (`as_image`) the image's initial password and
/// no key.
fn bootstrap(state: &mut State, as_image: bool) {
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
    state.store(org_id, Kind::Organisation, ADMIN_ORG.into(), None, org);
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
    state.store(user_id.clone(), Kind::User, ADMIN_ORG.into(), None, user);
    state.accounts.insert(
        ADMIN_LOGIN.into(),
        Account {
            id: user_id,
            password: Some(if as_image {
                INITIAL_PASSWORD.to_owned()
            } else {
                util::random_alnum(24)
            }),
            key: (!as_image).then(|| util::random_alnum(32)),
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
        .route("/alert/{id}/attachments", post(upload_alert_attachments))
        .route(
            "/alert/{id}/attachment/{attachment}",
            get(download_alert_attachment).delete(delete_alert_attachment),
        )
        .route(
            "/alert/{id}/attachment/{attachment}/download",
            get(download_alert_attachment),
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
        .route("/user/{id}/password/change", post(change_password))
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
