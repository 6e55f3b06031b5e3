//! Errors callers can match, secrets that never leak, retries that never duplicate an alert.

use std::time::Duration;

use serde_json::json;
use thehive_client::model::InputAlert;
use thehive_client::{Error, RetryPolicy, TheHive};
use wiremock::matchers::{header, method, path};

use crate::support::{given, EmptyBody, ORG};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{fixture, hive, server, API_KEY};

fn alert() -> InputAlert {
    InputAlert::new(
        "edr",
        "crowdstrike",
        "det-4711",
        "Macro dropper",
        "Word spawned PowerShell",
    )
}

#[tokio::test]
async fn duplicate_alert_is_a_distinct_error() {
    let s = server().await;
    given("POST", "/api/v1/alert")
        .and(crate::support::JsonBody(
            serde_json::to_value(alert()).unwrap(),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            fixture("error_400_duplicate_alert.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = hive(&s).alerts().create(&alert()).await.unwrap_err();
    match &e {
        Error::AlertAlreadyExists { message, .. } => {
            assert!(message.contains("already exist"), "{message}")
        }
        other => panic!("expected AlertAlreadyExists, got {other:?}"),
    }
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(e.api_type(), Some("CreateError"));
}

#[tokio::test]
async fn other_bad_requests_stay_plain_http_errors() {
    let s = server().await;
    given("POST", "/api/v1/alert")
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"type": "AttributeCheckingError", "message": "title is missing"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = hive(&s).alerts().create(&alert()).await.unwrap_err();
    assert!(matches!(e, Error::Http(_)), "{e:?}");
    assert_eq!(e.api_message(), Some("title is missing"));
}

#[tokio::test]
async fn not_found_and_unauthorized_are_matchable_and_leak_no_key() {
    let s = server().await;
    given("GET", "/api/v1/case/~404")
        .and(EmptyBody)
        .respond_with(
            ResponseTemplate::new(404).set_body_raw(fixture("error_404.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    given("GET", "/api/v1/user/current")
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(fixture("error_401.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let h = hive(&s);
    let e = h.cases().get(&"~404".into()).await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.api_type(), Some("NotFoundError"));
    let text = e.to_string();
    assert!(
        text.contains("GET http://127.0.0.1:")
            && text.contains("/thehive/api/v1/case/~404 returned 404"),
        "{text}"
    );
    let e = h.users().current().await.unwrap_err();
    assert_eq!(e.http().unwrap().kind(), soc_http::ErrorKind::Unauthorized);
    for shown in [e.to_string(), format!("{e:?}"), format!("{h:?}")] {
        assert!(!shown.contains(API_KEY), "{shown}");
    }
}

#[tokio::test]
async fn proxy_html_errors_are_reduced_to_text() {
    let s = server().await;
    given("GET", "/api/v1/status")
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx/1.27.0</body></html>",
            "text/html",
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = hive(&s).status().await.unwrap_err();
    assert_eq!(
        e.http().unwrap().body_snippet(),
        Some("502 Bad Gateway 502 Bad Gateway nginx/1.27.0")
    );
}

fn retrying(s: &wiremock::MockServer) -> TheHive {
    TheHive::builder(&format!("{}/thehive", s.uri()))
        .unwrap()
        .api_key(API_KEY.to_owned())
        .organisation(ORG)
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn alert_create_is_not_repeated_after_a_5xx() {
    let s = server().await;
    given("POST", "/api/v1/alert")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let e = retrying(&s).alerts().create(&alert()).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn reads_are_retried_and_honour_retry_after() {
    let s = server().await;
    given("GET", "/api/v1/alert/~1")
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/thehive/api/v1/alert/~1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("alert.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let t = std::time::Instant::now();
    retrying(&s).alerts().get(&"~1".into()).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn organisation_can_change_per_call_and_ids_are_encoded() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/thehive/api/v1/case/case%20with%2Fslash"))
        .and(header("x-organisation", "cert-eu"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("case.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let h = hive(&s);
    h.in_organisation("cert-eu")
        .cases()
        .get(&"case with/slash".into())
        .await
        .unwrap();
    assert_eq!(h.organisation(), Some(crate::support::ORG));
}

#[test]
fn builder_validates_early() {
    let e = TheHive::builder("https://hive.example")
        .unwrap()
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("no credentials"), "{e}");
    let e = TheHive::builder("https://hive.example")
        .unwrap()
        .api_key("k".to_owned())
        .organisation("bad\norg")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("X-Organisation"), "{e}");
    let e = TheHive::builder("hive.example").unwrap_err();
    assert!(e.to_string().contains("base URL \"hive.example\""), "{e}");
    let e = TheHive::builder("https://hive.example")
        .unwrap()
        .api_key("k".to_owned())
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
}

#[test]
fn no_secret_in_debug_output() {
    let builder = TheHive::builder("https://hive.example")
        .unwrap()
        .api_key(API_KEY.to_owned());
    assert!(!format!("{builder:?}").contains(API_KEY));
    let hive = builder.build().unwrap();
    assert!(!format!("{hive:?}").contains(API_KEY));
    let basic = TheHive::builder("https://hive.example")
        .unwrap()
        .basic("admin@thehive.local", "pw-SECRET".to_owned());
    assert!(!format!("{basic:?}").contains("pw-SECRET"));
    let auth = thehive_client::areas::ConnectorAuth::bearer("ctx-SECRET".to_owned());
    let server = thehive_client::areas::ConnectorServer::new("c", "http://cortex:9001", auth);
    assert!(!format!("{server:?}").contains("ctx-SECRET"));
    // The key does go on the wire where TheHive needs it.
    assert!(serde_json::to_string(&server)
        .unwrap()
        .contains("ctx-SECRET"));
}

#[test]
fn connector_configs_decode_every_auth_scheme_and_hide_settings() {
    use thehive_client::areas::CortexConfig;
    let raw = serde_json::json!({
        "servers": [{
            "name": "cortex-basic", "url": "https://cortex:9001",
            "auth": {"type": "basic", "username": "svc", "password": "basic-SECRET"},
            "wsConfig": {"proxy": {"host": "proxy", "port": 3128, "password": "proxy-SECRET"}}
        }]
    });
    let c: CortexConfig = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(serde_json::to_value(&c).unwrap(), raw, "lossless");
    let shown = format!("{c:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
