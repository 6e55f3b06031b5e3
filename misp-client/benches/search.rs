//! Streaming a large attribute restSearch beside PyMISP's `search`, against the same local
//! server and the same body: time and peak memory of each client.
//!
//! Run with `cargo xtask bench misp-search`, which provides PyMISP. Directly:
//! `cargo bench -p misp-client --bench search -- --attributes 1000000 --rounds 3
//! --python <python> --peer bench/peers/pymisp_search.py`. Without `--python`, only the Rust
//! side runs.
//!
//! The body (`{"response": {"Attribute": [...]}}`, attributes in MISP 2.5's shape with their
//! `Event` and `Tag`) is generated once into the target directory. The server streams it from
//! the file in 1 MiB chunks. Each client runs in its own process, so each reports its own
//! peak resident memory: this program re-runs itself with `--client` for the Rust side.

// The report is this program's output.
#![allow(clippy::print_stdout)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use futures_util::TryStreamExt;
use misp_client::search::SearchFilter;
use misp_client::Misp;
use serde_json::{json, Value};

const KEY: &str = "BenchKey0123456789abcdefghijklmnopqrstuv";

struct Args {
    attributes: u64,
    rounds: usize,
    python: Option<String>,
    peer: String,
    out: Option<String>,
    client: Option<String>,
}

fn args() -> Args {
    // `cargo test --all-targets` runs this too, without `--bench`: a quick smoke run then.
    let benching = std::env::args().any(|a| a == "--bench");
    let mut a = Args {
        attributes: if benching { 1_000_000 } else { 2_000 },
        rounds: if benching { 3 } else { 1 },
        python: None,
        peer: "bench/peers/pymisp_search.py".into(),
        out: None,
        client: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--attributes" => {
                a.attributes = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.attributes);
            }
            "--rounds" => a.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.rounds),
            "--python" => a.python = it.next(),
            "--peer" => a.peer = it.next().unwrap_or(a.peer),
            "--out" => a.out = it.next(),
            "--client" => a.client = it.next(),
            _ => {} // `--bench` and the like, added by cargo.
        }
    }
    a
}

/// One client run's figures.
struct Run {
    seconds: f64,
    peak_rss_mib: f64,
    attributes: u64,
}

