//! The SOC stack as a Docker Compose bundle.
//!
//! `deploy/templates` holds the bundle: a compose file with every service of the stack (TheHive,
//! Cortex, Cassandra, two Elasticsearch clusters, Kibana, Logstash, ElastAlert2, an S3 store,
//! MISP with its modules, database and Redis, Node-RED, Portainer, and Shuffle as a profile) and
//! the services' configuration files. `deploy/versions.env` pins every image.
//!
//! - [`render`] turns the templates and a [`Settings`] into a bundle directory: the compose file,
//!   `.env`, the service configurations, `secrets/` (generated once, alphanumeric, in the shapes
//!   their consumers need, kept across renders, mode 0600) and a `soc.toml` for the `soc` tool.
//! - [`validate()`] checks a rendered bundle without Docker: the compose file against the
//!   compose-spec JSON schema and the checks the schema cannot make (undefined dependencies,
//!   health conditions on services without a healthcheck, duplicate host ports, unset variables,
//!   unpinned images, seed default credentials, undeclared volumes, missing bind sources), and
//!   every service configuration parsed by the format it is written in (HOCON, YAML with
//!   ElastAlert2's rule schema, TOML, shell).
//!
//! - [`render_k8s`] renders the same settings and secrets for a Kubernetes cluster (ECK,
//!   k8ssandra-operator, Garage's and StrangeBee's charts), and [`validate::k8s`] checks it.
//!
//! - [`upgrade::plan`] checks a new pinned set against the compatibility matrix and orders the
//!   restarts.
//!
//! `cargo xtask deploy` drives them, and Docker.
//!
//! ```no_run
//! use std::path::Path;
//!
//! let settings = soc_deploy::Settings::parse("[s3]\nbackend = \"garage\"\n")?;
//! let rendered = soc_deploy::render(Path::new("deploy/out"), &settings)?;
//! let schemas = soc_deploy::Schemas::load(Path::new("target/deploy-schemas"))?;
//! let report = soc_deploy::validate(&rendered.out, Some(&schemas))?;
//! for finding in &report.findings {
//!     eprintln!("{finding}");
//! }
//! # Ok::<(), soc_deploy::Error>(())
//! ```

pub mod k8s;
mod render;
mod settings;
pub mod tls;
pub mod upgrade;
pub mod validate;

use std::path::{Path, PathBuf};

pub use k8s::{render_k8s, RenderedK8s};
pub use render::{
    collect_issued_keys, memory_budget, new_secret, parse_env, render, render_with_versions,
    set_secret, Rendered,
};
pub use settings::{Settings, S3_BACKENDS};
pub use validate::{validate, Finding, Report, Schemas};

/// What went wrong while rendering or validating a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A settings file line that cannot be read.
    #[error("settings line {line}: {message}")]
    Settings {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A setting whose value is not allowed.
    #[error("setting {key}: {message}")]
    Setting {
        /// `section.key`.
        key: String,
        /// What is wrong with the value.
        message: String,
    },
    /// A kept secret with the wrong shape.
    #[error("{var} in {}: {message}", file.display())]
    Secret {
        /// The file holding it.
        file: PathBuf,
        /// The `.env` variable.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// A template that cannot be rendered (a defect of the bundle itself).
    #[error("template: {0}")]
    Template(String),
    /// A file or directory that cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// `read`, `write`, `create`...
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A validation schema that cannot be loaded or compiled.
    #[error("schema {}: {message}", path.display())]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(
        path: impl AsRef<Path>,
        action: &'static str,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            action,
            source,
        }
    }
}
