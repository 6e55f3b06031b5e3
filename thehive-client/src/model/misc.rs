//! Case templates, pages, observable types, shares, timelines, links, statuses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{Meta, ShareId};

/// A case template (`OutputCaseTemplate`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseTemplate {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Prefix of the titles of cases made from it.
    pub title_prefix: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Severity.
    pub severity: Option<super::Severity>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Tasks it creates.
    pub tasks: Option<Vec<Value>>,
    /// Custom fields.
    pub custom_fields: Option<super::CustomFields>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of a case or of the organisation knowledge base (`OutputCasePage`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Title.
    pub title: String,
    /// Content (Markdown).
    pub content: String,
    /// Category.
    pub category: String,
    /// Order.
    pub order: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new page, or a page template (`InputCasePage` / `InputPageTemplate`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputPage {
    /// Title.
    pub title: String,
    /// Content.
    pub content: String,
    /// Category.
    pub category: String,
    /// Order.
    pub order: Option<i64>,
}

impl InputPage {
    /// A page.
    pub fn new(
        title: impl Into<String>,
        content: impl Into<String>,
        category: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            content: content.into(),
            category: category.into(),
            order: None,
        }
    }
}

/// An observable type (`OutputObservableType`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservableType {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Name (`ip`, `domain` ...).
    pub name: String,
    /// Whether values are files.
    pub is_attachment: bool,
    /// Validation regex.
    pub validation_regex: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A share of a case with an organisation (`OutputShare`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<ShareId>,
    /// Case id.
    pub case_id: String,
    /// Organisation name.
    pub organisation_name: String,
    /// Organisation id.
    pub organisation_id: Option<String>,
    /// Profile the organisation has on the case.
    pub profile_name: String,
    /// Whether the organisation owns the case.
    pub owner: bool,
    /// Tasks shared: `all`, `none` or `manual`.
    pub task_rule: Option<String>,
    /// Observables shared: `all`, `none` or `manual`.
    pub observable_rule: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A share to create (`InputShare`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputShare {
    /// Organisation name or id.
    pub organisation: String,
    /// Whether it becomes an owner.
    pub share: Option<bool>,
    /// Profile (`analyst`, `read-only` ...).
    pub profile: Option<String>,
    /// Task rule.
    pub task_rule: Option<String>,
    /// Observable rule.
    pub observable_rule: Option<String>,
}

impl InputShare {
    /// Shares with an organisation under a profile.
    pub fn new(organisation: impl Into<String>, profile: impl Into<String>) -> Self {
        Self {
            organisation: organisation.into(),
            share: Some(true),
            profile: Some(profile.into()),
            task_rule: None,
            observable_rule: None,
        }
    }
}

/// A case timeline (`OutputTimeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Events, oldest first.
    pub events: Vec<TimelineEvent>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One event of a timeline (`OutputTimelineEvent`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// Kind of event (`CaseCreated`, `TaskCompleted`, `Custom` ...).
    pub kind: String,
    /// When it happened.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub date: DateTime<Utc>,
    /// End, for ranges.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// What it is about.
    pub entity: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Details.
    pub details: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A custom timeline event (`InputCustomEvent`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputCustomEvent {
    /// When it happened.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub date: DateTime<Utc>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
}

/// A link between cases (`OutputCaseLink`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseLink {
    /// Identifier and audit fields of the linked case.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Case number.
    pub number: Option<u64>,
    /// Title.
    pub title: Option<String>,
    /// Link type.
    pub link_type: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An alert or case status definition (`OutputAlertStatus` / `OutputCaseStatus`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDefinition {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// The status value.
    pub value: String,
    /// The fixed stage it belongs to.
    pub stage: String,
    /// Display order.
    pub order: Option<i64>,
    /// Colour (`#E6A23C`).
    pub colour: Option<String>,
    /// Hidden from pickers.
    pub hidden: Option<bool>,
    /// Description.
    pub description: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The platform status (`GET /api/v1/status`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// TheHive's version (`5.7.3-1`). Releases before 5.3 sent a `versions` map instead,
    /// kept in `extra`.
    pub version: Option<String>,
    /// Git description of the build.
    pub git_description: Option<String>,
    /// Connectors (`cortex`, `misp`) and their health.
    pub connectors: Option<Map<String, Value>>,
    /// Public configuration.
    pub config: Option<Map<String, Value>>,
    /// Licence summary.
    pub license: Option<Value>,
    /// Cluster state.
    pub cluster: Option<Value>,
    /// Database schema status.
    pub schema_status: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Status {
    /// TheHive's version, from `version` or the older `versions.TheHive`.
    #[must_use]
    pub fn thehive_version(&self) -> Option<&str> {
        self.version
            .as_deref()
            .or_else(|| self.extra.get("versions")?.get("TheHive")?.as_str())
    }
}

/// The unauthenticated status (`GET /api/v1/status/public`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicStatus {
    /// Versions.
    pub version: Option<Value>,
    /// SSO settings.
    pub sso: Option<Value>,
    /// SSO providers.
    pub sso_providers: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
