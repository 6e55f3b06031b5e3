//! Each shape of Cortex error maps to a matchable variant with the server's message; no key
//! leaks; creates are never replayed.

use std::time::Duration;

use cortex_client::model::JobInput;
use cortex_client::{Cortex, Error, RetryPolicy};
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::support::{cortex, fixture, given, server, API_KEY};

fn json_reply(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

#[tokio::test]
async fn json_error_bodies_become_api_errors() {
    let s = server().await;
    given("GET", "/api/job/missing")
        .respond_with(json_reply(404, "error_404.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/api/analyzer/vt/run")
        .respond_with(json_reply(429, "error_429_rate_limit.json"))
        .expect(1)
        .mount(&s)
        .await;
    given("POST", "/api/user")
        .respond_with(json_reply(400, "error_400_attribute.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = cortex(&s);
    let e = c.jobs().get("missing").await.unwrap_err();
    assert!(e.is_not_found());
    assert!(
        matches!(&e, Error::Api { kind, message, .. } if kind == "NotFoundError" && message.contains("not found")),
        "{e:?}"
    );
    let e = c
        .analyzers()
        .run("vt", &JobInput::new("ip", "203.0.113.7"), false)
        .await
        .unwrap_err();
    assert_eq!(e.api_type(), Some("RateLimitExceeded"));
    assert_eq!(e.status(), Some(429));
    assert!(e.to_string().contains("Rate limit of 4 per Minute"), "{e}");
    let e = c
        .users()
        .create(&cortex_client::model::InputUser::new("x", "X", ["read"]))
        .await
        .unwrap_err();
    assert_eq!(e.api_type(), Some("AttributeCheckingError"));
}

#[tokio::test]
async fn plain_text_client_errors_become_play_errors() {
    let s = server().await;
    given("POST", "/query")
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw("Module parameter is not present in request", "text/plain"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = cortex(&s)
        .platform()
        .misp_query(&json!({"ip-dst": "1.2.3.4"}))
        .await
        .unwrap_err();
    match e {
        Error::Play { message, .. } => {
            assert_eq!(message, "Module parameter is not present in request")
        }
        other => panic!("expected Play, got {other:?}"),
    }
}

#[tokio::test]
async fn status_520_means_the_database_is_missing() {
    let s = server().await;
    given("GET", "/api/user/current")
        .respond_with(ResponseTemplate::new(520).set_body_raw("null", "application/json"))
        .expect(1)
        .mount(&s)
        .await;
    let e = cortex(&s).users().current().await.unwrap_err();
    assert!(matches!(e, Error::NotInitialized { .. }), "{e:?}");
    assert!(e.to_string().contains("not initialised"), "{e}");
}

#[tokio::test]
async fn multi_status_207_is_an_error_with_each_failure() {
    let s = server().await;
    given("PATCH", "/api/user/bob")
        .respond_with(json_reply(207, "error_207_multi.json"))
        .expect(1)
        .mount(&s)
        .await;
    let e = cortex(&s)
        .users()
        .update("bob", &json!({"name": "Bob"}))
        .await
        .unwrap_err();
    match e {
        Error::Multi { message, errors } => {
            assert_eq!(message, "2 of 3 operations failed");
            assert_eq!(errors.len(), 2);
        }
        other => panic!("expected Multi, got {other:?}"),
    }
}

#[tokio::test]
async fn running_a_job_is_never_replayed_after_a_5xx() {
    let s = server().await;
    given("POST", "/api/analyzer/vt/run")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let c = Cortex::builder(&format!("{}/cortex", s.uri()))
        .unwrap()
        .api_key(API_KEY.to_owned())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    let e = c
        .analyzers()
        .run("vt", &JobInput::new("ip", "203.0.113.7"), false)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
}

#[tokio::test]
async fn no_secret_in_errors_or_debug() {
    let s = server().await;
    given("GET", "/api/user/current")
        .respond_with(json_reply(401, "error_401.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = cortex(&s);
    let e = c.users().current().await.unwrap_err();
    assert!(e.is_unauthenticated());
    for shown in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
        assert!(!shown.contains(API_KEY), "{shown}");
    }
    let plan = cortex_client::bootstrap::BootstrapPlan::new(
        "admin@soc.example",
        cortex_client::SecretString::from("admin-pw-SECRET".to_owned()),
        "soc",
        "soc-admin@soc.example",
    );
    assert!(!format!("{plan:?}").contains("admin-pw-SECRET"));
}
