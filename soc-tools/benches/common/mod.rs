//! What the soc-tools benchmarks share: arguments, a deterministic generator, medians, and a
//! lab with a `soc.toml` pointing at it.

#![allow(dead_code)] // Each benchmark uses a part.

use std::path::{Path, PathBuf};

use soc_lab::{Lab, LabConfig};

#[path = "../../tests/common/lab_config.rs"]
mod lab_config;

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
    lab_config::write(&lab, &dir, extra);
    Stack { lab, dir }
}
