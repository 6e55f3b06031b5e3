//! `soc wazuh misp` against the lab's MISP: real-shaped Wazuh alerts in, every match out as a
//! datagram on a socket standing in for Wazuh's queue; failures reported there too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use misp_client::model::{Event, NewAttribute, NewEvent};
use misp_client::Misp;
use secrecy::SecretString;
use serde_json::{json, Value};
use soc_lab::{Faults, Lab, LabConfig, Service};
use soc_tools::wazuh::{self, WazuhArgs, WazuhError};
use tokio::net::UnixDatagram;

use crate::support;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wazuh")
        .join(name)
}

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture_path(name)).expect("fixture")).expect("json")
}

/// A socket standing in for `/var/ossec/queue/sockets/queue`.
struct QueueSocket {
    sock: UnixDatagram,
    path: PathBuf,
    dir: PathBuf,
}

impl QueueSocket {
    fn bind(name: &str) -> Self {
        let dir = support::temp_dir(name);
        let path = dir.join("queue");
        let sock = UnixDatagram::bind(&path).expect("bind queue socket");
        Self { sock, path, dir }
    }

    /// Every datagram received so far, as text (waiting briefly for the reactor to see them).
    async fn drain(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 70_000];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(150), self.sock.recv(&mut buf)).await
        {
            out.push(String::from_utf8(buf[..n].to_vec()).expect("utf-8 datagram"));
        }
        out
    }
}

impl Drop for QueueSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Splits `1:<location>:<json>` at the `misp:` that ends the location.
fn split(msg: &str) -> (&str, Value) {
    let at = msg.find("misp:{").expect("location ends in misp:");
    let (prefix, json) = msg.split_at(at + "misp:".len());
    (prefix, serde_json::from_str(json).expect("json event"))
}

fn args(lab: &Lab, alert: PathBuf, queue: &Path) -> WazuhArgs {
    let e = lab.endpoint(Service::Misp);
    WazuhArgs::new(
        alert,
        SecretString::from(e.api_key().expect("key")),
        e.url.as_str(),
    )
    .queue(queue)
    .timeout(Duration::from_secs(5))
}

fn misp(lab: &Lab) -> Misp {
    let e = lab.endpoint(Service::Misp);
    Misp::builder(e.url.as_str())
        .expect("url")
        .api_key(e.api_key().expect("key"))
        .build()
        .expect("client")
}

fn source(alert: &Value) -> Value {
    let mut s = json!({
        "alert_id": alert["id"],
        "alert_timestamp": alert["timestamp"],
        "rule_id": alert["rule"]["id"],
        "rule_level": alert["rule"]["level"],
        "rule_description": alert["rule"]["description"],
        "agent_id": alert["agent"]["id"],
        "agent_name": alert["agent"]["name"],
    });
    if let Some(ip) = alert["agent"].get("ip") {
        s["agent_ip"] = ip.clone();
    }
    s
}

/// The event expected for the attribute of `event` whose value is `value`.
fn expected(
    alert: &Value,
    event: &Event,
    value: &str,
    tags: &[&str],
    indicator: (&str, &str),
    fields: &[&str],
) -> Value {
    let a = event
        .attributes
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|a| a.value == value)
        .unwrap_or_else(|| panic!("no attribute {value}"));
    json!({
        "integration": "misp",
        "misp": {
            "found": 1,
            "value": value,
            "type": a.kind.as_str(),
            "category": a.category.as_str(),
            "attribute_id": a.id.to_string(),
            "attribute_uuid": a.uuid,
            "event_id": event.id.to_string(),
            "event_uuid": event.uuid,
            "event_info": event.info,
            "to_ids": a.to_ids,
            "tags": tags,
            "indicator": indicator.0,
            "indicator_type": indicator.1,
            "alert_fields": fields,
            "source": source(alert),
        }
    })
}

