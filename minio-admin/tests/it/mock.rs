//! The requests, as a store sees them.

use minio_admin::{Error, RetryPolicy, SecretString, Tag, S3};
use wiremock::matchers::{body_string, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const AK: &str = "soc-provisioner";
const SK: &str = "s3-SECRET-0123456789abcdef";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    soc_testkit::fixture(FIXTURES, name)
}

fn s3(server: &MockServer, region: &str) -> S3 {
    S3::builder(&server.uri())
        .unwrap()
        .keys(AK, SecretString::from(SK.to_owned()))
        .region(region)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Signed by this test's key for `region`.
fn signed(region: &'static str) -> crate::support::SignedBy {
    crate::support::SignedBy {
        access_key: AK,
        region,
        service: "s3",
    }
}

fn xml(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/xml")
}

async fn server() -> MockServer {
    soc_testkit::server().await
}

#[tokio::test]
async fn lists_buckets() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(signed("us-east-1"))
        .respond_with(xml(200, "list_buckets.xml"))
        .expect(1)
        .mount(&s)
        .await;
    let l = s3(&s, "us-east-1").list_buckets().await.unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[1].name, "soc-evidence");
    assert_eq!(l[0].creation_date, "2026-11-20T08:14:02.512Z");
}

#[tokio::test]
async fn creating_an_owned_bucket_again_is_success() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(signed("us-east-1"))
        .and(body_string(""))
        .respond_with(xml(409, "error_already_owned.xml"))
        .expect(1)
        .mount(&s)
        .await;
    assert!(!s3(&s, "us-east-1").create_bucket("thehive").await.unwrap());
}

#[tokio::test]
async fn another_region_sends_its_location_constraint() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(signed("eu-west-3"))
        .and(body_string(
            r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-3</LocationConstraint></CreateBucketConfiguration>"#,
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    assert!(s3(&s, "eu-west-3").create_bucket("thehive").await.unwrap());
}

#[tokio::test]
async fn s3_errors_are_typed_with_code_message_and_request_id() {
    let s = server().await;
    Mock::given(method("DELETE"))
        .and(path("/missing"))
        .respond_with(xml(404, "error_no_such_bucket.xml"))
        .mount(&s)
        .await;
    let e = s3(&s, "us-east-1")
        .delete_bucket("missing")
        .await
        .unwrap_err();
    let Error::S3 {
        status,
        code,
        message,
        request_id,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*status, code.as_str()), (404, "NoSuchBucket"));
    assert_eq!(message, "The specified bucket does not exist");
    assert_eq!(request_id, "187A9F4C2B1E3D55");
    assert!(!format!("{e} {e:?}").contains(SK));
}

