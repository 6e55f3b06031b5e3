//! `soc doctor`: the health of every configured service, with a diagnosis of the failures SOC
//! teams meet most (the seed guides' troubleshooting sections) and the fix, applied with `--fix`
//! where one can be applied through an API.
//!
//! Every check has an id (`misp.background-jobs`), a status, the evidence it saw and the fix.

use std::error::Error as StdError;
use std::io::Write;

use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::clients;
use crate::config::SocConfig;
use crate::secrets::Secrets;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Healthy.
    Pass,
    /// Works, but needs attention.
    Warn,
    /// Broken.
    Fail,
    /// Broken, and `--fix` repaired it (evidence says what it saw before).
    Fixed,
    /// Not checked (the service is not configured, or a check it depends on failed).
    Skip,
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, `<service>.<topic>`.
    pub id: String,
    /// The verdict.
    pub status: Status,
    /// What was seen.
    pub evidence: String,
    /// How to fix it (empty when nothing is wrong).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

/// How `doctor` runs.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// Apply the fixes that can be applied through the services' APIs.
    pub fix: bool,
    /// Also check the Docker host this runs on (kernel settings, ports, volume owners).
    pub host: bool,
    /// MISP's data directory on the host (checked for owner 33:33, www-data in the image).
    pub misp_volume: Option<std::path::PathBuf>,
}

/// All checks, in order.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Diagnosis {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Diagnosis {
    fn push(
        &mut self,
        id: impl Into<String>,
        status: Status,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let c = Check {
            id: id.into(),
            status,
            evidence: evidence.into(),
            fix: fix.into(),
        };
        tracing::info!(id = %c.id, status = ?c.status, evidence = %c.evidence, "doctor check");
        self.checks.push(c);
    }

    /// Whether every check passed (warnings, fixes and skips included).
    pub fn healthy(&self) -> bool {
        !self.checks.iter().any(|c| c.status == Status::Fail)
    }

    /// The check with this id.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// One line per check, then the fixes.
    pub fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let w = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(5);
        for c in &self.checks {
            let mark = match c.status {
                Status::Pass => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
                Status::Fixed => "FIXD",
                Status::Skip => "skip",
            };
            writeln!(out, "{mark}  {:<w$}  {}", c.id, c.evidence)?;
            if !c.fix.is_empty() && c.status != Status::Pass {
                writeln!(out, "      {:<w$}  fix: {}", "", c.fix)?;
            }
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        writeln!(
            out,
            "\n{} passed, {} warnings, {} failed, {} fixed, {} skipped",
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Fixed),
            count(Status::Skip)
        )
    }

    /// JSON Lines, one check per line.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for c in &self.checks {
            serde_json::to_writer(&mut *out, c)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// What kind of failure an error is, for the check id and the fix.
fn classify(service: &str, e: &(dyn StdError + 'static)) -> (String, String) {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let lower = text.to_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
        (
            format!("{service}.tls"),
            format!("the server's certificate is not trusted: set defaults.ca_file in soc.toml to the CA that signed it (self-signed: that certificate itself); do not turn verification off ({text})"),
        )
    } else if lower.contains("401")
        || lower.contains("unauthori")
        || lower.contains("authentication")
        || lower.contains("403")
    {
        (format!("{service}.auth"), format!("the credentials are refused: check {service}'s key or password in soc.toml ({text})"))
    } else {
        (
            format!("{service}.reachable"),
            format!("cannot talk to {service}: is it running, and is the URL right? ({text})"),
        )
    }
}

/// Runs every check.
pub async fn run(config: &SocConfig, options: &DoctorOptions) -> Diagnosis {
    let mut d = Diagnosis::default();
    let secrets = match Secrets::open(&config.secrets_file) {
        Ok(s) => Some(s),
        Err(e) => {
            d.push(
                "soc.secrets-file",
                Status::Fail,
                e.to_string(),
                "chmod 600 the secrets file, or remove it and run `soc setup`",
            );
            None
        }
    };
    misp(config, options, secrets.as_ref(), &mut d).await;
    cortex(config, options, secrets.as_ref(), &mut d).await;
    thehive(config, secrets.as_ref(), &mut d).await;
    elasticsearch(config, &mut d).await;
    s3(config, options, secrets.as_ref(), &mut d).await;
    if options.host {
        host(options, &mut d);
    }
    d
}