async fn seed(misp: &Misp) -> (Event, Event) {
    let dropper = NewEvent::new("Dropper campaign: invoice.exe and its C2")
        .tag("tlp:amber")
        .attribute(
            NewAttribute::new(
                "sha256",
                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
            )
            .category("Payload delivery")
            .to_ids(true),
        )
        .attribute(
            NewAttribute::new("md5", "44d88612fea8a8f36de82e1278abb02f")
                .category("Payload delivery")
                .to_ids(true),
        )
        .attribute(
            NewAttribute::new("filename", "invoice.exe")
                .category("Payload delivery")
                .to_ids(false),
        )
        .attribute(
            NewAttribute::new("ip-dst|port", "203.0.113.50|443")
                .category("Network activity")
                .to_ids(true),
        )
        .attribute(
            NewAttribute::new("domain", "cdn.evil-updates.example")
                .category("Network activity")
                .to_ids(true),
        )
        .attribute(
            NewAttribute::new("ip-dst", "198.51.100.23")
                .category("Network activity")
                .to_ids(true),
        )
        .attribute(
            NewAttribute::new(
                "sha256",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            )
            .category("Payload delivery")
            .to_ids(true),
        )
        .attribute(
            NewAttribute::new("ip-src", "10.0.0.5")
                .category("Network activity")
                .to_ids(false),
        );
    let scanners = NewEvent::new("Scanner sightings")
        .attribute(
            NewAttribute::new("ip-src", "198.51.100.77")
                .category("Network activity")
                .to_ids(false)
                .tag("scanner"),
        )
        .attribute(
            NewAttribute::new("ip-dst", "203.0.113.50")
                .category("Network activity")
                .to_ids(false),
        );
    let a = misp.events().add(&dropper).await.expect("event");
    let b = misp.events().add(&scanners).await.expect("event");
    let get = |e: Event| async move { misp.events().get(&e.id.to_string()).await.expect("get") };
    (get(a).await, get(b).await)
}