fn main() {
    let a = args();
    if let Some(url) = &a.client {
        client_main(url);
        return;
    }
    let body = body_file(a.attributes);
    let size = std::fs::metadata(&body).expect("body").len();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    let served = body.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let path = served.clone();
            std::thread::spawn(move || serve(conn, &path));
        }
    });
    let mut rust = Vec::new();
    let mut peer = Vec::new();
    for round in 1..=a.rounds {
        let r = rust_run(&url);
        assert_eq!(r.attributes, a.attributes, "every attribute decoded");
        eprintln!(
            "round {round}: misp-client {:.2} s, peak {:.0} MiB",
            r.seconds, r.peak_rss_mib
        );
        rust.push(r);
        if let Some(py) = &a.python {
            let p = python_run(py, &a.peer, &url);
            assert_eq!(p.attributes, a.attributes, "the peer read every attribute");
            eprintln!(
                "round {round}: PyMISP search {:.2} s, peak {:.0} MiB",
                p.seconds, p.peak_rss_mib
            );
            peer.push(p);
        }
    }
    let med = |runs: &[Run], f: fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let (rs, rm) = (med(&rust, |r| r.seconds), med(&rust, |r| r.peak_rss_mib));
    let (ps, pm) = (med(&peer, |r| r.seconds), med(&peer, |r| r.peak_rss_mib));
    println!(
        "misp-search: {} attributes, {:.0} MiB body, {} rounds, medians",
        a.attributes,
        size as f64 / 1_048_576.0,
        a.rounds
    );
    if let (Some(rs), Some(rm)) = (rs, rm) {
        println!("  misp-client stream   {rs:>8.2} s  {rm:>8.0} MiB peak");
    }
    if let (Some(ps), Some(pm)) = (ps, pm) {
        println!("  PyMISP search        {ps:>8.2} s  {pm:>8.0} MiB peak");
        if let (Some(rs), Some(rm)) = (rs, rm) {
            println!(
                "  ratio                {:>8.1}x faster, {:.1}x less memory",
                ps / rs,
                pm / rm
            );
        }
    }
    if let Some(out) = &a.out {
        let report = json!({
            "benchmark": "misp-search",
            "attributes": a.attributes,
            "body_bytes": size,
            "rounds": a.rounds,
            "misp_client": {"seconds": rust.iter().map(|r| r.seconds).collect::<Vec<_>>(),
                            "peak_rss_mib": rust.iter().map(|r| r.peak_rss_mib).collect::<Vec<_>>(),
                            "seconds_median": rs, "peak_rss_mib_median": rm},
            "pymisp": {"seconds": peer.iter().map(|r| r.seconds).collect::<Vec<_>>(),
                       "peak_rss_mib": peer.iter().map(|r| r.peak_rss_mib).collect::<Vec<_>>(),
                       "seconds_median": ps, "peak_rss_mib_median": pm},
        });
        std::fs::write(out, serde_json::to_vec_pretty(&report).expect("json"))
            .expect("write the report");
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

/// The Rust side, in a process of its own.
fn rust_run(url: &str) -> Run {
    let exe = std::env::current_exe().expect("this program");
    let out = Command::new(exe)
        .args(["--client", url])
        .output()
        .expect("run the client");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_run(&out.stdout)
}

fn python_run(python: &str, peer: &str, url: &str) -> Run {
    let out = Command::new(python)
        .args([peer, url, KEY])
        .output()
        .expect("run the Python peer");
    assert!(
        out.status.success(),
        "peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_run(&out.stdout)
}

fn parse_run(stdout: &[u8]) -> Run {
    let v: Value = serde_json::from_slice(stdout).expect("a client prints one JSON line");
    Run {
        seconds: v["seconds"].as_f64().expect("seconds"),
        peak_rss_mib: v["peak_rss_kib"].as_f64().expect("peak_rss_kib") / 1024.0,
        attributes: v["attributes"].as_u64().expect("attributes"),
    }
}

/// `--client URL`: one streamed search, then its time, count and peak memory as JSON.
fn client_main(url: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let misp = Misp::builder(url)
        .expect("url")
        .api_key(KEY.to_owned())
        .build()
        .expect("client");
    let started = Instant::now();
    let (n, bytes) = rt.block_on(async {
        let f = SearchFilter::new().last("3650d");
        let stream = misp.search().attributes(&f).await.expect("search");
        // Touch every attribute as a consumer would.
        stream
            .try_fold((0u64, 0usize), |(n, b), a| async move {
                Ok((n + 1, b + a.value.len()))
            })
            .await
            .expect("stream")
    });
    let seconds = started.elapsed().as_secs_f64();
    assert!(bytes > 0);
    println!(
        "{}",
        json!({"seconds": seconds, "attributes": n, "peak_rss_kib": peak_rss_kib()})
    );
}

/// `VmHWM` of this process.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The generated body, written once per size.
fn body_file(n: u64) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("misp-restsearch-v1-{n}.json"));
    if path.exists() {
        return path;
    }
    let started = Instant::now();
    let tmp = path.with_extension("partial");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).expect("create the body"));
    w.write_all(br#"{"response":{"Attribute":["#)
        .expect("write");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..n {
        if i > 0 {
            w.write_all(b",").expect("write");
        }
        serde_json::to_writer(&mut w, &attribute(i, &mut seed)).expect("write");
    }
    w.write_all(b"]}}").expect("write");
    w.flush().expect("flush");
    drop(w);
    std::fs::rename(&tmp, &path).expect("rename the body");
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    path
}

