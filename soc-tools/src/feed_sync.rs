//! `soc feed-sync`: MISP's feeds cached and fetched as background jobs tracked to the end, then
//! MISP events turned into TheHive alerts.
//!
//! # MISP attribute types and TheHive data types
//!
//! | MISP type | TheHive dataType |
//! |---|---|
//! | `ip-src`, `ip-dst` (and `|port` forms, the port dropped) | `ip` |
//! | `domain` | `domain` |
//! | `hostname` | `fqdn` |
//! | `url`, `link`, `uri` | `url` |
//! | `email`, `email-src`, `email-dst` | `mail` |
//! | `email-subject` | `mail-subject` |
//! | `md5`, `sha1`, `sha224`, `sha256`, `sha384`, `sha512`, `ssdeep`, `imphash`, `tlsh` | `hash` |
//! | `filename` | `filename` |
//! | `filename|md5` (and other `filename|<hash>`) | `filename` and `hash` |
//! | `domain|ip` | `domain` and `ip` |
//! | `regkey`, `regkey|value` (the key part) | `registry` |
//! | `AS` | `autonomous-system` |
//! | `user-agent` | `user-agent` |
//! | anything else | `other`, tagged `misp:type=<type>` |
//!
//! Every observable carries the attribute's `to_ids` as `ioc`, and the tags `misp:category=` and
//! `misp:type=`. An alert is `type` = `[feed_sync.to_thehive].alert_type`, `source` = `misp`,
//! `sourceRef` = the event's UUID: a second run finds the alert and creates nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use misp_client::search::{SearchFilter, Terms};
use serde::Serialize;
use serde_json::Value;
use thehive_client::model::{InputAlert, InputObservable, Severity};

use crate::clients;
use crate::config::{parse_duration, SocConfig};
use crate::report::{Outcome, Report};
use crate::secrets::Secrets;

