//! The fields Cortex adds to every stored entity.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

/// `_id`, `_type`, `id`, `createdAt`, `createdBy`, `updatedAt`, `updatedBy`. Flattened into each
/// model as `meta`.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Store identifier.
    #[serde(rename = "_id")]
    pub store_id: String,
    /// Entity type (`job`, `user`, `organization`, `worker` ...).
    #[serde(rename = "_type")]
    pub entity_type: Option<String>,
    /// Identifier (same as `_id`).
    pub id: Option<String>,
    /// Creator login.
    pub created_by: Option<String>,
    /// Creation time.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last updater login.
    pub updated_by: Option<String>,
    /// Last update time.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Meta {
    /// The identifier to use in routes.
    #[must_use]
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.store_id)
    }
}
