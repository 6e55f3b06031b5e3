//! Bulk-index throughput beside elasticsearch-py, against the same local null responder.
//!
//! Run with `cargo xtask bench es-bulk`, which provides the Python peer. Directly:
//! `cargo bench -p es-ops --bench bulk -- --docs 1000000 --rounds 3 --python <python>
//! --peer bench/peers/es_bulk.py`. Without `--python`, only the Rust side runs.
//!
//! The null responder answers `GET /` as Elasticsearch 8.19 and every `_bulk` with one
//! `201 created` item per action, parsing the NDJSON to count them, so both clients pay the
//! same server cost. Rounds interleave the Rust helper, `streaming_bulk` and `parallel_bulk`;
//! the medians and their ratios are printed and written as JSON.

// The report is this program's output.
#![allow(clippy::print_stdout)]

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Instant;

use es_ops::bulk::{BulkAction, BulkOptions};
use es_ops::Es;
use futures_util::stream;

const PAD: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

struct Args {
    docs: u64,
    rounds: usize,
    python: Option<String>,
    peer: String,
    out: Option<String>,
}

fn args() -> Args {
    // `cargo test --all-targets` runs this too, without `--bench`: a quick smoke run then.
    let benching = std::env::args().any(|a| a == "--bench");
    let mut a = Args {
        docs: if benching { 1_000_000 } else { 2_000 },
        rounds: if benching { 3 } else { 1 },
        python: None,
        peer: "bench/peers/es_bulk.py".into(),
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--docs" => a.docs = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.docs),
            "--rounds" => a.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.rounds),
            "--python" => a.python = it.next(),
            "--peer" => a.peer = it.next().unwrap_or(a.peer),
            "--out" => a.out = it.next(),
            _ => {} // `--bench` and the like, added by cargo.
        }
    }
    a
}

fn main() {
    let a = args();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve(conn));
        }
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut rust = Vec::new();
    let mut streaming = Vec::new();
    let mut parallel = Vec::new();
    for round in 1..=a.rounds {
        let r = rt.block_on(rust_run(&url, a.docs));
        eprintln!("round {round}: es-ops bulk {:.0} docs/s", a.docs as f64 / r);
        rust.push(r);
        if let Some(py) = &a.python {
            for (mode, acc) in [("streaming", &mut streaming), ("parallel", &mut parallel)] {
                let s = python_run(py, &a.peer, &url, a.docs, mode);
                eprintln!(
                    "round {round}: elasticsearch-py {mode}_bulk {:.0} docs/s",
                    a.docs as f64 / s
                );
                acc.push(s);
            }
        }
    }
    let rate = |secs: &[f64]| median(secs).map(|s| a.docs as f64 / s);
    let ours = rate(&rust).unwrap_or(0.0);
    let best_peer = [rate(&streaming), rate(&parallel)]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max);
    let spread = |secs: &[f64]| {
        let rates: Vec<f64> = secs.iter().map(|s| a.docs as f64 / s).collect();
        (
            rates.iter().cloned().fold(f64::INFINITY, f64::min),
            rates.iter().cloned().fold(0.0, f64::max),
        )
    };
    println!(
        "es-bulk: {} docs of ~150 B, {} rounds, medians",
        a.docs, a.rounds
    );
    println!(
        "  es-ops bulk                  {:>10.0} docs/s  (min {:.0}, max {:.0})",
        ours,
        spread(&rust).0,
        spread(&rust).1
    );
    if a.python.is_some() {
        println!(
            "  elasticsearch-py streaming   {:>10.0} docs/s",
            rate(&streaming).unwrap_or(0.0)
        );
        println!(
            "  elasticsearch-py parallel(4) {:>10.0} docs/s",
            rate(&parallel).unwrap_or(0.0)
        );
        println!("  ratio to the best peer       {:>10.1}x", ours / best_peer);
    }
    if let Some(out) = a.out {
        let json = serde_json::json!({
            "benchmark": "es-bulk",
            "docs": a.docs,
            "rounds": a.rounds,
            "es_ops_seconds": rust,
            "py_streaming_seconds": streaming,
            "py_parallel_seconds": parallel,
            "es_ops_docs_per_s_median": ours,
            "best_peer_docs_per_s_median": best_peer,
        });
        std::fs::write(&out, serde_json::to_vec_pretty(&json).expect("json"))
            .expect("write results");
    }
}

fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

async fn rust_run(url: &str, docs: u64) -> f64 {
    let es = Es::builder(url).expect("url").build().expect("client");
    es.info().await.expect("GET /");
    let started = Instant::now();
    // The same documents as the peer's, as a Rust program would hold them: a struct.
    #[derive(serde::Serialize)]
    struct Doc {
        #[serde(rename = "@timestamp")]
        timestamp: &'static str,
        host: String,
        level: &'static str,
        n: u64,
        msg: String,
    }
    let actions = stream::iter((0..docs).map(|i| {
        let doc = Doc {
            timestamp: "2026-01-01T00:00:00Z",
            host: format!("host-{:02}", i % 17),
            level: "info",
            n: i,
            msg: format!("event {i:08} {PAD}"),
        };
        BulkAction::index("bench", &doc)
            .expect("serialisable")
            .id(format!("d{i}"))
    }));
    let opts = BulkOptions {
        concurrency: 4,
        ..BulkOptions::default()
    };
    let summary = es.bulk().run(actions, &opts, |_| {}).await.expect("bulk");
    assert_eq!(summary.ok, docs, "every document indexed");
    started.elapsed().as_secs_f64()
}

fn python_run(python: &str, peer: &str, url: &str, docs: u64, mode: &str) -> f64 {
    let out = Command::new(python)
        .args([peer, url, "--docs", &docs.to_string(), "--mode", mode])
        .output()
        .expect("run the Python peer");
    assert!(
        out.status.success(),
        "peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("peer prints JSON");
    line["seconds"].as_f64().expect("seconds")
}

/// One keep-alive HTTP/1.1 connection of the null responder.
fn serve(conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(conn.try_clone().expect("clone the stream"));
    let mut writer = conn;
    while let Some(req) = soc_testkit::read_request(&mut reader) {
        let payload = if req.path.ends_with("_bulk") {
            bulk_answer(&req.body)
        } else {
            ROOT.as_bytes().to_vec()
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\n\r\n",
            payload.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&payload).is_err() {
            return;
        }
    }
}

const ROOT: &str = r#"{"name":"null","cluster_name":"bench","cluster_uuid":"b","version":{"number":"8.19.7","build_flavor":"default"},"tagline":"You Know, for Search"}"#;

/// One `201 created` item per action of an NDJSON body.
fn bulk_answer(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 2);
    out.extend_from_slice(br#"{"took":1,"errors":false,"items":["#);
    let mut expect_meta = true;
    let mut first = true;
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        if !expect_meta {
            expect_meta = true;
            continue;
        }
        // `{"<op>":{...}}`: the op is the first key.
        let op_end = line
            .iter()
            .skip(2)
            .position(|b| *b == b'"')
            .map_or(2, |p| p + 2);
        let op = &line[2..op_end];
        if op != b"delete" {
            expect_meta = false;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(op);
        out.extend_from_slice(
            br#"":{"_index":"bench","_id":"x","_version":1,"result":"created","status":201}}"#,
        );
    }
    out.extend_from_slice(b"]}");
    out
}
