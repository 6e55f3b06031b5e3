//! `soc rotate CREDENTIAL`: a new credential in place of an old one, everywhere it is used.
//!
//! Each rotation creates the new credential, stores it in the secrets file at once (so an
//! interruption never loses it), reconfigures its consumers through their APIs, verifies the
//! new credential and its consumers, and only then revokes the old one. Progress is recorded
//! in the secrets file's `[rotating-<service>]` table: run the same command again after an
//! interruption and it finishes the rotation instead of starting another.
//!
//! | credential | what is rotated | consumers reconfigured |
//! |---|---|---|
//! | `misp.thehive-key` | the auth key of MISP's TheHive user (`[misp] thehive_user`); MISP holds both keys until the old one is deleted | TheHive's MISP connector |
//! | `cortex.thehive-key` | the API key of Cortex's TheHive user (`[cortex] thehive_user`); Cortex replaces it at once | TheHive's Cortex connector |
//! | `thehive.key:LOGIN` | the API key of a TheHive user setup created with a key (`[[thehive.users]]`) | the secrets file (its other consumers read it there) |
//! | `s3.user:NAME` | the secret of a bucket user setup created (`[[s3.buckets]] user`); the store replaces it at once | the secrets file; services configured with it by file (TheHive's storage) restart to read it |
//!
//! Elasticsearch passwords are not rotated here yet: the deploy bundle's services read theirs
//! from their configuration, so their rotation belongs with a re-render and restart.

use std::str::FromStr;

use secrecy::{ExposeSecret as _, SecretString};

use crate::clients;
use crate::config::SocConfig;
use crate::report::{Outcome, Report};
use crate::secrets::{Secrets, SecretsError};
use crate::setup::Run;

/// A credential `soc rotate` knows how to rotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// MISP's auth key for TheHive's connector.
    MispTheHiveKey,
    /// Cortex's API key for TheHive's connector.
    CortexTheHiveKey,
    /// A TheHive user's API key.
    TheHiveUserKey(String),
    /// The secret of a bucket user setup created in the S3 store.
    S3UserSecret(String),
}

impl FromStr for Credential {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "misp.thehive-key" => Ok(Credential::MispTheHiveKey),
            "cortex.thehive-key" => Ok(Credential::CortexTheHiveKey),
            _ => {
                if let Some(login) = s.strip_prefix("thehive.key:").filter(|l| !l.is_empty()) {
                    Ok(Credential::TheHiveUserKey(login.to_owned()))
                } else if let Some(user) = s.strip_prefix("s3.user:").filter(|u| !u.is_empty()) {
                    Ok(Credential::S3UserSecret(user.to_owned()))
                } else {
                    Err(format!(
                        "unknown credential {s:?}: misp.thehive-key, cortex.thehive-key, \
                         thehive.key:LOGIN or s3.user:NAME"
                    ))
                }
            }
        }
    }
}

/// How `rotate` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RotateOptions {
    /// Read everything, change nothing: the report says what would happen.
    pub dry_run: bool,
}

/// What stops a rotation before it reaches the services.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The secrets file cannot be read or written.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

const ROTATING: &str = "rotating";

/// Rotates `credential`; per-step outcomes (and failures) are in the report.
pub async fn run(
    config: &SocConfig,
    credential: &Credential,
    options: RotateOptions,
) -> Result<Report, RotateError> {
    let secrets = Secrets::open(&config.secrets_file)?;
    let mut run = Run {
        config,
        secrets,
        report: Report::default(),
        dry_run: options.dry_run,
    };
    match credential {
        Credential::MispTheHiveKey => misp(&mut run).await?,
        Credential::CortexTheHiveKey => cortex(&mut run).await?,
        Credential::TheHiveUserKey(login) => thehive_user(&mut run, login).await?,
        Credential::S3UserSecret(user) => s3_user(&mut run, user).await?,
    }
    if !run.dry_run {
        run.secrets.save()?;
    }
    Ok(run.report)
}

fn rotating(service: &str) -> String {
    format!("{ROTATING}-{service}")
}