fn by_attribute_id(mut events: Vec<Value>) -> Vec<Value> {
    events.sort_by_key(|e| {
        e["misp"]["attribute_id"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or_default()
    });
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_match_of_every_alert_reaches_the_queue() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let (dropper, scanners) = seed(&misp(&lab)).await;
    let q = QueueSocket::bind("wazuh-matches");
    let agent = "1:[004] (WIN10-ALICE) 192.168.56.110->misp:";
    let ed = "data.win.eventdata";
    let amber: &[&str] = &["tlp:amber"];

    // Sysmon 1: the SHA-256, the MD5 and the image's file name all match.
    let a = fixture("sysmon_event1.json");
    let out = wazuh::run(&args(&lab, fixture_path("sysmon_event1.json"), &q.path))
        .await
        .expect("run");
    assert_eq!(out.alert_id.as_deref(), Some("1715677964.1254771"));
    assert_eq!(out.events_sent, 3);
    let msgs = q.drain().await;
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    let hashes = format!("{ed}.hashes");
    let image = format!("{ed}.image");
    assert!(msgs.iter().all(|m| split(m).0 == agent), "{msgs:#?}");
    assert_eq!(
        by_attribute_id(msgs.iter().map(|m| split(m).1).collect()),
        vec![
            expected(
                &a,
                &dropper,
                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
                amber,
                (
                    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
                    "sha256"
                ),
                &[&hashes],
            ),
            expected(
                &a,
                &dropper,
                "44d88612fea8a8f36de82e1278abb02f",
                amber,
                ("44d88612fea8a8f36de82e1278abb02f", "md5"),
                &[&hashes],
            ),
            expected(
                &a,
                &dropper,
                "invoice.exe",
                amber,
                ("invoice.exe", "filename"),
                &[&image],
            ),
        ]
    );

    // Sysmon 3: the destination is in both events, once as half of an `ip-dst|port`.
    let a = fixture("sysmon_event3.json");
    let out = wazuh::run(&args(&lab, fixture_path("sysmon_event3.json"), &q.path))
        .await
        .expect("run");
    assert_eq!(out.events_sent, 2);
    let msgs = q.drain().await;
    assert!(msgs.iter().all(|m| split(m).0 == agent), "{msgs:#?}");
    let dst = format!("{ed}.destinationIp");
    assert_eq!(
        by_attribute_id(msgs.iter().map(|m| split(m).1).collect()),
        vec![
            expected(
                &a,
                &dropper,
                "203.0.113.50|443",
                amber,
                ("203.0.113.50", "ip-dst"),
                &[&dst],
            ),
            expected(
                &a,
                &scanners,
                "203.0.113.50",
                &[],
                ("203.0.113.50", "ip-dst"),
                &[&dst],
            ),
        ]
    );

    // Sysmon 22: the queried name, an address of its answer, the querying image.
    let a = fixture("sysmon_event22.json");
    let out = wazuh::run(&args(&lab, fixture_path("sysmon_event22.json"), &q.path))
        .await
        .expect("run");
    assert_eq!(out.events_sent, 3);
    let msgs = q.drain().await;
    assert!(msgs.iter().all(|m| split(m).0 == agent), "{msgs:#?}");
    assert_eq!(
        by_attribute_id(msgs.iter().map(|m| split(m).1).collect()),
        vec![
            expected(
                &a,
                &dropper,
                "invoice.exe",
                amber,
                ("invoice.exe", "filename"),
                &[&image],
            ),
            expected(
                &a,
                &dropper,
                "cdn.evil-updates.example",
                amber,
                ("cdn.evil-updates.example", "domain"),
                &[&format!("{ed}.queryName")],
            ),
            expected(
                &a,
                &dropper,
                "198.51.100.23",
                amber,
                ("198.51.100.23", "ip-dst"),
                &[&format!("{ed}.queryResults")],
            ),
        ]
    );

    // A web access log: the client address (the request path matches nothing).
    let a = fixture("web_accesslog.json");
    let out = wazuh::run(&args(&lab, fixture_path("web_accesslog.json"), &q.path))
        .await
        .expect("run");
    assert_eq!(out.events_sent, 1);
    let msgs = q.drain().await;
    assert_eq!(msgs.len(), 1);
    let (prefix, ev) = split(&msgs[0]);
    assert_eq!(prefix, "1:[002] (web-01) 10.0.2.15->misp:");
    assert_eq!(
        ev,
        expected(
            &a,
            &scanners,
            "198.51.100.77",
            &["scanner"],
            ("198.51.100.77", "ip-src"),
            &["data.srcip"],
        )
    );

    // FIM on the manager itself: agent 000 sends under the plain `misp` location.
    let a = fixture("fim_added.json");
    let out = wazuh::run(&args(&lab, fixture_path("fim_added.json"), &q.path))
        .await
        .expect("run");
    assert_eq!(out.events_sent, 1);
    let msgs = q.drain().await;
    assert_eq!(msgs.len(), 1);
    let (prefix, ev) = split(&msgs[0]);
    assert_eq!(prefix, "1:misp:");
    assert_eq!(
        ev,
        expected(
            &a,
            &dropper,
            "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            amber,
            (
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
                "sha256"
            ),
            &["syscheck.sha256_after"],
        )
    );
    lab.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_match_writes_nothing() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let q = QueueSocket::bind("wazuh-nomatch");
    let out = wazuh::run(&args(&lab, fixture_path("sysmon_event3.json"), &q.path))
        .await
        .expect("run");
    assert_eq!((out.attributes, out.events_sent), (0, 0));
    assert!(!out.indicators.is_empty());
    assert!(q.drain().await.is_empty());
    lab.stop().await.expect("stop");
}

/// The one error event expected for `alert` with `kind`, its reason checked by `reason`.
fn assert_error_event(msgs: &[String], alert: &Value, kind: &str, reason: &[&str]) {
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    let (prefix, ev) = split(&msgs[0]);
    assert_eq!(prefix, "1:[004] (WIN10-ALICE) 192.168.56.110->misp:");
    let text = ev["misp"]["error"].as_str().expect("error text").to_owned();
    for r in reason {
        assert!(text.contains(r), "{text:?} lacks {r:?}");
    }
    let unchecked: std::collections::BTreeSet<&str> = [
        "203.0.113.50",
        "powershell.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    ]
    .into_iter()
    .collect();
    assert_eq!(
        ev,
        json!({
            "integration": "misp",
            "misp": {
                "error": text,
                "error_kind": kind,
                "indicators": unchecked,
                "source": source(alert),
            }
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misp_failures_are_reported_on_the_queue_and_returned() {
    let lab = Lab::start(LabConfig::default()).await.expect("lab");
    let q = QueueSocket::bind("wazuh-errors");
    let alert = fixture("sysmon_event3.json");
    let file = || fixture_path("sysmon_event3.json");

    // Every request answered 503.
    lab.set_faults(
        Service::Misp,
        Faults {
            error_rate: 1.0,
            ..Default::default()
        },
    );
    let err = wazuh::run(&args(&lab, file(), &q.path))
        .await
        .expect_err("misp down");
    assert!(
        matches!(&err, WazuhError::Misp { alert_id, reported: true, .. } if alert_id == "1715677967.1261043"),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 1);
    assert_error_event(&q.drain().await, &alert, "server_error", &["503"]);

    // Slower than the timeout.
    lab.set_faults(
        Service::Misp,
        Faults {
            latency_ms: 3_000,
            ..Default::default()
        },
    );
    let err = wazuh::run(&args(&lab, file(), &q.path).timeout(Duration::from_millis(400)))
        .await
        .expect_err("timeout");
    assert!(
        matches!(err, WazuhError::Timeout { reported: true, .. }),
        "{err:?}"
    );
    assert_error_event(&q.drain().await, &alert, "timeout", &["400ms"]);
    lab.set_faults(Service::Misp, Faults::default());

    // A key MISP refuses.
    let mut bad_key = args(&lab, file(), &q.path);
    bad_key.api_key = SecretString::from("0000000000000000000000000000000000000000");
    let err = wazuh::run(&bad_key).await.expect_err("refused key");
    assert!(matches!(err, WazuhError::Misp { .. }), "{err:?}");
    let msgs = q.drain().await;
    assert_eq!(split(&msgs[0]).1["misp"]["error_kind"], "unauthorized");
    assert!(!msgs[0].contains("0000000000000000000000000000000000000000"));

    // No key at all (an `<integration>` block without `<api_key>`).
    let mut no_key = args(&lab, file(), &q.path);
    no_key.api_key = SecretString::from("");
    let err = wazuh::run(&no_key).await.expect_err("no key");
    assert!(matches!(err, WazuhError::Misp { .. }), "{err:?}");
    assert_error_event(&q.drain().await, &alert, "configuration", &["api_key"]);
    lab.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_or_an_html_page_is_reported() {
    let q = QueueSocket::bind("wazuh-down");
    let alert = fixture("sysmon_event3.json");
    let key = || SecretString::from("a-misp-key-that-must-not-leak");

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let a = WazuhArgs::new(
        fixture_path("sysmon_event3.json"),
        key(),
        format!("http://127.0.0.1:{closed}/"),
    )
    .queue(&q.path)
    .timeout(Duration::from_secs(3));
    let err = wazuh::run(&a).await.expect_err("closed port");
    assert!(
        matches!(err, WazuhError::Misp { reported: true, .. }),
        "{err:?}"
    );
    assert_error_event(&q.drain().await, &alert, "unreachable", &[]);
    assert!(!format!("{err:?} {err} {a:?}").contains("must-not-leak"));

    // A proxy or login page answering 200 with HTML.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16_384];
            let _ = s.read(&mut buf).await;
            let body = "<!DOCTYPE html><html><body>Login</body></html>";
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
        }
    });
    let a = WazuhArgs::new(
        fixture_path("sysmon_event3.json"),
        key(),
        format!("http://127.0.0.1:{port}/"),
    )
    .queue(&q.path);
    let err = wazuh::run(&a).await.expect_err("html");
    assert!(
        matches!(err, WazuhError::Misp { reported: true, .. }),
        "{err:?}"
    );
    assert_error_event(&q.drain().await, &alert, "bad_answer", &[]);
    server.abort();
}

#[tokio::test]
async fn a_bad_alert_file_is_named_and_nothing_is_sent() {
    let q = QueueSocket::bind("wazuh-badalert");
    let dir = support::temp_dir("wazuh-badalert-files");
    let run = |path: PathBuf| {
        let a = WazuhArgs::new(path, SecretString::from("k"), "http://127.0.0.1:9/").queue(&q.path);
        async move { wazuh::run(&a).await }
    };

    let missing = dir.join("missing.alert");
    let err = run(missing.clone()).await.expect_err("missing");
    assert!(matches!(err, WazuhError::ReadAlert { .. }), "{err:?}");
    assert!(err.to_string().contains(&missing.display().to_string()));
    assert_eq!(err.exit_code(), 3);

    for (name, body) in [
        ("garbage.alert", "alertdate='2024' ruleid='5710'"),
        ("array.alert", "[1, 2]"),
        (
            "norule.alert",
            r#"{"id": "1.2", "data": {"srcip": "8.8.8.8"}}"#,
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write");
        let err = run(path.clone()).await.expect_err(name);
        assert!(matches!(err, WazuhError::BadAlert { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    // Only private addresses: nothing to look up, no request (the URL is a closed port).
    let path = dir.join("private.alert");
    std::fs::write(
        &path,
        r#"{"id": "1.3", "rule": {"id": "5710", "level": 5}, "data": {"srcip": "192.168.1.20", "dstip": "10.0.0.1"}}"#,
    )
    .expect("write");
    let out = run(path).await.expect("no indicator is not an error");
    assert!(out.indicators.is_empty());
    assert_eq!(out.events_sent, 0);
    assert!(q.drain().await.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn argv_maps_like_integratord_passes_it() {
    let argv: Vec<String> = [
        "/tmp/custom-misp-1715677967-123456.alert",
        "the-key",
        "https://misp.example/",
        "debug",
        "/tmp/custom-misp-1715677967-123456.options",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let a = WazuhArgs::from_argv(&argv).expect("args");
    assert_eq!(
        a.alert_file,
        PathBuf::from("/tmp/custom-misp-1715677967-123456.alert")
    );
    assert_eq!(a.hook_url, "https://misp.example/");
    assert!(a.debug);
    assert_eq!(
        a.options_file.as_deref(),
        Some(Path::new("/tmp/custom-misp-1715677967-123456.options"))
    );
    assert_eq!(a.queue, PathBuf::from(wazuh::DEFAULT_QUEUE));
    assert!(!format!("{a:?}").contains("the-key"));

    let short = WazuhArgs::from_argv(&argv[..3]).expect("three args");
    assert!(!short.debug && short.options_file.is_none());
    let err = WazuhArgs::from_argv(&argv[..2]).expect_err("two args");
    assert_eq!(err.exit_code(), 2);
}

#[tokio::test]
async fn the_options_file_overrides_and_bad_options_are_named() {
    let q = QueueSocket::bind("wazuh-options");
    let dir = support::temp_dir("wazuh-options-files");
    let opts = dir.join("custom-misp-1-2.options");
    std::fs::write(&opts, r#"{"timeout": "soon"}"#).expect("write");
    let mut a = WazuhArgs::new(
        fixture_path("sysmon_event3.json"),
        SecretString::from("k"),
        "http://127.0.0.1:9/",
    )
    .queue(&q.path);
    a.options_file = Some(opts.clone());
    let err = wazuh::run(&a).await.expect_err("bad option");
    assert!(matches!(err, WazuhError::Options { .. }), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    assert!(q.drain().await.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixtures_yield_the_documented_fields() {
    let rows = |name: &str| -> Vec<(String, String, String)> {
        wazuh::indicators(&fixture(name))
            .into_iter()
            .map(|i| (i.field, i.kind.as_str().to_owned(), i.value))
            .collect()
    };
    let r = |f: &str, k: &str, v: &str| (f.to_owned(), k.to_owned(), v.to_owned());
    let ed = "data.win.eventdata";
    assert_eq!(
        rows("sysmon_event3.json"),
        vec![
            r(&format!("{ed}.destinationIp"), "ip-dst", "203.0.113.50"),
            r(
                &format!("{ed}.image"),
                "filename",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
            ),
            r(&format!("{ed}.image"), "filename", "powershell.exe"),
        ]
    );
    assert_eq!(
        rows("web_accesslog.json"),
        vec![
            r("data.srcip", "ip-src", "198.51.100.77"),
            r("data.url", "uri", "/wp-login.php?action=register"),
        ]
    );
    assert_eq!(
        rows("fim_added.json")
            .into_iter()
            .map(|(f, k, _)| (f, k))
            .collect::<Vec<_>>(),
        vec![
            ("syscheck.md5_after".to_owned(), "md5".to_owned()),
            ("syscheck.sha1_after".to_owned(), "sha1".to_owned()),
            ("syscheck.sha256_after".to_owned(), "sha256".to_owned()),
        ]
    );
    let s1 = rows("sysmon_event1.json");
    assert_eq!(
        s1.iter().filter(|(f, ..)| f.ends_with(".hashes")).count(),
        4,
        "{s1:#?}"
    );
}

#[test]
fn mutated_alerts_never_panic_the_extractor() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wazuh");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        for variant in soc_testkit::mutations(&doc, 0x5a17, 400) {
            let _ = soc_tools::wazuh::indicators(&variant);
            checked += 1;
        }
    }
    assert!(checked >= 1000, "{checked} variants");
}
