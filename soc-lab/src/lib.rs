//! Stateful stand-ins of the SOC stack's five APIs on loopback.
//!
//! `soc-lab` serves the wire format of TheHive 5, Cortex, MISP, Elasticsearch and an S3 store with
//! the MinIO admin API, each on its own loopback port, so that tools and integration tests run on
//! a machine with no Docker. The services keep state (what you create, you read back, search and
//! page through), generate their credentials at start, and take faults (latency, error rates,
//! dropped connections, restarts) at start or live.
//!
//! ```no_run
//! # async fn demo() -> Result<(), soc_lab::LabError> {
//! use secrecy::ExposeSecret;
//! let lab = soc_lab::Lab::start(soc_lab::LabConfig::default()).await?;
//! let thehive = lab.endpoint(soc_lab::Service::TheHive);
//! println!("TheHive at {} with key {}", thehive.url, thehive.api_key().unwrap_or_default());
//! lab.set_faults(soc_lab::Service::Misp, soc_lab::Faults { error_rate: 0.2, ..Default::default() });
//! lab.stop().await?;
//! # Ok(()) }
//! ```
//!
//! The lab depends on none of the workspace's client crates: its shapes come from the services'
//! documentation and official clients, so it is an independent witness of the wire format.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cortex;
mod es;
mod fault;
mod misp;
mod s3;
mod server;
mod thehive;
mod util;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use fault::Faults;

/// One of the lab's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// TheHive 5 (cases, alerts, observables).
    TheHive,
    /// Cortex (analyzers and responders).
    Cortex,
    /// MISP (events, attributes, feeds).
    Misp,
    /// Elasticsearch.
    Elasticsearch,
    /// An S3 store serving the MinIO admin API.
    S3,
}

impl Service {
    /// Every service, in start order.
    pub const ALL: [Service; 5] = [
        Service::TheHive,
        Service::Cortex,
        Service::Misp,
        Service::Elasticsearch,
        Service::S3,
    ];

    /// The lowercase name used in state files, the control API and the binary's flags.
    pub fn name(self) -> &'static str {
        match self {
            Service::TheHive => "thehive",
            Service::Cortex => "cortex",
            Service::Misp => "misp",
            Service::Elasticsearch => "elasticsearch",
            Service::S3 => "s3",
        }
    }

    /// Parses a service name as [`Service::name`] spells it (`es` is accepted too).
    pub fn parse(name: &str) -> Option<Service> {
        match name.to_ascii_lowercase().as_str() {
            "thehive" => Some(Service::TheHive),
            "cortex" => Some(Service::Cortex),
            "misp" => Some(Service::Misp),
            "elasticsearch" | "es" => Some(Service::Elasticsearch),
            "s3" | "minio" => Some(Service::S3),
            _ => None,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a lab starts.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// The address every service binds (loopback unless told otherwise).
    pub bind: IpAddr,
    /// Fixed ports per service; a service without one gets a free port.
    pub ports: BTreeMap<Service, u16>,
    /// Faults each service starts with.
    pub faults: BTreeMap<Service, Faults>,
    /// Where the lab's state is loaded from at start (when the file exists) and saved to on
    /// [`Lab::save`] and [`Lab::stop`].
    pub state_file: Option<PathBuf>,
    /// Seed of the fault dice, so a faulty run can be replayed.
    pub seed: u64,
    /// Start Cortex as a fresh install: its index needs migrating (every call answers 520 until
    /// `POST /api/maintenance/migrate`) and no user exists, so the first user is created without
    /// a key. Otherwise Cortex starts bootstrapped with a superadmin key.
    pub cortex_fresh: bool,
    /// Start TheHive as its image does: `admin@thehive.local` with the documented initial
    /// password (`secret`) and no API key. Otherwise the administrator gets a generated password
    /// and a key.
    pub thehive_fresh: bool,
    /// Elasticsearch resolves wildcards in `DELETE /<index>` as 7.x did (8.x refuses them unless
    /// `action.destructive_requires_name` is false).
    pub es_7x_wildcards: bool,
    /// Indicators the lab's analyzers and feeds call malicious. Empty means the built-in list.
    pub malicious: Vec<String>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: BTreeMap::new(),
            faults: BTreeMap::new(),
            state_file: None,
            seed: 0x50c1ab,
            cortex_fresh: false,
            thehive_fresh: false,
            es_7x_wildcards: false,
            malicious: Vec::new(),
        }
    }
}

