//! Jobs, server settings and workers.

use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    as_flag, as_text, internal_error, misp_error, not_authorised, s, save_fail, save_success,
    unknown_route, Caller, Misp, Req, State, MISP_VERSION, REDIS_HOST,
};
use crate::util;

/// `(name, default, type, level, description, test, redacted)`.
type SettingDef = (
    &'static str,
    Value,
    &'static str,
    u8,
    &'static str,
    &'static str,
    bool,
);

pub(super) fn setting_defs() -> Vec<SettingDef> {
    vec![
        ("MISP.baseurl", json!("https://misp.local"), "string", 0, "The base url of the application (in the format https://www.mymispinstance.com or https://myserver.com/misp).", "testBaseURL", false),
        ("MISP.external_baseurl", json!(""), "string", 1, "The base url used by the application when generating links to itself for external users.", "testBaseURL", false),
        ("MISP.live", json!(true), "boolean", 0, "Unless set to true, the instance will only be accessible by site admins.", "testLive", false),
        ("MISP.org", json!("ORGNAME"), "string", 1, "The organisation tag of the hosting organisation.", "testForEmpty", false),
        ("MISP.background_jobs", json!(true), "boolean", 1, "Enables the use of MISP's background processing.", "testBool", false),
        ("MISP.default_event_distribution", json!("1"), "string", 0, "The default distribution setting for events (0-3).", "testForEmpty", false),
        ("MISP.disable_emailing", json!(true), "boolean", 1, "You can disable all e-mailing using this setting.", "testDisableEmail", false),
        ("MISP.redis_host", json!("127.0.0.1"), "string", 0, "The host running the redis server to be used for generic MISP tasks such as caching.", "testForEmpty", false),
        ("MISP.redis_port", json!(6379), "numeric", 0, "The port used by the redis server to be used for generic MISP tasks such as caching.", "testForNumeric", false),
        ("MISP.redis_database", json!(13), "numeric", 0, "The database on the redis server to be used for generic MISP tasks.", "testForNumeric", false),
        ("MISP.redis_password", json!(""), "string", 0, "The password on the redis server (if any) to be used for generic MISP tasks.", "", true),
        ("Security.salt", json!(util::random_alnum(32)), "string", 0, "The salt used for the hashed passwords.", "testSalt", true),
        ("Security.advanced_authkeys", json!(true), "boolean", 0, "Advanced authkeys will allow each user to create and manage a set of authkeys for themselves, each with individual expirations and comments.", "testBool", false),
        ("SimpleBackgroundJobs.enabled", json!(false), "boolean", 0, "Enables or disables background jobs with Supervisor backend.", "testBool", false),
        ("SimpleBackgroundJobs.redis_host", json!("127.0.0.1"), "string", 0, "The host running the redis server to be used for background jobs.", "testForEmpty", false),
        ("SimpleBackgroundJobs.redis_port", json!(6379), "numeric", 0, "The port used by the redis server to be used for background jobs.", "testForNumeric", false),
        ("SimpleBackgroundJobs.redis_database", json!(1), "numeric", 0, "The database on the redis server to be used for background jobs.", "testForNumeric", false),
        ("SimpleBackgroundJobs.redis_password", json!(""), "string", 0, "The password on the redis server (if any) to be used for background jobs.", "", true),
        ("SimpleBackgroundJobs.redis_namespace", json!("background_jobs"), "string", 0, "The namespace to be used for the background jobs related keys.", "testForEmpty", false),
        ("SimpleBackgroundJobs.max_job_history_ttl", json!(86400), "numeric", 0, "The time in seconds the job statuses history will be kept.", "testForNumeric", false),
        ("SimpleBackgroundJobs.supervisor_host", json!("localhost"), "string", 0, "The host where the Supervisor XML-RPC API is running.", "testForEmpty", false),
        ("SimpleBackgroundJobs.supervisor_port", json!(9001), "numeric", 0, "The port where the Supervisor XML-RPC API is running.", "testForNumeric", false),
        ("SimpleBackgroundJobs.supervisor_user", json!("supervisor"), "string", 0, "The user of the Supervisor XML-RPC API.", "", false),
        ("SimpleBackgroundJobs.supervisor_password", json!(""), "string", 0, "The password of the Supervisor XML-RPC API.", "", true),
        ("Plugin.Enrichment_services_enable", json!(false), "boolean", 0, "Enable/disable the enrichment services", "testBool", false),
        ("Plugin.Enrichment_services_url", json!("http://misp-modules"), "string", 0, "The url used to access the enrichment services.", "", false),
        ("Plugin.Enrichment_services_port", json!(6666), "numeric", 0, "The port used to access the enrichment services.", "testForNumeric", false),
    ]
}

