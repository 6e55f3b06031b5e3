//! `cargo xtask deploy preflight`: what the host needs before the stack can start.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use soc_deploy::Settings;

/// The outcome of one preflight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Warn,
    Fail,
}

/// One preflight check: what was checked, the outcome, what was seen, and how to fix it.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) detail: String,
    pub(crate) fix: String,
}

impl Check {
    fn new(name: &str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// Runs a command, returning its trimmed stdout when it succeeds, or why not.
pub(crate) fn run_capture(program: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("`{program}` is not installed (not on PATH)"))
        }
        Err(e) => Err(format!("cannot run `{program}`: {e}")),
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

/// Checks the host for what the stack needs. `docker` is the Docker CLI to ask (a parameter so
/// the tests can name one that does not exist).
pub(crate) fn preflight(settings: &Settings, out: &Path, docker: &str) -> Vec<Check> {
    let mut checks = Vec::new();

    // Docker engine and Compose v2.
    let engine = run_capture(docker, &["version", "--format", "{{.Server.Version}}"]);
    let engine_ok = engine.is_ok();
    checks.push(match engine {
        Ok(v) => Check::new("docker engine", Status::Ok, format!("server {v}"), ""),
        Err(e) => Check::new(
            "docker engine",
            Status::Fail,
            e,
            "install Docker Engine 25+ (https://docs.docker.com/engine/install/), start it, and \
             make sure this user may use it (member of the `docker` group)",
        ),
    });
    checks.push(if !engine_ok {
        Check::new(
            "docker compose v2",
            Status::Fail,
            "not checked: no usable Docker engine",
            "install the Compose v2 plugin (docker-compose-plugin), 2.20 or later",
        )
    } else {
        match run_capture(docker, &["compose", "version", "--short"]) {
            Ok(v) if compose_version_ok(&v) => {
                Check::new("docker compose v2", Status::Ok, format!("compose {v}"), "")
            }
            Ok(v) => Check::new(
                "docker compose v2",
                Status::Fail,
                format!("compose {v} is too old (healthcheck start_interval and depends_on conditions need 2.20+)"),
                "upgrade the Compose v2 plugin (docker-compose-plugin) to 2.20 or later",
            ),
            Err(e) => Check::new(
                "docker compose v2",
                Status::Fail,
                e,
                "install the Compose v2 plugin (docker-compose-plugin); the Python docker-compose 1.x cannot read this bundle",
            ),
        }
    });

    // Host ports: distinct, and free on the bind address.
    let bind = settings.get("stack.bind_address");
    match settings.active_ports() {
        Err(e) => checks.push(Check::new(
            "host ports",
            Status::Fail,
            e.to_string(),
            "fix [ports] in the settings",
        )),
        Ok(ports) => {
            let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
            for (var, port) in &ports {
                if let Some(other) = seen.insert(*port, var) {
                    checks.push(Check::new(
                        &format!("port {port}"),
                        Status::Fail,
                        format!("{var} and {other} both use {port}"),
                        "give each service its own port in [ports] of the settings",
                    ));
                    continue;
                }
                let name = format!("port {port} ({var})");
                match std::net::TcpListener::bind((bind.as_str(), *port)) {
                    Ok(_) => checks.push(Check::new(&name, Status::Ok, format!("free on {bind}"), "")),
                    Err(e) => checks.push(Check::new(
                        &name,
                        Status::Fail,
                        format!("cannot bind {bind}:{port}: {e}"),
                        format!("stop what listens there (`ss -ltnp 'sport = :{port}'`) or move the service: [ports] in the settings"),
                    )),
                }
            }
            if let Some((_, 443)) = ports.iter().find(|(v, _)| *v == "MISP_HTTPS_PORT") {
                checks.push(Check::new(
                    "MISP port",
                    Status::Warn,
                    "MISP publishes 443, which the Wazuh dashboard also takes",
                    "keep MISP on 8443 (ports.misp_https) when Wazuh runs on this host",
                ));
            }
        }
    }

    // RAM against the memory limits of the enabled services.
    let budget = soc_deploy::memory_budget(settings);
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    checks.push(match mem_total() {
        None => Check::new(
            "memory",
            Status::Warn,
            "cannot read /proc/meminfo",
            "make sure the host has 16 GiB of RAM",
        ),
        Some(total) if total >= budget + (1 << 30) => Check::new(
            "memory",
            Status::Ok,
            format!("{:.1} GiB, services limited to {:.1} GiB", gib(total), gib(budget)),
            "",
        ),
        Some(total) if total >= budget => Check::new(
            "memory",
            Status::Warn,
            format!("{:.1} GiB leaves under 1 GiB beside the services' {:.1} GiB", gib(total), gib(budget)),
            "add RAM (16 GiB recommended) or leave optional profiles off",
        ),
        Some(total) => Check::new(
            "memory",
            Status::Fail,
            format!("{:.1} GiB, but the services may use {:.1} GiB", gib(total), gib(budget)),
            "use a host with 16 GiB of RAM or lower the mem_limit values in the rendered docker-compose.yml",
        ),
    });

    // vm.max_map_count (Elasticsearch / OpenSearch outside single-node mode, Wazuh's indexer).
    checks.push(
        match fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            Some(n) if n >= 262_144 => {
                Check::new("vm.max_map_count", Status::Ok, n.to_string(), "")
            }
            Some(n) => Check::new(
                "vm.max_map_count",
                Status::Fail,
                format!("{n} < 262144"),
                "sudo sysctl -w vm.max_map_count=262144 and persist it: echo vm.max_map_count=262144 | sudo tee /etc/sysctl.d/99-soc.conf",
            ),
            None => Check::new(
                "vm.max_map_count",
                Status::Warn,
                "cannot read /proc/sys/vm/max_map_count",
                "on the Docker host, make sure vm.max_map_count >= 262144",
            ),
        },
    );

