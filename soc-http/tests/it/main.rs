//! Integration tests of the transport against a local mock server.

mod hostile;
mod tls;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use soc_http::{Auth, ErrorKind, HttpClient, Multipart, Part, RetryPolicy};
use wiremock::matchers::{any, body_json, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers `failures` times with `fail`, then with `ok`.
struct FailThen {
    calls: Arc<AtomicUsize>,
    failures: usize,
    fail: ResponseTemplate,
    ok: ResponseTemplate,
}

impl Respond for FailThen {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            self.fail.clone()
        } else {
            self.ok.clone()
        }
    }
}

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(&s)
        .await;
    s
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(3)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .budget(Duration::from_secs(5))
}

fn client(s: &MockServer, suffix: &str) -> HttpClient {
    HttpClient::builder(&format!("{}{suffix}", s.uri()))
        .unwrap()
        .auth(Auth::bearer("k-SECRET-1".to_owned()))
        .retry(fast_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn context_path_and_segments_are_encoded() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/thehive/api/v1/case/~42/name%20with%2Fslash"))
        .and(query_param("force", "true"))
        .and(header("authorization", "Bearer k-SECRET-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": 1})))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s, "/thehive");
    let v: serde_json::Value = c
        .get(["api", "v1", "case", "~42", "name with/slash"])
        .query(&[("force", true)])
        .json()
        .await
        .unwrap();
    assert_eq!(v["ok"], 1);
}

#[tokio::test]
async fn get_is_retried_on_503_until_success() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/api/thing"))
        .respond_with(FailThen {
            calls: calls.clone(),
            failures: 2,
            fail: ResponseTemplate::new(503),
            ok: ResponseTemplate::new(200).set_body_string("\"done\""),
        })
        .expect(3)
        .mount(&s)
        .await;
    let v: String = client(&s, "").get(["api", "thing"]).json().await.unwrap();
    assert_eq!(v, "done");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn create_post_is_never_replayed_after_a_5xx() {
    let s = server().await;
    for status in [502, 503, 504, 429] {
        s.reset().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/alert"))
            .and(body_json(serde_json::json!({"title": "t"})))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "0"))
            .expect(1)
            .mount(&s)
            .await;
        let e = client(&s, "")
            .post(["api", "v1", "alert"])
            .json_body(&serde_json::json!({"title": "t"}))
            .no_content()
            .await
            .unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        s.verify().await;
    }
}

#[tokio::test]
async fn post_marked_idempotent_is_retried() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/v1/query"))
        .respond_with(FailThen {
            calls,
            failures: 1,
            fail: ResponseTemplate::new(502),
            ok: ResponseTemplate::new(200).set_body_string("[]"),
        })
        .expect(2)
        .mount(&s)
        .await;
    let v: Vec<u8> = client(&s, "")
        .post(["api", "v1", "query"])
        .idempotent(true)
        .json()
        .await
        .unwrap();
    assert!(v.is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(FailThen {
            calls,
            failures: 1,
            fail: ResponseTemplate::new(429).insert_header("retry-after", "1"),
            ok: ResponseTemplate::new(204),
        })
        .expect(2)
        .mount(&s)
        .await;
    let t = Instant::now();
    client(&s, "").get(["slow"]).no_content().await.unwrap();
    // The jittered backoff alone is at most 20 ms here; only Retry-After explains a 1 s wait.
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
}

#[tokio::test]
async fn retry_after_beyond_budget_is_returned_not_waited() {
    let s = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s, "").get(["x"]).no_content().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let s = server().await;
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html><title>down</title></html>"),
        )
        .expect(4)
        .mount(&s)
        .await;
    let e = client(&s, "").delete(["x"]).no_content().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.body_snippet(), Some("down"));
}

