//! Status, sessions, migration, DB lists, the event stream, the datastore and the
//! MISP-modules compatibility routes.

use serde::Serialize;
use serde_json::{json, Value};
use soc_http::{Method, SecretString};
use tokio::io::AsyncWrite;

use crate::model::LoggedIn;
use crate::{Cortex, Result};

/// Platform routes.
#[derive(Debug, Clone, Copy)]
pub struct Platform<'a> {
    pub(crate) cortex: &'a Cortex,
}

#[derive(Serialize)]
struct Login<'a> {
    user: &'a str,
    #[serde(serialize_with = "soc_http::serialize_secret")]
    password: &'a SecretString,
}

impl Platform<'_> {
    /// Alerts about the platform (`ObsoleteAnalyzers`, `ObsoleteResponders`).
    pub async fn alerts(&self) -> Result<Vec<String>> {
        self.cortex.get(&["alert"]).await
    }

    /// Creates or migrates the database (no credentials needed; answers 204). Safe to call
    /// again: an up-to-date database is left alone.
    pub async fn migrate(&self) -> Result<()> {
        let r = self
            .cortex
            .request(Method::POST, &["maintenance", "migrate"])
            .json_body(&json!({}));
        Ok(r.no_content().await?)
    }

    /// Checks a login and password; answers who it is and their roles. The session cookie is not kept: this
    /// client authenticates each request with its own credentials.
    pub async fn login(&self, user: &str, password: &SecretString) -> Result<LoggedIn> {
        self.cortex
            .post(&["login"], &Login { user, password })
            .await
    }

    /// Ends the session.
    pub async fn logout(&self) -> Result<()> {
        self.cortex.unit(Method::GET, &["logout"], None).await
    }

    /// The names of the DB lists.
    pub async fn list_names(&self) -> Result<Value> {
        self.cortex.get(&["list"]).await
    }

    /// The items of a DB list, by item id.
    pub async fn list_items(&self, list: &str) -> Result<Value> {
        self.cortex.get(&["list", list]).await
    }

    /// Adds an item to a DB list; answers its id (Cortex answers none for an empty value).
    pub async fn add_list_item(&self, list: &str, value: &Value) -> Result<Option<String>> {
        let r = self
            .cortex
            .request(Method::POST, &["list", list])
            .json_body(&json!({ "value": value }));
        let body = r.bytes().await?;
        if body.is_empty() {
            return Ok(None);
        }
        Ok(Some(soc_http::decode_json(&body)?))
    }

    /// Replaces an item of a DB list; answers the item's new id (ids derive from values).
    pub async fn update_list_item(&self, item_id: &str, value: &Value) -> Result<String> {
        self.cortex
            .patch(&["list", item_id], &json!({ "value": value }))
            .await
    }

    /// Removes an item of a DB list.
    pub async fn delete_list_item(&self, item_id: &str) -> Result<()> {
        self.cortex
            .unit(Method::DELETE, &["list", item_id], None)
            .await
    }

    /// Whether a DB list has an item whose `key` is `value`.
    pub async fn list_item_exists(&self, list: &str, key: &str, value: &Value) -> Result<Value> {
        crate::client::decode(
            self.cortex
                .request(Method::POST, &["list", list, "_exists"])
                .idempotent(true)
                .json_body(&json!({ "key": key, "value": value })),
        )
        .await
    }

    /// Opens an event stream; answers its id.
    pub async fn open_stream(&self) -> Result<String> {
        self.cortex.post_text(&["stream"], None::<&()>).await
    }

    /// The stream's state for the current session.
    pub async fn stream_status(&self) -> Result<Value> {
        self.cortex.get(&["stream", "status"]).await
    }

    /// Waits for the next events of a stream.
    pub async fn next_events(&self, stream_id: &str) -> Result<Vec<Value>> {
        self.cortex.get(&["stream", stream_id]).await
    }

    /// Streams a stored file into `writer`.
    pub async fn download<W: AsyncWrite + Unpin>(
        &self,
        hash: &str,
        name: Option<&str>,
        writer: &mut W,
    ) -> Result<u64> {
        self.datastore("datastore", hash, name, writer).await
    }

    /// Streams a stored file as a zip protected by the password `malware`.
    pub async fn download_zip<W: AsyncWrite + Unpin>(
        &self,
        hash: &str,
        name: Option<&str>,
        writer: &mut W,
    ) -> Result<u64> {
        self.datastore("datastorezip", hash, name, writer).await
    }

    async fn datastore<W: AsyncWrite + Unpin>(
        &self,
        route: &str,
        hash: &str,
        name: Option<&str>,
        writer: &mut W,
    ) -> Result<u64> {
        let mut r = self.cortex.request(Method::GET, &[route, hash]);
        if let Some(n) = name {
            r = r.query_pair("name", n);
        }
        Ok(r.download(writer).await?)
    }

    /// The analyzers offered as MISP modules (`GET /modules`, outside `/api`).
    pub async fn misp_modules(&self) -> Result<Value> {
        Ok(self.cortex.http().get(["modules"]).json().await?)
    }

    /// Runs an analyzer the MISP-modules way (`POST /query`, outside `/api`).
    pub async fn misp_query(&self, query: &Value) -> Result<Value> {
        Ok(self
            .cortex
            .http()
            .post(["query"])
            .json_body(query)
            .json()
            .await?)
    }
}
