//! Analyzers and responders ("workers"), their definitions and configurations.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::skip_serializing_none;

use super::Meta;

/// An analyzer or responder enabled in an organisation.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta,
    /// Name (`VirusTotal_GetReport_3_1`).
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// The definition it was enabled from.
    pub worker_definition_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Home page.
    pub url: Option<String>,
    /// Licence.
    pub license: Option<String>,
    /// Data types it accepts.
    pub data_type_list: Option<Vec<String>>,
    /// Configuration (only shown to organisation administrators).
    pub configuration: Option<Value>,
    /// The shared configuration it reads (`VirusTotal`).
    pub base_config: Option<String>,
    /// Rate limit count.
    pub rate: Option<i64>,
    /// Rate limit unit (`Second` .. `Month`).
    pub rate_unit: Option<String>,
    /// Minutes a result is reused for identical input.
    pub job_cache: Option<i64>,
    /// Minutes a job may run.
    pub job_timeout: Option<i64>,
    /// `analyzer` or `responder`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Worker {
    /// The id to use in routes.
    #[must_use]
    pub fn id(&self) -> &str {
        self.meta.id()
    }
}

/// An analyzer or responder that can be enabled (its catalogue entry).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerDefinition {
    /// Identifier (`VirusTotal_GetReport_3_1`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Data types.
    pub data_type_list: Option<Vec<String>>,
    /// Configuration items it needs.
    pub configuration_items: Option<Vec<Value>>,
    /// Shared configuration name; `Some(None)` when Cortex sends `null`.
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub base_config: Option<Option<String>>,
    /// Docker image; `Some(None)` when Cortex sends `null`.
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub docker_image: Option<Option<String>>,
    /// Command (process runner); `Some(None)` when Cortex sends `null`.
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub command: Option<Option<String>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A shared configuration of workers (`/api/analyzerconfig/:name`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerConfig {
    /// Name (`global`, `VirusTotal` ...).
    pub name: String,
    /// Configuration items.
    pub configuration_items: Option<Vec<Value>>,
    /// Values.
    pub config: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How to enable a worker in the caller's organisation
/// (`POST /api/organization/analyzer/:definitionId`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableWorker {
    /// The name to give it (usually the definition id).
    pub name: String,
    /// Its configuration (API keys of the service it calls, `check_tlp`, `max_tlp` ...).
    pub configuration: Map<String, Value>,
    /// Rate limit count.
    pub rate: Option<i64>,
    /// Rate limit unit (`Second`, `Minute`, `Hour`, `Day`, `Month`).
    pub rate_unit: Option<String>,
    /// Minutes a result is reused for identical input.
    pub job_cache: Option<i64>,
    /// Minutes a job may run.
    pub job_timeout: Option<i64>,
}

impl EnableWorker {
    /// Enables under `name` with a configuration.
    pub fn new(name: impl Into<String>, configuration: Map<String, Value>) -> Self {
        Self {
            name: name.into(),
            configuration,
            rate: None,
            rate_unit: None,
            job_cache: None,
            job_timeout: None,
        }
    }
}
