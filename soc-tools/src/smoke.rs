//! `soc smoke`: the stack's main paths exercised end to end, after `soc setup`.
//!
//! Each configured service gets one real round trip with the accounts `setup` created (not the
//! administrators'), so a green smoke test means the SOC's own automation works:
//!
//! | service | what |
//! |---|---|
//! | TheHive | an alert with an observable created by the first service account with a key, read back, a file attached through TheHive (into its S3 store) and downloaded back byte for byte, then deleted (left with the `soc-smoke` tag when the account may not delete) |
//! | Cortex | an analyzer accepting `ip` run on a documentation address by TheHive's Cortex account, report awaited |
//! | MISP | a restSearch for that address by TheHive's MISP account |
//! | S3 | an object written to the first bucket, read back byte for byte, deleted |
//! | Elasticsearch | cluster health answered, not red |
//!
//! The address is `192.0.2.1` (TEST-NET-1, RFC 5737): never routed, never anyone's indicator.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clients;
use crate::config::SocConfig;
use crate::secrets::Secrets;

/// The indicator the smoke test looks up.
pub const SMOKE_IP: &str = "192.0.2.1";

/// One round trip.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `thehive`, `cortex`, `misp`, `s3`, `elasticsearch`.
    pub service: &'static str,
    /// What was done.
    pub what: String,
    /// Whether it worked.
    pub ok: bool,
    /// What was seen, or the error.
    pub detail: String,
    /// How long it took.
    pub millis: u128,
}

/// Every step of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SmokeReport {
    /// In order.
    pub steps: Vec<Step>,
}

impl SmokeReport {
    /// Whether any step failed.
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| !s.ok)
    }

    /// One JSON object per step (JSON Lines).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for s in &self.steps {
            writeln!(
                out,
                "{}",
                serde_json::to_string(s).map_err(std::io::Error::other)?
            )?;
        }
        Ok(())
    }

    /// A table: service, outcome, time, what, detail.
    pub fn write_table(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for s in &self.steps {
            writeln!(
                out,
                "{:<14} {:<4} {:>6} ms  {}: {}",
                s.service,
                if s.ok { "ok" } else { "FAIL" },
                s.millis,
                s.what,
                s.detail
            )?;
        }
        let failed = self.steps.iter().filter(|s| !s.ok).count();
        writeln!(out, "{} steps, {failed} failed", self.steps.len())
    }

    fn record(
        &mut self,
        service: &'static str,
        what: impl Into<String>,
        started: Instant,
        outcome: Result<String, String>,
    ) {
        let (ok, detail) = match outcome {
            Ok(d) => (true, d),
            Err(e) => (false, e),
        };
        self.steps.push(Step {
            service,
            what: what.into(),
            ok,
            detail,
            millis: started.elapsed().as_millis(),
        });
    }
}

/// Runs the smoke test on every configured service. `deadline` bounds the wait for the Cortex
/// report.
pub async fn run(config: &SocConfig, deadline: Duration) -> SmokeReport {
    let mut report = SmokeReport::default();
    let secrets = match Secrets::open(&config.secrets_file) {
        Ok(s) => s,
        Err(e) => {
            report.record("soc", "secrets file", Instant::now(), Err(e.to_string()));
            return report;
        }
    };
    thehive(config, &secrets, &mut report).await;
    cortex(config, &secrets, deadline, &mut report).await;
    misp(config, &secrets, &mut report).await;
    s3(config, &mut report).await;
    elasticsearch(config, &mut report).await;
    report
}

async fn thehive(config: &SocConfig, secrets: &Secrets, report: &mut SmokeReport) {
    let Some(cfg) = &config.thehive else { return };
    let started = Instant::now();
    let what = "an alert with an observable and an attachment, read back, deleted";
    let Some((login, key)) = cfg.users.iter().filter(|u| u.api_key).find_map(|u| {
        secrets
            .get("thehive", &u.login)
            .map(|k| (u.login.clone(), k))
    }) else {
        return report.record(
            "thehive",
            what,
            started,
            Err("no service account with a key in the secrets file: run `soc setup`".into()),
        );
    };
    let outcome = async {
        let hive = clients::thehive_with_key(config, key, Some(&cfg.organisation))
            .map_err(|e| e.to_string())?;
        let reference = format!(
            "soc-smoke-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        let input = thehive_client::model::InputAlert::new(
            "soc-smoke",
            "soc",
            &reference,
            "soc smoke test",
            "Created and deleted by `soc smoke`.",
        )
        .tag("soc-smoke")
        .observable(thehive_client::model::InputObservable::new("ip", SMOKE_IP));
        let alert = hive
            .alerts()
            .create(&input)
            .await
            .map_err(|e| format!("as {login}: {e}"))?;
        let read = hive
            .alerts()
            .get(&alert.meta.id)
            .await
            .map_err(|e| format!("as {login}, reading {}: {e}", alert.meta.id))?;
        if read.source_ref != reference {
            return Err(format!(
                "read back sourceRef {:?}, created {reference:?}",
                read.source_ref
            ));
        }
        // An attachment through TheHive, which keeps it in its S3 store: the upload fails when
        // the bucket or TheHive's storage settings are wrong.
        let body = format!("soc smoke test {reference}\n").into_bytes();
        let file = thehive_client::FileUpload::new("soc-smoke.txt", "text/plain", body.clone());
        let uploaded = hive
            .alerts()
            .add_attachments(&alert.meta.id, &[file], true)
            .await
            .map_err(|e| format!("as {login}, attaching a file: {e}"))?;
        let attachment = uploaded
            .first()
            .ok_or("TheHive answered the upload with no attachment")?;
        let mut back = Vec::new();
        hive.alerts()
            .download_attachment(&alert.meta.id, attachment.id.as_str(), &mut back)
            .await
            .map_err(|e| format!("as {login}, reading the attachment back: {e}"))?;
        if back != body {
            return Err(format!(
                "attachment read back as {} bytes, {} uploaded",
                back.len(),
                body.len()
            ));
        }
        let _ = hive
            .alerts()
            .delete_attachment(&alert.meta.id, attachment.id.as_str())
            .await;
        let cleanup = match hive.alerts().delete(&alert.meta.id).await {
            Ok(()) => "deleted".to_string(),
            Err(e) => format!("left tagged soc-smoke ({login} may not delete: {e})"),
        };
        Ok(format!(
            "alert {} as {login}, attachment round-tripped, {cleanup}",
            alert.meta.id
        ))
    }
    .await;
    report.record("thehive", what, started, outcome);
}

