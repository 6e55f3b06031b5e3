//! TheHive: the organisation, its users and their keys, and the Cortex and MISP connectors.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Map;
use thehive_client::areas::{ConnectorAuth, ConnectorServer, CortexConfig, MispConfig};
use thehive_client::model::{InputOrganisation, InputUser};

use super::Run;
use crate::clients;

const S: &str = "thehive";

pub(super) async fn run(run: &mut Run<'_>) {
    let admin = match clients::thehive_admin(run.config) {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => return run.failed(S, "connection", "thehive", e),
    };
    let Some(cfg) = run.config.thehive.clone() else {
        return;
    };

    match admin
        .organisations()
        .get(&cfg.organisation.as_str().into())
        .await
    {
        Ok(_) => run.unchanged(S, "organisation", &cfg.organisation),
        Err(e) if e.is_not_found() => {
            let org = InputOrganisation::new(&cfg.organisation, &cfg.organisation_description);
            if !run
                .apply(S, "organisation", &cfg.organisation, false, "", || async {
                    admin.organisations().create(&org).await.map(|_| ())
                })
                .await
            {
                return;
            }
        }
        Err(e) => return run.failed(S, "organisation", &cfg.organisation, e),
    }

    for u in &cfg.users {
        let id = match admin.users().get(&u.login.as_str().into()).await {
            Ok(user) => {
                run.unchanged(S, "user", &u.login);
                Some(user.meta.id)
            }
            Err(e) if e.is_not_found() => {
                let input =
                    InputUser::new(&u.login, &u.name, &u.profile).organisation(&cfg.organisation);
                let mut created = None;
                run.apply(S, "user", &u.login, false, "", || async {
                    created = Some(admin.users().create(&input).await?.meta.id);
                    Ok::<(), thehive_client::Error>(())
                })
                .await;
                created
            }
            Err(e) => {
                run.failed(S, "user", &u.login, e);
                continue;
            }
        };
        if !u.api_key {
            continue;
        }
        let works = match run.secrets.get(S, &u.login) {
            Some(key) => {
                match clients::thehive_with_key(run.config, key, Some(&cfg.organisation)) {
                    Ok(c) => c
                        .users()
                        .current()
                        .await
                        .is_ok_and(|me| me.login == u.login),
                    Err(_) => false,
                }
            }
            None => false,
        };
        if works {
            run.unchanged(S, "api-key", &u.login);
            continue;
        }
        let Some(id) = id else {
            run.skipped(S, "api-key", &u.login, "no user");
            continue;
        };
        let mut key = None;
        run.apply(
            S,
            "api-key",
            &u.login,
            false,
            "stored in the secrets file",
            || async {
                key = Some(admin.users().renew_api_key(&id).await?);
                Ok::<(), thehive_client::Error>(())
            },
        )
        .await;
        if let Some(k) = key {
            run.secrets.set(S, &u.login, k);
        }
    }

    // The connectors, pointing at the configured Cortex and MISP with the keys setup issued.
    if let Some(cortex) = run.config.cortex.clone() {
        match run.secrets.get("cortex", &cortex.thehive_user) {
            None => run.skipped(
                S,
                "connector",
                "cortex",
                "no Cortex key for TheHive (Cortex setup failed?)",
            ),
            Some(key) => {
                let server = ConnectorServer::new(
                    &cfg.cortex_name,
                    cortex.url.as_str(),
                    ConnectorAuth::bearer(key.clone()),
                );
                match admin.cortex().config().await {
                    Ok(current) if same_servers(&current.servers, &server, &key) => {
                        run.unchanged(S, "connector", "cortex")
                    }
                    Ok(current) => {
                        let desired = CortexConfig {
                            servers: vec![server],
                            ..current
                        };
                        run.apply(
                            S,
                            "connector",
                            "cortex",
                            true,
                            &format!("{} at {}", cfg.cortex_name, cortex.url),
                            || async { admin.cortex().set_config(&desired).await },
                        )
                        .await;
                    }
                    Err(e) => run.failed(S, "connector", "cortex", e),
                }
            }
        }
    }
    if let Some(misp) = run.config.misp.clone() {
        match run.secrets.get("misp", &misp.thehive_user) {
            None => run.skipped(
                S,
                "connector",
                "misp",
                "no MISP key for TheHive (MISP setup failed?)",
            ),
            Some(key) => {
                let mut server = ConnectorServer::new(
                    &cfg.misp_name,
                    misp.url.as_str(),
                    ConnectorAuth::key(key.clone()),
                );
                server
                    .extra
                    .insert("purpose".into(), "ImportAndExport".into());
                match admin.misp().config().await {
                    Ok(current) if same_servers(&current.servers, &server, &key) => {
                        run.unchanged(S, "connector", "misp")
                    }
                    Ok(current) => {
                        let desired = MispConfig {
                            servers: vec![server],
                            interval: current.interval.or_else(|| Some("1 hour".into())),
                            extra: Map::new(),
                        };
                        run.apply(
                            S,
                            "connector",
                            "misp",
                            true,
                            &format!("{} at {}", cfg.misp_name, misp.url),
                            || async { admin.misp().set_config(&desired).await },
                        )
                        .await;
                    }
                    Err(e) => run.failed(S, "connector", "misp", e),
                }
            }
        }
    }
}

/// Whether the configuration has exactly the one server, at the same URL with the same key.
fn same_servers(
    current: &[ConnectorServer],
    desired: &ConnectorServer,
    key: &SecretString,
) -> bool {
    matches!(current, [only] if only.name == desired.name
        && only.url == desired.url
        && only.auth.kind == desired.auth.kind
        && only.auth.key.as_ref().is_some_and(|k| k.expose_secret() == key.expose_secret()))
}
