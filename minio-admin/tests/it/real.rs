//! The whole bucket life cycle on a real S3 store, when `S3_TEST_URL`, `S3_TEST_ACCESS_KEY` and
//! `S3_TEST_SECRET_KEY` name one (`cargo xtask ci` starts SeaweedFS for this).

use minio_admin::{Error, SecretString, Tag, S3};

fn real() -> Option<(String, String, String)> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        get("S3_TEST_URL"),
        get("S3_TEST_ACCESS_KEY"),
        get("S3_TEST_SECRET_KEY"),
    ) {
        (Some(u), Some(a), Some(s)) => Some((u, a, s)),
        _ => {
            eprintln!("S3_TEST_URL is not set: skipping the tests against a real S3 store");
            None
        }
    }
}

fn client(url: &str, ak: &str, sk: &str) -> S3 {
    S3::builder(url)
        .unwrap()
        .keys(ak, SecretString::from(sk.to_owned()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn bucket_life_cycle_on_a_real_store() {
    let Some((url, ak, sk)) = real() else { return };
    let s3 = client(&url, &ak, &sk);
    let bucket = format!("soc-it-{}", std::process::id());
    assert!(s3.create_bucket(&bucket).await.unwrap(), "created");
    assert!(
        !s3.create_bucket(&bucket).await.unwrap(),
        "the second create is a no-op"
    );
    assert!(s3.bucket_exists(&bucket).await.unwrap());
    assert!(s3
        .list_buckets()
        .await
        .unwrap()
        .iter()
        .any(|b| b.name == bucket));

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["*"]}},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::{bucket}/*"]}}]}}"#
    );
    s3.put_bucket_policy(&bucket, &policy).await.unwrap();
    let back = s3.bucket_policy(&bucket).await.unwrap().expect("a policy");
    assert!(back.contains("s3:GetObject"), "{back}");
    s3.delete_bucket_policy(&bucket).await.unwrap();
    assert_eq!(s3.bucket_policy(&bucket).await.unwrap(), None);

    s3.set_versioning(&bucket, true).await.unwrap();
    assert_eq!(
        s3.versioning(&bucket).await.unwrap().as_deref(),
        Some("Enabled")
    );
    s3.set_versioning(&bucket, false).await.unwrap();

    s3.put_bucket_tags(&bucket, &[Tag::new("owner", "soc ir@example")])
        .await
        .unwrap();
    assert_eq!(
        s3.bucket_tags(&bucket).await.unwrap(),
        [Tag::new("owner", "soc ir@example")]
    );
    s3.delete_bucket_tags(&bucket).await.unwrap();

    s3.expire_after(&bucket, "soc-retention", "cases/", 365)
        .await
        .unwrap();
    let lc = s3.lifecycle(&bucket).await.unwrap().expect("a lifecycle");
    assert!(lc.contains("365") && lc.contains("cases/"), "{lc}");
    s3.delete_lifecycle(&bucket).await.unwrap();
    assert_eq!(s3.lifecycle(&bucket).await.unwrap(), None);

    let key = "soc-check/probe one.txt";
    s3.put_object(&bucket, key, "text/plain", b"evidence".to_vec())
        .await
        .unwrap();
    assert!(s3.object_exists(&bucket, key).await.unwrap());
    assert_eq!(s3.get_object(&bucket, key).await.unwrap(), b"evidence"[..]);
    s3.delete_object(&bucket, key).await.unwrap();
    assert!(!s3.object_exists(&bucket, key).await.unwrap());
    s3.delete_bucket(&bucket).await.unwrap();
    assert!(!s3.bucket_exists(&bucket).await.unwrap());
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_store() {
    let Some((url, ak, _)) = real() else { return };
    let e = client(&url, &ak, "not-the-secret")
        .list_buckets()
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::S3 { .. }), "{e:?}");
    assert_eq!(e.status(), Some(403), "{e:?}");
}

#[tokio::test]
async fn iam_provisioning_is_idempotent_and_least_privilege() {
    let Some((url, ak, sk)) = real() else { return };
    use minio_admin::{Iam, Rights};
    let iam = Iam::new(&url, &ak, SecretString::from(sk.clone()), "us-east-1").unwrap();
    let root = client(&url, &ak, &sk);
    let id = std::process::id();
    let (bucket, other, user) = (
        format!("soc-iam-{id}"),
        format!("soc-iam-other-{id}"),
        format!("thehive-{id}"),
    );
    root.create_bucket(&bucket).await.unwrap();
    root.create_bucket(&other).await.unwrap();

    let first = iam
        .provision_bucket_access(&bucket, &user, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(first.created);
    let secret = first.secret_key.clone().expect("a new key's secret");
    let again = iam
        .provision_bucket_access(&bucket, &user, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(!again.created && again.secret_key.is_none() && again.access_key == first.access_key);

    let s3 = S3::builder(&url)
        .unwrap()
        .keys(&first.access_key, secret)
        .build()
        .unwrap();
    s3.put_object(&bucket, "a.txt", "text/plain", b"ok".to_vec())
        .await
        .unwrap();
    assert_eq!(s3.get_object(&bucket, "a.txt").await.unwrap(), b"ok"[..]);
    let denied = s3
        .put_object(&other, "a.txt", "text/plain", b"no".to_vec())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"), "{denied:?}");

    root.delete_object(&bucket, "a.txt").await.unwrap();
    for k in iam.access_keys(&user).await.unwrap() {
        iam.delete_access_key(&user, &k).await.unwrap();
    }
    iam.delete_user(&user).await.unwrap();
    root.delete_bucket(&bucket).await.unwrap();
    root.delete_bucket(&other).await.unwrap();
}
