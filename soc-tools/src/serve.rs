//! `soc serve`: webhooks in front of TheHive.
//!
//! - `POST /alerts`: a small signed JSON document becomes a TheHive alert, created as
//!   `[serve].thehive_user` in `[thehive].organisation` with type `[serve].alert_type`. A replay
//!   (same `type`, `source`, `sourceRef`) answers 200 with the alert already there.
//! - `POST /hooks/thehive`: TheHive's webhook notifications queue created and updated alerts for
//!   enrichment ([`Server::next_alert`]).
//! - `GET /healthz`, `GET /metrics` (Prometheus text).
//!
//! Every POST is authenticated: `X-Soc-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw
//! body with `[serve].secret` ([`sign`]); `/hooks/thehive` also takes the secret as a bearer
//! token, the one credential TheHive's notifier can send. Bodies are capped
//! ([`ServeOptions::max_body_bytes`]). Errors are JSON: `{"error": "..", "field": ".."}`.
//!
//! ```no_run
//! # async fn run(config: &soc_tools::config::SocConfig) -> Result<(), soc_tools::serve::ServeError> {
//! let listener = soc_tools::serve::bind(config).await?;
//! soc_tools::serve::serve(config, listener, soc_tools::serve::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

pub(crate) mod alerts;
mod auth;
mod hooks;
mod metrics;
mod queue;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use thehive_client::model::AlertId;

use crate::clients::ClientError;
use crate::config::{ConfigError, SocConfig};
use crate::secrets::{Secrets, SecretsError};

pub use auth::{sign, SIGNATURE_HEADER};
pub use queue::{EnrichmentQueue, Pushed};

/// The path TheHive's notifier posts to.
pub const HOOKS_PATH: &str = "/hooks/thehive";
/// The path alerts are posted to.
pub const ALERTS_PATH: &str = "/alerts";
/// Every route, as `/metrics` labels requests.
const ROUTES: &[&str] = &[ALERTS_PATH, HOOKS_PATH, "/healthz", "/metrics"];

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `soc.toml` has no `[serve]` or no `[thehive]` section.
    #[error("{path}: [{section}] is not configured")]
    NotConfigured {
        /// The configuration file.
        path: String,
        /// The missing section.
        section: &'static str,
    },
    /// A configuration value (the webhook secret that cannot be read, say).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The secrets file could not be read.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The secrets file has no key for `[serve].thehive_user`.
    #[error("{path}: no TheHive API key for {user}: list it in [[thehive.users]] with api_key = true and run `soc setup`")]
    MissingKey {
        /// The secrets file.
        path: String,
        /// The user.
        user: String,
    },
    /// The TheHive client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `[serve].listen`.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("serving: {0}")]
    Io(#[source] std::io::Error),
}

/// Limits of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// The largest request body accepted (bigger: 413). Default 1 MiB.
    pub max_body_bytes: usize,
    /// The most alerts waiting for enrichment (more: 503, so TheHive retries). Default 1024.
    pub queue_capacity: usize,
    /// How long `/healthz` waits for TheHive. Default 5 s.
    pub health_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            queue_capacity: 1024,
            health_timeout: Duration::from_secs(5),
        }
    }
}

/// The webhook server's state: cheap to clone, shared by every request, and the handle the
/// enrichment side takes queued alerts from.
#[derive(Debug, Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    hive: thehive_client::TheHive,
    secret: SecretString,
    organisation: String,
    thehive_user: String,
    alert_type: String,
    options: ServeOptions,
    queue: EnrichmentQueue,
    metrics: metrics::Metrics,
}

impl Server {
    /// A server for `config`, with the default limits.
    ///
    /// # Errors
    /// A missing `[serve]` or `[thehive]` section, an unreadable secret, no key in the secrets
    /// file for `[serve].thehive_user`, a TheHive client that cannot be built.
    pub fn from_config(config: &SocConfig) -> Result<Server, ServeError> {
        Self::with_options(config, ServeOptions::default())
    }

