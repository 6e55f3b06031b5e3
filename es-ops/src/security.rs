//! Elasticsearch security: API keys, users and roles for service accounts (ElastAlert,
//! Logstash, TheHive). OpenSearch's security plugin has other routes: these answer
//! [`crate::Error::Unsupported`] there.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::{Method, SecretString};

use crate::client::Flavor;
use crate::{Es, Result};

/// A new API key. `Debug` hides the key.
#[derive(Clone, Deserialize)]
pub struct ApiKey {
    /// Key id.
    pub id: String,
    /// Key name.
    pub name: String,
    /// Expiry, epoch ms.
    #[serde(default)]
    pub expiration: Option<u64>,
    /// The secret part.
    pub api_key: SecretString,
    /// `base64(id:api_key)`, what clients send as `Authorization: ApiKey <encoded>`.
    #[serde(default)]
    pub encoded: Option<SecretString>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("expiration", &self.expiration)
            .field("api_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl ApiKey {
    /// The encoded form, computed when the server did not send it (before 7.16).
    #[must_use]
    pub fn encoded(&self) -> SecretString {
        self.encoded
            .clone()
            .unwrap_or_else(|| soc_http::encode_credentials(&self.id, &self.api_key))
    }
}

/// A native user to create or update.
#[derive(Serialize)]
pub struct NewUser<'a> {
    /// Password.
    #[serde(serialize_with = "soc_http::serialize_secret")]
    pub password: &'a SecretString,
    /// Roles.
    pub roles: &'a [&'a str],
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<&'a str>,
}

impl fmt::Debug for NewUser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("roles", &self.roles)
            .field("full_name", &self.full_name)
            .finish_non_exhaustive()
    }
}

/// Security operations (Elasticsearch).
#[derive(Debug, Clone, Copy)]
pub struct Security<'a> {
    pub(crate) es: &'a Es,
}

impl Security<'_> {
    /// Creates an API key with optional role descriptors and expiry (`30d`).
    pub async fn create_api_key(
        &self,
        name: &str,
        role_descriptors: Option<&Value>,
        expiration: Option<&str>,
    ) -> Result<ApiKey> {
        self.es.require(Flavor::Elasticsearch, "API keys").await?;
        let mut body = json!({ "name": name });
        if let Some(r) = role_descriptors {
            body["role_descriptors"] = r.clone();
        }
        if let Some(e) = expiration {
            body["expiration"] = e.into();
        }
        self.es
            .call(Method::POST, &["_security", "api_key"], &[], Some(&body))
            .await
    }

    /// Invalidates API keys by id.
    pub async fn invalidate_api_keys(&self, ids: &[&str]) -> Result<Value> {
        self.es.require(Flavor::Elasticsearch, "API keys").await?;
        let body = json!({ "ids": ids });
        self.es
            .call(Method::DELETE, &["_security", "api_key"], &[], Some(&body))
            .await
    }

    /// Creates or updates a native user; answers whether it was created.
    pub async fn put_user(&self, name: &str, user: &NewUser<'_>) -> Result<bool> {
        self.es
            .require(Flavor::Elasticsearch, "native users")
            .await?;
        let body = serde_json::to_value(user)
            .map_err(|e| crate::Error::InvalidInput(format!("user: {e}")))?;
        let v: Value = self
            .es
            .call(Method::PUT, &["_security", "user", name], &[], Some(&body))
            .await?;
        Ok(v.get("created").and_then(Value::as_bool).unwrap_or(false))
    }

    /// Users by name.
    pub async fn users(&self, name: &str) -> Result<Map<String, Value>> {
        self.es
            .require(Flavor::Elasticsearch, "native users")
            .await?;
        self.es
            .call(Method::GET, &["_security", "user", name], &[], None)
            .await
    }

    /// Deletes a native user.
    pub async fn delete_user(&self, name: &str) -> Result<Value> {
        self.es
            .require(Flavor::Elasticsearch, "native users")
            .await?;
        self.es
            .call(Method::DELETE, &["_security", "user", name], &[], None)
            .await
    }

    /// Creates or updates a role (`{cluster, indices: [{names, privileges}]}`).
    pub async fn put_role(&self, name: &str, role: &Value) -> Result<Value> {
        self.es.require(Flavor::Elasticsearch, "roles").await?;
        self.es
            .call(Method::PUT, &["_security", "role", name], &[], Some(role))
            .await
    }

    /// Roles by name.
    pub async fn roles(&self, name: &str) -> Result<Map<String, Value>> {
        self.es.require(Flavor::Elasticsearch, "roles").await?;
        self.es
            .call(Method::GET, &["_security", "role", name], &[], None)
            .await
    }

    /// Deletes a role.
    pub async fn delete_role(&self, name: &str) -> Result<Value> {
        self.es.require(Flavor::Elasticsearch, "roles").await?;
        self.es
            .call(Method::DELETE, &["_security", "role", name], &[], None)
            .await
    }
}
