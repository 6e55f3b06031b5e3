//! The community: feeds, sharing groups, organisations, users and their keys and settings,
//! roles, blocklists, communities, statistics.

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::{Method, SecretString};

use super::{unwrap, unwrap_list};
use crate::model::{AuthKey, Feed, Organisation, Role, User};
use crate::{Misp, Result};

/// Feeds.
#[derive(Debug, Clone, Copy)]
pub struct Feeds<'a> {
    pub(crate) misp: &'a Misp,
}

impl Feeds<'_> {
    /// Every feed.
    pub async fn list(&self) -> Result<Vec<Feed>> {
        unwrap_list(self.misp.get(&["feeds"]).await?, "Feed")
    }
    /// A feed.
    pub async fn get(&self, id: &str) -> Result<Feed> {
        unwrap(self.misp.get(&["feeds", "view", id]).await?, "Feed")
    }
    /// Adds a feed (`{name, provider, url, source_format, enabled, caching_enabled, ...}`).
    pub async fn add<B: Serialize + ?Sized>(&self, feed: &B) -> Result<Feed> {
        unwrap(
            self.misp
                .post(&["feeds", "add"], &json!({ "Feed": feed }))
                .await?,
            "Feed",
        )
    }
    /// Changes a feed (`PUT /feeds/edit/{id}`).
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        let r = self
            .misp
            .request(Method::PUT, &["feeds", "edit", id])
            .json_body(&json!({ "Feed": fields }));
        crate::client::decode(r).await
    }
    /// Deletes a feed.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["feeds", "delete", id]).await
    }
    /// Enables fetching a feed.
    pub async fn enable(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["feeds", "enable", id]).await
    }
    /// Disables fetching a feed.
    pub async fn disable(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["feeds", "disable", id]).await
    }
    /// Turns caching for correlation on or off.
    pub async fn set_caching(&self, id: &str, enabled: bool) -> Result<Value> {
        self.edit(id, &json!({ "caching_enabled": enabled })).await
    }
    /// Fetches a feed now (a background job).
    pub async fn fetch(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["feeds", "fetchFromFeed", id]).await
    }
    /// Fetches every enabled feed now.
    pub async fn fetch_all(&self) -> Result<Value> {
        self.misp.post_empty(&["feeds", "fetchFromAllFeeds"]).await
    }
    /// Caches feeds: `all`, `freetext`, `misp`, or one feed id.
    pub async fn cache(&self, scope: &str) -> Result<Value> {
        self.misp.post_empty(&["feeds", "cacheFeeds", scope]).await
    }
    /// How cached feeds overlap.
    pub async fn compare(&self) -> Result<Value> {
        self.misp.get(&["feeds", "compareFeeds"]).await
    }
    /// Loads MISP's default feed list.
    pub async fn load_defaults(&self) -> Result<Value> {
        self.misp.post_empty(&["feeds", "loadDefaultFeeds"]).await
    }
}

/// Sharing groups.
#[derive(Debug, Clone, Copy)]
pub struct SharingGroups<'a> {
    pub(crate) misp: &'a Misp,
}

impl SharingGroups<'_> {
    /// Every sharing group (`{"response": [...]}` unwrapped).
    pub async fn list(&self) -> Result<Vec<Value>> {
        let v: Value = self.misp.get(&["sharing_groups"]).await?;
        Ok(match v {
            Value::Object(mut m) => match m.remove("response") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            Value::Array(items) => items,
            _ => Vec::new(),
        })
    }
    /// A sharing group.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["sharing_groups", "view", id]).await
    }
    /// Whether a sharing group exists (`HEAD`).
    pub async fn exists(&self, id: &str) -> Result<bool> {
        self.misp.exists(&["sharing_groups", "view", id]).await
    }
    /// Creates a sharing group (`{name, releasability, description, active}`).
    pub async fn add<B: Serialize + ?Sized>(&self, group: &B) -> Result<Value> {
        self.misp.post(&["sharing_groups", "add"], group).await
    }
    /// Changes a sharing group.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        self.misp
            .post(&["sharing_groups", "edit", id], fields)
            .await
    }
    /// Deletes a sharing group.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["sharing_groups", "delete", id]),
        )
        .await
    }
    /// Adds an organisation.
    pub async fn add_org(&self, id: &str, org_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["sharing_groups", "addOrg", id, org_id])
            .await
    }
    /// Removes an organisation.
    pub async fn remove_org(&self, id: &str, org_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["sharing_groups", "removeOrg", id, org_id])
            .await
    }
    /// Adds a server.
    pub async fn add_server(&self, id: &str, server_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["sharing_groups", "addServer", id, server_id])
            .await
    }
    /// Removes a server.
    pub async fn remove_server(&self, id: &str, server_id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["sharing_groups", "removeServer", id, server_id])
            .await
    }
}

