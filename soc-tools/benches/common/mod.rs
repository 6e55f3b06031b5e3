//! What the soc-tools benchmarks share: arguments, a deterministic generator, medians, and a
//! lab with a `soc.toml` pointing at it.

#![allow(dead_code)] // Each benchmark uses a part.

use std::path::{Path, PathBuf};

use soc_lab::{Lab, LabConfig, Service};

/// Whether cargo runs this as a benchmark (`cargo bench`) rather than a smoke test
/// (`cargo test --all-targets` runs bench targets without `--bench`).
pub(crate) fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The value after `--name`, parsed.
pub(crate) fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    let mut it = std::env::args();
    while let Some(k) = it.next() {
        if k == name {
            return it.next().and_then(|v| v.parse().ok());
        }
    }
    None
}

/// xorshift64*: deterministic and dependency-free.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    pub(crate) fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits + 16);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }

    /// A routable IPv4 address (not private, shared, loopback, documentation or reserved).
    pub(crate) fn public_ip(&mut self) -> String {
        loop {
            let a = 1 + self.below(222) as u8;
            if matches!(a, 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203) {
                continue;
            }
            return format!(
                "{a}.{}.{}.{}",
                self.below(256),
                self.below(256),
                1 + self.below(254)
            );
        }
    }

    pub(crate) fn private_ip(&mut self) -> String {
        match self.below(3) {
            0 => format!(
                "10.{}.{}.{}",
                self.below(256),
                self.below(256),
                1 + self.below(254)
            ),
            1 => format!("192.168.{}.{}", self.below(256), 1 + self.below(254)),
            _ => format!(
                "172.{}.{}.{}",
                16 + self.below(16),
                self.below(256),
                1 + self.below(254)
            ),
        }
    }

    pub(crate) fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "update", "cdn", "login", "secure", "portal", "mail", "files", "invoice", "billing",
            "sync", "api", "static", "office", "account", "verify", "drive", "share", "support",
        ];
        WORDS[self.below(WORDS.len() as u64) as usize]
    }

    pub(crate) fn domain(&mut self) -> String {
        const TLDS: &[&str] = &[
            "com", "net", "org", "ru", "io", "info", "xyz", "co.uk", "top",
        ];
        format!(
            "{}-{}{}.{}",
            self.word(),
            self.word(),
            self.below(1000),
            self.pick(TLDS)
        )
    }
}

pub(crate) fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// A lab and a `soc.toml` for it in a private directory (removed by [`Stack::stop`]).
pub(crate) struct Stack {
    pub(crate) lab: Lab,
    pub(crate) dir: PathBuf,
}

impl Stack {
    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.join("soc.toml")
    }

    /// Stops the lab and removes the directory.
    pub(crate) async fn stop(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = self.lab.stop().await;
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "soc-bench-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_secret(dir: &Path, name: &str, value: &str) {
    std::fs::write(dir.join(name), format!("{value}\n")).expect("secret file");
}

/// A fresh lab (Cortex uninitialised; `malicious` the indicators its analyzers condemn, empty
/// for the built-in list) and a full `soc.toml` for it, `extra` appended.
pub(crate) async fn stack(name: &str, malicious: Vec<String>, extra: &str) -> Stack {
    let lab = Lab::start(LabConfig {
        cortex_fresh: true,
        malicious,
        ..Default::default()
    })
    .await
    .expect("lab");
    let dir = temp_dir(name);
    let e = |s| lab.endpoint(s);
    write_secret(
        &dir,
        "thehive.key",
        e(Service::TheHive).api_key().expect("key"),
    );
    write_secret(&dir, "misp.key", e(Service::Misp).api_key().expect("key"));
    write_secret(
        &dir,
        "es.password",
        e(Service::Elasticsearch).password().expect("password"),
    );
    write_secret(
        &dir,
        "s3.access",
        e(Service::S3).username.as_deref().expect("access key"),
    );
    write_secret(
        &dir,
        "s3.secret",
        e(Service::S3).password().expect("secret"),
    );
    write_secret(&dir, "cortex.password", "a-long-superadmin-password");
    write_secret(&dir, "abuseipdb.key", "lab-abuseipdb-key");
    let toml = format!(
        r#"
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
superadmin = "admin@soc.local"
superadmin_password = {{ file = "cortex.password" }}
organisation = "soc"
org_admin = "soc-admin@soc.local"
[[cortex.analyzers]]
name = "AbuseIPDB_1_0"
config = {{ key = {{ file = "abuseipdb.key" }} }}
[[cortex.analyzers]]
name = "Lab_Reputation_1_0"

[misp]
url = "{misp}"
api_key = {{ file = "misp.key" }}
organisation = "SOC"
[[misp.users]]
email = "analyst@soc.local"
auth_key = true
[misp.settings]
"MISP.redis_host" = "redis"
"SimpleBackgroundJobs.redis_host" = "redis"
"SimpleBackgroundJobs.enabled" = true

[thehive]
url = "{thehive}"
api_key = {{ file = "thehive.key" }}
organisation = "soc"
[[thehive.users]]
login = "analyst@soc.local"
name = "SOC analyst"
[[thehive.users]]
login = "svc-soc@soc.local"
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
settings = {{ bucket = "es-snapshots", endpoint = "{s3}" }}
{extra}"#,
        s3 = e(Service::S3).url,
        cortex = e(Service::Cortex).url,
        misp = e(Service::Misp).url,
        thehive = e(Service::TheHive).url,
        es = e(Service::Elasticsearch).url,
    );
    std::fs::write(dir.join("soc.toml"), toml).expect("soc.toml");
    Stack { lab, dir }
}
