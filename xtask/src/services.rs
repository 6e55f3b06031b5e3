//! Starts the local servers integration tests run against, for the duration of the test step:
//! the `noida-db` Elasticsearch emulator and misp-modules, both installed by `.ci/run`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start one server.
pub(crate) struct Spec {
    /// Its name, for messages.
    pub(crate) name: &'static str,
    /// The variable naming its executable.
    pub(crate) bin_var: &'static str,
    /// The tests that are skipped without it.
    pub(crate) skipped: &'static str,
    /// Its arguments, given the port and a scratch directory.
    pub(crate) args: fn(u16, &std::path::Path) -> Vec<String>,
    /// A path that answers 200 once it is ready.
    pub(crate) ready_path: &'static str,
    /// How long it may take to start.
    pub(crate) start_within: Duration,
    /// A port it always listens on, when it cannot be told one.
    pub(crate) fixed_port: Option<u16>,
    /// Variables set for it.
    pub(crate) env: &'static [(&'static str, &'static str)],
    /// A command run once before it starts, given its executable and scratch directory.
    pub(crate) prepare: Option<fn(&std::ffi::OsStr, &std::path::Path) -> Vec<String>>,
}

/// The Elasticsearch-compatible emulator.
pub(crate) const NOIDA: Spec = Spec {
    name: "es-ops emulator (noida-db)",
    bin_var: "SOC_NOIDA_BIN",
    skipped: "es-ops emulator tests",
    args: |port, dir| {
        let mut a: Vec<String> = ["start", "--only", "elasticsearch", "--elasticsearch-port"]
            .map(String::from)
            .to_vec();
        a.push(port.to_string());
        a.extend(["--host", "127.0.0.1", "--data-dir"].map(String::from));
        a.push(dir.display().to_string());
        a
    },
    ready_path: "/",
    start_within: Duration::from_secs(20),
    fixed_port: None,
    env: &[],
    prepare: None,
};

/// MISP's enrichment service.
pub(crate) const MISP_MODULES: Spec = Spec {
    name: "misp-modules",
    bin_var: "SOC_MISP_MODULES_BIN",
    skipped: "misp-client tests against a real misp-modules",
    args: |port, _| {
        vec![
            "-l".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    },
    ready_path: "/healthcheck",
    start_within: Duration::from_secs(30),
    fixed_port: None,
    env: &[],
    prepare: None,
};

/// The SeaweedFS test store's admin identity (loopback only, for the tests' own buckets).
pub(crate) const WEED_KEYS: (&str, &str) = ("soc-ci-admin", "soc-ci-secret-7f3b9a1c5e2d4086");

/// SeaweedFS in one process (`weed mini`): a real S3 store with signature checks and bucket
/// policies. Its S3 API listens on 8333 (its other listeners on their defaults, loopback only).
pub(crate) const SEAWEEDFS: Spec = Spec {
    name: "SeaweedFS (weed mini)",
    bin_var: "SOC_WEED_BIN",
    skipped: "minio-admin tests against a real S3 store",
    args: |_, dir| {
        vec![
            "mini".into(),
            format!("-dir={}", dir.display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            "-admin.ui=false".into(),
            // The IAM API writes users and keys: the provisioning tests need it.
            "-s3.iam.readOnly=false".into(),
        ]
    },
    ready_path: "/healthz",
    start_within: Duration::from_secs(60),
    fixed_port: Some(8333),
    env: &[
        ("AWS_ACCESS_KEY_ID", WEED_KEYS.0),
        ("AWS_SECRET_ACCESS_KEY", WEED_KEYS.1),
    ],
    prepare: None,
};

/// The JuiceFS gateway's root identity (loopback only).
pub(crate) const JUICEFS_KEYS: (&str, &str) = ("soc-ci-minio", "soc-ci-minio-secret-4d2a8e6b1f");

/// The JuiceFS S3 gateway: MinIO's own server code (admin API, payload encryption, IAM) over a
/// local file store with SQLite metadata.
pub(crate) const JUICEFS: Spec = Spec {
    name: "MinIO admin API (JuiceFS gateway)",
    bin_var: "SOC_JUICEFS_BIN",
    skipped: "minio-admin tests against a real MinIO server",
    args: |port, dir| {
        vec![
            "gateway".into(),
            "--multi-buckets".into(),
            "--keep-etag".into(),
            "--no-usage-report".into(),
            format!("--cache-dir={}", dir.join("cache").display()),
            "--metrics=127.0.0.1:0".into(),
            format!("sqlite3://{}", dir.join("meta.db").display()),
            format!("127.0.0.1:{port}"),
        ]
    },
    ready_path: "/minio/health/live",
    start_within: Duration::from_secs(60),
    fixed_port: None,
    env: &[
        ("MINIO_ROOT_USER", JUICEFS_KEYS.0),
        ("MINIO_ROOT_PASSWORD", JUICEFS_KEYS.1),
    ],
    prepare: Some(|_, dir| {
        vec![
            "format".into(),
            "--storage=file".into(),
            format!("--bucket={}/", dir.join("blocks").display()),
            "--no-update".into(),
            format!("sqlite3://{}", dir.join("meta.db").display()),
            "soc-ci".into(),
        ]
    }),
};

/// A running server; stopped when dropped.
pub(crate) struct Service {
    child: Child,
    scratch: PathBuf,
    pub(crate) url: String,
}

impl Service {
    /// Starts the server `spec` names through its variable, if set; `None` (with a note)
    /// otherwise.
    pub(crate) fn start(spec: &Spec) -> Result<Option<Self>, String> {
        let Some(bin) = std::env::var_os(spec.bin_var) else {
            eprintln!(
                "note: {} is not set: {} will be skipped",
                spec.bin_var, spec.skipped
            );
            return Ok(None);
        };
        let port = match spec.fixed_port {
            Some(p) => p,
            None => TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port(),
        };
        let scratch = std::env::temp_dir().join(format!(
            "soc-{}-{}-{port}",
            spec.bin_var.to_lowercase(),
            std::process::id()
        ));
        std::fs::create_dir_all(scratch.join("data"))
            .map_err(|e| format!("{}: {e}", scratch.display()))?;
        let data = scratch.join("data");
        if let Some(prepare) = spec.prepare {
            let out = Command::new(&bin)
                .args(prepare(&bin, &data))
                .output()
                .map_err(|e| format!("cannot prepare {}: {e}", spec.name))?;
            if !out.status.success() {
                return Err(format!(
                    "{} preparation failed: {}",
                    spec.name,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        let log = std::fs::File::create(scratch.join("log"))
            .map_err(|e| format!("{}: {e}", scratch.display()))?;
        let child = Command::new(&bin)
            .args((spec.args)(port, &data))
            .envs(spec.env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", PathBuf::from(&bin).display()))?;
        let mut svc = Self {
            child,
            scratch,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < spec.start_within {
            if let Ok(Some(status)) = svc.child.try_wait() {
                let log = std::fs::read_to_string(svc.scratch.join("log")).unwrap_or_default();
                let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                return Err(format!("{} exited at start: {status}\n{tail}", spec.name));
            }
            if ready(port, spec.ready_path) {
                eprintln!("{} at {}", spec.name, svc.url);
                return Ok(Some(svc));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        svc.stop();
        Err(format!(
            "{} did not answer within {} s",
            spec.name,
            spec.start_within.as_secs()
        ))
    }

    fn stop(&mut self) {
        // SIGTERM lets it exit cleanly (misp-modules waits for running queries); kill is the
        // fallback.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `GET path` answers 200.
fn ready(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