    /// A server for `config` with given limits.
    ///
    /// # Errors
    /// As [`Server::from_config`].
    pub fn with_options(config: &SocConfig, options: ServeOptions) -> Result<Server, ServeError> {
        let not_configured = |section| ServeError::NotConfigured {
            path: config.path.display().to_string(),
            section,
        };
        let serve = config
            .serve
            .as_ref()
            .ok_or_else(|| not_configured("serve"))?;
        let thehive = config
            .thehive
            .as_ref()
            .ok_or_else(|| not_configured("thehive"))?;
        let secret = serve.secret.resolve(config, "serve.secret")?;
        let key = Secrets::open(&config.secrets_file)?
            .get("thehive", &serve.thehive_user)
            .ok_or_else(|| ServeError::MissingKey {
                path: config.secrets_file.display().to_string(),
                user: serve.thehive_user.clone(),
            })?;
        let hive = crate::clients::thehive_with_key(config, key, Some(&thehive.organisation))?;
        Ok(Server {
            inner: Arc::new(Inner {
                hive,
                secret,
                organisation: thehive.organisation.clone(),
                thehive_user: serve.thehive_user.clone(),
                alert_type: serve.alert_type.clone(),
                queue: EnrichmentQueue::new(options.queue_capacity),
                options,
                metrics: metrics::Metrics::default(),
            }),
        })
    }

    /// The routes, with authentication, limits and metrics, ready to serve.
    pub fn router(&self) -> Router {
        let signed = Router::new()
            .route(ALERTS_PATH, post(alerts::create))
            .route(HOOKS_PATH, post(hooks::notify))
            .route_layer(middleware::from_fn_with_state(self.clone(), auth::verify));
        Router::new()
            .merge(signed)
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), metrics::track))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests under way.
    ///
    /// # Errors
    /// [`ServeError::Io`] when the listener fails.
    pub async fn run(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, organisation = %self.inner.organisation, user = %self.inner.thehive_user, "serving webhooks");
        }
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServeError::Io)?;
        tracing::info!("webhook server stopped");
        Ok(())
    }

    /// Waits for an alert to enrich and takes it off the queue.
    pub async fn next_alert(&self) -> AlertId {
        self.inner.queue.pop().await
    }

    /// Takes an alert to enrich, if one is waiting.
    pub fn try_next_alert(&self) -> Option<AlertId> {
        self.inner.queue.try_pop()
    }

    /// The enrichment queue itself.
    pub fn queue(&self) -> &EnrichmentQueue {
        &self.inner.queue
    }

    /// The TheHive client alerts are created with.
    pub fn thehive(&self) -> &thehive_client::TheHive {
        &self.inner.hive
    }

    /// The metrics, as `GET /metrics` shows them.
    pub fn metrics_text(&self) -> String {
        self.inner
            .metrics
            .render(self.inner.queue.len(), self.inner.queue.capacity())
    }
}

/// Serves `config`'s webhooks on `listener` until `shutdown` completes.
///
/// # Errors
/// As [`Server::from_config`] and [`Server::run`].
pub async fn serve(
    config: &SocConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Server::from_config(config)?.run(listener, shutdown).await
}

/// Binds `[serve].listen`.
///
/// # Errors
/// [`ServeError::NotConfigured`] without `[serve]`; [`ServeError::Bind`].
pub async fn bind(config: &SocConfig) -> Result<tokio::net::TcpListener, ServeError> {
    let serve = config
        .serve
        .as_ref()
        .ok_or_else(|| ServeError::NotConfigured {
            path: config.path.display().to_string(),
            section: "serve",
        })?;
    tokio::net::TcpListener::bind(&serve.listen)
        .await
        .map_err(|source| ServeError::Bind {
            address: serve.listen.clone(),
            source,
        })
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what `docker stop` sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

async fn healthz(axum::extract::State(server): axum::extract::State<Server>) -> Response {
    let inner = &server.inner;
    let thehive = match tokio::time::timeout(
        inner.options.health_timeout,
        inner.hive.public_status(),
    )
    .await
    {
        Ok(Ok(_)) => json!({"reachable": true}),
        Ok(Err(e)) => json!({"reachable": false, "error": e.to_string()}),
        Err(_) => json!({"reachable": false, "error": "timed out"}),
    };
    json_response(
        StatusCode::OK,
        json!({"status": "ok", "thehive": thehive, "queueDepth": inner.queue.len()}),
    )
}

async fn metrics_text(axum::extract::State(server): axum::extract::State<Server>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        server.metrics_text(),
    )
        .into_response()
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "no such route")
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, json!({"error": message.into()}))
}

fn field_error(field: &str, message: &str) -> Response {
    let error = if field == "-" {
        message.to_owned()
    } else {
        format!("{field}: {message}")
    };
    json_response(
        StatusCode::BAD_REQUEST,
        json!({"error": error, "field": field}),
    )
}