impl LabConfig {
    /// The indicators the lab calls malicious: the configured ones or the built-in list.
    pub fn malicious_indicators(&self) -> Vec<String> {
        if self.malicious.is_empty() {
            util::BUILTIN_MALICIOUS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            self.malicious.clone()
        }
    }
}

/// Where a service listens and the credentials the lab generated for it.
#[derive(Clone)]
pub struct Endpoint {
    /// The service.
    pub service: Service,
    /// Base URL, e.g. `http://127.0.0.1:40123/`.
    pub url: url::Url,
    /// User name of the administrator (S3: the root access key).
    pub username: Option<String>,
    /// Password of the administrator (S3: the root secret key).
    pub password: Option<SecretString>,
    /// API key of the administrator (none for a fresh Cortex or for S3).
    pub api_key: Option<SecretString>,
}

impl Endpoint {
    /// The API key, exposed (for printing it to the operator who started the lab).
    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_ref().map(|k| k.expose_secret())
    }

    /// The password, exposed (for printing it to the operator who started the lab).
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|k| k.expose_secret())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("service", &self.service)
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// What can go wrong starting, saving or stopping a lab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A port could not be bound.
    #[error("cannot listen for {service} on {addr}: {source}")]
    Bind {
        /// The service.
        service: Service,
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file could not be read or written.
    #[error("state file {path}: {source}")]
    StateIo {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A service's part of the state file does not fit the service.
    #[error("state of {service}: {message}")]
    State {
        /// The service.
        service: Service,
        /// What is wrong, with the JSON path.
        message: String,
    },
    /// The state file is not a lab state.
    #[error("state file {path}: {message}")]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the JSON position.
        message: String,
    },
}

/// The state a service keeps, as the lab needs it: a snapshot for the state file and a restart.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The whole state as JSON, for the state file.
    fn snapshot(&self) -> serde_json::Value;
    /// Forgets in-memory sessions, as a process restart would.
    fn restart(&self);
}

/// What a service module hands the lab.
pub(crate) struct Built {
    pub(crate) router: axum::Router,
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<SecretString>,
    pub(crate) api_key: Option<SecretString>,
}

/// Shared pieces service modules may use from one another (in-process links, such as TheHive's
/// Cortex connector).
#[derive(Clone, Default)]
pub(crate) struct Links {
    pub(crate) cortex: Option<Arc<cortex::Cortex>>,
}

struct Running {
    endpoint: Endpoint,
    backend: Arc<dyn Backend>,
    control: Arc<fault::Control>,
    task: tokio::task::JoinHandle<()>,
}

