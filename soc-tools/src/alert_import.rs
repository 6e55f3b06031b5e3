//! `soc alert import`: TheHive alerts from a JSON Lines file, one small alert per line in the
//! shape `soc serve`'s `POST /alerts` takes (`title`, `source`, optional `description`,
//! `severity`, `sourceRef`, `tags`, `tlp`, `observables: [{dataType, data}]`). Importing the same
//! file again creates nothing: each alert's `sourceRef` (given, or a hash of its line) finds it.

use std::path::Path;

use crate::clients;
use crate::config::SocConfig;
use crate::report::{Outcome, Report};
use crate::secrets::Secrets;

/// What stops an import before its first line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// No TheHive, or no user to import as.
    #[error("{0}")]
    Setup(String),
    /// The secrets file cannot be read.
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    /// A client could not be built.
    #[error(transparent)]
    Client(#[from] clients::ClientError),
}

/// Imports every line of `path` as `user` (default: `[serve].thehive_user`, then
/// `[enrich].thehive_user`), alerts of type `kind`. Bad lines are reported by number and field;
/// the others are imported.
pub async fn import(
    config: &SocConfig,
    path: &Path,
    user: Option<&str>,
    kind: &str,
) -> Result<Report, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let hive_cfg = config.thehive.as_ref().ok_or_else(|| {
        ImportError::Setup(format!("no [thehive] section in {}", config.path.display()))
    })?;
    let user = user
        .map(str::to_owned)
        .or_else(|| config.serve.as_ref().map(|s| s.thehive_user.clone()))
        .or_else(|| config.enrich.as_ref().map(|e| e.thehive_user.clone()))
        .ok_or_else(|| {
            ImportError::Setup(
                "no user to import as: pass --as, or set [serve] or [enrich] thehive_user".into(),
            )
        })?;
    let key = Secrets::open(&config.secrets_file)?
        .get("thehive", &user)
        .ok_or_else(|| {
            ImportError::Setup(format!(
                "no key for {user} in the secrets file: run `soc setup`"
            ))
        })?;
    let hive = clients::thehive_with_key(config, key, Some(&hive_cfg.organisation))?;
    let mut report = Report::default();
    let progress = crate::progress::bar(text.lines().count() as u64, "alerts");
    for (n, line) in text.lines().enumerate() {
        progress.inc(1);
        let name = format!("{}:{}", path.display(), n + 1);
        if line.trim().is_empty() {
            continue;
        }
        let posted = match crate::serve::alerts::parse(line.as_bytes()) {
            Ok(p) => p,
            Err(e) => {
                report.push(
                    "thehive",
                    "alert",
                    name,
                    Outcome::Failed,
                    format!("{}: {}", e.field, e.message),
                );
                continue;
            }
        };
        let input = posted.to_input(kind);
        match crate::feed_sync::create_alert(&hive, &input).await {
            Ok(Some(id)) => report.push(
                "thehive",
                "alert",
                name,
                Outcome::Created,
                format!("{id} {}", posted.title),
            ),
            Ok(None) => report.push(
                "thehive",
                "alert",
                name,
                Outcome::Unchanged,
                posted.title.clone(),
            ),
            Err(e) => report.push("thehive", "alert", name, Outcome::Failed, e.to_string()),
        }
    }
    progress.finish_and_clear();
    Ok(report)
}