/// Organisations.
#[derive(Debug, Clone, Copy)]
pub struct Organisations<'a> {
    pub(crate) misp: &'a Misp,
}

impl Organisations<'_> {
    /// Organisations (`scope`: `local`, `external` or `all`).
    pub async fn list(&self, scope: &str) -> Result<Vec<Organisation>> {
        let seg = format!("scope:{scope}");
        unwrap_list(
            self.misp.get(&["organisations", "index", &seg]).await?,
            "Organisation",
        )
    }
    /// Every local organisation (`GET /organisations`).
    pub async fn all(&self) -> Result<Vec<Organisation>> {
        unwrap_list(self.misp.get(&["organisations"]).await?, "Organisation")
    }
    /// An organisation.
    pub async fn get(&self, id: &str) -> Result<Organisation> {
        unwrap(
            self.misp.get(&["organisations", "view", id]).await?,
            "Organisation",
        )
    }
    /// Whether an organisation exists (`HEAD`).
    pub async fn exists(&self, id: &str) -> Result<bool> {
        self.misp.exists(&["organisations", "view", id]).await
    }
    /// Creates an organisation (`{name, description, nationality, sector, local}`).
    pub async fn add<B: Serialize + ?Sized>(&self, org: &B) -> Result<Organisation> {
        unwrap(
            self.misp
                .post(
                    &["admin", "organisations", "add"],
                    &json!({ "Organisation": org }),
                )
                .await?,
            "Organisation",
        )
    }
    /// Changes an organisation.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        let r = self
            .misp
            .request(Method::PUT, &["admin", "organisations", "edit", id])
            .json_body(&json!({ "Organisation": fields }));
        crate::client::decode(r).await
    }
    /// Deletes an organisation.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["admin", "organisations", "delete", id]),
        )
        .await
    }
}

/// Users, their API keys, registrations and settings.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) misp: &'a Misp,
}

#[derive(Serialize)]
struct Password<'a> {
    #[serde(serialize_with = "soc_http::serialize_secret")]
    password: &'a SecretString,
}

