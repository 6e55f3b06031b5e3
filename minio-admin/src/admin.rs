//! The MinIO admin API (`/minio/admin/v3`, or `v4` for AIStor; RustFS serves it too): users,
//! canned policies and their attachment, service accounts, server information and health.
//! Payloads the server expects encrypted are encrypted with the caller's secret key (see
//! [`crate::sio`]), off the async threads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soc_http::{Auth, HttpClient, Method, RequestBuilder, SecretString, SigV4};

use crate::sio;
use crate::{Error, Result};

/// The admin API version in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `/minio/admin/v3`: community MinIO, RustFS, the JuiceFS gateway, minio-py.
    #[default]
    V3,
    /// `/minio/admin/v4`: AIStor.
    V4,
}

/// A client of a server's MinIO admin API.
#[derive(Debug, Clone)]
pub struct MinioAdmin {
    http: HttpClient,
    pub(crate) secret: SecretString,
    version: ApiVersion,
}

/// Builds a [`MinioAdmin`].
#[derive(Debug)]
pub struct MinioAdminBuilder {
    http: soc_http::ClientBuilder,
    keys: Option<(String, SecretString)>,
    region: String,
    version: ApiVersion,
}

/// A user (`user-info`, and each entry of `list-users`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    /// `enabled` or `disabled`.
    #[serde(default)]
    pub status: String,
    /// Policies attached, comma-separated.
    #[serde(
        rename = "policyName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub policy_name: Option<String>,
    /// Groups.
    #[serde(rename = "memberOf", default, skip_serializing_if = "Option::is_none")]
    pub member_of: Option<Vec<String>>,
    /// Fields this crate does not model (`updatedAt`, `userAuthInfo` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A canned policy with its dates (`info-canned-policy?v=2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Name.
    #[serde(rename = "PolicyName")]
    pub name: String,
    /// The policy document.
    #[serde(rename = "Policy")]
    pub policy: Value,
    /// Fields this crate does not model (`CreateDate`, `UpdateDate`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a new service account is (`add-service-account`). All fields are optional: an empty
/// request makes a key for the caller with the caller's rights.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewServiceAccount {
    /// The user it acts for (default: the caller).
    #[serde(rename = "targetUser", skip_serializing_if = "Option::is_none")]
    pub target_user: Option<String>,
    /// A policy narrowing the parent's rights.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    /// Its access key (generated when absent).
    #[serde(rename = "accessKey", skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Its secret key (generated when absent).
    #[serde(
        rename = "secretKey",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_secret"
    )]
    pub secret_key: Option<SecretString>,
    /// Name (≤ 32 characters, a letter first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description (≤ 256 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn ser_opt_secret<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(secret) => soc_http::serialize_secret(secret, s),
        None => s.serialize_none(),
    }
}

/// Keys made by the server. `Debug` hides the secret.
#[derive(Clone, Deserialize)]
pub struct Credentials {
    /// Access key.
    #[serde(rename = "accessKey")]
    pub access_key: String,
    /// Secret key.
    #[serde(rename = "secretKey")]
    pub secret_key: SecretString,
    /// Expiry, when set.
    #[serde(default)]
    pub expiration: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"[REDACTED]")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// A service account as listed. Servers before 2023 list bare access keys; those come back with
