//! The admin API on service accounts.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::{admin_err, validate_policy, AdminCall, Reply, ServiceAccount, State, S3};
use crate::util;

impl S3 {
    /// Serves the admin calls on service accounts.
    pub(super) fn admin_accounts(&self, st: &mut State, call: &AdminCall<'_>) -> Reply {
        let &AdminCall {
            key, body, path, ..
        } = call;
        match (call.method.clone(), call.cmd) {
            (Method::PUT, "add-service-account") => {
                let v = match call.decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let target = v
                    .get("targetUser")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| key.to_string());
                if target != key && !st.allowed(key, "admin:CreateServiceAccount", "arn:aws:s3:::*")
                {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                if target != st.root_access && !st.users.contains_key(&target) {
                    return call.no_user();
                }
                let ak = v
                    .get("accessKey")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| util::random_alnum(20).to_uppercase());
                let sk = v
                    .get("secretKey")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| util::random_alnum(40));
                if st.secret_of(&ak).is_some()
                    || st.users.contains_key(&ak)
                    || st.service_accounts.contains_key(&ak)
                {
                    return admin_err(
                        StatusCode::CONFLICT,
                        "XMinioAdminServiceAccountExists",
                        "The specified service account already exists",
                        path,
                    );
                }
                let policy = match v.get("policy") {
                    Some(Value::String(s)) if !s.is_empty() => serde_json::from_str(s).ok(),
                    Some(p @ Value::Object(_)) => Some(p.clone()),
                    _ => None,
                };
                if let Some(p) = &policy {
                    if let Err(why) = validate_policy(p) {
                        return admin_err(
                            StatusCode::BAD_REQUEST,
                            "XMinioMalformedIAMPolicy",
                            &why,
                            path,
                        );
                    }
                }
                let expiration = v
                    .get("expiration")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                st.service_accounts.insert(
                    ak.clone(),
                    ServiceAccount {
                        secret: sk.clone(),
                        parent: target,
                        enabled: v.get("status").and_then(Value::as_str) != Some("off")
                            && v.get("status").and_then(Value::as_str) != Some("disabled"),
                        name: v
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        description: v
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        policy,
                        expiration: expiration.clone(),
                    },
                );
                call.encrypted(
                    &json!({"credentials": {"accessKey": ak, "secretKey": sk, "expiration": expiration.unwrap_or_else(|| "1970-01-01T00:00:00Z".into())}}),
                )
            }
            (Method::GET, "list-service-accounts") => {
                let user = Some(call.q("user"))
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| key.to_string());
                if user != key && !st.allowed(key, "admin:ListServiceAccounts", "arn:aws:s3:::*") {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                let accounts: Vec<Value> = st
                    .service_accounts
                    .iter()
                    .filter(|(_, s)| s.parent == user)
                    .map(|(k, s)| sa_json(k, s))
                    .collect();
                call.encrypted(&json!({"accounts": accounts}))
            }
            (Method::GET, "info-service-account") => {
                let ak = call.q("accessKey");
                let Some(s) = st.service_accounts.get(&ak) else {
                    return call.no_sa();
                };
                if s.parent != key
                    && !st.allowed(key, "admin:ListServiceAccounts", "arn:aws:s3:::*")
                {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                let mut info = sa_json(&ak, s);
                let effective = match &s.policy {
                    Some(p) => p.clone(),
                    None => {
                        let parent_policies: Vec<Value> = st
                            .users
                            .get(&s.parent)
                            .map(|u| {
                                u.policies
                                    .iter()
                                    .filter_map(|p| st.policies.get(p).cloned())
                                    .collect()
                            })
                            .unwrap_or_default();
                        let stmts: Vec<Value> = parent_policies
                            .iter()
                            .filter_map(|p| p.get("Statement").and_then(Value::as_array).cloned())
                            .flatten()
                            .collect();
                        json!({"Version": "2012-10-17", "Statement": stmts})
                    }
                };
                info["policy"] = Value::String(effective.to_string());
                call.encrypted(&info)
            }
            (Method::POST, "update-service-account") => {
                let ak = call.q("accessKey");
                let v = match call.decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let allowed_admin = st.allowed(key, "admin:UpdateServiceAccount", "arn:aws:s3:::*");
                let Some(s) = st.service_accounts.get_mut(&ak) else {
                    return call.no_sa();
                };
                if s.parent != key && !allowed_admin {
                    return admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    );
                }
                if let Some(sk) = v
                    .get("newSecretKey")
                    .and_then(Value::as_str)
                    .filter(|x| !x.is_empty())
                {
                    s.secret = sk.to_string();
                }
                if let Some(st_) = v
                    .get("newStatus")
                    .and_then(Value::as_str)
                    .filter(|x| !x.is_empty())
                {
                    s.enabled = st_ == "on" || st_ == "enabled";
                }
                if let Some(n) = v.get("newName").and_then(Value::as_str) {
                    s.name = n.to_string();
                }
                if let Some(d) = v.get("newDescription").and_then(Value::as_str) {
                    s.description = d.to_string();
                }
                if let Some(e) = v.get("newExpiration").and_then(Value::as_str) {
                    s.expiration = Some(e.to_string());
                }
                match v.get("newPolicy") {
                    Some(Value::String(p)) if !p.is_empty() => {
                        s.policy = serde_json::from_str(p).ok()
                    }
                    Some(p @ Value::Object(_)) => s.policy = Some(p.clone()),
                    _ => {}
                }
                Reply::empty(StatusCode::NO_CONTENT)
            }
            (Method::DELETE, "delete-service-account") => {
                let ak = call.q("accessKey");
                let allowed_admin = st.allowed(key, "admin:RemoveServiceAccount", "arn:aws:s3:::*");
                match st.service_accounts.get(&ak) {
                    None => call.no_sa(),
                    Some(s) if s.parent != key && !allowed_admin => admin_err(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        "Access Denied.",
                        path,
                    ),
                    Some(_) => {
                        st.service_accounts.remove(&ak);
                        Reply::empty(StatusCode::NO_CONTENT)
                    }
                }
            }
            _ => call.unsupported(),
        }
    }
}

fn sa_json(ak: &str, s: &ServiceAccount) -> Value {
    json!({
        "parentUser": s.parent,
        "accountStatus": if s.enabled { "on" } else { "off" },
        "impliedPolicy": s.policy.is_none(),
        "accessKey": ak,
        "name": s.name,
        "description": s.description,
        "expiration": s.expiration.clone().unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
    })
}
