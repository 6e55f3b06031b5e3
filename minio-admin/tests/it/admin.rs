//! The MinIO admin API as a server sees it: paths, queries, the signature, and payloads that
//! decrypt with the caller's secret key.

use minio_admin::sio::{decrypt, encrypt};
use minio_admin::{Error, MinioAdmin, NewServiceAccount, Principal, RetryPolicy, SecretString};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const AK: &str = "soc-admin";
const SK: &str = "admin-SECRET-0123456789abcdef";

fn secret() -> SecretString {
    SecretString::from(SK.to_owned())
}

fn admin(s: &MockServer) -> MinioAdmin {
    MinioAdmin::builder(&s.uri())
        .unwrap()
        .keys(AK, secret())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The body decrypts with the admin's secret to this JSON.
struct Sealed(Value);

impl wiremock::Match for Sealed {
    fn matches(&self, r: &Request) -> bool {
        decrypt(&secret(), &r.body)
            .ok()
            .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
            .is_some_and(|v| v == self.0)
    }
}

/// Signed with the admin's key and an empty region, as madmin signs.
struct Signed;

impl wiremock::Match for Signed {
    fn matches(&self, r: &Request) -> bool {
        let auth = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let date = r
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        date.len() == 16
            && auth.starts_with(&format!(
                "AWS4-HMAC-SHA256 Credential={AK}/{}//s3/aws4_request,",
                &date[..8]
            ))
    }
}

fn sealed_reply(v: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        encrypt(&secret(), v.to_string().as_bytes()).unwrap(),
        "application/octet-stream",
    )
}

async fn server() -> MockServer {
    soc_testkit::server().await
}

#[tokio::test]
async fn add_user_sends_the_secret_encrypted() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/minio/admin/v3/add-user"))
        .and(query_param("accessKey", "thehive"))
        .and(header("content-type", "application/octet-stream"))
        .and(Signed)
        .and(Sealed(
            json!({"secretKey": "thehive-S3-secret", "status": "enabled"}),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    let user_secret = SecretString::from("thehive-S3-secret".to_owned());
    admin(&s).add_user("thehive", &user_secret).await.unwrap();
    let seen = s.received_requests().await.unwrap();
    assert!(
        !String::from_utf8_lossy(&seen[0].body).contains("thehive-S3-secret"),
        "the body is encrypted"
    );
}

#[tokio::test]
async fn list_users_decrypts_the_answer() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/list-users"))
        .and(Signed)
        .respond_with(sealed_reply(&json!({
            "thehive": {"policyName": "thehive-evidence", "status": "enabled", "updatedAt": "2026-11-24T10:00:00Z"},
            "cortex": {"status": "disabled"}
        })))
        .expect(1)
        .mount(&s)
        .await;
    let users = admin(&s).list_users().await.unwrap();
    assert_eq!(
        users["thehive"].policy_name.as_deref(),
        Some("thehive-evidence")
    );
    assert_eq!(users["cortex"].status, "disabled");
    assert_eq!(users["thehive"].extra["updatedAt"], "2026-11-24T10:00:00Z");
}

#[tokio::test]
async fn admin_errors_carry_the_servers_code() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/user-info"))
        .and(query_param("accessKey", "nobody"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "Code": "XMinioAdminNoSuchUser",
            "Message": "The specified user does not exist. (Specified user does not exist)",
            "Resource": "/minio/admin/v3/user-info",
            "RequestId": "18EB062C89307818",
            "HostId": ""
        })))
        .mount(&s)
        .await;
    let e = admin(&s).user_info("nobody").await.unwrap_err();
    assert_eq!(e.code(), Some("XMinioAdminNoSuchUser"), "{e:?}");
    assert_eq!(e.status(), Some(404));
    assert!(!format!("{e:?}").contains(SK));
}