    // The Docker socket, for Cortex analyzers, Portainer and Shuffle's runner.
    let socket = settings.get("docker.socket");
    checks.push(match fs::metadata(&socket) {
        Err(e) => Check::new(
            "docker socket",
            Status::Fail,
            format!("{socket}: {e}"),
            "start the Docker engine, or set [docker] socket in the settings",
        ),
        Ok(m) if !std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => Check::new(
            "docker socket",
            Status::Fail,
            format!("{socket} is not a socket"),
            "set [docker] socket in the settings to the engine's socket",
        ),
        Ok(m) => match std::os::unix::net::UnixStream::connect(&socket) {
            Ok(_) => Check::new(
                "docker socket",
                Status::Ok,
                format!("{socket} (group {})", m.gid()),
                "",
            ),
            Err(e) => Check::new(
                "docker socket",
                Status::Fail,
                format!("cannot connect to {socket}: {e}"),
                "add this user to the socket's group (sudo usermod -aG docker $USER, then log in again)",
            ),
        },
    });

    // Writable data directories: the render target and Cortex's job directory.
    for (name, dir) in [
        ("output directory", out.to_path_buf()),
        ("cortex job directory", out.join("cortex-jobs")),
    ] {
        checks.push(match writable(&dir) {
            Ok(()) => Check::new(
                name,
                Status::Ok,
                format!("{} is writable", dir.display()),
                "",
            ),
            Err(e) => Check::new(
                name,
                Status::Fail,
                e,
                format!(
                    "make {} writable by this user, or render elsewhere with --out",
                    dir.display()
                ),
            ),
        });
    }
    checks
}

/// Whether Compose reports 2.20 or later (`2.29.7`, `v2.20.2-desktop.1`).
fn compose_version_ok(v: &str) -> bool {
    let mut parts = v.trim_start_matches('v').split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    major > 2 || (major == 2 && minor >= 20)
}

/// The host's RAM in bytes, from /proc/meminfo.
fn mem_total() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Creates `dir` if needed and writes then removes a probe file in it.
fn writable(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(format!(".preflight-{}", std::process::id()));
    fs::write(&probe, b"ok")
        .and_then(|()| fs::remove_file(&probe))
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// Prints the checks; true when none failed.
pub(crate) fn report(checks: &[Check]) -> bool {
    for c in checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        println!("[{tag}] {:<28} {}", c.name, c.detail);
        if c.status != Status::Ok && !c.fix.is_empty() {
            println!("       fix: {}", c.fix);
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    println!(
        "{} checks, {} failed, {} warnings",
        checks.len(),
        failed,
        checks.iter().filter(|c| c.status == Status::Warn).count()
    );
    failed == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "xtask-preflight-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn preflight_reports_a_missing_docker_without_failing_hard() {
        let dir = TempDir::new();
        let checks = preflight(
            &Settings::default(),
            &dir.0.join("out"),
            "no-such-docker-cli",
        );
        let engine = checks.iter().find(|c| c.name == "docker engine").unwrap();
        assert_eq!(engine.status, Status::Fail);
        assert!(engine.detail.contains("not installed"), "{}", engine.detail);
        assert!(engine.fix.contains("install Docker Engine"));
        let compose = checks
            .iter()
            .find(|c| c.name == "docker compose v2")
            .unwrap();
        assert_eq!(compose.status, Status::Fail);
        for name in [
            "memory",
            "vm.max_map_count",
            "docker socket",
            "output directory",
            "cortex job directory",
        ] {
            assert!(checks.iter().any(|c| c.name == name), "no {name} check");
        }
        assert!(
            checks
                .iter()
                .filter(|c| c.name.starts_with("port "))
                .count()
                >= 9
        );
        assert!(checks
            .iter()
            .all(|c| c.status == Status::Ok || !c.fix.is_empty()));
        assert!(compose_version_ok("2.29.7"));
        assert!(compose_version_ok("v2.20.2-desktop.1"));
        assert!(!compose_version_ok("2.17.3"));
        assert!(!compose_version_ok("1.29.2"));
    }

    #[test]
    fn preflight_flags_port_clashes() {
        let dir = TempDir::new();
        let s = Settings::parse("[ports]\nmisp_https = 9000\n").unwrap();
        let checks = preflight(&s, &dir.0, "no-such-docker-cli");
        assert!(checks
            .iter()
            .any(|c| c.status == Status::Fail && c.detail.contains("both use 9000")));
        let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = busy.local_addr().unwrap().port();
        let s = Settings::parse(&format!("[ports]\nnode_red = {port}\n")).unwrap();
        let checks = preflight(&s, &dir.0, "no-such-docker-cli");
        let c = checks
            .iter()
            .find(|c| c.name.contains(&port.to_string()))
            .unwrap();
        assert_eq!(c.status, Status::Fail);
    }
}
