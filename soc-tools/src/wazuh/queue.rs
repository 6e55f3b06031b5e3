//! Events for Wazuh's analysis queue: `1:<location>:<json>` datagrams, in the shape of the
//! events Wazuh's own integrations send.

use std::path::Path;

use serde_json::{json, Map, Value};
use tokio::net::UnixDatagram;

use super::extract::Indicator;

/// Wazuh's `OS_MAXSTR`: the analysis daemon reads at most this many bytes of a message.
const MAX_MESSAGE: usize = 65_536;
/// Longest event title, tag list and indicator list copied into an event.
const MAX_TEXT: usize = 1_024;
const MAX_TAGS: usize = 64;
const MAX_INDICATORS: usize = 64;

/// The datagram for one event: `1:misp:<json>` for the manager's own alerts (no agent or agent
/// `000`), `1:[<id>] (<name>) <ip|any>->misp:<json>` for an agent's, with `|` and `:` in that
/// location escaped as `||` and `|:` (Wazuh's location syntax).
pub(crate) fn message(alert: &Value, event: &Value) -> String {
    let agent = alert.get("agent");
    let text = |k: &str| agent.and_then(|a| a.get(k)).and_then(Value::as_str);
    match text("id") {
        None | Some("000") => format!("1:misp:{event}"),
        Some(id) => {
            let location = format!(
                "[{id}] ({}) {}",
                text("name").unwrap_or_default(),
                text("ip").unwrap_or("any")
            )
            .replace('|', "||")
            .replace(':', "|:");
            format!("1:{location}->misp:{event}")
        }
    }
}

/// What rules correlate on: the alert that was enriched.
pub(crate) fn source(alert: &Value) -> Value {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let rule = alert.get("rule");
    let agent = alert.get("agent");
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    put("alert_id", s(alert.get("id")).map(Value::from));
    put(
        "alert_timestamp",
        s(alert.get("timestamp")).map(Value::from),
    );
    put(
        "rule_id",
        s(rule.and_then(|r| r.get("id"))).map(Value::from),
    );
    put("rule_level", rule.and_then(|r| r.get("level")).cloned());
    put(
        "rule_description",
        s(rule.and_then(|r| r.get("description"))).map(Value::from),
    );
    put(
        "agent_id",
        s(agent.and_then(|a| a.get("id"))).map(Value::from),
    );
    put(
        "agent_name",
        s(agent.and_then(|a| a.get("name"))).map(Value::from),
    );
    put(
        "agent_ip",
        s(agent.and_then(|a| a.get("ip"))).map(Value::from),
    );
    Value::Object(m)
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_owned();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// A value of a restSearch attribute as a string (MISP sends ids as strings, some proxies and
/// versions as numbers).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

/// The event for one MISP attribute that matched indicators of the alert.
pub(crate) fn found(alert: &Value, attr: &Value, matched: &[&Indicator]) -> Value {
    let ev = attr.get("Event");
    let tags: Vec<String> = attr
        .get("Tag")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .take(MAX_TAGS)
                .map(clip)
                .collect()
        })
        .unwrap_or_default();
    let mut fields: Vec<&str> = matched.iter().map(|i| i.field.as_str()).collect();
    fields.dedup();
    let mut m = Map::new();
    m.insert("found".into(), json!(1));
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::String(clip(&v)));
        }
    };
    put("value", text(attr.get("value")));
    put("type", text(attr.get("type")));
    put("category", text(attr.get("category")));
    put("attribute_id", text(attr.get("id")));
    put("attribute_uuid", text(attr.get("uuid")));
    put(
        "comment",
        text(attr.get("comment")).filter(|c| !c.is_empty()),
    );
    put(
        "event_id",
        text(attr.get("event_id")).or_else(|| text(ev.and_then(|e| e.get("id")))),
    );
    put("event_uuid", text(ev.and_then(|e| e.get("uuid"))));
    put("event_info", text(ev.and_then(|e| e.get("info"))));
    m.insert("to_ids".into(), json!(flag(attr.get("to_ids"))));
    m.insert("tags".into(), json!(tags));
    m.insert(
        "indicator".into(),
        json!(matched.first().map(|i| i.value.as_str())),
    );
    m.insert(
        "indicator_type".into(),
        json!(matched.first().map(|i| i.kind.as_str())),
    );
    m.insert("alert_fields".into(), json!(fields));
    m.insert("source".into(), source(alert));
    json!({ "integration": "misp", "misp": m })
}

/// The event telling rules a lookup failed: the reason, its kind, and the indicators left
/// unchecked.
pub(crate) fn error(alert: &Value, kind: &str, reason: &str, indicators: &[Indicator]) -> Value {
    let mut values: Vec<&str> = indicators.iter().map(|i| i.value.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    values.truncate(MAX_INDICATORS);
    json!({
        "integration": "misp",
        "misp": {
            "error": clip(reason),
            "error_kind": kind,
            "indicators": values,
            "source": source(alert),
        }
    })
}

/// Sends datagrams to Wazuh's queue socket, one per event.
pub(crate) struct Queue {
    sock: UnixDatagram,
}

impl Queue {
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(Self {
            sock: UnixDatagram::unbound()?,
        })
    }

    pub(crate) async fn send(&self, path: &Path, msg: &str) -> std::io::Result<()> {
        if msg.len() > MAX_MESSAGE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "event of {} bytes exceeds Wazuh's {MAX_MESSAGE}-byte message limit",
                    msg.len()
                ),
            ));
        }
        let n = self.sock.send_to(msg.as_bytes(), path).await?;
        if n != msg.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WriteZero,
                format!("sent {n} of {} bytes", msg.len()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_escaped_for_agents_and_plain_for_the_manager() {
        let ev = json!({"integration": "misp"});
        assert_eq!(
            message(
                &json!({"agent": {"id": "000", "name": "wazuh-manager"}}),
                &ev
            ),
            r#"1:misp:{"integration":"misp"}"#
        );
        assert_eq!(message(&json!({}), &ev), r#"1:misp:{"integration":"misp"}"#);
        assert_eq!(
            message(
                &json!({"agent": {"id": "004", "name": "win|10", "ip": "fe80::1"}}),
                &ev
            ),
            r#"1:[004] (win||10) fe80|:|:1->misp:{"integration":"misp"}"#
        );
        assert_eq!(
            message(&json!({"agent": {"id": "002", "name": "web"}}), &ev),
            r#"1:[002] (web) any->misp:{"integration":"misp"}"#
        );
    }
}
