//! The MinIO admin API on a real MinIO server, when `MINIO_TEST_URL`, `MINIO_TEST_ACCESS_KEY`
//! and `MINIO_TEST_SECRET_KEY` name one (`cargo xtask ci` starts the JuiceFS S3 gateway, which
//! runs MinIO's own server code).

use minio_admin::{MinioAdmin, NewServiceAccount, Principal, SecretString, S3};
use serde_json::json;

fn real() -> Option<(String, String, String)> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        get("MINIO_TEST_URL"),
        get("MINIO_TEST_ACCESS_KEY"),
        get("MINIO_TEST_SECRET_KEY"),
    ) {
        (Some(u), Some(a), Some(s)) => Some((u, a, s)),
        _ => {
            eprintln!("MINIO_TEST_URL is not set: skipping the tests against a real MinIO server");
            None
        }
    }
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[tokio::test]
async fn a_user_limited_to_one_bucket_on_a_real_server() {
    let Some((url, ak, sk)) = real() else { return };
    let admin = MinioAdmin::builder(&url)
        .unwrap()
        .keys(&ak, secret(&sk))
        .build()
        .unwrap();
    let root_s3 = S3::builder(&url)
        .unwrap()
        .keys(&ak, secret(&sk))
        .build()
        .unwrap();
    assert!(admin.alive().await.unwrap());

    let id = std::process::id();
    let (bucket, other, user, policy_name) = (
        format!("soc-lp-{id}"),
        format!("soc-other-{id}"),
        format!("thehive-{id}"),
        format!("soc-lp-{id}-rw"),
    );
    root_s3.create_bucket(&bucket).await.unwrap();
    root_s3.create_bucket(&other).await.unwrap();

    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"],
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]});
    admin
        .add_canned_policy(&policy_name, &policy)
        .await
        .unwrap();
    assert!(admin
        .list_canned_policies()
        .await
        .unwrap()
        .contains_key(&policy_name));

    let user_secret = secret("thehive-user-secret-0123456789");
    admin.add_user(&user, &user_secret).await.unwrap();
    assert_eq!(admin.list_users().await.unwrap()[&user].status, "enabled");
    admin
        .set_policy(&policy_name, Principal::User(&user))
        .await
        .unwrap();
    assert_eq!(
        admin.user_info(&user).await.unwrap().policy_name.as_deref(),
        Some(policy_name.as_str())
    );

    // The user's key reaches its bucket and nothing else.
    let user_s3 = S3::builder(&url)
        .unwrap()
        .keys(&user, user_secret.clone())
        .build()
        .unwrap();
    user_s3
        .put_object(&bucket, "probe.txt", "text/plain", b"ok".to_vec())
        .await
        .unwrap();
    assert_eq!(
        user_s3.get_object(&bucket, "probe.txt").await.unwrap(),
        b"ok"[..]
    );
    let denied = user_s3
        .put_object(&other, "probe.txt", "text/plain", b"no".to_vec())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"), "{denied:?}");
    let denied = user_s3
        .create_bucket(&format!("soc-new-{id}"))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"), "{denied:?}");

    admin.set_user_status(&user, false).await.unwrap();
    assert_eq!(admin.user_info(&user).await.unwrap().status, "disabled");
    admin.set_user_status(&user, true).await.unwrap();

    // A service account for the user, with its keys in the encrypted answer.
    let creds = admin
        .add_service_account(&NewServiceAccount {
            target_user: Some(user.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let listed = admin.list_service_accounts(&user).await.unwrap();
    assert!(
        listed.iter().any(|a| a.access_key == creds.access_key),
        "{listed:?}"
    );
    let info = admin.service_account(&creds.access_key).await.unwrap();
    assert_eq!(info["parentUser"], user.as_str());
    admin
        .delete_service_account(&creds.access_key)
        .await
        .unwrap();

    root_s3.delete_object(&bucket, "probe.txt").await.unwrap();
    admin.remove_user(&user).await.unwrap();
    assert_eq!(
        admin.user_info(&user).await.unwrap_err().code(),
        Some("XMinioAdminNoSuchUser")
    );
    admin.remove_canned_policy(&policy_name).await.unwrap();
    root_s3.delete_bucket(&bucket).await.unwrap();
    root_s3.delete_bucket(&other).await.unwrap();
}

#[tokio::test]
async fn a_wrong_secret_cannot_read_the_encrypted_user_list() {
    let Some((url, ak, _)) = real() else { return };
    let admin = MinioAdmin::builder(&url)
        .unwrap()
        .keys(&ak, secret("wrong-secret"))
        .build()
        .unwrap();
    let e = admin.list_users().await.unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{e:?}");
}

#[tokio::test]
async fn provisioning_is_idempotent_and_least_privilege_on_minio() {
    let Some((url, ak, sk)) = real() else { return };
    use minio_admin::Rights;
    let admin = MinioAdmin::builder(&url)
        .unwrap()
        .keys(&ak, secret(&sk))
        .build()
        .unwrap();
    let root_s3 = S3::builder(&url)
        .unwrap()
        .keys(&ak, secret(&sk))
        .build()
        .unwrap();
    let id = std::process::id();
    let (bucket, other, user) = (
        format!("soc-prov-{id}"),
        format!("soc-prov-other-{id}"),
        format!("cortex-{id}"),
    );
    root_s3.create_bucket(&bucket).await.unwrap();
    root_s3.create_bucket(&other).await.unwrap();

    let first = admin
        .provision_bucket_access(&bucket, &user, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(first.created);
    let key = first.secret_key.clone().expect("a new user's secret");
    assert!(!format!("{first:?}").contains(soc_secret(&key)));
    let again = admin
        .provision_bucket_access(&bucket, &user, Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(
        !again.created && again.secret_key.is_none(),
        "a second run changes nothing"
    );

    let s3 = S3::builder(&url)
        .unwrap()
        .keys(&first.access_key, key.clone())
        .build()
        .unwrap();
    s3.put_object(&bucket, "report.json", "application/json", b"{}".to_vec())
        .await
        .unwrap();
    let denied = s3
        .put_object(&other, "report.json", "application/json", b"{}".to_vec())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"), "{denied:?}");

    let rotated = admin
        .provision_bucket_access(&bucket, &user, Rights::ReadWrite, true)
        .await
        .unwrap();
    let new_key = rotated.secret_key.expect("a rotated secret");
    let old = S3::builder(&url)
        .unwrap()
        .keys(&first.access_key, key)
        .build()
        .unwrap();
    assert!(
        old.get_object(&bucket, "report.json").await.is_err(),
        "the old secret stops working"
    );
    let new = S3::builder(&url)
        .unwrap()
        .keys(&rotated.access_key, new_key)
        .build()
        .unwrap();
    assert_eq!(
        new.get_object(&bucket, "report.json").await.unwrap(),
        b"{}"[..]
    );

    root_s3.delete_object(&bucket, "report.json").await.unwrap();
    admin.remove_user(&user).await.unwrap();
    admin
        .remove_canned_policy(&format!("{user}-{bucket}-rw"))
        .await
        .unwrap();
    root_s3.delete_bucket(&bucket).await.unwrap();
    root_s3.delete_bucket(&other).await.unwrap();
}

fn soc_secret(s: &SecretString) -> &str {
    use minio_admin::soc_http::ExposeSecret;
    s.expose_secret()
}