fn client_error(d: &mut Diagnosis, service: &str, e: &dyn std::fmt::Display) {
    d.push(
        format!("{service}.client"),
        Status::Fail,
        e.to_string(),
        "fix the configuration (soc config check)",
    );
}

async fn misp(
    config: &SocConfig,
    options: &DoctorOptions,
    secrets: Option<&Secrets>,
    d: &mut Diagnosis,
) {
    let Some(cfg) = &config.misp else { return };
    let misp = match clients::misp_admin(config) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => return client_error(d, "misp", &e),
    };
    match misp.users().me().await {
        Ok(me) => d.push(
            "misp.auth",
            Status::Pass,
            format!("{} at {}", me.email, cfg.url),
            "",
        ),
        Err(e) => {
            let (id, fix) = classify("misp", &e);
            return d.push(id, Status::Fail, e.to_string(), fix);
        }
    }
    if let Some(secrets) = secrets {
        for u in cfg
            .users
            .iter()
            .filter(|u| u.auth_key)
            .map(|u| u.email.as_str())
            .chain([cfg.thehive_user.as_str()])
        {
            let id = format!("misp.key.{u}");
            match secrets.get("misp", u) {
                None => d.push(
                    id,
                    Status::Fail,
                    "no key in the secrets file",
                    "run `soc setup`",
                ),
                Some(k) => match clients::misp_with_key(config, k) {
                    Ok(c) => match c.users().me().await {
                        Ok(_) => d.push(id, Status::Pass, "the stored key works", ""),
                        Err(e) => d.push(
                            id,
                            Status::Fail,
                            format!("the stored key is refused: {e}"),
                            "run `soc setup` (it issues a new key)",
                        ),
                    },
                    Err(e) => client_error(d, "misp", &e),
                },
            }
        }
    }

    // The background jobs: MISP's two Redis setting namespaces and SimpleBackgroundJobs.
    let wanted = |name: &str, default: Value| -> Value {
        cfg.settings
            .get(name)
            .map(crate::setup::toml_to_json)
            .unwrap_or(default)
    };
    let setting = |v: &Result<misp_client::model::Setting, misp_client::Error>| match v {
        Ok(s) => s.value.clone(),
        Err(_) => Value::Null,
    };
    let enabled = setting(&misp.admin().setting("SimpleBackgroundJobs.enabled").await);
    let mut fixes: Vec<(&str, Value)> = Vec::new();
    if matches!(&enabled, Value::Bool(true)) || enabled == 1 || enabled == "1" {
        d.push(
            "misp.background-jobs",
            Status::Pass,
            "SimpleBackgroundJobs.enabled is true",
            "",
        );
    } else {
        fixes.push(("SimpleBackgroundJobs.enabled", Value::Bool(true)));
        d.push(
            "misp.background-jobs",
            Status::Fail,
            format!("SimpleBackgroundJobs.enabled is {enabled}: feeds, pulls and exports never run"),
            "set SimpleBackgroundJobs.enabled to true (soc doctor --fix); for a lasting fix set it in misp-core's environment (misp-docker reads it at start)",
        );
    }
    for name in ["MISP.redis_host", "SimpleBackgroundJobs.redis_host"] {
        let current = setting(&misp.admin().setting(name).await);
        let desired = wanted(name, Value::from("redis"));
        let id = format!("misp.{}", name.to_lowercase().replace(['.', '_'], "-"));
        let loopback = matches!(
            current.as_str(),
            Some("127.0.0.1" | "localhost" | "") | None
        );
        if crate::setup::contains(&current, &desired)
            || (!loopback && !cfg.settings.contains_key(name))
        {
            d.push(id, Status::Pass, format!("{name} is {current}"), "");
        } else {
            fixes.push((name, desired.clone()));
            d.push(
                id,
                Status::Fail,
                format!("{name} is {current}, Redis is at {desired}: MISP's workers and sessions cannot reach it"),
                format!("set {name} to {desired} (soc doctor --fix); for a lasting fix set REDIS_HOST in misp-core's environment, the image rewrites the setting at start"),
            );
        }
    }
    if options.fix && !fixes.is_empty() {
        let mut all_ok = true;
        for (name, value) in &fixes {
            let v = match value {
                Value::Bool(b) => misp_client::model::SettingValue::Bool(*b),
                Value::Number(n) => {
                    misp_client::model::SettingValue::Int(n.as_i64().unwrap_or_default())
                }
                other => misp_client::model::SettingValue::Text(
                    other
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| other.to_string()),
                ),
            };
            if let Err(e) = misp.admin().set_setting(name, v, false).await {
                all_ok = false;
                d.push(
                    format!("misp.fix.{name}"),
                    Status::Fail,
                    format!("could not set {name}: {e}"),
                    "set it in MISP's server settings page",
                );
            }
        }
        if all_ok {
            for c in d.checks.iter_mut().filter(|c| {
                c.status == Status::Fail && fixes.iter().any(|(n, _)| c.evidence.starts_with(n))
            }) {
                c.status = Status::Fixed;
            }
            let _ = misp.admin().restart_workers().await;
        }
    }
    match misp.admin().workers().await {
        Ok(w) => {
            let down: Vec<String> = w
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, q)| q.get("ok").is_some_and(|ok| ok != &Value::Bool(true)))
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default();
            if down.is_empty() {
                d.push("misp.workers", Status::Pass, "every worker queue is up", "");
            } else {
                d.push(
                    "misp.workers",
                    Status::Fail,
                    format!("queues down: {}", down.join(", ")),
                    "fix the background-job settings above, then restart the workers (soc doctor --fix does both)",
                );
            }
        }
        Err(e) => d.push(
            "misp.workers",
            Status::Fail,
            format!("cannot read the workers: {e}"),
            "fix the background-job settings above",
        ),
    }
}

