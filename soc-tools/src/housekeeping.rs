//! Housekeeping: what grows without bound in a SOC stack, seen by `soc doctor` and trimmed by
//! `soc prune`.
//!
//! - Elasticsearch indices matching a configured template with a retention policy but not
//!   managed by it (created before the template, or by hand): ILM never deletes them. `prune`
//!   attaches the policy (`index.lifecycle.name`); ILM then applies `delete_after` itself.
//! - Cortex jobs older than `[cortex] job_retention` (every analyzer run stays in Cortex's index
//!   with its report): `prune` deletes them.
//!
//! `soc prune` shows the plan; `soc prune --apply` carries it out.

use std::time::Duration;

use serde::Serialize;

use crate::clients;
use crate::config::{parse_duration, SocConfig};
use crate::report::{Outcome, Report};
use crate::secrets::Secrets;

/// How long Cortex jobs are kept when `[cortex] job_retention` is not set (doctor reports
/// older ones; prune deletes only with a configured retention).
pub const DEFAULT_JOB_RETENTION: Duration = Duration::from_secs(90 * 86_400);

/// An index that should follow a retention policy and does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    /// The index.
    pub index: String,
    /// The policy its template names.
    pub policy: String,
}

/// A Cortex job past the retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldJob {
    /// Its id.
    pub id: String,
    /// Its analyzer.
    pub analyzer: String,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
}

/// What `soc prune` would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrunePlan {
    /// Indices to put under their policy.
    pub unmanaged: Vec<Unmanaged>,
    /// Jobs to delete (only with `[cortex] job_retention`).
    pub old_jobs: Vec<OldJob>,
    /// What could not be looked at, and why.
    pub unreadable: Vec<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The configured job retention, or `None` when not set; an unreadable value is an error.
pub fn job_retention(config: &SocConfig) -> Result<Option<Duration>, String> {
    match config
        .cortex
        .as_ref()
        .and_then(|c| c.job_retention.as_deref())
    {
        None => Ok(None),
        Some(s) => parse_duration(s)
            .map(Some)
            .map_err(|e| format!("cortex.job_retention: {e}")),
    }
}

/// Indices matching a configured template with a retention policy, not managed by any.
pub async fn unmanaged_indices(config: &SocConfig) -> Result<Vec<Unmanaged>, String> {
    let Some(cfg) = &config.elasticsearch else {
        return Ok(Vec::new());
    };
    let es = clients::elasticsearch(config)
        .map_err(|e| e.to_string())?
        .ok_or("not configured")?;
    let mut out = Vec::new();
    for t in &cfg.templates {
        let Some(policy) = &t.retention else { continue };
        for pattern in &t.patterns {
            let explain = match es.lifecycle().explain_ilm(pattern).await {
                Ok(v) => v,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(format!("{pattern}: {e}")),
            };
            for (index, state) in explain["indices"].as_object().into_iter().flatten() {
                if state["managed"].as_bool() != Some(true)
                    && !out.iter().any(|u: &Unmanaged| &u.index == index)
                {
                    out.push(Unmanaged {
                        index: index.clone(),
                        policy: policy.clone(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.index.cmp(&b.index));
    Ok(out)
}

/// The Cortex client of the organisation admin setup created.
fn cortex_org(config: &SocConfig) -> Result<Option<cortex_client::Cortex>, String> {
    let Some(c) = &config.cortex else {
        return Ok(None);
    };
    let secrets = Secrets::open(&config.secrets_file).map_err(|e| e.to_string())?;
    let key = secrets.get("cortex", &c.org_admin).ok_or_else(|| {
        format!(
            "no key for {} in the secrets file: run `soc setup`",
            c.org_admin
        )
    })?;
    clients::cortex_anonymous(config)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "not configured".to_string())?
        .with_api_key(key)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Cortex jobs created before `now - older_than`.
pub async fn old_jobs(config: &SocConfig, older_than: Duration) -> Result<Vec<OldJob>, String> {
    let Some(cortex) = cortex_org(config)? else {
        return Ok(Vec::new());
    };
    let cutoff = now_ms() - older_than.as_millis() as i64;
    let found = cortex
        .jobs()
        .search(
            &cortex_client::query::Q::lt("createdAt", cutoff),
            &cortex_client::query::ListOptions::all(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(found
        .items
        .into_iter()
        .map(|j| OldJob {
            id: j.id().to_owned(),
            analyzer: j.worker_name.clone(),
            created_at: j.meta.created_at.map(|t| t.timestamp_millis()).unwrap_or(0),
        })
        .collect())
}

/// What `soc prune` would do with this configuration.
pub async fn plan(config: &SocConfig) -> PrunePlan {
    let mut plan = PrunePlan::default();
    match unmanaged_indices(config).await {
        Ok(u) => plan.unmanaged = u,
        Err(e) => plan.unreadable.push(format!("elasticsearch: {e}")),
    }
    match job_retention(config) {
        Ok(Some(keep)) => match old_jobs(config, keep).await {
            Ok(j) => plan.old_jobs = j,
            Err(e) => plan.unreadable.push(format!("cortex: {e}")),
        },
        Ok(None) => {}
        Err(e) => plan.unreadable.push(e),
    }
    plan
}

/// Carries out a plan (or, with `dry_run`, reports it): one report item per index and job.
pub async fn prune(config: &SocConfig, plan: &PrunePlan, dry_run: bool) -> Report {
    let mut report = Report::default();
    for u in &plan.unreadable {
        report.push("soc", "prune", "plan", Outcome::Failed, u.clone());
    }
    if !plan.unmanaged.is_empty() {
        match clients::elasticsearch(config) {
            Ok(Some(es)) => {
                for u in &plan.unmanaged {
                    let why = format!("put under retention policy {}", u.policy);
                    if dry_run {
                        report.push(
                            "elasticsearch",
                            "index",
                            &u.index,
                            Outcome::WouldChange,
                            why,
                        );
                        continue;
                    }
                    let body = serde_json::json!({"index": {"lifecycle": {"name": u.policy}}});
                    match es.indices().put_settings(&u.index, &body).await {
                        Ok(_) => {
                            report.push("elasticsearch", "index", &u.index, Outcome::Changed, why)
                        }
                        Err(e) => report.push(
                            "elasticsearch",
                            "index",
                            &u.index,
                            Outcome::Failed,
                            e.to_string(),
                        ),
                    }
                }
            }
            Ok(None) => {}
            Err(e) => report.push(
                "elasticsearch",
                "index",
                "*",
                Outcome::Failed,
                e.to_string(),
            ),
        }
    }
    if !plan.old_jobs.is_empty() {
        match cortex_org(config) {
            Ok(Some(cortex)) => {
                for j in &plan.old_jobs {
                    let why = format!("{} job older than the retention", j.analyzer);
                    if dry_run {
                        report.push("cortex", "job", &j.id, Outcome::WouldChange, why);
                        continue;
                    }
                    match cortex.jobs().delete(&j.id).await {
                        Ok(()) => report.push("cortex", "job", &j.id, Outcome::Changed, "deleted"),
                        Err(e) => {
                            report.push("cortex", "job", &j.id, Outcome::Failed, e.to_string())
                        }
                    }
                }
            }
            Ok(None) => {}
            Err(e) => report.push("cortex", "job", "*", Outcome::Failed, e),
        }
    }
    report
}