/// xorshift64*: deterministic and dependency-free.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn uuid(seed: &mut u64) -> String {
    let (a, b) = (next(seed), next(seed));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// One attribute as MISP 2.5's `attributes/restSearch` answers it: ids, numbers and
/// timestamps as strings, the event summary, tags on some.
fn attribute(i: u64, seed: &mut u64) -> Value {
    const TYPES: [(&str, &str); 8] = [
        ("ip-src", "Network activity"),
        ("ip-dst", "Network activity"),
        ("domain", "Network activity"),
        ("hostname", "Network activity"),
        ("url", "Network activity"),
        ("md5", "Payload delivery"),
        ("sha256", "Payload delivery"),
        ("filename", "Payload delivery"),
    ];
    let (kind, category) = TYPES[(i % 8) as usize];
    let value = match kind {
        "ip-src" | "ip-dst" => format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "domain" => format!("d{i}.example.com"),
        "hostname" => format!("h{i}.srv.example.net"),
        "url" => format!("https://u{i}.example.org/p/{i}"),
        "md5" => format!("{:016x}{:016x}", next(seed), next(seed)),
        "sha256" => format!(
            "{:016x}{:016x}{:016x}{:016x}",
            next(seed),
            next(seed),
            next(seed),
            next(seed)
        ),
        _ => format!("file{i}.exe"),
    };
    let event = (1 + i / 1000).to_string();
    let tags = if i % 10 == 0 {
        json!([{"id": "1", "name": "tlp:green", "colour": "#339900", "numerical_value": null, "is_galaxy": false, "local": 0}])
    } else {
        json!([])
    };
    json!({
        "id": (i + 1).to_string(), "event_id": event, "object_id": "0", "object_relation": null,
        "category": category, "type": kind, "to_ids": i % 3 != 0, "uuid": uuid(seed),
        "timestamp": (1_700_000_000 + i).to_string(), "distribution": "5", "sharing_group_id": "0",
        "comment": if i % 4 == 0 { format!("c{i}") } else { String::new() },
        "deleted": false, "disable_correlation": false, "first_seen": null, "last_seen": null,
        "value": value,
        "Event": {"org_id": "1", "distribution": "1", "id": event, "info": format!("Event {event}"),
                  "orgc_id": "1", "uuid": uuid(seed)},
        "Tag": tags,
    })
}

/// One keep-alive HTTP/1.1 connection: the few `GET`s PyMISP sends when it starts, and
/// `POST /attributes/restSearch` answered with the body, streamed from its file.
fn serve(conn: TcpStream, body: &Path) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(conn.try_clone().expect("clone the stream"));
    let mut writer = conn;
    while let Some(req) = soc_testkit::read_request(&mut reader) {
        let path = req.path.trim_end_matches(".json");
        let ok = if path == "/attributes/restSearch" {
            stream_file(&mut writer, body)
        } else {
            let small = match path {
                "/servers/getVersion" => {
                    json!({"version": "2.5.24", "perm_sync": false, "perm_sighting": false, "perm_galaxy_editor": false, "request_encoding": ["gzip", "br"], "filter_sightings": true})
                }
                "/servers/getPyMISPVersion" => json!({"version": "2.5.24"}),
                "/users/view/me" => fixture("user_me.json"),
                "/attributes/describeTypes" => fixture("describe_types.json"),
                _ => json!({"name": "Not Found", "message": "Not Found", "url": path}),
            };
            let payload = small.to_string();
            let status = if small.get("name").is_some() && small.get("url").is_some() {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                payload.len()
            );
            writer.write_all(head.as_bytes()).is_ok()
                && writer.write_all(payload.as_bytes()).is_ok()
        };
        if !ok {
            return;
        }
    }
}

fn fixture(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(p).expect("fixture")).expect("fixture JSON")
}

fn stream_file(w: &mut TcpStream, body: &Path) -> bool {
    let Ok(mut f) = File::open(body) else {
        return false;
    };
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n"
    );
    if w.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let mut buf = vec![0; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => {
                if w.write_all(&buf[..n]).is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}