async fn cortex(
    config: &SocConfig,
    options: &DoctorOptions,
    secrets: Option<&Secrets>,
    d: &mut Diagnosis,
) {
    let Some(cfg) = &config.cortex else { return };
    let anonymous = match clients::cortex_anonymous(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return client_error(d, "cortex", &e),
    };
    let probe = SecretString::from("soc-doctor-probe-not-a-password".to_owned());
    match anonymous.platform().login("soc-doctor-probe", &probe).await {
        Err(cortex_client::Error::NotInitialized { .. }) => {
            if options.fix {
                match anonymous.platform().migrate().await {
                    Ok(()) => d.push(
                        "cortex.migration",
                        Status::Fixed,
                        "the index did not exist (520): migrated",
                        "",
                    ),
                    Err(e) => d.push(
                        "cortex.migration",
                        Status::Fail,
                        format!("migration failed: {e}"),
                        "open Cortex's web UI and run the migration",
                    ),
                }
            } else {
                d.push(
                    "cortex.migration",
                    Status::Fail,
                    "Cortex answers 520: its index needs creating or migrating",
                    "soc doctor --fix (POST /api/maintenance/migrate), or `soc setup` which also creates the first users",
                );
                return;
            }
        }
        Err(e) if e.is_unauthenticated() => {
            d.push("cortex.migration", Status::Pass, "the index exists", "")
        }
        Err(e) => {
            let (id, fix) = classify("cortex", &e);
            return d.push(id, Status::Fail, e.to_string(), fix);
        }
        Ok(_) => d.push("cortex.migration", Status::Pass, "the index exists", ""),
    }
    let Some(secrets) = secrets else { return };
    let Some(key) = secrets.get("cortex", &cfg.org_admin) else {
        return d.push(
            "cortex.key",
            Status::Fail,
            format!("no key for {} in the secrets file", cfg.org_admin),
            "run `soc setup`",
        );
    };
    let org = match anonymous.with_api_key(key) {
        Ok(c) => c,
        Err(e) => return client_error(d, "cortex", &e),
    };
    if let Err(e) = org.users().current().await {
        let (id, fix) = classify("cortex", &e);
        return d.push(id, Status::Fail, e.to_string(), fix);
    }
    d.push(
        "cortex.auth",
        Status::Pass,
        format!("{} in {}", cfg.org_admin, cfg.organisation),
        "",
    );
    match org
        .analyzers()
        .enabled(&cortex_client::query::ListOptions::all())
        .await
    {
        Ok(l) => {
            let missing: Vec<&str> = cfg
                .analyzers
                .iter()
                .filter(|a| {
                    !l.items.iter().any(|w| {
                        w.name == a.name
                            || w.worker_definition_id.as_deref() == Some(a.name.as_str())
                    })
                })
                .map(|a| a.name.as_str())
                .collect();
            if l.items.is_empty() {
                d.push(
                    "cortex.analyzers",
                    Status::Fail,
                    format!("no analyzer is enabled in {}", cfg.organisation),
                    "list analyzers under [[cortex.analyzers]] and run `soc setup`",
                );
            } else if missing.is_empty() {
                d.push(
                    "cortex.analyzers",
                    Status::Pass,
                    format!("{} enabled", l.items.len()),
                    "",
                );
            } else {
                d.push(
                    "cortex.analyzers",
                    Status::Fail,
                    format!("not enabled: {}", missing.join(", ")),
                    "run `soc setup` (it enables them with their configuration)",
                );
            }
        }
        Err(e) => d.push(
            "cortex.analyzers",
            Status::Fail,
            e.to_string(),
            "check the organisation admin's rights",
        ),
    }
}

