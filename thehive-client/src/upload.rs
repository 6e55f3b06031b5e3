//! Files to upload.

pub use soc_http::FileUpload;
use soc_http::{Multipart, Part};

use crate::{Error, Result};

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
