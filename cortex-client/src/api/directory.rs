//! Users (`/api/user`) and organisations (`/api/organization`).

use futures_util::Stream;
use serde::Serialize;
use serde_json::{json, Value};
use soc_http::{Method, SecretString};

use super::Listed;
use crate::model::{InputOrganization, InputUser, Organization, User};
use crate::query::{ListOptions, Q};
use crate::{Cortex, Result};

/// Users and their credentials.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) cortex: &'a Cortex,
}

#[derive(Serialize)]
struct Password<'a> {
    #[serde(serialize_with = "soc_http::serialize_secret")]
    password: &'a SecretString,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangePassword<'a> {
    #[serde(serialize_with = "soc_http::serialize_secret")]
    current_password: &'a SecretString,
    #[serde(serialize_with = "soc_http::serialize_secret")]
    password: &'a SecretString,
}

#[derive(Serialize)]
struct Key<'a> {
    #[serde(serialize_with = "soc_http::serialize_secret")]
    key: &'a SecretString,
}

impl Users<'_> {
    /// The user the client authenticates as.
    pub async fn current(&self) -> Result<User> {
        self.cortex.get(&["user", "current"]).await
    }

    /// Every user the caller may see (`GET /api/user`).
    pub async fn list(&self, opts: &ListOptions) -> Result<Listed<User>> {
        self.cortex.list(&["user"], opts).await.map(Into::into)
    }

    /// Users matching a query (`POST /api/user/_search`).
    pub async fn search(&self, query: &Q, opts: &ListOptions) -> Result<Listed<User>> {
        self.cortex
            .search(
                Method::POST,
                &["user", "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Every user matching a query, `page_size` at a time.
    pub fn stream(&self, query: Q, page_size: u64) -> impl Stream<Item = Result<User>> + 'static {
        self.cortex.stream_search(
            vec!["user".into(), "_search".into()],
            query,
            ListOptions::new(),
            page_size,
        )
    }

    /// Users of the caller's organisation (`GET /api/organization/user`).
    pub async fn in_my_organization(&self, opts: &ListOptions) -> Result<Listed<User>> {
        self.cortex
            .list(&["organization", "user"], opts)
            .await
            .map(Into::into)
    }

    /// Users of the caller's organisation matching a query.
    pub async fn search_in_my_organization(
        &self,
        query: &Q,
        opts: &ListOptions,
    ) -> Result<Listed<User>> {
        self.cortex
            .search(
                Method::POST,
                &["organization", "user", "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Creates a user.
    pub async fn create(&self, user: &InputUser) -> Result<User> {
        self.cortex.post(&["user"], user).await
    }

    /// Gets a user by login.
    pub async fn get(&self, login: &str) -> Result<User> {
        self.cortex.get(&["user", login]).await
    }

    /// Changes fields (`{name?, roles?, status?, organization?}`).
    pub async fn update<B: Serialize + ?Sized>(&self, login: &str, fields: &B) -> Result<User> {
        self.cortex.patch(&["user", login], fields).await
    }

    /// Deletes a user. Cortex 4.1 and earlier refuse this (500 "user can't be removed"):
    /// [`Users::lock`] is how an account is retired there.
    pub async fn delete(&self, login: &str) -> Result<()> {
        self.cortex
            .unit(Method::DELETE, &["user", login], None)
            .await
    }

    /// Locks the account.
    pub async fn lock(&self, login: &str) -> Result<User> {
        self.update(login, &json!({ "status": "Locked" })).await
    }

    /// Unlocks the account.
    pub async fn unlock(&self, login: &str) -> Result<User> {
        self.update(login, &json!({ "status": "Ok" })).await
    }

    /// Sets a password (an administrator's call).
    pub async fn set_password(&self, login: &str, password: &SecretString) -> Result<()> {
        let body = serde_json::to_value(Password { password }).map_err(invalid)?;
        self.cortex
            .unit(
                Method::POST,
                &["user", login, "password", "set"],
                Some(&body),
            )
            .await
    }

    /// Changes one's own password.
    pub async fn change_password(
        &self,
        login: &str,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<()> {
        let body = serde_json::to_value(ChangePassword {
            current_password: current,
            password: new,
        })
        .map_err(invalid)?;
        self.cortex
            .unit(
                Method::POST,
                &["user", login, "password", "change"],
                Some(&body),
            )
            .await
    }

    /// The user's API key.
    pub async fn key(&self, login: &str) -> Result<SecretString> {
        let k = self.cortex.get_text(&["user", login, "key"]).await?;
        Ok(SecretString::from(k.trim().to_owned()))
    }

    /// Creates or replaces the user's API key and answers it.
    pub async fn renew_key(&self, login: &str) -> Result<SecretString> {
        let k = self
            .cortex
            .post_text(&["user", login, "key", "renew"], None::<&()>)
            .await?;
        Ok(SecretString::from(k))
    }

    /// Sets the user's API key to a value of the caller's choice (Cortex 3.2 and later).
    pub async fn set_key(&self, login: &str, key: &SecretString) -> Result<SecretString> {
        let k = self
            .cortex
            .post_text(&["user", login, "key", "set"], Some(&Key { key }))
            .await?;
        Ok(SecretString::from(k))
    }

    /// Removes the user's API key.
    pub async fn revoke_key(&self, login: &str) -> Result<()> {
        self.cortex
            .unit(Method::DELETE, &["user", login, "key"], None)
            .await
    }
}

fn invalid(e: serde_json::Error) -> crate::Error {
    crate::Error::InvalidInput(format!("request body: {e}"))
}

/// Organisations.
#[derive(Debug, Clone, Copy)]
pub struct Organizations<'a> {
    pub(crate) cortex: &'a Cortex,
}

impl Organizations<'_> {
    /// Every organisation (`GET /api/organization`).
    pub async fn list(&self, opts: &ListOptions) -> Result<Listed<Organization>> {
        self.cortex
            .list(&["organization"], opts)
            .await
            .map(Into::into)
    }

    /// Organisations matching a query.
    pub async fn search(&self, query: &Q, opts: &ListOptions) -> Result<Listed<Organization>> {
        self.cortex
            .search(
                Method::POST,
                &["organization", "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }

    /// Aggregations over organisations (`{"query": ..., "stats": [{"_agg": "count"}]}`).
    pub async fn stats(&self, query: &Q, stats: &[Value]) -> Result<Value> {
        crate::client::decode(
            self.cortex
                .request(Method::POST, &["organization", "_stats"])
                .idempotent(true)
                .json_body(&json!({ "query": query, "stats": stats })),
        )
        .await
    }

    /// How many organisations match a query.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] if the answer carries no count.
    pub async fn count(&self, query: &Q) -> Result<u64> {
        let v = self.stats(query, &[json!({ "_agg": "count" })]).await?;
        v.get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| crate::Error::InvalidInput(format!("no count in the stats answer: {v}")))
    }

    /// Gets an organisation.
    pub async fn get(&self, id: &str) -> Result<Organization> {
        self.cortex.get(&["organization", id]).await
    }

    /// Creates an organisation.
    pub async fn create(&self, org: &InputOrganization) -> Result<Organization> {
        self.cortex.post(&["organization"], org).await
    }

    /// Changes `description` or `status`.
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        id: &str,
        fields: &B,
    ) -> Result<Organization> {
        self.cortex.patch(&["organization", id], fields).await
    }

    /// Deletes an organisation (Cortex locks it).
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.cortex
            .unit(Method::DELETE, &["organization", id], None)
            .await
    }

    /// The users of an organisation.
    pub async fn users(&self, id: &str, opts: &ListOptions) -> Result<Listed<User>> {
        self.cortex
            .list(&["organization", id, "user"], opts)
            .await
            .map(Into::into)
    }

    /// The users of an organisation matching a query.
    pub async fn search_users(
        &self,
        id: &str,
        query: &Q,
        opts: &ListOptions,
    ) -> Result<Listed<User>> {
        self.cortex
            .search(
                Method::POST,
                &["organization", id, "user", "_search"],
                &query.clone().into_value(),
                opts,
            )
            .await
            .map(Into::into)
    }
}