impl Users<'_> {
    /// Every user (`GET /admin/users`).
    pub async fn list(&self) -> Result<Vec<User>> {
        unwrap_list(self.misp.get(&["admin", "users"]).await?, "User")
    }
    /// A user (`admin/users/view/{id}`).
    pub async fn get(&self, id: &str) -> Result<User> {
        unwrap(
            self.misp.get(&["admin", "users", "view", id]).await?,
            "User",
        )
    }
    /// The caller (`users/view/me`).
    pub async fn me(&self) -> Result<User> {
        unwrap(self.misp.get(&["users", "view", "me"]).await?, "User")
    }
    /// Creates a user (`{email, org_id, role_id, ...}`).
    pub async fn add<B: Serialize + ?Sized>(&self, user: &B) -> Result<User> {
        unwrap(
            self.misp
                .post(&["admin", "users", "add"], &json!({ "User": user }))
                .await?,
            "User",
        )
    }
    /// Changes a user.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        let r = self
            .misp
            .request(Method::PUT, &["admin", "users", "edit", id])
            .json_body(&json!({ "User": fields }));
        crate::client::decode(r).await
    }
    /// Deletes a user.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["admin", "users", "delete", id]),
        )
        .await
    }
    /// Changes the caller's password.
    pub async fn change_password(&self, password: &SecretString) -> Result<Value> {
        self.misp
            .post(&["users", "change_pw"], &Password { password })
            .await
    }
    /// Sends a password reset (or a first-login) e-mail.
    pub async fn initiate_password_reset(&self, id: &str, first_time: bool) -> Result<Value> {
        self.misp
            .post_empty(&[
                "users",
                "initiatePasswordReset",
                id,
                if first_time { "1" } else { "0" },
            ])
            .await
    }
    /// Removes a user's TOTP second factor.
    pub async fn delete_totp(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["users", "totp_delete", id]),
        )
        .await
    }
    /// Self-registrations waiting.
    pub async fn registrations(&self) -> Result<Vec<Value>> {
        self.misp.get(&["users", "registrations", "index"]).await
    }
    /// Accepts a registration (`{org_id, role_id, perm_sync, ...}`).
    pub async fn accept_registration<B: Serialize + ?Sized>(
        &self,
        id: &str,
        settings: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["users", "acceptRegistrations", id], settings)
            .await
    }
    /// Discards a registration.
    pub async fn discard_registration(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["users", "discardRegistrations", id])
            .await
    }
    /// Who was active recently.
    pub async fn heartbeat(&self) -> Result<Value> {
        self.misp.get(&["users", "heartbeat"]).await
    }
    /// User statistics (`context`: `data`, `orgs`, `users`, `tags` ...).
    pub async fn statistics(&self, context: &str) -> Result<Value> {
        self.misp.get(&["users", "statistics", context]).await
    }

    /// API keys (`GET /auth_keys`).
    pub async fn auth_keys(&self) -> Result<Vec<Value>> {
        self.misp.get(&["auth_keys"]).await
    }
    /// API keys matching filters (`POST /auth_keys`).
    pub async fn search_auth_keys(&self, filters: &Value) -> Result<Vec<Value>> {
        self.misp.read(&["auth_keys"], filters).await
    }
    /// Creates an API key for a user (`me` for the caller); the clear key is in the answer, once.
    pub async fn add_auth_key(&self, user_id: &str, comment: Option<&str>) -> Result<AuthKey> {
        let body = comment.map_or_else(|| json!({}), |c| json!({ "comment": c }));
        unwrap(
            self.misp
                .post(&["auth_keys", "add", user_id], &body)
                .await?,
            "AuthKey",
        )
    }
    /// An API key's metadata (never the key).
    pub async fn auth_key(&self, id: &str) -> Result<AuthKey> {
        unwrap(self.misp.get(&["auth_keys", "view", id]).await?, "AuthKey")
    }
    /// Changes an API key's comment, expiry or allowed IPs.
    pub async fn edit_auth_key<B: Serialize + ?Sized>(
        &self,
        id: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp.post(&["auth_keys", "edit", id], fields).await
    }
    /// Revokes an API key.
    pub async fn delete_auth_key(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["auth_keys", "delete", id]),
        )
        .await
    }

    /// Every user setting (`GET /user_settings`).
    pub async fn settings(&self) -> Result<Vec<Value>> {
        self.misp.get(&["user_settings"]).await
    }
    /// User settings matching filters.
    pub async fn search_settings(&self, filters: &Value) -> Result<Vec<Value>> {
        self.misp.read(&["user_settings"], filters).await
    }
    /// A user setting by id.
    pub async fn setting_by_id(&self, id: &str) -> Result<Value> {
        self.misp.get(&["user_settings", "view", id]).await
    }
    /// A user's setting by name.
    pub async fn setting(&self, user_id: &str, name: &str) -> Result<Value> {
        self.misp
            .get(&["user_settings", "getSetting", user_id, name])
            .await
    }
    /// Sets a user's setting (`value` as the setting expects).
    pub async fn set_setting(&self, user_id: &str, name: &str, value: &Value) -> Result<Value> {
        self.misp
            .post(
                &["user_settings", "setSetting", user_id, name],
                &json!({ "value": value }),
            )
            .await
    }
    /// Deletes a user setting.
    pub async fn delete_setting(&self, id: &str) -> Result<Value> {
        crate::client::decode(
            self.misp
                .request(Method::DELETE, &["user_settings", "delete", id]),
        )
        .await
    }
}

