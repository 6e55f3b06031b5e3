//! Least-privilege provisioning, whatever the store: credentials that reach one bucket and
//! nothing else, for TheHive's attachments or Cortex's reports. Idempotent: run again, it finds
//! the principal it made and keeps its secret unless asked to rotate it.

use std::fmt;

use serde_json::{json, Value};
use soc_http::{Auth, HttpClient, Method, SecretString, SigV4};

use crate::admin::{ApiVersion, MinioAdmin, Principal};
use crate::{xml, Error, Result};

/// What the credentials may do in the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rights {
    /// List and read objects.
    ReadOnly,
    /// List, read, write and delete objects.
    ReadWrite,
}

impl Rights {
    fn actions(self) -> Vec<&'static str> {
        match self {
            Self::ReadOnly => vec!["s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"],
            // Multipart uploads need only PutObject; the finer multipart actions are left out
            // because SeaweedFS refuses policies that name them.
            Self::ReadWrite => vec![
                "s3:GetBucketLocation",
                "s3:ListBucket",
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
            ],
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::ReadOnly => "ro",
            Self::ReadWrite => "rw",
        }
    }
}

/// The IAM policy granting `rights` on `bucket` and its objects only.
#[must_use]
pub fn bucket_policy(bucket: &str, rights: Rights) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": rights.actions(),
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]
        }]
    })
}

/// Credentials limited to one bucket. `Debug` hides the secret.
#[derive(Clone)]
pub struct BucketAccess {
    /// The principal (user) holding them.
    pub principal: String,
    /// The access key.
    pub access_key: String,
    /// The secret key: present when it was created or rotated by this call, absent when an
    /// existing principal was kept as it was (its secret is wherever it was stored first).
    pub secret_key: Option<SecretString>,
    /// Whether the principal was created by this call.
    pub created: bool,
}

impl fmt::Debug for BucketAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketAccess")
            .field("principal", &self.principal)
            .field("access_key", &self.access_key)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("created", &self.created)
            .finish()
    }
}

/// A 40-character secret from the system's random source.
///
/// # Errors
/// [`Error::InvalidInput`] if the random source fails.
pub fn generate_secret() -> Result<SecretString> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = [0u8; 40];
    getrandom::fill(&mut raw).map_err(|e| Error::InvalidInput(format!("no random source: {e}")))?;
    // 248 is the largest multiple of 62 below 256: reject above it to keep the draw uniform.
    let mut out = String::with_capacity(40);
    let mut pool = raw.to_vec();
    while out.len() < 40 {
        if pool.is_empty() {
            let mut more = [0u8; 40];
            getrandom::fill(&mut more)
                .map_err(|e| Error::InvalidInput(format!("no random source: {e}")))?;
            pool.extend_from_slice(&more);
        }
        let b = pool.remove(0);
        if b < 248 {
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
    }
    Ok(SecretString::from(out))
}

impl MinioAdmin {
    /// Credentials for `principal` limited to `bucket` with `rights`: a canned policy
    /// `<principal>-<bucket>-<rw|ro>` and a user holding it. An existing user keeps its secret
    /// unless `rotate`.
    ///
    /// # Errors
    /// [`Error::S3`] from the server.
    pub async fn provision_bucket_access(
        &self,
        bucket: &str,
        principal: &str,
        rights: Rights,
        rotate: bool,
    ) -> Result<BucketAccess> {
        let policy_name = format!("{principal}-{bucket}-{}", rights.suffix());
        self.add_canned_policy(&policy_name, &bucket_policy(bucket, rights))
            .await?;
        let exists = match self.user_info(principal).await {
            Ok(_) => true,
            Err(e) if e.code() == Some("XMinioAdminNoSuchUser") => false,
            Err(e) => return Err(e),
        };
        let secret = if !exists || rotate {
            let s = generate_secret()?;
            self.add_user(principal, &s).await?;
            Some(s)
        } else {
            None
        };
        match self.version() {
            // v3 servers all route the older call; AIStor (v4) only the builtin attach.
            ApiVersion::V3 => {
                self.set_policy(&policy_name, Principal::User(principal))
                    .await?
            }
            ApiVersion::V4 => match self
                .attach_policy(&[&policy_name], Principal::User(principal))
                .await
            {
                Ok(_) => {}
                Err(e) if e.code() == Some("XMinioAdminPolicyChangeAlreadyApplied") => {}
                Err(e) => return Err(e),
            },
        }
        Ok(BucketAccess {
            principal: principal.to_owned(),
            access_key: principal.to_owned(),
            secret_key: secret,
            created: !exists,
        })
    }
}

/// The AWS IAM query API, as SeaweedFS (`-s3.iam`) and Ceph RGW serve it on their S3 port:
/// users, their access keys and inline policies.
#[derive(Debug, Clone)]
pub struct Iam {
    http: HttpClient,
}

impl Iam {
    /// A client of the IAM API at `endpoint` (`http://127.0.0.1:8333` for SeaweedFS), signed for
    /// service `iam` in `region`.
    ///
    /// # Errors
    /// [`Error::Http`] for a URL the transport refuses.
    pub fn new(
        endpoint: &str,
        access_key: &str,
        secret_key: SecretString,
        region: &str,
    ) -> Result<Self> {
        let signer = SigV4::new(access_key, secret_key, region, "iam");
        let http = HttpClient::builder(endpoint)?
            .user_agent(concat!("minio-admin/", env!("CARGO_PKG_VERSION")))
            .auth(Auth::SigV4(Box::new(signer)))
            .build()?;
        Ok(Self { http })
    }

