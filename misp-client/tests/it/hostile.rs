//! Hostile answers through this client: a trickle times out on time, a login page where JSON
//! was expected is an error naming the request.

use std::time::{Duration, Instant};

use misp_client::{Misp, RetryPolicy};

fn client(url: &str) -> Misp {
    Misp::builder(url)
        .unwrap()
        .api_key("misp-key".to_owned())
        .request_timeout(Duration::from_secs(1))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_trickle_times_out_on_time() {
    let url = soc_testkit::scripted_server(soc_testkit::trickle()).await;
    let started = Instant::now();
    let e = client(&url).events().get("1042").await.unwrap_err();
    assert!(e.to_string().contains("in time"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_login_page_is_an_error_naming_the_request() {
    let url = soc_testkit::scripted_server(soc_testkit::html_login_page()).await;
    let e = client(&url).events().get("1042").await.unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("/events/view/1042") && shown.contains("Please sign in"),
        "{shown}"
    );
}
