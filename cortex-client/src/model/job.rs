//! Jobs: one analyzer or responder run, and its report.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::Meta;

/// A job (`GET /api/job/:id`, or with its report from `/report` and `/waitreport`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta,
    /// The analyzer or responder id.
    pub worker_id: String,
    /// Its name (`VirusTotal_GetReport_3_1`).
    pub worker_name: String,
    /// Its definition id.
    pub worker_definition_id: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// `Waiting`, `InProgress`, `Success`, `Failure`, `Deleted`.
    pub status: JobStatus,
    /// Data type of the input (`ip`, `domain`, `file`, `thehive:case` ...).
    pub data_type: String,
    /// The input value (absent for files; an object for responders).
    pub data: Option<Value>,
    /// The input file, for `file` jobs.
    pub attachment: Option<Value>,
    /// TLP of the input.
    pub tlp: Option<i64>,
    /// PAP of the input.
    pub pap: Option<i64>,
    /// Message.
    pub message: Option<String>,
    /// Parameters.
    pub parameters: Option<Value>,
    /// Start.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// `analyzer` or `responder`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// The error, for failed jobs.
    pub error_message: Option<String>,
    /// The report, when read through `/report` or `/waitreport`.
    pub report: Option<Report>,
    /// Fields this crate does not model (legacy `analyzerId`, `analyzerName`, `date`,
    /// `_routing`, `_version` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Job {
    /// The id to use in routes.
    #[must_use]
    pub fn id(&self) -> &str {
        self.meta.id()
    }

    /// The summary taxonomies of a successful report (empty otherwise).
    #[must_use]
    pub fn taxonomies(&self) -> &[Taxonomy] {
        match &self.report {
            Some(Report::Finished(r)) => {
                r.summary.as_ref().map_or(&[], |s| s.taxonomies.as_slice())
            }
            _ => &[],
        }
    }
}

/// A job's status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobStatus {
    /// Queued.
    Waiting,
    /// Running.
    InProgress,
    /// Finished with a report.
    Success,
    /// Finished with an error.
    Failure,
    /// Deleted.
    Deleted,
    /// A status this crate does not know, kept as sent.
    #[serde(untagged)]
    Other(String),
}

impl JobStatus {
    /// Whether the job will not change any more.
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Success | Self::Failure | Self::Deleted)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Waiting => f.write_str("Waiting"),
            Self::InProgress => f.write_str("InProgress"),
            Self::Success => f.write_str("Success"),
            Self::Failure => f.write_str("Failure"),
            Self::Deleted => f.write_str("Deleted"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// A job's report, whose shape depends on the job's status.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The analyzer succeeded.
    Finished(FinishedReport),
    /// The analyzer failed.
    Failed(FailedReport),
    /// Not finished: Cortex sends a string (`Running`, `Waiting`, `Deleted`).
    Pending(String),
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self::Pending(s)),
            v @ Value::Object(_) if v.get("success") == Some(&Value::Bool(false)) => {
                serde_json::from_value(v)
                    .map(Self::Failed)
                    .map_err(D::Error::custom)
            }
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(Self::Finished)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "a report is an object or a string, not {other}"
            ))),
        }
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Finished(r) => r.serialize(s),
            Self::Failed(r) => r.serialize(s),
            Self::Pending(p) => p.serialize(s),
        }
    }
}

/// The report of a successful job.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedReport {
    /// The short verdicts.
    pub summary: Option<Summary>,
    /// The analyzer's full output (its own shape).
    pub full: Option<Value>,
    /// `true`.
    pub success: Option<bool>,
    /// Observables the analyzer extracted.
    pub artifacts: Option<Vec<Artifact>>,
    /// Operations a responder asks TheHive to run.
    pub operations: Option<Vec<Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The report of a failed job.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedReport {
    /// Why it failed.
    pub error_message: Option<String>,
    /// The input the analyzer received.
    pub input: Option<Value>,
    /// `false`.
    pub success: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"taxonomies": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Verdicts.
    #[serde(default)]
    pub taxonomies: Vec<Taxonomy>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One verdict: `namespace:predicate=value` at a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    /// The level.
    pub level: TaxonomyLevel,
    /// Usually the analyzer (`VT`).
    pub namespace: String,
    /// What was measured (`GetReport`).
    pub predicate: String,
    /// The result (`0/92`, or a number).
    pub value: Value,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A verdict's level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaxonomyLevel {
    /// Informational.
    Info,
    /// Known good.
    Safe,
    /// Suspicious.
    Suspicious,
    /// Malicious.
    Malicious,
    /// A level this crate does not know, kept as sent.
    #[serde(untagged)]
    Other(String),
}

