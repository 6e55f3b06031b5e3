//! The JSON schemas a bundle is validated against, loaded from a directory.

use std::collections::BTreeMap;
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
    /// Kubernetes object schemas by file name (`secret-v1.json`, `deployment-apps-v1.json`).
    k8s: BTreeMap<String, SchemaIndex>,
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
    /// The optional directory of Kubernetes object schemas: `_definitions.json` and one file
    /// per kind and API version, named as the `kubernetes-validate` package names them
    /// (`<kind>-<group>-<version>.json`, e.g. `networkpolicy-networking-v1.json`).
    pub const KUBERNETES: &'static str = "kubernetes";

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
        let k8s = load_k8s(&dir.join(Self::KUBERNETES), &mut set)?;
        Ok(Schemas {
            set,
            compose,
            elastalert_rule,
            k8s,
            source,
        })
    }

    /// Where the schemas came from (the [`Schemas::SOURCE`] file), for reports.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether Kubernetes object schemas were loaded.
    pub fn has_k8s(&self) -> bool {
        !self.k8s.is_empty()
    }

    /// Validates a Kubernetes object by its `apiVersion` and `kind`: `None` when no schema is
    /// loaded for them.
    pub(crate) fn check_k8s(&self, doc: &serde_json::Value) -> Option<Vec<(String, String)>> {
        let file = k8s_schema_file(
            doc["apiVersion"].as_str().unwrap_or_default(),
            doc["kind"].as_str().unwrap_or_default(),
        );
        let index = self.k8s.get(&file)?;
        Some(violations(self.set.validate(doc, *index)))
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

/// The schema file for a Kubernetes object: the kind in lower case, then the API group's first
/// label and the version (`apps/v1` -> `apps-v1`, `networking.k8s.io/v1` -> `networking-v1`,
/// core `v1` -> `v1`).
pub(crate) fn k8s_schema_file(api_version: &str, kind: &str) -> String {
    let api = match api_version.split_once('/') {
        Some((group, version)) => {
            format!("{}-{version}", group.split('.').next().unwrap_or(group))
        }
        None => api_version.to_string(),
    };
    format!("{}-{api}.json", kind.to_ascii_lowercase())
}

/// Every schema in the Kubernetes directory, compiled; the shared definitions are a resource at
/// their own `$id`, which the kinds' schemas refer to.
fn load_k8s(dir: &Path, set: &mut boon::Schemas) -> Result<BTreeMap<String, SchemaIndex>, Error> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(out);
    };
    let mut compiler = Compiler::new();
    let mut kinds = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&read(&path)?).map_err(|err| Error::Schema {
                path: path.clone(),
                message: format!("not JSON: {err}"),
            })?;
        let id = value["$id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| file_url(&path));
        compiler
            .add_resource(&id, value)
            .map_err(|err| Error::Schema {
                path: path.clone(),
                message: err.to_string(),
            })?;
        if name != "_definitions.json" {
            kinds.push((name, id, path));
        }
    }
    for (name, id, path) in kinds {
        let index = compiler.compile(&id, set).map_err(|err| Error::Schema {
            path,
            message: err.to_string(),
        })?;
        out.insert(name, index);
    }
    Ok(out)
}
