//! S3 buckets, bucket policies and smoke-test objects on any S3 store (MinIO, RustFS,
//! SeaweedFS, Garage, Ceph RGW, AWS), signed with SigV4 by the shared transport.
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
//! # Ok(()) }
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
mod s3;
mod xml;

pub use error::{Error, Result};
pub use s3::{Bucket, S3Builder, Tag, S3};
pub use soc_http::{self, RetryPolicy, SecretString};
