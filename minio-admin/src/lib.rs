//! S3 buckets, bucket policies and smoke-test objects on any S3 store (MinIO, RustFS,
//! SeaweedFS, Garage, Ceph RGW, AWS), signed with SigV4 by the shared transport; and the MinIO
//! admin API ([`MinioAdmin`]: users, canned policies, service accounts, health) with its payload
//! encryption ([`sio`]); and least-privilege bucket credentials on MinIO, IAM-style stores and
//! Garage ([`MinioAdmin::provision_bucket_access`], [`Iam`], [`Garage`]). The [coverage
//! table](coverage) lists each operation and the servers it was tested on.
//!
//! This is where TheHive's evidence bucket is created and checked. Requests carry the real
//! SHA-256 of their body (never `UNSIGNED-PAYLOAD`) and a fresh date on every retry; S3's XML
//! errors become [`Error::S3`] with their code, message and request id.
//!
//! ```no_run
//! use minio_admin::{S3, SecretString};
//!
//! # async fn tour() -> Result<(), minio_admin::Error> {
//! let s3 = S3::builder("https://s3.soc.example:9000")?
//!     .keys("soc-provisioner", SecretString::from(std::env::var("S3_SECRET").unwrap_or_default()))
//!     .region("us-east-1")
//!     .ca_file("/etc/soc/ca.pem")
//!     .build()?;
//!
//! // Idempotent: a bucket this key already owns is success.
//! s3.create_bucket("thehive-evidence").await?;
//! s3.put_bucket_policy("thehive-evidence", r#"{"Version":"2012-10-17","Statement":[]}"#).await?;
//! s3.set_versioning("thehive-evidence", true).await?;
//!
//! // A smoke test: write, read back, delete.
//! s3.put_object("thehive-evidence", "soc-check/probe.txt", "text/plain", b"ok".to_vec()).await?;
//! assert_eq!(s3.get_object("thehive-evidence", "soc-check/probe.txt").await?, b"ok"[..]);
//! s3.delete_object("thehive-evidence", "soc-check/probe.txt").await?;
//!
//! // On MinIO or RustFS: a user limited to that bucket.
//! use minio_admin::{MinioAdmin, Principal};
//! let admin = MinioAdmin::builder("https://s3.soc.example:9000")?
//!     .keys("soc-provisioner", SecretString::from(std::env::var("S3_SECRET").unwrap_or_default()))
//!     .build()?;
//! let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Action": ["s3:*"], "Resource": ["arn:aws:s3:::thehive-evidence", "arn:aws:s3:::thehive-evidence/*"]}]});
//! admin.add_canned_policy("thehive-evidence", &policy).await?;
//! admin.add_user("thehive", &SecretString::from("generated-elsewhere".to_owned())).await?;
//! admin.set_policy("thehive-evidence", Principal::User("thehive")).await?;
//!
//! // Or in one idempotent call, on whichever store it is: MinIO/RustFS, IAM-style
//! // (SeaweedFS, Ceph RGW: `Iam`) or Garage (`Garage`).
//! use minio_admin::Rights;
//! let access = admin.provision_bucket_access("thehive-evidence", "thehive", Rights::ReadWrite, false).await?;
//! println!("{} created: {}", access.access_key, access.created);
//!
//! // SeaweedFS or Ceph RGW: the IAM API on the S3 port.
//! use minio_admin::{Garage, Iam};
//! let iam = Iam::new("https://s3.soc.example:8333", "soc-provisioner",
//!     SecretString::from(std::env::var("S3_SECRET").unwrap_or_default()), "us-east-1")?;
//! let access = iam.provision_bucket_access("thehive-evidence", "thehive", Rights::ReadWrite, false).await?;
//!
//! // Garage: its admin API and token.
//! let garage = Garage::new("http://127.0.0.1:3903",
//!     SecretString::from(std::env::var("GARAGE_ADMIN_TOKEN").unwrap_or_default()))?;
//! let access = garage.provision_bucket_access("thehive-evidence", "thehive", Rights::ReadWrite, false).await?;
//! // The secret is there when the key was made by this call; store it in TheHive's config.
//! assert!(access.secret_key.is_some() || !access.created);
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod admin;
mod admin_ops;
mod error;
mod garage;
mod provision;
mod s3;
pub mod sio;
mod xml;

pub mod coverage {
    //! Which method covers each minio-py `MinioAdmin` method and S3 operation, and where each was
    //! tested.
    #![doc = include_str!("../COVERAGE.md")]
}

pub use admin::{
    ApiVersion, Credentials, MinioAdmin, MinioAdminBuilder, NewServiceAccount, PolicyInfo,
    Principal, ServiceAccount, UserInfo,
};
pub use error::{Error, Result};
pub use garage::{Garage, GarageKey};
pub use provision::{bucket_policy, generate_secret, BucketAccess, Iam, Rights};
pub use s3::{Addressing, Bucket, ObjectInfo, ObjectPage, S3Builder, Tag, S3};
pub use soc_http::{self, RetryPolicy, SecretString};
