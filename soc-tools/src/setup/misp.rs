//! MISP: the organisation, users and their auth keys, server settings, feeds.

use misp_client::model::SettingValue;
use serde_json::{json, Value};

use super::{toml_to_json, Run};
use crate::clients;
use crate::config::MispUser;

const S: &str = "misp";

pub(super) async fn run(run: &mut Run<'_>) {
    let misp = match clients::misp_admin(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return run.failed(S, "connection", "misp", e),
    };
    let Some(cfg) = run.config.misp.clone() else {
        return;
    };

    // Settings first: feeds and keys need the background workers they fix.
    for (name, value) in &cfg.settings {
        let desired = toml_to_json(value);
        match misp.admin().setting(name).await {
            Ok(s) if super::contains(&s.value, &desired) => run.unchanged(S, "setting", name),
            Ok(_) | Err(_) => {
                let v = match value {
                    toml::Value::Boolean(b) => SettingValue::Bool(*b),
                    toml::Value::Integer(i) => SettingValue::Int(*i),
                    toml::Value::String(s) => SettingValue::Text(s.clone()),
                    other => SettingValue::Text(other.to_string()),
                };
                run.apply(
                    S,
                    "setting",
                    name,
                    true,
                    &format!("= {desired}"),
                    || async { misp.admin().set_setting(name, v, false).await.map(|_| ()) },
                )
                .await;
            }
        }
    }

    // The organisation.
    let orgs = match misp.organisations().all().await {
        Ok(o) => o,
        Err(e) => return run.failed(S, "organisation", &cfg.organisation, e),
    };
    let mut org_id = orgs
        .iter()
        .find(|o| o.name == cfg.organisation)
        .map(|o| o.id);
    if org_id.is_some() {
        run.unchanged(S, "organisation", &cfg.organisation);
    } else {
        let body = json!({"name": cfg.organisation, "local": true});
        let mut created = None;
        run.apply(S, "organisation", &cfg.organisation, false, "", || async {
            created = Some(misp.organisations().add(&body).await?.id);
            Ok::<(), misp_client::Error>(())
        })
        .await;
        org_id = created;
    }

    // Users, and keys for those that need one (TheHive's connector user always does).
    let roles = match misp.roles().list().await {
        Ok(r) => r,
        Err(e) => return run.failed(S, "role", "*", e),
    };
    let mut users = cfg.users.clone();
    if !users.iter().any(|u| u.email == cfg.thehive_user) {
        users.push(MispUser {
            email: cfg.thehive_user.clone(),
            role: "User".into(),
            auth_key: true,
        });
    }
    let existing = match misp.users().list().await {
        Ok(u) => u,
        Err(e) => return run.failed(S, "user", "*", e),
    };
    for u in &users {
        let Some(role) = roles.iter().find(|r| r.name.eq_ignore_ascii_case(&u.role)) else {
            let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            run.failed(
                S,
                "user",
                &u.email,
                format!("no role {:?} (roles: {})", u.role, names.join(", ")),
            );
            continue;
        };
        let mut user_id = existing
            .iter()
            .find(|e| e.email.eq_ignore_ascii_case(&u.email))
            .map(|e| e.id);
        if user_id.is_some() {
            run.unchanged(S, "user", &u.email);
        } else {
            let Some(org) = org_id else {
                run.skipped(S, "user", &u.email, "the organisation was not created");
                continue;
            };
            let body = json!({"email": u.email, "org_id": org.to_string(), "role_id": role.id.to_string()});
            let mut created = None;
            run.apply(S, "user", &u.email, false, "", || async {
                created = Some(misp.users().add(&body).await?.id);
                Ok::<(), misp_client::Error>(())
            })
            .await;
            user_id = created;
        }
        if !u.auth_key {
            continue;
        }
        let Some(uid) = user_id else {
            run.skipped(S, "auth-key", &u.email, "no user");
            continue;
        };
        let works = match run.secrets.get(S, &u.email) {
            Some(key) => match clients::misp_with_key(run.config, key) {
                Ok(c) => c
                    .users()
                    .me()
                    .await
                    .is_ok_and(|me| me.email.eq_ignore_ascii_case(&u.email)),
                Err(_) => false,
            },
            None => false,
        };
        if works {
            run.unchanged(S, "auth-key", &u.email);
            continue;
        }
        let mut key = None;
        run.apply(
            S,
            "auth-key",
            &u.email,
            false,
            "stored in the secrets file",
            || async {
                key = misp
                    .users()
                    .add_auth_key(&uid.to_string(), Some("soc setup"))
                    .await?
                    .authkey_raw;
                Ok::<(), misp_client::Error>(())
            },
        )
        .await;
        if let Some(k) = key {
            run.secrets.set(S, &u.email, k);
        }
    }

    // Feeds.
    let feeds = match misp.feeds().list().await {
        Ok(f) => f,
        Err(e) => return run.failed(S, "feed", "*", e),
    };
    for f in &cfg.feeds {
        let current = feeds.iter().find(|x| x.name == f.name || x.url == f.url);
        match current {
            None => {
                let body = json!({
                    "name": f.name, "provider": f.provider, "url": f.url,
                    "source_format": f.source_format, "input_source": f.input_source,
                    "enabled": f.enabled, "caching_enabled": f.caching,
                    "distribution": "3", "sharing_group_id": "0", "default": false,
                });
                run.apply(S, "feed", &f.name, false, "", || async {
                    misp.feeds().add(&body).await.map(|_| ())
                })
                .await;
            }
            Some(x)
                if x.url == f.url
                    && x.enabled == f.enabled
                    && x.caching_enabled == f.caching
                    && x.provider == f.provider =>
            {
                run.unchanged(S, "feed", &f.name)
            }
            Some(x) => {
                let id = x.id.to_string();
                let body = json!({
                    "name": f.name, "provider": f.provider, "url": f.url,
                    "enabled": f.enabled, "caching_enabled": f.caching,
                });
                run.apply(
                    S,
                    "feed",
                    &f.name,
                    true,
                    "url, provider or state",
                    || async { misp.feeds().edit(&id, &body).await.map(|_: Value| ()) },
                )
                .await;
            }
        }
    }
}
