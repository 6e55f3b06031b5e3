//! TheHive's connectors: Cortex (`/api/v1/connector/cortex`) and MISP
//! (`/api/v1/connector/misp`), and their runtime configuration (`/api/v1/admin/config`).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::skip_serializing_none;
use soc_http::{Method, SecretString};

use super::finders;
use crate::client::NO_BODY;
use crate::model::{Action, Case, CaseId, InputAction, InputJob, Job, JobId, Worker};
use crate::upload::{json_and_files, FileUpload};
use crate::{Result, TheHive};

/// Credentials TheHive uses to call a connected server.
#[skip_serializing_none]
#[derive(Clone, Serialize, Deserialize)]
pub struct ConnectorAuth {
    /// `bearer` or `key` (API keys), `basic`, or `none`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The API key, for `bearer` and `key`.
    #[serde(default, serialize_with = "serialize_opt_secret")]
    pub key: Option<SecretString>,
    /// Other settings of the scheme (`username`, `password` for `basic`), kept as sent and
    /// never shown by `Debug`.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn serialize_opt_secret<S: serde::Serializer>(
    key: &Option<SecretString>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match key {
        Some(k) => soc_http::serialize_secret(k, s),
        None => s.serialize_none(),
    }
}

impl ConnectorAuth {
    /// A Cortex API key (`{"type": "bearer", "key": ...}`).
    pub fn bearer(key: impl Into<SecretString>) -> Self {
        Self {
            kind: "bearer".into(),
            key: Some(key.into()),
            extra: Map::new(),
        }
    }

    /// A MISP API key (`{"type": "key", "key": ...}`).
    pub fn key(key: impl Into<SecretString>) -> Self {
        Self {
            kind: "key".into(),
            key: Some(key.into()),
            extra: Map::new(),
        }
    }
}

impl fmt::Debug for ConnectorAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorAuth")
            .field("kind", &self.kind)
            .field("key", &self.key.as_ref().map(|_| "[REDACTED]"))
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One server of a connector configuration. `Debug` shows the names of `wsConfig` and extra
/// settings, not their values (they can hold proxy or keystore passwords).
#[skip_serializing_none]
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorServer {
    /// The name TheHive knows it by (the `cortexId` of jobs).
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Credentials.
    pub auth: ConnectorAuth,
    /// Organisations that may use it (`["*"]` for all).
    pub included_the_hive_organisations: Option<Vec<String>>,
    /// Organisations that may not.
    pub excluded_the_hive_organisations: Option<Vec<String>>,
    /// HTTP client settings (Play WS: `ssl`, `proxy`, `timeout` ...).
    pub ws_config: Option<Value>,
    /// Other settings (`purpose`, `tags`, `caseTemplate` for MISP ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for ConnectorServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |v: Option<&Value>| {
            v.and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
        };
        f.debug_struct("ConnectorServer")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("auth", &self.auth)
            .field(
                "included_the_hive_organisations",
                &self.included_the_hive_organisations,
            )
            .field(
                "excluded_the_hive_organisations",
                &self.excluded_the_hive_organisations,
            )
            .field("ws_config", &keys(self.ws_config.as_ref()))
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConnectorServer {
    /// A server usable by every organisation.
    pub fn new(name: impl Into<String>, url: impl Into<String>, auth: ConnectorAuth) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            auth,
            included_the_hive_organisations: Some(vec!["*".into()]),
            excluded_the_hive_organisations: Some(Vec::new()),
            ws_config: None,
            extra: Map::new(),
        }
    }
}

