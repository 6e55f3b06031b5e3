//! The checks of each service.

use secrecy::SecretString;
use serde_json::Value;

use super::{classify, client_error, Diagnosis, DoctorOptions, Status};
use crate::clients;
use crate::config::SocConfig;
use crate::secrets::Secrets;

pub(super) async fn misp(
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
            let probe = secrets.get("misp", u).map(|k| async {
                let c = clients::misp_with_key(config, k).map_err(|e| e.to_string())?;
                c.users().me().await.map(|_| ()).map_err(|e| e.to_string())
            });
            let answer = match probe {
                Some(p) => Some(p.await),
                None => None,
            };
            stored_key(d, format!("misp.key.{u}"), answer);
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

pub(super) async fn cortex(
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

pub(super) async fn thehive(config: &SocConfig, secrets: Option<&Secrets>, d: &mut Diagnosis) {
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
            let probe = secrets.get("thehive", &u.login).map(|k| async {
                let c = clients::thehive_with_key(config, k, Some(&cfg.organisation))
                    .map_err(|e| e.to_string())?;
                c.users()
                    .current()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
            let answer = match probe {
                Some(p) => Some(p.await),
                None => None,
            };
            stored_key(d, format!("thehive.key.{}", u.login), answer);
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

pub(super) async fn elasticsearch(config: &SocConfig, d: &mut Diagnosis) {
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

pub(super) async fn s3(
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

/// The verdict on a key the secrets file holds: `None` when it holds none, else what the
/// service said when the key was used.
fn stored_key(d: &mut Diagnosis, id: String, answer: Option<Result<(), String>>) {
    match answer {
        None => d.push(
            id,
            Status::Fail,
            "no key in the secrets file",
            "run `soc setup`",
        ),
        Some(Ok(())) => d.push(id, Status::Pass, "the stored key works", ""),
        Some(Err(e)) => d.push(
            id,
            Status::Fail,
            format!("the stored key is refused: {e}"),
            "run `soc setup` (it issues a new key)",
        ),
    }
}