async fn cortex(
    config: &SocConfig,
    secrets: &Secrets,
    deadline: Duration,
    report: &mut SmokeReport,
) {
    let Some(cfg) = &config.cortex else { return };
    let started = Instant::now();
    let what = format!("run an ip analyzer on {SMOKE_IP}");
    let outcome = async {
        let key = secrets.get("cortex", &cfg.thehive_user).ok_or_else(|| {
            format!(
                "no key for {} in the secrets file: run `soc setup`",
                cfg.thehive_user
            )
        })?;
        let cortex = clients::cortex_anonymous(config)
            .map_err(|e| e.to_string())?
            .ok_or("not configured")?
            .with_api_key(key)
            .map_err(|e| e.to_string())?;
        let analyzers = cortex
            .analyzers()
            .for_data_type("ip")
            .await
            .map_err(|e| e.to_string())?;
        let Some(a) = analyzers.first() else {
            return Err(
                "no enabled analyzer accepts ip: enable one ([[cortex.analyzers]])".to_string(),
            );
        };
        let input = cortex_client::model::JobInput::new("ip", SMOKE_IP);
        let job = cortex
            .analyzers()
            .run(a.id(), &input, false)
            .await
            .map_err(|e| format!("{}: {e}", a.name))?;
        let job = cortex
            .jobs()
            .wait(job.id(), deadline)
            .await
            .map_err(|e| format!("{}: {e}", a.name))?;
        match job.status {
            cortex_client::model::JobStatus::Success => {
                Ok(format!("{} answered (job {})", a.name, job.id()))
            }
            ref other => Err(format!("{} ended {other} (job {})", a.name, job.id())),
        }
    }
    .await;
    report.record("cortex", what, started, outcome);
}

async fn misp(config: &SocConfig, secrets: &Secrets, report: &mut SmokeReport) {
    let Some(cfg) = &config.misp else { return };
    let started = Instant::now();
    let what = format!("restSearch for {SMOKE_IP}");
    let outcome = async {
        use futures_util::TryStreamExt as _;
        use misp_client::search::{SearchFilter, Terms};
        let key = secrets.get("misp", &cfg.thehive_user).ok_or_else(|| {
            format!(
                "no key for {} in the secrets file: run `soc setup`",
                cfg.thehive_user
            )
        })?;
        let misp = clients::misp_with_key(config, key).map_err(|e| e.to_string())?;
        let filter = SearchFilter::new().values(Terms::any([SMOKE_IP.to_string()]));
        let hits: Vec<misp_client::model::Attribute> = misp
            .search()
            .attributes(&filter)
            .await
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "answered as {} ({} attributes)",
            cfg.thehive_user,
            hits.len()
        ))
    }
    .await;
    report.record("misp", what, started, outcome);
}

async fn s3(config: &SocConfig, report: &mut SmokeReport) {
    let Some(cfg) = &config.s3 else { return };
    let Some(bucket) = cfg.buckets.first().map(|b| b.name.clone()) else {
        return;
    };
    let started = Instant::now();
    let what = format!("write, read and delete an object in {bucket}");
    let outcome = async {
        let (s3, _) = clients::s3(config)
            .map_err(|e| e.to_string())?
            .ok_or("not configured")?;
        let key = format!(
            "soc-smoke/{}.txt",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let body = format!("soc smoke test {key}\n");
        s3.put_object(&bucket, &key, "text/plain", body.clone().into_bytes())
            .await
            .map_err(|e| format!("put {key}: {e}"))?;
        let back = s3
            .get_object(&bucket, &key)
            .await
            .map_err(|e| format!("get {key}: {e}"))?;
        s3.delete_object(&bucket, &key)
            .await
            .map_err(|e| format!("delete {key}: {e}"))?;
        if back.as_ref() != body.as_bytes() {
            return Err(format!(
                "{key}: read {} bytes back, wrote {}",
                back.len(),
                body.len()
            ));
        }
        Ok(format!("{} bytes round-tripped", body.len()))
    }
    .await;
    report.record("s3", what, started, outcome);
}

async fn elasticsearch(config: &SocConfig, report: &mut SmokeReport) {
    if config.elasticsearch.is_none() {
        return;
    }
    let started = Instant::now();
    let outcome = async {
        let es = clients::elasticsearch(config)
            .map_err(|e| e.to_string())?
            .ok_or("not configured")?;
        let health = es
            .cluster()
            .health(&es_ops::cluster::HealthRequest::default())
            .await
            .map_err(|e| e.to_string())?;
        let status = format!("{:?}", health.status).to_ascii_lowercase();
        if health.status == es_ops::cluster::HealthStatus::Red {
            Err(format!("cluster {} is red", health.cluster_name))
        } else {
            Ok(format!("cluster {} is {status}", health.cluster_name))
        }
    }
    .await;
    report.record("elasticsearch", "cluster health", started, outcome);
}