/// What `feed-sync` could not do at all (per-feed and per-event failures are in the report).
#[derive(Debug, thiserror::Error)]
pub enum FeedSyncError {
    /// `[misp]` is not configured.
    #[error("feed-sync needs a [misp] section in {0}")]
    NoMisp(String),
    /// A client could not be built.
    #[error(transparent)]
    Client(#[from] clients::ClientError),
    /// The configuration has a bad value.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// One MISP attribute as TheHive observables: `(dataType, data)` pairs.
pub fn thehive_observables(misp_type: &str, value: &str) -> Vec<(&'static str, String)> {
    let hash = |t: &str| {
        matches!(
            t,
            "md5"
                | "sha1"
                | "sha224"
                | "sha256"
                | "sha384"
                | "sha512"
                | "ssdeep"
                | "imphash"
                | "tlsh"
        )
    };
    let (head, tail) = value.split_once('|').unwrap_or((value, ""));
    match misp_type {
        "ip-src" | "ip-dst" => vec![("ip", value.to_owned())],
        "ip-src|port" | "ip-dst|port" => vec![("ip", head.to_owned())],
        "domain" => vec![("domain", value.to_owned())],
        "hostname" => vec![("fqdn", value.to_owned())],
        "url" | "link" | "uri" => vec![("url", value.to_owned())],
        "email" | "email-src" | "email-dst" => vec![("mail", value.to_owned())],
        "email-subject" => vec![("mail-subject", value.to_owned())],
        t if hash(t) => vec![("hash", value.to_owned())],
        "filename" => vec![("filename", value.to_owned())],
        t if t.starts_with("filename|") && hash(&t["filename|".len()..]) => {
            vec![("filename", head.to_owned()), ("hash", tail.to_owned())]
        }
        "domain|ip" => vec![("domain", head.to_owned()), ("ip", tail.to_owned())],
        "regkey" => vec![("registry", value.to_owned())],
        "regkey|value" => vec![("registry", head.to_owned())],
        "AS" => vec![("autonomous-system", value.to_owned())],
        "user-agent" => vec![("user-agent", value.to_owned())],
        _ => vec![("other", value.to_owned())],
    }
}

/// The state of one MISP background job.
#[derive(Debug, Clone, Serialize)]
pub struct JobState {
    /// The job id MISP gave.
    pub id: String,
    /// `completed`, `failed`, or `timed out`.
    pub status: String,
    /// MISP's last message for it.
    pub message: String,
}

/// Takes a job id from MISP's "queued" answers (`"... Job ID: 17"`).
pub fn job_id(answer: &Value) -> Option<String> {
    let text = answer
        .get("result")
        .or_else(|| answer.get("message"))
        .and_then(Value::as_str)?;
    let (_, tail) = text.rsplit_once("Job ID:")?;
    let id: String = tail
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Waits for a MISP job (`/jobs/getStatus/<id>`) to complete or fail, polling with backoff.
pub async fn wait_job(misp: &misp_client::Misp, id: &str, timeout: Duration) -> JobState {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    loop {
        let answer: Result<Value, _> = misp
            .request(soc_http::Method::GET, &["jobs", "getStatus", id])
            .json()
            .await;
        let state = |status: &str, message: String| JobState {
            id: id.to_owned(),
            status: status.to_owned(),
            message,
        };
        match answer {
            Ok(v) => {
                let status = v.get("status").map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                let message = v
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                // MISP's job states: 1 waiting, 2 running, 3 failed, 4 completed.
                match status.as_deref() {
                    Some("4") => return state("completed", message),
                    Some("3") => return state("failed", message),
                    _ => {}
                }
            }
            Err(e) => tracing::debug!(job = id, error = %e, "job status not readable yet"),
        }
        if tokio::time::Instant::now() >= deadline {
            return state(
                "timed out",
                format!("still running after {}s", timeout.as_secs()),
            );
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// One pass: cache and fetch every configured (or every enabled) feed, wait for the jobs, then
/// MISP events to TheHive alerts when `[feed_sync.to_thehive]` is set.
pub async fn run_once(config: &SocConfig) -> Result<Report, FeedSyncError> {
    let misp_cfg = config
        .misp
        .as_ref()
        .ok_or_else(|| FeedSyncError::NoMisp(config.path.display().to_string()))?;
    let Some(misp) = clients::misp_admin(config)? else {
        return Err(FeedSyncError::NoMisp(config.path.display().to_string()));
    };
    let timeout = match &config.feed_sync.job_timeout {
        Some(t) => parse_duration(t).map_err(|e| config.error("feed_sync.job_timeout", e))?,
        None => Duration::from_secs(1800),
    };
    let mut report = Report::default();
    let feeds = match misp.feeds().list().await {
        Ok(f) => f,
        Err(e) => {
            report.push("misp", "feeds", "*", Outcome::Failed, e.to_string());
            return Ok(report);
        }
    };
    let wanted: Vec<_> = feeds
        .iter()
        .filter(|f| {
            if misp_cfg.feeds.is_empty() {
                f.enabled
            } else {
                misp_cfg
                    .feeds
                    .iter()
                    .any(|c| c.name == f.name || c.url == f.url)
            }
        })
        .collect();
    let progress = crate::progress::bar(wanted.len() as u64, "feeds");
    for feed in wanted {
        let name = feed.name.clone();
        let id = feed.id.to_string();
        if !feed.enabled {
            if let Err(e) = misp.feeds().enable(&id).await {
                report.push(
                    "misp",
                    "feed",
                    &name,
                    Outcome::Failed,
                    format!("enabling: {e}"),
                );
                progress.inc(1);
                continue;
            }
        }
        let mut jobs = Vec::new();
        let mut failed = None;
        if feed.caching_enabled {
            match misp.feeds().cache(&id).await {
                Ok(v) => jobs.extend(job_id(&v).map(|j| ("cache", j))),
                Err(e) => failed = Some(format!("caching: {e}")),
            }
        }
        if failed.is_none() {
            match misp.feeds().fetch(&id).await {
                Ok(v) => jobs.extend(job_id(&v).map(|j| ("fetch", j))),
                Err(e) => failed = Some(format!("fetching: {e}")),
            }
        }
        if let Some(why) = failed {
            report.push("misp", "feed", &name, Outcome::Failed, why);
            progress.inc(1);
            continue;
        }
        let mut details = Vec::new();
        let mut ok = true;
        for (what, job) in jobs {
            let state = wait_job(&misp, &job, timeout).await;
            ok &= state.status == "completed";
            details.push(format!(
                "{what} job {} {}{}",
                state.id,
                state.status,
                if state.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", state.message)
                }
            ));
        }
        report.push(
            "misp",
            "feed",
            &name,
            if ok {
                Outcome::Changed
            } else {
                Outcome::Failed
            },
            details.join("; "),
        );
        progress.inc(1);
    }
    progress.finish_and_clear();
    let fetched: Vec<String> = report
        .items
        .iter()
        .filter(|i| i.kind == "feed" && i.outcome == Outcome::Changed)
        .map(|i| i.name.clone())
        .collect();
    if let Err(e) = record_fetched(config, &fetched) {
        report.push("soc", "state", "feed-sync", Outcome::Failed, e);
    }
    if config.feed_sync.to_thehive.is_some() {
        to_thehive(config, &misp, &mut report).await?;
    }
    Ok(report)
}

async fn to_thehive(
    config: &SocConfig,
    misp: &misp_client::Misp,
    report: &mut Report,
) -> Result<(), FeedSyncError> {
    let Some(t) = &config.feed_sync.to_thehive else {
        return Ok(());
    };
    let Some(hive_cfg) = &config.thehive else {
        report.push(
            "thehive",
            "alerts",
            "*",
            Outcome::Skipped,
            "no [thehive] section",
        );
        return Ok(());
    };
    let key = match Secrets::open(&config.secrets_file).map(|s| s.get("thehive", &t.thehive_user)) {
        Ok(Some(k)) => k,
        Ok(None) => {
            report.push("thehive", "alerts", &t.thehive_user, Outcome::Failed, "no key for this user in the secrets file: list it under [[thehive.users]] with api_key = true and run `soc setup`");
            return Ok(());
        }
        Err(e) => {
            report.push(
                "thehive",
                "alerts",
                &t.thehive_user,
                Outcome::Failed,
                e.to_string(),
            );
            return Ok(());
        }
    };
    let hive = clients::thehive_with_key(config, key, Some(&hive_cfg.organisation))?;
    // `last` filters on the publication time, so it only sees published events; the window
    // is on the event's last change instead, which covers both.
    let window =
        parse_duration(&t.window).map_err(|e| config.error("feed_sync.to_thehive.window", e))?;
    let since =
        chrono::Utc::now().timestamp() - i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    let mut filter = SearchFilter::new().timestamp(since.max(0));
    if t.published {
        filter = filter.published(true);
    }
    if !t.tags.is_empty() {
        filter = filter.tags(Terms::any(t.tags.clone()));
    }
    let events: Vec<misp_client::model::Event> = match misp.search().events(&filter).await {
        Ok(s) => match s.try_collect().await {
            Ok(v) => v,
            Err(e) => {
                report.push("misp", "events", "*", Outcome::Failed, e.to_string());
                return Ok(());
            }
        },
        Err(e) => {
            report.push("misp", "events", "*", Outcome::Failed, e.to_string());
            return Ok(());
        }
    };
    for event in &events {
        let severity = match event.threat_level_id.as_i64() {
            1 => Severity::High,
            2 => Severity::Medium,
            _ => Severity::Low,
        };
        let mut alert = InputAlert::new(
            &t.alert_type,
            "misp",
            &event.uuid,
            &event.info,
            format!(
                "MISP event {} ({}), {} attributes.",
                event.id,
                event.date,
                event.all_attributes().count()
            ),
        )
        .severity(severity);
        for tag in event.tags.iter().flatten() {
            alert = alert.tag(tag.name.clone());
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in event.all_attributes() {
            let kind = a.kind.as_str().to_owned();
            for (data_type, data) in thehive_observables(&kind, &a.value) {
                if data.is_empty() || !seen.insert((data_type, data.clone())) {
                    continue;
                }
                let mut o = InputObservable::new(data_type, data).ioc(a.to_ids);
                o = o
                    .tag(format!("misp:type={kind}"))
                    .tag(format!("misp:category={}", a.category.as_str()));
                alert = alert.observable(o);
            }
        }
        match create_alert(&hive, &alert).await {
            Ok(Some(id)) => report.push(
                "thehive",
                "alert",
                &event.uuid,
                Outcome::Created,
                format!("{id} ({} observables)", seen.len()),
            ),
            Ok(None) => report.push("thehive", "alert", &event.uuid, Outcome::Unchanged, ""),
            Err(e) => report.push(
                "thehive",
                "alert",
                &event.uuid,
                Outcome::Failed,
                e.to_string(),
            ),
        }
    }
    Ok(())
}

/// Creates an alert, retrying transient failures: the alert's `sourceRef` makes a replay safe
/// (a create that did land answers "already exists"). `Some(id)` when created, `None` when it
/// already existed.
pub async fn create_alert(
    hive: &thehive_client::TheHive,
    alert: &InputAlert,
) -> Result<Option<String>, thehive_client::Error> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match hive.alerts().create(alert).await {
            Ok(a) => return Ok(Some(a.meta.id.as_str().to_owned())),
            Err(thehive_client::Error::AlertAlreadyExists { .. }) => return Ok(None),
            Err(e) if attempt < 5 && transient(&e) => {
                tracing::debug!(attempt, error = %e, "alert creation failed, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A failure worth another try: the server was busy or briefly broken, or the connection was.
fn transient(e: &thehive_client::Error) -> bool {
    use soc_http::ErrorKind;
    match e {
        thehive_client::Error::Http(h) => matches!(
            h.kind(),
            ErrorKind::Server | ErrorKind::RateLimited | ErrorKind::Transport | ErrorKind::Timeout
        ),
        _ => false,
    }
}

/// Runs [`run_once`] every `every` (±10% jitter) until `stop` resolves; a failed pass (MISP
/// down) is reported and the next one runs on schedule. `on_pass` sees each report.
pub async fn run_every(
    config: &SocConfig,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
    mut on_pass: impl FnMut(Result<Report, FeedSyncError>),
) {
    tokio::pin!(stop);
    loop {
        on_pass(run_once(config).await);
        let jitter = every.as_secs_f64() * (fastrand_unit() * 0.2 - 0.1);
        let wait = Duration::from_secs_f64((every.as_secs_f64() + jitter).max(0.0));
        tracing::info!(next_in_secs = wait.as_secs(), "feed-sync sleeping");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut stop => return,
        }
    }
}

/// A number in `0.0..1.0` from the clock's low bits (jitter needs no cryptographic quality).
fn fastrand_unit() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

/// Where feed-sync records when each feed was last fetched: beside the secrets file.
pub fn state_path(config: &SocConfig) -> std::path::PathBuf {
    config
        .secrets_file
        .parent()
        .map(|d| d.join("feed-sync-state.json"))
        .unwrap_or_else(|| "feed-sync-state.json".into())
}

/// When each feed was last fetched successfully (Unix seconds), as recorded by feed-sync.
pub fn last_fetched(config: &SocConfig) -> Result<BTreeMap<String, i64>, String> {
    let path = state_path(config);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a feed-sync state file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn record_fetched(config: &SocConfig, feeds: &[String]) -> Result<(), String> {
    if feeds.is_empty() {
        return Ok(());
    }
    let mut state = last_fetched(config)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for f in feeds {
        state.insert(f.clone(), now);
    }
    let path = state_path(config);
    let text = serde_json::to_string_pretty(&state).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_as_documented() {
        assert_eq!(
            thehive_observables("ip-dst|port", "203.0.113.7|443"),
            vec![("ip", "203.0.113.7".to_owned())]
        );
        assert_eq!(
            thehive_observables("filename|sha256", "a.exe|abc"),
            vec![("filename", "a.exe".to_owned()), ("hash", "abc".to_owned())]
        );
        assert_eq!(
            thehive_observables("hostname", "a.b.c"),
            vec![("fqdn", "a.b.c".to_owned())]
        );
        assert_eq!(
            thehive_observables("vulnerability", "CVE-2024-1"),
            vec![("other", "CVE-2024-1".to_owned())]
        );
    }

    #[test]
    fn job_ids_come_from_the_queued_message() {
        let v = serde_json::json!({"result": "Pull queued for background execution. Job ID: 17"});
        assert_eq!(job_id(&v).as_deref(), Some("17"));
        assert_eq!(job_id(&serde_json::json!({"result": "done"})), None);
    }
}
