//! Cases: the investigations analysts work in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{CaseId, CustomFields, Meta, Pap, Severity, Tlp};

/// A case as TheHive returns it (`OutputCase`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<CaseId>,
    /// Case number, unique in the organisation.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Severity label.
    pub severity_label: Option<String>,
    /// Start of the investigation.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub start_date: DateTime<Utc>,
    /// End of the investigation.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Flag.
    pub flag: Option<bool>,
    /// TLP.
    pub tlp: Tlp,
    /// TLP label.
    pub tlp_label: Option<String>,
    /// PAP.
    pub pap: Pap,
    /// PAP label.
    pub pap_label: Option<String>,
    /// Status (configurable: `New`, `InProgress`, `TruePositive`, `FalsePositive`, ...).
    pub status: String,
    /// The fixed stage behind the status: `New`, `InProgress`, `Closed`.
    pub stage: Option<String>,
    /// Closing summary.
    pub summary: Option<String>,
    /// Impact status (`NotApplicable`, `WithImpact`, `NoImpact`).
    pub impact_status: Option<String>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Access restriction (kept as sent; `_kind` tells which).
    pub access: Option<Value>,
    /// Custom field values.
    pub custom_fields: Option<CustomFields>,
    /// Permissions of the current user on the case.
    pub user_permissions: Option<Vec<String>>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// When it became New.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub new_date: Option<DateTime<Utc>>,
    /// When work started.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub in_progress_date: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub closed_date: Option<DateTime<Utc>>,
    /// Date of the first alert.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub alert_date: Option<DateTime<Utc>>,
    /// Milliseconds from event to detection.
    pub time_to_detect: Option<i64>,
    /// Milliseconds to triage.
    pub time_to_triage: Option<i64>,
    /// Milliseconds to qualify.
    pub time_to_qualify: Option<i64>,
    /// Milliseconds to acknowledge.
    pub time_to_acknowledge: Option<i64>,
    /// Milliseconds to resolve.
    pub time_to_resolve: Option<i64>,
    /// Milliseconds spent handling.
    pub handling_duration: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new case (`InputCreateCase`). Only `title` and `description` are required.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputCase {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: Option<Severity>,
    /// Start date (default now).
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// End date.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Flag.
    pub flag: Option<bool>,
    /// TLP.
    pub tlp: Option<Tlp>,
    /// PAP.
    pub pap: Option<Pap>,
    /// Status.
    pub status: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Custom field values.
    pub custom_fields: Option<CustomFields>,
    /// Case template to apply.
    pub case_template: Option<String>,
    /// Tasks to create with the case.
    pub tasks: Option<Vec<super::InputTask>>,
    /// Pages to create with the case.
    pub pages: Option<Vec<Value>>,
    /// Sharing profile.
    pub sharing_parameters: Option<Vec<Value>>,
    /// Task rule.
    pub task_rule: Option<String>,
    /// Observable rule.
    pub observable_rule: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputCase {
    /// A case with its required fields.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: description.into(),
            severity: None,
            start_date: None,
            end_date: None,
            tags: None,
            flag: None,
            tlp: None,
            pap: None,
            status: None,
            summary: None,
            assignee: None,
            custom_fields: None,
            case_template: None,
            tasks: None,
            pages: None,
            sharing_parameters: None,
            task_rule: None,
            observable_rule: None,
            extra: Map::new(),
        }
    }

    /// Sets the severity.
    #[must_use]
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }

    /// Sets the TLP.
    #[must_use]
    pub fn tlp(mut self, t: Tlp) -> Self {
        self.tlp = Some(t);
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.get_or_insert_with(Vec::new).push(t.into());
        self
    }

    /// Applies a case template.
    #[must_use]
    pub fn case_template(mut self, t: impl Into<String>) -> Self {
        self.case_template = Some(t.into());
        self
    }

    /// Sets the assignee.
    #[must_use]
    pub fn assignee(mut self, login: impl Into<String>) -> Self {
        self.assignee = Some(login.into());
        self
    }
}

/// Changes to a case (`PATCH`). Only the fields set are sent; `Some(None)` clears a field.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseUpdate {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Start date.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// End date.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Tags (replaces the list).
    pub tags: Option<Vec<String>>,
    /// Flag.
    pub flag: Option<bool>,
    /// TLP.
    pub tlp: Option<Tlp>,
    /// PAP.
    pub pap: Option<Pap>,
    /// Status (a closing status such as `TruePositive` closes the case).
    pub status: Option<String>,
    /// Summary (`Some(None)` clears it).
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub summary: Option<Option<String>>,
    /// Assignee (`Some(None)` unassigns).
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub assignee: Option<Option<String>>,
    /// Impact status.
    pub impact_status: Option<String>,
    /// Custom fields.
    pub custom_fields: Option<CustomFields>,
    /// Task rule.
    pub task_rule: Option<String>,
    /// Observable rule.
    pub observable_rule: Option<String>,
    /// Other fields to set.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
