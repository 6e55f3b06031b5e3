//! `multipart/form-data` bodies that can be rebuilt for each attempt.

use bytes::Bytes;
use serde::Serialize;

use crate::error::{Error, Result};

/// A `multipart/form-data` body. Parts are held as shared bytes, so building it once and
/// sending it again on a retry costs no copy.
#[derive(Debug, Clone, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

/// One part of a [`Multipart`] body.
#[derive(Debug, Clone)]
pub struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Part {
    /// A text field.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        }
    }

    /// A JSON field (such as TheHive's and Cortex's `_json` part), sent as a plain form field
    /// holding the serialised JSON, as browsers and the official clients send it.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] if `value` cannot be serialised.
    pub fn json<T: Serialize + ?Sized>(name: impl Into<String>, value: &T) -> Result<Self> {
        let data = serde_json::to_vec(value).map_err(|e| {
            Error::invalid_input("multipart JSON part cannot be serialised").with_source(e)
        })?;
        Ok(Self {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: data.into(),
        })
    }

    /// A file part.
    pub fn file(
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        Self {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        }
    }

    /// The part's field name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Multipart {
    /// An empty form.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a part.
    #[must_use]
    pub fn part(mut self, part: Part) -> Self {
        self.parts.push(part);
        self
    }

    /// The parts, in order.
    #[must_use]
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub(crate) fn to_form(&self) -> Result<reqwest::multipart::Form> {
        let mut form = reqwest::multipart::Form::new();
        for p in &self.parts {
            let len = p.data.len() as u64;
            let mut rp = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::from(p.data.clone()),
                len,
            );
            if let Some(f) = &p.file_name {
                rp = rp.file_name(f.clone());
            }
            if let Some(ct) = &p.content_type {
                rp = rp.mime_str(ct).map_err(|e| {
                    Error::invalid_input(format!(
                        "multipart part {:?}: content type {ct:?}",
                        p.name
                    ))
                    .with_source(e.without_url())
                })?;
            }
            form = form.part(p.name.clone(), rp);
        }
        Ok(form)
    }
}