/// An observable an analyzer extracted.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Data type.
    pub data_type: String,
    /// Value (absent for files).
    pub data: Option<String>,
    /// The file, for file artifacts.
    pub attachment: Option<Value>,
    /// Message; `Some(None)` when Cortex sends `null`.
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub message: Option<Option<String>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// TLP.
    pub tlp: Option<i64>,
    /// Fields this crate does not model (`id`, `createdAt` ... on the artifacts route).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a job's state is, as the bulk status route answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// A known status.
    Status(JobStatus),
    /// No job with this id.
    NotFound,
    /// Cortex could not read it (`Error(...)`).
    Error(String),
}

impl JobState {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "NotFound" => Self::NotFound,
            s if s.starts_with("Error(") => Self::Error(s.to_owned()),
            s => Self::Status(
                serde_json::from_value(Value::String(s.to_owned()))
                    .unwrap_or(JobStatus::Other(s.to_owned())),
            ),
        }
    }

    /// Whether it will not change any more (finished, deleted, unknown or unreadable).
    #[must_use]
    pub fn is_final(&self) -> bool {
        match self {
            Self::Status(s) => s.is_final(),
            Self::NotFound | Self::Error(_) => true,
        }
    }
}

/// The input of an analyzer job.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInput {
    /// Data type (`ip`, `domain`, `hash`, `url`, `file` ...).
    pub data_type: String,
    /// The value (not for files).
    pub data: Option<String>,
    /// TLP (Cortex defaults to 2, AMBER).
    pub tlp: Option<i64>,
    /// PAP (Cortex defaults to 2, AMBER).
    pub pap: Option<i64>,
    /// Message.
    pub message: Option<String>,
    /// Analyzer parameters.
    pub parameters: Option<Map<String, Value>>,
    /// Label.
    pub label: Option<String>,
}

impl JobInput {
    /// A value of a data type.
    pub fn new(data_type: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            data_type: data_type.into(),
            data: Some(data.into()),
            tlp: None,
            pap: None,
            message: None,
            parameters: None,
            label: None,
        }
    }

    /// The JSON part of a file job (`dataType: file`); the file travels beside it.
    #[must_use]
    pub fn file() -> Self {
        Self {
            data_type: "file".into(),
            data: None,
            tlp: None,
            pap: None,
            message: None,
            parameters: None,
            label: None,
        }
    }

    /// Sets the TLP.
    #[must_use]
    pub fn tlp(mut self, tlp: i64) -> Self {
        self.tlp = Some(tlp);
        self
    }

    /// Sets the PAP.
    #[must_use]
    pub fn pap(mut self, pap: i64) -> Self {
        self.pap = Some(pap);
        self
    }

    /// Sets the message.
    #[must_use]
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }

    /// Sets a parameter.
    #[must_use]
    pub fn parameter(mut self, k: impl Into<String>, v: impl Into<Value>) -> Self {
        self.parameters
            .get_or_insert_with(Map::new)
            .insert(k.into(), v.into());
        self
    }
}

/// The input of a responder job: a TheHive entity.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponderInput {
    /// `thehive:case`, `thehive:alert`, `thehive:case_task`, `thehive:case_artifact` ...
    pub data_type: String,
    /// The entity, as TheHive returns it.
    pub data: Value,
    /// TLP.
    pub tlp: Option<i64>,
    /// PAP.
    pub pap: Option<i64>,
    /// Message.
    pub message: Option<String>,
    /// Parameters.
    pub parameters: Option<Map<String, Value>>,
}

impl ResponderInput {
    /// A TheHive entity of a type.
    pub fn new(data_type: impl Into<String>, data: Value) -> Self {
        Self {
            data_type: data_type.into(),
            data,
            tlp: None,
            pap: None,
            message: None,
            parameters: None,
        }
    }
}
