//! Comments on alerts and cases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::CommentId;

/// A comment (`OutputComment`). Unlike other entities, its audit fields carry no leading
/// underscore (`createdBy`, `createdAt`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Identifier.
    #[serde(rename = "_id")]
    pub id: CommentId,
    /// Entity type.
    #[serde(rename = "_type")]
    pub entity_type: Option<String>,
    /// Author login.
    pub created_by: String,
    /// Creation time.
    #[serde_as(as = "TimestampMilliSeconds<i64>")]
    pub created_at: DateTime<Utc>,
    /// Last editor.
    pub updated_by: Option<String>,
    /// Last edit time.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The text (Markdown).
    pub message: String,
    /// Whether it was edited.
    pub is_edited: Option<bool>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new comment, or the new text of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputComment {
    /// The text.
    pub message: String,
}

impl InputComment {
    /// A comment with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