/// only `access_key` set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    /// Access key.
    #[serde(rename = "accessKey")]
    pub access_key: String,
    /// Its parent user.
    #[serde(
        rename = "parentUser",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_user: Option<String>,
    /// `enabled`, `disabled` (`on`/`off` on old servers).
    #[serde(
        rename = "accountStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    /// Fields this crate does not model (`impliedPolicy`, `name`, `expiration` ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user or a group, for policy attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    /// A user.
    User(&'a str),
    /// A group.
    Group(&'a str),
}

impl MinioAdmin {
    /// A builder for the server at `endpoint`.
    ///
    /// # Errors
    /// [`Error::Http`] for a URL the transport refuses.
    pub fn builder(endpoint: &str) -> Result<MinioAdminBuilder> {
        Ok(MinioAdminBuilder {
            http: HttpClient::builder(endpoint)?
                .user_agent(concat!("minio-admin/", env!("CARGO_PKG_VERSION"))),
            keys: None,
            region: String::new(),
            version: ApiVersion::V3,
        })
    }

    /// The admin API version in use.
    #[must_use]
    pub fn version(&self) -> ApiVersion {
        self.version
    }

    pub(crate) fn req(&self, method: Method, command: &[&str]) -> RequestBuilder {
        let v = match self.version {
            ApiVersion::V3 => "v3",
            ApiVersion::V4 => "v4",
        };
        let segs: Vec<&str> = ["minio", "admin", v]
            .into_iter()
            .chain(command.iter().copied())
            .collect();
        self.http.request(method, segs)
    }

    pub(crate) async fn sealed(&self, value: &impl Serialize) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(value).map_err(|e| Error::InvalidInput(e.to_string()))?;
        Ok(sio::encrypt_blocking(self.secret.clone(), plain).await?)
    }

    /// Sends `r` and decrypts its answer with the caller's secret. An empty answer stays empty
    /// (older servers answer some calls without a body). Answers the redacted URL beside the
    /// plaintext, for decode errors.
    pub(crate) async fn open(&self, r: RequestBuilder) -> Result<(String, Vec<u8>)> {
        let url = soc_http::redact_url(r.url());
        let data = r.send().await?.bytes().await?;
        if data.is_empty() {
            return Ok((url, Vec::new()));
        }
        Ok((
            url,
            sio::decrypt_blocking(self.secret.clone(), data.to_vec()).await?,
        ))
    }

    pub(crate) async fn opened<T: serde::de::DeserializeOwned>(
        &self,
        r: RequestBuilder,
    ) -> Result<T> {
        let (url, plain) = self.open(r).await?;
        serde_json::from_slice(&plain).map_err(|e| Error::Decode {
            url,
            message: e.to_string(),
        })
    }

    pub(crate) async fn plain<T: serde::de::DeserializeOwned>(r: RequestBuilder) -> Result<T> {
        Ok(r.json().await?)
    }

    pub(crate) async fn done(r: RequestBuilder) -> Result<()> {
        r.send().await?;
        Ok(())
    }

    /// Creates or updates a user with its secret key, enabled.
    ///
    /// # Errors
    /// [`Error::S3`] with the server's code.
    pub async fn add_user(&self, access_key: &str, secret_key: &SecretString) -> Result<()> {
        #[derive(Serialize)]
        struct Req<'a> {
            #[serde(rename = "secretKey", serialize_with = "soc_http::serialize_secret")]
            secret_key: &'a SecretString,
            status: &'static str,
        }
        let body = self
            .sealed(&Req {
                secret_key,
                status: "enabled",
            })
            .await?;
        let r = self
            .req(Method::PUT, &["add-user"])
            .query_pair("accessKey", access_key)
            .body("application/octet-stream", body);
        Self::done(r).await
    }

    /// Removes a user.
    ///
    /// # Errors
    /// [`Error::S3`] `XMinioAdminNoSuchUser`.
    pub async fn remove_user(&self, access_key: &str) -> Result<()> {
        Self::done(
            self.req(Method::DELETE, &["remove-user"])
                .query_pair("accessKey", access_key),
        )
        .await
    }

    /// Every user, by access key (an encrypted answer).
    ///
    /// # Errors
    /// [`Error::Crypto`] when the answer cannot be decrypted with the caller's secret.
    pub async fn list_users(&self) -> Result<BTreeMap<String, UserInfo>> {
        self.opened(self.req(Method::GET, &["list-users"])).await
    }

    /// One user.
    ///
    /// # Errors
    /// [`Error::S3`] `XMinioAdminNoSuchUser`.
    pub async fn user_info(&self, access_key: &str) -> Result<UserInfo> {
        Self::plain(
            self.req(Method::GET, &["user-info"])
                .query_pair("accessKey", access_key),
        )
        .await
    }

    /// Enables or disables a user.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn set_user_status(&self, access_key: &str, enabled: bool) -> Result<()> {
        let r = self
            .req(Method::PUT, &["set-user-status"])
            .query_pair("accessKey", access_key)
            .query_pair("status", if enabled { "enabled" } else { "disabled" });
        Self::done(r).await
    }

    /// Adds or replaces a canned policy (an IAM policy document).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a document that is not a JSON object; [`Error::S3`].
    pub async fn add_canned_policy(&self, name: &str, policy: &Value) -> Result<()> {
        if !policy.is_object() {
            return Err(Error::InvalidInput(format!(
                "policy {name} must be a JSON object"
            )));
        }
        let r = self
            .req(Method::PUT, &["add-canned-policy"])
            .query_pair("name", name)
            .body("application/octet-stream", policy.to_string());
        Self::done(r).await
    }

    /// Removes a canned policy.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn remove_canned_policy(&self, name: &str) -> Result<()> {
        Self::done(
            self.req(Method::DELETE, &["remove-canned-policy"])
                .query_pair("name", name),
        )
        .await
    }

    /// Every canned policy, by name.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn list_canned_policies(&self) -> Result<BTreeMap<String, Value>> {
        Self::plain(self.req(Method::GET, &["list-canned-policies"])).await
    }

    /// A canned policy's document.
    ///
    /// # Errors
    /// [`Error::S3`] `XMinioAdminNoSuchPolicy`.
    pub async fn canned_policy(&self, name: &str) -> Result<Value> {
        Self::plain(
            self.req(Method::GET, &["info-canned-policy"])
                .query_pair("name", name),
        )
        .await
    }

    /// A canned policy with its dates (`v=2`).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn canned_policy_info(&self, name: &str) -> Result<PolicyInfo> {
        let r = self
            .req(Method::GET, &["info-canned-policy"])
            .query_pair("name", name)
            .query_pair("v", "2");
        Self::plain(r).await
    }

    /// Attaches policies to a user or group (`idp/builtin/policy/attach`). Answers the
    /// policies attached; older servers answer without a body, then the list is empty.
    ///
    /// # Errors
    /// [`Error::S3`] (`XMinioAdminPolicyChangeAlreadyApplied` when nothing changes).
    pub async fn attach_policy(&self, policies: &[&str], to: Principal<'_>) -> Result<Vec<String>> {
        self.policy_association("builtin", "attach", policies, to, "policiesAttached")
            .await
    }

    /// Detaches policies from a user or group.
    ///
    /// # Errors
    /// As [`MinioAdmin::attach_policy`].
    pub async fn detach_policy(
        &self,
        policies: &[&str],
        from: Principal<'_>,
    ) -> Result<Vec<String>> {
        self.policy_association("builtin", "detach", policies, from, "policiesDetached")
            .await
    }

    pub(crate) async fn policy_association(
        &self,
        idp: &str,
        action: &str,
        policies: &[&str],
        who: Principal<'_>,
        field: &str,
    ) -> Result<Vec<String>> {
        let body = match who {
            Principal::User(u) => json!({ "policies": policies, "user": u }),
            Principal::Group(g) => json!({ "policies": policies, "group": g }),
        };
        let sealed = self.sealed(&body).await?;
        let r = self
            .req(Method::POST, &["idp", idp, "policy", action])
            .body("application/octet-stream", sealed);
        let (url, plain) = self.open(r).await?;
        if plain.is_empty() {
            return Ok(Vec::new());
        }
        let v: Value = serde_json::from_slice(&plain).map_err(|e| Error::Decode {
            url,
            message: e.to_string(),
        })?;
        Ok(v.get(field)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Sets the policy of a user or group the older way (`set-user-or-group-policy`, which
    /// every v3 server serves, the JuiceFS gateway included).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn set_policy(&self, policy: &str, who: Principal<'_>) -> Result<()> {
        let (entity, is_group) = match who {
            Principal::User(u) => (u, "false"),
            Principal::Group(g) => (g, "true"),
        };
        let r = self
            .req(Method::PUT, &["set-user-or-group-policy"])
            .query_pair("policyName", policy)
            .query_pair("userOrGroup", entity)
            .query_pair("isGroup", is_group);
        Self::done(r).await
    }

    /// Creates a service account; the answer holds its keys, once.
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn add_service_account(&self, account: &NewServiceAccount) -> Result<Credentials> {
        #[derive(Deserialize)]
        struct Resp {
            credentials: Credentials,
        }
        let body = self.sealed(account).await?;
        let r = self
            .req(Method::PUT, &["add-service-account"])
            .body("application/octet-stream", body);
        let resp: Resp = self.opened(r).await?;
        Ok(resp.credentials)
    }

    /// The service accounts of a user.
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn list_service_accounts(&self, user: &str) -> Result<Vec<ServiceAccount>> {
        let r = self
            .req(Method::GET, &["list-service-accounts"])
            .query_pair("user", user);
        let url = soc_http::redact_url(r.url());
        let v: Value = self.opened(r).await?;
        let accounts = v
            .get("accounts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        accounts
            .into_iter()
            .map(|a| match a {
                Value::String(access_key) => Ok(ServiceAccount {
                    access_key,
                    parent_user: None,
                    status: None,
                    extra: Map::new(),
                }),
                other => serde_json::from_value(other).map_err(|e| Error::Decode {
                    url: url.clone(),
                    message: e.to_string(),
                }),
            })
            .collect()
    }

    /// One service account (`parentUser`, `accountStatus`, `impliedPolicy`, `policy` ...).
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Crypto`].
    pub async fn service_account(&self, access_key: &str) -> Result<Value> {
        self.opened(
            self.req(Method::GET, &["info-service-account"])
                .query_pair("accessKey", access_key),
        )
        .await
    }

    /// Changes a service account (`{"newPolicy", "newSecretKey", "newStatus", ...}`).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn update_service_account(&self, access_key: &str, changes: &Value) -> Result<()> {
        let body = self.sealed(changes).await?;
        let r = self
            .req(Method::POST, &["update-service-account"])
            .query_pair("accessKey", access_key)
            .body("application/octet-stream", body);
        Self::done(r).await
    }

    /// Deletes a service account.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_service_account(&self, access_key: &str) -> Result<()> {
        Self::done(
            self.req(Method::DELETE, &["delete-service-account"])
                .query_pair("accessKey", access_key),
        )
        .await
    }

    /// Server information (`mode`, `deploymentID`, `servers`, `pools` ...).
    ///
    /// # Errors
    /// [`Error::S3`] (501 on servers without it).
    pub async fn server_info(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["info"])).await
    }

    /// Storage information.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn storage_info(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["storageinfo"])).await
    }

    /// Data usage (objects, sizes, per bucket).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn data_usage_info(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["datausageinfo"])).await
    }

    /// What the caller's key may do, per bucket.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn account_info(&self) -> Result<Value> {
        Self::plain(self.req(Method::GET, &["accountinfo"])).await
    }

    /// Whether the server is alive (`/minio/health/live`, anonymous).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn alive(&self) -> Result<bool> {
        self.health(&["live"]).await
    }

    /// Whether the server is ready (`/minio/health/ready`).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn ready(&self) -> Result<bool> {
        self.health(&["ready"]).await
    }

    /// Whether the cluster has write quorum (`/minio/health/cluster`).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn cluster_healthy(&self) -> Result<bool> {
        self.health(&["cluster"]).await
    }

    /// Whether the cluster can serve reads (`/minio/health/cluster/read`).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn cluster_readable(&self) -> Result<bool> {
        self.health(&["cluster", "read"]).await
    }

    async fn health(&self, path: &[&str]) -> Result<bool> {
        let segs: Vec<&str> = ["minio", "health"]
            .into_iter()
            .chain(path.iter().copied())
            .collect();
        match self.http.get(segs).anonymous().send().await {
            Ok(_) => Ok(true),
            Err(e) if e.status().is_some() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl MinioAdminBuilder {
    soc_http::transport_options!();

    /// The admin user's access key and secret key (the secret also encrypts payloads).
    #[must_use]
    pub fn keys(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<SecretString>,
    ) -> Self {
        self.keys = Some((access_key.into(), secret_key.into()));
        self
    }

    /// The region in the signature's scope (empty unless set, as madmin and minio-py send it;
    /// MinIO accepts any).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The admin API version (`v3` unless set).
    #[must_use]
    pub fn api_version(mut self, v: ApiVersion) -> Self {
        self.version = v;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without keys; transport set-up errors.
    pub fn build(self) -> Result<MinioAdmin> {
        let (ak, sk) = self.keys.ok_or_else(|| {
            Error::InvalidInput("the admin API needs an access key and secret".into())
        })?;
        let signer = SigV4::new(ak, sk.clone(), self.region, "s3");
        let http = self.http.auth(Auth::SigV4(Box::new(signer))).build()?;
        Ok(MinioAdmin {
            http,
            secret: sk,
            version: self.version,
        })
    }
}
