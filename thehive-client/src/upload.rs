//! Files to upload.

use std::path::Path;

use bytes::Bytes;
use soc_http::{Multipart, Part};

use crate::{Error, Result};

/// A file to upload: its name, MIME type and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    /// The file name TheHive records.
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
    /// [`Error::InvalidInput`] naming the path if it cannot be read.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let data = tokio::fs::read(path)
            .await
            .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::InvalidInput(format!("{} has no file name", path.display())))?;
        Ok(Self::new(file_name, "application/octet-stream", data))
    }

    /// Sets the MIME type.
    #[must_use]
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = ct.into();
        self
    }

    pub(crate) fn part(&self, field: &str) -> Part {
        Part::file(
            field,
            self.file_name.clone(),
            self.content_type.clone(),
            self.data.clone(),
        )
    }
}

/// A form with a `_json` part followed by file parts.
pub(crate) fn json_and_files<T: serde::Serialize + ?Sized>(
    json: &T,
    files: &[(&str, &FileUpload)],
) -> Result<Multipart> {
    let mut form = Multipart::new().part(Part::json("_json", json)?);
    for (field, f) in files {
        form = form.part(f.part(field));
    }
    Ok(form)
}

/// A form with one `attachments` part per file, plus optional text fields.
pub(crate) fn attachments_form(
    files: &[FileUpload],
    fields: &[(&str, String)],
) -> Result<Multipart> {
    if files.is_empty() {
        return Err(Error::InvalidInput("no file to upload".into()));
    }
    let mut form = Multipart::new();
    for (k, v) in fields {
        form = form.part(Part::text(*k, v.clone()));
    }
    for f in files {
        form = form.part(f.part("attachments"));
    }
    Ok(form)
}