#[tokio::test]
async fn policy_versioning_and_tags_go_to_their_subresources() {
    let s = server().await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::thehive/*"]}]}"#;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(query_param("policy", ""))
        .and(body_string(policy))
        .and(signed("us-east-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(query_param("versioning", ""))
        .and(body_string(
            r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#,
        ))
        .and(signed("us-east-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(query_param("tagging", ""))
        .and(body_string(
            r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>data</Key><Value>evidence &amp; attachments</Value></Tag></TagSet></Tagging>"#,
        ))
        .and(signed("us-east-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/thehive"))
        .and(query_param("tagging", ""))
        .respond_with(xml(200, "tagging.xml"))
        .expect(1)
        .mount(&s)
        .await;
    let c = s3(&s, "us-east-1");
    c.put_bucket_policy("thehive", policy).await.unwrap();
    c.set_versioning("thehive", true).await.unwrap();
    c.put_bucket_tags("thehive", &[Tag::new("data", "evidence & attachments")])
        .await
        .unwrap();
    let tags = c.bucket_tags("thehive").await.unwrap();
    assert_eq!(tags[1], Tag::new("data", "evidence & attachments"));
}

#[tokio::test]
async fn a_policy_that_is_not_json_is_refused_before_sending() {
    let s = server().await;
    let e = s3(&s, "us-east-1")
        .put_bucket_policy("thehive", "{not json")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(s.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn objects_keep_their_key_path_and_body_hash() {
    let s = server().await;
    Mock::given(method("PUT"))
        .and(path("/thehive/soc-check/probe%20one.txt"))
        .and(body_string("ok"))
        .and(signed("us-east-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    s3(&s, "us-east-1")
        .put_object(
            "thehive",
            "soc-check/probe one.txt",
            "text/plain",
            b"ok".to_vec(),
        )
        .await
        .unwrap();
}

/// Signed for IAM, with the query API's form body.
struct IamForm(&'static str);

impl wiremock::Match for IamForm {
    fn matches(&self, r: &Request) -> bool {
        let auth = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let ct = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        auth.contains("/us-east-1/iam/aws4_request")
            && ct.starts_with("application/x-www-form-urlencoded")
            && String::from_utf8_lossy(&r.body) == self.0
    }
}

#[tokio::test]
async fn iam_provisioning_sends_the_query_api_forms() {
    use minio_admin::{Iam, Rights};
    let s = server().await;
    let xml_ok = |body: &str| ResponseTemplate::new(200).set_body_raw(body.to_owned(), "text/xml");
    Mock::given(method("POST"))
        .and(path("/"))
        .and(IamForm("Action=GetUser&Version=2010-05-08&UserName=thehive"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>the user with name thehive cannot be found.</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"#,
            "text/xml",
        ))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(IamForm("Action=CreateUser&Version=2010-05-08&UserName=thehive"))
        .respond_with(xml_ok("<CreateUserResponse><CreateUserResult><User><UserName>thehive</UserName></User></CreateUserResult></CreateUserResponse>"))
        .expect(1)
        .mount(&s)
        .await;
    let policy = minio_admin::bucket_policy("thehive", Rights::ReadOnly).to_string();
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "PutUserPolicy")
        .append_pair("Version", "2010-05-08")
        .append_pair("UserName", "thehive")
        .append_pair("PolicyName", "thehive-ro")
        .append_pair("PolicyDocument", &policy)
        .finish();
    Mock::given(method("POST"))
        .and(path("/"))
        .and(IamForm(Box::leak(form.into_boxed_str())))
        .respond_with(xml_ok("<PutUserPolicyResponse></PutUserPolicyResponse>"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(IamForm("Action=ListAccessKeys&Version=2010-05-08&UserName=thehive"))
        .respond_with(xml_ok("<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata></AccessKeyMetadata></ListAccessKeysResult></ListAccessKeysResponse>"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(IamForm("Action=CreateAccessKey&Version=2010-05-08&UserName=thehive"))
        .respond_with(xml_ok("<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey><UserName>thehive</UserName><AccessKeyId>AKIATHEHIVE0001</AccessKeyId><Status>Active</Status><SecretAccessKey>iam-SECRET-value</SecretAccessKey></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>"))
        .expect(1)
        .mount(&s)
        .await;
    let iam = Iam::new(&s.uri(), AK, SecretString::from(SK.to_owned()), "us-east-1").unwrap();
    let access = iam
        .provision_bucket_access("thehive", "thehive", Rights::ReadOnly, false)
        .await
        .unwrap();
    assert!(access.created);
    assert_eq!(access.access_key, "AKIATHEHIVE0001");
    assert!(!format!("{access:?}").contains("iam-SECRET-value"));
}

#[tokio::test]
async fn lifecycle_carries_its_content_md5() {
    let s = server().await;
    let doc = r#"<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>soc-retention</ID><Filter><Prefix>cases/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule></LifecycleConfiguration>"#;
    Mock::given(method("PUT"))
        .and(path("/thehive"))
        .and(query_param("lifecycle", ""))
        .and(body_string(doc))
        // base64 of the MD5 of `doc`, and signed.
        .and(wiremock::matchers::header(
            "content-md5",
            md5_b64(doc).as_str(),
        ))
        .and(signed("us-east-1"))
        .and(SignsHeader("content-md5"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    s3(&s, "us-east-1")
        .expire_after("thehive", "soc-retention", "cases/", 365)
        .await
        .unwrap();
    assert!(s3(&s, "us-east-1")
        .expire_after("thehive", "x", "", 0)
        .await
        .is_err());
}

fn md5_b64(s: &str) -> String {
    use md5::Digest;
    minio_admin::soc_http::base64(&md5::Md5::digest(s.as_bytes()))
}

/// The signature covers this header.
struct SignsHeader(&'static str);

impl wiremock::Match for SignsHeader {
    fn matches(&self, r: &Request) -> bool {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split("SignedHeaders=").nth(1))
            .is_some_and(|h| {
                h.split(',')
                    .next()
                    .unwrap_or_default()
                    .split(';')
                    .any(|n| n == self.0)
            })
    }
}

#[tokio::test]
async fn lists_objects_page_by_page() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/thehive"))
        .and(query_param("list-type", "2"))
        .and(query_param("prefix", "att/"))
        .and(query_param(
            "continuation-token",
            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
        ))
        .and(signed("us-east-1"))
        .respond_with(xml(200, "list_objects_v2_last.xml"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/thehive"))
        .and(query_param("list-type", "2"))
        .and(query_param("prefix", "att/"))
        .and(wiremock::matchers::query_param_is_missing(
            "continuation-token",
        ))
        .and(signed("us-east-1"))
        .respond_with(xml(200, "list_objects_v2.xml"))
        .expect(1)
        .mount(&s)
        .await;
    let all = s3(&s, "us-east-1")
        .list_all_objects("thehive", "att/")
        .await
        .unwrap();
    let keys: Vec<&str> = all.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["att/0f3c9a", "att/a&b c", "att/ff01"]);
    assert_eq!(all[0].size, 5120);
    assert_eq!(all[0].etag, "\"9b2cf535f27731c974343645a3985328\"");
    assert_eq!(all[2].last_modified, "2026-11-21T10:00:00.000Z");
}

#[tokio::test]
async fn downloads_an_object_into_a_writer() {
    let s = server().await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/thehive/case/1/report.pdf"))
        .and(signed("us-east-1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/pdf"))
        .expect(1)
        .mount(&s)
        .await;
    let mut out = Vec::new();
    let n = s3(&s, "us-east-1")
        .download_object("thehive", "case/1/report.pdf", &mut out)
        .await
        .unwrap();
    assert_eq!(n, 200_000);
    assert_eq!(out, body);
}
