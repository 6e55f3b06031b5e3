//! The rest of the MinIO admin API minio-py wraps: groups, policy entities, bucket quotas,
//! service control, configuration, KMS, profiling, site replication and LDAP access keys.

use serde_json::{json, Value};
use soc_http::Method;

use crate::admin::{MinioAdmin, Principal};
use crate::sio;
use crate::{Error, Result};

impl MinioAdmin {
    /// Adds members to a group, creating it if needed (`update-group-members`).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn add_group_members(&self, group: &str, members: &[&str]) -> Result<()> {
        let body = json!({ "group": group, "members": members, "isRemove": false });
        Self::done(
            self.req(Method::PUT, &["update-group-members"])
                .json_body(&body),
        )
        .await
    }

    /// Removes members from a group; with no members, removes the (empty) group.
    ///
    /// # Errors
    /// [`Error::S3`] (`XMinioAdminGroupNotEmpty` ...).
    pub async fn remove_group_members(&self, group: &str, members: &[&str]) -> Result<()> {
        let body = json!({ "group": group, "members": members, "isRemove": true });
        Self::done(
            self.req(Method::PUT, &["update-group-members"])
                .json_body(&body),
        )
        .await
    }

    /// Enables or disables a group.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn set_group_status(&self, group: &str, enabled: bool) -> Result<()> {
        let r = self
            .req(Method::PUT, &["set-group-status"])
            .query_pair("group", group)
            .query_pair("status", if enabled { "enabled" } else { "disabled" });
        Self::done(r).await
    }

    /// A group: members, status, policy.
    ///
    /// # Errors
    /// [`Error::S3`] `XMinioAdminNoSuchGroup`.
    pub async fn group(&self, group: &str) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["group"]).query_pair("group", group)).await
    }

    /// Every group's name.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn groups(&self) -> Result<Vec<String>> {
        let v: Value = Self::plain(self.req(Method::GET, &["groups"])).await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Which users and groups hold which policies (`idp/builtin/policy-entities`).
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn policy_entities(
        &self,
        users: &[&str],
        groups: &[&str],
        policies: &[&str],
    ) -> Result<Value> {
        let mut r = self.req(Method::GET, &["idp", "builtin", "policy-entities"]);
        for (k, vs) in [("user", users), ("group", groups), ("policy", policies)] {
            for v in vs {
                r = r.query_pair(k, v);
            }
        }
        self.opened(r).await
    }

    /// Sets a hard quota on a bucket, in bytes (0 clears it).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn set_bucket_quota(&self, bucket: &str, bytes: u64) -> Result<()> {
        let r = self
            .req(Method::PUT, &["set-bucket-quota"])
            .query_pair("bucket", bucket)
            .json_body(&json!({ "quota": bytes, "quotatype": "hard" }));
        Self::done(r).await
    }

    /// A bucket's quota.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn bucket_quota(&self, bucket: &str) -> Result<Value> {
        Self::plain(
            self.req(Method::GET, &["get-bucket-quota"])
                .query_pair("bucket", bucket),
        )
        .await
    }

    /// Restarts (`restart`) or stops (`stop`) every server of the deployment.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for another action; [`Error::S3`].
    pub async fn service(&self, action: &str) -> Result<Value> {
        if !matches!(action, "restart" | "stop") {
            return Err(Error::InvalidInput(format!(
                "service action {action:?}: restart or stop"
            )));
        }
        Self::plain(
            self.req(Method::POST, &["service"])
                .query_pair("action", action),
        )
        .await
    }

    /// Updates the servers' binaries (from `update_url`, or MinIO's default when empty).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn update_servers(&self, update_url: &str) -> Result<Value> {
        Self::plain(
            self.req(Method::POST, &["update"])
                .query_pair("updateURL", update_url),
        )
        .await
    }

    /// The locks held longest.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn top_locks(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["top", "locks"])).await
    }

    /// A configuration subsystem, as `key=value` text (an encrypted answer).
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn config(&self, key: &str) -> Result<String> {
        let r = self
            .req(Method::GET, &["get-config-kv"])
            .query_pair("key", key)
            .query_pair("subSys", "");
        self.opened_text(r).await
    }

    /// Sets configuration (`"notify_webhook:soc endpoint=https://... "`), sent encrypted.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn set_config(&self, line: &str) -> Result<()> {
        let body = sio::encrypt_blocking(self.secret.clone(), line.as_bytes().to_vec()).await?;
        Self::done(
            self.req(Method::PUT, &["set-config-kv"])
                .body("application/octet-stream", body),
        )
        .await
    }

    /// Resets a configuration key (`"notify_webhook:soc"`) to its default.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn reset_config(&self, key: &str) -> Result<()> {
        let body = sio::encrypt_blocking(self.secret.clone(), key.as_bytes().to_vec()).await?;
        Self::done(
            self.req(Method::DELETE, &["del-config-kv"])
                .body("application/octet-stream", body),
        )
        .await
    }

    /// The last `count` configuration changes.
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn config_history(&self, count: u32) -> Result<Value> {
        self.opened(
            self.req(Method::GET, &["list-config-history-kv"])
                .query_pair("count", &count.to_string()),
        )
        .await
    }

    /// Restores a configuration change.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn restore_config(&self, restore_id: &str) -> Result<()> {
        Self::done(
            self.req(Method::PUT, &["restore-config-history-kv"])
                .query_pair("restoreId", restore_id),
        )
        .await
    }

    /// Creates a KMS key.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn create_kms_key(&self, key_id: &str) -> Result<()> {
        Self::done(
            self.req(Method::POST, &["kms", "key", "create"])
                .query_pair("key-id", key_id),
        )
        .await
    }

    /// A KMS key's status.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn kms_key_status(&self, key_id: &str) -> Result<Value> {
        Self::plain(
            self.req(Method::GET, &["kms", "key", "status"])
                .query_pair("key-id", key_id),
        )
        .await
    }

    /// Starts profiling (`cpu`, `mem`, `block`, `mutex`, `trace` ...).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn start_profiling(&self, profilers: &[&str]) -> Result<Value> {
        Self::plain(
            self.req(Method::POST, &["profile"])
                .query_pair("profilerType", &profilers.join(",")),
        )
        .await
    }

    /// Joins sites for replication (`[{"name", "endpoints", "accessKey", "secretKey"}]`), sent
    /// encrypted.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn add_site_replication(&self, sites: &Value) -> Result<Value> {
        let body = self.sealed(sites).await?;
        Self::plain(
            self.req(Method::PUT, &["site-replication", "add"])
                .query_pair("api-version", "1")
                .body("application/octet-stream", body),
        )
        .await
    }

    /// Site replication's configuration.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn site_replication_info(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["site-replication", "info"])).await
    }

    /// Site replication's status (`[("buckets", "true"), ("users", "true") ...]`).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn site_replication_status(&self, options: &[(&str, &str)]) -> Result<Value> {
        let mut r = self.req(Method::GET, &["site-replication", "status"]);
        for (k, v) in options {
            r = r.query_pair(k, v);
        }
        Self::plain(r).await
    }

    /// Changes a peer (`{"name", "endpoint", "deploymentID"}`), sent encrypted.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn edit_site_replication(&self, peer: &Value) -> Result<Value> {
        let body = self.sealed(peer).await?;
        Self::plain(
            self.req(Method::PUT, &["site-replication", "edit"])
                .query_pair("api-version", "1")
                .body("application/octet-stream", body),
        )
        .await
    }

    /// Removes sites from replication, or every site.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with neither sites nor `all`; [`Error::S3`].
    pub async fn remove_site_replication(&self, sites: &[&str], all: bool) -> Result<Value> {
        let req = match (all, sites.is_empty()) {
            (true, _) => json!({ "all": true }),
            (false, false) => json!({ "sites": sites }),
            (false, true) => {
                return Err(Error::InvalidInput(
                    "name the sites to remove, or all".into(),
                ))
            }
        };
        let body = self.sealed(&req).await?;
        Self::plain(
            self.req(Method::PUT, &["site-replication", "remove"])
                .query_pair("api-version", "1")
                .body("application/octet-stream", body),
        )
        .await
    }

    /// Attaches policies to an LDAP user or group (a DN).
    ///
    /// # Errors
    /// As [`MinioAdmin::attach_policy`].
    pub async fn attach_policy_ldap(
        &self,
        policies: &[&str],
        to: Principal<'_>,
    ) -> Result<Vec<String>> {
        self.policy_association("ldap", "attach", policies, to, "policiesAttached")
            .await
    }

    /// Detaches policies from an LDAP user or group.
    ///
    /// # Errors
    /// As [`MinioAdmin::attach_policy`].
    pub async fn detach_policy_ldap(
        &self,
        policies: &[&str],
        from: Principal<'_>,
    ) -> Result<Vec<String>> {
        self.policy_association("ldap", "detach", policies, from, "policiesDetached")
            .await
    }

    /// The access keys of an LDAP user (`list_type`: `all`, `sts-only`, `svcacc-only`).
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn ldap_access_keys(&self, user_dn: &str, list_type: &str) -> Result<Value> {
        self.opened(
            self.req(Method::GET, &["idp", "ldap", "list-access-keys"])
                .query_pair("userDN", user_dn)
                .query_pair("listType", list_type),
        )
        .await
    }

    /// The access keys of several LDAP users, or of all (`users` empty and `all`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with both users and `all`; [`Error::S3`]; [`Error::Crypto`].
    pub async fn ldap_access_keys_bulk(
        &self,
        users: &[&str],
        list_type: &str,
        all: bool,
    ) -> Result<Value> {
        if all && !users.is_empty() {
            return Err(Error::InvalidInput(
                "name users or ask for all, not both".into(),
            ));
        }
        let mut r = self
            .req(Method::GET, &["idp", "ldap", "list-access-keys-bulk"])
            .query_pair("listType", list_type);
        if all {
            r = r.query_pair("all", "true");
        }
        for u in users {
            r = r.query_pair("userDNs", u);
        }
        self.opened(r).await
    }

    async fn opened_text(&self, r: soc_http::RequestBuilder) -> Result<String> {
        let (url, plain) = self.open(r).await?;
        String::from_utf8(plain).map_err(|e| Error::Decode {
            url,
            message: e.to_string(),
        })
    }
}
