//! Observables: the artifacts (IPs, domains, hashes, files) attached to alerts and cases.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{serde_as, skip_serializing_none, TimestampMilliSeconds};

use super::{Attachment, Meta, ObservableId, Pap, Tlp};

/// An observable as TheHive returns it (`OutputObservable`).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observable {
    /// Identifier and audit fields.
    #[serde(flatten)]
    pub meta: Meta<ObservableId>,
    /// Data type (`ip`, `domain`, `hash`, `file` ...).
    pub data_type: String,
    /// The value; absent for file observables.
    pub data: Option<String>,
    /// First seen.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// The file, for file observables.
    pub attachment: Option<Attachment>,
    /// TLP.
    pub tlp: Tlp,
    /// TLP label.
    pub tlp_label: Option<String>,
    /// PAP.
    pub pap: Pap,
    /// PAP label.
    pub pap_label: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Indicator of compromise.
    pub ioc: bool,
    /// Seen in the environment.
    pub sighted: bool,
    /// When it was sighted.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub sighted_at: Option<DateTime<Utc>>,
    /// Analyzer reports by analyzer name.
    pub reports: Option<BTreeMap<String, ReportSummary>>,
    /// Message.
    pub message: Option<String>,
    /// Extra data asked for with the Query API.
    pub extra_data: Option<Map<String, Value>>,
    /// Excluded from similarity.
    pub ignore_similarity: Option<bool>,
    /// Whether it comes from outside TheHive.
    pub external: Option<bool>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The short report of one analyzer on an observable.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// Verdicts.
    pub taxonomies: Option<Vec<Taxonomy>>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One analyzer verdict: `namespace:predicate=value` at a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    /// `info`, `safe`, `suspicious` or `malicious`.
    pub level: TaxonomyLevel,
    /// Usually the analyzer's name.
    pub namespace: String,
    /// What was measured.
    pub predicate: String,
    /// The result (a string or a number).
    pub value: Value,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The level of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaxonomyLevel {
    /// Informational.
    Info,
    /// Known good.
    Safe,
    /// Suspicious.
    Suspicious,
    /// Malicious.
    Malicious,
    /// A level this crate does not know, kept as sent.
    #[serde(untagged)]
    Other(String),
}

/// A new observable (`InputObservable`). `dataType` is required; `data` may hold several
/// values, each becoming an observable.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputObservable {
    /// Data type.
    pub data_type: String,
    /// One value or several.
    pub data: Option<ObservableData>,
    /// Message.
    pub message: Option<String>,
    /// First seen.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub start_date: Option<DateTime<Utc>>,
    /// For file observables: the multipart part name carrying the file (in alert creation),
    /// or an existing attachment as `{name, contentType, id}`.
    pub attachment: Option<Value>,
    /// TLP.
    pub tlp: Option<Tlp>,
    /// PAP.
    pub pap: Option<Pap>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Indicator of compromise.
    pub ioc: Option<bool>,
    /// Sighted.
    pub sighted: Option<bool>,
    /// When it was sighted.
    #[serde_as(as = "Option<TimestampMilliSeconds<i64>>")]
    pub sighted_at: Option<DateTime<Utc>>,
    /// Excluded from similarity.
    pub ignore_similarity: Option<bool>,
    /// The uploaded file is a zip to unpack.
    pub is_zip: Option<bool>,
    /// Password of that zip.
    pub zip_password: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One observable value or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObservableData {
    /// One value.
    One(String),
    /// Several values of the same type, created at once.
    Many(Vec<String>),
}

impl InputObservable {
    /// An observable of `data_type` with one value.
    pub fn new(data_type: impl Into<String>, data: impl Into<String>) -> Self {
        let mut o = Self::of_type(data_type);
        o.data = Some(ObservableData::One(data.into()));
        o
    }

    /// Several observables of one type, created in one request.
    pub fn many(
        data_type: impl Into<String>,
        data: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let mut o = Self::of_type(data_type);
        o.data = Some(ObservableData::Many(
            data.into_iter().map(Into::into).collect(),
        ));
        o
    }

    /// A file observable whose content travels in the multipart part `part` (for alert
    /// creation with attachments).
    pub fn file_in_part(part: impl Into<String>) -> Self {
        let mut o = Self::of_type("file");
        o.attachment = Some(Value::String(part.into()));
        o
    }

    /// An observable of `data_type` with no value yet (a file uploaded with it, say).
    pub fn of_type(data_type: impl Into<String>) -> Self {
        Self {
            data_type: data_type.into(),
            data: None,
            message: None,
            start_date: None,
            attachment: None,
            tlp: None,
            pap: None,
            tags: None,
            ioc: None,
            sighted: None,
            sighted_at: None,
            ignore_similarity: None,
            is_zip: None,
            zip_password: None,
            extra: Map::new(),
        }
    }

    /// Marks it as an IOC.
    #[must_use]
    pub fn ioc(mut self, yes: bool) -> Self {
        self.ioc = Some(yes);
        self
    }

    /// Sets the TLP.
    #[must_use]
    pub fn tlp(mut self, t: Tlp) -> Self {
        self.tlp = Some(t);
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.get_or_insert_with(Vec::new).push(t.into());
        self
    }

    /// Sets the message.
    #[must_use]
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }
}
