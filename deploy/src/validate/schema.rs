//! The JSON schemas a bundle is validated against, loaded from a directory.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use boon::{Compiler, SchemaIndex, ValidationError};

use crate::Error;

/// The published schemas the bundle is checked against: the compose specification's JSON
/// schema and ElastAlert2's rule schema.
///
/// They are not part of this crate: `cargo xtask deploy` downloads them from the packages that
/// ship them (hash-pinned) into a directory, and [`Schemas::load`] reads that directory:
/// [`Schemas::COMPOSE`] (JSON) and [`Schemas::ELASTALERT_RULE`] (YAML, as ElastAlert2 ships it),
/// plus an optional [`Schemas::SOURCE`] text naming where they came from.
pub struct Schemas {
    set: boon::Schemas,
    compose: SchemaIndex,
    elastalert_rule: SchemaIndex,
    source: String,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Schemas {
    /// The compose-spec JSON schema's file name in the schema directory.
    pub const COMPOSE: &'static str = "compose-spec.json";
    /// ElastAlert2's rule schema's file name in the schema directory.
    pub const ELASTALERT_RULE: &'static str = "elastalert-rule-schema.yaml";
    /// The optional file naming the schemas' origin.
    pub const SOURCE: &'static str = "SOURCE";

    /// Loads and compiles the schemas in `dir`.
    pub fn load(dir: &Path) -> Result<Schemas, Error> {
        let compose_path = dir.join(Self::COMPOSE);
        let rule_path = dir.join(Self::ELASTALERT_RULE);
        let compose: serde_json::Value =
            serde_json::from_str(&read(&compose_path)?).map_err(|e| Error::Schema {
                path: compose_path.clone(),
                message: format!("not JSON: {e}"),
            })?;
        let rule: serde_json::Value = crate::validate::configs::yaml_to_json(&read(&rule_path)?)
            .map_err(|message| Error::Schema {
                path: rule_path.clone(),
                message,
            })?;
        let source = fs::read_to_string(dir.join(Self::SOURCE))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| format!("schemas from {}", dir.display()));
        let mut set = boon::Schemas::new();
        let compose = compile(&mut set, &compose_path, compose)?;
        let elastalert_rule = compile(&mut set, &rule_path, rule)?;
        Ok(Schemas {
            set,
            compose,
            elastalert_rule,
            source,
        })
    }

    /// Where the schemas came from (the [`Schemas::SOURCE`] file), for reports.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Validates a compose document: (instance location, message) per violation.
    pub(crate) fn check_compose(&self, doc: &serde_json::Value) -> Vec<(String, String)> {
        violations(self.set.validate(doc, self.compose))
    }

    /// Validates an ElastAlert2 rule: (instance location, message) per violation.
    pub(crate) fn check_elastalert_rule(&self, doc: &serde_json::Value) -> Vec<(String, String)> {
        violations(self.set.validate(doc, self.elastalert_rule))
    }
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io(path, "read", e))
}

fn compile(
    set: &mut boon::Schemas,
    path: &Path,
    value: serde_json::Value,
) -> Result<SchemaIndex, Error> {
    let url = file_url(path);
    let mut compiler = Compiler::new();
    let err = |e: boon::CompileError| Error::Schema {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    compiler.add_resource(&url, value).map_err(err)?;
    compiler.compile(&url, set).map_err(err)
}

fn file_url(path: &Path) -> String {
    let abs: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    format!("file://{}", abs.display())
}

/// The leaves of a validation error tree: where, and what. A `oneOf`/`anyOf` with no matching
/// branch reports its own message rather than every branch's complaint.
fn violations(result: Result<(), ValidationError<'_, '_>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Err(e) = result {
        leaves(&e, &mut out);
    }
    out
}

fn leaves(e: &ValidationError<'_, '_>, out: &mut Vec<(String, String)>) {
    let alternatives = matches!(e.kind, boon::ErrorKind::OneOf(_) | boon::ErrorKind::AnyOf);
    if e.causes.is_empty() || alternatives {
        let mut message = e.kind.to_string();
        if alternatives {
            let mut why = Vec::new();
            for c in &e.causes {
                leaves(c, &mut why);
            }
            if let Some((at, first)) = why.first() {
                let _ = write!(message, " (for example at {}: {first})", pointer(at));
            }
        }
        out.push((e.instance_location.to_string(), message));
        return;
    }
    for c in &e.causes {
        leaves(c, out);
    }
}

fn pointer(at: &str) -> &str {
    if at.is_empty() {
        "/"
    } else {
        at
    }
}
