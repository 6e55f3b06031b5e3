//! `POST /alerts`: a small JSON document becomes a TheHive alert.
//!
//! ```json
//! {"title": "Brute force on vpn-1", "description": "42 failed logins", "severity": "high",
//!  "source": "elastalert", "sourceRef": "rule-7:2024-05-01T10:00",
//!  "tags": ["vpn"], "tlp": "amber",
//!  "observables": [{"dataType": "ip", "data": "203.0.113.7"}]}
//! ```
//! `title` and `source` are required; `description` defaults to the title, `severity` to
//! medium, `sourceRef` to a hash of the body (so a retried POST finds the alert it created).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use thehive_client::model::{InputAlert, InputObservable, Severity, Tlp};
use thehive_client::query::{Filter, Search};

use super::auth::VerifiedBody;
use super::metrics::inc;
use super::{error_response, field_error, json_response, Server};

/// A field of the posted document that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// The alert an accepted document describes (without its `type`, which is configured).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PostedAlert {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) source: String,
    pub(crate) source_ref: String,
    pub(crate) severity: Severity,
    pub(crate) tlp: Option<Tlp>,
    pub(crate) tags: Vec<String>,
    pub(crate) observables: Vec<(String, String)>,
}

const FIELDS: &[&str] = &[
    "title",
    "description",
    "severity",
    "source",
    "sourceRef",
    "tags",
    "tlp",
    "observables",
];

/// Checks a posted body, naming the first field that is wrong.
pub(crate) fn parse(body: &[u8]) -> Result<PostedAlert, FieldError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad("-", format!("the body is not JSON: {e}")))?;
    let Value::Object(doc) = value else {
        return Err(bad("-", "the body must be a JSON object"));
    };
    if let Some(unknown) = doc.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(
            unknown.as_str(),
            format!("unknown field (known: {})", FIELDS.join(", ")),
        ));
    }
    let title = required_text(&doc, "title")?;
    let source = required_text(&doc, "source")?;
    let description = optional_text(&doc, "description")?.unwrap_or_else(|| title.clone());
    let source_ref = match optional_text(&doc, "sourceRef")? {
        Some(r) => r,
        None => format!("sha256:{}", &hex::encode(Sha256::digest(body))[..32]),
    };
    let severity = match doc.get("severity") {
        None | Some(Value::Null) => Severity::Medium,
        Some(v) => severity(v).ok_or_else(|| {
            bad(
                "severity",
                "expected 1 to 4 or one of low, medium, high, critical",
            )
        })?,
    };
    let tlp = match doc.get("tlp") {
        None | Some(Value::Null) => None,
        Some(v) => Some(tlp(v).ok_or_else(|| {
            bad(
                "tlp",
                "expected 0 to 4 or one of clear, white, green, amber, amber+strict, red",
            )
        })?),
    };
    let tags = match doc.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                _ => Err(bad(format!("tags[{i}]"), "expected a non-empty string")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("tags", "expected a list of strings")),
    };
    let observables = match doc.get("observables") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, o)| observable(i, o))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("observables", "expected a list of {dataType, data}")),
    };
    Ok(PostedAlert {
        title,
        description,
        source,
        source_ref,
        severity,
        tlp,
        tags,
        observables,
    })
}

fn required_text(doc: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    optional_text(doc, field)?.ok_or_else(|| bad(field, "required"))
}

fn optional_text(doc: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(bad(field, "must not be empty")),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(field, "expected a string")),
    }
}

fn severity(v: &Value) -> Option<Severity> {
    match v {
        Value::Number(n) => match n.as_i64()? {
            1 => Some(Severity::Low),
            2 => Some(Severity::Medium),
            3 => Some(Severity::High),
            4 => Some(Severity::Critical),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "low" | "1" => Some(Severity::Low),
            "medium" | "2" => Some(Severity::Medium),
            "high" | "3" => Some(Severity::High),
            "critical" | "4" => Some(Severity::Critical),
            _ => None,
        },
        _ => None,
    }
}

fn tlp(v: &Value) -> Option<Tlp> {
    match v {
        Value::Number(n) => match n.as_i64()? {
            0 => Some(Tlp::Clear),
            1 => Some(Tlp::Green),
            2 => Some(Tlp::Amber),
            3 => Some(Tlp::AmberStrict),
            4 => Some(Tlp::Red),
            _ => None,
        },
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            match s.strip_prefix("tlp:").unwrap_or(&s) {
                "clear" | "white" => Some(Tlp::Clear),
                "green" => Some(Tlp::Green),
                "amber" => Some(Tlp::Amber),
                "amber+strict" | "amber-strict" => Some(Tlp::AmberStrict),
                "red" => Some(Tlp::Red),
                _ => None,
            }
        }
        _ => None,
    }
}

fn observable(i: usize, o: &Value) -> Result<(String, String), FieldError> {
    let Value::Object(o) = o else {
        return Err(bad(
            format!("observables[{i}]"),
            "expected {dataType, data}",
        ));
    };
    if let Some(k) = o.keys().find(|k| *k != "dataType" && *k != "data") {
        return Err(bad(
            format!("observables[{i}].{k}"),
            "unknown field (known: dataType, data)",
        ));
    }
    let text = |field: &str| match o.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => Err(bad(
            format!("observables[{i}].{field}"),
            "must not be empty",
        )),
        None | Some(Value::Null) => Err(bad(format!("observables[{i}].{field}"), "required")),
        Some(_) => Err(bad(
            format!("observables[{i}].{field}"),
            "expected a string",
        )),
    };
    Ok((text("dataType")?, text("data")?))
}