/// Reconfigures TheHive's connectors from the secrets file and checks the one for `service`
/// now holds `key`. True when verified.
async fn connectors_hold(run: &mut Run<'_>, service: &'static str, key: &SecretString) -> bool {
    let Some(cfg) = run.config.thehive.clone() else {
        return true;
    };
    let admin = match clients::thehive_admin(run.config) {
        Ok(Some(a)) => a,
        Ok(None) => return true,
        Err(e) => {
            run.failed(service, "consumer", "thehive connector", e);
            return false;
        }
    };
    crate::setup::thehive::connectors(run, &admin, &cfg).await;
    let servers = match service {
        "misp" => admin.misp().config().await.map(|c| c.servers),
        _ => admin.cortex().config().await.map(|c| c.servers),
    };
    match servers {
        Ok(servers)
            if servers.iter().any(|s| {
                s.auth
                    .key
                    .as_ref()
                    .is_some_and(|k| k.expose_secret() == key.expose_secret())
            }) =>
        {
            run.report.push(
                service,
                "verify",
                "thehive connector",
                Outcome::Unchanged,
                "holds the new key",
            );
            true
        }
        Ok(_) => {
            run.failed(
                service,
                "verify",
                "thehive connector",
                "TheHive's connector does not hold the new key",
            );
            false
        }
        Err(e) => {
            run.failed(service, "verify", "thehive connector", e);
            false
        }
    }
}

async fn misp(run: &mut Run<'_>) -> Result<(), SecretsError> {
    const S: &str = "misp";
    let Some(cfg) = run.config.misp.clone() else {
        run.skipped(S, "rotate", "thehive-key", "MISP is not configured");
        return Ok(());
    };
    let user = cfg.thehive_user.clone();
    let admin = match clients::misp_admin(run.config) {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(()),
        Err(e) => {
            run.failed(S, "connection", &user, e);
            return Ok(());
        }
    };
    // Resume: an old key waiting to be deleted means the new one is already in place.
    let old = match run.secrets.get(&rotating(S), &user) {
        Some(old) => Some(old),
        None => {
            let Some(current) = run.secrets.get(S, &user) else {
                run.failed(
                    S,
                    "rotate",
                    &user,
                    "no key in the secrets file: run `soc setup`",
                );
                return Ok(());
            };
            if run.dry_run {
                run.report.push(
                    S,
                    "auth-key",
                    &user,
                    Outcome::WouldChange,
                    "new key, TheHive's connector, old key deleted",
                );
                return Ok(());
            }
            let users = match admin.users().list().await {
                Ok(u) => u,
                Err(e) => {
                    run.failed(S, "auth-key", &user, e);
                    return Ok(());
                }
            };
            let Some(uid) = users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(&user))
                .map(|u| u.id)
            else {
                run.failed(S, "auth-key", &user, "no such MISP user: run `soc setup`");
                return Ok(());
            };
            let new = match admin
                .users()
                .add_auth_key(&uid.to_string(), Some("soc rotate"))
                .await
            {
                Ok(k) => k.authkey_raw,
                Err(e) => {
                    run.failed(S, "auth-key", &user, e);
                    return Ok(());
                }
            };
            let Some(new) = new else {
                run.failed(S, "auth-key", &user, "MISP answered no key");
                return Ok(());
            };
            // The new key and the old one to delete are on disk before anything uses them.
            run.secrets.set(&rotating(S), &user, current.clone());
            run.secrets.set(S, &user, new);
            run.secrets.save()?;
            run.report.push(
                S,
                "auth-key",
                &user,
                Outcome::Created,
                "stored in the secrets file",
            );
            Some(current)
        }
    };
    if run.dry_run {
        run.report.push(
            S,
            "auth-key",
            &user,
            Outcome::WouldChange,
            "finish the interrupted rotation",
        );
        return Ok(());
    }
    let Some(new) = run.secrets.get(S, &user) else {
        return Ok(());
    };
    // Verify the new key, then the consumers.
    match clients::misp_with_key(run.config, new.clone()) {
        Ok(c) => match c.users().me().await {
            Ok(me) if me.email.eq_ignore_ascii_case(&user) => {
                run.report
                    .push(S, "verify", &user, Outcome::Unchanged, "the new key works")
            }
            Ok(me) => {
                run.failed(S, "verify", &user, format!("the new key is {}'s", me.email));
                return Ok(());
            }
            Err(e) => {
                run.failed(S, "verify", &user, e);
                return Ok(());
            }
        },
        Err(e) => {
            run.failed(S, "verify", &user, e);
            return Ok(());
        }
    }
    if !connectors_hold(run, S, &new).await {
        return Ok(());
    }
    // Revoke the old key: MISP lists keys by their first and last four characters.
    if let Some(old) = old {
        let old_text = old.expose_secret();
        let keys = match admin.users().auth_keys().await {
            Ok(k) => k,
            Err(e) => {
                run.failed(S, "revoke", &user, e);
                return Ok(());
            }
        };
        let new_text = new.expose_secret();
        let matches = |k: &serde_json::Value, text: &str| {
            let a = &k["AuthKey"];
            let start = a["authkey_start"].as_str().unwrap_or_default();
            let end = a["authkey_end"].as_str().unwrap_or_default();
            !start.is_empty() && text.starts_with(start) && text.ends_with(end)
        };
        let doomed: Vec<String> = keys
            .iter()
            .filter(|k| matches(k, old_text) && !matches(k, new_text))
            .filter_map(|k| {
                let id = &k["AuthKey"]["id"];
                id.as_str()
                    .map(str::to_owned)
                    .or_else(|| id.as_u64().map(|n| n.to_string()))
            })
            .collect();
        for id in &doomed {
            if let Err(e) = admin.users().delete_auth_key(id).await {
                run.failed(S, "revoke", &user, e);
                return Ok(());
            }
        }
        let detail = if doomed.is_empty() {
            "the old key was already gone".to_string()
        } else {
            format!("old key deleted (auth key {})", doomed.join(", "))
        };
        run.report
            .push(S, "revoke", &user, Outcome::Changed, detail);
        run.secrets.remove(&rotating(S), &user);
    }
    Ok(())
}

