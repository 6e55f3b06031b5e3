//! Index and component templates, lifecycle policies (ILM on Elasticsearch, ISM on
//! OpenSearch), data streams and snapshot lifecycle (SLM).

use serde_json::{json, Map, Value};
use soc_http::Method;

use crate::client::{Acknowledged, Flavor};
use crate::{Error, Es, Result};

/// A retention policy a SOC asks of its time-series indices, expressed once and written as an
/// ILM policy on Elasticsearch or an ISM policy on OpenSearch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// What it is for.
    pub description: String,
    /// Roll over after this age (`1d`), if set.
    pub rollover_max_age: Option<String>,
    /// Roll over after this primary shard size (`50gb`), if set.
    pub rollover_max_primary_shard_size: Option<String>,
    /// Delete indices this old (`30d`).
    pub delete_after: String,
    /// On OpenSearch, attach to new indices matching these patterns (`ism_template`).
    pub index_patterns: Vec<String>,
}

impl RetentionPolicy {
    /// The ILM policy body (`{"policy": {...}}`).
    #[must_use]
    pub fn to_ilm(&self) -> Value {
        let mut hot = Map::new();
        let mut rollover = Map::new();
        if let Some(a) = &self.rollover_max_age {
            rollover.insert("max_age".into(), a.clone().into());
        }
        if let Some(s) = &self.rollover_max_primary_shard_size {
            rollover.insert("max_primary_shard_size".into(), s.clone().into());
        }
        if !rollover.is_empty() {
            hot.insert("rollover".into(), Value::Object(rollover));
        }
        json!({
            "policy": {
                "_meta": { "description": self.description, "managed_by": "soc-toolkit" },
                "phases": {
                    "hot": { "min_age": "0ms", "actions": hot },
                    "delete": { "min_age": self.delete_after, "actions": { "delete": {} } }
                }
            }
        })
    }

    /// The ISM policy body (`{"policy": {...}}`).
    #[must_use]
    pub fn to_ism(&self) -> Value {
        let mut hot_actions = Vec::new();
        let mut rollover = Map::new();
        if let Some(a) = &self.rollover_max_age {
            rollover.insert("min_index_age".into(), a.clone().into());
        }
        if let Some(s) = &self.rollover_max_primary_shard_size {
            rollover.insert("min_primary_shard_size".into(), s.clone().into());
        }
        if !rollover.is_empty() {
            hot_actions.push(json!({ "rollover": rollover }));
        }
        let mut policy = json!({
            "description": self.description,
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": hot_actions,
                    "transitions": [{ "state_name": "delete", "conditions": { "min_index_age": self.delete_after } }]
                },
                { "name": "delete", "actions": [{ "delete": {} }], "transitions": [] }
            ]
        });
        if !self.index_patterns.is_empty() {
            policy["ism_template"] =
                json!([{ "index_patterns": self.index_patterns, "priority": 100 }]);
        }
        json!({ "policy": policy })
    }
}

/// Templates and lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle<'a> {
    pub(crate) es: &'a Es,
}

