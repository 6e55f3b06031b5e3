//! The MinIO admin API (`/minio/admin/v3/`): the call, its permission check and sealed
//! bodies, the server information and users.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::crypto;
use super::{admin_err, iso, Reply, State, User, MINIO_VERSION, S3};
use crate::util;

impl S3 {
    pub(super) fn admin(
        &self,
        method: &Method,
        cmd: &str,
        query: &[(String, String)],
        key: &str,
        body: &[u8],
        path: &str,
    ) -> Reply {
        let action = match cmd {
            "info" => "admin:ServerInfo",
            "add-user" => "admin:CreateUser",
            "remove-user" => "admin:DeleteUser",
            "user-info" => "admin:GetUser",
            "list-users" => "admin:ListUsers",
            "set-user-status" => "admin:EnableUser",
            "add-canned-policy" => "admin:CreatePolicy",
            "remove-canned-policy" => "admin:DeletePolicy",
            "info-canned-policy" => "admin:GetPolicy",
            "list-canned-policies" => "admin:ListUserPolicies",
            "set-user-or-group-policy"
            | "idp/builtin/policy/attach"
            | "idp/builtin/policy/detach" => "admin:AttachUserOrGroupPolicy",
            "add-service-account" => "admin:CreateServiceAccount",
            "update-service-account" => "admin:UpdateServiceAccount",
            "delete-service-account" => "admin:RemoveServiceAccount",
            "info-service-account" | "list-service-accounts" => "admin:ListServiceAccounts",
            _ => "admin:*",
        };
        let mut st = util::lock(&self.state);
        // Users manage their own service accounts without admin rights.
        let own_accounts = matches!(
            cmd,
            "add-service-account"
                | "list-service-accounts"
                | "info-service-account"
                | "update-service-account"
                | "delete-service-account"
        );
        if !st.allowed(key, action, "arn:aws:s3:::*") && !own_accounts {
            return admin_err(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied.",
                path,
            );
        }
        let call = AdminCall {
            method,
            cmd,
            query,
            key,
            body,
            path,
            secret: st.secret_of(key).unwrap_or_default(),
            now: util::now_ms(),
        };
        match cmd {
            "add-canned-policy"
            | "info-canned-policy"
            | "list-canned-policies"
            | "remove-canned-policy"
            | "set-user-or-group-policy"
            | "idp/builtin/policy/attach"
            | "idp/builtin/policy/detach" => self.admin_policies(&mut st, &call),
            "add-service-account"
            | "list-service-accounts"
            | "info-service-account"
            | "update-service-account"
            | "delete-service-account" => self.admin_accounts(&mut st, &call),
            _ => self.admin_users(&mut st, &call),
        }
    }
}

impl S3 {
    /// Serves the admin calls on the server information and users.
    fn admin_users(&self, st: &mut State, call: &AdminCall<'_>) -> Reply {
        let &AdminCall {
            body, path, now, ..
        } = call;
        match (call.method.clone(), call.cmd) {
            (Method::GET, "info") => {
                let objects: usize = st.buckets.values().map(|b| b.objects.len()).sum();
                let size: usize = st
                    .buckets
                    .values()
                    .flat_map(|b| b.objects.values())
                    .map(|o| o.data.len())
                    .sum();
                Reply::json(
                    StatusCode::OK,
                    &json!({
                        "mode": "online",
                        "deploymentID": st.deployment_id,
                        "buckets": {"count": st.buckets.len()},
                        "objects": {"count": objects},
                        "usage": {"size": size},
                        "services": {"kms_status": [], "ldap": {}, "logger": [], "audit": [], "notifications": []},
                        "backend": {"backendType": "Erasure", "onlineDisks": 1, "offlineDisks": 0, "standardSCParity": 0, "rrSCParity": 0, "totalSets": [1], "totalDrivesPerSet": [1]},
                        "servers": [{
                            "state": "online", "endpoint": "127.0.0.1", "scheme": "http",
                            "uptime": (now - self.started_ms) / 1000, "version": MINIO_VERSION,
                            "commitID": util::random_hex(40), "network": {"127.0.0.1": "online"},
                            "drives": [{"endpoint": "/data", "rootDisk": false, "path": "/data", "healing": false, "state": "ok", "uuid": st.deployment_id, "totalspace": 107_374_182_400u64, "usedspace": size, "availspace": 107_374_182_400u64 - size as u64, "pool_index": 0, "set_index": 0, "disk_index": 0}],
                            "poolNumber": 1, "poolNumbers": [1],
                            "mem_stats": {"Alloc": 0, "TotalAlloc": 0, "Mallocs": 0, "Frees": 0, "HeapAlloc": 0}
                        }]
                    }),
                )
            }
            (Method::PUT, "add-user") => {
                let ak = call.q("accessKey");
                let v = match call.decrypt(body) {
                    Ok(v) => v,
                    Err(r) => return r,
                };
                let sk = v
                    .get("secretKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if ak.len() < 3 || ak.contains('=') || ak.contains(',') {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidAccessKey",
                        "The access key is invalid.",
                        path,
                    );
                }
                if sk.len() < 8 {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidSecretKey",
                        "The secret key is invalid.",
                        path,
                    );
                }
                if ak == st.root_access || st.service_accounts.contains_key(&ak) {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                let enabled = v.get("status").and_then(Value::as_str) != Some("disabled");
                let policies = st
                    .users
                    .get(&ak)
                    .map(|u| u.policies.clone())
                    .unwrap_or_default();
                st.users.insert(
                    ak,
                    User {
                        secret: sk,
                        enabled,
                        policies,
                        updated_ms: now,
                    },
                );
                Reply::empty(StatusCode::OK)
            }
            (Method::DELETE, "remove-user") => {
                let ak = call.q("accessKey");
                if st.users.remove(&ak).is_none() {
                    return call.no_user();
                }
                st.service_accounts.retain(|_, s| s.parent != ak);
                Reply::empty(StatusCode::OK)
            }
            (Method::GET, "user-info") => {
                let ak = call.q("accessKey");
                match st.users.get(&ak) {
                    None => call.no_user(),
                    Some(u) => Reply::json(StatusCode::OK, &user_json(u)),
                }
            }
            (Method::GET, "list-users") => {
                let all: serde_json::Map<String, Value> = st
                    .users
                    .iter()
                    .map(|(k, u)| (k.clone(), user_json(u)))
                    .collect();
                call.encrypted(&Value::Object(all))
            }
            (Method::PUT, "set-user-status") => {
                let ak = call.q("accessKey");
                let status = call.q("status");
                if status != "enabled" && status != "disabled" {
                    return admin_err(
                        StatusCode::BAD_REQUEST,
                        "XMinioAdminInvalidArgument",
                        "Invalid arguments specified.",
                        path,
                    );
                }
                match st.users.get_mut(&ak) {
                    None => call.no_user(),
                    Some(u) => {
                        u.enabled = status == "enabled";
                        u.updated_ms = now;
                        Reply::empty(StatusCode::OK)
                    }
                }
            }
            _ => call.unsupported(),
        }
    }
}

