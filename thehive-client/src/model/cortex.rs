//! Cortex analyzers, responders, jobs and actions as TheHive's connector exposes them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{JobId, Meta};

/// An analyzer or a responder known to the connected Cortex servers (`OutputWorker`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    /// Identifier (analyzer id).
    pub id: String,
    /// Name (`VirusTotal_GetReport_3_1`).
    pub name: String,
    /// Version (absent from the responder list by entity type).
    pub version: Option<String>,
    /// Description.
    pub description: String,
    /// Data types it accepts.
    pub data_type_list: Option<Vec<String>>,
    /// The Cortex servers that offer it.
    pub cortex_ids: Option<Vec<String>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An analyzer job run through TheHive (`OutputJob`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<JobId>,
    /// Analyzer id.
    pub analyzer_id: String,
    /// Analyzer name.
    pub analyzer_name: String,
    /// Analyzer definition.
    pub analyzer_definition: Option<String>,
    /// `Waiting`, `InProgress`, `Success`, `Failure`, `Deleted`.
    pub status: String,
    /// Start.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub start_date: DateTime<Utc>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// The report, once finished (`summary`, `full`, `success`, `artifacts` ...).
    pub report: Option<Map<String, Value>>,
    /// Cortex server.
    pub cortex_id: String,
    /// Job id in Cortex.
    pub cortex_job_id: String,
    /// The observable analysed.
    pub case_artifact: Option<Value>,
    /// Operations run after the job.
    pub operations: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new analyzer job (`InputJob`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputJob {
    /// Analyzer id.
    pub analyzer_id: String,
    /// Cortex server name.
    pub cortex_id: String,
    /// Observable id.
    pub artifact_id: String,
    /// Analyzer parameters.
    pub parameters: Option<Map<String, Value>>,
}

impl InputJob {
    /// Runs `analyzer_id` of Cortex server `cortex_id` on observable `artifact_id`.
    pub fn new(
        analyzer_id: impl Into<String>,
        cortex_id: impl Into<String>,
        artifact_id: impl Into<String>,
    ) -> Self {
        Self {
            analyzer_id: analyzer_id.into(),
            cortex_id: cortex_id.into(),
            artifact_id: artifact_id.into(),
            parameters: None,
        }
    }
}

/// A responder action (`OutputAction`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Responder id.
    pub responder_id: String,
    /// Responder name.
    pub responder_name: Option<String>,
    /// Responder definition.
    pub responder_definition: Option<String>,
    /// Cortex server.
    pub cortex_id: Option<String>,
    /// Job id in Cortex.
    pub cortex_job_id: Option<String>,
    /// Target entity type.
    pub object_type: String,
    /// Target entity id.
    pub object_id: String,
    /// `Waiting`, `InProgress`, `Success`, `Failure`.
    pub status: String,
    /// Start.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub start_date: DateTime<Utc>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Operations requested by the responder.
    pub operations: Option<Value>,
    /// Report: the spec says a string, some servers send an object.
    pub report: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A responder run on an entity (`InputAction`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputAction {
    /// Responder id.
    pub responder_id: String,
    /// Cortex server (optional with one server).
    pub cortex_id: Option<String>,
    /// Target entity type (`case`, `case_task`, `alert`, `case_artifact` ...).
    pub object_type: String,
    /// Target entity id.
    pub object_id: String,
    /// Parameters.
    pub parameters: Option<Map<String, Value>>,
    /// TLP.
    pub tlp: Option<super::Tlp>,
}

impl InputAction {
    /// Runs `responder_id` on an entity.
    pub fn new(
        responder_id: impl Into<String>,
        object_type: impl Into<String>,
        object_id: impl Into<String>,
    ) -> Self {
        Self {
            responder_id: responder_id.into(),
            cortex_id: None,
            object_type: object_type.into(),
            object_id: object_id.into(),
            parameters: None,
            tlp: None,
        }
    }
}