async fn thehive(config: &SocConfig, secrets: Option<&Secrets>, d: &mut Diagnosis) {
    let Some(cfg) = &config.thehive else { return };
    let admin = match clients::thehive_admin(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return client_error(d, "thehive", &e),
    };
    match admin.users().current().await {
        Ok(me) => d.push(
            "thehive.auth",
            Status::Pass,
            format!("{} at {}", me.login, cfg.url),
            "",
        ),
        Err(e) => {
            let (id, fix) = classify("thehive", &e);
            return d.push(id, Status::Fail, e.to_string(), fix);
        }
    }
    if let Some(secrets) = secrets {
        for u in cfg.users.iter().filter(|u| u.api_key) {
            let id = format!("thehive.key.{}", u.login);
            match secrets.get("thehive", &u.login) {
                None => d.push(
                    id,
                    Status::Fail,
                    "no key in the secrets file",
                    "run `soc setup`",
                ),
                Some(k) => match clients::thehive_with_key(config, k, Some(&cfg.organisation)) {
                    Ok(c) => match c.users().current().await {
                        Ok(_) => d.push(id, Status::Pass, "the stored key works", ""),
                        Err(e) => d.push(
                            id,
                            Status::Fail,
                            format!("the stored key is refused: {e}"),
                            "run `soc setup` (it issues a new key)",
                        ),
                    },
                    Err(e) => client_error(d, "thehive", &e),
                },
            }
        }
    }
    let cortex = admin.cortex().config().await.map(|c| c.servers);
    connector(
        d,
        "cortex",
        cortex,
        "analyzers cannot run from cases",
        config.cortex.is_some(),
    );
    let misp = admin.misp().config().await.map(|c| c.servers);
    connector(
        d,
        "misp",
        misp,
        "no event import or case export",
        config.misp.is_some(),
    );
}

/// A TheHive connector: configured with at least one server, or the reason it matters.
fn connector(
    d: &mut Diagnosis,
    name: &str,
    servers: Result<Vec<thehive_client::areas::ConnectorServer>, thehive_client::Error>,
    consequence: &str,
    configured_here: bool,
) {
    let id = format!("thehive.{name}-connector");
    match servers {
        Ok(s) if s.is_empty() => {
            let fix = if configured_here {
                format!("run `soc setup` (it configures the connector with a {name} key)")
            } else {
                format!("add a [{name}] section and run `soc setup`")
            };
            d.push(
                id,
                Status::Fail,
                format!("TheHive has no {name} server: {consequence}"),
                fix,
            )
        }
        Ok(s) => {
            let list: Vec<String> = s
                .iter()
                .map(|s| format!("{} at {}", s.name, s.url))
                .collect();
            d.push(id, Status::Pass, list.join(", "), "")
        }
        Err(e) => d.push(
            id,
            Status::Warn,
            format!("cannot read the connector configuration: {e}"),
            "",
        ),
    }
}

