//! Garage's admin API (v2, `Authorization: Bearer <admin_token>`): keys, buckets and the
//! per-key bucket permissions that are Garage's whole access model (it has no users and no
//! policies).

use serde::Deserialize;
use serde_json::{json, Value};
use soc_http::{Auth, HttpClient, SecretString};

use crate::provision::{BucketAccess, Rights};
use crate::{Error, Result};

/// A client of a Garage admin endpoint (`http://127.0.0.1:3903`).
#[derive(Debug, Clone)]
pub struct Garage {
    http: HttpClient,
}

/// A key as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GarageKey {
    /// The access key id (`GK...`).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

impl Garage {
    /// A client of the admin API at `endpoint` with its admin token.
    ///
    /// # Errors
    /// [`Error::Http`] for a URL the transport refuses or a token that cannot go in a header.
    pub fn new(endpoint: &str, admin_token: SecretString) -> Result<Self> {
        let http = HttpClient::builder(endpoint)?
            .user_agent(concat!("minio-admin/", env!("CARGO_PKG_VERSION")))
            .auth(Auth::bearer(admin_token))
            .build()?;
        Ok(Self { http })
    }

    /// Whether the node is up with a layout (`GET /health`, anonymous; 503 before a layout).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn healthy(&self) -> Result<bool> {
        match self.http.get(["health"]).anonymous().send().await {
            Ok(_) => Ok(true),
            Err(e) if e.status().is_some() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The id of the bucket with this global alias, if it exists.
    ///
    /// # Errors
    /// [`Error::S3`] other than `NoSuchBucket`.
    pub async fn bucket_id(&self, global_alias: &str) -> Result<Option<String>> {
        let r = self
            .http
            .get(["v2", "GetBucketInfo"])
            .query_pair("globalAlias", global_alias);
        match r.json::<Value>().await {
            Ok(v) => Ok(v.get("id").and_then(Value::as_str).map(str::to_owned)),
            Err(e) => match Error::from(e) {
                e if e.code() == Some("NoSuchBucket") || e.status() == Some(404) => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Creates a bucket with a global alias (shared by every key given access), answering its id.
    ///
    /// # Errors
    /// [`Error::S3`] (`BucketAlreadyExists`).
    pub async fn create_bucket(&self, global_alias: &str) -> Result<String> {
        let v: Value = self
            .http
            .post(["v2", "CreateBucket"])
            .json_body(&json!({ "globalAlias": global_alias }))
            .json()
            .await?;
        id_of(&v, "id", "CreateBucket")
    }

    /// Every key.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn keys(&self) -> Result<Vec<GarageKey>> {
        Ok(self.http.get(["v2", "ListKeys"]).json().await?)
    }

    /// Creates a key named `name`; the answer holds its secret.
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Decode`] when the answer lacks the keys.
    pub async fn create_key(&self, name: &str) -> Result<(String, SecretString)> {
        let v: Value = self
            .http
            .post(["v2", "CreateKey"])
            .json_body(&json!({ "name": name }))
            .json()
            .await?;
        let ak = id_of(&v, "accessKeyId", "CreateKey")?;
        let sk = id_of(&v, "secretAccessKey", "CreateKey")?;
        Ok((ak, SecretString::from(sk)))
    }

    /// Deletes a key.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_key(&self, id: &str) -> Result<()> {
        self.http
            .post(["v2", "DeleteKey"])
            .query_pair("id", id)
            .send()
            .await?;
        Ok(())
    }

    /// Grants a key read, write and/or owner rights on a bucket (rights not set are left as
    /// they are).
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn allow_bucket_key(
        &self,
        bucket_id: &str,
        key_id: &str,
        read: bool,
        write: bool,
        owner: bool,
    ) -> Result<()> {
        let body = json!({
            "bucketId": bucket_id,
            "accessKeyId": key_id,
            "permissions": { "read": read, "write": write, "owner": owner }
        });
        self.http
            .post(["v2", "AllowBucketKey"])
            .json_body(&body)
            .send()
            .await?;
        Ok(())
    }

    /// A key named `principal` with `rights` on `bucket` only (the bucket is created with a
    /// global alias when missing). An existing key is kept, without its secret, unless
    /// `rotate`, which replaces it with a new key.
    ///
    /// # Errors
    /// [`Error::S3`] from the admin API.
    pub async fn provision_bucket_access(
        &self,
        bucket: &str,
        principal: &str,
        rights: Rights,
        rotate: bool,
    ) -> Result<BucketAccess> {
        let bucket_id = match self.bucket_id(bucket).await? {
            Some(id) => id,
            None => self.create_bucket(bucket).await?,
        };
        let existing = self.keys().await?.into_iter().find(|k| k.name == principal);
        let (access_key, secret_key, created) = match (existing, rotate) {
            (Some(k), false) => (k.id, None, false),
            (old, _) => {
                let (ak, sk) = self.create_key(principal).await?;
                let created = old.is_none();
                if let Some(k) = old {
                    self.delete_key(&k.id).await?;
                }
                (ak, Some(sk), created)
            }
        };
        let write = rights == Rights::ReadWrite;
        self.allow_bucket_key(&bucket_id, &access_key, true, write, false)
            .await?;
        Ok(BucketAccess {
            principal: principal.to_owned(),
            access_key,
            secret_key,
            created,
        })
    }
}

fn id_of(v: &Value, field: &str, action: &str) -> Result<String> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Decode {
            url: action.to_owned(),
            message: format!("no {field} in the answer"),
        })
}