/// A running lab: five services on loopback.
pub struct Lab {
    /// One per service, in the order of [`Service::ALL`].
    services: Vec<Running>,
    shutdown: tokio::sync::watch::Sender<bool>,
    state_file: Option<PathBuf>,
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lab")
            .field(
                "services",
                &self
                    .services
                    .iter()
                    .map(|r| &r.endpoint)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Lab {
    /// Starts every service, restoring state from [`LabConfig::state_file`] when it exists.
    pub async fn start(config: LabConfig) -> Result<Lab, LabError> {
        let mut restored = match &config.state_file {
            Some(path) if path.exists() => load_state(path)?,
            _ => serde_json::Map::new(),
        };
        let (shutdown, _) = tokio::sync::watch::channel(false);
        // Cortex first: TheHive's connector runs its jobs in-process.
        let (cortex_built, cortex) =
            cortex::build(&config, restored.remove(Service::Cortex.name()))?;
        let links = Links {
            cortex: Some(cortex),
        };
        let mut cortex_built = Some(cortex_built);
        let mut services = Vec::with_capacity(Service::ALL.len());
        for (i, service) in Service::ALL.into_iter().enumerate() {
            let state = restored.remove(service.name());
            let built = match service {
                Service::Cortex => match cortex_built.take() {
                    Some(built) => built,
                    None => cortex::build(&config, state)?.0,
                },
                Service::TheHive => thehive::build(&config, state, links.clone())?,
                Service::Misp => misp::build(&config, state)?,
                Service::Elasticsearch => es::build(&config, state)?,
                Service::S3 => s3::build(&config, state)?,
            };
            let port = config.ports.get(&service).copied().unwrap_or(0);
            let addr = SocketAddr::new(config.bind, port);
            let bind_error = |source| LabError::Bind {
                service,
                addr,
                source,
            };
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(bind_error)?;
            let local = listener.local_addr().map_err(bind_error)?;
            let url = url::Url::parse(&format!("http://{local}/"))
                .map_err(|e| bind_error(std::io::Error::other(e.to_string())))?;
            let control = Arc::new(fault::Control::new(
                service,
                config.faults.get(&service).cloned().unwrap_or_default(),
                config.seed.wrapping_add(i as u64),
                built.backend.clone(),
            ));
            let task = tokio::spawn(server::serve(
                listener,
                built.router,
                control.clone(),
                shutdown.subscribe(),
            ));
            tracing::info!(%service, %url, "lab service listening");
            services.push(Running {
                endpoint: Endpoint {
                    service,
                    url,
                    username: built.username,
                    password: built.password,
                    api_key: built.api_key,
                },
                backend: built.backend,
                control,
                task,
            });
        }
        Ok(Lab {
            services,
            shutdown,
            state_file: config.state_file,
        })
    }

    /// Where `service` listens and its credentials.
    pub fn endpoint(&self, service: Service) -> &Endpoint {
        &self.running(service).endpoint
    }

    /// Every service's endpoint, in the order of [`Service::ALL`].
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.services.iter().map(|r| &r.endpoint)
    }

    fn running(&self, service: Service) -> &Running {
        // `start` runs every service of `Service::ALL`, pushed in that order.
        &self.services[service as usize]
    }

    /// Replaces the faults of `service`, effective from its next request.
    pub fn set_faults(&self, service: Service, faults: Faults) {
        self.running(service).control.set(faults);
    }

    /// The faults `service` currently applies.
    pub fn faults(&self, service: Service) -> Faults {
        self.running(service).control.get()
    }

    /// Restarts `service` as a process restart would: open connections are dropped and
    /// in-memory sessions forgotten; stored data stays.
    pub fn restart(&self, service: Service) {
        self.running(service).control.restart();
    }

    /// The state of every service as one JSON document (what the state file holds).
    pub fn snapshot(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("version".into(), serde_json::Value::from(STATE_VERSION));
        for r in &self.services {
            map.insert(r.endpoint.service.name().into(), r.backend.snapshot());
        }
        serde_json::Value::Object(map)
    }

    /// Writes the state file, when one is configured.
    pub fn save(&self) -> Result<(), LabError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let text =
            serde_json::to_vec_pretty(&self.snapshot()).map_err(|e| LabError::StateFormat {
                path: path.clone(),
                message: e.to_string(),
            })?;
        // The state holds the generated credentials: owner-only, written whole or not at all.
        let tmp = path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|source| LabError::StateIo {
            path: path.clone(),
            source,
        })
    }

    /// Saves the state file (when configured) and stops every service.
    pub async fn stop(self) -> Result<(), LabError> {
        let saved = self.save();
        let _ = self.shutdown.send(true);
        for r in self.services {
            let _ = r.task.await;
        }
        saved
    }
}

const STATE_VERSION: u64 = 1;

fn load_state(
    path: &std::path::Path,
) -> Result<serde_json::Map<String, serde_json::Value>, LabError> {
    let bytes = std::fs::read(path).map_err(|source| LabError::StateIo {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| LabError::StateFormat {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let serde_json::Value::Object(map) = value else {
        return Err(LabError::StateFormat {
            path: path.to_path_buf(),
            message: "expected a JSON object with one member per service".into(),
        });
    };
    match map.get("version").and_then(|v| v.as_u64()) {
        Some(STATE_VERSION) => Ok(map),
        other => Err(LabError::StateFormat {
            path: path.to_path_buf(),
            message: format!(
                "unsupported state version {other:?}, this lab writes {STATE_VERSION}"
            ),
        }),
    }
}
