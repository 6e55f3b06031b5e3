//! `soc setup`: brings every configured service to what `soc.toml` describes, in dependency
//! order, and reports each item as created, changed, unchanged or failed.
//!
//! Order: the S3 store (buckets and their least-privilege users), Cortex (first-run bootstrap,
//! organisation, analyzers, the user TheHive connects as), MISP (organisation, users, auth keys,
//! server settings, feeds), TheHive (organisation, users, keys, the Cortex and MISP connectors,
//! which need the keys the two previous steps issued), Elasticsearch (retention policies, index
//! templates, snapshot repository). Every item is read before it is written: a second run reports
//! everything unchanged and writes nothing. New credentials go to the secrets file, never to the
//! output.

mod cortex;
mod es;
mod misp;
mod s3;
pub(crate) mod thehive;

use serde_json::Value;

use crate::config::SocConfig;
use crate::report::{Outcome, Report};
use crate::secrets::{Secrets, SecretsError};

/// How `setup` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetupOptions {
    /// Read everything, write nothing: the report says what would be created or changed.
    pub dry_run: bool,
}

/// What stops `setup` before it reaches the services.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The secrets file cannot be read or written.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

/// The state one run carries from service to service.
pub(crate) struct Run<'a> {
    pub(crate) config: &'a SocConfig,
    pub(crate) secrets: Secrets,
    pub(crate) report: Report,
    pub(crate) dry_run: bool,
}

impl Run<'_> {
    /// Records an item that needs writing: in a dry run, what would happen; otherwise the
    /// outcome of `apply`.
    pub(crate) async fn apply<F, Fut, E>(
        &mut self,
        service: &'static str,
        kind: &'static str,
        name: &str,
        exists: bool,
        why: &str,
        apply: F,
    ) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let (done, planned) = if exists {
            (Outcome::Changed, Outcome::WouldChange)
        } else {
            (Outcome::Created, Outcome::WouldCreate)
        };
        if self.dry_run {
            self.report.push(service, kind, name, planned, why);
            return true;
        }
        match apply().await {
            Ok(()) => {
                self.report.push(service, kind, name, done, why);
                true
            }
            Err(e) => {
                self.report
                    .push(service, kind, name, Outcome::Failed, e.to_string());
                false
            }
        }
    }

    pub(crate) fn unchanged(&mut self, service: &'static str, kind: &'static str, name: &str) {
        self.report
            .push(service, kind, name, Outcome::Unchanged, "");
    }

    pub(crate) fn failed(
        &mut self,
        service: &'static str,
        kind: &'static str,
        name: &str,
        e: impl std::fmt::Display,
    ) {
        self.report
            .push(service, kind, name, Outcome::Failed, e.to_string());
    }

    pub(crate) fn skipped(
        &mut self,
        service: &'static str,
        kind: &'static str,
        name: &str,
        why: &str,
    ) {
        self.report.push(service, kind, name, Outcome::Skipped, why);
    }
}

/// Runs setup for every configured service. Per-item failures are in the report (and make the
/// command exit non-zero); only a secrets-file failure stops the run.
pub async fn run(config: &SocConfig, options: SetupOptions) -> Result<Report, SetupError> {
    let secrets = Secrets::open(&config.secrets_file)?;
    let mut run = Run {
        config,
        secrets,
        report: Report::default(),
        dry_run: options.dry_run,
    };
    s3::run(&mut run).await;
    cortex::run(&mut run).await;
    misp::run(&mut run).await;
    thehive::run(&mut run).await;
    es::run(&mut run).await;
    if !run.dry_run {
        run.secrets.save()?;
    }
    Ok(run.report)
}

/// Whether `current` holds everything `desired` says: objects by key (extra keys allowed),
/// arrays element by element, scalars loosely (`1` equals `"1"`, as servers echo settings as
/// strings).
pub(crate) fn contains(current: &Value, desired: &Value) -> bool {
    match (current, desired) {
        (Value::Object(c), Value::Object(d)) => d
            .iter()
            .all(|(k, dv)| c.get(k).is_some_and(|cv| contains(cv, dv))),
        (Value::Array(c), Value::Array(d)) => {
            c.len() == d.len() && c.iter().zip(d).all(|(cv, dv)| contains(cv, dv))
        }
        (c, d) if c == d => true,
        (c, d) => scalar(c).is_some() && scalar(c) == scalar(d),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A TOML value as JSON.
pub(crate) fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contains_is_a_loose_subset() {
        let current = json!({"index": {"number_of_shards": "1", "uuid": "x"}, "patterns": ["a-*"]});
        assert!(contains(
            &current,
            &json!({"index": {"number_of_shards": 1}})
        ));
        assert!(contains(&current, &json!({"patterns": ["a-*"]})));
        assert!(!contains(&current, &json!({"patterns": ["a-*", "b-*"]})));
        assert!(!contains(
            &current,
            &json!({"index": {"number_of_replicas": 0}})
        ));
        assert!(contains(&json!(true), &json!("true")));
        assert!(!contains(&json!(null), &json!("")));
    }
}
