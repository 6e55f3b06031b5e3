//! Hostile answers through this client: a trickle times out on time, a login page where JSON
//! was expected is a decode error naming the request.

use std::time::{Duration, Instant};

use es_ops::{Es, RetryPolicy};

fn client(url: &str) -> Es {
    Es::builder(url)
        .unwrap()
        .request_timeout(Duration::from_secs(1))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_trickle_times_out_on_time() {
    let url = soc_testkit::scripted_server(soc_testkit::trickle()).await;
    let started = Instant::now();
    let e = client(&url).info().await.unwrap_err();
    assert!(e.to_string().contains("in time"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_login_page_is_a_decode_error() {
    let url = soc_testkit::scripted_server(soc_testkit::html_login_page()).await;
    let e = client(&url).info().await.unwrap_err();
    assert!(e.to_string().contains("Please sign in"), "{e}");
}
