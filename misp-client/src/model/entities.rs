//! Users, keys, feeds, settings, and the generic record of the other entities.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none};
use soc_http::SecretString;

use crate::wire::{LooseBool, StrInt};

/// An entity of a kind this crate does not model field by field (sharing groups, servers,
/// taxonomies, warninglists ...): id and uuid typed when present, the rest as sent.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Id.
    #[serde_as(as = "Option<StrInt>")]
    #[serde(default)]
    pub id: Option<i64>,
    /// UUID.
    pub uuid: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A user.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// E-mail (the login).
    pub email: String,
    /// Organisation id.
    #[serde_as(as = "StrInt")]
    pub org_id: i64,
    /// Role id.
    #[serde_as(as = "StrInt")]
    pub role_id: i64,
    /// Whether the account is disabled.
    #[serde_as(as = "LooseBool")]
    pub disabled: bool,
    /// Fields this crate does not model (`authkey` is redacted by MISP; `last_login`,
    /// `change_pw`, `autoalert` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new API key (`auth_keys/add`): the clear key is shown once.
#[derive(Clone, Deserialize)]
pub struct AuthKey {
    /// Id.
    #[serde(default)]
    pub id: Option<Value>,
    /// UUID.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The user it belongs to.
    #[serde(default)]
    pub user_id: Option<Value>,
    /// The clear key (only in the answer to its creation).
    #[serde(default)]
    pub authkey_raw: Option<SecretString>,
    /// Every other field (`authkey_start`, `authkey_end`, `expiration`, `comment` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &self.id)
            .field("uuid", &self.uuid)
            .field("user_id", &self.user_id)
            .field(
                "authkey_raw",
                &self.authkey_raw.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

/// A feed.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// Id.
    #[serde_as(as = "StrInt")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// URL.
    pub url: String,
    /// `misp`, `freetext` or `csv`.
    pub source_format: String,
    /// Whether it is fetched.
    #[serde_as(as = "LooseBool")]
    pub enabled: bool,
    /// Whether it is cached for correlation.
    #[serde_as(as = "LooseBool")]
    pub caching_enabled: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A server setting (`servers/getSetting/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// Name (`MISP.redis_host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Current value.
    pub value: Value,
    /// `string`, `boolean` or `numeric`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Fields this crate does not model (`level`, `description`, `errorMessage`, `test` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A value to write to a setting. Booleans go as JSON booleans: MISP casts the string
/// `"false"` to true.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
}

impl Serialize for SettingValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Int(n) => s.serialize_i64(*n),
            Self::Text(t) => s.serialize_str(t),
        }
    }
}

impl From<bool> for SettingValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for SettingValue {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<&str> for SettingValue {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}