/// One admin API call: what it asks and the secret its answers are sealed with.
pub(super) struct AdminCall<'a> {
    pub(super) method: &'a Method,
    pub(super) cmd: &'a str,
    pub(super) query: &'a [(String, String)],
    pub(super) key: &'a str,
    pub(super) body: &'a [u8],
    pub(super) path: &'a str,
    pub(super) secret: String,
    pub(super) now: i64,
}

impl AdminCall<'_> {
    /// A query parameter, empty when absent.
    pub(super) fn q(&self, name: &str) -> String {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Opens a sealed request body and reads it as JSON.
    pub(super) fn decrypt(&self, body: &[u8]) -> Result<Value, Reply> {
        let plain = crypto::decrypt(&self.secret, body).map_err(|e| {
            admin_err(
                StatusCode::BAD_REQUEST,
                "XMinioAdminConfigBadJSON",
                &format!("unable to decrypt the request payload: {e}"),
                self.path,
            )
        })?;
        serde_json::from_slice(&plain).map_err(|e| {
            admin_err(
                StatusCode::BAD_REQUEST,
                "XMinioAdminConfigBadJSON",
                &format!("the decrypted payload is not JSON: {e}"),
                self.path,
            )
        })
    }

    /// Seals an answer with the caller's secret.
    pub(super) fn encrypted(&self, v: &Value) -> Reply {
        match crypto::encrypt(&self.secret, v.to_string().as_bytes()) {
            Ok(bytes) => Reply::bytes(bytes),
            Err(e) => admin_err(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &e,
                self.path,
            ),
        }
    }

    pub(super) fn no_user(&self) -> Reply {
        admin_err(
            StatusCode::NOT_FOUND,
            "XMinioAdminNoSuchUser",
            "The specified user does not exist.",
            self.path,
        )
    }

    pub(super) fn no_policy(&self) -> Reply {
        admin_err(
            StatusCode::NOT_FOUND,
            "XMinioAdminNoSuchPolicy",
            "The canned policy does not exist.",
            self.path,
        )
    }

    pub(super) fn no_sa(&self) -> Reply {
        admin_err(
            StatusCode::NOT_FOUND,
            "XMinioAdminServiceAccountNotFound",
            "The specified service account is not found",
            self.path,
        )
    }

    /// The answer to an admin call the lab does not serve.
    pub(super) fn unsupported(&self) -> Reply {
        admin_err(
            StatusCode::BAD_REQUEST,
            "XMinioAdminInvalidArgument",
            &format!(
                "the lab does not serve the admin API {} /minio/admin/v3/{}",
                self.method, self.cmd
            ),
            self.path,
        )
    }
}

fn user_json(u: &User) -> Value {
    json!({
        "status": if u.enabled { "enabled" } else { "disabled" },
        "policyName": u.policies.join(","),
        "memberOf": Value::Null,
        "updatedAt": iso(u.updated_ms)
    })
}
