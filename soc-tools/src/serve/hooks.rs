//! `POST /hooks/thehive`: TheHive's webhook notifications queue alerts for enrichment.
//!
//! TheHive (`notification.webhook.endpoints`, message version 0) posts one JSON document per
//! audited change:
//!
//! ```json
//! {"operation": "Creation", "objectType": "Alert", "objectId": "~41017472",
//!  "rootId": "~41017472", "requestId": "..", "startDate": 1714557600000,
//!  "organisationId": "~8256", "organisation": "soc", "base": true,
//!  "details": {..}, "object": {"_id": "~41017472", "_type": "Alert", "title": "..", ..}}
//! ```
//! Created and updated alerts are queued (each id once while it waits); everything else is
//! acknowledged and ignored. Updates made by `[serve].thehive_user` itself are ignored too:
//! they are what enrichment writes back, and queueing them would loop.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use thehive_client::model::AlertId;

use super::auth::VerifiedBody;
use super::metrics::inc;
use super::queue::Pushed;
use super::{error_response, field_error, json_response, Server};

/// What a notification asks of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notification {
    /// Enrich this alert.
    Enrich(AlertId),
    /// Nothing to do, and why.
    Ignore(String),
}

/// Reads a notification; `Err` names the field that makes it unreadable.
pub(crate) fn parse(
    body: &[u8],
    organisation: &str,
    own_login: &str,
) -> Result<Notification, (String, String)> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ("-".to_owned(), format!("the body is not JSON: {e}")))?;
    let Value::Object(doc) = value else {
        return Err(("-".into(), "the body must be a JSON object".into()));
    };
    let text = |field: &str| -> Result<String, (String, String)> {
        match doc.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            None | Some(Value::Null) => Err((field.into(), "required".into())),
            Some(_) => Err((field.into(), "expected a non-empty string".into())),
        }
    };
    let object_type = text("objectType")?;
    let operation = text("operation")?;
    if !object_type.eq_ignore_ascii_case("alert") {
        return Ok(Notification::Ignore(format!(
            "not an alert ({object_type})"
        )));
    }
    let update = match operation.to_ascii_lowercase().as_str() {
        "creation" | "create" => false,
        "update" => true,
        _ => {
            return Ok(Notification::Ignore(format!(
                "operation {operation} on an alert"
            )))
        }
    };
    if let Some(org) = doc.get("organisation").and_then(Value::as_str) {
        if org != organisation {
            return Ok(Notification::Ignore(format!(
                "organisation {org} is not {organisation}"
            )));
        }
    }
    let object = doc.get("object").and_then(Value::as_object);
    if update {
        let by = object
            .and_then(|o| o.get("_updatedBy").or_else(|| o.get("updatedBy")))
            .and_then(Value::as_str);
        if by == Some(own_login) {
            return Ok(Notification::Ignore(format!(
                "an update made by {own_login} (enrichment)"
            )));
        }
    }
    let id = match doc.get("objectId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => match object.and_then(|o| o.get("_id")).and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => return Err(("objectId".into(), "required".into())),
        },
    };
    Ok(Notification::Enrich(AlertId::new(id)))
}

/// `POST /hooks/thehive`.
pub(crate) async fn notify(
    State(server): State<Server>,
    Extension(VerifiedBody(body)): Extension<VerifiedBody>,
) -> Response {
    let inner = &server.inner;
    let notification = match parse(&body, &inner.organisation, &inner.thehive_user) {
        Ok(n) => n,
        Err((field, message)) => return field_error(&field, &message),
    };
    let id = match notification {
        Notification::Enrich(id) => id,
        Notification::Ignore(reason) => {
            inc(&inner.metrics.hooks_ignored);
            tracing::debug!(reason, "notification ignored");
            return json_response(StatusCode::OK, json!({"queued": false, "reason": reason}));
        }
    };
    match inner.queue.push(id.clone()) {
        Pushed::Queued => {
            inc(&inner.metrics.hooks_queued);
            tracing::info!(%id, depth = inner.queue.len(), "alert queued for enrichment");
            json_response(StatusCode::ACCEPTED, json!({"queued": true, "alertId": id}))
        }
        Pushed::AlreadyQueued => {
            inc(&inner.metrics.hooks_already_queued);
            json_response(
                StatusCode::OK,
                json!({"queued": false, "alertId": id, "reason": "already queued"}),
            )
        }
        Pushed::Full => {
            inc(&inner.metrics.hooks_rejected_full);
            tracing::warn!(%id, capacity = inner.queue.capacity(), "enrichment queue full");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "the enrichment queue is full: retry later",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(operation: &str, object_type: &str, updated_by: &str) -> Vec<u8> {
        json!({
            "operation": operation, "objectType": object_type, "objectId": "~4096",
            "rootId": "~4096", "organisation": "soc", "organisationId": "~8",
            "object": {"_id": "~4096", "_type": object_type, "_updatedBy": updated_by}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn created_and_updated_alerts_are_enriched() {
        let enrich = Notification::Enrich(AlertId::new("~4096"));
        let p = |b: Vec<u8>| parse(&b, "soc", "svc@soc.local").expect("readable");
        assert_eq!(p(note("Creation", "Alert", "svc@soc.local")), enrich);
        assert_eq!(p(note("Update", "alert", "analyst@soc.local")), enrich);
        assert!(matches!(
            p(note("Update", "Alert", "svc@soc.local")),
            Notification::Ignore(_)
        ));
        assert!(matches!(
            p(note("Delete", "Alert", "a")),
            Notification::Ignore(_)
        ));
        assert!(matches!(
            p(note("Creation", "Case", "a")),
            Notification::Ignore(_)
        ));
        assert!(matches!(
            parse(&note("Creation", "Alert", "a"), "other", "x"),
            Ok(Notification::Ignore(_))
        ));
        assert_eq!(
            parse(br#"{"objectType": "Alert"}"#, "soc", "x").map_err(|e| e.0),
            Err("operation".to_owned())
        );
    }
}
