//! TheHive: the organisation, its users and their keys, and the Cortex and MISP connectors.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Map;
use thehive_client::areas::{ConnectorAuth, ConnectorServer, CortexConfig, MispConfig};
use thehive_client::model::{InputOrganisation, InputUser};

use super::Run;
use crate::clients;
use crate::report::Outcome;

const S: &str = "thehive";

/// The administrator every TheHive image starts with, and its initial password (StrangeBee's
/// documentation: change it at first login).
const INITIAL_ADMIN: &str = "admin@thehive.local";
const INITIAL_PASSWORD: &str = "secret";

pub(super) async fn run(run: &mut Run<'_>) {
    if run
        .config
        .thehive
        .as_ref()
        .is_some_and(|t| t.bootstrap_password.is_some())
        && !bootstrap(run).await
    {
        return;
    }
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

    connectors(run, &admin, &cfg).await;
}

/// TheHive's Cortex and MISP connectors, pointing at the configured Cortex and MISP (as TheHive
/// reaches them) with the keys in the secrets file; `soc rotate` runs it after a new key.
pub(crate) async fn connectors(
    run: &mut Run<'_>,
    admin: &thehive_client::TheHive,
    cfg: &crate::config::TheHiveConfig,
) {
    if let Some(cortex) = run.config.cortex.clone() {
        match run.secrets.get("cortex", &cortex.thehive_user) {
            None => run.skipped(
                S,
                "connector",
                "cortex",
                "no Cortex key for TheHive (Cortex setup failed?)",
            ),
            Some(key) => {
                let url = cortex.thehive_url.as_ref().unwrap_or(&cortex.url);
                let server = ConnectorServer::new(
                    &cfg.cortex_name,
                    url.as_str(),
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
                            &format!("{} at {url}", cfg.cortex_name),
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
                let url = misp.thehive_url.as_ref().unwrap_or(&misp.url);
                let mut server = ConnectorServer::new(
                    &cfg.misp_name,
                    url.as_str(),
                    ConnectorAuth::key(key.clone()),
                );
                server
                    .extra
                    .insert("purpose".into(), "ImportAndExport".into());
                if let Some(ca) = &misp.thehive_ca_file {
                    server.ws_config = Some(serde_json::json!({"ssl": {"trustManager": {
                        "stores": [{"type": "PEM", "path": ca}]
                    }}}));
                }
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
                            &format!("{} at {url}", cfg.misp_name),
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
        && (desired.ws_config.is_none() || only.ws_config == desired.ws_config)
        && only.auth.kind == desired.auth.kind
        && only.auth.key.as_ref().is_some_and(|k| k.expose_secret() == key.expose_secret()))
}

/// A fresh TheHive's administrator: the initial password replaced by `bootstrap_password`, an
/// API key issued and written to `api_key`'s file (0600). Nothing to do once the file exists.
/// An interrupted run (password changed, no key yet) resumes with the new password. False when
/// the rest of TheHive's setup cannot go on.
async fn bootstrap(run: &mut Run<'_>) -> bool {
    let Some(cfg) = run.config.thehive.clone() else {
        return false;
    };
    let (Some(key_file), Some(password)) = (
        cfg.api_key.file_path(run.config),
        cfg.bootstrap_password.as_ref(),
    ) else {
        return true;
    };
    // An empty file (a crash between creating and writing it) does not count.
    let present = std::fs::read_to_string(&key_file).is_ok_and(|k| !k.trim().is_empty());
    if present {
        run.unchanged(S, "admin-bootstrap", INITIAL_ADMIN);
        return true;
    }
    let new = match password.resolve(run.config, "thehive.bootstrap_password") {
        Ok(p) => p,
        Err(e) => {
            run.failed(S, "admin-bootstrap", INITIAL_ADMIN, e);
            return false;
        }
    };
    let login =
        |password: SecretString| clients::thehive_basic(run.config, INITIAL_ADMIN, password);
    let (with_new, with_initial) = match (
        login(new.clone()),
        login(SecretString::from(INITIAL_PASSWORD)),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            run.failed(S, "admin-bootstrap", INITIAL_ADMIN, e);
            return false;
        }
    };
    let password_set = match with_new.users().current().await {
        Ok(_) => true,
        Err(e) if e.status() == Some(soc_http::StatusCode::UNAUTHORIZED) => false,
        Err(e) => {
            run.failed(S, "admin-bootstrap", INITIAL_ADMIN, e);
            return false;
        }
    };
    if run.dry_run {
        let why = if password_set {
            "issue the administrator's API key"
        } else {
            "replace the initial password, issue the administrator's API key"
        };
        run.report.push(
            S,
            "admin-bootstrap",
            INITIAL_ADMIN,
            Outcome::WouldChange,
            why,
        );
        return false;
    }
    if !password_set {
        let id = INITIAL_ADMIN.into();
        let initial = SecretString::from(INITIAL_PASSWORD);
        if let Err(e) = with_initial
            .users()
            .change_password(&id, &initial, &new)
            .await
        {
            let why = if e.status() == Some(soc_http::StatusCode::UNAUTHORIZED) {
                format!(
                    "{INITIAL_ADMIN} accepts neither bootstrap_password nor the image's initial \
                     password: put the administrator's key in {} by hand",
                    key_file.display()
                )
            } else {
                e.to_string()
            };
            run.failed(S, "admin-bootstrap", INITIAL_ADMIN, why);
            return false;
        }
    }
    let key = match with_new.users().renew_api_key(&INITIAL_ADMIN.into()).await {
        Ok(k) => k,
        Err(e) => {
            run.failed(S, "admin-bootstrap", INITIAL_ADMIN, e);
            return false;
        }
    };
    if let Err(e) = write_private(&key_file, key.expose_secret()) {
        run.failed(
            S,
            "admin-bootstrap",
            INITIAL_ADMIN,
            format!("cannot write {}: {e}", key_file.display()),
        );
        return false;
    }
    run.report.push(
        S,
        "admin-bootstrap",
        INITIAL_ADMIN,
        Outcome::Changed,
        format!("password replaced, key in {}", key_file.display()),
    );
    true
}

/// Writes a secret to a file readable by its owner only, atomically (a temporary file renamed
/// over it), so a crash never leaves a half-written key.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
