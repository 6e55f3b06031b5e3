//! Files to upload in multipart forms.

use std::path::Path;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::multipart::Part;

/// A file to upload: its name, MIME type and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    /// The file name the server records.
    pub file_name: String,
    /// The MIME type.
    pub content_type: String,
    /// The content.
    pub data: Bytes,
}

impl FileUpload {
    /// A file from memory.
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            data: data.into(),
        }
    }

    /// Reads a file from disk; its MIME type is `application/octet-stream` unless set after.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the path if it cannot be read.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let data = tokio::fs::read(path).await.map_err(|e| {
            Error::invalid_input(format!("cannot read {}", path.display())).with_source(e)
        })?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::invalid_input(format!("{} has no file name", path.display())))?;
        Ok(Self::new(file_name, "application/octet-stream", data))
    }

    /// Sets the MIME type.
    #[must_use]
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = ct.into();
        self
    }

    /// The multipart part carrying this file under the field name `field`.
    #[must_use]
    pub fn part(&self, field: &str) -> Part {
        Part::file(
            field,
            self.file_name.clone(),
            self.content_type.clone(),
            self.data.clone(),
        )
    }
}