impl Misp {
    fn edit_setting(&self, st: &mut State, req: &Req, caller: &Caller, name: &str) -> Response {
        let url = "/servers/serverSettingsEdit";
        if !caller.site_admin() {
            return not_authorised(&req.url);
        }
        let Some(def) = setting_defs().into_iter().find(|d| d.0 == name) else {
            return misp_error(
                StatusCode::NOT_FOUND,
                &format!("Setting {name} is invalid."),
                &req.url,
            );
        };
        if req.method == Method::GET {
            if def.6 {
                return misp_error(StatusCode::FORBIDDEN, "This setting is redacted.", &req.url);
            }
            return util::json(StatusCode::OK, json!({name: st.setting(name)}));
        }
        let body = match req.body.get("Server") {
            Some(inner @ Value::Object(_)) => inner.clone(),
            _ => req.body.clone(),
        };
        let Some(raw) = body
            .get("value")
            .filter(|v| !v.is_array() && !v.is_object())
        else {
            return save_fail(
                "serverSettingsEdit",
                "Server",
                url,
                json!("Invalid input. Expected: {\"value\": \"new_setting\"}"),
            );
        };
        let force = body.get("force").and_then(as_flag).unwrap_or(false);
        let text = as_text(raw).unwrap_or_default().trim().to_owned();
        let value = match def.2 {
            "boolean" => json!(
                as_flag(raw).unwrap_or(false)
                    || (raw.is_string() && !text.is_empty() && text != "0")
            ),
            "numeric" => match text.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) if force => json!(text),
                Err(_) => {
                    return save_fail(
                        "serverSettingsEdit",
                        "Server",
                        url,
                        json!(format!("Setting {name} must be numeric.")),
                    )
                }
            },
            _ => json!(text),
        };
        if def.5 == "testForEmpty" && text.is_empty() && !force {
            return save_fail("serverSettingsEdit", "Server", url, json!("Value not set."));
        }
        st.settings.insert(name.to_owned(), value);
        save_success("Field updated", url, None)
    }
}

impl Misp {
    /// Routes a request on jobs, server settings and workers.
    pub(super) fn route_settings(&self, st: &mut State, req: &Req, caller: &Caller) -> Response {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let m = &req.method;
        let get = *m == Method::GET || *m == Method::HEAD;
        let url = req.url.as_str();
        match segs.as_slice() {
            ["jobs", "index"] | ["jobs"] => {
                if !st.jobs_ok() {
                    return internal_error(url);
                }
                let list: Vec<Value> = st.jobs.values().rev().map(|j| json!({"Job": j})).collect();
                util::json(StatusCode::OK, Value::Array(list))
            }
            ["jobs", "view", id] => match st.jobs.get(&id.parse().unwrap_or(0)) {
                Some(j) => util::json(StatusCode::OK, json!({"Job": j})),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid job.", url),
            },
            ["jobs", "getStatus", id] => match st.jobs.get(&id.parse().unwrap_or(0)) {
                Some(j) => util::json(
                    StatusCode::OK,
                    json!({"progress": j.get("progress"), "status": j.get("status"), "message": j.get("message")}),
                ),
                None => misp_error(StatusCode::NOT_FOUND, "Invalid job.", url),
            },
            // Server settings and workers
            ["servers", "serverSettings", ..] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                if !get {
                    return misp_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", url);
                }
                util::json(StatusCode::OK, server_settings(st))
            }
            ["servers", "getSetting", name] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                let Some(def) = setting_defs().into_iter().find(|d| d.0 == *name) else {
                    return misp_error(
                        StatusCode::NOT_FOUND,
                        &format!("Setting {name} is invalid."),
                        url,
                    );
                };
                if def.6 {
                    return misp_error(StatusCode::FORBIDDEN, "This setting is redacted.", url);
                }
                util::json(StatusCode::OK, setting_entry(st, &def))
            }
            ["servers", "serverSettingsEdit", name, ..] => self.edit_setting(st, req, caller, name),
            ["servers", "getWorkers"] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                util::json(StatusCode::OK, workers_json(st))
            }
            ["servers", "restartWorkers" | "restartDeadWorkers"] => {
                if !caller.site_admin() {
                    return not_authorised(url);
                }
                if !st.jobs_ok() {
                    return internal_error(url);
                }
                util::json(
                    StatusCode::OK,
                    json!({"saved": true, "success": true, "name": "Restarting workers.", "message": "Restarting workers.", "url": url}),
                )
            }
            _ => unknown_route(req),
        }
    }
}

