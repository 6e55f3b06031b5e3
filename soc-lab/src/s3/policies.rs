//! The admin API on canned policies and their attachments to users.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::{admin_err, as_list, iso, validate_policy, AdminCall, Reply, State, S3};

impl S3 {
    /// Serves the admin calls on canned policies and their attachments.
    pub(super) fn admin_policies(&self, st: &mut State, call: &AdminCall<'_>) -> Reply {
        let &AdminCall {
            cmd,
            body,
            path,
            now,
            ..
        } = call;
        match (call.method.clone(), call.cmd) {
            (Method::PUT, "add-canned-policy") => {
                let name = call.q("name");
                if name.is_empty() || name.contains(',') {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                let doc: Value = match serde_json::from_slice(body) {
                    Ok(v) => v,
                    Err(e) => {
                        return admin_err(
                            StatusCode::BAD_REQUEST,
                            "XMinioMalformedJSON",
                            &format!("The JSON you provided was not well-formed: {e}"),
                            path,
                        )
                    }
                };
                if let Err(why) = validate_policy(&doc) {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioMalformedIAMPolicy",
                        &why,
                        path,
                    );
                }
                st.policies.insert(name, doc);
                Reply::empty(StatusCode::OK)
            }
            (Method::GET, "info-canned-policy") => {
                let name = call.q("name");
                match st.policies.get(&name) {
                    None => call.no_policy(),
                    Some(p) if call.q("v") == "2" => {
                        Reply::json(StatusCode::OK, &json!({"PolicyName": name, "Policy": p}))
                    }
                    Some(p) => Reply::json(StatusCode::OK, p),
                }
            }
            (Method::GET, "list-canned-policies") => {
                let all: serde_json::Map<String, Value> = st
                    .policies
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Reply::json(StatusCode::OK, &Value::Object(all))
            }
            (Method::DELETE, "remove-canned-policy") => {
                let name = call.q("name");
                if st.policies.remove(&name).is_none() {
                    return call.no_policy();
                }
                for u in st.users.values_mut() {
                    u.policies.retain(|p| *p != name);
                }
                Reply::empty(StatusCode::OK)
            }
            (Method::PUT, "set-user-or-group-policy") => {
                if call.q("isGroup") == "true" {
                    return admin_err(
                        StatusCode::NOT_FOUND,
                        "XMinioAdminNoSuchGroup",
                        "The specified group does not exist.",
                        path,
                    );
                }
                let who = call.q("userOrGroup");
                let names: Vec<String> = call
                    .q("policyName")
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                if names.iter().any(|p| !st.policies.contains_key(p)) {
                    return call.no_policy();
                }
                match st.users.get_mut(&who) {
                    None => call.no_user(),
                    Some(u) => {
                        u.policies = names;
                        u.updated_ms = now;
                        Reply::empty(StatusCode::OK)
                    }
                }
            }
            (Method::POST, "idp/builtin/policy/attach" | "idp/builtin/policy/detach") => {
                let v = match call.decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let attach = cmd.ends_with("attach") && !cmd.ends_with("detach");
                let names = as_list(v.get("policies"));
                if v.get("group")
                    .and_then(Value::as_str)
                    .is_some_and(|g| !g.is_empty())
                {
                    return admin_err(
                        StatusCode::NOT_FOUND,
                        "XMinioAdminNoSuchGroup",
                        "The specified group does not exist.",
                        path,
                    );
                }
                let who = v
                    .get("user")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if names.is_empty() {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                if attach && names.iter().any(|p| !st.policies.contains_key(p)) {
                    return call.no_policy();
                }
                let Some(u) = st.users.get_mut(&who) else {
                    return call.no_user();
                };
                let mut changed = Vec::new();
                for n in &names {
                    let has = u.policies.contains(n);
                    if attach && !has {
                        u.policies.push(n.clone());
                        changed.push(n.clone());
                    } else if !attach && has {
                        u.policies.retain(|p| p != n);
                        changed.push(n.clone());
                    }
                }
                if changed.is_empty() {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminPolicyChangeAlreadyApplied",
                        "The specified policy change is already in effect.",
                        path,
                    );
                }
                u.updated_ms = now;
                let resp = if attach {
                    json!({"policiesAttached": changed, "updatedAt": iso(now)})
                } else {
                    json!({"policiesDetached": changed, "updatedAt": iso(now)})
                };
                call.encrypted(&resp)
            }
            _ => call.unsupported(),
        }
    }
}
