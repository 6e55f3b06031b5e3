//! Alerts: what detection tools send to TheHive before an analyst triages it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{
    AlertId, CaseId, CustomFields, InputObservable, InputProcedure, Meta, Pap, Severity, Tlp,
};

/// An alert as TheHive returns it (`OutputAlert`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<AlertId>,
    /// Alert type (with `source` and `source_ref`, unique).
    #[serde(rename = "type")]
    pub kind: String,
    /// The tool that raised it.
    pub source: String,
    /// The reference of the alert in its source.
    pub source_ref: String,
    /// A link back to the source.
    pub external_link: Option<String>,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Severity label (`LOW` .. `CRITICAL`).
    pub severity_label: Option<String>,
    /// When the event happened.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub date: DateTime<Utc>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// TLP.
    pub tlp: Tlp,
    /// TLP label.
    pub tlp_label: Option<String>,
    /// PAP.
    pub pap: Pap,
    /// PAP label.
    pub pap_label: Option<String>,
    /// Whether updates are followed.
    pub follow: Option<bool>,
    /// Custom field values.
    pub custom_fields: Option<CustomFields>,
    /// Case template applied on promotion.
    pub case_template: Option<String>,
    /// Number of observables.
    pub observable_count: Option<u64>,
    /// The case it was promoted to or merged into.
    pub case_id: Option<CaseId>,
    /// Status (configurable per organisation: `New`, `InProgress`, `Imported` ...).
    pub status: String,
    /// The fixed stage behind the status: `New`, `InProgress`, `Closed`, `Imported`.
    pub stage: Option<String>,
    /// Assigned user.
    pub assignee: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// When it became New.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub new_date: Option<DateTime<Utc>>,
    /// When work on it started.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub in_progress_date: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub closed_date: Option<DateTime<Utc>>,
    /// When it was imported into a case.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub imported_date: Option<DateTime<Utc>>,
    /// Milliseconds from event to alert.
    pub time_to_detect: Option<i64>,
    /// Milliseconds to triage.
    pub time_to_triage: Option<i64>,
    /// Milliseconds to qualify.
    pub time_to_qualify: Option<i64>,
    /// Milliseconds to acknowledge.
    pub time_to_acknowledge: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new alert (`InputCreateAlert`). `type`, `source`, `sourceRef`, `title` and `description`
/// are required; the rest are set with the builder methods.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputAlert {
    /// Alert type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Source tool.
    pub source: String,
    /// Reference in the source.
    pub source_ref: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link back to the source.
    pub external_link: Option<String>,
    /// Severity (default MEDIUM).
    pub severity: Option<Severity>,
    /// Event time (default now).
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub date: Option<DateTime<Utc>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Flag.
    pub flag: Option<bool>,
    /// TLP (default AMBER).
    pub tlp: Option<Tlp>,
    /// PAP (default AMBER).
    pub pap: Option<Pap>,
    /// Custom field values.
    pub custom_fields: Option<CustomFields>,
    /// Summary.
    pub summary: Option<String>,
    /// Initial status.
    pub status: Option<String>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Case template to apply on promotion.
    pub case_template: Option<String>,
    /// Observables created with the alert. A file observable's `attachment` names the
    /// multipart part that carries the file.
    pub observables: Option<Vec<InputObservable>>,
    /// TTPs.
    pub procedures: Option<Vec<InputProcedure>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputAlert {
    /// An alert with its required fields.
    pub fn new(
        kind: impl Into<String>,
        source: impl Into<String>,
        source_ref: impl Into<String>,
        title: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            source: source.into(),
            source_ref: source_ref.into(),
            title: title.into(),
            description: description.into(),
            external_link: None,
            severity: None,
            date: None,
            tags: None,
            flag: None,
            tlp: None,
            pap: None,
            custom_fields: None,
            summary: None,
            status: None,
            assignee: None,
            case_template: None,
            observables: None,
            procedures: None,
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

    /// Sets the PAP.
    #[must_use]
    pub fn pap(mut self, p: Pap) -> Self {
        self.pap = Some(p);
        self
    }

    /// Sets the event time.
    #[must_use]
    pub fn date(mut self, d: DateTime<Utc>) -> Self {
        self.date = Some(d);
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.get_or_insert_with(Vec::new).push(t.into());
        self
    }

    /// Adds an observable.
    #[must_use]
    pub fn observable(mut self, o: InputObservable) -> Self {
        self.observables.get_or_insert_with(Vec::new).push(o);
        self
    }

    /// Sets the link back to the source.
    #[must_use]
    pub fn external_link(mut self, l: impl Into<String>) -> Self {
        self.external_link = Some(l.into());
        self
    }

    /// Sets the case template applied on promotion.
    #[must_use]
    pub fn case_template(mut self, t: impl Into<String>) -> Self {
        self.case_template = Some(t.into());
        self
    }
}

/// Changes to an alert (`PATCH`). Only the fields set are sent; a field set to `Some(None)` is
/// cleared.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertUpdate {
    /// Alert type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Source reference.
    pub source_ref: Option<String>,
    /// Link back to the source (`Some(None)` clears it).
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub external_link: Option<Option<String>>,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Event time.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub date: Option<DateTime<Utc>>,
    /// Last sync time.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub last_sync_date: Option<DateTime<Utc>>,
    /// Tags (replaces the list).
    pub tags: Option<Vec<String>>,
    /// TLP.
    pub tlp: Option<Tlp>,
    /// PAP.
    pub pap: Option<Pap>,
    /// Follow updates.
    pub follow: Option<bool>,
    /// Custom fields.
    pub custom_fields: Option<CustomFields>,
    /// Status.
    pub status: Option<String>,
    /// Summary (`Some(None)` clears it).
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub summary: Option<Option<String>>,
    /// Assignee (`Some(None)` unassigns).
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub assignee: Option<Option<String>>,
    /// Other fields to set.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Promotion of an alert to a case (`InputPromoteAlert`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoteAlert {
    /// Case template to apply.
    pub case_template: Option<String>,
    /// Other fields of the new case.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
