//! Users, organisations and profiles.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::skip_serializing_none;

use super::{Meta, OrganisationId, UserId};

/// A user (`OutputUser`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<UserId>,
    /// Login (an email-like name).
    pub login: String,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Whether an API key is set.
    pub has_key: bool,
    /// Whether a password is set.
    pub has_password: bool,
    /// Whether MFA is on.
    #[serde(rename = "hasMFA")]
    pub has_mfa: Option<bool>,
    /// Whether the account is locked.
    pub locked: bool,
    /// Profile in the current organisation.
    pub profile: String,
    /// Permissions in the current organisation.
    pub permissions: Option<Vec<String>>,
    /// Current organisation.
    pub organisation: String,
    /// Avatar.
    pub avatar: Option<String>,
    /// Organisations and profiles.
    pub organisations: Option<Vec<UserOrganisation>>,
    /// `Normal` or `Service`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Default organisation.
    pub default_organisation: Option<String>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's membership of an organisation.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOrganisation {
    /// Organisation identifier.
    pub organisation_id: Option<String>,
    /// Organisation name.
    pub organisation: String,
    /// Profile there.
    pub profile: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new user (`InputUser`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputUser {
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Profile (`analyst`, `org-admin`, `read-only`, `admin` ...).
    pub profile: String,
    /// Email.
    pub email: Option<String>,
    /// Organisation (default: the caller's).
    pub organisation: Option<String>,
    /// `Normal` or `Service` (service accounts use API keys only).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Initial password. Prefer setting it with `users().set_password`, which takes a secret.
    pub password: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputUser {
    /// A user with its required fields.
    pub fn new(
        login: impl Into<String>,
        name: impl Into<String>,
        profile: impl Into<String>,
    ) -> Self {
        Self {
            login: login.into(),
            name: name.into(),
            profile: profile.into(),
            email: None,
            organisation: None,
            kind: None,
            password: None,
            extra: Map::new(),
        }
    }

    /// Puts the user in an organisation.
    #[must_use]
    pub fn organisation(mut self, org: impl Into<String>) -> Self {
        self.organisation = Some(org.into());
        self
    }

    /// Makes it a service account.
    #[must_use]
    pub fn service(mut self) -> Self {
        self.kind = Some("Service".to_owned());
        self
    }
}

/// An organisation (`OutputOrganisation`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<OrganisationId>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Linked organisations.
    pub links: Option<Vec<OrganisationLink>>,
    /// Avatar.
    pub avatar: Option<String>,
    /// Whether it is locked.
    pub locked: Option<bool>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new organisation (`InputOrganisation`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputOrganisation {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Task rule.
    pub task_rule: Option<String>,
    /// Observable rule.
    pub observable_rule: Option<String>,
    /// Locked.
    pub locked: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputOrganisation {
    /// An organisation with a name and a description.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            task_rule: None,
            observable_rule: None,
            locked: None,
            extra: Map::new(),
        }
    }
}

/// A profile: a named set of permissions (`OutputProfile`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<String>,
    /// Name.
    pub name: String,
    /// Permissions.
    pub permissions: Vec<String>,
    /// Whether it can be changed.
    pub editable: Option<bool>,
    /// Whether it is an admin profile.
    pub is_admin: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new profile (`InputProfile`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputProfile {
    /// Name.
    pub name: String,
    /// Permissions.
    pub permissions: Vec<String>,
}

/// A link from one organisation to another.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationLink {
    /// The other organisation.
    pub to_organisation: String,
    /// This side's link type (`default`, `supervised`, `supervisor`).
    pub link_type: Option<String>,
    /// The other side's link type.
    pub other_link_type: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