#[tokio::test]
async fn errors_carry_method_url_status_and_snippet_but_no_secret() {
    let s = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            serde_json::json!({"type": "NotFoundError", "message": "Case ~9 not found"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s, "/thehive");
    let e = c
        .get(["case", "~9"])
        .query(&[("apikey", "k-SECRET-1")])
        .no_content()
        .await
        .unwrap_err();
    assert!(e.is_not_found());
    let text = e.to_string();
    assert!(
        text.starts_with("not found: GET http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("/thehive/case/~9?apikey=REDACTED returned 404 Not Found"),
        "{text}"
    );
    assert!(text.contains("Case ~9 not found"), "{text}");
    for shown in [text, format!("{e:?}"), format!("{c:?}")] {
        assert!(!shown.contains("k-SECRET-1"), "{shown}");
    }
    assert_eq!(e.body_json().unwrap()["type"], "NotFoundError");
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Item {
    id: String,
    size: u64,
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let s = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"[{"id":"a","size":1},{"id":"b","size":"big"}]"#),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s, "")
        .get(["items"])
        .json::<Vec<Item>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.decode_path(), Some("[1].size"));
    assert!(e.to_string().contains("at `[1].size`"), "{e}");
}

#[tokio::test]
async fn request_timeout_is_enforced() {
    let s = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1..)
        .mount(&s)
        .await;
    let c = HttpClient::builder(&s.uri())
        .unwrap()
        .retry(RetryPolicy::none())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let e = c.get(["hang"]).no_content().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = HttpClient::builder(&format!("http://127.0.0.1:{port}/"))
        .unwrap()
        .retry(fast_retry())
        .build()
        .unwrap();
    let e = c.post(["x"]).no_content().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(e.to_string().contains("cannot connect"), "{e}");
}

#[tokio::test]
async fn basic_and_api_key_auth_headers() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/basic"))
        .and(header("authorization", "Basic YWRtaW46cHc="))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/key"))
        .and(header("authorization", "misp-key"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let basic = HttpClient::builder(&s.uri())
        .unwrap()
        .auth(Auth::basic("admin", "pw".to_owned()))
        .build()
        .unwrap();
    basic.get(["basic"]).no_content().await.unwrap();
    let key = HttpClient::builder(&s.uri())
        .unwrap()
        .auth(Auth::api_key("Authorization", "misp-key".to_owned()).unwrap())
        .build()
        .unwrap();
    key.get(["key"]).no_content().await.unwrap();
}

#[tokio::test]
async fn multipart_parts_are_sent_and_survive_a_retry() {
    let s = server().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("PUT"))
        .and(path("/upload"))
        .and(header_regex(
            "content-type",
            "^multipart/form-data; boundary=",
        ))
        .respond_with(FailThen {
            calls,
            failures: 1,
            fail: ResponseTemplate::new(503),
            ok: ResponseTemplate::new(200).set_body_string("{}"),
        })
        .expect(2)
        .mount(&s)
        .await;
    let form = Multipart::new()
        .part(Part::json("_json", &serde_json::json!({"dataType": "file"})).unwrap())
        .part(Part::file(
            "attachment",
            "a.txt",
            "text/plain",
            &b"hello"[..],
        ));
    client(&s, "")
        .put(["upload"])
        .multipart(form)
        .no_content()
        .await
        .unwrap();
    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    for r in reqs {
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            body.contains("name=\"_json\"\r\n\r\n{\"dataType\":\"file\"}"),
            "{body}"
        );
        assert!(
            body.contains(
                "name=\"attachment\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello"
            ),
            "{body}"
        );
    }
}

#[tokio::test]
async fn download_streams_into_a_writer() {
    let s = server().await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(data.clone()))
        .expect(1)
        .mount(&s)
        .await;
    let mut out = Vec::new();
    let n = client(&s, "")
        .get(["file"])
        .download(&mut out)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(out, data);
}

#[tokio::test]
async fn exists_maps_404_to_false() {
    let s = server().await;
    Mock::given(method("HEAD"))
        .and(path("/yes"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/no"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s, "");
    assert!(c.head(["yes"]).exists().await.unwrap());
    assert!(!c.head(["no"]).exists().await.unwrap());
}

#[test]
fn builder_rejects_bad_urls_and_ca_files() {
    for (url, why) in [
        ("not a url", "relative URL without a base"),
        ("ftp://x/", "scheme must be http or https"),
        ("https://u:p@x/", "credentials belong in the auth settings"),
        ("https://x/?a=b", "must not carry a query"),
    ] {
        let e = HttpClient::builder(url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(why), "{e}");
        assert!(!e.to_string().contains(":p@"), "{e}");
    }
    let e = HttpClient::builder("https://x/")
        .unwrap()
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("CA file /nonexistent/ca.pem: cannot read it"),
        "{e}"
    );
    let e = HttpClient::builder("https://x/")
        .unwrap()
        .ca_pem(b"not a pem".to_vec())
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("no certificate found"), "{e}");
}

#[test]
fn insecure_is_visible_in_debug() {
    let c = HttpClient::builder("https://x/")
        .unwrap()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    assert!(format!("{c:?}").contains("insecure: true"));
}

#[tokio::test]
async fn dot_and_empty_segments_are_refused_before_sending() {
    let s = server().await;
    let c = client(&s, "/thehive");
    for bad in ["..", ".", ""] {
        let e = c
            .delete(["api", "case", bad])
            .no_content()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}: {e}");
        assert!(e.to_string().contains("would change the route"), "{e}");
    }
}

#[test]
fn request_debug_hides_secret_query_values() {
    let c = HttpClient::builder("https://x/").unwrap().build().unwrap();
    let r = c.get(["export"]).query_secret(
        "password",
        &soc_http::SecretString::from("pw-SECRET".to_owned()),
    );
    let shown = format!("{r:?}");
    assert!(
        !shown.contains("pw-SECRET") && shown.contains("password=REDACTED"),
        "{shown}"
    );
}
