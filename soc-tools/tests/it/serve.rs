//! `soc serve` against the lab: signed alerts become TheHive alerts (once), TheHive's
//! notifications queue alerts for enrichment (once), and failures answer JSON, never a panic.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde_json::{json, Value};
use soc_lab::{Faults, Service};
use soc_tools::config::SocConfig;
use soc_tools::report::Outcome;
use soc_tools::secrets::Secrets;
use soc_tools::serve::{self, ServeOptions, Server};
use soc_tools::setup::{self, SetupOptions};
use thehive_client::model::{AlertId, Severity};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{self, WEBHOOK_SECRET};

/// An answer: status, headers (lowercase names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a request body travels.
enum Body<'a> {
    None,
    Sized(&'a [u8]),
    Chunked(&'a [u8]),
}

/// One HTTP/1.1 request on its own connection: the server is tested as any sender sees it.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Body<'_>,
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match body {
        Body::None => head.push_str("\r\n"),
        Body::Sized(b) => head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            b.len()
        )),
        Body::Chunked(_) => {
            head.push_str("Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        }
    }
    let (mut reader, mut writer) = stream.split();
    let write = async {
        // The server may answer (413) and close before taking the whole body: write errors
        // are expected then, and the answer is still read.
        let _ = writer.write_all(head.as_bytes()).await;
        match body {
            Body::None => {}
            Body::Sized(b) => {
                let _ = writer.write_all(b).await;
            }
            Body::Chunked(b) => {
                for chunk in b.chunks(16 * 1024) {
                    let framed = [
                        format!("{:x}\r\n", chunk.len()).into_bytes(),
                        chunk.to_vec(),
                        b"\r\n".to_vec(),
                    ]
                    .concat();
                    if writer.write_all(&framed).await.is_err() {
                        return;
                    }
                }
                let _ = writer.write_all(b"0\r\n\r\n").await;
            }
        }
        let _ = writer.flush().await;
    };
    let read = async {
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                // A reset after the answer arrived (the server closed with body unread).
                Err(_) if !raw.is_empty() => break,
                Err(e) => panic!("{method} {path}: {e}"),
            }
        }
        raw
    };
    let ((), raw) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(write, read) })
            .await
            .expect("answer within 30 s");
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
    out
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(serve::SIGNATURE_HEADER, serve::sign(WEBHOOK_SECRET, body))]
}

async fn post_signed(addr: SocketAddr, path: &str, body: &Value) -> Answer {
    let bytes = body.to_string().into_bytes();
    request(addr, "POST", path, &signed(&bytes), Body::Sized(&bytes)).await
}

