//! Tasks and their logs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{Attachment, LogId, Meta, TaskId};

/// A task as TheHive returns it (`OutputTask`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<TaskId>,
    /// Title.
    pub title: String,
    /// Group.
    pub group: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status: `Waiting`, `InProgress`, `Completed`, `Cancel`.
    pub status: String,
    /// Flag.
    pub flag: Option<bool>,
    /// Start.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Order in its group.
    pub order: Option<i64>,
    /// Due date.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub due_date: Option<DateTime<Utc>>,
    /// Mandatory before the case can close.
    pub mandatory: Option<bool>,
    /// Milliseconds spent.
    pub time_to_handle: Option<i64>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new task (`InputTask`): only the title is required.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputTask {
    /// Title (1 to 128 characters).
    pub title: String,
    /// Group.
    pub group: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Flag.
    pub flag: Option<bool>,
    /// Start.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// End.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub end_date: Option<DateTime<Utc>>,
    /// Order.
    pub order: Option<i64>,
    /// Due date.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub due_date: Option<DateTime<Utc>>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Mandatory.
    pub mandatory: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputTask {
    /// A task with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            group: None,
            description: None,
            status: None,
            flag: None,
            start_date: None,
            end_date: None,
            order: None,
            due_date: None,
            assignee: None,
            mandatory: None,
            extra: Map::new(),
        }
    }

    /// Sets the group.
    #[must_use]
    pub fn group(mut self, g: impl Into<String>) -> Self {
        self.group = Some(g.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Sets the assignee.
    #[must_use]
    pub fn assignee(mut self, login: impl Into<String>) -> Self {
        self.assignee = Some(login.into());
        self
    }

    /// Sets the due date.
    #[must_use]
    pub fn due_date(mut self, d: DateTime<Utc>) -> Self {
        self.due_date = Some(d);
        self
    }

    /// Makes it mandatory.
    #[must_use]
    pub fn mandatory(mut self, yes: bool) -> Self {
        self.mandatory = Some(yes);
        self
    }
}

/// A task log entry (`OutputLog`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<LogId>,
    /// The text (Markdown).
    pub message: String,
    /// When it was written.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub date: DateTime<Utc>,
    /// Attached files.
    pub attachments: Option<Vec<Attachment>>,
    /// Owner login.
    pub owner: Option<String>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new task log (`InputLog`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputLog {
    /// The text.
    pub message: String,
    /// When it was written (default now).
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// Marks the task done.
    pub include_in_timeline: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputLog {
    /// A log with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            start_date: None,
            include_in_timeline: None,
            extra: Map::new(),
        }
    }
}