    /// One IAM action; answers the XML document.
    ///
    /// # Errors
    /// [`Error::S3`] with IAM's code (`NoSuchEntity`, `EntityAlreadyExists` ...).
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<String> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", "2010-05-08");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let r = self.http.request(Method::POST, Vec::<String>::new()).body(
            "application/x-www-form-urlencoded; charset=utf-8",
            form.finish(),
        );
        Ok(r.text().await?)
    }

    /// Whether a user exists (`GetUser`).
    ///
    /// # Errors
    /// [`Error::S3`] other than `NoSuchEntity`.
    pub async fn user_exists(&self, user: &str) -> Result<bool> {
        match self.call("GetUser", &[("UserName", user)]).await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates a user.
    ///
    /// # Errors
    /// [`Error::S3`] (`EntityAlreadyExists`).
    pub async fn create_user(&self, user: &str) -> Result<()> {
        self.call("CreateUser", &[("UserName", user)])
            .await
            .map(|_| ())
    }

    /// Deletes a user.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_user(&self, user: &str) -> Result<()> {
        self.call("DeleteUser", &[("UserName", user)])
            .await
            .map(|_| ())
    }

    /// A new access key for a user; the answer holds its secret, once.
    ///
    /// # Errors
    /// [`Error::S3`]; [`Error::Decode`] when the answer lacks the key.
    pub async fn create_access_key(&self, user: &str) -> Result<(String, SecretString)> {
        let doc = self.call("CreateAccessKey", &[("UserName", user)]).await?;
        let ak = xml::tag_text(&doc, "AccessKeyId");
        let sk = xml::tag_text(&doc, "SecretAccessKey");
        match (ak, sk) {
            (Some(a), Some(s)) => Ok((a, SecretString::from(s))),
            _ => Err(Error::Decode {
                url: "CreateAccessKey".into(),
                message: "no AccessKeyId and SecretAccessKey in the answer".into(),
            }),
        }
    }

    /// The access key ids of a user.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn access_keys(&self, user: &str) -> Result<Vec<String>> {
        let doc = self.call("ListAccessKeys", &[("UserName", user)]).await?;
        Ok(doc
            .split("<AccessKeyId>")
            .skip(1)
            .filter_map(|p| p.split("</AccessKeyId>").next())
            .map(str::to_owned)
            .collect())
    }

    /// Deletes an access key.
    ///
    /// # Errors
    /// [`Error::S3`].
    pub async fn delete_access_key(&self, user: &str, access_key: &str) -> Result<()> {
        self.call(
            "DeleteAccessKey",
            &[("UserName", user), ("AccessKeyId", access_key)],
        )
        .await
        .map(|_| ())
    }

    /// Sets an inline policy of a user.
    ///
    /// # Errors
    /// [`Error::S3`] (`MalformedPolicyDocument`).
    pub async fn put_user_policy(&self, user: &str, name: &str, policy: &Value) -> Result<()> {
        self.call(
            "PutUserPolicy",
            &[
                ("UserName", user),
                ("PolicyName", name),
                ("PolicyDocument", &policy.to_string()),
            ],
        )
        .await
        .map(|_| ())
    }

    /// Credentials for `principal` limited to `bucket`: a user, an inline policy
    /// `<bucket>-<rw|ro>`, and an access key. An existing user with a key keeps it (no secret
    /// returned) unless `rotate`, which replaces its keys.
    ///
    /// # Errors
    /// [`Error::S3`] from the IAM API.
    pub async fn provision_bucket_access(
        &self,
        bucket: &str,
        principal: &str,
        rights: Rights,
        rotate: bool,
    ) -> Result<BucketAccess> {
        let exists = self.user_exists(principal).await?;
        if !exists {
            self.create_user(principal).await?;
        }
        let name = format!("{bucket}-{}", rights.suffix());
        self.put_user_policy(principal, &name, &bucket_policy(bucket, rights))
            .await?;
        let keys = self.access_keys(principal).await?;
        if let (Some(first), false) = (keys.first(), rotate) {
            return Ok(BucketAccess {
                principal: principal.to_owned(),
                access_key: first.clone(),
                secret_key: None,
                created: !exists,
            });
        }
        let (ak, sk) = self.create_access_key(principal).await?;
        for old in keys {
            self.delete_access_key(principal, &old).await?;
        }
        Ok(BucketAccess {
            principal: principal.to_owned(),
            access_key: ak,
            secret_key: Some(sk),
            created: !exists,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_alphanumeric() {
        use soc_http::ExposeSecret;
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_eq!(a.expose_secret().len(), 40);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn the_policy_names_one_bucket_only() {
        let p = bucket_policy("thehive", Rights::ReadOnly);
        assert_eq!(
            p["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::thehive", "arn:aws:s3:::thehive/*"])
        );
        assert!(!p.to_string().contains("PutObject"));
    }
}
