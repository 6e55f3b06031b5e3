//! `soc config check`: everything about the configuration that can be known without a server.

use crate::config::{ConfigError, ConfigValue, SocConfig};

/// Resolves every secret the configuration references (so a missing variable or unreadable file
/// shows now, not halfway through `setup`) and lists the configured services.
pub fn resolve_all(config: &SocConfig) -> Result<Vec<&'static str>, ConfigError> {
    let mut services = Vec::new();
    config.request_timeout()?;
    if let Some(t) = &config.thehive {
        if let Some(p) = &t.bootstrap_password {
            p.resolve(config, "thehive.bootstrap_password")?;
        }
        // With a bootstrap password, a missing key file is the fresh-install state `setup` fills.
        let awaiting_bootstrap = t.bootstrap_password.is_some()
            && t.api_key
                .file_path(config)
                .is_some_and(|p| std::fs::read_to_string(p).map_or(true, |k| k.trim().is_empty()));
        if !awaiting_bootstrap {
            t.api_key.resolve(config, "thehive.api_key")?;
        }
        services.push("thehive");
    }
    if let Some(c) = &config.cortex {
        c.superadmin_password
            .resolve(config, "cortex.superadmin_password")?;
        if let Some(k) = &c.superadmin_key {
            k.resolve(config, "cortex.superadmin_key")?;
        }
        for (i, a) in c.analyzers.iter().enumerate() {
            for (k, v) in &a.config {
                if let ConfigValue::Secret(r) = v {
                    let key = format!("cortex.analyzers[{i}].config.{k}");
                    match r.to_ref() {
                        Some(r) => {
                            r.resolve(config, &key)?;
                        }
                        None => return Err(config.error(
                            &key,
                            "a secret is { env = \"NAME\" } or { file = \"path\" }, one of the two",
                        )),
                    }
                }
            }
        }
        services.push("cortex");
    }
    if let Some(m) = &config.misp {
        m.api_key.resolve(config, "misp.api_key")?;
        services.push("misp");
    }
    if let Some(e) = &config.elasticsearch {
        if let Some(p) = &e.password {
            p.resolve(config, "elasticsearch.password")?;
        }
        if let Some(k) = &e.api_key {
            k.resolve(config, "elasticsearch.api_key")?;
        }
        services.push("elasticsearch");
    }
    if let Some(s) = &config.s3 {
        s.access_key.resolve(config, "s3.access_key")?;
        s.secret_key.resolve(config, "s3.secret_key")?;
        services.push("s3");
    }
    Ok(services)
}