fn setting_entry(st: &State, def: &SettingDef) -> Value {
    let value = if def.6 {
        s("*****")
    } else {
        st.setting(def.0).unwrap_or(Value::Null)
    };
    let raw = st.setting(def.0).unwrap_or(Value::Null);
    let text = as_text(&raw).unwrap_or_default();
    let mut error = None;
    if def.5 == "testForEmpty" && text.is_empty() {
        error = Some("Value not set.".to_owned());
    }
    if def.0.ends_with("redis_host") && text != REDIS_HOST && !text.is_empty() {
        error = Some(format!("Redis is not reachable at {text}:6379."));
    }
    if def.0 == "SimpleBackgroundJobs.enabled" && as_flag(&raw) != Some(true) {
        error = Some(
            "Background jobs are disabled: feeds, publishing alerts and caching will not run."
                .into(),
        );
    }
    json!({
        "setting": def.0,
        "value": value,
        "level": def.3,
        "description": def.4,
        "type": def.2,
        "test": def.5,
        "errorMessage": error,
        "error": u8::from(error.is_some()),
        "redacted": def.6,
        "name": def.0,
    })
}

fn server_settings(st: &State) -> Value {
    let settings: Vec<Value> = setting_defs()
        .iter()
        .map(|d| setting_entry(st, d))
        .collect();
    let status = if st.jobs_ok() {
        "OK"
    } else if st
        .setting("SimpleBackgroundJobs.enabled")
        .as_ref()
        .and_then(as_flag)
        != Some(true)
    {
        "Not configured (so not tested)"
    } else {
        "Error connecting to Redis."
    };
    json!({
        "version": {"current": MISP_VERSION, "newest": MISP_VERSION, "upToDate": "same"},
        "finalSettings": settings,
        "workers": workers_json(st),
        "backgroundJobsStatus": status,
        "redisInfo": if st.redis_ok() { json!({"connection": true}) } else { json!({"connection": false}) },
    })
}

fn workers_json(st: &State) -> Value {
    let up = st.jobs_ok();
    let mut out = Map::new();
    let mut pid = 2238;
    for (queue, count) in [
        ("cache", 1),
        ("default", 2),
        ("email", 1),
        ("prio", 1),
        ("update", 1),
        ("scheduler", 1),
    ] {
        let workers: Vec<Value> = if up {
            (0..count)
                .map(|_| {
                    pid += 1;
                    json!({"pid": pid, "user": "www-data", "alive": true, "correct_user": true, "ok": true})
                })
                .collect()
        } else {
            Vec::new()
        };
        let jobs = if up { 0 } else { st.jobs.len() };
        out.insert(
            queue.into(),
            json!({"ok": up, "workers": workers, "jobCount": jobs}),
        );
    }
    out.insert("proc_accessible".into(), json!(true));
    out.insert("controls".into(), json!(true));
    Value::Object(out)
}
