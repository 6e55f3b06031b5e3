//! IAM policies: the built-in ones, their evaluation and validation, and the check of one
//! request against them.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{State, S3};
use crate::util;

pub(super) fn builtin_policies() -> BTreeMap<String, Value> {
    let stmt = |actions: Value, resource: &str| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": [resource]}]});
    BTreeMap::from([
        (
            "consoleAdmin".to_string(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["admin:*"]},
                {"Effect": "Allow", "Action": ["kms:*"]},
                {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}
            ]}),
        ),
        (
            "readwrite".to_string(),
            stmt(json!(["s3:*"]), "arn:aws:s3:::*"),
        ),
        (
            "readonly".to_string(),
            stmt(
                json!(["s3:GetBucketLocation", "s3:GetObject"]),
                "arn:aws:s3:::*",
            ),
        ),
        (
            "writeonly".to_string(),
            stmt(json!(["s3:PutObject"]), "arn:aws:s3:::*"),
        ),
        (
            "diagnostics".to_string(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "admin:ServerInfo", "admin:Prometheus", "admin:Profiling", "admin:ServerTrace",
            "admin:ConsoleLog", "admin:OBDInfo", "admin:TopLocksInfo", "admin:BandwidthMonitor"
        ], "Resource": ["arn:aws:s3:::*"]}]}),
        ),
    ])
}

pub(super) fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn wildcard(pattern: &str, text: &str) -> bool {
    util::wildcard(pattern, text, '*', Some('?'))
}

/// IAM evaluation: an explicit Deny wins, then any Allow, else implicit deny. Statements with
/// conditions are not evaluated by the lab: they never allow and always deny when they match.
pub(super) fn evaluate(docs: &[&Value], action: &str, resource: &str) -> bool {
    let mut allow = false;
    for doc in docs {
        let stmts: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => Vec::new(),
        };
        for s in stmts {
            let actions = as_list(s.get("Action"));
            if !actions
                .iter()
                .any(|a| wildcard(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
            {
                continue;
            }
            let resources = as_list(s.get("Resource"));
            let admin = action.starts_with("admin:") || action.starts_with("kms:");
            if !admin && !resources.iter().any(|r| wildcard(r, resource)) {
                continue;
            }
            let conditional = s
                .get("Condition")
                .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()));
            match s.get("Effect").and_then(Value::as_str) {
                Some("Deny") => return false,
                Some("Allow") if !conditional => allow = true,
                _ => {}
            }
        }
    }
    allow
}

pub(super) fn validate_policy(v: &Value) -> Result<(), String> {
    let stmts = match v.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err("policy has no statements".into()),
    };
    for s in stmts {
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            other => return Err(format!("invalid Effect {other:?}")),
        }
        if as_list(s.get("Action")).is_empty() {
            return Err("statement has no Action".into());
        }
    }
    Ok(())
}

impl S3 {
    pub(super) fn can(
        &self,
        st: &State,
        key: Option<&str>,
        action: &str,
        bucket: &str,
        object: Option<&str>,
    ) -> bool {
        let resource = match object {
            Some(o) => format!("arn:aws:s3:::{bucket}/{o}"),
            None => format!("arn:aws:s3:::{bucket}"),
        };
        match key {
            Some(k) => st.allowed(k, action, &resource),
            None => {
                // Anonymous requests are allowed by a bucket policy granting to everyone.
                let Some(policy) = st
                    .buckets
                    .get(bucket)
                    .and_then(|b| b.policy.as_deref())
                    .and_then(|p| serde_json::from_str::<Value>(p).ok())
                else {
                    return false;
                };
                let public: Vec<Value> = match policy.get("Statement") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter(|s| {
                            let p = s.get("Principal");
                            p == Some(&json!("*"))
                                || p.and_then(|p| p.get("AWS"))
                                    .is_some_and(|a| as_list(Some(a)).iter().any(|x| x == "*"))
                        })
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                let doc = json!({"Statement": public});
                evaluate(&[&doc], action, &resource)
            }
        }
    }
}