/// Roles.
#[derive(Debug, Clone, Copy)]
pub struct Roles<'a> {
    pub(crate) misp: &'a Misp,
}

impl Roles<'_> {
    /// Every role.
    pub async fn list(&self) -> Result<Vec<Role>> {
        unwrap_list(self.misp.get(&["roles", "index"]).await?, "Role")
    }
    /// Creates a role (`{name, perm_add, perm_modify, ...}`).
    pub async fn add<B: Serialize + ?Sized>(&self, role: &B) -> Result<Value> {
        self.misp
            .post(&["admin", "roles", "add"], &json!({ "Role": role }))
            .await
    }
    /// Changes a role.
    pub async fn edit<B: Serialize + ?Sized>(&self, id: &str, fields: &B) -> Result<Value> {
        self.misp
            .post(&["admin", "roles", "edit", id], &json!({ "Role": fields }))
            .await
    }
    /// Makes a role the default for new users.
    pub async fn set_default(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["admin", "roles", "set_default", id])
            .await
    }
    /// Deletes a role.
    pub async fn delete(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["admin", "roles", "delete", id])
            .await
    }
}

/// Event and organisation blocklists.
#[derive(Debug, Clone, Copy)]
pub struct Blocklists<'a> {
    pub(crate) misp: &'a Misp,
}

impl Blocklists<'_> {
    /// Blocked events.
    pub async fn events(&self) -> Result<Vec<Value>> {
        self.misp.get(&["eventBlocklists", "index"]).await
    }
    /// Blocks events by UUID.
    pub async fn block_events(&self, uuids: &[&str], comment: Option<&str>) -> Result<Value> {
        self.misp
            .post(
                &["eventBlocklists", "add"],
                &json!({ "uuids": uuids, "comment": comment }),
            )
            .await
    }
    /// Changes an event block.
    pub async fn edit_event_block<B: Serialize + ?Sized>(
        &self,
        uuid: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["eventBlocklists", "edit", uuid], fields)
            .await
    }
    /// Unblocks an event.
    pub async fn delete_event_block(&self, id: &str) -> Result<Value> {
        self.misp
            .post_empty(&["eventBlocklists", "delete", id])
            .await
    }
    /// Blocked organisations.
    pub async fn organisations(&self) -> Result<Vec<Value>> {
        self.misp.get(&["orgBlocklists", "index"]).await
    }
    /// Blocks organisations by UUID.
    pub async fn block_organisations(
        &self,
        uuids: &[&str],
        comment: Option<&str>,
    ) -> Result<Value> {
        self.misp
            .post(
                &["orgBlocklists", "add"],
                &json!({ "uuids": uuids, "comment": comment }),
            )
            .await
    }
    /// Changes an organisation block.
    pub async fn edit_organisation_block<B: Serialize + ?Sized>(
        &self,
        uuid: &str,
        fields: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["orgBlocklists", "edit", uuid], fields)
            .await
    }
    /// Unblocks an organisation.
    pub async fn delete_organisation_block(&self, id: &str) -> Result<Value> {
        self.misp.post_empty(&["orgBlocklists", "delete", id]).await
    }
}

/// MISP communities.
#[derive(Debug, Clone, Copy)]
pub struct Communities<'a> {
    pub(crate) misp: &'a Misp,
}

impl Communities<'_> {
    /// Known communities.
    pub async fn list(&self) -> Result<Vec<Value>> {
        self.misp.get(&["communities", "index"]).await
    }
    /// A community.
    pub async fn get(&self, id: &str) -> Result<Value> {
        self.misp.get(&["communities", "view", id]).await
    }
    /// Requests access to a community (`{email, org_name, message, ...}`).
    pub async fn request_access<B: Serialize + ?Sized>(
        &self,
        id: &str,
        request: &B,
    ) -> Result<Value> {
        self.misp
            .post(&["communities", "requestAccess", id], request)
            .await
    }
}
