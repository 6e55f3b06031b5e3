//! Hostile and broken servers: each answer becomes a typed error, in time, without exhausting
//! the client's memory.

use std::time::{Duration, Instant};

use soc_http::{ErrorKind, HttpClient, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server writes after reading a request: chunks, each after a pause.
type Script = Vec<(Duration, Vec<u8>)>;

/// A one-connection server that reads the request head, plays `script`, then closes.
async fn server(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if conn.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        for (pause, bytes) in script {
            tokio::time::sleep(pause).await;
            if conn.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    url
}

fn client(url: &str, timeout: Duration, max_body: u64) -> HttpClient {
    HttpClient::builder(url)
        .unwrap()
        .request_timeout(timeout)
        .max_body(max_body)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn now() -> Duration {
    Duration::ZERO
}

#[tokio::test]
async fn a_trickling_answer_times_out_on_time() {
    let mut script: Script = vec![(
        now(),
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"
            .to_vec(),
    )];
    script.extend((0..50).map(|_| (Duration::from_millis(200), b" ".to_vec())));
    let url = server(script).await;
    let started = Instant::now();
    let e = client(&url, Duration::from_secs(1), 1 << 20)
        .get(["x"])
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_announced_huge_body_is_refused_before_reading() {
    let url = server(vec![(now(), b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10737418240\r\n\r\n[".to_vec())]).await;
    let e = client(&url, Duration::from_secs(5), 1 << 20)
        .get(["x"])
        .bytes()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().contains("1048576"), "{e}");
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let chunk = {
        let data = vec![b'a'; 64 * 1024];
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(&data);
        c.extend_from_slice(b"\r\n");
        c
    };
    let mut script: Script = vec![(
        now(),
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
    )];
    script.extend((0..64).map(|_| (now(), chunk.clone())));
    let url = server(script).await;
    let e = client(&url, Duration::from_secs(10), 1 << 20)
        .get(["x"])
        .text()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_naming_the_request() {
    let url = server(vec![(now(), b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"hits\": [1, 2,".to_vec())]).await;
    let e = client(&url, Duration::from_secs(5), 1 << 20)
        .get(["events"])
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Transport | ErrorKind::Decode),
        "{e}"
    );
    assert!(e.to_string().contains("/events"), "{e}");
}

#[tokio::test]
async fn an_html_page_where_json_was_expected_is_a_decode_error_with_its_text() {
    let page =
        b"<html><head><title>Login</title></head><body><h1>Please sign in</h1></body></html>";
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
        page.len()
    );
    let url = server(vec![(now(), head.into_bytes()), (now(), page.to_vec())]).await;
    let e = client(&url, Duration::from_secs(5), 1 << 20)
        .get(["api"])
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(e.to_string().contains("Please sign in"), "{e}");
}

#[tokio::test]
async fn a_huge_error_page_gives_the_status_and_a_short_snippet() {
    let page = vec![b'x'; 4 << 20];
    let head = format!(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        page.len()
    );
    let url = server(vec![(now(), head.into_bytes()), (now(), page)]).await;
    let e = client(&url, Duration::from_secs(10), 1 << 20)
        .get(["x"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert!(
        e.body_snippet().is_some_and(|s| s.len() < 4096),
        "the snippet is bounded"
    );
}