impl PostedAlert {
    pub(crate) fn to_input(&self, kind: &str) -> InputAlert {
        let mut alert = InputAlert::new(
            kind,
            &self.source,
            &self.source_ref,
            &self.title,
            &self.description,
        )
        .severity(self.severity);
        if let Some(t) = self.tlp {
            alert = alert.tlp(t);
        }
        for t in &self.tags {
            alert = alert.tag(t);
        }
        for (data_type, data) in &self.observables {
            alert = alert.observable(InputObservable::new(data_type, data));
        }
        alert
    }
}

/// `POST /alerts`.
pub(crate) async fn create(
    State(server): State<Server>,
    Extension(VerifiedBody(body)): Extension<VerifiedBody>,
) -> Response {
    let posted = match parse(&body) {
        Ok(p) => p,
        Err(e) => return field_error(&e.field, &e.message),
    };
    let inner = &server.inner;
    let input = posted.to_input(&inner.alert_type);
    match inner.hive.alerts().create(&input).await {
        Ok(alert) => {
            inc(&inner.metrics.alerts_created);
            tracing::info!(id = %alert.meta.id, source = %posted.source, source_ref = %posted.source_ref, "alert created");
            json_response(
                StatusCode::CREATED,
                json!({"id": alert.meta.id, "sourceRef": posted.source_ref}),
            )
        }
        Err(thehive_client::Error::AlertAlreadyExists { .. }) => {
            existing(&server, &input, &posted.source_ref).await
        }
        Err(e) => {
            inc(&inner.metrics.alerts_failed);
            refused(e)
        }
    }
}

/// A replay: answers with the alert that already has this `type`, `source` and `sourceRef`.
async fn existing(server: &Server, input: &InputAlert, source_ref: &str) -> Response {
    let inner = &server.inner;
    let search = Search::new()
        .filter(Filter::all([
            Filter::eq("type", input.kind.as_str()),
            Filter::eq("source", input.source.as_str()),
            Filter::eq("sourceRef", input.source_ref.as_str()),
        ]))
        .page(0, 1);
    match inner.hive.alerts().find(&search).await {
        Ok(found) => match found.into_iter().next() {
            Some(alert) => {
                inc(&inner.metrics.alerts_duplicate);
                tracing::info!(id = %alert.meta.id, source_ref, "alert already exists");
                json_response(
                    StatusCode::OK,
                    json!({"id": alert.meta.id, "sourceRef": source_ref, "duplicate": true}),
                )
            }
            None => {
                inc(&inner.metrics.alerts_failed);
                tracing::warn!(
                    source_ref,
                    "thehive reports a duplicate alert that its search cannot find"
                );
                error_response(
                    StatusCode::BAD_GATEWAY,
                    "thehive reports the alert exists but does not return it",
                )
            }
        },
        Err(e) => {
            inc(&inner.metrics.alerts_failed);
            refused(e)
        }
    }
}

/// TheHive did not create the alert: its 400 (an observable type it does not know, say) is the
/// sender's problem; anything else is TheHive's or ours (502).
fn refused(e: thehive_client::Error) -> Response {
    let status = e.status();
    tracing::warn!(error = %e, "thehive did not create the alert");
    if status == Some(soc_http::StatusCode::BAD_REQUEST) {
        let message = e
            .api_message()
            .map(str::to_owned)
            .unwrap_or_else(|| e.to_string());
        return error_response(
            StatusCode::BAD_REQUEST,
            format!("thehive refused the alert: {message}"),
        );
    }
    let what = match status {
        Some(s) => format!("thehive answered {}", s.as_u16()),
        None => "thehive is unreachable".to_owned(),
    };
    error_response(StatusCode::BAD_GATEWAY, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_small_document() {
        let body = br#"{"title": "t", "source": "s", "severity": "High", "tlp": "TLP:AMBER",
            "tags": ["a"], "observables": [{"dataType": "ip", "data": "203.0.113.7"}]}"#;
        let p = parse(body).expect("valid");
        assert_eq!(p.description, "t");
        assert_eq!(p.severity, Severity::High);
        assert_eq!(p.tlp, Some(Tlp::Amber));
        assert_eq!(p.observables, vec![("ip".into(), "203.0.113.7".into())]);
        assert!(p.source_ref.starts_with("sha256:"));
        assert_eq!(parse(body).expect("valid").source_ref, p.source_ref);
        assert_eq!(
            parse(br#"{"title":"t","source":"s","severity":4}"#)
                .expect("valid")
                .severity,
            Severity::Critical
        );
    }

    #[test]
    fn names_the_wrong_field() {
        let field = |b: &[u8]| parse(b).expect_err("invalid").field;
        assert_eq!(field(br#"{"source": "s"}"#), "title");
        assert_eq!(field(br#"{"title": "t"}"#), "source");
        assert_eq!(field(br#"{"title": " ", "source": "s"}"#), "title");
        assert_eq!(
            field(br#"{"title": "t", "source": "s", "severity": 5}"#),
            "severity"
        );
        assert_eq!(
            field(br#"{"title": "t", "source": "s", "severity": "urgent"}"#),
            "severity"
        );
        assert_eq!(field(br#"{"title": "t", "source": "s", "tlp": 9}"#), "tlp");
        assert_eq!(
            field(br#"{"title": "t", "source": "s", "tags": [1]}"#),
            "tags[0]"
        );
        assert_eq!(
            field(br#"{"title": "t", "source": "s", "observables": [{"dataType": "ip"}]}"#),
            "observables[0].data"
        );
        assert_eq!(
            field(br#"{"title": "t", "source": "s", "sourceref": "x"}"#),
            "sourceref"
        );
        assert_eq!(field(b"[1]"), "-");
        assert_eq!(field(b"{"), "-");
    }
}
