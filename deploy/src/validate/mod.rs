//! Validation of a rendered bundle without Docker.
//!
//! [`validate()`] reads a bundle directory as `docker compose` would (the compose file, its `.env`)
//! and reports every problem it finds as a [`Finding`] naming the file, the place in it and what
//! is wrong. A bundle is good when the report has no findings.
//!
//! What is checked:
//! - `docker-compose.yml`: interpolated with `.env` exactly as Compose does (`$$`, `${VAR}`,
//!   `${VAR:-default}`, `${VAR:?message}`...), then validated against the compose-spec JSON schema
//!   when [`Schemas`] are given, then the checks the schema cannot make (see [`compose`]).
//! - Every service configuration the compose file mounts, by its format: TheHive's and Cortex's
//!   `application.conf` parsed as HOCON, with every `${NAME}` they read from the environment set
//!   in the service's `environment`; ElastAlert2's `config.yaml` with its required settings and
//!   each rule against ElastAlert2's own rule schema plus the TheHive alerter's options; TOML
//!   files parsed; shell scripts through `sh -n`; env files as `KEY=VALUE` lines; and every
//!   `{ file = ... }` secret a rendered `soc.toml` names (see [`configs`]).

pub mod compose;
pub mod configs;
pub mod k8s;
mod schema;

use std::fmt;
use std::path::Path;

pub use schema::Schemas;

use crate::Error;

/// One problem in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the bundle directory.
    pub file: String,
    /// Where in the file: a dotted path (`services.thehive.depends_on.cassandra`), a line, or
    /// empty for the whole file.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    pub(crate) fn new(
        file: impl Into<String>,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            file: file.into(),
            at: at.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.at, self.message)
        }
    }
}

/// The outcome of [`validate()`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every problem found; empty when the bundle is good.
    pub findings: Vec<Finding>,
    /// What was checked, one line each (for the operator, and to show nothing was skipped).
    pub checked: Vec<String>,
}

impl Report {
    /// True when nothing was found.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    pub(crate) fn find(
        &mut self,
        file: impl Into<String>,
        at: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding::new(file, at, message));
    }
}

/// Validates the bundle in `dir`: the compose file (against the compose-spec schema when
/// `schemas` is given) and every configuration it mounts.
///
/// An `Err` means the bundle could not be read at all (no compose file); everything wrong inside
/// it is a [`Finding`] in the report.
pub fn validate(dir: &Path, schemas: Option<&Schemas>) -> Result<Report, Error> {
    let mut report = Report::default();
    let model = compose::check(dir, schemas, &mut report)?;
    if let Some(model) = model {
        configs::check(dir, &model, schemas, &mut report);
    }
    Ok(report)
}
