//! Integration tests of `minio-admin`: every request against a strict mock (method, path,
//! query, body, and a SigV4 signature over the body's hash), and the whole bucket life cycle
//! against a real S3 store when `S3_TEST_URL` is set (`cargo xtask ci` starts SeaweedFS).

mod admin;
mod crypto;
mod garage;
mod hostile;
mod lab;
mod mock;
mod real;
mod real_admin;
mod support;
