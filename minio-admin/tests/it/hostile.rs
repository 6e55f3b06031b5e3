//! Hostile answers through this client: a trickle times out on time, a login page where XML or
//! encrypted JSON was expected is an error.

use std::time::{Duration, Instant};

use minio_admin::{MinioAdmin, RetryPolicy, SecretString, S3};

fn s3(url: &str) -> S3 {
    S3::builder(url)
        .unwrap()
        .keys("ak", SecretString::from("sk".to_owned()))
        .request_timeout(Duration::from_secs(1))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_trickle_times_out_on_time() {
    let url = soc_testkit::scripted_server(soc_testkit::trickle()).await;
    let started = Instant::now();
    let e = s3(&url).list_buckets().await.unwrap_err();
    assert!(e.to_string().contains("in time"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_login_page_is_an_error() {
    let url = soc_testkit::scripted_server(soc_testkit::html_login_page()).await;
    assert!(matches!(
        s3(&url).list_buckets().await,
        Err(minio_admin::Error::Decode { .. })
    ));
    let url = soc_testkit::scripted_server(soc_testkit::html_login_page()).await;
    let admin = MinioAdmin::builder(&url)
        .unwrap()
        .keys("ak", SecretString::from("sk".to_owned()))
        .build()
        .unwrap();
    assert!(matches!(
        admin.list_users().await,
        Err(minio_admin::Error::Crypto(_))
    ));
}
