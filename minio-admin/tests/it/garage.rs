//! Garage's admin API v2 as a server sees it, answered in its shapes.

use minio_admin::{Garage, Rights, SecretString};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "garage-ADMIN-token-0123456789";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn reply(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(soc_testkit::fixture(FIXTURES, name), "application/json")
}

fn given(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(p))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
}

fn garage(s: &MockServer) -> Garage {
    Garage::new(&s.uri(), SecretString::from(TOKEN.to_owned())).unwrap()
}

#[tokio::test]
async fn first_provisioning_creates_the_bucket_and_the_key() {
    let s = soc_testkit::server().await;
    given("GET", "/v2/GetBucketInfo")
        .and(query_param("globalAlias", "thehive-att"))
        .respond_with(reply(404, "garage_no_such_bucket.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/v2/CreateBucket")
        .and(body_json(json!({"globalAlias": "thehive-att"})))
        .respond_with(reply(200, "garage_bucket_info.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("GET", "/v2/ListKeys")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/v2/CreateKey")
        .and(body_json(json!({"name": "thehive"})))
        .respond_with(reply(200, "garage_create_key.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/v2/AllowBucketKey")
        .and(body_json(json!({
            "bucketId": "96470e0df00ec28807138daf01915cfda2bee8eccc91dea9558c0b4855b5bf95",
            "accessKeyId": "GK31c2f218a2e44f485b94239e",
            "permissions": {"read": true, "write": true, "owner": false}
        })))
        .respond_with(reply(200, "garage_bucket_info.json"))
        .expect(1)
        .mount(&s)
        .await;
    let a = garage(&s)
        .provision_bucket_access("thehive-att", "thehive", Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(a.created);
    assert_eq!(a.access_key, "GK31c2f218a2e44f485b94239e");
    assert!(a.secret_key.is_some());
    assert!(!format!("{a:?}").contains("b892c0665f0a"));
}

#[tokio::test]
async fn a_second_run_keeps_the_key_and_only_reasserts_the_grant() {
    let s = soc_testkit::server().await;
    given("GET", "/v2/GetBucketInfo")
        .and(query_param("globalAlias", "thehive-att"))
        .respond_with(reply(200, "garage_bucket_info.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("GET", "/v2/ListKeys")
        .respond_with(reply(200, "garage_list_keys.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/v2/AllowBucketKey")
        .and(body_json(json!({
            "bucketId": "96470e0df00ec28807138daf01915cfda2bee8eccc91dea9558c0b4855b5bf95",
            "accessKeyId": "GK31c2f218a2e44f485b94239e",
            "permissions": {"read": true, "write": false, "owner": false}
        })))
        .respond_with(reply(200, "garage_bucket_info.json"))
        .expect(1)
        .mount(&s)
        .await;
    let a = garage(&s)
        .provision_bucket_access("thehive-att", "thehive", Rights::ReadOnly, false)
        .await
        .unwrap();
    assert!(!a.created && a.secret_key.is_none());
}

#[tokio::test]
async fn garage_errors_carry_its_code() {
    let s = soc_testkit::server().await;
    given("POST", "/v2/DeleteKey")
        .and(query_param("id", "GKnope"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"code": "NoSuchAccessKey", "message": "Access key not found: GKnope", "region": "garage", "path": "/v2/DeleteKey"})))
        .mount(&s)
        .await;
    let e = garage(&s).delete_key("GKnope").await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchAccessKey"), "{e:?}");
}

/// Against a real Garage when `GARAGE_ADMIN_URL`, `GARAGE_ADMIN_TOKEN` and `GARAGE_S3_URL` name
/// one (a node with a layout applied; `garage` is not in the default gate: it takes a long
/// build).
#[tokio::test]
async fn provisioning_on_a_real_garage() {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(admin_url), Some(token), Some(s3_url)) = (
        get("GARAGE_ADMIN_URL"),
        get("GARAGE_ADMIN_TOKEN"),
        get("GARAGE_S3_URL"),
    ) else {
        eprintln!("GARAGE_ADMIN_URL is not set: skipping the test against a real Garage");
        return;
    };
    let g = Garage::new(&admin_url, SecretString::from(token)).unwrap();
    assert!(g.healthy().await.unwrap(), "the node needs a layout");
    let id = std::process::id();
    let (bucket, other, who) = (
        format!("soc-g-{id}"),
        format!("soc-g-other-{id}"),
        format!("thehive-{id}"),
    );
    let first = g
        .provision_bucket_access(&bucket, &who, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(first.created);
    let again = g
        .provision_bucket_access(&bucket, &who, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(!again.created && again.secret_key.is_none() && again.access_key == first.access_key);
    g.create_bucket(&other).await.unwrap();
    let s3 = minio_admin::S3::builder(&s3_url)
        .unwrap()
        .keys(&first.access_key, first.secret_key.clone().unwrap())
        .region("garage")
        .build()
        .unwrap();
    s3.put_object(&bucket, "probe.txt", "text/plain", b"ok".to_vec())
        .await
        .unwrap();
    assert_eq!(
        s3.get_object(&bucket, "probe.txt").await.unwrap(),
        b"ok"[..]
    );
    assert!(s3
        .put_object(&other, "probe.txt", "text/plain", b"no".to_vec())
        .await
        .is_err());
    s3.delete_object(&bucket, "probe.txt").await.unwrap();
}