/// The notification TheHive 5's webhook notifier sends when an alert is created.
fn alert_created_notification(id: &str, title: &str) -> Value {
    json!({
        "operation": "Creation",
        "objectType": "Alert",
        "objectId": id,
        "rootId": id,
        "base": true,
        "startDate": 1714557600000_i64,
        "requestId": "3a7f2e1c9b5d4e60:-5c1a2b3d:18f2a6b7c8d:-8000:4217",
        "organisationId": "~8256",
        "organisation": "soc",
        "details": {
            "type": "webhook", "source": "elastalert", "sourceRef": "rule-7", "title": title,
            "severity": 3, "tlp": 2, "pap": 2, "status": "New", "stage": "New",
        },
        "object": {
            "_id": id, "_type": "Alert", "_createdBy": "svc-soc@soc.local",
            "_createdAt": 1714557600000_i64, "type": "webhook", "source": "elastalert",
            "sourceRef": "rule-7", "title": title, "description": "42 failed logins",
            "severity": 3, "severityLabel": "HIGH", "date": 1714557600000_i64, "tags": [],
            "tlp": 2, "tlpLabel": "AMBER", "pap": 2, "papLabel": "AMBER", "follow": true,
            "customFields": [], "observableCount": 1, "status": "New", "stage": "New",
            "extraData": {}, "newDate": 1714557600000_i64, "timeToDetect": 0,
        },
    })
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_creates_alerts_once_and_queues_notifications_once() {
    let stack = support::stack("serve").await;
    let config = SocConfig::load(stack.config_path()).expect("config");
    let report = setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    assert_eq!(report.count(Outcome::Failed), 0, "{:#?}", report.items);

    let server = Server::with_options(
        &config,
        ServeOptions {
            max_body_bytes: 64 * 1024,
            queue_capacity: 2,
            health_timeout: Duration::from_secs(2),
        },
    )
    .expect("server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .run(listener, async {
                    let _ = stopped.await;
                })
                .await
        }
    });

    // A signed alert becomes a TheHive alert, created by the service user.
    let alert = json!({
        "title": "Brute force on vpn-1",
        "description": "42 failed logins in 5 minutes",
        "severity": "high",
        "source": "elastalert",
        "tags": ["vpn", "brute-force"],
        "tlp": 2,
        "observables": [{"dataType": "ip", "data": "203.0.113.7"}],
    });
    let created = post_signed(addr, "/alerts", &alert).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let id = created["id"].as_str().expect("id").to_owned();
    let source_ref = created["sourceRef"].as_str().expect("sourceRef").to_owned();
    assert!(source_ref.starts_with("sha256:"), "{created}");

    let svc = Secrets::open(&config.secrets_file)
        .expect("secrets")
        .get("thehive", "svc-soc@soc.local")
        .expect("svc key");
    let hive = thehive_client::TheHive::builder(stack.lab.endpoint(Service::TheHive).url.as_str())
        .expect("url")
        .api_key(svc.expose_secret().to_owned())
        .organisation("soc")
        .build()
        .expect("client");
    let stored = hive
        .alerts()
        .get(&AlertId::new(id.clone()))
        .await
        .expect("alert in TheHive");
    assert_eq!(stored.title, "Brute force on vpn-1");
    assert_eq!(stored.description, "42 failed logins in 5 minutes");
    assert_eq!(stored.kind, "webhook");
    assert_eq!(stored.source, "elastalert");
    assert_eq!(stored.source_ref, source_ref);
    assert_eq!(stored.severity, Severity::High);
    assert_eq!(stored.meta.created_by.as_deref(), Some("svc-soc@soc.local"));
    let mut tags = stored.tags.clone().unwrap_or_default();
    tags.sort();
    assert_eq!(tags, ["brute-force", "vpn"]);
    let observables = hive
        .alerts()
        .find_observables(&AlertId::new(id.clone()), &Default::default())
        .await
        .expect("observables");
    assert_eq!(observables.len(), 1, "{observables:?}");

    // The same POST again (a sender's retry) finds the alert instead of duplicating it.
    let replay = post_signed(addr, "/alerts", &alert).await;
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(replay.json()["id"], id.as_str());
    assert_eq!(replay.json()["duplicate"], true);
    // An explicit sourceRef is kept.
    let explicit = post_signed(
        addr,
        "/alerts",
        &json!({"title": "t", "source": "elastalert", "sourceRef": "rule-7:1", "severity": 1}),
    )
    .await;
    assert_eq!(explicit.status, 201, "{}", explicit.text());
    assert_eq!(explicit.json()["sourceRef"], "rule-7:1");

    // Unsigned and badly signed POSTs: 401, JSON, nothing created.
    let body = alert.to_string().into_bytes();
    let unsigned = request(addr, "POST", "/alerts", &[], Body::Sized(&body)).await;
    assert_eq!(unsigned.status, 401);
    assert!(unsigned.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("missing signature")));
    let forged = request(
        addr,
        "POST",
        "/alerts",
        &[(
            serve::SIGNATURE_HEADER,
            serve::sign("not-the-secret", &body),
        )],
        Body::Sized(&body),
    )
    .await;
    assert_eq!(forged.status, 401);
    assert!(forged.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("bad signature")));
    // A signature of another body does not pass either.
    let tampered = request(addr, "POST", "/alerts", &signed(b"{}"), Body::Sized(&body)).await;
    assert_eq!(tampered.status, 401);

    // Invalid documents: 400 naming the field.
    for (doc, field) in [
        (json!({"source": "elastalert"}), "title"),
        (
            json!({"title": "t", "source": "s", "severity": 7}),
            "severity",
        ),
        (
            json!({"title": "t", "source": "s", "observables": [{"dataType": "ip"}]}),
            "observables[0].data",
        ),
    ] {
        let answer = post_signed(addr, "/alerts", &doc).await;
        assert_eq!(answer.status, 400, "{doc}: {}", answer.text());
        assert_eq!(answer.json()["field"], field, "{doc}");
        assert!(answer.json()["error"]
            .as_str()
            .is_some_and(|e| e.starts_with(field)));
    }
    let not_json = b"title=t".to_vec();
    let answer = request(
        addr,
        "POST",
        "/alerts",
        &signed(&not_json),
        Body::Sized(&not_json),
    )
    .await;
    assert_eq!(answer.status, 400);

    // Oversized bodies: 413, declared or streamed.
    let big = format!(
        "{{\"title\": \"{}\", \"source\": \"s\"}}",
        "x".repeat(100 * 1024)
    )
    .into_bytes();
    let declared = request(addr, "POST", "/alerts", &signed(&big), Body::Sized(&big)).await;
    assert_eq!(declared.status, 413, "{}", declared.text());
    assert!(declared.json()["error"].is_string());
    let streamed = request(addr, "POST", "/alerts", &signed(&big), Body::Chunked(&big)).await;
    assert_eq!(streamed.status, 413, "{}", streamed.text());

    // TheHive's notification of the new alert queues it once, however often it is sent.
    let note = alert_created_notification(&id, "Brute force on vpn-1");
    let first = post_signed(addr, "/hooks/thehive", &note).await;
    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(first.json()["alertId"], id.as_str());
    let again = post_signed(addr, "/hooks/thehive", &note).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["queued"], false);
    // TheHive's notifier sends the secret as a bearer token instead of a signature.
    let bytes = note.to_string().into_bytes();
    let bearer = request(
        addr,
        "POST",
        "/hooks/thehive",
        &[("Authorization", format!("Bearer {WEBHOOK_SECRET}"))],
        Body::Sized(&bytes),
    )
    .await;
    assert_eq!(bearer.status, 200, "{}", bearer.text());
    let wrong_bearer = request(
        addr,
        "POST",
        "/hooks/thehive",
        &[("Authorization", "Bearer guess".to_owned())],
        Body::Sized(&bytes),
    )
    .await;
    assert_eq!(wrong_bearer.status, 401);
    // ... but only there: /alerts wants the signature.
    let bearer_alert = request(
        addr,
        "POST",
        "/alerts",
        &[("Authorization", format!("Bearer {WEBHOOK_SECRET}"))],
        Body::Sized(&body),
    )
    .await;
    assert_eq!(bearer_alert.status, 401);
    // Notifications about other things are acknowledged and ignored.
    let mut case_note = alert_created_notification("~9001", "a case");
    case_note["objectType"] = json!("Case");
    let ignored = post_signed(addr, "/hooks/thehive", &case_note).await;
    assert_eq!(ignored.status, 200, "{}", ignored.text());
    assert_eq!(ignored.json()["queued"], false);
    let unreadable = post_signed(addr, "/hooks/thehive", &json!({"objectType": "Alert"})).await;
    assert_eq!(unreadable.status, 400);
    assert_eq!(unreadable.json()["field"], "operation");

    assert_eq!(server.queue().len(), 1);
    // A full queue answers 503 so that TheHive retries.
    let second = post_signed(
        addr,
        "/hooks/thehive",
        &alert_created_notification("~8001", "other"),
    )
    .await;
    assert_eq!(second.status, 202);
    let full = post_signed(
        addr,
        "/hooks/thehive",
        &alert_created_notification("~8002", "another"),
    )
    .await;
    assert_eq!(full.status, 503, "{}", full.text());
    assert_eq!(
        server.try_next_alert(),
        Some(AlertId::new(id.clone())),
        "the first notified alert comes out first"
    );
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), server.next_alert())
            .await
            .expect("queued"),
        AlertId::new("~8001")
    );
    assert_eq!(server.try_next_alert(), None);

    // Health and metrics.
    let health = request(addr, "GET", "/healthz", &[], Body::None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(
        health.json()["thehive"]["reachable"],
        true,
        "{}",
        health.text()
    );
    let metrics = request(addr, "GET", "/metrics", &[], Body::None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    let text = metrics.text();
    assert_eq!(metric(&text, "soc_serve_alerts_created_total"), 2);
    assert_eq!(metric(&text, "soc_serve_alerts_duplicate_total"), 1);
    assert_eq!(metric(&text, "soc_serve_hooks_queued_total"), 2);
    assert_eq!(metric(&text, "soc_serve_hooks_already_queued_total"), 2);
    assert_eq!(metric(&text, "soc_serve_hooks_rejected_total"), 1);
    assert_eq!(metric(&text, "soc_serve_signature_failures_total"), 5);
    assert_eq!(metric(&text, "soc_serve_queue_depth"), 0);
    assert_eq!(
        metric(
            &text,
            "soc_serve_requests_total{route=\"/alerts\",status=\"201\"}"
        ),
        2
    );
    assert_eq!(
        metric(
            &text,
            "soc_serve_requests_total{route=\"/alerts\",status=\"401\"}"
        ),
        4
    );
    assert_eq!(
        metric(
            &text,
            "soc_serve_requests_total{route=\"/hooks/thehive\",status=\"503\"}"
        ),
        1
    );
    assert!(!text.contains(WEBHOOK_SECRET));
    let unknown = request(addr, "GET", "/nope", &[], Body::None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());

    // TheHive down: 502 with a JSON error, and the server keeps serving.
    stack.lab.set_faults(
        Service::TheHive,
        Faults {
            error_rate: 1.0,
            ..Default::default()
        },
    );
    let down = post_signed(
        addr,
        "/alerts",
        &json!({"title": "while down", "source": "elastalert"}),
    )
    .await;
    assert_eq!(down.status, 502, "{}", down.text());
    assert!(down.json()["error"].is_string());
    let health = request(addr, "GET", "/healthz", &[], Body::None).await;
    assert_eq!(health.status, 200);
    assert_eq!(
        health.json()["thehive"]["reachable"],
        false,
        "{}",
        health.text()
    );
    stack.lab.set_faults(Service::TheHive, Faults::default());
    let back = post_signed(
        addr,
        "/alerts",
        &json!({"title": "while down", "source": "elastalert"}),
    )
    .await;
    assert_eq!(back.status, 201, "{}", back.text());
    let text = request(addr, "GET", "/metrics", &[], Body::None)
        .await
        .text();
    assert_eq!(metric(&text, "soc_serve_alerts_failed_total"), 1);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("stops on shutdown")
        .expect("join")
        .expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_needs_the_service_users_key() {
    let stack = support::stack("serve-nokey").await;
    let config = SocConfig::load(stack.config_path()).expect("config");
    // No `soc setup` yet: the service user has no key in the secrets file.
    let err = Server::from_config(&config).expect_err("no key");
    assert!(
        matches!(err, serve::ServeError::MissingKey { ref user, .. } if user == "svc-soc@soc.local"),
        "{err}"
    );
    assert!(!format!("{err:?}").contains(WEBHOOK_SECRET));

    setup::run(&config, SetupOptions::default())
        .await
        .expect("setup");
    // `serve` itself, on the configured address (port 0 here), until shut down.
    let listener = serve::bind(&config).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let config = config.clone();
        async move {
            serve::serve(&config, listener, async {
                let _ = stopped.await;
            })
            .await
        }
    });
    let health = request(addr, "GET", "/healthz", &[], Body::None).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let _ = stop.send(());
    running.await.expect("join").expect("served");
}