/// The Cortex connector configuration (`/api/v1/admin/config/cortex`).
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CortexConfig {
    /// Servers.
    pub servers: Vec<ConnectorServer>,
    /// How often server health is checked (`"1 minute"`).
    pub status_check_interval: Option<String>,
    /// How often job status is polled (`"5 seconds"`).
    pub refresh_delay: Option<String>,
    /// Retries of a failed call.
    pub max_retry_on_error: Option<u32>,
    /// How long a job may run (`"3 hours"`).
    pub job_timeout: Option<String>,
    /// Other settings.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The MISP connector configuration (`/api/v1/admin/config/misp`).
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MispConfig {
    /// Servers (each may set `purpose`: `ImportOnly`, `ExportOnly`, `ImportAndExport`).
    pub servers: Vec<ConnectorServer>,
    /// How often events are imported (`"10 minutes"`).
    pub interval: Option<String>,
    /// Other settings.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Cortex through TheHive: analyzers, jobs, responders, report templates, configuration.
#[derive(Debug, Clone, Copy)]
pub struct Cortex<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Cortex<'_> {
    /// Runs an analyzer on an observable.
    pub async fn run_analyzer(&self, job: &InputJob) -> Result<Job> {
        self.hive.post(&["connector", "cortex", "job"], job).await
    }

    /// Runs several analyzers.
    pub async fn bulk_run_analyzers(&self, jobs: &[InputJob]) -> Result<Vec<Job>> {
        self.hive
            .post(
                &["connector", "cortex", "job", "_bulk"],
                &serde_json::json!({ "jobs": jobs }),
            )
            .await
    }

    /// Gets a job, with its report once finished.
    pub async fn job(&self, id: &JobId) -> Result<Job> {
        self.hive
            .get(&["connector", "cortex", "job", id.as_str()])
            .await
    }

    /// Analyzers offered by the connected Cortex servers; `range` is the legacy paging
    /// parameter (`"all"`, `"0-100"`).
    pub async fn analyzers(&self, range: Option<&str>) -> Result<Vec<Worker>> {
        let mut r = self
            .hive
            .request(Method::GET, &["connector", "cortex", "analyzer"]);
        if let Some(range) = range {
            r = r.query_pair("range", range);
        }
        Ok(r.json().await?)
    }

    /// Gets an analyzer.
    pub async fn analyzer(&self, id: &str) -> Result<Worker> {
        self.hive
            .get(&["connector", "cortex", "analyzer", id])
            .await
    }

    /// Analyzers that accept a data type.
    pub async fn analyzers_for_type(&self, data_type: &str) -> Result<Vec<Worker>> {
        self.hive
            .get(&["connector", "cortex", "analyzer", "type", data_type])
            .await
    }

    /// Runs a responder on an entity.
    pub async fn run_responder(&self, action: &InputAction) -> Result<Action> {
        self.hive
            .post(&["connector", "cortex", "action"], action)
            .await
    }

    /// Runs several responders.
    pub async fn bulk_run_responders(&self, actions: &[InputAction]) -> Result<Vec<Action>> {
        self.hive
            .post(&["connector", "cortex", "actions"], actions)
            .await
    }

    /// Responder actions run on an entity.
    pub async fn actions(&self, entity_type: &str, entity_id: &str) -> Result<Vec<Action>> {
        self.hive
            .get(&["connector", "cortex", "action", entity_type, entity_id])
            .await
    }

    /// Responders that can run on an entity.
    pub async fn responders_for(&self, entity_type: &str, entity_id: &str) -> Result<Vec<Worker>> {
        self.hive
            .get(&["connector", "cortex", "responder", entity_type, entity_id])
            .await
    }

    /// Responders for a kind of entity (`case`, `case_task`, `alert`, `case_artifact` ...).
    pub async fn responders(&self, entity_type: &str) -> Result<Vec<Worker>> {
        self.hive
            .get(&["connector", "cortex", "responders", entity_type])
            .await
    }

    /// Creates a report template for an analyzer.
    pub async fn create_template(&self, analyzer_id: &str, content: &str) -> Result<Value> {
        self.hive
            .post(
                &["connector", "cortex", "analyzer", "template"],
                &serde_json::json!({ "analyzerId": analyzer_id, "content": content }),
            )
            .await
    }

    /// Imports report templates from a zip archive; answers which were imported.
    pub async fn import_templates(&self, archive: &FileUpload) -> Result<Map<String, Value>> {
        let form = soc_http::Multipart::new().part(archive.part("templates"));
        Ok(self
            .hive
            .request(
                Method::POST,
                &["connector", "cortex", "analyzer", "template", "_import"],
            )
            .multipart(form)
            .json()
            .await?)
    }

    /// The report template of an analyzer (HTML).
    pub async fn template_content(&self, analyzer_id: &str) -> Result<String> {
        self.hive
            .get_text(&[
                "connector",
                "cortex",
                "analyzer",
                "template",
                "content",
                analyzer_id,
            ])
            .await
    }

    /// Changes a report template (`{analyzerId?, content?}`).
    pub async fn update_template<B: Serialize + ?Sized>(
        &self,
        template_id: &str,
        fields: &B,
    ) -> Result<Value> {
        Ok(self
            .hive
            .request(
                Method::PATCH,
                &["connector", "cortex", "analyzer", "template", template_id],
            )
            .json_body(fields)
            .json()
            .await?)
    }

    /// Deletes a report template.
    pub async fn delete_template(&self, template_id: &str) -> Result<()> {
        self.hive
            .delete(
                &["connector", "cortex", "analyzer", "template", template_id],
                NO_BODY,
            )
            .await
    }

    /// The connector configuration (servers and their keys).
    pub async fn config(&self) -> Result<CortexConfig> {
        self.hive.get(&["admin", "config", "cortex"]).await
    }

    /// Replaces the connector configuration; takes effect without a restart.
    pub async fn set_config(&self, config: &CortexConfig) -> Result<()> {
        self.hive
            .put_unit(&["admin", "config", "cortex"], Some(config))
            .await
    }

    /// Asks TheHive to reach a server with these settings.
    pub async fn test_server(&self, server: &ConnectorServer) -> Result<Value> {
        Ok(self
            .hive
            .request(Method::POST, &["admin", "config", "cortex", "test"])
            .idempotent(true)
            .json_body(server)
            .json()
            .await?)
    }

    finders!(Job, "analyzer jobs", "listJob", "analyzer-jobs");
}

/// MISP through TheHive: status, synchronisation, export, import, configuration.
#[derive(Debug, Clone, Copy)]
pub struct Misp<'a> {
    pub(crate) hive: &'a TheHive,
}

