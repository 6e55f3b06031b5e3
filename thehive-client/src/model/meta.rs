//! The metadata every TheHive entity carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

/// `_id`, `_type`, `_createdBy`, `_createdAt`, `_updatedBy`, `_updatedAt`: the fields TheHive
/// adds to every entity it returns. Flattened into each model as `meta`.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta<Id> {
    /// Identifier (`~41017472`).
    #[serde(rename = "_id")]
    pub id: Id,
    /// Entity type (`Alert`, `Case`, `Observable` ...).
    #[serde(rename = "_type")]
    pub entity_type: Option<String>,
    /// Login of the creator.
    #[serde(rename = "_createdBy")]
    pub created_by: Option<String>,
    /// Login of the last updater.
    #[serde(rename = "_updatedBy")]
    pub updated_by: Option<String>,
    /// Creation time.
    #[serde(rename = "_createdAt")]
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    #[serde(rename = "_updatedAt")]
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub updated_at: Option<DateTime<Utc>>,
}
