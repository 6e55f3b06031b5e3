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
const SIGNED: crate::support::SignedBy = crate::support::SignedBy {
    access_key: AK,
    region: "",
    service: "s3",
};

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
        .and(SIGNED)
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
        .and(SIGNED)
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
        .and(SIGNED)
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
    for (p, v) in [
        (
            "accountinfo",
            json!({"AccountName": "soc-admin", "Buckets": [{"name": "thehive", "access": {"read": true, "write": true}}]}),
        ),
        (
            "datausageinfo",
            json!({"objectsCount": 12, "bucketsCount": 1, "objectsTotalSize": 4096}),
        ),
        ("storageinfo", json!({"Disks": [], "Backend": {"Type": 1}})),
    ] {
        expect(&s, "GET", &format!("/minio/admin/v3/{p}"), &[], None, js(v)).await;
    }
    expect(&s, "GET", "/minio/admin/v3/info-canned-policy", &[("name", "readonly")], None,
        js(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::*"]}]}))).await;
    let a = admin(&s);
    assert_eq!(a.account_info().await.unwrap()["AccountName"], "soc-admin");
    assert_eq!(a.data_usage_info().await.unwrap()["objectsCount"], 12);
    a.storage_info().await.unwrap();
    assert_eq!(
        a.canned_policy("readonly").await.unwrap()["Version"],
        "2012-10-17"
    );
    assert!(a.alive().await.unwrap());
    assert!(!a.cluster_healthy().await.unwrap());
    assert_eq!(a.server_info().await.unwrap()["mode"], "online");
}

/// Mounts one expected request (method, path, query, signature) answering `reply`.
async fn expect(
    s: &MockServer,
    verb: &str,
    p: &str,
    query: &[(&str, &str)],
    body: Option<Box<dyn wiremock::Match>>,
    reply: ResponseTemplate,
) {
    let mut m = Mock::given(method(verb)).and(path(p)).and(SIGNED);
    m = m.and(soc_testkit::ExactQuery(
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    ));
    if let Some(b) = body {
        m = m.and(BoxedMatch(b));
    }
    m.respond_with(reply).expect(1).mount(s).await;
}

struct BoxedMatch(Box<dyn wiremock::Match>);

impl wiremock::Match for BoxedMatch {
    fn matches(&self, r: &Request) -> bool {
        self.0.matches(r)
    }
}

fn json_body(v: Value) -> Option<Box<dyn wiremock::Match>> {
    Some(Box::new(wiremock::matchers::body_json(v)))
}

fn sealed(v: Value) -> Option<Box<dyn wiremock::Match>> {
    Some(Box::new(Sealed(v)))
}

/// The body decrypts with the admin's secret to this text.
struct SealedText(&'static str);

impl wiremock::Match for SealedText {
    fn matches(&self, r: &Request) -> bool {
        decrypt(&secret(), &r.body).is_ok_and(|p| p == self.0.as_bytes())
    }
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
}

fn js(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

#[tokio::test]
async fn groups_quotas_and_service_control() {
    let s = server().await;
    let pre = "/minio/admin/v3";
    expect(
        &s,
        "PUT",
        &format!("{pre}/update-group-members"),
        &[],
        json_body(json!({"group": "soc", "members": ["thehive", "cortex"], "isRemove": false})),
        ok(),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/set-group-status"),
        &[("group", "soc"), ("status", "disabled")],
        None,
        ok(),
    )
    .await;
    expect(&s, "GET", &format!("{pre}/group"), &[("group", "soc")], None, js(json!({"name": "soc", "status": "enabled", "members": ["thehive", "cortex"], "policy": "readwrite"}))).await;
    expect(
        &s,
        "GET",
        &format!("{pre}/groups"),
        &[],
        None,
        js(json!(["soc", "ir"])),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/update-group-members"),
        &[],
        json_body(json!({"group": "soc", "members": [], "isRemove": true})),
        ok(),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/set-bucket-quota"),
        &[("bucket", "thehive")],
        json_body(json!({"quota": 10_737_418_240_u64, "quotatype": "hard"})),
        ok(),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/get-bucket-quota"),
        &[("bucket", "thehive")],
        None,
        js(json!({"quota": 10_737_418_240_u64, "quotatype": "hard"})),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/service"),
        &[("action", "restart")],
        None,
        js(json!({})),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/update"),
        &[("updateURL", "")],
        None,
        js(json!({"currentVersion": "a", "updatedVersion": "b"})),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/top/locks"),
        &[],
        None,
        js(json!([])),
    )
    .await;
    let a = admin(&s);
    a.add_group_members("soc", &["thehive", "cortex"])
        .await
        .unwrap();
    a.set_group_status("soc", false).await.unwrap();
    assert_eq!(a.group("soc").await.unwrap()["members"][1], "cortex");
    assert_eq!(a.groups().await.unwrap(), ["soc", "ir"]);
    a.remove_group_members("soc", &[]).await.unwrap();
    a.set_bucket_quota("thehive", 10 * 1024 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(
        a.bucket_quota("thehive").await.unwrap()["quotatype"],
        "hard"
    );
    a.service("restart").await.unwrap();
    assert!(matches!(
        a.service("reboot").await,
        Err(Error::InvalidInput(_))
    ));
    a.update_servers("").await.unwrap();
    a.top_locks().await.unwrap();
}

#[tokio::test]
async fn configuration_goes_encrypted_both_ways() {
    let s = server().await;
    let pre = "/minio/admin/v3";
    expect(
        &s,
        "GET",
        &format!("{pre}/get-config-kv"),
        &[("key", "notify_webhook:soc"), ("subSys", "")],
        None,
        ResponseTemplate::new(200).set_body_raw(
            encrypt(
                &secret(),
                b"notify_webhook:soc endpoint=https://soc.example/hook",
            )
            .unwrap(),
            "application/octet-stream",
        ),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/set-config-kv"),
        &[],
        Some(Box::new(SealedText(
            "notify_webhook:soc endpoint=https://soc.example/hook",
        ))),
        ok(),
    )
    .await;
    expect(
        &s,
        "DELETE",
        &format!("{pre}/del-config-kv"),
        &[],
        Some(Box::new(SealedText("notify_webhook:soc"))),
        ok(),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/list-config-history-kv"),
        &[("count", "10")],
        None,
        sealed_reply(&json!([{"restoreId": "r1", "createTime": "2026-11-24T10:00:00Z"}])),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/restore-config-history-kv"),
        &[("restoreId", "r1")],
        None,
        ok(),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/kms/key/create"),
        &[("key-id", "soc-evidence")],
        None,
        ok(),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/kms/key/status"),
        &[("key-id", "soc-evidence")],
        None,
        js(json!({"key-id": "soc-evidence", "encryptionErr": "", "decryptionErr": ""})),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/profile"),
        &[("profilerType", "cpu,mem")],
        None,
        js(json!({})),
    )
    .await;
    let a = admin(&s);
    assert!(a
        .config("notify_webhook:soc")
        .await
        .unwrap()
        .contains("endpoint="));
    a.set_config("notify_webhook:soc endpoint=https://soc.example/hook")
        .await
        .unwrap();
    a.reset_config("notify_webhook:soc").await.unwrap();
    assert_eq!(a.config_history(10).await.unwrap()[0]["restoreId"], "r1");
    a.restore_config("r1").await.unwrap();
    a.create_kms_key("soc-evidence").await.unwrap();
    a.kms_key_status("soc-evidence").await.unwrap();
    a.start_profiling(&["cpu", "mem"]).await.unwrap();
}

#[tokio::test]
async fn site_replication_ldap_and_policy_entities() {
    let s = server().await;
    let pre = "/minio/admin/v3";
    let peers = json!([{"name": "dc1", "endpoints": "https://s3-dc1.soc.example", "accessKey": "a", "secretKey": "b"}]);
    expect(&s, "PUT", &format!("{pre}/site-replication/add"), &[("api-version", "1")], sealed(peers.clone()), js(json!({"success": true, "status": "Requested sites were configured for replication successfully."}))).await;
    expect(
        &s,
        "GET",
        &format!("{pre}/site-replication/info"),
        &[],
        None,
        js(json!({"enabled": true, "name": "dc1", "sites": []})),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/site-replication/status"),
        &[("buckets", "true"), ("users", "true")],
        None,
        js(json!({"Enabled": true})),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/site-replication/edit"),
        &[("api-version", "1")],
        sealed(json!({"name": "dc1", "endpoint": "https://s3-dc1b.soc.example"})),
        js(json!({"success": true})),
    )
    .await;
    expect(
        &s,
        "PUT",
        &format!("{pre}/site-replication/remove"),
        &[("api-version", "1")],
        sealed(json!({"all": true})),
        js(json!({"status": "success"})),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/idp/ldap/policy/attach"),
        &[],
        sealed(json!({"policies": ["readonly"], "group": "cn=soc,ou=groups,dc=example"})),
        sealed_reply(&json!({"policiesAttached": ["readonly"]})),
    )
    .await;
    expect(
        &s,
        "POST",
        &format!("{pre}/idp/ldap/policy/detach"),
        &[],
        sealed(json!({"policies": ["readonly"], "user": "uid=ana,dc=example"})),
        ResponseTemplate::new(204),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/idp/ldap/list-access-keys"),
        &[("userDN", "uid=ana,dc=example"), ("listType", "all")],
        None,
        sealed_reply(&json!({"serviceAccounts": [], "stsKeys": []})),
    )
    .await;
    expect(
        &s,
        "GET",
        &format!("{pre}/idp/ldap/list-access-keys-bulk"),
        &[("listType", "svcacc-only"), ("all", "true")],
        None,
        sealed_reply(&json!({})),
    )
    .await;
    expect(&s, "GET", &format!("{pre}/idp/builtin/policy-entities"), &[("user", "thehive"), ("policy", "readwrite")], None, sealed_reply(&json!({"timestamp": "2026-11-24T10:00:00Z", "userMappings": [{"user": "thehive", "policies": ["readwrite"]}]}))).await;
    let a = admin(&s);
    a.add_site_replication(&peers).await.unwrap();
    a.site_replication_info().await.unwrap();
    a.site_replication_status(&[("buckets", "true"), ("users", "true")])
        .await
        .unwrap();
    a.edit_site_replication(&json!({"name": "dc1", "endpoint": "https://s3-dc1b.soc.example"}))
        .await
        .unwrap();
    a.remove_site_replication(&[], true).await.unwrap();
    assert!(a.remove_site_replication(&[], false).await.is_err());
    assert_eq!(
        a.attach_policy_ldap(
            &["readonly"],
            Principal::Group("cn=soc,ou=groups,dc=example")
        )
        .await
        .unwrap(),
        ["readonly"]
    );
    a.detach_policy_ldap(&["readonly"], Principal::User("uid=ana,dc=example"))
        .await
        .unwrap();
    a.ldap_access_keys("uid=ana,dc=example", "all")
        .await
        .unwrap();
    a.ldap_access_keys_bulk(&[], "svcacc-only", true)
        .await
        .unwrap();
    let e = a
        .policy_entities(&["thehive"], &[], &["readwrite"])
        .await
        .unwrap();
    assert_eq!(e["userMappings"][0]["user"], "thehive");
}

#[test]
fn every_covered_minio_py_method_is_called_by_a_test() {
    let table = include_str!("../../COVERAGE.md");
    let tests: String = [include_str!("admin.rs"), include_str!("real_admin.rs")]
        .concat()
        .split_whitespace()
        .collect();
    let mut covered = 0;
    let mut missing = Vec::new();
    for line in table
        .split("## S3")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| minio-py"))
    {
        let cell = line.split('|').nth(2).unwrap_or_default().trim();
        if cell == "—" {
            continue;
        }
        covered += 1;
        for name in cell.trim_matches('`').split(", ") {
            let method = name.split([' ', '(']).next().unwrap_or_default();
            if method != "user_agent" && !tests.contains(&format!(".{method}(")) {
                missing.push(method.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "covered but called by no test: {missing:?}"
    );
    assert!(
        table.contains(&format!("**{covered} of 56**")),
        "the summary claims {covered}"
    );
}

/// Admin answers with one value of the wrong type anywhere: an error or a value, never a panic.
#[test]
fn decoders_survive_values_of_the_wrong_type() {
    use minio_admin::{PolicyInfo, ServiceAccount, UserInfo};
    let user = json!({"policyName": "readwrite", "status": "enabled", "memberOf": ["soc"], "updatedAt": "2026-11-24T10:00:00Z"});
    let account = json!({"accessKey": "SVC1", "parentUser": "thehive", "accountStatus": "on", "impliedPolicy": true});
    let policy = json!({"PolicyName": "p", "Policy": {"Version": "2012-10-17"}, "CreateDate": "2026-11-24T10:00:00Z"});
    let mut rejected = 0;
    for v in soc_testkit::mutations(&user, 23, 200) {
        rejected += usize::from(serde_json::from_value::<UserInfo>(v).is_err());
    }
    for v in soc_testkit::mutations(&account, 29, 200) {
        rejected += usize::from(serde_json::from_value::<ServiceAccount>(v).is_err());
    }
    for v in soc_testkit::mutations(&policy, 31, 200) {
        rejected += usize::from(serde_json::from_value::<PolicyInfo>(v).is_err());
    }
    assert!(rejected > 0, "the mutations reach typed fields");
}
