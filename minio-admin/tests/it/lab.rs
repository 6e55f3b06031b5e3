//! The crate's tour end to end against the lab's S3 store and MinIO admin API (`soc-lab`, in
//! process on loopback): buckets, policies, smoke objects, users, canned policies, service
//! accounts through the encrypted admin payloads, and least-privilege provisioning whose keys
//! reach their bucket and nothing else.

use minio_admin::soc_http::ExposeSecret;
use minio_admin::{
    bucket_policy, MinioAdmin, NewServiceAccount, Principal, Rights, SecretString, S3,
};
use serde_json::json;
use soc_lab::{Lab, LabConfig, Service};

struct Root {
    url: String,
    access: String,
    secret: SecretString,
}

fn root(lab: &Lab) -> Root {
    let ep = lab.endpoint(Service::S3);
    Root {
        url: ep.url.as_str().trim_end_matches('/').to_owned(),
        access: ep.username.clone().unwrap(),
        secret: SecretString::from(ep.password().unwrap().to_owned()),
    }
}

fn s3(url: &str, access: &str, secret: &SecretString) -> S3 {
    S3::builder(url)
        .unwrap()
        .keys(access, secret.clone())
        .retry(minio_admin::RetryPolicy::none())
        .build()
        .unwrap()
}

fn admin(r: &Root) -> MinioAdmin {
    MinioAdmin::builder(&r.url)
        .unwrap()
        .keys(&r.access, r.secret.clone())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_on_the_lab() {
    let lab = Lab::start(LabConfig::default()).await.unwrap();
    let r = root(&lab);
    let root_s3 = s3(&r.url, &r.access, &r.secret);
    let admin = admin(&r);
    assert!(admin.alive().await.unwrap());
    assert!(admin.ready().await.unwrap());

    // Buckets, idempotently.
    assert!(root_s3.create_bucket("thehive-evidence").await.unwrap());
    assert!(
        !root_s3.create_bucket("thehive-evidence").await.unwrap(),
        "a bucket this key owns is success"
    );
    assert!(root_s3.create_bucket("cortex-reports").await.unwrap());
    assert!(root_s3.bucket_exists("thehive-evidence").await.unwrap());
    assert!(!root_s3.bucket_exists("no-such-bucket").await.unwrap());
    let names: Vec<String> = root_s3
        .list_buckets()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["cortex-reports", "thehive-evidence"]);

    // A bucket policy, read back and removed.
    let public_read = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::thehive-evidence/public/*"]}]});
    root_s3
        .put_bucket_policy("thehive-evidence", &public_read.to_string())
        .await
        .unwrap();
    let stored: serde_json::Value = serde_json::from_str(
        &root_s3
            .bucket_policy("thehive-evidence")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stored["Statement"][0]["Action"], json!(["s3:GetObject"]));
    root_s3
        .delete_bucket_policy("thehive-evidence")
        .await
        .unwrap();
    assert_eq!(
        root_s3.bucket_policy("thehive-evidence").await.unwrap(),
        None
    );

    // The smoke test: write, read back, delete.
    root_s3
        .put_object(
            "thehive-evidence",
            "soc-check/probe.txt",
            "text/plain",
            b"ok".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        root_s3
            .get_object("thehive-evidence", "soc-check/probe.txt")
            .await
            .unwrap(),
        b"ok"[..]
    );
    assert!(root_s3
        .object_exists("thehive-evidence", "soc-check/probe.txt")
        .await
        .unwrap());
    root_s3
        .delete_object("thehive-evidence", "soc-check/probe.txt")
        .await
        .unwrap();
    assert!(!root_s3
        .object_exists("thehive-evidence", "soc-check/probe.txt")
        .await
        .unwrap());

    // The admin API: a canned policy, a user holding it, a service account.
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"],
        "Resource": ["arn:aws:s3:::thehive-evidence", "arn:aws:s3:::thehive-evidence/*"]}]});
    admin
        .add_canned_policy("thehive-evidence-rw", &policy)
        .await
        .unwrap();
    let policies = admin.list_canned_policies().await.unwrap();
    assert!(policies.contains_key("thehive-evidence-rw"));
    assert!(policies.contains_key("readwrite"), "the built-in ones too");
    assert_eq!(
        admin.canned_policy("thehive-evidence-rw").await.unwrap()["Statement"][0]["Resource"],
        policy["Statement"][0]["Resource"]
    );
    let user_secret = SecretString::from("thehive-user-secret-0123456789".to_owned());
    admin.add_user("thehive", &user_secret).await.unwrap();
    assert_eq!(
        admin.list_users().await.unwrap()["thehive"].status,
        "enabled"
    );
    admin
        .set_policy("thehive-evidence-rw", Principal::User("thehive"))
        .await
        .unwrap();
    assert_eq!(
        admin
            .user_info("thehive")
            .await
            .unwrap()
            .policy_name
            .as_deref(),
        Some("thehive-evidence-rw")
    );
    let user_s3 = s3(&r.url, "thehive", &user_secret);
    user_s3
        .put_object(
            "thehive-evidence",
            "case-1/a.bin",
            "application/octet-stream",
            vec![7; 1000],
        )
        .await
        .unwrap();
    let e = user_s3
        .put_object("cortex-reports", "x", "text/plain", b"no".to_vec())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");

    // A disabled user's key stops working, and works again once enabled.
    admin.set_user_status("thehive", false).await.unwrap();
    assert_eq!(admin.user_info("thehive").await.unwrap().status, "disabled");
    assert!(user_s3
        .get_object("thehive-evidence", "case-1/a.bin")
        .await
        .is_err());
    admin.set_user_status("thehive", true).await.unwrap();
    assert_eq!(
        user_s3
            .get_object("thehive-evidence", "case-1/a.bin")
            .await
            .unwrap()
            .len(),
        1000
    );

    // A service account for the user, its keys in the encrypted answer, narrowed to reading.
    let creds = admin
        .add_service_account(&NewServiceAccount {
            target_user: Some("thehive".into()),
            policy: Some(bucket_policy("thehive-evidence", Rights::ReadOnly)),
            name: Some("thehive-reader".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!creds.secret_key.expose_secret().is_empty());
    let listed = admin.list_service_accounts("thehive").await.unwrap();
    assert!(
        listed.iter().any(|a| a.access_key == creds.access_key),
        "{listed:?}"
    );
    let info = admin.service_account(&creds.access_key).await.unwrap();
    assert_eq!(info["parentUser"], "thehive");
    let sa_s3 = s3(&r.url, &creds.access_key, &creds.secret_key);
    assert_eq!(
        sa_s3
            .get_object("thehive-evidence", "case-1/a.bin")
            .await
            .unwrap()
            .len(),
        1000
    );
    let e = sa_s3
        .put_object(
            "thehive-evidence",
            "case-1/b.bin",
            "text/plain",
            b"w".to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "narrowed to reads: {e:?}");
    admin
        .delete_service_account(&creds.access_key)
        .await
        .unwrap();
    assert!(sa_s3
        .get_object("thehive-evidence", "case-1/a.bin")
        .await
        .is_err());

    // A wrong secret cannot even ask.
    let wrong = MinioAdmin::builder(&r.url)
        .unwrap()
        .keys(&r.access, SecretString::from("wrong-secret".to_owned()))
        .build()
        .unwrap();
    let e = wrong.list_users().await.unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{e:?}");

    root_s3
        .delete_object("thehive-evidence", "case-1/a.bin")
        .await
        .unwrap();
    admin.remove_user("thehive").await.unwrap();
    assert_eq!(
        admin.user_info("thehive").await.unwrap_err().code(),
        Some("XMinioAdminNoSuchUser")
    );
    admin
        .remove_canned_policy("thehive-evidence-rw")
        .await
        .unwrap();
    lab.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_keys_reach_their_bucket_and_nothing_else() {
    let lab = Lab::start(LabConfig::default()).await.unwrap();
    let r = root(&lab);
    let root_s3 = s3(&r.url, &r.access, &r.secret);
    let admin = admin(&r);
    for b in ["cortex-reports", "thehive-evidence"] {
        root_s3.create_bucket(b).await.unwrap();
    }
    root_s3
        .put_object(
            "thehive-evidence",
            "secret.txt",
            "text/plain",
            b"s".to_vec(),
        )
        .await
        .unwrap();

    let first = admin
        .provision_bucket_access("cortex-reports", "cortex", Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(first.created);
    let key = first.secret_key.clone().unwrap();
    assert!(!format!("{first:?}").contains(key.expose_secret()));
    let again = admin
        .provision_bucket_access("cortex-reports", "cortex", Rights::ReadWrite, false)
        .await
        .unwrap();
    assert!(
        !again.created && again.secret_key.is_none(),
        "a second run changes nothing"
    );
    let stored = admin
        .canned_policy("cortex-cortex-reports-rw")
        .await
        .unwrap();
    assert_eq!(
        stored["Statement"][0]["Resource"],
        bucket_policy("cortex-reports", Rights::ReadWrite)["Statement"][0]["Resource"]
    );

    // What the key may do: list, write, read, delete in its bucket.
    let cortex = s3(&r.url, &first.access_key, &key);
    cortex
        .put_object(
            "cortex-reports",
            "job-1/report.json",
            "application/json",
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        cortex
            .get_object("cortex-reports", "job-1/report.json")
            .await
            .unwrap(),
        b"{}"[..]
    );
    assert!(cortex.bucket_exists("cortex-reports").await.unwrap());
    let listed = cortex
        .request(minio_admin::soc_http::Method::GET, &["cortex-reports"])
        .query_pair("list-type", "2")
        .text()
        .await
        .unwrap();
    assert!(listed.contains("<Key>job-1/report.json</Key>"), "{listed}");
    cortex
        .delete_object("cortex-reports", "job-1/report.json")
        .await
        .unwrap();

    // And nothing else: other buckets, new buckets, bucket settings, the admin API.
    let code = |e: minio_admin::Error| e.code().map(str::to_owned);
    let denied = Some("AccessDenied".to_owned());
    assert_eq!(
        code(
            cortex
                .get_object("thehive-evidence", "secret.txt")
                .await
                .unwrap_err()
        ),
        denied
    );
    assert_eq!(
        code(
            cortex
                .put_object("thehive-evidence", "x", "text/plain", b"x".to_vec())
                .await
                .unwrap_err()
        ),
        denied
    );
    assert_eq!(
        code(
            cortex
                .delete_object("thehive-evidence", "secret.txt")
                .await
                .unwrap_err()
        ),
        denied
    );
    assert_eq!(
        code(cortex.create_bucket("cortex-other").await.unwrap_err()),
        denied
    );
    assert_eq!(
        code(cortex.delete_bucket("cortex-reports").await.unwrap_err()),
        denied
    );
    assert_eq!(
        code(
            cortex
                .put_bucket_policy(
                    "cortex-reports",
                    &bucket_policy("cortex-reports", Rights::ReadOnly).to_string()
                )
                .await
                .unwrap_err()
        ),
        denied
    );
    let names: Vec<String> = cortex
        .list_buckets()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["cortex-reports"], "only its own bucket is visible");
    let as_admin = MinioAdmin::builder(&r.url)
        .unwrap()
        .keys(&first.access_key, key.clone())
        .build()
        .unwrap();
    let e = as_admin.list_users().await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
    assert!(root_s3
        .object_exists("thehive-evidence", "secret.txt")
        .await
        .unwrap());

    // Read-only credentials for another principal: reads, no writes.
    let ro = admin
        .provision_bucket_access("thehive-evidence", "auditor", Rights::ReadOnly, false)
        .await
        .unwrap();
    let auditor = s3(&r.url, &ro.access_key, ro.secret_key.as_ref().unwrap());
    assert_eq!(
        auditor
            .get_object("thehive-evidence", "secret.txt")
            .await
            .unwrap(),
        b"s"[..]
    );
    assert_eq!(
        code(
            auditor
                .put_object("thehive-evidence", "y", "text/plain", b"y".to_vec())
                .await
                .unwrap_err()
        ),
        denied
    );
    assert_eq!(
        code(
            auditor
                .delete_object("thehive-evidence", "secret.txt")
                .await
                .unwrap_err()
        ),
        denied
    );

    // Rotation: the old secret stops working, the new one works.
    let rotated = admin
        .provision_bucket_access("cortex-reports", "cortex", Rights::ReadWrite, true)
        .await
        .unwrap();
    assert!(!rotated.created);
    let new_key = rotated.secret_key.unwrap();
    assert_ne!(new_key.expose_secret(), key.expose_secret());
    let e = cortex
        .put_object("cortex-reports", "z", "text/plain", b"z".to_vec())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{e:?}");
    s3(&r.url, &rotated.access_key, &new_key)
        .put_object("cortex-reports", "z", "text/plain", b"z".to_vec())
        .await
        .unwrap();
    lab.stop().await.unwrap();
}
