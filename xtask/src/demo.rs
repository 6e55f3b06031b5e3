//! `cargo xtask demo`: the main job on the embedded lab, no Docker needed.
//!
//! Starts `soc-lab` (a fresh stack: Cortex uninitialised, MISP's background jobs broken as the
//! seed describes), writes a `soc.toml` for it with a local threat feed, then runs what an
//! operator runs: `soc config check`, `soc doctor` (the failures, with evidence and fixes),
//! `soc doctor --fix`, `soc setup` twice (the second changes nothing), `soc feed-sync` (the feed
//! fetched through MISP's jobs, its events turned into TheHive alerts), `soc alert import` (alerts
//! as a SIEM raises them), `soc enrich` (the twelve-step workflow: the summary and the report of
//! the highest-scoring alert) and a final `soc doctor`.
//! `--keep` leaves the lab running afterwards.

// The demo narrates on stdout, between the outputs of the commands it runs.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

struct Lab(Child);

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let keep = match args {
        [] => false,
        [a] if a == "--keep" => true,
        other => return Err(format!("`demo` takes only --keep, got {other:?}").into()),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    step("building soc and soc-lab");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "-p",
            "soc-lab",
            "--bin",
            "soc-lab",
            "-p",
            "soc-tools",
            "--bin",
            "soc",
        ])
        .status()?;
    if !status.success() {
        return Err("the build failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = |name: &str| target.join("debug").join(name);

    step("starting the lab (five services on loopback)");
    let mut child = Command::new(bin("soc-lab"))
        .args(["--json", "--fresh-cortex"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("the lab has no stdout")?;
    let lab = Lab(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let endpoints: Value =
        serde_json::from_str(&first).map_err(|e| format!("the lab printed {first:?}: {e}"))?;
    for (name, e) in endpoints.as_object().ok_or("endpoints")? {
        println!("  {name:<14} {}", e["url"].as_str().unwrap_or_default());
    }

    let dir = target.join("demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    write_config(&dir, &endpoints)?;
    println!("  configuration  {}", dir.join("soc.toml").display());

    let soc = |title: &str, args: &[&str]| -> Result<i32, Box<dyn Error>> {
        step(title);
        println!("$ soc {}", args.join(" "));
        let status = Command::new(bin("soc"))
            .arg("--config")
            .arg(dir.join("soc.toml"))
            .args(args)
            .env_remove("SOC_CONFIG")
            .status()?;
        Ok(status.code().unwrap_or(-1))
    };
    expect(
        soc("the configuration, checked offline", &["config", "check"])?,
        0,
    )?;
    expect(soc("a fresh stack, diagnosed", &["doctor"])?, 1)?;
    soc("the fixes an API can apply", &["doctor", "--fix"])?;
    expect(
        soc("setup: every service brought to soc.toml", &["setup"])?,
        0,
    )?;
    expect(soc("setup again: nothing to do", &["setup"])?, 0)?;
    expect(
        soc(
            "smoke test: one real round trip per service, as the SOC's own accounts",
            &["smoke"],
        )?,
        0,
    )?;
    expect(
        soc(
            "feeds fetched, MISP events to TheHive alerts",
            &["feed-sync"],
        )?,
        0,
    )?;
    let alerts = dir.join("alerts.jsonl").display().to_string();
    expect(
        soc(
            "alerts from the SIEM and EDR",
            &["alert", "import", &alerts],
        )?,
        0,
    )?;
    expect(
        soc(
            "enrichment: MISP, Cortex and Elasticsearch, a score, cases and reports",
            &["enrich"],
        )?,
        0,
    )?;
    expect(soc("the stack, healthy", &["doctor"])?, 0)?;
    step("done");
    println!(
        "The credentials setup created are in {} (mode 0600).",
        dir.join("soc-secrets.toml").display()
    );
    if keep {
        println!("The lab keeps running; Ctrl-C stops it.");
        let mut lab = lab;
        lab.0.wait()?;
    }
    Ok(())
}

fn expect(code: i32, wanted: i32) -> Result<(), Box<dyn Error>> {
    if code == wanted {
        Ok(())
    } else {
        Err(format!("soc exited with {code}, expected {wanted}").into())
    }
}

fn step(name: &str) {
    println!("\n==> {name}");
}

fn write_secret(dir: &Path, name: &str, value: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(dir.join(name))?
        .write_all(format!("{value}\n").as_bytes())
}

/// The demo's `soc.toml`, its secret files, and a small local feed in MISP's format.
fn write_config(dir: &Path, e: &Value) -> Result<(), Box<dyn Error>> {
    let s = |svc: &str, field: &str| e[svc][field].as_str().unwrap_or_default().to_owned();
    write_secret(dir, "thehive.key", &s("thehive", "api_key"))?;
    write_secret(dir, "misp.key", &s("misp", "api_key"))?;
    write_secret(dir, "es.password", &s("elasticsearch", "password"))?;
    write_secret(dir, "s3.access", &s("s3", "username"))?;
    write_secret(dir, "s3.secret", &s("s3", "password"))?;
    write_secret(dir, "cortex.password", "demo-superadmin-password")?;
    write_secret(dir, "abuseipdb.key", "demo-abuseipdb-key")?;
    let feed = dir.join("feed");
    std::fs::create_dir_all(&feed)?;
    let mut manifest = serde_json::Map::new();
    let orgc = json!({"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"});
    for (uuid, info, kind, category, value) in [
        (
            "6a1c0e2e-0001-4d1e-8c3a-1b2c3d4e5f01",
            "Tor exit relays seen in brute force",
            "ip-src",
            "Network activity",
            "185.220.101.45",
        ),
        (
            "6a1c0e2e-0002-4d1e-8c3a-1b2c3d4e5f02",
            "Office 365 phishing kit",
            "domain",
            "Network activity",
            "login-micros0ft.com",
        ),
        (
            "6a1c0e2e-0003-4d1e-8c3a-1b2c3d4e5f03",
            "Test sample (EICAR)",
            "md5",
            "Payload delivery",
            "44d88612fea8a8f36de82e1278abb02f",
        ),
    ] {
        let tag = json!([{"name": "tlp:clear", "colour": "#ffffff"}]);
        manifest.insert(
            uuid.into(),
            json!({"info": info, "Orgc": orgc, "Tag": tag, "date": "2026-11-20", "analysis": "2", "threat_level_id": "1", "timestamp": "1795400000"}),
        );
        let event = json!({"Event": {"uuid": uuid, "info": info, "date": "2026-11-20", "analysis": "2",
            "threat_level_id": "1", "timestamp": "1795400000", "Orgc": orgc, "Tag": tag,
            "Attribute": [{"uuid": format!("{}a", &uuid[..35]), "type": kind, "category": category,
                "value": value, "to_ids": true, "timestamp": "1795400000", "comment": ""}]}});
        std::fs::write(feed.join(format!("{uuid}.json")), event.to_string())?;
    }
    std::fs::write(
        feed.join("manifest.json"),
        Value::Object(manifest).to_string(),
    )?;
    let toml = format!(
        r#"# The demo stack: soc-lab on loopback. Secrets are in the files next to this one.
[secrets]
file = "soc-secrets.toml"

[s3]
url = "{s3}"
access_key = {{ file = "s3.access" }}
secret_key = {{ file = "s3.secret" }}
[[s3.buckets]]
name = "thehive"
user = "thehive"

[cortex]
url = "{cortex}"
superadmin = "admin@soc.example"
superadmin_password = {{ file = "cortex.password" }}
organisation = "soc"
org_admin = "soc-admin@soc.example"
[[cortex.analyzers]]
name = "AbuseIPDB_1_0"
config = {{ key = {{ file = "abuseipdb.key" }} }}
[[cortex.analyzers]]
name = "Lab_Reputation_1_0"

[misp]
url = "{misp}"
api_key = {{ file = "misp.key" }}
organisation = "SOC"
thehive_user = "thehive@soc.example"
[[misp.users]]
email = "analyst@soc.example"
auth_key = true
[misp.settings]
"MISP.redis_host" = "redis"
"SimpleBackgroundJobs.redis_host" = "redis"
"SimpleBackgroundJobs.enabled" = true
[[misp.feeds]]
name = "Demo feed"
url = "{feed}"
provider = "soc demo"
input_source = "local"

[thehive]
url = "{thehive}"
api_key = {{ file = "thehive.key" }}
organisation = "soc"
[[thehive.users]]
login = "analyst@soc.example"
name = "SOC analyst"
[[thehive.users]]
login = "svc-soc@soc.example"
name = "soc automation"
api_key = true

[elasticsearch]
url = "{es}"
username = "elastic"
password = {{ file = "es.password" }}
[[elasticsearch.retention]]
name = "soc-30d"
delete_after = "30d"
[[elasticsearch.templates]]
name = "soc-events"
patterns = ["soc-events-*"]
retention = "soc-30d"
[elasticsearch.snapshot_repository]
name = "soc-backups"
type = "s3"
settings = {{ bucket = "es-snapshots" }}

[enrich]
thehive_user = "svc-soc@soc.example"
case_threshold = 70
[enrich.analyzers]
ip = ["AbuseIPDB_1_0"]
domain = ["Lab_Reputation_1_0"]
url = ["Lab_Reputation_1_0"]
hash = ["Lab_Reputation_1_0"]
[enrich.elasticsearch]
index = "soc-events-*"
window = "24h"

[feed_sync]
job_timeout = "1m"
[feed_sync.to_thehive]
thehive_user = "svc-soc@soc.example"
tags = ["tlp:clear"]
published = false
window = "3650d"
"#,
        s3 = s("s3", "url"),
        cortex = s("cortex", "url"),
        misp = s("misp", "url"),
        thehive = s("thehive", "url"),
        es = s("elasticsearch", "url"),
        feed = feed.display(),
    );
    std::fs::write(dir.join("soc.toml"), toml)?;
    // Alerts as a SIEM or EDR would raise them.
    let alerts = [
        json!({"title": "Outbound beacon to 185.220.101.45 from FIN-WS-0231", "source": "wazuh", "sourceRef": "wazuh-1795401001.1",
            "severity": 3, "tags": ["wazuh", "rule:87105"],
            "description": "Sysmon event 3: powershell.exe on FIN-WS-0231 (10.20.4.31) connected to 185.220.101.45:443 every 60 s.",
            "observables": [{"dataType": "ip", "data": "185.220.101.45"}, {"dataType": "hostname", "data": "FIN-WS-0231"}]}),
        json!({"title": "User clicked a link in a reported phishing mail", "source": "proofpoint", "sourceRef": "tap-7f3a91",
            "severity": "high", "tags": ["phishing"],
            "description": "j.doe@soc.example clicked hxxp://login-micros0ft[.]com/owa/auth.php from the mail \"Invoice overdue\"."}),
        json!({"title": "EICAR test file written on HR-LT-0112", "source": "defender", "sourceRef": "mde-da6f2e",
            "severity": 2, "description": "File invoice_2026.docm (MD5 44d88612fea8a8f36de82e1278abb02f) quarantined.",
            "observables": [{"dataType": "hash", "data": "44d88612fea8a8f36de82e1278abb02f"}, {"dataType": "filename", "data": "invoice_2026.docm"}]}),
        json!({"title": "SSH brute force against bastion", "source": "wazuh", "sourceRef": "wazuh-1795401377.9",
            "severity": 2, "description": "57 failed logins for root from 91.198.174.192 in 2 minutes.",
            "observables": [{"dataType": "ip", "data": "91.198.174.192"}]}),
        json!({"title": "Disk usage above 90% on log01", "source": "zabbix", "sourceRef": "zbx-4411", "severity": 1,
            "description": "Not a security event: below the enrichment threshold."}),
    ];
    let lines: Vec<String> = alerts.iter().map(Value::to_string).collect();
    std::fs::write(dir.join("alerts.jsonl"), lines.join("\n") + "\n")?;
    Ok(())
}