async fn cortex(run: &mut Run<'_>) -> Result<(), SecretsError> {
    const S: &str = "cortex";
    let Some(cfg) = run.config.cortex.clone() else {
        run.skipped(S, "rotate", "thehive-key", "Cortex is not configured");
        return Ok(());
    };
    let user = cfg.thehive_user.clone();
    let Some(org_key) = run.secrets.get(S, &cfg.org_admin) else {
        run.failed(
            S,
            "rotate",
            &user,
            "no organisation admin key: run `soc setup`",
        );
        return Ok(());
    };
    let org = match clients::cortex_anonymous(run.config)
        .map_err(|e| e.to_string())
        .and_then(|c| c.ok_or_else(|| "not configured".to_string()))
        .and_then(|c| c.with_api_key(org_key).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            run.failed(S, "connection", &cfg.org_admin, e);
            return Ok(());
        }
    };
    // Cortex replaces the key at once; the marker says the renewal is done.
    if run.secrets.get(&rotating(S), &user).is_none() {
        if run.dry_run {
            run.report.push(
                S,
                "api-key",
                &user,
                Outcome::WouldChange,
                "renewed (the old key stops at once), TheHive's connector",
            );
            return Ok(());
        }
        let new = match org.users().renew_key(&user).await {
            Ok(k) => k,
            Err(e) => {
                run.failed(S, "api-key", &user, e);
                return Ok(());
            }
        };
        run.secrets.set(S, &user, new);
        run.secrets
            .set(&rotating(S), &user, SecretString::from("renewed"));
        run.secrets.save()?;
        run.report.push(
            S,
            "api-key",
            &user,
            Outcome::Changed,
            "renewed; the old key no longer works",
        );
    } else if run.dry_run {
        run.report.push(
            S,
            "api-key",
            &user,
            Outcome::WouldChange,
            "finish the interrupted rotation",
        );
        return Ok(());
    }
    let Some(new) = run.secrets.get(S, &user) else {
        return Ok(());
    };
    let works = clients::cortex_anonymous(run.config)
        .ok()
        .flatten()
        .and_then(|c| c.with_api_key(new.clone()).ok());
    match works {
        Some(c) => match c.users().current().await {
            Ok(me) if me.login() == user => {
                run.report
                    .push(S, "verify", &user, Outcome::Unchanged, "the new key works")
            }
            Ok(me) => {
                run.failed(
                    S,
                    "verify",
                    &user,
                    format!("the new key is {}'s", me.login()),
                );
                return Ok(());
            }
            Err(e) => {
                run.failed(S, "verify", &user, e);
                return Ok(());
            }
        },
        None => {
            run.failed(S, "verify", &user, "cannot build a client with the new key");
            return Ok(());
        }
    }
    if connectors_hold(run, S, &new).await {
        run.secrets.remove(&rotating(S), &user);
    }
    Ok(())
}