#[tokio::test]
async fn canned_policies_are_plain_json() {
    let s = server().await;
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::thehive", "arn:aws:s3:::thehive/*"]}]});
    Mock::given(method("PUT"))
        .and(path("/minio/admin/v3/add-canned-policy"))
        .and(query_param("name", "thehive-evidence"))
        .and(wiremock::matchers::body_json(policy.clone()))
        .and(Signed)
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/info-canned-policy"))
        .and(query_param("name", "thehive-evidence"))
        .and(query_param("v", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "PolicyName": "thehive-evidence", "Policy": policy,
            "CreateDate": "2026-11-24T10:00:00Z", "UpdateDate": "2026-11-24T10:00:00Z"
        })))
        .expect(1)
        .mount(&s)
        .await;
    let a = admin(&s);
    a.add_canned_policy("thehive-evidence", &policy)
        .await
        .unwrap();
    let info = a.canned_policy_info("thehive-evidence").await.unwrap();
    assert_eq!(info.policy, policy);
    let e = a
        .add_canned_policy("x", &json!("not an object"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)));
}

#[tokio::test]
async fn attach_reads_new_and_old_servers() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/minio/admin/v3/idp/builtin/policy/attach"))
        .and(Sealed(
            json!({"policies": ["thehive-evidence"], "user": "thehive"}),
        ))
        .respond_with(sealed_reply(
            &json!({"policiesAttached": ["thehive-evidence"], "updatedAt": "2026-11-24T10:00:00Z"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/minio/admin/v3/idp/builtin/policy/detach"))
        .and(Sealed(json!({"policies": ["readwrite"], "group": "soc"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let a = admin(&s);
    assert_eq!(
        a.attach_policy(&["thehive-evidence"], Principal::User("thehive"))
            .await
            .unwrap(),
        ["thehive-evidence"]
    );
    assert!(a
        .detach_policy(&["readwrite"], Principal::Group("soc"))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn legacy_set_policy_uses_the_query() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/minio/admin/v3/set-user-or-group-policy"))
        .and(query_param("policyName", "thehive-evidence"))
        .and(query_param("userOrGroup", "thehive"))
        .and(query_param("isGroup", "false"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    admin(&s)
        .set_policy("thehive-evidence", Principal::User("thehive"))
        .await
        .unwrap();
}

#[tokio::test]
async fn service_accounts_round_trip_encrypted_and_survive_the_old_list_shape() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/minio/admin/v3/add-service-account"))
        .and(Sealed(json!({"targetUser": "thehive", "name": "thehive-app"})))
        .respond_with(sealed_reply(&json!({"credentials": {"accessKey": "SVCTHEHIVE0001", "secretKey": "svc-SECRET-value", "expiration": "1970-01-01T00:00:00Z"}})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/list-service-accounts"))
        .and(query_param("user", "thehive"))
        .respond_with(sealed_reply(&json!({"accounts": ["D6YWBDO2787ANASJG79V", {"accessKey": "SVCTHEHIVE0001", "parentUser": "thehive", "accountStatus": "on", "impliedPolicy": true}]})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/minio/admin/v3/update-service-account"))
        .and(query_param("accessKey", "SVCTHEHIVE0001"))
        .and(Sealed(json!({"newStatus": "off"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/minio/admin/v3/delete-service-account"))
        .and(query_param("accessKey", "SVCTHEHIVE0001"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let a = admin(&s);
    let req = NewServiceAccount {
        target_user: Some("thehive".into()),
        name: Some("thehive-app".into()),
        ..NewServiceAccount::default()
    };
    let creds = a.add_service_account(&req).await.unwrap();
    assert_eq!(creds.access_key, "SVCTHEHIVE0001");
    assert!(!format!("{creds:?}").contains("svc-SECRET-value"));
    let l = a.list_service_accounts("thehive").await.unwrap();
    assert_eq!(l[0].access_key, "D6YWBDO2787ANASJG79V");
    assert_eq!(l[1].status.as_deref(), Some("on"));
    assert_eq!(l[1].extra["impliedPolicy"], true);
    a.update_service_account("SVCTHEHIVE0001", &json!({"newStatus": "off"}))
        .await
        .unwrap();
    a.delete_service_account("SVCTHEHIVE0001").await.unwrap();
}

#[tokio::test]
async fn an_answer_sealed_with_another_key_is_an_error() {
    let s = server().await;
    let other = SecretString::from("someone-else".to_owned());
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/list-users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(encrypt(&other, b"{}").unwrap(), "application/octet-stream"),
        )
        .mount(&s)
        .await;
    let e = admin(&s).list_users().await.unwrap_err();
    assert!(matches!(e, Error::Crypto(_)), "{e:?}");
}

/// No credentials at all: the health endpoints are anonymous.
struct Anonymous;

impl wiremock::Match for Anonymous {
    fn matches(&self, r: &Request) -> bool {
        !r.headers.contains_key("authorization") && !r.headers.contains_key("x-amz-date")
    }
}

#[tokio::test]
async fn health_and_info() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/minio/health/live"))
        .and(Anonymous)
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/minio/health/cluster"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/minio/admin/v3/info"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"mode": "online", "deploymentID": "2b1e3d55", "servers": []}),
            ),
        )
        .mount(&s)
        .await;
    let a = admin(&s);
    assert!(a.alive().await.unwrap());
    assert!(!a.cluster_healthy().await.unwrap());
    assert_eq!(a.server_info().await.unwrap()["mode"], "online");
}