async fn elasticsearch(config: &SocConfig, d: &mut Diagnosis) {
    let es = match clients::elasticsearch(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return client_error(d, "elasticsearch", &e),
    };
    let health = match es
        .cluster()
        .health(&es_ops::cluster::HealthRequest::default())
        .await
    {
        Ok(h) => h,
        Err(e) => {
            let (id, fix) = classify("elasticsearch", &e);
            return d.push(id, Status::Fail, e.to_string(), fix);
        }
    };
    d.push(
        "elasticsearch.auth",
        Status::Pass,
        format!("cluster {}", health.cluster_name),
        "",
    );
    use es_ops::cluster::HealthStatus;
    let reason = || async {
        match es.cluster().allocation_explain(None).await {
            Ok(v) => v
                .get("allocate_explanation")
                .or_else(|| v.get("unassigned_info").and_then(|u| u.get("reason")))
                .and_then(Value::as_str)
                .map(|s| format!(": {s}"))
                .unwrap_or_default(),
            Err(_) => String::new(),
        }
    };
    match health.status {
        HealthStatus::Green => d.push("elasticsearch.cluster-health", Status::Pass, "green", ""),
        HealthStatus::Yellow => {
            let why = reason().await;
            d.push(
                "elasticsearch.cluster-health",
                Status::Warn,
                format!("yellow: {} unassigned shards (replicas with no node to go to){why}", health.unassigned_shards),
                "on a single node, set number_of_replicas to 0 for these indices (replicas = 0 in the templates)",
            )
        }
        HealthStatus::Red => {
            let why = reason().await;
            d.push(
                "elasticsearch.cluster-health",
                Status::Fail,
                format!("red: primary shards unassigned ({} unassigned){why}", health.unassigned_shards),
                "see GET _cluster/allocation/explain; common causes are a full disk (watermarks) or a lost node",
            )
        }
    }
    match es.cluster().node_stats().await {
        Ok(stats) => {
            let worst = stats
                .nodes
                .values()
                .filter_map(|n| {
                    n.jvm
                        .as_ref()
                        .map(|j| (n.name.clone(), j.mem.heap_used_percent))
                })
                .max_by_key(|(_, p)| *p);
            match worst {
                Some((name, p)) if p >= 95 => d.push("elasticsearch.heap", Status::Fail, format!("{name} heap at {p}%"), "give the node more heap (ES_JAVA_OPTS -Xms/-Xmx, half the container's memory) or fewer shards"),
                Some((name, p)) if p >= 85 => d.push("elasticsearch.heap", Status::Warn, format!("{name} heap at {p}%"), "give the node more heap (ES_JAVA_OPTS -Xms/-Xmx) or fewer shards"),
                Some((name, p)) => d.push("elasticsearch.heap", Status::Pass, format!("{name} heap at {p}%"), ""),
                None => d.push("elasticsearch.heap", Status::Skip, "no JVM statistics", ""),
            }
        }
        Err(e) => d.push(
            "elasticsearch.heap",
            Status::Warn,
            format!("cannot read node statistics: {e}"),
            "",
        ),
    }
}

async fn s3(
    config: &SocConfig,
    options: &DoctorOptions,
    secrets: Option<&Secrets>,
    d: &mut Diagnosis,
) {
    let Some(cfg) = &config.s3 else { return };
    let (root, _) = match clients::s3(config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return client_error(d, "s3", &e),
    };
    for b in &cfg.buckets {
        let id = format!("s3.bucket.{}", b.name);
        match root.bucket_exists(&b.name).await {
            Ok(true) => {}
            Ok(false) if options.fix => match root.create_bucket(&b.name).await {
                Ok(_) => {
                    d.push(
                        id.clone(),
                        Status::Fixed,
                        "the bucket was missing: created",
                        "",
                    );
                }
                Err(e) => {
                    d.push(
                        id,
                        Status::Fail,
                        format!("missing, and creating it failed: {e}"),
                        "create it, or check the root credentials",
                    );
                    continue;
                }
            },
            Ok(false) => {
                d.push(
                    id,
                    Status::Fail,
                    "the bucket does not exist: TheHive cannot store attachments",
                    "soc doctor --fix or `soc setup` creates it",
                );
                continue;
            }
            Err(e) => {
                let (cid, fix) = classify("s3", &e);
                d.push(cid, Status::Fail, e.to_string(), fix);
                return;
            }
        }
        // Writable by the user that uses it (or the root keys when none is configured).
        let writer = match (&b.user, secrets) {
            (Some(user), Some(s)) => match s.get("s3", user) {
                Some(secret) => {
                    clients::s3_with_keys(config, user, secret).map(|c| (c, user.clone()))
                }
                None => {
                    d.push(
                        format!("{id}.writable"),
                        Status::Fail,
                        format!("no secret for {user} in the secrets file"),
                        "run `soc setup`",
                    );
                    continue;
                }
            },
            _ => Ok((root.clone(), "the root keys".to_owned())),
        };
        let (client, who) = match writer {
            Ok(w) => w,
            Err(e) => {
                client_error(d, "s3", &e);
                continue;
            }
        };
        let key = ".soc-doctor-probe";
        let wrote = client
            .put_object(&b.name, key, "text/plain", "soc doctor".as_bytes().to_vec())
            .await;
        match wrote {
            Ok(()) => {
                let _ = client.delete_object(&b.name, key).await;
                if !d.checks.iter().any(|c| c.id == id) {
                    d.push(id.clone(), Status::Pass, "exists", "");
                }
                d.push(
                    format!("{id}.writable"),
                    Status::Pass,
                    format!("{who} can write"),
                    "",
                );
            }
            Err(e) => d.push(
                format!("{id}.writable"),
                Status::Fail,
                format!("{who} cannot write: {e}"),
                "run `soc setup` (it attaches the bucket's policy to its user)",
            ),
        }
    }
}

