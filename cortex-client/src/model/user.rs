//! Users, organisations and the platform status.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::skip_serializing_none;

use super::Meta;

/// A user. Cortex sends no `login` field: the login is the id ([`User::login`]).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta,
    /// Full name.
    pub name: String,
    /// Roles: `read`, `analyze`, `orgadmin`, `superadmin`.
    pub roles: Vec<String>,
    /// `Ok` or `Locked`.
    pub status: String,
    /// Organisation.
    pub organization: String,
    /// Whether an API key is set.
    pub has_key: Option<bool>,
    /// Whether a password is set.
    pub has_password: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// The login (the user's id).
    #[must_use]
    pub fn login(&self) -> &str {
        self.meta.id()
    }

    /// Whether the account is locked.
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.status == "Locked"
    }
}

/// A new user.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputUser {
    /// Login (Cortex lower-cases it).
    pub login: String,
    /// Full name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Organisation (the caller's by default).
    pub organization: Option<String>,
}

impl InputUser {
    /// A user with roles such as `["read", "analyze"]`.
    pub fn new<S: Into<String>>(
        login: impl Into<String>,
        name: impl Into<String>,
        roles: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            login: login.into(),
            name: name.into(),
            roles: roles.into_iter().map(Into::into).collect(),
            organization: None,
        }
    }

    /// Puts the user in an organisation.
    #[must_use]
    pub fn organization(mut self, org: impl Into<String>) -> Self {
        self.organization = Some(org.into());
        self
    }
}

/// An organisation.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `Active` or `Locked`.
    pub status: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputOrganization {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `Active` or `Locked`.
    pub status: String,
}

impl InputOrganization {
    /// An active organisation.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            status: "Active".into(),
        }
    }
}

/// `GET /api/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Component versions (`Cortex`, `Elastic4Play`, `Play` ...).
    pub versions: Map<String, Value>,
    /// Public configuration (`authType`, `capabilities` ...).
    pub config: Map<String, Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Status {
    /// Cortex's version.
    #[must_use]
    pub fn cortex_version(&self) -> Option<&str> {
        self.versions.get("Cortex")?.as_str()
    }
}

/// Who a login authenticated (`POST /api/login`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedIn {
    /// The login.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
