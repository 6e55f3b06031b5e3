//! `soc bucket export|import`: a bucket of the S3 store copied to a directory and back (TheHive's
//! attachments, Elasticsearch's snapshot repository), for backups and for moving a stack.
//!
//! An export streams each object to `objects/<n>` (0600) and writes `MANIFEST.json` with every
//! key, its file, size and SHA-256. An import checks each file against the manifest before it writes
//! anything, creates the bucket if needed, and puts every object back under its key; running it
//! again writes the same objects again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::clients;
use crate::config::SocConfig;

/// One object of an export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Its key in the bucket.
    pub key: String,
    /// Its file, relative to the export directory.
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of its content, lower-case hex.
    pub sha256: String,
}

/// `MANIFEST.json` of an export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// The bucket exported.
    pub bucket: String,
    /// Its objects.
    pub objects: Vec<Entry>,
}

/// What goes wrong copying a bucket.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    /// `[s3]` is missing or its client cannot be built.
    #[error("s3: {0}")]
    Client(String),
    /// The store refused or failed a request.
    #[error("s3: {what}: {source}")]
    Store {
        /// What was being done.
        what: String,
        /// The store's error.
        #[source]
        source: minio_admin::Error,
    },
    /// A file of the export cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The export does not match its manifest.
    #[error("{}: {message}", path.display())]
    Damaged {
        /// The file or manifest.
        path: PathBuf,
        /// What does not match.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BucketError + '_ {
    move |source| BucketError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn store(config: &SocConfig) -> Result<minio_admin::S3, BucketError> {
    clients::s3(config)
        .map_err(|e| BucketError::Client(e.to_string()))?
        .map(|(s3, _)| s3)
        .ok_or_else(|| BucketError::Client("not configured ([s3] in soc.toml)".into()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), BucketError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(io(path))
}

/// Copies every object of `bucket` into `dir` (created, 0700).
pub async fn export(config: &SocConfig, bucket: &str, dir: &Path) -> Result<Manifest, BucketError> {
    let s3 = store(config)?;
    let objects_dir = dir.join("objects");
    std::fs::create_dir_all(&objects_dir).map_err(io(&objects_dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    }
    let listing = s3
        .list_all_objects(bucket, "")
        .await
        .map_err(|source| BucketError::Store {
            what: format!("listing {bucket}"),
            source,
        })?;
    let mut manifest = Manifest {
        bucket: bucket.to_owned(),
        objects: Vec::with_capacity(listing.len()),
    };
    for (n, o) in listing.iter().enumerate() {
        // Streamed to its file: an object never has to fit in memory.
        let file = format!("objects/{n}");
        let path = dir.join(&file);
        write_private(&path, b"")?;
        let mut out = tokio::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .await
            .map_err(io(&path))?;
        s3.download_object(bucket, &o.key, &mut out)
            .await
            .map_err(|source| BucketError::Store {
                what: format!("reading {bucket}/{}", o.key),
                source,
            })?;
        tokio::io::AsyncWriteExt::flush(&mut out)
            .await
            .map_err(io(&path))?;
        let (size, sha256) = digest(&path)?;
        manifest.objects.push(Entry {
            key: o.key.clone(),
            file,
            size,
            sha256,
        });
    }
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BucketError::Damaged {
        path: dir.join("MANIFEST.json"),
        message: e.to_string(),
    })?;
    write_private(&dir.join("MANIFEST.json"), &text)?;
    Ok(manifest)
}

/// Puts every object of the export in `dir` into `bucket` (created if missing), after checking
/// every file against the manifest.
pub async fn import(config: &SocConfig, dir: &Path, bucket: &str) -> Result<Manifest, BucketError> {
    let manifest_path = dir.join("MANIFEST.json");
    let text = std::fs::read(&manifest_path).map_err(io(&manifest_path))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| BucketError::Damaged {
        path: manifest_path.clone(),
        message: format!("not a manifest: {e}"),
    })?;
    // Everything is checked before anything is written (streaming the files: only one object
    // at a time is held in memory, for its upload).
    for e in &manifest.objects {
        if e.file.contains("..") || e.file.starts_with('/') {
            return Err(BucketError::Damaged {
                path: manifest_path.clone(),
                message: format!("{}: file {:?} is outside the export", e.key, e.file),
            });
        }
        let path = dir.join(&e.file);
        let (size, sha) = digest(&path)?;
        if size != e.size || sha != e.sha256 {
            return Err(BucketError::Damaged {
                path,
                message: format!(
                    "{}: {size} bytes with SHA-256 {sha}, the manifest says {} bytes with {}",
                    e.key, e.size, e.sha256
                ),
            });
        }
    }
    let s3 = store(config)?;
    s3.create_bucket(bucket)
        .await
        .map_err(|source| BucketError::Store {
            what: format!("creating {bucket}"),
            source,
        })?;
    for e in &manifest.objects {
        let path = dir.join(&e.file);
        let data = std::fs::read(&path).map_err(io(&path))?;
        s3.put_object(bucket, &e.key, "application/octet-stream", data)
            .await
            .map_err(|source| BucketError::Store {
                what: format!("writing {bucket}/{}", e.key),
                source,
            })?;
    }
    Ok(manifest)
}

/// Size and SHA-256 of a file, read in chunks.
fn digest(path: &Path) -> Result<(u64, String), BucketError> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}