fn host(options: &DoctorOptions, d: &mut Diagnosis) {
    match std::fs::read_to_string("/proc/sys/vm/max_map_count") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 262_144 => d.push("host.vm-max-map-count", Status::Pass, format!("vm.max_map_count = {n}"), ""),
            Ok(n) => d.push(
                "host.vm-max-map-count",
                Status::Fail,
                format!("vm.max_map_count = {n}: Elasticsearch refuses to start below 262144"),
                "sysctl -w vm.max_map_count=262144, and add it to /etc/sysctl.d/99-elasticsearch.conf",
            ),
            Err(_) => d.push("host.vm-max-map-count", Status::Warn, format!("unreadable value {v:?}"), ""),
        },
        Err(e) => d.push("host.vm-max-map-count", Status::Skip, format!("not a Linux host? {e}"), ""),
    }
    let listeners = listening_ports();
    if listeners.contains(&443) {
        d.push(
            "host.port-443",
            Status::Warn,
            "something already listens on 443 (Wazuh's dashboard and MISP both want it)",
            "publish MISP on another port (8443) or put both behind one reverse proxy",
        );
    } else {
        d.push("host.port-443", Status::Pass, "443 is free", "");
    }
    if let Some(dir) = &options.misp_volume {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            match std::fs::metadata(dir) {
                Ok(m) if m.uid() == 33 && m.gid() == 33 => d.push(
                    "host.misp-volume-owner",
                    Status::Pass,
                    format!("{} is 33:33", dir.display()),
                    "",
                ),
                Ok(m) => d.push(
                    "host.misp-volume-owner",
                    Status::Fail,
                    format!(
                        "{} is {}:{}; MISP runs as www-data (33:33) and cannot write it",
                        dir.display(),
                        m.uid(),
                        m.gid()
                    ),
                    format!("chown -R 33:33 {}", dir.display()),
                ),
                Err(e) => d.push(
                    "host.misp-volume-owner",
                    Status::Fail,
                    format!("{}: {e}", dir.display()),
                    "create the directory, owned by 33:33",
                ),
            }
        }
    }
}

/// Local TCP ports in LISTEN state, from `/proc/net/tcp{,6}`.
fn listening_ports() -> Vec<u16> {
    let mut ports = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(3) != Some(&"0A") {
                continue;
            }
            if let Some(port) = cols
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.push(port);
            }
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);
    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Chain {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn failures_are_classified_with_their_fix() {
        let tls = Chain(
            "transport error: GET https://misp.soc.example/users/view/me",
            Some(Box::new(Chain(
                "invalid peer certificate: UnknownIssuer",
                None,
            ))),
        );
        let (id, fix) = classify("misp", &tls);
        assert_eq!(id, "misp.tls");
        assert!(
            fix.contains("defaults.ca_file") && fix.contains("do not turn verification off"),
            "{fix}"
        );
        let (id, _) = classify(
            "thehive",
            &Chain("unauthorized: 401 Authentication failure", None),
        );
        assert_eq!(id, "thehive.auth");
        let (id, _) = classify(
            "cortex",
            &Chain("transport error: connection refused", None),
        );
        assert_eq!(id, "cortex.reachable");
    }

    #[test]
    fn listening_ports_parse_proc_net_tcp() {
        // Whatever this machine listens on, the parser must not panic and ports are real.
        for p in listening_ports() {
            assert!(p > 0);
        }
    }
}