impl Lifecycle<'_> {
    /// Creates or replaces a composable index template (`{index_patterns, template, composed_of,
    /// priority, data_stream?}`).
    pub async fn put_index_template(&self, name: &str, body: &Value) -> Result<Acknowledged> {
        self.es
            .call(Method::PUT, &["_index_template", name], &[], Some(body))
            .await
    }

    /// Composable index templates matching `name` (`{"index_templates": [...]}`).
    pub async fn index_templates(&self, name: &str) -> Result<Value> {
        self.es
            .call(Method::GET, &["_index_template", name], &[], None)
            .await
    }

    /// Deletes a composable index template.
    pub async fn delete_index_template(&self, name: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::DELETE, &["_index_template", name], &[], None)
            .await
    }

    /// Creates or replaces a component template (`{template: {settings, mappings}}`).
    pub async fn put_component_template(&self, name: &str, body: &Value) -> Result<Acknowledged> {
        self.es
            .call(Method::PUT, &["_component_template", name], &[], Some(body))
            .await
    }

    /// Component templates matching `name`.
    pub async fn component_templates(&self, name: &str) -> Result<Value> {
        self.es
            .call(Method::GET, &["_component_template", name], &[], None)
            .await
    }

    /// Deletes a component template.
    pub async fn delete_component_template(&self, name: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::DELETE, &["_component_template", name], &[], None)
            .await
    }

    /// Legacy templates (`GET _template/<name>`), read-only: clusters upgraded from 7.x still
    /// carry them, and they lose to composable templates.
    pub async fn legacy_templates(&self, name: &str) -> Result<Map<String, Value>> {
        self.es
            .call(Method::GET, &["_template", name], &[], None)
            .await
    }

    /// Writes a retention policy as ILM (Elasticsearch) or ISM (OpenSearch).
    pub async fn put_retention_policy(
        &self,
        name: &str,
        policy: &RetentionPolicy,
    ) -> Result<Value> {
        match self.es.info().await?.flavor() {
            Flavor::Elasticsearch => self.put_ilm_policy(name, &policy.to_ilm()).await,
            Flavor::OpenSearch => self.put_ism_policy(name, &policy.to_ism()).await,
        }
    }

    /// Creates or replaces an ILM policy (Elasticsearch).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on OpenSearch.
    pub async fn put_ilm_policy(&self, name: &str, body: &Value) -> Result<Value> {
        self.es.require(Flavor::Elasticsearch, "ILM").await?;
        self.es
            .call(Method::PUT, &["_ilm", "policy", name], &[], Some(body))
            .await
    }

    /// ILM policies matching `name`, with `version`, `modified_date` and `in_use_by`.
    pub async fn ilm_policies(&self, name: &str) -> Result<Map<String, Value>> {
        self.es.require(Flavor::Elasticsearch, "ILM").await?;
        self.es
            .call(Method::GET, &["_ilm", "policy", name], &[], None)
            .await
    }

    /// Deletes an ILM policy.
    pub async fn delete_ilm_policy(&self, name: &str) -> Result<Acknowledged> {
        self.es.require(Flavor::Elasticsearch, "ILM").await?;
        self.es
            .call(Method::DELETE, &["_ilm", "policy", name], &[], None)
            .await
    }

    /// Where indices are in their lifecycle (`{"indices": {name: {managed, policy, phase, action, step ...}}}`).
    pub async fn explain_ilm(&self, index: &str) -> Result<Value> {
        self.es.require(Flavor::Elasticsearch, "ILM").await?;
        self.es
            .call(Method::GET, &[index, "_ilm", "explain"], &[], None)
            .await
    }

    /// Creates an ISM policy (OpenSearch).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on Elasticsearch.
    pub async fn put_ism_policy(&self, name: &str, body: &Value) -> Result<Value> {
        self.es.require(Flavor::OpenSearch, "ISM").await?;
        self.es
            .call(
                Method::PUT,
                &["_plugins", "_ism", "policies", name],
                &[],
                Some(body),
            )
            .await
    }

    /// An ISM policy.
    pub async fn ism_policy(&self, name: &str) -> Result<Value> {
        self.es.require(Flavor::OpenSearch, "ISM").await?;
        self.es
            .call(
                Method::GET,
                &["_plugins", "_ism", "policies", name],
                &[],
                None,
            )
            .await
    }

    /// Deletes an ISM policy.
    pub async fn delete_ism_policy(&self, name: &str) -> Result<Value> {
        self.es.require(Flavor::OpenSearch, "ISM").await?;
        self.es
            .call(
                Method::DELETE,
                &["_plugins", "_ism", "policies", name],
                &[],
                None,
            )
            .await
    }

    /// Where indices are in their ISM policy.
    pub async fn explain_ism(&self, index: &str) -> Result<Value> {
        self.es.require(Flavor::OpenSearch, "ISM").await?;
        self.es
            .call(
                Method::GET,
                &["_plugins", "_ism", "explain", index],
                &[],
                None,
            )
            .await
    }

    /// Creates a data stream (a matching template with `data_stream: {}` must exist).
    pub async fn create_data_stream(&self, name: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::PUT, &["_data_stream", name], &[], None)
            .await
    }

    /// Data streams matching `name` (`{"data_streams": [...]}`).
    pub async fn data_streams(&self, name: &str) -> Result<Value> {
        self.es
            .call(Method::GET, &["_data_stream", name], &[], None)
            .await
    }

    /// Deletes a data stream and its backing indices.
    pub async fn delete_data_stream(&self, name: &str) -> Result<Acknowledged> {
        self.es
            .call(Method::DELETE, &["_data_stream", name], &[], None)
            .await
    }

    /// Creates or replaces a snapshot lifecycle policy (`{schedule, name, repository, config,
    /// retention}`; Elasticsearch).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on OpenSearch.
    pub async fn put_slm_policy(&self, id: &str, body: &Value) -> Result<Acknowledged> {
        self.es.require(Flavor::Elasticsearch, "SLM").await?;
        self.es
            .call(Method::PUT, &["_slm", "policy", id], &[], Some(body))
            .await
    }

    /// Snapshot lifecycle policies matching `id`.
    pub async fn slm_policies(&self, id: &str) -> Result<Map<String, Value>> {
        self.es.require(Flavor::Elasticsearch, "SLM").await?;
        self.es
            .call(Method::GET, &["_slm", "policy", id], &[], None)
            .await
    }

    /// Deletes a snapshot lifecycle policy.
    pub async fn delete_slm_policy(&self, id: &str) -> Result<Acknowledged> {
        self.es.require(Flavor::Elasticsearch, "SLM").await?;
        self.es
            .call(Method::DELETE, &["_slm", "policy", id], &[], None)
            .await
    }

    /// Takes a snapshot now with a policy; answers the snapshot name.
    pub async fn execute_slm_policy(&self, id: &str) -> Result<String> {
        self.es.require(Flavor::Elasticsearch, "SLM").await?;
        let v: Value = self
            .es
            .call(Method::POST, &["_slm", "policy", id, "_execute"], &[], None)
            .await?;
        v.get("snapshot_name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::InvalidInput(format!("no snapshot_name in {v}")))
    }
}
