//! Types shared by every entity: identifiers, TLP/PAP/severity, custom fields, attachments.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier as TheHive prints it (`~123456`).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&$name> for $name {
            fn from(s: &$name) -> Self {
                s.clone()
            }
        }
    };
}

id_type!(
    /// The identifier of an alert, or its `type;source;sourceRef` triple.
    AlertId
);
id_type!(
    /// The identifier of a case (`~123`), or its number.
    CaseId
);
id_type!(
    /// The identifier of an observable.
    ObservableId
);
id_type!(
    /// The identifier of a task.
    TaskId
);
id_type!(
    /// The identifier of a task log.
    LogId
);
id_type!(
    /// The identifier of a comment.
    CommentId
);
id_type!(
    /// The identifier of a user (`~id`) or its login.
    UserId
);
id_type!(
    /// The identifier of an organisation (`~id`) or its name.
    OrganisationId
);
id_type!(
    /// The identifier of a procedure (a TTP).
    ProcedureId
);
id_type!(
    /// The identifier of an attachment.
    AttachmentId
);
id_type!(
    /// The identifier of a Cortex job as TheHive knows it.
    JobId
);
id_type!(
    /// The identifier of a share of a case with an organisation.
    ShareId
);

/// Traffic Light Protocol level, as TheHive numbers it since 5.2 (RED moved from 3 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (0).
    Clear,
    /// TLP:GREEN (1).
    Green,
    /// TLP:AMBER (2).
    Amber,
    /// TLP:AMBER+STRICT (3).
    AmberStrict,
    /// TLP:RED (4).
    Red,
    /// A value this crate does not know, kept as sent.
    Other(i64),
}

/// Permissible Actions Protocol level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pap {
    /// PAP:CLEAR (0).
    Clear,
    /// PAP:GREEN (1).
    Green,
    /// PAP:AMBER (2).
    Amber,
    /// PAP:RED (3).
    Red,
    /// A value this crate does not know, kept as sent.
    Other(i64),
}

/// Alert and case severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// LOW (1).
    Low,
    /// MEDIUM (2).
    Medium,
    /// HIGH (3).
    High,
    /// CRITICAL (4).
    Critical,
    /// A value this crate does not know, kept as sent.
    Other(i64),
}

macro_rules! int_enum {
    ($ty:ident { $($variant:ident = $n:literal),* }) => {
        impl $ty {
            /// The number TheHive uses on the wire.
            #[must_use]
            pub fn as_i64(self) -> i64 {
                match self {
                    $(Self::$variant => $n,)*
                    Self::Other(n) => n,
                }
            }

            /// The level for a number TheHive sent.
            #[must_use]
            pub fn from_i64(n: i64) -> Self {
                match n {
                    $($n => Self::$variant,)*
                    n => Self::Other(n),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.as_i64())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                i64::deserialize(d).map(Self::from_i64)
            }
        }
    };
}

int_enum!(Tlp { Clear = 0, Green = 1, Amber = 2, AmberStrict = 3, Red = 4 });
int_enum!(Pap { Clear = 0, Green = 1, Amber = 2, Red = 3 });
int_enum!(Severity { Low = 1, Medium = 2, High = 3, Critical = 4 });

/// Custom field values: TheHive answers a list; inputs may also be a `name -> value` map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CustomFields {
    /// The list form, with order and type.
    List(Vec<CustomFieldValue>),
    /// The `name -> value` form.
    Map(Map<String, Value>),
}

/// One custom field value on an alert or a case.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    /// Identifier of the value (output only).
    #[serde(rename = "_id")]
    pub id: Option<String>,
    /// The custom field's name.
    pub name: String,
    /// Its type (`string`, `integer`, `float`, `boolean`, `date`, `url`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The value; an explicit `null` (unset) is kept as `Some(Value::Null)`.
    #[serde(default, deserialize_with = "present")]
    pub value: Option<Value>,
    /// Display order.
    pub order: Option<i64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CustomFieldValue {
    /// A value for the custom field `name`.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            id: None,
            name: name.into(),
            kind: None,
            value: Some(value.into()),
            order: None,
            extra: Map::new(),
        }
    }
}

/// Keeps a present field, `null` included, as `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A stored file as TheHive describes it.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Identifier.
    #[serde(rename = "_id")]
    pub id: AttachmentId,
    /// Entity type (`Attachment`).
    #[serde(rename = "_type")]
    pub entity_type: Option<String>,
    /// Creator.
    #[serde(rename = "_createdBy")]
    pub created_by: Option<String>,
    /// Creation time.
    #[serde(rename = "_createdAt")]
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub created_at: Option<DateTime<Utc>>,
    /// File name.
    pub name: String,
    /// Hashes of the content (SHA-256, SHA-1, MD5).
    pub hashes: Option<Vec<String>>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub content_type: Option<String>,
    /// Storage identifier (usually the SHA-256).
    #[serde(rename = "id")]
    pub storage_id: Option<String>,
    /// Path in an uploaded archive.
    pub path: Option<String>,
    /// Extra data requested with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Whether the file lives outside TheHive.
    pub external: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of the attachment upload routes: `{"attachments": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachments {
    /// The stored files.
    pub attachments: Vec<Attachment>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entity of a kind this crate does not model field by field (dashboards, taxonomies,
/// functions ...): its common metadata typed, everything else kept in `fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: super::Meta<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// TheHive's error body: `{"type": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// The error type (`NotFoundError`, `CreateError`, `AuthorizationError` ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The message.
    pub message: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