async fn thehive_user(run: &mut Run<'_>, login: &str) -> Result<(), SecretsError> {
    const S: &str = "thehive";
    let Some(cfg) = run.config.thehive.clone() else {
        run.skipped(S, "rotate", login, "TheHive is not configured");
        return Ok(());
    };
    if !cfg.users.iter().any(|u| u.login == login && u.api_key) {
        run.failed(
            S,
            "rotate",
            login,
            "not a [[thehive.users]] entry with api_key = true",
        );
        return Ok(());
    }
    if run.dry_run {
        run.report.push(
            S,
            "api-key",
            login,
            Outcome::WouldChange,
            "renewed (the old key stops at once)",
        );
        return Ok(());
    }
    let admin = match clients::thehive_admin(run.config) {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(()),
        Err(e) => {
            run.failed(S, "connection", login, e);
            return Ok(());
        }
    };
    let new = match admin.users().renew_api_key(&login.into()).await {
        Ok(k) => k,
        Err(e) => {
            run.failed(S, "api-key", login, e);
            return Ok(());
        }
    };
    run.secrets.set(S, login, new.clone());
    run.secrets.save()?;
    run.report.push(
        S,
        "api-key",
        login,
        Outcome::Changed,
        "renewed, stored in the secrets file",
    );
    match clients::thehive_with_key(run.config, new, Some(&cfg.organisation)) {
        Ok(c) => match c.users().current().await {
            Ok(me) if me.login == login => {
                run.report
                    .push(S, "verify", login, Outcome::Unchanged, "the new key works")
            }
            Ok(me) => run.failed(S, "verify", login, format!("the new key is {}'s", me.login)),
            Err(e) => run.failed(S, "verify", login, e),
        },
        Err(e) => run.failed(S, "verify", login, e),
    }
    Ok(())
}

async fn s3_user(run: &mut Run<'_>, user: &str) -> Result<(), SecretsError> {
    const S: &str = "s3";
    let Some(cfg) = run.config.s3.clone() else {
        run.skipped(S, "rotate", user, "S3 is not configured");
        return Ok(());
    };
    let Some(bucket) = cfg
        .buckets
        .iter()
        .find(|b| b.user.as_deref() == Some(user))
        .map(|b| b.name.clone())
    else {
        run.failed(S, "rotate", user, "not the user of any [[s3.buckets]]");
        return Ok(());
    };
    let (_, admin) = match clients::s3(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(()),
        Err(e) => {
            run.failed(S, "connection", user, e);
            return Ok(());
        }
    };
    // The new secret is on disk before the store takes it: an interruption never leaves the
    // store with a secret nobody knows, and a second run applies the same one again.
    let pending = match run.secrets.get(&rotating(S), user) {
        Some(p) => {
            if run.dry_run {
                run.report.push(
                    S,
                    "secret",
                    user,
                    Outcome::WouldChange,
                    "finish the interrupted rotation",
                );
                return Ok(());
            }
            p
        }
        None => {
            if run.dry_run {
                run.report.push(
                    S,
                    "secret",
                    user,
                    Outcome::WouldChange,
                    "a new secret (the old one stops at once)",
                );
                return Ok(());
            }
            let secret = match minio_admin::generate_secret() {
                Ok(s) => s,
                Err(e) => {
                    run.failed(S, "secret", user, e);
                    return Ok(());
                }
            };
            run.secrets.set(&rotating(S), user, secret.clone());
            run.secrets.save()?;
            secret
        }
    };
    // Setting the same secret again is harmless: the store keeps the user and its policy.
    if let Err(e) = admin.add_user(user, &pending).await {
        run.failed(S, "secret", user, e);
        return Ok(());
    }
    run.secrets.set(S, user, pending);
    run.secrets.save()?;
    run.report.push(
        S,
        "secret",
        user,
        Outcome::Changed,
        "stored in the secrets file; restart what reads it from its configuration",
    );
    let Some(secret) = run.secrets.get(S, user) else {
        return Ok(());
    };
    match clients::s3_with_keys(run.config, user, secret) {
        Ok(s3) => match s3.bucket_exists(&bucket).await {
            Ok(true) => {
                run.report.push(
                    S,
                    "verify",
                    user,
                    Outcome::Unchanged,
                    format!("the new secret reaches {bucket}"),
                );
                run.secrets.remove(&rotating(S), user);
            }
            Ok(false) => run.failed(S, "verify", user, format!("{bucket} is not visible")),
            Err(e) => run.failed(S, "verify", user, e),
        },
        Err(e) => run.failed(S, "verify", user, e),
    }
    Ok(())
}
