//! Procedures: MITRE ATT&CK techniques observed in an alert or a case (TTPs).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{Meta, ProcedureId};

/// A procedure (`OutputProcedure`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Procedure {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<ProcedureId>,
    /// What was seen.
    pub description: Option<String>,
    /// When it happened.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub occur_date: DateTime<Utc>,
    /// Technique identifier (`T1566.001`).
    pub pattern_id: String,
    /// Technique name.
    pub pattern_name: Option<String>,
    /// Tactic (`initial-access` ...).
    pub tactic: Option<String>,
    /// Tactic label.
    pub tactic_label: Option<String>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new procedure (`InputProcedure`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputProcedure {
    /// When it happened.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub occur_date: DateTime<Utc>,
    /// Technique identifier.
    pub pattern_id: String,
    /// Tactic.
    pub tactic: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputProcedure {
    /// A technique seen at a time.
    pub fn new(pattern_id: impl Into<String>, occur_date: DateTime<Utc>) -> Self {
        Self {
            occur_date,
            pattern_id: pattern_id.into(),
            tactic: None,
            description: None,
            extra: Map::new(),
        }
    }

    /// Sets the tactic.
    #[must_use]
    pub fn tactic(mut self, t: impl Into<String>) -> Self {
        self.tactic = Some(t.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
}

/// A custom field definition (`OutputCustomField`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomField {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Name (the key used in values).
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Group.
    pub group: Option<String>,
    /// Description.
    pub description: String,
    /// `string`, `integer`, `float`, `boolean`, `date` or `url`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Allowed values.
    pub options: Option<Vec<Value>>,
    /// Required on cases.
    pub mandatory: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new custom field (`InputCustomField`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputCustomField {
    /// Name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Group.
    pub group: Option<String>,
    /// Description.
    pub description: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Allowed values.
    pub options: Option<Vec<Value>>,
    /// Required.
    pub mandatory: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputCustomField {
    /// A custom field of a type (`string`, `integer`, `float`, `boolean`, `date`, `url`).
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        kind: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            display_name: None,
            group: None,
            description: description.into(),
            kind: kind.into(),
            options: None,
            mandatory: None,
            extra: Map::new(),
        }
    }
}
