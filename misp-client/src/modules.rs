//! A client for misp-modules (`GET /modules`, `POST /query`): MISP's expansion, import and
//! export modules, run directly. Errors misp-modules answers with HTTP 200 and an `error`
//! field become [`Error::Module`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::{HttpClient, RetryPolicy};

use crate::{Error, Result};

/// One module (`GET /modules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// Name (`eql`, `extract_url_components` ...).
    pub name: String,
    /// `expansion`, `import_mod`, `export_mod` or `action_mod`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Attribute types in and out, and `format: misp_standard` for the newer modules.
    #[serde(default)]
    pub mispattributes: Map<String, Value>,
    /// Description, version, config keys, module-type (`expansion`, `hover`) ...
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModuleInfo {
    /// Whether the module takes `{"attribute": {...}}` (misp_standard) rather than
    /// `{"<type>": "<value>"}`.
    #[must_use]
    pub fn is_misp_standard(&self) -> bool {
        self.mispattributes.get("format").and_then(Value::as_str) == Some("misp_standard")
    }

    /// The configuration keys it reads.
    #[must_use]
    pub fn config_keys(&self) -> Vec<&str> {
        self.meta
            .get("config")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// A misp-modules server.
#[derive(Debug, Clone)]
pub struct MispModules {
    http: HttpClient,
}

impl MispModules {
    /// A client for the server at `url` (`http://127.0.0.1:6666`). Queries may run long:
    /// the request timeout is five minutes, misp-modules' own default.
    ///
    /// # Errors
    /// [`Error::Http`] with an invalid-input kind for a bad URL.
    pub fn new(url: &str) -> Result<Self> {
        let http = HttpClient::builder(url)?
            .user_agent(concat!("misp-client/", env!("CARGO_PKG_VERSION")))
            .request_timeout(Duration::from_secs(300))
            .retry(RetryPolicy::default())
            .build()?;
        Ok(Self { http })
    }

    /// Whether the server answers its health check.
    pub async fn healthy(&self) -> Result<bool> {
        let v: Value = self.http.get(["healthcheck"]).json().await?;
        Ok(v.get("status") == Some(&Value::Bool(true)))
    }

    /// The server's version.
    pub async fn version(&self) -> Result<String> {
        let v: Value = self.http.get(["version"]).json().await?;
        v.get("version")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::InvalidInput(format!("no version in {v}")))
    }

    /// Every module the server loaded.
    pub async fn list(&self) -> Result<Vec<ModuleInfo>> {
        Ok(self.http.get(["modules"]).json().await?)
    }

    /// Runs a module with a raw request (`{"module": ..., ...}`); answers its `results`.
    ///
    /// # Errors
    /// [`Error::Module`] when the module answers `{"error": ...}`.
    pub async fn query(&self, request: &Value) -> Result<Value> {
        let module = request
            .get("module")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if module.is_empty() {
            return Err(Error::InvalidInput(
                "a module query needs a \"module\" name".into(),
            ));
        }
        // A query has no side effect on the server: safe to send again.
        let v: Value = self
            .http
            .post(["query"])
            .idempotent(true)
            .json_body(request)
            .json()
            .await?;
        if let Some(err) = v.get("error") {
            let message = err.as_str().map_or_else(|| err.to_string(), str::to_owned);
            return Err(Error::Module { module, message });
        }
        Ok(v.get("results").cloned().unwrap_or(v))
    }

    /// Expands a value with a legacy module (`{"module", "<type>": "<value>", "config"}`).
    pub async fn expand(
        &self,
        module: &str,
        attribute_type: &str,
        value: &str,
        config: Option<&Value>,
    ) -> Result<Value> {
        let mut req = json!({ "module": module, attribute_type: value });
        if let Some(c) = config {
            req["config"] = c.clone();
        }
        self.query(&req).await
    }

    /// Expands an attribute with a misp_standard module (`{"module", "attribute": {...}}`).
    pub async fn expand_attribute(
        &self,
        module: &str,
        attribute: &Value,
        config: Option<&Value>,
    ) -> Result<Value> {
        let mut req = json!({ "module": module, "attribute": attribute });
        if let Some(c) = config {
            req["config"] = c.clone();
        }
        self.query(&req).await
    }
}