impl Misp<'_> {
    /// The connector's status and its servers'.
    pub async fn status(&self) -> Result<Value> {
        self.hive.get(&["connector", "misp", "status"]).await
    }

    /// Starts an import of MISP events as alerts now.
    pub async fn sync(&self) -> Result<()> {
        Ok(self
            .hive
            .request(Method::GET, &["connector", "misp", "_syncAlerts"])
            .no_content()
            .await?)
    }

    /// Exports a case to a MISP server as an event.
    pub async fn export_case(&self, case: &CaseId, misp_server: &str) -> Result<()> {
        self.hive
            .post_unit(
                &["connector", "misp", "export", case.as_str(), misp_server],
                NO_BODY,
            )
            .await
    }

    /// Creates a case from a MISP event file; `options` is the `_json` part (`{caseTemplate?,
    /// sharingParameters? ...}`).
    pub async fn import_case<B: Serialize + ?Sized>(
        &self,
        options: &B,
        event: &FileUpload,
    ) -> Result<Case> {
        let form = json_and_files(options, &[("file", event)])?;
        self.hive
            .send_form(Method::POST, &["connector", "misp", "case", "import"], form)
            .await
    }

    /// The connector configuration.
    pub async fn config(&self) -> Result<MispConfig> {
        self.hive.get(&["admin", "config", "misp"]).await
    }

    /// Replaces the connector configuration; takes effect without a restart.
    pub async fn set_config(&self, config: &MispConfig) -> Result<()> {
        self.hive
            .put_unit(&["admin", "config", "misp"], Some(config))
            .await
    }

    /// Asks TheHive to reach a server with these settings.
    pub async fn test_server(&self, server: &ConnectorServer) -> Result<Value> {
        Ok(self
            .hive
            .request(Method::POST, &["admin", "config", "misp", "test"])
            .idempotent(true)
            .json_body(server)
            .json()
            .await?)
    }
}
